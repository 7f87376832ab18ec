/**
 * Policy tests for agent-call-graph: only the agent gateway the config names calls agents and only
 * agents call tools; sources naming places only as extraCallers lists them (trustDomains, which
 * ztunnel does not read, bound none); Istio's root namespace; JWT on the public agent gateway.
 * Through waypoints and the MCP gateway: authz-call-graph-proxies.test.ts; in a preview:
 * authz-call-graph-preview.test.ts.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { runStack, UNKNOWN } from "../support/policy";
import { on, sa, ap, gw, allowFrom } from "./authz-support";
import { td, principal, pods, selectorAllow } from "../support/call-graph";

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

test("agent-call-graph: agents admit only the agent gateway the config names", async () => {
  const base = [gw("agents", "agent-gateway", "agentgateway"), gw("agents", "partner-gateway", "agentgateway")];
  const viaOther = await runStack(agentCallGraph, [...base, ap("agents", "bot", allowFrom(principal("agents/partner-gateway")))]);
  assert.deepEqual(viaOther.violations.map((v) => v.message), [
    "AuthorizationPolicy agents/bot admits cluster.local/ns/agents/sa/partner-gateway: only the agent gateway (agents/agent-gateway) may call agents",
  ]);
  const configured = await runStack(agentCallGraph, [...base, ap("agents", "bot", allowFrom(principal("agents/partner-gateway")))], { agentGateway: "agents/partner-gateway" });
  assert.deepEqual(configured.violations, []);
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
