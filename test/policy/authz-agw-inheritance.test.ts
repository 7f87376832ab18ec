/**
 * agent-call-graph's reading of `strategy.inheritance: Override` on the MCP gateway's
 * AgentgatewayPolicy traffic.authorization, as agentgateway v1.4.1 merges it: route-phase
 * authorization is gathered from the Gateway, then its listener, then the routes (all apply),
 * until an Override policy is taken; the more specific ones after it are dropped
 * (store/binds.rs route_policies, `authz_locked`). PreRouting authorization is a set of its own
 * that Override does not touch (gateway_policies), and a request must pass both sets.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { runStack } from "../support/policy";
import { ap, allowFrom, gw, on, sa } from "./authz-support";

const AGP = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy";
const GW = "gateway.networking.k8s.io";
const mcp = on(`kubernetes:${GW}/v1:Gateway`, "tools-gw-mcp-gateway", {
  metadata: { name: "mcp-gateway", namespace: "tools" },
  spec: { gatewayClassName: "agentgateway", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] },
});
const mcpRoute = on(`kubernetes:${GW}/v1:HTTPRoute`, "tools-route-mcp", { metadata: { name: "mcp", namespace: "tools" }, spec: { parentRefs: [{ name: "mcp-gateway" }], rules: [{}] } });
const agents = 'source.identity.namespace == "agents" && source.identity.serviceAccount == "research-agent-v1"';
type Target = { kind: string; name: string; sectionName?: string };
const onGw: Target = { kind: "Gateway", name: "mcp-gateway" };
const onListener: Target = { kind: "Gateway", name: "mcp-gateway", sectionName: "http" };
const onRoute: Target = { kind: "HTTPRoute", name: "mcp" };
const authz = (name: string, target: Target, action: string, expr: string, extra: { override?: boolean; preRouting?: boolean } = {}) =>
  on(AGP, `tools-agpol-${name}`, {
    metadata: { name, namespace: "tools" },
    spec: {
      targetRefs: [{ group: GW, ...target }],
      traffic: { ...(extra.preRouting ? { phase: "PreRouting" } : {}), authorization: { action, policy: { matchExpressions: [expr] } } },
      ...(extra.override ? { strategy: { inheritance: "Override" } } : {}),
    },
  });
const fleet = [mcp, mcpRoute, gw("agents", "agent-gateway", "agentgateway"), sa("agents", "research-agent-v1"), ap("tools", "calculator", allowFrom("cluster.local/ns/tools/sa/mcp-gateway"))];
const run = async (...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...fleet, ...extra], { requireAgentJwt: false })).violations.map((v) => v.message);

test("agent-call-graph: a Gateway-level Override authorization drops the routes' own, so their open Allow does not reach the MCP gateway", async () => {
  // Without Override the route's Allow "true" is merged in and admits every caller.
  assert.match((await run(authz("callers", onGw, "Allow", agents), authz("open-route", onRoute, "Allow", "true"))).join("\n"), /tools\/open-route allows "true"/);
  // With it, agentgateway takes the Gateway's and skips the route's: only agents pass.
  assert.deepEqual(await run(authz("callers", onGw, "Allow", agents, { override: true }), authz("open-route", onRoute, "Allow", "true")), []);
  // Override on the route locks nothing above it: the Gateway's open Allow still admits everyone.
  assert.match((await run(authz("open", onGw, "Allow", "true"), authz("callers", onRoute, "Allow", agents, { override: true }))).join("\n"), /tools\/open allows "true"/);
});

test("agent-call-graph: a listener's Require pinning agents is dropped under a Gateway-level Override that admits everyone", async () => {
  // Before, the listener's Require counted: the Gateway's Override drops it in the proxy.
  const found = await run(authz("open", onGw, "Allow", "true", { override: true }), authz("pin", onListener, "Require", agents));
  assert.equal(found.length, 1);
  assert.match(found[0], /AgentgatewayPolicy tools\/open allows "true"/);
  assert.match(found[0], /tools\/open sets strategy\.inheritance Override .*tools\/pin/);
  // Without Override the Require applies beside it and pins the callers.
  assert.deepEqual(await run(authz("open", onGw, "Allow", "true"), authz("pin", onListener, "Require", agents)), []);
});

test("agent-call-graph: PreRouting authorization is a set of its own, which Override does not drop and each request must pass", async () => {
  // A PreRouting Require on the listener holds whatever the Gateway's Override admits.
  assert.deepEqual(await run(authz("open", onGw, "Allow", "true", { override: true }), authz("pin", onListener, "Require", agents, { preRouting: true })), []);
  // A PreRouting Allow pinned to agents restricts, even beside a route's open Allow: both sets must allow.
  assert.deepEqual(await run(authz("pre", onGw, "Allow", agents, { preRouting: true }), authz("open-route", onRoute, "Allow", "true")), []);
  // An open PreRouting Allow is no guard, and the route-phase set decides.
  assert.match((await run(authz("pre", onGw, "Allow", "true", { preRouting: true }), authz("open-route", onRoute, "Allow", "true"))).join("\n"), /allows "true"/);
  assert.deepEqual(await run(authz("pre", onGw, "Allow", "true", { preRouting: true }), authz("callers", onGw, "Allow", agents)), []);
});

test("agent-call-graph: strategy.inheritance on a policy that also sets backend or frontend is refused by the CRD, so its authorization never applies", async () => {
  const both = on(AGP, "tools-agpol-callers", {
    metadata: { name: "callers", namespace: "tools" },
    spec: {
      targetRefs: [{ group: GW, ...onGw }],
      traffic: { authorization: { action: "Allow", policy: { matchExpressions: [agents] } } },
      backend: { mcp: { authorization: { action: "Allow", policy: { matchExpressions: [agents] } } } },
      strategy: { inheritance: "Override" },
    },
  });
  const found = await run(both);
  assert.ok(found.some((m) => /^AgentgatewayPolicy tools\/callers sets strategy\.inheritance beside backend, while the CRD takes it on traffic policies only .*the API server refuses the policy/.test(m)), found.join("\n"));
  // On a traffic-only policy it is taken.
  assert.deepEqual(await run(authz("callers", onGw, "Allow", agents, { override: true })), []);
});

test("agent-call-graph: a route-level Override drops that route's rules' authorization (binds.rs collects the route, then its rules), not the Gateway's nor another route's", async () => {
  const ruled = (name: string, rule: string) =>
    on(`kubernetes:${GW}/v1:HTTPRoute`, `tools-route-${name}`, { metadata: { name, namespace: "tools" }, spec: { parentRefs: [{ name: "mcp-gateway" }], rules: [{ name: rule }] } });
  const onRule = (route: string, rule: string): Target => ({ kind: "HTTPRoute", name: route, sectionName: rule });
  const base = [ruled("rt", "r1"), authz("callers", onGw, "Allow", agents)];
  // Without Override, the rule's open Allow is merged in for requests on that rule.
  assert.match((await run(...base, authz("open-rule", onRule("rt", "r1"), "Allow", "true"))).join("\n"), /tools\/open-rule allows "true"/);
  // The route's Override is taken before its rules' policies: the proxy drops the rule's open Allow.
  assert.deepEqual(await run(...base, authz("lock", { kind: "HTTPRoute", name: "rt" }, "Allow", agents, { override: true }), authz("open-rule", onRule("rt", "r1"), "Allow", "true")), []);
  // Another route's rule is not below that Override: its open Allow still admits everyone there.
  const found = await run(...base, ruled("other", "r2"), authz("lock", { kind: "HTTPRoute", name: "rt" }, "Allow", agents, { override: true }), authz("open-rule", onRule("other", "r2"), "Allow", "true"));
  assert.match(found.join("\n"), /tools\/open-rule allows "true"/);
});

test("agent-call-graph: a policy on a GRPCRoute binds no HTTPRoute of the same name (binds.rs keys a route target by its kind)", async () => {
  const ruled = on(`kubernetes:${GW}/v1:HTTPRoute`, "tools-route-rt", { metadata: { name: "rt", namespace: "tools" }, spec: { parentRefs: [{ name: "mcp-gateway" }], rules: [{ name: "r1" }] } });
  const base = [ruled, authz("callers", onGw, "Allow", agents)];
  const openRule = authz("open-rule", { kind: "HTTPRoute", name: "rt", sectionName: "r1" }, "Allow", "true");
  // An Override meant for a GRPCRoute rt does not drop the HTTPRoute rt's rule policies: the open Allow still admits everyone.
  assert.match((await run(...base, openRule, authz("grpc-lock", { kind: "GRPCRoute", name: "rt" }, "Allow", agents, { override: true }))).join("\n"), /tools\/open-rule allows "true"/);
  // An open Allow on a GRPCRoute the Gateway does not serve reaches none of its requests, whatever HTTPRoute shares the name.
  assert.deepEqual(await run(...base, authz("grpc-open", { kind: "GRPCRoute", name: "rt" }, "Allow", "true")), []);
  // On the GRPCRoute of that name, it does.
  const grpc = on(`kubernetes:${GW}/v1:GRPCRoute`, "tools-grpcroute-rt", { metadata: { name: "rt", namespace: "tools" }, spec: { parentRefs: [{ name: "mcp-gateway" }], rules: [{}] } });
  assert.match((await run(...base, grpc, authz("grpc-open", { kind: "GRPCRoute", name: "rt" }, "Allow", "true"))).join("\n"), /tools\/grpc-open allows "true"/);
});
