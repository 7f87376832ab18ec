/**
 * What a node group's instance or machine type says before any size or capacity: its family, a
 * GPU family's catalogued sizes (a typo there would pass as a CPU group), and the types no node
 * of this platform can be (Arm, accelerators other than NVIDIA GPUs, EC2 Mac).
 */
import { PlatformConfig } from "./schema";
import { lookupGpuInstance, gpuInstanceTypes } from "../components/gpu/catalog";
import { ec2NonNvidiaAccelerators, isArmMachineType, isEc2MacType, isGceTpuType, isGpuFamily } from "../components/cloud/machine-types";

/** An instance type's family: EC2 `g6e.12xlarge` → `g6e`; GCE `a2-ultragpu-4g` → `a2`. */
export const familyOf = (cloud: "aws" | "gcp", type: string) => type.split(cloud === "aws" ? "." : "-")[0];

/** The shape of an EC2 instance type (`family.size`) and of a GCE machine type (`series-class-size`), before any catalog. */
export const EC2_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;
export const GCE_TYPE = /^[a-z][a-z0-9]*(-[a-z0-9]+)+$/;

/**
 * For an instance type of a GPU family we catalogue (g6e, p5, …) that is not itself catalogued,
 * the family's catalogued sizes: a typo there would otherwise pass as a CPU node group.
 */
export function gpuFamilySizes(cloud: "aws" | "gcp", instanceType: string): { family: string; sizes: string[] } | undefined {
  const family = familyOf(cloud, instanceType);
  const sizes = Object.entries(gpuInstanceTypes)
    .filter(([type, t]) => t.cloud === cloud && familyOf(cloud, type) === family)
    .map(([type]) => type);
  return sizes.length ? { family, sizes } : undefined;
}

/**
 * Whether a cluster has a node group of a GPU type the catalog does not know (a misspelt size of
 * a catalogued family, or a GPU family it lacks; reported on the node group): GPU placement and
 * capacity checks skip such a cluster rather than advise on a capacity the type hides.
 */
export function hasGpuTypeTypo(cluster: PlatformConfig["clusters"][number]): boolean {
  if (cluster.cloud === "existing") return false;
  const cloud = cluster.cloud as "aws" | "gcp";
  return cluster.nodeGroups.some((g) => !lookupGpuInstance(g.instanceType) && (gpuFamilySizes(cloud, g.instanceType) !== undefined || isGpuFamily(cloud, g.instanceType)));
}

/** The catalogued GPU families of a cloud, for messages. */
export function cataloguedFamilies(cloud: "aws" | "gcp"): string {
  return [...new Set(Object.entries(gpuInstanceTypes).filter(([, t]) => t.cloud === cloud).map(([type]) => familyOf(cloud, type)))].sort().join(", ");
}

/**
 * Problems of a node's machine type every group shares: the nodes boot x86_64 images
 * (AL2023_x86_64_* AMIs, the configured GCE image) and run x86_64 containers, so Arm types fail
 * at node creation (EKS refuses the AMI for the type) or boot nothing useful. Accelerators other
 * than NVIDIA GPUs (EC2's, GCE's TPUs) would join as a CPU group: paid for, and used by nothing.
 */
export function machineTypeProblem(cloud: "aws" | "gcp", type: string): string | undefined {
  if (isArmMachineType(cloud, type)) {
    return `'${type}' is an Arm (${cloud === "aws" ? "Graviton" : "Axion/Ampere/Grace"}) type; the nodes boot x86_64 images (${cloud === "aws" ? "AL2023_x86_64_* AMIs" : "the cluster's image"}), so pick an x86_64 type`;
  }
  if (cloud === "aws" && isEc2MacType(type)) return `'${type}' is an EC2 Mac type: EC2 runs Mac instances only on Dedicated Hosts and boots them only from macOS AMIs, so an EKS managed node group cannot launch it; pick an x86_64 type`;
  const accelerators = cloud === "aws" ? ec2NonNvidiaAccelerators(type) : isGceTpuType(type) ? "Cloud TPUs" : undefined;
  if (accelerators) {
    const serving = cloud === "aws" ? "AL2023_x86_64_NVIDIA AMI, NVIDIA device plugin), so the group would boot the standard AMI" : "the NVIDIA driver k3s agents install, NVIDIA device plugin), so the VMs would join as CPU nodes";
    return `'${type}' carries ${accelerators}, not NVIDIA GPUs: models are served by vLLM on NVIDIA GPUs (${serving} and nothing would use them; use a catalogued NVIDIA GPU type (${cataloguedFamilies(cloud)}) or a CPU type`;
  }
  return undefined;
}
