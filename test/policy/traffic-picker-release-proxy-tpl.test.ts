/**
 * Values llm-d-router-standalone v0.10.0 runs through Helm's `tpl` before they reach the proxy:
 * router.proxy.volumes (routerlib _deployment.yaml, _proxy-deployment.yaml: `tpl (toYaml .) $`) and
 * router.proxy.configMap.data's envoy.yaml (routerlib _helpers.tpl proxyConfigMapData). Read
 * literally they were not judged at all; `{{ .Release.Name }}`, `{{ .Release.Namespace }}` and
 * `{{ .Values.<path> }}` are now rendered as the chart renders them (policy/lib/helm-tpl.ts), and any
 * other action leaves the proxy's config unknown, never judged on a guess.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { tplText, tplYamlValue } from "../../policy/lib/helm-tpl";
import { runStack } from "../support/policy";
import { on } from "./traffic-support";
import { envoyYaml } from "../support/envoy-bootstrap";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const release = (proxy: Record<string, unknown>, epp: Record<string, unknown> = {}, name: string | null = "llama") =>
  on(RELEASE, "router", {
    ...(name === null ? {} : { name }),
    namespace: "inference",
    chart: "oci://ghcr.io/llm-d/charts/llm-d-router-standalone",
    version: "v0.10.0",
    values: { router: { modelServers: { matchLabels: { app: "llama" } }, inferencePool: { create: false }, epp, proxy } },
  });
const configMap = (name: string, data: Record<string, string>) => on("kubernetes:core/v1:ConfigMap", `cm-${name}`, { metadata: { name, namespace: "inference" }, data });
const messages = async (...resources: unknown[]) => (await runStack(inferencePoolEpp, resources as any)).violations.map((v) => v.message);
const SERVICE = "{{ .Release.Name }}-epp.{{ .Release.Namespace }}.svc.cluster.local";

test("helm-tpl: .Release.Name, .Release.Namespace and .Values scalars render as Helm prints them; any other action is unknown", () => {
  const scope = { releaseName: "llama", namespace: "inference", values: { router: { epp: { extProcPort: 9012, big: 10485760, on: true, list: [1], nil: null } } } };
  assert.equal(tplText(`host: ${SERVICE}`, scope), "host: llama-epp.inference.svc.cluster.local");
  assert.equal(tplText("port: {{.Values.router.epp.extProcPort}} {{ .Values.router.epp.on }}", scope), "port: 9012 true");
  // Helm's numbers are float64: %v prints 10485760 as 1.048576e+07.
  assert.equal(tplText("{{ .Values.router.epp.big }}", scope), "1.048576e+07");
  // Go's trim markers take the whitespace beside them.
  assert.equal(tplText("a:\n  {{- .Release.Name -}}  \n b", scope), "a:llamab");
  assert.equal(tplText("no actions: {} }}", scope), "no actions: {} }}");
  for (const text of [
    '{{ include "llm-d-router.proxy.extProcHost" . }}',
    "{{ .Values.router.epp.extProcPort | default 9002 }}",
    "{{ .Values.router.epp.missing }}",
    "{{ .Values.router.epp.list }}",
    "{{ .Values.router.epp.nil }}",
    "{{ .Values.router.epp.list.length }}",
    "{{ .Values }}",
    "{{ .Chart.Name }}",
    "{{/* a comment */}}",
    "{{ .Release.Name",
  ]) {
    assert.equal(tplText(text, scope), undefined, text);
  }
  // An auto-named release's name is not known here.
  assert.equal(tplText("{{ .Release.Name }}", { ...scope, releaseName: undefined }), undefined);
  // A value rendered inside toYaml's output is kept only where it reads back as the same plain string.
  assert.deepEqual(tplYamlValue([{ name: "config", configMap: { name: "{{ .Release.Name }}-envoy", optional: false } }], scope), [{ name: "config", configMap: { name: "llama-envoy", optional: false } }]);
  assert.equal(tplYamlValue({ name: "{{ .Values.router.epp.extProcPort }}" }, scope), undefined);
  assert.equal(tplYamlValue({ name: "{{ .Values.router.epp.on }}" }, scope), undefined);
  assert.equal(tplYamlValue({ name: "{{ .Values.router.epp.s }}" }, { ...scope, values: { router: { epp: { s: "a: b" } } } }), undefined);
  assert.equal(tplYamlValue({ "{{ .Release.Name }}": 1 }, scope), undefined);
});

test("inference-pool-epp: an envoy.yaml of router.proxy.configMap.data naming the picker Service by .Release.Name/.Release.Namespace is judged as the chart renders it", async () => {
  const own = (envoy: string, proxy: Record<string, unknown> = { mode: "service" }, epp: Record<string, unknown> = {}) =>
    messages(release({ configMap: { data: { "envoy.yaml": envoy } }, ...proxy }, epp));
  // Service mode: its cluster dials the picker Service on 9012, a port the Service (router.epp.extProcPort, 9002) does not have.
  const port = await own(envoyYaml(9012, true, 19000, SERVICE));
  assert.equal(port.length, 1, port.join("\n"));
  assert.match(port[0], /router.epp.extProcPort 9002 is the port of the picker Service, but the chart's Envoy proxy .* sends its ext_proc calls to llama-epp.inference.svc.cluster.local:9012 \(its ext_proc cluster in router.proxy.configMap.data\["envoy.yaml"\]\), a port the Service does not have/);
  // In plaintext against the TLS picker.
  assert.match((await own(envoyYaml(9002, false, 19000, SERVICE))).join("\n"), /calls it in plaintext \(its ext_proc cluster has no TLS transport socket\), but the picker serves TLS/);
  // Sidecar mode: a port from .Values dials where the picker does not serve.
  const values = await own(envoyYaml(9002, true).replace("port_value: 9002", "port_value: {{ .Values.router.epp.grpcPort }}"), {}, { grpcPort: 9012 });
  assert.match(values.join("\n"), /the picker serves ext-proc on 9002 \(no router.epp.flags.grpc-port\), but the chart's Envoy proxy .* sends its ext_proc calls to 127.0.0.1:9012/);
  // Quiet: right, an action not rendered here, a value the values leave to the chart, an auto-named release's name.
  assert.deepEqual(await own(envoyYaml(9002, true, 19000, SERVICE)), []);
  assert.deepEqual(await own(envoyYaml(9012, true, 19000, '{{ include "llm-d-router.proxy.extProcHost" . }}')), []);
  assert.deepEqual(await own(envoyYaml(9002, true).replace("port_value: 9002", "port_value: {{ .Values.router.epp.grpcPort }}")), []);
  const unnamed = await messages(release({ configMap: { data: { "envoy.yaml": envoyYaml(9012, true, 19000, SERVICE) } }, mode: "service" }, {}, null));
  assert.ok(!unnamed.some((m) => /ext_proc/.test(m)), unnamed.join("\n"));
  // A key other than envoy.yaml is not run through tpl: not read where it holds an action.
  const literal = [{ name: "config", configMap: { name: "envoy", items: [{ key: "proxy.yaml", path: "envoy.yaml" }] } }];
  assert.deepEqual(await messages(release({ mode: "service", volumes: literal, configMap: { data: { "proxy.yaml": envoyYaml(9012, true, 19000, SERVICE) } } })), []);
});

test("inference-pool-epp: a proxy volume naming its ConfigMap by .Release.Name is judged on the ConfigMap it mounts", async () => {
  const volume = (key = "envoy.yaml", name = "{{ .Release.Name }}-envoy") => [{ name: "config", configMap: { name, items: [{ key, path: "envoy.yaml" }] } }];
  // The stack's ConfigMap llama-envoy, in plaintext against the TLS picker.
  const plain = await messages(release({ volumes: volume() }), configMap("llama-envoy", { "envoy.yaml": envoyYaml(9002, false) }));
  assert.equal(plain.length, 1, plain.join("\n"));
  assert.match(plain[0], /its envoy.yaml from ConfigMap inference\/llama-envoy's envoy.yaml\) calls it in plaintext/);
  // A key that ConfigMap lacks: the kubelet cannot mount it.
  assert.match(
    (await messages(release({ volumes: volume("proxy.yaml") }), configMap("llama-envoy", { "envoy.yaml": envoyYaml(9002, true) }))).join("\n"),
    /maps key proxy.yaml of ConfigMap inference\/llama-envoy \(the stack's\), which has no such key/,
  );
  // Quiet: right; another release's ConfigMap; a name not rendered here.
  assert.deepEqual(await messages(release({ volumes: volume() }), configMap("llama-envoy", { "envoy.yaml": envoyYaml(9002, true) })), []);
  assert.deepEqual(await messages(release({ volumes: volume() }), configMap("other-envoy", { "envoy.yaml": envoyYaml(9002, false) })), []);
  assert.deepEqual(await messages(release({ volumes: volume("envoy.yaml", '{{ include "x" . }}') }), configMap("llama-envoy", { "envoy.yaml": envoyYaml(9002, false) })), []);
});
