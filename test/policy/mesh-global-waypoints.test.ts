/**
 * mesh-multicluster-wiring on global Services behind a waypoint. Another cluster's ztunnel reaches
 * a global Service's waypoint only if the waypoint's Service is global too, else it calls past it
 * and the waypoint's L7 policies never apply (istio/istio#60985); istiod labels that Service with
 * the Gateway's spec.infrastructure.labels, else the Gateway's labels (Istio 1.30.3
 * deploymentcontroller.go extractInfrastructureMetadata). Before, such a stack passed review.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { meshMulticlusterWiring } from "../../policy/rules/mesh-multicluster-wiring";
import { k8sProvider, runStack, stackResource, UNKNOWN } from "../support/policy";
import { messages, NS, wiredCluster } from "./mesh-support";

const on = (cluster: string) => ({ provider: k8sProvider(cluster) });
const ns = (cluster: string, labels: Record<string, string>) => stackResource({ type: NS, name: `${cluster}-ns-tools`, props: { metadata: { name: "tools", labels: { "istio.io/dataplane-mode": "ambient", ...labels } } }, ...on(cluster) });
const service = (cluster: string, labels: Record<string, string>) =>
  stackResource({ type: "kubernetes:core/v1:Service", name: `${cluster}-svc-search`, props: { metadata: { name: "search", namespace: "tools", labels }, spec: { ports: [{ port: 80 }] } }, ...on(cluster) });
const waypoint = (cluster: string, metadataLabels: Record<string, string>, infrastructure?: Record<string, string>) =>
  stackResource({
    type: "kubernetes:gateway.networking.k8s.io/v1:Gateway",
    name: `${cluster}-waypoint`,
    props: { metadata: { name: "waypoint", namespace: "tools", labels: { "istio.io/waypoint-for": "service", ...metadataLabels } }, spec: { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }], ...(infrastructure ? { infrastructure: { labels: infrastructure } } : {}) } },
    ...on(cluster),
  });

/** Clusters a and b wired; b serves tools/search behind the waypoint tools/waypoint. */
const stack = (svcLabels: Record<string, string>, gw: ReturnType<typeof waypoint>, nsLabels: Record<string, string> = { "istio.io/use-waypoint": "waypoint" }) => [
  ...wiredCluster("a", ["b"]),
  ...wiredCluster("b", ["a"]),
  ns("b", nsLabels),
  service("b", svcLabels),
  gw,
];
const GLOBAL = { "istio.io/global": "true" };

test("mesh-multicluster-wiring: a global Service's waypoint is global too", async () => {
  const local = await runStack(meshMulticlusterWiring, stack(GLOBAL, waypoint("b", {})));
  assert.deepEqual(messages(local), [
    `cluster b: Service tools/search is global (istio.io/global: "true") but the Service of its waypoint tools/waypoint is not: the other clusters cannot resolve that waypoint, so their calls to tools/search skip it and every L7 policy on it (istio/istio#60985); label the waypoint's Service istio.io/global: "true" (its Gateway's spec.infrastructure.labels) in every cluster`,
  ]);
  assert.equal(local.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:core/v1:Service::b-svc-search");
  // Enrolled by its own label too; infrastructure labels replace the Gateway's on the waypoint's Service.
  assert.equal(messages(await runStack(meshMulticlusterWiring, stack({ ...GLOBAL, "istio.io/use-waypoint": "waypoint" }, waypoint("b", {}), {}))).length, 1);
  assert.equal(messages(await runStack(meshMulticlusterWiring, stack(GLOBAL, waypoint("b", GLOBAL, { team: "tools" })))).length, 1);
  // Correct: the waypoint's Service global (by infrastructure labels, or the Gateway's when it has none).
  for (const gw of [waypoint("b", {}, GLOBAL), waypoint("b", GLOBAL)]) assert.deepEqual((await runStack(meshMulticlusterWiring, stack(GLOBAL, gw))).violations, []);
  // Not judged: a local Service, one that opts out of its namespace's waypoint, one whose waypoint the stack does not render, a mesh of one.
  assert.deepEqual((await runStack(meshMulticlusterWiring, stack({}, waypoint("b", {})))).violations, []);
  assert.deepEqual((await runStack(meshMulticlusterWiring, stack({ ...GLOBAL, "istio.io/use-waypoint": "none" }, waypoint("b", {})))).violations, []);
  assert.deepEqual((await runStack(meshMulticlusterWiring, stack(GLOBAL, waypoint("b", {}), { "istio.io/use-waypoint": "other" }))).violations, []);
  assert.deepEqual((await runStack(meshMulticlusterWiring, [...wiredCluster("b", [], { eastWest: null }), ns("b", { "istio.io/use-waypoint": "waypoint" }), service("b", GLOBAL), waypoint("b", {})])).violations, []);
});

test("mesh-multicluster-wiring: a Service label not known yet is can't judge, not a pass", async () => {
  const later = await runStack(meshMulticlusterWiring, stack({ "istio.io/global": UNKNOWN }, waypoint("b", {})));
  assert.deepEqual(later.violations, []);
  assert.match(later.unknown.join("\n"), /the labels of Service b-svc-search on cluster b/);
});

// Istio assumes "universal" waypoints (istio.io ambient multicluster install, "Waypoint
// requirements"): a global Service has the same waypoint in every cluster. Before, a stack where
// one cluster enrolled it and another did not passed review.
test("mesh-multicluster-wiring: a global Service has the same waypoint in every cluster that renders it", async () => {
  const enrolled = { "istio.io/use-waypoint": "waypoint" };
  const copy = (cluster: string, nsLabels: Record<string, string>, svcLabels: Record<string, string> = GLOBAL) => [ns(cluster, nsLabels), service(cluster, svcLabels), waypoint(cluster, {}, GLOBAL)];
  const mesh = (a: ReturnType<typeof copy>, b: ReturnType<typeof copy>) => [...wiredCluster("a", ["b"]), ...wiredCluster("b", ["a"]), ...a, ...b];
  assert.deepEqual((await runStack(meshMulticlusterWiring, mesh(copy("a", enrolled), copy("b", enrolled)))).violations, []);
  const asymmetric = await runStack(meshMulticlusterWiring, mesh(copy("a", enrolled), copy("b", {})));
  assert.deepEqual(messages(asymmetric), [
    "global Service tools/search has waypoint tools/waypoint on a, no waypoint on b: Istio assumes the same waypoint for a Service in every cluster, so cross-cluster calls to it skip the waypoint that holds its L7 policies; give it the same istio.io/use-waypoint (on it or its namespace) in every cluster",
  ]);
  assert.equal(asymmetric.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:core/v1:Service::a-svc-search");
  // Global on one cluster only is enough; a local Service may differ; a label not known yet is can't judge.
  assert.equal(messages(await runStack(meshMulticlusterWiring, mesh(copy("a", enrolled, {}), copy("b", { "istio.io/use-waypoint": "other" })))).length, 1);
  assert.deepEqual((await runStack(meshMulticlusterWiring, mesh(copy("a", enrolled, {}), copy("b", {}, {})))).violations, []);
  const later = await runStack(meshMulticlusterWiring, mesh(copy("a", enrolled), copy("b", enrolled, { ...GLOBAL, "istio.io/use-waypoint": UNKNOWN })));
  assert.deepEqual(later.violations, []);
  assert.match(later.unknown.join("\n"), /the labels of Service tools\/search or its namespace on clusters a, b/);
});
