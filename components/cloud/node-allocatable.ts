/**
 * What the kubelet of a non-GPU node leaves pods (its allocatable), and the part of it the
 * platform's pods may request once the node agents have theirs. Pure; the CPU capacity check
 * (infra/validate-cpu-capacity.ts) sums it over a cluster's non-GPU nodes.
 */
import { MachineSize } from "./machine-sizes";
import { defaultMaxPods, eksNodeAgents, evictionHardMemoryMiB, HostResources, kubeReservedCpuMilli, kubeReservedMemoryMiB, memTotalEstimateMiB } from "../gpu/host";

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
 * 100Mi) as the Istio 1.30.3 charts set them and, on EKS, aws-node and kube-proxy
 * ({@link eksNodeAgents}: 150m, no memory). On k3s, ServiceLB runs an svclb pod per LoadBalancer
 * Service on every node without the GPU taint (it tolerates the control-plane taint and
 * CriticalAddonsOnly only); its containers set no requests (newDaemonSet in k3s v1.33.5+k3s1's
 * pkg/cloudprovider/servicelb.go), so however many Services there are they count 0.
 */
export function nodeAgentRequests(kind: "eks" | "k3s"): HostResources {
  const istio = { cpuMilli: 200 + 100, memoryMiB: 512 + 100 };
  if (kind === "k3s") return istio;
  return eksNodeAgents.reduce((n, a) => ({ cpuMilli: n.cpuMilli + a.cpuMilli, memoryMiB: n.memoryMiB + a.memoryMiB }), istio);
}

/** What the platform's Deployments may request on one node: its allocatable less the node agents'. */
export function platformPodBudget(kind: "eks" | "k3s", size: MachineSize): HostResources {
  const allocatable = nodeAllocatable(kind, size);
  const agents = nodeAgentRequests(kind);
  return { cpuMilli: allocatable.cpuMilli - agents.cpuMilli, memoryMiB: allocatable.memoryMiB - agents.memoryMiB };
}

/** One Deployment of the cluster's own add-ons: what each pod requests, and how many run. */
export interface AddOnPods {
  what: string;
  replicas: number;
  cpuMilli: number;
  memoryMiB: number;
}

/**
 * CoreDNS, 100m / 70Mi a pod: its upstream manifest, as k3s ships it (v1.33.5+k3s1's
 * manifests/coredns.yaml, which leaves replicas unset: one) and as EKS runs it: two replicas (the
 * EKS user guide, "Manage CoreDNS"), self-managed as cluster creation installs it (@pulumi/eks
 * creates no coredns add-on without a default node group), requesting the same and tolerating
 * CriticalAddonsOnly and the control-plane taint only (AWS's published EKS CoreDNS manifests, e.g.
 * aws/containers-roadmap preview-programs dns-arm-1.15.yaml; v1.10 eksbuild exports match).
 */
const coreDns = { what: "kube-system/coredns", cpuMilli: 100, memoryMiB: 70 };

/**
 * The packaged components a k3s server deploys besides CoreDNS, unless `--disable`d (ours disable
 * traefik only: components/cloud/gcp/startup.ts), as v1.33.5+k3s1's manifests/ declare them: one
 * replica each, none tolerating the GPU taint. metrics-server requests 100m / 70Mi
 * (manifests/metrics-server/metrics-server-deployment.yaml); local-path-provisioner sets no
 * requests (manifests/local-storage.yaml), so it counts 0. The rest of manifests/ (ccm.yaml,
 * rolebindings.yaml, runtimes.yaml) holds RBAC and RuntimeClasses, no pods.
 */
const k3sMetricsServer = { what: "kube-system/metrics-server", cpuMilli: 100, memoryMiB: 70 };
const k3sLocalPathProvisioner = { what: "kube-system/local-path-provisioner", cpuMilli: 0, memoryMiB: 0 };

/** The cluster's own add-on pods that share the non-GPU nodes with the platform's. */
export function clusterAddOnPods(kind: "eks" | "k3s"): AddOnPods[] {
  if (kind === "eks") return [{ ...coreDns, replicas: 2 }];
  return [coreDns, k3sMetricsServer, k3sLocalPathProvisioner].map((p) => ({ ...p, replicas: 1 }));
}
