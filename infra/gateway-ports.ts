/**
 * The public ports of the two gateways, from config alone: the gateways' listeners, the agents'
 * advertised URL, the k3s firewall and config validation all need the same numbers.
 */
import type { ClusterSpec, PlatformConfig } from "./schema";

type Gateways = PlatformConfig["gateways"];

/** The inference gateway's public listener: HTTPS 443, or HTTP 80 with `tls.mode: none`. */
export function inferencePublicPort(gateways: Gateways): number {
  const inference = gateways.inference;
  if (!inference) throw new Error("gateways.inference is not configured");
  return inference.tls?.mode === "none" ? 80 : 443;
}

/** The inference gateway's in-mesh `http-mesh` listener (same Service, so the same load balancer). */
export const inferenceMeshPort = 80;

/** The agent gateway's public listener: `gateways.agents.port`, else 443 with TLS and 80 without. */
export function agentPublicPort(gateways: Gateways): number {
  const agents = gateways.agents;
  if (!agents) throw new Error("gateways.agents is not configured");
  return agents.port ?? (agents.tls?.mode === "none" ? 80 : 443);
}

/**
 * Whether the cluster's LoadBalancer Services go through k3s ServiceLB (k3s, or k3d running k3s
 * in containers), which binds every port of every LoadBalancer Service as a host port on the
 * node: two Services asking for the same port cannot both get an address there.
 */
export function usesK3sServiceLb(cluster: ClusterSpec): boolean {
  return cluster.kind === "k3s" || (cluster.cloud === "existing" && (cluster.platform === "k3s" || cluster.platform === "k3d"));
}

/** The status port Istio adds to the Service of every gateway it deploys. */
export const istioGatewayStatusPort = 15021;

/**
 * Whether a LoadBalancer Service gets an address on the cluster, so Pulumi may wait for a
 * gateway's: cloud clusters and k3s ServiceLB do; an existing cluster of another kind may have no
 * load balancer implementation at all (kind, minikube without a tunnel), where the wait would
 * fail every update.
 */
export function loadBalancerAddressExpected(cluster: ClusterSpec): boolean {
  return cluster.cloud !== "existing" || usesK3sServiceLb(cluster);
}
