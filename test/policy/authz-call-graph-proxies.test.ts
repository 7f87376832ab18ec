/**
 * Policy tests for agent-call-graph through proxies: a waypoint's identity counts as a caller only
 * while an ALLOW policy guards every Service behind it (a dry-run one guards nothing), the MCP
 * gateway's only while its agentgateway authorization admits agents alone; celIdentityBound.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { celIdentityBound } from "../../policy/lib/cel";
import { runStack, UNKNOWN } from "../support/policy";
import { AP, on, sa, ap, gw, allowFrom } from "./authz-support";
import { principal, labelledNs, pods, svc, selectorAllow, serviceAllow, agwPolicy, agwAuthz, agentsCel, toolsBehindWaypoint } from "../support/call-graph";

test("agent-call-graph: a waypoint's identity counts only while an ALLOW policy guards every enrolled Service behind it", async () => {
  const agentPods = { app: "bot" };
  const fleet = [
    labelledNs("agents", { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" }),
    gw("agents", "agent-gateway", "agentgateway"),
    gw("agents", "waypoint", "istio-waypoint"),
    pods("agents", "bot", agentPods),
    svc("agents", "bot", agentPods),
    sa("inference", "vllm"),
  ];
  const admitsWaypoint = selectorAllow("agents", "bot", agentPods, "agents/agent-gateway", "agents/waypoint");
  // Istio ambient: a waypoint with no ALLOW policy for the Service lets every mesh workload through.
  const open = await runStack(agentCallGraph, [...fleet, admitsWaypoint]);
  assert.equal(open.violations.length, 1);
  assert.match(
    open.violations[0].message,
    /^AuthorizationPolicy agents\/bot admits cluster\.local\/ns\/agents\/sa\/waypoint: only the agent gateway \(agents\/agent-gateway\) may call agents: waypoint agents\/waypoint .*no ALLOW AuthorizationPolicy bound to the waypoint or to Service agents\/bot \(enrolled with it\)/,
  );
  assert.deepEqual((await runStack(agentCallGraph, [...fleet, admitsWaypoint, serviceAllow("agents", "bot-l7", "bot", "agents/agent-gateway")])).violations, []);
  const toWaypoint = ap("agents", "waypoint-callers", { ...allowFrom(principal("agents/agent-gateway")), targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "waypoint" }] });
  assert.deepEqual((await runStack(agentCallGraph, [...fleet, admitsWaypoint, toWaypoint])).violations, []);
  // A guard that lets others in guards nothing (and is reported itself).
  const leaky = await runStack(agentCallGraph, [...fleet, admitsWaypoint, serviceAllow("agents", "bot-l7", "bot", "inference/vllm")]);
  assert.deepEqual(leaky.violations.map((v) => v.message.split(":")[0]).sort(), ["AuthorizationPolicy agents/bot admits cluster.local/ns/agents/sa/waypoint", "AuthorizationPolicy agents/bot-l7 admits cluster.local/ns/inference/sa/vllm"]);
  // A Service opted out of the waypoint never sends traffic through it.
  const optedOut = [...fleet.filter((r) => !r.urn.endsWith("agents-svc-bot")), svc("agents", "bot", agentPods, { "istio.io/use-waypoint": "none" })];
  assert.deepEqual((await runStack(agentCallGraph, [...optedOut, admitsWaypoint])).violations, []);
});

test("agent-call-graph: tools trust their waypoint only behind a targetRefs ALLOW per tool Service that exists", async () => {
  const calc = { app: "calculator" };
  const fleet = toolsBehindWaypoint(calc);
  const ztunnel = selectorAllow("tools", "calculator", calc, "tools/waypoint");
  const ok = await runStack(agentCallGraph, [...fleet, ztunnel, serviceAllow("tools", "calculator-agents", "calculator", "agents/research-agent-v1")]);
  assert.deepEqual(ok.violations, []);
  const missing = await runStack(agentCallGraph, [...fleet, ztunnel]);
  assert.match(missing.violations[0].message, /admits cluster\.local\/ns\/tools\/sa\/waypoint: only agents may call tools: waypoint tools\/waypoint .*Service tools\/calculator/);
  const typo = await runStack(agentCallGraph, [...fleet, ztunnel, serviceAllow("tools", "calculator-agents", "calculater", "agents/research-agent-v1")]);
  assert.equal(typo.violations.length, 1);
  assert.match(typo.violations[0].message, /tools\/calculator-agents binds Service calculater, which does not exist/);
  // The guard's callers must be agents: the agent gateway is not one.
  const gatewayGuard = await runStack(agentCallGraph, [...fleet, ztunnel, serviceAllow("tools", "calculator-agents", "calculator", "agents/agent-gateway"), gw("agents", "agent-gateway", "agentgateway")]);
  assert.equal(gatewayGuard.violations.length, 2);
  // Preview: a Service whose selector is not known yet may or may not sit in front of the pods: can't judge, no crash.
  const unknownSvc = on("kubernetes:core/v1:Service", "tools-svc-calculator", { metadata: { name: "calculator", namespace: "tools" }, spec: UNKNOWN });
  const preview = await runStack(agentCallGraph, [...fleet.filter((r) => !r.urn.endsWith("tools-svc-calculator")), unknownSvc, ztunnel]);
  assert.deepEqual(preview.violations, []);
  assert.equal(preview.unknown.length, 1);
});

test("agent-call-graph: tools trust the MCP gateway only while its agentgateway authorization admits agents alone", async () => {
  const fleet = [gw("tools", "mcp-gateway", "agentgateway"), gw("agents", "agent-gateway", "agentgateway"), sa("agents", "research-agent-v1")];
  const ztunnel = ap("tools", "calculator", allowFrom(principal("tools/mcp-gateway")));
  const callers = agwPolicy("tools", "mcp-gateway-callers", agwAuthz({ kind: "Gateway", name: "mcp-gateway" }, [agentsCel]));
  assert.deepEqual((await runStack(agentCallGraph, [...fleet, ztunnel, callers])).violations, []);
  const none = await runStack(agentCallGraph, [...fleet, ztunnel]);
  assert.deepEqual(none.violations.map((v) => v.message), [
    "AuthorizationPolicy tools/calculator admits cluster.local/ns/tools/sa/mcp-gateway: only agents may call tools: no AgentgatewayPolicy with traffic.authorization targets Gateway tools/mcp-gateway to restrict its callers to agent identities (source.identity namespace and serviceAccount), so every mesh workload reaches the tools through it",
  ]);
  // Each matchExpression is its own Allow rule and any matching one allows: one open expression opens the gateway.
  for (const extra of ["true", 'source.identity.namespace == "agents"', `${agentsCel} || true`, 'source.identity.serviceAccount == "agent-gateway" && source.identity.namespace == "agents"']) {
    const opened = await runStack(agentCallGraph, [...fleet, ztunnel, agwPolicy("tools", "mcp-gateway-callers", agwAuthz({ kind: "Gateway", name: "mcp-gateway" }, [agentsCel, extra]))]);
    assert.equal(opened.violations.length, 1, extra);
    assert.match(opened.violations[0].message, /AgentgatewayPolicy tools\/mcp-gateway-callers allows .* which does not restrict callers to agent identities/);
  }
  // Policies on the routes attached to the gateway merge with the gateway's.
  const route = on("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "tools-route-mcp", { metadata: { name: "mcp", namespace: "tools" }, spec: { parentRefs: [{ name: "mcp-gateway" }], rules: [] } });
  const onRoute = agwPolicy("tools", "route-open", agwAuthz({ kind: "HTTPRoute", name: "mcp" }, ['source.identity.namespace == "inference"']));
  const viaRoute = await runStack(agentCallGraph, [...fleet, ztunnel, callers, route, onRoute]);
  assert.match(viaRoute.violations[0].message, /AgentgatewayPolicy tools\/route-open allows/);
  // A Require rule pinning the caller to agents holds whatever the Allow rules say.
  const required = agwPolicy("tools", "agents-required", agwAuthz({ kind: "Gateway", name: "mcp-gateway" }, [agentsCel], "Require"));
  assert.deepEqual((await runStack(agentCallGraph, [...fleet, ztunnel, required, route, onRoute])).violations, []);
  // An action outside the CRD's enum makes the API server refuse the policy: named, not read as some other action.
  const misspelt = agwPolicy("tools", "mcp-open", agwAuthz({ kind: "Gateway", name: "mcp-gateway" }, ["true"], "allow"));
  const mcpMisspelt = agwPolicy("tools", "tool-access", { targetRefs: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "tools" }], backend: { mcp: { authorization: { action: "ALLOW", policy: { matchExpressions: ["true"] } } } } });
  assert.deepEqual((await runStack(agentCallGraph, [...fleet, ztunnel, callers, misspelt, mcpMisspelt])).violations.map((v) => v.message), [
    'AgentgatewayPolicy tools/mcp-open sets traffic.authorization.action "allow", which is not an action agentgateway knows (Allow, Deny or Require, capitalised so): the API server refuses the policy, so the authorization it declares never applies',
    'AgentgatewayPolicy tools/tool-access sets backend.mcp.authorization.action "ALLOW", which is not an action agentgateway knows (Allow, Deny or Require, capitalised so): the API server refuses the policy, so the authorization it declares never applies',
  ]);
  // An agentgateway proxy elsewhere, or an Istio gateway in tools, is not the MCP gateway.
  const sideDoor = await runStack(agentCallGraph, [...fleet, gw("tools", "side-door", "istio"), ap("tools", "calculator", allowFrom(principal("tools/side-door-istio")))]);
  assert.deepEqual(sideDoor.violations.map((v) => v.message), [
    "AuthorizationPolicy tools/calculator admits cluster.local/ns/tools/sa/side-door-istio: only agents may call tools (tools/side-door-istio is the proxy of Gateway tools/side-door, class istio, not an agent)",
  ]);
});

test("celIdentityBound: the identities an agentgateway CEL expression can match at most", () => {
  const ids = (e: string) => { const s = celIdentityBound(e); return s && [...s].sort(); };
  assert.deepEqual(ids(agentsCel), ["agents/research-agent-v1"]);
  assert.deepEqual(ids(`${agentsCel} || (source.identity.namespace == 'batch' && source.identity.serviceAccount == 'indexer' && mcp.tool.target == "calc")`), ["agents/research-agent-v1", "batch/indexer"]);
  assert.deepEqual(ids(`mcp.tool.target == "calc" && (${agentsCel})`), ["agents/research-agent-v1"]);
  for (const open of ["true", 'source.identity.namespace == "agents"', `${agentsCel} || true`, `!(${agentsCel})`, `${agentsCel} ? true : true`, 'source.identity.namespace == "agents" && source.identity.serviceAccount != "x"', "(unbalanced"]) {
    assert.equal(celIdentityBound(open), undefined, open);
  }
});

test("agent-call-graph: a dry-run ALLOW policy guards no waypoint, and a selector without matchLabels binds nothing", async () => {
  const calc = { app: "calculator" };
  const fleet = [...toolsBehindWaypoint(calc), sa("inference", "vllm")];
  const ztunnel = selectorAllow("tools", "calculator", calc, "tools/waypoint");
  const guard = serviceAllow("tools", "calculator-agents", "calculator", "agents/research-agent-v1");
  assert.deepEqual((await runStack(agentCallGraph, [...fleet, ztunnel, guard])).violations, []);
  // Envoy builds a dry-run policy as shadow rules: the waypoint lets every workload through. Before: a guard.
  const dryGuard = on(AP, "tools-ap-calculator-agents", { metadata: { name: "calculator-agents", namespace: "tools", annotations: { "istio.io/dry-run": "true" } }, spec: (guard.props as any).spec });
  const dry = await runStack(agentCallGraph, [...fleet, ztunnel, dryGuard]);
  assert.equal(dry.violations.length, 1);
  assert.match(dry.violations[0].message, /^AuthorizationPolicy tools\/calculator admits cluster\.local\/ns\/tools\/sa\/waypoint: only agents may call tools: waypoint tools\/waypoint .*Service tools\/calculator/);
  assert.match(dry.violations[0].message, /\(tools\/calculator-agents is istio\.io\/dry-run, which the waypoint only logs\)$/);
  const dryOnWaypoint = on(AP, "tools-ap-waypoint", {
    metadata: { name: "waypoint-callers", namespace: "tools", annotations: { "istio.io/dry-run": "True" } },
    spec: { ...allowFrom(principal("agents/research-agent-v1")), targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "waypoint" }] },
  });
  assert.equal((await runStack(agentCallGraph, [...fleet, ztunnel, dryOnWaypoint])).violations.length, 1);
  // A root-namespace policy with `selector: {}` binds no workload, so it admits nobody into the graph.
  const rootEmpty = ap("istio-system", "all", { ...allowFrom(principal("inference/vllm")), selector: {} });
  assert.deepEqual((await runStack(agentCallGraph, [...fleet, ztunnel, guard, rootEmpty])).violations, []);
});
