import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isRoute, meta } from "../lib/k8s";
import { configWithDefaults, list } from "../lib/values";

interface Config {
  /** Largest share, in percent, any backend other than the primary may receive. */
  maxCanaryWeight: number;
  /** Header that pins a request to the canary; a backend a rule matching it routes to is a canary. */
  canaryHeader: string;
}
const defaults: Config = { maxCanaryWeight: 10, canaryHeader: "x-canary" };

interface BackendRef {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  weight?: number;
}
interface RouteRule {
  matches?: { headers?: { name?: string; value?: string }[] }[];
  backendRefs?: BackendRef[];
  filters?: { type?: string }[];
}

/** A backend as Gateway API resolves it: group, kind, namespace (the route's by default), name. */
const refKeyIn = (routeNamespace: string) => (b: BackendRef) => `${b.group ?? ""}/${b.kind ?? "Service"}/${b.namespace ?? routeNamespace}/${b.name}`;

/**
 * Whether a rule is the canary's own door: every one of its matches requires the canary header
 * (with a value other than "false"). Matches are ORed, so a rule with one match without the header
 * (or with no matches: everything) takes ordinary traffic too.
 */
const asksForCanary = (match: { headers?: { name?: string; value?: string }[] }, header: string) =>
  list(match.headers).some((h) => h.name?.toLowerCase() === header.toLowerCase() && String(h.value ?? "").toLowerCase() !== "false");

const isCanaryDoor = (rule: RouteRule, header: string) => {
  const matches = list(rule.matches);
  return matches.length > 0 && matches.every((m) => asksForCanary(m, header));
};

/**
 * Backends a rule asking for the canary header routes to (weight 0 gets nothing): the route's
 * declared canaries, wherever else they appear.
 */
export function canaryBackends(rules: RouteRule[], header: string, routeNamespace = ""): Set<string> {
  const key = refKeyIn(routeNamespace);
  const declaring = rules.filter((r) => list(r.matches).some((m) => asksForCanary(m, header)));
  return new Set(declaring.flatMap((r) => list(r.backendRefs).filter((b) => b.weight !== 0).map(key)));
}

/**
 * Each backend's weight in a rule, the entries naming the same backend added up: Gateway API
 * gives every entry weight / sum, so a backend listed twice gets both shares. An omitted weight is 1.
 */
export function backendWeights(refs: BackendRef[], routeNamespace = ""): { key: string; name: string; weight: number }[] {
  const byKey = new Map<string, { key: string; name: string; weight: number }>();
  for (const b of refs) {
    const key = refKeyIn(routeNamespace)(b);
    const entry = byKey.get(key) ?? { key, name: b.name, weight: 0 };
    entry.weight += typeof b.weight === "number" ? b.weight : 1;
    byKey.set(key, entry);
  }
  return [...byKey.values()];
}

/**
 * A canary exists to limit the blast radius of a new model or agent version; a split that sends
 * more than the configured share, or weights that are not percentages, defeats that.
 */
export const canaryWeightLimit: ResourceValidationPolicy = {
  name: "canary-weight-limit",
  description:
    "In every HTTPRoute/GRPCRoute rule that splits traffic, weights sum to 100 and every backend but the primary gets at most maxCanaryWeight percent (default 10); a backend the x-canary header routes to is a canary even when it is the heaviest or the only one of a rule without the header; no rule gives all its backends weight 0 (its traffic would get 500 errors).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      maxCanaryWeight: { type: "integer", minimum: 0, maximum: 100, default: defaults.maxCanaryWeight, description: "Largest canary share in percent." },
      canaryHeader: { type: "string", default: defaults.canaryHeader, description: "Header whose rule routes to the canary; its backends are canaries wherever they appear in a split." },
    },
  },
  validateResource: (args, report) => {
    if (!isRoute(args.type)) return;
    const { maxCanaryWeight, canaryHeader } = configWithDefaults(args, defaults);
    const { namespace, name } = meta(args.props);
    const rules = list(args.props.spec?.rules as RouteRule[]);
    const canaries = canaryBackends(rules, canaryHeader, namespace);
    rules.forEach((rule, i) => {
      const refs = list(rule.backendRefs);
      // Weights are shares of their sum: when every backend has weight 0 there is nowhere to send
      // the rule's traffic, and Gateway API implementations answer it with 500 (Istio converts
      // such a rule to a direct 500 response). A redirect rule sends no traffic to backends.
      const redirects = list(rule.filters).some((f) => f?.type === "RequestRedirect");
      if (refs.length > 0 && !redirects && refs.every((b) => b.weight === 0)) {
        report(`${namespace}/${name} rule ${i}: every backendRef has weight 0 (${refs.map((b) => b.name).join(", ")}), so all traffic the rule matches gets a 500 error; give the backend meant to serve it a weight above 0, or remove the rule`);
        return;
      }
      // The header rule is the canary's own door; everything else must keep the canary small.
      if (isCanaryDoor(rule, canaryHeader)) return;
      const backends = backendWeights(refs, namespace);
      if (backends.length === 0 || (backends.length === 1 && !canaries.has(backends[0].key))) return;
      const total = backends.reduce((a, b) => a + b.weight, 0);
      if (refs.length > 1 && total !== 100) report(`${namespace}/${name} rule ${i}: split weights ${refs.map((b) => (typeof b.weight === "number" ? b.weight : 1)).join("/")} sum to ${total}, not 100`);
      // The primary is the heaviest backend that is not a declared canary.
      const candidates = backends.map((b) => (canaries.has(b.key) ? -1 : b.weight));
      const primary = candidates.indexOf(Math.max(...candidates));
      backends.forEach((b, j) => {
        if (j === primary && !canaries.has(b.key)) return;
        const share = total > 0 ? Math.round((b.weight * 10000) / total) / 100 : 0;
        if (share > maxCanaryWeight) {
          const what = canaries.has(b.key) ? `canary (${canaryHeader} routes to it)` : "non-primary backend";
          const listed = refs.filter((r) => refKeyIn(namespace)(r) === b.key).length;
          report(`${namespace}/${name} rule ${i}: ${what} ${b.name} gets ${share}% of the ${backends.length > 1 ? "split" : "rule's traffic"}${listed > 1 ? ` (listed ${listed} times)` : ""}; a canary may get at most ${maxCanaryWeight}%`);
        }
      });
    });
  },
};
