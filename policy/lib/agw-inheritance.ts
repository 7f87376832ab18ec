/**
 * Which AgentgatewayPolicy traffic.authorization sets the agentgateway v1.4.1 proxy runs for one
 * listener of a Gateway, given `strategy.inheritance: Override`. Read by caller-verdicts.ts (the
 * MCP gateway's verdict) and by the topology matrix (scripts/lib/topology-agw.ts), which draws
 * what it drops as not enforced.
 *
 * - Route phase (store/binds.rs route_policies): authorization is not replaced level by level as
 *   JWT is; every policy is collected, Gateway first, then the listener, then the routes and their
 *   rules, and all apply together. An Override policy stops the collection once taken
 *   (`authz_locked`): the more specific policies after it are dropped.
 * - Within one level the proxy keeps its policies in a hash set (binds.rs `policies_by_target`), so
 *   which of them precede the Override one is not ours to know: beside it, one outcome takes none of
 *   its level's other policies, another takes them all (the Allow ones: an Allow the proxy may
 *   take can open the gateway, a Require it may skip does not close it).
 * - PreRouting (gateway_policies): every policy on the listener and the Gateway applies, whatever
 *   its inheritance, as a set of its own run before the route's; a request must pass both.
 *
 * - Below the listener the proxy collects, for the route a request takes, the policies on the
 *   route, then those on its rule (sectionName): an Override on the route drops its rules' ones for
 *   that route alone; one on a rule drops nothing more specific. The route's other policies, taken
 *   in hash order beside it, are kept: only an Allow on a route can open the gateway (a route's
 *   Require is not counted as a guard), and keeping them is the outcome that may.
 */
import type { AgwAuthorization } from "./agw-authorization";
import type { RouteBinding } from "./agw-route-bindings";
import type { DelegatedFrom } from "./route-delegation";

export interface AuthorizationSets {
  /** PreRouting authorization on the Gateway or listener: empty when there is none. */
  preRouting: AgwAuthorization[];
  /** Each route-phase set the proxy may run (one unless the hash order of an Override level matters). */
  routePhase: AgwAuthorization[][];
  /** Why route-phase policies were dropped, for the message; empty when no Override stopped the merge. */
  lockNote: string;
}

const shown = (a: AgwAuthorization) => `${a.namespace}/${a.name}`;
/** The policies' names, each once (the topology matrix passes a policy once per route it binds). */
const named = (as: AgwAuthorization[]) => [...new Set(as.map(shown))].join(", ");

/** The sets for one listener, from the authorization that reaches it (listener-narrowed ones already filtered to it). */
export function authorizationSets(auths: AgwAuthorization[]): AuthorizationSets {
  const preRouting = auths.filter((a) => a.preRouting && a.onGateway);
  const route = auths.filter((a) => !a.preRouting);
  const levels = [route.filter((a) => a.onGateway && a.listeners === undefined), route.filter((a) => a.onGateway && a.listeners !== undefined), route.filter((a) => !a.onGateway)];
  for (let i = 0; i < levels.length - 1; i++) {
    const overrides = levels[i].filter((a) => a.override);
    if (overrides.length === 0) continue;
    const before = levels.slice(0, i).flat();
    const others = levels[i].filter((a) => !a.override);
    const sets = overrides.flatMap((o) => [[...before, o], [...before, o, ...others.filter((a) => a.action === "Allow")]]);
    const dropped = levels.slice(i + 1).flat();
    const maybe = others.filter((a) => a.action !== "Allow");
    const what = [
      ...(dropped.length ? [`drops ${named(dropped)} (more specific)`] : []),
      ...(maybe.length ? [`may drop ${named(maybe)} (same level, taken in hash order)`] : []),
    ];
    const lockNote = what.length ? `${named(overrides)} sets strategy.inheritance Override on the ${i === 0 ? "Gateway" : "listener"}, so agentgateway v1.4.1 ${what.join(" and ")} from the route-phase authorization (store/binds.rs route_policies)` : "";
    return { preRouting, routePhase: sets, lockNote };
  }
  return { preRouting, ...routeLocks(route) };
}

/**
 * The route-phase set when no Override above the routes stopped the merge. The proxy collects each
 * route on the delegation chain parent first, its policies then its rule's (route-delegation.ts):
 * a route's Override drops that route's rule-level bindings and everything on the children it
 * delegates to, an Override on its delegating rule the children's; a child another chain reaches
 * without an Override keeps its policies.
 */
function routeLocks(route: AgwAuthorization[]): Omit<AuthorizationSets, "preRouting"> {
  const lockers = route.filter((a) => a.override);
  const locked = new Set(lockers.flatMap((a) => (a.routes ?? []).filter((b) => !b.rule).map((b) => b.route)));
  const lockedRules = new Set(lockers.flatMap((a) => (a.routes ?? []).filter((b) => b.rule).flatMap((b) => (b.rules ?? []).map((r) => `${b.route}#${r}`))));
  const cuts = (f: DelegatedFrom) => locked.has(f.route) || (f.rule !== undefined && lockedRules.has(`${f.route}#${f.rule}`));
  const dropped = (b: RouteBinding) => (b.rule && locked.has(b.route)) || (b.chains !== undefined && b.chains.every((c) => c.some(cuts)));
  const kept = route.filter((a) => a.onGateway || (a.routes ?? []).some((b) => !dropped(b)));
  const gone = route.filter((a) => !kept.includes(a));
  if (gone.length === 0) return { routePhase: [route], lockNote: "" };
  // Only the Overrides that drop them are named: on each path to a dropped binding (a chain, then its own route for a rule binding) the first route or rule with one, where the proxy stops.
  const stops = new Set(
    gone.flatMap((a) =>
      (a.routes ?? []).flatMap((b) =>
        (b.chains ?? [[]]).flatMap((c) => {
          const at = [...c, ...(b.rule ? [{ route: b.route }] : [])].find(cuts);
          return at === undefined ? [] : [locked.has(at.route) ? at.route : `${at.route}#${at.rule}`];
        }),
      ),
    ),
  );
  const by = lockers.filter((a) => (a.routes ?? []).some((b) => (b.rule ? (b.rules ?? []).some((r) => stops.has(`${b.route}#${r}`)) : stops.has(b.route))));
  const on = [...stops].map((r) => r.replace("#", " rule "));
  const lockNote = `${named(by)} sets strategy.inheritance Override on route ${on.join(", ")}, so agentgateway v1.4.1 drops ${named(gone)} (on its rules or on the routes it delegates to) from that route's authorization (store/binds.rs route_policies, proxy/httpproxy.rs select_route_chain)`;
  return { routePhase: [kept], lockNote };
}
