/**
 * Policy-review mutations of the backendRefs inside agentgateway's own objects that its controller's
 * settings decide: a backendRef of an AgentgatewayBackend's own policies into another namespace, where
 * the cluster's agentgateway controller runs with AGW_BACKEND_REF_GRANT_MODE route-and-policy and no
 * ReferenceGrant there opens it (agentgateway v1.4.1 refuses it as a missing backend, so the whole
 * AgentgatewayBackend is refused).
 */
import type { ExportedResource } from "../../scripts/lib/review-wire";
import { Mutation, resources, isKind, edit, withSpec } from "./mutations-support";

export const agwPolicyRefMutations: Mutation[] = [
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
