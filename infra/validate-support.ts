/**
 * What every cross-field rule shares: the problem shape and how duplicates are reported.
 */

export interface ConfigProblem {
  /** Path below `inference-mesh:platform`, as segments (strings and array indices). */
  path: (string | number)[];
  message: string;
}

export type Report = (path: (string | number)[], message: string) => void;

/** The value at `path` in a raw (unvalidated) config value; undefined where the path leads nowhere. */
export function valueAtPath(value: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((v, seg) => (v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[seg] : undefined), value);
}

/** Names that occur more than once, with their indices; `undefined` (a name with its own field error) never counts. */
export function duplicates(names: (string | undefined)[]): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  names.forEach((n, i) => n !== undefined && seen.set(n, [...(seen.get(n) ?? []), i]));
  return new Map([...seen].filter(([, idx]) => idx.length > 1));
}

/** Whether the item at `index` carries a name an earlier item already has (the duplicate is reported on its own). */
export const isLaterDuplicate = (names: (string | undefined)[], index: number): boolean => {
  const name = names[index];
  return name !== undefined && names.indexOf(name) !== index;
};

export function requireUnique(report: Report, list: string, what: string, names: (string | undefined)[], field = "name"): void {
  for (const [name, idx] of duplicates(names)) {
    for (const i of idx.slice(1)) {
      report([list, i, field], `duplicate ${what} '${name}' (also at ${list}[${idx[0]}]); ${what}s must be unique`);
    }
  }
}

/**
 * Items (a model, a cluster…) that failed their own field validation, in a best-effort run: the
 * rules that compute across items (GPU capacity) leave them out rather than compute with their
 * malformed fields and report a knock-on problem somewhere else.
 */
const invalidItems = new WeakSet<object>();
export const markInvalidItem = <T extends object>(item: T): T => (invalidItems.add(item), item);
export const isInvalidItem = (item: object): boolean => invalidItems.has(item);

/**
 * Best-effort validation (a config that already has field errors) re-reads each broken item with
 * the parts that parse, and leaves out every field with its own field error: reading one throws
 * this, so a rule that would compute with it is skipped (its result would be a knock-on of the
 * field error) while the rules that never read it still report.
 */
export class BrokenFieldRead extends Error {
  constructor(readonly field: PropertyKey) {
    super(`read of '${String(field)}', which has a field error`);
    this.name = "BrokenFieldRead";
  }
}

/**
 * `target` where reading any of `broken` (keys, or array indices as strings) throws
 * BrokenFieldRead. The broken keys are absent from the target, so spreads and `in` skip them.
 */
export function brokenView<T extends object>(target: T, broken: ReadonlySet<string>): T {
  if (broken.size === 0) return target;
  return new Proxy(target, {
    get(t, key, receiver) {
      if (typeof key === "string" && broken.has(key)) throw new BrokenFieldRead(key);
      return Reflect.get(t, key, receiver);
    },
  });
}

/**
 * Runs one rule (or one item of a rule). A read of a field that has its own field error ends it
 * quietly: what it had left to report would be a knock-on. Any other error propagates. Outside
 * best-effort validation nothing is broken, so this is just `check()`.
 */
export function unlessBroken(check: () => void): void {
  try {
    check();
  } catch (err) {
    if (!(err instanceof BrokenFieldRead)) throw err;
  }
}

/** An item's name (or another key), or undefined when that field has its own field error. */
export function readable<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    if (err instanceof BrokenFieldRead) return undefined;
    throw err;
  }
}

/**
 * Each item of a list, one rule run per item (unlessBroken): an item that is itself broken (a
 * `null` in the list) or whose rule reads a broken field is skipped, the others still run.
 * Reads items by index, since an array method would read the broken item outside any guard.
 */
export function eachItem<T>(items: readonly T[], check: (item: T, index: number) => void): void {
  for (let i = 0; i < items.length; i++) unlessBroken(() => check(items[i], i));
}

/** `eachItem` over the items whose name no earlier item has: a duplicate is reported as such, so the rules deriving from its name skip it. */
export function eachUniquelyNamed<T extends object>(items: readonly T[], check: (item: T, index: number) => void): void {
  const names = readableNames(items);
  eachItem(items, (item, i) => {
    if (!isLaterDuplicate(names, i)) check(item, i);
  });
}

/** The items of a list that are not themselves broken, for rules that look across items. */
export const readableItems = <T>(items: readonly T[]): T[] =>
  Array.from({ length: items.length }, (_, i) => readable(() => items[i])).filter((item): item is T => item !== undefined);

/** The names of a list's items, undefined where the item or its name has a field error (for "known: …" hints and references). */
export const readableNames = (items: readonly object[], key = "name"): (string | undefined)[] =>
  Array.from({ length: items.length }, (_, i) => readable(() => (items[i] as Record<string, unknown>)[key] as string | undefined));

/** `known: a, b` for a message: valid names only, `(none)` when there are none. */
export const knownList = (names: readonly (string | undefined)[]): string => [...new Set(names.filter((n): n is string => !!n))].join(", ") || "(none)";

/**
 * Lists (`tools`, `agents`, …) that were not a list at all in a best-effort run: they count as
 * empty for the other rules, but a reference into them cannot be called unknown.
 */
const brokenLists = new WeakMap<object, Set<string>>();
export const markBrokenList = (cfg: object, list: string): void => {
  brokenLists.set(cfg, new Set([...(brokenLists.get(cfg) ?? []), list]));
};
export const isBrokenList = (cfg: object, list: string): boolean => brokenLists.get(cfg)?.has(list) ?? false;

/**
 * Whether a name missing from a list is unknown: only when the list is a list and every item's
 * name can be read. Otherwise the name looked for may be the one with the field error, and
 * calling it unknown would report that field error a second time.
 */
export const namesKnown = (cfg: object, list: "clusters" | "models" | "agents" | "tools"): boolean =>
  !isBrokenList(cfg, list) && readableNames((cfg as Record<string, readonly object[]>)[list]).every((n) => n !== undefined);
