/**
 * Who may reach which pods through NetworkPolicies, for topology.md: each policy's ingress rules
 * resolved to rendered workloads and Gateways' proxies (components/k8s/network-policies.ts reads
 * them as the API server does).
 */
import { networkPolicyIngress, PodGroup } from "../../components/k8s/network-policies";
import type { KubernetesObject } from "./outputs";

/** One NetworkPolicy's ingress on one cluster: which pods it guards, and who reaches which ports. */
export interface NetworkAccess {
  cluster: string;
  /** `namespace/name` of the NetworkPolicy. */
  policy: string;
  /** Workloads and Gateways' proxies it selects. */
  pods: string[];
  rules: { ports: string; from: string[] }[];
}

/** The ingress rules of every NetworkPolicy on one cluster, resolved to rendered workloads and Gateways. */
export function networkAccess(cluster: string, objects: KubernetesObject[]): NetworkAccess[] {
  const name = (pod: PodGroup) => (pod.kind === "gateway" ? `Gateway ${pod.namespace}/${pod.name}` : `${pod.namespace}/${pod.name}`);
  return networkPolicyIngress(objects).map((np) => ({
    cluster,
    policy: `${np.namespace}/${np.name}`,
    pods: np.pods.map(name),
    rules: np.rules.map((rule) => ({
      ports: rule.ports.map((p) => `${p.port ?? "any"}${p.endPort ? `-${p.endPort}` : ""}`).join(", ") || "every port",
      from: rule.peers.flatMap((peer) => {
        if (peer.kind === "anywhere") return ["anywhere"];
        if (peer.kind === "ipBlock") return [`ipBlock ${peer.cidr}${peer.except.length ? ` except ${peer.except.join(", ")}` : ""}`];
        return peer.pods.length ? peer.pods.map(name) : [`no rendered pod (${JSON.stringify(peer.peer)})`];
      }),
    })),
  }));
}
