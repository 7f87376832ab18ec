/**
 * Whether the agent gateway authenticates its callers. It is the fleet's front door: agents admit
 * only its proxy, so whoever it lets through reaches them (and, through its LLM routes, the
 * models). Reachable from outside the cluster, it must reject a request without a valid JWT.
 *
 * agentgateway v1.4.1 (crates/agentgateway/src/http/jwt.rs) rejects a request without a valid token
 * only in mode `Strict`; `Optional` lets a request without a token through and `Permissive` any
 * request; the AgentgatewayPolicy CRD defaults the mode to Strict. For a route, the proxy merges
 * the JWT policies of the Gateway, its listener, the route and the route's rules in that order,
 * the later replacing the earlier (store/binds.rs `route_policies`): a rule's own policy (a route
 * targetRef with the rule's name as sectionName) decides for it, else the route's, else its
 * listener's (a Gateway targetRef with the listener's name as sectionName), else the Gateway's.
 * A policy's targetRefs and targetSelectors name objects of its own namespace (the CRD's
 * LocalPolicyTargetReference), so a route of another namespace that a listener takes (allowedRoutes
 * All or Selector) is decided by the policies of that namespace, which its owners write.
 * A route is on the listeners its parentRefs select (sectionName, port) whose allowedRoutes and
 * hostname take it (listener-routes.ts); on none, it is not served. A policy with
 * `traffic.phase: PreRouting` is not merged with those: the proxy runs the listener's (else the
 * Gateway's) before it selects a route (store/binds.rs `gateway_policies`, proxy/httpproxy.rs
 * `apply_gateway_policies`; the CRD: "PreRouting and PostRouting rules do not merge together"), so
 * a Strict one there rejects a request without a valid token whatever the route's policy says.
 * A route-phase policy whose `strategy.inheritance` is `Override` locks the merge: once the proxy
 * has taken it, the more specific policies after it are skipped (store/policy.rs
 * `merge_with_inheritance`; the CRD: "this policy blocks traffic policies at more-specific
 * attachment points from being included"), so the least specific level holding one decides for
 * every route and rule below it, whatever their own policies say.
 *
 * A Strict policy still lets in any token its provider's issuer signed, whoever it was issued to,
 * when the provider lists no audiences: v1.4.1 then turns the `aud` check off (http/jwt.rs
 * `Provider::from_jwks`, `validate_aud = false`; the xDS side reads an empty list as none,
 * types/agent_xds.rs), and the CRD says "If unset, any audience is allowed". A token a shared
 * identity provider issued to any other application would open the fleet's front door.
 *
 * A listener whose HTTP connections meet a `frontend.networkAuthorization` (the Gateway port's and
 * the Gateway's, merged: agw-tcp-routes.ts httpNetworkGuards) admitting only identities the call
 * graph lets into the agents is closed all the same: v1.4.1 runs it on the connection before any
 * request (proxy/gateway.rs `proxy`), on the peer's mesh identity, which a caller from outside the
 * mesh does not have, so no one gets in without a token who could not call the agents directly.
 *
 * A TCPRoute or TLSRoute on one of its listeners gets no JWT check at all: v1.4.1's TCP proxy
 * (proxy/tcpproxy.rs) runs only the listener's networkAuthorization before it dials the backend.
 * One to a backend outside the agents namespace (the call graph judges those to agents) is
 * reported unless such a networkAuthorization guards its listener (agw-tcp-routes.ts
 * streamRouteProblem): otherwise every caller reaches that backend, tokenless, as the gateway.
 */
import type { PolicyResource } from "@pulumi/policy";
import { clusterInternal, exposingServices } from "./gateway-exposure";
import { isKind, matchesLabels, meta } from "./k8s";
import { GATEWAY_GROUP, gatewayResource, isRoute } from "./gateways";
import { list, orUnknown, probe, Tri } from "./values";
import { listenerTakes, selectsListener } from "./listener-routes";
import type { Config } from "./call-graph";
import { httpNetworkGuards, streamRouteProblem } from "./agw-tcp-routes";

const isAgentgatewayPolicy = (type: string) => isKind(type, "agentgateway.dev", "AgentgatewayPolicy");

/** A JWT authentication policy and the mode the proxy runs it in. */
interface JwtPolicy {
  name: string;
  /** Its own namespace, which its targetRefs and targetSelectors are local to. */
  namespace: string;
  mode: string;
  /** Issuers of its providers that list no audiences (any `aud` accepted). */
  anyAudience: string[];
  refs: { group?: string; kind?: string; name?: string; sectionName?: string }[];
  /** `traffic.phase: PreRouting`: run before route selection, apart from the route-phase policies. */
  preRouting: boolean;
  /** `strategy.inheritance: Override`: more specific route-phase policies do not replace it. */
  override: boolean;
}

const isStrict = (p: JwtPolicy) => p.mode === "Strict";
/** Strict, and every provider bound to audiences: only tokens issued for this gateway get through. */
const authenticates = (p: JwtPolicy) => isStrict(p) && p.anyAudience.length === 0;
const locks = (p: JwtPolicy) => (p.override && !p.preRouting ? ", strategy.inheritance Override, which the more specific policies cannot replace" : "");
const shown = (ps: JwtPolicy[]) => ps.map((p) => `${p.name} (mode ${p.mode}${locks(p)})`).join(", ");
const shownAudiences = (ps: JwtPolicy[]) => ps.map((p) => `${p.name} (${p.anyAudience.map((i) => `provider ${i}`).join(", ")}${locks(p)})`).join(", ");

/**
 * A policy's `targetSelectors` as the targetRefs they amount to: every object of the selector's
 * group and kind in the policy's namespace whose labels hold its `matchLabels`, with its
 * `sectionName` (agentgateway v1.4.1 controller/pkg/agentgateway/plugins/reference_indexes.go
 * resolves them so, same namespace only). A Strict policy bound so decides like one bound by name,
 * and so does an Optional one on a route.
 */
function selectedTargets(selectors: unknown, namespace: string, resources: PolicyResource[]): JwtPolicy["refs"] {
  return list(selectors as { group?: string; kind?: string; matchLabels?: Record<string, string>; sectionName?: string }[]).flatMap((sel) =>
    resources
      .filter((x) => isKind(x.type, String(sel?.group ?? ""), String(sel?.kind)) && meta(x.props).namespace === namespace && matchesLabels(sel?.matchLabels ?? {}, { ...meta(x.props).labels }))
      .map((x) => ({ group: sel.group, kind: sel.kind, name: meta(x.props).name, ...(typeof sel.sectionName === "string" ? { sectionName: sel.sectionName } : {}) })),
  );
}

type ParentRef = { group?: string; kind?: string; name?: string; namespace?: string; sectionName?: string; port?: number };

/** The parentRefs of a route that name the Gateway `namespace/name`. */
function parentsOn(route: PolicyResource, namespace: string, name: string): ParentRef[] {
  return list(route.props.spec?.parentRefs as ParentRef[]).filter(
    (ref) => (ref.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && (ref.kind ?? "Gateway") === "Gateway" && ref.name === name && (ref.namespace ?? meta(route.props).namespace) === namespace,
  );
}

/** The issuers of providers without audiences (an absent or empty list: both read as none). */
function anyAudienceIssuers(providers: { issuer?: unknown; audiences?: unknown }[]): string[] {
  return providers.filter((p) => list(p?.audiences as unknown[]).length === 0).map((p) => String(p?.issuer ?? "(no issuer)"));
}

/**
 * Reports each route on the agent gateway through which a caller without a valid JWT reaches
 * what the route serves, when the gateway is reachable from outside the cluster. Values this
 * run cannot read go to `pending` (can't judge during preview).
 */
export function reportAgentGatewayJwt(resources: PolicyResource[], config: Config, cluster: string, report: (message: string, urn?: string) => void, pending: string[], restricts?: (expr: string) => Tri): void {
  if (!config.requireAgentJwt) return;
  const [namespace, name] = config.agentGateway.split("/");
  const gw = gatewayResource(resources, namespace, name);
  if (!gw) return;
  const where = `agent gateway ${namespace}/${name} on cluster ${cluster}`;
  const internal: Tri = clusterInternal(gw, probe(() => gw.props.spec?.gatewayClassName as string | undefined), resources);
  if (internal === "unknown") return void pending.push(`whether the ${where} is reachable from outside the cluster`);
  const exposed = exposingServices(gw, resources).services;
  if (internal === true && exposed.length === 0) return;

  // A policy binds objects of its own namespace only: the Gateway's are in the Gateway's, a route's
  // in the route's, and a route of another namespace the Gateway's listeners take has its own.
  const routeNamespaces = new Set(resources.filter((x) => isRoute(x.type)).map((x) => orUnknown(() => (parentsOn(x, namespace, name).length > 0 ? meta(x.props).namespace : undefined), "?")));
  const policies: JwtPolicy[] = [];
  for (const r of resources.filter((x) => isAgentgatewayPolicy(x.type))) {
    const read = probe(() => {
      const jwt = r.props.spec?.traffic?.jwtAuthentication;
      const own = meta(r.props).namespace;
      if (!jwt || (own !== namespace && !routeNamespaces.has(own))) return undefined;
      const anyAudience = anyAudienceIssuers(list(jwt.providers as { issuer?: unknown; audiences?: unknown }[]));
      const refs = [...list(r.props.spec?.targetRefs as JwtPolicy["refs"]), ...selectedTargets(r.props.spec?.targetSelectors, own, resources)];
      return { name: `${own}/${meta(r.props).name}`, namespace: own, mode: String(jwt.mode ?? "Strict"), anyAudience, refs, preRouting: r.props.spec?.traffic?.phase === "PreRouting", override: r.props.spec?.strategy?.inheritance === "Override" };
    });
    if (!read.known) pending.push(`AgentgatewayPolicy ${r.name}, which may set the JWT authentication of the ${where}`);
    else if (read.value) policies.push(read.value);
  }
  // A targetRef's sectionName narrows it to one listener of a Gateway or one rule of a route.
  const targeting = (ns: string, kind: string, target: string, section?: string, preRouting = false) =>
    policies.filter((p) => p.namespace === ns && p.preRouting === preRouting && p.refs.some((ref) => (ref.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && ref.kind === kind && ref.name === target && (ref.sectionName ?? undefined) === section));
  const sectioned = policies.some((p) => p.refs.some((ref) => typeof ref.sectionName === "string"));
  const listed = probe(() => list(gw.props.spec?.listeners as Record<string, any>[]).map((l) => ({ name: String(l?.name), l })));
  // Listeners not known yet decide nothing unless a policy is narrowed to one of them.
  const byListener = policies.some((p) => p.namespace === namespace && p.refs.some((ref) => (ref.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && ref.kind === "Gateway" && ref.name === name && typeof ref.sectionName === "string"));
  if (!listed.known && byListener) return void pending.push(`the listeners of the ${where}, which decide the routes its JWT policies narrowed to a listener cover`);
  const listeners = listed.known ? listed.value : [];
  // Listeners whose networkAuthorization lets in only callers the agents admit (a route on no known listener: the Gateway's own).
  const labels = orUnknown(() => ({ ...meta(gw.props).labels }) as Record<string, string>, undefined);
  const net = restricts && httpNetworkGuards(resources, { namespace, name, labels }, () => [...listeners.map((l) => l.name), ""], restricts);
  const held = (listener?: string): Tri | undefined => (net === "unknown" ? net : net?.guards.get(listener ?? ""));
  // TCPRoutes and TLSRoutes skip the JWT altogether: only networkAuthorization guards them (those to agents: the call graph's).
  const exposure = internal === true ? ` (ClusterIP, but Service ${exposed.join(", ")} exposes it)` : " (its Service is a load balancer)";
  const streams = restricts && streamRouteProblem(resources, { namespace, name, labels }, { except: config.agentsNamespace }, restricts, "every caller reaching it gets raw connections to that backend under the gateway's identity, without a token");
  if (typeof streams === "string") report(`the ${where} is reachable from outside the cluster${exposure}: ${streams}. Guard the listener with a frontend.networkAuthorization admitting only the agents' callers, or remove the route`, gw.urn);
  else if (streams) pending.push(`${streams.unknown}, which decide whether a TCPRoute or TLSRoute on the ${where} opens a backend without a token`);

  for (const route of resources.filter((r) => isRoute(r.type))) {
    const read = probe(() => {
      const m = meta(route.props);
      const parents = parentsOn(route, namespace, name);
      // A parentRef without sectionName or port attaches to every listener of the Gateway.
      const named = listeners.filter((l) => parents.some((ref) => selectsListener(ref, l.l)));
      const rules = list(route.props.spec?.rules as { name?: unknown }[]).map((rule) => (typeof rule?.name === "string" ? rule.name : undefined));
      return parents.length > 0 ? { namespace: m.namespace, name: m.name, kind: route.type.split(":").pop()!, named, rules: rules.length > 0 ? rules : [undefined] } : undefined;
    });
    if (!read.known) {
      pending.push(`the parents of route ${route.name}, which may be on the ${where}`);
      continue;
    }
    if (!read.value) continue;
    // A listener whose allowedRoutes refuse the route's namespace or kind, or whose hostname none of the route's overlaps, does not serve it.
    const takes = read.value.named.map((l) => ({ name: l.name, takes: listenerTakes(l.l, namespace, route, resources) }));
    if (takes.some((t) => t.takes === "unknown")) {
      pending.push(`the allowedRoutes of the listeners of the ${where}, which decide whether route ${route.name} is served there`);
      continue;
    }
    const on = takes.filter((t) => t.takes === true).map((t) => t.name);
    if (listeners.length > 0 && on.length === 0) continue;
    const r = { ...read.value, listeners: on.length > 0 ? on : [undefined] };
    // For each listener the route is on and each of its rules, the most specific level with a
    // policy decides: the rule's, the route's (both from the route's namespace, where a route of
    // another namespace has its own), the listener's, the Gateway's; unless a less specific level
    // holds an Override policy.
    let open: { deciding: JwtPolicy[]; level: string; listener?: string; rule?: string } | undefined;
    let unsure = false;
    for (const listener of r.listeners) {
      if (held(listener) === true) continue;
      for (const rule of r.rules) {
        const levels: [string, JwtPolicy[]][] = [
          [`the route rule ${rule}'s`, rule !== undefined ? targeting(r.namespace, r.kind, r.name, rule) : []],
          ["the route's", targeting(r.namespace, r.kind, r.name)],
          [`the Gateway listener ${listener}'s`, listener !== undefined ? targeting(namespace, "Gateway", name, listener) : []],
          ["the Gateway's", targeting(namespace, "Gateway", name)],
        ];
        // PreRouting policies (Gateway or listener only, the CRD's rule) run first, the listener's
        // over the Gateway's, and a rejection there ends the request whatever the route's say.
        const preLevels: [string, JwtPolicy[]][] = [
          [`the Gateway listener ${listener}'s PreRouting`, listener !== undefined ? targeting(namespace, "Gateway", name, listener, true) : []],
          ["the Gateway's PreRouting", targeting(namespace, "Gateway", name, undefined, true)],
        ];
        // The least specific level with an Override policy decides through those policies; else the most specific level with any.
        const locking = [...levels].reverse().find(([, ps]) => ps.some((p) => p.override));
        const [level, deciding]: [string, JwtPolicy[]] = locking ? [locking[0], locking[1].filter((p) => p.override)] : (levels.find(([, ps]) => ps.length > 0) ?? ["", []]);
        const [preLevel, preDeciding] = preLevels.find(([, ps]) => ps.length > 0) ?? ["", []];
        const closes = (ps: JwtPolicy[]) => ps.length > 0 && ps.every(authenticates);
        if (closes(deciding) || closes(preDeciding)) continue;
        if (held(listener) === "unknown") unsure = true;
        else open ??= deciding.length === 0 && preDeciding.length > 0 ? { deciding: preDeciding, level: preLevel, listener, rule } : { deciding, level, listener, rule };
      }
    }
    if (!open) {
      if (unsure) pending.push(`whether the frontend.networkAuthorization of the ${where} admits only callers the agents admit, which decides whether route ${route.name} is open without a token`);
      continue;
    }
    // Policies narrowed to another listener or rule of this Gateway or route, named so the reader sees why they do not count.
    const elsewhere = policies.flatMap((p) =>
      p.refs
        .filter((ref) => typeof ref.sectionName === "string" && (ref.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && ((p.namespace === namespace && ref.kind === "Gateway" && ref.name === name) || (p.namespace === r.namespace && ref.kind === r.kind && ref.name === r.name)))
        .map((ref) => `${p.name} targets only ${ref.kind === "Gateway" ? "listener" : "rule"} ${ref.sectionName}`),
    );
    const at = sectioned
      ? ` on listener ${open.listener ?? "(none)"}${open.rule !== undefined ? `, rule ${open.rule}` : ""} (${elsewhere.length > 0 && open.deciding.length === 0 ? `${[...new Set(elsewhere)].join(", ")}: ` : ""}a targetRef's sectionName limits a policy to that listener or rule)`
      : "";
    const audienceOnly = open.deciding.length > 0 && open.deciding.every(isStrict);
    const why =
      open.deciding.length === 0
        ? `no AgentgatewayPolicy with traffic.jwtAuthentication targets the Gateway or the route${at}`
        : audienceOnly
          ? `${open.level} JWT authentication ${shownAudiences(open.deciding.filter((p) => !authenticates(p)))} lists no audiences${at}, and agentgateway v1.4.1 then skips the aud check`
          : `${open.level} JWT authentication ${shown(open.deciding.filter((p) => !isStrict(p)))} is not Strict${at}, and agentgateway lets a request without a valid token through in any other mode`;
    const unread = net && net !== "unknown" ? (net.notes.get(open.listener ?? "") ?? "") : "";
    const who = audienceOnly ? "every holder of a token that issuer signed for any application reaches what the route serves" : "every caller reaches what the route serves without a token";
    report(
      `${r.kind} ${r.namespace}/${r.name} is served by the ${where}, which is reachable from outside the cluster${exposure}, and ${why}${unread}: ${who}. Target the Gateway with an AgentgatewayPolicy whose traffic.jwtAuthentication mode is Strict and whose every provider lists the gateway's audiences (or set requireAgentJwt false where the gateway is meant to be open)`,
      route.urn,
    );
  }
}
