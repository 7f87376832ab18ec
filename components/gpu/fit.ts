/**
 * Model-fit arithmetic: does a model version fit the GPUs it may run on, and with which vLLM
 * engine arguments. Pure and shared by config validation (a model that does not fit is a config
 * error) and by the model-server fleet (the same numbers become vLLM flags).
 */
import { GpuCapacity, lookupGpuInstance } from "./catalog";

/** Bytes per parameter for the weight dtypes vLLM serves. */
export const bytesPerParameter = {
  float32: 4,
  bfloat16: 2,
  float16: 2,
  fp8: 1,
  int8: 1,
  int4: 0.5,
} as const;

export type WeightDtype = keyof typeof bytesPerParameter;

export interface FitModel {
  name: string;
  parametersBillions: number;
  dtype: WeightDtype;
  /** GPUs per replica: the tensor-parallel size. */
  gpusPerReplica: number;
  replicas: number;
  gpuMemoryUtilization: number;
  maxModelLen: number;
}

export interface FitNodeGroup {
  cluster: string;
  name: string;
  instanceType: string;
  maxSize: number;
  /** Node root disk; the weights download into the pod's ephemeral storage on it. */
  diskSizeGiB?: number;
}

export interface FitOptions {
  /** Share of the usable GPU memory that must stay free for the KV cache after the weights. */
  minKvCacheFraction: number;
}

/** How one model fits one node group, with every number a message may need. */
export interface NodeGroupFit {
  nodeGroup: FitNodeGroup;
  capacity: GpuCapacity;
  weightsGiBPerGpu: number;
  usableGiBPerGpu: number;
  kvCacheGiBPerGpu: number;
  /** GPUs the node group can offer at its maximum size. */
  gpuCapacity: number;
  problems: string[];
}

const GiB = 1024 ** 3;

export function weightsGiB(parametersBillions: number, dtype: WeightDtype): number {
  return (parametersBillions * 1e9 * bytesPerParameter[dtype]) / GiB;
}

const round = (n: number) => Math.round(n * 10) / 10;

/** Node disk the OS, kubelet logs and container images (the vLLM image alone is ~10 GiB) keep. */
export const nodeDiskReserveGiB = 30;

/**
 * Ephemeral storage one model-server pod needs: the weights it downloads into its emptyDir, plus
 * 10% and 1 GiB for tokenizer, config files and LoRA adapters. Requested by the pod so the
 * scheduler never packs more weights onto a node than its disk holds (DiskPressure evictions).
 */
export function modelStorageGiB(model: Pick<FitModel, "parametersBillions" | "dtype">): number {
  return Math.ceil(weightsGiB(model.parametersBillions, model.dtype) * 1.1 + 1);
}

/** Checks one model against one GPU node group; `problems` is empty when it fits. */
export function fitOnNodeGroup(model: FitModel, nodeGroup: FitNodeGroup, options: FitOptions): NodeGroupFit | undefined {
  const capacity = lookupGpuInstance(nodeGroup.instanceType);
  if (!capacity) return undefined;
  const weightsPerGpu = weightsGiB(model.parametersBillions, model.dtype) / model.gpusPerReplica;
  const usable = model.gpuMemoryUtilization * capacity.memoryGiBPerGpu;
  const kvCache = usable - weightsPerGpu;
  const gpuCapacity = nodeGroup.maxSize * capacity.gpusPerNode;
  const problems: string[] = [];
  if (model.gpusPerReplica > capacity.gpusPerNode) {
    problems.push(
      `tensor-parallel size ${model.gpusPerReplica} exceeds the ${capacity.gpusPerNode} GPUs per node of ${nodeGroup.instanceType}`,
    );
  }
  if (kvCache < options.minKvCacheFraction * usable) {
    problems.push(
      `weights need ${round(weightsPerGpu)} GiB per GPU (${model.parametersBillions}B × ${bytesPerParameter[model.dtype]} bytes / TP ${model.gpusPerReplica}) ` +
        `but ${nodeGroup.instanceType} offers ${round(usable)} GiB usable (${model.gpuMemoryUtilization} × ${capacity.memoryGiBPerGpu} GiB ${capacity.gpuModel}), ` +
        `leaving ${round(kvCache)} GiB for the KV cache where at least ${round(options.minKvCacheFraction * usable)} GiB is required`,
    );
  }
  const storage = modelStorageGiB(model);
  if (nodeGroup.diskSizeGiB !== undefined && storage > nodeGroup.diskSizeGiB - nodeDiskReserveGiB) {
    problems.push(
      `a replica downloads ${storage} GiB of weights into ephemeral storage but a ${nodeGroup.diskSizeGiB} GiB node disk (diskSizeGiB) ` +
        `leaves ${nodeGroup.diskSizeGiB - nodeDiskReserveGiB} GiB after ${nodeDiskReserveGiB} GiB for the OS and images (raise diskSizeGiB)`,
    );
  }
  if (model.replicas * model.gpusPerReplica > gpuCapacity) {
    problems.push(
      `${model.replicas} replicas × ${model.gpusPerReplica} GPUs = ${model.replicas * model.gpusPerReplica} GPUs exceed the node group's ${gpuCapacity} ` +
        `(max ${nodeGroup.maxSize} nodes × ${capacity.gpusPerNode} GPUs)`,
    );
  }
  return {
    nodeGroup,
    capacity,
    weightsGiBPerGpu: weightsPerGpu,
    usableGiBPerGpu: usable,
    kvCacheGiBPerGpu: kvCache,
    gpuCapacity,
    problems,
  };
}

/** The outcome of placing a model in one cluster: the node groups it fits, or why none does. */
export interface ClusterFit {
  cluster: string;
  fits: NodeGroupFit[];
  rejected: NodeGroupFit[];
}

export function fitInCluster(model: FitModel, cluster: string, nodeGroups: FitNodeGroup[], options: FitOptions): ClusterFit {
  const all = nodeGroups
    .filter((g) => g.cluster === cluster)
    .map((g) => fitOnNodeGroup(model, g, options))
    .filter((f): f is NodeGroupFit => f !== undefined);
  return { cluster, fits: all.filter((f) => f.problems.length === 0), rejected: all.filter((f) => f.problems.length > 0) };
}

/** vLLM engine flags that follow from the fit arithmetic. */
export function vllmEngineArgs(model: FitModel): string[] {
  return [
    "--tensor-parallel-size", String(model.gpusPerReplica),
    "--gpu-memory-utilization", String(model.gpuMemoryUtilization),
    "--max-model-len", String(model.maxModelLen),
  ];
}
