/**
 * Policy tests for inference-pool-epp's reading of how a picker installed by llm-d-router's chart
 * (llm-d-router-gateway / -standalone v0.10.0, a Helm Release) is reached: its Service port and the
 * TLS its Istio gateways speak to it, against the chart's DestinationRule or the stack's; the ports
 * of its pod's sidecars (tokenizer, latency predictor); the config the latency predictor renders;
 * and a hand-written pool pointing at the chart's picker Service.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { k8sProvider, runStack, stackResource } from "../support/policy";
import { on } from "./traffic-support";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const release = (values: Record<string, unknown>, chart = "llm-d-router-gateway") =>
  on(RELEASE, "router", { name: "llama", namespace: "inference", chart: `oci://ghcr.io/llm-d/charts/${chart}`, version: "v0.10.0", values });
const messages = async (values: Record<string, unknown>, chart?: string, more: unknown[] = []) =>
  (await runStack(inferencePoolEpp, [release(values, chart), ...more] as any)).violations.map((v) => v.message);
const router = (r: Record<string, unknown>, top: Record<string, unknown> = {}) => ({ router: { modelServers: { matchLabels: { app: "llama" } }, ...r }, ...top });

test("inference-pool-epp: a chart release's extProcPort the picker does not serve ext-proc on is named", async () => {
  assert.deepEqual(await messages(router({})), []);
  assert.deepEqual(await messages(router({ epp: { extProcPort: 9002 } })), []);
  // The chart gives the Service (no targetPort) and the pool's endpointPickerRef extProcPort, but never passes it to the picker.
  const moved = await messages(router({ epp: { extProcPort: 9012 } }));
  assert.equal(moved.length, 1, moved.join("\n"));
  assert.match(moved[0], /^the endpoint picker of Helm release inference\/llama \(chart llm-d-router-gateway\) on a: router.epp.extProcPort 9012 is the port of the chart's picker Service .* which serves ext-proc on 9002 \(--grpc-port, 9002 unless router.epp.flags.grpc-port sets it\), so the gateway's ext-proc calls fail .*; set router.epp.flags.grpc-port: 9012, or leave router.epp.extProcPort at 9002$/);
  assert.match((await messages(router({ epp: { extProcPort: 9090 } }))).join("\n"), /; 9090 is its metrics port/);
  assert.deepEqual(await messages(router({ epp: { extProcPort: 9012, flags: { "grpc-port": 9012 } } })), []);
  // Standalone (no pool): the chart's own proxy is not judged here.
  assert.deepEqual(await messages(router({ epp: { extProcPort: 9012 }, inferencePool: { create: false } }), "llm-d-router-standalone"), []);
});

test("inference-pool-epp: a chart picker serving plaintext behind the chart's own TLS DestinationRule is named", async () => {
  const plain = router({ epp: { flags: { "secure-serving": false } } }, { provider: { name: "istio" } });
  const m = await messages(plain);
  assert.equal(m.length, 1, m.join("\n"));
  assert.match(m[0], /router.epp.flags.secure-serving false makes the picker serve ext-proc in plaintext, but provider.name istio renders DestinationRule inference\/llama-epp giving its Service tls.mode SIMPLE, so the Istio gateway's TLS handshake with it fails/);
  assert.equal((await messages(router({ epp: { flags: { "secure-serving": "False" } } }, { provider: { name: "istio" } }))).length, 1);
  // TLS served (the chart's default) with the chart's rule, or plaintext without it: quiet.
  assert.deepEqual(await messages(router({}, { provider: { name: "istio" } })), []);
  assert.deepEqual(await messages(router({ epp: { flags: { "secure-serving": true } } }, { provider: { name: "istio" } })), []);
  assert.deepEqual(await messages(router({ epp: { flags: { "secure-serving": false } } }, { provider: { name: "none" } })), []);
});

test("inference-pool-epp: an Istio Gateway calling a chart picker that serves TLS needs the chart's (or a) TLS DestinationRule", async () => {
  const GW = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
  const gw = on(GW, "gw", { metadata: { name: "inference-gateway", namespace: "inference" }, spec: { gatewayClassName: "istio", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] } });
  const route = on("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "route", { metadata: { name: "llama", namespace: "inference" }, spec: { parentRefs: [{ name: "inference-gateway" }], rules: [{ backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: "llama" }] }] } });
  const tls = (m: string[]) => m.filter((x) => /calls the picker/.test(x));
  // The chart's default provider.name none renders no DestinationRule: the gateway's call is not TLS.
  const none = tls(await messages(router({}), undefined, [gw, route]));
  assert.equal(none.length, 1, none.join("\n"));
  assert.match(none[0], /^the endpoint picker of Helm release inference\/llama \(chart llm-d-router-gateway\) on a: Gateway inference\/inference-gateway \(Istio\) routes to its InferencePool inference\/llama and calls the picker llama-epp.inference.svc.cluster.local port 9002, which serves self-signed TLS .* but no DestinationRule applies to it there, .*; set provider.name istio/);
  // The chart's own route (httpRoute.create) through the same Gateway is a caller too.
  assert.equal(tls(await messages(router({}, { httpRoute: { create: true } }), undefined, [gw])).length, 1);
  // provider.name istio renders the rule; a stack rule of the gateway's namespace giving no TLS shadows it.
  assert.deepEqual(tls(await messages(router({}, { provider: { name: "istio" } }), undefined, [gw, route])), []);
  const shadow = on("kubernetes:networking.istio.io/v1:DestinationRule", "dr", { metadata: { name: "epp", namespace: "inference" }, spec: { host: "llama-epp", trafficPolicy: { connectionPool: { tcp: { maxConnections: 10 } } } } });
  assert.match(tls(await messages(router({}, { provider: { name: "istio" } }), undefined, [gw, route, shadow])).join("\n"), /DestinationRule inference\/(epp|llama-epp)(, inference\/(epp|llama-epp))? applies there without tls.mode SIMPLE/);
  // Plaintext pickers and routes through no Istio Gateway: nothing to say here.
  assert.deepEqual(tls(await messages(router({ epp: { flags: { "secure-serving": false } } }), undefined, [gw, route])), []);
  assert.deepEqual(tls(await messages(router({}))), []);
});

test("inference-pool-epp: sidecars of a chart picker's pod binding one port are named", async () => {
  // router.tokenizer.port and router.latencyPredictor.trainingServer.port both default to 8000.
  const both = await messages(router({ tokenizer: { enabled: true, modelName: "m" }, latencyPredictor: { enabled: true } }));
  assert.equal(both.length, 1, both.join("\n"));
  assert.match(both[0], /the latency predictor's training server port \(router.latencyPredictor.trainingServer.port\) and the vllm-render tokenizer's port \(router.tokenizer.port\) are both 8000, in one pod: the second to start cannot bind it and crash-loops/);
  assert.deepEqual(await messages(router({ tokenizer: { enabled: true, modelName: "m", port: 8100 }, latencyPredictor: { enabled: true } })), []);
  // Prediction servers from startPort run into the picker's ext-proc port.
  assert.match((await messages(router({ latencyPredictor: { enabled: true, predictionServers: { count: 4, startPort: 9000 } } }))).join("\n"), /prediction server 3's port \(router.latencyPredictor.predictionServers.startPort \+ 2\) and the picker's ext-proc port \(--grpc-port\) are both 9002/);
  assert.deepEqual(await messages(router({ latencyPredictor: { enabled: true } })), []);
  // `until (int count)`, sprig's int being cast.ToInt: a null count renders no prediction server, 1.5 one, true one.
  for (const count of [null, 1.5, true]) assert.deepEqual(await messages(router({ latencyPredictor: { enabled: true, predictionServers: { count, startPort: count === null ? 9002 : 9001 } } })), [], String(count));
  assert.match((await messages(router({ latencyPredictor: { enabled: true, predictionServers: { count: true, startPort: 9002 } } }))).join("\n"), /prediction server 1's port .* are both 9002/);
});

test("inference-pool-epp: a prediction-server count given as text or below zero, as sprig's int and until read it", async () => {
  const at = (count: unknown, startPort: number) => messages(router({ latencyPredictor: { enabled: true, predictionServers: { count, startPort } } }));
  // cast.ToInt drops ParseInt's error: "two", "1.5" and " 2" render no prediction server, so none takes the picker's 9002.
  for (const count of ["two", "1.5", " 2", "1."]) assert.deepEqual(await at(count, 9002), [], count);
  // ParseInt(trimZeroDecimal(s), 0, 0): "1.0" is 1, "0x2" 2, "010" 8 (octal), "+1" 1.
  assert.match((await at("1.0", 9002)).join("\n"), /prediction server 1's port \(router.latencyPredictor.predictionServers.startPort \+ 0\) and the picker's ext-proc port \(--grpc-port\) are both 9002/);
  assert.match((await at("0x2", 9001)).join("\n"), /prediction server 2's port .* are both 9002/);
  assert.match((await at("010", 8995)).join("\n"), /prediction server 8's port .* are both 9002/);
  assert.match((await at("+1", 9002)).join("\n"), /prediction server 1's port .* are both 9002/);
  // until -2 is 0, -1: two servers, the second on startPort - 1 (named prediction-server-0).
  assert.match((await at(-2, 9091)).join("\n"), /prediction server 0's port \(router.latencyPredictor.predictionServers.startPort - 1\) and the picker's metrics port \(--metrics-port\) are both 9090/);
  assert.deepEqual(await at(-2, 9092), []);
});

test("inference-pool-epp: a chart release's latency-predictor config is rendered and judged", async () => {
  // The chart's predictor profile loads; a parser the values add beside it is judged as for the default config.
  assert.deepEqual(await messages(router({ latencyPredictor: { enabled: true }, epp: { parsers: ["openai-parser"] } })), []);
  assert.match((await messages(router({ latencyPredictor: { enabled: true }, epp: { parsers: ["openai-parsr"] } }))).join("\n"), /the chart's default-plugins.yaml, rendered from router.epp and router.modelServers, is one llm-d-router v0.10.0's config loader refuses or misreads: .*"openai-parsr" is not a plugin type/);
});

test("inference-pool-epp: a pool pointing at a chart release's picker Service is told that picker serves the chart's pool", async () => {
  const POOL = "kubernetes:inference.networking.k8s.io/v1:InferencePool";
  const pool = (name: string) => on(POOL, `pool-${name}`, { metadata: { name, namespace: "inference" }, spec: { selector: { matchLabels: { app: "llama" } }, targetPorts: [{ number: 8000 }], endpointPickerRef: { name: "llama-epp", port: { number: 9002 } } } });
  const other = (await messages(router({}), undefined, [pool("mine")])).join("\n");
  assert.match(other, /InferencePool inference\/mine on a: endpoint picker Service inference\/llama-epp is the one Helm release inference\/llama \(chart llm-d-router-gateway\) renders for its own picker, started for that release's InferencePool inference\/llama \(--pool-name llama --pool-namespace inference/);
  assert.doesNotMatch(other, /not in the stack/);
  assert.match((await messages(router({}), undefined, [pool("llama")])).join("\n"), /that release creates InferencePool inference\/llama itself .* whichever of the two is applied second fails/);
  assert.match((await messages(router({ inferencePool: { create: false } }), "llm-d-router-standalone", [pool("mine")])).join("\n"), /which runs standalone \(router.inferencePool.create false/);
  // A Service no release renders is still not in the stack.
  const none = (await messages(router({}), undefined, [{ ...pool("mine"), props: { ...pool("mine").props, spec: { ...(pool("mine").props as any).spec, endpointPickerRef: { name: "x-epp", port: { number: 9002 } } } } }])).join("\n");
  assert.match(none, /endpoint picker Service inference\/x-epp is not in the stack/);
});

test("inference-pool-epp: a chart release's GKE preferredBackends Services are the ones its pool and the pack's lookups name", async () => {
  const GW = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
  const gw = on(GW, "gw", { metadata: { name: "inference-gateway", namespace: "inference" }, spec: { gatewayClassName: "istio", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] } });
  const route = on("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "route", { metadata: { name: "llama", namespace: "inference" }, spec: { parentRefs: [{ name: "inference-gateway" }], rules: [{ backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: "llama" }] }] } });
  const tls = (m: string[]) => m.filter((x) => /calls the picker/.test(x));
  const pb = (more: Record<string, unknown> = {}) => router({}, { provider: { name: "istio", gke: { preferredBackends: { enabled: true, ...more } } } });
  // routerlib _inferencepool.yaml points the pool at <name>-epp-backup; the chart's istio.yaml rule is for <name>-epp only.
  const missed = tls(await messages(pb(), undefined, [gw, route]));
  assert.equal(missed.length, 1, missed.join("\n"));
  assert.match(missed[0], /calls the picker llama-epp-backup.inference.svc.cluster.local port 9002 \(provider.gke.preferredBackends.enabled points the chart's pool at llama-epp-backup, not llama-epp: routerlib _inferencepool.yaml\), which serves self-signed TLS .* but no DestinationRule applies to it there, .*; add a DestinationRule for llama-epp-backup.inference.svc.cluster.local giving port 9002 tls.mode SIMPLE with insecureSkipVerify \(the chart's own, inference\/llama-epp, is for llama-epp only\), or leave provider.gke.preferredBackends off/);
  const backupRule = on("kubernetes:networking.istio.io/v1:DestinationRule", "dr-backup", { metadata: { name: "llama-epp-backup", namespace: "inference" }, spec: { host: "llama-epp-backup.inference.svc.cluster.local", trafficPolicy: { tls: { mode: "SIMPLE", insecureSkipVerify: true } } } });
  assert.deepEqual(tls(await messages(pb(), undefined, [gw, route, backupRule])), []);
  // A hand-written pool on one of the StatefulSet's per-pod Services is told whose picker it is.
  const POOL = "kubernetes:inference.networking.k8s.io/v1:InferencePool";
  const pool = (svc: string) => on(POOL, "pool-mine", { metadata: { name: "mine", namespace: "inference" }, spec: { selector: { matchLabels: { app: "llama" } }, targetPorts: [{ number: 8000 }], endpointPickerRef: { name: svc, port: { number: 9002 } } } });
  for (const svc of ["llama-epp-backup", "llama-epp-preferred-1", "llama-epp-backup-1"]) {
    const m = (await messages(pb({ preferredReplicas: 2, defaultReplicas: "2" }), undefined, [pool(svc)])).join("\n");
    assert.match(m, new RegExp(`endpoint picker Service inference/${svc} is one of those Helm release inference/llama \\(chart llm-d-router-gateway\\) renders for its own picker \\(provider.gke.preferredBackends: one a picker pod of StatefulSet llama-epp\\), started for that release's InferencePool inference/llama`), svc);
  }
  // Without preferredBackends (or past the replicas) the chart renders no such Service.
  assert.match((await messages(router({}), undefined, [pool("llama-epp-backup")])).join("\n"), /endpoint picker Service inference\/llama-epp-backup is not in the stack/);
  assert.match((await messages(pb(), undefined, [pool("llama-epp-backup-1")])).join("\n"), /endpoint picker Service inference\/llama-epp-backup-1 is not in the stack/);
});

test("inference-pool-epp: GIE's legacy inferencepool chart (v1.5.0) is read like llm-d-router's, from inferenceExtension.*", async () => {
  const gie = (values: Record<string, unknown>) =>
    on(RELEASE, "gie", { name: "llama", namespace: "inference", chart: "oci://registry.k8s.io/gateway-api-inference-extension/charts/inferencepool", version: "v1.5.0", values: { inferencePool: { modelServers: { matchLabels: { app: "llama" } } }, ...values } });
  const of = async (values: Record<string, unknown>, more: unknown[] = []) => (await runStack(inferencePoolEpp, [gie(values), ...more] as any)).violations.map((v) => v.message);
  // epplib _service.yaml gives the Service inferenceExtension.extProcPort without a targetPort; _deployment.yaml never passes it.
  assert.deepEqual(await of({}), []);
  const moved = (await of({ inferenceExtension: { extProcPort: 9012 } })).join("\n");
  assert.match(moved, /the endpoint picker of Helm release inference\/llama \(chart inferencepool\) on a: inferenceExtension.extProcPort 9012 is the port of the chart's picker Service .*; set inferenceExtension.flags.grpc-port: 9012, or leave inferenceExtension.extProcPort at 9002/);
  assert.deepEqual(await of({ inferenceExtension: { extProcPort: 9012, flags: { "grpc-port": 9012 } } }), []);
  // inferencepool/templates/istio.yaml: the same TLS DestinationRule under provider.name istio.
  // epplib writes each flag as --<key> and then "<value>": pflag takes --secure-serving alone as true, so only a key secure-serving=false serves plaintext.
  assert.deepEqual(await of({ inferenceExtension: { flags: { "secure-serving": false } }, provider: { name: "istio" } }), []);
  assert.match((await of({ inferenceExtension: { flags: { "secure-serving=false": "" } }, provider: { name: "istio" } })).join("\n"), /inferenceExtension.flags' secure-serving=false \(rendered --secure-serving=false\) makes the picker serve ext-proc in plaintext, but provider.name istio renders DestinationRule inference\/llama-epp .*; drop that flag/);
  const GW = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
  const gw = on(GW, "gw", { metadata: { name: "inference-gateway", namespace: "inference" }, spec: { gatewayClassName: "istio", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] } });
  const viaRoute = (await of({ experimentalHttpRoute: { enabled: true, inferenceGatewayName: "inference-gateway" } }, [gw])).join("\n");
  assert.match(viaRoute, /Gateway inference\/inference-gateway \(Istio\) routes to its InferencePool inference\/llama and calls the picker llama-epp.inference.svc.cluster.local port 9002, which serves self-signed TLS \(inferenceExtension.flags.secure-serving unset or true\), but no DestinationRule applies to it there/);
  assert.deepEqual(await of({ experimentalHttpRoute: { enabled: true, inferenceGatewayName: "inference-gateway" }, provider: { name: "istio" } }, [gw]), []);
  const viaRouteFlag = (flags: Record<string, unknown>) => of({ experimentalHttpRoute: { enabled: true, inferenceGatewayName: "inference-gateway" }, inferenceExtension: { flags } }, [gw]);
  assert.match((await viaRouteFlag({ "secure-serving": "false" })).join("\n"), /calls the picker llama-epp.inference.svc.cluster.local port 9002, which serves self-signed TLS \(inferenceExtension.flags.secure-serving false does not turn it off: epplib _deployment.yaml writes --secure-serving and "false" as two arguments, and pflag takes a bool flag given alone as true/);
  assert.deepEqual(await viaRouteFlag({ "secure-serving=false": "" }), []);
  // A hand-written pool on its picker Service is told whose picker it is.
  const pool = on("kubernetes:inference.networking.k8s.io/v1:InferencePool", "pool-mine", { metadata: { name: "mine", namespace: "inference" }, spec: { selector: { matchLabels: { app: "llama" } }, targetPorts: [{ number: 8000 }], endpointPickerRef: { name: "llama-epp", port: { number: 9002 } } } });
  assert.match((await of({}, [pool])).join("\n"), /endpoint picker Service inference\/llama-epp is the one Helm release inference\/llama \(chart inferencepool\) renders for its own picker, started for that release's InferencePool inference\/llama \(--pool-name llama --pool-namespace inference, epplib _deployment.yaml\)/);
});

test("inference-pool-epp: GIE's legacy inferencepool chart's picker pod: ports from inferenceExtension.flags and its latency predictor, probes on 9003", async () => {
  const gie = (inferenceExtension: Record<string, unknown>) =>
    on(RELEASE, "gie", { name: "llama", namespace: "inference", chart: "oci://registry.k8s.io/gateway-api-inference-extension/charts/inferencepool", version: "v1.5.0", values: { inferencePool: { modelServers: { matchLabels: { app: "llama" } } }, inferenceExtension } });
  const of = async (values: Record<string, unknown>) => (await runStack(inferencePoolEpp, [gie(values)] as any)).violations.map((v) => v.message);
  assert.deepEqual(await of({ latencyPredictor: { enabled: true } }), []);
  assert.deepEqual(await of({ flags: { "metrics-port": 9091 }, latencyPredictor: { enabled: true, predictionServers: { count: 2, startPort: 8101 } } }), []);
  // epplib _latency-predictor.tpl: prediction servers from startPort, the training server on its port (8000 and 8001 by default).
  const clash = await of({ flags: { "metrics-port": 8001 }, latencyPredictor: { enabled: true } });
  assert.equal(clash.length, 1, clash.join("\n"));
  assert.match(clash[0], /^the endpoint picker of Helm release inference\/llama \(chart inferencepool\) on a: prediction server 1's port \(inferenceExtension.latencyPredictor.predictionServers.startPort \+ 0\) and the picker's metrics port \(--metrics-port\) are both 8001, in one pod: the second to start cannot bind it/);
  assert.match((await of({ latencyPredictor: { enabled: true, trainingServer: { port: 9002 } } })).join("\n"), /the latency predictor's training server port \(inferenceExtension.latencyPredictor.trainingServer.port\) and the picker's ext-proc port \(--grpc-port\) are both 9002/);
  // epplib _deployment.yaml probes gRPC health on 9003 whatever inferenceExtension.flags says.
  assert.deepEqual(await of({ flags: { "grpc-health-port": 9013 } }), [
    "the endpoint picker of Helm release inference/llama (chart inferencepool) on a: inferenceExtension.flags.grpc-health-port 9013 moves the picker's gRPC health server off 9003, but the chart's liveness and readiness probes check 9003 (epplib _deployment.yaml), so the pod is never Ready and is restarted, its Service has no endpoint, and every request to the pool fails (FailClose) or skips the picker (FailOpen); leave grpc-health-port at 9003",
  ]);
  assert.deepEqual(await of({ flags: { "grpc-health-port": 9003 } }), []);
});

test("inference-pool-epp: a chart picker behind router.proxy.proxyType agentgateway serves plaintext (routerlib passes --secure-serving false)", async () => {
  const agw = (flags?: Record<string, unknown>, top: Record<string, unknown> = {}) => router({ proxy: { proxyType: "AgentGateway" }, ...(flags ? { epp: { flags } } : {}) }, top);
  // provider.name istio's TLS rule then breaks the gateway's calls.
  const m = (await messages(agw(undefined, { provider: { name: "istio" } }))).join("\n");
  assert.match(m, /router.proxy.proxyType agentgateway \(routerlib _deployment.yaml then passes --secure-serving false unless router.epp.flags sets it\) makes the picker serve ext-proc in plaintext, but provider.name istio renders DestinationRule inference\/llama-epp .*; set router.epp.flags.secure-serving: true/);
  assert.deepEqual(await messages(agw({ "secure-serving": true }, { provider: { name: "istio" } })), []);
  // An Istio Gateway calling it in plaintext with no TLS rule is right: no alarm.
  const GW = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
  const gw = on(GW, "gw", { metadata: { name: "inference-gateway", namespace: "inference" }, spec: { gatewayClassName: "istio", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] } });
  assert.deepEqual(await messages(agw(undefined, { httpRoute: { create: true, inferenceGatewayName: "inference-gateway" } }), undefined, [gw]), []);
  assert.equal((await messages(router({}, { httpRoute: { create: true, inferenceGatewayName: "inference-gateway" } }), undefined, [gw])).length, 1);
});

test("inference-pool-epp: a chart release naming no namespace is read in its provider's default namespace", async () => {
  // pulumi-kubernetes v4.34.2 helm_release.go setDefaults: the Provider's namespace, not "default".
  const { namespace: _dropped, ...props } = release({}).props as Record<string, unknown>;
  const onInference = stackResource({ type: RELEASE, name: "a-router", props: { ...props, values: router({ epp: { extProcPort: 9012 } }) }, provider: { ...k8sProvider("a"), props: { namespace: "inference" } } });
  const moved = (await runStack(inferencePoolEpp, [onInference] as any)).violations.map((v) => v.message);
  assert.match(moved.join("\n"), /^the endpoint picker of Helm release inference\/llama \(chart llm-d-router-gateway\) on a: router.epp.extProcPort 9012/);
});

test("inference-pool-epp: router.epp.flags.grpc-health-port, rendered after the chart's --grpc-health-port (pflag: the last wins), moves the picker off the port its probes check", async () => {
  // routerlib _deployment.yaml probes router.epp.grpcHealthPort (9003 by default) and passes it as --grpc-health-port, then the flags.
  const moved = await messages(router({ epp: { flags: { "grpc-health-port": 9013 } } }));
  assert.deepEqual(moved, [
    "the endpoint picker of Helm release inference/llama (chart llm-d-router-gateway) on a: router.epp.flags.grpc-health-port 9013 moves the picker's gRPC health server off 9003, the port the chart passes it first (router.epp.grpcHealthPort) and its liveness and readiness probes check (routerlib _deployment.yaml; pflag keeps the flag's last value, the flags' own), so the pod is never Ready and is restarted, its Service has no endpoint, and every request to the pool fails (FailClose) or skips the picker (FailOpen); set router.epp.grpcHealthPort: 9013 and drop the flag",
  ]);
  assert.deepEqual(await messages(router({ epp: { grpcHealthPort: 9013, flags: { "grpc-health-port": "9013" } } })), []);
  assert.deepEqual(await messages(router({ epp: { grpcHealthPort: 9013 } })), []);
  // The flag's port is the one the picker binds: it clashes with a sidecar there, not the chart's value.
  assert.match((await messages(router({ epp: { flags: { "grpc-health-port": 8000 } }, latencyPredictor: { enabled: true } }))).join("\n"), /the latency predictor's training server port \(router.latencyPredictor.trainingServer.port\) and the picker's gRPC health port \(router.epp.flags.grpc-health-port\) are both 8000/);
});

test("inference-pool-epp: llm-d-router-standalone's Envoy proxy (its preset) speaks TLS to the picker unless secure-serving is exactly \"false\", and dials 9002", async () => {
  const standalone = (flags: Record<string, unknown>, proxy: Record<string, unknown> = {}) => router({ inferencePool: { create: false }, epp: { flags }, proxy });
  // routerlib _helpers.tpl eppSecureServing compares toString of the flag with "false"; pflag's ParseBool also reads False, 0, f.
  assert.deepEqual(await messages(standalone({ "secure-serving": false }), "llm-d-router-standalone"), []);
  assert.deepEqual(await messages(standalone({ "secure-serving": "false" }), "llm-d-router-standalone"), []);
  const odd = await messages(standalone({ "secure-serving": "False" }), "llm-d-router-standalone");
  assert.equal(odd.length, 1, odd.join("\n"));
  assert.match(odd[0], /^the endpoint picker of Helm release inference\/llama \(chart llm-d-router-standalone\) on a: router.epp.flags.secure-serving "False" makes the picker serve ext-proc in plaintext \(--secure-serving=False, which pflag reads as false\), but the chart's Envoy proxy \(router.proxy, a sidecar of the picker's pod\) still calls it over TLS \(routerlib _helpers.tpl eppSecureServing turns its TLS off only for the exact text "false"\), so the handshake fails/);
  assert.equal((await messages(standalone({ "secure-serving": 0 }), "llm-d-router-standalone")).length, 1);
  // In sidecar mode the proxy dials 127.0.0.1:9002 (routerlib _helpers.tpl proxy.extProcHost), where a grpc-port flag no longer serves.
  assert.match((await messages(standalone({ "grpc-port": 9012 }), "llm-d-router-standalone")).join("\n"), /router.epp.flags.grpc-port 9012 moves the picker's ext-proc server off 9002, but the chart's Envoy proxy \(router.proxy, a sidecar of the picker's pod\) sends its ext_proc calls to 127.0.0.1:9002/);
  // A proxy off or given a config of the values' own is not judged (agentgateway's preset: the next test); the gateway chart runs none by default.
  // A renamed configMap with a volume mounting it (the preset's mounts ConfigMap envoy: traffic-picker-release-proxy-configmap.test.ts).
  for (const proxy of [{ enabled: false }, { configMap: { name: "mine", data: { "envoy.yaml": "{}" } }, volumes: [{ name: "config", configMap: { name: "mine" } }] }]) {
    assert.deepEqual(await messages(standalone({ "secure-serving": "False", "grpc-port": 9012 }, proxy), "llm-d-router-standalone"), [], JSON.stringify(proxy));
  }
  assert.deepEqual((await messages(router({ epp: { flags: { "secure-serving": "False" } } }))).filter((m) => /Envoy proxy/.test(m)), []);
});

test("inference-pool-epp: a null router.epp.flags entry is not read as port 0 (Helm keeps it, and the chart's --<flag>=<nil> is reported)", async () => {
  // Helm v3.20.2 keeps the null (no chart default under router.epp.flags): traffic-picker-release.test.ts has its verdict.
  const nulled = await messages(router({ epp: { flags: { "grpc-port": null, "metrics-port": null } } }));
  assert.equal(nulled.length, 1, nulled.join("\n"));
  assert.match(nulled[0], /router.epp.flags.grpc-port is null, .*"--grpc-port=<nil>"/);
  // The picker rendered --grpc-port=<nil> serves no port at all (pflag stops it at start): no port verdict beside that one.
  const moved = await messages(router({ epp: { extProcPort: 9012, flags: { "grpc-port": null } } }));
  assert.equal(moved.length, 1, moved.join("\n"));
  assert.match(moved[0], /router.epp.flags.grpc-port is null, .*"--grpc-port=<nil>"/);
});

test("inference-pool-epp: llm-d-router-standalone's proxy in service mode, its agentgateway preset, and the Envoy sidecar's admin port", async () => {
  const standalone = (r: Record<string, unknown>) => messages(router({ inferencePool: { create: false }, ...r }), "llm-d-router-standalone");
  // Service mode: the Envoy preset dials <release>-epp.<ns>.svc:9002 (a literal), the Service serves router.epp.extProcPort.
  const svc = await standalone({ proxy: { mode: "service" }, epp: { extProcPort: 9012, flags: { "grpc-port": 9012 } } });
  assert.equal(svc.length, 1, svc.join("\n"));
  assert.match(svc[0], /router.epp.extProcPort 9012 is the port of the picker Service, but the chart's Envoy proxy \(router.proxy, a Deployment of its own\) sends its ext_proc calls to llama-epp.inference.svc.cluster.local:9002 \(the chart's envoy preset\)/);
  // The agentgateway preset dials <host>:router.epp.extProcPort in plaintext; the picker serves --grpc-port.
  const agw = await standalone({ proxy: { proxyType: "agentgateway" }, epp: { flags: { "grpc-port": 9012 } } });
  assert.equal(agw.length, 1, agw.join("\n"));
  assert.match(agw[0], /router.epp.flags.grpc-port 9012 moves the picker's ext-proc server off 9002, but the chart's agentgateway proxy \(router.proxy, a sidecar of the picker's pod\) calls its endpoint picker at 127.0.0.1:9002 \(router.epp.extProcPort, the chart's agentgateway preset\)/);
  assert.deepEqual(await standalone({ proxy: { proxyType: "agentgateway", mode: "service" }, epp: { extProcPort: 9012, flags: { "grpc-port": 9012 } } }), []);
  // Sidecar mode: Envoy's admin (127.0.0.1:19000), readiness (19001) and listener (8081) ports share the picker's pod.
  const admin = await standalone({ epp: { flags: { "metrics-port": 19000 } } });
  assert.equal(admin.length, 1, admin.join("\n"));
  assert.match(admin[0], /the picker's metrics port \(--metrics-port\) and the Envoy proxy's admin port \(its envoy preset's admin, 127.0.0.1:19000\) are both 19000, in one pod|the Envoy proxy's admin port \(its envoy preset's admin, 127.0.0.1:19000\) and the picker's metrics port \(--metrics-port\) are both 19000, in one pod/);
  assert.deepEqual(await standalone({ proxy: { mode: "service" }, epp: { flags: { "metrics-port": 19000 } } }), []);
});

test("inference-pool-epp: llm-d-router-standalone's agentgateway preset binds its listener, stats and readiness ports in the picker's pod", async () => {
  // routerlib v0.10.0 _helpers.tpl proxy.agentgatewayConfig: binds router.extraServicePorts' port named http (8081 in
  // llm-d-router-standalone/values.yaml), config.statsAddr 0.0.0.0:15020 and config.readinessAddr 0.0.0.0:15021.
  const agw = (r: Record<string, unknown>, proxy: Record<string, unknown> = {}) => messages(router({ inferencePool: { create: false }, proxy: { proxyType: "agentgateway", ...proxy }, ...r }), "llm-d-router-standalone");
  const stats = await agw({ epp: { flags: { "metrics-port": 15020 } } });
  assert.equal(stats.length, 1, stats.join("\n"));
  assert.match(stats[0], /^the endpoint picker of Helm release inference\/llama \(chart llm-d-router-standalone\) on a: the agentgateway proxy's stats port \(its agentgateway preset's config.statsAddr, 0.0.0.0:15020\) and the picker's metrics port \(--metrics-port\) are both 15020, in one pod/);
  assert.match((await agw({ epp: { grpcHealthPort: 15021 } })).join("\n"), /the agentgateway proxy's readiness port \(its agentgateway preset's config.readinessAddr, 0.0.0.0:15021\) and the picker's gRPC health port \(router.epp.grpcHealthPort\) are both 15021/);
  assert.match((await agw({ tokenizer: { enabled: true, port: 8081 } })).join("\n"), /the agentgateway proxy's listener port \(router.extraServicePorts' port named http, its agentgateway preset's bind\) and the vllm-render tokenizer's port \(router.tokenizer.port\) are both 8081/);
  // The listener follows the values' http Service port (Helm replaces the chart's list): 9090 is the picker's metrics port.
  assert.match((await agw({ extraServicePorts: [{ name: "http", port: 9090 }] })).join("\n"), /the agentgateway proxy's listener port .* and the picker's metrics port \(--metrics-port\) are both 9090/);
  assert.deepEqual(await agw({ extraServicePorts: [{ name: "http", port: 8000 }] }), []);
  // In service mode the proxy runs in a pod of its own.
  assert.deepEqual(await agw({ epp: { flags: { "metrics-port": 15020 } } }, { mode: "service" }), []);
});

// The gateway's pod labels are those of its kind's template (Istio 1.30.3 kube-gateway.yaml:
// `service.istio.io/canonical-name` `<name>-<class>`), so a rule selecting them applies to it.
test("inference-pool-epp: a workloadSelector rule for a chart picker is matched against the calling Gateway's rendered pod labels", async () => {
  const GW = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
  const gw = on(GW, "gw", { metadata: { name: "inference-gateway", namespace: "inference" }, spec: { gatewayClassName: "istio", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] } });
  const route = on("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "route", { metadata: { name: "llama", namespace: "inference" }, spec: { parentRefs: [{ name: "inference-gateway" }], rules: [{ backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: "llama" }] }] } });
  const rule = (name: string) =>
    on("kubernetes:networking.istio.io/v1:DestinationRule", "dr", { metadata: { name: "llama-epp", namespace: "inference" }, spec: { host: "llama-epp.inference.svc.cluster.local", workloadSelector: { matchLabels: { "service.istio.io/canonical-name": name } }, trafficPolicy: { tls: { mode: "SIMPLE", insecureSkipVerify: true } } } });
  const tls = async (r: ReturnType<typeof on>) => (await messages(router({}), undefined, [gw, route, r])).filter((x) => /calls the picker/.test(x));
  assert.deepEqual(await tls(rule("inference-gateway-istio")), []);
  assert.equal((await tls(rule("inference-gateway"))).length, 1);
});
