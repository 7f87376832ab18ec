/**
 * The labels and NoSchedule/NoExecute taints the nodes of a node pool register, as the pack can
 * read them from the pool's settings: an EKS group's (aws NodeGroup or @pulumi/eks ManagedNodeGroup
 * inputs), or the `node-label`/`node-taint` entries of a GCE VM's k3s boot script. What decides
 * whether a DaemonSet (the NVIDIA device plugin, ztunnel, istio-cni) runs on the pool's nodes, and
 * whether a GPU workload fits them ({@link clusterNodeSettings}: with the labels k3s's own cloud
 * controller sets).
 */
import type { PolicyResource } from "@pulumi/policy";
import { EKS_NODE_GROUP_TYPES, GCE_NODE_TYPES, k3sBootScript, nodeGroupAmiType } from "./gpu-nodes";
import { k3sOptionEntries, k3sOptionReadings } from "./k3s-options";
import { k3sCloudInitialized, k3sCloudlessNodes, k3sExternalCloudNodes, withK3sCloudLabels, withOnlyOwnCloudLabels, withoutK3sCloudLabels } from "./k3s-nodes";
import { list, probe, type Probe } from "./values";

/** Labels a node may carry beyond its group's settings, which the caller knows are put there by something else. */
export type OtherLabels = (key: string) => boolean;

export type Taint = { key: string; value: string; effect: string };

/** The resource types whose nodes the pack reads: EKS node groups and GCE VMs. */
export const isNodePool = (type: string) => EKS_NODE_GROUP_TYPES.has(type) || GCE_NODE_TYPES.has(type);

/**
 * NFD (the device plugin chart's optional subchart, or one installed apart) labels nodes
 * feature.node.kubernetes.io/*; whether it runs is not in the pools' settings, so those labels decide nothing.
 */
export const byNfd = (key: string) => key.startsWith("feature.node.kubernetes.io/");

/** Labels k3s gives its nodes itself (k3s.io/hostname, …), whose values no boot script shows. */
const byK3s = (key: string) => byNfd(key) || /(^|\.)k3s\.io\/|(^|\.)cattle\.io\//.test(key);

/** EKS taint effects that keep pods without a toleration off the node, in Kubernetes' spelling. */
const HARD_EFFECTS: Record<string, string> = { NO_SCHEDULE: "NoSchedule", NO_EXECUTE: "NoExecute" };

/**
 * The labels and NoSchedule/NoExecute taints a pool's nodes register: an EKS group's settings, or
 * the `node-label`/`node-taint` of a k3s VM's boot script; undefined for a VM that does not install
 * k3s or whose script this run cannot read (ciphertext offline), which is not judged.
 */
export interface NodeSettings {
  labels: Record<string, unknown>;
  taints: Taint[];
  other: OtherLabels;
}

export function nodeSettings(node: PolicyResource): Probe<NodeSettings | undefined> {
  if (EKS_NODE_GROUP_TYPES.has(node.type)) {
    return probe(() => ({
      // An instance type the group labels its nodes is not what they keep (eksInstanceShapes).
      labels: withoutInstanceType(JSON.parse(JSON.stringify(node.props.labels ?? {})) as Record<string, unknown>),
      taints: list(node.props.taints as { key?: unknown; value?: unknown; effect?: unknown }[]).flatMap((t) => (HARD_EFFECTS[String(t?.effect)] ? [{ key: String(t?.key ?? ""), value: String(t?.value ?? ""), effect: HARD_EFFECTS[String(t?.effect)] }] : [])),
      other: byNfd,
    }));
  }
  const boot = probe(() => k3sBootScript(node.props));
  if (!boot.known || !boot.value) return { known: true, value: undefined };
  const { script, sh } = boot.value;
  // An entry naming a shell variable the script sets in a way not known here (read, substituted, in a branch), or one after what may stop dash: can't judge.
  const read = (option: string) => k3sOptionReadings(script, option, sh);
  if (["kubelet-arg", "node-label", "node-taint"].some((option) => read(option).some((e) => !e.known))) return { known: false };
  // k3s's node-label, and the kubelet's own node-labels flag handed over as a kubelet-arg.
  const kubeletLabels = k3sOptionEntries(script, "kubelet-arg").flatMap((a) => (/^-{0,2}node-labels=/.test(a) ? a.replace(/^-{0,2}node-labels=/, "").split(",") : []));
  const labels = Object.fromEntries([...k3sOptionEntries(script, "node-label"), ...kubeletLabels].map((e) => [e.split("=")[0], e.includes("=") ? e.slice(e.indexOf("=") + 1) : ""]));
  const taints = k3sOptionEntries(script, "node-taint").flatMap((e) => {
    const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|NoExecute)$/.exec(e);
    return m ? [{ key: m[1], value: m[2] ?? "", effect: m[3] }] : [];
  });
  return { known: true, value: { labels, taints, other: byK3s } };
}

/** The instance-type label pair the kubelet and the cloud provider's node controller set to one value (k8s.io/cloud-provider node controller getNodeModifiersFromCloudProvider). */
const INSTANCE_TYPE = { stable: "node.kubernetes.io/instance-type", beta: "beta.kubernetes.io/instance-type" };

/** The labels without the instance-type pair: a selection on it is then undecided (ambient-nodes.ts AUTOMATIC). */
const withoutInstanceType = (labels: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(labels).filter(([k]) => k !== INSTANCE_TYPE.stable && k !== INSTANCE_TYPE.beta));

/**
 * The EC2 type EKS runs in a managed node group that names one neither in instanceTypes nor in a
 * launch template (CreateNodegroup API, instanceTypes: "t3.medium is used, by default").
 */
const EKS_DEFAULT_INSTANCE_TYPE = "t3.medium";

/**
 * The EC2 types an EKS node group runs: its instanceTypes, else EKS's default t3.medium where no
 * launch template may name one (the program's `launchTemplate`; @pulumi/eks 4.3.0's own, written
 * for kubeletExtraArgs and the like, names none: nodes/nodegroup.ts createMNGCustomLaunchTemplate)
 * and the AMI is x86_64 as t3.medium is (EKS refuses a type of another architecture than its amiType,
 * and names no default for those; no amiType is EKS's x86_64 default; a custom `amiId` is not read).
 * [] where that is not known here. Throws where an input it reads is not known yet (inside a probe).
 */
function eksInstanceTypes(node: PolicyResource): string[] {
  const given = list(node.props.instanceTypes as unknown[]).map(String);
  if (given.length > 0) return given;
  if (node.props.launchTemplate !== undefined && node.props.launchTemplate !== null) return [];
  if (node.props.amiId !== undefined && node.props.amiId !== null) return [];
  const ami = nodeGroupAmiType(node.type, node.props)?.amiType;
  return ami === undefined || /_x86_64(_|$)/.test(ami) ? [EKS_DEFAULT_INSTANCE_TYPE] : [];
}

/**
 * The node shapes of an EKS node group, one per EC2 type it runs ({@link eksInstanceTypes}): the
 * group's labels with node.kubernetes.io/instance-type and its beta spelling set to that type (each
 * node carries its own type); [] where the types are not known here (a launch template's type).
 * Where the group's own labels give either spelling another value, the pair is left out (undecided):
 * the kubelet registers them from --node-labels and puts them back at each start (its initialNode and
 * updateDefaultLabels, pkg/kubelet/kubelet_node_status.go), the cloud controller sets the EC2 type at
 * initialization (k8s.io/cloud-provider node controller getNodeModifiersFromCloudProvider) and copies
 * the beta value onto the stable one (reconcileNodeLabels). Throws where its inputs are not known yet (inside a probe).
 */
export function eksInstanceShapes(node: PolicyResource, labels: Record<string, unknown>): { type: string; labels: Record<string, unknown> }[] {
  const own = [INSTANCE_TYPE.stable, INSTANCE_TYPE.beta].map((key) => (node.props.labels as Record<string, unknown> | undefined)?.[key]).filter((v) => v !== undefined && v !== null).map(String);
  const kept = withoutInstanceType(labels);
  return eksInstanceTypes(node).map((type) => ({ type, labels: own.every((v) => v === type) ? { ...kept, [INSTANCE_TYPE.stable]: type, [INSTANCE_TYPE.beta]: type } : kept }));
}

/**
 * The label sets a node agent (a DaemonSet that must run on every node of the pool) must select:
 * on an EKS group each of its instance types' ({@link eksInstanceShapes}), else (a launch template's
 * type, or not known yet: the instance type then decides nothing) the pool's labels alone.
 */
export function poolLabelSets(node: PolicyResource, labels: Record<string, unknown>): Record<string, unknown>[] {
  if (!EKS_NODE_GROUP_TYPES.has(node.type)) return [labels];
  const shapes = probe(() => eksInstanceShapes(node, labels));
  return shapes.known && shapes.value.length > 0 ? shapes.value.map((s) => s.labels) : [labels];
}

/**
 * {@link nodeSettings} for the node pools of one cluster (`nodes`: ambient-nodes.ts clusterNodes),
 * a k3s VM that k3s's embedded cloud controller initializes carrying the instance type, zone and
 * region it sets (./k3s-nodes k3sCloudInitialized, withK3sCloudLabels): instance type k3s unless the
 * VM's node-label gives one, zone and region only the node-label's; one that waits for another
 * cloud controller (./k3s-nodes k3sExternalCloudNodes) carrying those three undecided, whatever its
 * node-label says; one no cloud controller initializes (./k3s-nodes k3sCloudlessNodes) carrying
 * only those its node-label gives. The one reading of a cluster's node labels for every policy matching a node
 * selection against them.
 */
export function clusterNodeSettings(nodes: PolicyResource[]): (node: PolicyResource) => Probe<NodeSettings | undefined> {
  const vms = nodes.filter((node) => GCE_NODE_TYPES.has(node.type));
  const initialized = k3sCloudInitialized(vms);
  const external = k3sExternalCloudNodes(vms);
  const cloudless = k3sCloudlessNodes(vms);
  return (node) => {
    const settings = nodeSettings(node);
    if (!settings.known || !settings.value) return settings;
    if (initialized.has(node)) return { known: true, value: { ...settings.value, labels: withK3sCloudLabels(settings.value.labels) } };
    if (external.has(node)) return { known: true, value: { ...settings.value, labels: withoutK3sCloudLabels(settings.value.labels) } };
    if (cloudless.has(node)) return { known: true, value: { ...settings.value, labels: withOnlyOwnCloudLabels(settings.value.labels) } };
    return settings;
  };
}
