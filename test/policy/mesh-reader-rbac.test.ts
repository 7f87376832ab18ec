/**
 * mesh-multicluster-wiring on the account the other clusters read a cluster as. istioctl
 * create-remote-secret (Istio 1.30.3 istioctl/pkg/multicluster/remote_secret.go) mints a token for
 * istio-reader-service-account, which only the base chart creates (reader-serviceaccount.yaml) and
 * only istiod's chart binds to its reader ClusterRole (reader-clusterrole*.yaml), both under
 * global.enableReaderRBAC (true unless set) and global.resourceScope. Before, a cluster turning it
 * off passed, though every other istiod is then refused its services and endpoints.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { meshMulticlusterWiring } from "../../policy/rules/mesh-multicluster-wiring";
import { k8sProvider, runStack, stackResource, UNKNOWN } from "../support/policy";
import { messages, REL, wiredCluster } from "./mesh-support";

const base = (cluster: string, global: Record<string, unknown> = {}) =>
  stackResource({ type: REL, name: `${cluster}-istio-base`, props: { chart: "base", namespace: "istio-system", values: { defaultRevision: "default", global } }, provider: k8sProvider(cluster) });
const withIstiod = (values: Record<string, unknown>) => (r: ReturnType<typeof stackResource>) =>
  r.name === "b-istiod" ? { ...r, props: { ...r.props, values: { ...r.props.values, ...values, global: { ...(r.props.values as any).global, ...(values.global as object) } } } } : r;
const mesh = (bGlobal: Record<string, unknown> = {}, istiod: Record<string, unknown> = {}, extra: ReturnType<typeof stackResource>[] = []) =>
  runStack(meshMulticlusterWiring, [...wiredCluster("a", ["b"]), base("a"), ...wiredCluster("b", ["a"]).map(withIstiod(istiod)), base("b", bGlobal), ...extra]);

test("mesh-multicluster-wiring: each cluster keeps istioctl's reader account and its ClusterRole for the other clusters' remote secrets", async () => {
  assert.deepEqual((await mesh()).violations, []);
  assert.deepEqual((await mesh({ enableReaderRBAC: true }, { global: { enableReaderRBAC: "true" } })).violations, []);
  const noAccount = await mesh({ enableReaderRBAC: false });
  assert.deepEqual(messages(noAccount), [
    "cluster b: base release b-istio-base sets global.enableReaderRBAC false: the chart renders no ServiceAccount istio-reader-service-account, so the token the other clusters' remote secrets hold is never minted: every other istiod of the mesh is refused b's services and endpoints; leave global.enableReaderRBAC true (and global.resourceScope all)",
  ]);
  assert.equal(noAccount.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:helm.sh/v3:Release::b-istio-base");
  assert.match(messages(await mesh({ resourceScope: "cluster" })).join("\n"), /^cluster b: base release b-istio-base sets global.resourceScope "cluster": /);
  // istiod's pilot.* is merged over the top level (zzy_descope_legacy.yaml).
  for (const values of [{ global: { enableReaderRBAC: false } }, { pilot: { global: { enableReaderRBAC: "" } } }, { global: { resourceScope: "namespace" } }]) {
    assert.match(messages(await mesh({}, values)).join("\n"), /^cluster b: istiod release b-istiod sets global\.(enableReaderRBAC|resourceScope) .*: the chart binds istio-reader-service-account to no reader ClusterRole/, JSON.stringify(values));
  }
  // A ClusterRoleBinding the stack renders for the account stands in for the chart's, judged by its
  // role (mesh-reader-accounts.test.ts): `view` is aggregated, its bootstrap rules lacking nodes, so can't judge.
  const binding = stackResource({ type: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", name: "b-reader", props: { metadata: { name: "reader" }, roleRef: { kind: "ClusterRole", name: "view" }, subjects: [{ kind: "ServiceAccount", name: "istio-reader-service-account", namespace: "istio-system" }] }, provider: k8sProvider("b") });
  const own = await mesh({}, { global: { enableReaderRBAC: false } }, [binding]);
  assert.deepEqual(own.violations, []);
  assert.match(own.unknown.join("\n"), /the ClusterRole view ClusterRoleBinding reader binds ServiceAccount istio-system\/istio-reader-service-account to/);
  const later = await mesh({ enableReaderRBAC: UNKNOWN });
  assert.deepEqual(later.violations, []);
  assert.match(later.unknown.join("\n"), /the reader RBAC values \(global.enableReaderRBAC, global.resourceScope\) of cluster b's Istio releases/);
});
