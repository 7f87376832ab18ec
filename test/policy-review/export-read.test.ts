/**
 * `pulumi stack export` files read as the Pulumi CLI reads them (pkg/resource/stack/deployment.go):
 * deployment versions 1 to 4, empty deployments, NaN/infinite numbers, resource state fields of
 * the types apitype.ResourceV3 decodes; the CLI's exit codes on such files over the fixture pack.
 * How the engine judges what they hold is sweep.test.ts's.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { tempDir } from "../support/tmp";
import { prodExport, jsonWriter } from "../support/export-files";
import { runPolicyCli } from "../support/policy-cli";
import { packDir } from "../support/review-fixture";
import { readDeploymentFile } from "../../scripts/lib/review";
import { RequestBuilder, SIG_KEY, FLOAT_SIG, type ExportedDeployment, type ExportedResource } from "../../scripts/lib/review-wire";

const write = jsonWriter(tempDir("review-export-read-"));
const prod = prodExport;

test("a version 4 export (as the CLI writes it once a resource is tainted or has hooks) is read as version 3; unknown features are refused", () => {
  const doc = prod() as ExportedDeployment & { features?: string[] };
  doc.version = 4;
  doc.features = ["hooks", "taint"];
  Object.assign(doc.deployment.resources![3], { taint: true });
  const read = readDeploymentFile(write("v4.json", doc));
  assert.equal(read.version, 3);
  assert.equal(read.deployment.resources!.length, doc.deployment.resources!.length);
  assert.throws(() => readDeploymentFile(write("v4-new.json", { ...doc, features: ["taint", "warp"] })), /needs support for features the review does not know: warp/);
  assert.throws(() => readDeploymentFile(write("v5.json", { ...doc, version: 5 })), /version 5 is newer than this review reads/);
});

test("versions 1 and 2 are migrated as the CLI migrates them: only their fields, property dependencies on every dependency", () => {
  const urn = "urn:pulumi:old::shop::kubernetes:core/v1:Namespace::apps";
  const prov = "urn:pulumi:old::shop::pulumi:providers:kubernetes::k8s";
  const resource = { urn, custom: true, id: "apps", type: "kubernetes:core/v1:Namespace", inputs: { metadata: { name: "apps" } }, outputs: { metadata: { name: "apps" } }, dependencies: [prov], provider: `${prov}::id`, additionalSecretOutputs: ["x"], external: true };
  // The provider it references comes first, as the CLI's snapshot integrity check requires.
  const provider = { urn: prov, custom: true, id: "id", type: "pulumi:providers:kubernetes" };
  const v2 = readDeploymentFile(write("v2.json", { version: 2, deployment: { resources: [provider, resource] } })).deployment.resources![1];
  const { additionalSecretOutputs: _notInV2, ...v2Fields } = resource;
  assert.deepEqual(v2, { ...v2Fields, propertyDependencies: { metadata: [prov] } }, "v2 has no additionalSecretOutputs");
  const v1 = readDeploymentFile(write("v1.json", { version: 1, deployment: { resources: [provider, { ...resource, defaults: { a: 1 } }] } })).deployment.resources![1] as ExportedResource;
  assert.equal(v1.provider, undefined, "version 1 had no provider references");
  assert.equal(v1.external, undefined);
  assert.equal((v1 as unknown as Record<string, unknown>).defaults, undefined);
});

test("an empty deployment (null or absent, as a never-updated stack exports) and null inputs read as empty", () => {
  for (const [name, doc] of [["null.json", { version: 3, deployment: null }], ["absent.json", { version: 3 }], ["nullres.json", { version: 3, deployment: { resources: null } }]] as const) {
    assert.deepEqual(readDeploymentFile(write(name, doc)).deployment.resources, [], name);
  }
  const r = readDeploymentFile(write("nullinputs.json", { version: 3, deployment: { resources: [{ urn: "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s", type: "pulumi:pulumi:Stack", inputs: null, outputs: null }] } }));
  assert.equal(r.deployment.resources![0].inputs, undefined);
  assert.throws(() => readDeploymentFile(write("noexport.json", { a: 1 })), /not a deployment export/);
});

test("CLI: a version 4 export and a null deployment review with exit 0", () => {
  const v4 = write("cli-v4.json", { version: 4, features: ["taint"], deployment: { resources: [{ urn: "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s", custom: false, type: "pulumi:pulumi:Stack", taint: true }] } });
  const empty = write("cli-null.json", { version: 3, deployment: null });
  for (const file of [v4, empty]) {
    const res = runPolicyCli(["--state", file, "--pack", packDir, "--out", "-"]);
    assert.equal(res.status, 0, `${file}: ${res.stdout}${res.stderr}`);
  }
});

test("CLI: a report --out on a file system that takes no directories (/proc) is named, not waited on forever", { skip: !fs.existsSync("/proc/self") && "no /proc here" }, () => {
  const empty = write("cli-proc.json", { version: 3, deployment: null });
  const res = runPolicyCli(["--state", empty, "--pack", packDir, "--out", "/proc/inference-mesh/r.json"], { timeout: 60_000 });
  // The verdict stands without the file (exit 0 here); the write failure is said.
  assert.equal(res.status, 0, `${res.stdout}${res.stderr}`);
  assert.match(res.stderr, /policy report not written to \/proc\/inference-mesh\/r\.json/);
});

test("NaN and infinite numbers (state's float signature) reach the pack as numbers, not as an unknown signature", () => {
  const hex = (n: number) => { const b = Buffer.alloc(8); b.writeDoubleBE(n); return b.toString("hex"); };
  const builder = new RequestBuilder({ version: 3, deployment: { resources: [{ urn: "urn:pulumi:s::p::test:index:R::r", type: "test:index:R", inputs: { a: { [SIG_KEY]: FLOAT_SIG, value: hex(Infinity) }, b: [{ [SIG_KEY]: FLOAT_SIG, value: hex(NaN) }] } }] } });
  const props = pb.AnalyzeRequest.deserializeBinary(builder.analyzeRequest(builder.resources[0])).getProperties()!.toJavaScript() as { a: number; b: number[] };
  assert.equal(props.a, Infinity);
  assert.ok(Number.isNaN(props.b[0]));
});
test("a resource state field of another type than the CLI decodes (apitype.ResourceV3) is refused naming the file, resource and field; null is unset, as Go reads it", () => {
  const urn = "urn:pulumi:s::p::kubernetes:core/v1:Namespace::apps";
  const resource = (extra: Record<string, unknown>) => ({ version: 3, deployment: { resources: [{ urn, custom: true, type: "kubernetes:core/v1:Namespace", inputs: { metadata: { name: "apps" } }, ...extra }] } });
  for (const [field, value, expected] of [
    ["delete", "false", "true or false"],
    ["external", "true", "true or false"],
    ["provider", 42, "a string"],
    ["parent", { urn }, "a string"],
    ["dependencies", [null], "a list of strings"],
    ["ignoreChanges", "spec", "a list of strings"],
    ["propertyDependencies", { metadata: "x" }, "an object whose values are lists of URNs"],
    ["customTimeouts", "10m", "an object of numbers"],
  ] as const) {
    const file = write(`field-${field}.json`, resource({ [field]: value }));
    assert.throws(
      () => readDeploymentFile(file),
      (err: Error) => err.message.startsWith(`${file}: deployment.resources[0] (${urn}) ${field} is ${JSON.stringify(value)}, not ${expected}`),
      field,
    );
  }
  const nulls = readDeploymentFile(write("field-nulls.json", resource({ delete: null, provider: null, dependencies: null, propertyDependencies: { metadata: null } }))).deployment.resources![0];
  assert.equal(nulls.delete, undefined);
  assert.equal(nulls.provider, undefined);
  assert.deepEqual(nulls.propertyDependencies, {});
});
