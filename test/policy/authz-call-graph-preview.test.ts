/**
 * Policy tests for agent-call-graph in a preview: a policy, guard, label, selector or gateway class
 * not known yet is given no verdict (can't judge where it decides), crashes nothing, and leaves the
 * known verdicts standing.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { runStack, UNKNOWN } from "../support/policy";
import { AP, on, sa, ap, gw, allowFrom } from "./authz-support";
import { principal, labelledNs, pods, svc, selectorAllow, serviceAllow, agwPolicy, agwAuthz, agentsCel } from "../support/call-graph";

test("agent-call-graph: a guard not known in this preview is given no verdict yet, and crashes nothing", async () => {
  const fleet = [gw("tools", "mcp-gateway", "agentgateway"), ap("tools", "calculator", allowFrom(principal("tools/mcp-gateway")))];
  const agwUnknown = on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy", "tools-agpol-callers", { metadata: { name: "mcp-gateway-callers", namespace: "tools" }, spec: UNKNOWN });
  assert.deepEqual((await runStack(agentCallGraph, [...fleet, agwUnknown])).violations, []);
  // Only its authorization and targets matter: an unknown value elsewhere in the spec hides nothing.
  const partlyKnown = agwPolicy("tools", "mcp-gateway-callers", { ...agwAuthz({ kind: "Gateway", name: "mcp-gateway" }, ["true"]), traffic: { authorization: { action: "Allow", policy: { matchExpressions: ["true"] } }, jwtAuthentication: { providers: [{ jwks: { inline: UNKNOWN } }] } } });
  assert.equal((await runStack(agentCallGraph, [...fleet, partlyKnown])).violations.length, 1);
  // An AuthorizationPolicy not known yet may be the waypoint's guard.
  const calc = { app: "calculator" };
  const waypointFleet = [labelledNs("tools", { "istio.io/use-waypoint": "waypoint" }), gw("tools", "waypoint", "istio-waypoint"), pods("tools", "calculator", calc), svc("tools", "calculator", calc), selectorAllow("tools", "calculator", calc, "tools/waypoint")];
  const apUnknown = on(AP, "tools-ap-calculator-agents", { metadata: { name: "calculator-agents", namespace: "tools" }, spec: UNKNOWN });
  assert.deepEqual((await runStack(agentCallGraph, [...waypointFleet, apUnknown])).violations, []);
  assert.equal((await runStack(agentCallGraph, waypointFleet)).violations.length, 1);
});

test("agent-call-graph: a policy, guard, label, selector or gateway class unknown in a preview is can't judge where it decides; known verdicts stand", async () => {
  const known = ap("agents", "bot", allowFrom(principal("inference/vllm")));
  const knownMessage = "AuthorizationPolicy agents/bot admits cluster.local/ns/inference/sa/vllm: only the agent gateway (agents/agent-gateway) may call agents";
  const judge = async (resources: ReturnType<typeof on>[], unknown: RegExp) => {
    const out = await runStack(agentCallGraph, [...resources, known]);
    assert.deepEqual(out.violations.map((v) => v.message), [knownMessage]);
    assert.equal(out.unknown.length, 1, JSON.stringify(out.unknown));
    assert.match(out.unknown[0], unknown);
  };
  // An AuthorizationPolicy not known yet in the tools namespace may admit anyone (before: no verdict, a silent pass).
  await judge([ap("tools", "calculator", UNKNOWN as unknown as Record<string, unknown>)], /AuthorizationPolicy tools\/calculator on cluster a/);
  // A waypoint guard not known yet (before: the waypoint passed as a caller).
  const calc = { app: "calculator" };
  const waypointFleet = [labelledNs("tools", { "istio.io/use-waypoint": "waypoint" }), gw("tools", "waypoint", "istio-waypoint"), pods("tools", "calculator", calc), svc("tools", "calculator", calc), selectorAllow("tools", "calculator", calc, "tools/waypoint")];
  await judge([...waypointFleet, ap("tools", "calculator-agents", UNKNOWN as unknown as Record<string, unknown>)], /the AuthorizationPolicies that may guard waypoint tools\/waypoint, which decides whether AuthorizationPolicy tools\/calculator admits cluster\.local\/ns\/tools\/sa\/waypoint/);
  // The namespace's waypoint enrolment not known yet (before: taken as not enrolled, a silent pass).
  const unlabelled = on("kubernetes:core/v1:Namespace", "ns-tools", { metadata: { name: "tools", labels: UNKNOWN } });
  await judge([unlabelled, ...waypointFleet.slice(1)], /which Services behind waypoint tools\/waypoint are enrolled with it/);
  // The MCP gateway's authorization not known yet (before: no verdict, a silent pass).
  const mcp = [gw("tools", "mcp-gateway", "agentgateway"), ap("tools", "calculator", allowFrom(principal("tools/mcp-gateway")))];
  await judge([...mcp, agwPolicy("tools", "mcp-gateway-callers", UNKNOWN as unknown as Record<string, unknown>)], /the AgentgatewayPolicies that may reach Gateway tools\/mcp-gateway/);
  // A route whose parents are not known yet may carry an open Allow rule to the MCP gateway (before: ignored, a silent pass).
  const callers = agwPolicy("tools", "mcp-gateway-callers", agwAuthz({ kind: "Gateway", name: "mcp-gateway" }, [agentsCel]));
  const route = on("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "tools-route-mcp", { metadata: { name: "mcp", namespace: "tools" }, spec: { parentRefs: UNKNOWN, rules: [] } });
  const onRoute = agwPolicy("tools", "route-open", agwAuthz({ kind: "HTTPRoute", name: "mcp" }, ["true"]));
  await judge([...mcp, callers, route, onRoute], /the AgentgatewayPolicies that may reach Gateway tools\/mcp-gateway/);
  // Pod labels not known yet: a root-namespace policy's selector may or may not select the tools (before: taken to select them, a violation).
  const rooted = [gw("agents", "agent-gateway", "agentgateway"), pods("agents", "bot", { app: "bot" }), on("kubernetes:apps/v1:Deployment", "tools-deploy-calculator", { metadata: { name: "calculator", namespace: "tools" }, spec: { template: { metadata: { labels: UNKNOWN }, spec: { containers: [] } } } }), selectorAllow("istio-system", "only-bot", { app: "bot" }, "agents/agent-gateway")];
  await judge(rooted, /which workloads it selects in tools, which decide whether AuthorizationPolicy istio-system\/only-bot admits cluster\.local\/ns\/agents\/sa\/agent-gateway/);
  // A Gateway whose class is not known yet: its proxy may be a waypoint, the MCP gateway or an Istio gateway (before: the policy crashed).
  const mystery = on("kubernetes:gateway.networking.k8s.io/v1:Gateway", "tools-gw-edge", { metadata: { name: "edge", namespace: "tools" }, spec: { gatewayClassName: UNKNOWN, listeners: [] } });
  await judge([mystery, ap("tools", "calculator", allowFrom(principal("tools/edge-istio")))], /whether tools\/edge-istio is the proxy of a Gateway whose class or proxy ServiceAccount is not known yet/);
  // Known: with the guard, the labels and the classes known, the same fleets are judged (no can't judge).
  const guarded = await runStack(agentCallGraph, [...waypointFleet, serviceAllow("tools", "calculator-agents", "calculator", "agents/research-agent-v1"), sa("agents", "research-agent-v1")]);
  assert.deepEqual([guarded.violations, guarded.unknown], [[], []]);
  const open = await runStack(agentCallGraph, [...mcp, callers, on("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "tools-route-mcp", { metadata: { name: "mcp", namespace: "tools" }, spec: { parentRefs: [{ name: "mcp-gateway" }], rules: [] } }), onRoute]);
  assert.deepEqual(open.unknown, []);
  assert.match(open.violations[0].message, /AgentgatewayPolicy tools\/route-open allows "true"/);
});
