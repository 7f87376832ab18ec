/**
 * Reading resource properties the way the policy SDK hands them over: plain JSON behind a proxy
 * that throws `UnknownValueError` when a value cannot be known yet (a preview of new resources,
 * or a secret the offline review cannot decrypt). Policies use these helpers so that an unknown
 * value never turns into a silent pass or a crash.
 */
import * as yaml from "js-yaml";

/** True for the SDK's `UnknownValueError` (matched by shape: the pack and its tests may load different copies). */
export function isUnknownError(err: unknown): boolean {
  return err instanceof Error && (err.constructor?.name === "UnknownValueError" || "unknownTypeSentinel" in err);
}

export type Probe<T> = { known: true; value: T } | { known: false };

/** Evaluates `read`; an unknown value on the way yields `{known: false}`. */
export function probe<T>(read: () => T): Probe<T> {
  try {
    return { known: true, value: read() };
  } catch (err) {
    if (isUnknownError(err)) return { known: false };
    throw err;
  }
}

/**
 * A list's items read one by one: an item this preview cannot read whole stands in as `empty` and
 * its index goes to `unknown`, so one value not known yet does not hide the verdicts on the items
 * beside it. The caller says why its stand-in cannot clear a violation, and reports `unknown`.
 */
export function readApart<T>(items: T[], empty: T): { items: T[]; unknown: number[] } {
  const unknown: number[] = [];
  const read = items.map((item, i) => {
    if (probe(() => JSON.stringify(item)).known) return item;
    unknown.push(i);
    return empty;
  });
  return { items: read, unknown };
}

/** One child met by {@link walkValues}: its key, its value and its path (`spec.policies.auth`, `spec.targets[0]`). */
export interface WalkedValue {
  key: string;
  value: unknown;
  path: string;
  /** Whether its parent is a list (the key is an index). */
  inList: boolean;
}

/**
 * Walks a tree of values as the SDK hands it over, depth first, reading each node's keys and each
 * child inside its own probe, so one value not known yet hides nothing beside it. `visit` sees every
 * child this run can read, before its own children, and returns false where the walk is not to go
 * into it (the caller judged it whole). `unreadable` is told each path this run cannot read: a child
 * (with its key, for the caller to say whether it matters) or a node whose keys cannot be listed
 * (without a key: anything may be under it).
 */
export function walkValues(node: unknown, path: string, visit: (child: WalkedValue) => boolean, unreadable: (path: string, key?: string) => void): void {
  if (!node || typeof node !== "object") return;
  const keys = probe(() => Object.keys(node));
  if (!keys.known) {
    unreadable(path);
    return;
  }
  const inList = Array.isArray(node);
  for (const key of keys.value) {
    const at = inList ? `${path}[${key}]` : `${path}.${key}`;
    const child = probe(() => (node as Record<string, unknown>)[key]);
    if (!child.known) unreadable(at, key);
    else if (visit({ key, value: child.value, path: at, inList })) walkValues(child.value, at, visit, unreadable);
  }
}

/**
 * `read()`, or `fallback` when the value is unknown. Only for values whose being unknown cannot
 * change a verdict (a name in a message, say): a fallback that decides a verdict turns "not known
 * yet" into a pass or a violation. Verdicts that may depend on unknown values use {@link Tri}.
 */
export function orUnknown<T, F>(read: () => T, fallback: F): T | F {
  const p = probe(read);
  return p.known ? p.value : fallback;
}

/**
 * A check's answer during a preview: true, false, or "unknown" when it depends on a value not
 * known yet. Combined as Kleene's three-valued logic, so an unknown that cannot change the answer
 * (one known `true` among ORed checks, one known `false` among ANDed ones) does not block it.
 */
export type Tri = boolean | "unknown";

/** `read()` as a {@link Tri}: "unknown" when a value it reads is not known yet. */
export function tri(read: () => Tri): Tri {
  const p = probe(read);
  return p.known ? p.value : "unknown";
}

/** Whether some item passes: true if one does, else "unknown" if one may, else false. */
export function someTri<T>(items: Iterable<T>, test: (item: T) => Tri): Tri {
  let unknown = false;
  for (const item of items) {
    const t = tri(() => test(item));
    if (t === true) return true;
    if (t === "unknown") unknown = true;
  }
  return unknown ? "unknown" : false;
}

/** Whether every item passes: false if one does not, else "unknown" if one may not, else true. */
export function everyTri<T>(items: Iterable<T>, test: (item: T) => Tri): Tri {
  let unknown = false;
  for (const item of items) {
    const t = tri(() => test(item));
    if (t === false) return false;
    if (t === "unknown") unknown = true;
  }
  return unknown ? "unknown" : true;
}

/** Kleene AND of already computed answers. */
export function andTri(...values: Tri[]): Tri {
  return values.includes(false) ? false : values.includes("unknown") ? "unknown" : true;
}

/** Kleene OR of already computed answers. */
export function orTri(...values: Tri[]): Tri {
  return values.includes(true) ? true : values.includes("unknown") ? "unknown" : false;
}

/** Kleene NOT. */
export function notTri(value: Tri): Tri {
  return value === "unknown" ? "unknown" : !value;
}

/** A policy's config: the SDK does not apply configSchema defaults (the engine does), so merge them here. */
export function configWithDefaults<T extends object>(args: { getConfig<C extends object>(): C }, defaults: T): T {
  const given = (args.getConfig<Partial<T>>() ?? {}) as Partial<T>;
  const out = { ...defaults };
  for (const [k, v] of Object.entries(given)) {
    if (v !== undefined && v !== null) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

/** A JSON object (a map of a Helm value or manifest field), not null or an array. */
export const isObject = <T>(v: T): v is T & Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * One YAML (or JSON) document read as a mapping: undefined where it is anything else (a list, a
 * scalar such as a file's path, an empty document) or does not parse. For the readers that judge
 * only what a mapping says; one that reports a parse error, or reads several documents, parses itself.
 */
export function yamlMapping(text: string): Record<string, unknown> | undefined {
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch {
    return undefined;
  }
  return isObject(doc) ? doc : undefined;
}

/**
 * Go template truthiness, as a chart's `{{ if .Values.x }}` reads a value: false, 0, nil and empty
 * strings, lists and maps are false; everything else, NaN included (Go's NaN != 0), is true.
 */
export function goTruthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isObject(v)) return Object.keys(v).length > 0;
  return true;
}

/** `value` as an array (absent → []). */
export function list<T>(value: T[] | undefined | null): T[] {
  return Array.isArray(value) ? value : [];
}

/** JSON-schema `default`s of a configSchema, for harnesses and docs. */
export function schemaDefaults(schema: { properties: Record<string, { default?: unknown }> } | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(schema?.properties ?? {})) if (s && "default" in s) out[k] = s.default;
  return out;
}
