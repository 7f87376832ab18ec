/**
 * Whether a GPU workload's pods fit some GPU node group of their cluster, as the stack renders the
 * groups: a pod whose nodeSelector or required node affinity no GPU group's labels satisfy, whose
 * other taints it does not tolerate, or that limits more GPUs than any group's nodes hold, stays
 * Pending forever (no autoscaler adds a node it fits). Groups are the cluster's EKS node groups and
 * GCE VMs (./node-settings reads their labels and NoSchedule/NoExecute taints; on EKS the instance
 * type is the group's, on k3s VMs that k3s's own cloud controller initializes the instance type, zone
 * and region are what it sets: ./node-settings clusterNodeSettings); the GPU taint itself is left to gpu-scheduling's per-pod verdict.
 * A group the pods fit but that runs no node (./gpu-group-sizes groupSize) takes none of them either.
 */
import type { PolicyResource, ReportViolation } from "@pulumi/policy";
import { isWorkload, kindName, meta } from "./k8s";
import { EKS_NODE_GROUP_TYPES, gceGpuEvidence, gpuEvidence, isNonNvidiaInstanceType } from "./gpu-nodes";
import { clusterNodes, schedulable, undecidedSelection } from "./ambient-nodes";
import { clusterNodeSettings, eksInstanceShapes, isNodePool, type Taint } from "./node-settings";
import { isLeaderWorkerSet, podGpus, podTemplatesOf } from "./leader-worker-sets";
import { toleratesTaint, type Toleration } from "./tolerations";
import { andTri, list, orUnknown, probe, type Tri } from "./values";
import { groupSize, type GroupSize } from "./gpu-group-sizes";

/**
 * NVIDIA GPUs per EC2 instance type (kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws
 * ec2_instance_types.go, its GPU field; p5e.48xlarge from AWS's P5 page, as components/gpu/catalog.ts
 * has it). A type of a family without NVIDIA GPUs holds none ({@link ec2Gpus}); another type not
 * listed has a count unknown to us, and a verdict it decides is can't judge.
 */
const sizes = (family: string, counts: Record<string, number>) => Object.entries(counts).map(([size, n]) => [`${family}.${size}`, n] as const);
const G_SIZES = { xlarge: 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "16xlarge": 1, "12xlarge": 4, "24xlarge": 4, "48xlarge": 8 };
export const EC2_GPUS: ReadonlyMap<string, number> = new Map([
  ...sizes("p3", { "2xlarge": 1, "8xlarge": 4, "16xlarge": 8 }),
  ["p3dn.24xlarge", 8],
  ["p4d.24xlarge", 8],
  ["p4de.24xlarge", 8],
  ...sizes("p5", { "4xlarge": 1, "48xlarge": 8 }),
  ["p5e.48xlarge", 8],
  ["p5en.48xlarge", 8],
  ["p6-b200.48xlarge", 8],
  ...sizes("g4dn", { xlarge: 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "16xlarge": 1, "12xlarge": 4, metal: 8 }),
  ...sizes("g5", G_SIZES),
  ...sizes("g6", G_SIZES),
  ...sizes("g6e", G_SIZES),
  ...sizes("g5g", { xlarge: 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "16xlarge": 2, metal: 2 }),
  ...sizes("g7e", { "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "12xlarge": 2, "24xlarge": 4, "48xlarge": 8 }),
  ...sizes("gr6", { "4xlarge": 1, "8xlarge": 1 }),
]);

/** The NVIDIA GPUs an EC2 type's nodes hold: EC2_GPUS's count, 0 for a family without NVIDIA GPUs (./gpu-nodes isNonNvidiaInstanceType), else undefined (unknown to us). */
const ec2Gpus = (type: string): number | undefined => EC2_GPUS.get(type) ?? (isNonNvidiaInstanceType(type) ? 0 : undefined);

/** One kind of node a group runs: its labels, GPUs per node (undefined: unknown to us) and how it is named. */
interface NodeShape {
  labels: Record<string, unknown>;
  gpus: number | undefined;
  shape: string;
}

/**
 * A GPU node group as the placement reads it; `unknown` says what is not known yet, `unread` marks a
 * GCE VM whose k3s boot script this run cannot read (ciphertext offline) or that does not install k3s,
 * which is not judged, as node-settings leaves it.
 */
type GpuPool = { what: string; shapes: NodeShape[]; taints: Taint[]; other: (key: string) => boolean; size: GroupSize } | { what: string; unknown: string } | { what: string; unread: true };

/** The GPU node groups of the cluster (those whose GPUs are known), each with its node shapes; `undecided` names those whose GPUs are not known yet. */
function gpuPools(cluster: { name: string; urn: string }, all: PolicyResource[]): { pools: GpuPool[]; undecided: string[] } {
  const pools: GpuPool[] = [];
  const undecided: string[] = [];
  const nodes = clusterNodes(cluster, all, isNodePool);
  // A k3s VM's instance type, zone and region as k3s's own cloud controller sets them, where it does.
  const settingsOf = clusterNodeSettings(nodes);
  for (const node of nodes) {
    const eks = EKS_NODE_GROUP_TYPES.has(node.type);
    const what = `${eks ? "EKS node group" : kindName(node.type)} ${node.name}`;
    const gpu = probe(() => (eks ? gpuEvidence(node.props) : gceGpuEvidence(node.props)));
    if (!gpu.known) {
      undecided.push(`whether ${what} has GPUs`);
      continue;
    }
    if (!gpu.value) continue;
    const settings = settingsOf(node);
    const shapes = probe((): NodeShape[] | undefined => {
      if (!settings.known || !settings.value) return undefined;
      const labels = settings.value.labels;
      if (eks) {
        // Each EC2 type's nodes carry it as node.kubernetes.io/instance-type (and its beta spelling).
        const types = eksInstanceShapes(node, labels);
        if (types.length === 0) return [{ labels, gpus: undefined, shape: "nodes of a type not known here (a launch template's, or no default EKS names for its AMI)" }];
        return types.map((t) => ({ labels: t.labels, gpus: ec2Gpus(t.type), shape: `${t.type} nodes` }));
      }
      const accelerators = list(node.props.guestAccelerators as { type?: unknown; count?: unknown }[]).filter((a) => /(^|\/)nvidia-/.test(String(a?.type)));
      const gpus = accelerators.length > 0 ? accelerators.reduce((n, a) => n + Number(a.count ?? 0), 0) : undefined;
      return [{ labels, gpus, shape: `${String(node.props.machineType).split("/").pop()} VMs${gpus === undefined ? " (no guestAccelerators)" : ""}` }];
    });
    if (!settings.known || !shapes.known) pools.push({ what, unknown: "its labels, taints or node types are not known yet" });
    else if (!settings.value || !shapes.value) pools.push({ what, unread: true });
    else pools.push({ what, shapes: shapes.value, taints: settings.value.taints, other: settings.value.other, size: groupSize(node, all) });
  }
  return { pools, undecided };
}

/** A pod template's node selection, tolerations and GPUs per pod. */
interface PodNeeds {
  nodeSelector: unknown;
  affinity: unknown;
  tolerations: Toleration[];
  gpus: number;
}

/** Whether a pod fits a node shape of the group, and why not when it does not. */
function fits(pod: PodNeeds, pool: Extract<GpuPool, { shapes: NodeShape[] }>, shape: NodeShape, gpuTaintKey: string): { fit: Tri; why?: string } {
  const untolerated = pool.taints.filter((taint) => taint.key !== gpuTaintKey && !pod.tolerations.some((t) => t && typeof t === "object" && toleratesTaint(t, taint)));
  if (untolerated.length > 0) return { fit: false, why: `its pods do not tolerate its taint ${untolerated.map((t) => `${t.key}${t.value ? `=${t.value}` : ""}:${t.effect}`).join(", ")}` };
  const selected = schedulable(shape.labels, pod.nodeSelector, pod.affinity, pool.other);
  if (selected === false) return { fit: false, why: `its nodeSelector or required node affinity excludes its labels ${JSON.stringify(shape.labels)}` };
  const room: Tri = shape.gpus === undefined ? "unknown" : shape.gpus >= pod.gpus;
  if (room === false) return { fit: false, why: `its ${shape.shape} hold ${shape.gpus} GPU${shape.gpus === 1 ? "" : "s"} each` };
  const fit = andTri(selected, room);
  return { fit, why: fit === "unknown" ? (selected === "unknown" ? `its nodeSelector or required node affinity ${undecidedSelection([shape.labels], [pod], pool.other)}` : `how many GPUs its ${shape.shape} hold`) : undefined };
}

/**
 * Reports each GPU workload (a LeaderWorkerSet's leader and worker templates too) of the cluster
 * whose pods no GPU node group of the cluster can take. Only clusters whose GPU node groups the
 * stack creates are judged; a verdict that a group not read in this run, or a node type whose GPU
 * count we do not know, could change goes to `pending`.
 */
export function reportGpuPlacement(cluster: { name: string; urn: string }, all: PolicyResource[], resources: PolicyResource[], config: { gpuResource: string; gpuTaintKey: string }, report: ReportViolation, pending: string[]): void {
  const workloads = resources.filter((r) => isWorkload(r.type) || isLeaderWorkerSet(r.type));
  if (workloads.length === 0) return;
  const { pools, undecided } = gpuPools(cluster, all);
  if (pools.length === 0) return;
  for (const r of workloads) {
    const what = `${kindName(r.type)} ${orUnknown(() => `${meta(r.props).namespace}/${meta(r.props).name}`, r.name)}`;
    for (const template of podTemplatesOf(r.type, r.props)) {
      const where = template.path ? ` ${template.path.split(".").pop()}` : "";
      const pod = probe((): PodNeeds => {
        const spec = template.spec() ?? {};
        return JSON.parse(JSON.stringify({ nodeSelector: spec.nodeSelector, affinity: spec.affinity, tolerations: list(spec.tolerations as Toleration[]), gpus: podGpus(spec, config.gpuResource) }));
      });
      if (!pod.known) {
        pending.push(`the GPUs, node selection or tolerations of ${what}${where} on cluster ${cluster.name}`);
        continue;
      }
      if (!(pod.value.gpus > 0)) continue;
      const verdicts = pools.flatMap((pool) => ("shapes" in pool ? pool.shapes.map((shape) => ({ what: pool.what, size: pool.size, ...fits(pod.value, pool, shape, config.gpuTaintKey) })) : "unknown" in pool ? [{ what: pool.what, size: { empty: false } as GroupSize, fit: "unknown" as Tri, why: pool.unknown }] : []));
      // A group this run cannot read may take them: not judged.
      if (pools.some((pool) => "unread" in pool)) continue;
      // A group that fits them and may run a node takes them; one that runs none (no autoscaler adds any) does not.
      const fitting = verdicts.filter((v) => v.fit === true);
      if (fitting.some((v) => v.size.empty === false)) continue;
      const open = [...verdicts.filter((v) => v.fit === "unknown").map((v) => `${v.what}: ${v.why}`), ...fitting.flatMap((v) => (v.size.empty === "unknown" ? [`${v.what}: ${v.size.why}`] : []))];
      if (open.length > 0 || undecided.length > 0) {
        pending.push(`whether a GPU node group of cluster ${cluster.name} takes the pods of ${what}${where} (${[...new Set(open), ...undecided].join("; ")})`);
        continue;
      }
      if (fitting.length > 0) {
        const empty = [...new Set(fitting.map((v) => `${v.what}: ${v.size.empty === true ? v.size.why : ""}`))];
        report(
          `${what}${where} on cluster ${cluster.name} limits ${pod.value.gpus} ${config.gpuResource} per pod, but every GPU node group of the cluster that can take its pods runs no node (${empty.join("; ")}) and no cluster autoscaler of the stack adds one, so ${r.type === "kubernetes:apps/v1:DaemonSet" ? "none runs on a GPU node" : "they stay Pending"}; give a group that fits nodes (scalingConfig desiredSize, a GCE instance group manager's targetSize)`,
          r.urn,
        );
        continue;
      }
      report(
        `${what}${where} on cluster ${cluster.name} limits ${pod.value.gpus} ${config.gpuResource} per pod, but no GPU node group of the cluster can take its pods (${verdicts.map((v) => `${v.what}: ${v.why}`).join("; ")}), so ${r.type === "kubernetes:apps/v1:DaemonSet" ? "none runs on a GPU node" : "they stay Pending"}; select labels a GPU node group carries (nvidia.com/gpu.product, inference-mesh.io/node-group) and at most the GPUs its nodes hold, or add a node group that fits`,
        r.urn,
      );
    }
  }
}
