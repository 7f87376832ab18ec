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

test("every policy of the pack judges a value it cannot read instead of throwing (which fails pulumi preview): a violation on the resource it was reading", async () => {
  const { runResource, runStack, stackResource, k8sProvider, UNKNOWN } = await import("../support/policy");
  const byName = (name: string) => policies.find((p) => p.name === name)!;
  const AP = "kubernetes:security.istio.io/v1:AuthorizationPolicy";
  const ap = (rules: unknown[]) => ({ type: AP, name: "a-tools-ap", props: { metadata: { name: "calc", namespace: "tools" }, spec: { selector: { matchLabels: { app: "calc" } }, rules } } });
  // A number where Kubernetes has a container's image (a string): the resource policy reports it, naming where it failed.
  const deployment = { type: "kubernetes:apps/v1:Deployment", name: "a-tools-calc", props: { metadata: { name: "calc", namespace: "tools" }, spec: { template: { spec: { containers: [{ name: "calc", image: 7 }] } } } } };
  const images = await runResource(byName("images-pinned") as any, deployment);
  assert.equal(images.violations.length, 1);
  assert.match(images.violations[0].message, /^kubernetes:apps\/v1:Deployment a-tools-calc could not be judged by images-pinned: reading it failed with TypeError: .*\(at rules\/images-pinned\.ts:\d+\); a value has a type or shape this policy does not read/);
  // A stack policy reports on the resource it was reading, and its verdicts before that stand.
  const provider = stackResource({ type: "pulumi:providers:kubernetes", name: "a-k8s", urn: k8sProvider("a").urn, props: {}, provider: null });
  const good = stackResource({ ...ap([{ from: [{ source: { principals: ["*"] } }] }]), name: "open", urn: "urn:pulumi:test::inference-mesh::x::open", provider: k8sProvider("a") });
  const bad = stackResource({ ...ap([null]), name: "broken", urn: "urn:pulumi:test::inference-mesh::x::broken", provider: k8sProvider("a") });
  const sources = await runStack(byName("authorization-sources-restricted") as any, [provider, good, bad]);
  assert.equal(sources.violations.length, 2, JSON.stringify(sources.violations));
  assert.match(sources.violations[0].message, /rule 0 from 0: principals "\*" matches every caller/);
  assert.equal(sources.violations[1].urn, "urn:pulumi:test::inference-mesh::x::broken");
  assert.match(sources.violations[1].message, /^authorization-sources-restricted could not finish judging the stack: it failed while reading kubernetes:security\.istio\.io\/v1:AuthorizationPolicy broken with TypeError/);
  // The SDK's own errors still reach its server: an unknown value is "can't run during preview".
  const unknown = await runResource(byName("peer-authentication-strict") as any, { type: "kubernetes:security.istio.io/v1:PeerAuthentication", props: { metadata: { name: "default", namespace: "istio-system" }, spec: { mtls: { mode: UNKNOWN } } } });
  assert.deepEqual(unknown.violations, []);
  assert.equal(unknown.unknown.length, 1);
});
