/**
 * Policy tests for inference-pool-epp's reading of the endpoint picker's EndpointPickerConfig: the
 * plugin types llm-d-router v0.10.0 registers, profile references, pickers and profile handlers as
 * its config loader takes them, and the config file the picker is started with.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as yaml from "js-yaml";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { pickerConfigProblems } from "../../policy/lib/picker-config";
import { endpointPickerConfig } from "../../components/inference/epp";
import { runStack } from "../support/policy";
import { on } from "./traffic-support";

const IMAGE = "ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.10.0";
const base = endpointPickerConfig({ queue: 2, kvCacheUtilization: 2, prefixCache: 3 }) as Record<string, any>;
const problems = (config: Record<string, unknown>, experimental = false) => pickerConfigProblems(yaml.dump(config), experimental);
const withPlugins = (plugins: unknown[], schedulingProfiles: unknown[] = base.schedulingProfiles) => ({ ...base, plugins: [...base.plugins, ...plugins], schedulingProfiles });

test("picker config: the rendered EndpointPickerConfig is one the loader takes, whatever the scorer weights", () => {
  assert.deepEqual(problems(base), []);
  // Every weight 0: an empty profile, given max-score-picker by the loader.
  assert.deepEqual(problems(endpointPickerConfig({ queue: 0, kvCacheUtilization: 0, prefixCache: 0 }) as Record<string, unknown>), []);
  // The loader's own defaults, referenced without being defined: a picker and the metrics source it adds.
  assert.deepEqual(problems({ ...base, schedulingProfiles: [{ name: "default", plugins: [{ pluginRef: "queue-scorer" }, { pluginRef: "max-score-picker" }] }] }), []);
});

test("picker config: a plugin type llm-d-router v0.10.0 does not register, or an Alpha one without --allow-experimental-plugins, is refused", () => {
  const unknown = problems(withPlugins([{ type: "least-queue-scorer" }]));
  assert.equal(unknown.length, 1, unknown.join("\n"));
  assert.match(unknown[0], /^plugins\[5\]\.type "least-queue-scorer" is not a plugin type llm-d-router v0\.10\.0 registers \(the scorer types it registers: .*queue-scorer/);
  // GIE's name for the picker before it was renamed is not registered either.
  assert.match(problems(withPlugins([{ type: "max-score" }])).join("\n"), /"max-score" is not a plugin type/);
  const alpha = withPlugins([{ type: "session-affinity-scorer" }], [{ name: "default", plugins: [...base.schedulingProfiles[0].plugins, { pluginRef: "session-affinity-scorer", weight: 1 }] }]);
  assert.deepEqual(problems(alpha), ['plugins[5].type "session-affinity-scorer" is an Alpha plugin, which the picker loads only when run with --allow-experimental-plugins (it is not)']);
  assert.deepEqual(problems(alpha, true), []);
  assert.match(problems(withPlugins([{ name: "" }])).join("\n"), /plugins\[5\] has no type/);
  assert.match(problems(withPlugins([{ type: "queue-scorer" }])).join("\n"), /plugins\[5\] is named "queue-scorer" \(its type, as it sets no name\), like another plugin/);
});

test("picker config: profiles reference defined plugins, hold one picker each, and several profiles need a profile handler that chooses", () => {
  const undefinedRef = problems({ ...base, schedulingProfiles: [{ name: "default", plugins: [{ pluginRef: "queue", weight: 2 }] }] });
  assert.equal(undefinedRef.length, 1, undefinedRef.join("\n"));
  assert.match(undefinedRef[0], /^schedulingProfiles\[0\]\.plugins\[0\]\.pluginRef "queue" names no plugin of plugins\[\] \(defined: queue-scorer, kv-cache-utilization-scorer, prefix-cache-scorer, metrics-data-source, core-metrics-extractor\)/);
  const twoPickers = withPlugins([{ type: "random-picker" }, { type: "max-score-picker" }], [{ name: "default", plugins: [{ pluginRef: "random-picker" }, { pluginRef: "max-score-picker" }] }]);
  assert.deepEqual(problems(twoPickers), ["schedulingProfiles[0] references 2 pickers (random-picker, max-score-picker); a profile takes one picker"]);
  // Two pickers defined and a profile naming neither: the loader picks one by Go map order.
  assert.match(problems(withPlugins([{ type: "random-picker" }, { type: "max-score-picker" }])).join("\n"), /schedulingProfiles\[0\] references no picker while plugins\[\] defines 2 \(random-picker, max-score-picker\)/);
  const profiles = [{ name: "prefill", plugins: [{ pluginRef: "queue-scorer" }] }, { name: "decode", plugins: [{ pluginRef: "queue-scorer" }] }];
  assert.match(problems({ ...base, schedulingProfiles: profiles }).join("\n"), /holds 2 profiles but plugins\[\] defines no profile handler/);
  assert.match(problems(withPlugins([{ type: "single-profile-handler" }], profiles)).join("\n"), /single-profile-handler, which cannot choose between the 2 profiles/);
  assert.deepEqual(problems(withPlugins([{ type: "disagg-profile-handler" }], profiles)), []);
  assert.match(problems({ ...base, schedulingProfiles: [base.schedulingProfiles[0], base.schedulingProfiles[0]] }).join("\n"), /schedulingProfiles\[1\] is named "default" like another profile/);
});

test("picker config: fields, apiVersion, feature gates and data layer references as the strict decoder reads them", () => {
  assert.match(problems({ ...base, metadata: { name: "x" } }).join("\n"), /^metadata is not a field of EndpointPickerConfig/);
  assert.match(problems({ ...base, apiVersion: "inference.networking.k8s.io/v1" }).join("\n"), /apiVersion "inference.networking.k8s.io\/v1" kind "EndpointPickerConfig" is not what the loader decodes/);
  assert.deepEqual(problems({ ...base, apiVersion: "inference.networking.x-k8s.io/v1alpha1", featureGates: ["flowControl"] }), []);
  assert.match(problems({ ...base, featureGates: ["prepareDataPlugins"] }).join("\n"), /featureGates entry "prepareDataPlugins" names no feature gate/);
  assert.deepEqual(problems({ ...base, featureGates: ["flowControl=False", "haPopulateNonLeaderDatastore= true"] }), []);
  assert.match(problems({ ...base, featureGates: ["flowControl=on"] }).join("\n"), /featureGates entry "flowControl=on" gives flowControl a value that is not a bool/);
  assert.match(problems({ ...base, dataLayer: { sources: [{ pluginRef: "metrics", extractors: [{ pluginRef: "core-metrics-extractor" }] }] } }).join("\n"), /dataLayer.sources\[0\] references "metrics"/);
  assert.deepEqual(problems({ ...base, dataLayer: { sources: [{ pluginRef: "metrics-data-source", extractors: [{ pluginRef: "core-metrics-extractor" }] }] } }), []);
  assert.match(problems({ ...base, flowControl: { saturationDetector: { pluginRef: "concurrency-detector" } } }).join("\n"), /saturation detector's pluginRef "concurrency-detector" names no plugin/);
  assert.deepEqual(problems({ ...base, requestHandler: { parsers: [{ pluginRef: "openai-parser" }] } }), []);
});

test("picker config: plugin parameters as each factory decodes them (strict, typed, in range), and those a factory never reads", () => {
  const at = (type: string, parameters: unknown) => problems(withPlugins([{ name: "p", type, parameters }]));
  // The rendered metrics source and the factories' own ranges at their edges pass; a key is matched as encoding/json matches it (any case).
  assert.deepEqual(at("metrics-data-source", { scheme: "https", Port: 65535, interval: "1.5s", insecureSkipVerify: "yes", caCertPath: null }), []);
  assert.deepEqual(at("prefix-cache-scorer", { matchLengthWeight: 1, matchLengthScaleTokens: 4096, prefixMatchInfoProducerName: "approx-prefix-cache-producer" }), []);
  assert.deepEqual(at("max-score-picker", {}), []);
  assert.deepEqual(at("core-metrics-extractor", { defaultEngine: "tgi", engineConfigs: [{ name: "tgi", queuedRequestsSpec: "tgi_queue_size" }] }), []);
  // Refused at start: an unknown field, a wrong type, a value out of range.
  assert.deepEqual(at("metrics-data-source", { caCert: "/etc/ca.pem" }), [
    "plugins[5].parameters.caCert is not a parameter metrics-data-source's factory decodes (scheme, path, port, insecureSkipVerify, caCertPath, clientCertPath, clientKeyPath, interval); the decoder is strict and refuses it",
  ]);
  assert.deepEqual(at("load-aware-scorer", { threshold: "64" }), ['plugins[5].parameters.threshold is the string "64", where load-aware-scorer\'s factory decodes a whole number']);
  assert.deepEqual(at("max-score-picker", [2]), ["plugins[5].parameters is a list, where max-score-picker's factory decodes an object"]);
  assert.deepEqual(at("random-picker", { maxNumOfEndpoints: 1.5 }), ["plugins[5].parameters.maxNumOfEndpoints is number 1.5, where random-picker's factory decodes a whole number"]);
  assert.deepEqual(at("prefix-cache-scorer", { matchLengthWeight: 2 }), ["plugins[5].parameters.matchLengthWeight 2 is outside 0.0 to 1.0, which prefix-cache-scorer's factory refuses"]);
  assert.match(at("prefix-cache-scorer", { matchLengthWeight: 0.5, matchLengthScaleTokens: 0 }).join("\n"), /matchLengthScaleTokens 0 is not positive while matchLengthWeight is 0.5/);
  // The producer it reads from: the loader's default, or a producer plugin of the config (declared after it too); else nothing produces the key.
  assert.deepEqual(problems(withPlugins([{ name: "p", type: "prefix-cache-scorer", parameters: { prefixMatchInfoProducerName: "precise" } }, { name: "precise", type: "precise-prefix-cache-producer" }])), []);
  assert.match(at("prefix-cache-scorer", { prefixMatchInfoProducerName: "precise" }).join("\n"), /prefixMatchInfoProducerName "precise" names no plugin of plugins\[\] \(a plugin of type approx-prefix-cache-producer, .*\): nothing produces what the scorer requires, so the picker exits at start/);
  assert.match(at("prefix-cache-scorer", { prefixMatchInfoProducerName: "queue-scorer" }).join("\n"), /names a queue-scorer, which produces no prefix-cache match info/);
  assert.match(at("metrics-data-source", { port: 0 }).join("\n"), /port 0 is outside 1 to 65535/);
  assert.match(at("metrics-data-source", { scheme: "HTTP" }).join("\n"), /scheme "HTTP" is neither http nor https/);
  assert.match(at("metrics-data-source", { interval: "1sec" }).join("\n"), /interval "1sec" is not a Go duration/);
  assert.match(at("metrics-data-source", { interval: "-2s" }).join("\n"), /interval "-2s" is negative/);
  assert.match(at("core-metrics-extractor", { defaultEngine: "tgi" }).join("\n"), /defaultEngine "tgi" is none of its engine configs \(vllm, sglang, trtllm-serve, triton-tensorrt-llm, triton\)/);
  assert.match(at("core-metrics-extractor", { engineConfigs: [{ name: "default" }] }).join("\n"), /an engine "default", a name core-metrics-extractor's factory reserves/);
  // Read otherwise than written: a fallback to the default, parameters a factory never reads.
  assert.match(at("weighted-random-picker", { maxNumOfEndpoints: 0 }).join("\n"), /maxNumOfEndpoints 0 is not positive, so the picker silently picks 1 endpoint/);
  assert.match(at("load-aware-scorer", { threshold: -1 }).join("\n"), /threshold -1 is not positive, so the scorer silently uses its default queue threshold 128/);
  assert.deepEqual(at("queue-scorer", { threshold: 64 }), ["plugins[5].parameters is given to queue-scorer, whose factory takes no parameters and never reads them (scores otherwise than the config reads)"]);
  assert.deepEqual(at("kv-cache-utilization-scorer", {}), []);
});

/** A picker Deployment reading its config from a ConfigMap, as the platform renders it. */
function picker(config: string, opts: { args?: string[]; mount?: Record<string, unknown>; items?: unknown[]; image?: string } = {}) {
  const meta = { name: "llama-v1-epp", namespace: "inference" };
  return [
    on("kubernetes:apps/v1:Deployment", "epp", {
      metadata: meta,
      spec: {
        template: {
          metadata: { labels: { app: "epp" } },
          spec: {
            serviceAccountName: "llama-v1-epp",
            containers: [{ name: "epp", image: opts.image ?? IMAGE, args: ["--pool-name", "llama-v1", "--config-file", "/config/default-plugins.yaml", ...(opts.args ?? [])], volumeMounts: [opts.mount ?? { name: "config", mountPath: "/config", readOnly: true }] }],
            volumes: [{ name: "config", configMap: { name: "llama-v1-epp", ...(opts.items ? { items: opts.items } : {}) } }],
          },
        },
      },
    }),
    on("kubernetes:core/v1:ConfigMap", "epp-config", { metadata: meta, data: { "default-plugins.yaml": config } }),
  ];
}
const messages = async (resources: unknown[]) => (await runStack(inferencePoolEpp, resources as any)).violations.map((v) => v.message);

test("inference-pool-epp: the picker's EndpointPickerConfig, read from the ConfigMap its --config-file is mounted from, is one its loader takes", async () => {
  assert.deepEqual(await messages(picker(yaml.dump(base))), []);
  const bad = yaml.dump(withPlugins([{ type: "least-queue-scorer" }]));
  const found = await messages(picker(bad));
  assert.equal(found.length, 1, found.join("\n"));
  assert.match(found[0], /^the endpoint picker inference\/llama-v1-epp on a \(container epp\): its EndpointPickerConfig, ConfigMap inference\/llama-v1-epp key default-plugins.yaml \(its --config-file \/config\/default-plugins.yaml\), is one llm-d-router v0.10.0's config loader refuses or misreads: plugins\[5\].type "least-queue-scorer" is not a plugin type .* so it exits at start and crash-loops/);
  // Inline, through --config-text, likewise; a picker of another build is not judged against v0.10.0's registry.
  assert.equal((await messages([on("kubernetes:apps/v1:Deployment", "epp", { metadata: { name: "p", namespace: "inference" }, spec: { template: { spec: { containers: [{ name: "epp", image: IMAGE, args: ["--config-text", bad] }] } } } })])).length, 1);
  assert.deepEqual(await messages(picker(bad, { image: "ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.11.0" })), []);
  assert.deepEqual(await messages(picker(bad, { image: "ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.10.0-rc.1" })), []);
  // A patch release of v0.10 (cut from the same release branch, the same plugins) is judged, and named.
  const patch = await messages(picker(bad, { image: "mirror.example.com/llm-d/llm-d-router-endpoint-picker:v0.10.2@sha256:0123abcd" }));
  assert.equal(patch.length, 1, patch.join("\n"));
  assert.match(patch[0], /is one llm-d-router v0\.10\.2's config loader refuses or misreads: plugins\[5\]\.type "least-queue-scorer"/);
  // A file the ConfigMap does not hold: the picker cannot read its config.
  const renamed = await messages(picker(yaml.dump(base), { args: ["--config-file", "/config/plugins.yaml"] }));
  assert.equal(renamed.length, 1, renamed.join("\n"));
  assert.match(renamed[0], /its --config-file \/config\/plugins.yaml is mounted from ConfigMap inference\/llama-v1-epp \(volume config\), which holds no such file \(no key plugins.yaml; keys: default-plugins.yaml\); it cannot read its config/);
  // A null entry is a key all the same: the API server decodes data (map[string]string) with encoding/json, where a null
  // leaves the element's zero value, "", so the file is there, empty, and read as an empty config is.
  const nulled = picker("").map((r: any) => (r.type === "kubernetes:core/v1:ConfigMap" ? { ...r, props: { ...r.props, data: { "default-plugins.yaml": null } } } : r));
  assert.deepEqual(await messages(nulled), await messages(picker("")));
  // Mapped by items or mounted by subPath: the same file.
  assert.deepEqual(await messages(picker(yaml.dump(base), { args: ["--config-file", "/config/p.yaml"], items: [{ key: "default-plugins.yaml", path: "p.yaml" }] })), []);
  assert.deepEqual(await messages(picker(bad, { args: ["--config-file", "/etc/epp.yaml"], mount: { name: "config", mountPath: "/etc/epp.yaml", subPath: "default-plugins.yaml" } })).then((m) => m.length), 1);
  // Alpha plugins with the flag that allows them pass.
  const alpha = yaml.dump(withPlugins([{ type: "session-affinity-scorer" }]));
  assert.equal((await messages(picker(alpha))).length, 1);
  assert.deepEqual(await messages(picker(alpha, { args: ["--allow-experimental-plugins"] })), []);
});

test("inference-pool-epp picker config: the affinity filter's, approximate prefix producer's and active-request scorer's factories judge their parameters; more no-parameter factories", () => {
  const at = (type: string, parameters: unknown) => problems(withPlugins([{ name: "p", type, parameters }]));
  // The chart's own predictor gates (routerlib _config.yaml) and the sample configs' producer (deploy/config/*.yaml) load.
  assert.deepEqual(at("prefix-cache-affinity-filter", { affinityThreshold: 0.99, ttftSource: "latencyPredictor", maxTTFTPenaltyMs: 5000 }), []);
  assert.deepEqual(at("prefix-cache-affinity-filter", { maxTTFTPenaltyMs: 0, peakPrefillThroughput: 0 }), []);
  assert.deepEqual(at("approx-prefix-cache-producer", { maxPrefixTokensToMatch: 16384, lruCapacityPerServer: 31250 }), []);
  assert.deepEqual(at("active-request-scorer", { idleThreshold: 2, maxBusyScore: 0.5 }), []);
  // Refused at start by the strict decoder or the factory's validate.
  assert.match(at("prefix-cache-affinity-filter", { threshold: 0.9 }).join("\n"), /parameters.threshold is not a parameter prefix-cache-affinity-filter's factory decodes/);
  assert.match(at("prefix-cache-affinity-filter", { affinityThreshold: 1.5 }).join("\n"), /affinityThreshold 1.5 is above 1.0, which prefix-cache-affinity-filter's factory refuses/);
  assert.match(at("prefix-cache-affinity-filter", { explorationProbability: -0.1 }).join("\n"), /explorationProbability -0.1 is outside 0 to 1/);
  assert.match(at("prefix-cache-affinity-filter", { ttftSource: "predictor" }).join("\n"), /ttftSource "predictor" is neither latencyPredictor nor prefillThroughput/);
  assert.match(at("prefix-cache-affinity-filter", { ttftSource: "" }).join("\n"), /ttftSource "" is neither/);
  assert.match(at("prefix-cache-affinity-filter", { peakPrefillThroughput: 0 }).join("\n"), /peakPrefillThroughput is 0 while ttftSource is prefillThroughput and maxTTFTPenaltyMs 18000 is positive/);
  assert.match(at("prefix-cache-affinity-filter", { prefixMatchInfoProducerName: "precise" }).join("\n"), /prefixMatchInfoProducerName "precise" names no plugin of plugins\[\] .* nothing produces what the filter requires/);
  assert.match(at("approx-prefix-cache-producer", { autoTune: false, blockSizeTokens: 0 }).join("\n"), /blockSizeTokens 0 is not positive while autoTune is false/);
  assert.match(at("approx-prefix-cache-producer", { maxPrefixTokensToMatch: -1 }).join("\n"), /maxPrefixTokensToMatch -1 is negative/);
  assert.match(at("approx-prefix-cache-producer", { lruCapacity: 10 }).join("\n"), /lruCapacity is not a parameter approx-prefix-cache-producer's factory decodes/);
  // Read otherwise than written.
  assert.match(at("approx-prefix-cache-producer", { blockSizeTokens: 16, autoTune: false }).join("\n"), /blockSizeTokens 16 is below 64, so the producer silently hashes prompts in blocks of 64 tokens/);
  assert.match(at("approx-prefix-cache-producer", { blockSize: 128, blockSizeTokens: 256 }).join("\n"), /blockSize 128 \(deprecated\) is never read beside blockSizeTokens 256/);
  assert.deepEqual(at("approx-prefix-cache-producer", { blockSize: 128 }), []);
  assert.match(at("active-request-scorer", { maxBusyScore: 2 }).join("\n"), /maxBusyScore 2 is outside 0.0 to 1.0, so the scorer silently uses 1.0/);
  assert.match(at("active-request-scorer", { idleThreshold: -1 }).join("\n"), /idleThreshold -1 is negative, so the scorer silently uses 0/);
  assert.match(at("active-request-scorer", { requestTimeout: "2m" }).join("\n"), /requestTimeout is deprecated and never read/);
  assert.deepEqual(at("lora-affinity-scorer", { threshold: 1 }), ["plugins[5].parameters is given to lora-affinity-scorer, whose factory takes no parameters and never reads them (scores otherwise than the config reads)"]);
  assert.deepEqual(at("decode-filter", { label: "x" }), ["plugins[5].parameters is given to decode-filter, whose factory takes no parameters and never reads them (works otherwise than the config reads)"]);
});
