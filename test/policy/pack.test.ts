/** The pack's shape: what `pulumi preview --policy-pack policy` and reviewers rely on. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import Ajv from "ajv";
import { policies } from "../../policy/policies";
import { schemaDefaults } from "../../policy/lib/values";
import { repoRoot } from "../support/render";

const dir = path.join(repoRoot, "policy");

test("policy/ is a pack: package.json with a version and pinned SDKs, PulumiPolicy.yaml, index.ts only constructs it", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  assert.equal(pkg.name, "inference-mesh-policy");
  assert.match(pkg.version, /^\d+\.\d+\.\d+$/);
  assert.equal(pkg.dependencies["@pulumi/policy"], "1.21.0");
  assert.equal(pkg.dependencies["@pulumi/pulumi"], "3.248.0");
  const meta = yaml.load(fs.readFileSync(path.join(dir, "PulumiPolicy.yaml"), "utf8")) as Record<string, string>;
  assert.equal(meta.runtime, "nodejs");
  assert.ok(meta.description.length > 20);
  const statements = fs.readFileSync(path.join(dir, "index.ts"), "utf8").split("\n").filter((l) => l.trim() && !l.startsWith("import"));
  assert.deepEqual(statements, ['new PolicyPack("inference-mesh", { policies });']);
});

test("every rule file holds one policy, and policies.ts lists them all", () => {
  const files = fs.readdirSync(path.join(dir, "rules")).filter((f) => f.endsWith(".ts"));
  assert.deepEqual(files.map((f) => f.replace(/\.ts$/, "")).sort(), policies.map((p) => p.name).sort());
});

test("policies: kebab-case names, a why in the description, a default level, valid config schemas with defaults", () => {
  const ajv = new Ajv({ strict: false });
  for (const p of policies) {
    assert.match(p.name, /^[a-z0-9]+(-[a-z0-9]+)*$/, p.name);
    assert.ok(p.description.length > 60, `${p.name}: describe why it matters`);
    assert.ok(["advisory", "mandatory", "remediate", "disabled"].includes(p.enforcementLevel!), p.name);
    if (!p.configSchema) continue;
    for (const [key, prop] of Object.entries(p.configSchema.properties)) {
      assert.ok("default" in prop, `${p.name}.${key} has a default`);
      assert.ok((prop as { description?: string }).description, `${p.name}.${key} has a description`);
    }
    const validate = ajv.compile({ type: "object", properties: p.configSchema.properties });
    assert.ok(validate(schemaDefaults(p.configSchema)), `${p.name}: defaults match the schema`);
  }
});

test("policy/config.<stack>.json mirrors each shipped stack's policy settings", async () => {
  const { shippedPlatform } = await import("../support/render");
  for (const stack of ["local", "dev", "prod"] as const) {
    const settings = { maxCanaryWeight: 10, requireTls: true, allowPublicApiEndpoints: false, ...(shippedPlatform(stack).policy ?? {}) };
    const file = path.join(dir, `config.${stack}.json`);
    const config = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
    const effective = (policy: string, key: string, fallback: unknown) => config[policy]?.[key] ?? fallback;
    assert.equal(effective("canary-weight-limit", "maxCanaryWeight", 10), settings.maxCanaryWeight, `${stack}: maxCanaryWeight`);
    assert.equal(effective("gateway-listeners-tls", "allowPlaintextListeners", false), !settings.requireTls, `${stack}: requireTls`);
    assert.equal(effective("eks-endpoint-private", "allowPublicApiEndpoints", false), settings.allowPublicApiEndpoints, `${stack}: allowPublicApiEndpoints`);
  }
});
