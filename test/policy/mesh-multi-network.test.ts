/**
 * mesh-multicluster-wiring on istiod's AMBIENT_ENABLE_MULTI_NETWORK. Istio 1.30.3 reads it false
 * by default with strconv.ParseBool (pilot/pkg/features/ambient.go, pkg/env); without it an ambient
 * istiod builds its ambient index from its own cluster alone (serviceregistry/ambient
 * ambientindex.go) and serves no istio-east-west GatewayClass (gatewaycommon/classinfo.go). Before,
 * a multi-cluster stack with the flag removed passed review.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { meshMulticlusterWiring } from "../../policy/rules/mesh-multicluster-wiring";
import { k8sProvider, runStack, stackResource, UNKNOWN } from "../support/policy";
import { messages, provider, REL, v4Chart, istiodObjects, wiredCluster } from "./mesh-support";

const ambient = (env: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}) => ({ profile: "ambient", ...(env ? { env } : {}), ...extra });

/** An istiod release as wiredCluster renders it, with `values` laid over its own. */
const istiod = (cluster: string, values: Record<string, unknown>) =>
  stackResource({ type: REL, name: `${cluster}-istiod`, props: { chart: "istiod", namespace: "istio-system", values: { global: { meshID: "m", network: `net-${cluster}`, multiCluster: { clusterName: cluster } }, ...values } }, provider: k8sProvider(cluster) });

/** Clusters a and b wired as the program wires them, with these istiod values. */
function mesh(values: Record<string, unknown>, aValues: Record<string, unknown> = ambient({ AMBIENT_ENABLE_MULTI_NETWORK: "true" })) {
  const cluster = (name: string, other: string, v: Record<string, unknown>) => [...wiredCluster(name, [other]).filter((r) => r.type !== REL), istiod(name, v)];
  return [...cluster("a", "b", aValues), ...cluster("b", "a", values)];
}

test("mesh-multicluster-wiring: every ambient istiod of a multi-cluster mesh enables AMBIENT_ENABLE_MULTI_NETWORK", async () => {
  for (const on of [{ AMBIENT_ENABLE_MULTI_NETWORK: "true" }, { AMBIENT_ENABLE_MULTI_NETWORK: true }, { AMBIENT_ENABLE_MULTI_NETWORK: "1" }]) {
    const out = await runStack(meshMulticlusterWiring, mesh(ambient(on)));
    assert.deepEqual([out.violations, out.unknown], [[], []]);
  }
  // The chart lays pilot.env over env (zzy_descope_legacy.yaml).
  assert.deepEqual((await runStack(meshMulticlusterWiring, mesh(ambient(undefined, { pilot: { env: { AMBIENT_ENABLE_MULTI_NETWORK: "true" } } })))).violations, []);
  const unset = await runStack(meshMulticlusterWiring, mesh(ambient({ AMBIENT_ENABLE_BAGGAGE: "true" })));
  assert.deepEqual(messages(unset), [
    `cluster b: ambient istiod release b-istiod leaves env.AMBIENT_ENABLE_MULTI_NETWORK unset (false by default): istiod then builds its ambient registry from its own cluster alone and serves no istio-east-west GatewayClass, so the other clusters' workloads never reach its ztunnels and its east-west gateway is never deployed; set env.AMBIENT_ENABLE_MULTI_NETWORK: "true"`,
  ]);
  assert.equal(unset.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:helm.sh/v3:Release::b-istiod");
  const refused = [
    ambient({ AMBIENT_ENABLE_MULTI_NETWORK: "false" }),
    ambient({ AMBIENT_ENABLE_MULTI_NETWORK: "yes" }), // not ParseBool's: istiod takes the default
    ambient({ AMBIENT_ENABLE_MULTI_NETWORK: "true" }, { pilot: { env: { AMBIENT_ENABLE_MULTI_NETWORK: "false" } } }),
    ambient({ AMBIENT_ENABLE_MULTI_NETWORK: "true" }, { pilot: { env: { AMBIENT_ENABLE_MULTI_NETWORK: "" } } }), // mergo sets an empty value too
    ambient({ AMBIENT_ENABLE_MULTI_NETWORK: "true" }, { envVarFrom: [{ name: "AMBIENT_ENABLE_MULTI_NETWORK", value: "false" }] }),
    { global: { meshID: "m", network: "net-b", multiCluster: { clusterName: "b" }, profile: "ambient" } },
    { env: { PILOT_ENABLE_AMBIENT: "true" } },
  ];
  for (const values of refused) assert.match(messages(await runStack(meshMulticlusterWiring, mesh(values))).join("\n"), /^cluster b: ambient istiod release b-istiod (leaves|sets) env.AMBIENT_ENABLE_MULTI_NETWORK/, JSON.stringify(values));
  // Every cluster is held to it, and a v4 Chart's istiod (its values ConfigMap) too.
  assert.equal(messages(await runStack(meshMulticlusterWiring, mesh(ambient(undefined), ambient(undefined)))).length, 2);
  const chart = [provider("b"), ...mesh({}).filter((r) => r.name !== "b-istiod"), ...v4Chart("b", "istiod", istiodObjects({ profile: "ambient", global: { meshID: "m", network: "net-b", multiCluster: { clusterName: "b" } } }))];
  assert.match(messages(await runStack(meshMulticlusterWiring, chart)).join("\n"), /^cluster b: ambient istiod release b-istiod leaves env.AMBIENT_ENABLE_MULTI_NETWORK unset/);
});

test("mesh-multicluster-wiring: AMBIENT_ENABLE_MULTI_NETWORK is not judged for one cluster, a non-ambient istiod, or a value not known yet", async () => {
  const single = [...wiredCluster("a", [], { eastWest: null }).filter((r) => r.type !== REL), istiod("a", ambient({ AMBIENT_ENABLE_MULTI_NETWORK: "false" }))];
  assert.deepEqual((await runStack(meshMulticlusterWiring, single)).violations, []);
  // A sidecar istiod ignores the flag ("requires PILOT_ENABLE_AMBIENT=true"); it registers no
  // istio-east-west class either, so its east-west gateway is what is reported (lib/unserved-gateways.ts).
  assert.deepEqual(messages(await runStack(meshMulticlusterWiring, mesh({ env: {} }))).map((m) => m.split(" is owned by")[0]), ["cluster b: Gateway istio-system/istio-eastwestgateway of class istio-east-west (Istio's east-west kind)"]);
  for (const values of [ambient({ AMBIENT_ENABLE_MULTI_NETWORK: UNKNOWN }), ambient({ AMBIENT_ENABLE_MULTI_NETWORK: "false" }, { envVarFrom: [{ name: "AMBIENT_ENABLE_MULTI_NETWORK", valueFrom: { configMapKeyRef: { name: "flags", key: "multi" } } }] })]) {
    const later = await runStack(meshMulticlusterWiring, mesh(values));
    assert.deepEqual(later.violations, []);
    assert.match(later.unknown.join("\n"), /the AMBIENT_ENABLE_MULTI_NETWORK env of istiod release b-istiod on cluster b/);
  }
});

// Istio 1.30.3: ztunnel dials istiod-<its revision> (ztunnel chart daemonset.yaml XDS_ADDRESS), and
// only the istiod owning a Gateway deploys it (gatewaycommon/deploymentcontroller.go IsMine, by
// istio.io/rev, tags, the default revision: pkg/revisions/tag_watcher.go). Before, a canary istiod
// serving neither failed a correct stack for want of the flag.
test("mesh-multicluster-wiring: AMBIENT_ENABLE_MULTI_NETWORK is judged on the istiod that serves the cluster's ztunnel or owns its Gateways", async () => {
  const canary = (cluster: string, env: Record<string, unknown>) =>
    stackResource({ type: REL, name: `${cluster}-istiod-canary`, props: { chart: "istiod", namespace: "istio-system", values: { revision: "canary", global: { meshID: "m", network: `net-${cluster}`, multiCluster: { clusterName: cluster } }, ...ambient(env) } }, provider: k8sProvider(cluster) });
  const ztunnel = (revision?: string) =>
    stackResource({ type: REL, name: "b-ztunnel", props: { chart: "ztunnel", namespace: "istio-system", values: { profile: "ambient", ...(revision ? { revision } : {}), global: { network: "net-b" }, multiCluster: { clusterName: "b" } } }, provider: k8sProvider("b") });
  const on = ambient({ AMBIENT_ENABLE_MULTI_NETWORK: "true" });
  const off = { AMBIENT_ENABLE_BAGGAGE: "true" };
  const base = stackResource({ type: REL, name: "b-istio-base", props: { chart: "base", namespace: "istio-system", values: { defaultRevision: "default" } }, provider: k8sProvider("b") });
  // The canary serves nothing: the stable istiod owns ztunnel and the unlabelled east-west gateway.
  const clean = await runStack(meshMulticlusterWiring, [...mesh(on), base, canary("b", off), ztunnel()]);
  assert.deepEqual([messages(clean), clean.unknown], [[], []]);
  // Without the base chart the default revision, which may own the unlabelled gateway, is not known.
  assert.match((await runStack(meshMulticlusterWiring, [...mesh(on), canary("b", off), ztunnel()])).unknown.join("\n"), /whether istiod release b-istiod-canary on cluster b serves its ztunnels or Gateways/);
  // ztunnel moved to the canary, or the east-west gateway labelled for it: the canary is held to the flag.
  const canaryFlagged = /^cluster b: ambient istiod release b-istiod-canary leaves env.AMBIENT_ENABLE_MULTI_NETWORK unset/;
  assert.match(messages(await runStack(meshMulticlusterWiring, [...mesh(on), base, canary("b", off), ztunnel("canary")])).join("\n"), canaryFlagged);
  const labelled = mesh(on).map((r) => (r.name === "b-ew" ? { ...r, props: { ...r.props, metadata: { ...r.props.metadata, labels: { ...r.props.metadata.labels, "istio.io/rev": "canary" } } } } : r));
  assert.match(messages(await runStack(meshMulticlusterWiring, [...labelled, base, canary("b", off), ztunnel()])).join("\n"), canaryFlagged);
  // Without a ztunnel release on the cluster every ambient istiod may serve it, as before.
  assert.match(messages(await runStack(meshMulticlusterWiring, [...mesh(on), canary("b", off)])).join("\n"), canaryFlagged);
});
