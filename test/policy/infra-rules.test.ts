/**
 * Cases for the infrastructure rules that have no home in the per-area suites: mesh identity
 * across istiod revisions and meshConfig, and splits whose weights send nothing anywhere.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { canaryWeightLimit } from "../../policy/rules/canary-weight-limit";
import { meshIdentityConsistent } from "../../policy/rules/mesh-identity-consistent";
import { k8sProvider, runResource, runStack, stackResource, UNKNOWN } from "../support/policy";

const REL = "kubernetes:helm.sh/v3:Release";
const istiodRelease = (cluster: string, values: Record<string, any>, name = "istiod") =>
  stackResource({
    type: REL,
    name: `${cluster}-${name}`,
    props: { name, chart: "istiod", namespace: "istio-system", values: { ...values, global: { network: `net-${cluster}`, multiCluster: { clusterName: cluster }, ...values.global } } },
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

test("mesh-identity-consistent: settings unknown in a preview are not taken for the charts' defaults (can't judge); known mismatches are still reported", async () => {
  // Before: an unknown network read as unset ("istiod has no global.network"), an unknown trust domain
  // as cluster.local and an unknown cluster name as Kubernetes, each a violation.
  const network = await runStack(meshIdentityConsistent, [istiodRelease("a", { global: { network: UNKNOWN } })]);
  assert.deepEqual(network.violations, []);
  assert.match(network.unknown[0], /the network of cluster a \(istiod global\.network\)/);
  const trustDomain = await runStack(meshIdentityConsistent, [
    istiodRelease("a", { global: { meshID: "m" }, meshConfig: { trustDomain: "corp.example" } }),
    istiodRelease("b", { global: { meshID: "m" }, meshConfig: { trustDomain: UNKNOWN } }),
  ]);
  assert.deepEqual(trustDomain.violations, []);
  assert.match(trustDomain.unknown[0], /the trust domain \(meshConfig\.trustDomain\) of istiod release istiod on cluster b/);
  const clusterName = await runStack(meshIdentityConsistent, [
    istiodRelease("a", { global: { meshID: "m", multiCluster: {} } }),
    istiodRelease("b", { global: { meshID: "m", multiCluster: { clusterName: UNKNOWN } } }),
  ]);
  assert.deepEqual(clusterName.violations, []);
  assert.match(clusterName.unknown[0], /the Istio cluster name \(global\.multiCluster\.clusterName\) of istiod release istiod on cluster b/);
  // Before: agentgateway's settings not known, or istiod's network not known, were not compared (a silent pass).
  const params = (istio: unknown) =>
    stackResource({ type: "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayParameters", name: "a-params", props: { metadata: { name: "agent-gateway", namespace: "agents" }, spec: { istio } }, provider: k8sProvider("a") });
  const agw = await runStack(meshIdentityConsistent, [istiodRelease("a", { global: { meshID: "m" } }), params(UNKNOWN)]);
  assert.deepEqual(agw.violations, []);
  assert.match(agw.unknown[0], /spec\.istio of AgentgatewayParameters agents\/agent-gateway on cluster a/);
  const istiodNetwork = await runStack(meshIdentityConsistent, [istiodRelease("a", { global: { network: UNKNOWN } }), params({ network: "net-z" })]);
  assert.deepEqual(istiodNetwork.violations, []);
  assert.match(istiodNetwork.unknown.join("\n"), /whether AgentgatewayParameters agents\/agent-gateway istio\.network on cluster a is istiod's/);
  // Known mismatches stand beside unknowns; an unknown that cannot change a verdict blocks nothing
  // (one istiod's meshID is compared with nothing), while its trust domain, which Istio may refuse
  // whole (an empty one), can.
  const mixed = await runStack(meshIdentityConsistent, [
    istiodRelease("a", { global: { meshID: "m" } }),
    istiodRelease("b", { global: { meshID: "other", network: UNKNOWN } }),
  ]);
  assert.deepEqual(mixed.violations.map((v) => v.message), ["istiod meshID differs across clusters: m (a); other (b) (meshConfig.defaultConfig.meshId where set, else global.meshID)"]);
  assert.equal(mixed.unknown.length, 1);
  assert.match(mixed.unknown[0], /the network of cluster b/);
  const alone = await runStack(meshIdentityConsistent, [istiodRelease("a", { global: { meshID: UNKNOWN } })]);
  assert.deepEqual([alone.violations, alone.unknown], [[], []]);
  const unknownTrustDomain = await runStack(meshIdentityConsistent, [istiodRelease("a", { global: { meshID: "m" }, meshConfig: { trustDomain: UNKNOWN } })]);
  assert.deepEqual(unknownTrustDomain.violations, []);
  assert.match(unknownTrustDomain.unknown.join("\n"), /the trust domain settings \(meshConfig\) of istiod release istiod on cluster a/);
  // Known: the unknown network set to a known other value is still the violation it was.
  assert.match((await runStack(meshIdentityConsistent, [istiodRelease("a", {}), params({ network: "net-z" })])).violations[0].message, /istio\.network=net-z but istiod's is net-a/);
});

test("canary-weight-limit: an HTTPRoutePatch is judged for the rules it sets (an atomic list in Gateway API: it replaces them)", async () => {
  const patch = (name: string, spec: Record<string, unknown>) => ({ type: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoutePatch", props: { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name, namespace: "inference" }, spec } });
  const pools = (a: number, b: number) => [{ backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: "v1", weight: a }, { group: "inference.networking.k8s.io", kind: "InferencePool", name: "v2", weight: b }] }];
  // Before: no policy judged a patch, so a 50/50 split went unseen.
  const bad = await runResource(canaryWeightLimit, [patch("half", { rules: pools(50, 50) }), patch("sum", { rules: pools(90, 5) })]);
  assert.deepEqual(bad.violations.map((v) => v.message), [
    "inference/half rule 0: non-primary backend v2 gets 50% of the split; a canary may get at most 10%",
    "inference/sum rule 0: split weights 90/5 sum to 95, not 100",
  ]);
  // A patch that leaves the rules alone (parentRefs only), or sets a compliant split, passes.
  assert.deepEqual((await runResource(canaryWeightLimit, [patch("parents", { parentRefs: [{ name: "inference-gateway" }] }), patch("ok", { rules: pools(95, 5) })])).violations, []);
});
