/**
 * ConfigMaps the volumes an llm-d-router v0.10.0 chart release's values give mount, where neither
 * the chart nor the stack renders them: routerlib _deployment.yaml renders router.epp.volumes (toYaml,
 * as written) as volumes of the picker's pod in either chart, and, in llm-d-router-standalone,
 * router.proxy.volumes (through `tpl`) in the picker's pod where the proxy is its sidecar, or in the
 * proxy's own (_proxy-deployment.yaml) in service mode. GIE v1.5.0's epplib (its inferencepool and
 * standalone charts) renders inferenceExtension.volumes (toYaml) and inferenceExtension.sidecar.volumes
 * (through `tpl`, whether the sidecar is on or not) as volumes of the picker's pod alike. The kubelet
 * sets up every volume of a pod, whatever mounts it, and keeps the pod in ContainerCreating until a
 * non-optional configMap volume's ConfigMap exists, but one applied outside the stack (by hand,
 * another tool, a chart whose objects a review does not see) would do: "can't judge", not a verdict.
 * GIE's standalone chart's own sidecar volume, left as it is where the chart renders no ConfigMap
 * `envoy`, is judged here too (checkGieSidecarVolume). Split from picker-release-proxy.ts.
 */
import { dig } from "./k8s";
import type { Report } from "./picker-service";
import { goTruthy, isObject, list } from "./values";
import type { ChartRelease } from "./picker-release-serving";
import { chartVolumeConfigMap, missingKeyMessage, proxyOn, proxySidecar, proxyType, renderedConfigMapName, stackConfigMap, type Volume } from "./picker-release-configmaps";
import { chartPickerConfigMaps, gieSidecarConfigMap } from "./picker-release-names";

/** Whose volumes a release's values give: their values path, the pod they land in, whether the chart runs them through `tpl`. */
type VolumeSource = { path: string; whose: string; pod: string; templated: boolean };

/** The volume lists of a release's values routerlib (or epplib) renders, with the pod each lands in. */
function volumeSources(rel: ChartRelease): VolumeSource[] {
  if (rel.gie) {
    return [
      { path: "inferenceExtension.volumes", whose: "picker's", pod: "the picker's pod", templated: false },
      { path: "inferenceExtension.sidecar.volumes", whose: "sidecar's", pod: "the picker's pod", templated: true },
    ];
  }
  const sources: VolumeSource[] = [{ path: "router.epp.volumes", whose: "picker's", pod: "the picker's pod", templated: false }];
  if (rel.chart !== "llm-d-router-standalone" || !proxyOn(rel.values) || !["envoy", "agentgateway"].includes(proxyType(rel.values))) return sources;
  const pod = proxySidecar(rel.values) ? "the picker's pod, whose sidecar the proxy is," : "the proxy's pods (router.proxy.mode service)";
  return [...sources, { path: "router.proxy.volumes", whose: "proxy's", pod, templated: true }];
}

/**
 * The ConfigMaps the non-optional configMap volumes of router.epp.volumes and router.proxy.volumes
 * (GIE's inferenceExtension.volumes and sidecar.volumes) mount in the release's namespace that
 * neither the chart renders (its standalone proxy's or GIE's sidecar's, its picker's, its latency
 * predictor's: routerlib and epplib _config.yaml) nor the stack holds, each named with the volume and
 * the pod it stops. Volumes the values template (`tpl`) are not read.
 */
export function unseenReleaseConfigMaps(rel: ChartRelease): string[] {
  const root = rel.gie ? "inferenceExtension" : "router";
  const proxy = rel.gie ? gieSidecarConfigMap(rel.chart, rel.values) : rel.chart === "llm-d-router-standalone" ? renderedConfigMapName(rel.values) : undefined;
  const chart = [proxy, ...(rel.name ? chartPickerConfigMaps(rel.name, rel.values, root) : [])];
  // An auto-named release's picker ConfigMaps are not known here: a name like theirs is left alone.
  const maybeChart = (n: string) => chart.includes(n) || (!rel.name && /-epp(-latency-predictor-(training|prediction))?$/.test(n));
  const seen = new Set<string>();
  const out: string[] = [];
  for (const { path, whose, pod, templated } of volumeSources(rel)) {
    const given = dig(rel.values, path);
    if (!Array.isArray(given) || (templated && JSON.stringify(given).includes("{{"))) continue;
    for (const v of list(given as Volume[])) {
      if (!isObject(v) || !isObject(v.configMap) || v.configMap.optional === true) continue;
      const name = v.configMap.name;
      if (typeof name !== "string" || seen.has(name) || maybeChart(name) || stackConfigMap(rel, name) !== undefined) continue;
      seen.add(name);
      out.push(
        `ConfigMap ${rel.namespace}/${name}, which the ${whose} volume ${String(v.name)} (${path}) of Helm release ${rel.namespace}/${rel.name ?? rel.resource.name} mounts and neither the chart nor the stack renders: the kubelet keeps ${pod} in ContainerCreating until it exists, which a ConfigMap made outside the stack may satisfy`,
      );
    }
  }
  return out;
}

/** standalone/values.yaml's inferenceExtension.sidecar.volumes: volume config, ConfigMap `envoy`, key envoy.yaml, not optional. */
const GIE_SIDECAR_VOLUME: Volume = { name: "config", configMap: { name: "envoy", items: [{ key: "envoy.yaml", path: "envoy.yaml" }] } };

/**
 * GIE's standalone chart's own sidecar volume (its values.yaml sidecar.volumes, left as they are)
 * where the values stop the chart rendering the ConfigMap `envoy` it mounts: the sidecar off
 * (inferenceExtension.sidecar.enabled false, or a null, which Helm reads as deleting the default:
 * epplib _config.yaml renders the sidecar's ConfigMap only under sidecar.enabled, while _deployment.yaml
 * renders sidecar.volumes whatever enabled says), or sidecar.configMap.name renaming it. Judged by
 * picker-release-proxy.ts chartVolumeConfigMap, the rule of llm-d-router-standalone's envoy preset
 * volume: no ConfigMap envoy in the namespace, from the stack or another release of either chart, is
 * a verdict, and so is one lacking key envoy.yaml. Volumes the values write are left to
 * {@link unseenReleaseConfigMaps}; a sidecar on with no name for its ConfigMap is not read here.
 */
export function checkGieSidecarVolume(rel: ChartRelease, report: Report): void {
  const sidecar = dig(rel.values, "inferenceExtension.sidecar");
  if (rel.chart !== "standalone" || !isObject(sidecar) || sidecar.volumes !== undefined) return;
  const on = sidecar.enabled === undefined || goTruthy(sidecar.enabled);
  const rendered = gieSidecarConfigMap(rel.chart, rel.values);
  if (rendered === GIE_SIDECAR_VOLUME.configMap!.name || (on && rendered === undefined)) return;
  const found = chartVolumeConfigMap(rel, GIE_SIDECAR_VOLUME, rendered);
  const volume = "the sidecar's volume config (inferenceExtension.sidecar.volumes)";
  const outcome = "the picker's pod never starts, so its Service has no endpoint and every request to the pool fails (FailClose) or skips the picker (FailOpen)";
  if ("missingKey" in found) report(missingKeyMessage(rel.lead, volume, rel.namespace, found.missingKey, outcome), rel.resource.urn);
  if (!("missing" in found)) return;
  const why = on
    ? `inferenceExtension.sidecar.configMap.name ${JSON.stringify(rendered)} renames the ConfigMap epplib _config.yaml renders for the Envoy sidecar`
    : `inferenceExtension.sidecar.enabled ${JSON.stringify(sidecar.enabled)} turns the Envoy sidecar off, so epplib _config.yaml renders no ConfigMap envoy`;
  const fix = on ? `give inferenceExtension.sidecar.volumes a volume config mounting ConfigMap ${rendered} (key envoy.yaml at path envoy.yaml), or drop the rename` : "set inferenceExtension.sidecar.volumes: [] beside enabled false";
  report(
    `${rel.lead}: ${why}, but _deployment.yaml still renders inferenceExtension.sidecar.volumes${on ? "" : " (whatever enabled says)"}, whose standalone/values.yaml volume config mounts ConfigMap ${rel.namespace}/envoy (key envoy.yaml, not optional), which neither the chart nor the stack renders: the kubelet sets up every volume of a pod and keeps the picker's pod in ContainerCreating, so ${outcome.slice(4)}; ${fix}, or add ConfigMap envoy (key envoy.yaml) to the stack in namespace ${rel.namespace}`,
    rel.resource.urn,
  );
}

/**
 * A GIE chart's Envoy sidecar on (the standalone chart's unless sidecar.enabled is Go-false, the
 * inferencepool chart's where it is Go-true) whose ConfigMap has no name: epplib _config.yaml writes
 * `name: {{ .Values.inferenceExtension.sidecar.configMap.name }}`, no default. Where sidecar.configMap
 * is no map (the inferencepool chart gives none; a null is kept under the subchart key
 * inferenceExtension, which Helm v3.20.2 coalesces merging: childChartMergeTrue, helm#31919), Go's
 * template stops at `.name` ("nil pointer evaluating interface {}.name") and Helm cannot render the
 * chart; where its name is null, "" or (no chart default) missing, Helm's engine prints the nil's
 * `<no value>` as "" and the ConfigMap has no name, which Helm cannot install. Either way the release
 * fails, nothing of it is created. Returns whether it reported.
 */
export function checkGieSidecarConfigMapName(rel: ChartRelease, report: Report): boolean {
  const at = (k: string) => dig(rel.values, `inferenceExtension.sidecar.${k}`);
  const standalone = rel.chart === "standalone";
  if (!rel.gie || !(at("enabled") === undefined ? standalone : goTruthy(at("enabled")))) return false;
  const configMap = at("configMap");
  const fix = "give inferenceExtension.sidecar.configMap a name (and the data its volume maps), or turn the sidecar off";
  const on = standalone ? "on by default in the standalone chart" : `turned on by inferenceExtension.sidecar.enabled ${JSON.stringify(at("enabled"))}`;
  if (configMap === undefined ? !standalone : !isObject(configMap)) {
    const what = configMap === undefined ? "not given (the inferencepool chart's values.yaml has none)" : configMap === null ? "null, which Helm v3 keeps (its default sits under the subchart key inferenceExtension, which chartutil coalesces merging: childChartMergeTrue, helm#31919)" : `${JSON.stringify(configMap)}, not a map`;
    report(`${rel.lead}: inferenceExtension.sidecar.configMap is ${what}, while the Envoy sidecar is ${on}, so epplib _config.yaml cannot evaluate the sidecar ConfigMap's name (.Values.inferenceExtension.sidecar.configMap.name: nil pointer evaluating interface {}.name, or no field name in a scalar), Helm cannot render the chart and the release fails to install (pulumi up fails), nothing of it created; ${fix}`, rel.resource.urn);
    return true;
  }
  const name = isObject(configMap) ? configMap.name : undefined;
  if (!(name === null || name === "" || (name === undefined && !standalone))) return false;
  const said = name === null ? "null" : name === "" ? '""' : "not given (the inferencepool chart's values.yaml has no default)";
  report(
    `${rel.lead}: inferenceExtension.sidecar.configMap.name is ${said}, while the Envoy sidecar is ${on}, so epplib _config.yaml (name: {{ .Values.inferenceExtension.sidecar.configMap.name }}, no default; Helm v3 prints a nil as "") renders the Envoy sidecar's ConfigMap with an empty metadata.name, and Helm cannot install the release ("resource name may not be empty", from its check for objects that already exist), so nothing of it (picker, sidecar, Service) is created; ${fix}`,
    rel.resource.urn,
  );
  return true;
}
