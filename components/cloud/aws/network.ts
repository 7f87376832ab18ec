/**
 * The VPC of an EKS cluster as plain `awsx.ec2.Vpc` arguments: private subnets for nodes, public
 * subnets for internet-facing load balancers, one of each per availability zone, tagged so that
 * Kubernetes load balancer controllers find them.
 */
import type * as awsx from "@pulumi/awsx";
import { EksClusterSpec } from "../../../infra/schema";

/** Subnet tags the AWS load balancer integrations use to pick subnets. */
export const subnetRoleTags = {
  public: { "kubernetes.io/role/elb": "1" },
  private: { "kubernetes.io/role/internal-elb": "1" },
} as const;

export function vpcArgs(cluster: EksClusterSpec, tags: Record<string, string>): awsx.ec2.VpcArgs {
  return {
    cidrBlock: cluster.vpcCidr,
    numberOfAvailabilityZones: cluster.availabilityZones,
    enableDnsHostnames: true,
    enableDnsSupport: true,
    subnetStrategy: "Auto",
    subnetSpecs: [
      { type: "Private", name: "private", tags: { ...subnetRoleTags.private, [`kubernetes.io/cluster/${cluster.name}`]: "shared" } },
      { type: "Public", name: "public", tags: { ...subnetRoleTags.public, [`kubernetes.io/cluster/${cluster.name}`]: "shared" } },
    ],
    natGateways: { strategy: cluster.natGateways },
    tags: { ...tags, Name: cluster.name },
  };
}
