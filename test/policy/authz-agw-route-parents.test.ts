/**
 * agent-call-graph on agent and MCP routes whose every parentRef names a listener (sectionName) the
 * agentgateway Gateway does not have: Gateway API v1 attaches a route only to the listeners its
 * parentRef selects (ParentReference.sectionName; none matching: Accepted False, NoMatchingParent),
 * so the agents or tools it serves are reached through nothing.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { runStack, UNKNOWN } from "../support/policy";
import { on } from "./authz-support";

const GW = "gateway.networking.k8s.io";
const gateway = (listeners: unknown) =>
  on(`kubernetes:${GW}/v1:Gateway`, "agents-gw-agent-gateway", { metadata: { name: "agent-gateway", namespace: "agents" }, spec: { gatewayClassName: "agentgateway", listeners } });
const route = (parentRefs: unknown[]) =>
  on(`kubernetes:${GW}/v1:HTTPRoute`, "agents-route-research", { metadata: { name: "research-agent", namespace: "agents" }, spec: { parentRefs, rules: [{ backendRefs: [] }] } });
const https = [{ name: "https", port: 8443, protocol: "HTTPS" }];
const run = async (...resources: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, resources, { requireAgentJwt: false })).violations.map((v) => v.message);

test("agent-call-graph: an agent route whose every parentRef names a listener the agentgateway Gateway does not have attaches to nothing", async () => {
  const found = await run(gateway(https), route([{ name: "agent-gateway", sectionName: "http" }]));
  assert.equal(found.length, 1, found.join("\n"));
  assert.match(found[0], /^HTTPRoute agents\/research-agent on cluster a: every parentRef names a listener its Gateway does not have \(Gateway agents\/agent-gateway has no listener http; it has https\), so Gateway API attaches it nowhere \(Accepted False, NoMatchingParent\)/);
  // A listener it has, no sectionName, one parentRef that binds beside one that does not, a Gateway the stack does not render, or listeners not known yet: not reported.
  assert.deepEqual(await run(gateway(https), route([{ name: "agent-gateway", sectionName: "https" }])), []);
  assert.deepEqual(await run(gateway(https), route([{ name: "agent-gateway" }])), []);
  assert.deepEqual(await run(gateway(https), route([{ name: "agent-gateway", sectionName: "http" }, { name: "agent-gateway", sectionName: "https" }])), []);
  assert.deepEqual(await run(gateway(https), route([{ name: "other-gateway", sectionName: "http" }])), []);
  assert.deepEqual(await run(gateway(UNKNOWN), route([{ name: "agent-gateway", sectionName: "http" }])), []);
  // A ListenerSet attached to the Gateway may add the listener: not judged.
  const set = on(`kubernetes:${GW}/v1:ListenerSet`, "agents-ls-side", { metadata: { name: "side", namespace: "agents" }, spec: { parentRef: { name: "agent-gateway" }, listeners: [{ name: "http", port: 80, protocol: "HTTP" }] } });
  assert.deepEqual(await run(gateway(https), set, route([{ name: "agent-gateway", sectionName: "http" }])), []);
});
