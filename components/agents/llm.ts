/**
 * LLM routes on the agent gateway: callers outside the cluster, authenticated by the gateway's
 * JWT policy (security.ts), send OpenAI-compatible requests to `<llm.subdomain>.<agents hostname>`
 * and agentgateway forwards them to this cluster's inference gateway, whose body-based router and
 * endpoint pickers choose the model server. Agents inside call the inference gateway directly.
 *
 * Facts from agentgateway v1.4.1:
 * - an `ai.provider.openai` backend with `host`/`port` set talks plain HTTP to that address (a host
 *   override turns the provider's TLS default off), keeps the caller's path and `model` (no
 *   `openai.model`, so the inference gateway still routes on the model the caller asked for), sends
 *   the override host as Host (which the inference gateway's in-mesh listener serves) and no API key;
 * - `policies.ai.routes` tells it how to read each path (suffix match): chat completions are parsed
 *   (token counts, limits, telemetry), legacy completions pass as they are with token accounting
 *   (`Detect`: agentgateway has no parser for them);
 * - the proxy dials the inference gateway's Service directly, without HBONE (the gateway's pods are
 *   outside the ambient data plane), so the inference gateway's NetworkPolicy must admit the
 *   agent-gateway pods on its in-mesh port (../inference/gateway-access.ts does when this is on);
 * - a local rate limit counts tokens per proxy replica; they are known only once a response ends,
 *   so the budget holds back later requests, not the one that spends it.
 */
import type { PlatformSpec } from "../../infra/config";
import { inferenceMeshPort } from "../../infra/gateway-ports";
import type { Manifest } from "../k8s/apply";
import { appLabels } from "../k8s/apply";
import { gatewayClusterHost } from "../inference/names";
import { externalListenerName } from "./gateway";
import { agentGateway, agentsNamespace, hostUnder } from "./names";

export const llmBackendName = "inference-gateway";
export const llmTokenLimitName = "llm-token-limit";
/** The OpenAI paths the LLM routes serve, and how agentgateway reads each. */
export const llmPaths = { "/v1/chat/completions": "Completions", "/v1/completions": "Detect" } as const;

const labels = (component: string) => appLabels({ name: "llm", instance: "llm", component });

/** Whether the LLM routes are rendered (an agent gateway exists and they are not turned off). */
export function llmRoutesEnabled(spec: PlatformSpec): boolean {
  return spec.agents.length > 0 && !!spec.gateways.agents?.llm.enabled;
}

/**
 * The HTTPRoute's name: its host label, as each agent's route is named after its own (so the
 * config rule that keeps agents off the LLM host also keeps their routes apart).
 */
export function llmRouteName(spec: PlatformSpec): string {
  return spec.gateways.agents!.llm.subdomain;
}

/** `llm.agents.example.com`: the host the LLM routes answer. */
export function llmHostname(spec: PlatformSpec): string {
  const agents = spec.gateways.agents!;
  return hostUnder(agents.hostname, agents.llm.subdomain);
}

export function llmBackendManifest(): Manifest {
  return {
    apiVersion: "agentgateway.dev/v1alpha1",
    kind: "AgentgatewayBackend",
    metadata: { name: llmBackendName, namespace: agentsNamespace, labels: labels("llm-backend") },
    spec: {
      ai: { provider: { openai: {}, host: gatewayClusterHost, port: inferenceMeshPort } },
      policies: { ai: { routes: { ...llmPaths } } },
    },
  };
}

export function llmRouteManifest(spec: PlatformSpec): Manifest {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: llmRouteName(spec), namespace: agentsNamespace, labels: labels("llm-route") },
    spec: {
      parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: agentGateway.name, namespace: agentGateway.namespace, sectionName: externalListenerName(spec) }],
      hostnames: [llmHostname(spec)],
      rules: [
        {
          matches: Object.keys(llmPaths).map((value) => ({ path: { type: "Exact", value } })),
          backendRefs: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: llmBackendName }],
        },
      ],
    },
  };
}

/** The token budget per agent-gateway replica (`gateways.agents.llm.tokensPerMinute`), when set. */
export function llmTokenLimitManifest(spec: PlatformSpec): Manifest | undefined {
  const tokens = spec.gateways.agents?.llm.tokensPerMinute;
  if (tokens === undefined) return undefined;
  return {
    apiVersion: "agentgateway.dev/v1alpha1",
    kind: "AgentgatewayPolicy",
    metadata: { name: llmTokenLimitName, namespace: agentsNamespace, labels: labels("llm-token-limit") },
    spec: {
      targetRefs: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: llmRouteName(spec) }],
      traffic: { rateLimit: { local: [{ tokens, unit: "Minutes" }] } },
    },
  };
}

/** Every object of the LLM routes on one cluster (none when they are off). */
export function llmManifests(spec: PlatformSpec): Manifest[] {
  if (!llmRoutesEnabled(spec)) return [];
  const limit = llmTokenLimitManifest(spec);
  return [llmBackendManifest(), llmRouteManifest(spec), ...(limit ? [limit] : [])];
}
