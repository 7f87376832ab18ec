/**
 * Policy tests for inference-pool-epp's reading of picker flag keys no picker build defines: both
 * charts pass every key of their flags map as a flag (llm-d-router v0.10.0 routerlib
 * `--<key>=<value>`, GIE v1.5.0 epplib `--<key>` "<value>"), and pflag.CommandLine (ExitOnError)
 * stops at an unknown one.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { runStack } from "../support/policy";
import { on } from "./traffic-support";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const ROUTER_PICKER = { registry: "ghcr.io/llm-d", repository: "llm-d-router-endpoint-picker", tag: "v0.10.0" };
const messages = async (...resources: unknown[]) => (await runStack(inferencePoolEpp, resources as any)).violations.map((v) => v.message);
const llmd = (flags: Record<string, unknown>) =>
  on(RELEASE, "router", { name: "llama", namespace: "inference", chart: "oci://ghcr.io/llm-d/charts/llm-d-router-gateway", version: "v0.10.0", values: { router: { modelServers: { matchLabels: { app: "llama" } }, epp: { flags } } } });
const gie = (flags: Record<string, unknown>, image?: unknown) =>
  on(RELEASE, "gie", {
    name: "llama",
    namespace: "inference",
    chart: "oci://registry.k8s.io/gateway-api-inference-extension/charts/inferencepool",
    version: "v1.5.0",
    values: { inferencePool: { modelServers: { matchLabels: { app: "llama" } } }, inferenceExtension: { ...(image ? { image } : {}), flags } },
  });

test("inference-pool-epp: a router.epp.flags key llm-d-router's picker does not define stops it at start (unknown flag)", async () => {
  const got = await messages(llmd({ "kv-cache-threshold": 0.8 }));
  assert.equal(got.length, 1, got.join("\n"));
  assert.match(got[0], /^the endpoint picker of Helm release inference\/llama \(chart llm-d-router-gateway\) on a: router.epp.flags.kv-cache-threshold is no flag llm-d-router v0.10.0's picker defines .* \("--kv-cache-threshold=0.8"\), and pflag stops at it \(unknown flag: --kv-cache-threshold\), so it exits at start/);
  // GIE's own picker's model-server-metrics-scheme is no llm-d-router flag.
  assert.match((await messages(llmd({ "model-server-metrics-scheme": "https" }))).join("\n"), /model-server-metrics-scheme is no flag llm-d-router/);
  // Flags it defines, its string, logging and zap ones included: quiet.
  assert.deepEqual(await messages(llmd({ "tls-min-version": "VersionTLS13", "grpc-max-send-msg-size": "10MiB", "metrics-cert-dir": "/certs", v: 2, "zap-time-encoding": "iso8601", "emit-endpoint-scores": true })), []);
});

test("inference-pool-epp: an inferenceExtension.flags key the chart's picker image does not define stops it at start, per build", async () => {
  // GIE v1.5.0's own picker (the chart's default image) has no --drain-timeout, which llm-d-router's has.
  const own = await messages(gie({ "drain-timeout": "30s" }));
  assert.equal(own.length, 1, own.join("\n"));
  assert.match(own[0], /inferenceExtension.flags.drain-timeout is no flag GIE v1.5.0's own picker defines .* \("--drain-timeout" and its value\), and pflag stops at it \(unknown flag: --drain-timeout\), so it exits at start/);
  assert.deepEqual(await messages(gie({ "drain-timeout": "30s" }, ROUTER_PICKER)), []);
  // GIE's own picker defines its model server metric flags; llm-d-router's does not.
  assert.deepEqual(await messages(gie({ "model-server-metrics-scheme": "https", "model-server-metrics-port": 8443, "zap-encoder": "json" })), []);
  assert.match((await messages(gie({ "model-server-metrics-scheme": "https" }, ROUTER_PICKER))).join("\n"), /model-server-metrics-scheme is no flag llm-d-router v0.10.0's picker defines/);
  // A picker image of neither build is not read.
  assert.deepEqual(await messages(gie({ "kv-cache-threshold": 1 }, { registry: "example.com", repository: "my/epp", tag: "v1" })), []);
});

test("inference-pool-epp: a flag key is read as pflag reads the argument: its name ends at the first =", async () => {
  // "--secure-serving=false" names secure-serving, a flag both builds define: not unknown.
  assert.doesNotMatch((await messages(gie({ "secure-serving=false": "" }))).join("\n"), /is no flag/);
  assert.match((await messages(llmd({ "drain=timeout": "30s" }))).join("\n"), /router.epp.flags.drain=timeout is no flag .* \(unknown flag: --drain\)/);
  assert.match((await messages(llmd({ "-v": 2 }))).join("\n"), /router.epp.flags.-v is no flag .* \(bad flag syntax: ---v\)/);
});
