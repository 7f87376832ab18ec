/**
 * Policy tests for the precise prefix-cache plugins' parameters as llm-d-router v0.10.0's factories
 * decode them (precise-prefix-cache-producer, and the deprecated precise-prefix-cache-scorer that
 * wraps one): the nested token processor, indexer and KV-events structs, and their checks.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as yaml from "js-yaml";
import { pickerConfigProblems } from "../../policy/lib/picker-config";
import { endpointPickerConfig } from "../../components/inference/epp";

const base = endpointPickerConfig({ queue: 2, kvCacheUtilization: 2, prefixCache: 3 }) as Record<string, any>;
const at = (type: string, parameters: unknown) => pickerConfigProblems(yaml.dump({ ...base, plugins: [...base.plugins, { name: "p", type, parameters }] }), false);

test("picker config: precise prefix-cache parameters that llm-d-router v0.10.0 takes pass", () => {
  // deploy/config/epp-precise-prefix-cache-config.yaml at v0.10.0, and a fuller one.
  assert.deepEqual(at("precise-prefix-cache-producer", { tokenProcessorConfig: { blockSize: 64 }, indexerConfig: { kvBlockIndexConfig: { enableMetrics: true } } }), []);
  const full = {
    tokenProcessorConfig: { blockSizeTokens: 64, hashSeed: "42" },
    indexerConfig: { kvBlockIndexConfig: { inMemoryConfig: { size: 100000 }, enableMetrics: true, metricsLoggingInterval: 30000000000 }, kvCacheBackendConfigs: [{ name: "gpu", weight: 1 }] },
    kvEventsConfig: { engineType: "sglang", concurrency: 8, podDiscoveryConfig: { socketPort: 5557, replaySocketPort: 5558 } },
    speculativeIndexing: true, speculativeTTL: "5s",
  };
  assert.deepEqual(at("precise-prefix-cache-producer", full), []);
  assert.deepEqual(at("precise-prefix-cache-producer", { indexerConfig: { kvBlockIndexConfig: { costAwareMemoryConfig: { size: "2 GiB" } } } }), []);
  // The legacy scorer still tokenizes with its own pool (its kv-cache v0.9.0 fields are not judged).
  assert.deepEqual(at("precise-prefix-cache-scorer", { indexerConfig: { tokenizersPoolConfig: { modelName: "m" } }, kvEventsConfig: { zmqEndpoint: "tcp://indexer:5557", discoverPods: false } }), []);
});

test("picker config: precise prefix-cache parameters its factory refuses, or that never do what they read", () => {
  assert.deepEqual(at("precise-prefix-cache-producer", { indexerConfig: { tokenizersPoolConfig: { modelName: "m" } } }), [
    'plugins[5].parameters.indexerConfig.tokenizersPoolConfig is set, which precise-prefix-cache-producer\'s factory refuses ("tokenizersPoolConfig is not supported; configure a token-producer plugin instead"): the producer takes tokens only from a token-producer, so the picker exits at start',
  ]);
  assert.deepEqual(at("precise-prefix-cache-producer", { kvEventsConfig: { podDiscoveryConfig: { socketPort: 5557, labelSelector: "app=vllm" } } }), [
    "plugins[5].parameters.kvEventsConfig.podDiscoveryConfig.labelSelector is not a parameter precise-prefix-cache-producer's factory decodes (podLabelSelector, podNamespace, socketPort, replaySocketPort); the decoder is strict and refuses it",
  ]);
  // A time.Duration decodes from nanoseconds only.
  assert.match(at("precise-prefix-cache-scorer", { indexerConfig: { kvBlockIndexConfig: { metricsLoggingInterval: "30s" } } }).join("\n"), /metricsLoggingInterval is the string "30s", where precise-prefix-cache-scorer's factory decodes a whole number/);
  const tokens = at("precise-prefix-cache-producer", { tokenProcessorConfig: { blockSize: -16 } });
  assert.deepEqual(tokens, ['plugins[5].parameters.tokenProcessorConfig.blockSize -16 is not positive, which precise-prefix-cache-producer\'s factory refuses ("blockSizeTokens must be greater than 0")']);
  assert.match(at("precise-prefix-cache-producer", { tokenProcessorConfig: { blockSize: 16, blockSizeTokens: 64 } }).join("\n"), /blockSize 16 \(deprecated\) is never read beside blockSizeTokens 64/);
  assert.match(at("precise-prefix-cache-producer", { indexerConfig: { kvBlockIndexConfig: { inMemoryConfig: { size: 0 } } } }).join("\n"), /inMemoryConfig.size 0 is not positive, which .* refuses/);
  assert.match(at("precise-prefix-cache-producer", { indexerConfig: { kvBlockIndexConfig: { costAwareMemoryConfig: {} } } }).join("\n"), /costAwareMemoryConfig.size "" is not a byte size/);
  assert.match(at("precise-prefix-cache-producer", { indexerConfig: { kvBlockIndexConfig: { costAwareMemoryConfig: { size: "2 gigs" } } } }).join("\n"), /size "2 gigs" is not a byte size/);
  assert.match(at("precise-prefix-cache-producer", { indexerConfig: { kvBlockIndexConfig: { redisConfig: { address: "redis:6379" }, inMemoryConfig: { size: 10 } } } }).join("\n"), /sets redisConfig and inMemoryConfig, of which the index uses only redisConfig: inMemoryConfig never read/);
  assert.match(at("precise-prefix-cache-producer", { indexerConfig: { KVBlockScorerConfig: { scoringStrategy: "HighestHit" } } }).join("\n"), /ScoringStrategy "HighestHit" is not LongestPrefix/);
  assert.match(at("precise-prefix-cache-producer", { kvEventsConfig: { engineType: "trtllm" } }).join("\n"), /engineType "trtllm" is neither vllm nor sglang/);
  assert.match(at("precise-prefix-cache-producer", { kvEventsConfig: { concurrency: 0 } }).join("\n"), /concurrency 0 is not positive: the KV-events pool divides by it/);
  assert.match(at("precise-prefix-cache-scorer", { kvEventsConfig: { discoverPods: "off" } }).join("\n"), /discoverPods is false and zmqEndpoint is unset, so no KV-events subscriber is ever made/);
  assert.match(at("precise-prefix-cache-producer", { kvEventsConfig: { podDiscoveryConfig: { socketPort: 0 } } }).join("\n"), /socketPort 0 is outside 1 to 65535/);
  assert.match(at("precise-prefix-cache-producer", { kvEventsConfig: { podDiscoveryConfig: { podNamespace: "llm" } } }).join("\n"), /podNamespace is never read/);
  assert.match(at("precise-prefix-cache-producer", { speculativeTTL: "5s" }).join("\n"), /speculativeTTL is never read while speculativeIndexing is not true/);
  assert.match(at("precise-prefix-cache-producer", { speculativeIndexing: true, speculativeTTL: "5" }).join("\n"), /speculativeTTL "5" is not a Go duration/);
  assert.match(at("precise-prefix-cache-producer", { speculativeIndexing: true, speculativeTTL: "0s" }).join("\n"), /speculativeTTL "0s" is not positive, so the producer silently keeps speculative entries 2s/);
});
