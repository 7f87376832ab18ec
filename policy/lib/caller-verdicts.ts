/**
 * The agent fleet's call graph, caller by caller: whether an identity (or a source naming callers
 * by place) may be admitted into the agents or tools namespace. A proxy counts as a legitimate
 * caller only while what it forwards is itself restricted: a waypoint by the ALLOW policies bound
 * to it or to its enrolled Services, the MCP gateway (an agentgateway proxy in the tools
 * namespace) by the AgentgatewayPolicy authorization reaching each listener that serves routes.
 * Read by the agent-call-graph rule.
 */
import { targetRefsOf } from "./authz";
import { GatewayProxy, mayBeProxyOf } from "./gateway-proxies";
import { celIdentityBound } from "./cel";
import { andTri, everyTri, list, notTri, someTri, Tri } from "./values";
import { Allow, bindsWaypoint, Bound, Config, enrolledWith, Graph, isServiceRef, once, selects, ServiceInfo, WAYPOINT_FOR } from "./call-graph";
import { agentgatewayAuthorizations, AgwAuthorization, misplaced, narrowedNote, patchedAway, servingListeners } from "./agw-authorization";
import { Caller, ruleCallers } from "./callers";
import { authorizationSets } from "./agw-inheritance";
import { httpNetworkGuards, streamRouteProblem } from "./agw-tcp-routes";

const whoMay = (target: string, config: Config) =>
  target === config.agentsNamespace ? `only the agent gateway (${config.agentGateway}) may call agents` : target === config.toolsNamespace ? "only agents may call tools" : "";

/**
 * A verdict on one caller: why it must not be admitted (a string), undefined when the call graph
 * allows it, or what this preview cannot know yet to decide.
 */
export type Why = string | undefined | { unknown: string };
export const isUnknown = (why: Why): why is { unknown: string } => typeof why === "object" && why !== null;
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
 * serves routes is judged by the policies that reach it; one whose frontend.networkAuthorization
 * admits agents alone needs no traffic.authorization (agw-tcp-routes.ts httpNetworkGuards).
 */
function agentgatewayProblem(g: Graph, gw: GatewayProxy): Why {
  // Route-phase policies on a ListenerSet, which v1.4.1 never applies: named on the listeners they seem to guard.
  const inert = new Map<string, string[]>();
  const auths = agentgatewayAuthorizations(g, gw, inert);
  const inertNote = (ls: string[]) => {
    const named = [...new Set(ls.flatMap((l) => inert.get(l) ?? []))];
    return named.length > 0 ? ` (${named.join("; ")})` : "";
  };
  const where = `Gateway ${gw.namespace}/${gw.name}`;
  // TCPRoutes and TLSRoutes meet none of that authorization: only the listener's networkAuthorization.
  const streams = () => streamRouteProblem(g.resources, gw, g.config.toolsNamespace, restrictsTo(g, g.config.toolsNamespace), "every mesh workload reaches the tools through it");
  if (auths === "unknown") return { unknown: `the AgentgatewayPolicies that may reach ${where}` };
  const narrowed = auths.some((a) => a.onGateway && a.listeners !== undefined);
  let served: string[] | "unknown" | undefined;
  const serving = () => (served ??= servingListeners(g, gw));
  // A networkAuthorization admitting agents alone refuses every other connection before any request: the listeners it guards need no more.
  const net = httpNetworkGuards(g.resources, gw, serving, restrictsTo(g, g.config.toolsNamespace));
  const guards = net === "unknown" ? net : net?.guards;
  const netNote = (ls: string[]) => [...new Set(ls.map((l) => (net === "unknown" ? undefined : net?.notes.get(l)) ?? ""))].join("");
  const listeners = guards === "unknown" ? "unknown" : narrowed || guards ? serving() : undefined;
  if (served === "unknown") return { unknown: `the listeners of ${where} and the routes on them, which decide which listeners its AgentgatewayPolicies ${narrowed ? "narrowed by sectionName" : "setting frontend.networkAuthorization"} guard` };
  if (guards === "unknown" || listeners === "unknown") return { unknown: `the AgentgatewayPolicies that may set frontend.networkAuthorization on ${where}` };
  const open = listeners?.filter((l) => guards?.get(l) !== true);
  // A listener whose networkAuthorization is not known yet may be guarded by it.
  const unless = (ls: string[], why: Why): Why =>
    typeof why === "string" && ls.some((l) => guards?.get(l) === "unknown") ? { unknown: `whether the frontend.networkAuthorization on ${where} admits agents alone` } : why;
  // Where networkAuthorization guards some listeners only, the others are named.
  if (!narrowed && open?.length === listeners?.length) return firstProblem([unless(open ?? [], setsProblem(g, gw, auths, where, inertNote([...inert.keys()]) + netNote(open ?? []))), streams()]);
  const whys = open!.map((l) => unless([l], setsProblem(g, gw, auths.filter((a) => !a.onGateway || a.listeners === undefined || a.listeners.includes(l)), `${where} listener ${l}`, narrowedNote(auths, l) + inertNote([l]) + netNote([l]))));
  return firstProblem([...whys, streams()]);
}

/** The first finding among verdicts, else the first thing not known yet, else undefined. */
function firstProblem(whys: Why[]): Why {
  return whys.find((why): why is string => typeof why === "string") ?? whys.find(isUnknown);
}

/** Whether a CEL expression pins the caller to identities the call graph allows into `target` (proxies not counting). */
export const restrictsTo =
  (g: Graph, target: string) =>
  (expr: string): Tri => {
    const ids = celIdentityBound(expr);
    return ids === undefined ? false : everyTri(ids, (id) => asTri(verdict(g, target, { kind: "identity", shown: id, id }, [], false)));
  };

/**
 * The verdict on the MCP gateway (or one of its listeners, `where`) from the authorization that
 * reaches it, as the proxy runs it: a PreRouting set and a route-phase set, each of which a
 * request must pass, the latter cut short by an Override (agw-inheritance.ts). A set the proxy
 * may run that lets others in is a finding; either phase restricting callers is enough.
 */
function setsProblem(g: Graph, gw: GatewayProxy, auths: AgwAuthorization[], where: string, note: string): Why {
  const sets = authorizationSets(auths);
  const whys = sets.routePhase.map((set) => listenerProblem(g, gw, set, where, note));
  const found = whys.find((why): why is string => typeof why === "string");
  const route: Why = found !== undefined ? `${found}${sets.lockNote ? ` (${sets.lockNote})` : ""}` : (whys.find(isUnknown) ?? undefined);
  if (route === undefined || sets.preRouting.length === 0) return route;
  const pre = listenerProblem(g, gw, sets.preRouting, where, note);
  if (pre === undefined) return undefined;
  if (isUnknown(pre) || isUnknown(route)) return isUnknown(route) ? route : pre;
  return `${route}; its PreRouting authorization does not restrict callers either: ${pre}`;
}

/** The verdict on one set of authorization the proxy runs for the MCP gateway (or one of its listeners, `where`). */
function listenerProblem(g: Graph, gw: GatewayProxy, auths: AgwAuthorization[], where: string, note: string): Why {
  const restricts = restrictsTo(g, g.config.toolsNamespace);
  // Every Require rule must hold: one pinning the caller to agents restricts whatever Allow rules say.
  const required = someTri(auths, (a) => a.onGateway && a.action === "Require" && someTri(a.expressions, restricts));
  if (required === true) return undefined;
  const undecided = required === "unknown" ? { unknown: `whether the Require rules on ${where} admit agents alone` } : undefined;
  if (!auths.some((a) => a.onGateway && a.action === "Allow" && a.expressions.length > 0)) {
    return (
      undecided ??
      `no AgentgatewayPolicy with traffic.authorization targets ${where} to restrict its callers to agent identities (source.identity namespace and serviceAccount)${note || misplaced(g, gw)}${patchedAway(g, gw)}, so every mesh workload reaches the tools through it`
    );
  }
  const allows = auths.filter((a) => a.action === "Allow").flatMap((a) => a.expressions.map((e) => ({ a, e, restricted: restricts(e) })));
  const open = allows.filter((x) => x.restricted === false).map(({ a, e }) => `AgentgatewayPolicy ${a.namespace}/${a.name}${a.patched} allows ${JSON.stringify(e)}`);
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
export function verdict(g: Graph, target: string, caller: Caller, workloads: Bound[], viaProxies = true, only?: GatewayProxy): Why {
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
  if (target === config.agentsNamespace) {
    if (id !== config.agentGateway) return rule;
    // Its TCPRoutes and TLSRoutes to agents skip its JWT and authorization: only networkAuthorization guards them.
    if (!proxy || !viaProxies || !proxy.byAgentgateway) return undefined;
    const why = once(g, `agentgateway streams ${proxy.identity}`, () => streamRouteProblem(g.resources, proxy, target, restrictsTo(g, target), "every caller reaching the gateway reaches the agents unauthenticated"));
    return typeof why === "string" ? `${rule}: ${why}` : why;
  }
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

