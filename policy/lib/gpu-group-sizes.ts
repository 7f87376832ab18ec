/**
 * Whether a GPU node group runs no node, for gpu-placement: the stack runs no cluster autoscaler,
 * so a group's nodes are what its own settings give. An EKS node group (aws.eks.NodeGroup, @pulumi/eks
 * ManagedNodeGroup) at `scalingConfig.desiredSize` 0 (@pulumi/aws 7.48.0 NodeGroupScalingConfig
 * desiredSize/maxSize/minSize; EKS keeps a group at its desiredSize) has none unless a cluster
 * autoscaler or Karpenter release of the stack raises it; a GCE instance template only runs VMs through the
 * instance group managers whose `versions[].instanceTemplate` names it (InstanceGroupManagerVersion),
 * and runs none where each of them has `targetSize` 0 (@pulumi/gcp 9.37.0: "Defaults to `0`") and
 * no Autoscaler or RegionAutoscaler has it as `target` (an autoscaler sets the size itself). A
 * group without scalingConfig, a single VM, and a template no manager of the stack is known to use
 * are not judged (`false`).
 */
import type { PolicyResource } from "@pulumi/policy";
import { EKS_NODE_GROUP_TYPES } from "./gpu-nodes";
import { list, probe, type Tri } from "./values";

const MANAGERS = new Set(["gcp:compute/instanceGroupManager:InstanceGroupManager", "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager"]);
const AUTOSCALERS = new Set(["gcp:compute/autoscaler:Autoscaler", "gcp:compute/regionAutoscaler:RegionAutoscaler"]);
const TEMPLATES = new Set(["gcp:compute/instanceTemplate:InstanceTemplate", "gcp:compute/regionInstanceTemplate:RegionInstanceTemplate"]);

/** The known strings a resource may be referred to by (its selfLinkUnique, selfLink, id, name). */
function referencesOf(r: PolicyResource): string[] {
  return ["selfLinkUnique", "selfLink", "id", "name"].map((k) => probe(() => r.props[k])).flatMap((p) => (p.known && typeof p.value === "string" && p.value !== "" ? [p.value] : []));
}

/** A Helm release of the Kubernetes cluster autoscaler or Karpenter, either of which raises an EKS group's desiredSize. */
const NODE_SCALER_CHARTS = new Set(["cluster-autoscaler", "karpenter"]);
function scalesNodeGroups(r: PolicyResource): boolean {
  if (r.type !== "kubernetes:helm.sh/v3:Release") return false;
  const chart = probe(() => r.props.chart);
  return chart.known && typeof chart.value === "string" && NODE_SCALER_CHARTS.has(chart.value.split("/").pop() ?? "");
}

/** Whether an Autoscaler's target (a manager's URL, or its name) names the manager. */
const targets = (target: string, refs: string[], name: string | undefined) => refs.includes(target) || (name !== undefined && (target === name || target.endsWith(`/instanceGroupManagers/${name}`)));

/** `empty`: the group runs no node (why, said); "unknown": its size is not known yet (why); false: it may run nodes, or is not judged. */
export type GroupSize = { empty: true; why: string } | { empty: "unknown"; why: string } | { empty: false };

export function groupSize(node: PolicyResource, all: PolicyResource[]): GroupSize {
  if (EKS_NODE_GROUP_TYPES.has(node.type)) {
    // EKS refuses maxSize 0 (NodegroupScalingConfig maxSize: minimum 1), so desiredSize is what
    // decides: without an autoscaler nothing raises it, and EKS keeps the group at it.
    if (all.some(scalesNodeGroups)) return { empty: false };
    const desired = probe(() => (node.props.scalingConfig as { desiredSize?: unknown } | undefined)?.desiredSize);
    if (!desired.known) return { empty: "unknown", why: "its scalingConfig desiredSize is not known yet" };
    return desired.value === 0 ? { empty: true, why: "scalingConfig desiredSize 0" } : { empty: false };
  }
  if (!TEMPLATES.has(node.type)) return { empty: false };
  const refs = referencesOf(node);
  // A manager whose versions are not known yet is not taken for the template's (not judged).
  const uses = (m: PolicyResource) => probe(() => list(m.props.versions as { instanceTemplate?: unknown }[]).some((v) => refs.includes(v?.instanceTemplate as string)));
  const managers = all.filter((m) => {
    const used = MANAGERS.has(m.type) ? uses(m) : undefined;
    return used?.known === true && used.value;
  });
  if (managers.length === 0) return { empty: false };
  const autoscalers = all.filter((a) => AUTOSCALERS.has(a.type)).map((a) => probe(() => a.props.target));
  const sizes: Tri[] = managers.map((m) => {
    const name = probe(() => m.props.name);
    const mine = referencesOf(m);
    const named = name.known && typeof name.value === "string" ? name.value : undefined;
    // An autoscaler sets the size itself: fine; one whose target is not known yet may be it.
    if (autoscalers.some((t) => t.known && typeof t.value === "string" && targets(t.value, mine, named))) return false;
    if (autoscalers.some((t) => !t.known)) return "unknown";
    const size = probe(() => m.props.targetSize);
    if (!size.known) return "unknown";
    return size.value === undefined || size.value === null || size.value === 0;
  });
  if (sizes.includes(false)) return { empty: false };
  if (sizes.includes("unknown")) return { empty: "unknown", why: "its instance group managers' targetSize or Autoscalers are not known yet" };
  return { empty: true, why: `its instance group managers ${managers.map((m) => m.name).join(", ")} run targetSize 0, no Autoscaler targeting them` };
}
