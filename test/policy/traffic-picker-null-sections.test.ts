/**
 * Policy tests for sections of an EndpointPickerConfig written as null (or a config of no bytes),
 * as llm-d-router v0.10.0's loader and factories read them: JSON null leaves a list or section as if
 * left out (tolerated), but sets a pointer the factory defaults to non-nil to nil, which some then read.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as yaml from "js-yaml";
import { pickerConfigProblems } from "../../policy/lib/picker-config";
import { endpointPickerConfig } from "../../components/inference/epp";

const base = endpointPickerConfig({ queue: 2, kvCacheUtilization: 2, prefixCache: 3 }) as Record<string, any>;
const at = (type: string, parameters: unknown) => pickerConfigProblems(yaml.dump({ ...base, plugins: [...base.plugins, { name: "p", type, parameters }] }), false);
const head = "apiVersion: llm-d.ai/v1alpha1\nkind: EndpointPickerConfig\n";

test("picker config: null sections the loader takes as left out pass", () => {
  // A file of no bytes: LoadRawConfig uses the built-in default config.
  assert.deepEqual(pickerConfigProblems("", false), []);
  assert.deepEqual(pickerConfigProblems(`${head}plugins: null\nschedulingProfiles: null\nfeatureGates: null\ndataLayer: null\nflowControl: null\nrequestHandler: null\n`, false), []);
  assert.deepEqual(pickerConfigProblems(`${head}plugins:\n- type: queue-scorer\n  parameters: null\nschedulingProfiles:\n- name: default\n  plugins: null\n`, false), []);
  assert.deepEqual(pickerConfigProblems(`${head}plugins:\n- type: queue-scorer\nschedulingProfiles:\n- name: default\n  plugins:\n  - pluginRef: queue-scorer\n    weight: null\n`, false), []);
  // Null tokenProcessorConfig and kvBlockIndexConfig fall back to their defaults (producer.go New, kvblock NewIndex).
  assert.deepEqual(at("precise-prefix-cache-producer", { tokenProcessorConfig: null, indexerConfig: { kvBlockIndexConfig: null } }), []);
  assert.deepEqual(at("precise-prefix-cache-producer", { indexerConfig: { kvBlockIndexConfig: { inMemoryConfig: null, redisConfig: { address: "redis:6379" } } } }), []);
  assert.deepEqual(at("precise-prefix-cache-producer", { kvEventsConfig: { podDiscoveryConfig: null, zmqEndpoint: "tcp://indexer:5557" } }), []);
});

test("picker config: null sections the factories refuse or crash on are reported", () => {
  // Whitespace, a list or a scalar decodes to no EndpointPickerConfig object; text that is not YAML is named with the parser's reason.
  const notMapping = ["it is not a YAML mapping (an EndpointPickerConfig object), so the loader cannot decode it"];
  for (const text of [" \n", `- ${head.replace("\n", "\n  ")}`, "default-plugins.yaml", "42\n"]) assert.deepEqual(pickerConfigProblems(text, false), notMapping, text);
  assert.equal(pickerConfigProblems(`${head}plugins: [\n`, false).length, 1);
  assert.match(pickerConfigProblems(`${head}plugins: [\n`, false)[0], /^it is not YAML \(.+\), so the loader cannot decode it$/);
  assert.deepEqual(at("precise-prefix-cache-producer", { indexerConfig: null }), [
    "plugins[5].parameters.indexerConfig is null, which precise-prefix-cache-producer's factory refuses (\"indexerConfig is required\"): null replaces the default indexer config",
  ]);
  assert.match(at("precise-prefix-cache-scorer", { indexerConfig: null }).join("\n"), /indexerConfig is null, which precise-prefix-cache-scorer's factory refuses \(the indexer's "config cannot be nil"\)/);
  assert.match(at("precise-prefix-cache-producer", { indexerConfig: { KVBlockScorerConfig: null } }).join("\n"), /KVBlockScorerConfig is null: the indexer sets the scorer's backends through it \(NewKVCacheIndexer\) and panics/);
  assert.match(at("precise-prefix-cache-producer", { indexerConfig: { kvBlockIndexConfig: { inMemoryConfig: null } } }).join("\n"), /inMemoryConfig is null and no other index backend is set .*"no valid index configuration provided"/);
  assert.deepEqual(at("precise-prefix-cache-producer", { kvEventsConfig: null }), [
    "plugins[5].parameters.kvEventsConfig is null: the producer reads its engineType at start and panics on the nil config (leave it out for the defaults)",
  ]);
  assert.match(at("precise-prefix-cache-producer", { kvEventsConfig: { podDiscoveryConfig: null } }).join("\n"), /podDiscoveryConfig is null and zmqEndpoint is unset, so no KV-events subscriber is ever made/);
});
