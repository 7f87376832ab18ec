/**
 * mesh-identity-consistent reads ztunnel's network and cluster name as the ztunnel 1.30.3 chart
 * renders them into its container (templates/daemonset.yaml): NETWORK and ISTIO_META_CLUSTER_ID
 * from `network` and `multiCluster.clusterName`, then the `meshConfig.defaultConfig.proxyMetadata`
 * and `env` entries listed after them, whose later duplicate the kubelet takes (ztunnel src/config.rs
 * reads both variables).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { meshIdentityConsistent } from "../../policy/rules/mesh-identity-consistent";
import { k8sProvider, runStack, stackResource, UNKNOWN } from "../support/policy";
import { REL, messages, provider, v4Chart, ztunnelObjects } from "./mesh-support";

const cluster = (name: string, ztunnelExtra: Record<string, unknown>) => [
  stackResource({ type: REL, name: `${name}-istiod`, props: { chart: "istiod", namespace: "istio-system", values: { global: { meshID: "m", network: `net-${name}`, multiCluster: { clusterName: name } } } }, provider: k8sProvider(name) }),
  stackResource({ type: REL, name: `${name}-ztunnel`, props: { chart: "ztunnel", values: { global: { network: `net-${name}` }, multiCluster: { clusterName: name }, ...ztunnelExtra } }, provider: k8sProvider(name) }),
];
const review = async (ztunnelExtra: Record<string, unknown>) => (await runStack(meshIdentityConsistent, [...cluster("a", ztunnelExtra), ...cluster("b", {})])).violations.map((v) => v.message);

test("mesh-identity-consistent: ztunnel's env and proxyMetadata entries override its network and cluster name", async () => {
  // The same values again, or variables the check does not read, change nothing.
  assert.deepEqual(await review({ env: { NETWORK: "net-a", ISTIO_META_CLUSTER_ID: "a", RUST_LOG: "debug" } }), []);
  assert.deepEqual(await review({ meshConfig: { defaultConfig: { proxyMetadata: { NETWORK: "net-a" } } } }), []);
  // A null entry is dropped by Helm and renders nothing.
  assert.deepEqual(await review({ env: { NETWORK: null } }), []);
  const network = await review({ env: { NETWORK: "net-b" } });
  assert.equal(network.length, 1);
  assert.match(network[0], /cluster a: ztunnel release a-ztunnel sets env\.NETWORK=net-b, .* the cluster's network is net-a/);
  assert.match((await review({ meshConfig: { defaultConfig: { proxyMetadata: { NETWORK: "net-b" } } } }))[0], /ztunnel release a-ztunnel sets meshConfig\.defaultConfig\.proxyMetadata\.NETWORK=net-b/);
  // env comes after proxyMetadata: its entry wins.
  assert.deepEqual(await review({ env: { NETWORK: "net-a" }, meshConfig: { defaultConfig: { proxyMetadata: { NETWORK: "net-b" } } } }), []);
  // An empty entry still renders `value: ""`, which ztunnel takes as the empty network.
  assert.match((await review({ env: { NETWORK: "" } })).join("\n"), /cluster a: ztunnel sets no network .*env\.NETWORK/);
  const id = await review({ env: { ISTIO_META_CLUSTER_ID: "b" } });
  assert.deepEqual(id, ["cluster a: ztunnel env.ISTIO_META_CLUSTER_ID=b but istiod global.multiCluster.clusterName=a; ztunnel's workloads would be registered under another cluster"]);
});

test("mesh-identity-consistent: a ztunnel env entry not known in this preview is can't judge", async () => {
  const out = await runStack(meshIdentityConsistent, [...cluster("a", { env: { NETWORK: UNKNOWN } }), ...cluster("b", {})]);
  assert.deepEqual(out.violations, []);
  assert.match(out.unknown.join("\n"), /ztunnel's NETWORK on cluster a/);
});

test("mesh-identity-consistent: ztunnel as a v4 Chart takes the last NETWORK and ISTIO_META_CLUSTER_ID its DaemonSet lists", async () => {
  const istiod = stackResource({ type: REL, name: "a-istiod", props: { chart: "istiod", namespace: "istio-system", values: { global: { meshID: "m", network: "net-a", multiCluster: { clusterName: "a" } } } }, provider: k8sProvider("a") });
  const review = async (extra: { name: string; value: string }[]) => {
    const objects = ztunnelObjects({ network: "net-a", clusterName: "a" });
    const container = objects[0].props.spec.template.spec.containers[0] as { env: unknown[] };
    container.env = [...container.env, ...extra];
    return messages(await runStack(meshIdentityConsistent, [provider("a"), istiod, ...v4Chart("a", "ztunnel", objects)]));
  };
  assert.deepEqual(await review([{ name: "NETWORK", value: "net-a" }]), []);
  assert.match((await review([{ name: "NETWORK", value: "net-b" }])).join("\n"), /cluster a names its network inconsistently: .*ztunnel network=net-b/);
  assert.match((await review([{ name: "ISTIO_META_CLUSTER_ID", value: "z" }])).join("\n"), /cluster a: ztunnel multiCluster.clusterName=z but istiod global.multiCluster.clusterName=a/);
});
