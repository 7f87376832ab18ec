/**
 * GPU sharing in the NVIDIA device plugin's config (chart values config.map, one config file a
 * key): with `renameByDefault: true` under sharing.timeSlicing or sharing.mps the plugin advertises
 * each listed resource as `<name>.shared` (k8s-device-plugin v0.20.0 api/config/v1 replicas.go,
 * DefaultSharedResourceNameSuffix ".shared" in consts.go) instead of `nvidia.com/gpu`, so pods
 * limiting nvidia.com/gpu find no node offering it. Other renames are ignored by the plugin
 * (config.go DisableResourceNamingInConfig), so this is the only way a config renames the GPUs.
 */
import { goTruthy, isObject, yamlMapping } from "./values";

/**
 * The config a node without the `nvidia.com/device-plugin.config` label gets (config-manager
 * v0.20.0 cmd/config-manager/main.go): config.default, else by the fallback strategies ("named":
 * the key `default`; "single": the only key; "empty": none).
 */
export function selectedConfig(config: Record<string, unknown>): string | undefined {
  const map = isObject(config.map) ? config.map : {};
  if (typeof config.default === "string" && config.default !== "") return config.default;
  const strategies = Array.isArray(config.fallbackStrategies) ? config.fallbackStrategies : ["named", "single"];
  for (const s of strategies) {
    if (s === "named" && "default" in map) return "default";
    if (s === "single" && Object.keys(map).length === 1) return Object.keys(map)[0];
    if (s === "empty") return undefined;
  }
  return undefined;
}

/** The resources a plugin config file advertises as `<name>.shared`, with the setting that does it; none when it cannot be read. */
export function sharedRenames(file: unknown): { resource: string; where: string }[] {
  const doc = typeof file === "string" ? yamlMapping(file) : undefined;
  const sharing = isObject(doc?.sharing) ? doc.sharing : {};
  return (["timeSlicing", "mps"] as const).flatMap((id) => {
    const s = sharing[id];
    if (!isObject(s) || s.renameByDefault !== true || !Array.isArray(s.resources)) return [];
    // NewResourceName: a name without the prefix is taken under nvidia.com/.
    return s.resources.filter((r) => isObject(r) && typeof r.name === "string").map((r) => {
      const name = String((r as Record<string, unknown>).name);
      return { resource: name.includes("/") ? name : `nvidia.com/${name}`, where: `sharing.${id}.renameByDefault` };
    });
  });
}

/**
 * The config a GPU Operator's device plugin gets by default, and what it renames (gpu-operator
 * v26.7.0). Only with devicePlugin.config.name set does the ClusterPolicy carry a config
 * (templates/clusterpolicy.yaml); the operator then runs the plugin's config-manager with
 * DEFAULT_CONFIG = config.default and FALLBACK_STRATEGIES=empty (controllers/object_controls.go
 * transformConfigManagerInitContainer/SidecarContainer), so a node without the
 * nvidia.com/device-plugin.config label gets config.default, or no config when it is empty. The
 * files are config.data when config.create is on (templates/plugin_config.yaml renders the
 * ConfigMap from it), else the stack's ConfigMap of that name in the release's namespace; a
 * ConfigMap the stack does not hold is not judged.
 */
export function operatorSharedRenames(
  config: unknown,
  configMapData: (name: string) => { data: unknown; what: string } | undefined,
): { resource: string; where: string }[] {
  if (!isObject(config) || typeof config.name !== "string" || config.name === "") return [];
  const file = typeof config.default === "string" ? config.default : "";
  if (file === "") return [];
  const fromValues = goTruthy(config.create) && isObject(config.data) && Object.keys(config.data).length > 0;
  const source = fromValues ? { data: config.data, what: "values.devicePlugin.config.data" } : configMapData(config.name);
  if (!source || !isObject(source.data)) return [];
  return sharedRenames(source.data[file]).map((x) => ({ ...x, where: `${source.what}.${file} (devicePlugin.config.default) ${x.where}` }));
}

/**
 * Why the plugin's config-manager exits on the config a node without the
 * nvidia.com/device-plugin.config label gets: k8s-device-plugin v0.20.0 cmd/config-manager/main.go
 * updateConfigName fails with "specified config … does not exist" when DEFAULT_CONFIG names no
 * file of the config map (the chart sets it from config.default, the GPU Operator from
 * devicePlugin.config.default), and the init container's failure keeps the plugin from starting.
 * `files` are the map's keys where known; `where` names the setting.
 */
export function missingDefaultConfig(defaultName: unknown, files: string[] | undefined, where: string): string | undefined {
  if (typeof defaultName !== "string" || defaultName === "" || files === undefined || files.includes(defaultName)) return undefined;
  return `${where} is '${defaultName}', which names no config of its map (${files.length > 0 ? files.join(", ") : "none"}): the plugin's config-manager exits with "specified config ${defaultName} does not exist" on every node without the nvidia.com/device-plugin.config label, so the plugin pod never starts there`;
}

/** The config files a GPU Operator's plugin config map holds (its data with create, else the stack's ConfigMap), or undefined when not known. */
export function operatorConfigFiles(config: unknown, configMapData: (name: string) => { data: unknown; what: string } | undefined): string[] | undefined {
  if (!isObject(config) || typeof config.name !== "string" || config.name === "") return undefined;
  const fromValues = goTruthy(config.create) && isObject(config.data) && Object.keys(config.data).length > 0;
  const data = fromValues ? config.data : configMapData(config.name)?.data;
  return isObject(data) ? Object.keys(data) : undefined;
}
