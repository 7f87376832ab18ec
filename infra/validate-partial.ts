/**
 * The config as far as it parses, for best-effort validation: a config with field errors is
 * re-read with the schema's defaults applied to every part that parses, and each field with its
 * own field error left out (reading it throws BrokenFieldRead, see validate-support.ts). The
 * cross-field rules then run on it and report everything that does not depend on a broken field.
 */
import { z } from "zod";
import { platformSchema, PlatformConfig } from "./schema";
import { brokenView, markBrokenList, markInvalidItem } from "./validate-support";
import { isRecord } from "./record";

type Path = readonly (string | number)[];

/** Where the field errors are: the issue paths, with an unknown key counted as its own field (the rest of its object is fine). */
export function brokenPaths(issues: readonly z.core.$ZodIssue[]): Path[] {
  return issues.flatMap((issue) => {
    const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
    return issue.code === "unrecognized_keys" ? issue.keys.map((k) => [...path, k]) : [path];
  });
}

const startsWith = (path: Path, prefix: Path) => prefix.length <= path.length && prefix.every((seg, i) => String(path[i]) === String(seg));

/** Whether a cross-field problem at `path` lies at or below a field error, i.e. is about the broken value itself. */
export const underBrokenPath = (path: Path, broken: readonly Path[]): boolean => broken.some((b) => startsWith(path, b));

const BROKEN = Symbol("broken");
type Reread = unknown | typeof BROKEN;


/** The schema of an object-like zod type (object, or the option of a discriminated union `raw` selects). */
function objectShape(schema: z.ZodType, raw: Record<string, unknown>): { shape: Record<string, z.ZodType>; unknownKeys: string[] } | undefined {
  const def = (schema as any)._zod.def;
  if (def.type === "object") return { shape: def.shape, unknownKeys: [] };
  if (def.type !== "union" || !def.discriminator) return undefined;
  const options: z.ZodObject[] = def.options;
  const chosen = options.find((o) => o.shape[def.discriminator].safeParse(raw[def.discriminator]).success);
  if (chosen) return { shape: chosen.shape as Record<string, z.ZodType>, unknownKeys: [] };
  // No valid discriminator (`cloud: azure`): the keys every option shares can still be read; the
  // others depend on which option was meant, so they count as broken.
  const keys = options.map((o) => Object.keys(o.shape));
  const common = keys[0].filter((k) => k !== def.discriminator && keys.every((ks) => ks.includes(k)));
  const shape = Object.fromEntries(common.map((k) => [k, options[0].shape[k] as z.ZodType]));
  return { shape, unknownKeys: [...new Set(keys.flat())].filter((k) => !common.includes(k)) };
}

function reread(schema: z.ZodType, raw: unknown, path: Path, broken: readonly Path[]): Reread {
  const below = broken.filter((b) => startsWith(b, path));
  if (below.some((b) => b.length === path.length)) return BROKEN;
  if (below.length === 0) {
    const parsed = schema.safeParse(raw);
    return parsed.success ? parsed.data : BROKEN;
  }
  const def = (schema as any)._zod.def;
  if (def.type === "optional" || def.type === "default" || def.type === "nullable") {
    return raw === undefined || raw === null ? BROKEN : reread(def.innerType, raw, path, broken);
  }
  if (def.type === "array") {
    if (!Array.isArray(raw)) return BROKEN;
    const bad = new Set<string>();
    const items = raw.map((item, i) => {
      const value = reread(def.element, item, [...path, i], broken);
      if (value === BROKEN) bad.add(String(i));
      return value === BROKEN ? undefined : value;
    });
    return brokenView(items, bad);
  }
  if (!isRecord(raw)) return BROKEN;
  const object = objectShape(schema, raw);
  if (!object) return BROKEN;
  const bad = new Set(object.unknownKeys);
  const value: Record<string, unknown> = {};
  for (const [key, fieldSchema] of Object.entries(object.shape)) {
    const field = reread(fieldSchema, raw[key], [...path, key], broken);
    if (field === BROKEN) bad.add(key);
    else if (field !== undefined) value[key] = field;
  }
  // Rules that compute across items (GPU capacity) leave an item with any field error out.
  return markInvalidItem(brokenView(value, bad));
}

/** Policy knobs at their most permissive: what best-effort validation reads for a knob with a field error. */
const mostPermissivePolicy: PlatformConfig["policy"] = {
  maxCanaryWeight: 100,
  minKvCacheFraction: 0,
  requireTls: false,
  allowPublicApiEndpoints: true,
  requireAgentJwt: false,
};

/**
 * The policy block with its defaults under what the stack sets. A knob with a field error is
 * read at its most permissive, so that the rules it tunes do not add knock-on problems to it.
 */
function partialPolicy(rawPolicy: unknown): PlatformConfig["policy"] {
  const policySchema = platformSchema.shape.policy;
  const policy = policySchema.safeParse(rawPolicy);
  if (policy.success) return policy.data;
  if (!isRecord(rawPolicy)) return { ...mostPermissivePolicy }; // not a block at all: nothing is known
  const valid: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rawPolicy)) {
    const fallback = (mostPermissivePolicy as Record<string, unknown>)[key];
    if (fallback === undefined) continue; // an unknown key: its own field error
    valid[key] = policySchema.safeParse({ [key]: value }).success ? value : fallback;
  }
  return policySchema.parse(valid);
}

const LISTS = ["clusters", "models", "agents", "tools"] as const;

/**
 * The platform as far as it parses, given the field errors' paths; undefined when it is not even
 * a mapping (nothing cross-field can be checked). A list that is not a list counts as empty.
 */
export function partialPlatform(raw: unknown, broken: readonly Path[]): PlatformConfig | undefined {
  if (!isRecord(raw)) return undefined;
  const shape = platformSchema.shape as Record<string, z.ZodType>;
  const bad = new Set<string>();
  const value: Record<string, unknown> = {};
  const brokenListNames: string[] = [];
  for (const [key, fieldSchema] of Object.entries(shape)) {
    if (key === "policy") {
      value.policy = partialPolicy(raw.policy);
      continue;
    }
    const field = reread(fieldSchema, raw[key], [key], broken);
    if ((LISTS as readonly string[]).includes(key) && (field === BROKEN || !Array.isArray(field))) {
      value[key] = [];
      brokenListNames.push(key);
    } else if (field === BROKEN) bad.add(key);
    else if (field !== undefined) value[key] = field;
  }
  const cfg = brokenView(value, bad) as PlatformConfig;
  for (const list of brokenListNames) markBrokenList(cfg, list);
  return cfg;
}
