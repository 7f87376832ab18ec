/**
 * What Kubernetes NetworkPolicies admit, resolved against rendered objects: which pods a policy
 * guards and, per ingress rule, which ports and from which pods or addresses. Pods are the
 * workloads' pod templates and the pods a gateway controller creates for each Gateway (known by
 * the labels it gives them, ../inference/gateway-access.ts). Pure, and shared by the call graph
 * (tests) and topology.md, which only name the pods differently.
 */
import { LabelSelector, labelSelectorMatches } from "./selectors";
import { gatewayPodLabel, gatewayPodLabels } from "../inference/gateway-access";

interface RenderedObject {
  apiVersion?: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  [field: string]: unknown;
}

/** A set of pods one selector can pick: a workload's replicas, or a Gateway's proxies. */
export type PodGroup =
  | { kind: "workload"; namespace: string; name: string; workloadKind: string; serviceAccount: string }
  | { kind: "gateway"; namespace: string; name: string; gatewayClassName?: string };

export type NetworkPeer =
  /** A rule without peers: every source, outside the cluster included. */
  | { kind: "anywhere" }
  | { kind: "ipBlock"; cidr: string; except: string[] }
  /** A pod/namespace selector peer and the rendered pods it picks (none is possible). */
  | { kind: "pods"; peer: Record<string, unknown>; pods: PodGroup[] };

export interface NetworkPolicyIngress {
  namespace: string;
  name: string;
  /** The pods the policy guards. */
  pods: PodGroup[];
  /** Ingress rules: `ports` empty means every port. */
  rules: { ports: { port?: number | string; endPort?: number; protocol?: string }[]; peers: NetworkPeer[] }[];
}

/** Kinds whose pod template makes pods (a bare Pod and CronJob are left out: nothing here renders them). */
export const WORKLOAD_KINDS: ReadonlySet<string> = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"]);

export interface ResolveOptions {
  /**
   * Count a Gateway named by a selector's `gateway-name` label as existing even when it is not
   * among the objects (the call graph resolves one layer's objects, and the inference gateway
   * its agents reach belongs to another).
   */
  gatewaysNamedBySelectors?: boolean;
}

/** Every ingress NetworkPolicy among `objects` (one cluster's), resolved to the pods it concerns. */
export function networkPolicyIngress(objects: RenderedObject[], options: ResolveOptions = {}): NetworkPolicyIngress[] {
  const spec = (o: RenderedObject) => (o.spec ?? {}) as Record<string, any>;
  const namespaceOf = (o: RenderedObject) => o.metadata.namespace ?? "default";
  const workloads = objects.filter((o) => WORKLOAD_KINDS.has(o.kind));
  const gateways = objects.filter((o) => o.kind === "Gateway" && (o.apiVersion ?? "").startsWith("gateway.networking.k8s.io/"));
  const namespaces = [...new Set(objects.map((o) => (o.kind === "Namespace" ? o.metadata.name : o.metadata.namespace)).filter((n): n is string => !!n))];
  const namespaceLabels = (ns: string): Record<string, string> => ({
    ...objects.find((o) => o.kind === "Namespace" && o.metadata.name === ns)?.metadata.labels,
    "kubernetes.io/metadata.name": ns,
  });

  const podsIn = (ns: string, selector: LabelSelector | undefined): PodGroup[] => {
    const picked: PodGroup[] = workloads
      .filter((w) => namespaceOf(w) === ns && labelSelectorMatches(selector, spec(w).template?.metadata?.labels))
      .map((w) => ({ kind: "workload", namespace: ns, name: w.metadata.name, workloadKind: w.kind, serviceAccount: spec(w).template?.spec?.serviceAccountName ?? "default" }));
    const here = gateways.filter((g) => namespaceOf(g) === ns);
    const candidates = here.map((g) => ({ name: g.metadata.name, labels: gatewayPodLabels(g as Parameters<typeof gatewayPodLabels>[0]), gatewayClassName: spec(g).gatewayClassName as string | undefined }));
    const named = selector?.matchLabels?.[gatewayPodLabel];
    if (options.gatewaysNamedBySelectors && named && !here.some((g) => g.metadata.name === named)) {
      // Not rendered here: assume Istio's default class, whose pods carry the labels it always sets.
      candidates.push({ name: named, labels: gatewayPodLabels({ metadata: { name: named }, spec: { gatewayClassName: "istio" } }), gatewayClassName: undefined });
    }
    for (const c of candidates) {
      if (labelSelectorMatches(selector, c.labels)) picked.push({ kind: "gateway", namespace: ns, name: c.name, gatewayClassName: c.gatewayClassName });
    }
    return picked;
  };

  return objects
    .filter((o) => o.kind === "NetworkPolicy" && (o.apiVersion ?? "networking.k8s.io/v1").startsWith("networking.k8s.io/"))
    .filter((np) => (spec(np).policyTypes ?? ["Ingress"]).includes("Ingress"))
    .map((np) => {
      const ns = namespaceOf(np);
      const rules = ((spec(np).ingress ?? []) as Record<string, any>[]).map((rule) => ({
        ports: (rule.ports ?? []) as NetworkPolicyIngress["rules"][number]["ports"],
        peers: !(rule.from ?? []).length
          ? [{ kind: "anywhere" } as NetworkPeer]
          : (rule.from as Record<string, any>[]).map((peer): NetworkPeer => {
              if (peer.ipBlock) return { kind: "ipBlock", cidr: String(peer.ipBlock.cidr), except: (peer.ipBlock.except ?? []) as string[] };
              const inNamespaces = peer.namespaceSelector ? namespaces.filter((n) => labelSelectorMatches(peer.namespaceSelector, namespaceLabels(n))) : [ns];
              return { kind: "pods", peer, pods: inNamespaces.flatMap((n) => podsIn(n, peer.podSelector)) };
            }),
      }));
      return { namespace: ns, name: np.metadata.name, pods: podsIn(ns, spec(np).podSelector), rules };
    });
}
