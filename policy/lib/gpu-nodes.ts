/**
 * GPU node groups as the pack can read them: EKS managed node groups (`aws:eks/nodeGroup:NodeGroup`,
 * which the program creates as plain resources so their settings are visible). The GPU taint on
 * the nodes is what keeps every pod that does not tolerate it off the GPUs: without it the
 * scheduler places CPU pods there like anywhere else, and no toleration rule means anything.
 */
import { list, probe } from "./values";

export const EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup";

/** EC2 families with NVIDIA GPUs (p3…p6, g4dn…g6f, gr6); g4ad carries AMD GPUs, which nvidia.com/gpu does not cover. */
const NVIDIA_FAMILY = /^(p\d|g\d|gr\d)[a-z0-9-]*\./;
const isNvidiaInstanceType = (t: unknown) => typeof t === "string" && NVIDIA_FAMILY.test(t) && !t.startsWith("g4ad.");

/**
 * Why a node group has NVIDIA GPUs (its NVIDIA/GPU AMI type, a GPU instance type, or the
 * `nvidia.com/gpu.present` label), undefined when nothing says so; throws the SDK's unknown-value
 * error while a setting it reads is not known.
 */
function gpuEvidence(props: Record<string, any>): string | undefined {
  const ami = props.amiType;
  if (typeof ami === "string" && /NVIDIA|GPU/.test(ami)) return `AMI type ${ami}`;
  const gpuType = list(props.instanceTypes as unknown[]).find(isNvidiaInstanceType);
  if (gpuType) return `instance type ${gpuType}`;
  if (props.labels?.["nvidia.com/gpu.present"] === "true") return "label nvidia.com/gpu.present=true";
  return undefined;
}

/**
 * Judges an EKS node group with NVIDIA GPUs: it must taint its nodes `<key>=<value>` with effect
 * NO_SCHEDULE (EKS's spelling of NoSchedule), the taint the workload checks hold tolerations to:
 * PREFER_NO_SCHEDULE keeps nothing off, and NO_EXECUTE (or another value) would also keep off the
 * GPU pods, which tolerate `<key>` with NoSchedule. Values not known in this preview go to `pending`.
 */
export function judgeGpuNodeGroup(name: string, props: Record<string, any>, taint: { key: string; value: string }, report: (message: string) => void, pending: string[]): void {
  const evidence = probe(() => gpuEvidence(props));
  if (!evidence.known) {
    pending.push(`whether EKS node group ${name} has GPUs (its amiType, instanceTypes or labels)`);
    return;
  }
  if (!evidence.value) return;
  const taints = probe(() => list(props.taints as { key?: unknown; value?: unknown; effect?: unknown }[]).map((t) => ({ key: t?.key, value: t?.value, effect: t?.effect })));
  if (!taints.known) {
    pending.push(`the taints of EKS node group ${name}`);
    return;
  }
  if (taints.value.some((t) => t.key === taint.key && (t.value ?? "") === taint.value && t.effect === "NO_SCHEDULE")) return;
  const given = taints.value.filter((t) => t.key === taint.key).map((t) => `${String(t.key)}=${String(t.value ?? "")}:${String(t.effect)}`);
  report(
    `EKS node group ${name} has NVIDIA GPUs (${evidence.value}) but does not taint its nodes ${taint.key}=${taint.value} with effect NO_SCHEDULE${given.length ? ` (it sets ${given.join(", ")})` : ""}: without it every pod that does not request a GPU can be scheduled on them and take their capacity, and another effect or value keeps off the GPU pods, which tolerate ${taint.key} with NoSchedule; set taints: [{ key: "${taint.key}", value: "${taint.value}", effect: "NO_SCHEDULE" }]`,
  );
}
