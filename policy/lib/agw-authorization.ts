/**
 * The agentgateway authorization (AgentgatewayPolicy traffic.authorization) that reaches a
 * Gateway's requests, and on which listeners: agentgateway v1.4.1 binds a policy whose Gateway
 * targetRef names a sectionName to that listener alone (controller
 * plugins/reference_indexes.go PolicyTargets, proxy store/binds.rs route_policies).
 */
import type { GatewayProxy } from "./gateway-proxies";
import { isKind, matchesLabels, meta } from "./k8s";
import { GATEWAY_GROUP, gatewayResource, isRoute } from "./gateways";
import { list, orUnknown, probe } from "./values";
import type { Graph } from "./call-graph";
import { listenersServing } from "./listener-routes";
import { patchesOf, patchedNote } from "./agw-policy-patches";
import { listenerSetsOf, setListenerKey, setListenersServing, SetListeners } from "./listener-sets";
import { gatewayPlacement, mayBindOn, parentRefsTo, policyPlacement, policyTargets, PolicyTargets, RouteBinding, targetsRoutes, type OnSet } from "./agw-route-bindings";

export interface AgwAuthorization {
  namespace: string;
  name: string;
  action: string;
  expressions: string[];
  onGateway: boolean;
  /** The listeners a policy on the Gateway is narrowed to by sectionName (agentgateway binds it there alone); undefined: every listener. */
  listeners?: string[];
  /** `strategy.inheritance: Override`: the proxy takes no more specific route-phase authorization after it (agw-inheritance.ts). */
  override: boolean;
  /** `traffic.phase: PreRouting`: a set of its own, run before route selection, which inheritance does not touch. */
  preRouting: boolean;
  /** ` (with AgentgatewayPolicyPatch … applied)` when patches changed the policy, for messages; else "". */
  patched: string;
  /** Where a policy not on the Gateway binds: each route (`ns/name`), whole or by a rule's sectionName (agw-inheritance.ts drops a rule's under its route's Override). */
  routes?: RouteBinding[];
}

/** What the merge reads of the Gateway: the MCP gateway's proxy, or (topology matrix) any agentgateway Gateway. */
export type AgwGateway = Pick<GatewayProxy, "namespace" | "name" | "labels">;

/** A route-phase policy on a ListenerSet, which the proxy never applies, and why (for the topology matrix). */
export interface InertAuthorization {
  auth: AgwAuthorization;
  why: string;
}

const isAgentgatewayPolicy = (type: string) => isKind(type, "agentgateway.dev", "AgentgatewayPolicy");

/**
 * The `traffic.authorization` of the AgentgatewayPolicies that reach the Gateway's requests: those
 * bound to the Gateway (or a listener of it) and to the routes attached to it. agentgateway v1.4.1
 * merges them (store/binds.rs route_policies and gateway_policies) unless a strategy.inheritance
 * Override stops the merge (agw-inheritance.ts), each matchExpression its own rule (controller
 * traffic_plugin.go TranslateAuthorization), and any matching Allow rule allows
 * (http/authorization.rs RuleSets::validate). A ListenerSet attached to the Gateway adds listeners
 * and routes of the Gateway (listener-sets.ts); a policy on the ListenerSet reaches them in the
 * PreRouting phase only (binds.rs gateway_policies; route_policies never looks one up), a
 * route-phase one there is collected in `inert` by listener, for the message. A policy on an
 * InferencePool (or Service) is read by the controller as a Service target (reference_indexes.go,
 * the pool's inference hostname), which route_policies applies only to a request routed for that
 * service as its waypoint (RoutePath.service, http/route.rs): never to the gateway's own callers,
 * so it is not read here.
 */
export function agentgatewayAuthorizations(g: Pick<Graph, "resources">, gw: AgwGateway, inert?: Map<string, string[]>, inertAuths?: InertAuthorization[]): AgwAuthorization[] | "unknown" {
  const placement = gatewayPlacement(g.resources, gw);
  if (placement === "unknown") return "unknown";
  const { viaSets } = placement;
  const out: AgwAuthorization[] = [];
  for (const r of g.resources.filter((x) => isAgentgatewayPolicy(x.type))) {
    const { namespace, name } = meta(r.props);
    // Read apart, so that a value not known in this preview elsewhere in the spec (an inline JWKS) does not hide these.
    const read = probe(() => {
      const spec = r.props.spec ?? {};
      return JSON.parse(JSON.stringify({ auth: spec.traffic?.authorization, refs: spec.targetRefs, selectors: spec.targetSelectors, phase: spec.traffic?.phase, inheritance: spec.strategy?.inheritance })) as Record<string, any>;
    });
    if (!mayBindOn(placement, namespace)) continue; // policies bind same-namespace targets only
    // A policy that may bind the gateway but is not known yet: no verdict in this preview.
    if (!read.known) return "unknown";
    const auth = read.value.auth;
    if (!auth) continue;
    const t = policyTargets(read.value.refs, read.value.selectors);
    const { refs, selectors } = t;
    // A policy on a route whose parents are not known yet may reach the gateway; so may one selecting an object whose labels are not known.
    const placed = policyPlacement(placement, t, namespace);
    if (placed === "unknown") return "unknown";
    const { onGateway, onSets, bindings } = placed;
    const onRoute = bindings.length > 0;
    const preRouting = read.value.phase === "PreRouting";
    // The CRD refuses a PreRouting policy aimed at a route: it never reaches the proxy.
    if (preRouting && targetsRoutes(t)) continue;
    // store/binds.rs route_policies never looks a ListenerSet target up: only PreRouting (gateway_policies) applies one.
    if (!preRouting && onSets.length > 0) {
      const why = (l: OnSet) => `AgentgatewayPolicy ${namespace}/${name} targets ListenerSet ${namespace}/${l.set} in the route phase, where agentgateway v1.4.1 never applies it (only a traffic.phase PreRouting one)`;
      for (const l of onSets) inert?.set(l.key, [...(inert.get(l.key) ?? []), why(l)]);
      const held = { namespace, name, action: auth.action ?? "Allow", expressions: list(auth.policy?.matchExpressions as string[]), onGateway: true, listeners: onSets.map((l) => l.key), override: read.value.inheritance === "Override", preRouting, patched: patchedNote(r) };
      inertAuths?.push({ auth: held, why: [...new Set(onSets.map(why))].join("; ") });
    }
    const onSet = preRouting && onSets.length > 0;
    if (onGateway || onRoute || onSet) {
      const narrowed = onGateway ? narrowedTo(refs, selectors, gw, viaSets) : onSet ? [] : undefined;
      const listeners = narrowed && onSet ? [...narrowed, ...onSets.map((l) => l.key).filter((l) => !narrowed.includes(l))] : narrowed;
      const override = read.value.inheritance === "Override";
      out.push({ namespace, name, action: auth.action ?? "Allow", expressions: list(auth.policy?.matchExpressions as string[]), onGateway: onGateway || onSet, ...(listeners ? { listeners } : {}), override, preRouting, patched: patchedNote(r), ...(onGateway || onSet ? {} : { routes: bindings }) });
    }
  }
  return out;
}

/**
 * The listeners a policy's Gateway targets name by sectionName, or undefined when one binds the
 * whole Gateway (controller reference_indexes.go keys a section to its listener): the Gateway's
 * listener of that name and every ListenerSet listener of that name, which agentgateway v1.4.1
 * looks up by the name alone (types/agent.rs as_listener_target_ref).
 */
function narrowedTo(refs: PolicyTargets["refs"], selectors: PolicyTargets["selectors"], gw: AgwGateway, viaSets: SetListeners): string[] | undefined {
  const sections: string[] = [];
  const bySelector = selectors.filter((s) => s.group === GATEWAY_GROUP && s.kind === "Gateway" && gw.labels !== undefined && matchesLabels(s.matchLabels ?? {}, gw.labels));
  for (const t of [...refs.filter((ref) => ref.group === GATEWAY_GROUP && ref.kind === "Gateway" && ref.name === gw.name), ...bySelector]) {
    if (typeof t.sectionName !== "string") return undefined;
    const section = t.sectionName;
    const named = [section, ...viaSets.sets.flatMap((s) => (s.listeners.includes(section) ? [setListenerKey(s.namespace, s.name, section)] : []))];
    sections.push(...named.filter((l) => !sections.includes(l)));
  }
  return sections;
}

/**
 * The listeners of the Gateway that serve routes (a parentRef without sectionName attaches to
 * every listener), or all of them where no route attaches; "unknown" while the listeners or a
 * route's parents are not known yet. Traffic another listener takes in (agentgateway's HBONE
 * listener hands each connection to the listener of its port: proxy/gateway.rs
 * serve_gateway_connect) meets the policies of the listener that serves it.
 */
export function servingListeners(g: Pick<Graph, "resources">, gw: AgwGateway): string[] | "unknown" {
  const gateway = gatewayResource(g.resources, gw.namespace, gw.name);
  const all = probe(() => list(gateway?.props.spec?.listeners as { name?: unknown }[]).flatMap((l) => (typeof l?.name === "string" ? [l.name] : [])));
  if (!all.known) return "unknown";
  if (!gateway) return all.value;
  const viaSets = setListenersServing(gateway, g.resources, isRoute);
  if (viaSets === "unknown") return "unknown";
  const serving = new Set<string>(viaSets.serving);
  for (const r of g.resources.filter((x) => isRoute(x.type))) {
    const refs = probe(() => parentRefsTo(r, gw));
    if (!refs.known) return "unknown";
    if (refs.value.length === 0) continue;
    // Only listeners whose allowedRoutes take the route serve it (an HBONE listener takes none).
    const on = listenersServing(gateway, r, refs.value, g.resources);
    if (on === "unknown") return "unknown";
    for (const l of on ?? []) serving.add(l);
  }
  return serving.size > 0 ? [...serving] : all.value;
}

/** The policies narrowed to other listeners than `listener`, named so the reader sees why they do not count there. */
export function narrowedNote(auths: AgwAuthorization[], listener: string): string {
  const elsewhere = auths.filter((a) => a.onGateway && a.listeners !== undefined && !a.listeners.includes(listener)).map((a) => `AgentgatewayPolicy ${a.namespace}/${a.name} targets only listener ${a.listeners!.join(", ")}`);
  return elsewhere.length > 0 ? ` (${elsewhere.join("; ")}: a targetRef's sectionName limits a policy to that listener)` : "";
}

/**
 * AgentgatewayPolicies whose traffic.authorization names the Gateway with a sectionName none of its
 * listeners has, nor those of the ListenerSets that may attach to it (they bind nothing), for the message; one an AgentgatewayPolicyPatch retargeted
 * there (the policy's own targetRefs did not name it) is told as that patch's doing, as patchedAway does.
 */
export function misplaced(g: Graph, gw: GatewayProxy): string {
  const gateway = gatewayResource(g.resources, gw.namespace, gw.name);
  // A ListenerSet listener is the Gateway's too, and a Gateway sectionName naming it binds it (types/agent.rs as_listener_target_ref keys by the name alone); one whose attachment is not known yet may exist.
  const ofSets = gateway ? listenerSetsOf(gateway, g.resources).flatMap(({ set }) => orUnknown(() => list(set.props.spec?.listeners as { name?: unknown }[]).map((l) => l?.name), [] as unknown[])) : [];
  const listeners = [...orUnknown(() => list(gateway?.props.spec?.listeners as { name?: unknown }[]).map((l) => l?.name), [] as unknown[]), ...ofSets];
  const sections = (spec: any) => list(spec?.targetRefs as { kind?: unknown; name?: unknown; sectionName?: unknown }[]).filter((ref) => ref?.kind === "Gateway" && ref.name === gw.name && typeof ref.sectionName === "string").map((ref) => String(ref.sectionName));
  const named = g.resources.filter((r) => isAgentgatewayPolicy(r.type) && orUnknown(() => meta(r.props).namespace === gw.namespace && !!r.props.spec?.traffic?.authorization, false)).flatMap((r) =>
    orUnknown(() => {
      const policy = `AgentgatewayPolicy ${gw.namespace}/${meta(r.props).name}`;
      const ps = patchesOf(r);
      const own = ps.length > 0 ? sections(ps[0].before.spec) : undefined;
      return sections(r.props.spec)
        .filter((s) => !listeners.includes(s))
        .map((s) => (own && !own.includes(s) ? `${ps.map((p) => p.shown).join(", ")} retargets ${policy} to sectionName ${s}, which no listener of it has` : `${policy} names sectionName ${s}, which no listener of it has`));
    }, [] as string[]),
  );
  return named.length > 0 ? ` (${named.join("; ")})` : "";
}

/** The AgentgatewayPolicyPatches that take away the traffic.authorization a policy had on the Gateway (removing it, or retargeting the policy off it), for the message. */
export function patchedAway(g: Graph, gw: GatewayProxy): string {
  const onGw = (spec: any) => !!spec?.traffic?.authorization && list(spec?.targetRefs as { kind?: unknown; name?: unknown }[]).some((ref) => ref?.kind === "Gateway" && ref.name === gw.name);
  const named = g.resources
    .filter((r) => isAgentgatewayPolicy(r.type) && patchesOf(r).length > 0 && orUnknown(() => meta(r.props).namespace === gw.namespace, false))
    .flatMap((r) =>
      orUnknown(() => {
        const ps = patchesOf(r);
        if (!onGw(ps[0].before.spec) || onGw(r.props.spec)) return [];
        const what = r.props.spec?.traffic?.authorization ? "retargets AgentgatewayPolicy" : "removes the traffic.authorization of AgentgatewayPolicy";
        return [`${ps.map((p) => p.shown).join(", ")} ${what} ${gw.namespace}/${meta(r.props).name}`];
      }, [] as string[]),
    );
  return named.length > 0 ? ` (${named.join("; ")})` : "";
}
