/**
 * Policy tests for inference-pool-epp's reading of null picker flags as Helm v3.20.2 renders them:
 * llm-d-router v0.10.0's routerlib prints router.epp.flags with printf "--%s=%v" (a null: "<nil>");
 * GIE v1.5.0's epplib writes inferenceExtension.flags as `--<key>` and "{{ $value }}" (a null prints
 * Go's "<no value>", which Helm's engine turns into ""). Helm keeps a null no default of the chart's
 * own values covers, and one under the inferencepool chart's subchart key (inferenceExtension) whose
 * default only the parent's values.yaml gives (chartutil coalesce: childChartMergeTrue; helm#31919).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { runStack } from "../support/policy";
import { on } from "./traffic-support";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const ROUTER_PICKER = { registry: "ghcr.io/llm-d", repository: "llm-d-router-endpoint-picker", tag: "v0.10.0" };
const messages = async (...resources: unknown[]) => (await runStack(inferencePoolEpp, resources as any)).violations.map((v) => v.message);
const llmd = (flags: Record<string, unknown>, epp: Record<string, unknown> = {}) =>
  on(RELEASE, "router", { name: "llama", namespace: "inference", chart: "oci://ghcr.io/llm-d/charts/llm-d-router-gateway", version: "v0.10.0", values: { router: { modelServers: { matchLabels: { app: "llama" } }, epp: { flags, ...epp } } } });
const gie = (flags: Record<string, unknown>, inferenceExtension: Record<string, unknown> = {}) =>
  on(RELEASE, "gie", {
    name: "llama",
    namespace: "inference",
    chart: "oci://registry.k8s.io/gateway-api-inference-extension/charts/inferencepool",
    version: "v1.5.0",
    values: { inferencePool: { modelServers: { matchLabels: { app: "llama" } } }, inferenceExtension: { image: ROUTER_PICKER, flags, ...inferenceExtension } },
  });
const LLMD = "the endpoint picker of Helm release inference/llama (chart llm-d-router-gateway) on a";

test("inference-pool-epp: a null router.epp.flags string flag renders --<flag>=<nil>, which the picker takes literally", async () => {
  // config-file null: "--config-file=<nil>" after the chart's --config-file; pflag keeps the last, and the picker's
  // runner (cmd/epp/runner/runner.go) reads its config with os.ReadFile("<nil>"), which fails, so it exits at start.
  const file = await messages(llmd({ "config-file": null }));
  assert.equal(file.length, 1, file.join("\n"));
  assert.match(
    file[0],
    new RegExp(`^${LLMD.replace(/[()/]/g, "\\$&")}: router.epp.flags.config-file is null, which Helm v3 keeps .* renders it as "--config-file=<nil>" after the chart's --config-file /config/default-plugins.yaml .* the picker reads its config from a file named <nil> .*failed to load config from a file '<nil>'.*, so it exits at start and crash-loops`),
  );
  // config-text null: "--config-text=<nil>" beside the chart's --config-file, which Validate refuses.
  const text = await messages(llmd({ "config-text": null }));
  assert.equal(text.length, 1, text.join("\n"));
  assert.match(text[0], /router.epp.flags.config-text is null, which Helm v3 keeps and routerlib renders as --config-text=<nil>: it gives the picker --config-text beside the --config-file \/config\/default-plugins.yaml the chart always passes .* refuses the two together/);
  // pool-name null: the picker watches InferencePool "<nil>", which nothing renders.
  assert.match((await messages(llmd({ "pool-name": null }))).join("\n"), /router.epp.flags.pool-name "<nil>" replaces the --pool-name llama the chart passes .* InferencePool inference\/<nil>, which this stack does not render/);
  // Quiet: a string flag the pack does not read.
  assert.deepEqual(await messages(llmd({ "tls-min-version": null })), []);
});

test("inference-pool-epp: a null inferenceExtension.flags entry renders an empty value (GIE's epplib writes \"{{ $value }}\")", async () => {
  // The chart's default-plugins.yaml, made refused by its metrics scheme, is what the picker would run.
  const bad = { metricsDataSource: { scheme: "HTTPS" } };
  assert.match((await messages(gie({}, bad))).join("\n"), /default-plugins.yaml, rendered from inferenceExtension and inferencePool, is one .*scheme "HTTPS"/);
  // config-file null: `--config-file ""` after the chart's: no config file and no text, the loader's built-in default, not the chart's file.
  assert.deepEqual(await messages(gie({ "config-file": null }, bad)), []);
  // config-text null: `--config-text ""`, no text: the chart's file is still judged, and nothing is refused beside it.
  assert.match((await messages(gie({ "config-text": null }, bad))).join("\n"), /default-plugins.yaml, rendered from inferenceExtension and inferencePool, is one .*scheme "HTTPS"/);
  assert.doesNotMatch((await messages(gie({ "config-text": null }))).join("\n"), /refuses the two together/);
});

const GIE = "the endpoint picker of Helm release inference/llama (chart inferencepool) on a";
const GIE_RE = GIE.replace(/[()/]/g, "\\$&");

test("inference-pool-epp: a null inferenceExtension.flags entry of a flag the picker types (an int, duration, int list or zap level) renders an empty value, which pflag refuses", async () => {
  // llm-d-router v0.10.0's picker (inferenceExtension.image): pkg/epp/server/options.go IntVar("grpc-port").
  const port = await messages(gie({ "grpc-port": null }));
  assert.equal(port.length, 1, port.join("\n"));
  assert.match(
    port[0],
    new RegExp(`^${GIE_RE}: inferenceExtension.flags.grpc-port is null, which Helm v3 keeps .* renders it as "--grpc-port" and an empty value .* which pflag takes as the flag's value and refuses for an int flag of llm-d-router v0.10.0's picker \\(invalid argument "" for "--grpc-port" flag\\), so it exits at start and crash-loops`),
  );
  // GIE v1.5.0's own picker (the chart's default image): its logging options' v is an int too, and the null is kept over the chart's v: 1.
  const own = (flags: Record<string, unknown>) => messages(on(RELEASE, "gie", { name: "llama", namespace: "inference", chart: "oci://registry.k8s.io/gateway-api-inference-extension/charts/inferencepool", version: "v1.5.0", values: { inferencePool: { modelServers: { matchLabels: { app: "llama" } } }, inferenceExtension: { flags } } }));
  assert.match((await own({ v: null })).join("\n"), /inferenceExtension.flags.v is null, .* refuses for an int flag of GIE v1.5.0's own picker \(invalid argument "" for "--v" flag\)/);
  // GIE's own picker alone defines --model-server-metrics-port (an int); llm-d-router's has no such flag.
  assert.match((await own({ "model-server-metrics-port": null })).join("\n"), /inferenceExtension.flags.model-server-metrics-port is null, .* an int flag of GIE v1.5.0's own picker/);
  assert.doesNotMatch((await messages(gie({ "model-server-metrics-port": null }))).join("\n"), /model-server-metrics-port is null/);
  assert.match((await messages(gie({ "refresh-metrics-interval": null }))).join("\n"), /refresh-metrics-interval is null, .* refuses for a duration flag/);
  assert.match((await messages(gie({ "endpoint-target-ports": null }))).join("\n"), /endpoint-target-ports is null, .* refuses for an int list flag/);
  // controller-runtime v0.23.3's zap flags (pkg/log/zap/flags.go levelFlag.Set) refuse an empty level.
  assert.match((await messages(gie({ "zap-log-level": null }))).join("\n"), /zap-log-level is null, .* refuses for a log level flag/);
  // A bool flag takes no value from the empty argument (pflag: a bool given alone is true), which is left over: no exit.
  assert.deepEqual(await messages(gie({ "enable-pprof": null })), []);
  // routerlib renders an llm-d-router-gateway release's null v as --v=<nil>, which pflag refuses for the int it is.
  assert.match((await messages(llmd({ v: null }))).join("\n"), /router.epp.flags.v is null, .* renders it as "--v=<nil>" .* which pflag refuses for an int flag/);
});

test("inference-pool-epp: GIE's standalone chart's null grpc-port is reported once: its picker never starts, so its Envoy sidecar's 9002 is not judged against it", async () => {
  const got = await messages(
    on(RELEASE, "gie", { name: "llama", namespace: "inference", chart: "oci://registry.k8s.io/gateway-api-inference-extension/charts/standalone", version: "v1.5.0", values: { inferencePool: { modelServers: { matchLabels: { app: "llama" } } }, inferenceExtension: { image: ROUTER_PICKER, flags: { "grpc-port": null } } } }),
  );
  assert.equal(got.length, 1, got.join("\n"));
  assert.match(got[0], /inferenceExtension.flags.grpc-port is null, .* so it exits at start/);
});

test("inference-pool-epp: a null inferenceExtension.flags.pool-name renders an empty --pool-name after the chart's, and the picker, given neither a pool nor a selector, refuses to start", async () => {
  const got = await messages(gie({ "pool-name": null }));
  assert.equal(got.length, 1, got.join("\n"));
  assert.match(got[0], new RegExp(`^${GIE_RE}: inferenceExtension.flags.pool-name is null, which epplib renders as an empty value .* empties the --pool-name llama the chart passes, and with no --endpoint-selector the picker refuses to start .*either pool-name or endpoint-selector must be set`));
  // Run standalone (the chart passes --endpoint-selector, no --pool-name), an empty pool name changes nothing.
  const standalone = { endpointsServer: { createInferencePool: false, endpointSelector: "app=llama" } };
  assert.deepEqual(await messages(gie({ "pool-name": null }, standalone)), []);
  // There, a null endpoint-selector empties the chart's selector: neither is left.
  assert.match((await messages(gie({ "endpoint-selector": null }, standalone))).join("\n"), /the chart passes no --pool-name and an empty --endpoint-selector .* the picker refuses to start/);
  // A null pool-namespace is empty, which the picker reads as its NAMESPACE (the release's): no verdict.
  assert.deepEqual(await messages(gie({ "pool-namespace": null })), []);
});

test("inference-pool-epp: a null inferenceExtension.flags.model-server-metrics-scheme renders an empty scheme, which GIE's own picker's Validate refuses", async () => {
  const own = (flags: Record<string, unknown>) => messages(on(RELEASE, "gie", { name: "llama", namespace: "inference", chart: "oci://registry.k8s.io/gateway-api-inference-extension/charts/inferencepool", version: "v1.5.0", values: { inferencePool: { modelServers: { matchLabels: { app: "llama" } } }, inferenceExtension: { flags } } }));
  const got = await own({ "model-server-metrics-scheme": null });
  assert.equal(got.length, 1, got.join("\n"));
  assert.match(got[0], new RegExp(`^${GIE_RE}: inferenceExtension.flags.model-server-metrics-scheme is null, which Helm v3 keeps and epplib _deployment.yaml renders as an empty value, which GIE v1.5.0's own picker refuses at start: .*only http or https \\(unexpected "" value for "model-server-metrics-scheme" flag\\), so it exits at start`));
  // Validate compares exactly: HTTPS is refused too; http and https are taken.
  assert.match((await own({ "model-server-metrics-scheme": "HTTPS" })).join("\n"), /model-server-metrics-scheme is rendered "HTTPS", which GIE v1.5.0's own picker refuses/);
  assert.deepEqual(await own({ "model-server-metrics-scheme": "https" }), []);
});

test("inference-pool-epp: a null inferenceExtension.flags.ha-enable-leader-election turns leader election on (a bool given alone) in GIE's single-replica pod, whose probes then ask a health service the picker does not know", async () => {
  // epplib _deployment.yaml renders `--ha-enable-leader-election` and "": pflag's bool NoOptDefVal sets it true, the "" is left over.
  const got = await messages(gie({ "ha-enable-leader-election": null }));
  assert.equal(got.length, 1, got.join("\n"));
  assert.match(
    got[0],
    new RegExp(`^${GIE_RE}: inferenceExtension.flags.ha-enable-leader-election is null, which Helm v3 keeps and epplib _deployment.yaml renders as "--ha-enable-leader-election" and an empty value: pflag sets a bool flag given without "=" true .* so leader election is on, while inferenceExtension.replicas 1 .*probes ask gRPC health service inference-extension, which .*SERVICE_UNKNOWN`),
  );
  // The same rendering turns it on for a false, and for GIE v1.5.0's own picker (the chart's default image), whose health server is alike.
  assert.match((await messages(gie({ "ha-enable-leader-election": false }))).join("\n"), /ha-enable-leader-election is false, which .* renders as "--ha-enable-leader-election" and "false": pflag sets a bool flag given without "=" true/);
  const own = await messages(on(RELEASE, "gie", { name: "llama", namespace: "inference", chart: "oci://registry.k8s.io/gateway-api-inference-extension/charts/inferencepool", version: "v1.5.0", values: { inferencePool: { modelServers: { matchLabels: { app: "llama" } } }, inferenceExtension: { flags: { "ha-enable-leader-election": null } } } }));
  assert.match(own.join("\n"), /ha-enable-leader-election is null, .* SERVICE_UNKNOWN/);
  // replicas 0 or null is still one pod (`replicas | default 1`), below the chart's `gt (replicas | int) 1`.
  assert.match((await messages(gie({ "ha-enable-leader-election": null }, { replicas: 0 }))).join("\n"), /inferenceExtension.replicas 0 /);
  // With more than one replica the chart passes the flag itself, renders the leases Role and probes liveness and readiness: no verdict.
  assert.deepEqual(await messages(gie({ "ha-enable-leader-election": null }, { replicas: 2 })), []);
  // The `=` form is read as pflag reads it: false stays off.
  assert.deepEqual(await messages(gie({ "ha-enable-leader-election=false": null })), []);
  // Other bool flags turned on alike change nothing the chart relies on: quiet.
  assert.deepEqual(await messages(gie({ "secure-serving": null, "enable-pprof": null, tracing: null })), []);
});
