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
 * GIE's standalone chart's own sidecar volume, left on with the sidecar off, is judged here too
 * (checkGieSidecarOffVolume). Split from picker-release-proxy.ts.
 */
import { dig, helmChartName, T } from "./k8s";
import { releaseNamespace } from "./release-namespace";
import type { Report } from "./picker-service";
import { gieChartOrigin } from "./picker-release-gie";
import { goTruthy, isObject, list } from "./values";
import type { ChartRelease } from "./picker-release-serving";
import { proxyOn, proxySidecar, proxyType, renderedConfigMapName, stackConfigMap, type Volume } from "./picker-release-proxy";
import { chartPickerConfigMaps } from "./picker-release-names";

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
 * The ConfigMap epplib _config.yaml renders for GIE's Envoy sidecar: `if .Values.inferenceExtension.
 * sidecar.enabled`, named sidecar.configMap.name, over values.yaml's (the standalone chart's sidecar
 * is on, its ConfigMap `envoy`; the inferencepool chart's is off). A null reads as deleting the default.
 */
function gieSidecarConfigMap(rel: ChartRelease): string | undefined {
  const at = (k: string) => dig(rel.values, `inferenceExtension.sidecar.${k}`);
  const standalone = rel.chart === "standalone";
  if (!(at("enabled") === undefined ? standalone : goTruthy(at("enabled")))) return undefined;
  const name = at("configMap.name");
  return name === undefined ? (standalone ? "envoy" : undefined) : goTruthy(name) ? String(name) : undefined;
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
  const proxy = rel.gie ? gieSidecarConfigMap(rel) : rel.chart === "llm-d-router-standalone" ? renderedConfigMapName(rel.values) : undefined;
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

/**
 * GIE's standalone chart with its Envoy sidecar off (inferenceExtension.sidecar.enabled false, or a
 * null, which Helm reads as deleting the default) and its values.yaml sidecar.volumes left as they
 * are: epplib _config.yaml renders ConfigMap `envoy` only under sidecar.enabled, while _deployment.yaml
 * renders sidecar.volumes whatever enabled says, and standalone/values.yaml's volume `config` mounts
 * ConfigMap `envoy` (key envoy.yaml, not optional). Where neither the stack nor another standalone
 * release of GIE's (its sidecar on) renders one of that name in the namespace, the picker's pod never
 * starts. The chart's own volume is judged, as the envoy preset's is (picker-release-proxy.ts); one the
 * values write is left to {@link unseenReleaseConfigMaps}.
 */
export function checkGieSidecarOffVolume(rel: ChartRelease, report: Report): void {
  const sidecar = dig(rel.values, "inferenceExtension.sidecar");
  if (rel.chart !== "standalone" || !isObject(sidecar) || sidecar.enabled === undefined || goTruthy(sidecar.enabled) || sidecar.volumes !== undefined) return;
  if (stackConfigMap(rel, "envoy") !== undefined) return;
  const others = (rel.stack ?? []).filter((r) => r !== rel.resource && r.type === T.helmRelease && helmChartName(r.props) === "standalone" && gieChartOrigin(r.props) && releaseNamespace(r) === rel.namespace);
  if (others.some((r) => gieSidecarConfigMap({ ...rel, resource: r, values: r.props.values ?? {} }) === "envoy")) return;
  report(
    `${rel.lead}: inferenceExtension.sidecar.enabled ${JSON.stringify(sidecar.enabled)} turns the Envoy sidecar off, so epplib _config.yaml renders no ConfigMap envoy, but _deployment.yaml still renders inferenceExtension.sidecar.volumes (whatever enabled says), whose standalone/values.yaml volume config mounts ConfigMap ${rel.namespace}/envoy (key envoy.yaml, not optional), which neither the chart nor the stack renders: the kubelet sets up every volume of a pod and keeps the picker's pod in ContainerCreating, so the picker never starts, its Service has no endpoint, and every request to the pool fails (FailClose) or skips the picker (FailOpen); set inferenceExtension.sidecar.volumes: [] beside enabled false, or add ConfigMap envoy (key envoy.yaml) to the stack in namespace ${rel.namespace}`,
    rel.resource.urn,
  );
}
