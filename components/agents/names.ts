/**
 * Names, labels and identities of the agent layer, computed once so that every builder (workloads,
 * routes, CEL rules, Istio policies, the call graph) agrees on them.
 */
import type { AgentSpec, PlatformSpec, ToolSpec } from "../../infra/config";
import type { Identity } from "../mesh/authz";
import { appLabels } from "../k8s/apply";
import { namespaces } from "../mesh/namespaces";

export const agentsNamespace = namespaces.agents;
export const toolsNamespace = namespaces.tools;
/** Namespace of the agentgateway controller (the chart's documented default). */
export const controllerNamespace = "agentgateway-system";

/**
 * The two agentgateway proxies. The controller names a proxy's Deployment, Service and
 * ServiceAccount after its Gateway (`controller/pkg/helm/agentgateway/templates/serviceaccount.yaml`
 * uses the Gateway name), so these are also the proxies' mesh identities.
 *  - `agent-gateway` (agents): the ingress for external A2A callers, JWT-authenticated.
 *  - `mcp-gateway` (tools): internal only; agents reach their tools through its `/mcp` endpoint.
 */
export const agentGateway = { name: "agent-gateway", namespace: agentsNamespace } as const;
export const mcpGateway = { name: "mcp-gateway", namespace: toolsNamespace } as const;
export const mcpBackendName = "mcp-tools";
export const mcpPath = "/mcp";
/** Port of the mcp-gateway's in-mesh HTTP listener (what agents call). */
export const mcpGatewayPort = 80;

/** Identity of an agentgateway proxy: the ServiceAccount the controller creates for its Gateway. */
export function gatewayIdentity(gw: { name: string; namespace: string }): Identity {
  return { namespace: gw.namespace, serviceAccount: gw.name };
}

/** `research-agent` + `v2` → `research-agent-v2`: Deployment, Service and ServiceAccount name. */
export function agentVersionName(agent: AgentSpec, version: string): string {
  return `${agent.name}-${version}`;
}

export function agentVersionIdentity(agent: AgentSpec, version: string): Identity {
  return { namespace: agentsNamespace, serviceAccount: agentVersionName(agent, version) };
}

export function toolIdentity(tool: ToolSpec): Identity {
  return { namespace: toolsNamespace, serviceAccount: tool.name };
}

export function agentLabels(agent: AgentSpec, version: string): Record<string, string> {
  return { ...appLabels({ name: agent.name, instance: agentVersionName(agent, version), version, component: "agent" }) };
}

/** Pod selector of one agent version; a subset of `agentLabels`. */
export function agentSelector(agent: AgentSpec, version: string): Record<string, string> {
  return { "app.kubernetes.io/name": agent.name, "app.kubernetes.io/instance": agentVersionName(agent, version) };
}

export function toolLabels(tool: ToolSpec): Record<string, string> {
  return appLabels({ name: tool.name, instance: tool.name, component: "mcp-tool" });
}

export function toolSelector(tool: ToolSpec): Record<string, string> {
  return { "app.kubernetes.io/name": tool.name, "app.kubernetes.io/component": "mcp-tool" };
}

/** Agents placed on a cluster (PlatformSpec.agentClusters). */
export function agentsOn(spec: PlatformSpec, cluster: string): AgentSpec[] {
  return spec.agents.filter((a) => (spec.agentClusters.get(a.name) ?? []).includes(cluster));
}

/** Tools a cluster runs: those its agents may call (a tool no local agent uses is not deployed). */
export function toolsOn(spec: PlatformSpec, cluster: string): ToolSpec[] {
  const used = new Set(agentsOn(spec, cluster).flatMap((a) => a.tools));
  return spec.tools.filter((t) => used.has(t.name));
}

/** In-cluster URL of the MCP endpoint agents use. */
export function mcpUrl(): string {
  return `http://${mcpGateway.name}.${mcpGateway.namespace}.svc.cluster.local${mcpGatewayPort === 80 ? "" : `:${mcpGatewayPort}`}${mcpPath}`;
}

/** `<label>.<agents hostname>`, a configured leading `*.` dropped: a host the agent gateway's wildcard listener serves. */
export function hostUnder(agentsHostname: string, label: string): string {
  return `${label}.${agentsHostname.replace(/^\*\./, "")}`;
}

/** Hostname external A2A callers use for an agent: `<agent>.<gateways.agents.hostname>`. */
export function agentHostname(spec: PlatformSpec, agent: AgentSpec): string {
  return hostUnder(spec.gateways.agents!.hostname, agent.name);
}
