/**
 * Waypoints: the L7 proxies of ambient. Agents and tools need L7 authorization (methods, paths,
 * MCP/A2A routes), which only a waypoint enforces; the inference namespace needs L4 only, so it
 * has none. Multicluster ambient assumes "universal" waypoints: the same name, class and labels in
 * every cluster (istio/istio#58064, #57779), so the set below does not depend on the cluster.
 *
 * The waypoints stay cluster-local (no `istio.io/global`), like every Service behind them: agents
 * use their own cluster's tools. A global waypoint in front of local services lets ztunnel pick
 * another cluster's waypoint endpoint, which then calls that cluster's copy of the service
 * (istio/istio#57710, open), e.g. whenever the local waypoint is not ready. Make a service in
 * `agents`/`tools` global and its waypoint must become global too, in every cluster (#60985):
 * `globalServiceLabel` on both.
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
 * The waypoint Gateway of one namespace. Labels meant for the waypoint's Service (such as
 * `globalServiceLabel`) belong in `spec.infrastructure.labels`: istiod copies them onto the
 * Service it deploys, which is the object a service scope selects.
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
      },
    },
    spec: {
      gatewayClassName: "istio-waypoint",
      listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }],
    },
  };
}
