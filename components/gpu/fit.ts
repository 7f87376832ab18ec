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

/** The KV-cache shape of a model, from its Hugging Face config.json. */
export interface ModelArchitecture {
  /** `num_hidden_layers`. */
  layers: number;
  /** `num_key_value_heads` (fewer than the attention heads under grouped-query attention). */
  kvHeads: number;
  /** `head_dim`, else `hidden_size / num_attention_heads`. */
  headDim: number;
}

export interface FitModel {
  name: string;
  parametersBillions: number;
  dtype: WeightDtype;
  /** GPUs per replica: the tensor-parallel size. */
  gpusPerReplica: number;
  gpuMemoryUtilization: number;
  maxModelLen: number;
  /** When known, one sequence of `maxModelLen` tokens must fit the KV cache (vLLM refuses to start otherwise). */
  architecture?: ModelArchitecture;
}

export interface FitNodeGroup {
  cluster: string;
  name: string;
  instanceType: string;
  /** Nodes the group runs: no cluster autoscaler is installed, so this is what pods get. */
  desiredSize: number;
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
  problems: string[];
}

const GiB = 1024 ** 3;

export function weightsGiB(parametersBillions: number, dtype: WeightDtype): number {
  return (parametersBillions * 1e9 * bytesPerParameter[dtype]) / GiB;
}

/**
 * A GiB figure for a message, to a tenth. A parameter count near the largest double overflows the
 * arithmetic to Infinity (parametersBillions takes any finite number): such a figure is said in
 * words instead of printing "Infinity".
 */
const round = (n: number): string => (Number.isFinite(n) ? String(Math.round(n * 10) / 10) : n > 0 ? "more than 1e308" : "less than -1e308");

/**
 * KV-cache bytes one token takes on one GPU of a replica: keys and values for every layer and
 * every KV head the GPU holds (tensor parallelism splits the heads, and replicates them when it
 * exceeds their number). The cache keeps the activation dtype: 16-bit for quantized weights too.
 */
export function kvCacheBytesPerToken(model: Pick<FitModel, "dtype" | "gpusPerReplica">, arch: ModelArchitecture): number {
  const headsPerGpu = Math.max(1, arch.kvHeads / model.gpusPerReplica);
  const elementBytes = model.dtype === "float32" ? 4 : 2;
  return 2 * arch.layers * headsPerGpu * arch.headDim * elementBytes;
}

/**
 * The divisors of n, ascending, found in pairs up to √n: kvHeads takes any integer up to 2^53, and
 * listing 1..n to filter them allocated n numbers (a billion heads ran the config check out of
 * memory). Beyond 10^12 (a million trial divisions) no list is given: no model has such a head count.
 */
function divisorsOf(n: number): number[] | undefined {
  if (n > 1e12) return undefined;
  const low: number[] = [];
  const high: number[] = [];
  for (let d = 1; d * d <= n; d++) {
    if (n % d !== 0) continue;
    low.push(d);
    if (d * d !== n) high.unshift(n / d);
  }
  return [...low, ...high];
}

/**
 * Why vLLM cannot shard a model's KV heads over `tensorParallel` GPUs, or undefined when it can.
 * vLLM's QKVParallelLinear splits the KV heads across the GPUs when there are more heads than
 * GPUs, and replicates them when there are fewer: `divide()` asserts an exact quotient either
 * way, so the engine fails at start-up (after the weights download) when neither divides the other.
 */
export function tensorParallelProblem(tensorParallel: number, kvHeads: number): string | undefined {
  const [big, small] = tensorParallel >= kvHeads ? [tensorParallel, kvHeads] : [kvHeads, tensorParallel];
  if (big % small === 0) return undefined;
  const divisors = divisorsOf(kvHeads);
  return (
    `tensor-parallel size ${tensorParallel} and the model's ${kvHeads} KV heads (architecture.kvHeads) do not divide one another; ` +
    `vLLM splits the KV heads over the GPUs (or replicates them) evenly and refuses to start otherwise: use a divisor of ${kvHeads} ` +
    `${divisors ? `(${divisors.join(", ")}) ` : ""}or a multiple of it (${[2, 3].map((k) => k * kvHeads).join(", ")}, …); vLLM also needs the attention heads divisible by it`
  );
}

const GB = 1e9 / GiB;

/**
 * vllm/vllm-openai as containerd stores it. Unpacked: 28.6 GB in `docker images` for the v0.12.0
 * image (vllm-project/vllm PR #22377), the latest measurement found (none for the pinned
 * release); the image is built on CUDA's devel base and has grown with vLLM's releases (issue
 * #17163: 25 GB images filling 50 GB nodes).
 * Compressed (the registry blobs): ~12 GB pulled for the v0.11 image (issue #27154). The ~10 GB
 * often quoted is the compressed figure, less than half of what the unpacked layers take.
 */
export const vllmImageGiB = { unpacked: 28.6 * GB, compressed: 12 * GB } as const;

/**
 * Whether the node's containerd keeps an image's compressed blobs beside its unpacked snapshot.
 * EKS AL2023: nodeadm's containerd config templates set `discard_unpacked_layers = true`
 * (amazon-eks-ami nodeadm/internal/containerd/config*.template.toml). k3s: its built-in
 * templates (pkg/agent/templates, ContainerdConfigTemplate and ContainerdConfigTemplateV3) leave
 * it unset, and containerd's default is false, so both copies stay.
 */
export const keepsCompressedLayers = { aws: false, gcp: true } as const;

/**
 * The root filesystem before any pod: the EKS AL2023 AMIs (the NVIDIA one included) ship a
 * 20 GiB root snapshot (amazon-eks-ami templates/al2023/template.json), an upper bound of what
 * they hold; GCE's ubuntu-2204-lts image is a 10 GB disk, and the k3s agent's startup script adds
 * the NVIDIA driver, container toolkit and k3s to it (an allowance of 2 GiB).
 */
export const osDiskGiB = { aws: 20, gcp: 10 + 2 } as const;

/** journald keeps at most 4 GiB of persistent journal by default (SystemMaxUse caps at 4G). */
const journalGiB = 4;

/** The node agents' images (ztunnel, istio-cni, the device plugin, pause, the CNI): a few hundred MB each at most. */
const nodeAgentImagesGiB = 2;

/**
 * Node disk that never holds weights: the OS, the journal, the node agents' images and the vLLM
 * images the node's replicas run, each as containerd keeps it (unpacked, plus compressed where the
 * blobs are not discarded). Pulling needs both copies at once on every cloud (containerd unpacks
 * every layer before it discards any), but an image's first pull comes before its first replica's
 * weights, and the replicas that follow reuse it. A version with an image of its own
 * (versions[].image) puts a second one beside the first on a node running both versions; an image
 * no replica runs any more is the kubelet's to collect (its image GC starts at 85% used by
 * default, below either cloud's eviction threshold).
 */
export function nodeDiskReserveGiB(cloud: keyof typeof osDiskGiB, vllmImages = 1): number {
  const vllm = vllmImageGiB.unpacked + (keepsCompressedLayers[cloud] ? vllmImageGiB.compressed : 0);
  return Math.ceil(osDiskGiB[cloud] + journalGiB + nodeAgentImagesGiB + vllmImages * vllm);
}

/**
 * Share of the node's root filesystem the kubelet keeps free: it evicts pods once
 * `nodefs.available` drops below it (hard eviction), and subtracts it from the node's allocatable
 * `ephemeral-storage` the scheduler packs requests into. EKS AL2023 nodes: nodeadm's kubelet
 * config sets `nodefs.available: 10%` (amazon-eks-ami nodeadm/internal/kubelet/config.go); k3s
 * agents: `nodefs.available`/`imagefs.available` 5% (k3s pkg/daemons/agent). The OS, images and
 * logs sit on the same filesystem, so the weights must leave this share and the reserve free.
 */
export const nodefsEvictionFraction = { aws: 0.1, gcp: 0.05 } as const;

/** Ephemeral storage a node's pods can fill without pushing the node into disk-pressure eviction. */
export function podStorageGiB(cloud: keyof typeof nodefsEvictionFraction, diskSizeGiB: number, vllmImages = 1): number {
  return Math.floor(diskSizeGiB * (1 - nodefsEvictionFraction[cloud])) - nodeDiskReserveGiB(cloud, vllmImages);
}

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
  const problems: string[] = [];
  if (model.gpusPerReplica > capacity.gpusPerNode) {
    problems.push(
      `tensor-parallel size ${model.gpusPerReplica} exceeds the ${capacity.gpusPerNode} GPUs per node of ${nodeGroup.instanceType}`,
    );
  }
  if (kvCache < options.minKvCacheFraction * usable) {
    problems.push(
      `weights need ${round(weightsPerGpu)} GiB per GPU (${model.parametersBillions}B × ${bytesPerParameter[model.dtype]} bytes / TP ${model.gpusPerReplica}) ` +
        `but ${nodeGroup.instanceType} offers ${round(usable)} GiB usable (${model.gpuMemoryUtilization} × ${round(capacity.memoryGiBPerGpu)} GiB ${capacity.gpuModel}), ` +
        `leaving ${round(kvCache)} GiB for the KV cache where at least ${round(options.minKvCacheFraction * usable)} GiB is required`,
    );
  } else if (model.architecture) {
    const sequenceGiB = (model.maxModelLen * kvCacheBytesPerToken(model, model.architecture)) / GiB;
    if (sequenceGiB > kvCache) {
      problems.push(
        `one ${model.maxModelLen}-token sequence needs ${round(sequenceGiB)} GiB of KV cache per GPU (${model.architecture.layers} layers × ` +
          `${model.architecture.kvHeads} KV heads × ${model.architecture.headDim} / TP ${model.gpusPerReplica}) but ${nodeGroup.instanceType} leaves ` +
          `${round(kvCache)} GiB after the weights; vLLM would refuse to start: lower maxModelLen or raise gpusPerReplica`,
      );
    }
  }
  const storage = modelStorageGiB(model);
  const podStorage = nodeGroup.diskSizeGiB === undefined ? Infinity : podStorageGiB(capacity.cloud, nodeGroup.diskSizeGiB);
  if (storage > podStorage) {
    const evictionPercent = nodefsEvictionFraction[capacity.cloud] * 100;
    problems.push(
      `a replica downloads ${round(storage)} GiB of weights into ephemeral storage but a ${nodeGroup.diskSizeGiB} GiB node disk (diskSizeGiB) ` +
        `leaves ${podStorage} GiB after the ${evictionPercent}% the kubelet keeps free (it evicts pods below that) ` +
        `and ${nodeDiskReserveGiB(capacity.cloud)} GiB for the OS, logs and images (the vLLM image alone takes ${round(vllmImageGiB.unpacked)} GiB unpacked; raise diskSizeGiB)`,
    );
  }
  return {
    nodeGroup,
    capacity,
    weightsGiBPerGpu: weightsPerGpu,
    usableGiBPerGpu: usable,
    kvCacheGiBPerGpu: kvCache,
    problems,
  };
}

/** The outcome of placing a model in one cluster: the node groups it fits, or why none does. */
export interface ClusterFit {
  cluster: string;
  fits: NodeGroupFit[];
  rejected: NodeGroupFit[];
}

/** GPU products of the node groups a model fits on in a cluster: the model-server pods' node affinity. */
export function gpuProducts(fit: ClusterFit | undefined): string[] {
  return [...new Set((fit?.fits ?? []).map((f) => f.capacity.product))].sort();
}

export function fitInCluster(model: FitModel, cluster: string, nodeGroups: FitNodeGroup[], options: FitOptions): ClusterFit {
  const all = nodeGroups
    .filter((g) => g.cluster === cluster)
    .map((g) => fitOnNodeGroup(model, g, options))
    .filter((f): f is NodeGroupFit => f !== undefined);
  return { cluster, fits: all.filter((f) => f.problems.length === 0), rejected: all.filter((f) => f.problems.length > 0) };
}

/**
 * vLLM's `--dtype` for 16- and 32-bit weights. Quantized dtypes describe the checkpoint: vLLM reads
 * the method (FP8, AWQ, GPTQ, compressed-tensors…) from its config.json, and a `--quantization`
 * flag that disagrees with it is an error, so none is passed.
 */
const vllmDtype: Partial<Record<WeightDtype, string>> = { bfloat16: "bfloat16", float16: "float16", float32: "float32" };

/** vLLM engine flags that follow from the fit arithmetic. */
export function vllmEngineArgs(model: FitModel): string[] {
  const dtype = vllmDtype[model.dtype];
  return [
    "--tensor-parallel-size", String(model.gpusPerReplica),
    "--gpu-memory-utilization", String(model.gpuMemoryUtilization),
    "--max-model-len", String(model.maxModelLen),
    ...(dtype ? ["--dtype", dtype] : []),
  ];
}
