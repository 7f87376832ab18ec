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
  kind?: string;
  name: string;
  weight?: number;
}
interface RouteRule {
  matches?: { headers?: { name?: string }[] }[];
  backendRefs?: BackendRef[];
}

const refKey = (b: BackendRef) => `${b.kind ?? "Service"}/${b.name}`;

/** Backends that a rule matching the canary header routes to: the route's declared canaries. */
export function canaryBackends(rules: RouteRule[], header: string): Set<string> {
  const pinned = rules.filter((r) => list(r.matches).some((m) => list(m.headers).some((h) => h.name?.toLowerCase() === header.toLowerCase())));
  return new Set(pinned.flatMap((r) => list(r.backendRefs).map(refKey)));
}

/**
 * A canary exists to limit the blast radius of a new model or agent version; a split that sends
 * more than the configured share, or weights that are not percentages, defeats that.
 */
export const canaryWeightLimit: ResourceValidationPolicy = {
  name: "canary-weight-limit",
  description:
    "In every HTTPRoute/GRPCRoute rule that splits traffic, weights sum to 100 and every backend but the primary gets at most maxCanaryWeight percent (default 10); a backend the x-canary header routes to is a canary even when it is the heaviest.",
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
    const canaries = canaryBackends(rules, canaryHeader);
    rules.forEach((rule, i) => {
      const refs = list(rule.backendRefs);
      if (refs.length < 2) return;
      // Gateway API: an omitted weight is 1.
      const weights = refs.map((b) => (typeof b.weight === "number" ? b.weight : 1));
      const total = weights.reduce((a, b) => a + b, 0);
      if (total !== 100) report(`${namespace}/${name} rule ${i}: split weights ${weights.join("/")} sum to ${total}, not 100`);
      // The primary is the heaviest backend that is not a declared canary.
      const candidates = weights.map((w, j) => (canaries.has(refKey(refs[j])) ? -1 : w));
      const primary = candidates.indexOf(Math.max(...candidates));
      refs.forEach((b, j) => {
        if (j === primary && !canaries.has(refKey(b))) return;
        const share = total > 0 ? Math.round((weights[j] * 10000) / total) / 100 : 0;
        if (share > maxCanaryWeight) {
          const what = canaries.has(refKey(b)) ? `canary (${canaryHeader} routes to it)` : "non-primary backend";
          report(`${namespace}/${name} rule ${i}: ${what} ${b.name} gets ${share}% of the split; a canary may get at most ${maxCanaryWeight}%`);
        }
      });
    });
  },
};
