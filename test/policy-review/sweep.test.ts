/**
 * `npm run policy` on what real `pulumi stack export` files and `--policy-pack-config` files hold
 * beyond our renders, judged as the Pulumi engine judges them (pkg/resource/deploy/step_generator.go)
 * on the real pack and the prod render: resources read with `.get()` and views, remediations at
 * level `remediate`, config naming policies the pack lacks, malformed values, passphrase-encrypted
 * secrets, pending operations. How such files are read (versions 1 to 4, empty deployments,
 * NaN/infinite numbers, state field types) is export-read.test.ts's.
 */
import { test, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { renderShipped } from "../support/render";
import { tempDir } from "../support/tmp";
import { prodExport, jsonWriter } from "../support/export-files";
import { runPolicyCli } from "../support/policy-cli";
import { readDeploymentFile, reviewWithPack, startPack, PolicyReport } from "../../scripts/lib/review";
import { parsePolicyConfig } from "../../scripts/lib/policy-config";
import { RequestBuilder, SIG_KEY, SECRET_SIG, type ExportedDeployment, type ExportedResource } from "../../scripts/lib/review-wire";
import { encryptValue } from "../../scripts/lib/export-secrets";
import type { PolicyPackProcess } from "../../scripts/lib/policy-pack";

const dir = tempDir("review-sweep-");
const write = jsonWriter(dir);
const prod = prodExport;
/** The prod stack's own policy settings, as its render wrote them. */
const config = () => parsePolicyConfig(JSON.parse(renderShipped("prod").file("policy-config.json")));
const find = (doc: ExportedDeployment, name: string) => doc.deployment.resources!.find((r) => r.urn.endsWith(`::${name}`))!;
const mandatory = (r: PolicyReport) => r.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policy}: ${v.urn.split("::").pop()}`);

let packPromise: Promise<PolicyPackProcess> | undefined;
const pack = () => (packPromise ??= startPack(prod()));
after(async () => (await packPromise?.catch(() => undefined))?.close());

test("a resource read with .get() (external) is judged by no policy, as in a preview: no Analyze (read steps run none), no AnalyzeStack (the engine keeps reads out of the registered resources it sends)", async () => {
  const doc = prod();
  const prefix = doc.deployment.resources![0].urn.split("::").slice(0, 2).join("::");
  const read: ExportedResource = {
    urn: `${prefix}::kubernetes:core/v1:Namespace::kube-system`, custom: true, id: "kube-system", type: "kubernetes:core/v1:Namespace",
    external: true, inputs: {}, outputs: { apiVersion: "v1", kind: "Namespace", metadata: { name: "kube-system", uid: "0c1f" } },
  };
  // An AuthorizationPolicy already in the cluster, read on the cluster's provider: its ALLOW rule
  // is open to everyone, which the stack policies would report if they were handed it.
  const provider = find(doc, "aws-use1-k8s");
  const open: ExportedResource = {
    urn: `${prefix}::kubernetes:security.istio.io/v1:AuthorizationPolicy::legacy-allow`, custom: true, id: "agents/legacy-allow",
    type: "kubernetes:security.istio.io/v1:AuthorizationPolicy", external: true, provider: `${provider.urn}::${provider.id}`, inputs: {},
    outputs: { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "legacy-allow", namespace: "agents", uid: "9a1e" }, spec: { action: "ALLOW", rules: [{}] } },
  };
  doc.deployment.resources!.push(read, open);
  const builder = new RequestBuilder(doc);
  assert.ok(!builder.resources.includes(read) && !builder.resources.includes(open));
  const clean = await reviewWithPack(await pack(), doc, { config: config() });
  assert.deepEqual(mandatory(clean), []);
  assert.equal(clean.summary.resources, doc.deployment.resources!.length - 2);
  // The same objects registered by the program are judged: the Namespace on no provider, the open rule by the stack policies.
  delete read.external;
  delete open.external;
  const registered = await reviewWithPack(await pack(), doc, { config: config() });
  assert.deepEqual(mandatory(registered).sort(), ["agent-call-graph: legacy-allow", "authorization-sources-restricted: legacy-allow", "explicit-kubernetes-provider: kube-system"]);
});

test("a view (viewOf, version 4) is judged as the engine judges it: by no resource policy (it is not a registration), by the stack policies (its state is among the stack's)", async () => {
  const doc = prod() as ExportedDeployment & { features?: string[] };
  doc.version = 4;
  doc.features = ["views"];
  const prefix = doc.deployment.resources![0].urn.split("::").slice(0, 2).join("::");
  const owner = find(doc, "aws-use1-k8s");
  // Pulumi 3.248.0 resource_status.go: a view is not custom, has no provider, and its parent is what it is a view of.
  const view = (type: string, name: string, outputs: Record<string, unknown>): ExportedResource =>
    ({ urn: `${prefix}::${owner.type}$${type}::${name}`, custom: false, type, parent: owner.urn, viewOf: owner.urn, inputs: outputs, outputs }) as ExportedResource;
  const ns = view("kubernetes:core/v1:Namespace", "view-ns", { apiVersion: "v1", kind: "Namespace", metadata: { name: "view-ns" } });
  doc.deployment.resources!.push(ns);
  const builder = new RequestBuilder(readDeploymentFile(write("views.json", doc)));
  assert.ok(builder.resources.some((r) => r.urn === ns.urn) && !builder.registered.some((r) => r.urn === ns.urn), "in AnalyzeStack, not in Analyze");
  const report = await reviewWithPack(await pack(), doc, { config: config() });
  assert.deepEqual(mandatory(report), [], "explicit-kubernetes-provider, a resource policy, is not handed the view");
  assert.equal(report.policies.find((p) => p.name === "explicit-kubernetes-provider")!.evaluated <= builder.registered.length, true);
  // Registered by the program instead, the same Namespace on no provider fails it.
  const registered = { ...ns, custom: true };
  delete (registered as Partial<ExportedResource>).viewOf;
  doc.deployment.resources![doc.deployment.resources!.length - 1] = registered;
  assert.deepEqual(mandatory(await reviewWithPack(await pack(), doc, { config: config() })), ["explicit-kubernetes-provider: view-ns"]);
});

test("at level remediate the review applies the fix before judging, as pulumi preview does; mandatory still fails", async () => {
  const doc = prod();
  const pa = find(doc, "aws-use1-istio-system-peerauthentication-default");
  for (const side of [pa.inputs, pa.outputs] as any[]) side.spec.mtls.mode = "PERMISSIVE";
  const failing = await reviewWithPack(await pack(), doc, { config: config() });
  assert.deepEqual(mandatory(failing).sort(), ["mesh-mtls-strict: aws-use1-istio-system-peerauthentication-default", "peer-authentication-strict: aws-use1-istio-system-peerauthentication-default"]);
  const remediated = await reviewWithPack(await pack(), doc, { config: { ...config(), ...parsePolicyConfig({ "peer-authentication-strict": "remediate" }) } });
  assert.deepEqual(mandatory(remediated), [], "the remediated inputs (and the outputs deployed from them) are STRICT");
  assert.deepEqual(remediated.remediations?.map((r) => `${r.policy}: ${r.urn.split("::").pop()}`), ["peer-authentication-strict: aws-use1-istio-system-peerauthentication-default"]);
  assert.equal(remediated.policies.find((p) => p.name === "peer-authentication-strict")!.verdict, "pass");
});

test("at level remediate a resource whose state holds ciphertext is remediated around it, and the ciphertext still counts as encrypted", async () => {
  const doc = prod();
  const pa = find(doc, "aws-use1-istio-system-peerauthentication-default");
  for (const side of [pa.inputs, pa.outputs] as any[]) {
    side.spec.mtls.mode = "PERMISSIVE";
    side.metadata.labels = { [SIG_KEY]: SECRET_SIG, ciphertext: "v1:AAAA:BBBB" };
  }
  const plain = await reviewWithPack(await pack(), doc, { config: config() });
  const remediated = await reviewWithPack(await pack(), doc, { config: { ...config(), ...parsePolicyConfig({ "peer-authentication-strict": "remediate" }) } });
  // Before: the remediation stopped at the labels it cannot read ("can't run remediation"), so the mode stayed PERMISSIVE.
  assert.deepEqual(mandatory(remediated), []);
  assert.equal(remediated.remediations?.length, 1);
  // Before: the remediated copy no longer counted the labels among the encrypted values.
  assert.equal(remediated.summary.undecryptableSecrets, plain.summary.undecryptableSecrets);
});

test("at level remediate a violation no remediation can fix is not reported remediated: sensitive-values-secret needs additionalSecretOutputs, a resource option", async () => {
  const doc = prod();
  const k8s = find(doc, "gcp-usc1-k8s");
  // A program passing the kubeconfig as a plain string, and declaring nothing secret.
  (k8s.inputs as any).kubeconfig = (k8s.outputs as any).kubeconfig = "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: s3cr3t\n";
  delete k8s.additionalSecretOutputs;
  const r = await reviewWithPack(await pack(), doc, { config: { ...config(), ...parsePolicyConfig({ "sensitive-values-secret": "remediate" }) } });
  // Before: the report listed the provider remediated (its input wrapped as a secret) beside the same violation.
  assert.equal(r.remediations, undefined);
  assert.deepEqual(mandatory(r), ["sensitive-values-secret: gcp-usc1-k8s"]);
});

test("a --config naming a policy the pack lacks: with a level it is ignored and noted, as pulumi preview ignores it; with properties and no level it is refused, as the engine's Configure refuses it", async () => {
  const doc = prod();
  for (const b of (find(doc, "aws-use1-inference-httproute-llama-3-1-8b").inputs as any).spec.rules[1].backendRefs) b.weight = 50;
  const typo = { ...config(), ...parsePolicyConfig({ "canary-weight-limt": { enforcementLevel: "advisory", maxCanaryWeight: 60 } }) };
  const r = await reviewWithPack(await pack(), doc, { config: typo });
  assert.ok(mandatory(r).includes("canary-weight-limit: aws-use1-inference-httproute-llama-3-1-8b"), "the misspelt setting changes nothing");
  assert.match(r.notes?.[0] ?? "", /does not have, which pulumi preview ignores as this review does: canary-weight-limt/);
  // pkg/engine applyConfig adds it with no level; pkg/resource/plugin analyzer Configure then fails the preview.
  const levelless = { ...config(), ...parsePolicyConfig({ "canary-weight-limt": { maxCanaryWeight: 60 } }) };
  await assert.rejects(
    reviewWithPack(await pack(), doc, { config: levelless, configSource: "policy config typo.json" }),
    /^Error: policy config typo\.json is invalid for policy pack inference-mesh:\n  canary-weight-limt: the pack inference-mesh has no policy of that name, and with properties \(maxCanaryWeight\) but no enforcementLevel pulumi preview refuses the config \(configuring the pack: invalid enforcement level ""\); did you mean canary-weight-limit\?$/,
  );
});

test("a malformed value in a hand-edited state (a null principal, a null rule, a numeric image) is a violation on its resource, and the other policies still judge: no policy throws and stops the review", async () => {
  const doc = prod();
  const pa = find(doc, "aws-use1-istio-system-peerauthentication-default");
  for (const side of [pa.inputs, pa.outputs] as any[]) side.spec.mtls.mode = "PERMISSIVE";
  const epp = find(doc, "aws-use1-inference-authorizationpolicy-llama-3-1-8b-v1-epp");
  for (const side of [epp.inputs, epp.outputs] as any[]) side.spec.rules[0] = null;
  const agent = find(doc, "aws-use1-agents-authorizationpolicy-research-agent-v1");
  for (const side of [agent.inputs, agent.outputs] as any[]) side.spec.rules[0].from[0].source.principals[0] = null;
  const server = find(doc, "aws-use1-inference-deployment-llama-3-1-8b-v1");
  for (const side of [server.inputs, server.outputs] as any[]) side.spec.template.spec.containers[0].image = 7;
  const r = await reviewWithPack(await pack(), doc, { config: config() });
  const found = mandatory(r);
  for (const expected of [
    "mesh-mtls-strict: aws-use1-istio-system-peerauthentication-default",
    "peer-authentication-strict: aws-use1-istio-system-peerauthentication-default",
    "authorization-sources-restricted: aws-use1-inference-authorizationpolicy-llama-3-1-8b-v1-epp",
    // A principal that is not a string matches nobody: a finding of its own, not a failed read.
    "authorization-principals-known: aws-use1-agents-authorizationpolicy-research-agent-v1",
    "images-pinned: aws-use1-inference-deployment-llama-3-1-8b-v1",
  ]) assert.ok(found.includes(expected), `${expected} missing from ${found.join("\n")}`);
  assert.match(r.violations.find((v) => v.policy === "authorization-principals-known" && v.urn === agent.urn)!.message, /principal null is not a string/);
  assert.match(r.violations.find((v) => v.policy === "images-pinned" && v.urn === server.urn)!.message, /could not be judged by images-pinned/);
  const unreadable = r.violations.find((v) => v.policy === "authorization-sources-restricted" && v.urn === epp.urn)!;
  assert.match(unreadable.message, /could not finish judging the stack: it failed while reading kubernetes:security\.istio\.io\/v1:AuthorizationPolicy aws-use1-inference-authorizationpolicy-llama-3-1-8b-v1-epp with TypeError/);
});

test("a passphrase-encrypted export is judged on its secrets when PULUMI_CONFIG_PASSPHRASE(_FILE) holds the passphrase, as the CLI loads it before a preview; another passphrase leaves them unknown, with a warning", () => {
  const doc = prod();
  // The image of a Deployment at latest, kept as a secret in the export (ciphertext under the render's empty passphrase).
  const deployment = doc.deployment.resources!.find((r) => r.type === "kubernetes:apps/v1:Deployment")!;
  for (const side of [deployment.inputs, deployment.outputs] as any[]) {
    const container = side.spec.template.spec.containers[0];
    container.image = { [SIG_KEY]: SECRET_SIG, ciphertext: encryptValue(JSON.stringify(`${container.image.split(/[:@]/)[0]}:latest`)) };
  }
  // In a directory of its own: the stack's policy-config.json beside it applies to this file only.
  const own = fs.mkdtempSync(path.join(dir, "passphrase-"));
  const file = path.join(own, "passphrase.json");
  fs.writeFileSync(file, JSON.stringify(doc));
  fs.writeFileSync(path.join(own, "policy-config.json"), renderShipped("prod").file("policy-config.json"));
  const run = (env: NodeJS.ProcessEnv) => {
    const base: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: "" };
    delete base.PULUMI_CONFIG_PASSPHRASE;
    delete base.PULUMI_CONFIG_PASSPHRASE_FILE;
    return runPolicyCli(["--state", file, "--out", "-"], { env: { ...base, ...env } });
  };
  const unknown = run({});
  assert.equal(unknown.status, 0, unknown.stdout + unknown.stderr);
  assert.match(unknown.stdout, /secret value\(s\) are encrypted in this export/);
  const opened = run({ PULUMI_CONFIG_PASSPHRASE: "" });
  assert.equal(opened.status, 1, opened.stdout + opened.stderr);
  assert.match(opened.stdout, /✗ mandatory images-pinned \(1 violation\)[\s\S]*:latest uses the latest tag/);
  assert.doesNotMatch(opened.stdout, /encrypted in this export/);
  const phraseFile = path.join(own, "passphrase.txt");
  fs.writeFileSync(phraseFile, "\n");
  assert.equal(run({ PULUMI_CONFIG_PASSPHRASE_FILE: phraseFile }).status, 1, "the file's content is trimmed, as the CLI trims it");
  // Another stack's passphrase (set in CI for pulumi preview, say) leaves the secrets unknown, with a warning.
  const wrong = run({ PULUMI_CONFIG_PASSPHRASE: "not-it" });
  assert.equal(wrong.status, 0, wrong.stdout + wrong.stderr);
  assert.match(wrong.stderr, /passphrase\.json: PULUMI_CONFIG_PASSPHRASE\(_FILE\) does not open this export's secrets \(pulumi preview would stop: incorrect passphrase\)/);
});

test("pending operations of an interrupted update are named in the report as not judged, as the CLI warns of them; without any, no note", async () => {
  const doc = prod();
  const pa = find(doc, "aws-use1-istio-system-peerauthentication-default");
  const open = { ...structuredClone(pa), urn: pa.urn.replace(/::[^:]+$/, "::open-mesh"), inputs: { ...structuredClone(pa.inputs), spec: { mtls: { mode: "PERMISSIVE" } } } };
  doc.deployment.pending_operations = [{ resource: open, type: "creating" }, { resource: pa, type: "updating" }];
  const report = await reviewWithPack(await pack(), doc, { config: config() });
  assert.deepEqual(mandatory(report), [], "the state's resources are judged as they are");
  const note = report.notes?.find((n) => n.startsWith("2 pending operation(s)"));
  assert.ok(note, JSON.stringify(report.notes));
  assert.match(note, new RegExp(`${open.urn.replace(/[$]/g, "\\$")}, interrupted while creating; ${pa.urn.replace(/[$]/g, "\\$")}, interrupted while updating`));
  assert.equal((await reviewWithPack(await pack(), prod(), { config: config() })).notes, undefined);
});
