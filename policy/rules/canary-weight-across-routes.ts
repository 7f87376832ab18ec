import type { StackValidationPolicy } from "@pulumi/policy";
import { byCluster, cannotJudge, meta } from "../lib/k8s";
import { isWeightedRoute } from "../lib/gateways";
import { patchedType } from "../lib/patches";
import { configWithDefaults, list, orUnknown, probe, readApart } from "../lib/values";
import { backendWeights, canaryDeclarations, defaults, invalidWeightRefs, isCanaryDoor, reportMirrors, type RouteRule } from "./canary-weight-limit";
import { shareOver } from "../lib/canary-shares";
import { httpHeaderName } from "../lib/config-schema";

interface RouteRead {
  urn: string;
  what: string;
  namespace: string;
  rules: RouteRule[];
  /** Rules not known in this preview (read as empty ones in `rules`). */
  unknownRules: number[];
}

/**
 * The canaries each route declares on one cluster: a backend its canary header rule routes to
 * alone (a door naming several backends leaves which one is the canary to canary-weight-limit,
 * which reports such a door on its own route).
 */
function declaredCanaries(routes: RouteRead[], header: string): Map<string, string> {
  const declaredBy = new Map<string, string>();
  for (const r of routes) {
    for (const [key, d] of canaryDeclarations(r.rules, header, r.namespace)) {
      if (d.beside.length === 0 && !declaredBy.has(key)) declaredBy.set(key, r.what);
    }
  }
  return declaredBy;
}

/**
 * canary-weight-limit judges a route against the canaries its own header rule declares; Gateway
 * API merges every route attached to a Gateway, so a second route (another path, another
 * namespace, a GRPCRoute, a TCPRoute on another listener) that sends a canary more than its share
 * breaks the same limit unseen.
 */
export const canaryWeightAcrossRoutes: StackValidationPolicy = {
  name: "canary-weight-across-routes",
  description:
    "A backend that a route's canary-header rule routes to alone is that cluster's canary in every HTTPRoute/GRPCRoute/TLSRoute/TCPRoute (and their `<Kind>Patch`): no rule of another route (without the header in every match) gives it more than maxCanaryWeight percent of its traffic, by weight and RequestMirror copies together, so a canary's blast radius cannot be widened by a second route (a path or namespace of its own, a swapped split). Splits within the declaring route are canary-weight-limit's.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      maxCanaryWeight: { type: "integer", minimum: 0, maximum: 100, default: defaults.maxCanaryWeight, description: "Largest canary share in percent of any other route's rule." },
      canaryHeader: { ...httpHeaderName, default: defaults.canaryHeader, description: "Header whose rule routes to the canary." },
    },
  },
  validateStack: (args, report) => {
    const { maxCanaryWeight, canaryHeader } = configWithDefaults(args, defaults);
    const pending: string[] = [];
    for (const [cluster, resources] of byCluster(args.resources)) {
      const routes: RouteRead[] = [];
      // A `<Kind>Patch` sets the rules of the route it names, as canary-weight-limit reads it; it
      // shares that route's namespace/name, so it counts as the same route here too.
      for (const r of resources.filter((x) => isWeightedRoute(patchedType(x.type)))) {
        const read = probe(() => ({ ...meta(r.props), rules: list(r.props.spec?.rules as RouteRule[]) }));
        const what = `${orUnknown(() => meta(r.props).namespace, "?")}/${orUnknown(() => meta(r.props).name, r.name)}`;
        if (!read.known) {
          pending.push(`the rules of route ${what} on ${cluster}`);
          continue;
        }
        // Each rule read apart: one weight not known yet must not hide another route's known verdict.
        const { items: rules, unknown: unknownRules } = readApart(read.value.rules, {} as RouteRule);
        pending.push(...unknownRules.map((i) => `rule ${i} of route ${what} on ${cluster}`));
        routes.push({ urn: r.urn, what: read.value.namespace + "/" + read.value.name, namespace: read.value.namespace, rules, unknownRules });
      }
      const canaries = declaredCanaries(routes, canaryHeader);
      if (canaries.size === 0) continue;
      for (const route of routes) {
        const own = canaryDeclarations(route.rules, canaryHeader, route.namespace);
        route.rules.forEach((rule, i) => {
          if (isCanaryDoor(rule, canaryHeader)) return;
          const refs = list(rule.backendRefs);
          // Weights Gateway API refuses are canary-weight-limit's to name; no share follows from them.
          if (invalidWeightRefs(refs).length > 0) return;
          const backends = backendWeights(refs, route.namespace);
          const total = backends.reduce((a, b) => a + b.weight, 0);
          // Copies a RequestMirror filter sends another route's canary count toward its limit too.
          const foreign = new Set([...canaries.keys()].filter((k) => canaries.get(k) !== route.what && !own.has(k)));
          reportMirrors(rule, backends, foreign, maxCanaryWeight, (what, key) => {
            const message = `${route.what} rule ${i} on ${cluster}: ${what}, whichever route holds the filter (it is the canary of route ${canaries.get(key)})`;
            if (route.unknownRules.length > 0) pending.push(`whether ${route.what}'s rules not known yet make it its own canary, which decides: ${message}`);
            else report(message, route.urn);
          }, route.namespace);
          if (total <= 0) return;
          for (const b of backends) {
            const declaredBy = canaries.get(b.key);
            if (!declaredBy || declaredBy === route.what || own.has(b.key)) continue;
            const share = shareOver(b.weight, total, maxCanaryWeight);
            if (share === undefined) continue;
            const message = `${route.what} rule ${i} on ${cluster}: ${b.name} gets ${share}% of the ${backends.length > 1 ? "split" : "rule's traffic"}, but it is the canary of route ${declaredBy} (its ${canaryHeader} rule routes to it alone); a canary may get at most ${maxCanaryWeight}% of any rule without the header, whichever route holds it`;
            // A rule of this route not known yet may declare the backend its own canary (then canary-weight-limit's).
            if (route.unknownRules.length > 0) pending.push(`whether ${route.what}'s rules not known yet make ${b.name} its own canary, which decides: ${message}`);
            else report(message, route.urn);
          }
        });
      }
    }
    if (pending.length > 0) cannotJudge(pending);
  },
};
