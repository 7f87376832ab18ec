import { test } from "node:test";
import * as assert from "node:assert/strict";
import { meshMtlsStrict } from "../../policy/rules/mesh-mtls-strict";
import { peerAuthenticationStrict } from "../../policy/rules/peer-authentication-strict";
import { ambientNoSidecarInjection } from "../../policy/rules/ambient-no-sidecar-injection";
import { meshIdentityConsistent } from "../../policy/rules/mesh-identity-consistent";
import { meshRootCaShared } from "../../policy/rules/mesh-root-ca-shared";
import { k8sProvider, resourceArgs, runResource, runStack, stackResource, UNKNOWN } from "../support/policy";

const PA = "kubernetes:security.istio.io/v1:PeerAuthentication";
const NS = "kubernetes:core/v1:Namespace";
const REL = "kubernetes:helm.sh/v3:Release";

const provider = (cluster: string) => stackResource({ type: "pulumi:providers:kubernetes", name: `${cluster}-k8s`, urn: `urn:pulumi:test::inference-mesh::pulumi:providers:kubernetes::${cluster}-k8s`, props: {}, provider: null });
const pa = (cluster: string, namespace: string, name: string, spec: unknown) =>
  stackResource({ type: PA, name: `${cluster}-${namespace}-pa-${name}`, props: { metadata: { name, namespace }, spec }, provider: k8sProvider(cluster) });

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

test("peer-authentication-strict: no PERMISSIVE/DISABLE, including portLevelMtls; remediates to STRICT", async () => {
  const strict = await runResource(peerAuthenticationStrict, { type: PA, props: { metadata: { name: "default", namespace: "istio-system" }, spec: { mtls: { mode: "STRICT" } } } });
  assert.deepEqual(strict.violations, []);
  const inherit = await runResource(peerAuthenticationStrict, { type: PA, props: { metadata: { name: "x", namespace: "inference" }, spec: {} } });
  assert.deepEqual(inherit.violations, []);
  const weak = await runResource(peerAuthenticationStrict, {
    type: PA,
    props: { metadata: { name: "legacy", namespace: "inference" }, spec: { mtls: { mode: "PERMISSIVE" }, portLevelMtls: { "8000": { mode: "DISABLE" } } } },
  });
  assert.equal(weak.violations.length, 2);
  assert.match(weak.violations[1].message, /portLevelMtls\[8000\]\.mode DISABLE/);
  const fixed = await peerAuthenticationStrict.remediateResource!(
    resourceArgs({ type: PA, props: { metadata: { name: "legacy" }, spec: { mtls: { mode: "PERMISSIVE" }, portLevelMtls: { "8000": { mode: "DISABLE" } } } } }),
  );
  assert.deepEqual((fixed as any).spec, { mtls: { mode: "STRICT" }, portLevelMtls: { "8000": { mode: "STRICT" } } });
});

test("ambient-no-sidecar-injection: ambient namespaces carry no injection label", async () => {
  const ok = await runResource(ambientNoSidecarInjection, [
    { type: NS, props: { metadata: { name: "inference", labels: { "istio.io/dataplane-mode": "ambient" } } } },
    { type: NS, props: { metadata: { name: "legacy", labels: { "istio-injection": "enabled" } } } },
    { type: NS, props: { metadata: { name: "tools", labels: { "istio.io/dataplane-mode": "ambient", "istio-injection": "disabled" } } } },
  ]);
  assert.deepEqual(ok.violations, []);
  const both = await runResource(ambientNoSidecarInjection, {
    type: NS,
    props: { metadata: { name: "agents", labels: { "istio.io/dataplane-mode": "ambient", "istio-injection": "enabled", "istio.io/rev": "1-30" } } },
  });
  assert.equal(both.violations.length, 2);
  const fixed = await ambientNoSidecarInjection.remediateResource!(
    resourceArgs({ type: NS, props: { metadata: { name: "agents", labels: { "istio.io/dataplane-mode": "ambient", "istio.io/rev": "1-30" } } } }),
  );
  assert.deepEqual((fixed as any).metadata.labels, { "istio.io/dataplane-mode": "ambient" });
});

const istiod = (cluster: string, meshID: string, trustDomain: string, network: string) =>
  stackResource({ type: REL, name: `${cluster}-istiod`, props: { chart: "istiod", values: { global: { meshID, network, multiCluster: { clusterName: cluster } }, meshConfig: { trustDomain } } }, provider: k8sProvider(cluster) });
const ztunnel = (cluster: string, network: string) =>
  stackResource({ type: REL, name: `${cluster}-ztunnel`, props: { chart: "ztunnel", values: { global: { network }, multiCluster: { clusterName: cluster } } }, provider: k8sProvider(cluster) });
const istioNs = (cluster: string, network: string) =>
  stackResource({ type: NS, name: `${cluster}-ns`, props: { metadata: { name: "istio-system", labels: { "topology.istio.io/network": network } } }, provider: k8sProvider(cluster) });

test("mesh-identity-consistent: one meshID and trust domain, unique and consistent networks", async () => {
  const ok = await runStack(meshIdentityConsistent, [
    istiod("a", "mesh", "cluster.local", "net-a"), ztunnel("a", "net-a"), istioNs("a", "net-a"),
    istiod("b", "mesh", "cluster.local", "net-b"), ztunnel("b", "net-b"), istioNs("b", "net-b"),
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runStack(meshIdentityConsistent, [
    istiod("a", "mesh", "cluster.local", "net-a"), istioNs("a", "net-x"),
    istiod("b", "other", "corp.example", "net-b"),
    istiod("c", "mesh", "cluster.local", "net-b"),
  ]);
  const messages = bad.violations.map((v) => v.message).join("\n");
  assert.match(messages, /cluster a names its network inconsistently/);
  assert.match(messages, /meshID differs across clusters/);
  assert.match(messages, /trust domain differs across clusters/);
  assert.match(messages, /network net-b is claimed by clusters b, c/);
});

test("mesh-identity-consistent: agentgateway's proxies take istiod's trust domain, network and cluster name", async () => {
  const mesh = [
    stackResource({ type: REL, name: "a-istiod", props: { chart: "istiod", values: { global: { meshID: "m", network: "net-a", multiCluster: { clusterName: "a" } }, meshConfig: { trustDomain: "cluster.local" } } }, provider: k8sProvider("a") }),
  ];
  const params = (istio: Record<string, unknown>) =>
    stackResource({ type: "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayParameters", name: "a-params", props: { metadata: { name: "agent-gateway", namespace: "agents" }, spec: { istio } }, provider: k8sProvider("a") });
  const chart = (istio: Record<string, unknown>) => stackResource({ type: REL, name: "a-agw", props: { chart: "agentgateway", values: { istio } }, provider: k8sProvider("a") });
  const same = { enabled: true, trustDomain: "cluster.local", network: "net-a", clusterId: "a" };
  assert.deepEqual((await runStack(meshIdentityConsistent, [...mesh, params(same), chart({ network: "net-a", clusterId: "a" })])).violations, []);
  const bad = await runStack(meshIdentityConsistent, [...mesh, params({ ...same, trustDomain: "other.local" }), chart({ network: "net-z", clusterId: "a" })]);
  const messages = bad.violations.map((v) => v.message);
  assert.deepEqual(messages, [
    "cluster a: AgentgatewayParameters agents/agent-gateway istio.trustDomain=other.local but istiod's is cluster.local",
    "cluster a: Helm release a-agw (agentgateway) istio.network=net-z but istiod's is net-a",
  ]);
});

test("mesh-identity-consistent: istiod installed as a v4 Chart from an OCI reference is read too", async () => {
  const chart = (cluster: string, meshID: string) =>
    stackResource({ type: "kubernetes:helm.sh/v4:Chart", name: `${cluster}-istiod`, props: { chart: "oci://registry.example.com/charts/istiod", values: { global: { meshID, network: `net-${cluster}`, multiCluster: { clusterName: cluster } } } }, provider: k8sProvider(cluster) });
  assert.deepEqual((await runStack(meshIdentityConsistent, [chart("a", "m"), chart("b", "m")])).violations, []);
  assert.match((await runStack(meshIdentityConsistent, [chart("a", "m"), chart("b", "other")])).violations[0].message, /meshID differs across clusters/);
});

test("mesh-identity-consistent: ztunnel's top-level network and its cluster name agree with istiod; cluster names are unique", async () => {
  const named = (cluster: string, clusterName: string, ztunnelValues: Record<string, unknown>) => [
    stackResource({ type: REL, name: `${cluster}-istiod`, props: { chart: "istiod", values: { global: { meshID: "m", network: `net-${cluster}`, multiCluster: { clusterName } } } }, provider: k8sProvider(cluster) }),
    stackResource({ type: REL, name: `${cluster}-ztunnel`, props: { chart: "ztunnel", values: ztunnelValues }, provider: k8sProvider(cluster) }),
  ];
  const ok = await runStack(meshIdentityConsistent, [...named("a", "a", { global: { network: "net-a" }, multiCluster: { clusterName: "a" } }), ...named("b", "b", { network: "net-b", multiCluster: { clusterName: "b" } })]);
  assert.deepEqual(ok.violations, []);
  const bad = await runStack(meshIdentityConsistent, [
    ...named("a", "a", { global: { network: "net-a" }, network: "net-z", multiCluster: { clusterName: "a" } }),
    ...named("b", "b", { global: { network: "net-b" }, multiCluster: { clusterName: "a" } }),
    ...named("c", "a", { global: { network: "net-c" } }),
  ]);
  const messages = bad.violations.map((v) => v.message).join("\n");
  assert.match(messages, /cluster a names its network inconsistently: .*ztunnel network=net-z/);
  assert.match(messages, /cluster b: ztunnel multiCluster.clusterName=a but istiod global.multiCluster.clusterName=b/);
  assert.match(messages, /Istio cluster name a is used by clusters a, c/);
});

// Istio 1.30.3's charts read an empty value as unset: cluster names `| default "Kubernetes"`, the
// ztunnel network `if`-guarded, meshConfig merged with mergeOverwrite (an empty trustDomain keeps
// the chart's cluster.local); agentgateway v1.4.1's chart sets AGW_ISTIO_* only `if` non-empty.
test("mesh-identity-consistent: an empty Helm value is the chart's default, not a value of its own", async () => {
  const cluster = (name: string, istiodValues: Record<string, unknown>, ztunnelValues: Record<string, unknown>, agw?: Record<string, unknown>) => [
    stackResource({ type: REL, name: `${name}-istiod`, props: { chart: "istiod", values: istiodValues }, provider: k8sProvider(name) }),
    stackResource({ type: REL, name: `${name}-ztunnel`, props: { chart: "ztunnel", values: ztunnelValues }, provider: k8sProvider(name) }),
    ...(agw ? [stackResource({ type: REL, name: `${name}-agw`, props: { chart: "agentgateway", values: { istio: agw } }, provider: k8sProvider(name) })] : []),
  ];
  const mesh = (network: string, extra: Record<string, unknown> = {}) => ({ global: { meshID: "m", network, multiCluster: { clusterName: network.slice(4) } }, meshConfig: { trustDomain: "cluster.local" }, ...extra });
  const ok = await runStack(meshIdentityConsistent, [
    // Before: trust domain "" (a) vs cluster.local (b), and agentgateway's "" network and cluster ID reported as mismatches.
    ...cluster("a", { ...mesh("net-a"), meshConfig: { trustDomain: "" } }, { global: { network: "net-a" }, network: "", multiCluster: { clusterName: "a" } }, { network: "", clusterId: "" }),
    // Before: ztunnel "Kubernetes" vs istiod "" (both are Kubernetes).
    ...cluster("b", { ...mesh("net-b"), global: { meshID: "m", network: "net-b", multiCluster: { clusterName: "" } } }, { global: { network: "net-b" } }),
  ]);
  assert.deepEqual(ok.violations, []);
  // A value set still counts.
  const bad = await runStack(meshIdentityConsistent, [
    ...cluster("a", { ...mesh("net-a"), meshConfig: { trustDomain: "corp.example" } }, { global: { network: "net-a" }, multiCluster: { clusterName: "a" } }, { network: "net-z", clusterId: "" }),
    ...cluster("b", { ...mesh("net-b"), global: { meshID: "m", network: "net-b", multiCluster: { clusterName: "" } } }, { global: { network: "net-b" }, multiCluster: { clusterName: "b" } }),
  ]);
  assert.deepEqual(bad.violations.map((v) => v.message), [
    "cluster a: Helm release a-agw (agentgateway) istio.network=net-z but istiod's is net-a",
    "cluster b: ztunnel multiCluster.clusterName=b but istiod global.multiCluster.clusterName=Kubernetes; ztunnel's workloads would be registered under another cluster",
    "trust domain differs across clusters: corp.example (a); cluster.local (b)",
  ]);
});

const SECRET = "kubernetes:core/v1:Secret";
const cacerts = (cluster: string, props: Record<string, unknown>) =>
  stackResource({ type: SECRET, name: `${cluster}-cacerts`, props: { metadata: { name: "cacerts", namespace: "istio-system", ...((props.metadata as object) ?? {}) }, ...props }, provider: k8sProvider(cluster) });
const pem = (body: string) => `-----BEGIN CERTIFICATE-----\n${Buffer.from(body).toString("base64")}\n-----END CERTIFICATE-----\n`;

test("mesh-root-ca-shared: every cluster plugs in the same root", async () => {
  const mesh = [istiod("a", "m", "cluster.local", "na"), istiod("b", "m", "cluster.local", "nb")];
  const same = await runStack(meshRootCaShared, [...mesh, cacerts("a", { stringData: { "root-cert.pem": pem("root-1") } }), cacerts("b", { data: { "root-cert.pem": Buffer.from(pem("root-1")).toString("base64") } })]);
  assert.deepEqual(same.violations, []);
  const differ = await runStack(meshRootCaShared, [...mesh, cacerts("a", { stringData: { "root-cert.pem": pem("root-1") } }), cacerts("b", { stringData: { "root-cert.pem": pem("root-2") } })]);
  assert.match(differ.violations[0].message, /clusters use different root CAs/);
  // Encrypted data: the trust component's fingerprint annotation decides.
  const annotated = (cluster: string, hash: string) => cacerts(cluster, { metadata: { name: "cacerts", namespace: "istio-system", annotations: { "inference-mesh.io/root-cert-sha256": hash } }, stringData: UNKNOWN });
  assert.deepEqual((await runStack(meshRootCaShared, [...mesh, annotated("a", "aa"), annotated("b", "aa")])).violations, []);
  assert.equal((await runStack(meshRootCaShared, [...mesh, annotated("a", "aa"), annotated("b", "bb")])).violations.length, 1);
  const missing = await runStack(meshRootCaShared, [...mesh, annotated("a", "aa")]);
  assert.match(missing.violations[0].message, /cluster b has no istio-system\/cacerts/);
});

test("ambient-no-sidecar-injection: pods in ambient namespaces do not ask for a sidecar", async () => {
  const pod = (namespace: string, labels: Record<string, string>) => ({
    type: "kubernetes:apps/v1:Deployment",
    props: { metadata: { name: "agent", namespace }, spec: { template: { metadata: { labels }, spec: { containers: [] } } } },
  });
  const ok = await runResource(ambientNoSidecarInjection, [pod("agents", { app: "agent" }), pod("legacy", { "sidecar.istio.io/inject": "true" })]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(ambientNoSidecarInjection, pod("agents", { "sidecar.istio.io/inject": "true" }), null);
  assert.match(bad.violations[0].message, /asks for a sidecar \(sidecar\.istio\.io\/inject=true\) in ambient namespace agents/);
  // A revision label is a request for that revision's injector.
  const rev = await runResource(ambientNoSidecarInjection, pod("tools", { "istio.io/rev": "default" }), null);
  assert.match(rev.violations[0].message, /labelled istio\.io\/rev=default/);
  // The revision webhook skips pods that opt out explicitly.
  assert.deepEqual((await runResource(ambientNoSidecarInjection, pod("tools", { "istio.io/rev": "default", "sidecar.istio.io/inject": "false" }))).violations, []);
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

test("mesh identity and mTLS: chart defaults count (cluster name Kubernetes), any selector-less root PeerAuthentication is mesh-level", async () => {
  const bare = (cluster: string) => stackResource({ type: REL, name: `${cluster}-istiod`, props: { chart: "istiod", values: { global: { meshID: "m", network: `net-${cluster}` } } }, provider: k8sProvider(cluster) });
  const dup = await runStack(meshIdentityConsistent, [bare("a"), bare("b")]);
  assert.match(dup.violations.map((v) => v.message).join("\n"), /Istio cluster name Kubernetes is used by clusters a, b/);
  const rootPa = (name: string, spec: Record<string, unknown>) => pa("a", "istio-system", name, spec);
  const emptySelector = await runStack(meshMtlsStrict, [provider("a"), rootPa("default", { selector: { matchLabels: {} }, mtls: { mode: "STRICT" } })], { ambientNamespaces: [] });
  assert.deepEqual(emptySelector.violations, [], "empty matchLabels is no selector");
  const legacy = await runStack(meshMtlsStrict, [provider("a"), rootPa("default", { mtls: { mode: "STRICT" } }), rootPa("legacy", { mtls: { mode: "UNSET" } })], { ambientNamespaces: [] });
  assert.match(legacy.violations[0].message, /mesh-level PeerAuthentication istio-system\/legacy .* mode is UNSET, not STRICT/);
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
const messages = (o: { violations: { message: string }[] }) => o.violations.map((v) => v.message);

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

test("ambient-no-sidecar-injection: enableNamespacesByDefault is read as Helm's if reads it", async () => {
  const istiod = (enableNamespacesByDefault: unknown) => ({ type: REL, props: { name: "istiod", chart: "istiod", values: { sidecarInjectorWebhook: { enableNamespacesByDefault } } } });
  for (const off of [false, "", null]) assert.deepEqual((await runResource(ambientNoSidecarInjection, istiod(off))).violations, [], `off: ${JSON.stringify(off)}`);
  for (const on of ["true", "false", 1]) {
    const bad = await runResource(ambientNoSidecarInjection, istiod(on));
    assert.equal(bad.violations.length, 1, `on: ${JSON.stringify(on)}`);
    assert.match(bad.violations[0].message, /enableNamespacesByDefault: every pod in the ambient namespaces gets a sidecar/);
  }
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

test("mesh-root-ca-shared: a cluster whose charts are unknown in a preview may be part of the mesh (can't judge), not taken to run no istiod", async () => {
  const root1 = { stringData: { "root-cert.pem": pem("root-1") } };
  const unknownChart = (cluster: string) => stackResource({ type: REL, name: `${cluster}-istiod`, props: { chart: UNKNOWN, values: {} }, provider: k8sProvider(cluster) });
  // One known istiod and one cluster whose chart is not known yet (before: a one-cluster mesh, no verdict at all).
  const two = await runStack(meshRootCaShared, [istiod("a", "m", "cluster.local", "na"), cacerts("a", root1), unknownChart("b")]);
  assert.deepEqual(two.violations, []);
  assert.match(two.unknown[0], /the Helm charts of cluster b \(whether it runs an istiod of the mesh\)/);
  // Known verdicts stand beside it; a maybe-cluster carrying the mesh's root cannot change them and waits for nothing.
  const three = await runStack(meshRootCaShared, [istiod("a", "m", "cluster.local", "na"), istiod("c", "m", "cluster.local", "nc"), cacerts("a", root1), unknownChart("b"), cacerts("b", root1)]);
  assert.deepEqual(three.violations.map((v) => v.message), ["cluster c has no istio-system/cacerts: istiod would mint its own root and the cluster could not talk to the others"]);
  assert.deepEqual(three.unknown, []);
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

// <Kind>Patch resources (pulumi-kubernetes `kubernetes:<group>/<version>:<Kind>Patch`): judged for
// the fields they set, never for what they leave out.
const NS_PATCH = "kubernetes:core/v1:NamespacePatch";
const nsPatch = (name: string, labels: Record<string, string>, cluster = "a") =>
  stackResource({ type: NS_PATCH, name: `${cluster}-${name}-patch`, props: { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } }, provider: k8sProvider(cluster) });
const deploymentPatch = (namespace: string, name: string, template: Record<string, unknown>, cluster = "a") =>
  stackResource({ type: "kubernetes:apps/v1:DeploymentPatch", name: `${cluster}-${name}-patch`, props: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace }, spec: { template } }, provider: k8sProvider(cluster) });

test("peer-authentication-strict: a PeerAuthenticationPatch is judged for the mode it sets", async () => {
  const patch = (spec: unknown) => ({ type: "kubernetes:security.istio.io/v1:PeerAuthenticationPatch", name: "a-pa-patch", props: { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "default", namespace: "istio-system" }, spec } });
  // Before: no policy judged a patch, so this turned the mesh PERMISSIVE unseen.
  const weak = await runResource(peerAuthenticationStrict, [patch({ mtls: { mode: "PERMISSIVE" } }), patch({ portLevelMtls: { "8080": { mode: "DISABLE" } } })]);
  assert.deepEqual(messages(weak), [
    "PeerAuthenticationPatch istio-system/default sets mtls.mode PERMISSIVE; use STRICT (or leave it unset to inherit)",
    "PeerAuthenticationPatch istio-system/default sets portLevelMtls[8080].mode DISABLE; use STRICT",
  ]);
  // A patch that sets STRICT, or leaves the mode alone, weakens nothing.
  assert.deepEqual((await runResource(peerAuthenticationStrict, [patch({ mtls: { mode: "STRICT" } }), patch(undefined)])).violations, []);
  const fixed = await peerAuthenticationStrict.remediateResource!(resourceArgs(patch({ mtls: { mode: "PERMISSIVE" } })));
  assert.equal((fixed as any).spec.mtls.mode, "STRICT");
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
