/**
 * Policy tests for agent-call-graph's reading of AgentgatewayPolicies narrowed by a targetRef's
 * sectionName: agentgateway v1.4.1 keys such a policy to one listener of the Gateway or one rule of
 * the route (store/binds.rs `route_policies`: Gateway, listener, route, rule, the later winning),
 * so one naming a section the target lacks binds nothing.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { runStack, UNKNOWN } from "../support/policy";
import { ap, allowFrom, gw, on, sa } from "./authz-support";

const AGP = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy";
const gateway = on("kubernetes:gateway.networking.k8s.io/v1:Gateway", "agents-gw-agent-gateway", {
  metadata: { name: "agent-gateway", namespace: "agents" },
  spec: { gatewayClassName: "agentgateway", listeners: [{ name: "https", port: 8443, protocol: "HTTPS" }, { name: "https-alt", port: 9443, protocol: "HTTPS" }] },
});
const route = (parentRef: Record<string, unknown> = {}, rules: Record<string, unknown>[] = [{ name: "split" }]) =>
  on("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "agents-route-research-agent", { metadata: { name: "research-agent", namespace: "agents" }, spec: { parentRefs: [{ name: "agent-gateway", ...parentRef }], rules } });
const jwt = (name: string, kind: string, target: string, sectionName?: string, mode?: string) =>
  on(AGP, `agents-jwt-${name}`, {
    metadata: { name, namespace: "agents" },
    spec: { targetRefs: [{ group: "gateway.networking.k8s.io", kind, name: target, ...(sectionName ? { sectionName } : {}) }], traffic: { jwtAuthentication: { ...(mode ? { mode } : {}), providers: [{ issuer: "https://idp", audiences: ["agents"], jwks: { inline: "{}" } }] } } },
  });
const messages = async (...resources: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [gateway, ...resources])).violations.map((v) => v.message.replace(/ Target the Gateway.*$/, ""));

test("agent-call-graph: a JWT policy on one listener covers the routes served there only", async () => {
  // Strict on each listener the route is on, or on the one listener it attaches to, covers it.
  assert.deepEqual(await messages(route(), jwt("a", "Gateway", "agent-gateway", "https"), jwt("b", "Gateway", "agent-gateway", "https-alt")), []);
  assert.deepEqual(await messages(route({ sectionName: "https" }), jwt("a", "Gateway", "agent-gateway", "https")), []);
  // A route attached without sectionName is also served on the listener the policy does not name.
  assert.deepEqual(await messages(route(), jwt("a", "Gateway", "agent-gateway", "https")), [
    "HTTPRoute agents/research-agent is served by the agent gateway agents/agent-gateway on cluster a, which is reachable from outside the cluster (its Service is a load balancer), and no AgentgatewayPolicy with traffic.jwtAuthentication targets the Gateway or the route on listener https-alt, rule split (agents/a targets only listener https: a targetRef's sectionName limits a policy to that listener or rule): every caller reaches what the route serves without a token.",
  ]);
  // A sectionName naming no listener of the Gateway authenticates nothing.
  assert.equal((await messages(route({ sectionName: "https" }), jwt("a", "Gateway", "agent-gateway", "http"))).length, 1);
});

test("agent-call-graph: a rule's JWT policy decides for that rule, over the route's, the listener's and the Gateway's", async () => {
  assert.deepEqual(await messages(route(), jwt("gw", "Gateway", "agent-gateway", undefined, "Optional"), jwt("rule", "HTTPRoute", "research-agent", "split")), []);
  const optionalRule = await messages(route(), jwt("gw", "Gateway", "agent-gateway"), jwt("rule", "HTTPRoute", "research-agent", "split", "Optional"));
  assert.match(optionalRule.join("\n"), /the route rule split's JWT authentication agents\/rule \(mode Optional\) is not Strict on listener https, rule split/);
  // A policy for another rule name leaves this rule to the Gateway's (Optional here).
  const otherRule = await messages(route(), jwt("gw", "Gateway", "agent-gateway", undefined, "Optional"), jwt("rule", "HTTPRoute", "research-agent", "canary"));
  assert.match(otherRule.join("\n"), /the Gateway's JWT authentication agents\/gw \(mode Optional\) is not Strict on listener https, rule split/);
});

test("agent-call-graph: the MCP gateway's authorization narrowed to a listener it does not have restricts nobody", async () => {
  const mcp = on("kubernetes:gateway.networking.k8s.io/v1:Gateway", "tools-gw-mcp-gateway", {
    metadata: { name: "mcp-gateway", namespace: "tools" },
    spec: { gatewayClassName: "agentgateway", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] },
  });
  const agentsCel = '(source.identity.trustDomain == "cluster.local" && source.identity.namespace == "agents" && source.identity.serviceAccount in ["research-agent-v1"])';
  const callers = (sectionName: string) =>
    on(AGP, "tools-agpol-mcp-gateway-callers", {
      metadata: { name: "mcp-gateway-callers", namespace: "tools" },
      spec: { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "mcp-gateway", sectionName }], traffic: { authorization: { action: "Allow", policy: { matchExpressions: [agentsCel] } } } },
    });
  const fleet = [mcp, gw("agents", "agent-gateway", "agentgateway"), sa("agents", "research-agent-v1"), ap("tools", "calculator", allowFrom("cluster.local/ns/tools/sa/mcp-gateway"))];
  const config = { requireAgentJwt: false };
  assert.deepEqual((await runStack(agentCallGraph, [...fleet, callers("http")], config)).violations, []);
  assert.deepEqual(
    (await runStack(agentCallGraph, [...fleet, callers("https")], config)).violations.map((v) => v.message),
    [
      "AuthorizationPolicy tools/calculator admits cluster.local/ns/tools/sa/mcp-gateway: only agents may call tools: no AgentgatewayPolicy with traffic.authorization targets Gateway tools/mcp-gateway to restrict its callers to agent identities (source.identity namespace and serviceAccount) (AgentgatewayPolicy tools/mcp-gateway-callers names sectionName https, which no listener of it has), so every mesh workload reaches the tools through it",
    ],
  );
});

test("agent-call-graph: a Gateway's listeners not known in a preview leave a listener-narrowed JWT policy can't judge, not a finding", async () => {
  const later = on("kubernetes:gateway.networking.k8s.io/v1:Gateway", "agents-gw-agent-gateway", { metadata: { name: "agent-gateway", namespace: "agents" }, spec: { gatewayClassName: "agentgateway", listeners: UNKNOWN } });
  const result = await runStack(agentCallGraph, [later, route(), jwt("a", "Gateway", "agent-gateway", "https")]);
  assert.deepEqual(result.violations, []);
  assert.match(result.unknown.join("\n"), /the listeners of the agent gateway agents\/agent-gateway on cluster a/);
  // Without a listener-narrowed policy the listeners decide nothing: a Gateway-wide Strict one still covers the route.
  const wide = await runStack(agentCallGraph, [later, route(), jwt("a", "Gateway", "agent-gateway")]);
  assert.deepEqual([wide.violations, wide.unknown], [[], []]);
});

test("agent-call-graph: the MCP gateway's authorization narrowed to one of its listeners guards that listener alone", async () => {
  // As prod renders it: HTTP for the MCP route, HBONE taking mesh traffic in (agentgateway hands
  // each HBONE connection to the listener of its port, so the route's listener decides).
  const mcp = (listeners: unknown) => on("kubernetes:gateway.networking.k8s.io/v1:Gateway", "tools-gw-mcp-gateway", { metadata: { name: "mcp-gateway", namespace: "tools" }, spec: { gatewayClassName: "agentgateway", listeners } });
  const listeners = [{ name: "http", port: 80, protocol: "HTTP" }, { name: "hbone", port: 15008, protocol: "HBONE" }];
  const mcpRoute = (sectionName?: string) =>
    on("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "tools-route-mcp", { metadata: { name: "mcp", namespace: "tools" }, spec: { parentRefs: [{ name: "mcp-gateway", ...(sectionName ? { sectionName } : {}) }], rules: [{}] } });
  const agentsCel = '(source.identity.trustDomain == "cluster.local" && source.identity.namespace == "agents" && source.identity.serviceAccount in ["research-agent-v1"])';
  const callers = (...sectionNames: (string | undefined)[]) =>
    on(AGP, "tools-agpol-mcp-gateway-callers", {
      metadata: { name: "mcp-gateway-callers", namespace: "tools" },
      spec: { targetRefs: sectionNames.map((s) => ({ group: "gateway.networking.k8s.io", kind: "Gateway", name: "mcp-gateway", ...(s ? { sectionName: s } : {}) })), traffic: { authorization: { action: "Allow", policy: { matchExpressions: [agentsCel] } } } },
    });
  const fleet = [gw("agents", "agent-gateway", "agentgateway"), sa("agents", "research-agent-v1"), ap("tools", "calculator", allowFrom("cluster.local/ns/tools/sa/mcp-gateway"))];
  const run = (...extra: ReturnType<typeof on>[]) => runStack(agentCallGraph, [...fleet, ...extra], { requireAgentJwt: false });
  // Before, a policy on listener hbone counted for the whole Gateway: the route on http passed unguarded.
  assert.deepEqual(
    (await run(mcp(listeners), mcpRoute("http"), callers("hbone"))).violations.map((v) => v.message),
    [
      "AuthorizationPolicy tools/calculator admits cluster.local/ns/tools/sa/mcp-gateway: only agents may call tools: no AgentgatewayPolicy with traffic.authorization targets Gateway tools/mcp-gateway listener http to restrict its callers to agent identities (source.identity namespace and serviceAccount) (AgentgatewayPolicy tools/mcp-gateway-callers targets only listener hbone: a targetRef's sectionName limits a policy to that listener), so every mesh workload reaches the tools through it",
    ],
  );
  // A route without sectionName is on every listener that takes it: HBONE takes no route kind
  // (agentgateway v1.4.1 GenerateSupportedKinds), so http alone serves it and guards it.
  assert.deepEqual((await run(mcp(listeners), mcpRoute(), callers("http"))).violations, []);
  assert.match((await run(mcp(listeners), mcpRoute(), callers("hbone"))).violations.map((v) => v.message).join("\n"), /tools\/mcp-gateway listener http to restrict/);
  // Two listeners taking the route: one of them left open is enough.
  const twoHttp = [{ name: "http", port: 80, protocol: "HTTP" }, { name: "http-alt", port: 8080, protocol: "HTTP" }];
  assert.match((await run(mcp(twoHttp), mcpRoute(), callers("http"))).violations.map((v) => v.message).join("\n"), /tools\/mcp-gateway listener http-alt to restrict/);
  // The listener that serves the route, every listener, or the whole Gateway guards it.
  for (const guard of [callers("http"), callers("http", "hbone"), callers(undefined), callers("hbone", undefined)]) {
    assert.deepEqual((await run(mcp(listeners), mcpRoute("http"), guard)).violations, []);
  }
  assert.deepEqual((await run(mcp(listeners), mcpRoute(), callers("http", "hbone"))).violations, []);
  // Listeners not known in a preview: can't judge which a narrowed policy guards, not a finding.
  const later = await run(mcp(UNKNOWN), mcpRoute("http"), callers("hbone"));
  assert.deepEqual(later.violations, []);
  assert.match(later.unknown.join("\n"), /the listeners of Gateway tools\/mcp-gateway and the routes on them/);
});

test("agent-call-graph: a traffic policy narrowed by port, or aimed at a kind traffic cannot target, is refused by the CRD", async () => {
  // agentgateway v1.4.1's CRD takes a targetRef port only on frontend-only policies: before, the
  // refused authorization counted as the MCP gateway's guard, and a refused JWT policy as Strict.
  const policy = (name: string, ns: string, target: Record<string, unknown>, traffic: Record<string, unknown>) =>
    on(AGP, `${ns}-agpol-${name}`, { metadata: { name, namespace: ns }, spec: { targetRefs: [{ group: "gateway.networking.k8s.io", ...target }], traffic } });
  const authz = { authorization: { action: "Allow", policy: { matchExpressions: ['source.identity.namespace == "agents"'] } } };
  const refused = await runStack(agentCallGraph, [
    policy("callers", "tools", { kind: "Gateway", name: "mcp-gateway", port: 80 }, authz),
    policy("svc", "tools", { group: "", kind: "Service", name: "calculator" }, authz),
  ], { requireAgentJwt: false });
  assert.deepEqual(refused.violations.map((v) => v.message), [
    "AgentgatewayPolicy tools/callers sets traffic and targets Gateway mcp-gateway with port 80, which the CRD takes only on frontend-only policies (not traffic or backend): the API server refuses the policy (agentgateway v1.4.1 CRD validation), so the traffic policy it declares never applies; name the listener by sectionName instead",
    "AgentgatewayPolicy tools/svc sets traffic and targets Service calculator, while the 'traffic' field can only target a Gateway, ListenerSet, GRPCRoute, HTTPRoute or InferencePool: the API server refuses the policy (agentgateway v1.4.1 CRD validation), so the traffic policy it declares never applies; target the Gateway or the route that serves it",
  ]);
  // The kinds traffic takes, by sectionName, pass.
  const fine = await runStack(agentCallGraph, [policy("route", "agents", { kind: "HTTPRoute", name: "research-agent", sectionName: "split" }, { jwtAuthentication: { providers: [] } }), policy("gw", "agents", { kind: "Gateway", name: "agent-gateway", sectionName: "https" }, authz)], { requireAgentJwt: false });
  assert.deepEqual(fine.violations, []);
});

test("agent-call-graph: a policy setting both targetRefs and targetSelectors is refused by the CRD", async () => {
  // agentgateway v1.4.1's CRD takes exactly one of the two lists: before, the refused policy
  // counted as the agent gateway's Strict JWT authentication (read by its targetRefs).
  const both = on(AGP, "agents-jwt-both", {
    metadata: { name: "both", namespace: "agents" },
    spec: {
      targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "agent-gateway" }],
      targetSelectors: [{ group: "gateway.networking.k8s.io", kind: "Gateway", matchLabels: { app: "agent-gateway" } }],
      traffic: { jwtAuthentication: { providers: [{ issuer: "https://idp", audiences: ["agents"], jwks: { inline: "{}" } }] } },
    },
  });
  const { violations } = await runStack(agentCallGraph, [both], { requireAgentJwt: false });
  assert.deepEqual(violations.map((v) => v.message), [
    "AgentgatewayPolicy agents/both sets both targetRefs and targetSelectors, while the CRD takes exactly one of them: the API server refuses the policy (agentgateway v1.4.1 CRD validation), so nothing it declares (authorization, JWT authentication) ever applies; keep one of the two lists",
  ]);
  // One list alone, or the other set to null (pruned by the API server), passes.
  const one = on(AGP, "agents-jwt-one", { metadata: { name: "one", namespace: "agents" }, spec: { ...both.props.spec, targetSelectors: null } });
  assert.deepEqual((await runStack(agentCallGraph, [one], { requireAgentJwt: false })).violations, []);
});

test("agent-call-graph: a target of a group and kind the CRD's targetRefs do not list, or two kinds in one list, is refused by the CRD", async () => {
  // agentgateway v1.4.1's CRD lists the (group, kind) pairs a policy may target and takes one kind
  // per list: before, a per-tool authorization aimed at kgateway's old `Backend` counted as guarding
  // every MCP backend, though the API server refuses it and agentgateway lets every agent use every tool.
  const mcpAuthz = { mcp: { authorization: { action: "Allow", policy: { matchExpressions: ['source.identity.namespace == "agents" && mcp.tool.target == "calculator"'] } } } };
  const policy = (name: string, field: "targetRefs" | "targetSelectors", targets: Record<string, unknown>[]) => on(AGP, `tools-agpol-${name}`, { metadata: { name, namespace: "tools" }, spec: { [field]: targets, backend: mcpAuthz } });
  const refused = await runStack(agentCallGraph, [
    policy("legacy", "targetRefs", [{ group: "agentgateway.dev", kind: "Backend", name: "mcp-tools" }]),
    policy("grouped", "targetRefs", [{ group: "gateway.networking.k8s.io", kind: "AgentgatewayBackend", name: "mcp-tools" }]),
    policy("ungrouped", "targetRefs", [{ kind: "AgentgatewayBackend", name: "mcp-tools" }]),
    policy("mixed", "targetRefs", [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "mcp-tools" }, { group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "mcp" }]),
    policy("selected", "targetSelectors", [{ group: "core", kind: "Service", matchLabels: { app: "calculator" } }]),
  ], { requireAgentJwt: false });
  assert.deepEqual(refused.violations.map((v) => v.message), [
    "AgentgatewayPolicy tools/legacy targets Backend mcp-tools (group agentgateway.dev), which is none of the targets the CRD lists (Gateway, HTTPRoute, GRPCRoute or ListenerSet of gateway.networking.k8s.io, Service of the core group \"\", AgentgatewayBackend of agentgateway.dev, InferencePool of inference.networking.k8s.io): the API server refuses the policy (agentgateway v1.4.1 CRD validation), so nothing it declares (authorization, JWT authentication) ever applies; name the target by its group and kind",
    "AgentgatewayPolicy tools/grouped targets AgentgatewayBackend mcp-tools (group gateway.networking.k8s.io), which is none of the targets the CRD lists (Gateway, HTTPRoute, GRPCRoute or ListenerSet of gateway.networking.k8s.io, Service of the core group \"\", AgentgatewayBackend of agentgateway.dev, InferencePool of inference.networking.k8s.io): the API server refuses the policy (agentgateway v1.4.1 CRD validation), so nothing it declares (authorization, JWT authentication) ever applies; name the target by its group and kind",
    "AgentgatewayPolicy tools/ungrouped targets AgentgatewayBackend mcp-tools (no group), which is none of the targets the CRD lists (Gateway, HTTPRoute, GRPCRoute or ListenerSet of gateway.networking.k8s.io, Service of the core group \"\", AgentgatewayBackend of agentgateway.dev, InferencePool of inference.networking.k8s.io): the API server refuses the policy (agentgateway v1.4.1 CRD validation), so nothing it declares (authorization, JWT authentication) ever applies; name the target by its group and kind",
    "AgentgatewayPolicy tools/mixed targets AgentgatewayBackend and HTTPRoute in one targetRefs list, while the CRD takes one kind per list (\"Only one Kind of targetRef can be set on one policy\"): the API server refuses the policy (agentgateway v1.4.1 CRD validation), so nothing it declares (authorization, JWT authentication) ever applies; split it into one policy per kind",
    "AgentgatewayPolicy tools/selected targets Service (by selector) (group core), which is none of the targets the CRD lists (Gateway, HTTPRoute, GRPCRoute or ListenerSet of gateway.networking.k8s.io, Service of the core group \"\", AgentgatewayBackend of agentgateway.dev, InferencePool of inference.networking.k8s.io): the API server refuses the policy (agentgateway v1.4.1 CRD validation), so nothing it declares (authorization, JWT authentication) ever applies; name the target by its group and kind",
  ]);
  // The listed pairs, one kind per list (several of it), pass; a target not known yet is not judged.
  const fine = await runStack(agentCallGraph, [
    policy("backend", "targetRefs", [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "mcp-tools" }, { group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "other" }]),
    policy("svc", "targetSelectors", [{ group: "", kind: "Service", matchLabels: { app: "calculator" } }]),
    policy("unknown", "targetRefs", [{ group: UNKNOWN, kind: "AgentgatewayBackend", name: "mcp-tools" }]),
  ], { requireAgentJwt: false });
  assert.deepEqual(fine.violations, []);
});
