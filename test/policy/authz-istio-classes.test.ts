/**
 * Policy tests for the authorization rules' reading of Istio's gateway classes by the names the
 * stack's istiod serves (PILOT_GATEWAY_API_DEFAULT_GATEWAYCLASS_NAME, PILOT_GATEWAY_API_CONTROLLER_NAME,
 * GatewayClass objects naming Istio's controllers), as Istio 1.30.3's deployment controller does.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { authorizationPrincipalsKnown } from "../../policy/rules/authorization-principals-known";
import { authorizationSourcesRestricted } from "../../policy/rules/authorization-sources-restricted";
import { gatewayProxyIdentities } from "../../policy/lib/gateway-proxies";
import { istioGatewayKind } from "../../policy/lib/istio-classes";
import { runStack } from "../support/policy";
import { on, sa, ap, gw } from "./authz-support";

const GW = "gateway.networking.k8s.io";
const istiod = (env: Record<string, string> = {}) => on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", values: { profile: "ambient", meshConfig: { trustDomain: "cluster.local" }, env } });
const renamed = istiod({ PILOT_GATEWAY_API_DEFAULT_GATEWAYCLASS_NAME: "acme" });
const gatewayClass = (name: string, controllerName: string) => on(`kubernetes:${GW}/v1:GatewayClass`, `gc-${name}`, { metadata: { name }, spec: { controllerName } });
const toEdge = (source: Record<string, unknown>) => ({ action: "ALLOW", targetRefs: [{ group: GW, kind: "Gateway", name: "edge" }], rules: [{ from: [{ source }] }] });
const annotated = (name: string, gatewayClassName: string, account: string) =>
  on(`kubernetes:${GW}/v1:Gateway`, `inference-gw-${name}`, { metadata: { name, namespace: "inference", annotations: { "gateway.istio.io/service-account": account } }, spec: { gatewayClassName, listeners: [] } });

test("gateway proxy identities: a renamed ingress class and GatewayClasses naming Istio's controllers are deployed as Istio's (1.30.3 deploymentcontroller.go)", () => {
  // The annotation names the account of any class Istio deploys, the renamed default one too (before: only of class istio).
  assert.deepEqual([...gatewayProxyIdentities([renamed, annotated("edge", "acme", "edge-proxy")])], ["inference/edge-proxy"]);
  // A GatewayClass naming the waypoint controller: no -<class> suffix (before: waypoint-my-waypoint).
  assert.deepEqual([...gatewayProxyIdentities([renamed, gatewayClass("my-waypoint", "istio.io/mesh-controller"), gw("tools", "waypoint", "my-waypoint")])], ["tools/waypoint"]);
  // A renamed controller name: a GatewayClass naming it is the ingress kind, `<name>-<class>`, and its annotation counts.
  const controller = istiod({ PILOT_GATEWAY_API_CONTROLLER_NAME: "acme.io/gateway" });
  assert.deepEqual([...gatewayProxyIdentities([controller, gatewayClass("edge-class", "acme.io/gateway"), annotated("edge", "edge-class", "edge-proxy")])], ["inference/edge-proxy"]);
  // istio-remote deploys nothing: no proxy, no identity.
  assert.deepEqual([...gatewayProxyIdentities([renamed, gw("istio-system", "remote", "istio-remote")])], []);
});

test("authorization-principals-known: a policy bound only to an ingress Gateway of istiod's renamed default class names no mesh identities", async () => {
  const base = [renamed, sa("agents", "research-agent-v1"), gw("inference", "edge", "acme")];
  const r = await runStack(authorizationPrincipalsKnown, [...base, ap("inference", "edge", toEdge({ principals: ["cluster.local/ns/agents/sa/research-agent-v1"] }))]);
  assert.deepEqual(r.violations.map((v) => v.message), [
    "AuthorizationPolicy inference/edge rule 0: names callers by principals, but it binds only Istio ingress Gateway edge (class acme), which Istio keeps out of the ambient data plane: in-mesh callers reach it without a mesh identity, so the rule never matches them (restrict who reaches the gateway's pods with a NetworkPolicy instead)",
  ]);
  // Class istio is no longer Istio's ingress there (no istiod serves it): not judged as one.
  const old = await runStack(authorizationPrincipalsKnown, [renamed, sa("agents", "research-agent-v1"), gw("inference", "edge", "istio"), ap("inference", "edge", toEdge({ principals: ["cluster.local/ns/agents/sa/research-agent-v1"] }))]);
  assert.deepEqual(old.violations, []);
});

test("authorization-sources-restricted: the default ingressGatewayClasses take istiod's renamed default class and GatewayClasses naming its controller", async () => {
  const external = toEdge({ notPrincipals: ["*"] });
  for (const stack of [
    [renamed, gw("inference", "edge", "acme")],
    [istiod(), gatewayClass("public", "istio.io/gateway-controller"), gw("inference", "edge", "public")],
  ]) {
    const r = await runStack(authorizationSourcesRestricted, [...stack, ap("inference", "edge", external)]);
    assert.deepEqual(r.violations, [], JSON.stringify(stack.map((x) => x.name)));
  }
  // A class no istiod serves is no ingress: admitting everyone there is reported.
  const r = await runStack(authorizationSourcesRestricted, [renamed, gw("inference", "edge", "istio"), ap("inference", "edge", external)]);
  assert.equal(r.violations.length, 1);
  // A class listed by name still counts.
  const listed = await runStack(authorizationSourcesRestricted, [renamed, gw("inference", "edge", "kong"), ap("inference", "edge", external)], { ingressGatewayClasses: ["kong"] });
  assert.deepEqual(listed.violations, []);
});

// Istio 1.30.3 gatewaycommon/deploymentcontroller.go Reconcile skips a Gateway its istiod does not
// own (tagWatcher.IsMine): one labelled with a revision no istiod of the stack answers to gets no
// proxy, so its account exists only if an istiod outside the stack deploys it. Before, a principal
// naming it passed with no word.
test("authorization-principals-known: a Gateway whose istio.io/rev no istiod of the stack answers to: a principal naming its proxy account is a note, not a pass", async () => {
  const waypoint = on(`kubernetes:${GW}/v1:Gateway`, "tools-gw-waypoint", { metadata: { name: "waypoint", namespace: "tools", labels: { "istio.io/rev": "canary" } }, spec: { gatewayClassName: "istio-waypoint", listeners: [] } });
  const policy = ap("tools", "calculator", { action: "ALLOW", rules: [{ from: [{ source: { principals: ["cluster.local/ns/tools/sa/waypoint"] } }] }] });
  const r = await runStack(authorizationPrincipalsKnown, [istiod(), waypoint, policy]);
  assert.deepEqual(r.violations, []);
  assert.match(r.unknown.join("\n"), /whether tools\/waypoint, named by AuthorizationPolicy tools\/calculator, exists: it is the proxy account of Gateway tools\/waypoint, whose istio.io\/rev .* no istiod of the stack answers to/);
  // An istiod of that revision owns it: no note.
  const canary = on("kubernetes:helm.sh/v3:Release", "istiod-canary", { chart: "istiod", values: { revision: "canary", profile: "ambient", meshConfig: { trustDomain: "cluster.local" } } });
  const owned = await runStack(authorizationPrincipalsKnown, [istiod(), canary, waypoint, policy]);
  assert.deepEqual([owned.violations, owned.unknown], [[], []]);
  // Allow-listed (an istiod outside the stack deploys it): no note.
  const listed = await runStack(authorizationPrincipalsKnown, [istiod(), waypoint, policy], { allowedServiceAccounts: ["tools/waypoint"] });
  assert.deepEqual([listed.violations, listed.unknown], [[], []]);
});

// Istio 1.30.3 registers its fixed classes only under their flags (pilot/pkg/features ambient.go,
// experimental.go, pilot.go; gatewaycommon/classinfo.go), and Reconcile skips a controller with no
// ClassInfo. Before, the waypoint, east-west and agentgateway classes were always Istio's.
test("istio gateway kinds: the waypoint, east-west and agentgateway classes are Istio's only where istiod's flags register them", () => {
  const kind = (i: ReturnType<typeof istiod> | undefined, cls: string, extra: ReturnType<typeof istiod>[] = []) => {
    const g = gw("tools", "g", cls);
    return istioGatewayKind(g, [...(i ? [i] : []), ...extra, g]);
  };
  const plain = on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", values: { env: { AMBIENT_ENABLE_MULTI_NETWORK: "true" } } });
  assert.equal(kind(istiod(), "istio-waypoint"), "waypoint");
  assert.equal(kind(istiod({ PILOT_ENABLE_AMBIENT_WAYPOINTS: "false" }), "istio-waypoint"), undefined);
  // Without PILOT_ENABLE_AMBIENT (no ambient profile) registerAmbient flags are false whatever they say.
  assert.equal(kind(plain, "istio-waypoint"), undefined);
  assert.equal(kind(plain, "istio-east-west"), undefined);
  assert.equal(kind(istiod(), "istio-east-west"), undefined);
  assert.equal(kind(istiod({ AMBIENT_ENABLE_MULTI_NETWORK: "true" }), "istio-east-west"), "east-west");
  // A GatewayClass naming the controller does not stand in for the flag.
  assert.equal(kind(istiod(), "my-ew", [gatewayClass("my-ew", "istio.io/eastwest-controller")]), undefined);
  assert.equal(kind(istiod(), "istio-agentgateway"), undefined);
  assert.equal(kind(istiod({ PILOT_ENABLE_AGENTGATEWAY: "true" }), "istio-agentgateway"), "agentgateway");
  assert.equal(kind(istiod(), "istio-remote"), "remote");
  assert.equal(kind(istiod({ PILOT_MULTI_NETWORK_DISCOVER_GATEWAY_API: "false" }), "istio-remote"), undefined);
  // No istiod in the stack: its flags are not known, every class counts.
  assert.equal(kind(undefined, "istio-east-west"), "east-west");
  // A flag set by valueFrom: can't judge.
  const fromElsewhere = on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", values: { profile: "ambient", envVarFrom: [{ name: "PILOT_ENABLE_AMBIENT_WAYPOINTS", valueFrom: { configMapKeyRef: { name: "x", key: "y" } } }] } });
  assert.throws(() => kind(fromElsewhere, "istio-waypoint"), /PILOT_ENABLE_AMBIENT_WAYPOINTS env of istiod/);
});
