/**
 * The proxy llm-d-router-standalone v0.10.0 runs in front of its picker, and the config it runs
 * with. routerlib _helpers.tpl `llm-d-router.proxy` lays `router.proxy` over the preset of its
 * type (mergeOverwrite: maps merge, lists and scalars of the values win), so `router.proxy.configMap`
 * (`name`, `data`) renames or refills the ConfigMap the chart renders for the proxy (routerlib
 * _config.yaml; the chart runs an envoy.yaml of the values through `tpl`; agentgateway's config.yaml
 * it always generates itself, over the values' key). The envoy preset mounts ConfigMap `envoy` (its
 * volume `config`, key envoy.yaml) at /etc/envoy and runs `-c /etc/envoy/envoy.yaml`; that volume
 * is router.proxy.volumes as given (_deployment.yaml, _proxy-deployment.yaml), so it does not follow a
 * renamed configMap, and a volume mounting a ConfigMap of the stack reads that one. A null under
 * router.proxy.configMap reaches the templates: Helm v3.20.2 chartutil coalesce drops a user's null
 * only over a default of the chart's values, which have none there (the preset's is under
 * router.proxy.presets), and mergeOverwrite (mergo v1.0.1, overwriting) sets it over the preset's
 * value. Read by
 * picker-release-pod.ts; the Envoy configs themselves are read by picker-release-envoy.ts.
 */
import { dig, helmChartName, meta, T } from "./k8s";
import { releaseNamespace } from "./release-namespace";
import { goTruthy, isObject, list } from "./values";
import { tplText, tplYamlValue, type TplScope } from "./helm-tpl";
import type { ChartRelease } from "./picker-release-serving";
import type { Report } from "./picker-service";
import { bootstrapRefused, parseEnvoy, presetView, type EnvoyView } from "./picker-release-envoy";

export interface LlmdProxy {
  type: string;
  sidecar: boolean;
  /** The Envoy proxy's config; undefined for agentgateway, or where it is not read here. */
  envoy?: EnvoyView;
  /** The ConfigMap the Envoy preset's volume mounts that nothing renders, beside the one the chart renders (none: router.proxy.configMap null). */
  missing?: { mounted: string; rendered?: string };
  /** router.proxy.configMap.data["envoy.yaml"] null, which the chart renders as the text "<nil>". */
  nilConfig?: boolean;
  /** A key the proxy's volume maps that its ConfigMap lacks; `whose` says whose ConfigMap, `fix` where to add the key. */
  missingKey?: MissingKey;
}

export type MissingKey = { configMap: string; key: string; whose: string; fix: string };

/**
 * The verdict on a non-optional configMap volume (`volume`, as named there) mapping a key its
 * ConfigMap lacks: kubelet configmap MakePayload fails the mount, so `outcome`.
 */
export const missingKeyMessage = (lead: string, volume: string, namespace: string, { configMap, key, whose, fix }: MissingKey, outcome: string) =>
  `${lead}: ${volume} maps key ${key} of ConfigMap ${namespace}/${configMap} (${whose}), which has no such key (and the volume is not optional), so the kubelet cannot mount it and ${outcome} (kubelet configmap volume MakePayload: "references non-existent config key"); ${fix}, or mark the volume optional`;

/** What the chart's `tpl` reads of the release: its name (where the stack gives it), namespace and values. */
const tplScope = (rel: ChartRelease): TplScope => ({ releaseName: rel.name, namespace: rel.namespace, values: rel.values });

export type Volume = { name?: unknown; configMap?: { name?: unknown; optional?: unknown; items?: { key?: unknown; path?: unknown }[] } };

/** The envoy preset's volume (values.yaml router.proxy.presets.envoy.volumes): ConfigMap `envoy`, a literal. */
const PRESET_VOLUME: Volume = { name: "config", configMap: { name: "envoy", items: [{ key: "envoy.yaml", path: "envoy.yaml" }] } };

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
const unnamedConfigMap = (values: unknown): boolean => {
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

type StackConfigMap = { data: unknown; keys?: Set<string>; release?: string };

/**
 * The ConfigMap `name` of the release's namespace the stack renders: a ConfigMap object (its data
 * and keys), or another standalone release's proxy ConfigMap (`release` naming it; its data not read).
 */
export function stackConfigMap(rel: ChartRelease, name: string): StackConfigMap | undefined {
  const stack = rel.stack ?? [];
  const cm = stack.find((r) => r.type === T.configMap && meta(r.props).name === name && meta(r.props).namespace === rel.namespace);
  if (cm) return { data: cm.props.data, keys: keysOf(cm.props.data, cm.props.binaryData) };
  const other = stack.find(
    (r) => r !== rel.resource && r.type === T.helmRelease && helmChartName(r.props) === "llm-d-router-standalone" && releaseNamespace(r) === rel.namespace && renderedConfigMapName(r.props.values ?? {}) === name,
  );
  return other && { data: undefined, keys: renderedKeys(other.props.values ?? {}), release: `${rel.namespace}/${String(other.props.name ?? other.urn.split("::").pop())}` };
}

type ConfigSource = "preset" | { text: string; from: string } | { missing: string; rendered?: string } | { missingKey: MissingKey } | { nil: true } | undefined;

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
  return { configMap, key, whose: `the one Helm release ${stack.release} renders for its proxy, ${withKeys(have)}`, fix: `give that release's router.proxy.configMap.data a key ${key}` };
}

/**
 * The envoy.yaml the Envoy proxy reads: `preset` for the preset's own, the text of
 * `router.proxy.configMap.data` where the values give one for the key its volume maps, or of the
 * stack's ConfigMap of the release's namespace its volume mounts instead; `missing` where the preset's
 * volume mounts ConfigMap `envoy` after the values renamed the chart's (routerlib mounts
 * router.proxy.volumes as given), or router.proxy.configMap is null (no ConfigMap rendered), and the
 * stack renders none of that name there; `nil` where router.proxy.configMap.data["envoy.yaml"] is
 * null (proxyConfigMapData runs it through `tpl (toString ...)`: the text "<nil>"); undefined where
 * this run does not see it (its command, args or mounts replaced; a volume mounting a ConfigMap the
 * stack does not hold; volumes or envoy.yaml text with template actions the chart's `tpl` renders
 * and helm-tpl.ts does not: see there).
 */
function envoyConfigText(rel: ChartRelease): ConfigSource {
  const at = (k: string) => dig(rel.values, `router.proxy.${k}`);
  // routerlib renders router.proxy.volumes through `tpl (toYaml .) $`.
  const written = at("volumes");
  const given = written === undefined ? undefined : tplYamlValue(written, tplScope(rel));
  if (written !== undefined && given === undefined) return undefined;
  const volume = given === undefined ? PRESET_VOLUME : list(given as Volume[]).find((v) => isObject(v) && v.name === "config");
  const configMap = isObject(at("configMap")) ? (at("configMap") as Record<string, unknown>) : {};
  const rendered = renderedConfigMapName(rel.values);
  const mounted = volume?.configMap?.name;
  if (typeof mounted !== "string") return undefined;
  const elsewhere = mounted === rendered ? undefined : stackConfigMap(rel, mounted);
  // The kubelet sets up every volume of the pod, whatever mounts it: judged before the mounts are.
  if (mounted !== rendered && elsewhere === undefined) return given === undefined ? { missing: mounted, rendered } : undefined;
  const missingKey = absentKey(rel, volume!, elsewhere);
  if (missingKey) return { missingKey };
  if (["command", "args", "volumeMounts"].some((k) => at(k) !== undefined) || elsewhere?.release) return undefined;
  const items = list(volume!.configMap!.items);
  const key = items.length > 0 ? items.find((i) => i?.path === "envoy.yaml")?.key : "envoy.yaml";
  if (typeof key !== "string") return undefined;
  // A ConfigMap of the stack is mounted as it is: its text is not run through the chart's tpl.
  if (elsewhere) {
    const text = isObject(elsewhere.data) ? elsewhere.data[key] : undefined;
    return typeof text === "string" ? { text, from: `ConfigMap ${rel.namespace}/${mounted}'s ${key}` } : undefined;
  }
  const data = configMap.data;
  if (isObject(data) && data[key] === null) return key === "envoy.yaml" ? { nil: true } : undefined;
  if (isObject(data) && data[key] !== undefined) {
    // proxyConfigMapData renders the envoy.yaml key through `tpl`; other keys stay literal (and templated ones are not read).
    const written = data[key];
    const text = typeof written !== "string" ? undefined : key === "envoy.yaml" ? tplText(written, tplScope(rel)) : written.includes("{{") ? undefined : written;
    return text !== undefined ? { text, from: `router.proxy.configMap.data["${key}"]` } : undefined;
  }
  return key === "envoy.yaml" ? "preset" : undefined;
}

/**
 * The proxy llm-d-router-standalone runs (router.proxy: on, type envoy, a sidecar, by default):
 * undefined where it is off or of a type the chart has no preset for. routerlib _helpers.tpl
 * proxyType/proxyMode lower-case both.
 */
export function llmdProxy(rel: ChartRelease): LlmdProxy | undefined {
  if (rel.chart !== "llm-d-router-standalone") return undefined;
  const at = (k: string) => dig(rel.values, `router.proxy.${k}`);
  if (!proxyOn(rel.values)) return undefined;
  const type = proxyType(rel.values);
  if (type !== "envoy" && type !== "agentgateway") return undefined;
  const sidecar = proxySidecar(rel.values);
  // Its config.yaml the chart generates over any the values give; only other args make it read another.
  if (type === "agentgateway") return at("command") === undefined && at("args") === undefined ? { type, sidecar } : undefined;
  const config = envoyConfigText(rel);
  if (config !== undefined && config !== "preset" && "missing" in config) return { type, sidecar, missing: { mounted: config.missing, rendered: config.rendered } };
  if (config !== undefined && config !== "preset" && "missingKey" in config) return { type, sidecar, missingKey: config.missingKey };
  if (config !== undefined && config !== "preset" && "nil" in config) return { type, sidecar, nilConfig: true };
  const envoy = config === "preset" ? presetView(rel, sidecar) : config && parseEnvoy(config.text, config.from);
  return { type, sidecar, envoy };
}

/**
 * The Envoy preset's volume mounting ConfigMap `envoy` after router.proxy.configMap.name renamed
 * the one the chart renders (routerlib _config.yaml names it from the merged configMap.name, while
 * _deployment.yaml and _proxy-deployment.yaml render router.proxy.volumes as given): with no such
 * ConfigMap in the namespace the kubelet cannot set the volume up and the pod never starts. Likewise
 * where the volume's items map a key its ConfigMap (the stack's, or the chart's own) lacks and it is
 * not optional: kubelet pkg/volume/configmap MakePayload fails the mount on it. And an envoy.yaml
 * the chart renders as "<nil>" (a null router.proxy.configMap.data["envoy.yaml"]): Envoy's
 * MessageUtil::loadFromYaml refuses a bootstrap that is no map, and Envoy exits at start.
 */
export function checkLlmdProxyConfigMap(rel: ChartRelease, report: Report): void {
  if (rel.chart === "llm-d-router-standalone" && unnamedConfigMap(rel.values)) {
    const type = proxyType(rel.values);
    const preset = type === "envoy" || type === "agentgateway" ? `the ${type} preset's name ${type}` : "the values' proxy";
    report(
      `${rel.lead}: router.proxy.configMap.name is ${dig(rel.values, "router.proxy.configMap.name") === null ? "null" : '""'}, which routerlib's mergeOverwrite lays over ${preset}, so _config.yaml (name: {{ $proxy.configMap.name }}, no default; Helm v3 prints a nil as "") renders the proxy's ConfigMap with an empty metadata.name, and Helm cannot install the release ("resource name may not be empty", from its check for objects that already exist), so nothing of it (picker, proxy, Services) is created; drop router.proxy.configMap.name to keep the preset's, or give it a name`,
      rel.resource.urn,
    );
    return;
  }
  const p = llmdProxy(rel);
  if (!p) return;
  const outcome = p.sidecar
    ? "the picker's pod (the proxy is its sidecar) never starts, so the picker Service has no endpoint and every request through the proxy fails"
    : "the proxy's pods (router.proxy.mode service) never start, so every request sent to the proxy fails";
  if (p.missingKey) {
    const mk = p.missingKey;
    report(missingKeyMessage(rel.lead, "the proxy's volume config (router.proxy.volumes)", rel.namespace, { ...mk, fix: `map a key it has, ${mk.fix}` }, outcome), rel.resource.urn);
  }
  if (p.nilConfig) {
    const never = p.sidecar
      ? "the picker's pod (the proxy is its sidecar) is never Ready, so the picker Service has no endpoint and every request through the proxy fails"
      : "the proxy's pods (router.proxy.mode service) are never Ready, so every request sent to the proxy fails";
    report(
      `${rel.lead}: router.proxy.configMap.data["envoy.yaml"] is null, which Helm v3 keeps (the chart's values have no default there; chartutil coalesce drops a null only over one) and routerlib's mergeOverwrite lays over the envoy preset's envoy.yaml, so proxyConfigMapData renders it through tpl as the text "<nil>" (sprig toString of a nil), and the Envoy proxy, reading that as its bootstrap (-c /etc/envoy/envoy.yaml), ${bootstrapRefused("<nil>")}, so ${never}; drop the entry to run the preset's envoy.yaml, or give it an envoy.yaml of your own`,
      rel.resource.urn,
    );
  }
  if (!p.missing) return;
  const { mounted, rendered } = p.missing;
  if (rendered === undefined) {
    report(
      `${rel.lead}: router.proxy.configMap is null, which Helm v3 keeps (the chart's values have no default there) and routerlib's mergeOverwrite lays over the envoy preset's configMap, so the chart renders no ConfigMap for its Envoy proxy (_config.yaml renders one only for a configMap), but the proxy's volume config (the envoy preset's router.proxy.volumes) still mounts ConfigMap ${rel.namespace}/${mounted}, which neither the chart nor the stack renders, so the kubelet cannot mount it and ${outcome}; drop the null router.proxy.configMap, or add ConfigMap ${mounted} (key envoy.yaml) to the stack in namespace ${rel.namespace}`,
      rel.resource.urn,
    );
    return;
  }
  report(
    `${rel.lead}: router.proxy.configMap.name "${rendered}" renames the ConfigMap the chart renders for its Envoy proxy, but the proxy's volume config (the envoy preset's router.proxy.volumes) still mounts ConfigMap ${rel.namespace}/${mounted}, which neither the chart nor the stack renders, so the kubelet cannot mount it and ${outcome} (routerlib _config.yaml names the ConfigMap from router.proxy.configMap.name, _deployment.yaml mounts router.proxy.volumes as given); give router.proxy.volumes a volume config mounting ConfigMap ${rendered} (key envoy.yaml at path envoy.yaml), or drop router.proxy.configMap.name`,
    rel.resource.urn,
  );
}
