import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { refusedAgentgatewayActions, refusedAgentgatewayTargetFields, refusedAgentgatewayTrafficTargets } from "../lib/agentgateway-actions";
import { AuthzSpec, targetRefsOf } from "../lib/authz";
import { GatewayProxy, mayBeProxyOf } from "../lib/gateway-proxies";
import { celIdentityBound } from "../lib/cel";
import { byCluster, cannotJudge, isGateway, meta } from "../lib/k8s";
import { andTri, configWithDefaults, everyTri, list, notTri, someTri, Tri } from "../lib/values";
import {
  agentIdentities, Allow, appliesIn, bindsWaypoint, Bound, boundWorkloads, Config, defaults, enrolledWith, graphOf, Graph, isServiceRef, once, remoteAgents, selects, ServiceInfo, WAYPOINT_FOR,
} from "../lib/call-graph";
import { agentgatewayAuthorizations, AgwAuthorization, misplaced, narrowedNote, servingListeners } from "../lib/agw-authorization";
import { Caller, ruleCallers } from "../lib/callers";
import { reportToolGrants } from "../lib/tool-grants";
import { reportAgentGatewayJwt } from "../lib/agent-jwt";
import { reportBorrowedGatewayIdentities } from "../lib/borrowed-identities";
import { callerEntry, namespacedName, namespaceName, setOf } from "../lib/config-schema";

const whoMay = (target: string, config: Config) =>
  target === config.agentsNamespace ? `only the agent gateway (${config.agentGateway}) may call agents` : target === config.toolsNamespace ? "only agents may call tools" : "";

/**
 * A verdict on one caller: why it must not be admitted (a string), undefined when the call graph
 * allows it, or what this preview cannot know yet to decide.
 */
type Why = string | undefined | { unknown: string };
const isUnknown = (why: Why): why is { unknown: string } => typeof why === "object" && why !== null;
const asTri = (why: Why): Tri => (why === undefined ? true : isUnknown(why) ? "unknown" : false);

/** Whether every caller of the policy is one the graph allows into `target` (identities only: proxies do not count here). */
function admitsOnlyAllowed(g: Graph, p: Allow, target: string): Tri {
  return everyTri(list(p.spec.rules), (rule) => everyTri(ruleCallers(rule, p.namespace), (c) => asTri(verdict(g, target, c, [], false))));
}

/**
 * Why the waypoint's identity must not be admitted to `workloads`, or undefined. A waypoint
 * forwards whatever its own policies let through, and with no ALLOW policy for a Service it lets
 * everything through: it is a legitimate caller only where an ALLOW policy bound to it, or to
 * each enrolled Service of these workloads, admits callers the graph allows.
 */
function waypointProblem(g: Graph, target: string, wp: GatewayProxy, workloads: Bound[]): Why {
  const passes = (p: Allow) => admitsOnlyAllowed(g, p, target);
  // A dry-run policy is only shadow rules at the waypoint: it guards nothing.
  const guarded = once(g, `waypoint ${target} ${wp.identity}`, () => someTri(g.allows, (p) => andTri(bindsWaypoint(p, wp, g.roots), notTri(p.dryRun), passes(p))));
  if (guarded === true) return undefined;
  // A policy this preview cannot read may be the guard: no verdict until it is known.
  const unreadGuard = [target, wp.namespace, ...g.roots].some((ns) => g.unreadPolicies.has(ns)) || g.unread.some((u) => u.namespace === undefined);
  const key = `${wp.namespace}/${wp.name}`;
  const undecided: string[] = [];
  if (guarded === "unknown" || unreadGuard) undecided.push(`the AuthorizationPolicies that may guard waypoint ${key}`);
  const trafficType = wp.labels === undefined ? undefined : (wp.labels[WAYPOINT_FOR] ?? "service");
  if (trafficType === undefined) undecided.push(`the labels of waypoint ${key}`);
  const problems: string[] = [];
  // Workload-addressed traffic through the waypoint meets only the policies bound to the waypoint itself.
  if (trafficType === "workload" || trafficType === "all") {
    const enrolled = someTri(workloads, (b) => andTri(b.bound, enrolledWith(g, b.w.labels, b.w.namespace, key)));
    if (enrolled === true) problems.push(`it takes workload-addressed traffic (${WAYPOINT_FOR}: ${trafficType}), which only an ALLOW policy bound to the waypoint guards`);
    else if (enrolled === "unknown") undecided.push(`which workloads behind waypoint ${key} are enrolled with it`);
  }
  if (trafficType === "service" || trafficType === "all") {
    const guardedService = (svc: ServiceInfo) =>
      once(g, `service ${target} ${svc.namespace}/${svc.name}`, () =>
        someTri(g.allows, (p) => andTri(p.namespace === svc.namespace && targetRefsOf(p.spec).some((ref) => isServiceRef(ref) && ref.name === svc.name), notTri(p.dryRun), passes(p))),
      );
    const unguarded = g.services.map((svc) => ({
      svc,
      open: andTri(
        someTri(workloads, (b) => andTri(b.bound, selects(svc, b.w))),
        enrolledWith(g, svc.labels, svc.namespace, key),
        notTri(guardedService(svc)),
      ),
    }));
    const open = unguarded.filter((u) => u.open === true).map((u) => u.svc);
    if (unguarded.some((u) => u.open === "unknown")) undecided.push(`which Services behind waypoint ${key} are enrolled with it, select these workloads or are guarded`);
    if (open.length > 0) {
      const names = new Set(g.services.map((s) => `${s.namespace}/${s.name}`));
      const dangling = g.allows.flatMap((p) =>
        targetRefsOf(p.spec)
          .filter((ref) => isServiceRef(ref) && p.namespace === target && !names.has(`${p.namespace}/${ref.name}`))
          .map((ref) => `${p.namespace}/${p.name} binds Service ${ref.name}, which does not exist`),
      );
      // Named, so the reviewer sees why a policy that looks like the guard is none.
      const openNames = new Set(open.map((s) => `${s.namespace}/${s.name}`));
      const dryRuns = g.allows
        .filter((p) => p.dryRun === true && (bindsWaypoint(p, wp, g.roots) || targetRefsOf(p.spec).some((ref) => isServiceRef(ref) && openNames.has(`${p.namespace}/${ref.name}`))))
        .map((p) => `${p.namespace}/${p.name} is istio.io/dry-run, which the waypoint only logs`);
      dangling.push(...dryRuns);
      problems.push(
        `no ALLOW AuthorizationPolicy bound to the waypoint or to Service ${open.map((s) => `${s.namespace}/${s.name}`).join(", ")} (enrolled with it) admits only callers the call graph allows, so the waypoint lets every mesh workload through${dangling.length ? ` (${dangling.join("; ")})` : ""}`,
      );
    }
  }
  // A guard not known yet may make every known problem moot.
  if (guarded === "unknown" || unreadGuard) return { unknown: undecided.join("; ") };
  if (problems.length) return `waypoint ${key} forwards whatever its policies let through, and ${problems.join("; and ")}`;
  return undecided.length ? { unknown: undecided.join("; ") } : undefined;
}

/**
 * Why an agentgateway proxy in the tools namespace (the MCP gateway) must not be admitted to the
 * tools, or undefined: it passes on every request its authorization lets through, under its own
 * identity, so it is a legitimate caller only while its authorization admits agents alone. A
 * policy narrowed to a listener by sectionName guards that listener alone, so each listener that
 * serves routes is judged by the policies that reach it.
 */
function agentgatewayProblem(g: Graph, gw: GatewayProxy): Why {
  const auths = agentgatewayAuthorizations(g, gw);
  const where = `Gateway ${gw.namespace}/${gw.name}`;
  if (auths === "unknown") return { unknown: `the AgentgatewayPolicies that may reach ${where}` };
  if (!auths.some((a) => a.onGateway && a.listeners !== undefined)) return listenerProblem(g, gw, auths, where, "");
  const listeners = servingListeners(g, gw);
  if (listeners === "unknown") return { unknown: `the listeners of ${where} and the routes on them, which decide which listeners its AgentgatewayPolicies narrowed by sectionName guard` };
  const whys = listeners.map((l) => listenerProblem(g, gw, auths.filter((a) => !a.onGateway || a.listeners === undefined || a.listeners.includes(l)), `${where} listener ${l}`, narrowedNote(auths, l)));
  const found = whys.find((why): why is string => typeof why === "string");
  if (found) return found;
  return whys.find(isUnknown);
}

/** The verdict on the MCP gateway (or one of its listeners, `where`) from the authorization that reaches it. */
function listenerProblem(g: Graph, gw: GatewayProxy, auths: AgwAuthorization[], where: string, note: string): Why {
  const tools = g.config.toolsNamespace;
  const restricts = (expr: string): Tri => {
    const ids = celIdentityBound(expr);
    return ids === undefined ? false : everyTri(ids, (id) => asTri(verdict(g, tools, { kind: "identity", shown: id, id }, [], false)));
  };
  // Every Require rule must hold: one pinning the caller to agents restricts whatever Allow rules say.
  const required = someTri(auths, (a) => a.onGateway && a.action === "Require" && someTri(a.expressions, restricts));
  if (required === true) return undefined;
  const undecided = required === "unknown" ? { unknown: `whether the Require rules on ${where} admit agents alone` } : undefined;
  if (!auths.some((a) => a.onGateway && a.action === "Allow" && a.expressions.length > 0)) {
    return (
      undecided ??
      `no AgentgatewayPolicy with traffic.authorization targets ${where} to restrict its callers to agent identities (source.identity namespace and serviceAccount)${note || misplaced(g, gw)}, so every mesh workload reaches the tools through it`
    );
  }
  const allows = auths.filter((a) => a.action === "Allow").flatMap((a) => a.expressions.map((e) => ({ a, e, restricted: restricts(e) })));
  const open = allows.filter((x) => x.restricted === false).map(({ a, e }) => `AgentgatewayPolicy ${a.namespace}/${a.name} allows ${JSON.stringify(e)}`);
  if (open.length > 0) {
    return (
      undecided ?? `${open.join("; ")}, which does not restrict callers to agent identities (source.identity namespace and serviceAccount), and agentgateway allows a request any Allow rule on ${where} or its routes matches`
    );
  }
  if (allows.some((x) => x.restricted === "unknown")) return { unknown: `whether the Allow rules on ${where} admit agents alone` };
  return undefined;
}

/**
 * Why `caller` may not be admitted into `target` (whose bound workloads are `workloads`), or
 * undefined when the call graph allows it. `viaProxies` is false where a proxy cannot count as a
 * legitimate caller (the callers of a waypoint's or the MCP gateway's own authorization).
 */
function verdict(g: Graph, target: string, caller: Caller, workloads: Bound[], viaProxies = true, only?: GatewayProxy): Why {
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
  // Gateways sharing the identity each forward as it: the caller is legitimate only if each is.
  const sharers = only ? [] : (g.sharing.get(id) ?? []);
  if (sharers.length > 1) {
    const whys = sharers.map((p) => verdict(g, target, caller, workloads, viaProxies, p));
    return whys.find((why): why is string => typeof why === "string") ?? whys.find(isUnknown);
  }
  const proxy = only ?? g.proxies.get(id);
  // The proxy of a Gateway whose class is not known yet: a waypoint, the MCP gateway or another proxy.
  if (!proxy && mayBeProxyOf(id, g.unknownClass)) return { unknown: `whether ${id} is the proxy of a Gateway whose class or proxy ServiceAccount is not known yet` };
  if (proxy && viaProxies && proxy.gatewayClassName === "istio-waypoint") {
    const why = waypointProblem(g, target, proxy, workloads);
    return typeof why === "string" ? `${rule}: ${why}` : why;
  }
  if (target === config.agentsNamespace) return id === config.agentGateway ? undefined : rule;
  // target === toolsNamespace
  if (id === config.agentGateway) return `${rule} (the agent gateway is not an agent)`;
  if (proxy) {
    if (viaProxies && proxy.namespace === config.toolsNamespace && proxy.byAgentgateway) {
      const why = once(g, `agentgateway ${proxy.identity}`, () => agentgatewayProblem(g, proxy));
      return typeof why === "string" ? `${rule}: ${why}` : why;
    }
    return `${rule} (${id} is the proxy of Gateway ${proxy.namespace}/${proxy.name}, class ${proxy.gatewayClassName}, not an agent)`;
  }
  if (id.split("/")[0] !== config.agentsNamespace) return rule;
  // The render names only its own cluster's agents: each reaches the tools of its cluster, through its MCP gateway.
  const home = g.remoteAgents.get(id);
  return home ? `${rule}, and ${id} is no agent of the policy's cluster (it runs on cluster ${home.join(", ")} only; each cluster's agents call their own cluster's tools)` : undefined;
}

/**
 * Whether every target of the policy is an ingress Gateway: its callers are ingress clients, not
 * mesh peers. A policy bound to a waypoint is enforced for the workloads behind it, so it counts.
 * "unknown" while a target's class is not known.
 */
function targetsIngressGatewaysOnly(spec: AuthzSpec, namespace: string, resources: PolicyResource[]): Tri {
  const refs = targetRefsOf(spec);
  if (refs.length === 0) return false;
  return everyTri(refs, (ref) => {
    if (ref.kind !== "Gateway") return false;
    const gw = resources.find((r) => isGateway(r.type) && meta(r.props).namespace === namespace && meta(r.props).name === ref.name);
    return gw?.props.spec?.gatewayClassName !== "istio-waypoint";
  });
}

function checkCluster(cluster: string, resources: PolicyResource[], config: Config, report: (message: string, urn?: string) => void, pending: string[], remoteAgents: Map<string, string[]>): void {
  const g = graphOf(resources, config, remoteAgents);
  // Which namespace's policies bind every namespace is istiod's to say.
  if (g.unknownRoots.length > 0) {
    pending.push(...g.unknownRoots.map((release) => `the root namespace set by istiod release ${release} on cluster ${cluster}`));
    return;
  }
  // A policy not known yet in a namespace of the graph (or the root's) may admit anyone.
  for (const u of g.unread) {
    if (u.namespace === undefined || [config.agentsNamespace, config.toolsNamespace, ...g.roots].includes(u.namespace)) {
      pending.push(`AuthorizationPolicy ${u.namespace ?? "?"}/${u.name} on cluster ${cluster}`);
    }
  }
  for (const p of g.allows) {
    const applies = appliesIn(g, p);
    if (applies.length === 0) continue;
    const ingressOnly = targetsIngressGatewaysOnly(p.spec, p.namespace, resources);
    if (ingressOnly === true) continue;
    const bound = new Map(applies.map(({ namespace }) => [namespace, boundWorkloads(g, p, namespace)]));
    for (const rule of list(p.spec.rules)) {
      // Bound by selector or namespace: ztunnel enforces it, and reads its sources as it does.
      for (const caller of ruleCallers(rule, p.namespace, targetRefsOf(p.spec).length === 0)) {
        if (caller.kind === "unread") continue; // malformed or wildcard principals: other policies' findings
        for (const { namespace: target, applies: certain } of applies) {
          const why = verdict(g, target, caller, bound.get(target)!);
          const where = target === p.namespace ? "" : ` (policies in ${p.namespace} apply in ${target} too)`;
          const what = `AuthorizationPolicy ${p.namespace}/${p.name} admits ${caller.shown}${where}`;
          if (isUnknown(why)) pending.push(`${why.unknown}, which decides whether ${what} on cluster ${cluster}`);
          else if (why === undefined) continue;
          else if (certain === true && ingressOnly === false) report(`${what}: ${why}`, p.r.urn);
          else pending.push(`${certain === true ? "its targets' classes" : `which workloads it selects in ${target}`}, which decide whether ${what} on cluster ${cluster} (${why})`);
        }
      }
    }
  }
  // "Only agents" is not enough for tools: each agent only its own, as both layers grant them.
  reportToolGrants(g, cluster, report, pending);
  // Whoever the agent gateway lets in reaches the agents: from outside, only with a valid JWT.
  reportAgentGatewayJwt(resources, config, cluster, report, pending);
  // Those gateways' identities are theirs alone: another pod running as one is admitted as the gateway.
  reportBorrowedGatewayIdentities(resources, config, cluster, report, pending);
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
    "AuthorizationPolicies keep the agent fleet's call graph: workloads in the agents namespace admit only the configured agent gateway's proxy, and the tools namespace admits only agents of its own cluster, each agent only the tools it is configured for: the mesh's ALLOW policies for a tool and the MCP gateway's per-tool authorization (AgentgatewayPolicy backend.mcp.authorization, mcp.tool.target) grant the same agents, since each is a path to the tool of its own, and the versions of an agent (workloads of the agents namespace sharing app.kubernetes.io/name) are granted the same tools. An identity several Gateways run as counts only where it would for each of them. A waypoint's identity counts only where an ALLOW policy bound to the waypoint, or to each enrolled Service of the workloads, admits only such callers; the MCP gateway's (an agentgateway proxy in the tools namespace) only while AgentgatewayPolicy traffic.authorization on its Gateway (on each listener serving its routes, where one is narrowed by sectionName; a listener serves the routes its allowedRoutes take) pins callers to agent identities and no Allow expression there or on its routes admits others. Sources naming namespaces, trust domains, addresses or request principals, rules without from and wildcard identities count only when listed in extraCallers; root-namespace policies count where their selector selects workloads. The agent gateway, reachable from outside the cluster, rejects callers without a valid JWT on every route a listener takes (agentgateway jwtAuthentication, bound by targetRefs or targetSelectors, mode Strict, every provider listing audiences: without them agentgateway accepts its issuer's tokens for any application; a PreRouting one on the Gateway or listener runs before route selection and is not replaced by the route's, so either phase closing the route is enough), unless requireAgentJwt is false. No other workload, nor another Gateway's proxy (an AgentgatewayParameters overlay setting serviceAccountName, its own or its class's: the chart's gatewayClassParametersRefs or the GatewayClass's parametersRef; an Istio Gateway's gateway.istio.io/service-account annotation), runs as the agent gateway's or the MCP gateway's ServiceAccount: agents and tools admit whoever does as that gateway. An AgentgatewayPolicy authorization action other than Allow, Deny or Require, a policy setting both targetRefs and targetSelectors, or a traffic policy whose target sets a port or names a kind traffic cannot target, is reported: the API server refuses the policy.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      agentsNamespace: { ...namespaceName, default: defaults.agentsNamespace, description: "Namespace of the agents and their gateway." },
      toolsNamespace: { ...namespaceName, default: defaults.toolsNamespace, description: "Namespace of the MCP tool services." },
      agentGateway: {
        ...namespacedName,
        default: defaults.agentGateway,
        description: "`namespace/serviceAccount` of the agent gateway's proxy (agentgateway names it after the Gateway): the only caller agents admit.",
      },
      extraCallers: {
        type: "object",
        propertyNames: namespaceName,
        additionalProperties: setOf(callerEntry),
        default: defaults.extraCallers,
        description:
          "Extra callers allowed per target namespace: `namespace/serviceAccount`, or `<field>:<value>` for a source naming callers by place (`namespaces:batch`, `ipBlocks:10.0.0.0/8`, `trustDomains:…`, `remoteIpBlocks:…`, `requestPrincipals:…`).",
      },
      rootNamespace: { ...namespaceName, default: defaults.rootNamespace, description: "Istio's root namespace, whose policies apply in every namespace, where no istiod Helm release on the cluster sets it (meshConfig.rootNamespace, else global.istioNamespace)." },
      requireAgentJwt: {
        type: "boolean",
        default: defaults.requireAgentJwt,
        description:
          "Whether the agent gateway, when reachable from outside the cluster, must authenticate callers: every route on it decided by an AgentgatewayPolicy traffic.jwtAuthentication in mode Strict whose every provider lists audiences (the render sets it false for a stack that configures no gateways.agents.jwt).",
      },
    },
  },
  validateStack: (args, report) => {
    const config = configWithDefaults(args, defaults);
    // What this preview cannot know yet: reported as "can't judge" after every known verdict.
    const pending: string[] = [];
    const clusters = byCluster(args.resources);
    const agentsOf = new Map([...clusters].map(([cluster, resources]) => [cluster, agentIdentities(resources, config.agentsNamespace)]));
    for (const [cluster, resources] of clusters) checkCluster(cluster, resources, config, report, pending, remoteAgents(cluster, agentsOf));
    // The call graph reads only the actions agentgateway takes; a refused one is named, not skipped.
    for (const r of args.resources) for (const message of [...refusedAgentgatewayActions(r), ...refusedAgentgatewayTargetFields(r), ...refusedAgentgatewayTrafficTargets(r)]) report(message, r.urn);
    if (pending.length > 0) cannotJudge(pending);
  },
};
