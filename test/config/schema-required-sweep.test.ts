/**
 * Every required key of the platform schema, left out, is refused at its full config path saying
 * what it takes: the values of a fixed list, or the type with its rule or an example, never zod's
 * bare "Required" or "expected string, received undefined", nor a bare type ("is required
 * (array)"), which the next run would refuse one value at a time. The keys are read off the schema
 * itself, so a required field added later is swept too, and each must occur in a shipped stack.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { z } from "zod";
import { formatPath, platformSchema } from "../../infra/config";
import { itemSchema, objectKeys, schemaAtPath, schemaType, unionMembers, unwrapSchema } from "../../infra/schema-walk";
import { problemsOf } from "../support/config";
import { shippedPlatform } from "../support/render";

/** `clusters[].zone`: a path with its indexes left out. */
const generic = (path: readonly PropertyKey[]) => path.map((s) => (typeof s === "number" ? "[]" : `.${String(s)}`)).join("").replace(/^\./, "");

/** Every required key's generic path, through every member of a union. */
function requiredPaths(schema: z.ZodType, at: string, out: Set<string>): Set<string> {
  const type = schemaType(schema);
  if (type === "union") for (const member of unionMembers(schema, undefined)) requiredPaths(member, at, out);
  else if (type === "array" || type === "record") requiredPaths(itemSchema(schema)!, `${at}[]`, out);
  else if (type === "object") {
    const { required } = objectKeys(schema);
    for (const key of required) out.add(`${at}.${key}`.replace(/^\./, ""));
    for (const [key, field] of Object.entries((unwrapSchema(schema) as unknown as { _zod: { def: { shape: Record<string, z.ZodType> } } })._zod.def.shape)) requiredPaths(field, `${at}.${key}`, out);
  }
  return out;
}

/** Every object in `platform` with the required keys its schema names there. */
function requiredKeysIn(platform: unknown): (string | number)[][] {
  const found: (string | number)[][] = [];
  const walk = (value: unknown, path: (string | number)[]) => {
    if (Array.isArray(value)) return value.forEach((v, i) => walk(v, [...path, i]));
    if (!value || typeof value !== "object") return;
    let schema = schemaAtPath(platformSchema, path, platform);
    if (schema && schemaType(schema) === "union") schema = unionMembers(schema, value)[0];
    if (schema && schemaType(schema) === "object") for (const key of objectKeys(schema).required) if (key in value) found.push([...path, key]);
    for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(platform, []);
  return found;
}

/** What a required key's message must say beyond "is required": the values allowed, or the type and a rule or an example. */
const SAYS_WHAT_IT_TAKES = [
  /^is required: one of '/, // a fixed list or a union's discriminator
  /^is required \([^)]+\): (it|each) \S/, // the type and its own rule
  /^is required \([^)]*such as '[^']+'[^)]*\)/, // the type and an example
  /^must be '[^']+' when /, // a literal fixed by another field (kind by cloud)
];

test("every required key of the schema, left out of a shipped stack, is refused at its path with what it takes", () => {
  const swept = new Map<string, string>();
  const bare: string[] = [];
  for (const stack of ["local", "dev", "prod"] as const) {
    const base = shippedPlatform(stack);
    for (const path of requiredKeysIn(base)) {
      const key = generic(path);
      if (swept.has(key)) continue;
      const p = structuredClone(base);
      let parent = p;
      for (const seg of path.slice(0, -1)) parent = parent[seg];
      delete parent[path[path.length - 1]];
      const prefix = `${formatPath(path)}: `;
      const problem = problemsOf(p).find((line) => line.startsWith(prefix));
      assert.ok(problem, `${stack}: no problem at ${formatPath(path)}:\n${problemsOf(p).join("\n")}`);
      const message = problem.slice(prefix.length);
      if (!SAYS_WHAT_IT_TAKES.some((re) => re.test(message))) bare.push(`${stack}: ${problem}`);
      swept.set(key, message);
    }
  }
  assert.deepEqual(bare, [], "required keys refused without what they take");
  const unswept = [...requiredPaths(platformSchema, "", new Set())].filter((k) => !swept.has(k));
  assert.deepEqual(unswept, [], "required keys no shipped stack sets, so the sweep never left them out");
});
