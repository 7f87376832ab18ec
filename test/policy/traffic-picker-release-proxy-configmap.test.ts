/**
 * Policy tests for the ConfigMap llm-d-router-standalone v0.10.0's Envoy proxy mounts: routerlib
 * _config.yaml renders the proxy's ConfigMap under router.proxy.configMap.name, but the proxy's
 * volume is router.proxy.volumes (the envoy preset's mounts ConfigMap `envoy`, a literal the rename
 * does not follow: _deployment.yaml, _proxy-deployment.yaml). A volume mounting a ConfigMap of the
 * stack (same namespace) is read as the proxy's config, and so is an envoy.yaml given in
 * router.proxy.configMap.data.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { runStack } from "../support/policy";
import { on } from "./traffic-support";
import { envoyYaml } from "../support/envoy-bootstrap";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const LEAD = "the endpoint picker of Helm release inference/llama (chart llm-d-router-standalone) on a";
const release = (proxy: Record<string, unknown>, epp: Record<string, unknown> = {}) =>
  on(RELEASE, "router", {
    name: "llama",
    namespace: "inference",
    chart: "oci://ghcr.io/llm-d/charts/llm-d-router-standalone",
    version: "v0.10.0",
    values: { router: { modelServers: { matchLabels: { app: "llama" } }, inferencePool: { create: false }, epp, proxy } },
  });
const configMap = (name: string, data: Record<string, string>, namespace = "inference") =>
  on("kubernetes:core/v1:ConfigMap", `cm-${namespace}-${name}`, { metadata: { name, namespace }, data });
const messages = async (...resources: unknown[]) => (await runStack(inferencePoolEpp, resources as any)).violations.map((v) => v.message);

const volume = (name: string, key = "envoy.yaml") => [{ name: "config", configMap: { name, items: [{ key, path: "envoy.yaml" }] } }];

test("inference-pool-epp: router.proxy.configMap.name renamed while the envoy preset's volume still mounts ConfigMap envoy", async () => {
  const renamed = await messages(release({ configMap: { name: "llama-envoy" } }));
  assert.equal(renamed.length, 1, renamed.join("\n"));
  assert.match(
    renamed[0],
    new RegExp(
      `^${LEAD.replace(/[()/]/g, "\\$&")}: router.proxy.configMap.name "llama-envoy" renames the ConfigMap the chart renders for its Envoy proxy, but the proxy's volume config \\(the envoy preset's router.proxy.volumes\\) still mounts ConfigMap inference/envoy, which neither the chart nor the stack renders, so the kubelet cannot mount it and the picker's pod \\(the proxy is its sidecar\\) never starts`,
    ),
  );
  assert.match((await messages(release({ configMap: { name: "llama-envoy" }, mode: "service" }))).join("\n"), /the proxy's pods \(router.proxy.mode service\) never start/);
  // Quiet: no rename, the volume renamed with it, agentgateway (whose volume the chart builds from the name), the proxy off.
  for (const proxy of [{}, { configMap: { name: "envoy" } }, { configMap: { name: "llama-envoy" }, volumes: volume("llama-envoy") }, { proxyType: "agentgateway", configMap: { name: "llama-agw" } }, { enabled: false, configMap: { name: "x" } }]) {
    assert.deepEqual(await messages(release(proxy)), [], JSON.stringify(proxy));
  }
  // A ConfigMap envoy of the stack in the release's namespace is mounted (and read): no missing volume. In another namespace it is not.
  assert.deepEqual(await messages(release({ configMap: { name: "llama-envoy" } }), configMap("envoy", { "envoy.yaml": envoyYaml(9002, true) })), []);
  assert.equal((await messages(release({ configMap: { name: "llama-envoy" } }), configMap("envoy", { "envoy.yaml": envoyYaml(9002, true) }, "other"))).length, 1);
  // Nor where another standalone release of the namespace renders its proxy's ConfigMap envoy (the preset's name).
  const other = on(RELEASE, "other", { name: "other", namespace: "inference", chart: "oci://ghcr.io/llm-d/charts/llm-d-router-standalone", version: "v0.10.0", values: { router: { modelServers: { matchLabels: { app: "other" } }, inferencePool: { create: false } } } });
  assert.deepEqual(await messages(release({ configMap: { name: "llama-envoy" } }), other), []);
  // Or a GIE v1.5.0 standalone release there whose Envoy sidecar is on (epplib _config.yaml renders its ConfigMap envoy): the same rule as GIE's own sidecar volume.
  const gie = (sidecar: Record<string, unknown>) =>
    on(RELEASE, "gie", { name: "gie", namespace: "inference", chart: "oci://registry.k8s.io/gateway-api-inference-extension/charts/standalone", version: "v1.5.0", values: { inferencePool: { modelServers: { matchLabels: { app: "gie" } } }, inferenceExtension: { sidecar } } });
  assert.deepEqual(await messages(release({ configMap: { name: "llama-envoy" } }), gie({})), []);
  // Its sidecar off renders none; its null data renders envoy with no key, which the preset's volume maps.
  assert.equal((await messages(release({ configMap: { name: "llama-envoy" } }), gie({ enabled: false, volumes: [] }))).length, 1);
  assert.match((await messages(release({ configMap: { name: "llama-envoy" } }), gie({ configMap: { data: null } }))).join("\n"), /maps key envoy.yaml of ConfigMap inference\/envoy \(the one Helm release inference\/gie renders for its Envoy sidecar, with no key\), which has no such key/);
});

test("inference-pool-epp: a proxy volume mounting a ConfigMap of the stack is judged on that ConfigMap's envoy.yaml", async () => {
  const own = (cm: unknown, proxy: Record<string, unknown> = { volumes: volume("my-envoy") }, epp: Record<string, unknown> = {}) => messages(release(proxy, epp), cm);
  assert.deepEqual(await own(configMap("my-envoy", { "envoy.yaml": envoyYaml(9002, true) })), []);
  // Plaintext against the TLS picker.
  const plain = await own(configMap("my-envoy", { "envoy.yaml": envoyYaml(9002, false) }));
  assert.equal(plain.length, 1, plain.join("\n"));
  assert.match(plain[0], /the chart's Envoy proxy \(router.proxy, a sidecar of the picker's pod, its envoy.yaml from ConfigMap inference\/my-envoy's envoy.yaml\) calls it in plaintext/);
  // The port it dials against the picker's --grpc-port.
  assert.match((await own(configMap("my-envoy", { "envoy.yaml": envoyYaml(9012, true) }))).join("\n"), /sends its ext_proc calls to 127.0.0.1:9012 \(its ext_proc cluster in ConfigMap inference\/my-envoy's envoy.yaml\)/);
  // Its admin port clashing with the picker's metrics port, in one pod.
  assert.match((await own(configMap("my-envoy", { "envoy.yaml": envoyYaml(9002, true, 9090) }))).join("\n"), /the Envoy proxy's admin port \(ConfigMap inference\/my-envoy's envoy.yaml: admin\) are both 9090|are both 9090, in one pod/);
  // The key the volume maps to envoy.yaml is the one read.
  assert.equal((await own(configMap("my-envoy", { "proxy.yaml": envoyYaml(9002, false) }), { volumes: volume("my-envoy", "proxy.yaml") })).length, 1);
  // A ConfigMap of another namespace, or none in the stack, is not read.
  assert.deepEqual(await own(configMap("my-envoy", { "envoy.yaml": envoyYaml(9002, false) }, "other")), []);
});

test("inference-pool-epp: llm-d-router-standalone's Envoy proxy with an envoy.yaml of the values' own (router.proxy.configMap.data) is judged on that config, not the preset's", async () => {
  // routerlib v0.10.0 _helpers.tpl llm-d-router.proxy lays router.proxy over the envoy preset (mergeOverwrite), so
  // router.proxy.configMap.data["envoy.yaml"] replaces the preset's text in the ConfigMap `envoy` its volume mounts.
  const standalone = (flags: Record<string, unknown>, envoy: string, proxy: Record<string, unknown> = {}) =>
    messages(release({ configMap: { data: { "envoy.yaml": envoy } }, ...proxy }, { flags }));
  // Its own config dials the picker where the flags move it, in plaintext: right, though the preset would dial 9002 over TLS.
  assert.deepEqual(await standalone({ "grpc-port": 9012, "secure-serving": false }, envoyYaml(9012, false)), []);
  assert.deepEqual(await standalone({}, envoyYaml(9002, true)), []);
  // And is named where it misses the picker the preset would have reached.
  const port = await standalone({}, envoyYaml(9012, true));
  assert.equal(port.length, 1, port.join("\n"));
  assert.match(port[0], /the picker serves ext-proc on 9002 \(no router.epp.flags.grpc-port\), but the chart's Envoy proxy \(router.proxy, a sidecar of the picker's pod, its envoy.yaml from router.proxy.configMap.data\["envoy.yaml"\]\) sends its ext_proc calls to 127.0.0.1:9012 \(its ext_proc cluster in router.proxy.configMap.data\["envoy.yaml"\]\)/);
  const plain = await standalone({}, envoyYaml(9002, false));
  assert.equal(plain.length, 1, plain.join("\n"));
  assert.match(plain[0], /calls it in plaintext \(its ext_proc cluster has no TLS transport socket\), but the picker serves TLS/);
  assert.match((await standalone({ "secure-serving": false }, envoyYaml(9002, true))).join("\n"), /calls it over TLS \(its ext_proc cluster's TLS transport socket\), but the picker serves plaintext/);
  // Its admin port shares the picker's pod in sidecar mode; the preset's 19000 is then free.
  assert.match((await standalone({ "metrics-port": 19100 }, envoyYaml(9002, true, 19100))).join("\n"), /both 19100, in one pod/);
  assert.deepEqual(await standalone({ "metrics-port": 19000 }, envoyYaml(9002, true, 19100)), []);
  // Service mode: its cluster names the picker Service; another host, or text the chart templates first, is not judged.
  assert.match((await standalone({}, envoyYaml(9012, true, 19000, "llama-epp.inference.svc.cluster.local"), { mode: "service" })).join("\n"), /sends its ext_proc calls to llama-epp.inference.svc.cluster.local:9012 .*a port the Service does not have/);
  assert.deepEqual(await standalone({}, envoyYaml(9012, false, 19000, "elsewhere.example"), { mode: "service" }), []);
  // An envoy.yaml that is no YAML mapping (a list, a scalar) or not YAML at all is not read, nor judged as the preset,
  // which would dial 9002 where the picker serves 9012, and bind 19000 beside its metrics port.
  assert.match((await messages(release({}, { flags: { "grpc-port": 9012 } }))).join("\n"), /grpc-port 9012 moves .* to 127.0.0.1:9002 \(the chart's envoy preset\)/);
  assert.match((await messages(release({}, { flags: { "metrics-port": 19000 } }))).join("\n"), /both 19000, in one pod/);
  for (const unread of [envoyYaml(9012, true).replace(/^/gm, "  ").replace(/^  /, "- "), "envoy.yaml", "static_resources: [\n"]) {
    assert.deepEqual(await standalone({ "grpc-port": 9012 }, unread), [], unread);
    assert.deepEqual(await standalone({ "metrics-port": 19000 }, unread), [], unread);
  }
  assert.deepEqual(await standalone({}, envoyYaml(9012, true).replace("port_value: 9012", 'port_value: {{ .Values.router.epp.extProcPort | default 9002 }}')), []);
});

test("inference-pool-epp: a proxy volume mapping a key its ConfigMap does not have (kubelet MakePayload: references non-existent config key)", async () => {
  const missing = (proxy: Record<string, unknown>, ...stack: unknown[]) => messages(release(proxy), ...stack);
  // A ConfigMap of the stack without the key the volume maps.
  const own = await missing({ volumes: volume("my-envoy", "proxy.yaml") }, configMap("my-envoy", { "envoy.yaml": envoyYaml(9002, true) }));
  assert.equal(own.length, 1, own.join("\n"));
  assert.match(
    own[0],
    /^the endpoint picker of Helm release inference\/llama \(chart llm-d-router-standalone\) on a.*: the proxy's volume config \(router.proxy.volumes\) maps key proxy.yaml of ConfigMap inference\/my-envoy \(the stack's\), which has no such key \(and the volume is not optional\), so the kubelet cannot mount it and the picker's pod \(the proxy is its sidecar\) never starts/,
  );
  // The chart's own ConfigMap, rendered from the envoy preset's data (envoy.yaml only) and router.proxy.configMap.data.
  const chart = await missing({ volumes: volume("envoy", "proxy.yaml") });
  assert.equal(chart.length, 1, chart.join("\n"));
  assert.match(chart[0], /maps key proxy.yaml of ConfigMap inference\/envoy \(the one the chart renders for its Envoy proxy, with keys envoy.yaml\), which has no such key/);
  assert.match((await missing({ mode: "service", volumes: volume("envoy", "proxy.yaml") })).join("\n"), /the proxy's pods \(router.proxy.mode service\) never start/);
  // Quiet: the key there (data or binaryData), the volume optional, the values giving the key, another namespace's ConfigMap (not the stack's).
  const binary = on("kubernetes:core/v1:ConfigMap", "cm-bin", { metadata: { name: "my-envoy", namespace: "inference" }, binaryData: { "proxy.yaml": "Zm9v" } });
  assert.deepEqual(await missing({ volumes: volume("my-envoy", "proxy.yaml") }, binary), []);
  const optional = [{ name: "config", configMap: { name: "my-envoy", optional: true, items: [{ key: "proxy.yaml", path: "envoy.yaml" }] } }];
  assert.deepEqual(await missing({ volumes: optional }, configMap("my-envoy", { "envoy.yaml": envoyYaml(9002, true) })), []);
  assert.deepEqual(await missing({ volumes: volume("envoy", "proxy.yaml"), configMap: { data: { "proxy.yaml": envoyYaml(9002, true) } } }), []);
  assert.deepEqual(await missing({ volumes: volume("my-envoy", "proxy.yaml") }, configMap("my-envoy", { "envoy.yaml": envoyYaml(9002, true) }, "other")), []);
  // Judged whatever mounts the volume: replaced volumeMounts do not hide it.
  assert.equal((await missing({ volumes: volume("envoy", "proxy.yaml"), volumeMounts: [] })).length, 1);
});

test("inference-pool-epp: a proxy volume mapping a key another standalone release's proxy ConfigMap does not render", async () => {
  const other = (proxy: Record<string, unknown>) =>
    on(RELEASE, "other", { name: "other", namespace: "inference", chart: "oci://ghcr.io/llm-d/charts/llm-d-router-standalone", version: "v0.10.0", values: { router: { modelServers: { matchLabels: { app: "other" } }, inferencePool: { create: false }, proxy } } });
  // routerlib proxyConfigMapData: release other's ConfigMap other-envoy holds the preset's envoy.yaml and its router.proxy.configMap.data keys.
  const got = await messages(release({ volumes: volume("other-envoy", "proxy.yaml") }), other({ configMap: { name: "other-envoy" } }));
  assert.equal(got.length, 1, got.join("\n"));
  assert.match(got[0], /maps key proxy.yaml of ConfigMap inference\/other-envoy \(the one Helm release inference\/other renders for its proxy, with keys envoy.yaml\), which has no such key/);
  assert.deepEqual(await messages(release({ volumes: volume("other-envoy", "proxy.yaml") }), other({ configMap: { name: "other-envoy", data: { "proxy.yaml": "x" } } })), []);
  assert.deepEqual(await messages(release({ volumes: volume("other-envoy") }), other({ configMap: { name: "other-envoy" } })), []);
});

test("inference-pool-epp: nulls in router.proxy.configMap, as Helm v3 keeps them and routerlib renders them", async () => {
  // Helm v3.20.2 chartutil coalesce drops a user's null only over a chart default, and router.proxy.configMap has none (the
  // preset's is router.proxy.presets.envoy.configMap): the null reaches routerlib, whose mergeOverwrite (mergo) sets it over the preset's.
  // data["envoy.yaml"] null: proxyConfigMapData runs it through tpl (toString) as the text "<nil>", which Envoy cannot load.
  const nil = await messages(release({ configMap: { data: { "envoy.yaml": null } } }));
  assert.equal(nil.length, 1, nil.join("\n"));
  assert.match(
    nil[0],
    /^the endpoint picker of Helm release inference\/llama \(chart llm-d-router-standalone\) on a.*: router.proxy.configMap.data\["envoy.yaml"\] is null, .* renders it through tpl as the text "<nil>".*exits at start \("Unable to convert YAML as JSON: <nil>"\) and crash-loops, so the picker's pod \(the proxy is its sidecar\) is never Ready/,
  );
  assert.match((await messages(release({ mode: "service", configMap: { data: { "envoy.yaml": null } } }))).join("\n"), /the proxy's pods \(router.proxy.mode service\) are never Ready/);
  // data null: the chart's ConfigMap envoy has no key at all, and the preset's volume maps envoy.yaml.
  const data = await messages(release({ configMap: { data: null } }));
  assert.equal(data.length, 1, data.join("\n"));
  assert.match(data[0], /maps key envoy.yaml of ConfigMap inference\/envoy \(the one the chart renders for its Envoy proxy, with no key: router.proxy.configMap.data is null, which replaces the envoy preset's data\), which has no such key/);
  // configMap null: the chart renders no proxy ConfigMap (_config.yaml), while the preset's volume still mounts ConfigMap envoy.
  const cm = await messages(release({ configMap: null }));
  assert.equal(cm.length, 1, cm.join("\n"));
  assert.match(cm[0], /router.proxy.configMap is null, .*so the chart renders no ConfigMap for its Envoy proxy .*but the proxy's volume config \(the envoy preset's router.proxy.volumes\) still mounts ConfigMap inference\/envoy, which neither the chart nor the stack renders/);
  // Quiet: a null key other than the one the volume maps, a stack ConfigMap envoy beside configMap null, agentgateway (its config.yaml generated).
  assert.deepEqual(await messages(release({ configMap: { data: { "extra.yaml": null } } })), []);
  assert.deepEqual(await messages(release({ configMap: null }), configMap("envoy", { "envoy.yaml": envoyYaml(9002, true) })), []);
  assert.deepEqual(await messages(release({ proxyType: "agentgateway", configMap: { data: null } })), []);
  // Another release's proxy ConfigMap, its data null, has no key either.
  const other = on(RELEASE, "other", { name: "other", namespace: "inference", chart: "oci://ghcr.io/llm-d/charts/llm-d-router-standalone", version: "v0.10.0", values: { router: { modelServers: { matchLabels: { app: "other" } }, inferencePool: { create: false }, proxy: { configMap: { name: "other-envoy", data: null } } } } });
  assert.match((await messages(release({ volumes: volume("other-envoy") }), other)).join("\n"), /maps key envoy.yaml of ConfigMap inference\/other-envoy \(the one Helm release inference\/other renders for its proxy, with no key\), which has no such key/);
});

test("inference-pool-epp: a proxy volume mounting a ConfigMap neither the chart nor the stack renders is can't judge (it may be made outside the stack)", async () => {
  // The kubelet keeps the pod in ContainerCreating until a non-optional configMap volume's ConfigMap exists, but one
  // applied by hand, by another tool or by a chart whose objects the review does not see would do.
  const judged = (proxy: Record<string, unknown>, ...more: unknown[]) => runStack(inferencePoolEpp, [release(proxy), ...more] as any);
  const out = await judged({ volumes: volume("my-envoy") });
  assert.deepEqual(out.violations, []);
  assert.equal(out.unknown.length, 1, out.unknown.join("\n"));
  assert.match(out.unknown[0], /ConfigMap inference\/my-envoy, which the proxy's volume config \(router.proxy.volumes\) of Helm release inference\/llama mounts and neither the chart nor the stack renders/);
  // Every configMap volume of router.proxy.volumes, in service mode too, and for agentgateway.
  const extra = [...volume("envoy"), { name: "certs", configMap: { name: "proxy-certs" } }];
  assert.match((await judged({ mode: "service", volumes: extra })).unknown.join("\n"), /ConfigMap inference\/proxy-certs, which the proxy's volume certs \(router.proxy.volumes\)/);
  assert.match((await judged({ proxyType: "agentgateway", volumes: [{ name: "certs", configMap: { name: "proxy-certs" } }] })).unknown.join("\n"), /ConfigMap inference\/proxy-certs/);
  // Known: optional, the chart's own (its proxy's, its picker's <release>-epp, its latency predictor's), the stack's, another release's proxy ConfigMap; a templated or no proxy.
  const quiet = async (proxy: Record<string, unknown>, ...more: unknown[]) => assert.deepEqual((await judged(proxy, ...more)).unknown, [], JSON.stringify(proxy));
  await quiet({ volumes: [{ name: "config", configMap: { name: "my-envoy", optional: true, items: [{ key: "envoy.yaml", path: "envoy.yaml" }] } }] });
  await quiet({ volumes: [...volume("envoy"), { name: "plugins", configMap: { name: "llama-epp" } }] });
  await quiet({ volumes: volume("my-envoy") }, configMap("my-envoy", { "envoy.yaml": envoyYaml(9002, true) }));
  await quiet({ volumes: volume("{{ .Release.Name }}-envoy") });
  await quiet({ enabled: false, volumes: volume("my-envoy") });
  const other = on(RELEASE, "other", { name: "other", namespace: "inference", chart: "oci://ghcr.io/llm-d/charts/llm-d-router-standalone", version: "v0.10.0", values: { router: { modelServers: { matchLabels: { app: "other" } }, inferencePool: { create: false }, proxy: { configMap: { name: "other-envoy" } } } } });
  await quiet({ volumes: volume("other-envoy") }, other);
  // The latency predictor's ConfigMaps are the chart's only with router.latencyPredictor.enabled.
  const predictor = (enabled: boolean) =>
    on(RELEASE, "router", { name: "llama", namespace: "inference", chart: "oci://ghcr.io/llm-d/charts/llm-d-router-standalone", version: "v0.10.0", values: { router: { modelServers: { matchLabels: { app: "llama" } }, inferencePool: { create: false }, latencyPredictor: { enabled }, proxy: { volumes: [...volume("envoy"), { name: "lp", configMap: { name: "llama-epp-latency-predictor-training" } }] } } } });
  assert.deepEqual((await runStack(inferencePoolEpp, [predictor(true)] as any)).unknown, []);
  assert.match((await runStack(inferencePoolEpp, [predictor(false)] as any)).unknown.join("\n"), /ConfigMap inference\/llama-epp-latency-predictor-training, which the proxy's volume lp/);
});

test("inference-pool-epp: a null or empty router.proxy.configMap.name renders the proxy's ConfigMap with no name, which Helm cannot install", async () => {
  // routerlib v0.10.0 _config.yaml prints `name: {{ $proxy.configMap.name }}` (no default); mergeOverwrite (mergo v1.0.1,
  // overwriting) lays a null or "" over the preset's name, and Helm v3.20.2's engine prints the missing value as "".
  for (const name of [null, ""]) {
    const got = await messages(release({ configMap: { name } }));
    assert.equal(got.length, 1, got.join("\n"));
    assert.match(
      got[0],
      new RegExp(
        `^${LEAD.replace(/[()/]/g, "\\$&")}.*: router.proxy.configMap.name is ${name === null ? "null" : '""'}, which routerlib's mergeOverwrite lays over the envoy preset's name envoy, so _config.yaml .* renders the proxy's ConfigMap with an empty metadata.name, and Helm cannot install the release \\("resource name may not be empty"`,
      ),
    );
    assert.match((await messages(release({ proxyType: "agentgateway", configMap: { name } }))).join("\n"), /router.proxy.configMap.name is .* over the agentgateway preset's name agentgateway/);
  }
  // Quiet: the proxy off, the whole configMap null (nothing rendered: judged above as such), a name given.
  assert.deepEqual(await messages(release({ enabled: false, configMap: { name: null } })), []);
  assert.deepEqual(await messages(release({ configMap: { name: "envoy" } })), []);
});

test("inference-pool-epp: a picker volume (router.epp.volumes) mounting a ConfigMap neither the chart nor the stack renders is can't judge", async () => {
  // routerlib v0.10.0 _deployment.yaml renders router.epp.volumes (toYaml, no tpl) as volumes of the picker's pod, in either chart.
  const certs = [{ name: "certs", configMap: { name: "picker-certs" } }];
  const standalone = await runStack(inferencePoolEpp, [release({}, { volumes: certs })] as any);
  assert.deepEqual(standalone.violations, []);
  assert.equal(standalone.unknown.length, 1, standalone.unknown.join("\n"));
  assert.match(standalone.unknown[0], /ConfigMap inference\/picker-certs, which the picker's volume certs \(router.epp.volumes\) of Helm release inference\/llama mounts and neither the chart nor the stack renders: the kubelet keeps the picker's pod in ContainerCreating until it exists/);
  const gateway = on(RELEASE, "gw", { name: "llama", namespace: "inference", chart: "oci://ghcr.io/llm-d/charts/llm-d-router-gateway", version: "v0.10.0", values: { router: { modelServers: { matchLabels: { app: "llama" } }, epp: { volumes: certs } } } });
  assert.match((await runStack(inferencePoolEpp, [gateway] as any)).unknown.join("\n"), /ConfigMap inference\/picker-certs, which the picker's volume certs \(router.epp.volumes\)/);
  // Known: optional, the stack's, the chart's own (the picker's plugins config, the standalone proxy's).
  for (const volumes of [[{ name: "certs", configMap: { name: "picker-certs", optional: true } }], [{ name: "plugins", configMap: { name: "llama-epp" } }], [{ name: "proxy", configMap: { name: "envoy" } }]]) {
    assert.deepEqual((await runStack(inferencePoolEpp, [release({}, { volumes })] as any)).unknown, [], JSON.stringify(volumes));
  }
  assert.deepEqual((await runStack(inferencePoolEpp, [release({}, { volumes: certs }), configMap("picker-certs", { "ca.crt": "x" })] as any)).unknown, []);
  // The proxy off, a picker volume mounting ConfigMap envoy: the chart renders none then.
  assert.match((await runStack(inferencePoolEpp, [release({ enabled: false }, { volumes: [{ name: "proxy", configMap: { name: "envoy" } }] })] as any)).unknown.join("\n"), /ConfigMap inference\/envoy, which the picker's volume proxy/);
});
