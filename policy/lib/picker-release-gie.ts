/**
 * The endpoint picker GIE v1.5.0's legacy `inferencepool` chart renders, as far as the config it
 * runs with goes (config/charts/epplib/templates/_deployment.yaml, _config.yaml; values under
 * inferenceExtension.*, the epplib subchart's alias, and inferencePool.*): its image, the args that
 * choose its EndpointPickerConfig, and the `default-plugins.yaml` its ConfigMap holds. Read by
 * picker-release-config.ts, which judges the config as it does llm-d-router's chart's.
 */
import * as yaml from "js-yaml";
import { dig } from "./k8s";
import { chartDefaultProfile, chartScorerPlugins, defaultTrue } from "./picker-chart-defaults";
import { goTruthy, isObject, isUnknownError } from "./values";
import { goPrintV, type PickerBuild } from "./picker-release-flags";
import { judgedPickerTag } from "./picker-plugins";

/**
 * GIE's charts that run a picker from epplib's templates: the legacy `inferencepool` and
 * `standalone`, both published at v1.5.0 (Makefile standalone-helm-chart-push). They differ only in
 * their values.yaml defaults (see {@link gieStandaloneMode}, {@link giePickerArgs}).
 */
export const GIE_CHARTS = ["inferencepool", "standalone"];

/**
 * Whether epplib runs the picker standalone (`--endpoint-selector`, no pool): inferenceExtension.
 * endpointsServer set and its createInferencePool Go-false. The standalone chart's values.yaml sets
 * endpointsServer.createInferencePool true, so there it takes an explicit false (or a null, which
 * Helm reads as deleting the default); the inferencepool chart has no endpointsServer default.
 */
export function gieStandaloneMode(values: unknown, chart = "inferencepool"): boolean {
  const server = dig(values, "inferenceExtension.endpointsServer");
  if (chart !== "standalone") return goTruthy(server) && !goTruthy(dig(values, "inferenceExtension.endpointsServer.createInferencePool"));
  // A null (or other Go-false) endpointsServer drops the chart's map: no endpointsServer, so a pool.
  if (server !== undefined && !goTruthy(server)) return false;
  const create = dig(values, "inferenceExtension.endpointsServer.createInferencePool");
  return create !== undefined && !goTruthy(create);
}

/**
 * Whether a release of a chart called `standalone` is GIE's, a name other projects may use for a
 * chart of their own whose values mean something else. GIE publishes it at
 * oci://<registry>/gateway-api-inference-extension/charts (hack/push-chart.sh; staging, then
 * registry.k8s.io), so an OCI or URL chart path, or repositoryOpts.repo, naming that project is GIE's
 * and one naming another place is not (undefined). Where neither is given (a local chart, a repo
 * alias) or the repository is not known yet, the chart is read by its name and `byName` says so.
 */
export function gieChartOrigin(props: Record<string, any>): { byName?: string } | undefined {
  const gie = (place: string) => /(^|\/)gateway-api-inference-extension(\/|$)/.test(place.replace(/\/+$/, ""));
  const chart = typeof props?.chart === "string" ? props.chart : "";
  if (/^(oci|https?):\/\//i.test(chart)) return gie(chart.replace(/\/[^/]*\/*$/, "")) ? {} : undefined;
  let repo: unknown;
  try {
    repo = props?.repositoryOpts?.repo;
  } catch (err) {
    if (isUnknownError(err)) return { byName: "taken for GIE v1.5.0's by its name only: its repository is not known yet" };
    throw err;
  }
  if (typeof repo === "string" && repo.trim() !== "") return gie(repo.trim()) ? {} : undefined;
  return { byName: "taken for GIE v1.5.0's by its name only: the release names no repository or OCI path" };
}

/** A release's chart as named in verdicts: GIE's standalone read by its name only says so. */
export const gieChartLabel = (chart: string, origin: { byName?: string }) => (origin.byName ? `${chart}, ${origin.byName}` : chart);

/** The chart versions read: GIE's last release of it (v1.6.0 ships no chart); an unpinned release pulls it too. */
export const isGieChartVersion = (version: unknown) => version === undefined || version === null || version === "" || /^v?1\.5\.0$/.test(String(version).trim());

/**
 * The picker image: `{{ registry }}/{{ repository }}:{{ tag }}` of inferenceExtension.image, each part
 * over the chart's values.yaml (registry.k8s.io, gateway-api-inference-extension/epp, v1.5.0: GIE's
 * own picker, which is not llm-d-router's).
 */
export function giePickerImage(values: unknown): string {
  const part = (key: string, fallback: string) => {
    const x = dig(values, `inferenceExtension.image.${key}`);
    return typeof x === "string" ? x : fallback;
  };
  return `${part("registry", "registry.k8s.io")}/${part("repository", "gateway-api-inference-extension/epp")}:${part("tag", "v1.5.0")}`;
}

/** GIE v1.5.0's own picker, whose flags (not its plugins) are judged: it refuses the same legacy metric flags. */
export const isGieOwnPicker = (image: string) => /(?:^|\/)gateway-api-inference-extension\/epp:v1\.5\.0(@sha256:[0-9a-f]+)?$/.test(image);

/** The build a GIE chart's picker image runs, whose flags are read: GIE v1.5.0's own, llm-d-router's judged one, else undefined. */
export const gieBuild = (image: string): PickerBuild | undefined => (isGieOwnPicker(image) ? "gie" : judgedPickerTag(image) !== undefined ? "llm-d-router" : undefined);

/**
 * What a YAML parser reads from `"<text>"`, the form in which _deployment.yaml writes the config file's
 * path and each flag's value into the picker's args, unescaped: a `\` starts an escape and a single line
 * break folds into a space (YAML double-quoted scalars). Undefined where the result is not YAML (a `"`
 * ends the scalar early), so the rendered Deployment is refused and the release does not install.
 */
export function quotedArg(text: string): string | undefined {
  try {
    const doc = yaml.load(`- "${text}"\n`);
    return Array.isArray(doc) && doc.length === 1 && typeof doc[0] === "string" ? doc[0] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The picker's args that choose its config, as _deployment.yaml writes them: `--config-file
 * "/config/<pluginsConfigFile>"`, then each of inferenceExtension.flags (over the inferencepool
 * chart's `v: 1`; the standalone chart has no default flags) in Go's sorted key order as `--<key>` and
 * `"<value>"`: two args, so a bool flag (pflag) takes no value from the second, which is left over as a
 * positional argument. A null is kept: Helm v3.20.2 chartutil coalesce keeps a null no default covers,
 * and one over `v`, whose default only the parent chart's values.yaml gives under its subchart's key
 * (childChartMergeTrue coalesces that key merging, and epplib's own values.yaml has no flags; helm#31919),
 * and `{{ $value }}` of a nil prints Go's "<no value>", which Helm's engine replaces with "": an empty value.
 * `unrendered` names a value whose quoted form is not YAML; undefined where a value choosing the config
 * is a list or mapping, which Go prints in a form of its own, not read here.
 */
export function giePickerArgs(values: unknown, chart = "inferencepool"): { args: string[] } | { unrendered: string } | undefined {
  const file = dig(values, "inferenceExtension.pluginsConfigFile");
  const given = dig(values, "inferenceExtension.flags");
  // The inferencepool chart's values.yaml sets flags `v: 1`; the standalone chart's sets none.
  const defaults = chart === "standalone" ? {} : { v: 1 };
  const flags = Object.entries({ ...defaults, ...(isObject(given) ? given : {}) }).filter(([, v]) => v !== undefined);
  const args: string[] = [];
  for (const [key, raw, path] of [
    ["config-file", `/config/${file === undefined ? "default-plugins.yaml" : file}`, "inferenceExtension.pluginsConfigFile"],
    ...flags.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, v, `inferenceExtension.flags.${k}`]),
  ] as [string, unknown, string][]) {
    if (typeof raw === "object" && raw !== null) {
      if (CONFIG_FLAGS.includes(key)) return undefined;
      continue;
    }
    const value = quotedArg(raw === null ? "" : goPrintV(raw));
    if (value === undefined) return { unrendered: `${path} is written into the picker's args between double quotes, unescaped ("{{ $value }}", epplib _deployment.yaml), and what that renders is not YAML (a \`"\` in it ends the quoted value, or a \`\\\` starts no escape YAML knows), so Helm cannot read the chart's Deployment and the release fails to install` };
    args.push(`--${key}`, value);
  }
  return { args };
}

/** The picker flags that choose its config, or turn on its Alpha plugins. */
const CONFIG_FLAGS = ["config-file", "config-text", "allow-experimental-plugins"];

/** The model server type and protocol _config.yaml reads, and where: endpointsServer's in standalone mode, else inferencePool's. */
function modelServer(values: unknown, chart: string): { type: string; protocol: string; at: string } {
  const str = (key: string, fallback: string) => {
    const x = dig(values, key);
    return goTruthy(x) ? String(x) : fallback;
  };
  const at = gieStandaloneMode(values, chart) ? "inferenceExtension.endpointsServer" : "inferencePool";
  return { type: str(`${at}.modelServerType`, "vllm"), protocol: str(`${at}.modelServerProtocol`, "http"), at };
}

export { DEPRECATED_METRIC_FLAGS } from "./picker-release-flags";

/**
 * The legacy metric flags _deployment.yaml passes for a model server type (compared as written)
 * unless inferenceExtension.latencyPredictor.enabled: sglang's, triton-tensorrt-llm's and
 * trtllm-serve's metric names, the last also with --model-server-metrics-path.
 */
export function gieLegacyMetricFlags(values: unknown, chart = "inferencepool"): { type: string; at: string; flags: string[] } | undefined {
  if (goTruthy(dig(values, "inferenceExtension.latencyPredictor.enabled"))) return undefined;
  const { type, at } = modelServer(values, chart);
  const names = ["total-queued-requests-metric", "total-running-requests-metric", "kv-cache-usage-percentage-metric"];
  if (type === "sglang") return { type, at, flags: [...names, "cache-info-metric"] };
  if (type === "triton-tensorrt-llm") return { type, at, flags: [...names, "lora-info-metric"] };
  if (type === "trtllm-serve") return { type, at, flags: [...names, "cache-info-metric", "model-server-metrics-path", "lora-info-metric"] };
  return undefined;
}

/** What inferenceExtension.latencyPredictor.enabled adds (_config.yaml): the same two-gate chain as llm-d's, the affinity gates with their threshold only. */
const PREDICTOR_PLUGINS = [
  { type: "predicted-latency-producer" },
  { name: "strict-affinity-filter", type: "prefix-cache-affinity-filter", parameters: { affinityThreshold: 0.99 } },
  { name: "loose-affinity-filter", type: "prefix-cache-affinity-filter", parameters: { affinityThreshold: 0.8 } },
  { type: "latency-scorer" },
  { type: "weighted-random-picker" },
  { type: "slo-headroom-tier-filter" },
  { type: "latency-slo-admitter" },
];

/**
 * The chart's `default-plugins.yaml` as _config.yaml renders it from the values: the GIE group's
 * apiVersion, three scorers, the metrics source (inferenceExtension.metricsDataSource) and extractor
 * (its defaultEngine for a model server type other than vllm), a parser (vllmgrpc-parser for vllm over
 * grpc, else inferencePool.parser) named by the deprecated top-level `parser`, and the latency
 * predictor's plugins and profile where it is enabled.
 */
export function gieDefaultPlugins(values: unknown, chart = "inferencepool"): Record<string, unknown> {
  const { type, protocol } = modelServer(values, chart);
  const given = dig(values, "inferencePool.parser");
  const parser = type.toLowerCase() === "vllm" && protocol.toLowerCase() === "grpc" ? "vllmgrpc-parser" : goTruthy(given) ? String(given) : "";
  const source = (key: string, fallback: string) => {
    const x = dig(values, `inferenceExtension.metricsDataSource.${key}`);
    return goTruthy(x) ? String(x) : fallback;
  };
  const insecure = dig(values, "inferenceExtension.metricsDataSource.insecureSkipVerify");
  const predictor = goTruthy(dig(values, "inferenceExtension.latencyPredictor.enabled"));
  return {
    apiVersion: "inference.networking.x-k8s.io/v1alpha1",
    kind: "EndpointPickerConfig",
    plugins: [
      ...chartScorerPlugins(),
      { type: "metrics-data-source", parameters: { scheme: source("scheme", "http"), path: source("path", "/metrics"), insecureSkipVerify: defaultTrue(insecure) } },
      // `ne $modelServerType "vllm"`: compared as written, unlike the parser's lower-cased test.
      { type: "core-metrics-extractor", ...(type !== "vllm" ? { parameters: { defaultEngine: type } } : {}) },
      ...(parser ? [{ type: parser }] : []),
      ...(predictor ? PREDICTOR_PLUGINS : []),
    ],
    schedulingProfiles: chartDefaultProfile(predictor),
    ...(parser ? { parser: { pluginRef: parser } } : {}),
  };
}

/** The keys of inferenceExtension.pluginsCustomConfig, which _config.yaml adds to the ConfigMap's data after default-plugins.yaml. */
export const gieCustomConfig = (values: unknown): Record<string, unknown> => {
  const custom = dig(values, "inferenceExtension.pluginsCustomConfig");
  return isObject(custom) ? (custom as Record<string, unknown>) : {};
};
