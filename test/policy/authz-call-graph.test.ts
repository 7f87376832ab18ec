/**
 * Policy tests for agent-call-graph: only the agent gateway calls agents and only agents call
 * tools, through waypoints and the MCP gateway only while what they let through is in the graph;
 * celIdentityBound.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { celIdentityBound } from "../../policy/lib/cel";
import { runStack, UNKNOWN } from "../support/policy";
import { AP, on, sa, ap, gw, allowFrom } from "./authz-support";

test("agent-call-graph: only the agent gateway calls agents, only agents call tools", async () => {
  const fleet = [
    gw("agents", "agent-gateway", "agentgateway"),
    gw("tools", "waypoint", "istio-waypoint"),
    sa("agents", "research-agent-v1"),
    sa("inference", "vllm"),
  ];
  const td = "cluster.local";
  const ok = await runStack(agentCallGraph, [
    ...fleet,
    ap("agents", "research-agent-v1", allowFrom(`${td}/ns/agents/sa/agent-gateway`)),
    ap("tools", "web-search", allowFrom(`${td}/ns/agents/sa/research-agent-v1`, `${td}/ns/tools/sa/waypoint`)),
    // Ingress policies on the gateway itself are about external clients, not the call graph.
    ap("agents", "gateway-callers", { action: "ALLOW", targetRefs: [{ kind: "Gateway", name: "agent-gateway" }], rules: [{ from: [{ source: { principals: [`${td}/ns/inference/sa/vllm`] } }] }] }),
    ap("tools", "deny-vllm", { action: "DENY", rules: [{ from: [{ source: { principals: [`${td}/ns/inference/sa/vllm`] } }] }] }),
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runStack(agentCallGraph, [
    ...fleet,
    ap("agents", "research-agent-v1", allowFrom(`${td}/ns/inference/sa/vllm`)),
    ap("tools", "web-search", allowFrom(`${td}/ns/agents/sa/agent-gateway`, `${td}/ns/inference/sa/vllm`)),
  ]);
  const messages = bad.violations.map((v) => v.message);
  assert.deepEqual(messages, [
    "AuthorizationPolicy agents/research-agent-v1 admits cluster.local/ns/inference/sa/vllm: only the agent gateway (agents/agent-gateway) may call agents",
    "AuthorizationPolicy tools/web-search admits cluster.local/ns/agents/sa/agent-gateway: only agents may call tools (the agent gateway is not an agent)",
    "AuthorizationPolicy tools/web-search admits cluster.local/ns/inference/sa/vllm: only agents may call tools",
  ]);
  const allowed = await runStack(agentCallGraph, [...fleet, ap("tools", "web-search", allowFrom(`${td}/ns/batch/sa/indexer`))], { extraCallers: { tools: ["batch/indexer"] } });
  assert.deepEqual(allowed.violations, []);
  // A policy bound to the tools' waypoint is enforced for the tools behind it.
  const viaWaypoint = await runStack(agentCallGraph, [
    ...fleet,
    ap("tools", "waypoint-callers", { action: "ALLOW", targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "waypoint" }], rules: [{ from: [{ source: { principals: [`${td}/ns/inference/sa/vllm`] } }] }] }),
  ]);
  assert.deepEqual(viaWaypoint.violations.map((v) => v.message), ["AuthorizationPolicy tools/waypoint-callers admits cluster.local/ns/inference/sa/vllm: only agents may call tools"]);
  // A root-namespace ALLOW policy binds every namespace: letting the agent gateway in there lets it reach the tools.
  const root = await runStack(agentCallGraph, [...fleet, ap("istio-system", "everyone", allowFrom(`${td}/ns/agents/sa/agent-gateway`))]);
  assert.deepEqual(root.violations.map((v) => v.message), [
    "AuthorizationPolicy istio-system/everyone admits cluster.local/ns/agents/sa/agent-gateway (policies in istio-system apply in tools too): only agents may call tools (the agent gateway is not an agent)",
  ]);
});

// The agent call graph through proxies: the agent gateway the config names, waypoints and the MCP
// gateway count as callers only while what they let through is itself in the graph.
const td = "cluster.local";

const principal = (id: string) => `${td}/ns/${id.split("/")[0]}/sa/${id.split("/")[1]}`;

const labelledNs = (name: string, labels: Record<string, string>) => on("kubernetes:core/v1:Namespace", `ns-${name}`, { metadata: { name, labels } });

const pods = (namespace: string, name: string, labels: Record<string, string>) =>
  on("kubernetes:apps/v1:Deployment", `${namespace}-deploy-${name}`, { metadata: { name, namespace }, spec: { template: { metadata: { labels }, spec: { containers: [] } } } });

const svc = (namespace: string, name: string, selector: Record<string, string>, labels: Record<string, string> = {}) =>
  on("kubernetes:core/v1:Service", `${namespace}-svc-${name}`, { metadata: { name, namespace, labels }, spec: { selector, ports: [{ port: 8000 }] } });

const selectorAllow = (namespace: string, name: string, matchLabels: Record<string, string>, ...callers: string[]) =>
  ap(namespace, name, { ...allowFrom(...callers.map(principal)), selector: { matchLabels } });

const serviceAllow = (namespace: string, name: string, service: string, ...callers: string[]) =>
  ap(namespace, name, { ...allowFrom(...callers.map(principal)), targetRefs: [{ group: "", kind: "Service", name: service }] });

const agwPolicy = (namespace: string, name: string, spec: Record<string, unknown>) =>
  on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy", `${namespace}-agpol-${name}`, { metadata: { name, namespace }, spec });

const agwAuthz = (target: { kind: string; name: string }, matchExpressions: string[], action = "Allow") => ({
  targetRefs: [{ group: "gateway.networking.k8s.io", ...target }],
  traffic: { authorization: { action, policy: { matchExpressions } } },
});

const agentsCel = '(source.identity.trustDomain == "cluster.local" && source.identity.namespace == "agents" && source.identity.serviceAccount in ["research-agent-v1"])';

test("agent-call-graph: agents admit only the agent gateway the config names", async () => {
  const base = [gw("agents", "agent-gateway", "agentgateway"), gw("agents", "partner-gateway", "agentgateway")];
  const viaOther = await runStack(agentCallGraph, [...base, ap("agents", "bot", allowFrom(principal("agents/partner-gateway")))]);
  assert.deepEqual(viaOther.violations.map((v) => v.message), [
    "AuthorizationPolicy agents/bot admits cluster.local/ns/agents/sa/partner-gateway: only the agent gateway (agents/agent-gateway) may call agents",
  ]);
  const configured = await runStack(agentCallGraph, [...base, ap("agents", "bot", allowFrom(principal("agents/partner-gateway")))], { agentGateway: "agents/partner-gateway" });
  assert.deepEqual(configured.violations, []);
});

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

/** A tools namespace behind its waypoint, with the calculator tool and the research agent's account. */
function toolsBehindWaypoint(calc: Record<string, string>) {
  return [
    labelledNs("tools", { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" }),
    gw("tools", "waypoint", "istio-waypoint"),
    pods("tools", "calculator", calc),
    svc("tools", "calculator", calc),
    sa("agents", "research-agent-v1"),
  ];
}

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

test("agent-call-graph: sources naming namespaces, trust domains or addresses are callers only when extraCallers lists them", async () => {
  const byNamespace = ap("tools", "calculator", { action: "ALLOW", rules: [{ from: [{ source: { namespaces: ["inference"] } }] }] });
  const breach = await runStack(agentCallGraph, [byNamespace]);
  assert.deepEqual(breach.violations.map((v) => v.message), [
    'AuthorizationPolicy tools/calculator admits namespaces inference: only agents may call tools, and a source naming callers by namespace, trust domain, address or request principal admits every workload there, not identities the call graph knows; name principals, or list "namespaces:inference" in extraCallers.tools',
  ]);
  assert.deepEqual((await runStack(agentCallGraph, [byNamespace], { extraCallers: { tools: ["namespaces:inference"] } })).violations, []);
  // Fields are ANDed: one listed field bounds the source.
  const anded = ap("tools", "calculator", { action: "ALLOW", rules: [{ from: [{ source: { namespaces: ["inference"], ipBlocks: ["10.42.0.0/16"] } }] }] });
  assert.deepEqual((await runStack(agentCallGraph, [anded], { extraCallers: { tools: ["ipBlocks:10.42.0.0/16"] } })).violations, []);
  const anyone = await runStack(agentCallGraph, [ap("agents", "bot", { action: "ALLOW", rules: [{ to: [{ operation: { ports: ["8080"] } }] }] })]);
  assert.match(anyone.violations[0].message, /admits every caller \(a rule without from\): only the agent gateway \(agents\/agent-gateway\) may call agents, and this admits everyone/);
  // A wildcard principal beside a namespace admits that namespace: a place, whatever requirePrincipals says.
  const starInNamespace = await runStack(agentCallGraph, [ap("tools", "calculator", { action: "ALLOW", rules: [{ from: [{ source: { principals: ["*"], namespaces: ["inference"] } }] }] })]);
  assert.match(starInNamespace.violations[0].message, /AuthorizationPolicy tools\/calculator admits namespaces inference: only agents may call tools/);
  assert.deepEqual((await runStack(agentCallGraph, [ap("tools", "calculator", { action: "ALLOW", rules: [{ from: [{ source: { principals: ["*"], namespaces: ["inference"] } }] }] })], { extraCallers: { tools: ["namespaces:inference"] } })).violations, []);
  // A wildcard ServiceAccount of the agents' namespace matches the agent gateway too.
  const wildcard = await runStack(agentCallGraph, [ap("tools", "calculator", allowFrom(`${td}/ns/agents/sa/*`))]);
  assert.match(wildcard.violations[0].message, /a wildcard identity matches workloads the call graph does not allow/);
});

test("agent-call-graph: a root-namespace policy with a selector is judged where it selects workloads", async () => {
  const fleet = [gw("agents", "agent-gateway", "agentgateway"), pods("agents", "bot", { app: "bot" }), pods("tools", "calculator", { app: "calculator" })];
  const rooted = (app: string) => selectorAllow("istio-system", `only-${app}`, { app }, "agents/agent-gateway");
  assert.deepEqual((await runStack(agentCallGraph, [...fleet, rooted("bot")])).violations, []);
  assert.deepEqual((await runStack(agentCallGraph, [...fleet, rooted("calculator")])).violations.map((v) => v.message), [
    "AuthorizationPolicy istio-system/only-calculator admits cluster.local/ns/agents/sa/agent-gateway (policies in istio-system apply in tools too): only agents may call tools (the agent gateway is not an agent)",
  ]);
  assert.deepEqual((await runStack(agentCallGraph, [...fleet, rooted("nothing")])).violations, []);
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

test("agent-call-graph: Istio's root namespace is istiod's meshConfig.rootNamespace, not the configured default", async () => {
  const istiod = (values: Record<string, unknown>) => on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", values });
  const fleet = [gw("agents", "agent-gateway", "agentgateway"), sa("inference", "vllm")];
  const everyone = (namespace: string) => ap(namespace, "everyone", allowFrom(principal("inference/vllm")));
  // Before: a namespace-wide ALLOW in mesh-root was read as binding mesh-root alone.
  const moved = await runStack(agentCallGraph, [istiod({ meshConfig: { rootNamespace: "mesh-root" } }), ...fleet, everyone("mesh-root")]);
  assert.deepEqual(moved.violations.map((v) => v.message), [
    "AuthorizationPolicy mesh-root/everyone admits cluster.local/ns/inference/sa/vllm (policies in mesh-root apply in agents too): only the agent gateway (agents/agent-gateway) may call agents",
    "AuthorizationPolicy mesh-root/everyone admits cluster.local/ns/inference/sa/vllm (policies in mesh-root apply in tools too): only agents may call tools",
  ]);
  // global.istioNamespace is the chart's fallback; istio-system is then an ordinary namespace.
  const viaGlobal = await runStack(agentCallGraph, [istiod({ global: { istioNamespace: "mesh-root" } }), ...fleet, everyone("mesh-root"), everyone("istio-system")]);
  assert.deepEqual(viaGlobal.violations.map((v) => v.message.split(" (")[0]), ["AuthorizationPolicy mesh-root/everyone admits cluster.local/ns/inference/sa/vllm", "AuthorizationPolicy mesh-root/everyone admits cluster.local/ns/inference/sa/vllm"]);
  // Values not known in a preview: can't judge, not a pass.
  const preview = await runStack(agentCallGraph, [istiod({ meshConfig: { rootNamespace: UNKNOWN } }), ...fleet, everyone("mesh-root")]);
  assert.deepEqual(preview.violations, []);
  assert.match(preview.unknown[0], /the root namespace set by istiod release a-istiod on cluster a/);
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

test("agent-call-graph: ztunnel does not read trustDomains, so they bound no source of a selector policy", async () => {
  const fleet = [gw("agents", "agent-gateway", "agentgateway"), sa("agents", "research-agent-v1")];
  const byTrustDomain = (spec: Record<string, unknown> = {}) => ap("tools", "t", { action: "ALLOW", rules: [{ from: [{ source: { principals: ["*"], trustDomains: ["cluster.local"] } }] }], ...spec });
  // Before: a place the config may allow (extraCallers trustDomains:cluster.local); at ztunnel it is `*`.
  const config = { extraCallers: { tools: ["trustDomains:cluster.local"] } };
  assert.deepEqual((await runStack(agentCallGraph, [...fleet, byTrustDomain()], config)).violations.map((v) => v.message), [
    "AuthorizationPolicy tools/t admits * (ztunnel, which enforces this policy, does not read trustDomains): only agents may call tools, and this admits everyone",
  ]);
  // Beside a named agent they narrow nothing it needs; alone they leave a source ztunnel skips (nobody).
  const named = ap("tools", "t", { action: "ALLOW", rules: [{ from: [{ source: { principals: [principal("agents/research-agent-v1")], trustDomains: ["cluster.local"] } }, { source: { trustDomains: ["cluster.local"] } }] }] });
  assert.deepEqual((await runStack(agentCallGraph, [...fleet, named])).violations, []);
  // A waypoint (Envoy) matches trust domains: there the source is a place, allowed by the config.
  const atWaypoint = byTrustDomain({ targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "waypoint" }] });
  assert.deepEqual((await runStack(agentCallGraph, [...fleet, gw("tools", "waypoint", "istio-waypoint"), atWaypoint], config)).violations, []);
});

test("agent-call-graph: the agent gateway, reachable from outside, lets a route through only behind Strict JWT authentication (the route's own policy deciding over the Gateway's)", async () => {
  const AGP = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy";
  const route = (name: string) =>
    on("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", `agents-route-${name}`, { metadata: { name, namespace: "agents" }, spec: { parentRefs: [{ name: "agent-gateway" }], rules: [] } });
  const jwt = (name: string, kind: string, target: string, mode?: string) =>
    on(AGP, `agents-jwt-${name}`, {
      metadata: { name, namespace: "agents" },
      spec: { targetRefs: [{ group: "gateway.networking.k8s.io", kind, name: target }], traffic: { jwtAuthentication: { ...(mode ? { mode } : {}), providers: [{ issuer: "https://idp", audiences: ["a"], jwks: { inline: "{}" } }] } } },
    });
  const fleet = [gw("agents", "agent-gateway", "agentgateway"), route("research-agent"), route("llm")];
  const messages = async (...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...fleet, ...extra])).violations.map((v) => v.message.replace(/ Target the Gateway.*$/, ""));
  // The CRD's default mode is Strict; a route's own Strict policy overrides an Optional Gateway's.
  assert.deepEqual(await messages(jwt("gw", "Gateway", "agent-gateway")), []);
  assert.deepEqual(await messages(jwt("gw", "Gateway", "agent-gateway", "Optional"), jwt("r", "HTTPRoute", "research-agent", "Strict"), jwt("l", "HTTPRoute", "llm", "Strict")), []);
  assert.deepEqual(await messages(), [
    "HTTPRoute agents/research-agent is served by the agent gateway agents/agent-gateway on cluster a, which is reachable from outside the cluster (its Service is a load balancer), and no AgentgatewayPolicy with traffic.jwtAuthentication targets the Gateway or the route: every caller reaches what the route serves without a token.",
    "HTTPRoute agents/llm is served by the agent gateway agents/agent-gateway on cluster a, which is reachable from outside the cluster (its Service is a load balancer), and no AgentgatewayPolicy with traffic.jwtAuthentication targets the Gateway or the route: every caller reaches what the route serves without a token.",
  ]);
  assert.deepEqual(await messages(jwt("gw", "Gateway", "agent-gateway"), jwt("l", "HTTPRoute", "llm", "Permissive")), [
    "HTTPRoute agents/llm is served by the agent gateway agents/agent-gateway on cluster a, which is reachable from outside the cluster (its Service is a load balancer), and the route's JWT authentication agents/l (mode Permissive) is not Strict, and agentgateway lets a request without a valid token through in any other mode: every caller reaches what the route serves without a token.",
  ]);
  // A ClusterIP agent gateway is no front door, and a stack that configures no JWT says so.
  const internal = [
    on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayParameters", "agents-params", { metadata: { name: "p", namespace: "agents" }, spec: { service: { spec: { type: "ClusterIP" } } } }),
    on("kubernetes:gateway.networking.k8s.io/v1:Gateway", "agents-gw-agent-gateway", {
      metadata: { name: "agent-gateway", namespace: "agents" },
      spec: { gatewayClassName: "agentgateway", listeners: [], infrastructure: { parametersRef: { group: "agentgateway.dev", kind: "AgentgatewayParameters", name: "p" } } },
    }),
    route("llm"),
  ];
  assert.deepEqual((await runStack(agentCallGraph, internal)).violations, []);
  assert.deepEqual((await runStack(agentCallGraph, fleet, { requireAgentJwt: false })).violations, []);
});
