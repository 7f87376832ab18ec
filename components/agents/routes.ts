/**
 * Routes on the agentgateway proxies.
 *
 * - One HTTPRoute per agent on `agent-gateway`, matched by hostname (`<agent>.<agents hostname>`)
 *   rather than by sub-path: agentgateway v1.4.1 rewrites A2A agent-card URLs wrongly under path
 *   rewrites and sub-paths (fixed in v1.5.0, #2981/#2983; regression #3500). Rule 1 sends
 *   `x-canary: true` to the canary version; rule 2 splits everything else by the configured weights.
 *   Gateway API picks the most specific match, and a header match outranks a bare path match, so
 *   the header rule wins regardless of order; it is listed first for readers.
 * - One HTTPRoute on `mcp-gateway` sending `/mcp` to the MCP backend (backend.ts).
 */
import type { AgentSpec, PlatformSpec } from "../../infra/config";
import type { Manifest } from "../k8s/apply";
import { appLabels } from "../k8s/apply";
import { agentGateway, agentHostname, agentVersionName, agentsNamespace, mcpBackendName, mcpGateway, mcpPath } from "./names";
import { externalListenerName } from "./gateway";

export const canaryHeader = "x-canary";

interface BackendRef {
  group?: string;
  kind?: string;
  name: string;
  port?: number;
  weight?: number;
}

export interface RouteRule {
  matches: Record<string, unknown>[];
  backendRefs: BackendRef[];
}

/** The two rules of an agent's route: canary header first, then the weighted split. */
export function agentRouteRules(agent: AgentSpec): RouteRule[] {
  const ref = (version: string, weight: number): BackendRef => ({
    kind: "Service",
    name: agentVersionName(agent, version),
    port: agent.port,
    weight,
  });
  const canary = agent.versions.find((v) => v.canary);
  const headerRule: RouteRule[] = canary
    ? [{ matches: [{ headers: [{ type: "Exact", name: canaryHeader, value: "true" }] }], backendRefs: [ref(canary.name, 1)] }]
    : [];
  const split: RouteRule = {
    matches: [{ path: { type: "PathPrefix", value: "/" } }],
    // By version name: reordering `versions` in the config is no change to the route.
    backendRefs: [...agent.versions].sort((a, b) => (a.name < b.name ? -1 : 1)).map((v) => ref(v.name, v.weight)),
  };
  return [...headerRule, split];
}

export function agentRouteManifest(spec: PlatformSpec, agent: AgentSpec): Manifest {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: {
      name: agent.name,
      namespace: agentsNamespace,
      labels: appLabels({ name: agent.name, instance: agent.name, component: "agent-route" }),
    },
    spec: {
      parentRefs: [
        {
          group: "gateway.networking.k8s.io",
          kind: "Gateway",
          name: agentGateway.name,
          namespace: agentGateway.namespace,
          sectionName: externalListenerName(spec),
        },
      ],
      hostnames: [agentHostname(spec, agent)],
      rules: agentRouteRules(agent),
    },
  };
}

export function mcpRouteManifest(): Manifest {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: {
      name: "mcp",
      namespace: mcpGateway.namespace,
      labels: appLabels({ name: "mcp", instance: "mcp", component: "mcp-route" }),
    },
    spec: {
      parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: mcpGateway.name, namespace: mcpGateway.namespace, sectionName: "http" }],
      rules: [
        {
          matches: [{ path: { type: "PathPrefix", value: mcpPath } }],
          backendRefs: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: mcpBackendName }],
        },
      ],
    },
  };
}
