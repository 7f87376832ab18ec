/**
 * Istio ALLOW AuthorizationPolicies of the agent layer (deny by default: a workload selected by an
 * ALLOW policy rejects every caller no rule names).
 *
 * - Each agent version admits only `agents/agent-gateway` on its A2A port.
 * - Each tool admits only `tools/mcp-gateway` and the agents the config lets use it.
 * - The inference gateway admits only the agents of its cluster and the ingress (callers from
 *   outside the mesh at its public listener).
 *
 * Where the rules sit: agentgateway's proxies dial pods directly over HBONE (like any Istio
 * ingress, they bypass waypoints unless a Service says `istio.io/ingress-use-waypoint`), so the
 * enforcement point for agent and tool pods is their ztunnel, which takes principal and port rules
 * bound by `selector` and nothing L7. The inference gateway's policy attaches to the Gateway through
 * `targetRefs`. No rule here uses L7 fields, so none needs a waypoint; `allowPolicy` refuses L7
 * fields on a selector.
 */
import type { AgentSpec, PlatformSpec, ToolSpec } from "../../infra/config";
import type { Manifest } from "../k8s/apply";
import { allowPolicy, Identity } from "../mesh/authz";
import { agentGateway, agentSelector, agentVersionIdentity, agentVersionName, agentsNamespace, gatewayIdentity, mcpGateway, toolSelector, toolsNamespace } from "./names";
import { toolCallers } from "./security";

/** The inference gateway of one cluster, as the inference layer names it. */
export interface InferenceGatewayRef {
  name: string;
  namespace: string;
  serviceAccount: Identity;
}

function labels(name: string): Record<string, string> {
  return { "app.kubernetes.io/name": name, "app.kubernetes.io/component": "authorization", "app.kubernetes.io/part-of": "inference-mesh", "app.kubernetes.io/managed-by": "pulumi" };
}

export function agentPolicies(spec: PlatformSpec, agents: AgentSpec[]): Manifest[] {
  return agents.flatMap((a) =>
    a.versions.map((v) =>
      allowPolicy({
        name: agentVersionName(a, v.name),
        namespace: agentsNamespace,
        trustDomain: spec.mesh.trustDomain,
        target: { selector: agentSelector(a, v.name) },
        rules: [{ from: [gatewayIdentity(agentGateway)], ports: [a.port] }],
        labels: labels(agentVersionName(a, v.name)),
      }),
    ),
  );
}

export function toolPolicies(spec: PlatformSpec, agents: AgentSpec[], tools: ToolSpec[]): Manifest[] {
  const callers = toolCallers(agents);
  return tools.map((t) =>
    allowPolicy({
      name: t.name,
      namespace: toolsNamespace,
      trustDomain: spec.mesh.trustDomain,
      target: { selector: toolSelector(t) },
      rules: [{ from: [gatewayIdentity(mcpGateway), ...(callers.get(t.name) ?? [])], ports: [t.port] }],
      labels: labels(t.name),
    }),
  );
}

export function inferenceGatewayPolicy(spec: PlatformSpec, agents: AgentSpec[], gw: InferenceGatewayRef): Manifest {
  const agentIds = agents.flatMap((a) => a.versions.map((v) => agentVersionIdentity(a, v.name)));
  return allowPolicy({
    name: `${gw.name}-callers`,
    namespace: gw.namespace,
    trustDomain: spec.mesh.trustDomain,
    target: { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: gw.name }] },
    rules: [{ from: agentIds }, { from: [], unauthenticated: true }],
    labels: labels(`${gw.name}-callers`),
  });
}

export function authorizationManifests(spec: PlatformSpec, agents: AgentSpec[], tools: ToolSpec[], inferenceGateway: InferenceGatewayRef): Manifest[] {
  return [...agentPolicies(spec, agents), ...toolPolicies(spec, agents, tools), ...(agents.length ? [inferenceGatewayPolicy(spec, agents, inferenceGateway)] : [])];
}
