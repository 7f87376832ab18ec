/**
 * The EndpointPickerConfig of a picker installed by a chart: a Helm Release of llm-d-router's own
 * `llm-d-router-gateway` or `llm-d-router-standalone` (v0.10.0 config/charts), or of GIE v1.5.0's
 * legacy `inferencepool` or its `standalone` running llm-d-router's picker (picker-release-gie.ts), whose rendered
 * Deployment and ConfigMap a stack holds only as values. Read as the chart renders them
 * (routerlib/templates/_deployment.yaml, _config.yaml; epplib's alike) and judged as the Deployment
 * would be (picker-config.ts): llm-d's picker reads `/config/<router.epp.pluginsConfigFile>` from a
 * ConfigMap of the chart's `default-plugins.yaml`, its `payload-agnostic.yaml` and
 * `router.epp.pluginsCustomConfig`; GIE's reads `/config/<inferenceExtension.pluginsConfigFile>`
 * from one of its `default-plugins.yaml` and `inferenceExtension.pluginsCustomConfig`, or the
 * `--config-text` inferenceExtension.flags gives it.
 * A v4 Chart is not read here: its rendered objects are in the stack and judged as such.
 */
import type { PolicyResource } from "@pulumi/policy";
import * as yaml from "js-yaml";
import { dig, helmChartName, T } from "./k8s";
import { judgedPickerTag } from "./picker-plugins";
import { pickerConfigProblems } from "./picker-config";
import { chartDefaultProfile, chartScorerPlugins, defaultTrue } from "./picker-chart-defaults";
import { flagValue, pflagBool, type Report } from "./picker-service";
import { chartPickerName } from "./picker-release-names";
import { releaseLabel, releaseNamespaceLabel } from "./release-namespace";
import { DEPRECATED_METRIC_FLAGS, GIE_CHARTS, gieChartLabel, gieChartOrigin, gieCustomConfig, gieDefaultPlugins, gieLegacyMetricFlags, gieBuild, giePickerArgs, giePickerImage, isGieChartVersion, isGieOwnPicker } from "./picker-release-gie";
import { flagsListProblem, flagsNullProblem, flagsScalarProblem, flagsUnknownProblem, gieSchemeProblem, llmdPickerArgs, singlePodLeaderElection } from "./picker-release-flags";
import { goTruthy, isObject, list, probe } from "./values";

const CHARTS = ["llm-d-router-gateway", "llm-d-router-standalone"];

/**
 * The picker image a release runs: the values' router.epp.image, each part over the chart's default.
 * A chart published for a release tag pins the picker to that tag (hack/push-chart.sh sets
 * router.epp.image to ghcr.io/llm-d/llm-d-router-endpoint-picker:<tag>); the floating `v0` chart keeps `main`.
 */
function pickerImage(values: unknown, version: unknown): string {
  const v = typeof version === "string" ? version.trim() : "";
  const released = /^v?\d+(\.\d+){1,2}(-rc\.\d+)?$/.test(v) && v !== "v0" && v !== "0";
  const part = (key: string, fallback: string) => {
    const x = dig(values, `router.epp.image.${key}`);
    return typeof x === "string" && x !== "" ? x : fallback;
  };
  return `${part("registry", "ghcr.io/llm-d")}/${part("repository", "llm-d-router-endpoint-picker")}:${part("tag", released ? `v${v.replace(/^v/, "")}` : "main")}`;
}

/** The chart's `payload-agnostic.yaml` (routerlib/templates/_config.yaml): session-affinity-scorer is Alpha. */
const PAYLOAD_AGNOSTIC = {
  apiVersion: "llm-d.ai/v1alpha1",
  kind: "EndpointPickerConfig",
  plugins: [{ type: "passthrough-parser" }, { type: "active-request-scorer" }, { type: "session-affinity-scorer" }],
  requestHandler: { parsers: [{ pluginRef: "passthrough-parser" }] },
  schedulingProfiles: [{ name: "default", plugins: [{ pluginRef: "active-request-scorer", weight: 1 }, { pluginRef: "session-affinity-scorer", weight: 1 }] }],
};

/**
 * What router.latencyPredictor.enabled adds to the chart's `default-plugins.yaml` (routerlib
 * _config.yaml): the predictor's producer, two prefix-cache affinity gates, the SLO tier filter and
 * admitter, the latency scorer and a weighted random picker, which replace the default profile.
 */
const affinity = (name: string, affinityThreshold: number) => ({ name, type: "prefix-cache-affinity-filter", parameters: { affinityThreshold, ttftSource: "latencyPredictor", maxTTFTPenaltyMs: 5000 } });
const PREDICTOR_PLUGINS = [
  { type: "predicted-latency-producer" },
  affinity("strict-affinity-filter", 0.99),
  affinity("loose-affinity-filter", 0.8),
  { type: "latency-scorer" },
  { type: "weighted-random-picker" },
  { type: "slo-headroom-tier-filter" },
  { type: "latency-slo-admitter" },
];

/** The chart's `default-plugins.yaml` as it renders from the values. */
function defaultPlugins(values: unknown): Record<string, unknown> {
  const str = (key: string) => (typeof dig(values, key) === "string" ? (dig(values, key) as string) : "");
  const type = str("router.modelServers.type") || "vllm";
  const protocol = str("router.modelServers.protocol") || "http";
  const given = list(dig(values, "router.epp.parsers") as unknown[]);
  const parsers =
    type.toLowerCase() === "vllm" && protocol.toLowerCase() === "grpc" ? ["vllmgrpc-parser"] : given.length > 0 ? given.map(String) : type.toLowerCase() === "triton" ? ["passthrough-parser"] : [];
  const insecure = dig(values, "router.epp.metricsDataSource.insecureSkipVerify");
  // `{{ if .Values.router.latencyPredictor.enabled }}`: Go template truthiness.
  const predictor = goTruthy(dig(values, "router.latencyPredictor.enabled"));
  return {
    apiVersion: "llm-d.ai/v1alpha1",
    kind: "EndpointPickerConfig",
    plugins: [
      ...chartScorerPlugins(),
      { type: "metrics-data-source", parameters: { scheme: str("router.epp.metricsDataSource.scheme") || "http", path: str("router.epp.metricsDataSource.path") || "/metrics", insecureSkipVerify: defaultTrue(insecure) } },
      { type: "core-metrics-extractor", ...(type !== "vllm" ? { parameters: { defaultEngine: type } } : {}) },
      ...parsers.map((p) => ({ type: p })),
      ...(predictor ? PREDICTOR_PLUGINS : []),
    ],
    schedulingProfiles: chartDefaultProfile(predictor),
    ...(parsers.length > 0 ? { requestHandler: { parsers: parsers.map((p) => ({ pluginRef: p })) } } : {}),
  };
}

/** The text of a file of the ConfigMap a chart mounts at /config, or why the picker cannot read it. */
type MountedFile = { text: string; from: string } | { unread: string; exits: boolean };

/**
 * File `file` of a chart's ConfigMap: a key of `<epp>.pluginsCustomConfig` (rendered after the
 * chart's own files, so it wins over one of theirs), else one of the chart's own. `chosenBy` names
 * the value that picked the file, `configMap` the ConfigMap, for the messages.
 */
function mountedFile(file: string, own: Record<string, () => { text: string; from: string }>, custom: Record<string, unknown>, epp: string, chosenBy: string, configMap: string): MountedFile {
  if (file in custom) {
    if (typeof custom[file] !== "string") {
      return { unread: `${epp}.pluginsCustomConfig.${file} is ${Array.isArray(custom[file]) ? "a list" : typeof custom[file]}, not the text of an EndpointPickerConfig (a YAML string, \`${file}: |\`): the chart renders it as a ConfigMap entry, which holds strings only, so the install fails`, exits: false };
    }
    return { text: custom[file] as string, from: `${epp}.pluginsCustomConfig.${file}` };
  }
  if (Object.prototype.hasOwnProperty.call(own, file)) return own[file]();
  const keys = [...Object.keys(own), ...Object.keys(custom)].join(", ");
  return { unread: `${chosenBy} names no file of ${configMap} the chart mounts at /config (its files: ${keys}; add it under ${epp}.pluginsCustomConfig); it cannot read its config`, exits: true };
}

/** The config a chart's judged picker runs with, and how the values turn on its Alpha plugins. */
type ChartPickerConfig = { tag: string; file: MountedFile; allowExperimental: boolean; allowHint: string; note?: string };

/**
 * A release of llm-d-router's llm-d-router-gateway or -standalone chart (routerlib _deployment.yaml,
 * _config.yaml): the picker reads the last --config-file or --config-text of its args
 * (picker-release-flags.ts llmdPickerArgs), router.epp.flags' coming after the chart's own.
 */
function llmdPickerConfig(r: PolicyResource, values: unknown, report: (message: string) => void, exits: string): ChartPickerConfig | undefined {
  const tag = judgedPickerTag(pickerImage(values, r.props.version));
  if (tag === undefined) return undefined;
  const container = { args: llmdPickerArgs(values) };
  const leader = singlePodLeaderElection(container.args, values, false);
  if (leader) report(leader);
  const flags = isObject(dig(values, "router.epp.flags")) ? (dig(values, "router.epp.flags") as Record<string, unknown>) : {};
  // The chart writes `--<flag>=%v`, which pflag reads with strconv.ParseBool.
  const allowExperimental = pflagBool(container, "allow-experimental-plugins") === true;
  const allowHint = "router.epp.flags.allow-experimental-plugins: true, which this release does not set";
  const path = flagValue(container, "config-file") ?? "";
  const text = flagValue(container, "config-text") ?? "";
  const byFlag = "config-file" in flags && flags["config-file"] !== null;
  const kept = "which Helm v3 keeps (neither chart's values have a default under router.epp.flags, and chartutil coalesce drops a null only over one)";
  if (text !== "") {
    if (path !== "") {
      const nil = flags["config-text"] === null ? "router.epp.flags.config-text is null, which Helm v3 keeps and routerlib renders as --config-text=<nil>: it" : "router.epp.flags.config-text";
      report(
        `${nil} gives the picker --config-text beside the --config-file ${path} ${byFlag ? "router.epp.flags.config-file gives it" : "the chart always passes (routerlib _deployment.yaml)"}, and llm-d-router ${tag} refuses the two together (Validate, pkg/epp/server/options.go: both the "config-file" and "config-text" flags cannot be set at the same time), ${exits}; set router.epp.flags.config-file "" beside it (rendered after the chart's, so it wins), or give the config as a file of router.epp.pluginsCustomConfig named by router.epp.pluginsConfigFile`,
      );
      return undefined;
    }
    return { tag, file: { text, from: "router.epp.flags.config-text (its --config-text)" }, allowExperimental, allowHint };
  }
  if (flags["config-file"] === null) {
    report(
      `router.epp.flags.config-file is null, ${kept}, so routerlib _deployment.yaml renders it as "--config-file=<nil>" after the chart's --config-file /config/${typeof dig(values, "router.epp.pluginsConfigFile") === "string" ? dig(values, "router.epp.pluginsConfigFile") : "default-plugins.yaml"} (printf %v of a nil; pflag keeps the last), and the picker reads its config from a file named <nil> in its working directory, / (Dockerfile.epp WORKDIR; cmd/epp/runner/runner.go os.ReadFile), which holds none: "failed to load config from a file '<nil>'", ${exits}; drop the entry (the chart's file is then read) or name a file`,
    );
    return undefined;
  }
  // No config at all: the loader's built-in default, not read here; a file outside the chart's /config mount: not known here.
  if (path === "" || !path.startsWith("/config/")) return undefined;
  const file = path.slice("/config/".length);
  const custom = isObject(dig(values, "router.epp.pluginsCustomConfig")) ? (dig(values, "router.epp.pluginsCustomConfig") as Record<string, unknown>) : {};
  const chosen = byFlag ? "router.epp.flags.config-file" : "router.epp.pluginsConfigFile";
  const own = {
    "default-plugins.yaml": () => ({ text: yaml.dump(defaultPlugins(values)), from: "the chart's default-plugins.yaml, rendered from router.epp and router.modelServers" }),
    "payload-agnostic.yaml": () => ({ text: yaml.dump(PAYLOAD_AGNOSTIC), from: `the chart's payload-agnostic.yaml (${chosen})` }),
  };
  return {
    tag,
    file: mountedFile(file, own, custom, "router.epp", byFlag ? `router.epp.flags.config-file ${JSON.stringify(path)}` : `router.epp.pluginsConfigFile ${JSON.stringify(file)}`, "the ConfigMap"),
    allowExperimental,
    allowHint,
  };
}

/**
 * The metric flags GIE's chart passes for some model server types (or inferenceExtension.flags
 * gives), which llm-d-router v0.10.0's picker and GIE v1.5.0's own refuse at start: both still
 * define them but Validate refuses any given one; llm-d-router has no --model-server-metrics-path
 * at all (pflag: unknown flag). Metric names now belong in the config (core-metrics-extractor).
 */
function checkLegacyMetricFlags(values: unknown, chart: string, flagArgs: string[], picker: { tag?: string; what: string }, report: (message: string) => void, exits: string): void {
  const legacy = gieLegacyMetricFlags(values, chart);
  const given = DEPRECATED_METRIC_FLAGS.filter((f) => flagArgs.includes(`--${f}`) || flagArgs.some((a) => a.startsWith(`--${f}=`)));
  const refused = [...new Set([...(legacy?.flags ?? []), ...given])].filter((f) => f !== "model-server-metrics-path");
  if (refused.length === 0) return;
  const from = [
    ...(legacy ? [`${legacy.at}.modelServerType ${JSON.stringify(legacy.type)} (for which epplib _deployment.yaml passes --${legacy.flags.join(", --")} unless inferenceExtension.latencyPredictor.enabled)`] : []),
    ...given.map((f) => `inferenceExtension.flags.${f}`),
  ].join(" and ");
  const unknown = picker.tag && legacy?.flags.includes("model-server-metrics-path") ? "; --model-server-metrics-path is no flag it defines, so it stops at parsing (unknown flag)" : "";
  const fix = legacy
    ? `set ${legacy.at}.modelServerType vllm (the chart then passes none of them) and run a config of inferenceExtension.pluginsCustomConfig, named by inferenceExtension.pluginsConfigFile, whose core-metrics-extractor has defaultEngine ${JSON.stringify(legacy.type)}, or enable the latency predictor`
    : "drop those flags and name the metrics in the config (core-metrics-extractor's engineConfigs)";
  report(
    `${from} gives ${picker.what} metric flags it refuses at start (--${refused.join(", --")}: Validate, pkg/epp/server/options.go, "is deprecated and cannot be used; configure metrics via engineConfigs in EndpointPickerConfig instead")${unknown}, ${exits}; ${fix}`,
  );
}

/**
 * A release of GIE v1.5.0's `inferencepool` or `standalone` chart (picker-release-gie.ts): the picker reads
 * --config-text where inferenceExtension.flags gives it one, else the --config-file the chart passes
 * (`/config/<inferenceExtension.pluginsConfigFile>`, unless the flags give another) from ConfigMap
 * `<release>-epp`: its default-plugins.yaml and inferenceExtension.pluginsCustomConfig.
 */
function giePickerConfig(r: PolicyResource, chart: string, values: unknown, report: (message: string) => void, exits: string): ChartPickerConfig | undefined {
  if (!isGieChartVersion(r.props.version)) return undefined;
  const image = giePickerImage(values);
  const tag = judgedPickerTag(image);
  if (tag === undefined && !isGieOwnPicker(image)) return undefined;
  const rendered = giePickerArgs(values, chart);
  if (!rendered) return undefined;
  if ("unrendered" in rendered) {
    report(rendered.unrendered);
    return undefined;
  }
  checkLegacyMetricFlags(values, chart, rendered.args, { tag, what: tag ? `llm-d-router ${tag}'s picker` : "GIE v1.5.0's own picker" }, report, exits);
  const scheme = tag === undefined ? gieSchemeProblem(rendered.args, dig(values, "inferenceExtension.flags.model-server-metrics-scheme")) : undefined;
  if (scheme) report(`${scheme}, ${exits}; give it http or https, or drop it (http)`);
  const leader = singlePodLeaderElection(rendered.args, values, true);
  if (leader) report(leader);
  // GIE's own picker registers other plugins: its config is not judged.
  if (tag === undefined) return undefined;
  const container = { args: rendered.args };
  const allowExperimental = pflagBool(container, "allow-experimental-plugins") === true;
  const allowHint = "inferenceExtension.flags.allow-experimental-plugins, which this release does not set";
  const path = flagValue(container, "config-file") ?? "";
  const text = flagValue(container, "config-text") ?? "";
  const flags = isObject(dig(values, "inferenceExtension.flags")) ? (dig(values, "inferenceExtension.flags") as Record<string, unknown>) : undefined;
  if (text !== "") {
    if (path !== "") {
      report(
        `inferenceExtension.flags.config-text gives the picker --config-text beside the --config-file ${path} ${flags && "config-file" in flags ? "inferenceExtension.flags.config-file gives it" : "the chart always passes (epplib _deployment.yaml)"}, and llm-d-router ${tag} refuses the two together (Validate, pkg/epp/server/options.go: both the "config-file" and "config-text" flags cannot be set at the same time), ${exits}; set inferenceExtension.flags.config-file "" beside it, or give the config as a file of inferenceExtension.pluginsCustomConfig named by inferenceExtension.pluginsConfigFile`,
      );
      return undefined;
    }
    // The chart writes the value between double quotes: YAML folds its line breaks and reads its escapes.
    const folded = String(flags?.["config-text"]) !== text;
    const note = folded ? `the chart writes inferenceExtension.flags.config-text between double quotes, unescaped, so YAML folds each single line break of it into a space and reads each \\ as an escape: write its line breaks as \\n` : undefined;
    return { tag, file: { text, from: "inferenceExtension.flags.config-text (its --config-text)" }, allowExperimental, allowHint, note };
  }
  // No config at all: the loader's built-in default, not read here; a file outside the chart's /config mount: not known here.
  if (path === "" || !path.startsWith("/config/")) return undefined;
  const chosenBy = flags && "config-file" in flags ? `inferenceExtension.flags.config-file ${JSON.stringify(path)}` : `inferenceExtension.pluginsConfigFile ${JSON.stringify(path.slice("/config/".length))}`;
  const own = { "default-plugins.yaml": () => ({ text: yaml.dump(gieDefaultPlugins(values, chart)), from: "the chart's default-plugins.yaml, rendered from inferenceExtension and inferencePool" }) };
  const configMap = `ConfigMap ${releaseNamespaceLabel(r)}/${chartPickerName(String(r.props.name ?? r.name))}`;
  return { tag, file: mountedFile(path.slice("/config/".length), own, gieCustomConfig(values), "inferenceExtension", chosenBy, configMap), allowExperimental, allowHint };
}

/** Each llm-d-router or GIE chart release of the cluster whose picker is a judged build, on the config it would run with. */
export function checkReleasePickerConfigs(resources: PolicyResource[], cluster: string, report: Report, pending: string[]): void {
  for (const r of resources.filter((x) => x.type === T.helmRelease)) {
    const read = probe(() => {
      const chart = helmChartName(r.props);
      if (!chart || (!CHARTS.includes(chart) && !GIE_CHARTS.includes(chart))) return;
      // A chart called standalone from another project's repository is not GIE's.
      const origin = chart === "standalone" ? gieChartOrigin(r.props) : {};
      if (!origin) return;
      const values = r.props.values ?? {};
      const lead = `the endpoint picker of Helm release ${releaseLabel(r)} (chart ${gieChartLabel(chart, origin)}) on ${cluster}`;
      const exits = "so it exits at start and crash-loops, and every request to its pool fails (or, FailOpen, skips the picker)";
      const gie = GIE_CHARTS.includes(chart);
      const judged = !gie || isGieChartVersion(r.props.version);
      const scalar = flagsScalarProblem(values, gie ? "inferenceExtension" : "router.epp", gie);
      if (scalar && judged) {
        report(`${lead}: ${scalar}; give the flags as a map (<flag>: <value>)`, r.urn);
        return;
      }
      const listed = flagsListProblem(values, gie ? "inferenceExtension" : "router.epp", gie);
      if (listed && judged) {
        report(`${lead}: ${listed}, ${exits}; give the flags as a map (<flag>: <value>)`, r.urn);
        return;
      }
      const build = gie && judged ? gieBuild(giePickerImage(values)) : undefined;
      const nulled = !gie ? flagsNullProblem(values) : build ? flagsNullProblem(values, build) : undefined;
      if (nulled) {
        report(`${lead}: ${nulled}, ${exits}; drop the entry (the picker's default) or give it a value`, r.urn);
        return;
      }
      const unknown = !gie ? flagsUnknownProblem(values) : build ? flagsUnknownProblem(values, build) : undefined;
      if (unknown) {
        report(`${lead}: ${unknown}, ${exits}; drop the entry, or spell it as the picker's flag`, r.urn);
        return;
      }
      const say = (m: string) => report(`${lead}: ${m}`, r.urn);
      const picker = GIE_CHARTS.includes(chart) ? giePickerConfig(r, chart, values, say, exits) : llmdPickerConfig(r, values, say, exits);
      if (!picker) return;
      if ("unread" in picker.file) {
        report(`${lead}: ${picker.file.unread}${picker.file.exits ? `, ${exits}` : ""}`, r.urn);
        return;
      }
      const problems = pickerConfigProblems(picker.file.text, picker.allowExperimental).map((m) => m.replace("run with --allow-experimental-plugins (it is not)", `run with --allow-experimental-plugins (${picker.allowHint})`));
      if (problems.length > 0) {
        report(`${lead}: its EndpointPickerConfig, ${picker.file.from}, is one llm-d-router ${picker.tag}'s config loader refuses or misreads: ${problems.join("; ")}${picker.note ? ` (${picker.note})` : ""}; where refused, ${exits}`, r.urn);
      }
    });
    if (!read.known) pending.push(`the EndpointPickerConfig of Helm release ${r.name} on ${cluster}`);
  }
}
