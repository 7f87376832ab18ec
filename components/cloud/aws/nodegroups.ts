/**
 * EKS managed node groups as plain data: the CPU system group and one group per configured node
 * group. GPU groups run the NVIDIA AL2023 AMI (driver and container toolkit preinstalled), carry
 * the GPU taint and advertise their GPUs with labels, so only GPU workloads land on them.
 */
import { EksClusterSpec, NodeGroupSpec } from "../../../infra/schema";
import { gpuNodeLabels, gpuTaint, lookupGpuInstance } from "../../gpu/catalog";

import { nodeGroupLabel } from "../cluster";

export { nodeGroupLabel };

export type EksTaintEffect = "NO_SCHEDULE" | "NO_EXECUTE" | "PREFER_NO_SCHEDULE";

/** Kubernetes taint effect → the EKS API's spelling. */
export function eksTaintEffect(effect: "NoSchedule" | "NoExecute" | "PreferNoSchedule"): EksTaintEffect {
  return ({ NoSchedule: "NO_SCHEDULE", NoExecute: "NO_EXECUTE", PreferNoSchedule: "PREFER_NO_SCHEDULE" } as const)[effect];
}

/** Everything an `aws.eks.NodeGroup` needs besides cluster, role and subnets. */
export interface ManagedNodeGroupPlan {
  /** Pulumi logical name, `<cluster>-<group>`. */
  logicalName: string;
  /** EKS node group name, used as the prefix of its physical name (`<name>-<suffix>`). */
  nodeGroupName: string;
  instanceTypes: string[];
  amiType: "AL2023_x86_64_NVIDIA" | "AL2023_x86_64_STANDARD";
  capacityType: "SPOT" | "ON_DEMAND";
  scalingConfig: { minSize: number; desiredSize: number; maxSize: number };
  diskSize: number;
  labels: Record<string, string>;
  taints: { key: string; value: string; effect: EksTaintEffect }[];
  /** GPUs per node (0 for CPU groups). */
  gpusPerNode: number;
}

export function systemNodeGroupPlan(cluster: EksClusterSpec): ManagedNodeGroupPlan {
  const g = cluster.systemNodeGroup;
  return {
    logicalName: `${cluster.name}-system`,
    nodeGroupName: "system",
    instanceTypes: [g.instanceType],
    amiType: "AL2023_x86_64_STANDARD",
    capacityType: "ON_DEMAND",
    scalingConfig: { minSize: g.minSize, desiredSize: g.desiredSize, maxSize: g.maxSize },
    diskSize: 50,
    labels: { [nodeGroupLabel]: "system" },
    taints: [],
    gpusPerNode: 0,
  };
}

export function nodeGroupPlan(cluster: EksClusterSpec, group: NodeGroupSpec): ManagedNodeGroupPlan {
  const gpu = lookupGpuInstance(group.instanceType);
  return {
    logicalName: `${cluster.name}-${group.name}`,
    nodeGroupName: group.name,
    instanceTypes: [group.instanceType],
    amiType: gpu ? "AL2023_x86_64_NVIDIA" : "AL2023_x86_64_STANDARD",
    capacityType: group.spot ? "SPOT" : "ON_DEMAND",
    scalingConfig: { minSize: group.minSize, desiredSize: group.desiredSize, maxSize: group.maxSize },
    diskSize: group.diskSizeGiB,
    labels: { [nodeGroupLabel]: group.name, ...(gpu ? gpuNodeLabels(gpu) : {}) },
    taints: gpu ? [{ key: gpuTaint.key, value: gpuTaint.value, effect: eksTaintEffect(gpuTaint.effect) }] : [],
    gpusPerNode: gpu?.gpusPerNode ?? 0,
  };
}

/** The system group first, then the configured groups in config order. */
export function clusterNodeGroupPlans(cluster: EksClusterSpec): ManagedNodeGroupPlan[] {
  return [systemNodeGroupPlan(cluster), ...cluster.nodeGroups.map((g) => nodeGroupPlan(cluster, g))];
}

/** AWS managed policies every EKS worker node role needs. */
export const nodeRolePolicyArns = [
  "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
  "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
  "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
] as const;

/** Trust policy that lets EC2 instances assume the node role. */
export const nodeAssumeRolePolicy = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
});
