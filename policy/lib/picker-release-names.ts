/**
 * Names llm-d-router v0.10.0's routerlib templates (and GIE v1.5.0's epplib, alike) give the objects a
 * release renders for its picker. Shared by the readers of the releases' picker, config and proxy.
 */
import { dig } from "./k8s";
import { goTruthy } from "./values";

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
 * How many prediction servers _latency-predictor.tpl renders: `until (int <root>.latencyPredictor.
 * predictionServers.count)`, sprig's int being cast.ToInt: the charts' values.yaml 1 where not given,
 * 0 for a null (kept, or deleting the default: nil either way), 1 or 0 for a bool, a number truncated,
 * a decimal text read. Undefined where not read here (another text, a negative count).
 */
export function predictionServerCount(values: unknown, root: string): number | undefined {
  const v = dig(values, `${root}.latencyPredictor.predictionServers.count`);
  if (v === undefined) return 1;
  if (v === null || v === false) return 0;
  if (v === true) return 1;
  const n = typeof v === "number" ? Math.trunc(v) : typeof v === "string" && /^(0|[1-9][0-9]*)$/.test(v) ? Number(v) : undefined;
  return n !== undefined && n >= 0 ? n : undefined;
}

/**
 * Where _latency-predictor.tpl adds a container named `name` to the picker's pod (epplib's and
 * routerlib's alike, with <root>.latencyPredictor.enabled, after the picker's own): training-server
 * first (0), then prediction-server-1 to -<count> (1 to count). Undefined where it adds none of that
 * name, "unknown" where the count is not read here.
 */
export function predictorContainerAt(values: unknown, root: string, name: string): number | "unknown" | undefined {
  if (!goTruthy(dig(values, `${root}.latencyPredictor.enabled`))) return undefined;
  if (name === "training-server") return 0;
  const k = /^prediction-server-([1-9][0-9]*)$/.exec(name);
  if (!k) return undefined;
  const count = predictionServerCount(values, root);
  return count === undefined ? "unknown" : Number(k[1]) <= count ? Number(k[1]) : undefined;
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
