/**
 * Policy-review mutations of GPU workloads whose pods no GPU node group of their cluster takes (they
 * stay Pending forever): a node selection naming a label the groups' nodes do not carry (beside a
 * node name, matchFields, in its term too), and more
 * GPUs per pod than the groups' nodes hold; and the node agents (device plugin, ztunnel) pinned to
 * an EC2 type an EKS group does not run (one naming no instanceTypes runs EKS's t3.medium), so they
 * miss its nodes; GPU groups naming no instanceTypes, whose t3.medium nodes hold no GPU; and GPU
 * groups that run no node (EKS desiredSize 0, GCE instance group managers at targetSize 0).
 */
import type { ExportedResource } from "../../scripts/lib/review-wire";
import { Mutation, resources, isKind, edit, onFirst, setGpuCount } from "./mutations-support";
import { onEksDevicePlugin } from "./mutations-pools-gpu";

/** A vLLM Deployment (GPU clusters only: the local stack runs the simulator). */
const vllmServer = (r: ExportedResource) => isKind(r, "Deployment") && (r.inputs as any)?.spec?.template?.spec?.containers?.[0]?.name === "vllm";
/** The cluster a resource is applied on: its provider `<cluster>-k8s`. */
const clusterOf = (r: ExportedResource) => (r.provider ?? "").split("::")[3]?.replace(/-k8s$/, "");
/** Edits every EKS GPU node group (an NVIDIA amiType) of the first vLLM server's cluster that has one; the server's URN, or undefined. */
function onEveryEksGpuGroupOfAVllmServer(doc: Parameters<Mutation["apply"]>[0], change: (inputs: any) => unknown): string | undefined {
  const gpuGroups = resources(doc).filter((g) => g.type === "aws:eks/nodeGroup:NodeGroup" && /NVIDIA/.test(String((g.inputs as any)?.amiType)));
  const of = (r: ExportedResource) => gpuGroups.filter((g) => g.urn.split("::").pop()!.startsWith(`${clusterOf(r)}-`));
  const server = resources(doc).find((r) => vllmServer(r) && of(r).length > 0);
  if (!server) return undefined;
  for (const group of of(server)) edit(group, change);
  return server.urn;
}
/** Whether the resource's cluster has an EKS node group (`<cluster>-<group>`) not running `type`. */
const onEksWithout = (doc: Parameters<Mutation["apply"]>[0], type: string) => {
  const groups = resources(doc).filter((r) => r.type === "aws:eks/nodeGroup:NodeGroup");
  return (r: ExportedResource) => groups.some((g) => g.urn.split("::").pop()!.startsWith(`${clusterOf(r)}-`) && !((g.inputs as any)?.instanceTypes ?? []).includes(type));
};

export const gpuPlacementMutations: Mutation[] = [
  {
    // On EKS a node's node.kubernetes.io/instance-type is its EC2 type: no node of the cluster's groups (g6e, p5, g5) is a p4d.
    name: "a vLLM Deployment on an EKS cluster pinned by nodeSelector to instance type p4d.24xlarge, which none of its node groups runs",
    policy: "gpu-scheduling",
    apply: (doc) => onFirst(doc, (r) => vllmServer(r) && onEksWithout(doc, "p4d.24xlarge")(r), (o) => (o.spec.template.spec.nodeSelector = { "node.kubernetes.io/instance-type": "p4d.24xlarge" })),
  },
  {
    // A term's requirements are ANDed (k8s.io/api core/v1 NodeSelectorTerm): its node name (matchFields), unknown to a review, cannot rescue a p4d that no group runs.
    name: "a vLLM Deployment on an EKS cluster whose required node affinity term names a node by metadata.name (matchFields) beside instance type p4d.24xlarge, which none of its node groups runs",
    policy: "gpu-scheduling",
    apply: (doc) =>
      onFirst(doc, (r) => vllmServer(r) && onEksWithout(doc, "p4d.24xlarge")(r), (o) => {
        const term = { matchFields: [{ key: "metadata.name", operator: "In", values: ["ip-10-0-1-5.ec2.internal"] }], matchExpressions: [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["p4d.24xlarge"] }] };
        o.spec.template.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term] } } };
      }),
  },
  {
    // No GPU node of the stack holds 16 (p5.48xlarge: 8, g6e/g5.12xlarge and a2-ultragpu-4g: 4).
    name: "a vLLM Deployment limiting 16 GPUs per pod, more than any GPU node of its cluster holds",
    policy: "gpu-scheduling",
    apply: (doc) => onFirst(doc, vllmServer, (o) => setGpuCount(o, "16")),
  },
  {
    // The GPU groups' nodes carry their EC2 type as node.kubernetes.io/instance-type: none is a p4d, so no plugin runs on them.
    name: "an EKS cluster's nvidia-device-plugin release pinned by nodeSelector to instance type p4d.24xlarge, which none of its GPU node groups runs",
    policy: "gpu-device-plugin",
    apply: (doc) => onEksDevicePlugin(doc, (values) => (values.nodeSelector = { "node.kubernetes.io/instance-type": "p4d.24xlarge" })),
  },
  {
    // Its beta spelling, which the kubelet sets alike: ztunnel then runs on none of the cluster's node groups.
    name: "an EKS cluster's ztunnel release pinned by nodeSelector to beta.kubernetes.io/instance-type p4d.24xlarge, which none of its node groups runs",
    policy: "mesh-mtls-strict",
    apply: (doc) => onFirst(doc, (r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.chart === "ztunnel" && onEksWithout(doc, "p4d.24xlarge")(r), (o) => (o.values = { ...o.values, nodeSelector: { "beta.kubernetes.io/instance-type": "p4d.24xlarge" } })),
  },
  {
    // EKS runs t3.medium in a group naming no instanceTypes nor a launch template (CreateNodegroup API): the plugin pinned to the type the group named misses its nodes.
    name: "an EKS GPU node group's instanceTypes dropped (EKS then runs t3.medium) while its cluster's nvidia-device-plugin release stays pinned by nodeSelector to the type the group named",
    policy: "gpu-device-plugin",
    apply: (doc) => {
      const groups = resources(doc).filter((r) => r.type === "aws:eks/nodeGroup:NodeGroup" && /NVIDIA/.test(String((r.inputs as any)?.amiType)));
      const plugin = resources(doc).find((r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.chart === "nvidia-device-plugin" && groups.some((g) => g.urn.split("::").pop()!.startsWith(`${clusterOf(r)}-`)));
      const group = plugin && groups.find((g) => g.urn.split("::").pop()!.startsWith(`${clusterOf(plugin)}-`));
      if (!plugin || !group) return undefined;
      const type = String((group.inputs as any).instanceTypes[0]);
      edit(group, (o) => delete o.instanceTypes);
      return edit(plugin, (o) => (o.values = { ...o.values, nodeSelector: { "node.kubernetes.io/instance-type": type } }));
    },
  },
  {
    // EKS runs t3.medium in a group naming no instanceTypes: a T3 holds no GPU, so the vLLM pods fit no group of their cluster.
    name: "every EKS GPU node group of a vLLM Deployment's cluster with its instanceTypes dropped (EKS then runs t3.medium, which holds no GPU)",
    policy: "gpu-scheduling",
    apply: (doc) => onEveryEksGpuGroupOfAVllmServer(doc, (o) => delete o.instanceTypes),
  },
  {
    // No cluster autoscaler runs: a group at desiredSize 0 never has a node, so the vLLM pods that fit only such groups stay Pending.
    name: "every EKS GPU node group of a vLLM Deployment's cluster at scalingConfig min/desired size 0 (max 2)",
    policy: "gpu-scheduling",
    apply: (doc) => onEveryEksGpuGroupOfAVllmServer(doc, (o) => (o.scalingConfig = { minSize: 0, desiredSize: 0, maxSize: 2 })),
  },
  {
    // A k3s GPU template runs VMs only through its instance group managers: at targetSize 0, with no Autoscaler, none.
    name: "every instance group manager of a GCE GPU instance template (its startup script readable) of a vLLM Deployment's k3s cluster at targetSize 0, with no Autoscaler",
    policy: "gpu-scheduling",
    apply: (doc) => {
      const templates = resources(doc).filter((t) => t.type === "gcp:compute/instanceTemplate:InstanceTemplate" && ((t.inputs as any)?.guestAccelerators ?? []).length > 0);
      const links = (r: ExportedResource) => templates.filter((t) => t.urn.split("::").pop()!.startsWith(`${clusterOf(r)}-`)).map((t) => (t.outputs as any)?.selfLinkUnique);
      const managersOf = (r: ExportedResource) =>
        resources(doc).filter((m) => m.type === "gcp:compute/instanceGroupManager:InstanceGroupManager" && ((m.inputs as any)?.versions ?? []).some((v: any) => links(r).includes(v?.instanceTemplate)));
      const server = resources(doc).find((r) => vllmServer(r) && managersOf(r).length > 0);
      if (!server) return undefined;
      // The template's own script is ciphertext to a review without the passphrase (not judged): a readable one registering what the servers select.
      const boot = "#!/bin/bash\ncurl -sfL https://get.k3s.io | sh -s - agent --node-label nvidia.com/gpu.product=NVIDIA-A100-SXM4-80GB --node-taint nvidia.com/gpu=present:NoSchedule\n";
      for (const t of templates.filter((t) => links(server).includes((t.outputs as any)?.selfLinkUnique))) edit(t, (o) => (o.metadataStartupScript = boot));
      for (const manager of managersOf(server)) edit(manager, (o) => (o.targetSize = 0));
      return server.urn;
    },
  },
];
