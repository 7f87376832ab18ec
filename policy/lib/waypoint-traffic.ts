/**
 * Whether the Istio waypoint a policy's target is enrolled with (or the waypoint it targets) takes
 * that traffic, as Istio 1.30.3's istiod decides (ambient/waypoints.go): the attachment from the
 * target's namespace, the waypoint's istio.io/waypoint-for. Each reads why not, or undefined; what
 * this preview cannot read yet goes to `ctx.pending` (can't judge). Read by
 * authorization-targets-enforced.
 */
import type { PolicyResource } from "@pulumi/policy";
import { meta } from "./k8s";
import { WAYPOINT_CLASS } from "./authz-targets";
import { admitsNamespace } from "./listener-routes";
import { isKindOrPatch, isPatch } from "./patches";
import { list, probe } from "./values";

/** What these checks read of a review: the cluster's objects, the policy's namespace, and where to note what cannot be judged yet. */
export interface WaypointCtx {
  resources: PolicyResource[];
  namespace: string;
  cluster: string;
  pending: string[];
}

const WAYPOINT_INBOUND_BINDING = "ambient.istio.io/waypoint-inbound-binding";

/** The GatewayClass of `gw` where the stack renders it (throws while not known, inside a probe). */
const classOf = (gw: PolicyResource, ctx: WaypointCtx) =>
  ctx.resources.find((x) => isKindOrPatch(x.type, "gateway.networking.k8s.io", "GatewayClass") && !isPatch(x.type) && meta(x.props).name === gw.props.spec?.gatewayClassName);

/**
 * Why a waypoint in another namespace refuses the target: istiod admits a target from another
 * namespace only as its HBONE listener (port 15008) allows routes from it (allowedRoutes.namespaces
 * from All, or a Selector its namespace's labels match; unset is Same, Gateway API's default, as
 * is a waypoint without that listener), else it reports AttachmentDenied and gives the target no
 * waypoint (Istio 1.30.3 ambient/waypoints.go makeAllowedRoutes, AllowsAttachmentFromNamespace).
 * Not judged where an inbound-binding annotation picks another listener, or a value is unknown.
 */
export function deniedAttachment(gw: PolicyResource, key: string, nsLabels: Record<string, string>, ctx: WaypointCtx): string | undefined {
  // No early pass for the waypoint's own namespace: istiod applies a Selector to it too (AllowsAttachmentFromNamespace).
  const namespace = key.split("/")[0];
  const read = probe(() => {
    if (meta(gw.props).annotations?.[WAYPOINT_INBOUND_BINDING] !== undefined) return undefined;
    // istiod reads the binding from the Gateway, else its GatewayClass (ambient/waypoints.go getGatewayOrGatewayClassAnnotation).
    if (meta(classOf(gw, ctx)?.props ?? {}).annotations?.[WAYPOINT_INBOUND_BINDING] !== undefined) return undefined;
    const hbone = list(gw.props.spec?.listeners as Record<string, any>[]).find((l) => l?.protocol === "HBONE" && l?.port === 15008);
    return JSON.parse(JSON.stringify({ from: hbone?.allowedRoutes?.namespaces?.from ?? "Same", selector: hbone?.allowedRoutes?.namespaces?.selector ?? null })) as { from: string; selector: Record<string, any> | null };
  });
  if (!read.known) {
    ctx.pending.push(`the listeners of waypoint ${key} on cluster ${ctx.cluster}, which decide whether it serves targets in namespace ${ctx.namespace}`);
    return undefined;
  }
  // A Selector without a selector admits nothing here (LabelSelectorAsSelector(nil) is labels.Nothing()).
  if (!read.value || admitsNamespace(read.value, namespace, ctx.namespace, () => nsLabels, { unset: "Same", noSelector: false })) return undefined;
  const allows = read.value.from === "Selector" ? `namespaces its allowedRoutes selector matches, not ${ctx.namespace}` : `namespace ${namespace} only (allowedRoutes.namespaces.from Same, Gateway API's default)`;
  return `whose HBONE listener (port 15008) takes targets from ${allows}: istiod denies the attachment (ambient/waypoints.go AllowsAttachmentFromNamespace: AttachmentDenied) and gives it no waypoint, so ztunnel sends its traffic straight to the pods and ignores targetRefs, and nothing enforces this policy; set allowedRoutes.namespaces.from All, or a Selector matching namespace ${ctx.namespace}, on that listener`;
}

const WAYPOINT_FOR = "istio.io/waypoint-for";

/**
 * Why the waypoint takes no Service traffic: its istio.io/waypoint-for (on the Gateway, else on a
 * GatewayClass the stack renders; unset is service) is neither service nor all, so istiod binds
 * no Service or ServiceEntry to it (Istio 1.30.3 ambient/waypoints.go fetchWaypointForService:
 * UnsupportedTrafficType; the policy's status says AncestorNotBound).
 */
export function noServiceTraffic(gw: PolicyResource, key: string, ctx: WaypointCtx): string | undefined {
  const traffic = probe(() => waypointTraffic(gw, ctx));
  if (!traffic.known) {
    ctx.pending.push(`the ${WAYPOINT_FOR} of waypoint ${key} on cluster ${ctx.cluster} (or its class), which decides whether it serves Services`);
    return undefined;
  }
  if (!traffic.value || ["service", "all"].includes(traffic.value.value)) return undefined;
  return `which takes no Service traffic (${WAYPOINT_FOR}: ${traffic.value.value} on ${traffic.value.from}): istiod binds no Service or ServiceEntry to it (ambient/waypoints.go fetchWaypointForService: UnsupportedTrafficType), so ztunnel sends its traffic straight to the pods and ignores targetRefs, and nothing enforces this policy; label the waypoint ${WAYPOINT_FOR}: service (or all)`;
}

/** The waypoint-for label istiod reads for a waypoint: the Gateway's, else its rendered class's (throws while not known, inside a probe). */
function waypointTraffic(gw: PolicyResource, ctx: WaypointCtx): { value: string; from: string } | undefined {
  const own = meta(gw.props).labels?.[WAYPOINT_FOR] as string | undefined;
  if (own !== undefined) return { value: own, from: "the Gateway" };
  const inherited = meta(classOf(gw, ctx)?.props ?? {}).labels?.[WAYPOINT_FOR] as string | undefined;
  return inherited === undefined ? undefined : { value: inherited, from: `GatewayClass ${gw.props.spec?.gatewayClassName}` };
}

/**
 * Why a waypoint targeted itself serves no traffic: istiod binds it to Services only for service or
 * all, to workloads only for workload or all (unset is service; Istio 1.30.3 ambient/waypoints.go
 * fetchWaypointForService, fetchWaypointForWorkload), so none, or a value it does not know, leaves
 * it idle and a policy on it guards nothing.
 */
export function idleWaypoint(gw: PolicyResource, key: string, ctx: WaypointCtx): string | undefined {
  const traffic = probe(() => (gw.props.spec?.gatewayClassName === WAYPOINT_CLASS ? waypointTraffic(gw, ctx) : undefined));
  if (!traffic.known) {
    ctx.pending.push(`the class or ${WAYPOINT_FOR} of Gateway ${key} on cluster ${ctx.cluster}, which decides whether it takes traffic`);
    return undefined;
  }
  if (!traffic.value || ["service", "workload", "all"].includes(traffic.value.value)) return undefined;
  return `binds waypoint ${key}, which takes no traffic (${WAYPOINT_FOR}: ${traffic.value.value} on ${traffic.value.from}): istiod binds neither Services nor workloads to it (ambient/waypoints.go: UnsupportedTrafficType), so nothing passes it and nothing enforces this policy; label it ${WAYPOINT_FOR}: service, workload or all`;
}
