/**
 * Istio ingress gateways in a multi-network ambient mesh (mesh-multicluster-wiring): an ingress
 * gateway's Envoy is handed another network's endpoints of a Service only where its istiod sets
 * AMBIENT_ENABLE_MULTI_NETWORK_INGRESS, false by default and read with strconv.ParseBool (Istio
 * 1.30.3 pilot/pkg/features/ambient.go EnableAmbientIngressMultiNetwork); without it
 * pilot/pkg/xds/endpoints/ep_filters.go EndpointsByNetworkFilter skips every endpoint outside the
 * proxy's network for a proxy model.IsIngressGateway takes (gateway.istio.io/managed
 * istio.io-gateway-controller: the ingress kind, not a waypoint or an east-west gateway). A route
 * on such a gateway to a global Service (istio.io/global) another network also serves then only
 * ever reaches the local copy's endpoints.
 */
import type { PolicyResource } from "@pulumi/policy";
import { isKind, kindName, meta, T, unknownValueError } from "./k8s";
import { GATEWAY_GROUP, gatewayResource, isWeightedRoute } from "./gateways";
import { list, probe, type Probe } from "./values";
import { istioGatewayKind } from "./istio-classes";
import { istiodsServing } from "./istiod-revisions";
import { ambientIstiodFlag } from "./istio";
import { listenersServing } from "./listener-routes";
import { isGlobalService } from "./global-waypoints";
import { listenerSetsOf, parentRefsToSet } from "./listener-sets";

const INGRESS_FLAG = "AMBIENT_ENABLE_MULTI_NETWORK_INGRESS";

/** A mesh cluster as this check reads it: its name, its network (istiod global.network) and its resources, Istio's rendered objects included. */
export interface NetworkedCluster {
  cluster: string;
  network: Probe<string | undefined>;
  resources: PolicyResource[];
}

interface Reach {
  route: string;
  gateway: PolicyResource;
  service: string;
  /** The clusters on other networks that render the Service too (its endpoints there). */
  remote: string[];
}

const nsName = (r: PolicyResource) => `${meta(r.props).namespace}/${meta(r.props).name}`;

/** The Services a route's rules send to (core Services only: Istio builds the route's clusters from them), as `namespace/name`. */
function backendServices(route: PolicyResource): string[] {
  const namespace = meta(route.props).namespace;
  const refs = list(route.props.spec?.rules as any[]).flatMap((rule) => list(rule?.backendRefs as any[]));
  const services = refs.filter((b) => (b?.group ?? "") === "" && (b?.kind ?? "Service") === "Service" && typeof b?.name === "string");
  return [...new Set(services.map((b) => `${typeof b.namespace === "string" ? b.namespace : namespace}/${b.name}`))];
}

/** The Istio ingress Gateways of the cluster a route attaches to, whose listeners take it. Throws the SDK's unknown-value error where a value it reads is not known. */
function ingressParents(route: PolicyResource, resources: PolicyResource[]): PolicyResource[] {
  const namespace = meta(route.props).namespace;
  const parents: PolicyResource[] = [];
  for (const ref of list(route.props.spec?.parentRefs as any[])) {
    if ((ref?.group ?? GATEWAY_GROUP) !== GATEWAY_GROUP || (ref?.kind ?? "Gateway") !== "Gateway") continue;
    const gw = gatewayResource(resources, typeof ref.namespace === "string" ? ref.namespace : namespace, ref.name, "unknown");
    if (!gw || parents.includes(gw) || istioGatewayKind(gw, resources) !== "ingress") continue;
    const served = listenersServing(gw, route, [ref], resources);
    if (served === "unknown") throw unknownValueError([`<the listeners of Gateway ${nsName(gw)}>`]);
    if (served === null || served.length > 0) parents.push(gw);
  }
  for (const gw of setParents(route, resources)) if (!parents.includes(gw)) parents.push(gw);
  return parents;
}

/**
 * The Istio ingress Gateways a route reaches through a ListenerSet it names: Istio 1.30.3 reads v1
 * ListenerSets only (pilot/pkg/config/kube/gateway/controller.go, not the experimental
 * XListenerSet), attached where the parent's class supports them (gatewaycommon/classinfo.go:
 * the default istio class does) and its allowedListeners admits them (gateway_collection.go
 * ListenerSetCollection); their listeners are then the Gateway's, served by its proxy.
 */
function setParents(route: PolicyResource, resources: PolicyResource[]): PolicyResource[] {
  const parents: PolicyResource[] = [];
  for (const set of resources.filter((r) => isKind(r.type, GATEWAY_GROUP, "ListenerSet"))) {
    const refs = parentRefsToSet(route, set);
    if (refs.length === 0) continue;
    const ref = set.props.spec?.parentRef ?? {};
    if ((ref.group ?? GATEWAY_GROUP) !== GATEWAY_GROUP || (ref.kind ?? "Gateway") !== "Gateway") continue;
    const gw = gatewayResource(resources, typeof ref.namespace === "string" ? ref.namespace : meta(set.props).namespace, ref.name, "unknown");
    if (!gw || parents.includes(gw) || istioGatewayKind(gw, resources) !== "ingress") continue;
    const attaches = listenerSetsOf(gw, resources).find((s) => s.set === set)?.attaches ?? false;
    if (attaches === "unknown") throw unknownValueError([`<whether ${nsName(set)} attaches to Gateway ${nsName(gw)}>`]);
    if (!attaches) continue;
    const served = listenersServing(set, route, refs, resources);
    if (served === "unknown") throw unknownValueError([`<the listeners of ListenerSet ${nsName(set)}>`]);
    if (served !== null && served.length > 0) parents.push(gw);
  }
  return parents;
}

/** The labels of the cluster's Service `key` (`namespace/name`), or undefined where it renders none; throws where a name or label is not known. */
function serviceOn(resources: PolicyResource[], key: string): Record<string, unknown> | undefined {
  const svc = resources.find((r) => r.type === T.service && nsName(r) === key);
  return svc ? (meta(svc.props).labels ?? {}) : undefined;
}

/**
 * Reports each route on an Istio ingress gateway of cluster `m` sending to a global Service that a
 * cluster on another network renders too, where an ambient istiod owning that gateway leaves
 * AMBIENT_ENABLE_MULTI_NETWORK_INGRESS off; what this preview cannot read goes to `unknowns`.
 */
export function checkIngressNetworks(m: NetworkedCluster, network: string, mesh: NetworkedCluster[], report: (message: string, urn?: string) => void, unknowns: string[]): void {
  const others = mesh.filter((o) => o !== m);
  for (const route of m.resources.filter((r) => isWeightedRoute(r.type))) {
    const read = probe((): Reach[] => {
      const gateways = ingressParents(route, m.resources);
      if (gateways.length === 0) return [];
      const out: Reach[] = [];
      for (const service of backendServices(route)) {
        if (!isGlobalService(serviceOn(m.resources, service))) continue;
        const remote: string[] = [];
        for (const o of others) {
          if (serviceOn(o.resources, service) === undefined) continue;
          if (!o.network.known) throw unknownValueError([`<the network of cluster ${o.cluster}>`]);
          if (o.network.value !== undefined && o.network.value !== network) remote.push(o.cluster);
        }
        if (remote.length > 0) for (const gateway of gateways) out.push({ route: `${kindName(route.type)} ${nsName(route)}`, gateway, service, remote });
      }
      return out;
    });
    if (!read.known) {
      unknowns.push(`route ${route.name} on cluster ${m.cluster}, its Istio ingress Gateways and backend Services (whether it sends to a global Service another network serves)`);
      continue;
    }
    for (const reach of read.value) judgeOwners(m, network, reach, route, report, unknowns);
  }
}

/** Reports each ambient istiod owning the reach's gateway that leaves AMBIENT_ENABLE_MULTI_NETWORK_INGRESS off. */
function judgeOwners(m: NetworkedCluster, network: string, reach: Reach, route: PolicyResource, report: (message: string, urn?: string) => void, unknowns: string[]): void {
  const gw = nsName(reach.gateway);
  const owners = probe(() => istiodsServing(reach.gateway, m.resources));
  if (!owners.known) {
    unknowns.push(`the istiod owning Istio ingress Gateway ${gw} on cluster ${m.cluster} (its istio.io/rev, the default revision)`);
    return;
  }
  for (const istiod of owners.value) {
    // A sidecar istiod reaches other networks through its own network gateways, which this flag does not govern.
    const flag = ambientIstiodFlag(istiod, INGRESS_FLAG);
    if (flag === "not-ambient") continue;
    if (flag === "unknown") {
      unknowns.push(`the ${INGRESS_FLAG} env of istiod release ${istiod.name} on cluster ${m.cluster}`);
      continue;
    }
    if (flag.on) continue;
    report(
      `cluster ${m.cluster}: ${reach.route} sends Istio ingress Gateway ${gw}'s traffic to global Service ${reach.service}, which cluster${reach.remote.length > 1 ? "s" : ""} ${reach.remote.join(", ")} on another network serve${reach.remote.length > 1 ? "" : "s"} too, but istiod release ${istiod.name} owning that gateway ${flag.given}: istiod then hands an ingress gateway only the endpoints of its own network ${network} (Istio 1.30.3 pilot/pkg/xds/endpoints/ep_filters.go, features.EnableAmbientIngressMultiNetwork), so the route never reaches the other networks' endpoints; set env.${INGRESS_FLAG}: "true" on it`,
      route.urn,
    );
  }
}
