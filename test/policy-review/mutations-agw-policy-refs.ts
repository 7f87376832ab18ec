/**
 * Policy-review mutations of backendRefs inside agentgateway's own objects beyond ext authorization,
 * tunnels and JWKS (mutations-route-refs.ts has those): MCP guardrails whose policy server the stack
 * does not render (FailOpen: the guardrails guard nothing), an AI prompt guard's webhook it does not
 * render (on the backend's own policies: the backend refused), and a backendRef of an
 * AgentgatewayBackend's own policies into another namespace, where the cluster's agentgateway
 * controller runs with AGW_BACKEND_REF_GRANT_MODE route-and-policy and no ReferenceGrant there opens
 * it (agentgateway v1.4.1 refuses it as a missing backend, so the whole AgentgatewayBackend is refused).
 */
import type { ExportedResource } from "../../scripts/lib/review-wire";
import { Mutation, resources, isKind, edit, withSpec, onFirst } from "./mutations-support";

export const agwPolicyRefMutations: Mutation[] = [
  {
    // agentgateway v1.4.1 translateBackendMCPGuardrails keeps the processor with no target (BuildBackendRef); the proxy's gRPC call fails and FailOpen passes it (mcp/guardrails/client.rs on_grpc_error).
    name: "the per-tool authorization policy given FailOpen backend.mcp.guardrails on tools/call whose policy server's backendRef names a Service the stack does not render in tools (guardrails)",
    policy: "agent-call-graph",
    apply: (doc) =>
      onFirst(
        doc,
        (r) => isKind(r, "AgentgatewayPolicy") && !!withSpec(r).backend?.mcp?.authorization && (r.inputs as any).metadata.namespace === "tools",
        (o) => (o.spec.backend.mcp.guardrails = { processors: [{ remote: { backendRef: { name: "guardrails", port: 9000 }, failureMode: "FailOpen" }, methods: { "tools/call": "Request" } }] }),
      ),
  },
  {
    // agentgateway v1.4.1 processRequestGuard fails on processWebhook (BuildBackendRef), an error of the backend's inline policy that refuses the whole backend (TranslateAgwBackend).
    name: "the LLM AgentgatewayBackend given its own spec.policies.ai.promptGuard request webhook whose backendRef names a Service the stack does not render in agents (prompt-guard)",
    policy: "agent-call-graph",
    apply: (doc) =>
      onFirst(
        doc,
        (r) => isKind(r, "AgentgatewayBackend") && !!withSpec(r).ai && (r.inputs as any).metadata.namespace === "agents",
        (o) => (o.spec.policies = { ...o.spec.policies, ai: { ...o.spec.policies?.ai, promptGuard: { request: [{ webhook: { backendRef: { name: "prompt-guard", port: 8000 } } }] } } }),
      ),
  },
  {
    // agentgateway v1.4.1 api/settings/settings.go RequirePolicyBackendGrant; plugins/traffic_plugin.go BuildBackendRef → checkBackendRefGrant, an error that refuses the backend (TranslateAgwBackend).
    name: "the MCP AgentgatewayBackend given its own spec.policies.extAuth calling a Service of agents, under the cluster's agentgateway controller at AGW_BACKEND_REF_GRANT_MODE route-and-policy with no ReferenceGrant in agents",
    policy: "agent-call-graph",
    apply: (doc) => {
      const mcp = resources(doc).find((r) => isKind(r, "AgentgatewayBackend") && !!withSpec(r).mcp && (r.inputs as any)?.metadata?.namespace === "tools");
      const same = (r: ExportedResource) => !!mcp && r.provider === mcp.provider;
      const release = resources(doc).find((r) => same(r) && r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.name === "agentgateway");
      const service = resources(doc).find((r) => same(r) && isKind(r, "Service") && (r.inputs as any)?.metadata?.namespace === "agents" && withSpec(r).ports?.length > 0);
      if (!mcp || !release || !service) return undefined;
      edit(release, (o) => (o.values.controller = { ...o.values.controller, extraEnv: { ...o.values.controller?.extraEnv, AGW_BACKEND_REF_GRANT_MODE: "route-and-policy" } }));
      const { name } = (service.inputs as any).metadata;
      const port = withSpec(service).ports[0].port;
      return edit(mcp, (o) => (o.spec.policies = { ...o.spec.policies, extAuth: { backendRef: { name, namespace: "agents", port }, grpc: {}, failureMode: "FailOpen" } }));
    },
  },
];
