import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { actionOf, AuthzSpec, celIdentityBound, gatewayProxies, GatewayProxy, parsePrincipal, Rule, Source, targetRefsOf } from "../lib/authz";
import { byCluster, isAuthorizationPolicy, isGateway, isKind, isRoute, isWorkload, matchesLabels, meta, podMetadata, T } from "../lib/k8s";
import { configWithDefaults, list, orUnknown, probe } from "../lib/values";

interface Config {
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
}
const defaults: Config = { agentsNamespace: "agents", toolsNamespace: "tools", agentGateway: "agents/agent-gateway", extraCallers: {}, rootNamespace: "istio-system" };

const GATEWAY_GROUP = "gateway.networking.k8s.io";
const USE_WAYPOINT = "istio.io/use-waypoint";
const USE_WAYPOINT_NAMESPACE = "istio.io/use-waypoint-namespace";
const WAYPOINT_FOR = "istio.io/waypoint-for";
/** Source fields that name callers by place or credential rather than by mesh identity. */
const PLACE_FIELDS = ["namespaces", "trustDomains", "ipBlocks", "remoteIpBlocks", "requestPrincipals"] as const;

interface Workload {
  namespace: string;
  /** Pod labels; undefined while unknown (then every selector is assumed to match). */
  labels: Record<string, string> | undefined;
}
interface ServiceInfo {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  /** undefined while unknown (then it is assumed to select every pod). */
  selector: Record<string, string> | null | undefined;
}
interface Allow {
  r: PolicyResource;
  namespace: string;
  name: string;
  spec: AuthzSpec;
}

/** What one cluster holds that the call graph reads. */
interface Graph {
  config: Config;
  resources: PolicyResource[];
  proxies: Map<string, GatewayProxy>;
  allows: Allow[];
  /** Namespaces holding an AuthorizationPolicy this preview cannot read yet. */
  unreadPolicies: Set<string>;
  workloads: Workload[];
  services: ServiceInfo[];
  namespaceLabels: Map<string, Record<string, string>>;
  /** Verdicts that depend only on the cluster (a guard, the MCP gateway's authorization), computed once. */
  memo: Map<string, unknown>;
}

function once<V>(g: Graph, key: string, compute: () => V): V {
  if (!g.memo.has(key)) g.memo.set(key, compute());
  return g.memo.get(key) as V;
}

/** One caller an ALLOW rule admits. */
type Caller =
  | { kind: "identity"; shown: string; id: string }
  /** Callers named by place: `entries` holds, per source field, the extraCallers entries that admit it. */
  | { kind: "place"; shown: string; entries: string[][] }
  | { kind: "anyone"; shown: string }
  /** A principal this rule cannot parse: authorization-principals-known and -sources-restricted report it. */
  | { kind: "unread"; shown: string };

function sourceCallers(source: Source, namespace: string): Caller[] {
  const principals = list(source.principals);
  const serviceAccounts = list(source.serviceAccounts);
  // Fields of a source are ANDed: named identities bound it whatever else it says.
  if (principals.length > 0 || serviceAccounts.length > 0) {
    return [
      ...principals.map((p): Caller => {
        const parsed = parsePrincipal(p);
        return parsed ? { kind: "identity", shown: p, id: `${parsed.namespace}/${parsed.serviceAccount}` } : { kind: "unread", shown: p };
      }),
      // Istio 1.30's serviceAccounts: a bare name is in the policy's namespace.
      ...serviceAccounts.map((sa): Caller =>
        sa === "*" ? { kind: "unread", shown: `serviceAccount ${sa}` } : { kind: "identity", shown: `serviceAccount ${sa}`, id: sa.includes("/") ? sa : `${namespace}/${sa}` },
      ),
    ];
  }
  const fields = PLACE_FIELDS.filter((k) => list(source[k]).length > 0);
  if (fields.length > 0) {
    return [{ kind: "place", shown: fields.map((k) => `${k} ${list(source[k]).join(", ")}`).join(" and "), entries: fields.map((k) => list(source[k]).map((v) => `${k}:${v}`)) }];
  }
  return [{ kind: "anyone", shown: "every caller (a source naming no principals, serviceAccounts, namespaces or addresses)" }];
}

function ruleCallers(rule: Rule, namespace: string): Caller[] {
  const from = list(rule.from);
  if (from.length === 0) return [{ kind: "anyone", shown: "every caller (a rule without from)" }];
  return from.flatMap((f) => sourceCallers(f.source ?? {}, namespace));
}

const whoMay = (target: string, config: Config) =>
  target === config.agentsNamespace ? `only the agent gateway (${config.agentGateway}) may call agents` : target === config.toolsNamespace ? "only agents may call tools" : "";

/** The waypoint (`namespace/name`) labels enroll an object with, "none" for an opt-out, undefined when they say nothing. */
function useWaypoint(labels: Record<string, string>, defaultNamespace: string): string | undefined {
  const name = labels[USE_WAYPOINT];
  if (name === undefined) return undefined;
  return name === "none" ? "none" : `${labels[USE_WAYPOINT_NAMESPACE] ?? defaultNamespace}/${name}`;
}

/** The object's own label wins, then its namespace's (Istio 1.30.3 ambient/waypoints.go fetchWaypointForTarget). */
function enrolledWaypoint(g: Graph, labels: Record<string, string> | undefined, namespace: string): string | undefined {
  const own = labels ? useWaypoint(labels, namespace) : undefined;
  const chosen = own ?? useWaypoint(g.namespaceLabels.get(namespace) ?? {}, namespace);
  return chosen === "none" ? undefined : chosen;
}

const selects = (svc: ServiceInfo, w: Workload) =>
  svc.namespace === w.namespace && svc.selector !== null && (svc.selector === undefined || w.labels === undefined || (Object.keys(svc.selector).length > 0 && matchesLabels(svc.selector, w.labels)));

const isServiceRef = (ref: { group?: string; kind: string }) => ref.kind === "Service" && ["", "core"].includes(ref.group ?? "");

/** Whether an ALLOW policy binds the waypoint: through a targetRef to it, or to its class from the root namespace. */
function bindsWaypoint(p: Allow, wp: GatewayProxy, config: Config): boolean {
  return targetRefsOf(p.spec).some(
    (ref) =>
      ref.group === GATEWAY_GROUP &&
      ((ref.kind === "Gateway" && ref.name === wp.name && p.namespace === wp.namespace) ||
        (ref.kind === "GatewayClass" && ref.name === wp.gatewayClassName && p.namespace === config.rootNamespace)),
  );
}

/** Whether every caller of the policy is one the graph allows into `target` (identities only: proxies do not count here). */
function admitsOnlyAllowed(g: Graph, p: Allow, target: string): boolean {
  return list(p.spec.rules).every((rule) => ruleCallers(rule, p.namespace).every((c) => verdict(g, target, c, [], false) === undefined));
}

/**
 * Why the waypoint's identity must not be admitted to `workloads`, or undefined. A waypoint
 * forwards whatever its own policies let through, and with no ALLOW policy for a Service it lets
 * everything through: it is a legitimate caller only where an ALLOW policy bound to it, or to
 * each enrolled Service of these workloads, admits callers the graph allows.
 */
function waypointProblem(g: Graph, target: string, wp: GatewayProxy, workloads: Workload[]): string | undefined {
  // A policy this preview cannot read may be the guard: no verdict until it is known.
  if ([target, wp.namespace, g.config.rootNamespace].some((ns) => g.unreadPolicies.has(ns))) return undefined;
  const passes = (p: Allow) => admitsOnlyAllowed(g, p, target);
  if (once(g, `waypoint ${target} ${wp.identity}`, () => g.allows.some((p) => bindsWaypoint(p, wp, g.config) && passes(p)))) return undefined;
  const key = `${wp.namespace}/${wp.name}`;
  const trafficType = wp.labels[WAYPOINT_FOR] ?? "service";
  const problems: string[] = [];
  // Workload-addressed traffic through the waypoint meets only the policies bound to the waypoint itself.
  if ((trafficType === "workload" || trafficType === "all") && workloads.some((w) => enrolledWaypoint(g, w.labels, w.namespace) === key)) {
    problems.push(`it takes workload-addressed traffic (${WAYPOINT_FOR}: ${trafficType}), which only an ALLOW policy bound to the waypoint guards`);
  }
  if (trafficType === "service" || trafficType === "all") {
    const unguarded = g.services.filter(
      (svc) =>
        workloads.some((w) => selects(svc, w)) &&
        enrolledWaypoint(g, svc.labels, svc.namespace) === key &&
        !once(g, `service ${target} ${svc.namespace}/${svc.name}`, () =>
          g.allows.some((p) => p.namespace === svc.namespace && targetRefsOf(p.spec).some((ref) => isServiceRef(ref) && ref.name === svc.name) && passes(p)),
        ),
    );
    if (unguarded.length > 0) {
      const names = new Set(g.services.map((s) => `${s.namespace}/${s.name}`));
      const dangling = g.allows.flatMap((p) =>
        targetRefsOf(p.spec)
          .filter((ref) => isServiceRef(ref) && p.namespace === target && !names.has(`${p.namespace}/${ref.name}`))
          .map((ref) => `${p.namespace}/${p.name} binds Service ${ref.name}, which does not exist`),
      );
      problems.push(
        `no ALLOW AuthorizationPolicy bound to the waypoint or to Service ${unguarded.map((s) => `${s.namespace}/${s.name}`).join(", ")} (enrolled with it) admits only callers the call graph allows, so the waypoint lets every mesh workload through${dangling.length ? ` (${dangling.join("; ")})` : ""}`,
      );
    }
  }
  return problems.length ? `waypoint ${key} forwards whatever its policies let through, and ${problems.join("; and ")}` : undefined;
}

interface AgwAuthorization {
  namespace: string;
  name: string;
  action: string;
  expressions: string[];
  onGateway: boolean;
}

const isAgentgatewayPolicy = (type: string) => isKind(type, "agentgateway.dev", "AgentgatewayPolicy");

/**
 * The `traffic.authorization` of the AgentgatewayPolicies that reach the Gateway's requests: those
 * bound to the Gateway (or a listener of it) and to the routes attached to it. agentgateway v1.4.1
 * merges them all (store/binds.rs route_policies and gateway_policies), each matchExpression its
 * own rule (controller traffic_plugin.go TranslateAuthorization), and any matching Allow rule
 * allows (http/authorization.rs RuleSets::validate).
 */
function agentgatewayAuthorizations(g: Graph, gw: GatewayProxy): AgwAuthorization[] | "unknown" {
  const routes = g.resources.filter(
    (r) =>
      isRoute(r.type) &&
      orUnknown(
        () =>
          list(r.props.spec?.parentRefs as { group?: string; kind?: string; name: string; namespace?: string }[]).some(
            (p) => (p.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && (p.kind ?? "Gateway") === "Gateway" && p.name === gw.name && (p.namespace ?? meta(r.props).namespace) === gw.namespace,
          ),
        false,
      ),
  );
  const namespaces = new Set([gw.namespace, ...routes.map((r) => meta(r.props).namespace)]);
  const out: AgwAuthorization[] = [];
  for (const r of g.resources.filter((x) => isAgentgatewayPolicy(x.type))) {
    const { namespace, name } = meta(r.props);
    if (!namespaces.has(namespace)) continue; // policies bind same-namespace targets only
    // Read apart, so that a value not known in this preview elsewhere in the spec (an inline JWKS) does not hide these.
    const read = probe(() => {
      const spec = r.props.spec ?? {};
      return JSON.parse(JSON.stringify({ auth: spec.traffic?.authorization, refs: spec.targetRefs, selectors: spec.targetSelectors })) as Record<string, any>;
    });
    // A policy that may bind the gateway but is not known yet: no verdict in this preview.
    if (!read.known) return "unknown";
    const auth = read.value.auth;
    if (!auth) continue;
    const refs = list(read.value.refs as { group?: string; kind: string; name: string }[]);
    const selectors = list(read.value.selectors as { group?: string; kind: string; matchLabels?: Record<string, string> }[]);
    const hits = (kind: (k: string) => boolean, target: { name: string; labels: Record<string, string> }) =>
      refs.some((ref) => ref.group === GATEWAY_GROUP && kind(ref.kind) && ref.name === target.name) ||
      selectors.some((s) => s.group === GATEWAY_GROUP && kind(s.kind) && matchesLabels(s.matchLabels ?? {}, target.labels));
    const onGateway = namespace === gw.namespace && hits((k) => k === "Gateway", gw);
    const onRoute = routes.some((route) => meta(route.props).namespace === namespace && hits((k) => k === "HTTPRoute" || k === "GRPCRoute", meta(route.props)));
    if (onGateway || onRoute) {
      out.push({ namespace, name, action: auth.action ?? "Allow", expressions: list(auth.policy?.matchExpressions as string[]), onGateway });
    }
  }
  return out;
}

/**
 * Why an agentgateway proxy in the tools namespace (the MCP gateway) must not be admitted to the
 * tools, or undefined: it passes on every request its authorization lets through, under its own
 * identity, so it is a legitimate caller only while its authorization admits agents alone.
 */
function agentgatewayProblem(g: Graph, gw: GatewayProxy): string | undefined {
  const tools = g.config.toolsNamespace;
  const restricts = (expr: string) => {
    const ids = celIdentityBound(expr);
    return ids !== undefined && [...ids].every((id) => verdict(g, tools, { kind: "identity", shown: id, id }, [], false) === undefined);
  };
  const auths = agentgatewayAuthorizations(g, gw);
  if (auths === "unknown") return undefined;
  const where = `Gateway ${gw.namespace}/${gw.name}`;
  // Every Require rule must hold: one pinning the caller to agents restricts whatever Allow rules say.
  if (auths.some((a) => a.onGateway && a.action === "Require" && a.expressions.some(restricts))) return undefined;
  if (!auths.some((a) => a.onGateway && a.action === "Allow" && a.expressions.length > 0)) {
    return `no AgentgatewayPolicy with traffic.authorization targets ${where} to restrict its callers to agent identities (source.identity namespace and serviceAccount), so every mesh workload reaches the tools through it`;
  }
  const open = auths.filter((a) => a.action === "Allow").flatMap((a) => a.expressions.filter((e) => !restricts(e)).map((e) => `AgentgatewayPolicy ${a.namespace}/${a.name} allows ${JSON.stringify(e)}`));
  if (open.length > 0) {
    return `${open.join("; ")}, which does not restrict callers to agent identities (source.identity namespace and serviceAccount), and agentgateway allows a request any Allow rule on ${where} or its routes matches`;
  }
  return undefined;
}

/**
 * Why `caller` may not be admitted into `target` (whose bound workloads are `workloads`), or
 * undefined when the call graph allows it. `viaProxies` is false where a proxy cannot count as a
 * legitimate caller (the callers of a waypoint's or the MCP gateway's own authorization).
 */
function verdict(g: Graph, target: string, caller: Caller, workloads: Workload[], viaProxies = true): string | undefined {
  const { config } = g;
  const extra = list(config.extraCallers[target]);
  const rule = whoMay(target, config);
  if (!rule) return undefined;
  if (caller.kind === "anyone") return `${rule}, and this admits everyone`;
  if (caller.kind === "unread") return `${rule}, and ${caller.shown} is not an identity the call graph can read`;
  if (caller.kind === "place") {
    if (caller.entries.some((values) => values.every((v) => extra.includes(v)))) return undefined;
    const hint = caller.entries.map((values) => values.map((v) => JSON.stringify(v)).join(", ")).join(" or ");
    return `${rule}, and a source naming callers by namespace, trust domain, address or request principal admits every workload there, not identities the call graph knows; name principals, or list ${hint} in extraCallers.${target}`;
  }
  const id = caller.id;
  if (extra.includes(id)) return undefined;
  if (id.includes("*")) return `${rule}, and a wildcard identity matches workloads the call graph does not allow`;
  const proxy = g.proxies.get(id);
  if (proxy && viaProxies && proxy.gatewayClassName === "istio-waypoint") {
    const why = waypointProblem(g, target, proxy, workloads);
    return why && `${rule}: ${why}`;
  }
  if (target === config.agentsNamespace) return id === config.agentGateway ? undefined : rule;
  // target === toolsNamespace
  if (id === config.agentGateway) return `${rule} (the agent gateway is not an agent)`;
  if (proxy) {
    if (viaProxies && proxy.namespace === config.toolsNamespace && proxy.gatewayClassName === "agentgateway") {
      const why = once(g, `agentgateway ${proxy.identity}`, () => agentgatewayProblem(g, proxy));
      return why && `${rule}: ${why}`;
    }
    return `${rule} (${id} is the proxy of Gateway ${proxy.namespace}/${proxy.name}, class ${proxy.gatewayClassName}, not an agent)`;
  }
  return id.split("/")[0] === config.agentsNamespace ? undefined : rule;
}

/**
 * Whether every target of the policy is an ingress Gateway: its callers are ingress clients, not
 * mesh peers. A policy bound to a waypoint is enforced for the workloads behind it, so it counts.
 */
function targetsIngressGatewaysOnly(spec: AuthzSpec, namespace: string, resources: PolicyResource[]): boolean {
  const refs = targetRefsOf(spec);
  const classOf = (name: string) =>
    resources.find((r) => isGateway(r.type) && meta(r.props).namespace === namespace && meta(r.props).name === name)?.props.spec?.gatewayClassName as string | undefined;
  return refs.length > 0 && refs.every((ref) => ref.kind === "Gateway" && classOf(ref.name) !== "istio-waypoint");
}

/** The workloads of `target` a policy binds: by selector (or namespace-wide), or behind the Services it targets. */
function boundWorkloads(g: Graph, p: Allow, target: string): Workload[] {
  const inTarget = g.workloads.filter((w) => w.namespace === target);
  const refs = targetRefsOf(p.spec);
  if (refs.length === 0) {
    const wanted = p.spec.selector?.matchLabels;
    return wanted ? inTarget.filter((w) => w.labels === undefined || matchesLabels(wanted, w.labels)) : inTarget;
  }
  if (refs.every((ref) => isServiceRef(ref))) {
    const services = g.services.filter((s) => s.namespace === p.namespace && refs.some((ref) => ref.name === s.name));
    return inTarget.filter((w) => services.some((s) => selects(s, w)));
  }
  return inTarget;
}

/**
 * The namespaces of the call graph a policy binds. A root-namespace policy binds every namespace
 * without a selector, and with one the workloads it selects wherever they are (Istio 1.30.3
 * ambient/workloads.go buildWorkloadPolicies): it is judged where its selector matches.
 */
function appliesIn(g: Graph, p: Allow): string[] {
  const graph = [g.config.agentsNamespace, g.config.toolsNamespace];
  if (p.namespace !== g.config.rootNamespace) return graph.includes(p.namespace) ? [p.namespace] : [];
  if (targetRefsOf(p.spec).length > 0 || !p.spec.selector) return graph;
  return graph.filter((ns) => boundWorkloads(g, p, ns).length > 0);
}

function graphOf(resources: PolicyResource[], config: Config): Graph {
  const allows: Allow[] = [];
  const unreadPolicies = new Set<string>();
  for (const r of resources.filter((x) => isAuthorizationPolicy(x.type))) {
    const read = probe(() => JSON.parse(JSON.stringify(r.props.spec ?? {})) as AuthzSpec);
    if (!read.known) unreadPolicies.add(meta(r.props).namespace);
    else if (actionOf(read.value) === "ALLOW") allows.push({ r, ...meta(r.props), spec: read.value });
  }
  return {
    config,
    resources,
    proxies: gatewayProxies(resources),
    allows,
    unreadPolicies,
    workloads: resources
      .filter((r) => isWorkload(r.type))
      .map((r) => ({ namespace: meta(r.props).namespace, labels: orUnknown(() => ({ ...(podMetadata(r.type, r.props).labels ?? {}) }), undefined) })),
    services: resources
      .filter((r) => r.type === T.service)
      .map((r) => ({
        ...meta(r.props),
        labels: orUnknown(() => ({ ...meta(r.props).labels }), {}),
        selector: orUnknown(() => (r.props.spec?.selector ? { ...r.props.spec.selector } : null), undefined),
      })),
    memo: new Map(),
    namespaceLabels: new Map(resources.filter((r) => r.type === T.namespace).map((r) => [meta(r.props).name, orUnknown(() => ({ ...meta(r.props).labels }), {})])),
  };
}

function checkCluster(resources: PolicyResource[], config: Config, report: (message: string, urn?: string) => void): void {
  const g = graphOf(resources, config);
  for (const p of g.allows) {
    const applies = appliesIn(g, p);
    if (applies.length === 0 || targetsIngressGatewaysOnly(p.spec, p.namespace, resources)) continue;
    for (const rule of list(p.spec.rules)) {
      for (const caller of ruleCallers(rule, p.namespace)) {
        if (caller.kind === "unread") continue; // malformed or wildcard principals: other policies' findings
        for (const target of applies) {
          const why = verdict(g, target, caller, boundWorkloads(g, p, target));
          const where = target === p.namespace ? "" : ` (policies in ${config.rootNamespace} apply in ${target} too)`;
          if (why) report(`AuthorizationPolicy ${p.namespace}/${p.name} admits ${caller.shown}${where}: ${why}`, p.r.urn);
        }
      }
    }
  }
}

/**
 * The agent fleet's trust boundary: clients reach agents only through the agent gateway (where
 * JWTs, routes and rate limits apply), and only agents reach the MCP tools. An ALLOW rule that
 * lets anything else in bypasses the gateway or hands tools to workloads that were never meant
 * to use them; so does admitting a proxy (a waypoint, the MCP gateway) that lets anything else
 * through.
 */
export const agentCallGraph: StackValidationPolicy = {
  name: "agent-call-graph",
  description:
    "AuthorizationPolicies keep the agent fleet's call graph: workloads in the agents namespace admit only the configured agent gateway's proxy, and the tools namespace admits only agents. A waypoint's identity counts only where an ALLOW policy bound to the waypoint, or to each enrolled Service of the workloads, admits only such callers; the MCP gateway's (an agentgateway proxy in the tools namespace) only while AgentgatewayPolicy traffic.authorization on its Gateway pins callers to agent identities and no Allow expression there or on its routes admits others. Sources naming namespaces, trust domains, addresses or request principals, rules without from and wildcard identities count only when listed in extraCallers; root-namespace policies count where their selector selects workloads.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      agentsNamespace: { type: "string", default: defaults.agentsNamespace, description: "Namespace of the agents and their gateway." },
      toolsNamespace: { type: "string", default: defaults.toolsNamespace, description: "Namespace of the MCP tool services." },
      agentGateway: {
        type: "string",
        default: defaults.agentGateway,
        description: "`namespace/serviceAccount` of the agent gateway's proxy (agentgateway names it after the Gateway): the only caller agents admit.",
      },
      extraCallers: {
        type: "object",
        additionalProperties: { type: "array", items: { type: "string" } },
        default: defaults.extraCallers,
        description:
          "Extra callers allowed per target namespace: `namespace/serviceAccount`, or `<field>:<value>` for a source naming callers by place (`namespaces:batch`, `ipBlocks:10.0.0.0/8`, `trustDomains:…`, `remoteIpBlocks:…`, `requestPrincipals:…`).",
      },
      rootNamespace: { type: "string", default: defaults.rootNamespace, description: "Istio's root namespace, whose policies apply in every namespace." },
    },
  },
  validateStack: (args, report) => {
    const config = configWithDefaults(args, defaults);
    for (const [, resources] of byCluster(args.resources)) checkCluster(resources, config, report);
  },
};
