/**
 * agent-call-graph on routes of the agent and MCP gateways whose backendRef reaches into another
 * namespace: agentgateway v1.4.1 resolves it only where a ReferenceGrant there opens it
 * (translator/conversion.go buildAgwDestination, references_collection.go BackendAllowed), unless
 * its controller runs with AGW_BACKEND_REF_GRANT_MODE none; a refused backend keeps its weight and
 * fails its share of the requests (RefNotPermitted).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { runStack } from "../support/policy";
import { gw, on } from "./authz-support";

const GW = "gateway.networking.k8s.io";
const GRANT = `kubernetes:${GW}/v1beta1:ReferenceGrant`;
const agentGateway = on(`kubernetes:${GW}/v1:Gateway`, "agents-gw-agent-gateway", {
  metadata: { name: "agent-gateway", namespace: "agents" },
  spec: { gatewayClassName: "agentgateway", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] },
});
/** The agent route, splitting between v1 and a v2 kept in namespace `v2At`. */
const route = (v2: Record<string, unknown>, parentRefs: unknown[] = [{ name: "agent-gateway" }]) =>
  on(`kubernetes:${GW}/v1:HTTPRoute`, "agents-route-research", {
    metadata: { name: "research-agent", namespace: "agents" },
    spec: { parentRefs, rules: [{ backendRefs: [{ name: "research-agent-v1", port: 8080, weight: 95 }, { port: 8080, weight: 5, ...v2 }] }] },
  });
const grant = (to: Record<string, unknown>, from: Record<string, unknown> = {}) =>
  on(GRANT, `canary-grant-${JSON.stringify({ to, from })}`, { metadata: { name: "agent-routes", namespace: "canary" }, spec: { from: [{ group: GW, kind: "HTTPRoute", namespace: "agents", ...from }], to: [to] } });
const run = async (...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [agentGateway, ...extra], { requireAgentJwt: false })).violations.map((v) => v.message);
const away = { name: "research-agent-v2", namespace: "canary" };

test("agent-call-graph: an agent route's backendRef to a Service of another namespace needs a ReferenceGrant there that agentgateway reads", async () => {
  const refused = await run(route(away));
  assert.equal(refused.length, 1, refused.join("\n"));
  assert.match(
    refused[0],
    /^HTTPRoute agents\/research-agent on cluster a, on an agentgateway Gateway: backendRef Service canary\/research-agent-v2 is in another namespace, and no ReferenceGrant in canary lets HTTPRoutes of agents reference it, so agentgateway v1\.4\.1 refuses the reference \(ResolvedRefs False, RefNotPermitted\); the route keeps that backend's weight and the proxy answers each request it sends there with a 500/,
  );
  // Opened by a grant (every Service, or this one), or the controller's grant checks turned off: resolved.
  const waived = (mode: unknown) => on("kubernetes:helm.sh/v3:Release", "agw", { chart: "agentgateway", namespace: "agentgateway-system", values: { controller: { extraEnv: { AGW_BACKEND_REF_GRANT_MODE: mode } } } });
  for (const [what, extra] of [
    ["every Service of canary", grant({ group: "", kind: "Service" })],
    ["the Service by name", grant({ group: "", kind: "Service", name: "research-agent-v2" })],
    ["grant mode none", waived("None")],
    ["grant mode none, as a value map", waived({ value: "none" })],
  ] as const) {
    assert.deepEqual(await run(route(away), extra), [], what);
  }
  for (const [what, extra] of [
    ["another Service by name", grant({ group: "", kind: "Service", name: "other" })],
    ["GRPCRoutes, not HTTPRoutes", grant({ group: "", kind: "Service" }, { kind: "GRPCRoute" })],
    ["grant mode route (the default)", waived("route")],
  ] as const) {
    assert.equal((await run(route(away), extra)).length, 1, what);
  }
  // Same namespace, delegation to an HTTPRoute, an InferencePool (inference-pool-epp's), or a route on another Gateway: not judged here.
  assert.deepEqual(await run(route({ name: "research-agent-v2" })), []);
  assert.deepEqual(await run(route({ group: GW, kind: "HTTPRoute", name: "child", namespace: "canary" })), []);
  assert.deepEqual(await run(route({ group: "inference.networking.k8s.io", kind: "InferencePool", name: "pool", namespace: "canary" })), []);
  assert.deepEqual(await run(gw("agents", "waypoint", "istio-waypoint"), route(away, [{ name: "waypoint" }])), []);
});
