/**
 * An EKS cluster in one region: VPC (awsx), control plane (@pulumi/eks, access-entry
 * authentication, no default node group), a CPU system node group and the configured GPU managed
 * node groups as plain `aws.eks.NodeGroup`s so that their AMI type, taints and labels are visible
 * to the policy pack, and the cluster's one Kubernetes provider.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as eks from "@pulumi/eks";
import * as k8s from "@pulumi/kubernetes";
import { EksClusterSpec, ModelSpec } from "../../../infra/schema";
import { ClusterHandle, egressSourceRanges, kubeconfigStaysSecret } from "../cluster";
import { eksKubeconfig } from "../kubeconfig";
import { clusterAwsProvider } from "./provider";
import { natGatewayCount, vpcArgs } from "./network";
import { clusterNodeGroupPlans, nodeAssumeRolePolicy, nodeRolePolicyArns } from "./nodegroups";
import { subnetsOfferingType } from "./zones";
import { createS3ModelReader, s3ModelReads } from "./model-reader";

export interface EksClusterArgs {
  /** The cluster's validated spec. */
  spec: EksClusterSpec;
  /** EKS control-plane Kubernetes version (infra/versions.ts `eksKubernetes`). */
  kubernetesVersion: string;
  /** Tags on every AWS resource (through the cluster's provider's default tags). */
  tags: Record<string, string>;
  /** The models placed on this cluster: those streamed from S3 get read access (model-reader.ts). */
  models: ModelSpec[];
}

/**
 * The CIDRs allowed on a public endpoint: the configured ones and the other clusters' egress
 * addresses. Their istiods read this API server through their remote secrets at its public
 * address, from their NAT gateways, servers and Cloud NAT (ClusterHandle.egressIps), and EKS
 * denies every source outside publicAccessCidrs (EKS API VpcConfigRequest.publicAccessCidrs).
 */
export function publicAccessCidrs(configured: string[], peerEgressIps: string[]): string[] {
  return [...new Set([...configured, ...egressSourceRanges(peerEgressIps)])];
}

/**
 * The @pulumi/eks arguments of the control plane; pure apart from the VPC outputs passed in and,
 * for a public endpoint, the other clusters' egress addresses.
 */
export function eksClusterArgs(
  spec: EksClusterSpec,
  kubernetesVersion: string,
  vpc: { vpcId: pulumi.Input<string>; publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>; privateSubnetIds: pulumi.Input<pulumi.Input<string>[]> },
  peerEgressIps?: pulumi.Input<string[]>,
): eks.ClusterArgs {
  const cidrs = peerEgressIps === undefined ? spec.publicAccessCidrs : pulumi.output(peerEgressIps).apply((ips) => publicAccessCidrs(spec.publicAccessCidrs, ips));
  return {
    version: kubernetesVersion,
    vpcId: vpc.vpcId,
    publicSubnetIds: vpc.publicSubnetIds,
    privateSubnetIds: vpc.privateSubnetIds,
    nodeAssociatePublicIpAddress: false,
    skipDefaultNodeGroup: true,
    authenticationMode: eks.AuthenticationMode.Api,
    endpointPrivateAccess: true,
    endpointPublicAccess: spec.endpointPublicAccess,
    ...(spec.endpointPublicAccess ? { publicAccessCidrs: cidrs } : {}),
    enabledClusterLogTypes: ["api", "audit", "authenticator"],
    // The inference gateway's NetworkPolicy keeps its plaintext in-mesh listener to the agents;
    // the VPC CNI enforces NetworkPolicies only with its network policy agent turned on.
    vpcCniOptions: { enableNetworkPolicy: true },
  };
}

export class EksCluster extends pulumi.ComponentResource implements ClusterHandle {
  readonly spec: EksClusterSpec;
  readonly provider: k8s.Provider;
  readonly kubeconfig: pulumi.Output<string>;
  readonly endpoint: pulumi.Output<string>;
  readonly certificateAuthorityData: pulumi.Output<string>;
  readonly hasGpus: boolean;
  readonly readiness: pulumi.Resource[];
  /** Physical EKS cluster name. */
  readonly clusterName: pulumi.Output<string>;
  readonly vpcId: pulumi.Output<string>;
  /** The NAT gateways' Elastic IPs: the nodes' source address towards other networks. */
  readonly egressIps: pulumi.Output<string[]>;
  /** Resolves a public endpoint's deferred peer addresses, known once every cluster exists. */
  private admitPeerEgress?: (ips: pulumi.Output<string[]>) => void;

  constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-mesh:cloud:EksCluster", name, {}, opts);
    const spec = (this.spec = args.spec);
    // A public control plane waits for admitPeers, which createClusters calls once all clusters
    // exist (a program that never calls it leaves the cluster pending); none of the peers'
    // addresses depends on this cluster, so there is no cycle.
    let peerEgressIps: pulumi.Output<string[]> | undefined;
    if (spec.endpointPublicAccess) [peerEgressIps, this.admitPeerEgress] = pulumi.deferredOutput<string[]>();
    const awsProvider = clusterAwsProvider(name, spec.region, args.tags, { parent: this });
    const onAws = { parent: this, provider: awsProvider };

    const natEips = Array.from({ length: natGatewayCount(spec) }, (_, i) => new aws.ec2.Eip(`${name}-nat-${i}`, { domain: "vpc" }, onAws));
    this.egressIps = pulumi.all(natEips.map((eip) => eip.publicIp));
    const vpc = new awsx.ec2.Vpc(
      `${name}-vpc`,
      vpcArgs(spec, args.tags, natEips.map((eip) => eip.allocationId)),
      { parent: this, providers: { aws: awsProvider } },
    );
    const cluster = new eks.Cluster(
      `${name}-eks`,
      eksClusterArgs(spec, args.kubernetesVersion, vpc, peerEgressIps),
      { parent: this, providers: { aws: awsProvider } },
    );
    this.vpcId = vpc.vpcId;
    this.clusterName = cluster.eksCluster.apply((c) => c.name);
    this.endpoint = cluster.eksCluster.apply((c) => c.endpoint);
    this.certificateAuthorityData = cluster.eksCluster.apply((c) => c.certificateAuthority.data);

    // Managed node groups get their EC2_LINUX access entry from EKS itself (authentication mode API).
    const nodeRole = new aws.iam.Role(`${name}-node-role`, { assumeRolePolicy: nodeAssumeRolePolicy }, onAws);
    const attachments = nodeRolePolicyArns.map(
      (policyArn) =>
        new aws.iam.RolePolicyAttachment(`${name}-node-role-${policyArn.split("/").pop()!.toLowerCase().replace(/_/g, "-")}`, { role: nodeRole.name, policyArn }, onAws),
    );
    const plans = clusterNodeGroupPlans(spec);
    const nodeGroups = plans.map(
      (plan) =>
        new aws.eks.NodeGroup(
          plan.logicalName,
          {
            clusterName: this.clusterName,
            // A prefix, not a fixed name: instance type, disk and capacity type force a replacement,
            // and a fixed name would make Pulumi delete the group before its successor exists.
            nodeGroupNamePrefix: `${plan.nodeGroupName}-`,
            nodeRoleArn: nodeRole.arn,
            // Only zones that offer the type: EKS refuses a group with a subnet in a zone that lacks it.
            subnetIds: subnetsOfferingType(
              { cluster: spec.name, group: plan.nodeGroupName, region: spec.region, instanceType: plan.instanceTypes[0] },
              vpc.privateSubnetIds,
              awsProvider,
            ),
            version: args.kubernetesVersion,
            instanceTypes: plan.instanceTypes,
            amiType: plan.amiType,
            capacityType: plan.capacityType,
            scalingConfig: plan.scalingConfig,
            diskSize: plan.diskSize,
            labels: plan.labels,
            taints: plan.taints,
            updateConfig: { maxUnavailable: 1 },
          },
          // desiredSize stays Pulumi's: no cluster autoscaler is installed, and config validation
          // places the model replicas on exactly these nodes. A fork that adds an autoscaler
          // ignores changes to scalingConfig.desiredSize here.
          { ...onAws, dependsOn: attachments },
        ),
    );
    this.hasGpus = plans.some((p) => p.gpusPerNode > 0);
    const modelReader = createS3ModelReader(name, { clusterName: this.clusterName, reads: s3ModelReads(args.models), nodeGroups }, onAws);
    this.readiness = [...nodeGroups, ...modelReader];

    this.kubeconfig = pulumi.secret(
      pulumi
        .all([this.clusterName, this.endpoint, this.certificateAuthorityData])
        .apply(([clusterName, endpoint, certificateAuthorityData]) =>
          eksKubeconfig({ clusterName, endpoint, certificateAuthorityData, region: spec.region, contextName: spec.name }),
        ),
    );
    // Replaced exactly when the EKS cluster is (a new cluster gets a new name); a kubeconfig that
    // is unknown in a preview otherwise makes the provider plan to replace every object.
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: this.kubeconfig, enableServerSideApply: true, clusterIdentifier: this.clusterName },
      { parent: this, ...kubeconfigStaysSecret },
    );
    this.registerOutputs({ endpoint: this.endpoint, kubeconfig: this.kubeconfig, clusterName: this.clusterName, vpcId: this.vpcId, egressIps: this.egressIps });
  }

  /**
   * Admits the other clusters' egress addresses on a public endpoint (`publicAccessCidrs`); must be
   * called once every cluster exists (the control plane waits for it). A private endpoint is
   * reached over peering or a VPN and takes nothing.
   */
  admitPeers(peerEgressIps: pulumi.Output<string[]>): void {
    this.admitPeerEgress?.(peerEgressIps);
  }
}
