/**
 * agent-call-graph on AI prompt guards whose webhook backendRef names a Service the cluster does not
 * have: agentgateway v1.4.1 drops the whole request or response guard list of the policy
 * (plugins/ai_policies.go processRequestGuard, backend_policies.go translateBackendAI), and refuses an
 * AgentgatewayBackend whose own policies hold one (policy/lib/agw-policy-backend-refs.ts).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { runStack } from "../support/policy";
import { on } from "./authz-support";

const GW = "gateway.networking.k8s.io";
const AGW = "agentgateway.dev";
const BACKEND = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend";
const agentGateway = on(`kubernetes:${GW}/v1:Gateway`, "agents-gw-agent-gateway", {
  metadata: { name: "agent-gateway", namespace: "agents" },
  spec: { gatewayClassName: "agentgateway", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] },
});
const agents = on("kubernetes:core/v1:Namespace", "ns-agents", { metadata: { name: "agents" } });
const llm = (policies?: Record<string, unknown>) => on(BACKEND, `agents-agbe-llm-${JSON.stringify(policies)}`, { metadata: { name: "llm", namespace: "agents" }, spec: { ai: { provider: { openai: {} } }, ...(policies ? { policies } : {}) } });
const routeToLlm = on(`kubernetes:${GW}/v1:HTTPRoute`, "agents-route-llm", { metadata: { name: "llm", namespace: "agents" }, spec: { parentRefs: [{ name: "agent-gateway" }], rules: [{ backendRefs: [{ group: AGW, kind: "AgentgatewayBackend", name: "llm", port: 80 }] }] } });
const webhook = (failureMode?: string) => ({ webhook: { backendRef: { name: "guard", port: 8000 }, ...(failureMode ? { failureMode } : {}) } });
const guarded = (promptGuard: Record<string, unknown>) =>
  on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy", `agents-guard-${JSON.stringify(promptGuard)}`, { metadata: { name: "guarded", namespace: "agents" }, spec: { targetRefs: [{ group: AGW, kind: "AgentgatewayBackend", name: "llm" }], backend: { ai: { promptGuard } } } });
const run = async (...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [agentGateway, agents, ...extra], { requireAgentJwt: false })).violations.map((v) => v.message);

test("agent-call-graph: a prompt guard's webhook calling a missing Service drops its whole guard list (every guard off), whatever the failureMode; on an AgentgatewayBackend's own policies it drops the backend", async () => {
  for (const [phase, failureMode] of [["request", undefined], ["request", "FailOpen"], ["response", "FailClosed"]] as const) {
    const found = await run(llm(), routeToLlm, guarded({ [phase]: [{ regex: { action: "Reject", matches: ["secret"] } }, webhook(failureMode)] }));
    assert.equal(found.length, 1, found.join("\n"));
    assert.match(found[0], new RegExp(`^AgentgatewayPolicy agents/guarded on cluster a: its backend\\.ai\\.promptGuard\\.${phase}\\[1\\]\\.webhook\\.backendRef names a Service agents/guard the cluster does not have .*: the controller drops the policy's whole ${phase} prompt guard list, every guard in it .* so the backends the policy targets take LLM ${phase}s unguarded`));
  }
  // Rendered, or the backend no route reaches: no verdict.
  const guard = on("kubernetes:core/v1:Service", "agents-svc-guard", { metadata: { name: "guard", namespace: "agents" }, spec: { ports: [{ port: 8000 }] } });
  assert.deepEqual(await run(llm(), routeToLlm, guard, guarded({ request: [webhook()] })), []);
  assert.deepEqual(await run(llm(), guarded({ request: [webhook()] })), []);
  const refused = await run(llm({ ai: { promptGuard: { response: [webhook("FailOpen")] } } }), routeToLlm);
  assert.equal(refused.length, 1, refused.join("\n"));
  assert.match(refused[0], /^AgentgatewayBackend agents\/llm on cluster a: its spec\.policies\.ai\.promptGuard\.response\[0\]\.webhook\.backendRef names a Service agents\/guard .*the controller refuses the whole AgentgatewayBackend/);
});
