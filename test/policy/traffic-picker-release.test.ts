/**
 * Policy tests for inference-pool-epp's reading of a picker installed by llm-d-router's chart
 * (llm-d-router-gateway, a Helm Release): the config its values make the rendered picker run with.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as yaml from "js-yaml";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { endpointPickerConfig } from "../../components/inference/epp";
import { runStack } from "../support/policy";
import { on } from "./traffic-support";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const release = (values: Record<string, unknown>, opts: { version?: string; chart?: string } = {}) =>
  on(RELEASE, "router", { name: "llama", namespace: "inference", chart: opts.chart ?? "oci://ghcr.io/llm-d/charts/llm-d-router-gateway", version: opts.version ?? "v0.10.0", values });
const messages = async (values: Record<string, unknown>, opts?: { version?: string; chart?: string }) =>
  (await runStack(inferencePoolEpp, [release(values, opts)] as any)).violations.map((v) => v.message);
const models = { modelServers: { matchLabels: { app: "llama" } } };
const epp = (e: Record<string, unknown>, more: Record<string, unknown> = {}) => ({ router: { ...models, epp: e, ...more } });

test("inference-pool-epp: a chart release's picker runs the chart's default config, which its loader takes, whatever the values it reads", async () => {
  assert.deepEqual(await messages({ router: models }), []);
  assert.deepEqual(await messages(epp({ parsers: ["openai-parser"], metricsDataSource: { scheme: "https", insecureSkipVerify: false } }, { modelServers: { ...models.modelServers, type: "sglang" } })), []);
  assert.deepEqual(await messages({ router: { modelServers: { ...models.modelServers, protocol: "grpc" } } }), []);
  // A custom config of its own, selected by pluginsConfigFile.
  const custom = yaml.dump(endpointPickerConfig({ queue: 1, kvCacheUtilization: 1, prefixCache: 1 }));
  assert.deepEqual(await messages(epp({ pluginsConfigFile: "mine.yaml", pluginsCustomConfig: { "mine.yaml": custom } })), []);
});

test("inference-pool-epp: a chart release's picker config its loader refuses, or a file its ConfigMap lacks, is named by the values path", async () => {
  // The chart's own payload-agnostic.yaml holds session-affinity-scorer, an Alpha plugin (runner.go registerInTreePlugins).
  const agnostic = await messages(epp({ pluginsConfigFile: "payload-agnostic.yaml" }));
  assert.equal(agnostic.length, 1, agnostic.join("\n"));
  assert.match(agnostic[0], /^the endpoint picker of Helm release inference\/llama \(chart llm-d-router-gateway\) on a: its EndpointPickerConfig, the chart's payload-agnostic.yaml \(router.epp.pluginsConfigFile\), is one llm-d-router v0.10.0's config loader refuses or misreads: plugins\[2\].type "session-affinity-scorer" is an Alpha plugin, which the picker loads only when run with --allow-experimental-plugins \(router.epp.flags.allow-experimental-plugins: true, which this release does not set\); where refused, so it exits at start and crash-loops/);
  assert.deepEqual(await messages(epp({ pluginsConfigFile: "payload-agnostic.yaml", flags: { "allow-experimental-plugins": true } })), []);
  // A custom config the loader refuses; the default config with a metrics scheme the source refuses.
  const bad = yaml.dump({ ...(endpointPickerConfig({ queue: 1, kvCacheUtilization: 1, prefixCache: 1 }) as object), plugins: [{ type: "least-queue-scorer" }] });
  assert.match((await messages(epp({ pluginsConfigFile: "mine.yaml", pluginsCustomConfig: { "mine.yaml": bad } }))).join("\n"), /router.epp.pluginsCustomConfig.mine.yaml, is one llm-d-router v0.10.0's config loader refuses or misreads: plugins\[0\].type "least-queue-scorer" is not a plugin type/);
  assert.match((await messages(epp({ metricsDataSource: { scheme: "HTTPS" } }))).join("\n"), /the chart's default-plugins.yaml, rendered from router.epp and router.modelServers, is one .*scheme "HTTPS" is neither http nor https/);
  // A file the chart's ConfigMap does not hold, and a custom config given as a mapping instead of its text.
  assert.match((await messages(epp({ pluginsConfigFile: "plugins.yaml" }))).join("\n"), /router.epp.pluginsConfigFile "plugins.yaml" names no file of the ConfigMap the chart mounts at \/config \(its files: default-plugins.yaml, payload-agnostic.yaml; add it under router.epp.pluginsCustomConfig\); it cannot read its config/);
  assert.match((await messages(epp({ pluginsConfigFile: "mine.yaml", pluginsCustomConfig: { "mine.yaml": { apiVersion: "llm-d.ai/v1alpha1" } } }))).join("\n"), /router.epp.pluginsCustomConfig.mine.yaml is object, not the text of an EndpointPickerConfig/);
});

test("inference-pool-epp: a chart release is judged only where its picker is a v0.10.x build", async () => {
  const agnostic = epp({ pluginsConfigFile: "payload-agnostic.yaml" });
  // The floating v0 chart runs :main; an image override of another minor is not judged; one pinning v0.10.1 is.
  assert.deepEqual(await messages(agnostic, { version: "v0" }), []);
  assert.deepEqual(await messages({ router: { ...agnostic.router, epp: { ...agnostic.router.epp, image: { tag: "v0.11.0" } } } }), []);
  assert.equal((await messages({ router: { ...agnostic.router, epp: { ...agnostic.router.epp, image: { tag: "v0.10.1" } } } }, { version: "v0" })).length, 1);
  assert.equal((await messages(agnostic, { version: "0.10.0", chart: "llm-d-router-standalone" })).length, 1);
  // Another chart is not read as llm-d-router's; a config flag of its own replaces the mounted file.
  assert.deepEqual(await messages(agnostic, { chart: "inferencepool" }), []);
  assert.deepEqual(await messages({ router: { ...agnostic.router, epp: { ...agnostic.router.epp, flags: { "config-file": "/etc/epp/config.yaml" } } } }), []);
});

test("inference-pool-epp: router.epp.flags' config-file and config-text, rendered --<key>=<value> after the chart's --config-file (pflag: the last wins), choose the config judged", async () => {
  const good = yaml.dump(endpointPickerConfig({ queue: 1, kvCacheUtilization: 1, prefixCache: 1 }));
  const alpha = yaml.dump({ ...(endpointPickerConfig({ queue: 1, kvCacheUtilization: 1, prefixCache: 1 }) as object), plugins: [...((endpointPickerConfig({ queue: 1, kvCacheUtilization: 1, prefixCache: 1 }) as any).plugins as object[]), { type: "session-affinity-scorer" }] });
  const LEAD = "the endpoint picker of Helm release inference/llama (chart llm-d-router-gateway) on a";
  // config-text beside the chart's --config-file: Validate refuses the two together.
  const both = await messages(epp({ flags: { "config-text": good } }));
  assert.equal(both.length, 1, both.join("\n"));
  assert.match(both[0], /^the endpoint picker of Helm release inference\/llama \(chart llm-d-router-gateway\) on a: router.epp.flags.config-text gives the picker --config-text beside the --config-file \/config\/default-plugins.yaml the chart always passes \(routerlib _deployment.yaml\), and llm-d-router v0.10.0 refuses the two together/);
  // With config-file emptied by a flag (rendered after the chart's), the text is the config.
  assert.deepEqual(await messages(epp({ flags: { "config-file": "", "config-text": good } })), []);
  const text = await messages(epp({ flags: { "config-file": "", "config-text": alpha } }));
  assert.equal(text.length, 1, text.join("\n"));
  assert.ok(text[0].startsWith(`${LEAD}: its EndpointPickerConfig, router.epp.flags.config-text (its --config-text), is one llm-d-router v0.10.0's config loader refuses or misreads: plugins[5].type "session-affinity-scorer" is an Alpha plugin`), text[0]);
  assert.deepEqual(await messages(epp({ flags: { "config-file": "", "config-text": alpha, "allow-experimental-plugins": "True" } })), []);
  // A config-file flag picks another file of the chart's ConfigMap; one it lacks is named.
  assert.match((await messages(epp({ flags: { "config-file": "/config/payload-agnostic.yaml" } }))).join("\n"), /its EndpointPickerConfig, the chart's payload-agnostic.yaml \(router.epp.flags.config-file\), is one .*"session-affinity-scorer" is an Alpha plugin/);
  assert.deepEqual(await messages(epp({ pluginsConfigFile: "payload-agnostic.yaml", flags: { "config-file": "/config/default-plugins.yaml" } })), []);
  assert.match((await messages(epp({ flags: { "config-file": "/config/nope.yaml" } }))).join("\n"), /router.epp.flags.config-file "\/config\/nope.yaml" names no file of the ConfigMap the chart mounts at \/config \(its files: default-plugins.yaml, payload-agnostic.yaml;/);
  // Both emptied: the loader's built-in default, not read here.
  assert.deepEqual(await messages(epp({ flags: { "config-file": "" } })), []);
});

test("inference-pool-epp: picker flags given as a list render --<index> flags the picker does not define", async () => {
  // routerlib and epplib range over the flags as over a map: a list's keys are its indexes.
  const llmd = await messages(epp({ flags: ["--allow-experimental-plugins"] }));
  assert.equal(llmd.length, 1, llmd.join("\n"));
  assert.match(llmd[0], /^the endpoint picker of Helm release inference\/llama \(chart llm-d-router-gateway\) on a: router.epp.flags is a list, but routerlib _deployment.yaml ranges over it as over a map, so each item is rendered with its index as the flag's name \("--0=--allow-experimental-plugins"\), a flag the picker does not define: pflag stops at it \(unknown flag: --0\), so it exits at start and crash-loops/);
  assert.deepEqual(await messages(epp({ flags: [] })), []);
  const gie = await messages({ inferencePool: { modelServers: { matchLabels: { app: "llama" } } }, inferenceExtension: { image: { registry: "ghcr.io/llm-d", repository: "llm-d-router-endpoint-picker", tag: "v0.10.0" }, flags: ["--v=3"] } }, { chart: "oci://registry.k8s.io/gateway-api-inference-extension/charts/inferencepool", version: "v1.5.0" });
  assert.match(gie.join("\n"), /inferenceExtension.flags is a list, but epplib _deployment.yaml ranges over it as over a map, so each item is rendered with its index as the flag's name \("--0", "--v=3"\), a flag the picker does not define/);
});

test("inference-pool-epp: picker flags given as a plain string (or other scalar) fail the chart's render", async () => {
  // routerlib reads `router.epp.flags | default dict`: a Go-empty scalar is an empty map; any other is ranged over and refused.
  const llmd = await messages(epp({ flags: "--v=2" }));
  assert.equal(llmd.length, 1, llmd.join("\n"));
  assert.match(llmd[0], /^the endpoint picker of Helm release inference\/llama \(chart llm-d-router-gateway\) on a: router.epp.flags is a string \("--v=2"\), not a map of flag names to values: routerlib _deployment.yaml ranges over it \(range \$key, \$value\), which Go templates refuse for a string \(range can't iterate over --v=2\), so Helm cannot render the chart and the release fails to install \(pulumi up fails\)/);
  for (const empty of ["", false, 0]) assert.deepEqual(await messages(epp({ flags: empty })), [], JSON.stringify(empty));
  // epplib ranges over inferenceExtension.flags with no default: even an empty string is refused.
  const gie = (flags: unknown) =>
    messages({ inferencePool: { modelServers: { matchLabels: { app: "llama" } } }, inferenceExtension: { image: { registry: "ghcr.io/llm-d", repository: "llm-d-router-endpoint-picker", tag: "v0.10.0" }, flags } }, { chart: "oci://registry.k8s.io/gateway-api-inference-extension/charts/inferencepool", version: "v1.5.0" });
  assert.match((await gie("")).join("\n"), /inferenceExtension.flags is a string \(""\), not a map of flag names to values: epplib _deployment.yaml ranges over it .*range can't iterate over /);
  assert.match((await gie(true)).join("\n"), /inferenceExtension.flags is a boolean \(true\)/);
  assert.deepEqual(await gie(null), []);
});

test("inference-pool-epp: a null router.epp.flags entry of a typed flag renders --<flag>=<nil>, which the picker refuses", async () => {
  // Helm v3.20.2 chartutil coalesce keeps a null the chart's values have no default for (neither chart has router.epp.flags);
  // routerlib _deployment.yaml prints it with printf "--%s=%v": "<nil>", which pflag cannot parse as an int, bool, duration or int list.
  const port = await messages(epp({ flags: { "grpc-port": null } }));
  assert.equal(port.length, 1, port.join("\n"));
  assert.match(
    port[0],
    /^the endpoint picker of Helm release inference\/llama \(chart llm-d-router-gateway\) on a: router.epp.flags.grpc-port is null, which Helm v3 keeps .* so routerlib _deployment.yaml renders it as "--grpc-port=<nil>" \(printf %v of a nil\), which pflag refuses for an int flag \(invalid argument "<nil>" for "--grpc-port" flag\), so it exits at start and crash-loops/,
  );
  assert.match((await messages(epp({ flags: { "secure-serving": null, v: 2 } }))).join("\n"), /router.epp.flags.secure-serving is null, .*refuses for a bool flag/);
  assert.match((await messages(epp({ flags: { "drain-timeout": null } }), { chart: "oci://ghcr.io/llm-d/charts/llm-d-router-standalone" })).join("\n"), /refuses for a duration flag/);
  // controller-runtime v0.23.3's zap flags (added by the logging options) refuse "<nil>" as a level (pkg/log/zap/flags.go levelFlag.Set).
  assert.match((await messages(epp({ flags: { "zap-log-level": null } }))).join("\n"), /router.epp.flags.zap-log-level is null, .*refuses for a log level flag/);
  // A string flag takes "<nil>" as its value.
  assert.deepEqual(await messages(epp({ flags: { "tls-min-version": null } })), []);
});

test("inference-pool-epp: router.epp.flags.ha-enable-leader-election true beside router.epp.replicas 1 leaves the chart's probes asking a health service the picker does not know", async () => {
  // routerlib _deployment.yaml probes service inference-extension unless `gt (router.epp.replicas | int) 1`; health.go Check answers
  // SERVICE_UNKNOWN to it once leader election is on.
  const got = await messages(epp({ flags: { "ha-enable-leader-election": true } }));
  assert.equal(got.length, 1, got.join("\n"));
  assert.match(
    got[0],
    /^the endpoint picker of Helm release inference\/llama \(chart llm-d-router-gateway\) on a: router.epp.flags.ha-enable-leader-election is true, which routerlib _deployment.yaml renders as "--ha-enable-leader-election=true", so leader election is on, while router.epp.replicas 1 .*probes ask gRPC health service inference-extension, .*SERVICE_UNKNOWN/,
  );
  // The standalone chart renders the same pod spec; a "True" is what pflag's ParseBool takes too.
  assert.match((await messages(epp({ flags: { "ha-enable-leader-election": "True" } }), { chart: "oci://ghcr.io/llm-d/charts/llm-d-router-standalone" })).join("\n"), /ha-enable-leader-election is "True", .*SERVICE_UNKNOWN/);
  // More than one replica (the chart then probes liveness and readiness), the flag false, or GKE preferredBackends (a StatefulSet): quiet.
  assert.deepEqual(await messages(epp({ replicas: 2, flags: { "ha-enable-leader-election": true } })), []);
  assert.deepEqual(await messages(epp({ flags: { "ha-enable-leader-election": false } })), []);
  const gke = { ...epp({ flags: { "ha-enable-leader-election": true } }), provider: { name: "gke", gke: { preferredBackends: { enabled: true } } } };
  assert.doesNotMatch((await messages(gke)).join("\n"), /leader election is on/);
});
