/**
 * Policy-review mutations of the model servers behind the pools: a vLLM server listening off its
 * pool's target port (--port), probed on a port its container does not declare, renamed by
 * --served-model-name away from its route's model, or asking for more tensor-parallel ranks than
 * its GPU limit, or a --gpu-memory-utilization vLLM refuses.
 */
import type { ExportedResource } from "../../scripts/lib/review-wire";
import { Mutation, isKind, onFirst } from "./mutations-support";

/** A vLLM Deployment (GPU clusters only: the local stack runs the simulator). */
const vllmServer = (r: ExportedResource) => isKind(r, "Deployment") && (r.inputs as any)?.spec?.template?.spec?.containers?.[0]?.name === "vllm";

/** Sets the value after `flag` in the first vLLM server's arguments; its URN, or undefined. */
const setVllmArg = (doc: Parameters<Mutation["apply"]>[0], flag: string, value: string) =>
  onFirst(doc, vllmServer, (o) => {
    const args = o.spec.template.spec.containers[0].args;
    args[args.indexOf(flag) + 1] = value;
  });

export const modelServerMutations: Mutation[] = [
  {
    // The ServiceAccount admission plugin refuses every pod naming an account its namespace lacks: the pool gets no endpoint.
    name: "a vLLM server's serviceAccountName misspelt (no such ServiceAccount in inference)",
    policy: "inference-pool-epp",
    apply: (doc) => onFirst(doc, vllmServer, (o) => (o.spec.template.spec.serviceAccountName = `${o.spec.template.spec.serviceAccountName}-typo`)),
  },
  {
    // vLLM listens where --port says: nothing serves the pool's target port 8000.
    name: "a vLLM server started with --port 8080 while its pool targets 8000",
    policy: "inference-pool-epp",
    apply: (doc) => setVllmArg(doc, "--port", "8080"),
  },
  {
    // The kubelet cannot resolve the name: the server never turns Ready, and the pool has no ready endpoint.
    name: "a model server whose readiness probe names a port (metrics) its container does not declare",
    policy: "inference-pool-epp",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "Deployment") && (r.inputs as any).metadata.namespace === "inference" && (r.inputs as any).spec.template.spec.containers[0].readinessProbe?.httpGet?.port === "http", (o) => (o.spec.template.spec.containers[0].readinessProbe.httpGet.port = "metrics")),
  },
  {
    // The route's requests carry the model name it matches; vLLM answers 404 for a name it does not serve.
    name: "a vLLM server renamed by --served-model-name while its model's route matches the old name",
    policy: "inference-pool-epp",
    apply: (doc) => setVllmArg(doc, "--served-model-name", "renamed"),
  },
  {
    // vLLM asks Ray for GPUs the pod does not hold and never starts.
    name: "a vLLM server with --tensor-parallel-size above its nvidia.com/gpu limit",
    policy: "gpu-scheduling",
    apply: (doc) => setVllmArg(doc, "--tensor-parallel-size", "8"),
  },
  {
    // vLLM's CacheConfig (gpu_memory_utilization: gt 0, le 1) refuses it at startup: the pod crash-loops.
    name: "a vLLM server with --gpu-memory-utilization 1.5",
    policy: "gpu-scheduling",
    apply: (doc) => setVllmArg(doc, "--gpu-memory-utilization", "1.5"),
  },
];
