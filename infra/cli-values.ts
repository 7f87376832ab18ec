/**
 * Config values as the Pulumi CLI writes them. `pulumi config set --path` stores a value of
 * base-10 digits (without a leading zero) as an integer and `true`/`false` as booleans, and every
 * other value as a string unless `--type` says otherwise (sdk/go/common/resource/config/object.go
 * `coerce`); an unquoted `580` in the stack file is an integer to YAML too. So a text field whose
 * values may be digits (`versions.nvidiaDriver: 570`, a version named `2`) receives an integer,
 * and a fractional number field (`gpuMemoryUtilization 0.92`) a string: both are taken as what
 * they say. Any other value of the wrong type is refused naming the type the field takes.
 */
import { z } from "zod";
import { valueAtPath } from "./validate-support";

/** A text field that also takes an integer (as the CLI stores digits) as its decimal text. */
export const textOrDigits = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === "number" && Number.isSafeInteger(v) ? String(v) : v), schema);

/** A text field that takes any finite number as its decimal text (YAML reads `570.86` as a float). */
export const decimalAsText = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === "number" && Number.isFinite(v) ? String(v) : v), schema);

/** A decimal number written as text: what `config set --path` stores for `0.92` without `--type float`. */
const DECIMAL_TEXT = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** A number field that also takes a decimal number written as text. */
export const numberOrDecimalText = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === "string" && DECIMAL_TEXT.test(v) ? Number(v) : v), schema);

/**
 * What a field of the wrong type takes, in place of zod's "expected string, received number":
 * a number where text belongs is almost always unquoted YAML, which also reads `1.30` as 1.3.
 */
export function wrongTypeMessage(expected: string, raw: unknown, path: readonly PropertyKey[]): string | undefined {
  const value = valueAtPath(raw, path);
  if (value === undefined) return undefined;
  if (value === null) return nullMessage(expected, path);
  const got = Array.isArray(value) ? "a list" : typeof value === "object" ? "a mapping" : `the ${typeof value} ${typeof value === "string" ? `'${value}'` : String(value)}`;
  if (expected === "string") {
    const hint = typeof value === "number" || typeof value === "boolean" ? `: quote it ('${String(value)}'), since YAML reads unquoted digits and true/false as numbers and booleans (and 1.30 as 1.3)` : "";
    return `must be text, not ${got}${hint}`;
  }
  if (expected === "number") return `must be a number, not ${got}`;
  // zod reports a fraction in an integer field as "expected int, received number".
  if (expected === "int") return `must be a whole number (an integer), not ${typeof value === "number" ? String(value) : got}`;
  if (expected === "boolean") return `must be true or false, not ${got}`;
  if (expected === "array") return `must be a list, not ${got}${indexKeysHint(value, path)}`;
  if (expected === "object") return `must be a mapping of keys to values, not ${got}`;
  return undefined;
}

const takes: Record<string, string> = {
  string: "text",
  number: "a number",
  boolean: "true or false",
  array: "a list ([] for none)",
  object: "a mapping of keys to values",
};

/**
 * A null is a key left empty in YAML (`models:`, `~`, `null`), or a list item `pulumi config set
 * --path` left behind: setting an index past a list's end grows the list with null items
 * (sdk/go/common/resource/properties_path.go, PropertyPath.Add).
 */
function nullMessage(expected: string, path: readonly PropertyKey[]): string | undefined {
  if (!(expected in takes)) return undefined;
  const item = typeof path[path.length - 1] === "number";
  const why = item ? "an empty list item, such as `pulumi config set --path` leaves when it sets an index past the list's end" : "a key left without a value in YAML reads as null";
  return `is empty (${why}): it takes ${takes[expected]}; give it a value, or remove the ${item ? "item" : "key where the field is optional"}`;
}

/**
 * A mapping whose keys are all indexes (`{"0": …, "1": …}`) where a list belongs: what `pulumi
 * config set --path clusters.0.name` writes, since a path's `.0` is the key "0" and only `[0]`
 * an index (properties_path.go ParsePropertyPath).
 */
function indexKeysHint(value: unknown, path: readonly PropertyKey[]): string {
  if (!value || typeof value !== "object" || Array.isArray(value)) return "";
  const keys = Object.keys(value);
  if (keys.length === 0 || !keys.every((k) => /^\d+$/.test(k))) return "";
  const field = String(path[path.length - 1] ?? "platform");
  return ` with the keys ${keys.map((k) => `'${k}'`).join(", ")}: write it as a YAML list (\`- …\` items); with \`pulumi config set --path\`, an item is ${field}[${keys[0]}], since ${field}.${keys[0]} sets a key named '${keys[0]}'`;
}

/**
 * An unquoted YAML date (`name: 2024-06-01`) is a timestamp to YAML: the Pulumi CLI hands the
 * program its Go text (`2024-06-01 00:00:00 +0000 UTC`, config/object.go), the offline render
 * its ISO form. A field refusing such text is told why, since the stack file shows a plain date.
 */
export function dateHint(raw: unknown, path: readonly PropertyKey[]): string | undefined {
  const value = valueAtPath(raw, path);
  const date = typeof value === "string" && /^(\d{4}-\d\d-\d\d)(T\d\d:\d\d:\d\d(\.\d+)?Z| \d\d:\d\d:\d\d(\.\d+)? [-+]\d{4} \S+)$/.exec(value);
  return date ? `('${value}': YAML reads an unquoted date such as ${date[1]} as a timestamp; quote it)` : undefined;
}
