/**
 * HTTPRoute delegation as agentgateway v1.4.1's controller reads it
 * (controller/pkg/agentgateway/translator/route_collections.go, conversion.go): a rule's backendRef
 * of group gateway.networking.k8s.io and kind HTTPRoute (the group must be written: an empty one is
 * the core group) hands the request on to the HTTPRoutes of the backendRef's namespace (the
 * parent's by default) that it names: by name, `*` for all of them, or `key=value` for those
 * labelled so (routeMatchesRouteGroup). A child is an HTTPRoute with no parentRefs, or with one
 * naming an HTTPRoute (isDelegatedChildHTTPRoute); where it names HTTPRoutes, the parent must be one
 * of them (childAllowsParent). Its rules run on the parent's Gateway, and the proxy applies the
 * policies of every route on the chain (proxy/httpproxy.rs select_route_chain, store/binds.rs
 * route_policies), so a policy on the child reaches the parent's Gateway. A child may delegate in
 * turn (resolveGateways walks up to the Gateway). The proxy walks the chain parent first
 * (select_route_chain pushes each child after its parent) and route_policies collects each route's
 * policies, then its rule's, in that order, so an Override on a parent (or on its delegating rule)
 * drops the children's authorization (agw-inheritance.ts); the parents are kept for that.
 */
import type { PolicyResource } from "@pulumi/policy";
import { isKind, meta } from "./k8s";
import { GATEWAY_GROUP } from "./gateways";
import { list, probe } from "./values";

const isHttpRoute = (type: string) => isKind(type, GATEWAY_GROUP, "HTTPRoute");

interface Ref {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

/** The route groups a route's rules delegate to: namespace and name (`*`, a name or `key=value`), with the delegating rule's name. */
function delegations(r: PolicyResource): { namespace: string; name: string; rule?: string }[] {
  const ns = meta(r.props).namespace as string;
  return list(r.props.spec?.rules as { name?: unknown; backendRefs?: Ref[] }[]).flatMap((rule) =>
    list(rule?.backendRefs)
      .filter((b) => b?.group === GATEWAY_GROUP && b.kind === "HTTPRoute" && typeof b.name === "string")
      .map((b) => ({ namespace: b.namespace ?? ns, name: b.name!, ...(typeof rule?.name === "string" ? { rule: rule.name } : {}) })),
  );
}

/** Whether `child` takes requests `parent` delegates to the group `name` of its namespace. */
function takes(child: PolicyResource, parent: { namespace: string; name: string }, group: { namespace: string; name: string }): boolean {
  const { namespace, name, labels } = meta(child.props);
  if (namespace !== group.namespace) return false;
  const [key, value] = group.name.includes("=") ? [group.name.slice(0, group.name.indexOf("=")), group.name.slice(group.name.indexOf("=") + 1)] : [undefined, undefined];
  if (!(group.name === "*" || group.name === name || (key !== undefined && (labels ?? {})[key] === value))) return false;
  const refs = list(child.props.spec?.parentRefs as Ref[]);
  if (refs.length === 0) return true;
  if (!refs.some((p) => p?.group === GATEWAY_GROUP && p.kind === "HTTPRoute")) return false;
  const parents = refs.filter((p) => (p?.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && p?.kind === "HTTPRoute").map((p) => `${p.namespace ?? namespace}/${p.name}`);
  return parents.includes(`${parent.namespace}/${parent.name}`);
}

/** A route delegating to a child (`ns/name`), through its rule of that name where the rule has one. */
export interface DelegatedFrom {
  route: string;
  rule?: string;
}

/** The delegated children: the routes, and for each (`ns/name`) the routes and rules handing requests to it. */
export interface Delegated {
  routes: PolicyResource[];
  parents: Map<string, DelegatedFrom[]>;
}

/** The HTTPRoutes `served` delegate to, directly or through other children (not those in `served`); "unknown" while a route is not known yet. */
export function delegatedRoutes(served: PolicyResource[], resources: PolicyResource[]): Delegated | "unknown" {
  const routes = resources.filter((r) => isHttpRoute(r.type));
  const out: Delegated = { routes: [], parents: new Map() };
  const queue = served.filter((r) => isHttpRoute(r.type));
  for (let i = 0; i < queue.length; i++) {
    const parent = queue[i];
    const groups = probe(() => ({ self: { namespace: meta(parent.props).namespace as string, name: meta(parent.props).name as string }, to: delegations(parent) }));
    if (!groups.known) return "unknown";
    const self = groups.value.self;
    for (const group of groups.value.to) {
      for (const child of routes.filter((c) => !served.includes(c))) {
        const hit = probe(() => takes(child, self, group));
        if (!hit.known) return "unknown";
        if (!hit.value) continue;
        // Every parent is kept: an Override on one of them cuts the chain through it alone (agw-inheritance.ts).
        const key = `${meta(child.props).namespace}/${meta(child.props).name}`;
        const from: DelegatedFrom = { route: `${self.namespace}/${self.name}`, ...(group.rule !== undefined ? { rule: group.rule } : {}) };
        const known = out.parents.get(key) ?? [];
        if (!known.some((f) => f.route === from.route && f.rule === from.rule)) out.parents.set(key, [...known, from]);
        if (out.routes.includes(child)) continue;
        out.routes.push(child);
        queue.push(child);
      }
    }
  }
  return out;
}

/** Each chain of delegations from a route on the Gateway down to the child `key` (`ns/name`), parent first; none for a route that is not a delegated child. */
export function delegationChains(parents: Map<string, DelegatedFrom[]>, key: string, seen: string[] = []): DelegatedFrom[][] {
  return (parents.get(key) ?? [])
    .filter((f) => f.route !== key && !seen.includes(f.route))
    .flatMap((f) => (parents.has(f.route) ? delegationChains(parents, f.route, [...seen, key]).map((c) => [...c, f]) : [[f]]));
}
