/**
 * Policy tests for ambient-no-sidecar-injection: ambient namespaces carry no injection label, their
 * pods ask for no sidecar, istiod injects no unlabelled namespace; patches. And mesh-mtls-strict's
 * pods that enroll themselves in a namespace whose injection label gives them a sidecar.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { ambientNoSidecarInjection } from "../../policy/rules/ambient-no-sidecar-injection";
import { meshMtlsStrict } from "../../policy/rules/mesh-mtls-strict";
import { k8sProvider, resourceArgs, runResource, runStack, stackResource, UNKNOWN } from "../support/policy";
import { NS, REL, messages, nsPatch, deploymentPatch, pa, provider } from "./mesh-support";

test("ambient-no-sidecar-injection: ambient namespaces carry no injection label", async () => {
  const ok = await runResource(ambientNoSidecarInjection, [
    { type: NS, props: { metadata: { name: "inference", labels: { "istio.io/dataplane-mode": "ambient" } } } },
    { type: NS, props: { metadata: { name: "legacy", labels: { "istio-injection": "enabled" } } } },
    { type: NS, props: { metadata: { name: "tools", labels: { "istio.io/dataplane-mode": "ambient", "istio-injection": "disabled" } } } },
    // The revision's namespace webhook requires no istio-injection label: disabled overrides the revision.
    { type: NS, props: { metadata: { name: "agents", labels: { "istio.io/dataplane-mode": "ambient", "istio-injection": "disabled", "istio.io/rev": "1-30" } } } },
  ]);
  assert.deepEqual(ok.violations, []);
  const both = await runResource(ambientNoSidecarInjection, {
    type: NS,
    props: { metadata: { name: "agents", labels: { "istio.io/dataplane-mode": "ambient", "istio-injection": "enabled", "istio.io/rev": "1-30" } } },
  });
  assert.deepEqual(both.violations.map((v) => v.message), ["ambient namespace agents also has istio-injection=enabled; remove the sidecar-injection label"]);
  // Removing istio-injection alone would hand the pods to the revision's webhook: both labels go.
  const fixedBoth = await ambientNoSidecarInjection.remediateResource!(resourceArgs({ type: NS, props: { metadata: { name: "agents", labels: { "istio.io/dataplane-mode": "ambient", "istio-injection": "enabled", "istio.io/rev": "1-30" } } } }));
  assert.deepEqual((fixedBoth as any).metadata.labels, { "istio.io/dataplane-mode": "ambient" });
  const revOnly = await runResource(ambientNoSidecarInjection, { type: NS, props: { metadata: { name: "agents", labels: { "istio.io/dataplane-mode": "ambient", "istio.io/rev": "1-30" } } } });
  assert.deepEqual(revOnly.violations.map((v) => v.message), ["ambient namespace agents also has istio.io/rev=1-30; remove the sidecar-injection label"]);
  const fixed = await ambientNoSidecarInjection.remediateResource!(
    resourceArgs({ type: NS, props: { metadata: { name: "agents", labels: { "istio.io/dataplane-mode": "ambient", "istio.io/rev": "1-30" } } } }),
  );
  assert.deepEqual((fixed as any).metadata.labels, { "istio.io/dataplane-mode": "ambient" });
});

test("ambient-no-sidecar-injection: only istio-injection=enabled injects; another value (false, true) injects nothing and holds off the revision", async () => {
  // Istio 1.30.3 mutatingwebhook.yaml: the namespace webhook matches istio-injection In [enabled];
  // the revision, object and auto webhooks all require istio-injection DoesNotExist.
  const ok = await runResource(ambientNoSidecarInjection, [
    { type: NS, props: { metadata: { name: "tools", labels: { "istio.io/dataplane-mode": "ambient", "istio-injection": "false" } } } },
    { type: NS, props: { metadata: { name: "agents", labels: { "istio.io/dataplane-mode": "ambient", "istio-injection": "true", "istio.io/rev": "1-30" } } } },
  ]);
  assert.deepEqual(ok.violations, []);
});

test("ambient-no-sidecar-injection: pods in ambient namespaces do not ask for a sidecar", async () => {
  const pod = (namespace: string, labels: Record<string, string>) => ({
    type: "kubernetes:apps/v1:Deployment",
    props: { metadata: { name: "agent", namespace }, spec: { template: { metadata: { labels }, spec: { containers: [] } } } },
  });
  const ok = await runResource(ambientNoSidecarInjection, [pod("agents", { app: "agent" }), pod("kube-system", { "sidecar.istio.io/inject": "true" })]);
  assert.deepEqual(ok.violations, []);
  // A namespace meant for sidecars is listed as exempt; any other may be one a fork labelled ambient.
  const legacy = await runResource(ambientNoSidecarInjection, pod("legacy", { "sidecar.istio.io/inject": "true" }), { exemptNamespaces: ["kube-system", "legacy"] });
  assert.deepEqual(legacy.violations, []);
  const bad = await runResource(ambientNoSidecarInjection, pod("agents", { "sidecar.istio.io/inject": "true" }), null);
  assert.match(bad.violations[0].message, /asks for a sidecar \(sidecar\.istio\.io\/inject=true\) in ambient namespace agents/);
  // A revision label is a request for that revision's injector.
  const rev = await runResource(ambientNoSidecarInjection, pod("tools", { "istio.io/rev": "default" }), null);
  assert.match(rev.violations[0].message, /labelled istio\.io\/rev=default/);
  // The revision webhook skips pods that opt out explicitly.
  assert.deepEqual((await runResource(ambientNoSidecarInjection, pod("tools", { "istio.io/rev": "default", "sidecar.istio.io/inject": "false" }))).violations, []);
  // A fork's own namespace (rag, created with istio.io/dataplane-mode=ambient) has no injection
  // label, so Istio's `object.` webhook injects a pod labelled inject=true there: before, only the
  // listed ambientNamespaces were judged and this passed.
  const rag = await runResource(ambientNoSidecarInjection, pod("rag", { "sidecar.istio.io/inject": "true" }), null);
  assert.deepEqual(messages(rag), ["Deployment rag/agent asks for a sidecar (sidecar.istio.io/inject=true) in namespace rag, which is not exempt from ambient (exemptNamespaces)"]);
  // A pod that enrolls itself in ambient is held to the same rule wherever it runs.
  const selfEnrolled = await runResource(ambientNoSidecarInjection, pod("batch", { "istio.io/dataplane-mode": "ambient", "sidecar.istio.io/inject": "true" }), null);
  assert.equal(selfEnrolled.violations.length, 1);
});

test("ambient-no-sidecar-injection: istiod does not inject every unlabelled namespace", async () => {
  const istiod = (values: Record<string, unknown>) => ({ type: "kubernetes:helm.sh/v3:Release", props: { name: "istiod", chart: "istiod", version: "1.30.3", values } });
  assert.deepEqual((await runResource(ambientNoSidecarInjection, istiod({ profile: "ambient" }))).violations, []);
  const byDefault = await runResource(ambientNoSidecarInjection, istiod({ sidecarInjectorWebhook: { enableNamespacesByDefault: true } }), null);
  assert.match(byDefault.violations[0].message, /enableNamespacesByDefault: every pod in the ambient namespaces gets a sidecar/);
});

test("ambient-no-sidecar-injection: enableNamespacesByDefault is read as Helm's if reads it", async () => {
  const istiod = (enableNamespacesByDefault: unknown) => ({ type: REL, props: { name: "istiod", chart: "istiod", values: { sidecarInjectorWebhook: { enableNamespacesByDefault } } } });
  for (const off of [false, "", null]) assert.deepEqual((await runResource(ambientNoSidecarInjection, istiod(off))).violations, [], `off: ${JSON.stringify(off)}`);
  for (const on of ["true", "false", 1]) {
    const bad = await runResource(ambientNoSidecarInjection, istiod(on));
    assert.equal(bad.violations.length, 1, `on: ${JSON.stringify(on)}`);
    assert.match(bad.violations[0].message, /enableNamespacesByDefault: every pod in the ambient namespaces gets a sidecar/);
  }
});

test("ambient-no-sidecar-injection: a release name unknown in a preview does not hide a known finding; the injection setting unknown is can't judge", async () => {
  const istiod = (name: unknown, enableNamespacesByDefault: unknown) => ({ type: REL, name: "a-istiod", props: { name, chart: "istiod", values: { sidecarInjectorWebhook: { enableNamespacesByDefault } } } });
  // Before: reading the name for the message threw, so the violation became "can't run".
  const named = await runResource(ambientNoSidecarInjection, istiod(UNKNOWN, true));
  assert.deepEqual(named.unknown, []);
  assert.match(named.violations[0].message, /^Helm release a-istiod \(istiod\) sets sidecarInjectorWebhook\.enableNamespacesByDefault/);
  const setting = await runResource(ambientNoSidecarInjection, istiod("istiod", UNKNOWN));
  assert.deepEqual(setting.violations, []);
  assert.equal(setting.unknown.length, 1);
});

test("ambient-no-sidecar-injection: NamespacePatch and workload patches are judged for the labels they set", async () => {
  // A NamespacePatch of a listed ambient namespace that leaves dataplane-mode alone patches an ambient namespace.
  const injection = await runResource(ambientNoSidecarInjection, { ...nsPatch("inference", { "istio-injection": "enabled" }), name: "a-inference-patch" });
  assert.deepEqual(messages(injection), ["ambient namespace inference also has istio-injection=enabled (set by a-inference-patch, a NamespacePatch); remove the sidecar-injection label"]);
  const fixed = await ambientNoSidecarInjection.remediateResource!(resourceArgs({ ...nsPatch("inference", { "istio-injection": "enabled" }), name: "a-inference-patch" }));
  assert.deepEqual((fixed as any).metadata.labels, {});
  // Unlisted and not labelled ambient by the patch: its own label is not known here, so no verdict.
  // An unrelated label on a listed namespace, or istio-injection=disabled, is fine.
  const fine = await runResource(ambientNoSidecarInjection, [nsPatch("rag", { "istio-injection": "enabled" }), nsPatch("inference", { team: "ml" }), nsPatch("inference", { "istio-injection": "disabled" })]);
  assert.deepEqual(fine.violations, []);
  // The patch's own dataplane-mode decides: ambient there makes any namespace ambient, none makes it not.
  assert.equal((await runResource(ambientNoSidecarInjection, nsPatch("rag", { "istio.io/dataplane-mode": "ambient", "istio.io/rev": "canary" }))).violations.length, 1);
  assert.deepEqual((await runResource(ambientNoSidecarInjection, nsPatch("inference", { "istio.io/dataplane-mode": "none", "istio-injection": "enabled" }))).violations, []);
  // A DeploymentPatch asking for a sidecar in an ambient namespace, without any pod spec of its own.
  const sidecar = await runResource(ambientNoSidecarInjection, deploymentPatch("inference", "vllm", { metadata: { labels: { "sidecar.istio.io/inject": "true" } } }));
  assert.deepEqual(messages(sidecar), ["DeploymentPatch inference/vllm asks for a sidecar (sidecar.istio.io/inject=true) in ambient namespace inference"]);
  assert.deepEqual((await runResource(ambientNoSidecarInjection, deploymentPatch("inference", "vllm", { spec: { containers: [{ name: "vllm", image: "vllm/vllm-openai:v0.21.0" }] } }))).violations, []);
});

// Istio 1.30.3's namespace webhooks select a pod by its namespace's injection label and its own
// sidecar.istio.io/inject alone (mutatingwebhook.yaml); the injector never reads dataplane-mode.
// Before, a pod enrolling itself in ambient in such a namespace passed: it gets a sidecar, and
// istio-cni never enrolls a pod with one.
test("mesh-mtls-strict: a pod enrolling itself in ambient in a namespace labelled for injection gets a sidecar", async () => {
  const ns = (labels: Record<string, string>) => stackResource({ type: NS, name: "a-ns-rag", props: { metadata: { name: "rag", labels } }, provider: k8sProvider("a") });
  const pod = (labels: Record<string, string>) =>
    stackResource({ type: "kubernetes:apps/v1:Deployment", name: "a-rag-retriever", props: { metadata: { name: "retriever", namespace: "rag" }, spec: { template: { metadata: { labels: { "istio.io/dataplane-mode": "ambient", ...labels } }, spec: { containers: [] } } } }, provider: k8sProvider("a") });
  const mesh = [provider("a"), pa("a", "istio-system", "default", { mtls: { mode: "STRICT" } })];
  const run = (nsLabels: Record<string, string>, podLabels: Record<string, string> = {}) => runStack(meshMtlsStrict, [...mesh, ns(nsLabels), pod(podLabels)]);
  assert.deepEqual(messages(await run({})), []);
  assert.deepEqual(messages(await run({ "istio-injection": "disabled", "istio.io/rev": "1-30" })), []);
  // The namespace webhooks skip a pod that opts out.
  assert.deepEqual(messages(await run({ "istio-injection": "enabled" }, { "sidecar.istio.io/inject": "false" })), []);
  assert.deepEqual(messages(await run({ "istio-injection": "enabled" })), [
    "Deployment rag/retriever on cluster a enrolls its pods in ambient, but namespace rag has istio-injection=enabled: the injector adds a sidecar all the same, and istio-cni never enrolls a pod with one, so ztunnel does not capture it; remove the injection label (or label the pods sidecar.istio.io/inject=false)",
  ]);
  assert.equal(messages(await run({ "istio.io/rev": "1-30" })).length, 1);
  // Not known in this preview: can't judge, never a pass.
  const unknown = await runStack(meshMtlsStrict, [...mesh, ns({ "istio-injection": "enabled" }), pod({ "sidecar.istio.io/inject": UNKNOWN })]);
  assert.deepEqual(messages(unknown), []);
  assert.match(JSON.stringify(unknown), /whether namespace rag on cluster a injects a sidecar/);
});

test("ambient-no-sidecar-injection: istiod rendered with enableNamespacesByDefault (a v4 Chart's MutatingWebhookConfiguration) is reported; its usual webhooks are not", async () => {
  // Istio 1.30.3 istio-discovery mutatingwebhook.yaml: rev.namespace., rev.object., namespace., object., and auto. only with enableNamespacesByDefault.
  const webhooks = (...prefixes: string[]) => ({ type: "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration", props: { metadata: { name: "istio-sidecar-injector" }, webhooks: prefixes.map((p) => ({ name: `${p}sidecar-injector.istio.io` })) } });
  const usual = ["rev.namespace.", "rev.object.", "namespace.", "object."];
  assert.deepEqual((await runResource(ambientNoSidecarInjection, webhooks(...usual), null)).violations, []);
  const auto = await runResource(ambientNoSidecarInjection, webhooks(...usual, "auto."), null);
  assert.match(auto.violations[0]?.message ?? "", /^MutatingWebhookConfiguration istio-sidecar-injector has Istio's auto\.sidecar-injector\.istio\.io webhook/);
});
