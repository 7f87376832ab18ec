/**
 * The k3s cluster's network as plain data: firewall rules (k3s API only from configured CIDRs,
 * HBONE from the other mesh networks, node-to-node inside the subnet) and fixed addresses.
 */
import { ClusterSpec, K3sClusterSpec } from "../../../infra/schema";
import type { PlatformSpec } from "../../../infra/config";
import { agentPublicPort, inferencePublicPort } from "../../../infra/gateway-ports";

/** Network tags: every k3s VM, and the server only. */
export const k3sNodeTag = "k3s-node";
export const k3sServerTag = "k3s-server";

/** Istio's HBONE port: east-west gateways accept mesh traffic from other networks on it. */
export const hbonePort = 15008;
export const k3sApiPort = 6443;

export interface FirewallRulePlan {
  /** Pulumi logical name, `<cluster>-<rule>`. */
  logicalName: string;
  description: string;
  sourceRanges: string[];
  allows: { protocol: string; ports?: string[] }[];
  targetTags: string[];
}

/** Address ranges of the other clusters' networks (their VPC / subnet CIDRs), plus extra peers. */
export function meshPeerRanges(self: K3sClusterSpec, clusters: ClusterSpec[]): string[] {
  const ranges = clusters.flatMap((c) => {
    if (c.name === self.name) return [];
    if (c.cloud === "aws") return [c.vpcCidr];
    if (c.cloud === "gcp") return [c.subnetCidr];
    return [];
  });
  return [...new Set([...ranges, ...self.hbonePeerCidrs])];
}

/**
 * Public listener ports the gateways on this cluster take: the inference gateway's where a model
 * is placed, the agent gateway's where an agent runs. k3s ServiceLB binds them on the nodes, and
 * outside callers reach them at the server's external address.
 */
export function publicGatewayPorts(platform: Pick<PlatformSpec, "models" | "agents" | "agentClusters" | "gateways">, cluster: string): number[] {
  const ports = new Set<number>();
  if (platform.models.some((m) => m.clusters.includes(cluster))) ports.add(inferencePublicPort(platform.gateways));
  if (platform.agents.some((a) => (platform.agentClusters.get(a.name) ?? []).includes(cluster))) ports.add(agentPublicPort(platform.gateways));
  return [...ports].sort((a, b) => a - b);
}

export function firewallRules(self: K3sClusterSpec, clusters: ClusterSpec[], publicPorts: number[] = []): FirewallRulePlan[] {
  const rules: FirewallRulePlan[] = [
    {
      logicalName: `${self.name}-allow-k3s-api`,
      description: `k3s API of ${self.name} from the configured apiAllowedCidrs`,
      sourceRanges: self.apiAllowedCidrs,
      allows: [{ protocol: "tcp", ports: [String(k3sApiPort)] }],
      targetTags: [k3sServerTag],
    },
    {
      logicalName: `${self.name}-allow-internal`,
      description: `node-to-node traffic of ${self.name} inside its subnet (kubelet, flannel VXLAN, API, pods)`,
      sourceRanges: [self.subnetCidr],
      allows: [{ protocol: "tcp" }, { protocol: "udp" }, { protocol: "icmp" }],
      targetTags: [k3sNodeTag],
    },
  ];
  if (publicPorts.length > 0) {
    rules.push({
      logicalName: `${self.name}-allow-gateways`,
      description: `public gateway listeners of ${self.name} (ServiceLB on the server's external address) from gatewayAllowedCidrs`,
      sourceRanges: self.gatewayAllowedCidrs,
      allows: [{ protocol: "tcp", ports: publicPorts.map(String) }],
      targetTags: [k3sServerTag],
    });
  }
  const peers = meshPeerRanges(self, clusters);
  if (peers.length > 0) {
    rules.push({
      logicalName: `${self.name}-allow-hbone`,
      description: `Istio HBONE (east-west gateway) of ${self.name} from the other mesh networks`,
      sourceRanges: peers,
      allows: [{ protocol: "tcp", ports: [String(hbonePort)] }],
      targetTags: [k3sNodeTag],
    });
  }
  return rules;
}

/**
 * The rules that admit the other clusters' egress addresses (ClusterHandle.egressIps: EKS NAT
 * gateways, k3s servers and Cloud NAT): their istiods read this API server and their ztunnels
 * dial this east-west gateway at its public address, so they arrive from those addresses rather
 * than from their VPC ranges. The sources are known only once every cluster exists.
 */
export function peerEgressRules(self: K3sClusterSpec): Omit<FirewallRulePlan, "sourceRanges">[] {
  return [
    {
      logicalName: `${self.name}-allow-peer-api`,
      description: `k3s API of ${self.name} from the other clusters' egress addresses (their istiods)`,
      allows: [{ protocol: "tcp", ports: [String(k3sApiPort)] }],
      targetTags: [k3sServerTag],
    },
    {
      logicalName: `${self.name}-allow-peer-hbone`,
      description: `Istio HBONE (east-west gateway) of ${self.name} from the other clusters' egress addresses`,
      allows: [{ protocol: "tcp", ports: [String(hbonePort)] }],
      targetTags: [k3sNodeTag],
    },
  ];
}

/**
 * The host numbers a VM may take in a subnet of prefix `bits`: GCP reserves the first two (network,
 * gateway) and the last two (reserved, broadcast) addresses.
 */
export function usableHosts(bits: number): { first: number; last: number; usable: number } {
  const size = 2 ** (32 - bits);
  return { first: 2, last: size - 3, usable: Math.max(0, size - 4) };
}

/**
 * The `n`-th host address of an IPv4 CIDR. Config validation (checkAddressRanges) refuses a subnet
 * too small for the server and every agent, so this throw is a last resort.
 */
export function hostAddress(cidr: string, n: number): string {
  const [base, bits] = cidr.split("/");
  const { first, last } = usableHosts(Number(bits));
  if (n < first || n > last) throw new Error(`host ${n} is outside the usable range of ${cidr}`);
  const ip = base.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0) + n;
  return [24, 16, 8, 0].map((shift) => Math.floor(ip / 2 ** shift) % 256).join(".");
}

/** The host number of the k3s server's fixed internal address in its subnet. */
export const serverHostNumber = 10;

/** The k3s server's fixed internal address, which agents join. */
export function serverInternalIp(self: K3sClusterSpec): string {
  return hostAddress(self.subnetCidr, serverHostNumber);
}
