/**
 * Policy tests for authorization-targets-enforced: an AuthorizationPolicy's targetRefs bind a proxy
 * that enforces Istio authorization (not agentgateway, whose controller hands its proxies none; not
 * a target istiod binds nothing to). Services and waypoints istiod does not bind:
 * authz-targets-waypoints.test.ts.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { authorizationTargetsEnforced } from "../../policy/rules/authorization-targets-enforced";
import { runStack, UNKNOWN } from "../support/policy";
import { on, ap, gw, allowFrom } from "./authz-support";
import { GW, caller, to, ns, svc, gatewayClass, agwChart, fleet } from "../support/authz-targets";

test("authorization-targets-enforced: targets a waypoint or Istio gateway enforces pass; those nothing enforces fail", async () => {
  const ok = await runStack(authorizationTargetsEnforced, [
    ...fleet,
    ap("agents", "waypoint", to({ group: GW, kind: "Gateway", name: "waypoint" })),
    ap("inference", "callers", to({ group: GW, kind: "Gateway", name: "inference-gateway" })),
    ap("agents", "agent-svc", to({ group: "", kind: "Service", name: "research-agent" })),
    ap("tools", "calc", to({ kind: "Service", name: "calculator" })),
    ap("istio-system", "all-waypoints", to({ group: GW, kind: "GatewayClass", name: "istio-waypoint" })),
    // Objects outside the stack are not judged: another team's Gateway or Service.
    ap("agents", "elsewhere", to({ group: GW, kind: "Gateway", name: "partner-gateway" }, { group: "", kind: "Service", name: "partner" })),
    ap("agents", "by-selector", { ...allowFrom(caller), selector: { matchLabels: { app: "research-agent" } } }),
  ]);
  assert.deepEqual(ok.violations, []);
  assert.deepEqual(ok.unknown, []);

  const bad = await runStack(authorizationTargetsEnforced, [
    ...fleet,
    gw("agents", "istio-agw", "istio-agentgateway"),
    ap("agents", "gateway-callers", to({ group: GW, kind: "Gateway", name: "agent-gateway" })),
    ap("agents", "deny-vllm", { action: "DENY", targetRef: { group: GW, kind: "Gateway", name: "istio-agw" }, rules: [{ from: [{ source: { principals: ["cluster.local/ns/inference/sa/vllm"] } }] }] }),
    ap("istio-system", "agw-class", to({ group: GW, kind: "GatewayClass", name: "agentgateway" })),
    ap("agents", "no-group", to({ kind: "Gateway", name: "waypoint" })),
    ap("agents", "route", to({ group: GW, kind: "HTTPRoute", name: "research-agent" })),
    ap("agents", "waypoint-class-here", to({ group: GW, kind: "GatewayClass", name: "istio-waypoint" })),
    ap("istio-system", "istio-class", to({ group: GW, kind: "GatewayClass", name: "istio" })),
    ap("tools", "no-waypoint", to({ group: "", kind: "Service", name: "calculator-v2" })),
    svc("tools", "calculator-v2"),
  ]);
  const messages = bad.violations.map((v) => v.message);
  assert.equal(messages.length, 8, messages.join("\n"));
  assert.equal(
    messages[0],
    "AuthorizationPolicy agents/gateway-callers: targetRef gateway.networking.k8s.io/Gateway agent-gateway binds Gateway agents/agent-gateway of class agentgateway, an agentgateway proxy (agentgateway's controller) which takes no Istio AuthorizationPolicy (its controller hands its proxies none: agentgateway v1.4.1 controller/pkg/syncer/syncer.go, Istio 1.30.3's agentgateway controller likewise) while ztunnel ignores targetRefs, so nothing enforces this policy; express it as an AgentgatewayPolicy (agentgateway.dev/v1alpha1) targeting the Gateway (group gateway.networking.k8s.io, kind Gateway) with spec.traffic.authorization (action Allow, Deny or Require; policy.matchExpressions: CEL over source.identity, e.g. source.identity.namespace and source.identity.serviceAccount)",
  );
  assert.match(messages[1], /^AuthorizationPolicy agents\/deny-vllm: targetRef gateway\.networking\.k8s\.io\/Gateway istio-agw binds Gateway agents\/istio-agw of class istio-agentgateway, an agentgateway proxy \(Istio's experimental agentgateway controller\)/);
  assert.match(messages[2], /^AuthorizationPolicy istio-system\/agw-class: targetRef gateway\.networking\.k8s\.io\/GatewayClass agentgateway is a GatewayClass of agentgateway's controller, .*AgentgatewayPolicy/);
  assert.match(messages[3], /^AuthorizationPolicy agents\/no-group: targetRef Gateway waypoint is not a target Istio 1\.30 binds .*: set group gateway\.networking\.k8s\.io for a Gateway$/);
  assert.match(messages[4], /targetRef gateway\.networking\.k8s\.io\/HTTPRoute research-agent is not a target Istio 1\.30 binds/);
  assert.match(messages[5], /^AuthorizationPolicy agents\/waypoint-class-here: .* binds nothing from namespace agents: istiod attaches a GatewayClass target only from Istio's root namespace \(istio-system\)/);
  assert.match(messages[6], /^AuthorizationPolicy istio-system\/istio-class: .* binds nothing: istiod attaches a policy to a GatewayClass only for istio-waypoint/);
  assert.match(messages[7], /^AuthorizationPolicy tools\/no-waypoint: targetRef Service calculator-v2 binds nothing: no waypoint serves Service tools\/calculator-v2/);
});

test("authorization-targets-enforced: a Service whose waypoint is agentgateway, renamed and stack-defined agentgateway classes", async () => {
  const agwWaypoint = [ns("lab", { "istio.io/use-waypoint": "agw-waypoint" }), gw("lab", "agw-waypoint", "agentgateway"), svc("lab", "bot"), svc("lab", "opted-out", { "istio.io/use-waypoint": "none" })];
  const viaWaypoint = await runStack(authorizationTargetsEnforced, [...agwWaypoint, ap("lab", "bot", to({ group: "", kind: "Service", name: "bot" }))]);
  assert.deepEqual(viaWaypoint.violations.map((v) => v.message.split(", an agentgateway")[0]), [
    "AuthorizationPolicy lab/bot: targetRef Service bot binds Gateway lab/agw-waypoint (the waypoint of Service lab/bot) of class agentgateway",
  ]);
  const optedOut = await runStack(authorizationTargetsEnforced, [...agwWaypoint, ap("lab", "out", to({ group: "", kind: "Service", name: "opted-out" }))]);
  assert.match(optedOut.violations[0].message, /no waypoint serves Service lab\/opted-out/);
  // A ServicePatch (server-side apply) that enrolls the Service with an Istio waypoint counts.
  const patched = [ns("ops"), gw("ops", "waypoint", "istio-waypoint"), svc("ops", "api"), on("kubernetes:core/v1:ServicePatch", "ops-svcpatch-api", { metadata: { name: "api", namespace: "ops", labels: { "istio.io/use-waypoint": "waypoint" } } })];
  assert.deepEqual((await runStack(authorizationTargetsEnforced, [...patched, ap("ops", "api", to({ group: "", kind: "Service", name: "api" }))])).violations, []);
  const unpatched = await runStack(authorizationTargetsEnforced, [...patched.slice(0, 3), ap("ops", "api", to({ group: "", kind: "Service", name: "api" }))]);
  assert.match(unpatched.violations[0].message, /no waypoint serves Service ops\/api/);

  // The chart renames the class (AGW_AGENTGATEWAY_CLASS_NAME); a rendered GatewayClass of agentgateway's controller counts too.
  const renamed = [agwChart({ gatewayClassName: "agw" }), gatewayClass("agw-internal", "agentgateway.dev/agentgateway"), gw("lab", "a", "agw"), gw("lab", "b", "agw-internal")];
  const r = await runStack(authorizationTargetsEnforced, [...renamed, ap("lab", "a", to({ group: GW, kind: "Gateway", name: "a" })), ap("lab", "b", to({ group: GW, kind: "Gateway", name: "b" }))]);
  assert.deepEqual(r.violations.map((v) => /of class (\S+), an agentgateway proxy \(([^)]+)\)/.exec(v.message)?.slice(1)), [
    ["agw", "the agentgateway controller of Helm release a-agentgateway"],
    ["agw-internal", "the agentgateway controller of Helm release a-agentgateway"],
  ]);
  // A GatewayClass the stack renders for Istio's controller decides its own name.
  const reclaimed = await runStack(authorizationTargetsEnforced, [gatewayClass("agentgateway", "istio.io/gateway-controller"), gw("lab", "a", "agentgateway"), ap("lab", "a", to({ group: GW, kind: "Gateway", name: "a" }))]);
  assert.deepEqual(reclaimed.violations, []);
});

test("authorization-targets-enforced: a class or targets unknown in a preview is can't judge; known findings stand", async () => {
  const unknownClass = await runStack(authorizationTargetsEnforced, [
    gw("agents", "agent-gateway", UNKNOWN),
    gw("agents", "mcp", "agentgateway"),
    ap("agents", "a", to({ group: GW, kind: "Gateway", name: "agent-gateway" })),
    ap("agents", "b", to({ group: GW, kind: "Gateway", name: "mcp" })),
    ap("agents", "c", UNKNOWN as unknown as Record<string, unknown>),
  ]);
  assert.equal(unknownClass.violations.length, 1);
  assert.match(unknownClass.violations[0].message, /^AuthorizationPolicy agents\/b: /);
  assert.equal(unknownClass.unknown.length, 1);
  assert.match(unknownClass.unknown[0], /<the class of Gateway agents\/agent-gateway on cluster a; the targetRefs of AuthorizationPolicy agents\/c on cluster a> can't be known during preview/);
});

test("authorization-targets-enforced: agentgateway classes a preview cannot read yet are can't judge only where a target's class may be one", async () => {
  const policies = [gw("lab", "a", "custom"), ap("lab", "a", to({ group: GW, kind: "Gateway", name: "a" }))];
  // Nothing to decide: no target's class could be a renamed agentgateway one.
  assert.deepEqual(await runStack(authorizationTargetsEnforced, [agwChart({ gatewayClassName: UNKNOWN })]), { violations: [], unknown: [], notApplicable: [] });
  const renamed = await runStack(authorizationTargetsEnforced, [agwChart({ gatewayClassName: UNKNOWN }), ...policies]);
  assert.deepEqual(renamed.violations, []);
  assert.match(renamed.unknown[0], /whether class custom on cluster a is agentgateway's \(the values of Helm release a-agentgateway not known yet\)/);
  const reclaimed = await runStack(authorizationTargetsEnforced, [gatewayClass("agentgateway", UNKNOWN), gw("lab", "b", "agentgateway"), ap("lab", "b", to({ group: GW, kind: "Gateway", name: "b" }))]);
  assert.deepEqual(reclaimed.violations, []);
  assert.match(reclaimed.unknown[0], /whether class agentgateway on cluster a is agentgateway's \(the controllerName of GatewayClass a-gc-agentgateway not known yet\)/);
});

test("authorization-targets-enforced: a targetRef naming a namespace is refused by the CRD; Gateway API's sectionName is no Istio field", async () => {
  const run = async (...extra: ReturnType<typeof on>[]) => (await runStack(authorizationTargetsEnforced, [...fleet, ...extra])).violations.map((v) => v.message);
  // Before, the refused policy counted as bound to the Gateway.
  assert.deepEqual(await run(ap("inference", "other-ns", to({ group: GW, kind: "Gateway", name: "inference-gateway", namespace: "agents" }))), [
    "AuthorizationPolicy inference/other-ns: targetRef gateway.networking.k8s.io/Gateway inference-gateway names namespace agents: the AuthorizationPolicy CRD refuses a targetRef with a namespace (cross namespace referencing is not currently supported), so the API server refuses the policy; put the policy in the target's namespace and drop the field",
  ]);
  assert.equal((await run(ap("inference", "own-ns", to({ group: GW, kind: "Gateway", name: "inference-gateway", namespace: "inference" })))).length, 1);
  // Empty is what the CRD takes. A sectionName is not in Istio's PolicyTargetReference: the API
  // server drops it and istiod binds the whole Gateway (policyattachment.go matches its name only),
  // which is how the other policies count it: nothing here to report.
  assert.deepEqual(await run(ap("inference", "plain", to({ group: GW, kind: "Gateway", name: "inference-gateway", namespace: "", sectionName: "https" }))), []);
});

test("authorization-targets-enforced: the Service of an agentgateway proxy wears its Gateway's infrastructure.labels", async () => {
  // agentgateway v1.4.1's controller names the proxy's Service after the Gateway and copies spec.infrastructure.labels onto it.
  const proxy = (labels: Record<string, string>) =>
    on(`kubernetes:${GW}/v1:Gateway`, "tools-gw-mcp-gateway", { metadata: { name: "mcp-gateway", namespace: "tools" }, spec: { gatewayClassName: "agentgateway", infrastructure: { labels }, listeners: [] } });
  const tools = [ns("tools", { "istio.io/use-waypoint": "waypoint" }), gw("tools", "waypoint", "istio-waypoint")];
  const run = async (labels: Record<string, string>) => (await runStack(authorizationTargetsEnforced, [...tools, proxy(labels), ap("tools", "mcp-callers", to({ group: "", kind: "Service", name: "mcp-gateway" }))])).violations.map((v) => v.message);
  const [optedOut] = await run({ "istio.io/use-waypoint": "none" });
  assert.match(optedOut, /^AuthorizationPolicy tools\/mcp-callers: targetRef Service mcp-gateway binds nothing: no waypoint serves Service tools\/mcp-gateway \(it opts out with istio.io\/use-waypoint: none, which agentgateway's controller copies onto it from Gateway tools\/mcp-gateway's spec.infrastructure.labels\)/);
  assert.match(optedOut, /express it as an AgentgatewayPolicy/);
  // Enrolled with the namespace's waypoint, the waypoint enforces it for traffic to that Service.
  assert.deepEqual(await run({}), []);
});
