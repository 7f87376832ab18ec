/**
 * The README as a contract: its policy table, its pinned versions and its Config reference say
 * what the pack, infra/versions.ts and the schema hold. A fork reads the README first, so a
 * policy, property, default or config key added without it (or a row left after a removal) fails here.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { policies } from "../../policy/policies";
import { defaultVersions } from "../../infra/versions";
import { platformSchema } from "../../infra/schema";
import { repoRoot } from "../support/render";

const readme = fs.readFileSync(path.join(repoRoot, "README.md"), "utf8");
const section = (heading: string): string => {
  const start = readme.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README has a '${heading}' section`);
  const next = readme.slice(start + heading.length + 2).search(/\n#{1,3} /);
  return next < 0 ? readme.slice(start) : readme.slice(start, start + heading.length + 2 + next);
};

/** How the table writes a default: strings bare, lists comma-separated, an empty list or object as [] / {}. */
function shown(value: unknown): string {
  if (Array.isArray(value)) return value.length ? value.join(", ") : "[]";
  if (value && typeof value === "object") return Object.keys(value).length ? JSON.stringify(value) : "{}";
  return String(value);
}

test("README policy table: every policy of the pack, its kind and each config property with its default; no other row", () => {
  const rows = new Map<string, { kind: string; config: string; remediation: string }>();
  for (const line of section("### The policy pack (`policy/`)").split("\n")) {
    const name = /^\| `([a-z0-9-]+)`: /.exec(line)?.[1];
    // Read from the end: | policy: description | kind | config | remediation |
    const cells = line.split("|").map((c) => c.trim());
    if (name) rows.set(name, { kind: cells[cells.length - 4], config: cells[cells.length - 3], remediation: cells[cells.length - 2] });
  }
  assert.deepEqual([...rows.keys()].sort(), policies.map((p) => p.name).sort());
  assert.match(readme, /All policies default\s+to \*\*mandatory\*\*/);
  for (const p of policies) {
    const row = rows.get(p.name)!;
    assert.equal(p.enforcementLevel, "mandatory", p.name);
    // A policy with both validations (gpu-scheduling) is both kinds; the SDK runs each.
    assert.equal(row.kind, "validateStack" in p ? ("validateResource" in p ? "resource and stack" : "stack") : "resource", `${p.name}: kind`);
    // A remediation runs at level `remediate` only where the policy has one (remediateResource,
    // resource policies only): advice in that column would read as a fix the pack applies.
    const remediates = "remediateResource" in p && p.remediateResource !== undefined;
    assert.equal(row.remediation !== "" && !row.remediation.startsWith("(none"), remediates, `${p.name}: remediation column '${row.remediation}'`);
    const properties = Object.entries(p.configSchema?.properties ?? {});
    assert.equal(row.config.trim() === "", properties.length === 0, `${p.name}: config column`);
    for (const [key, prop] of properties) {
      const documented = new RegExp("`" + key + "` \\(([^)]*)\\)").exec(row.config);
      assert.ok(documented, `${p.name}.${key} is in the README's policy table`);
      assert.ok(documented[1].startsWith(shown((prop as { default?: unknown }).default)), `${p.name}.${key}: README says (${documented[1]}), the pack ${shown((prop as { default?: unknown }).default)}`);
    }
  }
});

test("README Config reference: versions.<name> lists every pinned version at its value", () => {
  const row = section("## Config reference").split("\n").find((l) => l.startsWith("| `versions.<name>`"));
  assert.ok(row);
  for (const [key, value] of Object.entries(defaultVersions)) {
    assert.ok(row.includes(`\`${key}\` (${value})`) || row.includes(`\`${key}\` (\`${value}\`)`), `versions.${key} (${value}) in the README`);
  }
});

/** Every key the schema accepts, by name (zod 4 internals: objects, wrappers, arrays, unions). */
function keysOf(schema: unknown, into = new Set<string>()): Set<string> {
  const def = (schema as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
  if (!def) return into;
  if (def.type === "object") {
    for (const [key, child] of Object.entries(def.shape as Record<string, unknown>)) {
      into.add(key);
      keysOf(child, into);
    }
  }
  for (const inner of [def.innerType, def.element, def.in, def.out]) if (inner) keysOf(inner, into);
  for (const option of (def.options as unknown[] | undefined) ?? []) keysOf(option, into);
  return into;
}

test("README Config reference names every key the schema accepts", () => {
  const reference = section("## Config reference");
  const keys = [...keysOf(platformSchema)];
  assert.ok(keys.length > 80, `walked the schema (${keys.length} keys)`);
  const missing = keys.filter((k) => !new RegExp("[`.{,]" + k + "[`.\\[ /:},]").test(reference));
  assert.deepEqual(missing, []);
});

test("README Layout names every file of infra/, where a fork looks for the config's rules", () => {
  const line = section("## Layout").split("\n").find((l) => l.startsWith("infra/"));
  assert.ok(line, "the Layout block has an infra/ line");
  const listed = (file: string) => line.includes(file) || (/^validate.*\.ts$/.test(file) && line.includes("validate*.ts"));
  assert.deepEqual(fs.readdirSync(path.join(repoRoot, "infra")).filter((f) => !listed(f)), []);
});

test("README test table: each folder it names exists, and the review's mutation count is the live one", async () => {
  const rows = readme.split("\n").filter((l) => l.startsWith("| `test/"));
  const folders = rows.flatMap((l) => [...l.split("|")[1].matchAll(/`(test\/[a-z-]+)`/g)].map((m) => m[1]));
  assert.ok(folders.length >= 9, `read the test table (${folders.length} folders)`);
  assert.deepEqual(folders.filter((f) => !fs.existsSync(path.join(repoRoot, f))), []);
  const stated = /(\d+) mutations of the rendered/.exec(rows.find((l) => l.startsWith("| `test/policy-review`")) ?? "");
  assert.ok(stated, "the test/policy-review row states its mutation count");
  const { mutations } = await import("../policy-review/mutations");
  assert.equal(Number(stated[1]), mutations.length, "README mutation count");
});
