/**
 * The ConfigMaps an Endpoint Picker chart release's volumes mount, and the one rule for a volume of
 * the chart's own. What llm-d-router-standalone v0.10.0 renders for its proxy (routerlib _helpers.tpl
 * proxyType/proxyMode, _config.yaml: its name and keys), what GIE v1.5.0's epplib renders for its
 * Envoy sidecar (_config.yaml), the ConfigMap of a name the stack holds in the release's namespace (an
 * object, or one another release of either chart renders), and the keys a volume maps that its
 * ConfigMap lacks. Split from picker-release-proxy.ts; read there and by picker-release-volumes.ts.
 */
import { dig, helmChartName, meta, T } from "./k8s";
import { releaseNamespace } from "./release-namespace";
import { goTruthy, isObject, list } from "./values";
import type { ChartRelease } from "./picker-release-serving";
import { GIE_CHARTS, gieChartOrigin } from "./picker-release-gie";
import { gieSidecarConfigMap } from "./picker-release-names";

export type MissingKey = { configMap: string; key: string; whose: string; fix: string };

/**
 * The verdict on a non-optional configMap volume (`volume`, as named there) mapping a key its
 * ConfigMap lacks: kubelet configmap MakePayload fails the mount, so `outcome`.
 */
export const missingKeyMessage = (lead: string, volume: string, namespace: string, { configMap, key, whose, fix }: MissingKey, outcome: string) =>
  `${lead}: ${volume} maps key ${key} of ConfigMap ${namespace}/${configMap} (${whose}), which has no such key (and the volume is not optional), so the kubelet cannot mount it and ${outcome} (kubelet configmap volume MakePayload: "references non-existent config key"); ${fix}, or mark the volume optional`;

export type Volume = { name?: unknown; configMap?: { name?: unknown; optional?: unknown; items?: { key?: unknown; path?: unknown }[] } };

/** Whether a standalone release's proxy is on (router.proxy.enabled, true unless Go-false). */
export const proxyOn = (values: unknown) => dig(values, "router.proxy.enabled") === undefined || goTruthy(dig(values, "router.proxy.enabled"));

/** Its type, lower-cased (routerlib _helpers.tpl proxyType), envoy unless set. */
export const proxyType = (values: unknown) => (goTruthy(dig(values, "router.proxy.proxyType")) ? String(dig(values, "router.proxy.proxyType")).toLowerCase() : "envoy");

/** Whether it runs as the picker's sidecar (routerlib _helpers.tpl proxyMode, lower-cased), as it does unless router.proxy.mode says otherwise. */
export const proxySidecar = (values: unknown) => (goTruthy(dig(values, "router.proxy.mode")) ? String(dig(values, "router.proxy.mode")).toLowerCase() : "sidecar") === "sidecar";

/**
 * The ConfigMap a standalone release renders for its proxy (routerlib _config.yaml: the merged
 * router.proxy.configMap.name, the preset's `envoy` or `agentgateway` unless the values rename it);
 * undefined where its proxy is off, or router.proxy.configMap is null (the merged configMap is
 * then null, and _config.yaml renders the ConfigMap only `if and $proxy.enabled $proxy.configMap`).
 */
export function renderedConfigMapName(values: unknown): string | undefined {
  if (!proxyOn(values) || dig(values, "router.proxy.configMap") === null || unnamedConfigMap(values)) return undefined;
  const given = dig(values, "router.proxy.configMap.name");
  if (goTruthy(given)) return String(given);
  return proxyType(values) === "agentgateway" ? "agentgateway" : "envoy";
}

/**
 * router.proxy.configMap.name null or "" where the proxy is on: mergeOverwrite (mergo v1.0.1,
 * overwriting) lays either over the preset's name, the merged configMap stays a map (so _config.yaml
 * renders it), and `name: {{ $proxy.configMap.name }}` (no default) prints "" (Helm's engine turns
 * the `<no value>` of a nil into ""): a ConfigMap without a name.
 */
export const unnamedConfigMap = (values: unknown): boolean => {
  const configMap = dig(values, "router.proxy.configMap");
  return proxyOn(values) && isObject(configMap) && "name" in configMap && (configMap.name === null || configMap.name === "");
};

/** The keys of a ConfigMap's maps (data, binaryData); undefined where one is not a map this run can read. */
const keysOf = (...maps: unknown[]): Set<string> | undefined =>
  maps.every((m) => m === undefined || m === null || isObject(m)) ? new Set(maps.flatMap((m) => (isObject(m) ? Object.keys(m) : []))) : undefined;

/**
 * The keys of the ConfigMap a standalone release renders for its proxy (routerlib _helpers.tpl
 * proxyConfigMapData): router.proxy.configMap.data's over its preset's, envoy.yaml (the envoy
 * preset's data) or config.yaml (which the chart generates for agentgateway). A null data replaces
 * the envoy preset's (`index $configMap "data" | default dict`: no key); a null entry is still a key.
 */
function renderedKeys(values: unknown): Set<string> | undefined {
  const type = proxyType(values);
  const own = type === "envoy" ? "envoy.yaml" : type === "agentgateway" ? "config.yaml" : undefined;
  const data = dig(values, "router.proxy.configMap.data");
  const keys = own === undefined ? undefined : keysOf(data);
  return keys && (data === null && type === "envoy" ? keys : keys.add(own!));
}

/** How a ConfigMap's keys read in a message. */
const withKeys = (keys: Set<string>) => (keys.size > 0 ? `with keys ${[...keys].sort().join(", ")}` : "with no key");

type StackConfigMap = { data: unknown; keys?: Set<string>; release?: string; gie?: boolean };

/**
 * The keys of the ConfigMap a GIE chart renders for its Envoy sidecar (epplib _config.yaml: sidecar.
 * configMap.data, toYaml): the values' merged over the standalone chart's envoy.yaml; a null data none.
 */
const gieSidecarKeys = (chart: string, values: unknown): Set<string> | undefined => {
  const data = dig(values, "inferenceExtension.sidecar.configMap.data");
  const keys = keysOf(data);
  return keys && (data !== null && chart === "standalone" ? keys.add("envoy.yaml") : keys);
};

/**
 * The ConfigMap `name` of the release's namespace the stack renders: a ConfigMap object (its data
 * and keys), or one another release renders (`release` naming it; its data not read): an
 * llm-d-router-standalone release's proxy ConfigMap, or a GIE chart release's sidecar one (`gie`).
 */
export function stackConfigMap(rel: ChartRelease, name: string): StackConfigMap | undefined {
  const stack = rel.stack ?? [];
  const cm = stack.find((r) => r.type === T.configMap && meta(r.props).name === name && meta(r.props).namespace === rel.namespace);
  if (cm) return { data: cm.props.data, keys: keysOf(cm.props.data, cm.props.binaryData) };
  for (const r of stack) {
    if (r === rel.resource || r.type !== T.helmRelease || releaseNamespace(r) !== rel.namespace) continue;
    const chart = helmChartName(r.props) ?? "";
    const values = r.props.values ?? {};
    const release = `${rel.namespace}/${String(r.props.name ?? r.urn.split("::").pop())}`;
    if (chart === "llm-d-router-standalone" && renderedConfigMapName(values) === name) return { data: undefined, keys: renderedKeys(values), release };
    if (GIE_CHARTS.includes(chart) && (chart !== "standalone" || gieChartOrigin(r.props)) && gieSidecarConfigMap(chart, values) === name) return { data: undefined, keys: gieSidecarKeys(chart, values), release, gie: true };
  }
  return undefined;
}

/**
 * The first key of the volume's items its ConfigMap lacks (kubelet configmap MakePayload fails the
 * mount on one, unless the volume is optional). `stack` is the stack's ConfigMap it mounts; without
 * one, the chart's own (renderedKeys). Undefined where the keys are not known here.
 */
function absentKey(rel: ChartRelease, volume: Volume, stack: StackConfigMap | undefined): MissingKey | undefined {
  const have = stack ? stack.keys : renderedKeys(rel.values);
  if (!have || volume.configMap?.optional === true) return undefined;
  const key = list(volume.configMap?.items).map((i) => i?.key).find((k): k is string => typeof k === "string" && !have.has(k));
  if (key === undefined) return undefined;
  const configMap = String(volume.configMap?.name);
  if (!stack) {
    const nulled = dig(rel.values, "router.proxy.configMap.data") === null ? ": router.proxy.configMap.data is null, which replaces the envoy preset's data" : "";
    return { configMap, key, whose: `the one the chart renders for its Envoy proxy, ${withKeys(have)}${nulled}`, fix: nulled ? `drop the null router.proxy.configMap.data (the preset's envoy.yaml is then rendered)` : `give router.proxy.configMap.data a key ${key}` };
  }
  if (!stack.release) return { configMap, key, whose: "the stack's", fix: `give ConfigMap ${configMap} a key ${key}` };
  const [what, data] = stack.gie ? ["Envoy sidecar", "inferenceExtension.sidecar.configMap.data"] : ["proxy", "router.proxy.configMap.data"];
  return { configMap, key, whose: `the one Helm release ${stack.release} renders for its ${what}, ${withKeys(have)}`, fix: `give that release's ${data} a key ${key}` };
}

/** What a volume of the chart's own finds of the ConfigMap it mounts: none, one lacking a key it maps, or one (`at`: the stack's, else the chart's). */
export type ChartVolumeFinding = { missing: string } | { missingKey: MissingKey } | { at?: StackConfigMap };

/**
 * The one rule for a non-optional configMap volume the chart's values.yaml gives (llm-d-router-
 * standalone's envoy preset's `config`, GIE standalone's sidecar `config`: each mounts ConfigMap
 * `envoy`, the one the chart itself renders), where the values leave it as it is and the chart
 * renders `rendered` (none, or one renamed). The kubelet sets up every volume of a pod and keeps it in
 * ContainerCreating until a non-optional ConfigMap exists (kubelet pkg/volume/configmap SetUpAt), and
 * fails the mount on a key its items map that the ConfigMap lacks (MakePayload). Where neither the
 * chart nor the stack (a ConfigMap object, or another release of either chart in the namespace
 * rendering that name) renders it, `missing` is a verdict: the volume is the chart's own pairing with
 * its own ConfigMap, which the values turned off or renamed, so nothing the release or the stack
 * declares provides it and only a ConfigMap that happens to exist outside would; a volume the values
 * write names its ConfigMap on purpose, and is left to picker-release-volumes.ts
 * unseenReleaseConfigMaps (can't judge).
 */
export function chartVolumeConfigMap(rel: ChartRelease, volume: Volume, rendered: string | undefined): ChartVolumeFinding {
  const mounted = String(volume.configMap?.name);
  const at = mounted === rendered ? undefined : stackConfigMap(rel, mounted);
  if (mounted !== rendered && at === undefined) return { missing: mounted };
  const missingKey = absentKey(rel, volume, at);
  return missingKey ? { missingKey } : { at };
}
