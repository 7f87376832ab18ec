/**
 * Whether Istio 1.30.3's node agents (ztunnel, istio-cni) run on every node pool of a cluster that
 * mesh workloads land on: their DaemonSets land only where the release's nodeSelector (ztunnel),
 * required node affinity (both) and tolerations (both) allow, and a node without them leaves its
 * pods outside the ambient data plane. Node pools are the cluster's EKS node groups (aws NodeGroup
 * or @pulumi/eks ManagedNodeGroup) and GCE VMs that join k3s, whose labels and taints the pack
 * reads as the GPU checks do (./node-settings clusterNodeSettings: a k3s VM's instance type, zone
 * and region as k3s's own cloud controller sets them). The same reading of node selection tells
 * gpu-device-plugin whether the NVIDIA device plugin runs on the GPU node groups.
 */
import type { PolicyResource, ReportViolation } from "@pulumi/policy";
import { dig, helmChartName, isHelmInstall, isWorkload, meta, podSpecOf } from "./k8s";
import { clusterNodeSettings, isNodePool, poolLabelSets, type NodeSettings, type OtherLabels, type Taint } from "./node-settings";
import { toleratesTaint, type Toleration } from "./tolerations";
import { everyTri, list, orUnknown, probe, someTri, Tri } from "./values";

/** Labels every node has whose value the pack cannot read from a node group's settings (EKS and Kubernetes set them), but where ./node-settings gives them (an EKS group's instance type, a k3s VM's cloud labels). */
const AUTOMATIC = /^(kubernetes\.io|beta\.kubernetes\.io|node\.kubernetes\.io|topology\.kubernetes\.io|failure-domain\.beta\.kubernetes\.io|eks\.amazonaws\.com|k8s\.io|topology\.k8s\.aws)\//;

/** A node label as a node of the group carries it: true/false, or "unknown" for a label set by EKS or Kubernetes (or `other`); a key given as undefined is one the nodes are known not to carry. */
function label(labels: Record<string, unknown>, key: string, other?: OtherLabels): { has: Tri; value?: string } {
  if (Object.prototype.hasOwnProperty.call(labels, key)) return labels[key] === undefined ? { has: false } : { has: true, value: String(labels[key]) };
  // The charts' templates pin kubernetes.io/os=linux themselves; every node of the platform is Linux.
  if (key === "kubernetes.io/os") return { has: true, value: "linux" };
  return { has: AUTOMATIC.test(key) || other?.(key) ? "unknown" : false };
}

/** A NodeSelectorRequirement against the group's labels (Gt/Lt as integers, as the scheduler reads them). */
function requirement(labels: Record<string, unknown>, e: { key?: unknown; operator?: unknown; values?: unknown }, other?: OtherLabels): Tri {
  const { has, value } = label(labels, String(e?.key), other);
  if (has === "unknown") return "unknown";
  const values = list(e?.values as unknown[]).map(String);
  switch (e?.operator) {
    case "In":
      return has && values.includes(value!);
    case "NotIn":
      return !has || !values.includes(value!);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    case "Gt":
    case "Lt":
      if (!has || !/^-?\d+$/.test(value!) || !/^-?\d+$/.test(values[0] ?? "")) return false;
      return e.operator === "Gt" ? +value! > +values[0] : +value! < +values[0];
    default:
      return false;
  }
}

/** What leaves a node selection undecided: a label the group's settings leave undecided, or a node's name (matchFields). */
type Undecided = "label" | "name";

/** `schedulable`'s answer with what leaves it "unknown", where it is. */
function selection(labels: Record<string, unknown>, nodeSelector: unknown, affinity: unknown, other?: OtherLabels): { fit: Tri; by: Set<Undecided> } {
  const by = new Set<Undecided>();
  const selected = everyTri(Object.entries((nodeSelector ?? {}) as Record<string, unknown>), ([k, v]) => {
    const l = label(labels, k, other);
    return l.has === "unknown" ? "unknown" : l.has && l.value === String(v);
  });
  if (selected === "unknown") by.add("label");
  const terms = dig(affinity, "nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms");
  if (terms === undefined || terms === null) return { fit: selected, by };
  const open = new Set<Undecided>();
  const termsMatch = someTri(list(terms as { matchExpressions?: unknown[]; matchFields?: unknown[] }[]), (t) => {
    // A term without requirements matches no node, and its requirements are ANDed (k8s.io/api core/v1
    // NodeSelectorTerm; k8s.io/component-helpers nodeaffinity): matchFields names nodes by their
    // metadata.name, the only field it takes, which no group's settings give.
    const fields = list(t?.matchFields).length > 0;
    const expressions = list(t?.matchExpressions as object[]);
    if (!fields && expressions.length === 0) return false;
    const matched = everyTri(expressions, (e) => requirement(labels, e, other));
    if (matched === "unknown") open.add("label");
    if (fields && matched !== false) open.add("name");
    return fields && matched !== false ? "unknown" : matched;
  });
  if (termsMatch === "unknown") open.forEach((u) => by.add(u));
  const fit: Tri = selected === false || termsMatch === false ? false : selected === true && termsMatch === true ? true : "unknown";
  return { fit, by: fit === "unknown" ? by : new Set() };
}

/** Whether a node of the group satisfies the pod's nodeSelector and required node affinity (terms ORed, requirements ANDed). */
export const schedulable = (labels: Record<string, unknown>, nodeSelector: unknown, affinity: unknown, other?: OtherLabels): Tri => selection(labels, nodeSelector, affinity, other).fit;

/**
 * Why `schedulable` finds the selections of `pods` "unknown" on some of a group's label sets, as a
 * can't-judge entry says it after "nodeSelector or required node affinity": it names a label the
 * group's settings leave undecided (one Kubernetes, EKS or k3s sets itself, an instance type another
 * cloud controller, a launch template or the group's own labels set), or nodes by name (matchFields
 * on metadata.name), which no settings give.
 */
export function undecidedSelection(sets: Record<string, unknown>[], pods: { nodeSelector?: unknown; affinity?: unknown }[], other?: OtherLabels): string {
  const by = new Set(sets.flatMap((set) => pods.flatMap((p) => [...selection(set, p.nodeSelector, p.affinity, other).by])));
  const why = [
    by.has("label") ? "names a label the group's settings leave undecided" : undefined,
    by.has("name") ? "names nodes by metadata.name (matchFields), and the group's node names are not known here" : undefined,
  ].filter(Boolean);
  return why.join(" and ");
}

/**
 * The can't-judge entry for pods whose nodeSelector or required node affinity `schedulable` finds
 * "unknown" on a group, `why` from {@link undecidedSelection}. `group` names it as the policy does
 * ("node group a-gpu", "GPU node group a-gpu").
 */
export const undecidedPlacement = (pods: string, group: string, cluster: string, why: string) =>
  `whether ${pods} runs on ${group} of cluster ${cluster} (its nodeSelector or required node affinity ${why})`;

/**
 * Where each chart's DaemonSet takes its node selection and tolerations from (values laid as
 * zzy_descope_legacy.yaml lays cni.* over the top level; the first path set wins). Tolerations
 * left unset keep the charts' defaults, which tolerate every NoSchedule and NoExecute taint.
 */
const AGENTS: Record<string, { pods: string; nodeSelector?: string[]; affinity: string[]; tolerations: string[]; without: string }> = {
  // manifests/charts/ztunnel/templates/daemonset.yaml: values.nodeSelector, values.affinity, values.tolerations.
  ztunnel: { pods: "ztunnel", nodeSelector: ["nodeSelector"], affinity: ["affinity"], tolerations: ["tolerations"], without: "no ztunnel runs there, so its pods are outside the ambient data plane (no mTLS, no authorization)" },
  // manifests/charts/istio-cni/templates/daemonset.yaml: values.affinity and values.tolerations (its nodeSelector is kubernetes.io/os alone).
  cni: { pods: "istio-cni", affinity: ["cni.affinity", "affinity"], tolerations: ["cni.tolerations", "tolerations"], without: "istio-cni never enrolls its pods in ambient, so they accept plaintext past STRICT and every ALLOW policy" },
};

/** Whether `path` is set in Helm values (to anything, null included): a value given replaces the chart's default. */
function valueSet(values: unknown, path: string): boolean {
  const keys = path.split(".");
  const parent = keys.length > 1 ? dig(values, keys.slice(0, -1).join(".")) : values;
  return !!parent && typeof parent === "object" && Object.prototype.hasOwnProperty.call(parent, keys[keys.length - 1]);
}

/** The cluster's node resources of the given types: those sharing the cluster provider's parent component, else named `<cluster>-…`. */
export function clusterNodes(cluster: { name: string; urn: string }, all: PolicyResource[], isNode: (type: string) => boolean): PolicyResource[] {
  const parent = all.find((r) => r.urn === cluster.urn)?.parent?.urn;
  return all.filter((r) => isNode(r.type) && (parent && r.parent ? r.parent.urn === parent : r.name.startsWith(`${cluster.name}-`)));
}

const showTaint = (t: Taint) => `${t.key}${t.value ? `=${t.value}` : ""}:${t.effect}`;

/**
 * Reports each ztunnel or istio-cni release on the cluster whose node selection or tolerations
 * leave out a node pool of the cluster (one sharing the cluster provider's parent component, else
 * named `<cluster>-…`) that mesh workloads land on: one untainted, tainted only with the GPU key
 * (`gpuTaintKey`, the GPU policies' knob: the model servers land there), or whose every other taint
 * a workload of a `judged` namespace tolerates. A pool tainted for something else holds only the
 * pods placed there on purpose (a fork's batch pool outside the mesh, say). The GPU taint itself
 * is left to gpu-scheduling, which holds both charts to tolerating it wherever the pools are. Only
 * pools whose labels and taints are known and decide it are reported; a selection only a label the
 * pool leaves undecided could decide is can't judge.
 */
export function reportAgentNodeCoverage(cluster: { name: string; urn: string }, all: PolicyResource[], resources: PolicyResource[], gpuTaintKey: string, judged: (namespace: string) => boolean, report: ReportViolation, pending: string[]): void {
  const meshTolerations = resources
    .filter((r) => isWorkload(r.type) && orUnknown(() => judged(meta(r.props).namespace), false))
    .map((r) => orUnknown(() => list(podSpecOf(r.type, r.props)?.tolerations as Toleration[]).filter((t) => t && typeof t === "object"), [] as Toleration[]));
  const nodes = clusterNodes(cluster, all, isNodePool);
  const settingsOf = clusterNodeSettings(nodes);
  const pools = nodes.map((node) => ({ node, settings: settingsOf(node) }));
  if (pools.length === 0) return;
  /** The pool's nodes as the agents must reach them (its taints but the GPU one), undefined for a pool not judged. */
  const reached = (settings: NodeSettings): NodeSettings | undefined => {
    const others = settings.taints.filter((t) => t.key !== gpuTaintKey);
    if (others.length > 0 && !meshTolerations.some((tols) => others.every((taint) => tols.some((t) => toleratesTaint(t, taint))))) return undefined;
    return { ...settings, taints: others };
  };
  for (const release of resources.filter((r) => isHelmInstall(r.type))) {
    const chart = probe(() => helmChartName(release.props));
    const agent = chart.known ? AGENTS[chart.value === "istio-cni" ? "cni" : (chart.value ?? "")] : undefined;
    if (!agent) continue;
    const pick = (paths: string[] | undefined) => (paths ?? []).map((p) => dig(release.props.values, p)).find((v) => v !== undefined);
    const selection = probe(() => {
      const at = agent.tolerations.find((p) => valueSet(release.props.values, p));
      const given = at === undefined ? undefined : dig(release.props.values, at);
      const tolerations = at === undefined ? undefined : { at, list: (Array.isArray(given) ? (given as Toleration[]) : []).filter((t) => t && typeof t === "object") };
      return JSON.parse(JSON.stringify({ nodeSelector: pick(agent.nodeSelector), affinity: pick(agent.affinity), tolerations })) as { nodeSelector?: unknown; affinity?: unknown; tolerations?: { at: string; list: Toleration[] } };
    });
    if (!selection.known) {
      pending.push(`the nodeSelector, affinity and tolerations of ${agent.pods} release ${release.name} on cluster ${cluster.name}`);
      continue;
    }
    const { nodeSelector, affinity, tolerations } = selection.value;
    if (nodeSelector === undefined && affinity === undefined && tolerations === undefined) continue;
    for (const { node, settings } of pools) {
      if (!settings.known) {
        pending.push(`the labels and taints of node group ${node.name}, which decide whether ${agent.pods} release ${release.name} runs there`);
        continue;
      }
      // A VM that does not install k3s, or whose boot script this run cannot read, is not judged.
      const pool = settings.value && reached(settings.value);
      if (!pool) continue;
      const { labels, taints, other } = pool;
      const untolerated = tolerations ? taints.filter((taint) => !tolerations.list.some((t) => toleratesTaint(t, taint))) : [];
      if (untolerated.length > 0) {
        report(`${agent.pods} release ${release.name} on cluster ${cluster.name} does not run on node group ${node.name}: its values.${tolerations!.at} do not tolerate the group's taint ${untolerated.map(showTaint).join(", ")}, which the workloads there tolerate: ${agent.without}; tolerate it, or leave values.${tolerations!.at} unset for the chart's default, which tolerates every NoSchedule and NoExecute taint`, release.urn);
        continue;
      }
      // Every node of the group: on EKS each of its instance types' (./node-settings poolLabelSets).
      const sets = poolLabelSets(node, labels);
      const runs = sets.map((set) => schedulable(set, nodeSelector, affinity, other));
      const excluded = sets[runs.indexOf(false)];
      if (!excluded) {
        if (runs.includes("unknown")) pending.push(undecidedPlacement(`${agent.pods} release ${release.name}`, `node group ${node.name}`, cluster.name, undecidedSelection(sets, [{ nodeSelector, affinity }], other)));
        continue;
      }
      report(`${agent.pods} release ${release.name} on cluster ${cluster.name} does not run on node group ${node.name}: its nodeSelector or required node affinity excludes the group's nodes (labels ${JSON.stringify(excluded)}): ${agent.without}`, release.urn);
    }
  }
}
