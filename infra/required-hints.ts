/**
 * Messages for a required field left out and for a value outside a fixed list, in the words of
 * the rest: zod says only "expected string, received undefined" (or number) and `Invalid option: expected one
 * of "vllm"|"simulator"`, which name neither what the field takes nor, for a list, the value given.
 */
import type { z } from "zod";
import { valueAtPath } from "./validate-support";

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
 * What a missing text field takes, read from the field's own rule: the config is checked again with
 * the field empty, and the rule's message for that (`must be a DNS-1123 label …`, `must be an AWS
 * commercial region: …`) is what the field allows. Undefined where the rule only says "not empty"
 * or quotes the empty value back.
 */
export function missingTextHint(schema: z.ZodType, raw: unknown, path: readonly PropertyKey[]): string | undefined {
  const probe = schema.safeParse(withValueAt(raw, path, ""));
  if (probe.success) return undefined;
  return probe.error.issues.filter((i) => samePath(i.path, path)).map((i) => i.message).find((m) => !isGenericMessage(m) && !/''|must not be empty/.test(m));
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
export function requiredMessage(expected: string, hint: string | undefined): string {
  const type = expected === "string" ? "text" : expected;
  return hint ? `is required (${type}): it ${hint}` : `is required (${type})`;
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
