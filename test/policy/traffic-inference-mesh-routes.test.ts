/**
 * inference-pool-epp on mesh (GAMMA) routes to an InferencePool: an HTTPRoute whose parentRef is a
 * Service (group "") is converted by Istio 1.30.3 with the same backends as a Gateway's
 * (route_collections.go HTTPRouteCollection, conversion.go buildDestination), so without
 * ENABLE_GATEWAY_API_INFERENCE_EXTENSION its pool backend is refused ("InferencePool is not
 * enabled") there too. Before, only routes on Gateways were judged and such a route passed. The
 * istiod held to it is the one owning the Service's waypoint, where the stack renders it.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { istiodValues } from "../../components/mesh/istio";
import { runStack } from "../support/policy";
import { spec } from "../inference/support";
import { GW, on, prodInference, ROUTE } from "./traffic-support";
import { REL } from "./mesh-support";

const FLAG = "ENABLE_GATEWAY_API_INFERENCE_EXTENSION";
const prod = spec("prod");
const cluster = prod.clusters.find((c) => c.name === "aws-use1")!;

/** The objects without their HTTPRoutes: each test adds the mesh route it judges. */
const inference = () => prodInference((o) => o.splice(0, o.length, ...o.filter((x) => x.kind !== "HTTPRoute")));
const pool = () => inference().find((r) => r.type.endsWith(":InferencePool"))!.props.metadata.name as string;

const meshRoute = (parent: Record<string, unknown>) =>
  on(ROUTE, "mesh-route", {
    metadata: { name: "llm-mesh", namespace: "inference" },
    spec: { parentRefs: [parent], rules: [{ backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: pool() }] }] },
  });
const service = (labels: Record<string, string> = {}) => on("kubernetes:core/v1:Service", "svc-llm", { metadata: { name: "llm", namespace: "inference", labels }, spec: { ports: [{ port: 80 }] } });
const waypoint = (labels: Record<string, string> = {}) =>
  on(GW, "waypoint", { metadata: { name: "waypoint", namespace: "inference", labels }, spec: { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] } });

function istiod(name: string, edit: (v: Record<string, any>) => void = () => {}) {
  const v = JSON.parse(JSON.stringify(istiodValues(prod, cluster)));
  edit(v);
  return on(REL, name, { chart: "istiod", name, namespace: "istio-system", values: v });
}
const noFlag = (v: Record<string, any>) => delete v.env[FLAG];
const base = on(REL, "istio-base", { chart: "base", namespace: "istio-system", values: {} });
const all = async (resources: unknown[]) => (await runStack(inferencePoolEpp, resources as any)).violations.map((v) => v.message);
const BYPASS = "past the picker";
/** The verdicts on istiod's flags: the picker bypass every mesh route to a pool earns is the last test's. */
const messages = async (resources: unknown[]) => (await all(resources)).filter((m) => !m.includes(BYPASS));

test("inference-pool-epp: a mesh route of a Service to an InferencePool needs the inference flag on istiod", async () => {
  const parent = { group: "", kind: "Service", name: "llm", port: 80 };
  const got = await messages([...inference(), service(), meshRoute(parent), base, istiod("istiod", noFlag)]);
  assert.deepEqual(got, [
    `cluster a: istiod release a-istiod leaves env.${FLAG} unset (false by default), while mesh HTTPRoute inference/llm-mesh on Service inference/llm sends to InferencePool inference/${pool()}: istiod then refuses every InferencePool backendRef ("InferencePool is not enabled") and each request those routes send to a pool gets a 500; set env.${FLAG}: "true"`,
  ]);
  assert.deepEqual(await messages([...inference(), service(), meshRoute(parent), base, istiod("istiod")]), []);
  // A parentRef {kind: Service} without group "" names gateway.networking.k8s.io's Service, which is no mesh parent.
  assert.deepEqual(await messages([...inference(), service(), meshRoute({ kind: "Service", name: "llm" }), base, istiod("istiod", noFlag)]), []);
});

test("inference-pool-epp: a mesh route is held to the istiod owning its Service's waypoint", async () => {
  const parent = { group: "", kind: "Service", name: "llm" };
  const canaryWaypoint = [service({ "istio.io/use-waypoint": "waypoint" }), waypoint({ "istio.io/rev": "canary" }), meshRoute(parent)];
  const canaryOff = [base, istiod("istiod"), istiod("istiod-canary", (v) => ((v.revision = "canary"), noFlag(v)))];
  const got = await messages([...inference(), ...canaryWaypoint, ...canaryOff]);
  assert.equal(got.length, 1, got.join("\n"));
  assert.ok(got[0].startsWith(`cluster a: istiod release a-istiod-canary leaves env.${FLAG} unset`), got[0]);
  assert.match(got[0], /on Service inference\/llm \(waypoint inference\/waypoint\) sends to/);
  const defaultOff = [base, istiod("istiod", noFlag), istiod("istiod-canary", (v) => (v.revision = "canary"))];
  assert.deepEqual(await messages([...inference(), ...canaryWaypoint, ...defaultOff]), []);
});

// Istio 1.30.3 adds the ext_proc filter only to a Gateway's proxy with an InferencePool
// (networking/core/listener_builder.go: `if !httpOpts.isWaypoint`, then the gateway-name label):
// a waypoint or sidecar serving a mesh route never calls the picker. Before, the route passed,
// and the picker's DestinationRule was looked up as if a gateway in the pool's namespace called it.
test("inference-pool-epp: a mesh route to an InferencePool bypasses its picker, and no DestinationRule is looked up for it", async () => {
  const parent = { group: "", kind: "Service", name: "llm" };
  const stack = [...inference(), service({ "istio.io/use-waypoint": "waypoint" }), waypoint(), meshRoute(parent), base, istiod("istiod")];
  assert.deepEqual(await all(stack), [
    `InferencePool inference/${pool()} on a: mesh HTTPRoute inference/llm-mesh (on Service inference/llm) sends to it, but Istio 1.30.3 calls a pool's endpoint picker only from a Gateway's proxy (waypoints and sidecars get no ext_proc filter), so those requests reach the model servers by plain load balancing, past the picker and its objectives; route them through an Istio Gateway`,
  ]);
  // The picker's DestinationRule removed: nothing calls the picker, so nothing is missing.
  const noRule = stack.filter((r) => !(r.type.endsWith(":DestinationRule") && r.props.metadata.name === `${pool()}-epp`));
  assert.equal(noRule.length, stack.length - 1);
  assert.deepEqual((await all(noRule)).filter((m) => !m.includes(BYPASS) && m.includes(`InferencePool inference/${pool()} `)), []);
});
