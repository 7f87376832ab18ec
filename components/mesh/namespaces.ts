/**
 * The platform's namespaces on one cluster. Pure: the mesh labels (network, ambient enrolment)
 * are part of what a namespace is, so they are computed here from the spec.
 */
import { ClusterSpec } from "../../infra/schema";
import { Manifest } from "../k8s/apply";

export const namespaces = {
  istio: "istio-system",
  inference: "inference",
  agents: "agents",
  tools: "tools",
} as const;

/** Namespaces whose workloads join the ambient mesh. */
export const appNamespaces = [namespaces.inference, namespaces.agents, namespaces.tools] as const;

export function namespaceManifests(cluster: ClusterSpec): Manifest[] {
  const base = { "app.kubernetes.io/part-of": "inference-mesh", "app.kubernetes.io/managed-by": "pulumi" };
  return [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: namespaces.istio, labels: { ...base, "topology.istio.io/network": cluster.network } },
    },
    ...appNamespaces.map((name) => ({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name, labels: { ...base, "istio.io/dataplane-mode": "ambient" } },
    })),
  ];
}
