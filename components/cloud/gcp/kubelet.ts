/**
 * kubelet flags of the k3s nodes, as `kubelet-arg` entries of /etc/rancher/k3s/config.yaml. Pure.
 *
 * k3s writes its kubelet defaults into a drop-in (`agent/etc/kubelet.conf.d/00-k3s-defaults.conf`,
 * pkg/daemons/agent defaultKubeletConfig, since v1.32) with `evictionHard` holding disk thresholds
 * only, imagefs.available and nodefs.available at 5%, and no maxPods (the kubelet's 110): since
 * the map is set, the kubelet's default `memory.available<100Mi` never applies, and with no
 * kube-reserved or system-reserved the kubelet advertises all of MemTotal and every vCPU as
 * allocatable. Nothing then keeps pods out of the room components/gpu/host.ts's pod budget leaves
 * for the kubelet, containerd and the OS, and no memory pressure is ever reported or acted on.
 *
 * Flags win over the config drop-ins, and a map flag given on the command line replaces the file's
 * map (its first value clears it: component-base's MapStringString and the kubelet's
 * LangleSeparatedMapStringString), so `eviction-hard` restates k3s's disk thresholds. Each entry
 * carries one key: k3s passes repeated `kubelet-arg` keys through as repeated flags (pkg/util
 * GetArgs), which the kubelet adds to one map, and no entry holds a comma for a CLI layer to split.
 */
import { GpuCapacity } from "../../gpu/catalog";
import { nodefsEvictionFraction } from "../../gpu/fit";
import { evictionHardMemoryMiB, kubeReserved } from "../../gpu/host";

/** k3s's own hard eviction thresholds (both 5%, the share fit.ts keeps free of a k3s disk), plus the kubelet's memory one. */
export function k3sEvictionHard(): Record<string, string> {
  const disk = `${Math.round(nodefsEvictionFraction.gcp * 100)}%`;
  return { "imagefs.available": disk, "nodefs.available": disk, "memory.available": `${evictionHardMemoryMiB}Mi` };
}

/**
 * The `kubelet-arg` entries of a k3s node: on every node (server, CPU and GPU agents) the hard
 * eviction thresholds; on a GPU agent also the kube-reserved its pod budget was computed with, so
 * that its allocatable is that budget plus the node agents' allowance (more where MemTotal is above
 * host.ts's estimate): the vLLM replicas' requests, their GPU shares of the budget, always fit,
 * and nothing else takes the rest. The server and CPU agents have no host model to size a
 * reservation from, and keep k3s's full allocatable.
 */
export function k3sKubeletArgs(gpu?: GpuCapacity): string[] {
  const eviction = Object.entries(k3sEvictionHard()).map(([signal, threshold]) => `eviction-hard=${signal}<${threshold}`);
  if (!gpu) return eviction;
  const reserved = kubeReserved(gpu);
  return [...eviction, `kube-reserved=cpu=${reserved.cpuMilli}m`, `kube-reserved=memory=${reserved.memoryMiB}Mi`];
}
