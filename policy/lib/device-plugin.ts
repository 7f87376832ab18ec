/**
 * The NVIDIA device plugin as the pack finds it on a cluster: a Helm install of the
 * nvidia-device-plugin chart (its values read as the chart reads them, defaults included), a Helm
 * install of NVIDIA's GPU Operator (whose ClusterPolicy deploys the plugin), or a DaemonSet running
 * its image by hand (NVIDIA's static deployments/static/nvidia-device-plugin.yml).
 * Only the plugin advertises nvidia.com/gpu on a node: where none runs, no pod requesting a GPU
 * ever schedules.
 */
import type { PolicyResource } from "@pulumi/policy";
import { containersOf, dig, helmChartName, isHelmInstall, kindName, meta, podSpecOf, T } from "./k8s";
import { goTruthy, isObject, orUnknown, probe, type Probe } from "./values";
import { missingDefaultConfig, operatorConfigFiles, operatorSharedRenames, selectedConfig, sharedRenames } from "./plugin-sharing";
import { releaseNamespace } from "./release-namespace";

export const DEVICE_PLUGIN_CHART = "nvidia-device-plugin";
/** The plugin's image repository (v0.20.0 values.yaml image.repository, the static DaemonSet's image). */
export const DEVICE_PLUGIN_IMAGE = "nvcr.io/nvidia/k8s-device-plugin";

/**
 * What the chart's values.yaml (v0.20.0) sets for the DaemonSet's pods: no nodeSelector, a required
 * node affinity to nodes labelled by NFD as having an NVIDIA PCI device or CPU, or labelled
 * nvidia.com/gpu.present=true, and tolerations of CriticalAddonsOnly and the nvidia.com/gpu taint.
 */
const CHART_DEFAULTS = {
  devicePlugin: { enabled: true },
  nodeSelector: {},
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: "feature.node.kubernetes.io/pci-10de.present", operator: "In", values: ["true"] }] },
          { matchExpressions: [{ key: "feature.node.kubernetes.io/cpu-model.vendor_id", operator: "In", values: ["NVIDIA"] }] },
          { matchExpressions: [{ key: "nvidia.com/gpu.present", operator: "In", values: ["true"] }] },
        ],
      },
    },
  },
  tolerations: [
    { key: "CriticalAddonsOnly", operator: "Exists" },
    { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
  ],
};

/**
 * Values laid over the chart's defaults as Helm does (chartutil coalesceValues/CoalesceTables):
 * maps merge key by key, a list or scalar given replaces the default, and null deletes the key.
 */
export function coalesce(given: unknown, defaults: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = isObject(given) ? { ...given } : {};
  for (const [key, fallback] of Object.entries(defaults)) {
    if (!(key in out)) out[key] = fallback;
    else if (out[key] === null) delete out[key];
    else if (isObject(out[key]) && isObject(fallback)) out[key] = coalesce(out[key], fallback);
  }
  return out;
}

export const GPU_OPERATOR_CHART = "gpu-operator";

/**
 * What the GPU Operator chart's values.yaml (v26.7.0) sets for the plugin it deploys: devicePlugin
 * enabled, and daemonsets.tolerations (every operand's) of the nvidia.com/gpu taint. The operand
 * DaemonSet (assets/state-device-plugin/0500_daemonset.yaml) selects
 * nvidia.com/gpu.deploy.device-plugin=true, which the operator itself puts on every node NFD finds
 * an NVIDIA PCI device on (controllers/state_manager.go; NFD's worker tolerates the GPU taint by
 * default), so its node selection is every GPU node and only its tolerations can keep it off one.
 */
const GPU_OPERATOR_DEFAULTS = {
  devicePlugin: { enabled: true },
  daemonsets: { tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }] },
  // The node-feature-discovery subchart (Chart.yaml condition nfd.enabled), whose worker the
  // operator's values let onto the GPU nodes (NFD's own default tolerates nothing).
  nfd: { enabled: true },
  "node-feature-discovery": {
    worker: {
      enable: true,
      tolerations: [
        { key: "node-role.kubernetes.io/control-plane", operator: "Equal", value: "", effect: "NoSchedule" },
        { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
      ],
      nodeSelector: {},
      affinity: {},
    },
  },
};

/** Node Feature Discovery installed on its own: its chart, or its worker's image (registry.k8s.io/nfd/node-feature-discovery). */
export const NFD_CHART = "node-feature-discovery";
const NFD_IMAGE = /(^|\/)nfd\/node-feature-discovery$/;

/** Whether the cluster's resources install NFD apart from a GPU Operator (its chart, or a DaemonSet of its image). */
function standaloneNfd(resources: PolicyResource[]): boolean {
  return resources.some((r) =>
    (isHelmInstall(r.type) && probe(() => helmChartName(r.props)).known && helmChartName(r.props) === NFD_CHART) ||
    (r.type === "kubernetes:apps/v1:DaemonSet" && orUnknown(() => containersOf(podSpecOf(r.type, r.props)).some((c) => NFD_IMAGE.test(repositoryOf(c?.image))), false)),
  );
}

/**
 * The NFD worker a GPU Operator needs on each GPU node: the operator deploys its operands only on
 * nodes NFD labelled with an NVIDIA PCI device (v26.7.0 controllers/state_manager.go gpuNodeLabels,
 * hasGPULabels), and sets nvidia.com/gpu.present to "false" on a node carrying it without them
 * (nodelabeling_controller.go reconcileCommonGPULabel), so our own label does not stand in. Its
 * worker is the subchart's (nfd.enabled, worker.enable, worker.tolerations/nodeSelector/affinity
 * in templates/worker.yaml), or NFD installed on its own, which is not judged further.
 */
function operatorNfd(v: Record<string, unknown>, standalone: boolean): PluginPods | undefined {
  const worker = (dig(v, "node-feature-discovery.worker") ?? {}) as Record<string, unknown>;
  const from = "values.node-feature-discovery.worker";
  if (goTruthy(dig(v, "nfd.enabled")) && goTruthy(worker.enable)) {
    return { enabled: true, tolerations: Array.isArray(worker.tolerations) ? worker.tolerations : [], nodeSelector: worker.nodeSelector, affinity: worker.affinity, from };
  }
  if (standalone) return undefined;
  const off = goTruthy(dig(v, "nfd.enabled")) ? `${from}.enable is off` : "nfd.enabled is off";
  return { enabled: false, disabled: `${off} and the stack installs no Node Feature Discovery (chart ${NFD_CHART}) of its own, so no node gets NFD's NVIDIA PCI label, the operator takes no node for a GPU node (and resets nvidia.com/gpu.present to false) and deploys no device plugin`, tolerations: [], nodeSelector: {}, affinity: undefined, from };
}

/** The data of the stack's ConfigMap `name` in `namespace` (a GPU Operator's plugin config), if the stack holds it. */
function configMapData(resources: PolicyResource[], namespace: string, name: string): { data: unknown; what: string } | undefined {
  const found = resources.find((x) => x.type === T.configMap && meta(x.props).name === name && meta(x.props).namespace === namespace);
  return found ? { data: read(found.props.data), what: `ConfigMap ${namespace}/${name} data` } : undefined;
}

/** The device plugin's pods as the cluster gets them. */
export interface PluginPods {
  /** Whether the install renders the plugin's DaemonSet at all (the chart's devicePlugin.enabled). */
  enabled: boolean;
  tolerations: unknown[];
  nodeSelector: unknown;
  affinity: unknown;
  /** Why `enabled` is off, where not devicePlugin.enabled. */
  disabled?: string;
  /** Why the chart refuses to render at all (its templates/validation.yml `fail`), if it does. */
  refused?: string;
  /** Resources the config nodes get by default advertises as `<name>.shared` instead (GPU sharing's renameByDefault), with where that is set. */
  renamed?: { resource: string; where: string }[];
  /** Why the config-manager exits on the config unlabelled nodes get by default (config.default naming no file), if it does. */
  missingDefault?: string;
  /** Pods that must run on a GPU node too for the plugin to be deployed there (a GPU Operator's NFD worker). */
  needs?: PluginPods[];
  /** Where these settings are read from, for messages. */
  from: string;
}

export interface DevicePlugin {
  what: string;
  urn: string;
  pods: Probe<PluginPods>;
}

/** A copy of a value read through the SDK's proxy (throws while any part of it is unknown). */
const read = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

/** An image reference without its tag or digest. */
export function repositoryOf(ref: unknown): string {
  const image = typeof ref === "string" ? ref.split("@")[0] : "";
  return image.lastIndexOf(":") > image.lastIndexOf("/") ? image.slice(0, image.lastIndexOf(":")) : image;
}

/** A container running the plugin: its image, and the image's own entrypoint or the plugin's binary (not GFD or config-manager, which share the image). */
function runsPlugin(c: { image?: unknown; command?: unknown }): boolean {
  if (repositoryOf(c?.image) !== DEVICE_PLUGIN_IMAGE) return false;
  const command = Array.isArray(c.command) ? c.command : [];
  return command.length === 0 || String(command[0]).split("/").pop() === "nvidia-device-plugin";
}

/**
 * Whether a pod spec is the device plugin's alone: every container runs its image (the chart's
 * config-manager init and sidecar containers do too) and one of them runs the plugin. Such pods
 * must tolerate the GPU taint and select GPU nodes, and take no GPU capacity.
 */
export function isDevicePluginPodSpec(spec: Record<string, any> | undefined): boolean {
  const containers = containersOf(spec);
  return containers.some(runsPlugin) && containers.every((c) => repositoryOf(c?.image) === DEVICE_PLUGIN_IMAGE);
}

/**
 * What the chart's templates/validation.yml (0.20.0) fails the install on: a `namespace` value, the
 * release in `default` without allowDefaultNamespace, both config.name and config.map.
 */
function chartRefusal(v: Record<string, unknown>, namespace: string): string | undefined {
  if (goTruthy(v.namespace)) return `values.namespace is set (${JSON.stringify(v.namespace)}), which the chart refuses (it installs into the release's namespace)`;
  if (namespace === "default" && !goTruthy(v.allowDefaultNamespace)) return "it installs into namespace default, which the chart refuses unless allowDefaultNamespace is true";
  if (goTruthy(dig(v, "config.name")) && goTruthy(dig(v, "config.map"))) return "values.config sets both name and map, which the chart refuses";
  return undefined;
}

/**
 * The device plugins installed on a cluster (its resources): releases of the chart, DaemonSets
 * running its image. A release's namespace is the one pulumi-kubernetes installs it into
 * ({@link releaseNamespace}: its own, else its provider's default namespace); one that depends on a
 * kubeconfig the stack does not show leaves that release undecided.
 */
export function devicePlugins(resources: PolicyResource[]): DevicePlugin[] {
  const out: DevicePlugin[] = [];
  for (const r of resources) {
    if (isHelmInstall(r.type)) {
      const chart = probe(() => helmChartName(r.props));
      if (chart.known && chart.value === GPU_OPERATOR_CHART) {
        const release = probe(() => `${releaseNamespace(r)}/${(r.props.name as string | undefined) ?? r.name}`);
        const pods = probe((): PluginPods => {
          const values = r.props.values;
          const given = Object.fromEntries(["devicePlugin", "daemonsets", "nfd", "node-feature-discovery"].filter((k) => isObject(values) && k in values).map((k) => [k, read(values[k])]));
          const v = coalesce(given, GPU_OPERATOR_DEFAULTS);
          const tolerations = dig(v, "daemonsets.tolerations");
          const nfd = operatorNfd(v, standaloneNfd(resources));
          const namespace = releaseNamespace(r);
          const maps = (name: string) => configMapData(resources, namespace, name);
          const renamed = operatorSharedRenames(dig(v, "devicePlugin.config"), maps);
          const missing = missingDefaultConfig(dig(v, "devicePlugin.config.default"), operatorConfigFiles(dig(v, "devicePlugin.config"), maps), "values.devicePlugin.config.default");
          return { enabled: goTruthy(dig(v, "devicePlugin.enabled")), tolerations: Array.isArray(tolerations) ? tolerations : [], nodeSelector: {}, affinity: undefined, from: "values.daemonsets", ...(nfd ? { needs: [nfd] } : {}), ...(renamed.length ? { renamed } : {}), ...(missing ? { missingDefault: missing } : {}) };
        });
        out.push({ what: `Helm release ${release.known ? release.value : r.name} (chart ${GPU_OPERATOR_CHART})`, urn: r.urn, pods });
        continue;
      }
      if (chart.known && chart.value !== DEVICE_PLUGIN_CHART) continue;
      const namespace = probe(() => releaseNamespace(r));
      const release = probe(() => `${namespace.known ? namespace.value : "?"}/${(r.props.name as string | undefined) ?? r.name}`);
      const what = `Helm release ${release.known ? release.value : r.name} (chart ${DEVICE_PLUGIN_CHART})`;
      if (!chart.known) {
        out.push({ what: `Helm release ${r.name} (chart not known)`, urn: r.urn, pods: { known: false } });
        continue;
      }
      const pods = probe((): PluginPods => {
        const values = r.props.values;
        const given = Object.fromEntries(["devicePlugin", "nodeSelector", "affinity", "tolerations", "namespace", "allowDefaultNamespace", "config"].filter((k) => isObject(values) && k in values).map((k) => [k, read(values[k])]));
        const v = coalesce(given, CHART_DEFAULTS);
        const refused = chartRefusal(v, releaseNamespace(r));
        const config = isObject(v.config) ? v.config : {};
        const file = selectedConfig(config);
        const renamed = file !== undefined && isObject(config.map) ? sharedRenames(config.map[file]).map((x) => ({ ...x, where: `values.config.map.${file} ${x.where}` })) : [];
        // An existing ConfigMap (config.name) has keys the stack does not show.
        const missing = goTruthy(config.name) ? undefined : missingDefaultConfig(config.default, isObject(config.map) ? Object.keys(config.map) : undefined, "values.config.default");
        return { enabled: goTruthy(dig(v, "devicePlugin.enabled")), tolerations: Array.isArray(v.tolerations) ? v.tolerations : [], nodeSelector: v.nodeSelector, affinity: v.affinity, from: "values", ...(refused ? { refused } : {}), ...(renamed.length ? { renamed } : {}), ...(missing ? { missingDefault: missing } : {}) };
      });
      out.push({ what, urn: r.urn, pods });
    } else if (r.type === "kubernetes:apps/v1:DaemonSet") {
      const spec = probe(() => read(podSpecOf(r.type, r.props)) as Record<string, any> | undefined);
      if (spec.known && !containersOf(spec.value).some(runsPlugin)) continue;
      const what = `${kindName(r.type)} ${probe(() => `${meta(r.props).namespace}/${meta(r.props).name}`).known ? `${meta(r.props).namespace}/${meta(r.props).name}` : r.name} (image ${DEVICE_PLUGIN_IMAGE})`;
      const pods: Probe<PluginPods> = spec.known
        ? { known: true, value: { enabled: true, tolerations: Array.isArray(spec.value!.tolerations) ? spec.value!.tolerations : [], nodeSelector: spec.value!.nodeSelector, affinity: spec.value!.affinity, from: "spec.template.spec" } }
        : { known: false };
      // A DaemonSet whose containers are not known yet may be the plugin: only counted as undecided.
      out.push({ what: spec.known ? what : `DaemonSet ${r.name} (containers not known)`, urn: r.urn, pods });
    }
  }
  return out;
}
