/**
 * The istiod side of the inference path: Istio 1.30.3 routes to an InferencePool only when istiod
 * runs with ENABLE_GATEWAY_API_INFERENCE_EXTENSION (pilot/pkg/features/experimental.go, false by
 * default, read by pkg/env with strconv.ParseBool, an unparsable value taking the default). Without
 * it istiod builds no InferencePool collection (gateway/controller.go) and refuses every
 * InferencePool backendRef ("InferencePool is not enabled", gateway/conversion.go buildDestination),
 * so each request the route sends there gets a 500. The Gateway itself needs Gateway API support
 * and its deployment controller, both on by default and a fork's to turn off.
 */
import type { PolicyResource } from "@pulumi/policy";
import { isKind, meta, T } from "./k8s";
import { gatewayResource, isRoute } from "./gateways";
import { waypointGateway, waypointOf } from "./authz-targets";
import { istiodEnv, parseGoBool } from "./istio";
import { isIstioGateway, istiodsOf, istiodsServing } from "./istiod-revisions";
import { list, probe } from "./values";
import { listenersServing } from "./listener-routes";
import type { Report } from "./picker-service";

export const INFERENCE_EXTENSION = "ENABLE_GATEWAY_API_INFERENCE_EXTENSION";
export { isIstioGateway };

/** A route's parentRefs that name a Gateway, each with the Gateway's namespace (the route's where unset). */
export function gatewayParents(route: PolicyResource): { name: string; namespace: string; ref: Record<string, any> }[] {
  return list(route.props.spec?.parentRefs as Record<string, any>[])
    .filter((p) => (p.kind ?? "Gateway") === "Gateway" && (p.group ?? "gateway.networking.k8s.io") === "gateway.networking.k8s.io")
    .map((ref) => ({ name: String(ref.name), namespace: ref.namespace ?? meta(route.props).namespace, ref }));
}

/**
 * The Gateways of a route that Istio programs for it: a Gateway of another implementation is left
 * out, and so is one whose listeners all refuse the route, since Istio 1.30.3 drops such a parent
 * (conversion.go referenceAllowed, filteredReferences). A Gateway the stack does not hold is kept,
 * without `gw`: neither its class nor its listeners can be read.
 */
export function istioParents(route: PolicyResource, resources: PolicyResource[]): { name: string; namespace: string; gw?: PolicyResource }[] {
  return gatewayParents(route).flatMap(({ name, namespace, ref }) => {
    const gw = gatewayResource(resources, namespace, name, "unknown");
    if (gw && !isIstioGateway(gw, resources)) return [];
    const serving = gw && listenersServing(gw, route, [ref], resources);
    return Array.isArray(serving) && serving.length === 0 ? [] : [{ name, namespace, gw }];
  });
}

/**
 * A route that sends to an InferencePool, named for messages, with the Gateway Istio serves it on
 * (undefined where no Gateway of the stack is known to: every istiod of the cluster may serve it)
 * and whether that Gateway names the addresses of a proxy deployed by hand (spec.addresses), which
 * Istio binds to instead of deploying one (ENABLE_GATEWAY_API_MANUAL_DEPLOYMENT).
 */
interface PoolRoute {
  text: string;
  manual: boolean;
  gw?: PolicyResource;
}

/** A mesh (GAMMA) parentRef: a Service (core group) or an Istio ServiceEntry, as Istio 1.30.3 NormalizeReference reads it. */
export function meshParents(route: PolicyResource): { kind: string; name: string; namespace: string }[] {
  return list(route.props.spec?.parentRefs as Record<string, any>[])
    .filter((p) => (p.kind === "Service" && p.group === "") || (p.kind === "ServiceEntry" && p.group === "networking.istio.io"))
    .map((p) => ({ kind: String(p.kind), name: String(p.name), namespace: p.namespace ?? meta(route.props).namespace }));
}

/**
 * The waypoint Gateway of the stack that serves a mesh route's parent (its istio.io/use-waypoint
 * label, else its namespace's: Istio 1.30.3 ambient/waypoints.go), or undefined where the stack
 * shows none (a sidecar, or a waypoint of another revision's, may then serve it).
 */
function waypointFor(parent: { kind: string; name: string; namespace: string }, resources: PolicyResource[]): PolicyResource | undefined {
  const type = parent.kind === "Service" ? T.service : undefined;
  const target = resources.find((r) => (type ? r.type === type : isKind(r.type, "networking.istio.io", "ServiceEntry")) && meta(r.props).name === parent.name && meta(r.props).namespace === parent.namespace);
  const ns = resources.find((r) => r.type === T.namespace && meta(r.props).name === parent.namespace);
  const waypoint = waypointOf(target ? meta(target.props).labels : {}, ns ? meta(ns.props).labels : {}, parent.namespace);
  return waypoint ? waypointGateway(resources, waypoint) : undefined;
}

/**
 * The routes of the cluster that send to an InferencePool: through a Gateway of the stack that
 * Istio programs and whose listeners take them, or as mesh routes of a Service or ServiceEntry
 * (GAMMA), which Istio 1.30.3 converts with the same backends (route_collections.go
 * HTTPRouteCollection, conversion.go buildDestination) and so refuses the pool there too.
 */
function routesToPools(resources: PolicyResource[]): PoolRoute[] {
  const out: PoolRoute[] = [];
  for (const route of resources.filter((r) => isRoute(r.type))) {
    const { name, namespace } = meta(route.props);
    const spec = route.props.spec ?? {};
    const pool = list(spec.rules as { backendRefs?: any[] }[])
      .flatMap((rule) => list(rule.backendRefs))
      .find((b) => b?.kind === "InferencePool");
    if (!pool) continue;
    const kind = route.type.split(":").pop();
    const to = `sends to InferencePool ${pool.namespace ?? namespace}/${pool.name}`;
    const manual = (gw: PolicyResource) => list(gw.props.spec?.addresses as unknown[]).length > 0;
    for (const { name: gwName, namespace: gwNs, gw } of istioParents(route, resources)) {
      if (!gw) continue;
      out.push({ text: `${kind} ${namespace}/${name} on Gateway ${gwNs}/${gwName} ${to}`, manual: manual(gw), gw });
    }
    for (const parent of meshParents(route)) {
      const gw = waypointFor(parent, resources);
      const via = gw ? ` (waypoint ${meta(gw.props).namespace}/${meta(gw.props).name})` : "";
      // Without a waypoint of the stack, no Gateway of it is deployed for the route: no deployment to judge.
      out.push({ text: `mesh ${kind} ${namespace}/${name} on ${parent.kind} ${parent.namespace}/${parent.name}${via} ${to}`, manual: gw ? manual(gw) : true, gw });
    }
  }
  return out;
}

/**
 * The istiod switches (Istio 1.30.3 pilot/pkg/features) an Istio Gateway routing to a pool needs,
 * with their registered defaults: unset or unparsable, a switch takes its default.
 */
const SWITCHES = [
  { name: INFERENCE_EXTENSION, byDefault: false, why: `istiod then refuses every InferencePool backendRef ("InferencePool is not enabled") and each request those routes send to a pool gets a 500` },
  { name: "PILOT_ENABLE_GATEWAY_API", byDefault: true, why: "istiod then watches no Gateway API resource (bootstrap/configcontroller.go), so it neither programs nor deploys that Gateway and nothing serves its routes" },
  {
    name: "PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER",
    byDefault: true,
    why: "istiod then deploys no proxy for a Gateway (bootstrap/configcontroller.go), and that Gateway names no spec.addresses of one deployed by hand, so no pod serves its routes",
    deploys: true,
  },
];

/**
 * Where an Istio Gateway of the cluster routes to an InferencePool, the istiod that owns that
 * Gateway (lib/istiod-revisions.ts: by istio.io/rev, its namespace's, revision tags and the default
 * revision; a Helm release, or one rendered as objects) must have each switch on; another
 * revision's istiod deploys and serves none of its proxies and is not judged for it. A value set
 * from elsewhere (envVarFrom valueFrom) or not known yet is "can't judge".
 */
export function checkInferenceExtension(objects: PolicyResource[], cluster: string, report: Report, pending: string[]): void {
  const routes = probe(() => routesToPools(objects));
  if (!routes.known) {
    pending.push(`whether a Gateway on ${cluster} routes to an InferencePool (istiod's ${INFERENCE_EXTENSION})`);
    return;
  }
  // Each owning istiod (by URN: a rendered one is a fresh stand-in on each reading) with the routes it serves.
  const served = new Map<string, { r: PolicyResource; routes: PoolRoute[] }>();
  for (const route of routes.value) {
    const gw = route.gw;
    const owners = probe(() => (gw ? istiodsServing(gw, objects) : istiodsOf(objects)));
    if (!owners.known) {
      const which = gw ? `Gateway ${meta(gw.props).namespace}/${meta(gw.props).name}` : "the mesh route";
      pending.push(`which istiod on cluster ${cluster} owns ${which} (istio.io/rev labels, revisions, revision tags, the default revision)`);
      continue;
    }
    for (const r of owners.value) {
      const entry = served.get(r.urn) ?? { r, routes: [] };
      entry.routes.push(route);
      served.set(r.urn, entry);
    }
  }
  for (const { r, routes: theirs } of served.values()) {
    for (const s of SWITCHES) {
      const route = s.deploys ? theirs.find((x) => !x.manual) : theirs[0];
      if (!route) continue;
      const setting = probe(() => istiodEnv(r.props.values, s.name));
      if (!setting.known || setting.value === null) {
        pending.push(`the ${s.name} env of istiod release ${r.name} on cluster ${cluster}`);
        continue;
      }
      if ((parseGoBool(setting.value) ?? s.byDefault) === true) continue;
      const given = setting.value === undefined ? `leaves env.${s.name} unset (false by default)` : `sets env.${s.name} to ${JSON.stringify(setting.value)}`;
      report(`cluster ${cluster}: istiod release ${r.name} ${given}, while ${route.text}: ${s.why}; set env.${s.name}: "true"`, r.urn);
    }
  }
}

/**
 * The mesh (GAMMA) routes that send to this pool, named for messages. No proxy calls the pool's
 * picker for them: Istio 1.30.3 adds the ext_proc filter the route's per-route picker settings
 * configure only to a Gateway's proxy with an InferencePool, never to a waypoint
 * (networking/core/listener_builder.go: `if !httpOpts.isWaypoint`, then only a proxy labelled
 * gateway.networking.k8s.io/gateway-name whose Gateway HasInferencePool), and a sidecar carries no
 * such label; so the waypoint or sidecar sends the route's requests to the pool's shadow Service
 * by plain load balancing, past the picker.
 */
export function meshRoutesToPool(pool: PolicyResource, resources: PolicyResource[]): string[] {
  const { name, namespace } = meta(pool.props);
  return resources
    .filter((r) => isRoute(r.type) && meshParents(r).length > 0)
    .filter((r) => list(r.props.spec?.rules as { backendRefs?: any[] }[]).some((rule) => list(rule.backendRefs).some((b) => b?.kind === "InferencePool" && b.name === name && (b.namespace ?? meta(r.props).namespace) === namespace)))
    .map((r) => `mesh ${r.type.split(":").pop()} ${meta(r.props).namespace}/${meta(r.props).name} (on ${meshParents(r).map((p) => `${p.kind} ${p.namespace}/${p.name}`).join(", ")})`);
}
