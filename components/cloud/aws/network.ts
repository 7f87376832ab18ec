/**
 * The VPC of an EKS cluster as plain `awsx.ec2.Vpc` arguments: private subnets for nodes, public
 * subnets for internet-facing load balancers, one of each per availability zone, tagged so that
 * Kubernetes load balancer controllers find them.
 *
 * No `kubernetes.io/cluster/<name>` tag: the physical EKS cluster name is auto-named
 * (`<name>-eksCluster-<suffix>`, so two stacks can share an account and region), and a subnet
 * tagged for any other cluster ID is skipped by both the in-tree AWS cloud provider and the AWS
 * Load Balancer Controller (its SubnetsClusterTagCheck), leaving Services without a load balancer.
 * Untagged subnets are used by every cluster in the VPC, which here is the one cluster.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as awsx from "@pulumi/awsx";
import { EksClusterSpec } from "../../../infra/schema";

/** Subnet tags the AWS load balancer integrations use to pick subnets. */
export const subnetRoleTags = {
  public: { "kubernetes.io/role/elb": "1" },
  private: { "kubernetes.io/role/internal-elb": "1" },
} as const;

/** NAT gateways the VPC gets: one per availability zone, or one in all. */
export function natGatewayCount(cluster: EksClusterSpec): number {
  return cluster.natGateways === "Single" ? 1 : cluster.availabilityZones;
}

/**
 * `eipAllocationIds`: Elastic IPs made by the cluster component for the NAT gateways (one per
 * gateway), so their addresses are known to Pulumi and other clusters' firewalls can admit them.
 */
export function vpcArgs(cluster: EksClusterSpec, tags: Record<string, string>, eipAllocationIds?: pulumi.Input<string>[]): awsx.ec2.VpcArgs {
  return {
    cidrBlock: cluster.vpcCidr,
    numberOfAvailabilityZones: cluster.availabilityZones,
    enableDnsHostnames: true,
    enableDnsSupport: true,
    subnetStrategy: "Auto",
    subnetSpecs: [
      { type: "Private", name: "private", tags: { ...subnetRoleTags.private } },
      { type: "Public", name: "public", tags: { ...subnetRoleTags.public } },
    ],
    natGateways: { strategy: cluster.natGateways, ...(eipAllocationIds ? { elasticIpAllocationIds: eipAllocationIds } : {}) },
    tags: { ...tags, Name: cluster.name },
  };
}
