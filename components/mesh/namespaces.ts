/**
 * The platform's namespaces on one cluster. Pure: the mesh labels (network, ambient enrolment,
 * waypoint enrolment) are part of what a namespace is, so they are computed here from the spec.
 */
import { ClusterSpec } from "../../infra/schema";
import { Manifest } from "../k8s/apply";
import { hasWaypoint, waypointName } from "./waypoints";

export const namespaces = {
  istio: "istio-system",
  inference: "inference",
  agents: "agents",
  tools: "tools",
} as const;

/** Namespaces whose workloads join the ambient mesh. */
export const appNamespaces = [namespaces.inference, namespaces.agents, namespaces.tools] as const;

/** Labels of an app namespace: ambient (never sidecar injection), and its waypoint when it has one. */
export function appNamespaceLabels(name: string): Record<string, string> {
  return {
    "istio.io/dataplane-mode": "ambient",
    ...(hasWaypoint(name) ? { "istio.io/use-waypoint": waypointName } : {}),
  };
}

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
      metadata: { name, labels: { ...base, ...appNamespaceLabels(name) } },
    })),
  ];
}
