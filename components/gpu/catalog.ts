/**
 * The GPU instance catalog: cloud instance/machine type → GPU model, GPUs per node, GPU memory,
 * and the host's vCPUs and memory (what the model servers' CPU and memory requests divide).
 *
 * One table for both clouds so that node-group labels, model-fit checks and the device plugin all
 * agree. Memory is what the driver reports per GPU (NVML's total, as `nvidia-smi` and GPU feature
 * discovery's `nvidia.com/gpu.memory` label show it, in MiB), not the marketing figure: an "L4
 * 24 GB" has 23034 MiB (22.5 GiB), and fitting weights against 24 GiB overstated it by 6.7%.
 * Sources: AWS accelerated-computing instance pages (P5, P4, G6e, G6, G5), GCP GPU machine types
 * (A3, A2, G2), and nvidia-smi totals as users report them.
 */
export interface GpuModel {
  /** Product name as NVIDIA GPU feature discovery labels it (`nvidia.com/gpu.product`). */
  product: string;
  /** Memory per GPU in MiB, as NVML reports it. */
  memoryMiB: number;
  /** GCP accelerator type for `guestAccelerators`, where the model exists on GCP. */
  gcpAcceleratorType?: string;
}

export const gpuModels = {
  H100: { product: "NVIDIA-H100-80GB-HBM3", memoryMiB: 81559, gcpAcceleratorType: "nvidia-h100-80gb" },
  H200: { product: "NVIDIA-H200", memoryMiB: 143771 },
  A100_40: { product: "NVIDIA-A100-SXM4-40GB", memoryMiB: 40960, gcpAcceleratorType: "nvidia-tesla-a100" },
  A100_80: { product: "NVIDIA-A100-SXM4-80GB", memoryMiB: 81920, gcpAcceleratorType: "nvidia-a100-80gb" },
  L40S: { product: "NVIDIA-L40S", memoryMiB: 46068 },
  L4: { product: "NVIDIA-L4", memoryMiB: 23034, gcpAcceleratorType: "nvidia-l4" },
  A10G: { product: "NVIDIA-A10G", memoryMiB: 23028 },
} satisfies Record<string, GpuModel>;

export type GpuModelName = keyof typeof gpuModels;

export interface GpuInstanceType {
  cloud: "aws" | "gcp";
  gpu: GpuModelName;
  gpusPerNode: number;
  /** vCPUs of the instance (EC2 `VCpuInfo.DefaultVCpus`, GCE `guestCpus`). */
  vcpus: number;
  /** Memory of the instance in GiB (EC2 `MemoryInfo.SizeInMiB` / 1024, GCE `memoryMb` / 1024). */
  memoryGiB: number;
  /**
   * EC2 only: the pods the instance's ENIs address, `maxENIs × (IPv4 per ENI − 1) + 2`, from
   * amazon-eks-ami nodeadm's `instance-info.jsonl`. nodeadm sizes the kubelet's kube-reserved
   * memory from it (11 MiB a pod + 255 MiB), even where the managed node group caps maxPods.
   */
  eniMaxPods?: number;
}

/** Per instance type: [GPUs, vCPUs, memory GiB] and, on EC2, the ENI max pods. */
type Sizes = Record<string, readonly [number, number, number, number?]>;

function family(cloud: "aws" | "gcp", gpu: GpuModelName, sizes: Sizes): Record<string, GpuInstanceType> {
  return Object.fromEntries(
    Object.entries(sizes).map(([type, [gpusPerNode, vcpus, memoryGiB, eniMaxPods]]) => [
      type,
      { cloud, gpu, gpusPerNode, vcpus, memoryGiB, ...(eniMaxPods === undefined ? {} : { eniMaxPods }) },
    ]),
  );
}

/**
 * Instance types the stacks use and their neighbours in the same families. Host vCPUs and memory:
 * EC2 DescribeInstanceTypes as the AWS Batch user guide's GPU instance table and the AWS
 * SageMaker HyperPod CLI's instance table list them (Karpenter's recorded DescribeInstanceTypes
 * answers agree for g5.12xlarge, 48 / 196608 MiB, and p5.48xlarge, 192 / 2097152 MiB); GCE
 * machine types as the Compute Engine API lists them (guestCpus, memoryMb / 1024: SkyPilot's
 * catalog generated from it, matching the accelerator-optimized machine family page).
 */
export const gpuInstanceTypes: Record<string, GpuInstanceType> = {
  ...family("aws", "H100", { "p5.48xlarge": [8, 192, 2048, 100] }),
  ...family("aws", "H200", { "p5e.48xlarge": [8, 192, 2048, 100], "p5en.48xlarge": [8, 192, 2048, 198] }),
  ...family("aws", "A100_40", { "p4d.24xlarge": [8, 96, 1152, 737] }),
  ...family("aws", "A100_80", { "p4de.24xlarge": [8, 96, 1152, 737] }),
  ...family("aws", "L40S", {
    "g6e.xlarge": [1, 4, 32, 58], "g6e.2xlarge": [1, 8, 64, 58], "g6e.4xlarge": [1, 16, 128, 234],
    "g6e.8xlarge": [1, 32, 256, 234], "g6e.16xlarge": [1, 64, 512, 737],
    "g6e.12xlarge": [4, 48, 384, 292], "g6e.24xlarge": [4, 96, 768, 492], "g6e.48xlarge": [8, 192, 1536, 492],
  }),
  ...family("aws", "L4", {
    "g6.xlarge": [1, 4, 16, 58], "g6.2xlarge": [1, 8, 32, 58], "g6.4xlarge": [1, 16, 64, 234],
    "g6.8xlarge": [1, 32, 128, 234], "g6.16xlarge": [1, 64, 256, 737],
    "g6.12xlarge": [4, 48, 192, 234], "g6.24xlarge": [4, 96, 384, 737], "g6.48xlarge": [8, 192, 768, 737],
  }),
  ...family("aws", "A10G", {
    "g5.xlarge": [1, 4, 16, 58], "g5.2xlarge": [1, 8, 32, 58], "g5.4xlarge": [1, 16, 64, 234],
    "g5.8xlarge": [1, 32, 128, 234], "g5.16xlarge": [1, 64, 256, 234],
    "g5.12xlarge": [4, 48, 192, 737], "g5.24xlarge": [4, 96, 384, 737], "g5.48xlarge": [8, 192, 768, 345],
  }),
  ...family("gcp", "H100", {
    "a3-highgpu-1g": [1, 26, 234], "a3-highgpu-2g": [2, 52, 468], "a3-highgpu-4g": [4, 104, 936], "a3-highgpu-8g": [8, 208, 1872],
  }),
  ...family("gcp", "A100_40", {
    "a2-highgpu-1g": [1, 12, 85], "a2-highgpu-2g": [2, 24, 170], "a2-highgpu-4g": [4, 48, 340], "a2-highgpu-8g": [8, 96, 680],
    "a2-megagpu-16g": [16, 96, 1360],
  }),
  ...family("gcp", "A100_80", {
    "a2-ultragpu-1g": [1, 12, 170], "a2-ultragpu-2g": [2, 24, 340], "a2-ultragpu-4g": [4, 48, 680], "a2-ultragpu-8g": [8, 96, 1360],
  }),
  ...family("gcp", "L4", {
    "g2-standard-4": [1, 4, 16], "g2-standard-8": [1, 8, 32], "g2-standard-12": [1, 12, 48], "g2-standard-16": [1, 16, 64],
    "g2-standard-32": [1, 32, 128], "g2-standard-24": [2, 24, 96], "g2-standard-48": [4, 48, 192], "g2-standard-96": [8, 96, 384],
  }),
};

/** Everything a node group, a label set or a fit check needs to know about a GPU instance type. */
export interface GpuCapacity {
  instanceType: string;
  cloud: "aws" | "gcp";
  gpuModel: GpuModelName;
  product: string;
  gpusPerNode: number;
  memoryGiBPerGpu: number;
  gcpAcceleratorType?: string;
  /** Host vCPUs and memory (GiB) of the instance, and on EC2 its ENI max pods. */
  vcpus: number;
  memoryGiB: number;
  eniMaxPods?: number;
}

/** Looks an instance type up; `undefined` means the type has no GPUs we know of (a CPU type). */
export function lookupGpuInstance(instanceType: string): GpuCapacity | undefined {
  const entry = gpuInstanceTypes[instanceType];
  if (!entry) return undefined;
  const model: GpuModel = gpuModels[entry.gpu];
  return {
    instanceType,
    cloud: entry.cloud,
    gpuModel: entry.gpu,
    product: model.product,
    gpusPerNode: entry.gpusPerNode,
    memoryGiBPerGpu: model.memoryMiB / 1024,
    gcpAcceleratorType: model.gcpAcceleratorType,
    vcpus: entry.vcpus,
    memoryGiB: entry.memoryGiB,
    eniMaxPods: entry.eniMaxPods,
  };
}

/** Node labels that advertise a node group's GPUs (GPU feature discovery's names and values). */
export function gpuNodeLabels(capacity: GpuCapacity): Record<string, string> {
  return {
    "nvidia.com/gpu.present": "true",
    "nvidia.com/gpu.product": capacity.product,
    "nvidia.com/gpu.count": String(capacity.gpusPerNode),
    "nvidia.com/gpu.memory": String(gpuModels[capacity.gpuModel].memoryMiB),
  };
}

/** The taint every GPU node carries so that only workloads asking for GPUs land there. */
export const gpuTaint = { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" } as const;

/** The toleration matching {@link gpuTaint}, for GPU workloads and the device plugin. */
export const gpuToleration = { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" } as const;
