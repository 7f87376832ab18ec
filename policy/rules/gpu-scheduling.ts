import type { ResourceValidationPolicy } from "@pulumi/policy";
import { containersOf, isWorkload, meta, podSpecOf } from "../lib/k8s";
import { configWithDefaults, list } from "../lib/values";

interface Config {
  /** The extended resource GPUs are requested as. */
  gpuResource: string;
  /** The taint GPU nodes carry: `<key>=<value>:NoSchedule`. */
  gpuTaintKey: string;
  gpuTaintValue: string;
  /** `namespace/name` of workloads that may tolerate the GPU taint without requesting GPUs (device plugins, GPU monitoring). */
  allowedTolerators: string[];
}
const defaults: Config = { gpuResource: "nvidia.com/gpu", gpuTaintKey: "nvidia.com/gpu", gpuTaintValue: "present", allowedTolerators: [] };

interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

/**
 * Whether a toleration lets a pod onto nodes tainted `<key>=<value>:NoSchedule`, as the
 * scheduler matches it: same effect (or none), and `Exists` on the key (an empty key with
 * `Exists` tolerates every taint) or `Equal` (the default operator) with the taint's value.
 */
export function tolerates(t: Toleration, key: string, value: string): boolean {
  if (t.effect && t.effect !== "NoSchedule") return false;
  const operator = t.operator ?? "Equal";
  if (!t.key) return operator === "Exists";
  if (t.key !== key) return false;
  return operator === "Exists" || (operator === "Equal" && (t.value ?? "") === value);
}

/** The node label a pod pins itself to GPU nodes with (`nvidia.com/gpu.*`), by nodeSelector or required affinity. */
function gpuNodeSelection(spec: Record<string, any>, gpuLabelPrefix: string): string | undefined {
  const selected = Object.keys(spec.nodeSelector ?? {}).find((k) => k.startsWith(gpuLabelPrefix));
  if (selected) return `nodeSelector ${selected}`;
  const terms = list(spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms as { matchExpressions?: { key: string; operator?: string }[] }[]);
  const expr = terms.flatMap((t) => list(t.matchExpressions)).find((e) => e.key?.startsWith(gpuLabelPrefix) && e.operator !== "DoesNotExist" && e.operator !== "NotIn");
  return expr ? `node affinity ${expr.key}` : undefined;
}

function gpuCount(v: unknown): number {
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : 0;
  return Number.isFinite(n) ? n : 0;
}

/**
 * GPUs are the scarce resource: a GPU workload must request the device in limits (extended
 * resources are not overcommitted and requests alone are rejected) and tolerate the taint that
 * keeps everything else off GPU nodes; anything else tolerating that taint steals GPU capacity.
 */
export const gpuScheduling: ResourceValidationPolicy = {
  name: "gpu-scheduling",
  description:
    "Containers using GPUs set nvidia.com/gpu in resources.limits and their pods tolerate the nvidia.com/gpu taint; pods that request no GPU neither tolerate it nor select GPU nodes by label (except allow-listed device plugins), so GPU nodes run only GPU work.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      gpuResource: { type: "string", default: defaults.gpuResource, description: "Extended resource name of the GPU." },
      gpuTaintKey: { type: "string", default: defaults.gpuTaintKey, description: "Taint key on GPU nodes." },
      gpuTaintValue: { type: "string", default: defaults.gpuTaintValue, description: "Taint value on GPU nodes (matched by operator Equal)." },
      allowedTolerators: {
        type: "array",
        items: { type: "string" },
        default: defaults.allowedTolerators,
        description: "`namespace/name` of non-GPU workloads allowed to tolerate the GPU taint.",
      },
    },
  },
  validateResource: (args, report) => {
    if (!isWorkload(args.type)) return;
    const config = configWithDefaults(args, defaults);
    const spec = podSpecOf(args.type, args.props);
    if (!spec) return;
    const { namespace, name } = meta(args.props);
    const kind = args.type.split(":").pop();
    const containers = containersOf(spec);
    let usesGpu = false;
    for (const c of containers) {
      const limit = gpuCount(c.resources?.limits?.[config.gpuResource]);
      const request = gpuCount(c.resources?.requests?.[config.gpuResource]);
      if (limit > 0 || request > 0) usesGpu = true;
      if (request > 0 && limit === 0) report(`${kind} ${namespace}/${name} container ${c.name} requests ${config.gpuResource} without a limit; set resources.limits["${config.gpuResource}"]`);
      if (request > 0 && limit > 0 && request !== limit) report(`${kind} ${namespace}/${name} container ${c.name}: ${config.gpuResource} request ${request} differs from limit ${limit}`);
    }
    const tolerations = list(spec.tolerations as Toleration[]);
    const tolerated = tolerations.some((t) => tolerates(t, config.gpuTaintKey, config.gpuTaintValue));
    if (usesGpu && !tolerated) report(`${kind} ${namespace}/${name} uses GPUs but does not tolerate the ${config.gpuTaintKey}=${config.gpuTaintValue}:NoSchedule taint, so it cannot schedule on GPU nodes`);
    const allowed = config.allowedTolerators.includes(`${namespace}/${name}`);
    if (!usesGpu && tolerated && !allowed) {
      report(`${kind} ${namespace}/${name} requests no GPU but tolerates the ${config.gpuTaintKey} taint, so it can take GPU node capacity`);
    }
    const selector = gpuNodeSelection(spec, config.gpuTaintKey);
    if (!usesGpu && selector && !allowed) {
      report(`${kind} ${namespace}/${name} selects GPU nodes (${selector}) but requests no ${config.gpuResource}: a GPU workload missing its limits, which would share GPUs unaccounted (or never schedule)`);
    }
  },
};
