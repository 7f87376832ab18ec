/**
 * Names llm-d-router v0.10.0's routerlib templates (and GIE v1.5.0's epplib, alike) give the objects a
 * release renders for its picker. Shared by the readers of the releases' picker, config and proxy.
 */
import { dig } from "./k8s";
import { goTruthy } from "./values";
import { sprigInt, sprigUntil } from "./sprig-int";

/** routerlib _helpers.tpl llm-d-router.name: the release name, lower-cased, trimmed, cut to 40, then `-epp`. */
export const chartPickerName = (release: string) => `${release.toLowerCase().trim().slice(0, 40)}-epp`;

/**
 * The ConfigMaps routerlib _config.yaml renders beside the proxy's (epplib's alike, from
 * inferenceExtension: `root`): the picker's plugins config (llm-d-router.name) and, with
 * <root>.latencyPredictor.enabled, its training and prediction ones.
 */
export const chartPickerConfigMaps = (release: string, values: unknown, root = "router"): string[] => {
  const name = chartPickerName(release);
  return goTruthy(dig(values, `${root}.latencyPredictor.enabled`)) ? [name, `${name}-latency-predictor-training`, `${name}-latency-predictor-prediction`] : [name];
};

/**
 * The `$i` of each prediction server _latency-predictor.tpl renders: `range $i := until (int <root>.
 * latencyPredictor.predictionServers.count)` (./sprig-int.ts: cast.ToInt, then until), the charts'
 * values.yaml 1 where not given. A null is 0 (kept, or deleting the default: nil either way), a text
 * ParseInt refuses ("two", "1.5") 0 too, "0x2" 2; a negative n renders 0, -1, … n+1: |n| servers,
 * prediction-server-1, -0, --1 …, on startPort + $i. Undefined where not read here (a list or map, or
 * a count past 4096).
 */
export function predictionServerIndices(values: unknown, root: string): number[] | undefined {
  const v = dig(values, `${root}.latencyPredictor.predictionServers.count`);
  const n = v === undefined ? 1 : sprigInt(v);
  return n === undefined || Math.abs(n) > 4096 ? undefined : sprigUntil(n);
}

/**
 * Where _latency-predictor.tpl adds a container named `name` to the picker's pod (epplib's and
 * routerlib's alike, with <root>.latencyPredictor.enabled, after the picker's own): training-server
 * first (0), then prediction-server-<$i + 1> for each $i of {@link predictionServerIndices} (1, 2, …).
 * Undefined where it adds none of that name, "unknown" where the count is not read here.
 */
export function predictorContainerAt(values: unknown, root: string, name: string): number | "unknown" | undefined {
  if (!goTruthy(dig(values, `${root}.latencyPredictor.enabled`))) return undefined;
  if (name === "training-server") return 0;
  const k = /^prediction-server-(-?[0-9]+)$/.exec(name);
  if (!k) return undefined;
  const indices = predictionServerIndices(values, root);
  if (indices === undefined) return "unknown";
  const at = indices.findIndex((i) => `${i + 1}` === k[1]);
  return at < 0 ? undefined : at + 1;
}

/**
 * The ConfigMap epplib _config.yaml (GIE v1.5.0) renders for a GIE chart's Envoy sidecar: `if
 * .Values.inferenceExtension.sidecar.enabled`, named sidecar.configMap.name, over values.yaml's (the
 * standalone chart's sidecar is on, its ConfigMap `envoy`; the inferencepool chart's is off). A null
 * reads as deleting the default. Undefined where it renders none (or one without a name).
 */
export function gieSidecarConfigMap(chart: string, values: unknown): string | undefined {
  const at = (k: string) => dig(values, `inferenceExtension.sidecar.${k}`);
  const standalone = chart === "standalone";
  if (!(at("enabled") === undefined ? standalone : goTruthy(at("enabled")))) return undefined;
  const name = at("configMap.name");
  return name === undefined ? (standalone ? "envoy" : undefined) : goTruthy(name) ? String(name) : undefined;
}
