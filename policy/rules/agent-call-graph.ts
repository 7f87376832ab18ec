import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { AuthzSpec, celIdentityBound, GatewayProxy, targetRefsOf } from "../lib/authz";
import { byCluster, isGateway, meta } from "../lib/k8s";
import { configWithDefaults, list } from "../lib/values";
import {
  agentgatewayAuthorizations, Allow, appliesIn, bindsWaypoint, boundWorkloads, Caller, Config, defaults, enrolledWaypoint, graphOf, Graph,
  isServiceRef, once, ruleCallers, selects, WAYPOINT_FOR, Workload,
} from "../lib/call-graph";

const whoMay = (target: string, config: Config) =>
  target === config.agentsNamespace ? `only the agent gateway (${config.agentGateway}) may call agents` : target === config.toolsNamespace ? "only agents may call tools" : "";

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
