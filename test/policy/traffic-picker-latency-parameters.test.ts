/**
 * Policy tests for the parameters of llm-d-router v0.10.0's latency-scorer, slo-headroom-tier-filter,
 * latency-slo-admitter and token-producer (and its deprecated type `tokenizer`) as their factories
 * decode and check them, and for the producers they name.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as yaml from "js-yaml";
import { pickerConfigProblems } from "../../policy/lib/picker-config";
import { endpointPickerConfig } from "../../components/inference/epp";

const base = endpointPickerConfig({ queue: 2, kvCacheUtilization: 2, prefixCache: 3 }) as Record<string, any>;
const at = (type: string, parameters: unknown, more: unknown[] = []) =>
  pickerConfigProblems(yaml.dump({ ...base, plugins: [...base.plugins, { name: "p", type, parameters }, ...more] }), false);
const predictor = { name: "predictor", type: "predicted-latency-producer" };

test("picker config: latency plugins' and token-producer's parameters v0.10.0 takes pass", () => {
  assert.deepEqual(at("latency-scorer", { ttftWeight: 1, tpotWeight: 0, headroomSelectionStrategy: "most", compositeKVWeight: 2, latencyPredictionInfoProducerName: "predictor" }, [predictor]), []);
  assert.deepEqual(at("latency-scorer", { latencyPredictionInfoProducerName: "predicted-latency-producer", prefixMatchInfoProducerName: "approx-prefix-cache-producer" }), []);
  assert.deepEqual(at("slo-headroom-tier-filter", { epsilonExploreNeg: 0.05 }), []);
  assert.deepEqual(at("latency-slo-admitter", { latencyPredictionInfoProducerName: "predictor" }, [predictor]), []);
  assert.deepEqual(at("token-producer", { modelName: "Qwen/Qwen3-8B", vllm: { url: "http://localhost:8000", timeout: "5s", mmTimeout: "1m" } }), []);
  assert.deepEqual(at("token-producer", { modelName: "Qwen/Qwen3-8B" }), []);
  assert.deepEqual(at("token-producer", { estimate: { image: { mode: "static", static: { staticToken: 256 } }, video: { frames: { mode: "strided", strided: { frameStride: 2 } } } } }), []);
  assert.deepEqual(at("tokenizer", {}), []);
});

test("picker config: latency plugins' parameters refused, or read otherwise than written", () => {
  assert.deepEqual(at("slo-headroom-tier-filter", { epsilonExploreNeg: 1.5 }), ["plugins[5].parameters.epsilonExploreNeg 1.5 is outside 0 to 1, which slo-headroom-tier-filter's factory refuses"]);
  assert.match(at("slo-headroom-tier-filter", { epsilon: 0.1 }).join("\n"), /epsilon is not a parameter slo-headroom-tier-filter's factory decodes \(epsilonExploreNeg, latencyPredictionInfoProducerName\)/);
  assert.deepEqual(at("latency-slo-admitter", { latencyPredictionInfoProducerName: "predictor" }), [
    'plugins[5].parameters.latencyPredictionInfoProducerName "predictor" names no plugin of plugins[] (a plugin of type predicted-latency-producer, or predicted-latency-producer, which the loader adds): nothing produces what the admitter requires, so the picker exits at start',
  ]);
  assert.match(at("latency-slo-admitter", { ttftSLO: 100 }).join("\n"), /ttftSLO is not a parameter latency-slo-admitter's factory decodes/);
  assert.match(at("latency-scorer", { latencyPredictionInfoProducerName: "queue-scorer" }).join("\n"), /"queue-scorer" names a queue-scorer, which produces no latency predictions/);
  assert.match(at("latency-scorer", { prefixMatchInfoProducerName: "predictor" }, [predictor]).join("\n"), /prefixMatchInfoProducerName "predictor" names a predicted-latency-producer, which produces no prefix-cache match info/);
  assert.deepEqual(at("latency-scorer", { headroomSelectionStrategy: "closest" }), ['plugins[5].parameters.headroomSelectionStrategy "closest" is neither least nor most, so the scorer silently scores as least (scores otherwise than the config reads)']);
  assert.match(at("latency-scorer", { ttftWeight: 0, tpotWeight: 0 }).join("\n"), /ttftWeight 0 and tpotWeight 0 sum to no positive weight, so the scorer silently weighs TTFT headroom alone/);
  assert.match(at("latency-scorer", { compositeKVWeight: 0, compositeQueueWeight: 0, compositePrefixWeight: 0 }).join("\n"), /sum to no positive weight, so without predictions the scorer silently scores by free KV cache alone/);
  assert.match(at("latency-scorer", { ttftWeight: "0.8" }).join("\n"), /ttftWeight is the string "0.8", where latency-scorer's factory decodes a number/);
  // The prefix-cache affinity filter needs predictions only where it estimates TTFT from them.
  assert.deepEqual(at("prefix-cache-affinity-filter", { ttftSource: "latencyPredictor", latencyPredictionInfoProducerName: "nowhere", maxTTFTPenaltyMs: 0 }), []);
  assert.match(at("prefix-cache-affinity-filter", { ttftSource: "latencyPredictor", latencyPredictionInfoProducerName: "nowhere" }).join("\n"), /latencyPredictionInfoProducerName "nowhere" names no plugin of plugins\[\].*what the filter requires/);
});

test("picker config: token-producer's parameters its factory refuses", () => {
  assert.deepEqual(at("token-producer", { vllm: { url: "http://render:8000" } }), ["plugins[5].parameters.vllm is set without a modelName, which token-producer's factory refuses (\"'modelName' must be specified\"): the vLLM backend renders for that model"]);
  assert.match(at("token-producer", { estimate: {}, modelName: "m" }).join("\n"), /sets estimate beside modelName, which token-producer's factory refuses/);
  assert.match(at("tokenizer", { estimate: {}, vllm: {}, modelName: "m" }).join("\n"), /sets estimate beside vllm, which tokenizer's factory refuses/);
  assert.match(at("token-producer", { modelName: "m", vllm: { timeout: "5" } }).join("\n"), /vllm\.timeout "5" is not a Go duration/);
  assert.match(at("token-producer", { estimate: { image: { mode: "fixed" } } }).join("\n"), /estimate\.image\.mode "fixed" is neither dynamic nor static/);
  assert.match(at("token-producer", { estimate: { video: { frames: { mode: "dynamic" } } } }).join("\n"), /estimate\.video\.frames\.mode "dynamic" is neither sampled nor strided/);
  assert.match(at("token-producer", { model: "m" }).join("\n"), /model is not a parameter token-producer's factory decodes/);
  assert.match(at("token-producer", { estimate: { video: { maxVideoTokens: 1.5 } } }).join("\n"), /maxVideoTokens is number 1.5, where token-producer's factory decodes a whole number/);
});
