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
