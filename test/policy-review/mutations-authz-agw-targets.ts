/** Policy-review mutations of what the agentgateway proxies' policies target: targets the CRD refuses, so the policy never lands; registered in mutations-authz.ts. */
import { Mutation, isKind, withSpec, onFirst } from "./mutations-support";

/** The MCP gateway's per-tool authorization (AgentgatewayPolicy backend.mcp.authorization in tools). */
const perToolAuthorization = (r: Parameters<typeof withSpec>[0]) => isKind(r, "AgentgatewayPolicy") && (r.inputs as any)?.metadata?.namespace === "tools" && !!withSpec(r).backend?.mcp?.authorization;

export const authzAgentgatewayTargetMutations: Mutation[] = [
  {
    // agentgateway v1.4.1's CRD lists the (group, kind) pairs targetRefs take: kgateway's old `Backend` is none, so the API server refuses the policy.
    name: "the MCP gateway's per-tool authorization aimed at kgateway's old kind Backend (the CRD refuses the target, so every agent may use every tool)",
    policy: "agent-call-graph",
    apply: (doc) => onFirst(doc, perToolAuthorization, (o) => (o.spec.targetRefs = o.spec.targetRefs.map((ref: any) => (ref.kind === "AgentgatewayBackend" ? { ...ref, kind: "Backend" } : ref)))),
  },
];
