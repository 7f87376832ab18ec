/**
 * inference-pool-epp on the protocol of the picker's Service port. Istio 1.30.3 calls the picker as
 * an Envoy gRPC service on that port's outbound cluster (networking/core/route/route.go), and a
 * gateway's cluster is HTTP/2 only for a port of protocol HTTP2, GRPC or GRPC-Web
 * (pkg/config/kube/conversion.go ConvertProtocol: appProtocol, else the name's prefix;
 * cluster_builder.go setUpstreamProtocol) or one a DestinationRule or the mesh upgrades
 * (cluster_traffic_policy.go shouldH2Upgrade); otherwise the call is HTTP/1.1, which the picker's
 * grpc-go server refuses. Before, a picker Service port renamed without grpc- passed.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { clusterInferenceManifests } from "../../components/inference";
import { runStack, UNKNOWN } from "../support/policy";
import { spec } from "../inference/support";
import { on } from "./traffic-support";
import { REL } from "./mesh-support";

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: any };

/** aws-use1's inference objects with qwen3-32b-v1's picker Service port and DestinationRule edited (and each object by `edit`), and `extra` beside them. */
function run(port: (p: Record<string, any>) => void, rule: (trafficPolicy: Record<string, any>) => void = () => {}, extra: unknown[] = [], edit: (o: Obj) => void = () => {}) {
  const objects = JSON.parse(JSON.stringify(clusterInferenceManifests(spec("prod"), "aws-use1"))) as Obj[];
  objects.forEach(edit);
  const named = (kind: string) => objects.find((o) => o.kind === kind && o.metadata.name === "qwen3-32b-v1-epp")!;
  port(named("Service").spec.ports[0]);
  rule(named("DestinationRule").spec.trafficPolicy);
  const resources = objects.map((o) => {
    const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["core", o.apiVersion];
    return on(`kubernetes:${group}/${version}:${o.kind}`, `${o.kind}-${o.metadata.name}`, o);
  });
  return runStack(inferencePoolEpp, [...resources, ...extra] as any);
}
const review = async (...args: Parameters<typeof run>) => (await run(...args)).violations.map((v) => v.message);
const rename = (name: string | undefined, appProtocol?: string) => (p: Record<string, any>) => {
  if (name === undefined) delete p.name;
  else p.name = name;
  if (appProtocol === undefined) delete p.appProtocol;
  else p.appProtocol = appProtocol;
};
const istiod = (meshConfig: unknown) => on(REL, "istiod", { chart: "istiod", namespace: "istio-system", values: { profile: "ambient", meshConfig, env: { ENABLE_GATEWAY_API_INFERENCE_EXTENSION: "true" } } });

test("inference-pool-epp: a picker Service port Istio takes as HTTP/2 or gRPC passes", async () => {
  for (const [name, appProtocol] of [
    ["grpc-ext-proc", "kubernetes.io/h2c"], // as rendered
    ["grpc-ext-proc", undefined],
    ["GRPC-ext-proc", undefined],
    ["grpc", undefined],
    ["http2-ext-proc", undefined],
    ["ext-proc", "grpc"],
    ["ext-proc", "http2"],
    [undefined, "kubernetes.io/h2c"],
  ]) {
    assert.deepEqual(await review(rename(name, appProtocol)), [], `${name} ${appProtocol}`);
  }
});

test("inference-pool-epp: a picker Service port Istio does not take as HTTP/2 fails, unless a DestinationRule or the mesh upgrades it", async () => {
  const unnamed = await review(rename("ext-proc"));
  assert.deepEqual(unnamed, [
    `InferencePool inference/qwen3-32b-v1 on a: for Gateway inference/inference-gateway, the picker qwen3-32b-v1-epp.inference.svc.cluster.local: Service port 9002 is protocol Unsupported to Istio (from its name "ext-proc"), so the gateway's ext_proc gRPC calls to the picker go out over HTTP/1.1 and its gRPC server refuses them; give the port appProtocol kubernetes.io/h2c (or grpc), or a name starting grpc- or http2-`,
  ]);
  // appProtocol wins over the name.
  assert.match((await review(rename("grpc-ext-proc", "http"))).join("\n"), /Service port 9002 is protocol HTTP to Istio \(from its appProtocol "http"\)/);
  assert.match((await review(rename(undefined))).join("\n"), /Service port 9002 is protocol Unsupported to Istio \(it has no name or appProtocol\)/);
  assert.match((await review(rename("tcp-ext-proc"))).join("\n"), /is protocol TCP to Istio/);
  // A DestinationRule's h2UpgradePolicy UPGRADE makes the cluster HTTP/2 whatever the port's protocol...
  const upgrade = (tp: Record<string, any>) => (tp.connectionPool = { http: { h2UpgradePolicy: "UPGRADE" } });
  assert.deepEqual(await review(rename("ext-proc"), upgrade), []);
  // ...but not with useClientProtocol, nor from the rule-wide policy when a portLevelSettings entry for the port replaces it.
  assert.equal((await review(rename("ext-proc"), (tp) => (tp.connectionPool = { http: { h2UpgradePolicy: "UPGRADE", useClientProtocol: true } }))).length, 1);
  assert.equal((await review(rename("ext-proc"), (tp) => (upgrade(tp), (tp.portLevelSettings = [{ port: { number: 9002 }, tls: tp.tls }])))).length, 1);
  // The mesh-wide UPGRADE reaches HTTP ports only, and a rule's DO_NOT_UPGRADE overrides it.
  const mesh = [istiod({ h2UpgradePolicy: "UPGRADE" })];
  assert.deepEqual(await review(rename("http-ext-proc"), () => {}, mesh), []);
  assert.equal((await review(rename("ext-proc"), () => {}, mesh)).length, 1);
  assert.equal((await review(rename("http-ext-proc"), (tp) => (tp.connectionPool = { http: { h2UpgradePolicy: "DO_NOT_UPGRADE" } }), mesh)).length, 1);
  assert.equal((await review(rename("http-ext-proc"), () => {}, [istiod({ h2UpgradePolicy: "DO_NOT_UPGRADE" })])).length, 1);
  // A mesh setting not known yet is can't judge, not a verdict.
  const later = await run(rename("http-ext-proc"), () => {}, [istiod({ h2UpgradePolicy: UNKNOWN })]);
  assert.deepEqual(later.violations, []);
  assert.match(later.unknown.join("\n"), /meshConfig\.h2UpgradePolicy of an istiod not known yet/);
});

test("inference-pool-epp: a pool that only a gateway of another implementation routes to is not held to Istio's picker protocol", async () => {
  // Routes to the pool exist, but on an agentgateway Gateway: no Istio gateway calls the picker, so
  // how Istio would read its port does not matter. Before: a gateway in the pool's namespace was
  // assumed (the fallback meant for a pool no route reaches) and the port was reported.
  const byAgentgateway = (o: Obj) => {
    if (o.kind === "Gateway") o.spec.gatewayClassName = "agentgateway";
  };
  const objects = JSON.parse(JSON.stringify(clusterInferenceManifests(spec("prod"), "aws-use1"))) as Obj[];
  assert.ok(objects.some((o) => o.kind === "Gateway") && objects.some((o) => o.kind === "HTTPRoute"), "the fixture renders the inference Gateway and its route");
  const messages = (await run(rename("ext-proc"), () => {}, [], byAgentgateway)).violations.map((v) => v.message);
  assert.deepEqual(messages.filter((m) => m.includes("qwen3-32b-v1-epp")), []);
});
