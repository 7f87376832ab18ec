/**
 * What the kubelet of a non-GPU node leaves pods (its allocatable), and the part of it the
 * platform's pods may request once the node agents have theirs. Pure; the CPU capacity check
 * (infra/validate-cpu-capacity.ts) sums it over a cluster's non-GPU nodes.
 */
import { MachineSize } from "./machine-sizes";
import { defaultMaxPods, evictionHardMemoryMiB, HostResources, kubeReservedCpuMilli, kubeReservedMemoryMiB, memTotalEstimateMiB } from "../gpu/host";

/**
 * Allocatable of a node: capacity (every vCPU; MemTotal, the nominal memory less the VM overhead)
 * less kube-reserved and the 100Mi hard eviction threshold. EKS AL2023 nodes reserve what nodeadm
 * computes (kube-reserved memory for the ENI max pods of the type, 110 where nodeadm has no
 * instance info); the k3s server and CPU agents are given the eviction threshold only
 * (components/cloud/gcp/kubelet.ts), so the rest of their MemTotal and every vCPU is allocatable.
 */
export function nodeAllocatable(kind: "eks" | "k3s", size: MachineSize): HostResources {
  const memTotalMiB = memTotalEstimateMiB(size);
  if (kind === "k3s") return { cpuMilli: size.vcpus * 1000, memoryMiB: memTotalMiB - evictionHardMemoryMiB };
  return {
    cpuMilli: size.vcpus * 1000 - kubeReservedCpuMilli(size.vcpus),
    memoryMiB: memTotalMiB - kubeReservedMemoryMiB(size.eniMaxPods ?? defaultMaxPods) - evictionHardMemoryMiB,
  };
}

/**
 * What the DaemonSet pods on every node request: ztunnel (200m / 512Mi) and istio-cni (100m /
 * 100Mi) as the Istio 1.30.3 charts set them and, on EKS, aws-node (25m, amazon-vpc-cni-k8s chart),
 * kube-proxy and the like (170–195m and 250Mi measured across EKS clusters by 2i2c, the figures
 * GPU nodes' allowance in components/gpu/host.ts doubles). k3s's ServiceLB pods request nothing.
 */
export function nodeAgentRequests(kind: "eks" | "k3s"): HostResources {
  const istio = { cpuMilli: 200 + 100, memoryMiB: 512 + 100 };
  return kind === "eks" ? { cpuMilli: istio.cpuMilli + 195, memoryMiB: istio.memoryMiB + 250 } : istio;
}

/** What the platform's Deployments may request on one node: its allocatable less the node agents'. */
export function platformPodBudget(kind: "eks" | "k3s", size: MachineSize): HostResources {
  const allocatable = nodeAllocatable(kind, size);
  const agents = nodeAgentRequests(kind);
  return { cpuMilli: allocatable.cpuMilli - agents.cpuMilli, memoryMiB: allocatable.memoryMiB - agents.memoryMiB };
}

/**
 * The cluster's own add-on pods that share those nodes: CoreDNS, 100m / 70Mi a pod (its upstream
 * manifest, as k3s ships it), two replicas on EKS (the EKS user guide) and one on k3s
 * (manifests/coredns.yaml leaves replicas unset).
 */
export function clusterAddOnPods(kind: "eks" | "k3s"): { what: string; replicas: number; cpuMilli: number; memoryMiB: number }[] {
  return [{ what: "kube-system/coredns", replicas: kind === "eks" ? 2 : 1, cpuMilli: 100, memoryMiB: 70 }];
}
