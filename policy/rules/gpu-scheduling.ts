import type { ResourceValidationPolicy, StackValidation } from "@pulumi/policy";
import { byCluster, cannotJudge, clusters, containersOf, dig, helmChartName, isHelmInstall, isKind, isWorkload, kindName, meta, podSpecOf } from "../lib/k8s";
import { isAgentgatewayParameters } from "../lib/gateways";
import type { Container } from "../lib/k8s";
import { agentgatewayOverlayPodSpecs } from "../lib/overlays";
import { quantityValue } from "../lib/quantity";
import { EKS_NODE_GROUP_TYPES, GCE_NODE_TYPES, gpuKnobDefaults, gpuKnobProperties, judgeGceGpuNode, judgeGpuNodeGroup, type GpuKnobs } from "../lib/gpu-nodes";
import { istioGatewayConfigMapPodSpecs, istiodGatewayClassPodSpecs } from "../lib/istio-overlays";
import { refusedToleration, tolerates, type Toleration } from "../lib/tolerations";
import { andTri, configWithDefaults, list, notTri, orTri, orUnknown, probe, tri, Tri, type Probe } from "../lib/values";
import { namespacedName, setOf } from "../lib/config-schema";
import { isDevicePluginPodSpec } from "../lib/device-plugin";
import { istioNodeAgentImage } from "../lib/istio-rendered";
import { vllmGpusNeeded, vllmRefusedMemoryUtilization } from "../lib/vllm-gpus";
import { judgeNodeAgent, judgeNodeAgentPods, nodeAgentCharts } from "../lib/gpu-node-agents";
import { isLeaderWorkerSet, lwsGroupGpus, lwsTemplates } from "../lib/leader-worker-sets";
import { releaseNamespace } from "../lib/release-namespace";
import { reportGpuPlacement } from "../lib/gpu-placement";

interface Config extends GpuKnobs {
  /**
   * `namespace/name` of workloads that may tolerate the GPU taint without requesting GPUs (device
   * plugins, GPU monitoring); for AgentgatewayParameters or an Istio gateway overlay ConfigMap its own, for a Helm release its namespace/release name.
   */
  allowedTolerators: string[];
}
const defaults: Config = { ...gpuKnobDefaults, allowedTolerators: [] };

/** The node label a pod pins itself to GPU nodes with (`nvidia.com/gpu.*`), by nodeSelector or required affinity. */
function gpuNodeSelection(spec: Record<string, any>, gpuLabelPrefix: string): string | undefined {
  const selected = Object.keys(spec.nodeSelector ?? {}).find((k) => k.startsWith(gpuLabelPrefix));
  if (selected) return `nodeSelector ${selected}`;
  const terms = list(spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms as { matchExpressions?: { key: string; operator?: string }[] }[]);
  const expr = terms.flatMap((t) => list(t.matchExpressions)).find((e) => e.key?.startsWith(gpuLabelPrefix) && e.operator !== "DoesNotExist" && e.operator !== "NotIn");
  return expr ? `node affinity ${expr.key}` : undefined;
}

/** A GPU limit or request as a count: a quantity (`"1"`, `2`, `"1000m"`); anything else counts none. */
function gpuCount(v: unknown): number {
  return quantityValue(v) ?? 0;
}

/**
 * Charts we know whose values schedule pods that have no business on GPU nodes: where in the
 * values their tolerations, nodeSelector and affinity sit, and whose pods they are. Node agents
 * (istio-cni, ztunnel, the NVIDIA device plugin) must run on GPU nodes too and are not listed.
 */
const chartPodValues = new Map<string, { path: string; pods: string }[]>([
  // controller/install/helm/agentgateway: top-level tolerations/nodeSelector/affinity go to the controller Deployment.
  ["agentgateway", [{ path: "", pods: "controller" }]],
  // istio-discovery: top-level ones go to istiod, global.waypoint.* to every waypoint it deploys;
  // zzy_descope_legacy.yaml first merges values.pilot over the top level (1.30.3), so pilot.* too.
  [
    "istiod",
    [
      { path: "", pods: "istiod" },
      { path: "pilot", pods: "istiod" },
      { path: "global.waypoint", pods: "waypoint" },
    ],
  ],
  // Istio's gateway chart (an ingress/egress gateway by Helm): deployment.yaml takes its pods'
  // tolerations/nodeSelector/affinity from the top level (1.30.3 manifests/charts/gateway).
  ["gateway", [{ path: "", pods: "gateway" }]],
]);

/**
 * Judges one pod spec: GPU containers limit the GPU (request = limit) and tolerate the taint;
 * pods without GPUs neither tolerate it nor pin GPU nodes, unless `allowed`. Each value is read
 * as known or not: a verdict that depends on one not known in this preview goes to `pending`.
 * `group` is a LeaderWorkerSet's group: vLLM there reaches every pod's GPUs through Ray, so its
 * parallel sizes are held to the group's GPUs, not to its own limit.
 */
function judgePodSpec(what: string, spec: Record<string, any>, containers: () => Container[], config: Config, allowed: Tri, report: (message: string) => void, pending: string[], group?: Probe<{ gpus: number; size: number }>): void {
  let usesGpu: Tri = false;
  const list_ = probe(containers);
  if (!list_.known) usesGpu = "unknown";
  else {
    const all = list_.value;
    for (let i = 0; i < all.length; i++) {
      const gpu = probe(() => {
        const c = all[i];
        const given = { limit: c.resources?.limits?.[config.gpuResource] as unknown, request: c.resources?.requests?.[config.gpuResource] as unknown };
        return { name: String(c.name), given, limit: gpuCount(given.limit), request: gpuCount(given.request), vllm: vllmGpusNeeded(c), memory: vllmRefusedMemoryUtilization(c) };
      });
      if (!gpu.known) {
        pending.push(`the ${config.gpuResource} resources of ${what} container ${orUnknown(() => all[i].name, `#${i}`)}`);
        usesGpu = orTri(usesGpu, "unknown");
        continue;
      }
      const { name, given, limit, request, vllm, memory } = gpu.value;
      if (memory !== undefined) report(`${what} container ${name} runs vLLM with --gpu-memory-utilization ${memory}, which vLLM refuses at startup (CacheConfig gpu_memory_utilization must be above 0 and at most 1): the container exits and restarts for ever (CrashLoopBackOff); give the fraction of GPU memory it may use, in (0, 1]`);
      if (limit > 0 || request > 0) usesGpu = true;
      // ValidateResourceQuantityValue: an extended resource's quantity must be whole (MilliValue() % 1000 == 0).
      if (!Number.isInteger(limit) || !Number.isInteger(request)) {
        const set = [given.limit !== undefined && given.limit !== null ? `limits ${config.gpuResource} to ${String(given.limit)}` : "", given.request !== undefined && given.request !== null ? `requests ${given.limit === undefined || given.limit === null ? `${config.gpuResource} ` : ""}${String(given.request)}` : ""].filter(Boolean);
        report(`${what} container ${name} ${set.join(" and ")}, which is not a whole number: the API server refuses the pod (an extended resource takes whole units only); give ${config.gpuResource} whole GPUs`);
        continue;
      }
      if (vllm && limit > 0 && group) {
        if (!group.known) pending.push(`the GPUs of the group ${what} runs vLLM in`);
        else if (vllm.gpus > group.value.gpus) report(`${what} container ${name} runs vLLM with ${vllm.flags}, which takes ${vllm.gpus} GPUs, but its LeaderWorkerSet's group of ${group.value.size} pod${group.value.size === 1 ? "" : "s"} holds ${group.value.gpus} ${config.gpuResource}: vLLM waits for Ray to find the other GPUs and never starts; raise leaderWorkerTemplate.size or the pods' GPU limits, or lower the parallel sizes`);
      } else if (vllm && limit > 0 && vllm.gpus > limit) report(`${what} container ${name} runs vLLM with ${vllm.flags}, which takes ${vllm.gpus} GPUs, but limits ${config.gpuResource} to ${limit}: vLLM then asks Ray for the other GPUs, which this pod does not hold, and fails to start; give it ${vllm.gpus} or lower the parallel sizes`);
      if (request > 0 && limit === 0) report(`${what} container ${name} requests ${config.gpuResource} without a limit; set resources.limits["${config.gpuResource}"]`);
      if (request > 0 && limit > 0 && request !== limit) report(`${what} container ${name}: ${config.gpuResource} request ${request} differs from limit ${limit}`);
    }
  }
  const tolerated = tri(() => list(spec.tolerations as Toleration[]).some((t) => tolerates(t, config.gpuTaintKey, config.gpuTaintValue)));
  // A refused toleration reads as tolerating nothing: the pod it was meant to keep off (or let on) the GPU nodes is never created.
  const refused = orUnknown(() => list(spec.tolerations as Toleration[]).flatMap((t, i) => refusedToleration(t, config.gpuTaintKey).map((why) => `tolerations[${i}] ${why}`)), []);
  for (const why of refused) report(`${what}: ${why}: the API server refuses the pod`);
  // A refused pod neither lacks the toleration nor takes GPU capacity: its refusal is the verdict.
  const whileCreated = (fails: Tri): Tri => (refused.length > 0 ? false : fails);
  const verdict = (fails: Tri, message: string, undecided: string) => {
    if (fails === true) report(message);
    else if (fails === "unknown") pending.push(undecided);
  };
  verdict(
    whileCreated(andTri(usesGpu, notTri(tolerated))),
    `${what} uses GPUs but does not tolerate the ${config.gpuTaintKey}=${config.gpuTaintValue}:NoSchedule taint, so it cannot schedule on GPU nodes`,
    `whether ${what} uses GPUs and tolerates the ${config.gpuTaintKey} taint`,
  );
  verdict(
    whileCreated(andTri(notTri(usesGpu), tolerated, notTri(allowed))),
    `${what} requests no GPU but tolerates the ${config.gpuTaintKey} taint, so it can take GPU node capacity`,
    `whether ${what} requests a GPU, tolerates the ${config.gpuTaintKey} taint or is an allowed tolerator`,
  );
  const selection = probe(() => gpuNodeSelection(spec, config.gpuTaintKey));
  verdict(
    andTri(notTri(usesGpu), selection.known ? !!selection.value : "unknown", notTri(allowed)),
    `${what} selects GPU nodes (${selection.known ? selection.value : ""}) but requests no ${config.gpuResource}: a GPU workload missing its limits, which would share GPUs unaccounted (or never schedule)`,
    `whether ${what} requests a GPU, selects GPU nodes or is an allowed tolerator`,
  );
}

/**
 * GPUs are the scarce resource: a GPU workload must request the device in limits (extended
 * resources are not overcommitted and requests alone are rejected) and tolerate the taint that
 * keeps everything else off GPU nodes; anything else tolerating that taint steals GPU capacity.
 * On the stack (validateStack), a GPU workload's pods must fit some GPU node group of their cluster.
 */
export const gpuScheduling: ResourceValidationPolicy & { validateStack: StackValidation } = {
  name: "gpu-scheduling",
  description:
    "EKS node groups (aws.eks.NodeGroup, or @pulumi/eks ManagedNodeGroup) with NVIDIA GPUs (an NVIDIA/GPU AMI type, @pulumi/eks gpu: true, a GPU instance type, or the nvidia.com/gpu.present label) taint their nodes nvidia.com/gpu with effect NO_SCHEDULE, and a group of NVIDIA instance types runs an AMI type with the NVIDIA driver (EKS's *_NVIDIA, or AL2's *_GPU; for a ManagedNodeGroup without amiType the one @pulumi/eks resolves from operatingSystem or for the launch template it writes, NVIDIA only with gpu: true; CUSTOM and amiId are not judged, and an amiType left to EKS is not judged: which AMI type EKS picks for a GPU instance type is undocumented (CreateNodegroup names no default and asks for a GPU AMI type with a GPU instance type), so set amiType on GPU groups), and GCE VMs with NVIDIA GPUs that join k3s register it (NoSchedule) in their startup script or cloud-init user-data and stop for host maintenance (scheduling.onHostMaintenance TERMINATE, or a Spot/preemptible VM: Compute Engine refuses to create a GPU VM set, or left by default, to MIGRATE); containers using GPUs set nvidia.com/gpu in resources.limits, a whole number (the API server refuses a fractional count of an extended resource) (a vLLM container at least its tensor × pipeline × local data parallel sizes), a vLLM container's --gpu-memory-utilization within (0, 1] (vLLM's CacheConfig refuses any other at startup, and the container restarts for ever) and their pods tolerate the nvidia.com/gpu taint and (judged on the stack, where the stack creates the cluster's GPU node groups) fit some GPU node group of their cluster, else they stay Pending forever: its labels selected by their nodeSelector and required node affinity (on EKS node.kubernetes.io/instance-type is the group's instance type, t3.medium where it names none and no launchTemplate, amiId or non-x86_64 amiType may decide another, undecided where the group's own labels give another; on a k3s VM whose cluster's k3s server in the stack keeps k3s's own cloud controller, it is k3s or the VM's node-label, and topology.kubernetes.io/zone and region are only the VM's node-label; where the server's script is not readable, not judged; a VM whose kubelet-arg sets cloud-provider=external where k3s's controller does not run has all three undecided, another cloud controller setting them, while without it, where the server disables the controller, the VM's kubelet gets no cloud provider and sets none of the three: the VM carries only those its node-label gives; a term's matchFields names nodes by metadata.name, which no group's settings give: can't judge, while the matchExpressions beside it, ANDed, still exclude a group), its other NoSchedule/NoExecute taints tolerated, and no more GPUs per pod than its nodes hold (an EC2 type's GPU count, none for a type of a family without NVIDIA GPUs such as EKS's default t3.medium, a GCE VM's nvidia guestAccelerators; a count the pack does not know, a type of a class EC2 does not have (xyz9.large) included, is can't judge, a GCE VM whose boot script cannot be read is not judged), and that group runs a node: no cluster autoscaler runs, so an EKS group at scalingConfig desiredSize 0 (EKS refuses maxSize 0; a cluster-autoscaler or Karpenter release of the stack raises it), or a GCE template whose every instance group manager has targetSize 0 with no Autoscaler targeting it, takes none (a size not known yet is can't judge); pods that request no GPU neither tolerate it nor select GPU nodes by label (except allow-listed workloads, a DaemonSet whose containers all run the NVIDIA device plugin image, one of them the plugin itself, and one whose containers all run Istio's ztunnel or install-cni image), so GPU nodes run only GPU work. A toleration of the GPU key (or of every key, or with a key that is not a qualified name) that Kubernetes' validateTolerations refuses is reported as refused, not as missing: the API server refuses the pod (an operator or effect it does not take, `exists` or Lt; no key without operator Exists; a value beside Exists, or with Equal one that is not a label value; tolerationSeconds without effect NoExecute). Judged on workloads, on LeaderWorkerSets (multi-node vLLM over Ray: the leader and worker pod templates, a vLLM container's parallel sizes held to its group's GPUs, the leader's and size − 1 workers', which Ray spans), on AgentgatewayParameters deployment/daemonSet overlays, on Istio gateway deployment overlays (a gateway parameters or GatewayClass defaults ConfigMap's data.deployment, the istiod chart's gatewayClasses.<class>.deployment), and on the pod settings in the values of the agentgateway, istiod and Istio gateway charts (controller, istiod at the top level or under pilot, waypoints, the gateway). The node agents that must run on GPU nodes (the nvidia-device-plugin, ztunnel and istio-cni charts) tolerate the taint: tolerations left unset keep the charts' defaults, which do; ztunnel or istio-cni applied as a DaemonSet (a Helm v4 Chart's child) has no defaults to fall back on, and its pods tolerate it themselves.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      ...gpuKnobProperties,
      allowedTolerators: {
        ...setOf(namespacedName),
        default: defaults.allowedTolerators,
        description: "`namespace/name` of non-GPU workloads allowed to tolerate the GPU taint (an AgentgatewayParameters' or Istio gateway overlay ConfigMap's own namespace/name; a Helm release's namespace/release name, a release naming no namespace being in its provider's default namespace).",
      },
    },
  },
  validateResource: (args, report) => {
    const config = configWithDefaults(args, defaults);
    // What this preview cannot know yet: reported as "can't judge" after every known verdict.
    const pending: string[] = [];
    const isAllowed = (id: string) => config.allowedTolerators.includes(id);
    if (EKS_NODE_GROUP_TYPES.has(args.type)) {
      // The nodes' side of the bargain: GPU nodes carry the taint that every toleration here is about.
      judgeGpuNodeGroup(args.name, args.type, args.props, { key: config.gpuTaintKey, value: config.gpuTaintValue }, report, pending);
    } else if (GCE_NODE_TYPES.has(args.type)) {
      judgeGceGpuNode(args.name, args.type, args.props, { key: config.gpuTaintKey, value: config.gpuTaintValue }, report, pending);
    } else if (isAgentgatewayParameters(args.type)) {
      // Its deployment/daemonSet overlays patch the proxy pods it generates (allow-listed by the parameters' namespace/name).
      const { namespace, name } = meta(args.props);
      const what = `AgentgatewayParameters ${namespace}/${name}`;
      const overlays = agentgatewayOverlayPodSpecs(args.props);
      pending.push(...overlays.unknown.map((o) => `${o} of ${what}`));
      // spec.resources sizes the proxy container: a GPU there (or one not known yet) counts for every overlay.
      const resources: Container = {
        name: "(spec.resources)",
        get resources() {
          return args.props.spec?.resources as Container["resources"];
        },
      };
      for (const { overlay, spec } of overlays.specs) {
        judgePodSpec(`${what} ${overlay} overlay`, spec, () => [...containersOf(spec), resources], config, isAllowed(`${namespace}/${name}`), report, pending);
      }
    } else if (isHelmInstall(args.type)) {
      const chart = probe(() => helmChartName(args.props));
      if (!chart.known) pending.push(`the chart of Helm release ${args.name} (whose pod values may be judged)`);
      const places = chart.known && chart.value ? chartPodValues.get(chart.value) : undefined;
      const release = probe(() => (args.props.name as string | undefined) ?? args.name);
      const namespace = probe(() => releaseNamespace(args));
      const releaseName = release.known ? release.value : args.name;
      const id = `${namespace.known ? namespace.value : "?"}/${releaseName}`;
      // A release whose namespace or name is not known yet may be allow-listed, unless nothing is.
      const allowed: Tri = release.known && namespace.known ? isAllowed(id) : config.allowedTolerators.length === 0 ? false : "unknown";
      const chartName = chart.known ? chart.value : undefined;
      const agent = chartName ? nodeAgentCharts.get(chartName) : undefined;
      if (agent) {
        const values = probe(() => args.props.values as unknown);
        if (!values.known) pending.push(`the values of Helm release ${id} (chart ${chartName})`);
        else judgeNodeAgent(`Helm release ${id} (chart ${chartName})`, values.value, agent, config, report, pending);
      }
      if (chartName === "istiod") {
        // istiod's gatewayClasses values become the class defaults laid over every Gateway of the class.
        const values = probe(() => args.props.values as unknown);
        const overlays = values.known ? istiodGatewayClassPodSpecs(values.value) : { specs: [], unknown: ["values"] };
        pending.push(...overlays.unknown.map((o) => `${o} of Helm release ${id} (chart istiod)`));
        for (const { overlay, spec } of overlays.specs) {
          judgePodSpec(`Helm release ${id} (chart istiod) gateway deployment overlay (${overlay})`, spec, () => containersOf(spec), config, allowed, report, pending);
        }
      }
      for (const { path, pods } of places ?? []) {
        const where = path ? `values.${path}` : "values";
        const what = `Helm release ${id} (chart ${chart.known ? chart.value : "?"}) ${pods} pod spec (${where})`;
        const at = probe(() => (path ? dig(args.props.values, path) : args.props.values) as Record<string, any> | undefined);
        if (!at.known) {
          pending.push(`${what}`);
          continue;
        }
        if (!at.value || typeof at.value !== "object") continue;
        const values = at.value;
        const spec = { tolerations: undefined, nodeSelector: undefined, affinity: undefined } as Record<string, any>;
        // Each read when judged: an unknown affinity does not hide known tolerations.
        for (const key of Object.keys(spec)) Object.defineProperty(spec, key, { get: () => values[key], enumerable: true });
        judgePodSpec(what, spec, () => [], config, allowed, report, pending);
      }
    } else if (isKind(args.type, "core", "ConfigMap")) {
      // A gateway parameters (or GatewayClass defaults) ConfigMap: its deployment overlay patches
      // the pods Istio generates for Gateways (allow-listed by the ConfigMap's namespace/name).
      const overlays = istioGatewayConfigMapPodSpecs(args.type, args.props);
      if (!overlays) return;
      const { namespace, name } = meta(args.props);
      const what = `ConfigMap ${namespace}/${name} (Istio gateway overlay)`;
      pending.push(...overlays.unknown.map((o) => `${o} of ${what}`));
      for (const { overlay, spec } of overlays.specs) {
        judgePodSpec(`${what} ${overlay}`, spec, () => containersOf(spec), config, isAllowed(`${namespace}/${name}`), report, pending);
      }
    } else if (isLeaderWorkerSet(args.type)) {
      // Multi-node vLLM (Ray over a leader and its workers): each template's pods are held to the
      // GPU rules as a Deployment's are.
      const { namespace, name } = meta(args.props);
      const group = lwsGroupGpus(args.props, config.gpuResource);
      for (const template of lwsTemplates(args.props)) {
        const spec = probe(template.spec);
        if (!spec.known) pending.push(`${template.path} of LeaderWorkerSet ${namespace}/${name}`);
        else if (spec.value) judgePodSpec(`LeaderWorkerSet ${namespace}/${name} ${template.path.split(".").pop()}`, spec.value, () => containersOf(spec.value), config, isAllowed(`${namespace}/${name}`), report, pending, group);
      }
    } else if (isWorkload(args.type)) {
      const spec = podSpecOf(args.type, args.props);
      if (spec) {
        const { namespace, name } = meta(args.props);
        const kind = kindName(args.type);
        // The device plugin applied by hand (NVIDIA's static DaemonSet), or ztunnel or istio-cni as
        // a v4 Chart's children, is the node agent its chart installs, allowed as that is.
        const plugin = args.type === "kubernetes:apps/v1:DaemonSet" ? tri(() => isDevicePluginPodSpec(spec) || istioNodeAgentImage(spec) !== undefined) : false;
        judgePodSpec(`${kind} ${namespace}/${name}`, spec, () => containersOf(spec), config, orTri(plugin, isAllowed(`${namespace}/${name}`)), report, pending);
        const agent = args.type === "kubernetes:apps/v1:DaemonSet" ? orUnknown(() => istioNodeAgentImage(spec), undefined) : undefined;
        if (agent) judgeNodeAgentPods(`${kind} ${namespace}/${name}`, spec, nodeAgentCharts.get(agent === "ztunnel" ? "ztunnel" : "cni")!, config, report, pending);
      }
    }
    if (pending.length > 0) cannotJudge(pending);
  },
  // The pods' side of the node groups: a GPU workload's pods fit some GPU node group of their cluster.
  validateStack: (args, report) => {
    const config = configWithDefaults(args, defaults);
    const perCluster = byCluster(args.resources);
    const pending: string[] = [];
    for (const cluster of clusters(args.resources)) reportGpuPlacement(cluster, args.resources, perCluster.get(cluster.name) ?? [], config, report, pending);
    if (pending.length > 0) cannotJudge(pending);
  },
};
