/**
 * The public ports of the two gateways, from config alone: the gateways' listeners, the agents'
 * advertised URL, the k3s firewall and config validation all need the same numbers.
 */
import type { PlatformConfig } from "./schema";

type Gateways = PlatformConfig["gateways"];

/** The inference gateway's public listener: HTTPS 443, or HTTP 80 with `tls.mode: none`. */
export function inferencePublicPort(gateways: Gateways): number {
  return gateways.inference.tls?.mode === "none" ? 80 : 443;
}

/** The inference gateway's in-mesh `http-mesh` listener (same Service, so the same load balancer). */
export const inferenceMeshPort = 80;

/** The agent gateway's public listener: `gateways.agents.port`, else 443 with TLS and 80 without. */
export function agentPublicPort(gateways: Gateways): number {
  const agents = gateways.agents;
  if (!agents) throw new Error("gateways.agents is not configured");
  return agents.port ?? (agents.tls?.mode === "none" ? 80 : 443);
}
