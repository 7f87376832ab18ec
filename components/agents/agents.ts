/**
 * Agent workloads: per agent and version a ServiceAccount (its mesh identity), a Deployment and a
 * Service whose port declares `appProtocol: agentgateway.dev/a2a`, so that agentgateway applies its
 * A2A handling (method telemetry, agent-card URL rewriting) to routes pointing at it.
 */
import type { AgentSpec, ModelSpec, PlatformSpec } from "../../infra/config";
import type { Manifest } from "../k8s/apply";
import { podSecurityContext } from "./pod-security";
import { agentHostname, agentLabels, agentSelector, agentVersionName, agentsNamespace, mcpUrl } from "./names";
import { tlsSecretName } from "./gateway";
import { agentPublicPort } from "../../infra/gateway-ports";

/** What an agent needs to know about the cluster it runs in. */
export interface AgentEnvironment {
  /** OpenAI-compatible base URL of this cluster's inference gateway (ClusterInference.openAiBaseUrl). */
  openAiBaseUrl: string;
}

/** Path of the A2A agent card (v0.3+); agentgateway also matches the older `/.well-known/agent.json`. */
export const agentCardPath = "/.well-known/agent-card.json";

export const agentResources = {
  requests: { cpu: "100m", memory: "256Mi" },
  limits: { memory: "512Mi" },
};

/**
 * Environment of an agent container. The names are the contract with agent images:
 * `OPENAI_BASE_URL`/`OPENAI_MODEL` (what the OpenAI SDKs read), `MCP_SERVER_URL` (agentgateway's
 * multiplexed MCP endpoint, the only way to its tools; set only for agents that have tools), `A2A_PORT` and `A2A_PUBLIC_URL` (the URL
 * the agent card advertises; agentgateway rewrites it for callers anyway).
 */
export function agentEnv(spec: PlatformSpec, agent: AgentSpec, version: string, model: ModelSpec, env: AgentEnvironment): { name: string; value: string }[] {
  const scheme = tlsSecretName(spec) ? "https" : "http";
  const port = agentPublicPort(spec.gateways);
  const authority = port === (scheme === "https" ? 443 : 80) ? agentHostname(spec, agent) : `${agentHostname(spec, agent)}:${port}`;
  return [
    { name: "AGENT_NAME", value: agent.name },
    { name: "AGENT_VERSION", value: version },
    { name: "A2A_PORT", value: String(agent.port) },
    { name: "A2A_PUBLIC_URL", value: `${scheme}://${authority}` },
    { name: "OPENAI_BASE_URL", value: env.openAiBaseUrl },
    { name: "OPENAI_MODEL", value: model.servedModelName },
    // Only where it exists: the MCP gateway is rendered on clusters whose agents use tools.
    ...(agent.tools.length > 0 ? [{ name: "MCP_SERVER_URL", value: mcpUrl() }] : []),
  ];
}

export function agentVersionManifests(spec: PlatformSpec, agent: AgentSpec, env: AgentEnvironment): Manifest[] {
  const model = spec.models.find((m) => m.name === agent.model);
  if (!model) throw new Error(`agent '${agent.name}': unknown model '${agent.model}'`);
  return agent.versions.flatMap((v) => {
    const name = agentVersionName(agent, v.name);
    const labels = agentLabels(agent, v.name);
    const selector = agentSelector(agent, v.name);
    const serviceAccount: Manifest = {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name, namespace: agentsNamespace, labels },
      // The mesh identity comes from ztunnel, not from a mounted token; agents never call the API server.
      automountServiceAccountToken: false,
    };
    const deployment: Manifest = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace: agentsNamespace, labels },
      spec: {
        replicas: v.replicas,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: podSecurityContext(agent.port),
            containers: [
              {
                name: "agent",
                image: v.image,
                ports: [{ name: "a2a", containerPort: agent.port, protocol: "TCP" }],
                env: agentEnv(spec, agent, v.name, model, env),
                resources: agentResources,
                startupProbe: { httpGet: { path: agentCardPath, port: "a2a" }, periodSeconds: 5, failureThreshold: 60 },
                readinessProbe: { httpGet: { path: agentCardPath, port: "a2a" }, periodSeconds: 10 },
                livenessProbe: { tcpSocket: { port: "a2a" }, periodSeconds: 20, failureThreshold: 3 },
                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
              },
            ],
          },
        },
      },
    };
    const service: Manifest = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace: agentsNamespace, labels },
      spec: {
        selector,
        ports: [{ name: "a2a", port: agent.port, targetPort: "a2a", protocol: "TCP", appProtocol: "agentgateway.dev/a2a" }],
      },
    };
    return [serviceAccount, deployment, service];
  });
}
