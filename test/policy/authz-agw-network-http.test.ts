/**
 * agent-call-graph on the MCP gateway's HTTP listeners guarded by frontend.networkAuthorization:
 * agentgateway v1.4.1 runs it on every HTTP connection before any request (proxy/gateway.rs
 * `proxy`), on the same `source` (the HBONE/mTLS peer's `source.identity`) traffic.authorization
 * reads, so one pinning callers to agents guards the listener whatever traffic.authorization says.
 * An HTTP connection takes the frontend policies of its bind (`frontend_policies_for_bind`: the
 * Gateway's port and the Gateway, their rule sets merged; store/binds.rs `frontend_policies`), never a listener's
 * (sectionName) or a ListenerSet's, which only TCP/TLS routes and waypoints look up. On the public
 * agent gateway, one admitting only identities the agents admit closes a listener to callers
 * without a token as a Strict JWT policy would (an outside caller has no mesh identity).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { runStack } from "../support/policy";
import { ap, allowFrom, gw, on, sa } from "./authz-support";

const AGP = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy";
const GW = "gateway.networking.k8s.io";
const mcp = on(`kubernetes:${GW}/v1:Gateway`, "tools-gw-mcp-gateway", { metadata: { name: "mcp-gateway", namespace: "tools" }, spec: { gatewayClassName: "agentgateway", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] } });
const agents = 'source.identity.namespace == "agents" && source.identity.serviceAccount == "research-agent-v1"';
type Target = { kind: string; name: string; sectionName?: string; port?: number };
const policy = (name: string, target: Target, field: "traffic" | "frontend", expr: string, action = "Allow") => {
  const rule = { action, policy: { matchExpressions: [expr] } };
  return on(AGP, `tools-agpol-${name}`, { metadata: { name, namespace: "tools" }, spec: { targetRefs: [{ group: GW, ...target }], ...(field === "traffic" ? { traffic: { authorization: rule } } : { frontend: { networkAuthorization: rule } }) } });
};
const gateway: Target = { kind: "Gateway", name: "mcp-gateway" };
const route = on(`kubernetes:${GW}/v1:HTTPRoute`, "tools-route-mcp", { metadata: { name: "mcp", namespace: "tools" }, spec: { parentRefs: [{ name: "mcp-gateway" }], rules: [{ backendRefs: [{ name: "calculator", port: 8080 }] }] } });
const fleet = [mcp, route, gw("agents", "agent-gateway", "agentgateway"), sa("agents", "research-agent-v1"), ap("tools", "calculator", allowFrom("cluster.local/ns/tools/sa/mcp-gateway"))];
const run = async (...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...fleet, ...extra], { requireAgentJwt: false })).violations.map((v) => v.message);

test("agent-call-graph: the MCP gateway's networkAuthorization pinning agents guards its HTTP listener without traffic.authorization (agentgateway v1.4.1 proxy/gateway.rs)", async () => {
  const open = await run();
  assert.equal(open.length, 1, open.join("\n"));
  assert.match(open[0], /no AgentgatewayPolicy with traffic\.authorization targets Gateway tools\/mcp-gateway/);
  assert.deepEqual(await run(policy("net", gateway, "frontend", agents)), []);
  assert.deepEqual(await run(policy("net", { ...gateway, port: 80 }, "frontend", agents, "Require")), []);
  // An open traffic.authorization beside it admits no one more: the connection is refused first.
  assert.deepEqual(await run(policy("net", gateway, "frontend", agents), policy("callers", gateway, "traffic", "true")), []);
  // The proxy merges every level's networkAuthorization (store/binds.rs set_if_empty appends rule sets): an open Allow
  // on the port beside the Gateway's Allow admits everyone, beside the Gateway's Require no one more; another port's does not reach the listener.
  assert.equal((await run(policy("net", gateway, "frontend", agents), policy("net-80", { ...gateway, port: 80 }, "frontend", "true"))).length, 1);
  assert.deepEqual(await run(policy("net", gateway, "frontend", agents, "Require"), policy("net-80", { ...gateway, port: 80 }, "frontend", "true")), []);
  assert.deepEqual(await run(policy("net", gateway, "frontend", agents), policy("net-81", { ...gateway, port: 81 }, "frontend", "true")), []);
  assert.equal((await run(policy("net", { ...gateway, port: 81 }, "frontend", agents))).length, 1);
});

test("agent-call-graph: a networkAuthorization narrowed to the HTTP listener by sectionName guards nothing there (v1.4.1 gives HTTP connections the bind's frontend policies)", async () => {
  const found = await run(policy("net", { ...gateway, sectionName: "http" }, "frontend", agents));
  assert.equal(found.length, 1, found.join("\n"));
  assert.match(found[0], /no AgentgatewayPolicy with traffic\.authorization targets Gateway tools\/mcp-gateway to restrict its callers[^(]*\([^)]*\) \(the frontend\.networkAuthorization of AgentgatewayPolicy tools\/net targets the listener or its ListenerSet, which agentgateway v1\.4\.1 does not look up for an HTTP connection/);
  // Nor does one on a ListenerSet for the HTTP listener it adds; the Gateway's own still reaches that listener.
  const set = on(`kubernetes:${GW}/v1:ListenerSet`, "tools-ls-extra", {
    metadata: { name: "extra", namespace: "tools" },
    spec: { parentRef: { group: GW, kind: "Gateway", name: "mcp-gateway" }, listeners: [{ name: "extra", port: 8080, protocol: "HTTP" }] },
  });
  const onSet = on(`kubernetes:${GW}/v1:HTTPRoute`, "tools-route-extra", { metadata: { name: "extra", namespace: "tools" }, spec: { parentRefs: [{ group: GW, kind: "ListenerSet", name: "extra" }], rules: [{ backendRefs: [{ name: "calculator", port: 8080 }] }] } });
  const mcpAll = on(`kubernetes:${GW}/v1:Gateway`, "tools-gw-mcp-gateway", { metadata: { name: "mcp-gateway", namespace: "tools" }, spec: { gatewayClassName: "agentgateway", allowedListeners: { namespaces: { from: "Same" } }, listeners: [{ name: "http", port: 80, protocol: "HTTP" }] } });
  const runSet = async (...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [mcpAll, ...fleet.slice(1), set, onSet, ...extra], { requireAgentJwt: false })).violations.map((v) => v.message);
  const viaSet = await runSet(policy("net-set", { kind: "ListenerSet", name: "extra" }, "frontend", agents), policy("net", { ...gateway, port: 80 }, "frontend", agents));
  assert.equal(viaSet.length, 1, viaSet.join("\n"));
  assert.match(viaSet[0], /no AgentgatewayPolicy with traffic\.authorization targets Gateway tools\/mcp-gateway listener extra of ListenerSet tools\/extra/);
  assert.deepEqual(await runSet(policy("net", gateway, "frontend", agents)), []);
});

test("agent-call-graph: a networkAuthorization letting an extra caller in changes nothing beside traffic.authorization pinning agents", async () => {
  const callers = policy("callers", gateway, "traffic", agents);
  assert.deepEqual(await run(callers), []);
  assert.deepEqual(await run(callers, policy("net", gateway, "frontend", "true")), []);
  assert.deepEqual(await run(callers, policy("net", gateway, "frontend", 'source.identity.namespace == "batch"', "Deny")), []);
  // Both open: still reported.
  assert.equal((await run(policy("callers", gateway, "traffic", "true"), policy("net", gateway, "frontend", "true"))).length, 1);
});

test("agent-call-graph: the public agent gateway's networkAuthorization admitting only callers the agents admit closes its HTTP routes without JWT (v1.4.1 runs it before any request)", async () => {
  const agentGw = on(`kubernetes:${GW}/v1:Gateway`, "agents-gw-agent-gateway", { metadata: { name: "agent-gateway", namespace: "agents" }, spec: { gatewayClassName: "agentgateway", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] } });
  const a2a = on(`kubernetes:${GW}/v1:HTTPRoute`, "agents-route-research", { metadata: { name: "research", namespace: "agents" }, spec: { parentRefs: [{ name: "agent-gateway" }], rules: [] } });
  const net = (target: Target) =>
    on(AGP, "agents-agpol-net", { metadata: { name: "net", namespace: "agents" }, spec: { targetRefs: [{ group: GW, ...target }], frontend: { networkAuthorization: { action: "Allow", policy: { matchExpressions: ['source.identity.namespace == "batch" && source.identity.serviceAccount == "runner"'] } } } } });
  const agentGateway: Target = { kind: "Gateway", name: "agent-gateway" };
  const runJwt = async (extraCallers: Record<string, string[]>, ...extra: ReturnType<typeof on>[]) =>
    (await runStack(agentCallGraph, [agentGw, a2a, ...extra], { extraCallers })).violations.map((v) => v.message);
  const open = await runJwt({});
  assert.equal(open.length, 1, open.join("\n"));
  assert.match(open[0], /HTTPRoute agents\/research is served by the agent gateway agents\/agent-gateway .* no AgentgatewayPolicy with traffic\.jwtAuthentication/);
  // Only batch/runner connects, which the call graph lets call the agents anyway: no caller without a token gets further.
  assert.deepEqual(await runJwt({ agents: ["batch/runner"] }, net(agentGateway)), []);
  assert.deepEqual(await runJwt({ agents: ["batch/runner"] }, net({ ...agentGateway, port: 80 })), []);
  // A caller the agents do not admit is let in without a token: still reported.
  assert.equal((await runJwt({}, net(agentGateway))).length, 1);
  // Narrowed to the listener, agentgateway does not read it for an HTTP connection: reported, and named.
  const narrowed = await runJwt({ agents: ["batch/runner"] }, net({ ...agentGateway, sectionName: "http" }));
  assert.equal(narrowed.length, 1, narrowed.join("\n"));
  assert.match(narrowed[0], /the frontend\.networkAuthorization of AgentgatewayPolicy agents\/net targets the listener or its ListenerSet, which agentgateway v1\.4\.1 does not look up for an HTTP connection/);
});
