/**
 * ListenerSets attached to a Gateway (Gateway API v1.5.1 ListenerSet, or the experimental
 * XListenerSet): their listeners are the Gateway's too, served by its proxy. A ListenerSet whose
 * parentRef names the Gateway attaches when the Gateway's `allowedListeners.namespaces.from`
 * admits its namespace (`Same`, `All`, or `Selector` over the namespace's labels; absent or `None`
 * admits none). Read by gateway-listeners-tls and by the MCP gateway's authorization (agw-authorization.ts).
 */
import type { PolicyResource } from "@pulumi/policy";
import { isKind, meta } from "./k8s";
import { GATEWAY_GROUP } from "./gateways";
import { admitsNamespace, listenersServing } from "./listener-routes";
import { list, orUnknown, probe, tri, Tri } from "./values";

export const isListenerSet = (type: string) => isKind(type, GATEWAY_GROUP, "ListenerSet") || isKind(type, "gateway.networking.x-k8s.io", "XListenerSet");

/** The ListenerSets that may attach to `gw`: `attaches` true, or "unknown" while this preview cannot tell. */
export function listenerSetsOf(gw: PolicyResource, resources: PolicyResource[]): { set: PolicyResource; attaches: Tri }[] {
  const { namespace, name } = meta(gw.props);
  const labels = (ns: string) => () => {
    const nsObj = resources.find((r) => isKind(r.type, "core", "Namespace") && meta(r.props).name === ns);
    return nsObj ? meta(nsObj.props).labels : {};
  };
  const admits = (ns: string): Tri => tri(() => admitsNamespace(gw.props.spec?.allowedListeners?.namespaces, namespace, ns, labels(ns), { unset: "None", noSelector: true }));
  const out: { set: PolicyResource; attaches: Tri }[] = [];
  for (const set of resources.filter((r) => isListenerSet(r.type))) {
    const setNs = probe(() => meta(set.props).namespace);
    const attaches = tri(() => {
      const ref = set.props.spec?.parentRef ?? {};
      if (!((ref.kind ?? "Gateway") === "Gateway" && ref.name === name)) return false;
      if (!setNs.known) return "unknown";
      return (ref.namespace ?? setNs.value) === namespace ? admits(setNs.value) : false;
    });
    if (attaches !== false) out.push({ set, attaches });
  }
  return out;
}

/** `ListenerSet ns/name`, for messages. */
export const listenerSetShown = (set: PolicyResource) => `ListenerSet ${orUnknown(() => `${meta(set.props).namespace}/${meta(set.props).name}`, set.name)}`;

/** The route's parentRefs naming the ListenerSet (kind ListenerSet, its group, name and namespace). */
export function parentRefsToSet(r: PolicyResource, set: PolicyResource): { sectionName?: string; port?: number }[] {
  const { namespace, name } = meta(set.props);
  return list(r.props.spec?.parentRefs as { group?: string; kind?: string; name: string; namespace?: string; sectionName?: string; port?: number }[]).filter(
    (p) => (p.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && p.kind === "ListenerSet" && p.name === name && (p.namespace ?? meta(r.props).namespace) === namespace,
  );
}

/**
 * A ListenerSet listener as the pack keys it beside the Gateway's own listeners (keyed by their
 * bare name): agentgateway v1.4.1 names it by the parent Gateway, its own name and the ListenerSet
 * (types/agent.rs ListenerName.listener_set, set by the controller's syncer.go
 * buildListenerFromGateway), so a Gateway listener and a ListenerSet listener of one name are two
 * listeners; a policy on the ListenerSet (binds.rs as_listenerset_listener_target_ref) reaches the
 * latter alone, while a Gateway sectionName reaches both (as_listener_target_ref keys by the name).
 */
export const setListenerKey = (namespace: string, name: string, listener: string) => `${listener} of ListenerSet ${namespace}/${name}`;

/** The ListenerSets attached to the Gateway with their listeners' names, and which of those serve routes (listenersServing, as setListenerKey keys), with the routes. */
export interface SetListeners {
  sets: { set: PolicyResource; namespace: string; name: string; listeners: string[] }[];
  serving: string[];
  routes: PolicyResource[];
}

/** What the ListenerSets attached to `gw` add to it; "unknown" while an attachment, a listener or a route's parents are not known yet. */
export function setListenersServing(gw: PolicyResource, resources: PolicyResource[], isRoute: (type: string) => boolean): SetListeners | "unknown" {
  const out: SetListeners = { sets: [], serving: [], routes: [] };
  for (const { set, attaches } of listenerSetsOf(gw, resources)) {
    const read = probe(() => ({ ...meta(set.props), listeners: list(set.props.spec?.listeners as { name?: unknown }[]).flatMap((l) => (typeof l?.name === "string" ? [l.name] : [])) }));
    if (attaches === "unknown" || !read.known) return "unknown";
    out.sets.push({ set, namespace: read.value.namespace, name: read.value.name, listeners: read.value.listeners });
    for (const r of resources.filter((x) => isRoute(x.type))) {
      const refs = probe(() => parentRefsToSet(r, set));
      if (!refs.known) return "unknown";
      if (refs.value.length === 0) continue;
      const on = listenersServing(set, r, refs.value, resources);
      if (on === "unknown") return "unknown";
      if (on === null || on.length === 0) continue;
      const keys = on.map((l) => setListenerKey(read.value.namespace, read.value.name, l));
      out.serving.push(...keys.filter((l) => !out.serving.includes(l)));
      out.routes.push(r);
    }
  }
  return out;
}
