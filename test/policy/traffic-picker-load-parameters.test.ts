/**
 * Policy tests for the parameters of llm-d-router v0.10.0's no-hit-lru-scorer, token-load-scorer and
 * (Alpha) utilization-filter as their factories decode and check them.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as yaml from "js-yaml";
import { pickerConfigProblems } from "../../policy/lib/picker-config";
import { endpointPickerConfig } from "../../components/inference/epp";

const base = endpointPickerConfig({ queue: 2, kvCacheUtilization: 2, prefixCache: 3 }) as Record<string, any>;
// Experimental plugins allowed: utilization-filter is Alpha.
const at = (type: string, parameters: unknown, more: unknown[] = []) =>
  pickerConfigProblems(yaml.dump({ ...base, plugins: [...base.plugins, { name: "p", type, parameters }, ...more] }), true);

test("picker config: no-hit-lru, token-load and utilization-filter parameters v0.10.0 takes pass", () => {
  assert.deepEqual(at("no-hit-lru-scorer", { lruSize: 2048 }), []);
  assert.deepEqual(at("no-hit-lru-scorer", { prefixMatchInfoProducerName: "precise" }, [{ name: "precise", type: "precise-prefix-cache-producer" }]), []);
  assert.deepEqual(at("token-load-scorer", { queueThresholdTokens: 1048576 }), []);
  assert.deepEqual(at("utilization-filter", { conditions: [{ metric: "kv-cache-utilization", maxValue: 0.9 }, { metric: "waiting-queue", maxValue: 10 }], fallbackOnEmpty: true }), []);
});

test("picker config: no-hit-lru, token-load and utilization-filter parameters refused, or read otherwise than written", () => {
  assert.deepEqual(at("no-hit-lru-scorer", { lruSize: 0 }), ["plugins[5].parameters.lruSize 0 is not positive, so the scorer silently tracks 1024 endpoints instead (scores otherwise than the config reads)"]);
  assert.match(at("no-hit-lru-scorer", { prefixPluginName: "prefix-cache-scorer" }).join("\n"), /prefixPluginName is deprecated and never read/);
  assert.match(at("no-hit-lru-scorer", { prefixMatchInfoProducerName: "precise" }).join("\n"), /prefixMatchInfoProducerName "precise" names no plugin of plugins\[\]/);
  assert.match(at("no-hit-lru-scorer", { lruSize: "1k" }).join("\n"), /lruSize is the string "1k", where no-hit-lru-scorer's factory decodes a whole number/);
  assert.deepEqual(at("token-load-scorer", { queueThresholdTokens: -1 }), ["plugins[5].parameters.queueThresholdTokens -1 is not positive, so the scorer silently uses its default 4194304 tokens instead (scores otherwise than the config reads)"]);
  assert.match(at("token-load-scorer", { threshold: 10 }).join("\n"), /threshold is not a parameter token-load-scorer's factory decodes \(queueThresholdTokens, inFlightLoadProducerName\)/);
  assert.match(at("utilization-filter", undefined).join("\n"), /plugins\[5\]\.parameters\.conditions is empty or unset/);
  assert.deepEqual(at("utilization-filter", { fallbackOnEmpty: true }), ['plugins[5].parameters.conditions is empty or unset, which utilization-filter\'s factory refuses ("requires at least one condition")']);
  assert.match(at("utilization-filter", { conditions: [{ metric: "kv-cache-usage", maxValue: 0.9 }] }).join("\n"), /conditions\[0\]\.metric "kv-cache-usage" is none of active-requests, running-requests, waiting-queue, kv-cache-utilization/);
  assert.match(at("utilization-filter", { conditions: [{ metric: "waiting-queue" }] }).join("\n"), /conditions\[0\] has no maxValue/);
  assert.match(at("utilization-filter", { conditions: [{ metric: "running-requests", maxValue: -1 }] }).join("\n"), /maxValue -1 is negative/);
  assert.match(at("utilization-filter", { conditions: [{ metric: "kv-cache-utilization", maxValue: 90 }] }).join("\n"), /maxValue 90 is above 1 for kv-cache-utilization/);
  assert.match(at("utilization-filter", { conditions: [{ metric: "waiting-queue", max: 3 }] }).join("\n"), /conditions\[0\]\.max is not a parameter utilization-filter's factory decodes/);
});

test("picker config: session-affinity scorer and filter parameters as their factories validate them", () => {
  assert.deepEqual(at("session-affinity-scorer", { strategy: "session_id", sessionIdConfig: { sources: [{ header: "x-user" }, { attribute: "agent-id" }], evictionTtlSeconds: 600 } }), []);
  assert.deepEqual(at("session-affinity-filter", { encodedEndpointHeaderConfig: { header: "x-pin" }, profileName: "decode" }), []);
  assert.deepEqual(at("session-affinity-filter", { strategy: "session-id" }), ['plugins[5].parameters.strategy "session-id" is neither encoded_endpoint_header nor session_id, which session-affinity-filter\'s factory refuses']);
  assert.match(at("session-affinity-scorer", { strategy: "" }).join("\n"), /strategy "" is neither/);
  assert.match(at("session-affinity-scorer", { sessionIdConfig: { sources: [{ header: "x-user" }] } }).join("\n"), /sessionIdConfig is never read under strategy encoded_endpoint_header/);
  assert.match(at("session-affinity-scorer", { strategy: "session_id", sessionIdConfig: { sources: [{ header: "x-user", attribute: "a" }] } }).join("\n"), /sources\[0\] sets both header and attribute/);
  assert.match(at("session-affinity-scorer", { strategy: "session_id", sessionIdConfig: { sources: [{}] } }).join("\n"), /sources\[0\] sets neither header nor attribute/);
  assert.match(at("session-affinity-filter", { strategy: "session_id", sessionIdConfig: { evictionSweepSeconds: -5 } }).join("\n"), /evictionSweepSeconds -5 is negative/);
  assert.match(at("session-affinity-filter", { strategy: "session_id", sessionIdConfig: { evictionTtl: 60 } }).join("\n"), /sessionIdConfig\.evictionTtl is not a parameter session-affinity-filter's factory decodes/);
});
