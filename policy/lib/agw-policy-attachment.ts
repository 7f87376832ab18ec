/**
 * Whether an AgentgatewayPolicy attaches to anything, as agentgateway v1.4.1's controller reads its
 * targets (plugins/traffic_plugin.go TranslateAgentgatewayPolicy processTarget): it sends the policy
 * to the proxies of the Gateways its targets reach, and to none where they reach nothing
 * (resolvePolicyAncestorRefs: Attached False, "not found" or "not attached to any Gateway").
 *
 * - A Gateway, a listener of it or of its ListenerSets, a route it serves or a rule of one
 *   (reference_indexes.go LookupGatewaysForTarget): agw-route-bindings.ts policyPlacement, as the
 *   authorization merge reads it.
 * - A backend (an AgentgatewayBackend, a Service, an InferencePool: IsBackendLikeTarget) reaches the
 *   Gateways found by LookupGatewaysForBackend: those serving a route whose backendRef names it
 *   (translator/route_collections.go extractAncestorBackends, keyed by kind, namespace and name; a
 *   delegated child's too), and, through PolicyAttachments, those an AgentgatewayBackend reaches
 *   whose own policies, AI providers or static MCP targets' policies name it
 *   (syncer/backend/backend_plugin.go BuildAgwBackendReferences), or an AgentgatewayPolicy attached
 *   to something whose backendRefs name it (traffic_plugin.go BackendReferencesFromPolicy; one into
 *   another namespace only where the controller takes it, referencedBackendsFromPolicy
 *   checkBackendRefGrant: agw-backend-refs.ts agwPolicyRefAllowed), each read only in the fields the
 *   controller resolves (agw-policy-backend-fields.ts). A backend
 *   the cluster surely lacks (agw-backend-refs.ts unrenderedBackend) reaches nothing.
 *
 * A target the stack does not render reaches nothing where the stack creates its namespace and
 * installs no Helm release there (as unrenderedBackend takes a backend there as absent); elsewhere
 * one made outside the stack may exist: "unknown", as where a selected object's labels, a route's
 * parents or a Gateway's class are not known yet.
 */
import type { PolicyResource } from "@pulumi/policy";
import type { Graph } from "./call-graph";
import { isKind, matchesLabels, meta, T } from "./k8s";
import { agwPolicyRefAllowed, backendRefTarget, heldWhole, unrenderedBackend } from "./agw-backend-refs";
import { backendRefFields, policyRefFields } from "./agw-policy-backend-fields";
import { gatewayPlacement, mayBindOn, policyPlacement, policyTargets, servedByGateways, type GatewayPlacement, type PolicyTargets } from "./agw-route-bindings";
import { gatewaysOfUnknownClass } from "./gateway-proxies";
import { GATEWAY_GROUP, isRoute, isStreamRoute } from "./gateways";
import { POOL_GROUP } from "./token-limits";
import { list, orUnknown, probe, type Tri } from "./values";

const GROUP = "agentgateway.dev";

/** The targets agentgateway v1.4.1 reads as backends (reference_indexes.go PolicyTargets, IsBackendLikeTarget; an InferencePool as its Service). */
export const backendLike = (t: { group?: string; kind: string }) =>
  (t.group === "" && t.kind === "Service") || (t.group === GROUP && t.kind === "AgentgatewayBackend") || (t.group === POOL_GROUP && t.kind === "InferencePool");

/** The cluster's agentgateway Gateways and those whose class is not known yet (`maybe`: one may be agentgateway's), each with where policies bind on it. */
export interface AttachContext {
  resources: PolicyResource[];
  on: { p: GatewayPlacement | "unknown"; maybe: boolean }[];
}

export function attachContext(g: Graph): AttachContext {
  const agw = [...g.sharing.values()].flat().filter((p) => p.byAgentgateway);
  // Whatever such a Gateway binds may be agentgateway's or not: can't judge (its labels need not be read).
  const unsure = gatewaysOfUnknownClass(g.resources).map((x) => ({ ...x, labels: undefined }));
  const on = [...agw.map((gw) => ({ gw, maybe: false })), ...unsure.map((gw) => ({ gw, maybe: true }))].map(({ gw, maybe }) => ({ p: gatewayPlacement(g.resources, gw), maybe }));
  return { resources: g.resources, on };
}

/** A Tri folded over: true as soon as one is true, else "unknown" if one is. */
const any = (xs: Iterable<() => Tri>): Tri => {
  let unsure = false;
  for (const x of xs) {
    const v = probe(x);
    if (v.known && v.value === true) return true;
    if (!v.known || v.value === "unknown") unsure = true;
  }
  return unsure ? "unknown" : false;
};

type Backend = { kind: string; namespace: string; name: string };

/** Whether `r`'s backendRef `ref` names backend `b` (keyed, as the controller keys it, by kind, namespace and name). */
const names = (r: PolicyResource, ref: unknown, b: Backend) => {
  if (ref === null || typeof ref !== "object") return false;
  const to = backendRefTarget(r, ref);
  return to.kind === b.kind && to.namespace === b.namespace && to.name === b.name;
};

const routeRefs = (r: PolicyResource) => list(r.props.spec?.rules as { backendRefs?: unknown[] }[]).flatMap((rule) => list(rule?.backendRefs));

/** Whether a Gateway the policy may reach serves a route to backend `b`, or (by PolicyAttachments) an attached object names it; see the header. */
function reachesBackend(c: AttachContext, b: Backend, seen: Set<string>): Tri {
  const key = `${b.kind}/${b.namespace}/${b.name}`;
  if (seen.has(key)) return false;
  seen.add(key);
  const group = b.kind === "Service" ? "" : b.kind === "InferencePool" ? POOL_GROUP : GROUP;
  if (unrenderedBackend(c.resources, { group, ...b })) return false;
  // Whether an object's backendRefs name it: "unknown" while they are not known yet.
  const naming = (r: PolicyResource, refs: () => unknown[]): Tri => orUnknown(() => refs().some((ref) => names(r, ref, b)), "unknown");
  const routes = c.resources.filter((r) => isRoute(r.type) || isStreamRoute(r.type)).map((r) => ({ r, to: naming(r, () => routeRefs(r)) }));
  const toB = routes.filter((x) => x.to !== false);
  const viaRoutes = c.on.map(({ p, maybe }) => (): Tri => {
    if (p === "unknown") return "unknown";
    const served = (x: (typeof toB)[number]): Tri => (isStreamRoute(x.r.type) ? servedByGateways(x.r, [p.gw], c.resources) : p.on.routes.includes(x.r) || (p.on.undecided.size > 0 ? "unknown" : false));
    const reached = any(toB.map((x) => () => (x.to === true ? served(x) : served(x) === false ? false : "unknown")));
    return reached === true && maybe ? "unknown" : reached;
  });
  const isBackend = (r: PolicyResource) => isKind(r.type, GROUP, "AgentgatewayBackend");
  const viaBackends = c.resources
    .filter(isBackend)
    .map((r) => ({ r, to: naming(r, () => backendRefFields(r.props.spec).map((x) => x.ref)) }))
    .filter((x) => x.to !== false)
    .map(({ r, to }) => () => (to === true ? reachesBackend(c, { kind: "AgentgatewayBackend", namespace: meta(r.props).namespace, name: meta(r.props).name }, seen) : "unknown"));
  const viaPolicies = c.resources
    .filter((r) => isKind(r.type, GROUP, "AgentgatewayPolicy"))
    .map((r) => ({ r, to: naming(r, () => policyRefFields(r.props.spec).map((x) => x.ref).filter((ref) => agwPolicyRefAllowed(r, ref as any, c.resources))) }))
    .filter((x) => x.to !== false)
    .map(({ r, to }) => () => (to === true ? attaches(c, policyTargets(r.props.spec?.targetRefs, r.props.spec?.targetSelectors), meta(r.props).namespace, true, seen) : "unknown"));
  return any([...viaRoutes, ...viaBackends, ...viaPolicies]);
}

const KINDS: Record<string, (type: string) => boolean> = {
  Gateway: (t) => isKind(t, GATEWAY_GROUP, "Gateway"),
  HTTPRoute: (t) => isKind(t, GATEWAY_GROUP, "HTTPRoute"),
  GRPCRoute: (t) => isKind(t, GATEWAY_GROUP, "GRPCRoute"),
  ListenerSet: (t) => isKind(t, GATEWAY_GROUP, "ListenerSet"),
  Service: (t) => t === T.service,
  AgentgatewayBackend: (t) => isKind(t, GROUP, "AgentgatewayBackend"),
  InferencePool: (t) => isKind(t, POOL_GROUP, "InferencePool"),
};

/**
 * Whether a policy of `namespace` with targets `t` attaches to anything (see the header);
 * `backends`: whether a backend-like target counts (not for a traffic section, which the proxy
 * applies on a backend only to a request it routes for that Service as its waypoint: store/binds.rs
 * route_policies RoutePath.service, http/route.rs; never to a Gateway's own callers).
 */
export function attaches(c: AttachContext, t: PolicyTargets, namespace: string, backends: boolean, seen = new Set<string>()): Tri {
  const checks: (() => Tri)[] = [];
  const rendered = (kind: string) => c.resources.filter((r) => KINDS[kind]?.(r.type) && meta(r.props).namespace === namespace);
  for (const ref of t.refs.filter((x) => backendLike(x))) if (backends) checks.push(() => reachesBackend(c, { kind: ref.kind, namespace, name: ref.name }, seen));
  for (const sel of t.selectors.filter((x) => backendLike(x))) {
    if (!backends) continue;
    for (const r of rendered(sel.kind)) {
      checks.push(() => {
        const labels = orUnknown(() => ({ ...meta(r.props).labels }) as Record<string, string>, undefined);
        if (labels === undefined) return "unknown";
        return matchesLabels(sel.matchLabels ?? {}, labels) ? reachesBackend(c, { kind: sel.kind, namespace, name: meta(r.props).name }, seen) : false;
      });
    }
  }
  // A target the stack does not render, in a namespace it does not hold whole, may be made outside it.
  const outside = t.refs.some((ref) => (backends || !backendLike(ref)) && KINDS[ref.kind] && !rendered(ref.kind).some((r) => meta(r.props).name === ref.name)) || t.selectors.some((s) => (backends || !backendLike(s)) && KINDS[s.kind]);
  if (outside) checks.push(() => (heldWhole(c.resources, namespace) ? false : "unknown"));
  for (const { p, maybe } of c.on) {
    checks.push(() => {
      if (p === "unknown") return "unknown";
      if (!mayBindOn(p, namespace)) return false;
      const placed = policyPlacement(p, t, namespace);
      if (placed === "unknown") return "unknown";
      // On a Gateway whose class is not known yet, attaching there may or may not count.
      if (placed.onGateway || placed.onSets.length > 0 || placed.bindings.length > 0) return maybe ? "unknown" : true;
      return false;
    });
  }
  return any(checks);
}
