/**
 * LeaderWorkerSet (kubernetes-sigs/lws, `leaderworkerset.x-k8s.io/v1`), the way multi-node vLLM
 * runs (Ray across a group of pods: lws docs/examples/vllm/GPU/lws.yaml). Its pods come from two
 * templates under spec.leaderWorkerTemplate: `workerTemplate` (required) and `leaderTemplate`
 * (optional; without it the leader is made from the worker template too: lws v0.10.0
 * pkg/controllers/leaderworkerset_controller.go constructLeaderStatefulSetApplyConfiguration).
 * Each group is one leader and `size` − 1 workers (size defaults to 1, api/leaderworkerset/v1
 * leaderworkerset_types.go). The GPU rules, images-pinned, sensitive-values-secret and
 * ambient-no-sidecar-injection judge both templates as they judge a Deployment's: the controller
 * copies each template's metadata (labels, annotations) and spec onto its StatefulSet's pods.
 */
import { isKind, podMetadata, podSpecOf, type Container } from "./k8s";
import { quantityValue } from "./quantity";
import { probe, type Probe } from "./values";

export const isLeaderWorkerSet = (type: string): boolean => isKind(type, "leaderworkerset.x-k8s.io", "LeaderWorkerSet");

/** One pod template: where it sits (for messages; "" for a workload's one template), its pod spec and metadata, read when used. */
export interface PodTemplate {
  path: string;
  spec: () => Record<string, any> | undefined;
  metadata: () => { labels?: Record<string, string>; annotations?: Record<string, string> };
}

/** The pod templates a LeaderWorkerSet makes pods from: the leader's when set, and the workers'. */
export function lwsTemplates(props: Record<string, any>): PodTemplate[] {
  const lwt = () => props.spec?.leaderWorkerTemplate;
  const out: PodTemplate[] = [];
  // An unknown leader template may be set: it is judged (read as unknown), never skipped.
  const leader = probe(() => lwt()?.leaderTemplate);
  if (!leader.known || leader.value) {
    out.push({ path: "spec.leaderWorkerTemplate.leaderTemplate", spec: () => lwt()?.leaderTemplate?.spec, metadata: () => lwt()?.leaderTemplate?.metadata ?? {} });
  }
  out.push({ path: "spec.leaderWorkerTemplate.workerTemplate", spec: () => lwt()?.workerTemplate?.spec, metadata: () => lwt()?.workerTemplate?.metadata ?? {} });
  return out;
}

/** The pod templates a workload (its one) or a LeaderWorkerSet (its leader's and workers') makes its pods from. */
export function podTemplatesOf(type: string, props: Record<string, any>): PodTemplate[] {
  if (isLeaderWorkerSet(type)) return lwsTemplates(props);
  return [{ path: "", spec: () => podSpecOf(type, props), metadata: () => podMetadata(type, props) }];
}

/** The GPUs one pod holds: the sum of its app containers' limits (init containers run before, their GPUs freed). */
export const podGpus = (spec: Record<string, any> | undefined, gpuResource: string): number =>
  ((spec?.containers ?? []) as Container[]).reduce((n, c) => n + (quantityValue(c.resources?.limits?.[gpuResource]) ?? 0), 0);

/**
 * The GPUs one group holds: its leader's pod (the leader template, else the worker's) and size − 1
 * workers. vLLM in the leader reaches all of them through Ray, so its parallel sizes are held to
 * this rather than to its own pod's limit.
 */
export function lwsGroupGpus(props: Record<string, any>, gpuResource: string): Probe<{ gpus: number; size: number }> {
  return probe(() => {
    const lwt = props.spec?.leaderWorkerTemplate;
    const size = Number(lwt?.size ?? 1);
    const worker = podGpus(lwt?.workerTemplate?.spec, gpuResource);
    const leader = lwt?.leaderTemplate ? podGpus(lwt.leaderTemplate.spec, gpuResource) : worker;
    return { gpus: leader + Math.max(size - 1, 0) * worker, size };
  });
}
