/**
 * The platform schema read as a tree: the field schema at a config path and the keys an object
 * takes, for messages that say what a field expects (required-hints.ts) and for the tests that
 * sweep every required field.
 */
import type { z } from "zod";

type Def = { type: string; innerType?: z.ZodType; in?: z.ZodType; out?: z.ZodType; element?: z.ZodType; shape?: Record<string, z.ZodType>; options?: z.ZodType[]; discriminator?: string; valueType?: z.ZodType };
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Wrappers that hold one schema: optional, default, nullable, … */
const WRAPPERS = new Set(["optional", "default", "prefault", "nullable", "nonoptional", "readonly", "catch"]);

/**
 * The schema a value is checked against, past its wrappers: a default or optional's inner schema,
 * a preprocess's target (textOrDigits), a pipe's first stage (urlText.pipe(z.url())).
 */
export function unwrapSchema(schema: z.ZodType): z.ZodType {
  for (;;) {
    const def = defOf(schema);
    if (WRAPPERS.has(def.type) && def.innerType) schema = def.innerType;
    else if (def.type === "pipe" && def.in && def.out) schema = defOf(def.in).type === "transform" ? def.out : def.in;
    else return schema;
  }
}

/** The schemas on the way from the outermost to unwrapSchema's, each of which may carry metadata. */
export function schemaLayers(schema: z.ZodType): z.ZodType[] {
  const layers = [schema];
  for (let s = schema; s !== unwrapSchema(s); ) {
    const def = defOf(s);
    s = WRAPPERS.has(def.type) ? def.innerType! : defOf(def.in!).type === "transform" ? def.out! : def.in!;
    layers.push(s);
  }
  return layers;
}

export const schemaType = (schema: z.ZodType): string => defOf(unwrapSchema(schema)).type;

/**
 * Whether an object's key may be left out: its schema takes undefined (optional, or filled by a
 * default). Read by parsing, since a preprocess (textOrDigits) wraps a required field in a schema
 * that zod marks as optional on the way in.
 */
export const isOptionalField = (schema: z.ZodType): boolean => schema.safeParse(undefined).success;

/** A discriminated union's member for `value` (by its discriminator), or every member where none matches. */
export function unionMembers(schema: z.ZodType, value: unknown): z.ZodType[] {
  const def = defOf(unwrapSchema(schema));
  const options = def.options ?? [];
  if (!def.discriminator || !value || typeof value !== "object") return options;
  const given = (value as Record<string, unknown>)[def.discriminator];
  const chosen = options.filter((o) => {
    const field = defOf(unwrapSchema(o)).shape?.[def.discriminator!];
    const values = field ? (defOf(unwrapSchema(field)) as { values?: unknown[] }).values : undefined;
    return values?.includes(given);
  });
  return chosen.length ? chosen : options;
}

/** An object schema's keys: the ones it requires and the ones it may leave out, in schema order. */
export function objectKeys(schema: z.ZodType): { required: string[]; optional: string[] } {
  const shape = defOf(unwrapSchema(schema)).shape ?? {};
  const keys = Object.entries(shape);
  return { required: keys.filter(([, s]) => !isOptionalField(s)).map(([k]) => k), optional: keys.filter(([, s]) => isOptionalField(s)).map(([k]) => k) };
}

/** The element schema of a list (or the value schema of a record). */
export function itemSchema(schema: z.ZodType): z.ZodType | undefined {
  const def = defOf(unwrapSchema(schema));
  return def.element ?? def.valueType;
}

/**
 * The schema of the field at `path` below `schema`, reading `raw` (the config as written) to choose
 * a union's member; undefined where the path leaves the schema (an unknown key) or a union member
 * cannot be told.
 */
export function schemaAtPath(schema: z.ZodType, path: readonly PropertyKey[], raw: unknown): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  let value = raw;
  for (const seg of path) {
    if (!current) return undefined;
    if (schemaType(current) === "union") {
      const members = unionMembers(current, value);
      if (members.length !== 1) return undefined;
      current = members[0];
    }
    const def = defOf(unwrapSchema(current));
    current = typeof seg === "number" || def.type === "record" ? itemSchema(current) : def.shape?.[String(seg)];
    value = value && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[seg] : undefined;
  }
  return current;
}
