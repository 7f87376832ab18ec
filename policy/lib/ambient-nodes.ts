/**
 * Whether Istio 1.30.3's node agents (ztunnel, istio-cni) run on every node group of a cluster:
 * their DaemonSets land only where the release's nodeSelector (ztunnel) and required node affinity
 * (both) allow, and a node without them leaves its pods outside the ambient data plane. Node
 * groups are the EKS managed node groups of the stack, whose labels the pack can read, that are
 * untainted or tainted only with the GPU taint key. The same reading of node selection tells gpu-device-plugin
 * whether the NVIDIA device plugin runs on the GPU node groups.
 */
import type { PolicyResource, ReportViolation } from "@pulumi/policy";
import { dig, helmChartName, isHelmInstall } from "./k8s";
import { EKS_NODE_GROUP } from "./gpu-nodes";
import { everyTri, list, orUnknown, probe, someTri, Tri } from "./values";

/** Labels every node has whose value the pack cannot read from a node group's settings (EKS and Kubernetes set them). */
const AUTOMATIC = /^(kubernetes\.io|beta\.kubernetes\.io|node\.kubernetes\.io|topology\.kubernetes\.io|failure-domain\.beta\.kubernetes\.io|eks\.amazonaws\.com|k8s\.io|topology\.k8s\.aws)\//;

/** Labels a node may carry beyond its group's settings, which the caller knows are put there by something else. */
export type OtherLabels = (key: string) => boolean;

/** A node label as a node of the group carries it: true/false, or "unknown" for a label set by EKS or Kubernetes (or `other`). */
function label(labels: Record<string, unknown>, key: string, other?: OtherLabels): { has: Tri; value?: string } {
  if (Object.prototype.hasOwnProperty.call(labels, key)) return { has: true, value: String(labels[key]) };
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

/** Whether a node of the group satisfies the pod's nodeSelector and required node affinity (terms ORed, expressions ANDed). */
export function schedulable(labels: Record<string, unknown>, nodeSelector: unknown, affinity: unknown, other?: OtherLabels): Tri {
  const selected = everyTri(Object.entries((nodeSelector ?? {}) as Record<string, unknown>), ([k, v]) => {
    const l = label(labels, k, other);
    return l.has === "unknown" ? "unknown" : l.has && l.value === String(v);
  });
  const terms = dig(affinity, "nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms");
  if (terms === undefined || terms === null) return selected;
  const termsMatch = someTri(list(terms as { matchExpressions?: unknown[]; matchFields?: unknown[] }[]), (t) =>
    // A term without requirements matches no node (k8s.io/component-helpers nodeaffinity); one on fields needs the node's name.
    list(t?.matchFields).length > 0 ? "unknown" : list(t?.matchExpressions).length === 0 ? false : everyTri(list(t?.matchExpressions as object[]), (e) => requirement(labels, e, other)),
  );
  return selected === false || termsMatch === false ? false : selected === true && termsMatch === true ? true : "unknown";
}

/** Where each chart's DaemonSet takes its node selection from (values laid as zzy_descope_legacy.yaml lays cni.* over the top level). */
const AGENTS: Record<string, { pods: string; nodeSelector?: string[]; affinity: string[]; without: string }> = {
  // manifests/charts/ztunnel/templates/daemonset.yaml: values.nodeSelector and values.affinity.
  ztunnel: { pods: "ztunnel", nodeSelector: ["nodeSelector"], affinity: ["affinity"], without: "no ztunnel runs there, so its pods are outside the ambient data plane (no mTLS, no authorization)" },
  // manifests/charts/istio-cni/templates/daemonset.yaml: values.affinity only (its nodeSelector is kubernetes.io/os alone).
  cni: { pods: "istio-cni", affinity: ["cni.affinity", "affinity"], without: "istio-cni never enrolls its pods in ambient, so they accept plaintext past STRICT and every ALLOW policy" },
};

/** The cluster's node resources of the given types: those sharing the cluster provider's parent component, else named `<cluster>-…`. */
export function clusterNodes(cluster: { name: string; urn: string }, all: PolicyResource[], isNode: (type: string) => boolean): PolicyResource[] {
  const parent = all.find((r) => r.urn === cluster.urn)?.parent?.urn;
  return all.filter((r) => isNode(r.type) && (parent && r.parent ? r.parent.urn === parent : r.name.startsWith(`${cluster.name}-`)));
}

/**
 * Reports each ztunnel or istio-cni release on the cluster whose node selection leaves out a node
 * group of the cluster (one sharing the cluster provider's parent component, else named
 * `<cluster>-…`). Only groups whose labels are known and decide it are reported. `gpuTaintKey` is
 * the key GPU groups are tainted with (the GPU policies' knob): mesh workloads land there too.
 */
export function reportAgentNodeCoverage(cluster: { name: string; urn: string }, all: PolicyResource[], resources: PolicyResource[], gpuTaintKey: string, report: ReportViolation, pending: string[]): void {
  // A group tainted for something else than GPUs holds only the pods placed there on purpose (a
  // fork's batch pool outside the mesh, say): the groups judged are those mesh workloads land on.
  const dedicated = (r: PolicyResource) => orUnknown(() => list(r.props.taints as { key?: unknown; effect?: unknown }[]).some((t) => t?.key !== gpuTaintKey && t?.effect !== "PREFER_NO_SCHEDULE"), false);
  const groups = clusterNodes(cluster, all, (type) => type === EKS_NODE_GROUP).filter((r) => !dedicated(r));
  if (groups.length === 0) return;
  for (const release of resources.filter((r) => isHelmInstall(r.type))) {
    const chart = probe(() => helmChartName(release.props));
    const agent = chart.known ? AGENTS[chart.value === "istio-cni" ? "cni" : (chart.value ?? "")] : undefined;
    if (!agent) continue;
    const pick = (paths: string[] | undefined) => (paths ?? []).map((p) => dig(release.props.values, p)).find((v) => v !== undefined);
    const selection = probe(() => JSON.parse(JSON.stringify({ nodeSelector: pick(agent.nodeSelector), affinity: pick(agent.affinity) })) as { nodeSelector?: unknown; affinity?: unknown });
    if (!selection.known) {
      pending.push(`the nodeSelector and affinity of ${agent.pods} release ${release.name} on cluster ${cluster.name}`);
      continue;
    }
    const { nodeSelector, affinity } = selection.value;
    if (nodeSelector === undefined && affinity === undefined) continue;
    for (const group of groups) {
      const labels = probe(() => JSON.parse(JSON.stringify(group.props.labels ?? {})) as Record<string, unknown>);
      if (!labels.known) {
        pending.push(`the labels of node group ${group.name}, which decide whether ${agent.pods} release ${release.name} runs there`);
        continue;
      }
      if (schedulable(labels.value, nodeSelector, affinity) !== false) continue;
      report(`${agent.pods} release ${release.name} on cluster ${cluster.name} does not run on node group ${group.name}: its nodeSelector or required node affinity excludes the group's nodes (labels ${JSON.stringify(labels.value)}): ${agent.without}`, release.urn);
    }
  }
}
