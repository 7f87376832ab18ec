/**
 * Istio ALLOW AuthorizationPolicies of the agent layer (deny by default: a workload selected by an
 * ALLOW policy rejects every caller no rule names).
 *
 * - Each agent version admits only `agents/agent-gateway` on its A2A port.
 * - Each tool admits only `tools/mcp-gateway` and the agents the config lets use it.
 * - The inference gateway's access (an Istio policy and a NetworkPolicy, since Istio's gateways see
 *   no mesh identity) is in ../inference/gateway-access.ts; it lets this cluster's agents in.
 *
 * Where the rules sit: agentgateway's proxies dial pods directly over HBONE (like any Istio
 * ingress, they bypass waypoints unless a Service says `istio.io/ingress-use-waypoint`), so the
 * proxies' calls are checked by the destination ztunnel: principal and port rules bound by
 * `selector`, nothing L7. Where the mesh puts a waypoint in front of `tools` (ClusterMesh.waypoints),
 * in-mesh callers of a tool Service arrive through it and ztunnel only sees the waypoint's
 * identity; the tool's ztunnel policy then admits mcp-gateway and the waypoint, and the agents'
 * rule moves to the waypoint (`targetRefs` to the tool's Service, L7: MCP methods on its path).
 * `allowPolicy` refuses L7 fields on a selector.
 */
import type { AgentSpec, PlatformSpec, ToolSpec } from "../../infra/config";
import type { Manifest } from "../k8s/apply";
import { allowPolicy } from "../mesh/authz";
import { agentGateway, agentSelector, agentVersionName, agentsNamespace, gatewayIdentity, mcpGateway, toolSelector, toolsNamespace } from "./names";
import { toolCallers } from "./security";
import { inferenceGatewayAccess } from "../inference/gateway-access";

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

/** Waypoint names by namespace (ClusterMesh.waypoints); a waypoint's ServiceAccount is its name. */
export type Waypoints = Map<string, string>;

/** HTTP methods of MCP streamable HTTP: POST requests, GET streams, DELETE ends a session. */
export const mcpMethods = ["POST", "GET", "DELETE"];

export function toolPolicies(spec: PlatformSpec, agents: AgentSpec[], tools: ToolSpec[], waypoints: Waypoints = new Map()): Manifest[] {
  const callers = toolCallers(agents);
  const waypoint = waypoints.get(toolsNamespace);
  return tools.flatMap((t) => {
    const agentsOfTool = callers.get(t.name) ?? [];
    const base = { namespace: toolsNamespace, trustDomain: spec.mesh.trustDomain, labels: labels(t.name) };
    if (!waypoint) {
      return [allowPolicy({ ...base, name: t.name, target: { selector: toolSelector(t) }, rules: [{ from: [gatewayIdentity(mcpGateway), ...agentsOfTool], ports: [t.port] }] })];
    }
    const viaWaypoint = { namespace: toolsNamespace, serviceAccount: waypoint };
    return [
      allowPolicy({ ...base, name: t.name, target: { selector: toolSelector(t) }, rules: [{ from: [gatewayIdentity(mcpGateway), viaWaypoint], ports: [t.port] }] }),
      ...(agentsOfTool.length
        ? [
            allowPolicy({
              ...base,
              name: `${t.name}-agents`,
              target: { targetRefs: [{ group: "", kind: "Service", name: t.name }] },
              rules: [{ from: agentsOfTool, methods: mcpMethods, paths: [t.path] }],
            }),
          ]
        : []),
    ];
  });
}

export function authorizationManifests(
  spec: PlatformSpec,
  agents: AgentSpec[],
  tools: ToolSpec[],
  waypoints: Waypoints = new Map(),
): Manifest[] {
  return [...agentPolicies(spec, agents), ...toolPolicies(spec, agents, tools, waypoints), ...(agents.length ? inferenceGatewayAccess(spec, agents) : [])];
}
