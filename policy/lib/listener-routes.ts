/**
 * Whether a listener of an agentgateway Gateway takes a route, as agentgateway v1.4.1's controller
 * decides it (translator/conversion.go referenceAllowed: a parentRef's port and sectionName, then
 * the hostnames, the listener's allowed namespaces, then its allowed kinds): a route it refuses is
 * not served there (Accepted false, NotAllowedByListeners or NoMatchingListenerHostname), so neither
 * the listener's policies nor the route's own reach its traffic through that listener. Istio 1.30.3
 * decides the same for its own Gateways (pilot/pkg/config/kube/gateway/conversion.go
 * referenceAllowed, namespacesFromSelector, conditions.go generateSupportedKinds).
 */
import type { PolicyResource } from "@pulumi/policy";
import { isKind, matchesSelector, meta } from "./k8s";
import { GATEWAY_GROUP } from "./gateways";
import { list, probe, tri, Tri } from "./values";

/**
 * The route kinds a listener takes (translator/conditions.go GenerateSupportedKinds): by protocol,
 * HTTP and HTTPS take HTTPRoute and GRPCRoute, TCP TCPRoute, TLS TLSRoute (and TCPRoute when it
 * terminates), HBONE none (its connections go to the listener of their port); allowedRoutes.kinds,
 * when set, narrows that list and never widens it.
 */
function acceptedKinds(l: Record<string, any>): string[] {
  // The CRD defaults a tls block's mode to Terminate; without a tls block there is no mode.
  const tlsMode = l.tls ? (l.tls.mode ?? "Terminate") : undefined;
  const byProtocol: Record<string, string[]> = { HTTP: ["HTTPRoute", "GRPCRoute"], HTTPS: ["HTTPRoute", "GRPCRoute"], TCP: ["TCPRoute"], TLS: tlsMode === "Terminate" ? ["TLSRoute", "TCPRoute"] : ["TLSRoute"] };
  const supported = byProtocol[String(l.protocol)] ?? [];
  const kinds = list(l.allowedRoutes?.kinds as { group?: string; kind?: string }[]);
  if (kinds.length === 0) return supported;
  return supported.filter((k) => kinds.some((x) => (x?.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && x?.kind === k));
}

/** How a reader takes Gateway API namespace admission where it is left unset. */
export interface Admission {
  /**
   * What an absent `from` means, the CRD's default: `Same` for a listener's allowedRoutes, `None`
   * for a Gateway's allowedListeners. A value outside the CRD's enum (refused by the API server)
   * reads as this default too.
   */
  unset: "Same" | "None";
  /** What `Selector` without a selector admits (the CRD asks for one and does not enforce it): readers differ. */
  noSelector: boolean;
}

/**
 * Whether Gateway API namespace admission (`allowedRoutes.namespaces`, `allowedListeners.namespaces`)
 * of a Gateway in `gatewayNamespace` admits namespace `ns`: `Same` only the Gateway's own, `All`
 * every one, `Selector` those whose labels, with kubernetes.io/metadata.name (the API server sets
 * it on every namespace), the selector matches. `labels` is read only for a Selector; undefined
 * (a namespace whose labels the caller cannot see) is taken as admitted.
 */
export function admitsNamespace(namespaces: { from?: unknown; selector?: Record<string, any> | null } | null | undefined, gatewayNamespace: string, ns: string, labels: () => Record<string, string> | undefined, how: Admission): boolean {
  const from = namespaces?.from ?? how.unset;
  if (from === "All") return true;
  if (from === "Selector") {
    const seen = labels();
    if (seen === undefined) return true;
    return namespaces?.selector ? matchesSelector(namespaces.selector, { ...seen, "kubernetes.io/metadata.name": ns }) : how.noSelector;
  }
  return (from === "Same" || how.unset === "Same") && ns === gatewayNamespace;
}

/**
 * Whether namespace `ns` may attach routes to the listener (conversion.go namespacesFromSelector):
 * `Same` (Gateway API's default) only the Gateway's own, `All` every one, `Selector` those whose
 * labels it matches (no selector: every one). A namespace the stack does not hold may carry labels
 * it cannot see: taken as attaching.
 */
function acceptsNamespace(l: Record<string, any>, gatewayNamespace: string, ns: string, resources: PolicyResource[]): boolean {
  const labels = () => {
    const nsObj = resources.find((r) => isKind(r.type, "core", "Namespace") && meta(r.props).name === ns);
    return nsObj ? meta(nsObj.props).labels : undefined;
  };
  return admitsNamespace(l.allowedRoutes?.namespaces, gatewayNamespace, ns, labels, { unset: "Same", noSelector: true });
}

/**
 * Whether two Gateway API hostnames overlap, as istio's host.Name.Matches decides it for both
 * controllers (agentgateway imports it): equal names, or a wildcard `*.example.com` and any name
 * ending in `.example.com` (foo.example.com, a.b.example.com, not example.com), either side; two
 * wildcards when one's suffix ends the other's. A string match, not Gateway API's label match.
 */
export function hostnamesOverlap(a: string, b: string): boolean {
  const wild = (h: string) => h.startsWith("*");
  if (wild(a) && wild(b)) return a.length < b.length ? b.slice(1).endsWith(a.slice(1)) : a.slice(1).endsWith(b.slice(1));
  if (wild(a)) return b.endsWith(a.slice(1));
  if (wild(b)) return a.endsWith(b.slice(1));
  return a === b;
}

/** The route kinds whose hostnames decide attachment: a TCPRoute has none (the controllers pass none for it). */
const withHostnames = new Set(["HTTPRoute", "GRPCRoute", "TLSRoute"]);

/**
 * Whether one of the route's hostnames overlaps the listener's: a listener without a hostname, or
 * a route without hostnames, matches every one (conversion.go referenceAllowed takes either as `*`).
 */
function matchesHostname(l: Record<string, any>, route: PolicyResource, kind: string): boolean {
  const listenerHost = l.hostname;
  if (listenerHost === undefined || listenerHost === null || !withHostnames.has(kind)) return true;
  const hostnames = list(route.props.spec?.hostnames as unknown[]);
  return hostnames.length === 0 || hostnames.some((h) => hostnamesOverlap(String(listenerHost), String(h)));
}

/** Whether listener `l` of a Gateway in `gatewayNamespace` takes `route` (its kind, namespace and hostnames); "unknown" while a value it reads is not known. */
export function listenerTakes(l: Record<string, any>, gatewayNamespace: string, route: PolicyResource, resources: PolicyResource[]): Tri {
  return tri(() => {
    const kind = route.type.split(":").pop()!;
    // Hostnames last: a listener refusing the kind or namespace decides even while they are not known.
    return acceptedKinds(l ?? {}).includes(kind) && acceptsNamespace(l ?? {}, gatewayNamespace, meta(route.props).namespace, resources) && matchesHostname(l ?? {}, route, kind);
  });
}

/**
 * Whether a parentRef selects listener `l`: its sectionName names it and its port is the
 * listener's, each where set (conversion.go referenceAllowed checks both first; the CRD: "When both
 * Port and SectionName are specified, the name and port of the selected listener must match both").
 */
export function selectsListener(ref: { sectionName?: unknown; port?: unknown }, l: Record<string, any>): boolean {
  const unset = (v: unknown) => v === undefined || v === null;
  return (unset(ref.sectionName) || ref.sectionName === l?.name) && (unset(ref.port) || ref.port === l?.port);
}

/**
 * The listeners of `gateway` that serve `route` through its parentRefs naming that Gateway (`refs`):
 * a ref's sectionName and port select the listeners of that name and port, neither every listener,
 * and each must take the route; "unknown" while the listeners or what they allow are not known;
 * null for a Gateway that lists none (the CRD requires one), whose routes are taken as attached, as
 * before allowedRoutes counted.
 */
export function listenersServing(gateway: PolicyResource, route: PolicyResource, refs: { sectionName?: unknown; port?: unknown }[], resources: PolicyResource[]): string[] | "unknown" | null {
  const read = probe(() => {
    const all = list(gateway.props.spec?.listeners as Record<string, any>[]);
    if (all.length === 0) return null;
    const gatewayNamespace = meta(gateway.props).namespace;
    const named = all.filter((l) => refs.some((ref) => selectsListener(ref, l)));
    return named.map((l) => ({ name: l?.name, takes: listenerTakes(l, gatewayNamespace, route, resources) }));
  });
  if (!read.known) return "unknown";
  if (read.value === null) return null;
  if (read.value.some((t) => t.takes === "unknown")) return "unknown";
  return read.value.flatMap((t) => (t.takes === true && typeof t.name === "string" ? [t.name] : []));
}
