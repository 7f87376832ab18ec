/**
 * The offline review harness against a small fixture pack (test/policy-review/fixture-pack): the
 * engine protocol parts that the platform pack relies on — schema defaults sent by Configure,
 * overrides and `all`, secrets from `pulumi stack export` files, providers, stack policies — and
 * config files read as the CLI reads them. One pack process serves every review of this file; the
 * CLI's exit codes over the same fixture are in harness-cli.test.ts.
 */
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { reviewWithPack, startPack, PolicyReport } from "../../scripts/lib/review";
import { parsePolicyConfig, reconcilePolicyConfig, loadPolicyConfigFile, mergePolicyConfig, policyConfigDocument, policyConfigFromStack, undeclaredPolicyProperties, unknownPolicyNames } from "../../scripts/lib/policy-config";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { RequestBuilder, UNKNOWN, SIG_KEY, SECRET_SIG } from "../../scripts/lib/review-wire";
import type { PolicyPackProcess } from "../../scripts/lib/policy-pack";
import { tempDir } from "../support/tmp";
import { packDir, prefix, stackExport } from "../support/review-fixture";

let pack: PolicyPackProcess;
before(async () => {
  pack = await startPack(stackExport(), { packDir });
});
after(() => pack?.close());

const policy = (r: PolicyReport, name: string) => r.policies.find((p) => p.name === name)!;

test("a clean export with --show-secrets plaintext passes; secrets reach policies unwrapped", async () => {
  const r = await reviewWithPack(pack, stackExport({ tokenSecret: "plaintext" }));
  assert.equal(r.stack, "staging");
  assert.equal(r.project, "shop");
  assert.deepEqual(r.policyPack, { name: "review-fixture", version: "0.0.7" });
  assert.equal(r.summary.resources, 4, "the resource pending delete is skipped; Stack and provider are analyzed");
  assert.deepEqual(r.violations, []);
  // Every policy of the fixture pack, each judged and passed (an empty list would pass `every`).
  assert.deepEqual(r.policies.map((p) => [p.name, p.verdict]), [
    ["explicit-provider", "pass"],
    ["namespace-label-required", "pass"],
    ["namespace-owner-format", "pass"],
    ["secret-token-length", "pass"],
    ["stack-has-namespaces", "pass"],
  ]);
  assert.equal(r.summary.undecryptableSecrets, 1, "only the provider's encrypted kubeconfig");
});

test("encrypted secrets arrive as unknowns: a policy reading one is reported as can't-run, advisory", async () => {
  const r = await reviewWithPack(pack, stackExport({ tokenSecret: "ciphertext" }));
  const v = r.violations.filter((x) => x.policy === "secret-token-length");
  assert.equal(v.length, 1);
  assert.equal(v[0].enforcementLevel, "advisory");
  assert.match(v[0].message, /can't run policy 'secret-token-length'.*during preview/);
  assert.equal(r.summary.mandatory, 0);
});

test("schema defaults are configured (label default) and a dropped provider fails mandatory", async () => {
  const r = await reviewWithPack(pack, stackExport({ tokenSecret: "plaintext", unlabelled: true, dropProvider: true }));
  assert.equal(r.summary.mandatory, 2);
  assert.deepEqual(
    r.violations.map((v) => [v.policy, v.enforcementLevel, v.type]),
    [
      ["explicit-provider", "mandatory", "kubernetes:core/v1:Namespace"],
      ["namespace-label-required", "mandatory", "kubernetes:core/v1:Namespace"],
    ],
  );
  assert.match(r.violations[1].message, /lacks label app\.kubernetes\.io\/part-of/);
  assert.equal(policy(r, "explicit-provider").verdict, "fail");
});

test("overrides: properties, per-policy levels and `all`, as --policy-pack-config takes them", async () => {
  const config = parsePolicyConfig({ all: "advisory", "stack-has-namespaces": { minimum: 3, enforcementLevel: "mandatory" }, "explicit-provider": "disabled" });
  const r = await reviewWithPack(pack, stackExport({ tokenSecret: "plaintext", unlabelled: true, dropProvider: true }), { config });
  assert.equal(policy(r, "explicit-provider").verdict, "disabled");
  assert.equal(policy(r, "namespace-label-required").verdict, "warn");
  assert.equal(policy(r, "stack-has-namespaces").verdict, "fail");
  assert.match(r.violations.find((v) => v.policy === "stack-has-namespaces")!.message, /only 1 namespaces/);
});

test("config is validated against each policy's schema; names the pack lacks are ignored, as the engine does, and noted", async () => {
  const info = await pack.info();
  assert.throws(() => reconcilePolicyConfig(info, parsePolicyConfig({ "stack-has-namespaces": { minimum: -1 } })), /stack-has-namespaces.minimum: must be >= 0/);
  // pulumi preview configures the pack with them and the SDK ignores them (a misspelt name leaves its policy at its defaults).
  const typo = parsePolicyConfig({ "no-such-policy": "mandatory", environments: ["org/policy-env"] });
  assert.doesNotThrow(() => reconcilePolicyConfig(info, typo));
  assert.match(unknownPolicyNames(info, typo)!, /does not have, which pulumi preview ignores as this review does: no-such-policy \(its policies: /);
  assert.equal(unknownPolicyNames(info, parsePolicyConfig({ all: "advisory" })), undefined);
  const r = await reviewWithPack(pack, stackExport({ tokenSecret: "plaintext" }), { config: typo });
  assert.deepEqual(r.notes, [unknownPolicyNames(info, typo)]);
  assert.equal(r.summary.mandatory, 0);
  // So are properties a policy's schema does not declare (the engine's schema allows any): a misspelt knob is the default.
  const knobs = parsePolicyConfig({ "stack-has-namespaces": { minimun: 3 }, "explicit-provider": { enforcementLevel: "mandatory", strict: true } });
  assert.equal((await reviewWithPack(pack, stackExport({ tokenSecret: "plaintext" }), { config: knobs })).notes?.[0], undeclaredPolicyProperties(info, knobs));
  assert.match(undeclaredPolicyProperties(info, knobs)!, /the policies ignore, as this review does \(each such policy keeps its defaults\): .*stack-has-namespaces\.minimun \(did you mean minimum\?\)/);
  assert.match(undeclaredPolicyProperties(info, knobs)!, /explicit-provider\.strict \(it takes no properties\)/);
  assert.match(undeclaredPolicyProperties(info, parsePolicyConfig({ "explicit-provider": { EnforcementLevel: "advisory" } }))!, /explicit-provider\.EnforcementLevel \(did you mean enforcementLevel\?\)/);
  assert.equal(undeclaredPolicyProperties(info, parsePolicyConfig({ "stack-has-namespaces": { minimum: 3 } })), undefined);
  // The engine takes `environments` (ESC) out of the file, and requires it to be a list of names.
  assert.throws(() => parsePolicyConfig({ environments: "org/env" }), /"environments" must be a list of ESC environment names/);
  assert.throws(() => parsePolicyConfig({ x: "fatal" }), /not a valid enforcement level/);
  assert.deepEqual(reconcilePolicyConfig(info)["secret-token-length"], { enforcementLevel: "advisory", properties: { minLength: 8 } });
});

test("config files are read as pulumi preview --policy-pack-config reads them (Go's encoding/json), entries it cannot configure are refused naming the file", async () => {
  const info = await pack.info();
  const dir = tempDir("review-config-file-");
  const file = (name: string, content: string) => {
    fs.writeFileSync(path.join(dir, name), content);
    return path.join(dir, name);
  };
  // A repeated key keeps its last value, as Go decodes it into a map (js-yaml refused it).
  assert.deepEqual(loadPolicyConfigFile(file("dup.json", '{"explicit-provider":"disabled","explicit-provider":"advisory"}')), { "explicit-provider": { enforcementLevel: "advisory" } });
  // Blanks (Go's TrimSpace: NO-BREAK SPACE too) are no config.
  assert.deepEqual(loadPolicyConfigFile(file("blank.json", "\u00a0\n")), {});
  // What JSON.parse or YAML take and Go's decoder refuses.
  assert.throws(() => loadPolicyConfigFile(file("comma.json", '{"all":"advisory",}')), /policy config .*comma\.json is not valid JSON \(line 1, column 19\): .*reads JSON only/);
  // Where V8's message has no position (a value expected: a comment after ':', a bare word), the line and column are found all the same.
  assert.throws(() => loadPolicyConfigFile(file("comment.json", '{\n  "all": // every policy\n    "advisory"\n}')), /comment\.json is not valid JSON \(line 2, column 10\): Unexpected token '\/'/);
  assert.throws(() => loadPolicyConfigFile(file("word.json", '{"all": "advisory", "x": [1, tru]}')), /word\.json is not valid JSON \(line 1, column 33\): Unexpected token '\]'/);
  assert.throws(() => loadPolicyConfigFile(file("cut.json", '{"all":\n"advisory"')), /cut\.json is not valid JSON \(line 2, column 11\)/);
  assert.throws(() => loadPolicyConfigFile(file("bom.json", '\ufeff{"all":"advisory"}')), /bom\.json starts with a byte-order mark/);
  assert.throws(() => loadPolicyConfigFile(file("big.json", '{"stack-has-namespaces":{"x":1e400}}')), /big\.json has a number beyond a float64's range at "x"/);
  assert.throws(() => loadPolicyConfigFile(file("yaml.json", "all: advisory\n")), /yaml\.json is not valid JSON/);
  // YAML only from a .yaml/.yml file (offline only; the render writes the JSON for the CLI).
  assert.deepEqual(loadPolicyConfigFile(file("cfg.yaml", "all: advisory\n")), { all: { enforcementLevel: "advisory" } });
  // Every malformed entry at once.
  assert.throws(() => loadPolicyConfigFile(file("two.json", '{"a":"fatal","b":1}')), /two\.json:\n  a: "fatal" is not a valid enforcement level \(advisory, mandatory, remediate, disabled\)\n  b: 1 is neither an enforcement level/);
  // Properties with no level under `all` or a name the pack lacks: applyConfig leaves the entry
  // without a level, and the analyzer plugin's Configure refuses it ('invalid enforcement level ""').
  const configure = (doc: unknown) => reconcilePolicyConfig(info, parsePolicyConfig(doc), "policy config cfg.json");
  assert.throws(() => configure({ all: { minimum: 3 } }), /policy config cfg\.json is invalid for policy pack review-fixture:\n  all: sets minimum but no enforcementLevel, so pulumi preview refuses the config/);
  assert.throws(() => configure({ "stack-has-namespace": { minimum: 3 } }), /stack-has-namespace: the pack review-fixture has no policy of that name, .*did you mean stack-has-namespaces\?/);
  assert.throws(() => configure(JSON.parse('{"__proto__":{"x":1}}')), /__proto__: the pack review-fixture has no policy of that name/);
  assert.doesNotThrow(() => configure({ all: { enforcementLevel: "advisory", minimum: 3 }, "no-such": { enforcementLevel: "advisory", x: 1 }, constructor: "disabled" }));
  // Schema errors name the policy, the property, the rule and the value.
  assert.throws(() => configure({ "stack-has-namespaces": { minimum: -1 }, "secret-token-length": { minLength: "8" } }), /\n  secret-token-length\.minLength: must be number \(is "8"\)\n  stack-has-namespaces\.minimum: must be >= 0 \(is -1\)/);
});

test("wire form: internal keys dropped, plaintext secrets decoded, ciphertext unknown", () => {
  const inputs = { a: 1, __inputs: {}, s: { [SIG_KEY]: SECRET_SIG, plaintext: '"x"' }, c: { [SIG_KEY]: SECRET_SIG, ciphertext: "v1:x" } };
  const builder = new RequestBuilder({ version: 3, deployment: { resources: [{ urn: `${prefix}::test:index:R::r`, type: "test:index:R", inputs }] } });
  const wired = pb.AnalyzeRequest.deserializeBinary(builder.analyzeRequest(builder.resources[0])).getProperties()!.toJavaScript();
  assert.deepEqual(wired, { a: 1, s: { [SIG_KEY]: SECRET_SIG, value: "x" }, c: { [SIG_KEY]: SECRET_SIG, value: UNKNOWN } });
  assert.equal(builder.stats.undecryptableSecrets, 1);
});

test("a stack's policy settings become pack config; a config file overrides them per policy", () => {
  const derived = policyConfigFromStack({ maxCanaryWeight: 20, requireTls: false, allowPublicApiEndpoints: true });
  const merged = mergePolicyConfig(derived, parsePolicyConfig({ "canary-weight-limit": { enforcementLevel: "advisory", canaryHeader: "x-preview" }, "eks-endpoint-private": { allowPublicApiEndpoints: false } }));
  assert.deepEqual(policyConfigDocument(merged), {
    "canary-weight-limit": { enforcementLevel: "advisory", maxCanaryWeight: 20, canaryHeader: "x-preview" },
    "canary-weight-across-routes": { maxCanaryWeight: 20 },
    "gateway-listeners-tls": { allowPlaintextListeners: true },
    "eks-endpoint-private": { allowPublicApiEndpoints: false },
  });
});

test("a stack that configures no JWT for its agent gateway tells agent-call-graph not to require one; otherwise the pack's default (required) stands", () => {
  const base = { maxCanaryWeight: 10, requireTls: true, allowPublicApiEndpoints: false };
  assert.deepEqual(policyConfigDocument(policyConfigFromStack({ ...base, requireAgentJwt: false }))["agent-call-graph"], { requireAgentJwt: false });
  assert.equal(policyConfigDocument(policyConfigFromStack({ ...base, requireAgentJwt: true }))["agent-call-graph"], undefined);
});
