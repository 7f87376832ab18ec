/**
 * What the agent-call-graph rule reads of one cluster: ALLOW policies and the callers their rules
 * name, workloads, Services and their waypoint enrolment, gateway proxies, and the agentgateway
 * authorization that reaches a proxy. Pure reads; the verdicts are the rule's.
 */
import type { PolicyResource } from "@pulumi/policy";
import { actionOf, AuthzSpec, targetRefsOf } from "./authz";
import { gatewayProxiesSharing, GatewayProxy, gatewaysOfUnknownClass } from "./gateway-proxies";
import { istioRootNamespaces } from "./istio";
import { isAuthorizationPolicy, isWorkload, matchesLabels, meta, podMetadata, podServiceAccount, podSpecOf, T } from "./k8s";
import { GATEWAY_GROUP } from "./gateways";
import { orUnknown, Probe, probe, someTri, tri, Tri } from "./values";
import { isDryRun, selectorBindsNothing } from "./ztunnel";

export interface Config {
  /** Namespace of the agents and of the gateway in front of them. */
  agentsNamespace: string;
  /** Namespace of the MCP tool services. */
  toolsNamespace: string;
  /** `namespace/serviceAccount` of the agent gateway's proxy: the one caller agents admit. */
  agentGateway: string;
  /**
   * Further callers allowed per target namespace: `namespace/serviceAccount` (e.g. a batch job
   * calling tools), or `<field>:<value>` for a source naming callers by place (`namespaces:batch`,
   * `ipBlocks:10.0.0.0/8`, `trustDomains:…`, `remoteIpBlocks:…`, `requestPrincipals:…`).
   */
  extraCallers: Record<string, string[]>;
  /** Istio's root namespace: its policies apply in every namespace, the agents' and tools' included. */
  rootNamespace: string;
  /** Whether the agent gateway, reachable from outside the cluster, must reject callers without a valid JWT (lib/agent-jwt.ts). */
  requireAgentJwt: boolean;
}
export const defaults: Config = { agentsNamespace: "agents", toolsNamespace: "tools", agentGateway: "agents/agent-gateway", extraCallers: {}, rootNamespace: "istio-system", requireAgentJwt: true };

const USE_WAYPOINT = "istio.io/use-waypoint";
const USE_WAYPOINT_NAMESPACE = "istio.io/use-waypoint-namespace";
export const WAYPOINT_FOR = "istio.io/waypoint-for";

export interface Workload {
  namespace: string;
  /** Pod labels; undefined while unknown (then every selector is assumed to match). */
  labels: Record<string, string> | undefined;
}
export interface ServiceInfo {
  namespace: string;
  name: string;
  /** undefined while unknown (then its waypoint enrolment is not known). */
  labels: Record<string, string> | undefined;
  /** undefined while unknown (then which pods it selects is not known). */
  selector: Record<string, string> | null | undefined;
}
/** A workload a policy may bind: surely, or "unknown" while a selector or labels are not known. */
export interface Bound {
  w: Workload;
  bound: Tri;
}
export interface Allow {
  r: PolicyResource;
  namespace: string;
  name: string;
  spec: AuthzSpec;
  /** `istio.io/dry-run`: enforced nowhere (Envoy builds shadow rules), so it guards nothing. */
  dryRun: Tri;
}

/** What one cluster holds that the call graph reads. */
export interface Graph {
  config: Config;
  /** Istio's root namespaces on the cluster: istiod's meshConfig.rootNamespace (else `config.rootNamespace` without istiod). */
  roots: string[];
  /** istiod releases whose root namespace this preview cannot read yet. */
  unknownRoots: string[];
  resources: PolicyResource[];
  proxies: Map<string, GatewayProxy>;
  /** Every Gateway's proxy by identity, the holder (`proxies`) first: Gateways sharing one account each forward as it. */
  sharing: Map<string, GatewayProxy[]>;
  allows: Allow[];
  /** Namespaces holding an AuthorizationPolicy this preview cannot read yet. */
  unreadPolicies: Set<string>;
  /** The AuthorizationPolicies this preview cannot read yet, by namespace (undefined: its namespace is not known either). */
  unread: { namespace: string | undefined; name: string }[];
  /** Gateways whose class is not known yet: their proxies' identities are not known either. */
  unknownClass: { namespace: string; name: string }[];
  workloads: Workload[];
  services: ServiceInfo[];
  /** A namespace's labels; undefined while unknown. */
  namespaceLabels: Map<string, Record<string, string> | undefined>;
  /** Verdicts that depend only on the cluster (a guard, the MCP gateway's authorization), computed once. */
  memo: Map<string, unknown>;
  /** Agent identities (`namespace/serviceAccount`) whose workloads run on other clusters of the stack, not this one: by those clusters. */
  remoteAgents: Map<string, string[]>;
}

export function once<V>(g: Graph, key: string, compute: () => V): V {
  if (!g.memo.has(key)) g.memo.set(key, compute());
  return g.memo.get(key) as V;
}

/** The waypoint (`namespace/name`) labels enroll an object with, "none" for an opt-out, undefined when they say nothing. */
function useWaypoint(labels: Record<string, string>, defaultNamespace: string): string | undefined {
  const name = labels[USE_WAYPOINT];
  if (name === undefined) return undefined;
  return name === "none" ? "none" : `${labels[USE_WAYPOINT_NAMESPACE] ?? defaultNamespace}/${name}`;
}

/**
 * The waypoint (`namespace/name`) an object is enrolled with, or undefined: the object's own label
 * wins, then its namespace's (Istio 1.30.3 ambient/waypoints.go fetchWaypointForTarget). Not known
 * while labels it depends on are not.
 */
export function enrolledWaypoint(g: Graph, labels: Record<string, string> | undefined, namespace: string): Probe<string | undefined> {
  if (labels === undefined) return { known: false };
  const own = useWaypoint(labels, namespace);
  if (own === undefined) {
    if (g.namespaceLabels.has(namespace) && g.namespaceLabels.get(namespace) === undefined) return { known: false };
    const chosen = useWaypoint(g.namespaceLabels.get(namespace) ?? {}, namespace);
    return { known: true, value: chosen === "none" ? undefined : chosen };
  }
  return { known: true, value: own === "none" ? undefined : own };
}

/** Whether an object is enrolled with the waypoint `key` (`namespace/name`). */
export const enrolledWith = (g: Graph, labels: Record<string, string> | undefined, namespace: string, key: string): Tri => {
  const w = enrolledWaypoint(g, labels, namespace);
  return w.known ? w.value === key : "unknown";
};

/** Whether a Service selects a workload's pods (a Service without a selector, or an empty one, selects none here). */
export function selects(svc: ServiceInfo, w: Workload): Tri {
  if (svc.namespace !== w.namespace || svc.selector === null) return false;
  if (svc.selector === undefined) return "unknown";
  if (Object.keys(svc.selector).length === 0) return false;
  return w.labels === undefined ? "unknown" : matchesLabels(svc.selector, w.labels);
}

export const isServiceRef = (ref: { group?: string; kind: string }) => ref.kind === "Service" && ["", "core"].includes(ref.group ?? "");

/** Whether an ALLOW policy binds the waypoint: through a targetRef to it, or to its class from the root namespace. */
export function bindsWaypoint(p: Allow, wp: GatewayProxy, roots: string[]): boolean {
  return targetRefsOf(p.spec).some(
    (ref) =>
      ref.group === GATEWAY_GROUP &&
      ((ref.kind === "Gateway" && ref.name === wp.name && p.namespace === wp.namespace) ||
        (ref.kind === "GatewayClass" && ref.name === wp.gatewayClassName && roots.includes(p.namespace))),
  );
}

/**
 * The workloads of `target` a policy binds: by selector (or namespace-wide), or behind the Services
 * it targets; each surely or "unknown" (labels or a selector not known yet). Those it surely does
 * not bind are left out.
 */
export function boundWorkloads(g: Graph, p: Allow, target: string): Bound[] {
  const inTarget = g.workloads.filter((w) => w.namespace === target);
  const refs = targetRefsOf(p.spec);
  const all = (bound: (w: Workload) => Tri) => inTarget.map((w) => ({ w, bound: bound(w) })).filter((b) => b.bound !== false);
  if (refs.length === 0) {
    // A selector without matchLabels binds no workload (istiod attaches it to none).
    if (selectorBindsNothing(p.spec)) return [];
    const wanted = p.spec.selector?.matchLabels;
    return all((w) => (!wanted ? true : w.labels === undefined ? "unknown" : matchesLabels(wanted, w.labels)));
  }
  if (refs.every((ref) => isServiceRef(ref))) {
    const services = g.services.filter((s) => s.namespace === p.namespace && refs.some((ref) => ref.name === s.name));
    return all((w) => someTri(services, (s) => selects(s, w)));
  }
  return all(() => true);
}

/**
 * The namespaces of the call graph a policy binds, surely or "unknown". A root-namespace policy
 * binds every namespace without a selector, and with one the workloads it selects wherever they
 * are (Istio 1.30.3 ambient/workloads.go buildWorkloadPolicies): it is judged where its selector
 * matches.
 */
export function appliesIn(g: Graph, p: Allow): { namespace: string; applies: Tri }[] {
  const graph = [g.config.agentsNamespace, g.config.toolsNamespace];
  if (!g.roots.includes(p.namespace)) return graph.includes(p.namespace) ? [{ namespace: p.namespace, applies: true }] : [];
  if (targetRefsOf(p.spec).length > 0 || !p.spec.selector) return graph.map((namespace) => ({ namespace, applies: true }));
  return graph.map((namespace) => ({ namespace, applies: someTri(boundWorkloads(g, p, namespace), (b) => b.bound) })).filter((a) => a.applies !== false);
}

/** The mesh identity (`namespace/serviceAccount`) a workload's pods run as: its ServiceAccount (or the deprecated alias), `default` when unnamed. Throws while not known. */
export function workloadIdentity(r: PolicyResource): string {
  return `${meta(r.props).namespace}/${podServiceAccount(podSpecOf(r.type, r.props))}`;
}

/** The identities the workloads of the agents namespace run as; undefined while one is not known. */
export function agentIdentities(resources: PolicyResource[], agentsNamespace: string): Set<string> | undefined {
  const out = new Set<string>();
  for (const r of resources.filter((x) => isWorkload(x.type))) {
    const read = probe(() => (meta(r.props).namespace === agentsNamespace ? workloadIdentity(r) : undefined));
    if (!read.known) return undefined;
    if (read.value) out.add(read.value);
  }
  return out;
}

/** The agent identities other clusters run and `cluster` does not, by those clusters (none while this cluster's are not known). */
export function remoteAgents(cluster: string, agentsOf: Map<string, Set<string> | undefined>): Map<string, string[]> {
  const local = agentsOf.get(cluster);
  const out = new Map<string, string[]>();
  if (!local) return out;
  for (const [other, ids] of agentsOf) {
    for (const id of other === cluster ? [] : [...(ids ?? [])].filter((x) => !local.has(x))) out.set(id, [...(out.get(id) ?? []), other]);
  }
  return out;
}

export function graphOf(resources: PolicyResource[], config: Config, remoteAgents: Map<string, string[]> = new Map()): Graph {
  const allows: Allow[] = [];
  const unreadPolicies = new Set<string>();
  const unread: Graph["unread"] = [];
  for (const r of resources.filter((x) => isAuthorizationPolicy(x.type))) {
    const read = probe(() => JSON.parse(JSON.stringify(r.props.spec ?? {})) as AuthzSpec);
    const namespace = probe(() => meta(r.props).namespace);
    const name = orUnknown(() => meta(r.props).name, r.name);
    if (!read.known || !namespace.known) {
      if (namespace.known) unreadPolicies.add(namespace.value);
      unread.push({ namespace: namespace.known ? namespace.value : undefined, name });
    } else if (actionOf(read.value) === "ALLOW") allows.push({ r, namespace: namespace.value, name, spec: read.value, dryRun: tri(() => isDryRun(r.props)) });
  }
  // Labels copied whole: one value not known yet makes them all unknown.
  const labelsOf = (read: () => Record<string, string> | undefined) => orUnknown(() => ({ ...(read() ?? {}) }), undefined);
  // Policies in Istio's root namespace bind every namespace; istiod's values say which it is.
  const { roots, unknown: unknownRoots } = istioRootNamespaces(resources, config.rootNamespace);
  const sharing = gatewayProxiesSharing(resources);
  return {
    config,
    roots: roots.map((r) => r.namespace),
    unknownRoots,
    resources,
    proxies: new Map([...sharing].map(([id, ps]) => [id, ps[0]])),
    sharing,
    allows,
    unreadPolicies,
    unread,
    unknownClass: gatewaysOfUnknownClass(resources),
    workloads: resources.filter((r) => isWorkload(r.type)).map((r) => ({ namespace: meta(r.props).namespace, labels: labelsOf(() => podMetadata(r.type, r.props).labels) })),
    services: resources
      .filter((r) => r.type === T.service)
      .map((r) => ({
        namespace: meta(r.props).namespace,
        name: meta(r.props).name,
        labels: labelsOf(() => meta(r.props).labels),
        selector: orUnknown(() => (r.props.spec?.selector ? { ...r.props.spec.selector } : null), undefined),
      })),
    memo: new Map(),
    remoteAgents,
    namespaceLabels: new Map(resources.filter((r) => r.type === T.namespace).map((r) => [meta(r.props).name, labelsOf(() => meta(r.props).labels)])),
  };
}
