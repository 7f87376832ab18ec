/**
 * Host CPU and memory of GPU nodes: what the kubelet leaves pods on a node of a catalogued type,
 * and the share of it a model-server replica requests. Pure; shared by the model-server fleet
 * (the numbers become the vLLM container's requests and limits) and its tests.
 *
 * The rule: a replica taking g of a node's G GPUs requests g/G of the node's pod budget in CPU
 * and memory. GPU nodes are tainted for GPU work only, so vLLM replicas are the only pods that
 * share that budget, and the capacity check already packs replicas by GPUs (components/gpu/fit.ts,
 * infra/validate.ts): any placement with at most G GPUs per node asks for at most the whole
 * budget, so these requests never make a placement the check accepts unschedulable. A replica
 * whose GPU products exist on nodes of several types takes the smallest of their shares, which is
 * at most its share on whichever node it lands.
 */
import { GpuCapacity } from "./catalog";

/**
 * Share of an instance's memory the kernel, firmware and device reservations keep from the
 * kubelet's view: node capacity is MemTotal, below the type's nominal memory. Karpenter's
 * `vmMemoryOverheadPercent` default (0.075), calibrated on EC2 nodes; applied to GCE too.
 */
export const vmMemoryOverheadFraction = 0.075;

/**
 * The kubelet's default hard eviction threshold `memory.available<100Mi`: EKS AL2023 nodeadm sets
 * it, and the k3s nodes are given it back (k3s's kubelet config keeps disk thresholds only).
 */
export const evictionHardMemoryMiB = 100;

/**
 * The pods a kubelet runs by default (KubeletConfiguration maxPods, which k3s leaves unset). EKS
 * AL2023 nodes reserve kube-reserved memory for their ENI max pods, often more.
 */
export const defaultMaxPods = 110;

/**
 * The DaemonSets EKS itself runs on every node of a cluster made as components/cloud/aws/eks.ts
 * makes it. @pulumi/eks 4.3.0 (nodejs/eks/cluster/cluster.ts) creates it with
 * bootstrapSelfManagedAddons (EKS then installs vpc-cni, CoreDNS and kube-proxy), adopts kube-proxy
 * and vpc-cni as EKS add-ons at their latest version for the Kubernetes minor, and, with
 * skipDefaultNodeGroup, leaves CoreDNS self-managed; it installs no eks-pod-identity-agent (nor EBS
 * CSI). Both DaemonSets tolerate every taint (`operator: Exists`), so they run on GPU nodes as well.
 */
export const eksNodeAgents = [
  /**
   * aws-node: its aws-node and aws-eks-nodeagent containers request 25m CPU each and no memory, its
   * aws-vpc-cni-init init container 25m (less than the sum, so it adds nothing): amazon-vpc-cni-k8s
   * config/master/aws-k8s-cni.yaml and charts/aws-vpc-cni/values.yaml, the same from v1.19.6 to
   * v1.23.1 (the EKS user guide has listed v1.20.1-eksbuild.3 as the latest for 1.33). The node
   * agent container runs whether or not network policy is on (ours is: enableNetworkPolicy).
   */
  { what: "kube-system/aws-node", cpuMilli: 25 + 25, memoryMiB: 0 },
  /**
   * kube-proxy: an estimate, as AWS publishes no manifest of its kube-proxy add-on for 1.33. Every
   * one it has published (aws/containers-roadmap preview-programs kube-proxy-arm-1.14/1.15.yaml)
   * and exported v1.28 eksbuild DaemonSets request 100m CPU and no memory (no memory request is
   * aws/containers-roadmap#1509, open).
   */
  { what: "kube-system/kube-proxy", cpuMilli: 100, memoryMiB: 0 },
] as const;

/**
 * CPU and memory kept for the DaemonSets that run on every GPU node: ztunnel (200m, 512Mi) and
 * istio-cni (100m, 100Mi) as the Istio 1.30.3 charts request them, the NVIDIA device plugin
 * (no requests in its 0.20.0 chart), and on EKS {@link eksNodeAgents} (150m, no memory): at least
 * twice their sum (CPU about 2×, memory over 3×), so an added node agent does not push a replica
 * off its node.
 */
export const nodeAgentsReserve = { cpuMilli: 1000, memoryMiB: 2048 } as const;

/**
 * kube-reserved CPU as EKS AL2023 nodeadm computes it (amazon-eks-ami
 * nodeadm/internal/kubelet/config.go getCPUMillicoresToReserve): 6% of the first core, 1% of the
 * second, 0.5% of the third and fourth, 0.25% of the rest.
 */
export function kubeReservedCpuMilli(vcpus: number): number {
  const total = vcpus * 1000;
  const tiers: [number, number, number][] = [[0, 1000, 600], [1000, 2000, 100], [2000, 4000, 50], [4000, total, 25]];
  return tiers.reduce((sum, [from, to, basisPoints]) => sum + Math.floor((Math.max(0, Math.min(total, to) - from) * basisPoints) / 10000), 0);
}

/** kube-reserved memory as nodeadm computes it (getMemoryMebibytesToReserve): 11 MiB a pod + 255 MiB. */
export function kubeReservedMemoryMiB(maxPods: number): number {
  return 11 * maxPods + 255;
}

export interface HostResources {
  cpuMilli: number;
  memoryMiB: number;
}

/** The node's memory capacity as the kubelet will see it (MemTotal): the nominal memory less the VM overhead. */
export function memTotalEstimateMiB(capacity: Pick<GpuCapacity, "memoryGiB">): number {
  // Per mille in integers, so that 196608 MiB × 0.925 is 181862.4, not 181862.40000000002.
  return Math.floor((capacity.memoryGiB * 1024 * (1000 - Math.round(vmMemoryOverheadFraction * 1000))) / 1000);
}

/**
 * What the kubelet keeps from pods on a node of the type (kube-reserved): nodeadm's formulas, for
 * the larger of the type's ENI max pods and the kubelet's default 110 (the larger count also holds
 * for an existing cluster whose kubelet settings are unknown). EKS AL2023 nodes reserve this
 * themselves; k3s reserves nothing, so its GPU agents are given it by `kubelet-arg`
 * (components/cloud/gcp/kubelet.ts): one function, so the budget and the flag cannot drift.
 */
export function kubeReserved(capacity: GpuCapacity): HostResources {
  const maxPods = Math.max(defaultMaxPods, capacity.eniMaxPods ?? 0);
  return { cpuMilli: kubeReservedCpuMilli(capacity.vcpus), memoryMiB: kubeReservedMemoryMiB(maxPods) };
}

/**
 * CPU and memory pods may request on one node of the type, less the node agents: MemTotal less
 * kube-reserved and the 100Mi hard eviction threshold, which is what the kubelet leaves allocatable
 * on EKS AL2023 nodes and on the k3s GPU agents, so Guaranteed pods filling it still leave room for
 * the kubelet, containerd and the OS, and the kubelet evicts before the kernel's OOM killer acts.
 */
export function podBudget(capacity: GpuCapacity): HostResources {
  const reserved = kubeReserved(capacity);
  const memTotalMiB = memTotalEstimateMiB(capacity);
  return {
    cpuMilli: capacity.vcpus * 1000 - reserved.cpuMilli - nodeAgentsReserve.cpuMilli,
    memoryMiB: memTotalMiB - reserved.memoryMiB - evictionHardMemoryMiB - nodeAgentsReserve.memoryMiB,
  };
}

/** A replica's share of one node type's budget: the fraction of the node's GPUs it takes. */
export function replicaShare(capacity: GpuCapacity, gpus: number): HostResources {
  const budget = podBudget(capacity);
  return {
    cpuMilli: Math.floor((budget.cpuMilli * gpus) / capacity.gpusPerNode),
    memoryMiB: Math.floor((budget.memoryMiB * gpus) / capacity.gpusPerNode),
  };
}

/**
 * What a replica of `gpus` GPUs requests when it may land on nodes of any of these types: the
 * smallest share among them, or undefined when there is none (no catalogued GPU node).
 */
export function replicaHostResources(capacities: GpuCapacity[], gpus: number): HostResources | undefined {
  const shares = capacities.map((c) => replicaShare(c, gpus));
  if (shares.length === 0) return undefined;
  return {
    cpuMilli: Math.min(...shares.map((s) => s.cpuMilli)),
    memoryMiB: Math.min(...shares.map((s) => s.memoryMiB)),
  };
}
