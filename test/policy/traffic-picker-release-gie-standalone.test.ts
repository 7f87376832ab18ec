/**
 * Policy tests for inference-pool-epp's reading of the picker GIE v1.5.0's `standalone` chart
 * installs (a Helm Release of config/charts/standalone; the same epplib templates as the legacy
 * `inferencepool` chart, other values.yaml defaults: an InferencePool made unless
 * inferenceExtension.endpointsServer.createInferencePool is false, no default flags, an Envoy
 * sidecar in the picker's pod).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { runStack } from "../support/policy";
import { on } from "./traffic-support";
import { plainScalarType } from "../../policy/lib/go-yaml-scalar";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const ROUTER_PICKER = { registry: "ghcr.io/llm-d", repository: "llm-d-router-endpoint-picker", tag: "v0.10.0" };
const release = (inferenceExtension: Record<string, unknown>, more: Record<string, unknown> = {}, chart = "standalone") =>
  on(RELEASE, "gie", {
    name: "llama",
    namespace: "inference",
    chart: `oci://registry.k8s.io/gateway-api-inference-extension/charts/${chart}`,
    version: "v1.5.0",
    values: { ...more, inferencePool: { modelServers: { matchLabels: { app: "llama" } } }, inferenceExtension: { image: ROUTER_PICKER, ...inferenceExtension } },
  });
const messages = async (inferenceExtension: Record<string, unknown>, more?: Record<string, unknown>, chart?: string, others: unknown[] = []) =>
  (await runStack(inferencePoolEpp, [release(inferenceExtension, more, chart), ...others] as any)).violations.map((v) => v.message);
const LEAD = "the endpoint picker of Helm release inference/llama (chart standalone) on a";
const LEAD_RE = LEAD.replace(/[()]/g, "\\$&");

test("inference-pool-epp: GIE's standalone chart's picker config is judged as the inferencepool chart's", async () => {
  assert.deepEqual(await messages({}), []);
  const scheme = await messages({ metricsDataSource: { scheme: "HTTPS" } });
  assert.equal(scheme.length, 1, scheme.join("\n"));
  assert.match(scheme[0], new RegExp(`^${LEAD_RE}: its EndpointPickerConfig, the chart's default-plugins.yaml, rendered from inferenceExtension and inferencePool, is one llm-d-router v0.10.0's config loader refuses`));
  assert.match((await messages({ pluginsConfigFile: "plugins.yaml" })).join("\n"), /inferenceExtension.pluginsConfigFile "plugins.yaml" names no file of ConfigMap inference\/llama-epp/);
});

test("inference-pool-epp: GIE's standalone chart makes a pool unless endpointsServer.createInferencePool is false (its values.yaml default is true)", async () => {
  // Over the chart's createInferencePool: true the picker serves the pool, of inferencePool.modelServerType (vllm): no legacy metric flags.
  assert.deepEqual(await messages({ endpointsServer: { modelServerType: "sglang" } }), []);
  // The inferencepool chart has no such default: the same values run it standalone, as sglang.
  assert.match((await messages({ endpointsServer: { modelServerType: "sglang" } }, {}, "inferencepool")).join("\n"), /metric flags it refuses at start/);
  const off = await messages({ endpointsServer: { createInferencePool: false, endpointSelector: "app=llama", modelServerType: "sglang" } });
  assert.equal(off.length, 1, off.join("\n"));
  assert.match(off[0], new RegExp(`^${LEAD_RE}: inferenceExtension.endpointsServer.modelServerType "sglang" .*gives llm-d-router v0.10.0's picker metric flags it refuses at start`));
});

test("inference-pool-epp: GIE's standalone chart's Service port, probes and the pool pointing at its picker", async () => {
  assert.match((await messages({ extProcPort: 9012 })).join("\n"), new RegExp(`^${LEAD_RE}: inferenceExtension.extProcPort 9012 is the port of the chart's picker Service`));
  assert.match((await messages({ flags: { "grpc-health-port": 9013 } })).join("\n"), /inferenceExtension.flags.grpc-health-port 9013 moves the picker's gRPC health server off 9003/);
  const POOL = "kubernetes:inference.networking.k8s.io/v1:InferencePool";
  const pool = on(POOL, "pool-mine", { metadata: { name: "mine", namespace: "inference" }, spec: { selector: { matchLabels: { app: "llama" } }, targetPorts: [{ number: 8000 }], endpointPickerRef: { name: "llama-epp", port: { number: 9002 } } } });
  assert.match((await messages({}, {}, undefined, [pool])).join("\n"), /endpoint picker Service inference\/llama-epp is the one Helm release inference\/llama \(chart standalone\) renders for its own picker, started for that release's InferencePool inference\/llama/);
  const alone = (await messages({ endpointsServer: { createInferencePool: false, endpointSelector: "app=llama" } }, {}, undefined, [pool])).join("\n");
  assert.match(alone, /which runs standalone \(inferenceExtension.endpointsServer.createInferencePool false: --endpoint-selector from inferenceExtension.endpointsServer.endpointSelector, no InferencePool\)/);
});

test("inference-pool-epp: GIE's standalone chart's Envoy sidecar (on by default) dials the picker on 127.0.0.1:9002 over TLS and listens on 8081 and 19001", async () => {
  // standalone/values.yaml: the sidecar's envoy.yaml sends ext_proc to 127.0.0.1:9002 with an UpstreamTlsContext.
  assert.deepEqual(await messages({ extProcPort: 9012, flags: { "grpc-port": 9012 } }), [
    `${LEAD}: inferenceExtension.flags' grpc-port 9012 moves the picker's ext-proc server off 9002, but the Envoy sidecar the chart runs beside it (inferenceExtension.sidecar, on by default; its envoy.yaml from the chart's values.yaml) sends its ext_proc calls to 127.0.0.1:9002, so they fail and every request through the sidecar fails (its ext_proc filter does not allow failure); set inferenceExtension.sidecar.enabled false, or give the sidecar an envoy.yaml of your own (inferenceExtension.sidecar.configMap.data) that calls the picker's port`,
  ]);
  const plain = await messages({ flags: { "secure-serving=false": "" } });
  assert.equal(plain.length, 1, plain.join("\n"));
  assert.match(plain[0], /inferenceExtension.flags' secure-serving=false \(rendered --secure-serving=false\) makes the picker serve ext-proc in plaintext, but the Envoy sidecar .* calls it over TLS \(its ext_proc cluster's UpstreamTlsContext\), so the handshake fails/);
  // A flag written as two arguments leaves --secure-serving on (pflag): TLS, as the sidecar expects.
  assert.deepEqual(await messages({ flags: { "secure-serving": false } }), []);
  const clash = await messages({ flags: { "metrics-port": 8081 } });
  assert.equal(clash.length, 1, clash.join("\n"));
  assert.match(clash[0], /the Envoy sidecar's listener port \(its envoy.yaml's listener vllm\) and the picker's metrics port \(--metrics-port\) are both 8081, in one pod/);
  assert.match((await messages({ flags: { "grpc-health-port": 19001 } })).join("\n"), /the Envoy sidecar's readiness listener port \(its envoy.yaml's listener envoy-proxy-ready\) and the picker's gRPC health port \(--grpc-health-port\) are both 19001/);
  // Its admin listens on 127.0.0.1:19000 in the same pod (standalone/values.yaml envoy.yaml admin).
  assert.match((await messages({ flags: { "metrics-port": 19000 } })).join("\n"), /the Envoy sidecar's admin port \(its envoy.yaml's admin, 127.0.0.1:19000\) and the picker's metrics port \(--metrics-port\) are both 19000, in one pod/);
  // The sidecar turned off (its volumes with it), or given a config of the values' own, is not judged.
  for (const sidecar of [{ enabled: false, volumes: [] }, { configMap: { data: { "envoy.yaml": "static_resources: {}\n" } } }]) {
    assert.deepEqual(await messages({ extProcPort: 9012, flags: { "grpc-port": 9012, "metrics-port": 8081 }, sidecar }), [], JSON.stringify(sidecar));
  }
  // The inferencepool chart's sidecar is off unless its values turn it on (and then give all of it).
  assert.deepEqual(await messages({ extProcPort: 9012, flags: { "grpc-port": 9012 } }, {}, "inferencepool"), []);
});

test("inference-pool-epp: a chart named standalone is read as GIE's only from GIE's repository, and by name (said so) where none is given", async () => {
  const at = (chart: string, repositoryOpts?: Record<string, unknown>) =>
    on(RELEASE, "gie", { name: "llama", namespace: "inference", chart, ...(repositoryOpts ? { repositoryOpts } : {}), version: "v1.5.0", values: { inferencePool: { modelServers: { matchLabels: { app: "llama" } } }, inferenceExtension: { image: ROUTER_PICKER, extProcPort: 9012 } } });
  const run = async (r: unknown) => (await runStack(inferencePoolEpp, [r] as any)).violations.map((v) => v.message);
  // GIE's own places: its OCI path, or the chart name beside GIE's repository (promoted or staging).
  assert.match((await run(at("standalone", { repo: "oci://us-central1-docker.pkg.dev/k8s-staging-images/gateway-api-inference-extension/charts" }))).join("\n"), new RegExp(`^${LEAD_RE}: inferenceExtension.extProcPort 9012`));
  // Another project's chart that is also called standalone is not GIE's: its values mean something else.
  assert.deepEqual(await run(at("oci://ghcr.io/example/charts/standalone")), []);
  assert.deepEqual(await run(at("standalone", { repo: "https://charts.example.com" })), []);
  // No repository given (a local chart or a repo alias): read by name, and the verdict says so.
  const byName = await run(at("standalone"));
  assert.equal(byName.length, 1, byName.join("\n"));
  assert.match(byName[0], /^the endpoint picker of Helm release inference\/llama \(chart standalone, taken for GIE v1.5.0's by its name only: the release names no repository or OCI path\) on a: inferenceExtension.extProcPort 9012/);
});

test("inference-pool-epp: GIE's standalone chart's Envoy sidecar given an empty or null envoy.yaml (no bootstrap) exits at start", async () => {
  // epplib _config.yaml renders sidecar.configMap.data with toYaml: "" as an empty entry, a null (kept: the default sits under
  // the subchart's key, which Helm v3.20.2 coalesces merging) as `envoy.yaml: null`, which the API server stores as "".
  for (const [text, said] of [["", "empty"], [null, "null, which Helm v3 keeps"], ["# none yet\n", "empty"]] as const) {
    const got = await messages({ sidecar: { configMap: { data: { "envoy.yaml": text } } } });
    assert.equal(got.length, 1, got.join("\n"));
    assert.match(got[0], new RegExp(`^${LEAD_RE}: inferenceExtension.sidecar.configMap.data\\["envoy.yaml"\\] is ${said}.* reads it as its bootstrap \\(-c /etc/envoy/envoy.yaml\\).*Unable to convert YAML as JSON.* crash-loops`), JSON.stringify(text));
  }
  // Off, or run with a config path of its own (its args replaced): not this verdict.
  assert.deepEqual(await messages({ sidecar: { enabled: false, volumes: [], configMap: { data: { "envoy.yaml": null } } } }), []);
  assert.deepEqual(await messages({ sidecar: { args: ["-c", "/etc/other/envoy.yaml"], configMap: { data: { "envoy.yaml": "" } } } }), []);
  // The inferencepool chart's sidecar is off by default.
  assert.deepEqual(await messages({ sidecar: { configMap: { data: { "envoy.yaml": "" } } } }, {}, "inferencepool"), []);
});

test("inference-pool-epp: GIE's standalone chart's null sidecar.configMap.data renders ConfigMap envoy with no key, which the sidecar's volume maps (envoy.yaml): the pod never starts", async () => {
  const got = await messages({ sidecar: { configMap: { data: null } } });
  assert.equal(got.length, 1, got.join("\n"));
  assert.match(
    got[0],
    new RegExp(`^${LEAD_RE}: the sidecar's volume config \\(inferenceExtension.sidecar.volumes\\) maps key envoy.yaml of ConfigMap inference/envoy \\(the one the chart renders for its Envoy sidecar, with no key: inferenceExtension.sidecar.configMap.data is null, .*\\), which has no such key .* "references non-existent config key"\\); .*drop the null inferenceExtension.sidecar.configMap.data`),
  );
});

test("inference-pool-epp: GIE's standalone chart with its Envoy sidecar off still mounts ConfigMap envoy (its default sidecar.volumes), which nothing then renders: the pod never starts", async () => {
  // epplib _config.yaml renders ConfigMap envoy only under sidecar.enabled; _deployment.yaml renders sidecar.volumes whatever enabled says.
  const CM = "kubernetes:core/v1:ConfigMap";
  for (const enabled of [false, null]) {
    const got = await messages({ sidecar: { enabled } });
    assert.equal(got.length, 1, got.join("\n"));
    assert.match(
      got[0],
      new RegExp(`^${LEAD_RE}: inferenceExtension.sidecar.enabled ${enabled} turns the Envoy sidecar off, so epplib _config.yaml renders no ConfigMap envoy, but _deployment.yaml still renders inferenceExtension.sidecar.volumes .* mounts ConfigMap inference/envoy .* neither the chart nor the stack renders: .*ContainerCreating`),
    );
  }
  // Volumes dropped beside it, or a ConfigMap envoy of the stack in that namespace (or another standalone release's sidecar's): quiet.
  assert.deepEqual(await messages({ sidecar: { enabled: false, volumes: [] } }), []);
  assert.deepEqual(await messages({ sidecar: { enabled: false } }, {}, undefined, [on(CM, "envoy", { metadata: { name: "envoy", namespace: "inference" }, data: { "envoy.yaml": "{}" } })]), []);
  const other = on(RELEASE, "gie2", { name: "other", namespace: "inference", chart: "oci://registry.k8s.io/gateway-api-inference-extension/charts/standalone", version: "v1.5.0", values: { inferencePool: { modelServers: { matchLabels: { app: "other" } } }, inferenceExtension: { image: ROUTER_PICKER } } });
  assert.deepEqual(await messages({ sidecar: { enabled: false } }, {}, undefined, [other]), []);
  // One in another namespace does not count.
  assert.equal((await messages({ sidecar: { enabled: false } }, {}, undefined, [on(CM, "envoy", { metadata: { name: "envoy", namespace: "tools" }, data: {} })])).length, 1);
  // Volumes of the values' own are judged as before (a ConfigMap made outside the stack may satisfy them: can't judge); the inferencepool chart has no default ones.
  assert.deepEqual(await messages({ sidecar: { enabled: false, volumes: [{ name: "config", configMap: { name: "envoy" } }] } }), []);
  assert.deepEqual(await messages({ sidecar: { enabled: false } }, {}, "inferencepool"), []);
});

test("inference-pool-epp: GIE's standalone chart's default sidecar volume is judged by the rule of llm-d-router's envoy preset volume: renamed ConfigMap, a ConfigMap lacking the key, another chart's", async () => {
  const CM = (data: Record<string, string>) => on("kubernetes:core/v1:ConfigMap", "envoy", { metadata: { name: "envoy", namespace: "inference" }, data });
  // sidecar.configMap.name renames the ConfigMap epplib _config.yaml renders, while the default sidecar.volumes still mounts envoy.
  const renamed = await messages({ sidecar: { configMap: { name: "llama-envoy" } } });
  assert.equal(renamed.length, 1, renamed.join("\n"));
  assert.match(renamed[0], new RegExp(`^${LEAD_RE}: inferenceExtension.sidecar.configMap.name "llama-envoy" renames the ConfigMap epplib _config.yaml renders for the Envoy sidecar, but _deployment.yaml still renders inferenceExtension.sidecar.volumes, whose standalone/values.yaml volume config mounts ConfigMap inference/envoy .*neither the chart nor the stack renders`));
  assert.deepEqual(await messages({ sidecar: { configMap: { name: "llama-envoy" } } }, {}, undefined, [CM({ "envoy.yaml": "{}" })]), []);
  // A ConfigMap envoy of the stack without the key the volume maps: kubelet MakePayload fails the mount.
  for (const sidecar of [{ enabled: false }, { configMap: { name: "llama-envoy" } }]) {
    const got = await messages({ sidecar }, {}, undefined, [CM({ "proxy.yaml": "{}" })]);
    assert.equal(got.length, 1, got.join("\n"));
    assert.match(got[0], /the sidecar's volume config \(inferenceExtension.sidecar.volumes\) maps key envoy.yaml of ConfigMap inference\/envoy \(the stack's\), which has no such key .*references non-existent config key/);
  }
  // llm-d-router-standalone's proxy ConfigMap envoy in the namespace satisfies it, as a GIE standalone release's does.
  const router = on(RELEASE, "router", { name: "router", namespace: "inference", chart: "oci://ghcr.io/llm-d/charts/llm-d-router-standalone", version: "v0.10.0", values: { router: { modelServers: { matchLabels: { app: "x" } }, inferencePool: { create: false } } } });
  assert.deepEqual(await messages({ sidecar: { enabled: false } }, {}, undefined, [router]), []);
});

test("inference-pool-epp: a GIE chart's Envoy sidecar on with no name for its ConfigMap (epplib _config.yaml has no default): the release does not install", async () => {
  // A null configMap (kept under the subchart key inferenceExtension), or the inferencepool chart's sidecar turned on without one: `.name` of a nil.
  for (const [sidecar, chart] of [[{ configMap: null }, "standalone"], [{ enabled: true, name: "envoy", image: "envoyproxy/envoy:v1.33.2" }, "inferencepool"]] as const) {
    const got = await messages({ sidecar }, {}, chart);
    assert.equal(got.length, 1, got.join("\n"));
    assert.match(got[0], /inferenceExtension.sidecar.configMap is (null|not given).*nil pointer evaluating interface \{\}.name.*Helm cannot render the chart/, JSON.stringify(sidecar));
  }
  // A null or empty name: the ConfigMap renders without one, which Helm cannot install.
  for (const name of [null, ""]) {
    const got = await messages({ sidecar: { configMap: { name } } });
    assert.equal(got.length, 1, got.join("\n"));
    assert.match(got[0], new RegExp(`^${LEAD_RE}: inferenceExtension.sidecar.configMap.name is ${name === null ? "null" : '""'}.*renders the Envoy sidecar's ConfigMap with an empty metadata.name.*resource name may not be empty`));
  }
  // Off, a name of its own (false prints "false", a name), or the inferencepool chart's sidecar left off: quiet here.
  assert.deepEqual(await messages({ sidecar: { enabled: false, configMap: null, volumes: [] } }), []);
  assert.deepEqual(await messages({ sidecar: { configMap: null } }, {}, "inferencepool"), []);
});

test("inference-pool-epp: a GIE chart's Envoy sidecar command given as a list is rendered as one word (sprig quote of a list), which no image holds", async () => {
  // epplib _deployment.yaml: `command: - {{ . | quote }}` of sidecar.command (standalone/values.yaml: the string "envoy").
  const got = await messages({ sidecar: { command: ["envoy"] } });
  assert.equal(got.length, 1, got.join("\n"));
  assert.match(got[0], new RegExp(`^${LEAD_RE}: inferenceExtension.sidecar.command is a list, .*renders it as the one command "\\[envoy\\]".*executable file not found`));
  assert.match((await messages({ sidecar: { command: ["envoy", "-c", "/etc/envoy/envoy.yaml"] } })).join("\n"), /the one command "\[envoy -c \/etc\/envoy\/envoy.yaml\]"/);
  // A string, the sidecar off, an empty list (`with` skips it: the image's entrypoint), or the inferencepool chart's sidecar off: quiet.
  for (const sidecar of [{ command: "envoy" }, { enabled: false, volumes: [], command: ["envoy"] }, { command: [] }]) assert.deepEqual(await messages({ sidecar }), [], JSON.stringify(sidecar));
  assert.deepEqual(await messages({ sidecar: { command: ["envoy"] } }, {}, "inferencepool"), []);
});

test("inference-pool-epp: a GIE chart's Envoy sidecar values epplib renders where Kubernetes takes a name, an image or a list: the release does not install", async () => {
  // _deployment.yaml writes the sidecar's name and image with no default: null or "" (or, in the inferencepool chart, missing) renders an empty one, which the API server refuses.
  for (const [sidecar, chart, re] of [
    [{ name: null }, "standalone", /inferenceExtension.sidecar.name is null.*containers\[0\].name: Required value/],
    [{ image: "" }, "standalone", /inferenceExtension.sidecar.image is "".*containers\[0\].image: Required value/],
    [{ enabled: true, configMap: { name: "envoy" } }, "inferencepool", /inferenceExtension.sidecar.name is not given .* and inferenceExtension.sidecar.image is not given .*Required value/],
  ] as const) {
    const got = await messages({ sidecar }, {}, chart);
    assert.equal(got.length, 1, got.join("\n"));
    assert.match(got[0], re, JSON.stringify(sidecar));
  }
  // volumeMounts not a list: a map or a scalar where the container takes a list, which the API server cannot decode.
  for (const volumeMounts of [{ name: "config", mountPath: "/etc/envoy" }, "/etc/envoy"]) {
    assert.match((await messages({ sidecar: { volumeMounts } })).join("\n"), /inferenceExtension.sidecar.volumeMounts is a (map|string), not a list.*cannot unmarshal (object|string) into .*\[\]v1.VolumeMount/);
  }
  // volumes not a list (rendered whether the sidecar is on or not), or env a scalar: the rendered Deployment is not YAML.
  for (const sidecar of [{ volumes: { config: { configMap: { name: "envoy" } } } }, { enabled: false, volumes: "config" }]) {
    const got = await messages({ sidecar });
    assert.equal(got.length, 1, got.join("\n"));
    assert.match(got[0], /inferenceExtension.sidecar.volumes is a (map|string), not a list.*Helm cannot parse/, JSON.stringify(sidecar));
  }
  assert.match((await messages({ sidecar: { env: "NS_NAME" } })).join("\n"), /inferenceExtension.sidecar.env is a string, not a list.*Helm cannot parse/);
  // Lists, Go-empty values (`with` and `if` skip them), an env map (its keys land as fields of the container, which the API server drops), the sidecar off, or the inferencepool chart's off: quiet.
  for (const sidecar of [{ env: [], volumeMounts: {}, volumes: [] }, { env: { LOG: "debug" } }, { enabled: false, volumes: [], name: null, image: null, volumeMounts: "x", env: "x" }]) assert.deepEqual(await messages({ sidecar }), [], JSON.stringify(sidecar));
  assert.deepEqual(await messages({ sidecar: { name: null, volumeMounts: "x" } }, {}, "inferencepool"), []);
});

test("inference-pool-epp: a GIE chart's sidecar values that are no map, an on sidecar's name or image that is no string, a name no container may take, ports a scalar: the release does not install", async () => {
  // _deployment.yaml reads .Values.inferenceExtension.sidecar.enabled whatever it holds: a null (either chart) or a scalar or list fails the template.
  for (const [sidecar, chart, said] of [[null, "standalone", "null"], [null, "inferencepool", "null"], ["off", "standalone", "a string"], [[], "standalone", "a list"], [false, "inferencepool", "a boolean"]] as const) {
    const got = await messages({ sidecar }, {}, chart);
    assert.equal(got.length, 1, got.join("\n"));
    assert.match(got[0], new RegExp(`inferenceExtension.sidecar is ${said}, not a map.*sidecar.enabled.*Helm cannot render the chart`), JSON.stringify(sidecar));
  }
  // name and image are written unquoted: a number, bool or list reads back as no string; a name must be a DNS-1123 label, and not epp (the picker's container).
  for (const [sidecar, re] of [
    [{ name: 5 }, /inferenceExtension.sidecar.name is a number \(5\).*cannot unmarshal number into .*containers.name of type string/],
    [{ image: true }, /inferenceExtension.sidecar.image is a boolean \(true\).*cannot unmarshal bool into .*containers.image of type string/],
    [{ image: ["envoy"] }, /inferenceExtension.sidecar.image is a list .*cannot unmarshal array into/],
    [{ name: "Envoy_Sidecar" }, /inferenceExtension.sidecar.name "Envoy_Sidecar" is no DNS-1123 label.*Invalid value/],
    [{ name: "e".repeat(64) }, /is no DNS-1123 label/],
    [{ name: "epp" }, /inferenceExtension.sidecar.name "epp" is the name of the picker's own container.*Duplicate value/],
  ] as const) {
    const got = await messages({ sidecar });
    assert.equal(got.length, 1, got.join("\n"));
    assert.match(got[0], re, JSON.stringify(sidecar));
  }
  // ports is indented like env, as the container's own keys: a string there is not YAML.
  assert.match((await messages({ sidecar: { ports: "8081" } })).join("\n"), /inferenceExtension.sidecar.ports is a string, not a list.*Helm cannot parse/);
  // A label name, a ports list or map, an empty map, or the same values with the sidecar off: quiet.
  for (const sidecar of [{ name: "envoy-proxy", ports: [{ containerPort: 8081 }] }, { ports: { hostNetwork: false } }, {}, { enabled: false, volumes: [], name: "epp", image: 5, ports: "8081" }]) {
    assert.deepEqual(await messages({ sidecar }), [], JSON.stringify(sidecar));
  }
});

test("inference-pool-epp: a GIE chart's sidecar name or image given as text YAML reads as no string (written unquoted): the release does not install", async () => {
  // epplib writes `name: {{ ... }}` and `image: {{ ... }}` unquoted: go-yaml v2 (Helm's reader of the rendered Deployment) resolves YAML 1.1 plain scalars.
  for (const [sidecar, re] of [
    [{ name: "123" }, /inferenceExtension.sidecar.name "123" is written unquoted \(name: 123\), which YAML reads as a number.*cannot unmarshal number into .*containers.name of type string/],
    [{ name: "0x1f" }, /name "0x1f" .*reads as a number/],
    [{ name: "1e3" }, /name "1e3" .*reads as a number/],
    [{ name: "yes" }, /name "yes" .*reads as a bool.*cannot unmarshal bool/],
    [{ image: "true" }, /inferenceExtension.sidecar.image "true" is written unquoted \(image: true\), which YAML reads as a bool.*containers.image of type string/],
    [{ image: "1.5" }, /image "1.5" .*reads as a number/],
    [{ name: "null" }, /inferenceExtension.sidecar.name "null" is written unquoted \(name: null\), which YAML reads as null.*containers\[0\].name: Required value/],
    [{ image: "~" }, /image "~" .*reads as null.*containers\[0\].image: Required value/],
  ] as const) {
    const got = await messages({ sidecar });
    assert.equal(got.length, 1, got.join("\n"));
    assert.match(got[0], re, JSON.stringify(sidecar));
  }
  // Text that stays a string (a timestamp, a float past float64, letters), or blanks YAML trims: quiet.
  for (const sidecar of [{ name: "2001-12-14" }, { name: "1e999" }, { name: "envoy-1" }, { name: " envoy ", image: "envoyproxy/envoy:v1.33.2" }]) assert.deepEqual(await messages({ sidecar }), [], JSON.stringify(sidecar));
});

test("inference-pool-epp: a GIE chart's sidecar named as a latency predictor container the chart adds to the pod: the release does not install", async () => {
  // With inferenceExtension.latencyPredictor.enabled epplib _latency-predictor.tpl adds training-server and prediction-server-1..count after epp.
  const predictor = (name: string, predictionServers?: Record<string, unknown>) => messages({ sidecar: { name }, latencyPredictor: { enabled: true, ...(predictionServers ? { predictionServers } : {}) } });
  assert.match((await predictor("training-server")).join("\n"), /sidecar.name "training-server" is the name of the latency predictor's training server.*containers\[2\].name: Duplicate value: "training-server"/);
  assert.match((await predictor("prediction-server-2", { count: 2 })).join("\n"), /prediction server 2.*containers\[4\].name: Duplicate value: "prediction-server-2"/);
  // The predictor off, a server past its count (1 by default; a null count, int of nil, renders none): quiet.
  assert.deepEqual(await messages({ sidecar: { name: "training-server" } }), []);
  assert.deepEqual(await predictor("prediction-server-2"), []);
  assert.deepEqual(await predictor("prediction-server-1", { count: null }), []);
  // The count as sprig's int reads it: "0x2" is 2 servers, "two" none; until -2 names prediction-server-1 and -0.
  assert.match((await predictor("prediction-server-2", { count: "0x2" })).join("\n"), /containers\[4\].name: Duplicate value: "prediction-server-2"/);
  assert.match((await predictor("prediction-server-0", { count: -2 })).join("\n"), /containers\[4\].name: Duplicate value: "prediction-server-0"/);
  assert.deepEqual(await predictor("prediction-server-1", { count: "two" }), []);
});

test("go-yaml v2 resolves a plain scalar as Helm's kube client reads a rendered manifest (YAML 1.1)", () => {
  const table: [string, string | undefined][] = [
    ["123", "int"], ["0123", "int"], ["08", "float"], ["0o17", "int"], ["0b101", "int"], ["-0x1F", "int"], ["1_000", "int"], ["99999999999999999999", "float"],
    ["1e3", "float"], [".5", "float"], ["+.inf", "float"], [".NaN", "float"], ["1e999", "string"], ["._5", "string"],
    ["on", "bool"], ["Off", "bool"], ["y", "bool"], ["TRUE", "bool"], ["tRUE", "string"], ["~", "null"], ["Null", "null"], ["  ", "null"],
    ["2001-12-14", "string"], ["envoy", "string"], ["0x", "string"], ["a: b", undefined], ['"123"', undefined],
  ];
  for (const [text, type] of table) assert.equal(plainScalarType(text), type, text);
});
