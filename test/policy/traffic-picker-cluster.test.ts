/**
 * inference-pool-epp: what a DestinationRule does to the gateway's cluster for the
 * endpoint picker. Istio 1.30.3 builds `loadBalancer.simple: PASSTHROUGH` as an ORIGINAL_DST cluster
 * (networking/core/cluster_traffic_policy.go applyLoadBalancer) with no original_dst_lb_config
 * (cluster_builder.go), whose host Envoy takes from the downstream connection's restored local
 * address or a filter state it is handed (original_dst_cluster.cc chooseHost): the gateway's ext_proc
 * stream is an async client call with neither (async_client_impl.h connection() is empty; ext_proc's
 * client_impl.cc passes no filter state), so every call to the picker finds no host.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { runStack } from "../support/policy";
import { on, pickedPool } from "./traffic-support";

const eppLabels = { "app.kubernetes.io/instance": "llama-v1-epp" };
const fqdn = "llama-v1-epp.inference.svc.cluster.local";
const skipVerify = { mode: "SIMPLE", insecureSkipVerify: true };

/** A pool, its model server and its picker (9002 ext-proc), `args` the picker's flags, `rule` its DestinationRule's spec. */
const stack = (rule: Record<string, unknown>, args: string[] = []) => [
  ...pickedPool(["--pool-name", "llama-v1", "--pool-namespace", "inference", ...args]),
  on("kubernetes:networking.istio.io/v1:DestinationRule", "epp-dr", { metadata: { name: "llama-v1-epp", namespace: "inference" }, spec: { host: fqdn, ...rule } }),
];

const verdicts = async (rule: Record<string, unknown>, args?: string[]) => (await runStack(inferencePoolEpp, stack(rule, args))).violations.map((v) => v.message);

test("inference-pool-epp: a picker DestinationRule's loadBalancer PASSTHROUGH leaves the gateway's ext_proc calls no host", async () => {
  const passthrough = await verdicts({ trafficPolicy: { tls: skipVerify, loadBalancer: { simple: "PASSTHROUGH" } } });
  assert.equal(passthrough.length, 1, passthrough.join("\n"));
  assert.match(
    passthrough[0],
    /^InferencePool inference\/llama-v1 on a: for a gateway in inference, the picker llama-v1-epp\.inference\.svc\.cluster\.local: DestinationRule inference\/llama-v1-epp gives port 9002 loadBalancer\.simple PASSTHROUGH, .*ORIGINAL_DST.*no downstream connection.*failureMode/,
  );
  // A port-level entry for the picker's port sets it there, and replaces the rule-wide one.
  const portLevel = await verdicts({ trafficPolicy: { tls: skipVerify, portLevelSettings: [{ port: { number: 9002 }, tls: skipVerify, loadBalancer: { simple: "PASSTHROUGH" } }] } });
  assert.match(portLevel.join("\n"), /gives port 9002 loadBalancer\.simple PASSTHROUGH \(its portLevelSettings entry for the port\)/);
  assert.deepEqual(await verdicts({ trafficPolicy: { tls: skipVerify, loadBalancer: { simple: "PASSTHROUGH" }, portLevelSettings: [{ port: { number: 9002 }, tls: skipVerify }] } }), []);
  assert.deepEqual(await verdicts({ trafficPolicy: { tls: skipVerify, portLevelSettings: [{ port: { number: 9090 }, loadBalancer: { simple: "PASSTHROUGH" } }] } }), []);
  // A plaintext picker (no TLS rule needed) is broken by it all the same.
  const plaintext = await verdicts({ trafficPolicy: { loadBalancer: { simple: "PASSTHROUGH" } } }, ["--secure-serving=false"]);
  assert.equal(plaintext.length, 1, plaintext.join("\n"));
  assert.match(plaintext[0], /loadBalancer\.simple PASSTHROUGH/);
});

test("inference-pool-epp: other load balancing, and a subset's PASSTHROUGH, leave the picker reachable", async () => {
  // ROUND_ROBIN, LEAST_REQUEST and RANDOM pick among the EDS endpoints; a consistent hash without a
  // hash key (the async call has no hash policy) picks at random; the ext_proc call uses the
  // subset-less cluster (route.go BuildSubsetKey with no subset), so a subset's policy never reaches it.
  for (const loadBalancer of [{ simple: "ROUND_ROBIN" }, { simple: "LEAST_REQUEST" }, { simple: "RANDOM" }, { consistentHash: { httpHeaderName: "x-user" } }]) {
    assert.deepEqual(await verdicts({ trafficPolicy: { tls: skipVerify, loadBalancer } }), [], JSON.stringify(loadBalancer));
  }
  assert.deepEqual(await verdicts({ trafficPolicy: { tls: skipVerify }, subsets: [{ name: "direct", labels: eppLabels, trafficPolicy: { loadBalancer: { simple: "PASSTHROUGH" } } }] }), []);
});

// Istio 1.30.3 wraps the cluster's transport socket in Envoy's upstream PROXY protocol one for a
// trafficPolicy.proxyProtocol (cluster_traffic_policy.go applyUpstreamProxyProtocol), so each
// connection to the picker opens with a PROXY header; llm-d-router v0.10.0's picker serves ext-proc
// on a plain TCP listener (internal/runnable/grpc.go, pkg/epp/server/runserver.go), where that header
// is neither a TLS ClientHello nor the HTTP/2 preface.
test("inference-pool-epp: a picker DestinationRule's proxyProtocol opens every connection to the picker with a header it cannot read", async () => {
  for (const proxyProtocol of [{ version: "V1" }, { version: "V2" }, {}]) {
    const found = await verdicts({ trafficPolicy: { tls: skipVerify, proxyProtocol } });
    assert.equal(found.length, 1, found.join("\n"));
    assert.match(found[0], /^InferencePool inference\/llama-v1 on a: for a gateway in inference, the picker llama-v1-epp\.inference\.svc\.cluster\.local: DestinationRule inference\/llama-v1-epp sets trafficPolicy\.proxyProtocol \(V[12]\), .*PROXY V[12] header/);
  }
  const plaintext = await verdicts({ trafficPolicy: { proxyProtocol: { version: "V2" } } }, ["--secure-serving=false"]);
  assert.equal(plaintext.length, 1, plaintext.join("\n"));
  assert.match(plaintext[0], /proxyProtocol/);
  // A port-level entry for the picker's port replaces the policy, and carries no proxyProtocol (GetPortLevelTrafficPolicy).
  assert.deepEqual(await verdicts({ trafficPolicy: { proxyProtocol: { version: "V1" }, portLevelSettings: [{ port: { number: 9002 }, tls: skipVerify }] } }), []);
});

// A picker llm-d-router's llm-d-router-gateway chart renders is reached through the same cluster:
// a stack rule giving it PASSTHROUGH breaks it, whether the picker serves TLS or plaintext.
test("inference-pool-epp: a chart release's picker is judged for the same DestinationRule settings", async () => {
  const release = (values: Record<string, unknown>) =>
    on("kubernetes:helm.sh/v3:Release", "router", { name: "llama", namespace: "inference", chart: "oci://ghcr.io/llm-d/charts/llm-d-router-gateway", version: "v0.10.0", values: { router: { modelServers: { matchLabels: { app: "llama" } }, ...values } } });
  const gw = on("kubernetes:gateway.networking.k8s.io/v1:Gateway", "gw", { metadata: { name: "inference-gateway", namespace: "inference" }, spec: { gatewayClassName: "istio", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] } });
  const route = on("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "route", { metadata: { name: "llama", namespace: "inference" }, spec: { parentRefs: [{ name: "inference-gateway" }], rules: [{ backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: "llama" }] }] } });
  const rule = (trafficPolicy: Record<string, unknown>) => on("kubernetes:networking.istio.io/v1:DestinationRule", "dr", { metadata: { name: "llama-epp", namespace: "inference" }, spec: { host: "llama-epp", trafficPolicy } });
  const of = async (values: Record<string, unknown>, policy: Record<string, unknown>) =>
    (await runStack(inferencePoolEpp, [release(values), gw, route, rule(policy)] as any)).violations.map((v) => v.message).filter((m) => /loadBalancer|proxyProtocol/.test(m));
  const tls = await of({}, { tls: skipVerify, loadBalancer: { simple: "PASSTHROUGH" } });
  assert.equal(tls.length, 1, tls.join("\n"));
  assert.match(tls[0], /^the endpoint picker of Helm release inference\/llama \(chart llm-d-router-gateway\) on a: for Gateway inference\/inference-gateway, the picker llama-epp\.inference\.svc\.cluster\.local: DestinationRule inference\/llama-epp gives port 9002 loadBalancer\.simple PASSTHROUGH/);
  const plain = await of({ epp: { flags: { "secure-serving": false } } }, { proxyProtocol: { version: "V1" } });
  assert.match(plain.join("\n"), /DestinationRule inference\/llama-epp sets trafficPolicy\.proxyProtocol \(V1\)/);
  assert.deepEqual(await of({}, { tls: skipVerify, loadBalancer: { simple: "LEAST_REQUEST" } }), []);
});
