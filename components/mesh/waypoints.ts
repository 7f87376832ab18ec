/**
 * Waypoints: the L7 proxies of ambient. Agents and tools need L7 authorization (methods, paths,
 * MCP/A2A routes), which only a waypoint enforces; the inference namespace needs L4 only, so it
 * has none. Multicluster ambient assumes "universal" waypoints: the same name, class and labels in
 * every cluster, and a global waypoint Service, or cross-cluster traffic silently skips L7 policy
 * (istio/istio#60985, #58064, #57779). So the set below does not depend on the cluster.
 */
import { Manifest, appLabels } from "../k8s/apply";

/** The waypoint's name in every namespace and cluster (what `istioctl waypoint apply` uses). */
export const waypointName = "waypoint";

/** Namespaces that get a waypoint and are enrolled to it (`istio.io/use-waypoint`). */
export const waypointNamespaces = ["agents", "tools"] as const;

/** Label that makes a Service reachable from other clusters (ambient profile's serviceScopeConfigs). */
export const globalServiceLabel = { "istio.io/global": "true" } as const;

export function hasWaypoint(namespace: string): boolean {
  return (waypointNamespaces as readonly string[]).includes(namespace);
}

/**
 * The waypoint Gateway of one namespace. `istio.io/global` goes on the Gateway and into
 * `spec.infrastructure.labels`: istiod copies infrastructure labels onto the Service it deploys
 * for the waypoint, which is the object the global scope selects.
 */
export function waypointManifest(namespace: string, istioVersion: string): Manifest {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: {
      name: waypointName,
      namespace,
      labels: {
        ...appLabels({ name: waypointName, instance: `${namespace}-${waypointName}`, version: istioVersion, component: "waypoint" }),
        "istio.io/waypoint-for": "service",
        ...globalServiceLabel,
      },
    },
    spec: {
      gatewayClassName: "istio-waypoint",
      infrastructure: { labels: { ...globalServiceLabel } },
      listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }],
    },
  };
}
