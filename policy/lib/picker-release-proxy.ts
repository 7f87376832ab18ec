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
 * value. Read by picker-release-pod.ts; the Envoy configs themselves are read by
 * picker-release-envoy.ts, the ConfigMaps its volumes mount by picker-release-configmaps.ts.
 */
import { dig } from "./k8s";
import { isObject, list } from "./values";
import { tplText, tplYamlValue, type TplScope } from "./helm-tpl";
import type { ChartRelease } from "./picker-release-serving";
import type { Report } from "./picker-service";
import { bootstrapRefused, parseEnvoy, presetView, type EnvoyView } from "./picker-release-envoy";
import { chartVolumeConfigMap, missingKeyMessage, proxyOn, proxySidecar, proxyType, renderedConfigMapName, unnamedConfigMap, type MissingKey, type Volume } from "./picker-release-configmaps";

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

/** What the chart's `tpl` reads of the release: its name (where the stack gives it), namespace and values. */
const tplScope = (rel: ChartRelease): TplScope => ({ releaseName: rel.name, namespace: rel.namespace, values: rel.values });

/** The envoy preset's volume (values.yaml router.proxy.presets.envoy.volumes): ConfigMap `envoy`, a literal. */
const PRESET_VOLUME: Volume = { name: "config", configMap: { name: "envoy", items: [{ key: "envoy.yaml", path: "envoy.yaml" }] } };

type ConfigSource = "preset" | { text: string; from: string } | { missing: string; rendered?: string } | { missingKey: MissingKey } | { nil: true } | undefined;

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
  // The kubelet sets up every volume of the pod, whatever mounts it: judged before the mounts are.
  const found = chartVolumeConfigMap(rel, volume!, rendered);
  if ("missing" in found) return given === undefined ? { missing: mounted, rendered } : undefined;
  if ("missingKey" in found) return { missingKey: found.missingKey };
  const elsewhere = found.at;
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
