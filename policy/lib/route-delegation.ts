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
 * turn (resolveGateways walks up to the Gateway).
 */
import type { PolicyResource } from "@pulumi/policy";
import { GATEWAY_GROUP, isKind, meta } from "./k8s";
import { list, probe } from "./values";

const isHttpRoute = (type: string) => isKind(type, GATEWAY_GROUP, "HTTPRoute");

interface Ref {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

/** The route groups a route's rules delegate to: namespace and name (`*`, a name or `key=value`). */
function delegations(r: PolicyResource): { namespace: string; name: string }[] {
  const ns = meta(r.props).namespace as string;
  return list(r.props.spec?.rules as { backendRefs?: Ref[] }[]).flatMap((rule) =>
    list(rule?.backendRefs).filter((b) => b?.group === GATEWAY_GROUP && b.kind === "HTTPRoute" && typeof b.name === "string").map((b) => ({ namespace: b.namespace ?? ns, name: b.name! })),
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

/** The HTTPRoutes `served` delegate to, directly or through other children (not those in `served`); "unknown" while a route is not known yet. */
export function delegatedRoutes(served: PolicyResource[], resources: PolicyResource[]): PolicyResource[] | "unknown" {
  const routes = resources.filter((r) => isHttpRoute(r.type));
  const out: PolicyResource[] = [];
  const queue = served.filter((r) => isHttpRoute(r.type));
  for (let i = 0; i < queue.length; i++) {
    const parent = queue[i];
    const groups = probe(() => ({ self: { namespace: meta(parent.props).namespace as string, name: meta(parent.props).name as string }, to: delegations(parent) }));
    if (!groups.known) return "unknown";
    for (const group of groups.value.to) {
      for (const child of routes.filter((c) => !served.includes(c) && !out.includes(c))) {
        const hit = probe(() => takes(child, groups.value.self, group));
        if (!hit.known) return "unknown";
        if (hit.value) {
          out.push(child);
          queue.push(child);
        }
      }
    }
  }
  return out;
}
