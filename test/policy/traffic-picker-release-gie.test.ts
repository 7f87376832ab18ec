/**
 * Policy tests for inference-pool-epp's reading of the picker GIE v1.5.0's legacy `inferencepool`
 * chart installs (a Helm Release; epplib _deployment.yaml, _config.yaml) where it runs llm-d-router's
 * picker: the config its inferenceExtension.* values make it run with.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as yaml from "js-yaml";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { endpointPickerConfig } from "../../components/inference/epp";
import { runStack } from "../support/policy";
import { on } from "./traffic-support";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const ROUTER_PICKER = { registry: "ghcr.io/llm-d", repository: "llm-d-router-endpoint-picker", tag: "v0.10.0" };
const release = (inferenceExtension: Record<string, unknown>, more: Record<string, unknown> = {}, version = "v1.5.0") =>
  on(RELEASE, "gie", {
    name: "llama",
    namespace: "inference",
    chart: "oci://registry.k8s.io/gateway-api-inference-extension/charts/inferencepool",
    version,
    values: { ...more, inferencePool: { modelServers: { matchLabels: { app: "llama" } }, ...(more.inferencePool as object) }, inferenceExtension: { image: ROUTER_PICKER, ...inferenceExtension } },
  });
const messages = async (inferenceExtension: Record<string, unknown>, more?: Record<string, unknown>, version?: string) =>
  (await runStack(inferencePoolEpp, [release(inferenceExtension, more, version)] as any)).violations.map((v) => v.message);
const LEAD = "the endpoint picker of Helm release inference/llama (chart inferencepool) on a";
const LEAD_RE = LEAD.replace(/[()]/g, "\\$&");
const good = endpointPickerConfig({ queue: 1, kvCacheUtilization: 1, prefixCache: 1 });
const alpha = { ...good, plugins: [...(good.plugins as object[]), { type: "session-affinity-scorer" }] };

test("inference-pool-epp: GIE's inferencepool chart's picker runs the chart's default-plugins.yaml, rendered from inferenceExtension and inferencePool", async () => {
  assert.deepEqual(await messages({}), []);
  assert.deepEqual(await messages({ latencyPredictor: { enabled: true } }), []);
  assert.deepEqual(await messages({ metricsDataSource: { scheme: "https", insecureSkipVerify: false } }, { inferencePool: { modelServerType: "triton", parser: "openai-parser" } }), []);
  assert.deepEqual(await messages({}, { inferencePool: { modelServerProtocol: "grpc" } }), []);
  // _config.yaml renders the metrics source's scheme and the parser from the values.
  const scheme = await messages({ metricsDataSource: { scheme: "HTTPS" } });
  assert.equal(scheme.length, 1, scheme.join("\n"));
  assert.match(scheme[0], new RegExp(`^${LEAD_RE}: its EndpointPickerConfig, the chart's default-plugins.yaml, rendered from inferenceExtension and inferencePool, is one llm-d-router v0.10.0's config loader refuses or misreads: .*scheme "HTTPS" is neither http nor https.*; where refused, so it exits at start and crash-loops`));
  assert.match((await messages({}, { inferencePool: { parser: "least-parser" } })).join("\n"), /default-plugins.yaml, rendered from inferenceExtension and inferencePool, is one .*plugins\[5\].type "least-parser" is not a plugin type/);
});

test("inference-pool-epp: GIE's inferencepool chart is judged only with llm-d-router's v0.10.x picker, at the chart's v1.5.0", async () => {
  const bad = { metricsDataSource: { scheme: "HTTPS" } };
  // The chart's own image, GIE's picker, registers other plugins; another chart version renders another config.
  assert.deepEqual(await messages({ ...bad, image: { tag: "v1.5.0" } }), []);
  assert.deepEqual(await messages({ ...bad, image: { ...ROUTER_PICKER, tag: "v0.11.0" } }), []);
  assert.deepEqual(await messages(bad, {}, "v1.4.0"), []);
  assert.equal((await messages(bad, {}, "1.5.0")).length, 1);
});

test("inference-pool-epp: GIE's inferencepool chart's picker reads the file inferenceExtension.pluginsConfigFile names, of ConfigMap <release>-epp", async () => {
  const custom = (text: unknown, more: Record<string, unknown> = {}) => messages({ pluginsConfigFile: "mine.yaml", pluginsCustomConfig: { "mine.yaml": text }, ...more });
  assert.deepEqual(await custom(yaml.dump(good)), []);
  const refused = await custom(yaml.dump(alpha));
  assert.equal(refused.length, 1, refused.join("\n"));
  assert.match(refused[0], new RegExp(`^${LEAD_RE}: its EndpointPickerConfig, inferenceExtension.pluginsCustomConfig.mine.yaml, is one llm-d-router v0.10.0's config loader refuses or misreads: plugins\\[5\\].type "session-affinity-scorer" is an Alpha plugin, which the picker loads only when run with --allow-experimental-plugins \\(inferenceExtension.flags.allow-experimental-plugins, which this release does not set\\)`));
  // The chart passes a flag's value as a separate argument: pflag turns a bool flag on whatever it says.
  assert.deepEqual(await custom(yaml.dump(alpha), { flags: { "allow-experimental-plugins": false } }), []);
  // A custom file given as a mapping; the default file replaced by a custom one of the same name.
  assert.match((await custom({ apiVersion: "llm-d.ai/v1alpha1" })).join("\n"), /inferenceExtension.pluginsCustomConfig.mine.yaml is object, not the text of an EndpointPickerConfig/);
  assert.match((await messages({ pluginsCustomConfig: { "default-plugins.yaml": yaml.dump(alpha) } })).join("\n"), /its EndpointPickerConfig, inferenceExtension.pluginsCustomConfig.default-plugins.yaml, is one/);
  // A file the ConfigMap does not hold, named by pluginsConfigFile or by a config-file flag under /config.
  assert.deepEqual(await messages({ pluginsConfigFile: "plugins.yaml" }), [
    `${LEAD}: inferenceExtension.pluginsConfigFile "plugins.yaml" names no file of ConfigMap inference/llama-epp the chart mounts at /config (its files: default-plugins.yaml; add it under inferenceExtension.pluginsCustomConfig); it cannot read its config, so it exits at start and crash-loops, and every request to its pool fails (or, FailOpen, skips the picker)`,
  ]);
  assert.match((await messages({ pluginsCustomConfig: { "mine.yaml": yaml.dump(good) }, flags: { "config-file": "/config/other.yaml" } })).join("\n"), /inferenceExtension.flags.config-file "\/config\/other.yaml" names no file of ConfigMap inference\/llama-epp the chart mounts at \/config \(its files: default-plugins.yaml, mine.yaml;/);
  assert.deepEqual(await messages({ pluginsCustomConfig: { "mine.yaml": yaml.dump(good) }, flags: { "config-file": "/config/mine.yaml" } }), []);
  // A file elsewhere (a volume of the values' own) is not read here.
  assert.deepEqual(await messages({ flags: { "config-file": "/etc/epp/config.yaml" } }), []);
});

test("inference-pool-epp: GIE's inferencepool chart's picker given --config-text by inferenceExtension.flags", async () => {
  // The chart always passes --config-file; llm-d-router refuses both flags at once.
  const both = await messages({ flags: { "config-text": yaml.dump(good) } });
  assert.equal(both.length, 1, both.join("\n"));
  assert.match(both[0], new RegExp(`^${LEAD_RE}: inferenceExtension.flags.config-text gives the picker --config-text beside the --config-file /config/default-plugins.yaml the chart always passes \\(epplib _deployment.yaml\\), and llm-d-router v0.10.0 refuses the two together`));
  // With config-file emptied, the text is read as the chart quotes it: line breaks written as \n escapes survive.
  const text = (t: string) => messages({ flags: { "config-file": "", "config-text": t } });
  assert.deepEqual(await text(yaml.dump(good).replace(/\n/g, "\\n")), []);
  assert.match((await text(yaml.dump(alpha).replace(/\n/g, "\\n"))).join("\n"), /its EndpointPickerConfig, inferenceExtension.flags.config-text \(its --config-text\), is one llm-d-router v0.10.0's config loader refuses or misreads: plugins\[5\].type "session-affinity-scorer" is an Alpha plugin/);
  // Real line breaks fold into spaces between the chart's double quotes; a `"` in the text breaks the Deployment's YAML.
  assert.match((await text(yaml.dump(good))).join("\n"), /inferenceExtension.flags.config-text \(its --config-text\), is one .*: it is not YAML .* \(the chart writes inferenceExtension.flags.config-text between double quotes, unescaped, so YAML folds each single line break of it into a space/);
  assert.match((await text(JSON.stringify(good))).join("\n"), /inferenceExtension.flags.config-text is written into the picker's args between double quotes, unescaped .* the release fails to install/);
  // A mapping where the config's text belongs is printed by Go in a form of its own: not read; one in another flag is not judged here.
  assert.deepEqual(await messages({ flags: { "config-file": "", "config-text": { apiVersion: "llm-d.ai/v1alpha1" } } }), []);
  assert.match((await messages({ metricsDataSource: { scheme: "HTTPS" }, flags: { v: { a: 1 } } })).join("\n"), /scheme "HTTPS" is neither http nor https/);
});

test("inference-pool-epp: GIE's inferencepool chart passes legacy metric flags for some model server types, which llm-d-router's picker refuses", async () => {
  // epplib _deployment.yaml: sglang, triton-tensorrt-llm and trtllm-serve get --*-metric flags unless the latency predictor is on.
  const sglang = await messages({}, { inferencePool: { modelServerType: "sglang" } });
  assert.deepEqual(sglang, [
    `${LEAD}: inferencePool.modelServerType "sglang" (for which epplib _deployment.yaml passes --total-queued-requests-metric, --total-running-requests-metric, --kv-cache-usage-percentage-metric, --cache-info-metric unless inferenceExtension.latencyPredictor.enabled) gives llm-d-router v0.10.0's picker metric flags it refuses at start (--total-queued-requests-metric, --total-running-requests-metric, --kv-cache-usage-percentage-metric, --cache-info-metric: Validate, pkg/epp/server/options.go, "is deprecated and cannot be used; configure metrics via engineConfigs in EndpointPickerConfig instead"), so it exits at start and crash-loops, and every request to its pool fails (or, FailOpen, skips the picker); set inferencePool.modelServerType vllm (the chart then passes none of them) and run a config of inferenceExtension.pluginsCustomConfig, named by inferenceExtension.pluginsConfigFile, whose core-metrics-extractor has defaultEngine "sglang", or enable the latency predictor`,
  ]);
  assert.match((await messages({}, { inferencePool: { modelServerType: "trtllm-serve" } })).join("\n"), /--model-server-metrics-path is no flag it defines, so it stops at parsing \(unknown flag\)/);
  assert.match((await messages({ flags: { "lora-info-metric": "" } })).join("\n"), /inferenceExtension.flags.lora-info-metric gives llm-d-router v0.10.0's picker metric flags it refuses at start \(--lora-info-metric: Validate/);
  // The latency predictor drops them; GIE's own v1.5.0 picker refuses them alike (its options.go Validate), but knows --model-server-metrics-path.
  assert.deepEqual(await messages({ latencyPredictor: { enabled: true } }, { inferencePool: { modelServerType: "sglang" } }), []);
  const own = (await messages({ image: { tag: "v1.5.0" } }, { inferencePool: { modelServerType: "trtllm-serve" } })).join("\n");
  assert.match(own, /inferencePool.modelServerType "trtllm-serve" .* gives GIE v1.5.0's own picker metric flags it refuses at start \(--total-queued-requests-metric, --total-running-requests-metric, --kv-cache-usage-percentage-metric, --cache-info-metric, --lora-info-metric: Validate/);
  assert.doesNotMatch(own, /unknown flag/);
  assert.deepEqual(await messages({ image: { tag: "v1.4.0" } }, { inferencePool: { modelServerType: "sglang" } }), []);
  // The fix the message gives: type vllm, the engine named by a custom config.
  const engine = { ...good, plugins: (good.plugins as { type: string }[]).map((p) => (p.type === "core-metrics-extractor" ? { ...p, parameters: { defaultEngine: "sglang" } } : p)) };
  assert.deepEqual(await messages({ pluginsConfigFile: "sglang.yaml", pluginsCustomConfig: { "sglang.yaml": yaml.dump(engine) } }), []);
});

test("inference-pool-epp: a picker volume of GIE's charts (inferenceExtension.volumes, sidecar.volumes) mounting a ConfigMap nothing renders is can't judge", async () => {
  // GIE v1.5.0 epplib _deployment.yaml renders inferenceExtension.volumes (toYaml) and inferenceExtension.sidecar.volumes
  // (tpl, whether the sidecar is on or not) as volumes of the picker's pod, as routerlib renders router.epp.volumes.
  const judged = (inferenceExtension: Record<string, unknown>, ...more: unknown[]) => runStack(inferencePoolEpp, [release(inferenceExtension), ...more] as any);
  const certs = [{ name: "certs", configMap: { name: "picker-certs" } }];
  const out = await judged({ volumes: certs, volumeMounts: [{ name: "certs", mountPath: "/certs" }] });
  assert.deepEqual(out.violations, []);
  assert.equal(out.unknown.length, 1, out.unknown.join("\n"));
  assert.match(out.unknown[0], /ConfigMap inference\/picker-certs, which the picker's volume certs \(inferenceExtension.volumes\) of Helm release inference\/llama mounts and neither the chart nor the stack renders: the kubelet keeps the picker's pod in ContainerCreating until it exists/);
  assert.match((await judged({ sidecar: { volumes: certs } })).unknown.join("\n"), /ConfigMap inference\/picker-certs, which the sidecar's volume certs \(inferenceExtension.sidecar.volumes\)/);
  // Known: optional, the stack's, the chart's own (<release>-epp; the latency predictor's when it is on; the sidecar's when it is on), a templated sidecar volume.
  const quiet = async (inferenceExtension: Record<string, unknown>, ...more: unknown[]) => assert.deepEqual((await judged(inferenceExtension, ...more)).unknown, [], JSON.stringify(inferenceExtension));
  await quiet({ volumes: [{ name: "certs", configMap: { name: "picker-certs", optional: true } }] });
  await quiet({ volumes: [{ name: "plugins", configMap: { name: "llama-epp" } }] });
  await quiet({ volumes: certs }, on("kubernetes:core/v1:ConfigMap", "certs", { metadata: { name: "picker-certs", namespace: "inference" }, data: { "ca.crt": "x" } }));
  await quiet({ latencyPredictor: { enabled: true }, volumes: [{ name: "lp", configMap: { name: "llama-epp-latency-predictor-training" } }] });
  await quiet({ sidecar: { enabled: true, configMap: { name: "my-envoy" }, volumes: [{ name: "config", configMap: { name: "my-envoy" } }] } });
  await quiet({ sidecar: { volumes: [{ name: "config", configMap: { name: "{{ .Release.Name }}-envoy" } }] } });
  assert.match((await judged({ volumes: [{ name: "lp", configMap: { name: "llama-epp-latency-predictor-training" } }] })).unknown.join("\n"), /ConfigMap inference\/llama-epp-latency-predictor-training/);
  // The inferencepool chart's sidecar is off by default: its ConfigMap is not rendered.
  assert.match((await judged({ sidecar: { configMap: { name: "my-envoy" }, volumes: [{ name: "config", configMap: { name: "my-envoy" } }] } })).unknown.join("\n"), /ConfigMap inference\/my-envoy/);
});
