/**
 * The EndpointPickerConfig of a picker installed by llm-d-router's own chart: a Helm Release of
 * `llm-d-router-gateway` or `llm-d-router-standalone` (v0.10.0 config/charts), whose rendered
 * Deployment and ConfigMap a stack holds only as values. Read as the chart renders them
 * (routerlib/templates/_deployment.yaml, _config.yaml) and judged as the Deployment would be
 * (picker-config.ts): the picker reads `/config/<router.epp.pluginsConfigFile>` from a ConfigMap of
 * the chart's `default-plugins.yaml`, its `payload-agnostic.yaml` and `router.epp.pluginsCustomConfig`.
 * A v4 Chart is not read here: its rendered objects are in the stack and judged as such.
 */
import type { PolicyResource } from "@pulumi/policy";
import * as yaml from "js-yaml";
import { dig, helmChartName, T } from "./k8s";
import { judgedPickerTag } from "./picker-plugins";
import { pickerConfigProblems } from "./picker-config";
import type { Report } from "./picker-service";
import { parseGoBool } from "./istio";
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
const PREDICTOR_PROFILE = ["predicted-latency-producer", "strict-affinity-filter", "slo-headroom-tier-filter", "loose-affinity-filter", "latency-scorer", "weighted-random-picker"].map((pluginRef) => ({ pluginRef }));

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
  const scorers = [["queue-scorer", 2], ["kv-cache-utilization-scorer", 2], ["prefix-cache-scorer", 3]] as const;
  return {
    apiVersion: "llm-d.ai/v1alpha1",
    kind: "EndpointPickerConfig",
    plugins: [
      ...scorers.map(([t]) => ({ type: t })),
      // `| default true`: a false (empty) value renders true, as the template's default does.
      { type: "metrics-data-source", parameters: { scheme: str("router.epp.metricsDataSource.scheme") || "http", path: str("router.epp.metricsDataSource.path") || "/metrics", insecureSkipVerify: insecure === false || insecure === undefined || insecure === null || insecure === "" ? true : insecure } },
      { type: "core-metrics-extractor", ...(type !== "vllm" ? { parameters: { defaultEngine: type } } : {}) },
      ...parsers.map((p) => ({ type: p })),
      ...(predictor ? PREDICTOR_PLUGINS : []),
    ],
    schedulingProfiles: [{ name: "default", plugins: predictor ? PREDICTOR_PROFILE : scorers.map(([t, weight]) => ({ pluginRef: t, weight })) }],
    ...(parsers.length > 0 ? { requestHandler: { parsers: parsers.map((p) => ({ pluginRef: p })) } } : {}),
  };
}

/** Each llm-d-router chart release of the cluster whose picker is a judged build, on the config it would run with. */
export function checkReleasePickerConfigs(resources: PolicyResource[], cluster: string, report: Report, pending: string[]): void {
  for (const r of resources.filter((x) => x.type === T.helmRelease)) {
    const read = probe(() => {
      const chart = helmChartName(r.props);
      if (!chart || !CHARTS.includes(chart)) return;
      const values = r.props.values ?? {};
      const tag = judgedPickerTag(pickerImage(values, r.props.version));
      const flags = isObject(dig(values, "router.epp.flags")) ? (dig(values, "router.epp.flags") as Record<string, unknown>) : {};
      // A flag that replaces the config the chart mounts: not read here.
      if (tag === undefined || "config-text" in flags || "config-file" in flags) return;
      const file = typeof dig(values, "router.epp.pluginsConfigFile") === "string" ? (dig(values, "router.epp.pluginsConfigFile") as string) : "default-plugins.yaml";
      const custom = isObject(dig(values, "router.epp.pluginsCustomConfig")) ? (dig(values, "router.epp.pluginsCustomConfig") as Record<string, unknown>) : {};
      const lead = `the endpoint picker of Helm release ${r.props.namespace ?? "default"}/${r.props.name ?? r.name} (chart ${chart}) on ${cluster}`;
      const exits = "so it exits at start and crash-loops, and every request to its pool fails (or, FailOpen, skips the picker)";
      let text: string;
      let from: string;
      if (file in custom) {
        if (typeof custom[file] !== "string") {
          report(`${lead}: router.epp.pluginsCustomConfig.${file} is ${Array.isArray(custom[file]) ? "a list" : typeof custom[file]}, not the text of an EndpointPickerConfig (a YAML string, \`${file}: |\`): the chart renders it as a ConfigMap entry, which holds strings only, so the install fails`, r.urn);
          return;
        }
        [text, from] = [custom[file] as string, `router.epp.pluginsCustomConfig.${file}`];
      } else if (file === "payload-agnostic.yaml") {
        [text, from] = [yaml.dump(PAYLOAD_AGNOSTIC), "the chart's payload-agnostic.yaml (router.epp.pluginsConfigFile)"];
      } else if (file === "default-plugins.yaml") {
        [text, from] = [yaml.dump(defaultPlugins(values)), "the chart's default-plugins.yaml, rendered from router.epp and router.modelServers"];
      } else {
        const keys = ["default-plugins.yaml", "payload-agnostic.yaml", ...Object.keys(custom)].join(", ");
        report(`${lead}: router.epp.pluginsConfigFile ${JSON.stringify(file)} names no file of the ConfigMap the chart mounts at /config (its files: ${keys}; add it under router.epp.pluginsCustomConfig); it cannot read its config, ${exits}`, r.urn);
        return;
      }
      // The chart writes `--<flag>=%v`, which pflag reads with strconv.ParseBool.
      const problems = pickerConfigProblems(text, parseGoBool(String(flags["allow-experimental-plugins"])) === true).map((m) => m.replace("run with --allow-experimental-plugins (it is not)", "run with --allow-experimental-plugins (router.epp.flags.allow-experimental-plugins: true, which this release does not set)"));
      if (problems.length > 0) {
        report(`${lead}: its EndpointPickerConfig, ${from}, is one llm-d-router ${tag}'s config loader refuses or misreads: ${problems.join("; ")}; where refused, ${exits}`, r.urn);
      }
    });
    if (!read.known) pending.push(`the EndpointPickerConfig of Helm release ${r.name} on ${cluster}`);
  }
}
