/**
 * Fixed address ranges the clusters' networks are judged against (validate-network.ts,
 * validate-service-ranges.ts): what each cloud takes in no VPC or subnet, k3s's own pod and
 * service ranges, and the service range EKS picks for a cluster. Pure.
 */
import { Cidr, cidrsOverlap, namedRanges } from "./net";

/** A cluster's own network as configured: an EKS vpcCidr or a k3s subnetCidr, parsed. */
export interface ClusterRange {
  ci: number;
  field: string;
  cidr: Cidr;
  cluster: string;
}

/**
 * Ranges a GCE subnet may not overlap, as Google lists them (VPC docs, Subnets, "Prohibited IPv4
 * subnet ranges"), each with the table's own description: the network creates the subnet inside
 * `pulumi up` and fails there. The table's first row, the public IP addresses of Google APIs and
 * services (Google Cloud netblocks included), changes over time and is not listed here. Every other
 * range is valid, as the same page's "Valid IPv4 ranges" says: RFC 1918, 100.64.0.0/10,
 * 192.0.0.0/24, the documentation ranges, 192.88.99.0/24, 198.18.0.0/15, class E 240.0.0.0/4 and
 * privately used public ranges.
 */
export const GCE_PROHIBITED_SUBNET_RANGES: [string, Cidr][] = namedRanges([
  ["Private Google Access-specific virtual IP addresses", "199.36.153.4/30"],
  ["Private Google Access-specific virtual IP addresses", "199.36.153.8/30"],
  ["current (local) network, RFC 1122", "0.0.0.0/8"],
  ["local host, RFC 1122", "127.0.0.0/8"],
  ["link-local, RFC 3927", "169.254.0.0/16"],
  ["multicast (Class D), RFC 5771", "224.0.0.0/4"],
  ["limited broadcast destination address, RFC 8190 and RFC 919", "255.255.255.255/32"],
]);

/**
 * Ranges AWS assigns to no VPC: the Amazon VPC user guide (VPC CIDR blocks, "IPv4 CIDR block
 * association restrictions") reserves the link-local block (RFC 5735) and says it cannot be
 * assigned to VPCs, so CreateVpc fails inside `pulumi up`. The guide lets a VPC take any other
 * block (RFC 1918, 100.64.0.0/10, 198.19.0.0/16 and publicly routable ones); it advises against
 * 172.17.0.0/16 only where Cloud9 or SageMaker run (Docker's bridge there), which this stack
 * does not, so that range passes.
 */
export const AWS_PROHIBITED_VPC_RANGES: [string, Cidr][] = namedRanges([["link-local, RFC 3927", "169.254.0.0/16"]]);

export const K3S_INTERNAL_RANGES: [string, Cidr][] = namedRanges([
  ["pod range (cluster-cidr)", "10.42.0.0/16"],
  ["service range (service-cidr)", "10.43.0.0/16"],
]);

const [TEN_SLASH_EIGHT, EKS_SERVICES_BESIDE_TEN, EKS_SERVICES_ELSE] = namedRanges([
  ["RFC 1918 10/8", "10.0.0.0/8"],
  ["EKS service range for a VPC in 10.0.0.0/8", "172.20.0.0/16"],
  ["EKS service range for any other VPC", "10.100.0.0/16"],
]).map(([, cidr]) => cidr);

/**
 * The Kubernetes service range EKS gives a cluster created without
 * kubernetesNetworkConfig.serviceIpv4Cidr, as components/cloud/aws/eks.ts creates it: 10.100.0.0/16
 * or 172.20.0.0/16 (EKS API, KubernetesNetworkConfigRequest.serviceIpv4Cidr), the latter when the
 * VPC's CIDR lies in 10.0.0.0/8, so that the two never meet (the EKS node bootstrap picks the
 * cluster DNS address 172.20.0.10 or 10.100.0.10 by the same rule: awslabs/amazon-eks-ami
 * files/bootstrap.sh).
 */
export function eksDefaultServiceRange(vpc: Cidr): { range: Cidr; vpcInTen: boolean } {
  const vpcInTen = vpc.bits >= TEN_SLASH_EIGHT.bits && cidrsOverlap(vpc, TEN_SLASH_EIGHT);
  return { range: vpcInTen ? EKS_SERVICES_BESIDE_TEN : EKS_SERVICES_ELSE, vpcInTen };
}

/**
 * What is wrong with a network overlapping one of the ranges its cloud takes in no network
 * (`refusal`: "which GCE takes in no subnet"), with a range to pick instead.
 */
export function prohibitedRangeProblem(ranges: [string, Cidr][], cidr: Cidr, refusal: string, example: string): string | undefined {
  const hit = ranges.find(([, range]) => cidrsOverlap(range, cidr));
  return hit && `${cidr.text} overlaps ${hit[1].text} (${hit[0]}), ${refusal}; pick a private range such as ${example}`;
}
