/**
 * Policy tests for how resources reach their cluster: explicit-kubernetes-provider (every
 * Kubernetes resource on an explicit provider naming its cluster's kubeconfig),
 * kubernetes-cluster-binding (one resource per object per cluster, on its own cluster's provider)
 * and eks-endpoint-private (public EKS endpoints).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { explicitKubernetesProvider } from "../../policy/rules/explicit-kubernetes-provider";
import { eksEndpointPrivate } from "../../policy/rules/eks-endpoint-private";
import { kubernetesClusterBinding } from "../../policy/rules/kubernetes-cluster-binding";
import { meshMtlsStrict } from "../../policy/rules/mesh-mtls-strict";
import { byCluster } from "../../policy/lib/k8s";
import { providerTarget } from "../../policy/lib/provider-targets";
import { k8sProvider, runResource, runStack, stackResource, UNKNOWN } from "../support/policy";

test("explicit-kubernetes-provider: every Kubernetes resource on an explicit provider", async () => {
  const ns = { type: "kubernetes:core/v1:Namespace", props: { metadata: { name: "inference" } } };
  const ok = await runResource(explicitKubernetesProvider, [
    ns,
    { type: "kubernetes:yaml/v2:ConfigFile", props: {}, provider: null },
    { type: "kubernetes:helm.sh/v3:Chart", props: {}, provider: null },
    { type: "aws:s3/bucket:Bucket", props: {}, provider: null },
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(explicitKubernetesProvider, [
    { ...ns, name: "none", provider: null },
    { ...ns, name: "default", provider: { name: "default_4_34_2" } },
  ]);
  assert.equal(bad.violations.length, 2);
  assert.match(bad.violations[1].message, /uses the default kubernetes provider/);
});

test("eks-endpoint-private: public EKS endpoints only where the stack allows them, never open to the world", async () => {
  const eks = (props: Record<string, unknown>) => ({ type: "eks:index:Cluster", name: "use1-eks", props, provider: null });
  const aws = (vpcConfig: Record<string, unknown>) => ({ type: "aws:eks/cluster:Cluster", name: "raw", props: { vpcConfig }, provider: null });
  assert.deepEqual((await runResource(eksEndpointPrivate, [eks({ endpointPublicAccess: false }), aws({ endpointPublicAccess: false })])).violations, []);
  const publicByDefault = await runResource(eksEndpointPrivate, [eks({}), aws({ subnetIds: [] })], null);
  assert.equal(publicByDefault.violations.length, 2);
  assert.match(publicByDefault.violations[0].message, /public API endpoint but the stack forbids them/);
  const allowed = await runResource(eksEndpointPrivate, eks({ endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24"] }), { allowPublicApiEndpoints: true });
  assert.deepEqual(allowed.violations, []);
  const world = await runResource(eksEndpointPrivate, eks({ endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/0"] }), { allowPublicApiEndpoints: true });
  assert.match(world.violations[0].message, /open to 0\.0\.0\.0\/0/);
});

test("eks-endpoint-private: ranges that together cover the internet are as open as 0.0.0.0/0", async () => {
  const eks = (publicAccessCidrs: string[]) => ({ type: "eks:index:Cluster", name: "use1-eks", props: { endpointPublicAccess: true, publicAccessCidrs }, provider: null });
  const halves = await runResource(eksEndpointPrivate, eks(["0.0.0.0/1", "128.0.0.0/1"]), { allowPublicApiEndpoints: true });
  assert.equal(halves.violations.length, 1);
  assert.deepEqual((await runResource(eksEndpointPrivate, eks(["0.0.0.0/1", "203.0.113.0/24"]), { allowPublicApiEndpoints: true })).violations, []);
});

test("explicit-kubernetes-provider: every explicit provider names its cluster's kubeconfig", async () => {
  const provider = (name: string, props: Record<string, unknown>) => ({ type: "pulumi:providers:kubernetes", name, props: { enableServerSideApply: true, ...props }, provider: null });
  const ok = await runResource(explicitKubernetesProvider, [
    // An existing cluster's kubeconfig file (the local stack), inline content, and a cluster's
    // kubeconfig still being computed in its first preview (or encrypted in an export).
    provider("local-k8s", { kubeconfig: "/root/.kube/config", context: "k3d-local" }),
    provider("gke-k8s", { kubeconfig: "apiVersion: v1\nkind: Config\nclusters: []\n" }),
    provider("eks-k8s", { kubeconfig: UNKNOWN }),
    // Render mode writes manifests and applies nothing.
    provider("yaml-k8s", { renderYamlToDirectory: "out/yaml" }),
    // The engine's default provider is reported on the resources that use it.
    provider("default_4_34_2", {}),
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(explicitKubernetesProvider, [
    provider("aws-use1-k8s", {}),
    provider("aws-euw1-k8s", { kubeconfig: "  " }),
    provider("gcp-usc1-k8s", { context: "prod" }),
  ]);
  assert.equal(bad.violations.length, 3, JSON.stringify(bad.violations, null, 1));
  assert.match(bad.violations[0].message, /^provider aws-use1-k8s sets no kubeconfig: pulumi-kubernetes then loads \$KUBECONFIG, ~\/\.kube\/config or the in-cluster account of whoever runs Pulumi, and deploys/);
  assert.match(bad.violations[2].message, /\(context prod is looked up there too\)/);
});

test("eks-endpoint-private: an endpoint setting or range unknown in a preview is can't judge, not private nor open", async () => {
  const eks = (props: Record<string, unknown>) => ({ type: "eks:index:Cluster", name: "use1-eks", props, provider: null });
  const aws = (vpcConfig: Record<string, unknown>) => ({ type: "aws:eks/cluster:Cluster", name: "raw", props: { vpcConfig }, provider: null });
  // Publicness not known yet (before: taken as private, a silent pass).
  const publicness = await runResource(eksEndpointPrivate, [eks({ endpointPublicAccess: UNKNOWN }), aws({ endpointPublicAccess: UNKNOWN })], null);
  assert.deepEqual(publicness.violations, []);
  assert.equal(publicness.unknown.length, 2);
  assert.match(publicness.unknown[0], /endpointPublicAccess of EKS cluster use1-eks, which decides: .*public API endpoint but the stack forbids them/);
  // Ranges not known yet (before: taken as none, "open to 0.0.0.0/0 (the default)", a violation).
  const allowed = { allowPublicApiEndpoints: true };
  const ranges = await runResource(eksEndpointPrivate, [eks({ endpointPublicAccess: true, publicAccessCidrs: UNKNOWN }), eks({ endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24", UNKNOWN] })], allowed);
  assert.deepEqual(ranges.violations, []);
  assert.equal(ranges.unknown.length, 2);
  assert.match(ranges.unknown[0], /publicAccessCidrs of EKS cluster use1-eks/);
  // Unknowns that cannot change the verdict block nothing: a known open range fails beside an unknown one,
  // a known private endpoint passes whatever its ranges.
  const open = await runResource(eksEndpointPrivate, [eks({ endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/0", UNKNOWN] }), eks({ endpointPublicAccess: false, publicAccessCidrs: UNKNOWN })], allowed);
  assert.deepEqual(open.unknown, []);
  assert.equal(open.violations.length, 1);
  assert.match(open.violations[0].message, /open to 0\.0\.0\.0\/0; restrict publicAccessCidrs/);
  // Known: a public endpoint the stack forbids is still reported.
  assert.match((await runResource(eksEndpointPrivate, eks({ endpointPublicAccess: true, publicAccessCidrs: UNKNOWN }), null)).violations[0].message, /public API endpoint but the stack forbids them/);
});

test("kubernetes-cluster-binding: one resource per object per cluster, and a `<cluster>-` name on its own cluster's provider", async () => {
  const provider = (cluster: string) => stackResource({ type: "pulumi:providers:kubernetes", name: `${cluster}-k8s`, props: { kubeconfig: `~/.kube/${cluster}.yaml` }, provider: null });
  const obj = (cluster: string, logical: string, type: string, metadata: Record<string, unknown>, on = cluster) =>
    stackResource({ type, name: `${cluster}-${logical}`, props: { metadata }, provider: k8sProvider(on) });
  const calc = (cluster: string, on = cluster) => obj(cluster, "tools-deployment-calculator", "kubernetes:apps/v1:Deployment", { name: "calculator", namespace: "tools" }, on);
  const base = [provider("aws-euw1"), provider("aws-use1"), calc("aws-euw1"), calc("aws-use1")];
  assert.deepEqual((await runStack(kubernetesClusterBinding, base)).violations, []);
  // Before: aws-euw1's calculator bound to aws-use1's provider passed every policy.
  const moved = await runStack(kubernetesClusterBinding, [provider("aws-euw1"), provider("aws-use1"), obj("aws-euw1", "ns-tools", "kubernetes:core/v1:Namespace", { name: "tools" }), calc("aws-euw1", "aws-use1"), calc("aws-use1")]);
  assert.deepEqual(moved.violations.map((v) => v.message), [
    "aws-euw1-tools-deployment-calculator manages apps/Deployment tools/calculator on cluster aws-use1, and so does aws-use1-tools-deployment-calculator: each pulumi up applies its own copy over the other and deleting either deletes the object; keep one (if one of them was meant for another cluster, bind it to that cluster's provider)",
    "aws-use1-tools-deployment-calculator manages apps/Deployment tools/calculator on cluster aws-use1, and so does aws-euw1-tools-deployment-calculator: each pulumi up applies its own copy over the other and deleting either deletes the object; keep one (if one of them was meant for another cluster, bind it to that cluster's provider)",
    "aws-euw1-tools-deployment-calculator (Deployment tools/calculator) is named for cluster aws-euw1 but bound to provider aws-use1-k8s of cluster aws-use1: it is applied to aws-use1, and aws-euw1 does not get it; pass aws-euw1's provider (if it belongs on aws-use1, name it aws-use1-…, or list aws-euw1-tools-deployment-calculator in allowedCrossClusterNames)",
  ]);
  // The same group/kind/namespace/name twice on one cluster, under any version (Istio serves v1 and v1beta1).
  const twice = await runStack(kubernetesClusterBinding, [
    provider("a"),
    obj("a", "pa", "kubernetes:security.istio.io/v1:PeerAuthentication", { name: "default", namespace: "istio-system" }),
    obj("a", "pa-legacy", "kubernetes:security.istio.io/v1beta1:PeerAuthentication", { name: "default", namespace: "istio-system" }),
  ]);
  assert.equal(twice.violations.length, 2);
  assert.match(twice.violations[0].message, /^a-pa manages security\.istio\.io\/PeerAuthentication istio-system\/default on cluster a, and so does a-pa-legacy/);
  const fine = await runStack(kubernetesClusterBinding, [
    provider("eu"),
    provider("eu-west"),
    // A patch of an object the stack creates is not a second owner; nor are auto-named objects, or the same name in another namespace or kind.
    obj("eu", "ns", "kubernetes:core/v1:Namespace", { name: "inference" }),
    stackResource({ type: "kubernetes:core/v1:NamespacePatch", name: "eu-ns-patch", props: { kind: "Namespace", metadata: { name: "inference", labels: { a: "b" } } }, provider: k8sProvider("eu") }),
    obj("eu", "cm-1", "kubernetes:core/v1:ConfigMap", {}),
    obj("eu", "cm-2", "kubernetes:core/v1:ConfigMap", {}),
    obj("eu", "svc", "kubernetes:core/v1:Service", { name: "inference", namespace: "tools" }),
    // Cluster names that prefix each other: `eu-west-…` on eu-west starts with its own cluster's name.
    obj("eu-west", "ns", "kubernetes:core/v1:Namespace", { name: "inference" }),
    // A cluster whose resources do not follow `<cluster>-<thing>` is left alone, and so is a listed name.
    stackResource({ type: "kubernetes:core/v1:Namespace", name: "eu-shared-namespace", props: { metadata: { name: "shared" } }, provider: k8sProvider("other") }),
    obj("eu", "remote-secret-for-west", "kubernetes:core/v1:Secret", { name: "istio-remote-secret-eu", namespace: "istio-system" }, "eu-west"),
  ], { allowedCrossClusterNames: ["eu-remote-secret-for-west"] });
  assert.deepEqual(fine.violations, []);
  // Two Helm releases of one name in one namespace share Helm's release record.
  const helm = (logical: string) => stackResource({ type: "kubernetes:helm.sh/v3:Release", name: logical, props: { name: "istiod", namespace: "istio-system", chart: "istiod" }, provider: k8sProvider("a") });
  assert.equal((await runStack(kubernetesClusterBinding, [provider("a"), helm("a-istiod"), helm("a-istiod-again")])).violations.length, 2);
});

test("kubernetes-cluster-binding: in a cluster's first preview (its objects without outputs) the names still decide; collisions wait where no cluster is known", async () => {
  const provider = (cluster: string) => stackResource({ type: "pulumi:providers:kubernetes", name: `${cluster}-k8s`, props: { kubeconfig: UNKNOWN }, provider: null });
  const empty = (logical: string, on: string) => stackResource({ type: "kubernetes:apps/v1:Deployment", name: logical, props: {}, provider: k8sProvider(on) });
  const known = (logical: string, on: string) => stackResource({ type: "kubernetes:apps/v1:Deployment", name: logical, props: { metadata: { name: "calc", namespace: "tools" } }, provider: k8sProvider(on) });
  // A cluster added to a running stack: left out, the others judged, nothing to wait for.
  const added = await runStack(kubernetesClusterBinding, [provider("a"), provider("b"), known("a-calc", "a"), empty("b-calc", "b"), empty("b-ns", "b")]);
  assert.deepEqual(added, { violations: [], unknown: [], notApplicable: [] });
  // A new stack: the misbound name is reported from names alone; collisions cannot be judged yet.
  const fresh = await runStack(kubernetesClusterBinding, [provider("a"), provider("b"), empty("a-calc", "b"), empty("a-ns", "a"), empty("b-ns", "b")]);
  assert.equal(fresh.violations.length, 1);
  assert.match(fresh.violations[0].message, /^a-calc is named for cluster a but bound to provider b-k8s of cluster b/);
  assert.match(fresh.unknown[0], /whether two resources manage the same object on a, b/);
});

// What a fork binds to @pulumi/eks's `cluster.provider` (`<name>-provider`, a child of the
// eks:index:Cluster) lands on the cluster of the program's provider built from that eks Cluster.
function eksStack() {
  const eksUrn = "urn:pulumi:test::inference-mesh::inference-mesh:cloud:EksCluster$eks:index:Cluster::a-eks";
  const eks = stackResource({ type: "eks:index:Cluster", name: "a-eks", urn: eksUrn, props: {}, provider: null });
  const program = stackResource({ type: "pulumi:providers:kubernetes", name: "a-k8s", urn: k8sProvider("a").urn, props: { kubeconfig: "x" }, provider: null });
  program.dependencies = [eks];
  const ownUrn = "urn:pulumi:test::inference-mesh::inference-mesh:cloud:EksCluster$eks:index:Cluster$pulumi:providers:kubernetes::a-eks-provider";
  const own = stackResource({ type: "pulumi:providers:kubernetes", name: "a-eks-provider", urn: ownUrn, props: { kubeconfig: "{}" }, provider: null });
  own.parent = eks;
  return { resources: [eks, program, own], own: { type: "pulumi:providers:kubernetes", name: "a-eks-provider", urn: ownUrn } };
}

test("kubernetes-cluster-binding: one object managed through the program's provider and @pulumi/eks's own is managed twice", async () => {
  const { resources, own } = eksStack();
  const calc = (logical: string, provider: ReturnType<typeof k8sProvider>) =>
    stackResource({ type: "kubernetes:apps/v1:Deployment", name: logical, props: { metadata: { name: "calculator", namespace: "tools" } }, provider });
  assert.deepEqual((await runStack(kubernetesClusterBinding, [...resources, calc("a-calculator", k8sProvider("a"))])).violations, []);
  // Before: keyed by provider, the two copies of tools/calculator on one cluster passed.
  const twice = await runStack(kubernetesClusterBinding, [...resources, calc("a-calculator", k8sProvider("a")), calc("a-calculator-again", own)]);
  assert.deepEqual(twice.violations.map((v) => v.message.split(":")[0]), [
    "a-calculator manages apps/Deployment tools/calculator on cluster a, and so does a-calculator-again",
    "a-calculator-again manages apps/Deployment tools/calculator on cluster a, and so does a-calculator",
  ]);
});

test("byCluster: objects on @pulumi/eks's own provider are judged with their cluster, not as one no rule looks at", async () => {
  const { resources, own } = eksStack();
  const pa = stackResource({ type: "kubernetes:security.istio.io/v1:PeerAuthentication", name: "a-pa", props: { metadata: { name: "default", namespace: "istio-system" }, spec: { mtls: { mode: "STRICT" } } }, provider: k8sProvider("a") });
  const hostNetwork = stackResource({
    type: "kubernetes:apps/v1:Deployment",
    name: "a-agent",
    props: { metadata: { name: "agent", namespace: "agents" }, spec: { selector: { matchLabels: { app: "agent" } }, template: { metadata: { labels: { app: "agent" } }, spec: { hostNetwork: true, containers: [{ name: "agent", image: "agent:1" }] } } } },
    provider: own,
  });
  const grouped = byCluster([...resources, pa, hostNetwork]);
  assert.deepEqual([...grouped.keys()], ["a"]);
  assert.deepEqual(grouped.get("a")!.map((r) => r.name), ["a-pa", "a-agent"]);
  // Before: a workload outside the mesh bound to cluster.provider passed mesh-mtls-strict.
  const outcome = await runStack(meshMtlsStrict, [...resources, pa, hostNetwork]);
  assert.match(outcome.violations.map((v) => v.message).join("\n"), /^cluster a runs 1 workload\(s\) in namespace agents/m);
});

// Before, providers were told apart by name only: a cluster's provider built from another
// cluster's kubeconfig passed, and that cluster got both clusters' objects.
test("kubernetes-cluster-binding: no two clusters' providers reach the same API server", async () => {
  const kubeconfig = (server: string, extra = "") =>
    `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: ${server}\n- name: d\n  cluster:\n    server: https://d.example:6443\ncontexts:\n- name: c\n  context: { cluster: c, user: u }\n- name: d\n  context: { cluster: d, user: u }\ncurrent-context: c\nusers:\n- name: u\n  user: {}\n${extra}`;
  const prov = (cluster: string, props: Record<string, unknown>) => stackResource({ type: "pulumi:providers:kubernetes", name: `${cluster}-k8s`, urn: k8sProvider(cluster).urn, props, provider: null });
  const distinct = [
    prov("a", { kubeconfig: kubeconfig("https://a.example:6443") }),
    prov("b", { kubeconfig: kubeconfig("https://b.example:6443") }),
    // The same file with another context, and the same kubeconfig text with another context, are other clusters.
    prov("c", { kubeconfig: "~/.kube/config", context: "laptop" }),
    prov("d", { kubeconfig: "~/.kube/config", context: "lab" }),
    prov("e", { kubeconfig: kubeconfig("https://a.example:6443"), context: "d" }),
  ];
  assert.deepEqual((await runStack(kubernetesClusterBinding, distinct)).violations, []);
  // @pulumi/eks's own provider reaches its cluster beside the program's by design.
  const { resources } = eksStack();
  assert.deepEqual((await runStack(kubernetesClusterBinding, resources)).violations, []);
  const copied = await runStack(kubernetesClusterBinding, [
    prov("a", { kubeconfig: kubeconfig("https://a.example:6443") }),
    prov("b", { kubeconfig: kubeconfig("HTTPS://A.example:6443/") }),
    prov("c", { kubeconfig: "~/.kube/config", context: "laptop" }),
    prov("d", { kubeconfig: "~/.kube/config", context: "laptop" }),
  ]);
  assert.deepEqual(copied.violations.map((v) => v.message.split(": the objects")[0]), [
    "provider a-k8s of cluster a deploys to https://a.example:6443, and so does b-k8s (cluster b)",
    "provider b-k8s of cluster b deploys to https://a.example:6443, and so does a-k8s (cluster a)",
    "provider c-k8s of cluster c deploys to kubeconfig file ~/.kube/config, context laptop, and so does d-k8s (cluster d)",
    "provider d-k8s of cluster d deploys to kubeconfig file ~/.kube/config, context laptop, and so does c-k8s (cluster c)",
  ]);
  // A kubeconfig not known in this preview (a cluster being created) decides nothing.
  assert.deepEqual((await runStack(kubernetesClusterBinding, [prov("a", { kubeconfig: UNKNOWN }), prov("b", { kubeconfig: UNKNOWN })])).violations, []);
});

// Before, only EKS endpoints were judged: a k3s server's firewall opening its API to the internet
// passed, though config validation refuses apiAllowedCidrs 0.0.0.0/0 where the stack forbids it.
test("eks-endpoint-private: a GCE firewall opening the k3s API (6443) to every address is a public endpoint the stack forbids", async () => {
  const fw = (name: string, props: Record<string, unknown>) => ({ type: "gcp:compute/firewall:Firewall", name, props: { network: "n", direction: "INGRESS", ...props }, provider: null });
  const api = { protocol: "tcp", ports: ["6443"] };
  const ok = await runResource(eksEndpointPrivate, [
    fw("api-from-vpcs", { allows: [api], sourceRanges: ["10.10.0.0/16", "198.51.100.0/24"] }),
    fw("gateways", { allows: [{ protocol: "tcp", ports: ["443", "8443"] }], sourceRanges: ["0.0.0.0/0"] }),
    fw("internal", { allows: [{ protocol: "tcp" }], sourceRanges: ["10.12.0.0/20"] }),
    fw("from-tagged", { allows: [api], sourceTags: ["bastion"] }),
    fw("off", { allows: [api], sourceRanges: ["0.0.0.0/0"], disabled: true }),
    fw("egress", { allows: [api], direction: "EGRESS", destinationRanges: ["0.0.0.0/0"] }),
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(eksEndpointPrivate, [
    fw("api-open", { allows: [api], sourceRanges: ["0.0.0.0/0"] }),
    fw("every-port", { allows: [{ protocol: "all" }], sourceRanges: ["0.0.0.0/1", "128.0.0.0/1"] }),
    fw("range", { allows: [{ protocol: "tcp", ports: ["6000-7000"] }] }),
  ]);
  assert.deepEqual(bad.violations.map((v) => v.message.split(", but")[0]), [
    "firewall api-open admits TCP 6443, the k3s API, from 0.0.0.0/0",
    "firewall every-port admits TCP 6443, the k3s API, from 0.0.0.0/1, 128.0.0.0/1",
    "firewall range admits TCP 6443, the k3s API, from every address (an ingress rule without a source admits 0.0.0.0/0)",
  ]);
  // Where the stack allows public API endpoints, a k3s API open to all is its choice (config validation says so too).
  assert.deepEqual((await runResource(eksEndpointPrivate, fw("api-open", { allows: [api], sourceRanges: ["0.0.0.0/0"] }), { allowPublicApiEndpoints: true })).violations, []);
  const later = await runResource(eksEndpointPrivate, fw("peers", { allows: [api], sourceRanges: UNKNOWN }));
  assert.deepEqual(later.violations, []);
  assert.match(later.unknown[0] ?? "", /firewall peers/);
});

test("provider target: an inline kubeconfig is read only as a YAML mapping", () => {
  const server = "apiVersion: v1\ncurrent-context: a\ncontexts:\n- name: a\n  context: {cluster: a}\nclusters:\n- name: a\n  cluster: {server: https://A.example.com:6443/}\n";
  assert.equal(providerTarget({ kubeconfig: server }), "https://a.example.com:6443");
  // A list of it, a scalar, an empty document, text that is not YAML: no server to name.
  for (const kubeconfig of [`- ${server.replace(/\n(?=.)/g, "\n  ")}`, "apiVersion\n", "~\n", "clusters: [\n"]) {
    assert.equal(providerTarget({ kubeconfig }), undefined, kubeconfig);
    assert.equal(providerTarget({ kubeconfig, cluster: "a" }), undefined, kubeconfig);
  }
});
