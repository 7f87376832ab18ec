// The picker charts' shared default-plugins.yaml pieces (policy/lib/picker-chart-defaults.ts).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { chartDefaultProfile, chartScorerPlugins, defaultTrue } from "../../policy/lib/picker-chart-defaults";

test("insecureSkipVerify | default true: every Go-empty value renders true, as Helm's default replaces it", () => {
  // Before, the llm-d-router chart's reading kept 0, an empty list and an empty map as given.
  for (const empty of [false, 0, "", null, undefined, [], {}]) assert.equal(defaultTrue(empty), true, JSON.stringify(empty));
  assert.equal(defaultTrue("false"), "false");
  assert.equal(defaultTrue(1), 1);
});

test("the charts' default profile: weighted scorers, or the latency predictor's chain in their place", () => {
  assert.deepEqual(chartScorerPlugins().map((p) => p.type), ["queue-scorer", "kv-cache-utilization-scorer", "prefix-cache-scorer"]);
  assert.deepEqual(chartDefaultProfile(false), [{ name: "default", plugins: [{ pluginRef: "queue-scorer", weight: 2 }, { pluginRef: "kv-cache-utilization-scorer", weight: 2 }, { pluginRef: "prefix-cache-scorer", weight: 3 }] }]);
  const predictor = chartDefaultProfile(true)[0].plugins.map((p) => p.pluginRef);
  assert.deepEqual(predictor, ["predicted-latency-producer", "strict-affinity-filter", "slo-headroom-tier-filter", "loose-affinity-filter", "latency-scorer", "weighted-random-picker"]);
});
