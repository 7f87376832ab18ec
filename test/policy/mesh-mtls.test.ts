/**
 * Policy tests for mesh-mtls-strict (a STRICT mesh-level PeerAuthentication in istiod's root
 * namespace, workload namespaces and pods in ambient and captured); peer-authentication-strict on
 * the modes a PeerAuthentication sets is in mesh-peer-authentication-modes.test.ts.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { meshMtlsStrict } from "../../policy/rules/mesh-mtls-strict";
import { k8sProvider, runStack, stackResource, UNKNOWN } from "../support/policy";
import { NS, REL, provider, pa, messages, nsPatch, deploymentPatch } from "./mesh-support";

test("mesh-mtls-strict: every cluster needs istio-system/default STRICT", async () => {
  const ok = await runStack(meshMtlsStrict, [provider("a"), provider("b"), pa("a", "istio-system", "default", { mtls: { mode: "STRICT" } }), pa("b", "istio-system", "default", { mtls: { mode: "STRICT" } })]);
  assert.deepEqual(ok.violations, []);
  const missing = await runStack(meshMtlsStrict, [provider("a"), provider("b"), pa("a", "istio-system", "default", { mtls: { mode: "STRICT" } })]);
  assert.equal(missing.violations.length, 1);
  assert.match(missing.violations[0].message, /cluster b has no PeerAuthentication istio-system\/default/);
  const permissive = await runStack(meshMtlsStrict, [provider("a"), pa("a", "istio-system", "default", { mtls: { mode: "PERMISSIVE" } })], null);
  assert.match(permissive.violations[0].message, /mode is PERMISSIVE, not STRICT/);
  // A STRICT policy in another namespace does not make the mesh strict.
  const elsewhere = await runStack(meshMtlsStrict, [provider("a"), pa("a", "inference", "default", { mtls: { mode: "STRICT" } })]);
  assert.equal(elsewhere.violations.length, 1);
  // Engine default providers are not clusters of the platform.
  const defaults = await runStack(meshMtlsStrict, [provider("default_4_34_2")]);
  assert.deepEqual(defaults.violations, []);
});

test("mesh-mtls-strict: the workload namespaces stay in ambient and no pod opts out", async () => {
  const strict = [provider("a"), pa("a", "istio-system", "default", { mtls: { mode: "STRICT" } })];
  const ns = (name: string, labels: Record<string, string>) => stackResource({ type: NS, name: `a-ns-${name}`, props: { metadata: { name, labels } }, provider: k8sProvider("a") });
  const deploy = (name: string, namespace: string, podLabels: Record<string, string> = {}) =>
    stackResource({ type: "kubernetes:apps/v1:Deployment", name: `a-${name}`, props: { metadata: { name, namespace }, spec: { template: { metadata: { labels: podLabels }, spec: { containers: [] } } } }, provider: k8sProvider("a") });
  const ambient = { "istio.io/dataplane-mode": "ambient" };
  const ok = await runStack(meshMtlsStrict, [
    ...strict, ns("inference", ambient), deploy("vllm", "inference"),
    // An unenrolled namespace is fine while it runs nothing, or when its pods enroll themselves.
    ns("tools", {}), ns("agents", {}), deploy("agent", "agents", ambient),
    ns("kube-system", {}), deploy("coredns", "kube-system"),
  ]);
  assert.deepEqual(ok.violations, []);
  const left = await runStack(meshMtlsStrict, [...strict, ns("inference", {}), deploy("vllm", "inference"), ns("agents", { "istio.io/dataplane-mode": "none" }), deploy("agent", "agents")]);
  assert.equal(left.violations.length, 2);
  assert.match(left.violations[0].message, /namespace inference on cluster a has istio.io\/dataplane-mode=unset, not ambient: its 1 workload\(s\) are outside the mesh/);
  const optOut = await runStack(meshMtlsStrict, [...strict, ns("tools", ambient), deploy("mcp", "tools", { "istio.io/dataplane-mode": "none" })]);
  assert.equal(optOut.violations.length, 1);
  assert.match(optOut.violations[0].message, /Deployment tools\/mcp on cluster a opts out of ambient/);
  // A namespace the stack creates is judged unless exempt (listing it as ambient is not needed).
  assert.deepEqual((await runStack(meshMtlsStrict, [...strict, ns("inference", {}), deploy("vllm", "inference")], { ambientNamespaces: [], exemptNamespaces: ["inference"] })).violations, []);
});

test("mesh-mtls-strict: a workload in a namespace the stack neither creates nor lists (default, where one without a namespace lands, or a misspelt one) is outside the mesh unless its pods enroll themselves", async () => {
  const strict = [provider("a"), pa("a", "istio-system", "default", { mtls: { mode: "STRICT" } })];
  const ns = (name: string) => stackResource({ type: NS, name: `a-ns-${name}`, props: { metadata: { name, labels: { "istio.io/dataplane-mode": "ambient" } } }, provider: k8sProvider("a") });
  const deploy = (name: string, namespace: string | undefined, podLabels: Record<string, string> = {}, podSpec: Record<string, unknown> = {}) =>
    stackResource({ type: "kubernetes:apps/v1:Deployment", name: `a-${name}`, props: { metadata: { name, ...(namespace ? { namespace } : {}) }, spec: { template: { metadata: { labels: podLabels }, spec: { containers: [], ...podSpec } } } }, provider: k8sProvider("a") });
  const stray = await runStack(meshMtlsStrict, [...strict, ns("tools"), deploy("web-search", undefined), deploy("calculator", "tool"), deploy("fetch", "tool")]);
  assert.deepEqual(stray.violations.map((v) => v.urn), ["urn:pulumi:test::inference-mesh::kubernetes:apps/v1:Deployment::a-web-search", "urn:pulumi:test::inference-mesh::kubernetes:apps/v1:Deployment::a-calculator"]);
  assert.match(stray.violations[0].message, /^cluster a runs Deployment web-search in namespace default, which this stack neither creates with istio\.io\/dataplane-mode=ambient nor lists: outside the mesh, it accepts plaintext from any caller, past STRICT and every ALLOW policy; run it in a workload namespace \(an object without a namespace lands in default\)/);
  assert.match(stray.violations[1].message, /runs Deployment calculator, Deployment fetch in namespace tool, .*or list tool in exemptNamespaces/);
  // Exempt namespaces, and pods that enroll themselves (judged for escapes like any other), are not strays.
  const enrolled = { "istio.io/dataplane-mode": "ambient" };
  assert.deepEqual((await runStack(meshMtlsStrict, [...strict, deploy("coredns", "kube-system"), deploy("job", "batch", enrolled)])).violations, []);
  assert.deepEqual((await runStack(meshMtlsStrict, [...strict, deploy("job", "batch")], { exemptNamespaces: ["batch"] })).violations, []);
  const escaping = await runStack(meshMtlsStrict, [...strict, deploy("job", "batch", enrolled, { hostNetwork: true })]);
  assert.match(escaping.violations[0]?.message ?? "", /Deployment batch\/job on cluster a uses the host network/);
  // A pod label not known yet decides nothing: can't judge.
  const unknown = await runStack(meshMtlsStrict, [...strict, deploy("job", "batch", { "istio.io/dataplane-mode": UNKNOWN })]);
  assert.deepEqual(unknown.violations, []);
  assert.match(unknown.unknown[0] ?? "", /the istio\.io\/dataplane-mode label of Deployment batch\/job on cluster a, whose namespace the stack does not enroll/);
});

// Fixtures of the capture, namespace and root-namespace cases below.
const ambientNs = (name: string, labels: Record<string, string> = { "istio.io/dataplane-mode": "ambient" }, cluster = "a") =>
  stackResource({ type: NS, name: `${cluster}-ns-${name}`, props: { metadata: { name, labels } }, provider: k8sProvider(cluster) });

const workload = (namespace: string, name: string, pod: { labels?: Record<string, string>; annotations?: Record<string, string>; hostNetwork?: unknown } = {}, cluster = "a") =>
  stackResource({
    type: "kubernetes:apps/v1:Deployment",
    name: `${cluster}-${namespace}-${name}`,
    props: { metadata: { name, namespace }, spec: { template: { metadata: { labels: pod.labels ?? {}, annotations: pod.annotations ?? {} }, spec: { containers: [], ...(pod.hostNetwork === undefined ? {} : { hostNetwork: pod.hostNetwork }) } } } },
    provider: k8sProvider(cluster),
  });

const strictMesh = (cluster = "a") => [provider(cluster), pa(cluster, "istio-system", "default", { mtls: { mode: "STRICT" } })];

test("mesh-mtls-strict: an enrolled pod must not bypass inbound capture (read as istio-cni's strconv.ParseBool)", async () => {
  const bypass = (value: string) => ({ annotations: { "ambient.istio.io/bypass-inbound-capture": value } });
  // Values Istio reads as false or ignores (not a Go bool) keep inbound capture.
  const ok = await runStack(meshMtlsStrict, [...strictMesh(), ambientNs("agents"), workload("agents", "a1", bypass("false")), workload("agents", "a2", bypass("yes")), workload("agents", "a3", bypass("0")), workload("agents", "a4")]);
  assert.deepEqual(ok.violations, []);
  const bad = await runStack(meshMtlsStrict, [...strictMesh(), ambientNs("agents"), workload("agents", "a1", bypass("true")), workload("agents", "a2", bypass("1")), workload("agents", "a3", bypass("True"))]);
  assert.equal(bad.violations.length, 3);
  assert.match(bad.violations[0].message, /Deployment agents\/a1 on cluster a sets ambient\.istio\.io\/bypass-inbound-capture=true: ztunnel does not capture its inbound traffic/);
  // A pod that enrolls itself is held to the same rule in a namespace that is not ambient.
  const self = await runStack(meshMtlsStrict, [...strictMesh(), ambientNs("tools", {}), workload("tools", "t", { labels: { "istio.io/dataplane-mode": "ambient" }, ...bypass("t") })]);
  assert.equal(messages(self).length, 1);
  assert.match(messages(self)[0], /Deployment tools\/t on cluster a sets ambient\.istio\.io\/bypass-inbound-capture=t:/);
});

test("mesh-mtls-strict: host-network pods and pods carrying a sidecar status are never captured", async () => {
  const ok = await runStack(meshMtlsStrict, [
    ...strictMesh(), ambientNs("inference"), workload("inference", "vllm", { hostNetwork: false }),
    // Exempt system namespaces may run host-network pods (the NVIDIA device plugin does).
    ambientNs("kube-system", {}), workload("kube-system", "nvidia-device-plugin", { hostNetwork: true }),
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runStack(meshMtlsStrict, [
    ...strictMesh(), ambientNs("inference"),
    workload("inference", "host", { hostNetwork: true }),
    workload("inference", "injected", { annotations: { "sidecar.istio.io/status": "{}" } }),
  ]);
  assert.deepEqual(messages(bad), [
    "Deployment inference/host on cluster a uses the host network (hostNetwork: true): ztunnel cannot capture it, so it speaks plaintext; run it on the pod network",
    "Deployment inference/injected on cluster a carries sidecar.istio.io/status, which keeps istio-cni from enrolling it in ambient: ztunnel does not capture it; remove the annotation",
  ]);
});

test("mesh-mtls-strict: every namespace the stack creates that runs workloads is judged, except exempt ones", async () => {
  const ok = await runStack(meshMtlsStrict, [
    ...strictMesh(), ambientNs("rag"), workload("rag", "retriever"),
    // Controllers installed outside the mesh, and a namespace that runs nothing.
    ambientNs("agentgateway-system", {}), workload("agentgateway-system", "controller"), ambientNs("kube-system", {}), workload("kube-system", "coredns"), ambientNs("empty", {}),
  ]);
  assert.deepEqual(ok.violations, []);
  const unlabelled = await runStack(meshMtlsStrict, [...strictMesh(), ambientNs("rag", {}), workload("rag", "retriever")]);
  assert.equal(unlabelled.violations.length, 1);
  assert.match(unlabelled.violations[0].message, /namespace rag on cluster a has istio\.io\/dataplane-mode=unset, not ambient: .* list it in exemptNamespaces/);
  assert.deepEqual((await runStack(meshMtlsStrict, [...strictMesh(), ambientNs("rag", {}), workload("rag", "retriever")], { exemptNamespaces: ["rag"] })).violations, []);
  // Replacing the exempt list drops the defaults: kube-system is judged again.
  const replaced = await runStack(meshMtlsStrict, [...strictMesh(), ambientNs("kube-system", {}), workload("kube-system", "coredns")], { exemptNamespaces: ["rag"] });
  assert.equal(replaced.violations.length, 1);
});

test("mesh-mtls-strict: any selector-less PeerAuthentication in the root namespace is mesh-wide, whatever its name", async () => {
  const named = await runStack(meshMtlsStrict, [provider("a"), pa("a", "istio-system", "mesh-strict", { mtls: { mode: "STRICT" } })]);
  assert.deepEqual(named.violations, []);
  // `default` with a selector binds only what it selects; another selector-less one still makes the mesh strict.
  const both = await runStack(meshMtlsStrict, [provider("a"), pa("a", "istio-system", "default", { selector: { matchLabels: { app: "x" } }, mtls: { mode: "STRICT" } }), pa("a", "istio-system", "mesh", { mtls: { mode: "STRICT" } })]);
  assert.deepEqual(both.violations, []);
  const onlySelected = await runStack(meshMtlsStrict, [provider("a"), pa("a", "istio-system", "default", { selector: { matchLabels: { app: "x" } }, mtls: { mode: "STRICT" } })]);
  assert.equal(onlySelected.violations.length, 1);
  assert.match(onlySelected.violations[0].message, /cluster a has no PeerAuthentication istio-system\/default nor any other without a selector .*istio-system\/default has a selector/);
  // Every mesh-level one must be STRICT: the oldest wins, and which is oldest is not known before apply.
  const weak = await runStack(meshMtlsStrict, [provider("a"), pa("a", "istio-system", "mesh-strict", { mtls: { mode: "STRICT" } }), pa("a", "istio-system", "legacy", {})]);
  assert.deepEqual(messages(weak), ["cluster a: mesh-level PeerAuthentication istio-system/legacy (no selector in the root namespace) mode is unset, not STRICT"]);
});

test("mesh-mtls-strict: a mode unknown in this preview is not taken for STRICT; the rest is still judged", async () => {
  const unknownMode = await runStack(meshMtlsStrict, [provider("a"), pa("a", "istio-system", "default", { mtls: { mode: UNKNOWN } }), provider("b")]);
  assert.deepEqual(messages(unknownMode), ["cluster b has no PeerAuthentication istio-system/default nor any other without a selector in istio-system, Istio's root namespace: add one with spec.mtls.mode STRICT so it applies mesh-wide"]);
  assert.equal(unknownMode.unknown.length, 1);
  assert.match(unknownMode.unknown[0], /mtls\.mode of PeerAuthentication istio-system\/default on cluster a/);
  const known = await runStack(meshMtlsStrict, [provider("a"), pa("a", "istio-system", "default", { mtls: { mode: "STRICT" } })]);
  assert.deepEqual([known.violations, known.unknown], [[], []]);
});

test("mesh-mtls-strict: the root namespace is istiod's (meshConfig.rootNamespace, else global.istioNamespace)", async () => {
  const istiodWith = (values: Record<string, unknown>) => stackResource({ type: REL, name: "a-istiod", props: { chart: "istiod", values }, provider: k8sProvider("a") });
  const elsewhere = await runStack(meshMtlsStrict, [...strictMesh(), istiodWith({ meshConfig: { rootNamespace: "mesh-root" } })]);
  assert.equal(elsewhere.violations.length, 1);
  assert.match(elsewhere.violations[0].message, /cluster a has no PeerAuthentication mesh-root\/default/);
  const there = await runStack(meshMtlsStrict, [provider("a"), pa("a", "mesh-root", "default", { mtls: { mode: "STRICT" } }), istiodWith({ meshConfig: { rootNamespace: "mesh-root" } })]);
  assert.deepEqual(there.violations, []);
  const viaIstioNamespace = await runStack(meshMtlsStrict, [...strictMesh(), istiodWith({ global: { istioNamespace: "istio" } })]);
  assert.match(viaIstioNamespace.violations[0].message, /no PeerAuthentication istio\/default/);
  // Unset or empty: the chart's istio-system.
  assert.deepEqual((await runStack(meshMtlsStrict, [...strictMesh(), istiodWith({ meshConfig: { rootNamespace: "" } })])).violations, []);
  const unknownRoot = await runStack(meshMtlsStrict, [...strictMesh(), istiodWith({ meshConfig: { rootNamespace: UNKNOWN } })]);
  assert.deepEqual(unknownRoot.violations, []);
  assert.match(unknownRoot.unknown[0], /root namespace set by istiod release a-istiod/);
});

test("mesh-mtls-strict: a dataplane-mode label unknown in this preview is not taken for ambient nor for unset (can't judge); known verdicts stand", async () => {
  const mode = "istio.io/dataplane-mode";
  // The namespace's label not known yet (before: taken for ambient, a silent pass for pods outside the mesh).
  const nsUnknown = await runStack(meshMtlsStrict, [
    ...strictMesh(), ambientNs("tools", { [mode]: UNKNOWN }), workload("tools", "mcp"), workload("tools", "out", { labels: { [mode]: "none" } }), workload("tools", "in", { labels: { [mode]: "ambient" }, hostNetwork: true }),
  ]);
  // Pods that decide for themselves are judged whatever the namespace says.
  assert.deepEqual(messages(nsUnknown), [
    "Deployment tools/out on cluster a opts out of ambient (istio.io/dataplane-mode=none): it speaks plaintext",
    "Deployment tools/in on cluster a uses the host network (hostNetwork: true): ztunnel cannot capture it, so it speaks plaintext; run it on the pod network",
  ]);
  assert.equal(nsUnknown.unknown.length, 1);
  assert.match(nsUnknown.unknown[0], /the istio\.io\/dataplane-mode label of namespace tools on cluster a, which decides whether Deployment tools\/mcp is in the mesh/);
  // A pod's own label not known yet in an unenrolled namespace (before: counted as outside the mesh, a violation).
  const podUnknown = await runStack(meshMtlsStrict, [...strictMesh(), ambientNs("rag", {}), workload("rag", "retriever", { labels: { [mode]: UNKNOWN } })]);
  assert.deepEqual(messages(podUnknown), []);
  assert.match(podUnknown.unknown[0], /the istio\.io\/dataplane-mode label of Deployment rag\/retriever on cluster a/);
  // ... and in an enrolled one (before: taken as not opting out, a silent pass).
  const optOutUnknown = await runStack(meshMtlsStrict, [...strictMesh(), ambientNs("agents"), workload("agents", "bot", { labels: { [mode]: UNKNOWN } }), workload("agents", "host", { labels: { [mode]: UNKNOWN }, hostNetwork: true })]);
  // Escaping capture is a violation whether the pod opted out or not: no need to wait for its label.
  assert.deepEqual(messages(optOutUnknown), ["Deployment agents/host on cluster a uses the host network (hostNetwork: true): ztunnel cannot capture it, so it speaks plaintext; run it on the pod network"]);
  assert.equal(optOutUnknown.unknown.length, 1);
  assert.match(optOutUnknown.unknown[0], /the istio\.io\/dataplane-mode label of Deployment agents\/bot on cluster a/);
  // Known: an unenrolled namespace still fails for the pods known to be outside, beside one not known yet.
  const mixed = await runStack(meshMtlsStrict, [...strictMesh(), ambientNs("rag", {}), workload("rag", "retriever"), workload("rag", "indexer", { labels: { [mode]: UNKNOWN } })]);
  assert.match(messages(mixed)[0], /namespace rag on cluster a has istio\.io\/dataplane-mode=unset, not ambient: its 1 workload\(s\) are outside the mesh/);
  assert.equal(mixed.unknown.length, 1);
});

test("mesh-mtls-strict: a Helm release whose chart is unknown in a preview may be an istiod with another root namespace (can't judge)", async () => {
  const release = (chart: unknown) => stackResource({ type: REL, name: "a-mesh", props: { chart, values: { meshConfig: { rootNamespace: "mesh-root" } } }, provider: k8sProvider("a") });
  // Before: taken for no istiod, so istio-system/default was judged as the mesh-wide policy (a silent pass here).
  const preview = await runStack(meshMtlsStrict, [...strictMesh(), release(UNKNOWN)]);
  assert.deepEqual(preview.violations, []);
  assert.match(preview.unknown[0], /the root namespace set by istiod release a-mesh \(its chart is not known yet\) on cluster a/);
  // Known: as an istiod, its root has no mesh-wide policy.
  assert.match((await runStack(meshMtlsStrict, [...strictMesh(), release("istiod")])).violations[0].message, /no PeerAuthentication mesh-root\/default/);
});

test("mesh-mtls-strict: a NamespacePatch or workload patch that takes pods out of ambient is reported; one that leaves those fields alone is not", async () => {
  const mesh = [...strictMesh(), ambientNs("agents"), workload("agents", "bot")];
  // Before: a NamespacePatch setting dataplane-mode=none passed every policy.
  const out = await runStack(meshMtlsStrict, [...mesh, nsPatch("agents", { "istio.io/dataplane-mode": "none" })]);
  assert.deepEqual(messages(out), ["NamespacePatch a-agents-patch sets istio.io/dataplane-mode=none on namespace agents on cluster a, not ambient: its workloads leave the mesh and speak plaintext"]);
  const escapes = await runStack(meshMtlsStrict, [
    ...mesh,
    deploymentPatch("agents", "bot", { spec: { hostNetwork: true } }),
    deploymentPatch("agents", "bot2", { metadata: { labels: { "istio.io/dataplane-mode": "none" }, annotations: { "ambient.istio.io/bypass-inbound-capture": "true" } } }),
  ]);
  assert.equal(escapes.violations.length, 3, messages(escapes).join("\n"));
  assert.match(messages(escapes).join("\n"), /DeploymentPatch agents\/bot on cluster a uses the host network/);
  assert.match(messages(escapes).join("\n"), /DeploymentPatch agents\/bot2 on cluster a sets istio.io\/dataplane-mode=none on its pods/);
  // Patches that set other fields, or objects of exempt or unjudged namespaces, change nothing here.
  const fine = await runStack(meshMtlsStrict, [
    ...mesh,
    nsPatch("agents", { team: "ml" }),
    nsPatch("kube-system", { "istio.io/dataplane-mode": "none" }),
    deploymentPatch("agents", "bot", { spec: { containers: [{ name: "bot", image: "bot:v2" }] } }),
    deploymentPatch("default", "legacy", { spec: { hostNetwork: true } }),
  ]);
  assert.deepEqual(fine.violations, []);
});

// @pulumi/eks v4.3.0 registers its own kubernetes provider (`<name>-eks-k8s`, a child of the
// eks:index:Cluster) for a cluster the program reaches through its own provider: in a real run it
// is a resource of the stack, but not a cluster that needs a mesh of its own (before, every real
// EKS stack failed here with "cluster <name>-eks-eks has no PeerAuthentication").
test("mesh-mtls-strict: @pulumi/eks's own provider (child of eks:index:Cluster) is no cluster of its own", async () => {
  const eksOwn = stackResource({
    type: "pulumi:providers:kubernetes",
    name: "a-eks-eks-k8s",
    urn: "urn:pulumi:test::inference-mesh::inference-mesh:cloud:EksCluster$eks:index:Cluster$pulumi:providers:kubernetes::a-eks-eks-k8s",
    props: { kubeconfig: "{}" },
    provider: null,
  });
  const ok = await runStack(meshMtlsStrict, [provider("a"), eksOwn, pa("a", "istio-system", "default", { mtls: { mode: "STRICT" } })]);
  assert.deepEqual(ok.violations, []);
  // A provider of the program's own, parented by its component, is a cluster all the same.
  const own = stackResource({ type: "pulumi:providers:kubernetes", name: "b-k8s", urn: "urn:pulumi:test::inference-mesh::inference-mesh:cloud:EksCluster$pulumi:providers:kubernetes::b-k8s", props: {}, provider: null });
  const missing = await runStack(meshMtlsStrict, [provider("a"), own, pa("a", "istio-system", "default", { mtls: { mode: "STRICT" } })]);
  assert.deepEqual(messages(missing).map((m) => m.split(":")[0]), ["cluster b has no PeerAuthentication istio-system/default nor any other without a selector in istio-system, Istio's root namespace"]);
});
