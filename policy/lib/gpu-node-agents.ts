/**
 * The node agents that must run on the GPU nodes too, held by gpu-scheduling to tolerate the GPU
 * taint: the NVIDIA device plugin, ztunnel and istio-cni, as Helm releases or as DaemonSets.
 */
import { dig } from "./k8s";
import type { GpuKnobs } from "./gpu-nodes";
import { refusedToleration, tolerates, type Toleration } from "./tolerations";
import { list, probe } from "./values";

/**
 * Node agents that must run on the GPU nodes too, so their releases must tolerate the GPU taint:
 * the NVIDIA device plugin (nothing advertises nvidia.com/gpu on a node it does not run on, so no
 * GPU pod schedules), and Istio's ztunnel and istio-cni (a GPU node without them leaves its pods
 * outside the ambient data plane). `paths` are where the values set the pod's tolerations, the
 * one that wins first; none set means the chart's default, which tolerates every NoSchedule
 * taint or the GPU one. A list given replaces the default (Helm replaces lists; Istio's charts
 * lay the values over `_internal_defaults_do_not_set` with mustMergeOverwrite, which replaces a
 * list too, an empty one included), and the templates render tolerations only when the list is
 * non-empty (`with`/`if`), so `[]` or null leaves the pods with none.
 */
export const nodeAgentCharts = new Map<string, { pods: string; paths: string[]; without: string }>([
  // nvidia-device-plugin v0.20.0 values.yaml: CriticalAddonsOnly and nvidia.com/gpu Exists NoSchedule; daemonset-device-plugin.yml `with .Values.tolerations`.
  ["nvidia-device-plugin", { pods: "device plugin", paths: ["tolerations"], without: "no GPU node advertises nvidia.com/gpu and no GPU pod schedules" }],
  // Istio 1.30.3 ztunnel values.yaml: NoSchedule/NoExecute Exists without a key; daemonset.yaml `if .Values.tolerations`.
  ["ztunnel", { pods: "ztunnel", paths: ["tolerations"], without: "the GPU nodes' pods are outside the ambient data plane (no mTLS, no authorization)" }],
  // Istio 1.30.3 istio-cni (chart `cni`): the same defaults; zzy_descope_legacy.yaml lays values.cni over the values.
  ...(["cni", "istio-cni"].map((chart) => [chart, { pods: "istio-cni", paths: ["cni.tolerations", "tolerations"], without: "the GPU nodes' pods are never enrolled in the ambient data plane (no mTLS, no authorization)" }]) as [string, { pods: string; paths: string[]; without: string }][]),
]);

/** Whether `path` is set in Helm values (to anything, null included): a value given replaces the chart's default. */
function valueSet(values: unknown, path: string): boolean {
  const keys = path.split(".");
  const parent = keys.length > 1 ? dig(values, keys.slice(0, -1).join(".")) : values;
  return !!parent && typeof parent === "object" && Object.prototype.hasOwnProperty.call(parent, keys[keys.length - 1]);
}

/**
 * Judges a node agent's release: the tolerations its values give the pods (the first set of
 * `paths`, else the chart's default, which tolerates) must tolerate the GPU taint.
 */
export function judgeNodeAgent(what: string, values: unknown, agent: { pods: string; paths: string[]; without: string }, config: GpuKnobs, report: (message: string) => void, pending: string[]): void {
  const read = probe(() => {
    const path = agent.paths.find((p) => valueSet(values, p));
    if (!path) return undefined;
    const given = dig(values, path);
    return { path, tolerations: Array.isArray(given) ? (given as Toleration[]).map((t) => ({ key: t?.key, operator: t?.operator, value: t?.value, effect: t?.effect, tolerationSeconds: t?.tolerationSeconds })) : [], given };
  });
  if (!read.known) {
    pending.push(`the tolerations of ${what}`);
    return;
  }
  if (!read.value) return;
  const { path, tolerations, given } = read.value;
  const refused = tolerations.flatMap((t, i) => refusedToleration(t, config.gpuTaintKey).map((why) => `values.${path}[${i}] ${why}`));
  for (const why of refused) report(`${what}: ${why}: the API server refuses the ${agent.pods} pods, so ${agent.without}`);
  if (refused.length > 0) return;
  if (tolerations.some((t) => tolerates(t, config.gpuTaintKey, config.gpuTaintValue))) return;
  const shown = Array.isArray(given) && given.length === 0 ? "[]" : given === null ? "null" : "a list without it";
  report(
    `${what}: values.${path} (${shown}) does not tolerate the ${config.gpuTaintKey}=${config.gpuTaintValue}:NoSchedule taint, so the ${agent.pods} never runs on the GPU nodes and ${agent.without}; add a toleration of the taint (e.g. key ${config.gpuTaintKey}, operator Exists, effect NoSchedule) or leave values.${path} unset for the chart's default, which tolerates it`,
  );
}

/**
 * Judges ztunnel or istio-cni applied as a DaemonSet (a v4 Chart's child): the chart's default
 * tolerations are no longer there to fall back on, so the pods must tolerate the GPU taint
 * themselves, as the release's values must. A refused toleration is judgePodSpec's to report.
 */
export function judgeNodeAgentPods(what: string, spec: Record<string, any>, agent: { pods: string; without: string }, config: GpuKnobs, report: (message: string) => void, pending: string[]): void {
  const tolerations = probe(() => list(spec.tolerations as Toleration[]));
  if (!tolerations.known) {
    pending.push(`the tolerations of ${what}`);
    return;
  }
  if (tolerations.value.some((t) => tolerates(t, config.gpuTaintKey, config.gpuTaintValue) || refusedToleration(t, config.gpuTaintKey).length > 0)) return;
  report(
    `${what} runs Istio's ${agent.pods} but does not tolerate the ${config.gpuTaintKey}=${config.gpuTaintValue}:NoSchedule taint, so the ${agent.pods} never runs on the GPU nodes and ${agent.without}; add a toleration of the taint to its pod template (e.g. key ${config.gpuTaintKey}, operator Exists, effect NoSchedule)`,
  );
}
