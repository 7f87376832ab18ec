/**
 * agent-call-graph reads a policy's or an AgentgatewayBackend's backendRefs only in the fields
 * agentgateway v1.4.1's controller resolves (policy/lib/agw-policy-backend-fields.ts:
 * plugins/traffic_plugin.go referencedBackendRefsFromPolicy, BackendReferencesFromBackendPolicy;
 * syncer/backend/backend_plugin.go BuildAgwBackendReferences): a backendRef elsewhere attaches
 * nothing by PolicyAttachments, so a policy on the backend it names attaches to nothing.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { runStack } from "../support/policy";
import { on } from "./authz-support";

const GW = "gateway.networking.k8s.io";
const AGW = "agentgateway.dev";
const POLICY = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy";
const BACKEND = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend";
const agentGateway = on(`kubernetes:${GW}/v1:Gateway`, "agents-gw-agent-gateway", {
  metadata: { name: "agent-gateway", namespace: "agents" },
  spec: { gatewayClassName: "agentgateway", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] },
});
const agents = on("kubernetes:core/v1:Namespace", "ns-agents", { metadata: { name: "agents" } });
const llm = on(BACKEND, "agents-agbe-llm", { metadata: { name: "llm", namespace: "agents" }, spec: { static: { host: "llm.example.com", port: 443 } } });
const toLlm = { group: AGW, kind: "AgentgatewayBackend", name: "llm" };
/** A backend policy on AgentgatewayBackend llm whose ext authorization calls a Service the stack does not render: reported wherever llm is reached. */
const onLlm = on(POLICY, "agents-on-llm", {
  metadata: { name: "on-llm", namespace: "agents" },
  spec: { targetRefs: [{ group: AGW, kind: "AgentgatewayBackend", name: "llm" }], backend: { extAuth: { backendRef: { name: "ext-authz", port: 9000 }, grpc: {} } } },
});
/** A policy on the agent Gateway with `spec` (besides its target). */
const onGateway = (spec: Record<string, unknown>) => on(POLICY, `agents-gw-policy-${JSON.stringify(spec)}`, { metadata: { name: "gw-policy", namespace: "agents" }, spec: { targetRefs: [{ group: GW, kind: "Gateway", name: "agent-gateway" }], ...spec } });
/** An AgentgatewayBackend the agent gateway routes to, with `spec`. */
const routed = (spec: Record<string, unknown>) => [
  on(BACKEND, `agents-agbe-mcp-${JSON.stringify(spec)}`, { metadata: { name: "mcp", namespace: "agents" }, spec }),
  on(`kubernetes:${GW}/v1:HTTPRoute`, "agents-route-mcp", { metadata: { name: "mcp", namespace: "agents" }, spec: { parentRefs: [{ name: "agent-gateway" }], rules: [{ backendRefs: [{ group: AGW, kind: "AgentgatewayBackend", name: "mcp", port: 80 }] }] } }),
];
const run = async (...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [agentGateway, agents, llm, onLlm, ...extra], { requireAgentJwt: false })).violations.map((v) => v.message);
const reported = /^AgentgatewayPolicy agents\/on-llm on cluster a: its backend\.extAuth\.backendRef names a Service agents\/ext-authz/;

test("agent-call-graph: a backendRef in a field agentgateway v1.4.1 resolves attaches what it names (PolicyAttachments); one in any other field attaches nothing", async () => {
  const tunnel = { tunnel: { backendRef: toLlm } };
  for (const [what, extra] of [
    ["a Gateway policy's frontend.accessLog.otlp", [onGateway({ frontend: { accessLog: { otlp: { backendRef: toLlm } } } })]],
    ["a Gateway policy's frontend.tracing", [onGateway({ frontend: { tracing: { backendRef: toLlm } } })]],
    ["a Gateway policy's traffic.rateLimit conditional global", [onGateway({ traffic: { rateLimit: { conditional: [{ condition: "true", policy: { global: { backendRef: toLlm, domain: "d", failureMode: "FailOpen" } } }] } } })]],
    ["a routed backend's own MCP guardrails processor", routed({ mcp: { targets: [] }, policies: { mcp: { guardrails: { processors: [{ remote: { backendRef: toLlm, failureMode: "FailOpen" }, methods: { "tools/call": "Request" } }] } } } })],
    ["a routed backend's AI provider group's prompt-guard webhook", routed({ ai: { groups: [{ providers: [{ name: "p", openai: {}, policies: { ai: { promptGuard: { request: [{ webhook: { backendRef: toLlm } }] } } } }] }] } })],
    ["a routed backend's static MCP target's tunnel", routed({ mcp: { targets: [{ name: "t", static: { host: "t.example.com", port: 80, policies: tunnel } }] } })],
  ] as const) {
    const found = await run(...extra);
    assert.equal(found.length, 1, `${what}: ${found.join("\n")}`);
    assert.match(found[0], reported, what);
  }
  for (const [what, extra] of [
    ["a Gateway policy's frontend.accessLog without otlp", [onGateway({ frontend: { accessLog: { backendRef: toLlm } } })]],
    ["a Gateway policy's traffic.authorization", [onGateway({ traffic: { authorization: { action: "Allow", policy: { matchExpressions: ["true"] }, backendRef: toLlm } } })]],
    ["a Gateway policy's concrete extProc beside conditional entries (only the entries are read)", [onGateway({ traffic: { extProc: { backendRef: toLlm, failureMode: "FailOpen", conditional: [{ condition: "true", policy: { backendRef: { name: "ext-proc", port: 9000 }, failureMode: "FailOpen" } }] } } })]],
    ["a routed backend's static MCP target's own backendRef under policies.extAuth (a static target's policies are BackendSimple)", routed({ mcp: { targets: [{ name: "t", static: { host: "t.example.com", port: 80, policies: { extAuth: { backendRef: toLlm } } } }] } })],
    ["a routed backend's AI provider group policies' extAuth (not read for a provider)", routed({ ai: { groups: [{ providers: [{ name: "p", openai: {}, policies: { extAuth: { backendRef: toLlm } } }] }] } })],
  ] as const) {
    assert.deepEqual(await run(...extra), [], what);
  }
});
