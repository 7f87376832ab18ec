/**
 * The two Gateways of class `agentgateway` and their AgentgatewayParameters.
 *
 * - `agents/agent-gateway`: the ingress for A2A callers from outside (HTTPS, one hostname per agent
 *   under `gateways.agents.hostname`), JWT-authenticated (security.ts). With the Istio integration
 *   on it dials agent pods over HBONE with its own workload identity, so the agents' ztunnels can
 *   admit exactly this identity.
 * - `tools/mcp-gateway`: in-mesh only (ClusterIP). It terminates HBONE itself (listener `hbone` on
 *   15008 plus the pod label `networking.istio.io/tunnel: http`, without which callers' ztunnels
 *   send plaintext and CEL sees no `source.identity`), so the per-tool CEL rules can match the
 *   calling agent's ServiceAccount.
 *
 * The controller labels Istio-integrated proxy pods `istio.io/dataplane-mode: none` itself
 * (controller/pkg/helm/agentgateway/templates/_helpers.tpl), so ztunnel never double-captures them.
 * Both proxies' Services opt out of their namespace's waypoint (`istio.io/use-waypoint: none`,
 * through `infrastructure.labels`, which the controller copies onto the Service and pods): a
 * waypoint in front of mcp-gateway would forward agents' calls with the waypoint's identity, and
 * the per-tool CEL rules would see the waypoint instead of the agent.
 */
import type { ClusterSpec, PlatformSpec } from "../../infra/config";
import type { Manifest } from "../k8s/apply";
import { appLabels } from "../k8s/apply";
import { agentGateway, mcpGateway, mcpGatewayPort, hostUnder } from "./names";
import { agentPublicPort } from "../../infra/gateway-ports";

export const gatewayClassName = "agentgateway";
/** Secret holding the self-signed certificate when `gateways.agents.tls.mode` is `selfSigned`; never the user's (see the inference gateway's). */
export const selfSignedSecretName = "agent-gateway-self-signed";

/** Callers reach the proxy directly, never through a waypoint. */
export const noWaypoint = { "istio.io/use-waypoint": "none" } as const;

function gatewayLabels(name: string, version: string): Record<string, string> {
  return appLabels({ name, instance: name, version, component: "gateway" });
}

/** The external listener's hostname: a wildcard under the configured agents hostname. */
export function listenerHostname(spec: PlatformSpec): string {
  return hostUnder(spec.gateways.agents!.hostname, "*");
}

/** Name of the Secret the HTTPS listener serves, or undefined for plain HTTP (`tls.mode: none`). */
export function tlsSecretName(spec: PlatformSpec): string | undefined {
  const tls = spec.gateways.agents!.tls;
  if (tls.mode === "none") return undefined;
  return tls.mode === "secret" ? tls.secretName : selfSignedSecretName;
}

/** Listener name external routes attach to. */
export function externalListenerName(spec: PlatformSpec): "https" | "http" {
  return tlsSecretName(spec) ? "https" : "http";
}

export function agentGatewayManifest(spec: PlatformSpec): Manifest {
  const secret = tlsSecretName(spec);
  const port = agentPublicPort(spec.gateways);
  const listener = secret
    ? {
        name: "https",
        port,
        protocol: "HTTPS",
        hostname: listenerHostname(spec),
        tls: { mode: "Terminate", certificateRefs: [{ group: "", kind: "Secret", name: secret }] },
        allowedRoutes: { namespaces: { from: "Same" } },
      }
    : { name: "http", port, protocol: "HTTP", hostname: listenerHostname(spec), allowedRoutes: { namespaces: { from: "Same" } } };
  return agentgatewayGateway(spec, agentGateway, {}, [listener]);
}

export function mcpGatewayManifest(spec: PlatformSpec): Manifest {
  return agentgatewayGateway(spec, mcpGateway, { "networking.istio.io/tunnel": "http" }, [
    { name: "http", port: mcpGatewayPort, protocol: "HTTP", allowedRoutes: { namespaces: { from: "Same" } } },
    // HBONE_GATEWAY: inbound HBONE is terminated and dispatched to the listeners above.
    { name: "hbone", port: 15008, protocol: "HBONE" },
  ]);
}

/** A Gateway of class agentgateway whose proxy skips the namespace waypoint and takes its own parameters. */
function agentgatewayGateway(
  spec: PlatformSpec,
  ref: { name: string; namespace: string },
  proxyLabels: Record<string, string>,
  listeners: Record<string, unknown>[],
): Manifest {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name: ref.name, namespace: ref.namespace, labels: gatewayLabels(ref.name, spec.versions.agentgateway) },
    spec: {
      gatewayClassName,
      infrastructure: {
        labels: { ...noWaypoint, ...proxyLabels },
        parametersRef: { group: "agentgateway.dev", kind: "AgentgatewayParameters", name: ref.name },
      },
      listeners,
    },
  };
}

/** Istio integration of one proxy: identity from istiod, in this cluster's mesh network. */
export function istioParameters(spec: PlatformSpec, cluster: ClusterSpec): Record<string, unknown> {
  return { enabled: true, trustDomain: spec.mesh.trustDomain, clusterId: cluster.name, network: cluster.network };
}

/** Proxy replicas: two wherever the stack spans clusters (the production shape), else one. */
export function proxyReplicas(spec: PlatformSpec): number {
  return spec.multiCluster ? 2 : 1;
}

export function parametersManifests(spec: PlatformSpec, cluster: ClusterSpec): Manifest[] {
  const params = (gw: { name: string; namespace: string }, extra: Record<string, unknown>): Manifest => ({
    apiVersion: "agentgateway.dev/v1alpha1",
    kind: "AgentgatewayParameters",
    metadata: { name: gw.name, namespace: gw.namespace, labels: gatewayLabels(gw.name, spec.versions.agentgateway) },
    spec: {
      istio: istioParameters(spec, cluster),
      deployment: { spec: { replicas: proxyReplicas(spec) } },
      logging: { format: "json" },
      ...extra,
    },
  });
  return [
    params(agentGateway, {}),
    // In-mesh only: agents reach it by Service name; nothing outside the cluster may.
    params(mcpGateway, { service: { spec: { type: "ClusterIP" } } }),
  ];
}

/** Everything gateway-shaped on one cluster, parameters before the Gateways that reference them. */
export function gatewayManifests(spec: PlatformSpec, cluster: ClusterSpec): Manifest[] {
  return [...parametersManifests(spec, cluster), agentGatewayManifest(spec), mcpGatewayManifest(spec)];
}
