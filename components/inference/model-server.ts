/**
 * Model servers of one model version on one cluster: vLLM on GPUs, or the llm-d inference
 * simulator on CPU-only clusters with the same labels, port and served model name, so the same
 * InferencePool, EPP and routes sit in front of either.
 */
import type { ModelSpec, ModelVersionSpec, ClusterSpec } from "../../infra/schema";
import type { Versions } from "../../infra/versions";
import type { ClusterFit } from "../gpu/fit";
import { gpuProducts, modelStorageGiB, vllmEngineArgs } from "../gpu/fit";
import { GpuCapacity, gpuToleration, lookupGpuInstance } from "../gpu/catalog";
import { replicaHostResources } from "../gpu/host";
import { servingNodeGroups } from "../gpu/placement";
import { fitModelOf, replicasOf } from "../../infra/validate";
import { Manifest } from "../k8s/apply";
import { maxLoraRank } from "../../infra/schema-lora";
import { isObjectStoreUri } from "../../infra/object-store-model";
import { inferenceNamespace, modelServerLabels, modelServerServiceAccount, poolName, poolSelector, ports } from "./names";

/** Where the Hugging Face token lives; optional so public models start without it. */
export const hfTokenSecret = { name: "hf-token", key: "token" } as const;

/** vLLM sleeps this long before SIGTERM so the gateway and EPP stop sending it new requests. */
export const preStopSleepSeconds = 30;
/** Longest request drain plus the preStop sleep, with headroom (upstream's worked example). */
export const terminationGracePeriodSeconds = 130;

export interface ModelServerArgs {
  model: ModelSpec;
  version: ModelVersionSpec;
  cluster: ClusterSpec;
  /** The model's fit on this cluster (vLLM only): which GPU products it may be scheduled on. */
  fit?: ClusterFit;
  versions: Versions;
}


/** `https://huggingface.co/org/repo` → `org/repo`, the form vLLM resolves from the Hub. */
export function loraSource(source: string): string {
  return source.replace(/^https?:\/\/huggingface\.co\//, "").replace(/\/+$/, "");
}

/** vLLM server arguments: served name, port, the fit arithmetic's engine flags, prefix caching, LoRA. */
export function vllmArgs(model: ModelSpec, version: ModelVersionSpec): string[] {
  const lora = model.loraAdapters;
  return [
    "--model", model.servedModelName,
    // vLLM reads an s3:// or gs:// model only through the Run:ai Model Streamer's load format.
    ...(isObjectStoreUri(model.servedModelName) ? ["--load-format", "runai_streamer"] : []),
    ...(version.revision ? ["--revision", version.revision] : []),
    "--served-model-name", model.servedModelName,
    "--port", String(ports.modelServer),
    ...vllmEngineArgs(fitModelOf(model)),
    "--enable-prefix-caching",
    ...(lora.length > 0 ? vllmLoraArgs(lora) : []),
  ];
}

/**
 * LoRA serving: every adapter loaded at startup, all of them usable in one batch, and slots of the
 * rank the adapters state (vLLM's default of 16 otherwise, which an adapter of a higher rank
 * exceeds: vLLM then exits at startup).
 */
function vllmLoraArgs(lora: ModelSpec["loraAdapters"]): string[] {
  const rank = maxLoraRank(lora);
  return [
    "--enable-lora",
    "--max-loras", String(lora.length),
    ...(rank !== undefined ? ["--max-lora-rank", String(rank)] : []),
    "--lora-modules", ...lora.map((a) => `${a.name}=${loraSource(a.source)}`),
  ];
}

/** Simulator arguments: the same served model name, port and context length as vLLM would have. */
export function simulatorArgs(model: ModelSpec): string[] {
  const lora = model.loraAdapters;
  return [
    "--model", model.servedModelName,
    "--served-model-name", model.servedModelName,
    "--port", String(ports.modelServer),
    "--max-model-len", String(model.maxModelLen),
    // A real Hugging Face model name makes the simulator tokenize through a vLLM render service
    // (`--render-url`, default localhost:8082) and fail at startup without one.
    "--force-dummy-tokenizer",
    ...(lora.length > 0
      ? ["--max-loras", String(lora.length), "--lora-modules", ...lora.map((a) => JSON.stringify({ name: a.name }))]
      : []),
  ];
}

const healthGet = { httpGet: { path: "/health", port: "http", scheme: "HTTP" } };

/** Startup gates liveness and readiness until the weights are loaded (up to 10 minutes). */
export const modelServerProbes = {
  startupProbe: { ...healthGet, initialDelaySeconds: 2, periodSeconds: 1, failureThreshold: 600 },
  readinessProbe: { ...healthGet, periodSeconds: 1, successThreshold: 1, failureThreshold: 1, timeoutSeconds: 1 },
  livenessProbe: { ...healthGet, periodSeconds: 1, successThreshold: 1, failureThreshold: 5, timeoutSeconds: 1 },
};

/**
 * The GPU node types of this cluster a replica's node affinity lets it land on: node groups whose
 * GPU product the fit allows (any GPU node group when the fit names none, as the nodeSelector does).
 * A group at desiredSize 0 has no node to land on (no autoscaler adds any), so a smaller type kept
 * at 0 beside the running one does not shrink every replica's share; only where every such group
 * is at 0 are they all counted. A group the fit rejected (`rejectedGroups`: of the model's GPU
 * product, but with too small a disk for the weights) holds no replica either: the pod's
 * ephemeral-storage request keeps it off.
 */
export function replicaNodeTypes(cluster: ClusterSpec, products: string[], rejectedGroups: string[] = []): GpuCapacity[] {
  const allowed = servingNodeGroups(cluster.nodeGroups, products, rejectedGroups).map((g) => ({ gpu: lookupGpuInstance(g.instanceType)!, running: g.desiredSize > 0 }));
  const running = allowed.filter((a) => a.running);
  return (running.length > 0 ? running : allowed).map((a) => a.gpu);
}

/**
 * The vLLM container's resources. CPU and memory are the replica's share of its node type's pod
 * budget (components/gpu/host.ts), computed from this cluster's node groups, so the same model
 * asks for more on a larger host. Limits equal requests (Guaranteed QoS, as the llm-d guides and
 * llm-d-router's vLLM manifests set them): such pods are evicted last under node memory pressure
 * and the kernel OOM killer spares them (oom_score_adj −997), and no replica can take another's
 * share of host memory (the memory-backed /dev/shm tensor parallelism uses counts against it) or
 * CPU (vLLM runs an API server, an engine core in a busy loop and a worker process per GPU).
 */
export function vllmResources(model: ModelSpec, cluster: ClusterSpec, products: string[], rejectedGroups: string[] = []): Record<string, Record<string, string>> {
  const gpus = String(model.gpusPerReplica);
  // Types with fewer GPUs than a replica takes never hold it (the fit check refuses them).
  const types = replicaNodeTypes(cluster, products, rejectedGroups).filter((c) => c.gpusPerNode >= model.gpusPerReplica);
  const host = replicaHostResources(types, model.gpusPerReplica);
  const cpuMemory: Record<string, string> = host ? { cpu: `${host.cpuMilli}m`, memory: `${host.memoryMiB}Mi` } : {};
  return {
    requests: { "nvidia.com/gpu": gpus, ...cpuMemory, "ephemeral-storage": `${modelStorageGiB(model)}Gi` },
    limits: { "nvidia.com/gpu": gpus, ...cpuMemory },
  };
}

/**
 * The region the streamer signs its S3 requests for, on an EKS cluster: the cluster's. The streamer
 * passes boto3's region (AWS_DEFAULT_REGION) to its AWS C++ SDK client, whose configuration
 * otherwise asks IMDS for one (runai-model-streamer cpp/s3/s3.cc), and IMDS stays out of the pods'
 * reach (their credentials come from EKS Pod Identity, ../cloud/aws/model-reader.ts). So the model's
 * bucket is read in the cluster's region. Nothing elsewhere: an existing cluster's operator sets it.
 */
export function s3RegionEnv(model: ModelSpec, cluster: ClusterSpec): { name: string; value: string }[] {
  if (cluster.cloud !== "aws" || !model.servedModelName.startsWith("s3://")) return [];
  return [
    { name: "AWS_REGION", value: cluster.region },
    { name: "AWS_DEFAULT_REGION", value: cluster.region },
  ];
}

function vllmContainer(args: ModelServerArgs): Record<string, unknown> {
  const { model, version, versions } = args;
  return {
    name: "vllm",
    image: version.image ?? versions.vllmImage,
    imagePullPolicy: "IfNotPresent",
    command: ["python3", "-m", "vllm.entrypoints.openai.api_server"],
    args: vllmArgs(model, version),
    env: [
      { name: "HF_TOKEN", valueFrom: { secretKeyRef: { ...hfTokenSecret, optional: true } } },
      { name: "HF_HOME", value: "/data/huggingface" },
      ...s3RegionEnv(model, args.cluster),
    ],
    ports: [{ name: "http", containerPort: ports.modelServer, protocol: "TCP" }],
    ...modelServerProbes,
    lifecycle: { preStop: { sleep: { seconds: preStopSleepSeconds } } },
    resources: vllmResources(model, args.cluster, gpuProducts(args.fit), args.fit?.rejected.map((r) => r.nodeGroup.name)),
    volumeMounts: [
      { name: "data", mountPath: "/data" },
      { name: "shm", mountPath: "/dev/shm" },
    ],
  };
}

function simulatorContainer(args: ModelServerArgs): Record<string, unknown> {
  const { model, version, versions } = args;
  return {
    name: "vllm-sim",
    image: version.image ?? versions.simulatorImage,
    imagePullPolicy: "IfNotPresent",
    args: simulatorArgs(model),
    // The names the simulator reads (pkg/common/parser.go at v0.10.2); upstream's sample sets
    // NAMESPACE, which it ignores, so its responses lose their x-inference-namespace header.
    env: [
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
    ],
    ports: [{ name: "http", containerPort: ports.modelServer, protocol: "TCP" }],
    ...modelServerProbes,
    lifecycle: { preStop: { sleep: { seconds: preStopSleepSeconds } } },
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
  };
}

/**
 * How long `pulumi up` waits for a vLLM Deployment (Pulumi's default is 10 minutes): a GPU node
 * joining (driver install and reboot on k3s), the vLLM image pull, then the startup probe's own
 * 10 minutes for the weights download and load; an update replaces one pod after another, each
 * draining (up to 130 s) before its successor loads.
 */
export function vllmReadyTimeoutSeconds(replicas: number): number {
  return 2400 + Math.max(0, replicas - 1) * (terminationGracePeriodSeconds + 600);
}

/** Whether an object's pods request GPUs, which the device plugin must advertise before they schedule. */
export function requestsGpus(m: Manifest): boolean {
  const template = (m.spec as { template?: { spec?: { containers?: { resources?: { requests?: Record<string, unknown> } }[] } } } | undefined)?.template;
  return (template?.spec?.containers ?? []).some((c) => c.resources?.requests?.["nvidia.com/gpu"] !== undefined);
}

/** ServiceAccount, Deployment and PodDisruptionBudget of one model version on one cluster. */
export function modelServerManifests(args: ModelServerArgs): Manifest[] {
  const { model, version } = args;
  const name = poolName(model, version);
  const labels = modelServerLabels(model, version);
  const selector = poolSelector(model, version);
  const vllm = model.server === "vllm";
  const products = gpuProducts(args.fit);
  const metadata = { name, namespace: inferenceNamespace, labels };
  const podSpec: Record<string, unknown> = {
    serviceAccountName: modelServerServiceAccount(name),
    automountServiceAccountToken: false,
    // A Service named `vllm` would inject VLLM_PORT=tcp://… and crash vLLM.
    enableServiceLinks: false,
    terminationGracePeriodSeconds,
    containers: [vllm ? vllmContainer(args) : simulatorContainer(args)],
    ...(vllm
      ? {
          tolerations: [{ ...gpuToleration }],
          ...(products.length > 0
            ? {
                affinity: {
                  nodeAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: {
                      nodeSelectorTerms: [{ matchExpressions: [{ key: "nvidia.com/gpu.product", operator: "In", values: products }] }],
                    },
                  },
                },
              }
            : { nodeSelector: { "nvidia.com/gpu.present": "true" } }),
          volumes: [
            { name: "data", emptyDir: {} },
            { name: "shm", emptyDir: { medium: "Memory" } },
          ],
        }
      : {}),
  };
  return [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: modelServerServiceAccount(name), namespace: inferenceNamespace, labels },
      automountServiceAccountToken: false,
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: vllm ? { ...metadata, annotations: { "pulumi.com/timeoutSeconds": String(vllmReadyTimeoutSeconds(replicasOf(model, version))) } } : metadata,
      spec: {
        replicas: replicasOf(model, version),
        // GPU nodes are sized to the replicas (config validation packs them at desiredSize): a
        // surge pod would find no free GPU and stall the rollout. One pod at a time instead (the
        // budget the PDB gives evictions); a one-replica version is down while its pod restarts.
        ...(vllm ? { strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } } } : {}),
        selector: { matchLabels: selector },
        template: { metadata: { labels }, spec: podSpec },
      },
    },
    {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata,
      spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
    },
  ];
}
