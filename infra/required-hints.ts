/**
 * Messages for a required field left out and for a value outside a fixed list, in the words of
 * the rest: zod says only "expected string, received undefined" (or number) and `Invalid option: expected one
 * of "vllm"|"simulator"`, which name neither what the field takes nor, for a list, the value given.
 */
import { z } from "zod";
import { valueAtPath } from "./validate-support";
import { itemSchema, objectKeys, schemaAtPath, schemaLayers, schemaType, unionMembers, unwrapSchema } from "./schema-walk";

const samePath = (a: readonly PropertyKey[], b: readonly PropertyKey[]) => a.length === b.length && a.every((p, i) => p === b[i]);

/** zod's own wording, which says nothing a field's own rule would not say better. */
const isGenericMessage = (message: string) => /^(Too (small|big)|Invalid )/.test(message);

/** A copy of `raw` with `value` set at `path` (whose parent exists: zod reports a missing key only inside an object it read). */
function withValueAt(raw: unknown, path: readonly PropertyKey[], value: unknown): unknown {
  const copy = structuredClone(raw);
  const parent = valueAtPath(copy, path.slice(0, -1));
  if (parent && typeof parent === "object") (parent as Record<PropertyKey, unknown>)[path[path.length - 1]] = value;
  return copy;
}

/**
 * A rule's message as what a missing field takes: zod's generic words and "must not be empty" say
 * nothing, and a message quoting the empty value back (`'' must be an IPv4 CIDR …`, `…, not ''`)
 * would read as if one were given, so the quote is left out (or the message, where it is the subject).
 */
function hintFrom(message: string): string | undefined {
  const unquoted = message.replace(/^'' (?=must )/, "").replace(/, not ''(?=[:;,.)]|$)/, "");
  return isGenericMessage(unquoted) || /''|must not be empty/.test(unquoted) ? undefined : unquoted;
}

/** The first message of the field's own rule for `value` set at `path`, reported at `at`. */
function ruleHint(schema: z.ZodType, raw: unknown, path: readonly PropertyKey[], value: unknown, at: readonly PropertyKey[] = path): string | undefined {
  const probe = schema.safeParse(withValueAt(raw, path, value));
  if (probe.success) return undefined;
  return probe.error.issues.filter((i) => samePath(i.path, at)).map((i) => hintFrom(i.message)).find((m) => m !== undefined);
}

/**
 * What a missing text field takes, read from the field's own rule: the config is checked again with
 * the field empty, and the rule's message for that (`must be a DNS-1123 label …`, `must be an AWS
 * commercial region: …`) is what the field allows. Undefined where the rule only says "not empty".
 */
export function missingTextHint(schema: z.ZodType, raw: unknown, path: readonly PropertyKey[]): string | undefined {
  return ruleHint(schema, raw, path, "");
}

/**
 * What a missing number field takes, read from the field's own rule as missingTextHint reads a
 * text's: the config is checked again with the field at the far ends of the number line and at a
 * fraction, and the bounds and the whole-number rule it meets are what the field allows
 * (`must be a whole number, at least 256`, `must be a number, more than 0 and at most 0.98`). Undefined where the
 * rule takes any number.
 */
export function missingNumberHint(schema: z.ZodType, raw: unknown, path: readonly PropertyKey[]): string | undefined {
  const issuesWith = (value: number) => {
    const probe = schema.safeParse(withValueAt(raw, path, value));
    return probe.success ? [] : probe.error.issues.filter((i) => samePath(i.path, path));
  };
  const low = issuesWith(-Number.MAX_SAFE_INTEGER).find((i) => i.code === "too_small");
  const high = issuesWith(Number.MAX_SAFE_INTEGER).find((i) => i.code === "too_big");
  const whole = issuesWith(0.5).some((i) => i.code === "invalid_type" && i.expected === "int");
  const what = whole ? "a whole number" : "a number";
  if (low?.code === "too_small" && high?.code === "too_big" && low.inclusive && high.inclusive) return `must be ${what} from ${low.minimum} to ${high.maximum}`;
  const bounds = [
    low?.code === "too_small" ? `${low.inclusive ? "at least" : "more than"} ${low.minimum}` : undefined,
    high?.code === "too_big" ? `${high.inclusive ? "at most" : "less than"} ${high.maximum}` : undefined,
  ].filter(Boolean);
  if (bounds.length === 0) return whole ? `must be ${what}` : undefined;
  return `must be ${what}, ${bounds.join(" and ")}`;
}

/** `is required (text): it must be …`, or the bare type where the field's rule says nothing more. */
export function requiredMessage(expected: string, hint: string | undefined, example?: string): string {
  const type = `${expected === "string" ? "text" : expected}${example ? `, such as ${example}` : ""}`;
  return hint ? `is required (${type}): it ${hint}` : `is required (${type})`;
}

/** The examples a field's schema gives (`.meta({ examples: […] })`), quoted: `'g6e.xlarge' or 'g2-standard-8'`. */
export function exampleOf(schema: z.ZodType | undefined): string | undefined {
  const examples = schema && schemaLayers(schema).map((s) => z.globalRegistry.get(s)?.examples).find((e): e is unknown[] => Array.isArray(e) && e.length > 0);
  return examples ? examples.map((e) => `'${String(e)}'`).join(" or ") : undefined;
}

/** The keys a mapping takes: `meshId, trustDomain (required) and ca, istiodReplicas`, or what a union's members are told apart by. */
function keysText(schema: z.ZodType): string {
  const members = schemaType(schema) === "union" ? unionMembers(schema, undefined) : [];
  const discriminator = (unwrapSchema(schema) as unknown as { _zod: { def: { discriminator?: string } } })._zod.def.discriminator;
  if (members.length > 0 && discriminator) {
    const values = members.flatMap((m) => [...((unwrapSchema(m) as unknown as { _zod: { propValues?: Record<string, Set<unknown>> } })._zod.propValues?.[discriminator] ?? [])]);
    return `with ${discriminator}: one of ${values.map((v) => `'${String(v)}'`).join(", ")}, and the keys that one takes`;
  }
  const { required, optional } = objectKeys(schema);
  if (required.length === 0) return `of any of ${optional.join(", ")}`;
  return `of ${required.join(", ")}${optional.length ? ` (required) and ${optional.join(", ")}` : ""}`;
}

/**
 * What a missing list or mapping takes, from the schema at `path`: a mapping's keys, and a list's
 * least length (from its own rule, probed with an empty list) and items (a mapping's keys, or a text
 * item's rule probed with an empty item, or its example).
 */
function missingCollectionMessage(schema: z.ZodType, raw: unknown, path: readonly PropertyKey[], field: z.ZodType, expected: string): string {
  if (expected === "object") return `is required (a mapping): it takes the keys ${keysText(field).replace(/^of /, "")}`;
  const probe = schema.safeParse(withValueAt(raw, path, []));
  const least = probe.success ? undefined : probe.error.issues.find((i) => samePath(i.path, path) && i.code === "too_small");
  const size = least?.code === "too_small" ? `, at least ${String(least.minimum)} item${Number(least.minimum) === 1 ? "" : "s"}` : "";
  const item = itemSchema(field);
  const itemType = item ? schemaType(item) : undefined;
  if (item && (itemType === "object" || itemType === "union")) return `is required (a list${size}): each item a mapping ${keysText(item)}`;
  if (itemType !== "string") return `is required (a list${size})`;
  const hint = ruleHint(schema, raw, path, [""], [...path, 0]);
  const example = exampleOf(item);
  return `is required (a list of text${size}${example ? `, such as [${example}]` : ""})${hint ? `: each ${hint}` : ""}`;
}

/**
 * The message for a required field of type `expected` left out at `path`: its type and what its
 * own rule takes (text and numbers), an example its schema gives, and for a list or mapping what
 * goes in it.
 */
export function missingFieldMessage(schema: z.ZodType, raw: unknown, path: readonly PropertyKey[], expected: string): string {
  if (expected === "boolean") return "is required (true or false)";
  const field = schemaAtPath(schema, path, raw);
  if (field && (expected === "object" || expected === "array")) return missingCollectionMessage(schema, raw, path, field, expected);
  const hint = expected === "string" ? missingTextHint(schema, raw, path) : expected === "number" ? missingNumberHint(schema, raw, path) : undefined;
  return requiredMessage(expected, hint, exampleOf(field));
}

/** zod's message for a value outside a fixed list (an enum), as "must be one of …", naming the value given or saying it is missing. */
export function optionsMessage(issue: z.core.$ZodIssue, raw: unknown): string | undefined {
  if (issue.code !== "invalid_value" || !/^Invalid option: expected one of /.test(issue.message)) return undefined;
  const options = issue.values.map((v) => `'${String(v)}'`).join(", ");
  const given = valueAtPath(raw, issue.path);
  if (given === undefined) return `is required: one of ${options}`;
  if (given === null) return `is empty (a key left without a value in YAML reads as null): it takes one of ${options}`;
  const shown = typeof given === "string" ? `'${given}'` : Array.isArray(given) ? "a list" : given !== null && typeof given === "object" ? "a mapping" : String(given);
  return `must be one of ${options}, not ${shown}`;
}
