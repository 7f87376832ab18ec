import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isRoute, meta } from "../lib/k8s";
import { configWithDefaults, list } from "../lib/values";

interface Config {
  /** Largest share, in percent, any backend other than the primary may receive. */
  maxCanaryWeight: number;
}
const defaults: Config = { maxCanaryWeight: 10 };

/**
 * A canary exists to limit the blast radius of a new model or agent version; a split that sends
 * more than the configured share, or weights that are not percentages, defeats that.
 */
export const canaryWeightLimit: ResourceValidationPolicy = {
  name: "canary-weight-limit",
  description:
    "In every HTTPRoute/GRPCRoute rule that splits traffic, weights sum to 100 and every backend but the primary (the heaviest) gets at most maxCanaryWeight percent (default 10).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      maxCanaryWeight: { type: "integer", minimum: 0, maximum: 100, default: defaults.maxCanaryWeight, description: "Largest canary share in percent." },
    },
  },
  validateResource: (args, report) => {
    if (!isRoute(args.type)) return;
    const { maxCanaryWeight } = configWithDefaults(args, defaults);
    const { namespace, name } = meta(args.props);
    list(args.props.spec?.rules as { backendRefs?: { name: string; weight?: number }[] }[]).forEach((rule, i) => {
      const refs = list(rule.backendRefs);
      if (refs.length < 2) return;
      // Gateway API: an omitted weight is 1.
      const weights = refs.map((b) => (typeof b.weight === "number" ? b.weight : 1));
      const total = weights.reduce((a, b) => a + b, 0);
      if (total !== 100) report(`${namespace}/${name} rule ${i}: split weights ${weights.join("/")} sum to ${total}, not 100`);
      const primary = weights.indexOf(Math.max(...weights));
      refs.forEach((b, j) => {
        if (j === primary) return;
        const share = total > 0 ? Math.round((weights[j] * 10000) / total) / 100 : 0;
        if (share > maxCanaryWeight) {
          report(`${namespace}/${name} rule ${i}: backend ${b.name} gets ${share}% of the split; a canary may get at most ${maxCanaryWeight}%`);
        }
      });
    });
  },
};
