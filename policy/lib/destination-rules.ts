/**
 * Which Istio DestinationRule a proxy applies to a service, as istiod 1.30 decides it: a rule is
 * not "for" a host because its text names it, but because istiod resolves its host, indexes it by
 * namespace and exportTo, and looks it up from the proxy's namespace (pilot/pkg/model
 * push_context.go setDestinationRules / destinationRule, sidecar.go DestinationRule).
 */
import type { PolicyResource } from "@pulumi/policy";
import { cannotJudge, isDestinationRule, matchesLabels, meta } from "./k8s";
import { list } from "./values";

/** istiod's domain suffix (`--domain`, `cluster.local` unless the mesh was installed otherwise). */
export const CLUSTER_DOMAIN = "cluster.local";

/** A Kubernetes Service's name as istiod knows it: `<svc>.<ns>.svc.cluster.local`. */
export const serviceFqdn = (name: string, namespace: string) => `${name}.${namespace}.svc.${CLUSTER_DOMAIN}`;

/**
 * A DestinationRule's host as istiod resolves it (ResolveShortnameToFQDN): only a name without a
 * dot is qualified with the rule's namespace; `svc.ns` or `svc.ns.svc` stay as written and so
 * match no Kubernetes Service.
 */
export function resolvedHost(host: string, ruleNamespace: string): string {
  if (host === "" || host === "*" || /^[0-9.]+$/.test(host) || host.includes(":")) return host;
  return host.includes(".") ? host : serviceFqdn(host, ruleNamespace);
}

/** Whether a (resolved) rule host covers the service hostname: equal, or a wildcard suffix (`*` covers all). */
function covers(ruleHost: string, hostname: string): boolean {
  return ruleHost.startsWith("*") ? hostname.endsWith(ruleHost.slice(1)) : ruleHost === hostname;
}

/** Istio's host.MoreSpecific: exact names before wildcards, then longer before shorter. */
function moreSpecific(a: string, b: string): boolean {
  const aw = a.startsWith("*");
  const bw = b.startsWith("*");
  if (aw !== bw) return !aw;
  return a.length === b.length ? a < b : a.length > b.length;
}

interface Rule {
  resource: PolicyResource;
  namespace: string;
  host: string;
  /** The exportTo istiod indexes it by: a rule with a workloadSelector is private to its namespace. */
  exportTo: string[];
  selector?: Record<string, string>;
}

function ruleOf(r: PolicyResource): Rule {
  const { namespace } = meta(r.props);
  const spec = r.props.spec ?? {};
  const selector = spec.workloadSelector ? ((spec.workloadSelector.matchLabels ?? {}) as Record<string, string>) : undefined;
  return {
    resource: r,
    namespace,
    host: resolvedHost(typeof spec.host === "string" ? spec.host : "", namespace),
    exportTo: selector ? ["."] : list(spec.exportTo as string[]),
    selector,
  };
}

// An absent exportTo takes the mesh default (meshConfig.defaultDestinationRuleExportTo), which is
// `*` unless set: these helpers assume the default.
/** In the namespace-local index of its own namespace: exported there at all. */
const localToOwnNamespace = (r: Rule) => r.exportTo.length === 0 || r.exportTo.some((e) => e === "*" || e === "." || e === r.namespace);
/** Private to its namespace: exportTo `.` or its own namespace alone. */
const privateOnly = (r: Rule) => r.exportTo.length === 1 && (r.exportTo[0] === "." || r.exportTo[0] === r.namespace);
/** Exported to a client namespace from another namespace's exported index. */
const exportedTo = (r: Rule, client: string) => r.exportTo.length === 0 || r.exportTo.includes("*") || r.exportTo.includes(client);

/** MostSpecificHostMatch: the rules of the most specific host covering `hostname` (exact first). */
function mostSpecific(rules: Rule[], hostname: string): Rule[] {
  let best: string | undefined;
  for (const r of rules) if (r.host && covers(r.host, hostname) && (best === undefined || moreSpecific(r.host, best))) best = r.host;
  return best === undefined ? [] : rules.filter((r) => r.host === best);
}

/** The proxy asking: its namespace and, when known, its pod labels (for workloadSelector rules). */
export interface ProxyView {
  namespace: string;
  labels?: Record<string, string>;
  /** Label keys whose value on the proxy's pods this preview cannot know (left out of `labels`). */
  unknownLabels?: string[];
  /** The proxy, as a phrase, for a "can't judge" note. */
  what?: string;
}

/**
 * Whether a workloadSelector's labels select the proxy (istiod's labels.Instance SubsetOf: an
 * empty map selects every proxy). Throws "can't judge" where only labels not known yet decide it.
 */
function selects(selector: Record<string, string>, proxy: ProxyView): boolean {
  if (!proxy.labels) return false;
  const unsure = Object.keys(selector).filter((k) => proxy.unknownLabels?.includes(k));
  const known = Object.fromEntries(Object.entries(selector).filter(([k]) => !unsure.includes(k)));
  if (!matchesLabels(known, proxy.labels)) return false;
  if (unsure.length > 0) return cannotJudge([`whether the pods of ${proxy.what ?? "the proxy"} carry ${unsure.map((k) => `${k}=${selector[k]}`).join(", ")}`]);
  return true;
}

export interface Lookup {
  /**
   * The rules whose trafficPolicy the proxy may get for the host: the workloadSelector rules of
   * its namespace that select it, else the selector-less rules of the matched host (istiod merges
   * those and keeps the oldest one's trafficPolicy, an order a review cannot see). Empty: no rule.
   */
  rules: PolicyResource[];
  /** The rules istiod matched for the host before selecting by workload (they shadow all others). */
  matched: PolicyResource[];
}

/**
 * The DestinationRules a proxy in `proxy.namespace` applies to `hostname` (a Service in
 * `serviceNamespace`), in istiod's order: rules in the proxy's own namespace (for a proxy in the
 * root namespace, the root namespace's private rules); then rules the service's namespace exports
 * to it; then rules the root namespace exports to it. The first step with a host match wins, even
 * when none of its rules ends up applying to this proxy.
 */
export function destinationRuleFor(resources: PolicyResource[], hostname: string, serviceNamespace: string, proxy: ProxyView, rootNamespace: string): Lookup {
  const rules = resources.filter((r) => isDestinationRule(r.type)).map(ruleOf);
  const inNs = (ns: string) => rules.filter((r) => r.namespace === ns);
  const steps: (() => Rule[])[] = [
    () =>
      proxy.namespace !== rootNamespace
        ? mostSpecific(inNs(proxy.namespace).filter(localToOwnNamespace), hostname)
        : mostSpecific(inNs(rootNamespace).filter(privateOnly), hostname),
    () => mostSpecific(inNs(serviceNamespace).filter((r) => !privateOnly(r)), hostname).filter((r) => exportedTo(r, proxy.namespace)),
    () => mostSpecific(inNs(rootNamespace).filter((r) => !privateOnly(r)), hostname).filter((r) => exportedTo(r, proxy.namespace)),
  ];
  for (const step of steps) {
    const matched = step();
    if (matched.length === 0) continue;
    // A workloadSelector rule applies only in its own namespace, to the proxies it selects.
    const selecting = matched.filter((r) => r.selector && r.namespace === proxy.namespace && selects(r.selector, proxy));
    const chosen = selecting.length > 0 ? selecting : matched.filter((r) => !r.selector);
    return { rules: chosen.map((r) => r.resource), matched: matched.map((r) => r.resource) };
  }
  return { rules: [], matched: [] };
}

/**
 * The traffic policy a DestinationRule gives one service port (GetPortLevelTrafficPolicy): a
 * portLevelSettings entry for the port (its connectionPool, loadBalancer, outlierDetection and tls)
 * replaces the rule-wide policy without inheriting from it, so a field it leaves out is the default.
 */
export function policyForPort(trafficPolicy: Record<string, any> | undefined, port: number): { policy: Record<string, any> | undefined; portLevel: boolean } {
  const portLevel = list(trafficPolicy?.portLevelSettings as { port?: { number?: number } }[]).find((p) => p?.port?.number === port) as Record<string, any> | undefined;
  return { policy: portLevel ?? trafficPolicy, portLevel: portLevel !== undefined };
}

/** The client TLS settings a DestinationRule gives one service port: an entry without `tls` means no TLS. */
export function tlsForPort(trafficPolicy: Record<string, any> | undefined, port: number): Record<string, any> | undefined {
  return policyForPort(trafficPolicy, port).policy?.tls;
}
