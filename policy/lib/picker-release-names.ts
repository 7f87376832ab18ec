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
