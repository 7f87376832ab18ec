import type { PolicyResource, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { byCluster, cannotJudge, clusters, containersOf, isWorkload, kindName, meta } from "../lib/k8s";
import { EKS_NODE_GROUP_TYPES, GCE_NODE_TYPES, gceGpuEvidence, gpuEvidence, gpuKnobDefaults, gpuKnobProperties, k3sBootScript, nodeGroupAmiType, type GpuKnobs } from "../lib/gpu-nodes";
import { driverlessBoot, operatorInstallsDriver, toolkitlessBoot } from "../lib/gce-driver";
import { clusterNodes, schedulable, undecidedPlacement, undecidedSelection } from "../lib/ambient-nodes";
import { clusterNodeSettings, isNodePool, poolLabelSets } from "../lib/node-settings";
import { DEVICE_PLUGIN_CHART, DEVICE_PLUGIN_IMAGE, devicePlugins, type DevicePlugin, type PluginPods } from "../lib/device-plugin";
import { quantityValue } from "../lib/quantity";
import { isLeaderWorkerSet, podTemplatesOf } from "../lib/leader-worker-sets";
import { refusedToleration, tolerates, toleratesTaint, type Toleration } from "../lib/tolerations";
import { configWithDefaults, everyTri, orUnknown, probe, someTri, type Tri } from "../lib/values";
import { reportOperatorToolkitOnK3s } from "../lib/gpu-operator-toolkit";

/** gpu-scheduling's GPU knobs, read alike. */
type Config = GpuKnobs;
const defaults: Config = gpuKnobDefaults;

/**
 * Whether a GPU node group boots Bottlerocket's NVIDIA variant (x86_64 or ARM_64): its amiType, or
 * the one @pulumi/eks resolves (`operatingSystem: Bottlerocket` with `gpu: true`; without it, the
 * plain Bottlerocket image, which has no NVIDIA driver or plugin).
 */
const onBottlerocket = (node: PolicyResource): boolean => orUnknown(() => /^BOTTLEROCKET_.*NVIDIA/.test(nodeGroupAmiType(node.type, node.props)?.amiType ?? ""), false);

/** The workloads of the cluster that request the GPU, and those whose resources are not known yet. */
function gpuWorkloads(resources: PolicyResource[], gpuResource: string): { known: string[]; undecided: string[] } {
  const known: string[] = [];
  const undecided: string[] = [];
  for (const r of resources.filter((x) => isWorkload(x.type) || isLeaderWorkerSet(x.type))) {
    const what = `${kindName(r.type)} ${orUnknown(() => `${meta(r.props).namespace}/${meta(r.props).name}`, r.name)}`;
    // A LeaderWorkerSet (multi-node vLLM) makes pods from its leader and worker templates.
    const specs = () => podTemplatesOf(r.type, r.props).map((t) => t.spec());
    const uses = probe(() => specs().flatMap(containersOf).some((c) => (quantityValue(c.resources?.limits?.[gpuResource]) ?? 0) > 0 || (quantityValue(c.resources?.requests?.[gpuResource]) ?? 0) > 0));
    if (!uses.known) undecided.push(what);
    else if (uses.value) known.push(what);
  }
  return { known, undecided };
}

/** Why the plugin's pods never run on a GPU node whatever their selection, or undefined when they may. */
function keptOff(pods: PluginPods, config: Config, configLabelled: boolean): string | undefined {
  const own = keptOffPods(pods, config);
  if (own) return own;
  const renamed = configLabelled ? undefined : pods.renamed?.find((r) => r.resource === config.gpuResource);
  if (renamed) return `${renamed.where} is true, so the plugin advertises the GPUs as ${renamed.resource}.shared, not ${renamed.resource}`;
  if (!configLabelled && pods.missingDefault) return pods.missingDefault;
  for (const need of pods.needs ?? []) {
    const why = keptOffPods(need, config);
    if (why) return `the Node Feature Discovery worker it needs on each GPU node (whose NVIDIA PCI label is what the operator deploys the plugin by) never runs there: ${why}`;
  }
  return undefined;
}

function keptOffPods(pods: PluginPods, config: Config): string | undefined {
  if (pods.refused) return `${pods.refused}, so nothing is installed`;
  if (!pods.enabled) return pods.disabled ?? "devicePlugin.enabled is off, so the chart renders no plugin DaemonSet";
  const tolerations = pods.tolerations as Toleration[];
  const refused = tolerations.flatMap((t, i) => refusedToleration(t, config.gpuTaintKey).map((why) => `${pods.from}.tolerations[${i}] ${why}`));
  if (refused.length > 0) return `${refused.join("; ")}: the API server refuses its pods`;
  if (!tolerations.some((t) => t && typeof t === "object" && tolerates(t, config.gpuTaintKey, config.gpuTaintValue))) {
    return `its ${pods.from}.tolerations do not tolerate the ${config.gpuTaintKey}=${config.gpuTaintValue}:NoSchedule taint the GPU nodes carry`;
  }
  return undefined;
}

/**
 * Judges one cluster: where the stack creates GPU nodes and a workload requests the GPU, a device
 * plugin runs on the GPU nodes (installable, enabled, tolerating the GPU taint) and, on each EKS GPU
 * node group, tolerates the group's other taints and its nodeSelector and required node affinity
 * select the group's labels.
 */
function judgeCluster(cluster: { name: string; urn: string }, all: PolicyResource[], resources: PolicyResource[], config: Config, report: ReportViolation, pending: string[]): void {
  const workloads = gpuWorkloads(resources, config.gpuResource);
  if (workloads.known.length === 0 && workloads.undecided.length === 0) return;
  // Only GPU nodes the stack creates say the cluster is ours to judge: an existing cluster's nodes
  // (and whatever device plugin or GPU operator its owner installed) are not in the stack.
  const pools = clusterNodes(cluster, all, isNodePool);
  const nodes = pools.map((n) => ({ node: n, gpu: probe(() => (EKS_NODE_GROUP_TYPES.has(n.type) ? gpuEvidence(n.props) : gceGpuEvidence(n.props))) }));
  const withGpus = nodes.filter((n) => n.gpu.known && n.gpu.value);
  if (withGpus.length === 0) {
    for (const n of nodes.filter((x) => !x.gpu.known)) pending.push(`whether ${kindName(n.node.type)} ${n.node.name} of cluster ${cluster.name} has GPUs, which decides whether it needs the NVIDIA device plugin`);
    return;
  }
  // Bottlerocket's NVIDIA variants run NVIDIA's device plugin on the host (their
  // nvidia-k8s-device-plugin systemd unit): such a group's GPUs are advertised without a release.
  const gpuNodes = withGpus.filter((n) => !(EKS_NODE_GROUP_TYPES.has(n.node.type) && onBottlerocket(n.node)));
  if (gpuNodes.length === 0) return;
  const needed = workloads.known.length > 0;
  const using = needed ? `${workloads.known.slice(0, 3).join(", ")}${workloads.known.length > 3 ? ` and ${workloads.known.length - 3} more` : ""} request${workloads.known.length === 1 ? "s" : ""} ${config.gpuResource}` : "";
  // A GCE GPU VM booting a stock image needs the driver from its boot script or a GPU Operator:
  // without it no device plugin finds its GPUs, whichever runs there.
  for (const { node } of gpuNodes.filter((n) => GCE_NODE_TYPES.has(n.node.type))) {
    const gap = probe(() => {
      const boot = k3sBootScript(node.props);
      return boot ? driverlessBoot(node.props, boot.script) : undefined;
    });
    if (!gap.known || !gap.value) continue;
    const operator = operatorInstallsDriver(resources);
    if (operator === true) continue;
    const kind = node.type.split(":").pop();
    if (operator === "unknown" || !needed) {
      pending.push(`whether ${kind} ${node.name} of cluster ${cluster.name} gets the NVIDIA driver (a GPU Operator release or the GPU workloads are not known yet)`);
      continue;
    }
    report(
      `cluster ${cluster.name}: ${using}, but ${kind} ${node.name} boots ${gap.value}, a stock image without the NVIDIA driver, and neither its boot script nor a GPU Operator release (driver.enabled) installs one: the device plugin finds no GPU there, so its nodes advertise no ${config.gpuResource} and those pods stay Pending; install the driver and the NVIDIA container toolkit in its startup script (as components/cloud/gcp/nvidia.ts does with ubuntu-drivers), boot a Deep Learning VM image, or install the GPU Operator`,
      node.urn,
    );
  }
  // One whose script installs the driver but not the container toolkit gives containerd no nvidia
  // runtime: no container (the plugin's included) sees the GPUs, unless a GPU Operator installs it.
  for (const { node } of gpuNodes.filter((n) => GCE_NODE_TYPES.has(n.node.type))) {
    const gap = probe(() => {
      const boot = k3sBootScript(node.props);
      return boot ? toolkitlessBoot(node.props, boot.script) : undefined;
    });
    if (!gap.known || !gap.value) continue;
    const operator = operatorInstallsDriver(resources, "toolkit");
    if (operator === true) continue;
    const kind = node.type.split(":").pop();
    if (operator === "unknown" || !needed) {
      pending.push(`whether ${kind} ${node.name} of cluster ${cluster.name} gets the NVIDIA container toolkit (a GPU Operator release or the GPU workloads are not known yet)`);
      continue;
    }
    report(
      `cluster ${cluster.name}: ${using}, but ${kind} ${node.name} boots ${gap.value}, a stock image, and its boot script installs the NVIDIA driver but not the NVIDIA container toolkit, nor does a GPU Operator release (toolkit.enabled): k3s then registers no nvidia runtime, no container there sees the GPUs and the device plugin advertises no ${config.gpuResource}, so those pods stay Pending; install nvidia-container-toolkit before k3s (as components/cloud/gcp/nvidia.ts does) or leave the GPU Operator's toolkit on`,
      node.urn,
    );
  }
  const plugins = devicePlugins(resources);
  const undecided = plugins.filter((p) => !p.pods.known);
  // A finding stands only when the GPU workloads and every plugin that could change it are known.
  const finding = (message: () => string, urn: string) => {
    if (!needed) pending.push(`whether ${workloads.undecided.join(", ")} on cluster ${cluster.name} request ${config.gpuResource}, which decides whether the cluster needs the NVIDIA device plugin`);
    for (const p of undecided) pending.push(`the values or pod spec of ${p.what} on cluster ${cluster.name}, which decide whether the NVIDIA device plugin runs on its GPU nodes`);
    if (needed && undecided.length === 0) report(message(), urn);
  };
  // The labels the nodes register, and on k3s those its own cloud controller sets (instance type, zone, region).
  const settingsOf = clusterNodeSettings(pools);
  // A GPU node labelled nvidia.com/device-plugin.config (or whose labels are not known) may pick another plugin config.
  const configLabelled = gpuNodes.some(({ node }) => {
    const settings = settingsOf(node);
    return !settings.known || (settings.value !== undefined && "nvidia.com/device-plugin.config" in settings.value.labels);
  });
  const running: { plugin: DevicePlugin; pods: PluginPods }[] = [];
  const reasons: string[] = [];
  for (const p of plugins) {
    if (!p.pods.known) continue;
    const why = keptOff(p.pods.value, config, configLabelled);
    if (why) reasons.push(`${p.what}: ${why}`);
    else running.push({ plugin: p, pods: p.pods.value });
  }
  if (running.length === 0) {
    const found = reasons.length > 0 ? `its device plugin never runs on the GPU nodes (${reasons.join("; ")})` : `it installs no NVIDIA device plugin (a Helm release of the ${DEVICE_PLUGIN_CHART} chart, or a DaemonSet running ${DEVICE_PLUGIN_IMAGE})`;
    finding(
      () => `cluster ${cluster.name}: ${using}, but ${found}: no node advertises ${config.gpuResource}, so those pods stay Pending; install the nvidia-device-plugin chart (components/gpu/device-plugin.ts) with tolerations of the ${config.gpuTaintKey} taint`,
      plugins.find((p) => p.pods.known)?.urn ?? cluster.urn,
    );
    return;
  }
  for (const { node } of gpuNodes) {
    const settings = settingsOf(node);
    if (!settings.known) {
      pending.push(`the labels and taints of node group ${node.name}, which decide whether the NVIDIA device plugin runs there`);
      continue;
    }
    // A VM that does not install k3s, or whose script this run cannot read, is not judged.
    if (!settings.value) continue;
    const { labels, taints, other } = settings.value;
    const untolerated = (pods: PluginPods) => taints.filter((taint) => !(pods.tolerations as Toleration[]).some((t) => t && typeof t === "object" && toleratesTaint(t, taint)));
    // The plugin's pods, and those it needs there (a GPU Operator's NFD worker), must all reach the group.
    // Every node of the group: on EKS each of its instance types' (../lib/node-settings poolLabelSets).
    const sets = poolLabelSets(node, labels);
    const excluded = (pods: PluginPods) => sets.find((set) => schedulable(set, pods.nodeSelector, pods.affinity, other) === false);
    // everyTri is false as soon as one set is excluded; `excluded` names that set in the finding.
    const reaches = (pods: PluginPods): Tri => (untolerated(pods).length > 0 ? false : everyTri(sets, (set) => schedulable(set, pods.nodeSelector, pods.affinity, other)));
    const runs = someTri(running, ({ pods }) => everyTri([pods, ...(pods.needs ?? [])], reaches));
    // A selection on a label the group's settings leave undecided (one Kubernetes, EKS or k3s sets, an instance type another controller sets), or on node names: can't judge.
    const open = running.flatMap(({ pods }) => [pods, ...(pods.needs ?? [])]).filter((p) => reaches(p) === "unknown");
    if (runs === "unknown") pending.push(undecidedPlacement("the NVIDIA device plugin", `GPU node group ${node.name}`, cluster.name, undecidedSelection(sets, open, other)));
    if (runs !== false) continue;
    const why = running.map(({ plugin, pods }) => {
      const blocked = [pods, ...(pods.needs ?? [])].find((p) => reaches(p) === false) ?? pods;
      const whose = blocked === pods ? plugin.what : `the Node Feature Discovery worker of ${plugin.what} (which labels the GPU nodes the operator deploys the plugin on)`;
      const off = untolerated(blocked).map((t) => `${t.key}=${t.value}:${t.effect}`);
      if (off.length > 0) return `${whose} does not tolerate its taint ${off.join(", ")}`;
      const shape = excluded(blocked);
      return `the nodeSelector or required node affinity of ${whose} (${blocked.from} nodeSelector ${JSON.stringify(blocked.nodeSelector ?? {})}${blocked.affinity ? `, affinity ${JSON.stringify(blocked.affinity)}` : ""}) excludes its nodes${shape && sets.length > 1 ? ` of labels ${JSON.stringify(shape)}` : ""}`;
    });
    finding(
      () => `cluster ${cluster.name}: ${using}, but no NVIDIA device plugin runs on GPU node group ${node.name} (labels ${JSON.stringify(sets.length === 1 ? sets[0] : labels)}): ${why.join("; ")}, so its nodes advertise no ${config.gpuResource} and pods needing them stay Pending; select the GPU nodes (e.g. nodeSelector nvidia.com/gpu.present: "true", which the GPU node groups carry) and tolerate their taints`,
      running[0].plugin.urn,
    );
  }
}

/**
 * Without the NVIDIA device plugin on a GPU node, the kubelet advertises no nvidia.com/gpu there,
 * and every pod limiting it stays Pending: the GPU capacity is paid for and never used.
 */
export const gpuDevicePlugin: StackValidationPolicy = {
  name: "gpu-device-plugin",
  description:
    "Every cluster on which a workload (a LeaderWorkerSet's leader or worker template too) requests nvidia.com/gpu (gpuResource) and whose GPU nodes the stack creates (EKS node groups, @pulumi/eks ManagedNodeGroups too, GCE VMs with NVIDIA GPUs; not Bottlerocket NVIDIA node groups (amiType BOTTLEROCKET_*_NVIDIA, or @pulumi/eks's operatingSystem Bottlerocket with gpu: true), whose OS runs the plugin itself) runs the NVIDIA device plugin, the only thing that advertises the GPUs to the kubelet: a Helm release of the nvidia-device-plugin chart that the chart installs (not in namespace default without allowDefaultNamespace, a release naming no namespace being in its provider's default namespace: the Provider's namespace, else its inline kubeconfig context's, else default; no namespace value, not both config.name and config.map) with devicePlugin.enabled left on and a plugin config (the one nodes get by default: config.default, else config.map's `default`, else its only key) that does not share gpuResource under renameByDefault (sharing.timeSlicing or sharing.mps: the plugin then advertises it as <resource>.shared, and the pods limiting gpuResource stay Pending) and, where config.default is set, names a key of config.map (else the plugin's config-manager exits: 'specified config … does not exist'; the GPU Operator's devicePlugin.config.default alike), a Helm release of NVIDIA's gpu-operator chart (its ClusterPolicy deploys the plugin on every node NFD finds an NVIDIA GPU on; devicePlugin.enabled left on, its daemonsets.tolerations read as the plugin's, the config its nodes get by default (devicePlugin.config.default, none when empty, of devicePlugin.config.data with create, else of the stack's ConfigMap devicePlugin.config.name) not sharing gpuResource under renameByDefault, and Node Feature Discovery's worker reaching the GPU nodes: the subchart's, nfd.enabled and node-feature-discovery.worker.enable on, its worker tolerations, nodeSelector and affinity read as the plugin's are, or an NFD chart or DaemonSet of the stack's own, since without NFD's NVIDIA PCI label the operator takes no node for a GPU node), or a DaemonSet running nvcr.io/nvidia/k8s-device-plugin; its tolerations (the chart's default when unset) admit the GPU taint, and on every EKS GPU node group its nodeSelector and required node affinity (the chart's values laid over its defaults as Helm does) select the labels the stack gives the group (and node.kubernetes.io/instance-type with its beta spelling, each EC2 type of the group's instanceTypes, or EKS's default t3.medium where it names none and no launchTemplate, amiId or non-x86_64 amiType may decide another, undecided where the group's own labels give another, every type to be selected; a selection such an undecided label, or one Kubernetes, EKS or k3s sets itself, decides is can't judge) and its tolerations admit the group's other NoSchedule/NoExecute taints. Without it every GPU pod stays Pending. A k3s GPU VM is judged by the node-label and node-taint entries its boot script registers, where the script can be read (and, where a k3s server VM of its cluster in the stack keeps k3s's own cloud controller, no disable-cloud-controller, by the node.kubernetes.io/instance-type it sets, k3s unless the VM's node-label gives one, and the topology zone and region only its node-label gives; a VM whose kubelet-arg sets cloud-provider=external where k3s's controller does not run has all three undecided, another cloud controller setting them, while without it, where the server disables the controller, the VM's kubelet gets no cloud provider and sets none of the three: the VM carries only those its node-label gives), and one booting a stock OS image (ubuntu-os-cloud, debian-cloud, rocky-linux-cloud…, which carry no NVIDIA driver; not Deep Learning VM or a fork's own images) must install the driver from that script (ubuntu-drivers, an nvidia-driver package, CUDA's cuda-drivers, NVIDIA's or Google's installers) unless a GPU Operator release on the cluster installs it (driver.enabled, on by default), and, installing the driver, also install NVIDIA's container toolkit (a package manager installing nvidia-container-toolkit, its command continued over lines too, or dpkg/rpm installing a local nvidia-container-toolkit package or a glob of .deb/.rpm files: without it k3s registers no nvidia runtime and no container sees the GPUs) unless a GPU Operator release installs it (toolkit.enabled, on by default). A GPU Operator release on a k3s cluster (one of its GCE VMs installs k3s without another runtime, or a Helm release declares Istio's global.platform k3s) whose toolkit runs (toolkit.enabled, not the NRI plugin mode) points it at k3s's containerd: toolkit.env CONTAINERD_SOCKET (the only socket variable the operator mounts) set to k3s's /run/k3s/containerd/containerd.sock, which no data-dir moves (any other socket fails the toolkit alike; rootless k3s not judged), and CONTAINERD_CONFIG or RUNTIME_CONFIG other than /etc/containerd/config.toml, since at those defaults the toolkit never reaches k3s's containerd (/run/k3s/containerd/containerd.sock, /var/lib/rancher/k3s/agent/etc/containerd/config.toml), the operator never marks it ready and starts no device plugin; existing clusters only as far as the stack shows them.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: gpuKnobProperties,
  },
  validateStack: (args, report) => {
    const config = configWithDefaults(args, defaults);
    const perCluster = byCluster(args.resources);
    // What this preview cannot know yet: reported as "can't judge" after every known verdict.
    const pending: string[] = [];
    for (const cluster of clusters(args.resources)) {
      const resources = perCluster.get(cluster.name) ?? [];
      judgeCluster(cluster, args.resources, resources, config, report, pending);
      // A GPU Operator on k3s whose toolkit misses k3s's containerd breaks the GPU nodes whatever runs there.
      reportOperatorToolkitOnK3s(cluster, args.resources, resources, report, pending);
    }
    if (pending.length > 0) cannotJudge(pending);
  },
};
