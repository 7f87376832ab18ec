/**
 * Cases for the infrastructure rules that have no home in the per-area suites: mesh identity
 * across istiod revisions and meshConfig, and splits whose weights send nothing anywhere.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { canaryWeightLimit } from "../../policy/rules/canary-weight-limit";
import { meshIdentityConsistent } from "../../policy/rules/mesh-identity-consistent";
import { k8sProvider, runResource, runStack, stackResource } from "../support/policy";

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

const route = (name: string, rules: unknown[], kind = "HTTPRoute") => ({
  type: `kubernetes:gateway.networking.k8s.io/v1:${kind}`,
  props: { metadata: { name, namespace: "inference" }, spec: { rules } },
});

test("canary-weight-limit: a rule whose backendRefs all have weight 0 sends its traffic to a 500", async () => {
  const ok = await runResource(canaryWeightLimit, [
    // Retiring a version: weight 0 beside a backend that takes everything.
    route("shift", [{ backendRefs: [{ name: "v1", weight: 0 }, { name: "v2", weight: 100 }] }]),
    // An omitted weight is 1; a redirect rule sends nothing to backends; no backendRefs is another case (404).
    route("default-weight", [{ backendRefs: [{ name: "v1" }] }]),
    route("redirect", [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https" } }], backendRefs: [{ name: "v1", weight: 0 }] }]),
    route("no-backends", [{ filters: [{ type: "RequestRedirect" }] }]),
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(canaryWeightLimit, [
    route("single-zero", [{ backendRefs: [{ name: "model-v1", weight: 0 }] }]),
    route("all-zero", [{ backendRefs: [{ name: "model-v1", weight: 0 }, { name: "model-v2", weight: 0 }] }], "GRPCRoute"),
    // The canary's own door too: x-canary requests would all fail.
    route("door", [{ matches: [{ headers: [{ name: "x-canary", value: "true" }] }], backendRefs: [{ name: "model-v2", weight: 0 }] }, { backendRefs: [{ name: "model-v1" }] }]),
  ]);
  assert.equal(bad.violations.length, 3, JSON.stringify(bad.violations, null, 1));
  assert.match(bad.violations[0].message, /^inference\/single-zero rule 0: every backendRef has weight 0 \(model-v1\), so all traffic the rule matches gets a 500 error/);
  assert.match(bad.violations[1].message, /^inference\/all-zero rule 0: every backendRef has weight 0 \(model-v1, model-v2\)/);
  assert.match(bad.violations[2].message, /^inference\/door rule 0: every backendRef has weight 0/);
});
