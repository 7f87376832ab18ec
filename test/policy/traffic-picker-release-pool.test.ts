/**
 * Policy tests for inference-pool-epp's reading of the pool (or selector) flags a chart's picker
 * runs with: llm-d-router v0.10.0's routerlib and GIE v1.5.0's epplib pass --pool-name <release>
 * --pool-namespace <namespace> (or --endpoint-selector in standalone mode) before the values' flags,
 * which pflag lets win; Validate (pkg/epp/server/options.go) takes exactly one of pool-name and
 * endpoint-selector, and the health server stays NOT_SERVING until the named pool is synced.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { runStack } from "../support/policy";
import { on } from "./traffic-support";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const POOL = "kubernetes:inference.networking.k8s.io/v1:InferencePool";
const llmd = (router: Record<string, unknown>, chart = "llm-d-router-gateway") =>
  on(RELEASE, "router", { name: "llama", namespace: "inference", chart: `oci://ghcr.io/llm-d/charts/${chart}`, version: "v0.10.0", values: { router: { modelServers: { matchLabels: { app: "llama" } }, ...router } } });
const gie = (inferenceExtension: Record<string, unknown>) =>
  on(RELEASE, "gie", { name: "llama", namespace: "inference", chart: "oci://registry.k8s.io/gateway-api-inference-extension/charts/inferencepool", version: "v1.5.0", values: { inferencePool: { modelServers: { matchLabels: { app: "llama" } } }, inferenceExtension } });
const pool = (name: string, namespace = "inference") =>
  on(POOL, `pool-${name}`, { metadata: { name, namespace }, spec: { selector: { matchLabels: { app: name } }, targetPorts: [{ number: 8000 }], endpointPickerRef: { name: `${name}-epp`, port: { number: 9002 } } } });
// Only the release's verdicts: the hand-written pools here have no picker of their own.
const messages = async (...rs: unknown[]) => (await runStack(inferencePoolEpp, rs as any)).violations.map((v) => v.message).filter((m) => m.startsWith("the endpoint picker of Helm release"));

test("inference-pool-epp: a chart picker's pool-name flag naming a pool the stack does not render leaves it never Ready", async () => {
  const missing = await messages(llmd({ epp: { flags: { "pool-name": "qwen" } } }));
  assert.equal(missing.length, 1, missing.join("\n"));
  assert.match(missing[0], /^the endpoint picker of Helm release inference\/llama \(chart llm-d-router-gateway\) on a: router.epp.flags.pool-name "qwen" replaces the --pool-name llama the chart passes \(pflag keeps the last\), so the picker watches InferencePool inference\/qwen, which this stack does not render: its datastore never syncs a pool, its health server answers NOT_SERVING/);
  assert.match((await messages(llmd({ epp: { flags: { "pool-name": "qwen", "pool-namespace": "models" } } }), pool("qwen"))).join("\n"), /watches InferencePool models\/qwen, which this stack does not render/);
  assert.match((await messages(gie({ flags: { "pool-name": "qwen" } }))).join("\n"), /inferenceExtension.flags.pool-name "qwen" replaces the --pool-name llama the chart passes .*InferencePool inference\/qwen/);
  // Naming the chart's own pool again is no change.
  assert.deepEqual(await messages(llmd({ epp: { flags: { "pool-name": "llama" } } })), []);
});

test("inference-pool-epp: a chart picker given both a pool and a selector, or neither, is refused at start", async () => {
  const both = await messages(llmd({ inferencePool: { create: false }, epp: { flags: { "pool-name": "llama" } } }, "llm-d-router-standalone"));
  assert.equal(both.length, 1, both.join("\n"));
  assert.match(both[0], /router.epp.flags.pool-name "llama" gives the picker --pool-name beside the --endpoint-selector "app=llama" the chart passes in standalone mode \(router.inferencePool.create false\), and the picker refuses the two together \(Validate, pkg\/epp\/server\/options.go: "either pool-name or endpoint-selector must be set"\), so it exits at start/);
  assert.match((await messages(gie({ flags: { "endpoint-selector": "app=llama" } }))).join("\n"), /inferenceExtension.flags.endpoint-selector "app=llama" gives the picker --endpoint-selector beside the --pool-name llama the chart passes/);
  assert.match((await messages(llmd({ epp: { flags: { "pool-name": "" } } }))).join("\n"), /router.epp.flags.pool-name "" empties the --pool-name llama the chart passes, and with no --endpoint-selector the picker refuses to start/);
});

test("inference-pool-epp: a chart picker's pool flags naming another pool of the stack leave the chart's own pool picked from that pool's servers", async () => {
  // The chart's InferencePool inference/llama names the chart's picker Service, whose picker then watches inference/qwen.
  const other = await messages(llmd({ epp: { flags: { "pool-name": "qwen" } } }), pool("qwen"));
  assert.equal(other.length, 1, other.join("\n"));
  assert.match(
    other[0],
    /^the endpoint picker of Helm release inference\/llama \(chart llm-d-router-gateway\) on a: router.epp.flags.pool-name "qwen" replaces the --pool-name llama the chart passes \(pflag keeps the last\), so the picker watches InferencePool inference\/qwen \(a hand-written one\), not the chart's own InferencePool inference\/llama, whose endpointPickerRef names this picker's Service llama-epp: it picks among inference\/qwen's model servers, so the requests a gateway sends to inference\/llama go to them/,
  );
  // Another release's pool, a pool of the same name in another namespace, and GIE's legacy chart alike.
  const qwenChart = on(RELEASE, "qwen", { name: "qwen", namespace: "inference", chart: "oci://ghcr.io/llm-d/charts/llm-d-router-gateway", version: "v0.10.0", values: { router: { modelServers: { matchLabels: { app: "qwen" } } } } });
  assert.match((await messages(llmd({ epp: { flags: { "pool-name": "qwen" } } }), qwenChart)).join("\n"), /watches InferencePool inference\/qwen \(Helm release inference\/qwen's\), not the chart's own InferencePool inference\/llama/);
  assert.match((await messages(llmd({ epp: { flags: { "pool-namespace": "models" } } }), pool("llama", "models"))).join("\n"), /router.epp.flags.pool-namespace "models" replaces the chart's --pool-namespace inference .*watches InferencePool models\/llama \(a hand-written one\), not the chart's own InferencePool inference\/llama/);
  assert.match((await messages(gie({ flags: { "pool-name": "qwen" } }), pool("qwen"))).join("\n"), /inferenceExtension.flags.pool-name "qwen" replaces the --pool-name llama the chart passes .*watches InferencePool inference\/qwen \(a hand-written one\), not the chart's own InferencePool inference\/llama/);
  // A standalone picker (no pool of its own, no pool naming its Service) may watch a pool of the stack.
  assert.deepEqual(await messages(llmd({ inferencePool: { create: false }, epp: { flags: { "pool-name": "qwen", "endpoint-selector": "" } } }, "llm-d-router-standalone"), pool("qwen")), []);
});
