/**
 * Policy-review mutations of GPU workloads whose pods no GPU node group of their cluster takes (they
 * stay Pending forever): a node selection naming a label the groups' nodes do not carry, and more
 * GPUs per pod than the groups' nodes hold.
 */
import type { ExportedResource } from "../../scripts/lib/review-wire";
import { Mutation, resources, isKind, onFirst, setGpuCount } from "./mutations-support";

/** A vLLM Deployment (GPU clusters only: the local stack runs the simulator). */
const vllmServer = (r: ExportedResource) => isKind(r, "Deployment") && (r.inputs as any)?.spec?.template?.spec?.containers?.[0]?.name === "vllm";
/** The cluster a resource is applied on: its provider `<cluster>-k8s`. */
const clusterOf = (r: ExportedResource) => (r.provider ?? "").split("::")[3]?.replace(/-k8s$/, "");

export const gpuPlacementMutations: Mutation[] = [
  {
    // On EKS a node's node.kubernetes.io/instance-type is its EC2 type: no node of the cluster's groups (g6e, p5, g5) is a p4d.
    name: "a vLLM Deployment on an EKS cluster pinned by nodeSelector to instance type p4d.24xlarge, which none of its node groups runs",
    policy: "gpu-scheduling",
    apply: (doc) => {
      const groups = resources(doc).filter((r) => r.type === "aws:eks/nodeGroup:NodeGroup");
      const onEks = (r: ExportedResource) => groups.some((g) => g.urn.split("::").pop()!.startsWith(`${clusterOf(r)}-`) && !((g.inputs as any)?.instanceTypes ?? []).includes("p4d.24xlarge"));
      return onFirst(doc, (r) => vllmServer(r) && onEks(r), (o) => (o.spec.template.spec.nodeSelector = { "node.kubernetes.io/instance-type": "p4d.24xlarge" }));
    },
  },
  {
    // No GPU node of the stack holds 16 (p5.48xlarge: 8, g6e/g5.12xlarge and a2-ultragpu-4g: 4).
    name: "a vLLM Deployment limiting 16 GPUs per pod, more than any GPU node of its cluster holds",
    policy: "gpu-scheduling",
    apply: (doc) => onFirst(doc, vllmServer, (o) => setGpuCount(o, "16")),
  },
];
