/**
 * The GPU instance catalog: cloud instance/machine type → GPU model, GPUs per node, GPU memory.
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
}

function family(
  cloud: "aws" | "gcp",
  gpu: GpuModelName,
  sizes: Record<string, number>,
): Record<string, GpuInstanceType> {
  return Object.fromEntries(
    Object.entries(sizes).map(([type, gpusPerNode]) => [type, { cloud, gpu, gpusPerNode }]),
  );
}

/** Instance types the stacks use and their neighbours in the same families. */
export const gpuInstanceTypes: Record<string, GpuInstanceType> = {
  ...family("aws", "H100", { "p5.48xlarge": 8 }),
  ...family("aws", "H200", { "p5e.48xlarge": 8, "p5en.48xlarge": 8 }),
  ...family("aws", "A100_40", { "p4d.24xlarge": 8 }),
  ...family("aws", "A100_80", { "p4de.24xlarge": 8 }),
  ...family("aws", "L40S", {
    "g6e.xlarge": 1, "g6e.2xlarge": 1, "g6e.4xlarge": 1, "g6e.8xlarge": 1, "g6e.16xlarge": 1,
    "g6e.12xlarge": 4, "g6e.24xlarge": 4, "g6e.48xlarge": 8,
  }),
  ...family("aws", "L4", {
    "g6.xlarge": 1, "g6.2xlarge": 1, "g6.4xlarge": 1, "g6.8xlarge": 1, "g6.16xlarge": 1,
    "g6.12xlarge": 4, "g6.24xlarge": 4, "g6.48xlarge": 8,
  }),
  ...family("aws", "A10G", {
    "g5.xlarge": 1, "g5.2xlarge": 1, "g5.4xlarge": 1, "g5.8xlarge": 1, "g5.16xlarge": 1,
    "g5.12xlarge": 4, "g5.24xlarge": 4, "g5.48xlarge": 8,
  }),
  ...family("gcp", "H100", { "a3-highgpu-1g": 1, "a3-highgpu-2g": 2, "a3-highgpu-4g": 4, "a3-highgpu-8g": 8 }),
  ...family("gcp", "A100_40", {
    "a2-highgpu-1g": 1, "a2-highgpu-2g": 2, "a2-highgpu-4g": 4, "a2-highgpu-8g": 8, "a2-megagpu-16g": 16,
  }),
  ...family("gcp", "A100_80", { "a2-ultragpu-1g": 1, "a2-ultragpu-2g": 2, "a2-ultragpu-4g": 4, "a2-ultragpu-8g": 8 }),
  ...family("gcp", "L4", {
    "g2-standard-4": 1, "g2-standard-8": 1, "g2-standard-12": 1, "g2-standard-16": 1, "g2-standard-32": 1,
    "g2-standard-24": 2, "g2-standard-48": 4, "g2-standard-96": 8,
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
