/**
 * agent-call-graph on the listeners a ListenerSet adds to the MCP gateway, as agentgateway v1.4.1
 * applies traffic.authorization to them: a ListenerSet listener is a listener of its parent
 * Gateway (types/agent.rs ListenerName), so the Gateway's policies, and those naming its listener
 * name by sectionName, reach it in both phases (store/binds.rs route_policies, gateway_policies);
 * a policy on the ListenerSet itself reaches it only in the PreRouting phase (gateway_policies),
 * route_policies never looking a ListenerSet up.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { runStack } from "../support/policy";
import { ap, allowFrom, gw, on, sa } from "./authz-support";

const AGP = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy";
const GW = "gateway.networking.k8s.io";
const mcp = (allowedListeners?: Record<string, unknown>) =>
  on(`kubernetes:${GW}/v1:Gateway`, "tools-gw-mcp-gateway", {
    metadata: { name: "mcp-gateway", namespace: "tools" },
    spec: { gatewayClassName: "agentgateway", ...(allowedListeners ? { allowedListeners } : {}), listeners: [{ name: "http", port: 80, protocol: "HTTP" }] },
  });
const same = { namespaces: { from: "Same" } };
const mcpRoute = on(`kubernetes:${GW}/v1:HTTPRoute`, "tools-route-mcp", { metadata: { name: "mcp", namespace: "tools" }, spec: { parentRefs: [{ name: "mcp-gateway" }], rules: [{}] } });
const extra = on(`kubernetes:${GW}/v1:ListenerSet`, "tools-ls-extra", {
  metadata: { name: "extra", namespace: "tools" },
  spec: { parentRef: { group: GW, kind: "Gateway", name: "mcp-gateway" }, listeners: [{ name: "side", port: 8080, protocol: "HTTP" }] },
});
const sideRoute = on(`kubernetes:${GW}/v1:HTTPRoute`, "tools-route-side", { metadata: { name: "side", namespace: "tools" }, spec: { parentRefs: [{ group: GW, kind: "ListenerSet", name: "extra" }], rules: [{}] } });
const agents = 'source.identity.namespace == "agents" && source.identity.serviceAccount == "research-agent-v1"';
type Target = { kind: string; name: string; sectionName?: string };
const authz = (name: string, target: Target, expr: string, preRouting = false) =>
  on(AGP, `tools-agpol-${name}`, {
    metadata: { name, namespace: "tools" },
    spec: { targetRefs: [{ group: GW, ...target }], traffic: { ...(preRouting ? { phase: "PreRouting" } : {}), authorization: { action: "Allow", policy: { matchExpressions: [expr] } } } },
  });
const onHttp = authz("callers", { kind: "Gateway", name: "mcp-gateway", sectionName: "http" }, agents);
const fleet = [mcpRoute, extra, sideRoute, gw("agents", "agent-gateway", "agentgateway"), sa("agents", "research-agent-v1"), ap("tools", "calculator", allowFrom("cluster.local/ns/tools/sa/mcp-gateway"))];
const run = async (...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...fleet, ...extra], { requireAgentJwt: false })).violations.map((v) => v.message);

test("agent-call-graph: a ListenerSet's listener serving routes to the tools needs authorization of its own when the Gateway's is narrowed to another listener", async () => {
  const found = await run(mcp(same), onHttp);
  assert.equal(found.length, 1, found.join("\n"));
  assert.match(found[0], /no AgentgatewayPolicy with traffic\.authorization targets Gateway tools\/mcp-gateway listener side/);
  // A ListenerSet the Gateway's allowedListeners do not admit adds no listener.
  assert.deepEqual(await run(mcp(), onHttp), []);
  // The Gateway's own policy, not narrowed, reaches the ListenerSet's listeners too.
  assert.deepEqual(await run(mcp(same), authz("callers", { kind: "Gateway", name: "mcp-gateway" }, agents)), []);
  // So does one naming the listener's name by sectionName.
  assert.deepEqual(await run(mcp(same), onHttp, authz("side", { kind: "Gateway", name: "mcp-gateway", sectionName: "side" }, agents)), []);
});

test("agent-call-graph: authorization on a ListenerSet applies only in the PreRouting phase (agentgateway v1.4.1 route_policies never reads a ListenerSet target)", async () => {
  assert.deepEqual(await run(mcp(same), onHttp, authz("side", { kind: "ListenerSet", name: "extra" }, agents, true)), []);
  const found = await run(mcp(same), onHttp, authz("side", { kind: "ListenerSet", name: "extra" }, agents));
  assert.equal(found.length, 1, found.join("\n"));
  assert.match(found[0], /listener side.*AgentgatewayPolicy tools\/side targets ListenerSet tools\/extra in the route phase, where agentgateway v1\.4\.1 never applies it/);
  // A PreRouting one on the ListenerSet guards its listeners, not the Gateway's own.
  const open = await run(mcp(same), authz("side", { kind: "ListenerSet", name: "extra" }, agents, true));
  assert.match(open.join("\n"), /Gateway tools\/mcp-gateway listener http/);
});

test("agent-call-graph: a ListenerSet listener named like a Gateway listener is another listener (agentgateway v1.4.1 ListenerName carries its listener_set)", async () => {
  const twin = on(`kubernetes:${GW}/v1:ListenerSet`, "tools-ls-twin", {
    metadata: { name: "twin", namespace: "tools" },
    spec: { parentRef: { group: GW, kind: "Gateway", name: "mcp-gateway" }, listeners: [{ name: "http", port: 8080, protocol: "HTTP" }] },
  });
  const twinRoute = on(`kubernetes:${GW}/v1:HTTPRoute`, "tools-route-twin", { metadata: { name: "twin", namespace: "tools" }, spec: { parentRefs: [{ group: GW, kind: "ListenerSet", name: "twin" }], rules: [{}] } });
  const runTwin = async (...more: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...fleet.filter((r) => r !== extra && r !== sideRoute), twin, twinRoute, mcp(same), ...more], { requireAgentJwt: false })).violations.map((v) => v.message);
  // A PreRouting policy on the ListenerSet's listener `http` guards that listener, not the Gateway's own `http`.
  for (const target of [{ kind: "ListenerSet", name: "twin", sectionName: "http" }, { kind: "ListenerSet", name: "twin" }]) {
    const found = await runTwin(authz("twin", target, agents, true));
    assert.equal(found.length, 1, found.join("\n"));
    assert.match(found[0], /no AgentgatewayPolicy with traffic\.authorization targets Gateway tools\/mcp-gateway listener http to restrict its callers/);
    assert.match(found[0], /AgentgatewayPolicy tools\/twin targets only listener http of ListenerSet tools\/twin/);
  }
  // The Gateway's policy naming `http` by sectionName binds both (types/agent.rs as_listener_target_ref keys by the name alone).
  assert.deepEqual(await runTwin(onHttp), []);
  // Beside it, a PreRouting one on the ListenerSet's `http` restricts that listener further and opens nothing.
  assert.deepEqual(await runTwin(onHttp, authz("twin", { kind: "ListenerSet", name: "twin", sectionName: "http" }, agents, true)), []);
});

test("agent-call-graph: a Gateway sectionName naming a ListenerSet listener names an existing listener (agentgateway v1.4.1 as_listener_target_ref keys by the listener name)", async () => {
  const deny = on(AGP, "tools-agpol-side", {
    metadata: { name: "side", namespace: "tools" },
    spec: { targetRefs: [{ group: GW, kind: "Gateway", name: "mcp-gateway", sectionName: "side" }], traffic: { authorization: { action: "Deny", policy: { matchExpressions: ["false"] } } } },
  });
  const found = await run(mcp(same), deny);
  assert.equal(found.length, 1, found.join("\n"));
  assert.match(found[0], /listener side of ListenerSet tools\/extra to restrict its callers/);
  assert.doesNotMatch(found[0], /which no listener of it has/);
  // Where the ListenerSet does not attach, no listener has the name.
  assert.match((await run(mcp(), authz("side", { kind: "Gateway", name: "mcp-gateway", sectionName: "side" }, agents))).join("\n"), /names sectionName side, which no listener of it has/);
});
