/**
 * What the picker charts' `default-plugins.yaml` templates share: llm-d-router v0.10.0's routerlib
 * `_config.yaml` and GIE v1.5.0's epplib `_config.yaml` render the same scorers with the same weights,
 * and, with the latency predictor on, the same profile in place of them; one copy here keeps the two
 * readings from drifting apart.
 */
import { goTruthy } from "./values";

/** The default profile's scorers and their weights, as both charts render them. */
export const CHART_DEFAULT_SCORERS = [
  ["queue-scorer", 2],
  ["kv-cache-utilization-scorer", 2],
  ["prefix-cache-scorer", 3],
] as const;

/** The profile the latency predictor's plugins make up, which replaces the scorers'. */
const PREDICTOR_PROFILE = ["predicted-latency-producer", "strict-affinity-filter", "slo-headroom-tier-filter", "loose-affinity-filter", "latency-scorer", "weighted-random-picker"].map((pluginRef) => ({ pluginRef }));

/** The scorer plugins both charts declare. */
export const chartScorerPlugins = () => CHART_DEFAULT_SCORERS.map(([type]) => ({ type }));

/** The charts' one scheduling profile, `default`: the predictor's chain, else the weighted scorers. */
export function chartDefaultProfile(predictor: boolean) {
  return [{ name: "default", plugins: predictor ? PREDICTOR_PROFILE : CHART_DEFAULT_SCORERS.map(([pluginRef, weight]) => ({ pluginRef, weight })) }];
}

/** `insecureSkipVerify | default true`: Helm's `default` replaces every Go-empty value, false included. */
export const defaultTrue = (value: unknown): unknown => (goTruthy(value) ? value : true);
