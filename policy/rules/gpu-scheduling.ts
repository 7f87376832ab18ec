import type { ResourceValidationPolicy } from "@pulumi/policy";
import { agentgatewayOverlayPodSpecs, containersOf, dig, helmChartName, isAgentgatewayParameters, isHelmInstall, isWorkload, meta, podSpecOf } from "../lib/k8s";
import type { Container } from "../lib/k8s";
import { configWithDefaults, list, probe } from "../lib/values";

interface Config {
  /** The extended resource GPUs are requested as. */
  gpuResource: string;
  /** The taint GPU nodes carry: `<key>=<value>:NoSchedule`. */
  gpuTaintKey: string;
  gpuTaintValue: string;
  /**
   * `namespace/name` of workloads that may tolerate the GPU taint without requesting GPUs (device
   * plugins, GPU monitoring); for AgentgatewayParameters its own, for a Helm release its namespace/release name.
   */
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
 * Charts we know whose values schedule pods that have no business on GPU nodes: where in the
 * values their tolerations, nodeSelector and affinity sit, and whose pods they are. Node agents
 * (istio-cni, ztunnel, the NVIDIA device plugin) must run on GPU nodes too and are not listed.
 */
const chartPodValues = new Map<string, { path: string; pods: string }[]>([
  // controller/install/helm/agentgateway: top-level tolerations/nodeSelector/affinity go to the controller Deployment.
  ["agentgateway", [{ path: "", pods: "controller" }]],
  // istio-discovery: top-level ones go to istiod, global.waypoint.* to every waypoint it deploys.
  [
    "istiod",
    [
      { path: "", pods: "istiod" },
      { path: "global.waypoint", pods: "waypoint" },
    ],
  ],
]);

/**
 * Judges one pod spec: GPU containers limit the GPU (request = limit) and tolerate the taint;
 * pods without GPUs neither tolerate it nor pin GPU nodes, unless `allowed`.
 */
function judgePodSpec(what: string, spec: Record<string, any>, containers: Container[], config: Config, allowed: boolean, report: (message: string) => void): void {
  let usesGpu = false;
  for (const c of containers) {
    const limit = gpuCount(c.resources?.limits?.[config.gpuResource]);
    const request = gpuCount(c.resources?.requests?.[config.gpuResource]);
    if (limit > 0 || request > 0) usesGpu = true;
    if (request > 0 && limit === 0) report(`${what} container ${c.name} requests ${config.gpuResource} without a limit; set resources.limits["${config.gpuResource}"]`);
    if (request > 0 && limit > 0 && request !== limit) report(`${what} container ${c.name}: ${config.gpuResource} request ${request} differs from limit ${limit}`);
  }
  const tolerations = list(spec.tolerations as Toleration[]);
  const tolerated = tolerations.some((t) => tolerates(t, config.gpuTaintKey, config.gpuTaintValue));
  if (usesGpu && !tolerated) report(`${what} uses GPUs but does not tolerate the ${config.gpuTaintKey}=${config.gpuTaintValue}:NoSchedule taint, so it cannot schedule on GPU nodes`);
  if (!usesGpu && tolerated && !allowed) {
    report(`${what} requests no GPU but tolerates the ${config.gpuTaintKey} taint, so it can take GPU node capacity`);
  }
  const selector = gpuNodeSelection(spec, config.gpuTaintKey);
  if (!usesGpu && selector && !allowed) {
    report(`${what} selects GPU nodes (${selector}) but requests no ${config.gpuResource}: a GPU workload missing its limits, which would share GPUs unaccounted (or never schedule)`);
  }
}

/**
 * GPUs are the scarce resource: a GPU workload must request the device in limits (extended
 * resources are not overcommitted and requests alone are rejected) and tolerate the taint that
 * keeps everything else off GPU nodes; anything else tolerating that taint steals GPU capacity.
 */
export const gpuScheduling: ResourceValidationPolicy = {
  name: "gpu-scheduling",
  description:
    "Containers using GPUs set nvidia.com/gpu in resources.limits and their pods tolerate the nvidia.com/gpu taint; pods that request no GPU neither tolerate it nor select GPU nodes by label (except allow-listed device plugins), so GPU nodes run only GPU work. Judged on workloads, on AgentgatewayParameters deployment/daemonSet overlays, and on the pod settings in the values of the agentgateway and istiod charts (controller, istiod, waypoints).",
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
        description: "`namespace/name` of non-GPU workloads allowed to tolerate the GPU taint (an AgentgatewayParameters' own namespace/name; a Helm release's namespace/release name).",
      },
    },
  },
  validateResource: (args, report) => {
    const config = configWithDefaults(args, defaults);
    const isAllowed = (id: string) => config.allowedTolerators.includes(id);
    if (isAgentgatewayParameters(args.type)) {
      // Its deployment/daemonSet overlays patch the proxy pods it generates (allow-listed by the parameters' namespace/name).
      const { namespace, name } = meta(args.props);
      const resources = probe(() => args.props.spec?.resources as Container["resources"]);
      for (const { overlay, spec } of agentgatewayOverlayPodSpecs(args.props)) {
        const containers = [...containersOf(spec), ...(resources.known && resources.value ? [{ name: "(spec.resources)", resources: resources.value }] : [])];
        judgePodSpec(`AgentgatewayParameters ${namespace}/${name} ${overlay} overlay`, spec, containers, config, isAllowed(`${namespace}/${name}`), report);
      }
      return;
    }
    if (isHelmInstall(args.type)) {
      const chart = probe(() => helmChartName(args.props));
      const chartName = chart.known ? chart.value : undefined;
      const places = chartName ? chartPodValues.get(chartName) : undefined;
      if (!places) return;
      const release = probe(() => (args.props.name as string | undefined) ?? args.name);
      const namespace = probe(() => (args.props.namespace as string | undefined) ?? "default");
      const releaseName = release.known ? release.value : args.name;
      const id = `${namespace.known ? namespace.value : "?"}/${releaseName}`;
      for (const { path, pods } of places) {
        const at = probe(() => (path ? dig(args.props.values, path) : args.props.values) as Record<string, any> | undefined);
        if (!at.known || !at.value || typeof at.value !== "object") continue;
        const spec = probe(() => ({ tolerations: at.value!.tolerations, nodeSelector: at.value!.nodeSelector, affinity: at.value!.affinity }));
        if (!spec.known) continue;
        const where = path ? `values.${path}` : "values";
        judgePodSpec(`Helm release ${id} (chart ${chartName}) ${pods} pod spec (${where})`, spec.value, [], config, isAllowed(id), report);
      }
      return;
    }
    if (!isWorkload(args.type)) return;
    const spec = podSpecOf(args.type, args.props);
    if (!spec) return;
    const { namespace, name } = meta(args.props);
    const kind = args.type.split(":").pop();
    judgePodSpec(`${kind} ${namespace}/${name}`, spec, containersOf(spec), config, isAllowed(`${namespace}/${name}`), report);
  },
};
