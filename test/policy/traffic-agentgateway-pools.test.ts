/**
 * inference-pool-epp on agentgateway's `inferenceExtension.enabled`. agentgateway v1.4.1's
 * controller watches InferencePools only with it (chart deployment.yaml AGW_ENABLE_INFER_EXT;
 * controller/pkg/agentgateway/plugins/collection.go keeps a static empty collection otherwise), so
 * an InferencePool backendRef on one of its Gateways is "not found" (reference_indexes.go). Before,
 * a fork that moved the inference Gateway to class agentgateway, with the program's agentgateway
 * release, reviewed clean.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { goTruthy } from "../../policy/lib/values";
import { controllerValues } from "../../components/agents/install";
import { runStack, UNKNOWN } from "../support/policy";
import { spec } from "../inference/support";
import { on, prodInference } from "./traffic-support";
import { REL } from "./mesh-support";

const prod = spec("prod");
const cluster = prod.clusters.find((c) => c.name === "aws-use1")!;

const inference = (cls: string) => prodInference((o) => (o.find((x) => x.kind === "Gateway")!.spec.gatewayClassName = cls));
/** The program's agentgateway release for aws-use1, its values edited by `edit`. */
function agw(edit: (v: Record<string, any>) => void = () => {}) {
  const v = JSON.parse(JSON.stringify(controllerValues(prod, cluster)));
  edit(v);
  return on(REL, "agentgateway", { chart: "oci://cr.agentgateway.dev/charts/agentgateway", namespace: "agentgateway-system", values: v });
}
const review = (resources: unknown[]) => runStack(inferencePoolEpp, resources as any);
const messages = async (resources: unknown[]) => (await review(resources)).violations.map((v) => v.message);

test("inference-pool-epp: an agentgateway Gateway routing to an InferencePool needs the controller's inferenceExtension.enabled", async () => {
  const got = await messages([...inference("agentgateway"), agw()]);
  assert.deepEqual(got, [
    'cluster a: agentgateway release a-agentgateway leaves inferenceExtension.enabled unset (false by default), while HTTPRoute inference/llama-3-1-8b on Gateway inference/inference-gateway (class agentgateway) sends to InferencePool inference/llama-3-1-8b-v2: agentgateway v1.4.1\'s controller then watches no InferencePool, so that backendRef is "not found" and each request the route sends there fails; set inferenceExtension.enabled: true',
  ]);
  assert.equal((await review([...inference("agentgateway"), agw()])).violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:helm.sh/v3:Release::a-agentgateway");
  const off = await messages([...inference("agentgateway"), agw((v) => (v.inferenceExtension = { enabled: false }))]);
  assert.match(off.join("\n"), /sets inferenceExtension\.enabled to false, while/);
  // A class the chart renames, or a GatewayClass of agentgateway's controller, is held to it too.
  assert.equal((await messages([...inference("ai"), agw((v) => (v.gatewayClassName = "ai"))])).length, 1);
  const cls = on("kubernetes:gateway.networking.k8s.io/v1:GatewayClass", "class", { metadata: { name: "edge" }, spec: { controllerName: "agentgateway.dev/agentgateway" } });
  assert.equal((await messages([...inference("edge"), cls, agw()])).length, 1);
});

test("inference-pool-epp: inferenceExtension is not required where no agentgateway Gateway routes to a pool, and passes when set", async () => {
  for (const on of [true, "true", "false", 1]) assert.deepEqual(await messages([...inference("agentgateway"), agw((v) => (v.inferenceExtension = { enabled: on }))]), [], String(on));
  // The program's own shape: the inference Gateway is Istio's; agentgateway serves agents only.
  assert.deepEqual(await messages([...inference("istio"), agw()]), []);
  // Istio's experimental agentgateway class is Istio's controller, not this release's.
  assert.deepEqual(await messages([...inference("istio-agentgateway"), agw()]), []);
  // No release in the stack: the controller is installed elsewhere and not judged.
  assert.deepEqual(await messages(inference("agentgateway")), []);
  const later = await review([...inference("agentgateway"), agw((v) => (v.inferenceExtension = { enabled: UNKNOWN }))]);
  assert.deepEqual(later.violations, []);
  assert.match(later.unknown.join("\n"), /the inferenceExtension\.enabled value of Helm release a-agentgateway on cluster a/);
  assert.deepEqual([goTruthy(""), goTruthy(0), goTruthy({}), goTruthy("no"), goTruthy([1]), goTruthy(NaN)], [false, false, false, true, true, true]);
});

test("inference-pool-epp: a TCPRoute or TLSRoute to an InferencePool on an agentgateway Gateway needs inferenceExtension.enabled as an HTTPRoute does", async () => {
  // agentgateway v1.4.1 resolves a stream route's backendRefs as an HTTPRoute's (translator/conversion.go buildAgwTCPDestination,
  // buildAgwTLSDestination → buildAgwDestination → plugins/reference_indexes.go RouteBackend): without the pool informer, "not found".
  const GW = "gateway.networking.k8s.io";
  const gateway = on(`kubernetes:${GW}/v1:Gateway`, "stream-gw", {
    metadata: { name: "stream", namespace: "inference" },
    spec: { gatewayClassName: "agentgateway", listeners: [{ name: "tcp", port: 9000, protocol: "TCP" }, { name: "tls", port: 9443, protocol: "TLS", tls: { mode: "Passthrough" } }] },
  });
  const pool = on("kubernetes:inference.networking.k8s.io/v1:InferencePool", "stream-pool", {
    metadata: { name: "llama-3-1-8b-v1", namespace: "inference" },
    spec: { selector: { matchLabels: { app: "x" } }, targetPorts: [{ number: 8000 }], endpointPickerRef: { name: "x-epp", port: { number: 9002 } } },
  });
  const route = (kind: string, section: string) =>
    on(`kubernetes:${GW}/v1:${kind}`, `stream-${kind}`, { metadata: { name: "raw", namespace: "inference" }, spec: { parentRefs: [{ name: "stream", sectionName: section }], rules: [{ backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: "llama-3-1-8b-v1", port: 8000 }] }] } });
  const aboutRelease = (got: string[]) => got.filter((m) => m.startsWith("cluster a: agentgateway release"));
  for (const [kind, section] of [["TCPRoute", "tcp"], ["TLSRoute", "tls"]] as const) {
    const got = aboutRelease(await messages([gateway, pool, route(kind, section), agw()]));
    assert.deepEqual(got, [
      `cluster a: agentgateway release a-agentgateway leaves inferenceExtension.enabled unset (false by default), while ${kind} inference/raw on Gateway inference/stream (class agentgateway) sends to InferencePool inference/llama-3-1-8b-v1: agentgateway v1.4.1's controller then watches no InferencePool, so that backendRef is "not found" and each connection the route sends there fails; set inferenceExtension.enabled: true`,
    ], kind);
    assert.deepEqual(aboutRelease(await messages([gateway, pool, route(kind, section), agw((v) => (v.inferenceExtension = { enabled: true }))])), [], `${kind}, enabled`);
  }
  // A listener that does not take the route's kind (a TLSRoute on the TCP listener) serves nothing: not judged here.
  assert.deepEqual(aboutRelease(await messages([gateway, pool, route("TLSRoute", "tcp"), agw()])), []);
});
