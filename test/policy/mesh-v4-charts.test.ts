/**
 * The mesh policies on Istio installed as Helm v4 Charts, as a real export and preview hold them:
 * the Chart component has no inputs and no provider, its rendered objects (children on the
 * cluster's provider) say what it installs and with which values (Istio 1.30.3's templates).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { meshMtlsStrict } from "../../policy/rules/mesh-mtls-strict";
import { meshMulticlusterWiring } from "../../policy/rules/mesh-multicluster-wiring";
import { meshIdentityConsistent } from "../../policy/rules/mesh-identity-consistent";
import { meshRootCaShared } from "../../policy/rules/mesh-root-ca-shared";
import { authorizationPrincipalsKnown } from "../../policy/rules/authorization-principals-known";
import { workloadNamespacesAuthorized } from "../../policy/rules/workload-namespaces-authorized";
import { k8sProvider, runStack, stackResource } from "../support/policy";
import { cacertsFilesFor, intermediateCa, rootCa } from "../support/ca-bundle";
import { sa, ap, allowFrom } from "./authz-support";
import { NS, REL, provider, pa, messages, v4Chart, istiodObjects, cniObjects, ambientCniConfig, ztunnelObjects, wiredCluster } from "./mesh-support";

const ambient = { "istio.io/dataplane-mode": "ambient" };
const ns = (name: string, labels: Record<string, string> = ambient) => stackResource({ type: NS, name: `a-ns-${name}`, props: { metadata: { name, labels } }, provider: k8sProvider("a") });
const deploy = (name: string, namespace: string) =>
  stackResource({ type: "kubernetes:apps/v1:Deployment", name: `a-${name}`, props: { metadata: { name, namespace }, spec: { template: { metadata: { labels: {} }, spec: { containers: [] } } } }, provider: k8sProvider("a") });
const istiodRelease = stackResource({ type: REL, name: "a-istiod", props: { chart: "istiod", namespace: "istio-system", values: { profile: "ambient" } }, provider: k8sProvider("a") });
// ztunnel as a v4 Chart (its DaemonSet, no address of its own to judge) unless a case installs its own.
const cluster = (...installs: ReturnType<typeof stackResource>[]) => {
  const ztunnel = installs.some((r) => r.name.startsWith("a-ztunnel")) ? [] : v4Chart("a", "ztunnel", ztunnelObjects({}));
  return [provider("a"), pa("a", "istio-system", "default", { mtls: { mode: "STRICT" } }), ...installs, ...ztunnel, ns("tools"), deploy("calculator", "tools")];
};

test("mesh-mtls-strict: istio-cni installed as a v4 Chart enrolls the workloads as its release would", async () => {
  assert.deepEqual((await runStack(meshMtlsStrict, cluster(istiodRelease, ...v4Chart("a", "istio-cni", cniObjects(ambientCniConfig))))).violations, []);
  // istiod as a v4 Chart too, its values read back from its `values` ConfigMap.
  const out = await runStack(meshMtlsStrict, cluster(...v4Chart("a", "istiod", istiodObjects({ profile: "ambient" })), ...v4Chart("a", "istio-cni", cniObjects(ambientCniConfig))));
  assert.deepEqual(out.violations, []);
  assert.deepEqual(out.unknown, []);
});

test("mesh-mtls-strict: a v4 Chart's istio-cni that does not enroll, or none beside an ambient istiod v4 Chart, is still reported", async () => {
  const off = await runStack(meshMtlsStrict, cluster(istiodRelease, ...v4Chart("a", "istio-cni", cniObjects({ ...ambientCniConfig, AMBIENT_ENABLED: "false" }))));
  assert.match(messages(off).join("\n"), /^istio-cni release a-istio-cni on cluster a does not enable ambient/);
  assert.equal(off.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:helm.sh/v4:Chart::a-istio-cni");
  const excluded = await runStack(meshMtlsStrict, cluster(istiodRelease, ...v4Chart("a", "istio-cni", cniObjects({ ...ambientCniConfig, EXCLUDE_NAMESPACES: "kube-system,tools" }))));
  assert.match(messages(excluded).join("\n"), /leaves Deployment tools\/calculator out of ambient \(excludeNamespaces lists tools\)/);
  // An ambient istiod installed as a v4 Chart asks for istio-cni as a Release does.
  const missing = await runStack(meshMtlsStrict, cluster(...v4Chart("a", "istiod", istiodObjects({ profile: "ambient" }))));
  assert.match(messages(missing).join("\n"), /^cluster a installs an ambient istiod but no istio-cni release/);
  // A PERMISSIVE mesh is PERMISSIVE whatever installs Istio; the root namespace istiod's values set is read from its objects.
  const permissive = await runStack(meshMtlsStrict, [...cluster(...v4Chart("a", "istiod", istiodObjects({ profile: "ambient" })), ...v4Chart("a", "istio-cni", cniObjects(ambientCniConfig))).filter((r) => r.type !== "kubernetes:security.istio.io/v1:PeerAuthentication"), pa("a", "istio-system", "default", { mtls: { mode: "PERMISSIVE" } })]);
  assert.match(messages(permissive).join("\n"), /mesh-wide PeerAuthentication istio-system\/default mode is PERMISSIVE, not STRICT/);
  const rooted = await runStack(meshMtlsStrict, cluster(...v4Chart("a", "istiod", istiodObjects({ profile: "ambient", meshConfig: { rootNamespace: "istio-config" } })), ...v4Chart("a", "istio-cni", cniObjects(ambientCniConfig))));
  assert.match(messages(rooted).join("\n"), /cluster a has no PeerAuthentication istio-config\/default .* as istiod release a-istiod configures it/);
});

test("mesh-mtls-strict: what a v4 Chart's objects do not say is not judged, never passed or failed", async () => {
  const noConfig = await runStack(meshMtlsStrict, cluster(istiodRelease, ...v4Chart("a", "istio-cni", cniObjects(null))));
  assert.deepEqual(noConfig.violations, []);
  assert.match(noConfig.unknown.join("\n"), /the ambient settings of istio-cni release a-istio-cni on cluster a/);
  // Selectors the node agent could not parse either: not judged, and the policy still runs.
  const garbled = await runStack(meshMtlsStrict, cluster(istiodRelease, ...v4Chart("a", "istio-cni", cniObjects({ ...ambientCniConfig, AMBIENT_ENABLEMENT_SELECTOR: "- podSelector: [" }))));
  assert.deepEqual(garbled.violations, []);
  assert.match(garbled.unknown.join("\n"), /the ambient settings of istio-cni release a-istio-cni on cluster a/);
  const noValues = await runStack(meshMtlsStrict, cluster(...v4Chart("a", "istiod", istiodObjects({ profile: "ambient" }).slice(0, 1))));
  assert.deepEqual(noValues.violations, []);
  assert.match(noValues.unknown.join("\n"), /istiod release a-istiod/);
});

test("mesh-multicluster-wiring and mesh-identity-consistent: an istiod installed as a v4 Chart is a cluster of the mesh", async () => {
  // Cluster c's istiod as a v4 Chart with the values the Release has: a's and b's remote secrets for c name a cluster of the mesh.
  const asChart = (cluster: string, others: string[], values: Record<string, unknown>) => [
    ...wiredCluster(cluster, others).filter((r) => r.type !== REL),
    ...v4Chart(cluster, "istiod", istiodObjects(values)),
  ];
  const cValues = { profile: "ambient", env: { AMBIENT_ENABLE_MULTI_NETWORK: "true" }, global: { meshID: "m", network: "net-c", multiCluster: { clusterName: "c" } } };
  const mesh = (c: unknown[]) => [provider("a"), provider("b"), provider("c"), ...wiredCluster("a", ["b", "c"]), ...wiredCluster("b", ["a", "c"]), ...(c as ReturnType<typeof stackResource>[])];
  const stack = mesh(asChart("c", ["a", "b"], cValues));
  const wired = await runStack(meshMulticlusterWiring, stack);
  assert.deepEqual([wired.violations, wired.unknown], [[], []]);
  assert.deepEqual((await runStack(meshIdentityConsistent, stack)).violations, []);
  // c without its remote secret for a, or with another mesh ID, is reported.
  const blind = stack.filter((r) => r.name !== "c-remote-a");
  assert.match(messages(await runStack(meshMulticlusterWiring, blind)).join("\n"), /cluster c has no remote secret for cluster a/);
  const other = mesh(asChart("c", ["a", "b"], { global: { ...cValues.global, meshID: "other" } }));
  assert.match(messages(await runStack(meshIdentityConsistent, other)).join("\n"), /meshID differs across clusters/);
});

test("mesh-identity-consistent: ztunnel installed as a v4 Chart is read from its DaemonSet's environment", async () => {
  const stack = (env: { network?: string; clusterName?: string }) => [
    provider("a"),
    stackResource({ type: REL, name: "a-istiod", props: { chart: "istiod", namespace: "istio-system", values: { global: { meshID: "m", network: "net-a", multiCluster: { clusterName: "a" } } } }, provider: k8sProvider("a") }),
    ...v4Chart("a", "ztunnel", ztunnelObjects(env)),
  ];
  const ok = await runStack(meshIdentityConsistent, stack({ network: "net-a", clusterName: "a" }));
  assert.deepEqual([ok.violations, ok.unknown], [[], []]);
  assert.match(messages(await runStack(meshIdentityConsistent, stack({ network: "net-a", clusterName: "z" }))).join("\n"), /cluster a: ztunnel multiCluster.clusterName=z but istiod global.multiCluster.clusterName=a/);
  // A DaemonSet without NETWORK runs ztunnel in the empty network, as a release without one does.
  assert.match(messages(await runStack(meshIdentityConsistent, stack({ clusterName: "a" }))).join("\n"), /^cluster a: ztunnel sets no network \(global.network or network\) but the cluster's is net-a/);
  // Set by valueFrom (a fork's patch of the rendered DaemonSet): not the chart's "Kubernetes" default, not known.
  const fromRef = ztunnelObjects({});
  (fromRef[0].props.spec.template.spec.containers[0] as Record<string, unknown>).env = ["NETWORK", "ISTIO_META_CLUSTER_ID"].map((name) => ({ name, valueFrom: { configMapKeyRef: { name: "mesh", key: name } } }));
  const referenced = await runStack(meshIdentityConsistent, [...stack({}).filter((r) => r.parent === undefined && r.type !== "kubernetes:helm.sh/v4:Chart"), ...v4Chart("a", "ztunnel", fromRef)]);
  assert.deepEqual(referenced.violations, []);
  assert.match(referenced.unknown.join("\n"), /whether ztunnel and istiod name cluster a alike.*the network of cluster a \(ztunnel network\)/);
});

test("mesh-root-ca-shared: a cluster whose istiod is a v4 Chart is held to the mesh's root", async () => {
  const root = await rootCa("root-1");
  const other = await rootCa("root-2");
  const cacerts = (cluster: string, stringData: unknown) =>
    stackResource({ type: "kubernetes:core/v1:Secret", name: `${cluster}-cacerts`, props: { metadata: { name: "cacerts", namespace: "istio-system" }, stringData }, provider: k8sProvider(cluster) });
  const stack = async (bRoot: typeof root) => [
    stackResource({ type: REL, name: "a-istiod", props: { chart: "istiod", namespace: "istio-system", values: {} }, provider: k8sProvider("a") }),
    cacerts("a", cacertsFilesFor(await intermediateCa("root-1-a", root), root)),
    ...v4Chart("b", "istiod", istiodObjects({})),
    cacerts("b", cacertsFilesFor(await intermediateCa("b", bRoot), bRoot)),
  ];
  assert.deepEqual((await runStack(meshRootCaShared, await stack(root))).violations, []);
  assert.match(messages(await runStack(meshRootCaShared, await stack(other))).join("\n"), /^clusters use different root CAs: .*\(a\).*\(b\)|^clusters use different root CAs: .*\(b\).*\(a\)/);
});

test("authorization-principals-known: the trust domain of an istiod installed as a v4 Chart is the mesh's", async () => {
  const base = [...v4Chart("a", "istiod", istiodObjects({ meshConfig: { trustDomain: "corp.example" } })), sa("agents", "research-agent-v1")];
  const ok = await runStack(authorizationPrincipalsKnown, [...base, ap("inference", "callers", allowFrom("corp.example/ns/agents/sa/research-agent-v1"))]);
  assert.deepEqual([ok.violations, ok.unknown], [[], []]);
  const outside = await runStack(authorizationPrincipalsKnown, [...base, ap("inference", "callers", allowFrom("cluster.local/ns/agents/sa/research-agent-v1"))]);
  assert.match(messages(outside).join("\n"), /outside the mesh trust domain \(corp\.example\)/);
});

test("mesh-mtls-strict: ztunnel or istio-cni installed as a v4 Chart is held to every node group by its pod template's node selection", async () => {
  const nodeGroup = (name: string, labels: Record<string, string>) => stackResource({ type: "aws:eks/nodeGroup:NodeGroup", name, props: { labels }, provider: null });
  const groups = [nodeGroup("a-system", { "inference-mesh.io/node-group": "system" }), nodeGroup("a-gpu", { "inference-mesh.io/node-group": "gpu-a10g" })];
  const ok = await runStack(meshMtlsStrict, [...cluster(...v4Chart("a", "ztunnel", ztunnelObjects({}))), ...groups]);
  assert.deepEqual(ok.violations, []);
  const pinned = await runStack(meshMtlsStrict, [...cluster(...v4Chart("a", "ztunnel", ztunnelObjects({}, { nodeSelector: { "kubernetes.io/os": "linux", "inference-mesh.io/node-group": "system" } }))), ...groups]);
  assert.match(messages(pinned).join("\n"), /^ztunnel release a-ztunnel on cluster a does not run on node group a-gpu/);
  const away = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "inference-mesh.io/node-group", operator: "NotIn", values: ["gpu-a10g"] }] }] } } };
  const cni = await runStack(meshMtlsStrict, [...cluster(istiodRelease, ...v4Chart("a", "istio-cni", cniObjects(ambientCniConfig, { affinity: away }))), ...groups]);
  assert.match(messages(cni).join("\n"), /^istio-cni release a-istio-cni on cluster a does not run on node group a-gpu/);
});

test("mesh-mtls-strict: Istio's own pods installed as v4 Charts outside istio-system are not workloads to enroll, as its releases' are not", async () => {
  // istiod, ztunnel and istio-cni label their pods dataplane-mode none (istio-cni runs on the host network): Istio keeps them out of ambient.
  const moved = (objects: { type: string; props: Record<string, any> }[], namespace: string) => objects.map((o) => ({ ...o, props: { ...o.props, metadata: { ...o.props.metadata, namespace } } as Record<string, any> }));
  const cni = moved(cniObjects(ambientCniConfig), "istio-cni");
  cni[0].props.spec.template.spec.hostNetwork = true;
  const ztunnel = moved(ztunnelObjects({}), "istio-ztunnel");
  for (const ds of [cni[0], ztunnel[0]]) ds.props.spec.template.metadata = { labels: { "istio.io/dataplane-mode": "none" } };
  const out = await runStack(meshMtlsStrict, [...cluster(...v4Chart("a", "istiod", istiodObjects({ profile: "ambient" }, "istio-control")), ...v4Chart("a", "istio-cni", cni), ...v4Chart("a", "ztunnel", ztunnel)), ns("istio-control", {})]);
  assert.deepEqual([out.violations, out.unknown], [[], []]);
  // A fork's own Deployment beside them is still judged.
  const beside = await runStack(meshMtlsStrict, [...cluster(...v4Chart("a", "istiod", istiodObjects({ profile: "ambient" }, "istio-control")), ...v4Chart("a", "istio-cni", cni)), deploy("sync", "istio-control")]);
  assert.match(messages(beside).join("\n"), /runs Deployment sync in namespace istio-control, which this stack neither creates/);
});

test("workload-namespaces-authorized: a namespace holding only Istio installed as v4 Charts runs no workload to cover", async () => {
  const istioControl = ns("istio-control", {});
  const out = await runStack(workloadNamespacesAuthorized, [provider("a"), istioControl, ...v4Chart("a", "istiod", istiodObjects({}, "istio-control"))]);
  assert.deepEqual([out.violations, out.unknown], [[], []]);
  const beside = await runStack(workloadNamespacesAuthorized, [provider("a"), istioControl, ...v4Chart("a", "istiod", istiodObjects({}, "istio-control")), deploy("sync", "istio-control")]);
  assert.match(messages(beside).join("\n"), /namespace istio-control on cluster a runs 1 workload\(s\) but has no ALLOW/);
});

test("workload-namespaces-authorized: the root namespace an istiod installed as a v4 Chart sets is where mesh-wide policies live", async () => {
  const rag = [provider("a"), ns("rag"), deploy("bot", "rag")];
  const rooted = v4Chart("a", "istiod", istiodObjects({ meshConfig: { rootNamespace: "istio-config" } }));
  const inRoot = await runStack(workloadNamespacesAuthorized, [...rag, ...rooted, ap("istio-config", "mesh", allowFrom("cluster.local/ns/agents/sa/bot"))]);
  assert.deepEqual([inRoot.violations, inRoot.unknown], [[], []]);
  // istio-system is not the root there: a selector-less policy in it covers only istio-system.
  const inSystem = await runStack(workloadNamespacesAuthorized, [...rag, ...rooted, ap("istio-system", "mesh", allowFrom("cluster.local/ns/agents/sa/bot"))]);
  assert.match(messages(inSystem).join("\n"), /namespace rag on cluster a runs 1 workload\(s\) but has no ALLOW/);
});
