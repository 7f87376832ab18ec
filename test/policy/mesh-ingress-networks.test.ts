/**
 * mesh-multicluster-wiring on Istio ingress gateways in a multi-network mesh. Istio 1.30.3 hands an
 * ingress gateway (gateway.istio.io/managed istio.io-gateway-controller, model.IsIngressGateway)
 * another network's endpoints only with AMBIENT_ENABLE_MULTI_NETWORK_INGRESS, false by default
 * (pilot/pkg/features/ambient.go; pilot/pkg/xds/endpoints/ep_filters.go skips them otherwise).
 * Before, a route on one to a global Service another network serves passed review without it.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import type { PolicyResource } from "@pulumi/policy";
import { meshMulticlusterWiring } from "../../policy/rules/mesh-multicluster-wiring";
import { k8sProvider, runStack, stackResource, UNKNOWN } from "../support/policy";
import { messages, REL, wiredCluster } from "./mesh-support";

const GW = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
const GLOBAL = { "istio.io/global": "true" };
const on = (cluster: string) => ({ provider: k8sProvider(cluster) });

const gateway = (cluster: string, gatewayClassName = "istio", extra: Record<string, unknown> = {}) =>
  stackResource({ type: GW, name: `${cluster}-ingress`, props: { metadata: { name: "ingress", namespace: "inference" }, spec: { ...extra, gatewayClassName, listeners: [{ name: "http", port: 80, protocol: "HTTP" }, { name: "tcp", port: 9000, protocol: "TCP" }] } }, ...on(cluster) });
const route = (cluster: string, kind = "HTTPRoute", parent: Record<string, unknown> = { name: "ingress" }) =>
  stackResource({
    type: `kubernetes:gateway.networking.k8s.io/${kind === "TCPRoute" ? "v1alpha2" : "v1"}:${kind}`,
    name: `${cluster}-route-model`,
    props: { metadata: { name: "model", namespace: "inference" }, spec: { parentRefs: [parent], rules: [{ backendRefs: [{ name: "model", port: 8000 }] }] } },
    ...on(cluster),
  });
const service = (cluster: string, labels: Record<string, string> = GLOBAL) =>
  stackResource({ type: "kubernetes:core/v1:Service", name: `${cluster}-svc-model`, props: { metadata: { name: "model", namespace: "inference", labels }, spec: { ports: [{ port: 8000 }] } }, ...on(cluster) });

/** The stack with cluster `cluster`'s istiod release given the values `values` makes of wiredCluster's. */
const withIstiod = (resources: PolicyResource[], cluster: string, values: (v: Record<string, any>) => Record<string, any>) => {
  const wired = { profile: "ambient", env: { AMBIENT_ENABLE_MULTI_NETWORK: "true" }, global: { meshID: "m", network: `net-${cluster}`, multiCluster: { clusterName: cluster } } };
  const release = stackResource({ type: REL, name: `${cluster}-istiod`, props: { chart: "istiod", namespace: "istio-system", values: values(wired) }, ...on(cluster) });
  return resources.map((r) => (r.type === REL && r.name === release.name ? release : r));
};
const ingressFlag = (value: unknown) => (v: Record<string, any>) => ({ ...v, env: { ...v.env, AMBIENT_ENABLE_MULTI_NETWORK_INGRESS: value } });

/** Clusters a and b wired (istiod without the ingress flag); a's ingress gateway routes to inference/model, which both render. */
const stack = (kind = "HTTPRoute", svcA = service("a"), svcB: PolicyResource | null = service("b")) => [
  ...wiredCluster("a", ["b"]),
  ...wiredCluster("b", ["a"]),
  gateway("a"),
  route("a", kind),
  svcA,
  ...(svcB ? [svcB] : []),
];
const INGRESS = /sends Istio ingress Gateway/;

test("mesh-multicluster-wiring: a route on an Istio ingress gateway to a global Service on other networks needs AMBIENT_ENABLE_MULTI_NETWORK_INGRESS", async () => {
  const unset = await runStack(meshMulticlusterWiring, stack());
  assert.deepEqual(messages(unset), [
    `cluster a: HTTPRoute inference/model sends Istio ingress Gateway inference/ingress's traffic to global Service inference/model, which cluster b on another network serves too, but istiod release a-istiod owning that gateway leaves env.AMBIENT_ENABLE_MULTI_NETWORK_INGRESS unset (false by default): istiod then hands an ingress gateway only the endpoints of its own network net-a (Istio 1.30.3 pilot/pkg/xds/endpoints/ep_filters.go, features.EnableAmbientIngressMultiNetwork), so the route never reaches the other networks' endpoints; set env.AMBIENT_ENABLE_MULTI_NETWORK_INGRESS: "true" on it`,
  ]);
  assert.equal(unset.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:gateway.networking.k8s.io/v1:HTTPRoute::a-route-model");
  // GRPCRoutes and TCPRoutes are filtered alike; a value ParseBool refuses is the default, false.
  for (const kind of ["GRPCRoute", "TCPRoute"]) assert.match(messages(await runStack(meshMulticlusterWiring, stack(kind))).join("\n"), new RegExp(`^cluster a: ${kind} inference/model sends Istio ingress Gateway`), kind);
  for (const value of ["false", "yes", ""]) {
    assert.match(messages(await runStack(meshMulticlusterWiring, withIstiod(stack(), "a", ingressFlag(value)))).join("\n"), new RegExp(`istiod release a-istiod owning that gateway sets env.AMBIENT_ENABLE_MULTI_NETWORK_INGRESS to ${JSON.stringify(JSON.stringify(value)).slice(1, -1)}`), value);
  }
});

test("mesh-multicluster-wiring: AMBIENT_ENABLE_MULTI_NETWORK_INGRESS on, or nothing to reach on another network, is clean", async () => {
  // The flag on (env, or pilot.env over env): clean, nothing left unjudged.
  for (const values of [ingressFlag("true"), ingressFlag(true), (v: Record<string, any>) => ({ ...v, pilot: { env: { AMBIENT_ENABLE_MULTI_NETWORK_INGRESS: "1" } } })]) {
    const clean = await runStack(meshMulticlusterWiring, withIstiod(stack(), "a", values));
    assert.deepEqual([messages(clean), clean.unknown], [[], []]);
  }
  const pilotOff = withIstiod(stack(), "a", (v) => ({ ...ingressFlag("true")(v), pilot: { env: { AMBIENT_ENABLE_MULTI_NETWORK_INGRESS: "false" } } }));
  assert.match(messages(await runStack(meshMulticlusterWiring, pilotOff)).join("\n"), INGRESS);
  // A local Service, a global one only this cluster renders, and a route on a Gateway of another kind (east-west, waypoint) are not judged.
  assert.deepEqual(messages(await runStack(meshMulticlusterWiring, stack("HTTPRoute", service("a", {}), service("b", {})))), []);
  assert.deepEqual(messages(await runStack(meshMulticlusterWiring, stack("HTTPRoute", service("a"), null))), []);
  for (const cls of ["istio-waypoint", "istio-east-west"]) {
    const other = stack().map((r) => (r.name === "a-ingress" ? gateway("a", cls) : r));
    assert.doesNotMatch(messages(await runStack(meshMulticlusterWiring, other)).join("\n"), INGRESS, cls);
  }
  // One network across both clusters: the ingress gateway is handed every endpoint directly.
  const oneNetwork = withIstiod(stack(), "b", (v) => ({ ...v, global: { ...v.global, network: "net-a" } }));
  assert.doesNotMatch(messages(await runStack(meshMulticlusterWiring, oneNetwork)).join("\n"), INGRESS);
  // A one-cluster stack is never judged.
  const single = [...wiredCluster("a", [], { eastWest: null }), gateway("a"), route("a"), service("a")];
  assert.deepEqual((await runStack(meshMulticlusterWiring, single)).violations, []);
});

test("mesh-multicluster-wiring: an ingress flag or a Service label not known yet is can't judge, not a pass", async () => {
  const flag = await runStack(meshMulticlusterWiring, withIstiod(stack(), "a", ingressFlag(UNKNOWN)));
  assert.deepEqual(flag.violations, []);
  assert.match(flag.unknown.join("\n"), /the AMBIENT_ENABLE_MULTI_NETWORK_INGRESS env of istiod release a-istiod on cluster a/);
  const label = await runStack(meshMulticlusterWiring, stack("HTTPRoute", service("a", { "istio.io/global": UNKNOWN })));
  assert.deepEqual(label.violations, []);
  assert.match(label.unknown.join("\n"), /route a-route-model on cluster a, its Istio ingress Gateways and backend Services/);
});

/**
 * A route attached through a ListenerSet of the ingress Gateway: Istio 1.30.3 serves a v1
 * ListenerSet's listeners on its parent Gateway's proxy where the class supports it (gatewaycommon/
 * classinfo.go: the default istio class does) and the Gateway's allowedListeners admits it
 * (gateway/gateway_collection.go ListenerSetCollection). Before, such a route passed unjudged.
 */
const LS = "kubernetes:gateway.networking.k8s.io/v1:ListenerSet";
const listenerSet = (type = LS) =>
  stackResource({ type, name: "a-extra", props: { metadata: { name: "extra", namespace: "inference" }, spec: { parentRef: { name: "ingress" }, listeners: [{ name: "alt", port: 8080, protocol: "HTTP" }] } }, ...on("a") });
const viaSet = (from: string | null, set = listenerSet()) =>
  stack().map((r) => {
    if (r.name === "a-route-model") return route("a", "HTTPRoute", { group: "gateway.networking.k8s.io", kind: "ListenerSet", name: "extra" });
    return r.name === "a-ingress" && from !== null ? gateway("a", "istio", { allowedListeners: { namespaces: { from } } }) : r;
  }).concat([set]);

test("mesh-multicluster-wiring: a route attached through a ListenerSet of the Istio ingress gateway is judged as the Gateway's", async () => {
  const attached = await runStack(meshMulticlusterWiring, viaSet("Same"));
  assert.match(messages(attached).join("\n"), /^cluster a: HTTPRoute inference\/model sends Istio ingress Gateway inference\/ingress's traffic to global Service inference\/model, which cluster b/);
  // The flag on: clean.
  assert.deepEqual(messages(await runStack(meshMulticlusterWiring, withIstiod(viaSet("Same"), "a", ingressFlag("true")))), []);
  // A Gateway admitting no ListenerSet (allowedListeners unset is None), or an XListenerSet, which Istio 1.30.3 does not read: not served there.
  assert.doesNotMatch(messages(await runStack(meshMulticlusterWiring, viaSet(null))).join("\n"), INGRESS);
  assert.doesNotMatch(messages(await runStack(meshMulticlusterWiring, viaSet("Same", listenerSet("kubernetes:gateway.networking.x-k8s.io/v1alpha1:XListenerSet")))).join("\n"), INGRESS);
  // An admission not known yet is can't judge.
  const unknown = await runStack(meshMulticlusterWiring, viaSet(UNKNOWN as unknown as string));
  assert.deepEqual(unknown.violations.filter((v) => INGRESS.test(v.message)), []);
  assert.match(unknown.unknown.join("\n"), /route a-route-model on cluster a, its Istio ingress Gateways/);
});
