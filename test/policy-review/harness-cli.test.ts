/**
 * `npm run policy` over the review harness's fixture pack and export (harness.test.ts): the CLI's
 * exit codes (0 clean, 1 on a mandatory violation, 2 for a wrong command, a bad state or config
 * file, or a policy that throws), its report and where it writes it.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadPolicyConfigFile } from "../../scripts/lib/policy-config";
import { SIG_KEY, type ExportedDeployment } from "../../scripts/lib/review-wire";
import { tempDir } from "../support/tmp";
import { runPolicyCli } from "../support/policy-cli";
import { packDir, prefix, stackExport } from "../support/review-fixture";

test("CLI: a --config pulumi preview would refuse exits 2 naming the file, the policy and the property, with no stack trace", () => {
  const dir = tempDir("review-cli-config-");
  const state = path.join(dir, "state.json");
  fs.writeFileSync(state, JSON.stringify(stackExport()));
  const config = path.join(dir, "cfg.json");
  fs.writeFileSync(config, JSON.stringify({ "stack-has-namespaces": { minimum: 1.5 } }));
  const res = runPolicyCli(["--state", state, "--config", config, "--pack", packDir, "--out", "-"]);
  assert.equal(res.status, 2, res.stdout + res.stderr);
  assert.match(res.stderr, /policy review failed: policy config .*cfg\.json is invalid for policy pack review-fixture:\n  stack-has-namespaces\.minimum: must be integer \(is 1\.5\)/);
  assert.doesNotMatch(res.stderr, /\n\s+at /, "no stack trace");
});

test("CLI: report grouped by policy, JSON written, exit 1 on a mandatory violation", () => {
  const dir = tempDir("review-cli-");
  const run = (doc: ExportedDeployment, extra: string[] = []) => {
    const state = path.join(dir, "state.json");
    fs.writeFileSync(state, JSON.stringify(doc));
    const out = path.join(dir, "policy.json");
    const res = runPolicyCli(["--state", state, "--pack", packDir, "--out", out, ...extra]);
    return { code: res.status, stdout: res.stdout, stderr: res.stderr, json: fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, "utf8")) : undefined };
  };
  const bad = run(stackExport({ tokenSecret: "plaintext", dropProvider: true }));
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stdout, /✗ mandatory explicit-provider \(1 violation\)\n\s+Kubernetes resources name an explicit provider\.\n\s+• kubernetes:core\/v1:Namespace apps\n\s+no explicit kubernetes provider/);
  assert.equal(bad.json.summary.mandatory, 1);
  // --config takes the same YAML/JSON as --policy-pack-config (parsed by loadPolicyConfigFile).
  const configFile = path.join(dir, "cfg.yaml");
  fs.writeFileSync(configFile, "explicit-provider: advisory\n");
  assert.deepEqual(loadPolicyConfigFile(configFile), { "explicit-provider": { enforcementLevel: "advisory" } });
});

test("CLI: a state file that is missing, not JSON or not an export exits 2 naming the file", () => {
  const dir = tempDir("review-cli-bad-");
  const cases: [string, string | undefined, RegExp][] = [
    ["missing.json", undefined, /missing\.json: no such file/],
    ["garbage.json", "not json", /garbage\.json: not valid JSON/],
    ["other.json", '{"a":1}', /other\.json: not a deployment export/],
    // A state backend's checkpoint (.pulumi/stacks/<project>/<stack>.json) read as an empty stack passed every policy.
    [
      "checkpoint.json",
      JSON.stringify({ version: 3, checkpoint: { stack: "organization/p/s", latest: { resources: [{ urn: `${prefix}::test:index:R::r`, type: "test:index:R" }] } } }),
      /checkpoint\.json: a state backend's checkpoint, not a deployment export: its resources are under checkpoint\.latest/,
    ],
    ["versioned.json", '{"version":3,"name":"x"}', /versioned\.json: not a deployment export: it has no "deployment" \(it holds "name"/],
    ["a-directory", undefined, /a-directory is a directory \(--state takes a deployment export/],
    ["v5.json", '{"version":5,"deployment":{"resources":[]}}', /v5\.json: deployment export version 5 is newer than this review reads \(1 to 4/],
    ["v3-string.json", '{"version":"3","deployment":{"resources":[]}}', /v3-string\.json: deployment export version "3"; the version is a number, 1 to 4/],
    ["v4-feature.json", '{"version":4,"features":["teleport"],"deployment":{"resources":[]}}', /v4-feature\.json: this deployment needs support for features the review does not know: teleport/],
    ["bad-urn.json", '{"version":3,"deployment":{"resources":[{"urn":"r1","type":"test:index:R"}]}}', /bad-urn\.json: deployment\.resources\[0\] has an invalid urn "r1"/],
    ["no-type.json", `{"version":3,"deployment":{"resources":[{"urn":"${prefix}::test:index:R::r"}]}}`, /no-type\.json: deployment\.resources\[0\] \(.*\) has no type/],
    [
      "bad-sig.json",
      JSON.stringify({ version: 3, deployment: { resources: [{ urn: `${prefix}::test:index:R::r`, type: "test:index:R", inputs: { x: { [SIG_KEY]: "deadbeef" } } }] } }),
      /test:index:R::r inputs: unrecognized signature "deadbeef"/,
    ],
  ];
  for (const [name, content, expected] of cases) {
    const file = path.join(dir, name);
    if (content !== undefined) fs.writeFileSync(file, content);
    else if (name === "a-directory") fs.mkdirSync(file);
    const res = runPolicyCli(["--state", file, "--pack", packDir]);
    assert.equal(res.status, 2, `${name}: ${res.stdout}${res.stderr}`);
    assert.match(res.stderr, expected);
  }
});

test("CLI: unknown options, a missing value or a directory as --config exit 2 with a usage line, not 1 (which means violations)", () => {
  const state = path.join(tempDir("review-cli-args-"), "empty.json");
  fs.writeFileSync(state, JSON.stringify({ version: 3, deployment: {} }));
  const cases: [string[], RegExp][] = [
    [["--bogus"], /Unknown option '--bogus'[\s\S]*usage: npm run policy/],
    [["--state"], /--state[\s\S]*usage:/],
    [["--state", state, "extra"], /Unexpected argument 'extra'/],
    [["--state", state, "--config", path.dirname(state)], /is a directory, not a file/],
    // An empty value (an unset shell variable) was read as no --config: the pack's defaults applied.
    [["--state", state, "--config", ""], /option '--config' needs a value, got an empty string[\s\S]*usage: npm run policy/],
  ];
  for (const [args, expected] of cases) {
    const res = runPolicyCli([...args, "--pack", packDir]);
    assert.equal(res.status, 2, `${args.join(" ")}: ${res.stdout}${res.stderr}`);
    assert.match(res.stderr, expected);
    assert.doesNotMatch(res.stderr, /\n\s+at /, "no stack trace");
  }
});

test("CLI: an empty stack's export (no resources key, as `pulumi stack export` writes it) reviews clean", () => {
  const file = path.join(tempDir("review-cli-empty-"), "empty.json");
  fs.writeFileSync(file, JSON.stringify({ version: 3, deployment: { manifest: { time: "2026-01-01T00:00:00Z", magic: "x", version: "v3.249.0" }, secrets_providers: { type: "passphrase" } } }));
  const res = runPolicyCli(["--state", file, "--pack", packDir, "--json"]);
  assert.equal(res.status, 0, res.stderr);
  assert.equal(JSON.parse(res.stdout).summary.resources, 0);
  // Without --out the JSON report lands beside the state file.
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(path.dirname(file), "policy.json"), "utf8")), JSON.parse(res.stdout));
});

test("CLI: a policy that throws stops the review (exit 2) naming the policy, the resource and where it threw, as pulumi preview fails with 'failed to run policy'", () => {
  const doc = stackExport({ tokenSecret: "plaintext" });
  const ns = doc.deployment.resources!.find((r) => r.type === "kubernetes:core/v1:Namespace" && !r.delete)!;
  for (const side of [ns.inputs, ns.outputs] as any[]) side.metadata.annotations = { "fixture.example.com/owner": 7 };
  const dir = tempDir("review-throw-");
  const state = path.join(dir, "state.json");
  fs.writeFileSync(state, JSON.stringify(doc));
  const res = runPolicyCli(["--state", state, "--pack", packDir, "--out", "-"]);
  assert.equal(res.status, 2, res.stdout + res.stderr);
  assert.match(
    res.stderr,
    /policy review failed: policy 'namespace-owner-format' \(pack review-fixture@v0\.0\.7\) threw while judging kubernetes:core\/v1:Namespace apps \(urn:pulumi:staging::shop::kubernetes:core\/v1:Namespace::apps\): TypeError: owner\.includes is not a function \(at test\/policy-review\/fixture-pack\/policies\.ts:\d+\)\. pulumi preview stops the same way/,
  );
  assert.doesNotMatch(res.stderr, /\n\s+at /, "no stack trace");
});
