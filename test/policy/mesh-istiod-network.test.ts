/**
 * mesh-identity-consistent on istiod's own global.network in a multi-cluster mesh. Istio 1.30.3
 * files workloads under the system namespace's topology.istio.io/network label (serviceregistry/ambient
 * networks.go), but the proxies istiod deploys for Gateways take their network from its
 * global.network (istio-discovery files/waypoint.yaml and kube-gateway.yaml ISTIO_META_NETWORK,
 * gatewaycommon/deploymentcontroller.go setLabelOverrides). Before, an istiod release without
 * global.network beside a ztunnel and a namespace label naming the network passed review.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { meshIdentityConsistent } from "../../policy/rules/mesh-identity-consistent";
import { k8sProvider, runStack, stackResource, UNKNOWN } from "../support/policy";
import { NS, REL, messages } from "./mesh-support";

const on = (cluster: string) => ({ provider: k8sProvider(cluster) });
const istiod = (cluster: string, global: Record<string, unknown>, name = "istiod", extra: Record<string, unknown> = {}) =>
  stackResource({ type: REL, name: `${cluster}-${name}`, props: { chart: "istiod", namespace: "istio-system", values: { global: { meshID: "m", multiCluster: { clusterName: cluster }, ...global }, ...extra } }, ...on(cluster) });
const ztunnel = (cluster: string) => stackResource({ type: REL, name: `${cluster}-ztunnel`, props: { chart: "ztunnel", values: { global: { network: `net-${cluster}` }, multiCluster: { clusterName: cluster } } }, ...on(cluster) });
const istioNs = (cluster: string) => stackResource({ type: NS, name: `${cluster}-ns`, props: { metadata: { name: "istio-system", labels: { "topology.istio.io/network": `net-${cluster}` } } }, ...on(cluster) });
/** A cluster as the program renders it, its istiod with these global values. */
const cluster = (name: string, global: Record<string, unknown> = { network: `net-${name}` }) => [istiod(name, global), ztunnel(name), istioNs(name)];

const unset = (c: string, release = `${c}-istiod`) =>
  `cluster ${c}: istiod release ${release} sets no global.network while the cluster's network is net-${c} (ztunnel global.network, istio-system label topology.istio.io/network): the waypoints and gateways istiod deploys take their network from it (Istio 1.30.3 istio-discovery waypoint.yaml and kube-gateway.yaml ISTIO_META_NETWORK), so they run with none, which istiod counts as every network (model Proxy.InNetwork) when it filters other networks' endpoints for them (xds/endpoints ep_filters.go): an Istio ingress gateway is handed them whatever AMBIENT_ENABLE_MULTI_NETWORK_INGRESS says, and an endpoint of a network without a gateway as a pod address it cannot reach; set global.network: net-${c}`;

test("mesh-identity-consistent: in a multi-cluster mesh every istiod release sets the cluster's global.network", async () => {
  assert.deepEqual((await runStack(meshIdentityConsistent, [...cluster("a"), ...cluster("b")])).violations, []);
  for (const global of [{}, { network: "" }]) {
    const out = await runStack(meshIdentityConsistent, [...cluster("a"), ...cluster("b", global)]);
    assert.deepEqual(messages(out), [unset("b")], JSON.stringify(global));
    assert.equal(out.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:helm.sh/v3:Release::b-istiod");
  }
  // A second revision of the cluster is held to it too.
  const canary = istiod("b", {}, "istiod-canary", { revision: "canary" });
  assert.deepEqual(messages(await runStack(meshIdentityConsistent, [...cluster("a"), ...cluster("b"), canary])), [unset("b", "b-istiod-canary")]);
  // Not known in this preview: can't judge, no verdict.
  const later = await runStack(meshIdentityConsistent, [...cluster("a"), ...cluster("b", { network: UNKNOWN })]);
  assert.deepEqual(later.violations, []);
  assert.match(later.unknown.join("\n"), /the network of cluster b \(istiod global.network\)/);
});

test("mesh-identity-consistent: one cluster's istiod may leave global.network to its namespace label; no network anywhere stays istiod's own finding", async () => {
  // One cluster: a single network, nothing to route across (the multi-network settings come with a second cluster).
  assert.deepEqual((await runStack(meshIdentityConsistent, cluster("a", {}))).violations, []);
  const none = await runStack(meshIdentityConsistent, [...cluster("a"), istiod("b", {})]);
  assert.deepEqual(messages(none), ["cluster b: istiod has no global.network; multi-network ambient needs one per cluster"]);
});
