/**
 * Policy tests for mesh-identity-consistent (one meshID and trust domain, networks and cluster
 * names as the Istio and agentgateway charts read them) and mesh-root-ca-shared.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { meshMtlsStrict } from "../../policy/rules/mesh-mtls-strict";
import { meshIdentityConsistent } from "../../policy/rules/mesh-identity-consistent";
import { meshRootCaShared } from "../../policy/rules/mesh-root-ca-shared";
import { meshMulticlusterWiring } from "../../policy/rules/mesh-multicluster-wiring";
import { k8sProvider, runStack, stackResource, UNKNOWN } from "../support/policy";
import { NS, REL, provider, pa, messages, wiredCluster } from "./mesh-support";
import { cacertsFilesFor, intermediateCa, rootCa } from "../support/ca-bundle";

const istiod = (cluster: string, meshID: string, trustDomain: string, network: string) =>
  stackResource({ type: REL, name: `${cluster}-istiod`, props: { chart: "istiod", namespace: "istio-system", values: { global: { meshID, network, multiCluster: { clusterName: cluster } }, meshConfig: { trustDomain } } }, provider: k8sProvider(cluster) });

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
    stackResource({ type: REL, name: "a-istiod", props: { chart: "istiod", namespace: "istio-system", values: { global: { meshID: "m", network: "net-a", multiCluster: { clusterName: "a" } }, meshConfig: { trustDomain: "cluster.local" } } }, provider: k8sProvider("a") }),
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
    stackResource({ type: REL, name: `${cluster}-istiod`, props: { chart: "istiod", namespace: "istio-system", values: { global: { meshID: "m", network: `net-${cluster}`, multiCluster: { clusterName } } } }, provider: k8sProvider(cluster) }),
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
// ztunnel network `if`-guarded; agentgateway v1.4.1's chart sets AGW_ISTIO_* only `if` non-empty.
// (An empty meshConfig.trustDomain is not: see the next test.)
test("mesh-identity-consistent: an empty Helm value is the chart's default, not a value of its own", async () => {
  const cluster = (name: string, istiodValues: Record<string, unknown>, ztunnelValues: Record<string, unknown>, agw?: Record<string, unknown>) => [
    stackResource({ type: REL, name: `${name}-istiod`, props: { chart: "istiod", namespace: "istio-system", values: istiodValues }, provider: k8sProvider(name) }),
    stackResource({ type: REL, name: `${name}-ztunnel`, props: { chart: "ztunnel", values: ztunnelValues }, provider: k8sProvider(name) }),
    ...(agw ? [stackResource({ type: REL, name: `${name}-agw`, props: { chart: "agentgateway", values: { istio: agw } }, provider: k8sProvider(name) })] : []),
  ];
  const mesh = (network: string, extra: Record<string, unknown> = {}) => ({ global: { meshID: "m", network, multiCluster: { clusterName: network.slice(4) } }, meshConfig: { trustDomain: "cluster.local" }, ...extra });
  const ok = await runStack(meshIdentityConsistent, [
    // Before: agentgateway's "" network and cluster ID reported as mismatches.
    ...cluster("a", { ...mesh("net-a"), meshConfig: {} }, { global: { network: "net-a" }, network: "", multiCluster: { clusterName: "a" } }, { network: "", clusterId: "" }),
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

// The istiod chart lays meshConfig over its mesh with sprig's mergeOverwrite, whose mergo (v1.0.1
// merge.go) sets a map entry even to "", so an empty trustDomain reaches istiod, which validates the
// mesh config as a whole (Istio 1.30.3 pkg/config/mesh ApplyMeshConfig, validation/agent
// ValidateTrustDomain: "empty domain name not allowed") and, refusing it, runs on Istio's defaults
// (meshwatcher/collection.go "invalid mesh config"). Before, it was read as cluster.local and passed.
test("mesh-identity-consistent: a trust domain Istio refuses drops istiod's whole meshConfig, and is reported", async () => {
  const istiodWith = (meshConfig: Record<string, unknown>, extra: Record<string, unknown> = {}) => [
    stackResource({ type: REL, name: "a-istiod", props: { chart: "istiod", namespace: "istio-system", values: { global: { meshID: "m", network: "net-a", multiCluster: { clusterName: "a" } }, meshConfig, ...extra } }, provider: k8sProvider("a") }),
  ];
  const said = async (resources: any[]) => (await runStack(meshIdentityConsistent, resources)).violations.map((v) => v.message);
  const empty = await said(istiodWith({ trustDomain: "", rootNamespace: "mesh-root" }));
  assert.equal(empty.length, 1, empty.join("\n"));
  assert.ok(empty[0].startsWith(`cluster a: istiod release a-istiod sets meshConfig.trustDomain "" (empty domain name not allowed), which Istio 1.30.3 refuses: istiod rejects the whole mesh config`), empty[0]);
  for (const [meshConfig, extra, what] of [
    [{ trustDomain: "Corp.Example" }, {}, `meshConfig.trustDomain "Corp.Example" (trust domain name "Corp.Example" invalid)`],
    [{ trustDomain: "corp.example" }, { pilot: { meshConfig: { trustDomain: "" } } }, `meshConfig.trustDomain ""`],
    [{ trustDomain: "corp.example", trustDomainAliases: ["old.example", "a..b"] }, {}, `meshConfig.trustDomainAliases[1] "a..b"`],
  ] as const) {
    const got = await said(istiodWith(meshConfig, extra));
    assert.equal(got.length, 1, JSON.stringify(meshConfig));
    assert.match(got[0], new RegExp(`sets ${what.replace(/[.*()[\]]/g, "\\$&")}`));
  }
  // Names Istio takes, a trailing dot included, pass.
  for (const trustDomain of ["corp.example", "istio.io.", "cluster.local"]) assert.deepEqual(await said(istiodWith({ trustDomain })), [], trustDomain);
});

const SECRET = "kubernetes:core/v1:Secret";

const cacerts = (cluster: string, props: Record<string, unknown>) =>
  stackResource({ type: SECRET, name: `${cluster}-cacerts`, props: { metadata: { name: "cacerts", namespace: "istio-system", ...((props.metadata as object) ?? {}) }, ...props }, provider: k8sProvider(cluster) });

/** A cluster's cacerts files under the root `root` (real certificates: the policy checks the bundle as istiod loads it). */
const bundle = async (root: string, cluster: string) => {
  const ca = await rootCa(root);
  return cacertsFilesFor(await intermediateCa(`${root}-${cluster}`, ca), ca);
};
const base64 = (files: Record<string, string>) => Object.fromEntries(Object.entries(files).map(([k, v]) => [k, Buffer.from(v).toString("base64")]));

test("mesh-root-ca-shared: every cluster plugs in the same root", async () => {
  const mesh = [istiod("a", "m", "cluster.local", "na"), istiod("b", "m", "cluster.local", "nb")];
  const same = await runStack(meshRootCaShared, [...mesh, cacerts("a", { stringData: await bundle("root-1", "a") }), cacerts("b", { data: base64(await bundle("root-1", "b")) })]);
  assert.deepEqual(same.violations, []);
  const differ = await runStack(meshRootCaShared, [...mesh, cacerts("a", { stringData: await bundle("root-1", "a") }), cacerts("b", { stringData: await bundle("root-2", "b") })]);
  assert.deepEqual(differ.violations.map((v) => v.message.replace(/[0-9a-f]{12}…/g, "…")), ["clusters use different root CAs: … (a); … (b)"]);
  // Encrypted data: the trust component's fingerprint annotation decides.
  const annotated = (cluster: string, hash: string) => cacerts(cluster, { metadata: { name: "cacerts", namespace: "istio-system", annotations: { "inference-mesh.io/root-cert-sha256": hash } }, stringData: UNKNOWN });
  assert.deepEqual((await runStack(meshRootCaShared, [...mesh, annotated("a", "aa"), annotated("b", "aa")])).violations, []);
  assert.equal((await runStack(meshRootCaShared, [...mesh, annotated("a", "aa"), annotated("b", "bb")])).violations.length, 1);
  const missing = await runStack(meshRootCaShared, [...mesh, annotated("a", "aa")]);
  assert.match(missing.violations[0].message, /cluster b has no istio-system\/cacerts/);
});

test("mesh identity and mTLS: chart defaults count (cluster name Kubernetes), any selector-less root PeerAuthentication is mesh-level", async () => {
  const bare = (cluster: string) => stackResource({ type: REL, name: `${cluster}-istiod`, props: { chart: "istiod", namespace: "istio-system", values: { global: { meshID: "m", network: `net-${cluster}` } } }, provider: k8sProvider(cluster) });
  const dup = await runStack(meshIdentityConsistent, [bare("a"), bare("b")]);
  assert.match(dup.violations.map((v) => v.message).join("\n"), /Istio cluster name Kubernetes is used by clusters a, b/);
  const rootPa = (name: string, spec: Record<string, unknown>) => pa("a", "istio-system", name, spec);
  const emptySelector = await runStack(meshMtlsStrict, [provider("a"), rootPa("default", { selector: { matchLabels: {} }, mtls: { mode: "STRICT" } })], { ambientNamespaces: [] });
  assert.deepEqual(emptySelector.violations, [], "empty matchLabels is no selector");
  const legacy = await runStack(meshMtlsStrict, [provider("a"), rootPa("default", { mtls: { mode: "STRICT" } }), rootPa("legacy", { mtls: { mode: "UNSET" } })], { ambientNamespaces: [] });
  assert.match(legacy.violations[0].message, /mesh-level PeerAuthentication istio-system\/legacy .* mode is UNSET, not STRICT/);
});

test("mesh-root-ca-shared: a cluster whose charts are unknown in a preview may be part of the mesh (can't judge), not taken to run no istiod", async () => {
  const root1 = { stringData: await bundle("root-1", "a") };
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

test("mesh-multicluster-wiring: a remote secret for every ordered pair, none for a cluster outside the mesh, an east-west gateway per cluster", async () => {
  const names = ["a", "b", "c", "d", "e"];
  const full = names.flatMap((n) => wiredCluster(n, names.filter((o) => o !== n)));
  assert.deepEqual((await runStack(meshMulticlusterWiring, full)).violations, []);
  // One cluster: nothing to wire; two: each reads the other.
  assert.deepEqual((await runStack(meshMulticlusterWiring, wiredCluster("a", [], { eastWest: null }))).violations, []);
  assert.deepEqual((await runStack(meshMulticlusterWiring, [...wiredCluster("a", ["b"]), ...wiredCluster("b", ["a"])])).violations, []);
  // Cluster c removed from the mesh, but a and b still read it; b also lost its secret for a, and its east-west gateway claims a's network.
  const broken = [...wiredCluster("a", ["b", "c"]), ...wiredCluster("b", [], { eastWest: { metadata: { name: "istio-eastwestgateway", namespace: "istio-system", labels: { "topology.istio.io/network": "net-a" } } } })];
  assert.deepEqual(messages(await runStack(meshMulticlusterWiring, broken)), [
    "cluster a: remote secret istio-system/istio-remote-secret-c names cluster c, which is not in this mesh (a, b): istiod keeps reading a cluster the stack no longer has; drop it (or list it in externalClusters)",
    "cluster b has no remote secret for cluster a (a Secret in istio-system labelled istio/multiCluster: \"true\" with the key a): its istiod never sees a's services and endpoints",
    "cluster b: east-west gateway istio-system/istio-eastwestgateway is labelled topology.istio.io/network: net-a, not its cluster's network net-b (istiod global.network): the other clusters take a remote east-west gateway's network from that label alone (Istio 1.30.3 pilot/pkg/serviceregistry/ambient/networks.go remoteK8sGatewayToNetworkGateways), so they may send net-a's traffic to it, and net-b gets no gateway: they cannot reach its workloads; label it topology.istio.io/network: net-b",
  ]);
  // A cluster managed outside the stack may be read when listed; an unlabelled Secret is no remote secret.
  const external = [...wiredCluster("a", ["b", "corp"]), ...wiredCluster("b", ["a"])];
  assert.deepEqual((await runStack(meshMulticlusterWiring, external, { externalClusters: ["corp"] })).violations, []);
  const unlabelled = [...wiredCluster("a", ["b"]), ...wiredCluster("b", ["a"])];
  (unlabelled.find((r) => r.name === "b-remote-a")!.props.metadata as any).labels = {};
  assert.match(messages(await runStack(meshMulticlusterWiring, unlabelled)).join("\n"), /^cluster b has no remote secret for cluster a /);
  // A Gateway of another class, or without an HBONE listener terminating TLS, is no east-west gateway.
  for (const eastWest of [{ spec: { gatewayClassName: "istio", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE", tls: { mode: "Terminate" } }] } }, { spec: { gatewayClassName: "istio-east-west", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] } }]) {
    const stack = [...wiredCluster("a", ["b"]), ...wiredCluster("b", ["a"], { eastWest })];
    assert.match(messages(await runStack(meshMulticlusterWiring, stack)).join("\n"), /^cluster b has no east-west gateway for its network net-b/);
  }
});

test("mesh-multicluster-wiring: remote secret keys unknown in a preview fall back to istioctl's cluster annotation, else can't judge", async () => {
  const stack = [...wiredCluster("a", ["b"]), ...wiredCluster("b", ["a"])];
  (stack.find((r) => r.name === "a-remote-b")!.props as any).stringData = UNKNOWN;
  assert.deepEqual((await runStack(meshMulticlusterWiring, stack)).violations, []);
  (stack.find((r) => r.name === "a-remote-b")!.props.metadata as any).annotations = {};
  const out = await runStack(meshMulticlusterWiring, stack);
  assert.ok(out.unknown.length > 0, "can't judge");
});

// The istiod chart mounts `cacerts` from its release namespace (Istio 1.30.3 istio-discovery
// templates/deployment.yaml); before, only istio-system/cacerts counted, so a fork running istiod
// in another namespace failed with its cacerts beside istiod, and passed with them where istiod
// never reads them (it then mints its own root).
test("mesh-root-ca-shared: cacerts are looked for in istiod's release namespace", async () => {
  const root1 = { stringData: await bundle("root-1", "a") };
  const inNs = (cluster: string, namespace: string) => stackResource({ type: REL, name: `${cluster}-istiod`, props: { chart: "istiod", namespace, values: { global: { meshID: "m", istioNamespace: namespace, network: `n${cluster}` } } }, provider: k8sProvider(cluster) });
  const secretIn = (cluster: string, namespace: string) => cacerts(cluster, { metadata: { name: "cacerts", namespace }, ...root1 });
  const beside = await runStack(meshRootCaShared, [inNs("a", "istio"), inNs("b", "istio"), secretIn("a", "istio"), secretIn("b", "istio")]);
  assert.deepEqual(beside.violations, []);
  const elsewhere = await runStack(meshRootCaShared, [inNs("a", "istio"), inNs("b", "istio"), secretIn("a", "istio"), secretIn("b", "istio-system")]);
  assert.deepEqual(messages(elsewhere), ["cluster b has no istio/cacerts (istiod's namespace, whose cacerts it mounts): istiod would mint its own root and the cluster could not talk to the others"]);
  // A release namespace not known yet: can't judge that cluster; the others still are.
  const later = await runStack(meshRootCaShared, [inNs("a", "istio"), inNs("b", UNKNOWN as unknown as string), secretIn("a", "istio")]);
  assert.deepEqual(later.violations, []);
  assert.match(later.unknown[0], /the namespace of istiod on cluster b/);
});

// istiod reads the network of its cluster from its own namespace's topology.istio.io/network label
// (POD_NAMESPACE; Istio 1.30.3 kube controller networkFromSystemNamespace): before, only
// istio-system's label was compared, whichever namespace istiod ran in.
test("mesh-identity-consistent: the network label is read on istiod's namespace (its release's)", async () => {
  const inNs = (cluster: string, namespace: string, network: string) =>
    stackResource({ type: REL, name: `${cluster}-istiod`, props: { chart: "istiod", namespace, values: { global: { meshID: "m", istioNamespace: namespace, network, multiCluster: { clusterName: cluster } } } }, provider: k8sProvider(cluster) });
  const ns = (cluster: string, name: string, network: string) => stackResource({ type: NS, name: `${cluster}-ns-${name}`, props: { metadata: { name, labels: { "topology.istio.io/network": network } } }, provider: k8sProvider(cluster) });
  const ok = await runStack(meshIdentityConsistent, [inNs("a", "istio", "net-a"), ns("a", "istio", "net-a"), ns("a", "istio-system", "unrelated"), inNs("b", "istio", "net-b"), ns("b", "istio", "net-b")]);
  assert.deepEqual(ok.violations, []);
  const bad = await runStack(meshIdentityConsistent, [inNs("a", "istio", "net-a"), ns("a", "istio", "net-x"), inNs("b", "istio", "net-b")]);
  assert.deepEqual(messages(bad), ["cluster a names its network inconsistently: istiod global.network=net-a, istio label topology.istio.io/network=net-x"]);
});

// ztunnel 1.30.3 looks a Service's address up in its NETWORK (proxy/outbound.rs build_request),
// the empty network when unset; istiod files Services under the cluster's network (the system
// namespace's label). Before, a ztunnel with no network beside a networked istiod passed.
test("mesh-identity-consistent: ztunnel sets the cluster's network when the cluster has one", async () => {
  const zt = (values: Record<string, unknown>) => stackResource({ type: REL, name: "a-ztunnel", props: { chart: "ztunnel", values: { multiCluster: { clusterName: "a" }, ...values } }, provider: k8sProvider("a") });
  const stack = (ztunnelValues: Record<string, unknown>, network = "net-a") => [istiod("a", "m", "cluster.local", network), istioNs("a", network), zt(ztunnelValues)];
  for (const values of [{ global: { network: "net-a" } }, { network: "net-a" }]) assert.deepEqual((await runStack(meshIdentityConsistent, stack(values))).violations, []);
  const unset = "cluster a: ztunnel sets no network (global.network or network) but the cluster's is net-a: ztunnel looks Service addresses up in the empty network, finds none of the cluster's Services there and skips their waypoints (and the L7 policies on them)";
  for (const values of [{}, { network: "", global: { network: "" } }]) assert.deepEqual(messages(await runStack(meshIdentityConsistent, stack(values))), [unset]);
  const out = await runStack(meshIdentityConsistent, stack({}));
  assert.equal(out.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:helm.sh/v3:Release::a-ztunnel");
  // Not known yet: can't judge; a cluster with no network anywhere is istiod's finding alone.
  const later = await runStack(meshIdentityConsistent, stack({ global: { network: UNKNOWN } }));
  assert.deepEqual(later.violations, []);
  assert.match(later.unknown.join("\n"), /the network of cluster a \(ztunnel global.network\)/);
  const none = await runStack(meshIdentityConsistent, [stackResource({ type: REL, name: "a-istiod", props: { chart: "istiod", namespace: "istio-system", values: { global: { meshID: "m", multiCluster: { clusterName: "a" } } } }, provider: k8sProvider("a") }), zt({})]);
  assert.deepEqual(messages(none), ["cluster a: istiod has no global.network; multi-network ambient needs one per cluster"]);
});

// istiod takes the cluster's network from its namespace's topology.istio.io/network label alone
// (Istio 1.30.3 serviceregistry/ambient networks.go LocalSystemNamespaceNetwork); before, a stack
// whose istio-system lost the label beside a networked istiod and ztunnel passed.
test("mesh-identity-consistent: istiod's namespace carries the cluster's network label when the cluster has a network", async () => {
  const bare = stackResource({ type: NS, name: "a-ns", props: { metadata: { name: "istio-system", labels: { "app.kubernetes.io/part-of": "inference-mesh" } } }, provider: k8sProvider("a") });
  const out = await runStack(meshIdentityConsistent, [istiod("a", "m", "cluster.local", "net-a"), ztunnel("a", "net-a"), bare]);
  assert.deepEqual(messages(out), [
    "cluster a: namespace istio-system, whose topology.istio.io/network label istiod (and every other cluster) reads as the cluster's network, has none, while the cluster's network is net-a: istiod files its workloads and Services under the empty network, where its ztunnels (NETWORK net-a) do not find them and skip their waypoints, and the other clusters cannot route to them; label it topology.istio.io/network: net-a",
  ]);
  assert.equal(out.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:core/v1:Namespace::a-ns");
  // Labelled, or not rendered by the stack (made elsewhere): nothing to say.
  assert.deepEqual((await runStack(meshIdentityConsistent, [istiod("a", "m", "cluster.local", "net-a"), ztunnel("a", "net-a"), istioNs("a", "net-a")])).violations, []);
  assert.deepEqual((await runStack(meshIdentityConsistent, [istiod("a", "m", "cluster.local", "net-a"), ztunnel("a", "net-a")])).violations, []);
});
