/**
 * The ports the containers of a chart-rendered picker's pod listen on, read from a release's values
 * as the chart renders the pod: llm-d-router v0.10.0's routerlib (_deployment.yaml,
 * _latency-predictor.tpl) from router.*, GIE v1.5.0's epplib (the same templates) from
 * inferenceExtension.*, the Envoy sidecar GIE's standalone chart runs beside its picker, and the
 * proxy llm-d-router-standalone runs from its envoy or agentgateway preset, or from an envoy.yaml of
 * the values' own (in sidecar mode; picker-release-proxy.ts). Read by
 * picker-release-serving.ts for inference-pool-epp.
 */
import { dig } from "./k8s";
import { flagValue, pflagBool, type Report } from "./picker-service";
import { giePickerArgs } from "./picker-release-gie";
import { givenFlags, goPrintV, llmdPickerArgs } from "./picker-release-flags";
import { goTruthy, isObject } from "./values";
import type { ChartRelease } from "./picker-release-serving";
import { llmdProxy } from "./picker-release-proxy";
import { missingKeyMessage } from "./picker-release-configmaps";
import { bootstrapRefused, noBootstrap, presetExtProcHost } from "./picker-release-envoy";
import { checkGieSidecarConfigMapName, checkGieSidecarVolume } from "./picker-release-volumes";
import { checkGieSidecarValues, gieSidecarOn } from "./picker-release-sidecar";
import { predictionServerIndices } from "./picker-release-names";

/** A value the chart reads through sprig's `| default <d>`: any Go-empty value takes the default. */
const orDefault = (v: unknown, d: number): unknown => (goTruthy(v) ? v : d);
const num = (x: unknown) => (typeof x === "number" || (typeof x === "string" && /^[0-9]+$/.test(x)) ? Number(x) : undefined);

/**
 * The containers of the picker's pod and the ports each listens on: the picker (--grpc-port,
 * --grpc-health-port, --metrics-port: 9002, 9003 and 9090 unless the epp flags set them; llm-d's
 * chart passes router.epp.grpcHealthPort), llm-d's vllm-render tokenizer (router.tokenizer.port) and
 * the latency predictor's training server and prediction servers (`<epp>`'s sibling latencyPredictor,
 * which `_latency-predictor.tpl` adds as sidecars in either chart, with the same defaults). Two
 * containers of one pod bind one port: the second fails to bind and crash-loops, and the pod is never
 * Ready, so the picker Service has no endpoint.
 */
export function checkPodPorts(rel: ChartRelease, report: Report): void {
  const v = rel.values;
  const root = rel.gie ? "inferenceExtension" : "router";
  const flags = givenFlags(v, rel.epp);
  // llm-d's chart passes router.epp.grpcHealthPort as --grpc-health-port and probes it, then the flags (pflag: the last wins).
  const probed = rel.gie ? 9003 : num(orDefault(dig(v, "router.epp.grpcHealthPort"), 9003));
  const flagged = rel.gie ? undefined : flagValue({ args: llmdPickerArgs(v) }, "grpc-health-port");
  const health = rel.gie
    ? { port: "grpc-health-port" in flags ? num(flags["grpc-health-port"]) : 9003, what: "the picker's gRPC health port (--grpc-health-port)" }
    : flagged !== undefined
      ? { port: num(flagged.trim()), what: "the picker's gRPC health port (router.epp.flags.grpc-health-port)" }
      : { port: probed, what: "the picker's gRPC health port (router.epp.grpcHealthPort)" };
  const ports: { port: number | undefined; what: string }[] = [
    { port: "grpc-port" in flags ? num(flags["grpc-port"]) : 9002, what: "the picker's ext-proc port (--grpc-port)" },
    health,
    { port: "metrics-port" in flags ? num(flags["metrics-port"]) : 9090, what: "the picker's metrics port (--metrics-port)" },
  ];
  if (!rel.gie && goTruthy(dig(v, "router.tokenizer.enabled"))) ports.push({ port: num(orDefault(dig(v, "router.tokenizer.port"), 8000)), what: "the vllm-render tokenizer's port (router.tokenizer.port)" });
  if (goTruthy(dig(v, `${root}.latencyPredictor.enabled`))) {
    // The charts' values.yaml defaults (not in the stack): training 8000, one prediction server from 8001.
    const training = dig(v, `${root}.latencyPredictor.trainingServer.port`);
    ports.push({ port: num(training === undefined ? 8000 : training), what: `the latency predictor's training server port (${root}.latencyPredictor.trainingServer.port)` });
    const start = num(dig(v, `${root}.latencyPredictor.predictionServers.startPort`) ?? 8001);
    const servers = start === undefined ? [] : (predictionServerIndices(v, root) ?? []);
    for (const i of servers) ports.push({ port: start! + i, what: `prediction server ${i + 1}'s port (${root}.latencyPredictor.predictionServers.startPort ${i < 0 ? "-" : "+"} ${Math.abs(i)})` });
  }
  if (gieDefaultSidecar(rel)) {
    ports.push(
      { port: 8081, what: "the Envoy sidecar's listener port (its envoy.yaml's listener vllm)" },
      { port: 19001, what: "the Envoy sidecar's readiness listener port (its envoy.yaml's listener envoy-proxy-ready)" },
      { port: 19000, what: "the Envoy sidecar's admin port (its envoy.yaml's admin, 127.0.0.1:19000)" },
    );
  }
  // llm-d-router-standalone's Envoy proxy in sidecar mode: its envoy preset (values.yaml router.proxy.presets.envoy)
  // binds the same three; an envoy.yaml of the values' own (router.proxy.configMap.data) binds its admin and listeners.
  const proxy = llmdProxy(rel);
  if (proxy?.sidecar && proxy.envoy) ports.push(...proxy.envoy.binds);
  // Its agentgateway preset's config.yaml (routerlib _helpers.tpl proxy.agentgatewayConfig) binds three in sidecar mode.
  if (proxy?.sidecar && proxy.type === "agentgateway") {
    ports.push(
      { port: agentgatewayListenerPort(v), what: "the agentgateway proxy's listener port (router.extraServicePorts' port named http, its agentgateway preset's bind)" },
      { port: 15020, what: "the agentgateway proxy's stats port (its agentgateway preset's config.statsAddr, 0.0.0.0:15020)" },
      { port: 15021, what: "the agentgateway proxy's readiness port (its agentgateway preset's config.readinessAddr, 0.0.0.0:15021)" },
    );
  }
  const seen = new Map<number, string>();
  for (const { port, what } of ports) {
    if (port === undefined) continue;
    const first = seen.get(port);
    if (first === undefined) {
      seen.set(port, what);
      continue;
    }
    report(
      `${rel.lead}: ${what} and ${first} are both ${port}, in one pod: the second to start cannot bind it and crash-loops, so the picker's pod is never Ready and its Service has no endpoint, and every request to the pool fails (FailClose) or skips the picker (FailOpen); move one of them to a free port`,
      rel.resource.urn,
    );
    return;
  }
  if (!rel.gie && flagged !== undefined && health.port !== undefined && probed !== undefined && health.port !== probed) {
    report(
      `${rel.lead}: router.epp.flags.grpc-health-port ${health.port} moves the picker's gRPC health server off ${probed}, the port the chart passes it first (router.epp.grpcHealthPort) and its liveness and readiness probes check (routerlib _deployment.yaml; pflag keeps the flag's last value, the flags' own), so the pod is never Ready and is restarted, its Service has no endpoint, and every request to the pool fails (FailClose) or skips the picker (FailOpen); set router.epp.grpcHealthPort: ${health.port} and drop the flag`,
      rel.resource.urn,
    );
  }
  // epplib _deployment.yaml probes gRPC health on 9003 whatever the flags say: a picker moved off it is never Ready, and its liveness probe restarts it.
  if (rel.gie && health.port !== undefined && health.port !== 9003) {
    report(
      `${rel.lead}: inferenceExtension.flags.grpc-health-port ${health.port} moves the picker's gRPC health server off 9003, but the chart's liveness and readiness probes check 9003 (epplib _deployment.yaml), so the pod is never Ready and is restarted, its Service has no endpoint, and every request to the pool fails (FailClose) or skips the picker (FailOpen); leave grpc-health-port at 9003`,
      rel.resource.urn,
    );
  }
}

/**
 * The envoy.yaml the Envoy sidecar of GIE v1.5.0's standalone chart runs with, where the values
 * leave the rest of the sidecar as standalone/values.yaml has it (inferenceExtension.sidecar:
 * enabled, its ConfigMap `envoy` mounted at /etc/envoy, run with `-c /etc/envoy/envoy.yaml`):
 * `chart` for the chart's own, else the text of configMap.data["envoy.yaml"], which epplib
 * _config.yaml renders with toYaml (no tpl). A null there is kept (Helm v3.20.2 chartutil coalesces
 * the subchart key inferenceExtension merging, childChartMergeTrue) and rendered `envoy.yaml: null`,
 * which the API server stores as an empty value. Undefined where the sidecar is off (Helm reads a
 * null `enabled` as deleting the default) or its ConfigMap, command, args or volumes are replaced.
 * `nodata` where configMap.data is null, kept alike: toYaml renders `data: null`, a ConfigMap with no key.
 */
function gieSidecarEnvoy(rel: ChartRelease): "chart" | "nodata" | { text: string; nulled: boolean } | undefined {
  if (rel.chart !== "standalone") return undefined;
  const at = (k: string) => dig(rel.values, `inferenceExtension.sidecar.${k}`);
  if (at("enabled") !== undefined && !goTruthy(at("enabled"))) return undefined;
  if (!["configMap.name", "command", "args", "volumes", "volumeMounts"].every((k) => at(k) === undefined)) return undefined;
  const data = at("configMap.data");
  if (data === null) return "nodata";
  if (!isObject(data) || !("envoy.yaml" in data)) return "chart";
  const text = data["envoy.yaml"];
  return text === null ? { text: "", nulled: true } : typeof text === "string" ? { text, nulled: false } : undefined;
}

/** Whether the pod runs GIE's standalone chart's Envoy sidecar with the chart's own envoy.yaml. */
const gieDefaultSidecar = (rel: ChartRelease): boolean => gieSidecarEnvoy(rel) === "chart";

/**
 * GIE's standalone chart's Envoy sidecar given an envoy.yaml of the values' own that holds no
 * bootstrap (empty, blank, only comments, or null): Envoy exits at start, as llm-d-router-standalone's
 * proxy does on its null envoy.yaml (picker-release-proxy.ts), and the picker's pod is never Ready.
 */
function checkGieSidecarConfig(rel: ChartRelease, report: Report): void {
  checkGieSidecarVolume(rel, report);
  const own = gieSidecarEnvoy(rel);
  if (own === "nodata") {
    // The chart's sidecar volume `config` (standalone/values.yaml) maps key envoy.yaml of ConfigMap envoy, not optional.
    const whose = "the one the chart renders for its Envoy sidecar, with no key: inferenceExtension.sidecar.configMap.data is null, which Helm v3 keeps (its default sits under the subchart key inferenceExtension, which chartutil coalesces merging: childChartMergeTrue, helm#31919), and epplib _config.yaml renders it (toYaml) as data: null";
    const fix = "drop the null inferenceExtension.sidecar.configMap.data (the chart's envoy.yaml is then rendered), or give it an envoy.yaml";
    const outcome = "the picker's pod (the Envoy sidecar's) never starts, so its Service has no endpoint and every request through the sidecar fails";
    report(missingKeyMessage(rel.lead, "the sidecar's volume config (inferenceExtension.sidecar.volumes)", rel.namespace, { configMap: "envoy", key: "envoy.yaml", whose, fix }, outcome), rel.resource.urn);
    return;
  }
  if (own === undefined || own === "chart" || !noBootstrap(own.text)) return;
  const what = own.nulled
    ? "null, which Helm v3 keeps (the chart's default for it sits under its subchart's key inferenceExtension, which chartutil coalesces merging: childChartMergeTrue, helm#31919), so epplib _config.yaml renders it (toYaml) as `envoy.yaml: null`, which the API server stores as an empty value"
    : `${own.text.trim() === "" ? "empty" : "empty of config (only comments)"}, which epplib _config.yaml renders as it is (toYaml)`;
  report(
    `${rel.lead}: inferenceExtension.sidecar.configMap.data["envoy.yaml"] is ${what}, and the Envoy sidecar the chart runs beside the picker (inferenceExtension.sidecar, on by default) mounts ConfigMap ${rel.namespace}/envoy at /etc/envoy and reads it as its bootstrap (-c /etc/envoy/envoy.yaml): it finds no config there and ${bootstrapRefused(own.text)}, so the picker's pod is never Ready, its Service has no endpoint, and every request through the sidecar fails; drop the entry to run the chart's envoy.yaml, or give it an envoy.yaml of your own (or set inferenceExtension.sidecar.enabled false)`,
    rel.resource.urn,
  );
}

/**
 * A GIE chart's Envoy sidecar (on) given its command as a list: epplib _deployment.yaml writes
 * `command:` and `- {{ . | quote }}` of a non-empty inferenceExtension.sidecar.command (standalone/
 * values.yaml: the string "envoy"), and sprig's quote prints a list as Go's %v, one word `[a b]`,
 * which the container runtime looks up as the executable: the sidecar never starts.
 */
function checkGieSidecarCommand(rel: ChartRelease, report: Report): void {
  const sidecar = dig(rel.values, "inferenceExtension.sidecar");
  if (!rel.gie || !isObject(sidecar) || !gieSidecarOn(rel, sidecar)) return;
  if (!Array.isArray(sidecar.command) || sidecar.command.length === 0) return;
  const word = goPrintV(sidecar.command);
  report(
    `${rel.lead}: inferenceExtension.sidecar.command is a list, but epplib _deployment.yaml writes it as one entry of the Envoy sidecar's command ({{ . | quote }}, and sprig's quote prints a list as Go's %v), so it renders it as the one command ${JSON.stringify(word)}, which the container runtime cannot run (exec: ${JSON.stringify(word)}: executable file not found in $PATH): the sidecar never starts and is restarted, so the picker's pod is never Ready, its Service has no endpoint, and every request through the sidecar fails; give the command as a string (${JSON.stringify(goPrintV(sidecar.command[0]))}) and the rest in inferenceExtension.sidecar.args`,
    rel.resource.urn,
  );
}

/**
 * The standalone chart's envoy.yaml sends every request's ext_proc call to the picker at
 * 127.0.0.1:9002 over TLS (cluster ext_proc, an UpstreamTlsContext), with no failure_mode_allow:
 * a picker moved off 9002 (--grpc-port) or serving plaintext (--secure-serving=false) fails them,
 * and with them every request through the sidecar. A sidecar given an envoy.yaml of the values' own
 * is judged on that (checkGieSidecarConfig).
 */
export function checkGieSidecarCalls(rel: ChartRelease, report: Report): void {
  // A release that does not install (its sidecar's ConfigMap or container refused) is not judged further.
  const refused = checkGieSidecarValues(rel, report);
  if (checkGieSidecarConfigMapName(rel, report) || refused) return;
  checkGieSidecarCommand(rel, report);
  if (!gieDefaultSidecar(rel)) return checkGieSidecarConfig(rel, report);
  const rendered = giePickerArgs(rel.values, rel.chart);
  if (!rendered || !("args" in rendered)) return;
  const container = { args: rendered.args };
  const sidecar = "the Envoy sidecar the chart runs beside it (inferenceExtension.sidecar, on by default; its envoy.yaml from the chart's values.yaml)";
  const fix = "set inferenceExtension.sidecar.enabled false, or give the sidecar an envoy.yaml of your own (inferenceExtension.sidecar.configMap.data) that";
  const port = flagValue(container, "grpc-port");
  // An empty one (a null flag) stops the picker at start (picker-release-flags.ts flagsNullProblem): it serves no port.
  if (port !== undefined && port.trim() !== "9002" && port !== "") {
    report(
      `${rel.lead}: inferenceExtension.flags' grpc-port ${port} moves the picker's ext-proc server off 9002, but ${sidecar} sends its ext_proc calls to 127.0.0.1:9002, so they fail and every request through the sidecar fails (its ext_proc filter does not allow failure); ${fix} calls the picker's port`,
      rel.resource.urn,
    );
  }
  if (pflagBool(container, "secure-serving") === false) {
    report(
      `${rel.lead}: inferenceExtension.flags' secure-serving=false (rendered --secure-serving=false) makes the picker serve ext-proc in plaintext, but ${sidecar} calls it over TLS (its ext_proc cluster's UpstreamTlsContext), so the handshake fails and every request through the sidecar fails (its ext_proc filter does not allow failure); drop that flag, or ${fix} calls it in plaintext`,
      rel.resource.urn,
    );
  }
}

/**
 * The port llm-d-router-standalone's agentgateway preset binds its listener on: the `port` of the one
 * entry of router.extraServicePorts named http (routerlib _helpers.tpl standaloneProxyListenerPort;
 * values.yaml's list, `http` on 8081, unless the values give their own, which Helm takes whole).
 * Undefined where the chart refuses to render (no such entry, or two, or a port not a number).
 */
function agentgatewayListenerPort(values: unknown): number | undefined {
  const given = dig(values, "router.extraServicePorts");
  if (given === undefined) return 8081;
  if (!Array.isArray(given)) return undefined;
  const http = given.filter((p) => isObject(p) && goPrintV(p.name) === "http");
  const port = http.length === 1 ? num(typeof http[0].port === "string" ? http[0].port.trim() : http[0].port) : undefined;
  return port !== undefined && port >= 1 && port <= 65535 ? port : undefined;
}

/**
 * llm-d-router-standalone's proxy against its picker. The envoy preset's ext_proc cluster dials port
 * 9002 (a literal) and the agentgateway preset's endpointPicker dials router.epp.extProcPort (default
 * 9002), both at routerlib _helpers.tpl proxy.extProcHost: 127.0.0.1 in sidecar mode, the picker
 * Service's FQDN in service mode, whose port is router.epp.extProcPort with no targetPort (so the
 * picker must serve that port). Envoy carries TLS unless eppSecureServing finds
 * router.epp.flags.secure-serving printing as exactly "false", while the picker reads the flag with
 * strconv.ParseBool (False, FALSE, f, F, 0 too) and then serves plaintext; agentgateway's preset is
 * plaintext and the chart turns secure-serving off for it (or refuses to render otherwise). An
 * envoy.yaml of the values' own (router.proxy.configMap.data, or a ConfigMap of the stack its volume
 * mounts) is read instead of the preset: its
 * ext_proc cluster's endpoint, where it is the picker (loopback in sidecar mode, the picker Service
 * in service mode), and its TLS transport socket against the TLS the picker serves.
 */
export function checkLlmdProxyCalls(rel: ChartRelease, report: Report): void {
  const p = llmdProxy(rel);
  if (!p) return;
  const envoy = p.type === "envoy";
  if (envoy && !p.envoy?.extProc) return;
  const own = envoy && !p.envoy!.preset;
  const proxy = `the chart's ${envoy ? "Envoy" : "agentgateway"} proxy (router.proxy, ${p.sidecar ? "a sidecar of the picker's pod" : "a Deployment of its own"}${own ? `, its envoy.yaml from ${p.envoy!.from}` : ""})`;
  const outcome = `so its ${envoy ? "ext_proc" : "endpoint picker"} calls fail and every request through it fails (router.proxy.failOpen false, the sidecar-mode default) or skips the picker (true, the service-mode default)`;
  const container = { args: llmdPickerArgs(rel.values) };
  const flags = dig(rel.values, "router.epp.flags");
  const given = isObject(flags) ? flags["secure-serving"] : undefined;
  const plaintext = pflagBool(container, "secure-serving") === false;
  if (envoy && !own && given !== undefined && given !== null && goPrintV(given) !== "false" && plaintext) {
    report(
      `${rel.lead}: router.epp.flags.secure-serving ${JSON.stringify(given)} makes the picker serve ext-proc in plaintext (--secure-serving=${goPrintV(given)}, which pflag reads as false), but ${proxy} still calls it over TLS (routerlib _helpers.tpl eppSecureServing turns its TLS off only for the exact text "false"), so the handshake fails, ${outcome.slice(3)}; write secure-serving: false`,
      rel.resource.urn,
    );
  }
  const flagged = flagValue(container, "grpc-port");
  const serves = flagged === undefined ? 9002 : num(flagged.trim());
  const servicePort = num(orDefault(dig(rel.values, "router.epp.extProcPort"), 9002));
  const calls = envoy ? p.envoy!.extProc! : { host: presetExtProcHost(rel, p.sidecar), port: servicePort, tls: false };
  const dials = calls.port;
  if (serves === undefined || dials === undefined || servicePort === undefined) return;
  const host = calls.host;
  if (own) {
    // Only a call to the picker is judged: loopback beside it, or its Service in service mode.
    const svc = presetExtProcHost(rel, false);
    const picker = p.sidecar ? ["127.0.0.1", "localhost", "::1"] : [svc, svc.split(".").slice(0, 2).join("."), svc.split(".").slice(0, 3).join(".")];
    if (!picker.includes(host.toLowerCase())) return;
    if (calls.tls === plaintext) {
      const how = calls.tls
        ? `calls it over TLS (its ext_proc cluster's TLS transport socket), but the picker serves plaintext (--secure-serving=false)`
        : `calls it in plaintext (its ext_proc cluster has no TLS transport socket), but the picker serves TLS (--secure-serving, true unless router.epp.flags sets it false)`;
      report(`${rel.lead}: ${proxy} ${how}, so the ext_proc connection fails, ${outcome.slice(3)}; make the envoy.yaml's ext_proc cluster speak ${plaintext ? "plaintext" : "TLS"}, or set router.epp.flags.secure-serving ${calls.tls ? "true" : "false"}`, rel.resource.urn);
    }
  }
  const target = !envoy ? "(router.epp.extProcPort, the chart's agentgateway preset)" : own ? `(its ext_proc cluster in ${p.envoy!.from})` : "(the chart's envoy preset)";
  const fix = !envoy ? "or set router.epp.extProcPort to the port it serves" : own ? "or point the envoy.yaml's ext_proc cluster at it" : "or give router.proxy a configMap of your own that calls it";
  if (p.sidecar || dials === servicePort) {
    // Sidecar: the proxy dials the picker itself; service: the Service's port forwards to the same port of the picker.
    if (dials !== serves) {
      const what = flagged !== undefined ? `router.epp.flags.grpc-port ${flagged} moves the picker's ext-proc server off ${dials}` : `the picker serves ext-proc on 9002 (no router.epp.flags.grpc-port)`;
      report(`${rel.lead}: ${what}, but ${proxy} ${envoy ? "sends its ext_proc calls to" : "calls its endpoint picker at"} ${host}:${dials} ${target}, ${outcome}; serve ${dials} (router.epp.flags.grpc-port), ${fix}`, rel.resource.urn);
    }
    return;
  }
  report(`${rel.lead}: router.epp.extProcPort ${servicePort} is the port of the picker Service, but ${proxy} sends its ext_proc calls to ${host}:${dials} ${target}, a port the Service does not have, ${outcome}; leave router.epp.extProcPort at ${dials}, ${fix}`, rel.resource.urn);
}
