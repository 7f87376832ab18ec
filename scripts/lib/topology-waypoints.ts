/**
 * Which waypoint serves a Service or ServiceEntry, as istiod decides it (Istio 1.30.3 pilot/pkg/serviceregistry/
 * ambient/waypoints.go fetchWaypointForService), for the who-may-call-whom matrix: a policy bound
 * to a Service, or to a waypoint, is enforced only where istiod actually gives the Service that
 * waypoint. A label alone is not enough: istiod gives none (and ztunnel sends the Service's traffic
 * straight to its pods) when the named waypoint does not exist (WaypointIsNotReady, with no
 * fallback to the namespace's), when its HBONE listener does not take the Service's namespace
 * (AttachmentDenied), or when it takes no Service traffic (`istio.io/waypoint-for` workload or
 * none: UnsupportedTrafficType). The pack's authorization-targets-enforced reads these alike.
 */
import type { KubernetesObject } from "./outputs";
import { labelSelectorMatches, LabelSelector } from "../../components/k8s/selectors";

const USE_WAYPOINT = "istio.io/use-waypoint";
const USE_WAYPOINT_NAMESPACE = "istio.io/use-waypoint-namespace";
const WAYPOINT_FOR = "istio.io/waypoint-for";
const INBOUND_BINDING = "ambient.istio.io/waypoint-inbound-binding";

export interface ServiceWaypoint {
  /** `namespace/name` of the waypoint istiod gives the Service. */
  waypoint?: string;
  /** Why it gets none although a label enrolls it (undefined: nothing enrolls it, or it opts out). */
  refused?: string;
}

const labelsOf = (o: KubernetesObject | undefined) => (o?.metadata.labels ?? {}) as Record<string, string>;
const annotationsOf = (o: KubernetesObject | undefined) => (o?.metadata.annotations ?? {}) as Record<string, string>;

/** `namespace/name` a use-waypoint label names, "none" for an opt-out, undefined without one (getUseWaypoint). */
function useWaypoint(labels: Record<string, string>, fallbackNamespace: string): string | undefined {
  const name = labels[USE_WAYPOINT];
  if (name === undefined) return undefined;
  return name === "none" ? "none" : `${labels[USE_WAYPOINT_NAMESPACE] ?? fallbackNamespace}/${name}`;
}

/** Whether the waypoint's HBONE listener (15008; Same without one) takes targets of `namespace` (AllowsAttachmentFromNamespace). */
function admits(gw: KubernetesObject, namespace: string, nsLabels: Record<string, string>): boolean {
  const hbone = (((gw.spec as any)?.listeners ?? []) as any[]).find((l) => l?.protocol === "HBONE" && l?.port === 15008);
  const from = hbone?.allowedRoutes?.namespaces?.from ?? "Same";
  if (from === "All") return true;
  // A Selector without a selector is labels.Nothing().
  if (from === "Selector") return !!hbone.allowedRoutes.namespaces.selector && labelSelectorMatches(hbone.allowedRoutes.namespaces.selector as LabelSelector, nsLabels);
  return gw.metadata.namespace === namespace;
}

export function serviceWaypoint(service: KubernetesObject, objects: KubernetesObject[]): ServiceWaypoint {
  const namespace = service.metadata.namespace ?? "default";
  const ns = objects.find((o) => o.kind === "Namespace" && o.metadata.name === namespace);
  const own = useWaypoint(labelsOf(service), namespace);
  const key = own ?? useWaypoint(labelsOf(ns), namespace);
  if (key === undefined || key === "none") return {};
  const where = `istio.io/use-waypoint on ${own ? `the ${service.kind}` : `namespace ${namespace}`}`;
  const [wpNamespace, wpName] = key.split("/");
  const gw = objects.find((o) => o.kind === "Gateway" && o.apiVersion.startsWith("gateway.networking.k8s.io/") && o.metadata.name === wpName && (o.metadata.namespace ?? "default") === wpNamespace);
  if (!gw) {
    // A waypoint in a namespace this cluster's objects do not hold may be made elsewhere: taken to serve.
    if (!objects.some((o) => o.kind === "Namespace" && o.metadata.name === wpNamespace)) return { waypoint: key };
    return { refused: `its waypoint ${key} (${where}) is not rendered, so istiod gives it none and ztunnel, which ignores targetRefs, sends its traffic straight to the pods` };
  }
  const cls = objects.find((o) => o.kind === "GatewayClass" && o.metadata.name === (gw.spec as any)?.gatewayClassName);
  const binding = annotationsOf(gw)[INBOUND_BINDING] ?? annotationsOf(cls)[INBOUND_BINDING];
  if (binding === undefined && !admits(gw, namespace, labelsOf(ns))) {
    return { refused: `its waypoint ${key} (${where}) does not take namespace ${namespace} (its HBONE listener's allowedRoutes), so istiod gives it none and ztunnel, which ignores targetRefs, sends its traffic straight to the pods` };
  }
  const traffic = labelsOf(gw)[WAYPOINT_FOR] ?? labelsOf(cls)[WAYPOINT_FOR] ?? "service";
  if (traffic !== "service" && traffic !== "all") {
    return { refused: `its waypoint ${key} (${where}) takes no Service traffic (${WAYPOINT_FOR}: ${traffic}), so istiod gives it none and ztunnel, which ignores targetRefs, sends its traffic straight to the pods` };
  }
  return { waypoint: key };
}

/** Classes whose proxies read no Istio AuthorizationPolicy: agentgateway's own, and Istio 1.30.3's (agentgateway_controller.go builds none). */
export const AGENTGATEWAY_CLASSES = ["agentgateway", "istio-agentgateway"];
export const AGW_NO_ISTIO_AUTHZ = "agentgateway reads no Istio AuthorizationPolicy (its own is AgentgatewayPolicy), and ztunnel ignores targetRefs";
export const gatewayNamed = (objects: KubernetesObject[], key: string) =>
  objects.find((o) => o.kind === "Gateway" && `${o.metadata.namespace ?? "default"}/${o.metadata.name}` === key);

/** Why nothing enforces a policy bound to a Service or ServiceEntry (only its waypoint would), or undefined. */
export function unenforcedAt(target: KubernetesObject, objects: KubernetesObject[]): string | undefined {
  const served = serviceWaypoint(target, objects);
  if (!served.waypoint) return served.refused ?? `no waypoint serves the ${target.kind}, and ztunnel ignores targetRefs`;
  const cls = String((gatewayNamed(objects, served.waypoint)?.spec as any)?.gatewayClassName);
  return AGENTGATEWAY_CLASSES.includes(cls) ? `its waypoint ${served.waypoint} is an agentgateway proxy, ${AGW_NO_ISTIO_AUTHZ}` : undefined;
}

/**
 * The Service the controller makes for an agentgateway Gateway's proxy, which the stack does not
 * render: named after the Gateway and labelled with its spec.infrastructure.labels (agentgateway
 * v1.4.1 deployer agentgateway_parameters.go GatewayLabels into helm templates/service.yaml; Istio
 * alike for istio-agentgateway), so an opt-out there (use-waypoint: none) is the Service's.
 */
export function agentgatewayService(objects: KubernetesObject[], namespace: string, name: string): KubernetesObject | undefined {
  const gw = gatewayNamed(objects, `${namespace}/${name}`);
  if (!gw || !AGENTGATEWAY_CLASSES.includes(String((gw.spec as any)?.gatewayClassName))) return undefined;
  return { apiVersion: "v1", kind: "Service", metadata: { name, namespace, labels: { ...((gw.spec as any)?.infrastructure?.labels ?? {}) } }, spec: {} } as KubernetesObject;
}
