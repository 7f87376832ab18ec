/**
 * Go's encoding/json as llm-d-router's plugin factories use it: a strict decoder
 * (DisallowUnknownFields) into a typed struct, keys matched to fields case-insensitively, JSON null
 * leaving a value field as it is and setting a pointer, slice or map to nil: never a decoding error,
 * but a section a factory defaults to non-nil then reads may be gone (explicitNull; each factory's
 * checks judge that). Pure: a value and the struct's shape in, problems by path out.
 */
import { isObject } from "./values";
import { YAML11_BOOLS } from "./go-yaml-scalar";

/** A Go field as encoding/json decodes into it; "any", one whose shape is not judged here (any value passes). */
export type Field = "any" | "string" | "int" | "float" | "bool" | { list: Field } | { fields: Record<string, Field> };

function describe(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (isObject(v)) return "an object";
  return typeof v === "string" ? `the string ${JSON.stringify(v)}` : `${typeof v} ${JSON.stringify(v)}`;
}

function goType(f: Exclude<Field, "any">): string {
  if (typeof f === "string") return f === "float" ? "a number" : f === "int" ? "a whole number" : f === "bool" ? "true or false" : "a string";
  return "list" in f ? "a list" : "an object";
}

/** Go's encoding/json into `field`, strict: each unknown field or mistyped value, by path. JSON null leaves a field as it is. */
export function decode(value: unknown, field: Field, at: string, factory: string, out: string[]): void {
  if (value === null || value === undefined || field === "any") return;
  const wrong = () => out.push(`${at} is ${describe(value)}, where ${factory} decodes ${goType(field as Exclude<Field, "any">)}`);
  if (field === "string") return void (typeof value !== "string" && wrong());
  if (field === "bool") return void (typeof value !== "boolean" && !(typeof value === "string" && YAML11_BOOLS.test(value)) && wrong());
  if (field === "float") return void (typeof value !== "number" && wrong());
  if (field === "int") return void ((typeof value !== "number" || !Number.isInteger(value)) && wrong());
  if ("list" in field) {
    if (!Array.isArray(value)) return void wrong();
    value.forEach((v, i) => decode(v, field.list, `${at}[${i}]`, factory, out));
    return;
  }
  if (!isObject(value)) return void wrong();
  for (const [key, v] of Object.entries(value)) {
    // encoding/json matches a key to a field case-insensitively.
    const name = Object.keys(field.fields).find((f) => f.toLowerCase() === key.toLowerCase());
    if (name === undefined) out.push(`${at}.${key} is not a parameter ${factory} decodes (${Object.keys(field.fields).join(", ")}); the decoder is strict and refuses it`);
    else decode(v, field.fields[name], `${at}.${key}`, factory, out);
  }
}

/** A decoded value by its Go field name, matched as encoding/json matches keys; the last key wins. */
export function param(params: Record<string, unknown>, name: string): unknown {
  return Object.entries(params).filter(([k]) => k.toLowerCase() === name.toLowerCase()).pop()?.[1] ?? undefined;
}

/** The parameter is written as JSON null (matched as encoding/json matches keys; the last key wins). */
export function explicitNull(params: Record<string, unknown>, name: string): boolean {
  const entry = Object.entries(params).filter(([k]) => k.toLowerCase() === name.toLowerCase()).pop();
  return entry !== undefined && entry[1] === null;
}

/** Go's time.ParseDuration: a sign, then decimal numbers each with a unit, or a bare 0. Negative where the sign is -. */
export function goDuration(text: string): { ok: boolean; negative: boolean } {
  const ok = /^[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$/.test(text);
  return { ok, negative: ok && text.startsWith("-") && /[1-9]/.test(text) };
}

