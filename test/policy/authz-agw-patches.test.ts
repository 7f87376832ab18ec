/**
 * agent-call-graph on AgentgatewayPolicyPatch (pulumi-kubernetes' server-side-apply patch of an
 * existing AgentgatewayPolicy, type `…:AgentgatewayPolicyPatch`): what agentgateway enforces is the
 * named policy with the patch applied over it, so the JWT mode and the MCP gateway's authorization
 * are judged after the patch. Maps merge; lists (targetRefs, matchExpressions, local) are atomic in
 * the CRD, so a patch's list replaces the policy's.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { runStack } from "../support/policy";
import { ap, allowFrom, gw, on, sa } from "./authz-support";

const AGP = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy";
const PATCH = `${AGP}Patch`;
const GW = "gateway.networking.k8s.io";
const route = on(`kubernetes:${GW}/v1:HTTPRoute`, "agents-route-research-agent", { metadata: { name: "research-agent", namespace: "agents" }, spec: { parentRefs: [{ name: "agent-gateway" }], rules: [] } });
const jwt = on(AGP, "agents-jwt", {
  metadata: { name: "agent-gateway-jwt", namespace: "agents" },
  spec: { targetRefs: [{ group: GW, kind: "Gateway", name: "agent-gateway" }], traffic: { jwtAuthentication: { mode: "Strict", providers: [{ issuer: "https://idp", audiences: ["agents"], jwks: { inline: "{}" } }] } } },
});
const patch = (namespace: string, name: string, spec: Record<string, unknown>) => on(PATCH, `${namespace}-patch-${name}`, { metadata: { name, namespace }, spec });

test("agent-call-graph: an AgentgatewayPolicyPatch making the agent gateway's JWT Optional opens it", async () => {
  const run = async (...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [gw("agents", "agent-gateway", "agentgateway"), route, jwt, ...extra])).violations.map((v) => v.message);
  assert.deepEqual(await run(), []);
  const found = await run(patch("agents", "agent-gateway-jwt", { traffic: { jwtAuthentication: { mode: "Optional" } } }));
  assert.equal(found.length, 1);
  assert.match(found[0], /the Gateway's JWT authentication agents\/agent-gateway-jwt \(mode Optional\) is not Strict/);
  // A patch that sets what the policy already says changes nothing; one of another policy's name touches nothing here.
  assert.deepEqual(await run(patch("agents", "agent-gateway-jwt", { traffic: { jwtAuthentication: { mode: "Strict" } } })), []);
  assert.deepEqual(await run(patch("tools", "agent-gateway-jwt", { traffic: { jwtAuthentication: { mode: "Optional" } } })), []);
});

test("agent-call-graph: an AgentgatewayPolicyPatch opening or removing the MCP gateway's authorization is judged on the patched policy", async () => {
  const mcp = on(`kubernetes:${GW}/v1:Gateway`, "tools-gw-mcp-gateway", { metadata: { name: "mcp-gateway", namespace: "tools" }, spec: { gatewayClassName: "agentgateway", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] } });
  const agents = 'source.identity.namespace == "agents" && source.identity.serviceAccount == "research-agent-v1"';
  const callers = on(AGP, "tools-agpol-mcp-gateway-callers", {
    metadata: { name: "mcp-gateway-callers", namespace: "tools" },
    spec: { targetRefs: [{ group: GW, kind: "Gateway", name: "mcp-gateway" }], traffic: { authorization: { action: "Allow", policy: { matchExpressions: [agents] } } } },
  });
  const fleet = [mcp, callers, gw("agents", "agent-gateway", "agentgateway"), sa("agents", "research-agent-v1"), ap("tools", "calculator", allowFrom("cluster.local/ns/tools/sa/mcp-gateway"))];
  const run = async (...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...fleet, ...extra], { requireAgentJwt: false })).violations.map((v) => v.message);
  assert.deepEqual(await run(), []);
  // matchExpressions is an atomic list: the patch's replaces the policy's.
  assert.match((await run(patch("tools", "mcp-gateway-callers", { traffic: { authorization: { policy: { matchExpressions: ["true"] } } } }))).join("\n"), /tools\/mcp-gateway-callers \(with AgentgatewayPolicyPatch tools\/mcp-gateway-callers \(urn:[^)]*\) applied\) allows "true"/);
  // null removes the field from the applied object.
  const removed = (await run(patch("tools", "mcp-gateway-callers", { traffic: { authorization: null } }))).join("\n");
  assert.match(removed, /no AgentgatewayPolicy with traffic\.authorization targets Gateway tools\/mcp-gateway/);
  // The reviewer is told which patch took it away: the policy itself still shows its authorization.
  assert.match(removed, /AgentgatewayPolicyPatch tools\/mcp-gateway-callers \(urn:pulumi:[^)]*AgentgatewayPolicyPatch::a-tools-patch-mcp-gateway-callers\) removes the traffic\.authorization of AgentgatewayPolicy tools\/mcp-gateway-callers/);
  // Retargeted by the patch to a listener the Gateway does not have: the patch is named, as for one removing the authorization.
  const moved = (await run(patch("tools", "mcp-gateway-callers", { targetRefs: [{ group: GW, kind: "Gateway", name: "mcp-gateway", sectionName: "https" }] }))).join("\n");
  assert.match(moved, /AgentgatewayPolicyPatch tools\/mcp-gateway-callers \(urn:pulumi:[^)]*AgentgatewayPolicyPatch::a-tools-patch-mcp-gateway-callers\) retargets AgentgatewayPolicy tools\/mcp-gateway-callers to sectionName https, which no listener of it has/);
  // The policy's own sectionName, which no patch set, names no patch.
  const own = on(AGP, "tools-agpol-mcp-gateway-callers", { ...callers.props, spec: { ...(callers.props as any).spec, targetRefs: [{ group: GW, kind: "Gateway", name: "mcp-gateway", sectionName: "https" }] } });
  const unpatched = (await runStack(agentCallGraph, [...fleet.filter((r) => r !== callers), own], { requireAgentJwt: false })).violations.map((v) => v.message).join("\n");
  assert.match(unpatched, /AgentgatewayPolicy tools\/mcp-gateway-callers names sectionName https, which no listener of it has/);
  assert.doesNotMatch(unpatched, /AgentgatewayPolicyPatch/);
});
