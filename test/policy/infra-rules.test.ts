/**
 * Cases for the infrastructure rules that have no home in the per-area suites: mesh identity
 * across istiod revisions and meshConfig, and splits whose weights send nothing anywhere.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { meshIdentityConsistent } from "../../policy/rules/mesh-identity-consistent";
import { k8sProvider, runStack, stackResource } from "../support/policy";

const REL = "kubernetes:helm.sh/v3:Release";
const istiodRelease = (cluster: string, values: Record<string, any>, name = "istiod") =>
  stackResource({
    type: REL,
    name: `${cluster}-${name}`,
    props: { name, chart: "istiod", values: { ...values, global: { network: `net-${cluster}`, multiCluster: { clusterName: cluster }, ...values.global } } },
    provider: k8sProvider(cluster),
  });

test("mesh-identity-consistent: meshConfig.defaultConfig.meshId overrides global.meshID, as the istiod chart merges it", async () => {
  // Set only through meshConfig, or the same in both: one mesh, nothing missing.
  const ok = await runStack(meshIdentityConsistent, [
    istiodRelease("a", { meshConfig: { defaultConfig: { meshId: "mesh" } } }),
    istiodRelease("b", { global: { meshID: "mesh" }, meshConfig: { defaultConfig: { meshId: "mesh" } } }),
    // An empty meshConfig value sets nothing: global.meshID stands.
    istiodRelease("c", { global: { meshID: "mesh" }, meshConfig: { defaultConfig: { meshId: "" } } }),
  ]);
  assert.deepEqual(ok.violations, []);
  const overridden = await runStack(meshIdentityConsistent, [
    istiodRelease("a", { global: { meshID: "mesh" } }),
    istiodRelease("b", { global: { meshID: "mesh" }, meshConfig: { defaultConfig: { meshId: "other-mesh" } } }),
  ]);
  assert.equal(overridden.violations.length, 1, JSON.stringify(overridden.violations, null, 1));
  assert.match(overridden.violations[0].message, /^istiod meshID differs across clusters: mesh \(a\); other-mesh \(b\) \(meshConfig\.defaultConfig\.meshId where set, else global\.meshID\)/);
  const unset = await runStack(meshIdentityConsistent, [istiodRelease("a", { global: { meshID: "mesh" } }), istiodRelease("b", { global: { meshID: "" } })]);
  assert.match(unset.violations.map((v) => v.message).join("\n"), /clusters b set no meshID \(global\.meshID or meshConfig\.defaultConfig\.meshId\)/);
});

test("mesh-identity-consistent: every istiod release of a cluster (a revision too) is held to the mesh's identity", async () => {
  const mesh = { global: { meshID: "mesh" }, meshConfig: { trustDomain: "cluster.local" } };
  const ok = await runStack(meshIdentityConsistent, [istiodRelease("a", mesh), istiodRelease("a", mesh, "istiod-canary"), istiodRelease("b", mesh)]);
  assert.deepEqual(ok.violations, []);
  const bad = await runStack(meshIdentityConsistent, [
    istiodRelease("a", mesh),
    istiodRelease("a", { global: { meshID: "rogue", network: "net-z", multiCluster: { clusterName: "z" } }, meshConfig: { trustDomain: "evil.local" } }, "istiod-canary"),
    istiodRelease("b", mesh),
  ]);
  const messages = bad.violations.map((v) => v.message).join("\n");
  assert.match(messages, /istiod meshID differs across clusters and istiod revisions: mesh \(a\/istiod, b\); rogue \(a\/istiod-canary\)/);
  assert.match(messages, /trust domain differs across clusters and istiod revisions: cluster\.local \(a\/istiod, b\); evil\.local \(a\/istiod-canary\)/);
  assert.match(messages, /cluster a names its network inconsistently: istiod istiod global\.network=net-a, istiod istiod-canary global\.network=net-z/);
  assert.match(messages, /cluster a: its istiod releases name the cluster differently \(istiod global\.multiCluster\.clusterName=a, istiod-canary global\.multiCluster\.clusterName=z\)/);
});
