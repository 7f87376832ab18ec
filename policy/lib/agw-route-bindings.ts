/**
 * Where an AgentgatewayPolicy binds below a Gateway's listeners, as agentgateway v1.4.1 keys it:
 * the routes on the Gateway (attached to it or to its ListenerSets, and the HTTPRoutes they
 * delegate to: route-delegation.ts), each whole (a targetRef without sectionName,
 * types/agent.rs as_route_target_ref) or by a rule's name (as_route_rule_target_ref), keyed by the
 * route's kind as well as its name (PolicyTargetRef::Route.kind), with the
 * delegation chains the proxy walks to reach a child (proxy/httpproxy.rs select_route_chain,
 * store/binds.rs route_policies); and on the Gateway itself, a listener of it or a ListenerSet
 * attached to it (gatewayPlacement, policyPlacement). Read by agw-authorization.ts and
 * agw-policy-backend-refs.ts.
 */
import type { PolicyResource } from "@pulumi/policy";
import type { GatewayProxy } from "./gateway-proxies";
import { kindName, matchesLabels, meta } from "./k8s";
import { GATEWAY_GROUP, gatewayResource, isRoute } from "./gateways";
import { list, orUnknown, probe, Tri } from "./values";
import { listenersServing } from "./listener-routes";
import { setListenerKey, setListenersServing, type SetListeners } from "./listener-sets";
import { DelegatedFrom, delegatedRoutes, delegationChains } from "./route-delegation";

export interface RouteBinding {
  route: string;
  rule: boolean;
  /** For a rule binding: the rules' names (the targets' sectionNames, sorted), for the topology's label. */
  rules?: string[];
  /** For a delegated child route: each chain of routes (and their rules) handing requests down to it, parent first, whose policies the proxy collects before its own (route-delegation.ts). */
  chains?: DelegatedFrom[][];
}

/** A policy's `targetRefs` and `targetSelectors`, as read. */
export interface PolicyTargets {
  refs: { group?: string; kind: string; name: string; sectionName?: string }[];
  selectors: { group?: string; kind: string; matchLabels?: Record<string, string>; sectionName?: string }[];
}

/** A policy's targets from its `targetRefs` and `targetSelectors` values (either absent: none). */
export const policyTargets = (refs: unknown, selectors: unknown): PolicyTargets => ({ refs: list(refs as PolicyTargets["refs"]), selectors: list(selectors as PolicyTargets["selectors"]) });

/** An object a policy may target: its name, labels (undefined: not known yet) and the sections it has (undefined: not known yet). */
export interface Targetable {
  name: string;
  labels: Record<string, string> | undefined;
  sections?: string[];
}

export const isRouteKind = (k: string) => k === "HTTPRoute" || k === "GRPCRoute";

/** Whether the policy targets a route at all (by name or by selector). */
export const targetsRoutes = (t: PolicyTargets) => t.refs.some((ref) => isRouteKind(ref.kind)) || t.selectors.some((s) => isRouteKind(s.kind));

/** The route's parentRefs naming the Gateway. */
export function parentRefsTo(r: PolicyResource, gw: Pick<GatewayProxy, "name" | "namespace">): { sectionName?: string }[] {
  return list(r.props.spec?.parentRefs as { group?: string; kind?: string; name: string; namespace?: string; sectionName?: string }[]).filter(
    (p) => (p.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && (p.kind ?? "Gateway") === "Gateway" && p.name === gw.name && (p.namespace ?? meta(r.props).namespace) === gw.namespace,
  );
}

/**
 * Whether a listener of one of the Gateways serves the route (through its parentRefs naming that
 * Gateway, its listeners' allowedRoutes); a Gateway the stack lacks serves what names it, as one
 * listing no listeners does; "unknown" while the listeners or what they allow are not known.
 */
export function servedByGateways(r: PolicyResource, gateways: Pick<GatewayProxy, "name" | "namespace">[], resources: PolicyResource[]): Tri {
  const on = gateways.map((p) => {
    const refs = parentRefsTo(r, p);
    if (refs.length === 0) return [];
    const gw = gatewayResource(resources, p.namespace, p.name);
    return gw ? listenersServing(gw, r, refs, resources) : null;
  });
  if (on.includes("unknown")) return "unknown";
  return on.some((l) => l === null || l.length > 0);
}

/** The names of a list of named items (listeners, rules), or undefined while they are not known; read inside the probe, since touching a value not known yet throws. */
export const sectionNames = (xs: () => unknown) => orUnknown(() => list(xs() as { name?: unknown }[]).flatMap((x) => (typeof x?.name === "string" ? [x.name] : [])), undefined);

/**
 * Whether the policy targets `target` of a kind `kind` takes. A sectionName naming no section of
 * the target binds nothing: agentgateway keys the policy to that section. `sectioned`: only
 * targets naming a section (true), only those naming none (false), or either (undefined).
 */
export function hits(t: PolicyTargets, kind: (k: string) => boolean, target: Targetable, sectioned?: boolean): Tri {
  const inSection = (section?: string) => (sectioned === undefined || sectioned === (typeof section === "string")) && (section === undefined || target.sections === undefined || target.sections.includes(section));
  if (t.refs.some((ref) => ref.group === GATEWAY_GROUP && kind(ref.kind) && ref.name === target.name && inSection(ref.sectionName))) return true;
  const bySelector = t.selectors.filter((s) => s.group === GATEWAY_GROUP && kind(s.kind) && inSection(s.sectionName));
  if (bySelector.length === 0) return false;
  return target.labels === undefined ? "unknown" : bySelector.some((s) => matchesLabels(s.matchLabels ?? {}, target.labels!));
}

/** The rules of a route (of kind `kind`) its targets name by sectionName (those the route has). */
function ruleNames(t: PolicyTargets, kind: string, target: Targetable): string[] {
  const named = [
    ...t.refs.filter((ref) => ref.group === GATEWAY_GROUP && ref.kind === kind && ref.name === target.name),
    ...t.selectors.filter((sel) => sel.group === GATEWAY_GROUP && sel.kind === kind && target.labels !== undefined && matchesLabels(sel.matchLabels ?? {}, target.labels)),
  ].map((x) => x.sectionName);
  return [...new Set(named.filter((x): x is string => typeof x === "string" && (target.sections === undefined || target.sections.includes(x))))].sort();
}

/** The routes on a Gateway, with what the bindings need of them. */
export interface GatewayRoutes {
  routes: PolicyResource[];
  /** Namespaces of routes that may attach to the gateway but whose parents are not known yet ("*": nor their namespace). */
  undecided: Set<string>;
  /** For each delegated child (`ns/name`), the routes and rules handing requests to it (route-delegation.ts). */
  parents: Map<string, DelegatedFrom[]>;
}

/**
 * The routes whose requests the Gateway serves: attached to it and taken by a listener
 * (allowedRoutes), attached to its ListenerSets (`viaSets`), and the HTTPRoutes those delegate to;
 * "unknown" while a delegation is not known yet.
 */
export function gatewayRoutes(resources: PolicyResource[], gw: Pick<GatewayProxy, "name" | "namespace">, gateway: PolicyResource | undefined, viaSets: SetListeners): GatewayRoutes | "unknown" {
  const routes: PolicyResource[] = [];
  const undecided = new Set<string>();
  for (const r of resources.filter((x) => isRoute(x.type))) {
    const refs = probe(() => parentRefsTo(r, gw));
    // A route no listener takes (allowedRoutes) is not served: its policies reach nothing here.
    const served = !refs.known ? "unknown" : refs.value.length === 0 ? [] : ((gateway && listenersServing(gateway, r, refs.value, resources)) ?? ["?"]);
    if (served === "unknown") undecided.add(orUnknown(() => meta(r.props).namespace, "*"));
    else if (served.length > 0) routes.push(r);
  }
  // A ListenerSet's listeners are the Gateway's, and so are the routes they serve (listener-sets.ts).
  routes.push(...viaSets.routes.filter((r) => !routes.includes(r)));
  // HTTPRoutes the served ones delegate to run on the Gateway too, with their policies (route-delegation.ts).
  const children = delegatedRoutes(routes, resources);
  if (children === "unknown") return "unknown";
  routes.push(...children.routes);
  return { routes, undecided, parents: children.parents };
}

/**
 * Where a policy of `namespace` binds among the Gateway's routes of its namespace: each route it
 * targets whole, and each whose rules it names by sectionName; "unknown" while a selected route's
 * labels are not known yet.
 */
export function routeBindings(t: PolicyTargets, namespace: string, on: GatewayRoutes): RouteBinding[] | "unknown" {
  const bindings: RouteBinding[] = [];
  let unsure = false;
  for (const route of on.routes.filter((x) => meta(x.props).namespace === namespace)) {
    const target = { name: meta(route.props).name, labels: orUnknown(() => ({ ...meta(route.props).labels }), undefined), sections: sectionNames(() => route.props.spec?.rules) };
    // A target naming a rule (sectionName) binds that rule; one without, the whole route (store/binds.rs as_route_rule_target_ref, as_route_target_ref).
    // The key holds the route's kind (types/agent.rs RouteName.kind, controller RouteTarget): a GRPCRoute target binds no HTTPRoute of that name.
    const kind = kindName(route.type);
    const whole = hits(t, (k) => k === kind, target, false);
    const rule = hits(t, (k) => k === kind, target, true);
    if (whole === "unknown" || rule === "unknown") unsure = true;
    const key = `${namespace}/${target.name}`;
    const chains = delegationChains(on.parents, key);
    const chain = chains.length > 0 ? { chains } : {};
    if (whole === true) bindings.push({ route: key, rule: false, ...chain });
    if (rule === true) bindings.push({ route: key, rule: true, rules: ruleNames(t, kind, target), ...chain });
  }
  return unsure ? "unknown" : bindings;
}

/** A ListenerSet listener a policy targets: its key (listener-sets.ts setListenerKey) and its ListenerSet's name. */
export interface OnSet {
  key: string;
  set: string;
}

/**
 * The listeners of the Gateway's ListenerSets a policy of `namespace` targets (a ListenerSet, or by
 * sectionName one listener of it: controller reference_indexes.go ListenerSetTarget, proxy
 * binds.rs gateway_policies); "unknown" while a selected ListenerSet's labels are not known.
 */
function setTargets(t: PolicyTargets, namespace: string, viaSets: SetListeners): OnSet[] | "unknown" {
  const out: OnSet[] = [];
  const isSet = (x: { group?: string; kind: string }) => x.group === GATEWAY_GROUP && x.kind === "ListenerSet";
  for (const set of viaSets.sets.filter((s) => s.namespace === namespace)) {
    const take = (section?: string) =>
      out.push(...set.listeners.filter((l) => section === undefined || section === l).map((l) => ({ key: setListenerKey(set.namespace, set.name, l), set: set.name })).filter((l) => !out.some((o) => o.key === l.key)));
    for (const ref of t.refs.filter((x) => isSet(x) && x.name === set.name)) take(ref.sectionName);
    const bySelector = t.selectors.filter(isSet);
    if (bySelector.length === 0) continue;
    const labels = orUnknown(() => ({ ...meta(set.set.props).labels }) as Record<string, string>, undefined);
    if (labels === undefined) return "unknown";
    for (const sel of bySelector.filter((x) => matchesLabels(x.matchLabels ?? {}, labels))) take(sel.sectionName);
  }
  return out;
}

/** What an agentgateway Gateway holds for policies to bind to: its ListenerSets' listeners, the routes it serves, and the namespaces of those (a policy binds objects of its own namespace only). */
export interface GatewayPlacement {
  gw: Pick<GatewayProxy, "namespace" | "name" | "labels">;
  gateway: PolicyResource | undefined;
  viaSets: SetListeners;
  on: GatewayRoutes;
  namespaces: Set<string>;
}

/** The Gateway's {@link GatewayPlacement}; "unknown" while a ListenerSet's attachment or listeners, or a delegation, are not known yet. */
export function gatewayPlacement(resources: PolicyResource[], gw: GatewayPlacement["gw"]): GatewayPlacement | "unknown" {
  const gateway = gatewayResource(resources, gw.namespace, gw.name);
  // A ListenerSet's listeners are the Gateway's, and so are the routes they serve (listener-sets.ts).
  const viaSets = gateway ? setListenersServing(gateway, resources, isRoute) : { sets: [], serving: [], routes: [] };
  if (viaSets === "unknown") return "unknown";
  const on = gatewayRoutes(resources, gw, gateway, viaSets);
  if (on === "unknown") return "unknown";
  const namespaces = new Set([gw.namespace, ...on.routes.map((r) => meta(r.props).namespace), ...viaSets.sets.map((s) => s.namespace)]);
  return { gw, gateway, viaSets, on, namespaces };
}

/** Whether a policy of `namespace` may bind something on the Gateway (an object of its namespace there, or a route of it whose parents are not known yet). */
export const mayBindOn = (p: GatewayPlacement, namespace: string) => p.namespaces.has(namespace) || p.on.undecided.has(namespace) || p.on.undecided.has("*");

/** Where a policy binds on a Gateway: the Gateway (or a listener of it or of its ListenerSets, by sectionName), its ListenerSets' listeners, its routes and their rules. */
export interface PolicyPlacement {
  onGateway: boolean;
  onSets: OnSet[];
  bindings: RouteBinding[];
}

/**
 * Where a policy of `namespace` with targets `t` binds on the Gateway, as agentgateway v1.4.1 keys
 * it (a ListenerSet listener by its own name under the Gateway: types/agent.rs ListenerName
 * as_listener_target_ref, so a Gateway sectionName naming it binds it); "unknown" while a
 * selected object's labels are not known, or the policy targets routes and a route of its
 * namespace may attach to the Gateway but its parents are not known yet.
 */
export function policyPlacement(p: GatewayPlacement, t: PolicyTargets, namespace: string): PolicyPlacement | "unknown" {
  if ((p.on.undecided.has(namespace) || p.on.undecided.has("*")) && targetsRoutes(t)) return "unknown";
  const own = p.gateway ? sectionNames(() => p.gateway!.props.spec?.listeners) : undefined;
  const onGateway = namespace === p.gw.namespace ? hits(t, (k) => k === "Gateway", { ...p.gw, sections: own && [...own, ...p.viaSets.sets.flatMap((s) => s.listeners)] }) : false;
  const onSets = setTargets(t, namespace, p.viaSets);
  if (onSets === "unknown") return "unknown";
  const bindings = routeBindings(t, namespace, p.on);
  if (onGateway === "unknown" || bindings === "unknown") return "unknown";
  return { onGateway, onSets, bindings };
}
