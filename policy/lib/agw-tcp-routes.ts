/**
 * TCPRoutes and TLSRoutes on an agentgateway Gateway, and the only authorization agentgateway
 * v1.4.1 runs on them. A listener of protocol TCP takes TCPRoutes, TLS takes TLSRoutes (and
 * TCPRoutes when it terminates) (controller translator/conditions.go GenerateSupportedKinds,
 * listener-routes.ts); their connections go through proxy/tcpproxy.rs, which applies the
 * listener's frontend policies and, of authorization, `networkAuthorization` alone: no
 * traffic.authorization, jwtAuthentication nor any other traffic policy of the Gateway, listener or
 * route. The proxy reads the frontend policies of the listener (a Gateway targetRef naming it by
 * sectionName), the ListenerSet listener, the ListenerSet, the Gateway's port and the Gateway
 * (store/binds.rs listener_frontend_policies, set_if_empty); the controller
 * turns each matchExpression of `frontend.networkAuthorization` into a rule of its action
 * (plugins/frontend_policies.go translateFrontendNetworkAuthorization), any matching Allow rule
 * allowing and every Require rule required, as for traffic.authorization; the proxy runs the rule
 * sets of every level together (set_if_empty appends networkAuthorization rather than taking the
 * first: any Deny denies, every Require must hold, any Allow admits). The same policy guards
 * HTTP listeners too (httpNetworkGuards), where the proxy looks up only the Gateway port's and the
 * Gateway's. A route reaches a Service by a backendRef to it or to an AgentgatewayBackend whose
 * static or a2a host names it, each one agentgateway resolves (reachedIn). Read by caller-verdicts.ts, and by agent-jwt.ts for
 * the public agent gateway's stream routes to backends outside the agents namespace.
 */
import type { PolicyResource } from "@pulumi/policy";
import type { GatewayProxy } from "./gateway-proxies";
import { isKind, kindName, matchesLabels, meta } from "./k8s";
import { GATEWAY_GROUP, gatewayResource, isStreamRoute } from "./gateways";
import { list, orUnknown, probe, someTri, Tri } from "./values";
import { listenersServing } from "./listener-routes";
import { listenerSetsOf, parentRefsToSet, setListenerKey } from "./listener-sets";
import { parentRefsTo } from "./agw-route-bindings";
import { hostBackendService } from "./agw-static-hosts";
import { POOL_GROUP } from "./token-limits";
import { agwRefAllowed, backendRefTarget, unrenderedBackend } from "./agw-backend-refs";
import { agwWatchesPools } from "./agentgateway-pools";

const isAgentgatewayPolicy = (type: string) => isKind(type, "agentgateway.dev", "AgentgatewayPolicy");

type Target = { group?: string; kind?: string; name?: string; sectionName?: string; port?: number; matchLabels?: Record<string, string> };

/** A listener of the Gateway serving a stream route: its shown name, its own name and port, and its ListenerSet if any. */
interface StreamListener {
  shown: string;
  name: string;
  port: unknown;
  set?: { namespace: string; name: string; labels: Record<string, string> | undefined };
}

/**
 * The listeners of the Gateway and of its ListenerSets (`sets`), keyed as servingListeners keys
 * them (a Gateway listener by its name, a ListenerSet's by setListenerKey), each with its port and
 * ListenerSet: what both a stream route's and an HTTP connection's lookup of frontend policies read.
 * Throws what this preview cannot read yet.
 */
function listenerTable(gateway: PolicyResource, sets: PolicyResource[]): Map<string, StreamListener> {
  const byKey = new Map<string, StreamListener>();
  const add = (from: PolicyResource, set?: StreamListener["set"]) => {
    for (const l of list(from.props.spec?.listeners as { name?: unknown; port?: unknown }[])) {
      if (typeof l?.name !== "string") continue;
      const shown = set ? setListenerKey(set.namespace, set.name, l.name) : l.name;
      // Gateway API keys listeners by name (the API server takes no two of one name): the first is it.
      if (!byKey.has(shown)) byKey.set(shown, { shown, name: l.name, port: l.port, set });
    }
  };
  add(gateway);
  for (const set of sets) add(set, { namespace: meta(set.props).namespace, name: meta(set.props).name, labels: orUnknown(() => ({ ...meta(set.props).labels }), undefined) });
  return byKey;
}

/** A frontend.networkAuthorization as read: the policy, its action and expressions, and its targets. */
interface NetworkAuthorization {
  namespace: string;
  name: string;
  action: string;
  expressions: string[];
  refs: Target[];
  selectors: Target[];
}

/** How specific a policy's binding to the listener is (0 most, in listener_frontend_policies' order), or undefined when it does not bind it; "unknown" while a selected object's labels are not known. `bindOnly`: an HTTP connection's lookup (frontend_policies), which takes the Gateway's port and the Gateway alone. */
function specificity(p: NetworkAuthorization, gw: Pick<GatewayProxy, "namespace" | "name" | "labels">, l: StreamListener, bindOnly = false): number | "unknown" | undefined {
  const levels: number[] = [];
  let unsure = false;
  const consider = (t: Target, byName: boolean, kind: string, name: string, labels: Record<string, string> | undefined, level: (t: Target) => number | undefined) => {
    if ((t.group ?? GATEWAY_GROUP) !== GATEWAY_GROUP || t.kind !== kind) return;
    if (byName ? t.name !== name : labels === undefined ? ((unsure = true), false) : !matchesLabels(t.matchLabels ?? {}, labels)) return;
    const at = level(t);
    if (at !== undefined) levels.push(at);
  };
  const onGateway = (t: Target) => (t.sectionName !== undefined ? (!bindOnly && t.sectionName === l.name ? 0 : undefined) : t.port !== undefined ? (t.port === l.port ? 3 : undefined) : 4);
  const onSet = (t: Target) => (t.sectionName !== undefined ? (t.sectionName === l.name ? 1 : undefined) : 2);
  for (const [targets, byName] of [[p.refs, true], [p.selectors, false]] as const) {
    for (const t of targets) {
      if (p.namespace === gw.namespace) consider(t, byName, "Gateway", gw.name, gw.labels, onGateway);
      if (l.set && !bindOnly && p.namespace === l.set.namespace) consider(t, byName, "ListenerSet", l.set.name, l.set.labels, onSet);
    }
  }
  if (levels.length > 0) return Math.min(...levels);
  return unsure ? "unknown" : undefined;
}

/** The frontend.networkAuthorization policies that may bind the Gateway's listeners; "unknown" while one is not known yet. */
function networkAuthorizations(resources: PolicyResource[], namespaces: Set<string>): NetworkAuthorization[] | "unknown" {
  const out: NetworkAuthorization[] = [];
  for (const r of resources.filter((x) => isAgentgatewayPolicy(x.type))) {
    const ns = probe(() => meta(r.props).namespace);
    if (ns.known && !namespaces.has(ns.value)) continue;
    const read = probe(() => {
      const spec = r.props.spec ?? {};
      return JSON.parse(JSON.stringify({ auth: spec.frontend?.networkAuthorization, refs: spec.targetRefs, selectors: spec.targetSelectors })) as Record<string, any>;
    });
    if (!ns.known || !read.known) return "unknown";
    const auth = read.value.auth;
    if (!auth) continue;
    out.push({ namespace: ns.value, name: meta(r.props).name, action: auth.action ?? "Allow", expressions: list(auth.policy?.matchExpressions as string[]), refs: list(read.value.refs), selectors: list(read.value.selectors) });
  }
  return out;
}

/** A stream route on the Gateway sending to a Service of `target`, with the listeners serving it. */
interface StreamRoute {
  route: PolicyResource;
  shown: string;
  /** What it sends to in `target`, as shown: `Service ns/name`, or the AgentgatewayBackend naming one. */
  reached: string[];
  listeners: StreamListener[];
}

/** The namespaces a stream route is judged for: one (its Services), or every one but `except`. */
export type StreamTarget = string | { except: string };
const inTarget = (target: StreamTarget, ns: string) => (typeof target === "string" ? ns === target : ns !== target.except);

/**
 * What of namespace `target` a stream route's rules send to: a Service (kind Service, the
 * default), an InferencePool of `target` (group inference.networking.k8s.io: the controller makes it a
 * Service of the pods its selector takes in its namespace, plugins/reference_indexes.go
 * DefaultRouteBackend, syncer/service.go InferencePoolBuilder, and the TCP proxy dials one of them
 * itself, build_service_call with no endpoint picker, which only httpproxy.rs
 * apply_inference_routing consults; where a controller watches pools, agwWatchesPools), or an AgentgatewayBackend whose `static` or `a2a` host names
 * one (or is its ClusterIP: hostBackendService). The controller
 * resolves a TCPRoute's or TLSRoute's backendRefs as an HTTPRoute's (translator/conversion.go
 * buildAgwTCPDestination, buildAgwDestination), and the TCP proxy dials a static backend's host as
 * it is (proxy/tcpproxy.rs build_backend_call, SimpleBackend::Opaque), under the gateway's own
 * identity; an mcp, ai or dynamicForwardProxy backend it refuses (types/agent.rs SimpleBackend
 * try_from: InvalidBackendType), an aws one reaches AWS, another kind is refused by the controller,
 * and so is one into another namespace no ReferenceGrant opens (agw-backend-refs.ts agwRefAllowed);
 * a Service or pool the cluster does not have (BackendNotFound: unrenderedBackend) reaches nothing.
 */
function reachedIn(r: PolicyResource, target: StreamTarget, resources: PolicyResource[]): string[] {
  const refs = list(r.props.spec?.rules as { backendRefs?: { group?: string; kind?: string; name?: string; namespace?: string }[] }[]).flatMap((rule) => list(rule?.backendRefs));
  const reached = refs.flatMap((b) => {
    // A reference agentgateway refuses (RefNotPermitted, agw-backend-refs.ts) reaches nothing: reportUnresolvedAgentRoutes names it.
    if (!agwRefAllowed(r, b, resources)) return [];
    // Its group and kind as agentgateway normalizes them (backendRefTarget), as plainToolRoutes reads them.
    const to = backendRefTarget(r, b);
    const ref = `${to.group}/${to.kind}`;
    const at = to.namespace;
    // One the cluster does not have (BackendNotFound, agw-backend-refs.ts unrenderedBackend) reaches nothing either: reportUnresolvedAgentRoutes names it.
    if (ref === "/Service") return inTarget(target, at) && !unrenderedBackend(resources, to) ? [`Service ${at}/${to.name}`] : [];
    // A pool the cluster does not have reaches nothing (unrenderedBackend: pool-existence.ts; reportUnresolvedAgentRoutes names it), nor one no controller watches (agwWatchesPools; inference-pool-epp names the release: agentgateway-pools.ts).
    if (ref === `${POOL_GROUP}/InferencePool`) return inTarget(target, at) && agwWatchesPools(resources) && !unrenderedBackend(resources, to) ? [`InferencePool ${at}/${to.name} (its pods, past its endpoint picker)`] : [];
    if (ref !== "agentgateway.dev/AgentgatewayBackend") return [];
    const host = hostBackendService(resources, at, to.name);
    return host && inTarget(target, host.service.split("/")[0]) ? [`AgentgatewayBackend ${at}/${to.name} (${host.shown}: Service ${host.service})`] : [];
  });
  return [...new Set(reached)];
}

/** The TCPRoutes and TLSRoutes on the Gateway (its listeners', its ListenerSets') sending to Services of `target` (reachedIn); "unknown" while their parents, backends or listeners are not known yet. */
function streamRoutes(resources: PolicyResource[], gw: Pick<GatewayProxy, "namespace" | "name">, target: StreamTarget): StreamRoute[] | "unknown" {
  const gateway = gatewayResource(resources, gw.namespace, gw.name);
  if (!gateway) return [];
  const sets = listenerSetsOf(gateway, resources);
  if (sets.some((s) => s.attaches === "unknown")) return "unknown";
  const out: StreamRoute[] = [];
  // Read once a route needs it, so listeners not known yet hold up only a Gateway with stream routes to `target`.
  let table: Map<string, StreamListener> | undefined;
  const listener = (key: string, name: string, set?: StreamListener["set"]) => (table ??= listenerTable(gateway, sets.map((s) => s.set))).get(key) ?? { shown: key, name, port: undefined, set };
  for (const r of resources.filter((x) => isStreamRoute(x.type))) {
    const read = probe(() => {
      const reached = reachedIn(r, target, resources);
      if (reached.length === 0) return undefined;
      const listeners: StreamListener[] | "unknown" = [];
      const own = listenersServing(gateway, r, parentRefsTo(r, gw), resources);
      if (own === "unknown") return "unknown";
      listeners.push(...(own ?? []).map((name) => listener(name, name)));
      for (const { set } of sets) {
        const on = listenersServing(set, r, parentRefsToSet(r, set), resources);
        if (on === "unknown") return "unknown";
        const { namespace, name } = meta(set.props);
        listeners.push(...(on ?? []).map((l) => listener(setListenerKey(namespace, name, l), l, { namespace, name, labels: orUnknown(() => ({ ...meta(set.props).labels }), undefined) })));
      }
      return { route: r, shown: `${kindName(r.type)} ${meta(r.props).namespace}/${meta(r.props).name}`, reached, listeners };
    });
    if (!read.known || read.value === "unknown") return "unknown";
    if (read.value && read.value.listeners.length > 0) out.push(read.value);
  }
  return out;
}

/** The policies whose networkAuthorization the proxy runs for the listener: those of every level binding it, whose rule sets it merges (store/binds.rs set_if_empty appends each to the set); "unknown" while a selected object's labels are not known. */
function decidingAt(auths: NetworkAuthorization[], gw: Pick<GatewayProxy, "namespace" | "name" | "labels">, l: StreamListener, bindOnly = false): NetworkAuthorization[] | "unknown" {
  const levels = auths.map((a) => ({ a, at: specificity(a, gw, l, bindOnly) }));
  if (levels.some((x) => x.at === "unknown")) return "unknown";
  return levels.filter((x) => typeof x.at === "number").map((x) => x.a);
}

/**
 * Whether the deciding networkAuthorization admits only callers `restricts` holds to (true), which
 * kind of its rules is not known yet to, or its Allow rules that let others in (none: no Allow or
 * Require rule restricts). Every Require rule must hold and any Allow rule admits (Deny rules only narrow).
 */
function judge(deciding: NetworkAuthorization[], restricts: (expr: string) => Tri): true | { unknown: "Require" | "Allow" } | { open: string[] } {
  const required = someTri(deciding, (a) => a.action === "Require" && someTri(a.expressions, restricts));
  if (required === true) return true;
  if (required === "unknown") return { unknown: "Require" };
  const allows = deciding.filter((a) => a.action === "Allow").flatMap((a) => a.expressions.map((e) => ({ a, e, restricted: restricts(e) })));
  const open = allows.filter((x) => x.restricted === false).map(({ a, e }) => `AgentgatewayPolicy ${a.namespace}/${a.name} frontend.networkAuthorization allows ${JSON.stringify(e)}`);
  if (open.length > 0 || allows.length === 0) return { open };
  return allows.some((x) => x.restricted === "unknown") ? { unknown: "Allow" } : true;
}

/**
 * Which of the Gateway's HTTP listeners (as `servingListeners` keys them: a Gateway listener by its
 * name, a ListenerSet's by setListenerKey) a frontend.networkAuthorization admitting only callers
 * `restricts` holds to guards: agentgateway v1.4.1 runs it on each HTTP connection before any
 * request (proxy/gateway.rs `proxy`), on the `source` traffic.authorization reads too (the
 * HBONE/mTLS peer's identity), taking an HTTP connection's frontend policies from its bind, the
 * Gateway's port then the Gateway (`frontend_policies_for_bind`, store/binds.rs
 * `frontend_policies`, rule sets merged), never a listener's or a ListenerSet's. Tri per key (of `keysOf`, read only
 * where needed), with a note naming the policies aimed at the listener that it does not read; undefined where no
 * AgentgatewayPolicy of the Gateway's namespace sets networkAuthorization; "unknown" while not known yet.
 */
export function httpNetworkGuards(resources: PolicyResource[], gw: Pick<GatewayProxy, "namespace" | "name" | "labels">, keysOf: () => string[] | "unknown", restricts: (expr: string) => Tri): { guards: Map<string, Tri>; notes: Map<string, string> } | "unknown" | undefined {
  const auths = networkAuthorizations(resources, new Set([gw.namespace]));
  if (auths === "unknown") return "unknown";
  if (auths.length === 0) return undefined;
  const keys = keysOf();
  if (keys === "unknown") return "unknown";
  const gateway = gatewayResource(resources, gw.namespace, gw.name);
  const read = probe(() => (gateway ? listenerTable(gateway, listenerSetsOf(gateway, resources).map((s) => s.set)) : new Map<string, StreamListener>()));
  if (!read.known) return "unknown";
  const guards = new Map<string, Tri>();
  const notes = new Map<string, string>();
  for (const key of keys) {
    const l = read.value.get(key) ?? { shown: key, name: key, port: undefined };
    const deciding = decidingAt(auths, gw, l, true);
    const judged = deciding === "unknown" || deciding.length === 0 ? deciding : judge(deciding, restricts);
    guards.set(key, judged === true ? true : judged === "unknown" || (typeof judged === "object" && "unknown" in judged) ? "unknown" : false);
    // Named, so the reader sees why a networkAuthorization aimed at the listener guards nothing there.
    const unread = auths.filter((a) => typeof specificity(a, gw, l) === "number" && specificity(a, gw, l, true) === undefined).map((a) => `AgentgatewayPolicy ${a.namespace}/${a.name}`);
    if (unread.length > 0) notes.set(key, ` (the frontend.networkAuthorization of ${unread.join(", ")} targets the listener or its ListenerSet, which agentgateway v1.4.1 does not look up for an HTTP connection: it runs the Gateway port's and the Gateway's)`);
  }
  return { guards, notes };
}

/**
 * Why the Gateway's TCPRoutes and TLSRoutes to Services of `target` let in callers `restricts`
 * does not hold to (a string), undefined when each listener serving one admits only such callers
 * by its frontend.networkAuthorization, or what this preview cannot know yet. `restricts` says
 * whether a CEL expression pins the caller to identities the call graph allows into `target`;
 * `callers` names who gets in otherwise, for the message.
 */
export function streamRouteProblem(resources: PolicyResource[], gw: Pick<GatewayProxy, "namespace" | "name" | "labels">, target: StreamTarget, restricts: (expr: string) => Tri, callers: string): string | undefined | { unknown: string } {
  const where = `Gateway ${gw.namespace}/${gw.name}`;
  const routes = streamRoutes(resources, gw, target);
  if (routes === "unknown") return { unknown: `the TCPRoutes and TLSRoutes on ${where}, the backends they send to (an IP host: whose pod or Service it is) and the listeners serving them` };
  if (routes.length === 0) return undefined;
  const namespaces = new Set([gw.namespace, ...routes.flatMap((r) => r.listeners.flatMap((l) => (l.set ? [l.set.namespace] : [])))]);
  const auths = networkAuthorizations(resources, namespaces);
  if (auths === "unknown") return { unknown: `the AgentgatewayPolicies that may set frontend.networkAuthorization on ${where}` };
  const bypass = "agentgateway v1.4.1 runs no traffic.authorization or jwtAuthentication on a TCP or TLS route, only the listener's frontend.networkAuthorization (proxy/tcpproxy.rs)";
  const undecided: string[] = [];
  for (const { shown, reached, listeners } of routes) {
    for (const l of listeners) {
      const what = `${shown} on ${where} listener ${l.shown} sends connections to ${reached.join(", ")}, and ${bypass}`;
      const deciding = decidingAt(auths, gw, l);
      if (deciding === "unknown") {
        undecided.push(`the labels of the objects AgentgatewayPolicies select, which decide the frontend.networkAuthorization of ${where} listener ${l.shown}`);
        continue;
      }
      if (deciding.length === 0) return `${what}, and no AgentgatewayPolicy frontend.networkAuthorization reaching that listener restricts its callers, so ${callers}`;
      const judged = judge(deciding, restricts);
      if (judged === true) continue;
      if ("unknown" in judged) {
        undecided.push(`whether the ${judged.unknown} rules of the frontend.networkAuthorization on ${where} listener ${l.shown} restrict its callers`);
        continue;
      }
      if (judged.open.length > 0) return `${what}; ${judged.open.join("; ")}, which does not restrict callers to them, so ${callers}`;
      return `${what}, and the frontend.networkAuthorization reaching that listener (${deciding.map((a) => `AgentgatewayPolicy ${a.namespace}/${a.name}`).join(", ")}) has no Allow or Require rule restricting its callers, so ${callers}`;
    }
  }
  return undecided.length > 0 ? { unknown: undecided.join("; ") } : undefined;
}
