/**
 * inference-pool-epp on istiod's ENABLE_GATEWAY_API_INFERENCE_EXTENSION. Istio 1.30.3 reads it
 * false by default with strconv.ParseBool (pilot/pkg/features/experimental.go, pkg/env BoolVar)
 * and, without it, refuses every InferencePool backendRef ("InferencePool is not enabled",
 * pilot/pkg/config/kube/gateway/conversion.go). Before, prod with the flag removed from istiod's
 * values reviewed clean. Judged on one prod cluster's inference objects and istiod as the program
 * renders them.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { istiodValues } from "../../components/mesh/istio";
import { runStack, UNKNOWN } from "../support/policy";
import { spec } from "../inference/support";
import { on, prodInference } from "./traffic-support";
import { istiodObjects, provider, REL, v4Chart } from "./mesh-support";

const FLAG = "ENABLE_GATEWAY_API_INFERENCE_EXTENSION";
const prod = spec("prod");
const cluster = prod.clusters.find((c) => c.name === "aws-use1")!;

const inference = prodInference;

/** The program's istiod values for aws-use1 with `edit` applied to a deep copy. */
function values(edit: (v: Record<string, any>) => void = () => {}): Record<string, any> {
  const v = JSON.parse(JSON.stringify(istiodValues(prod, cluster)));
  edit(v);
  return v;
}
const release = (v: Record<string, unknown>) => on(REL, "istiod", { chart: "istiod", namespace: "istio-system", values: v });
const unsetFlag = (v: Record<string, any>) => delete v.env[FLAG];

async function review(resources: unknown[]) {
  return runStack(inferencePoolEpp, resources as any);
}
const messages = async (resources: unknown[]) => (await review(resources)).violations.map((v) => v.message);

test("inference-pool-epp: istiod as the program renders it, and forks that keep ENABLE_GATEWAY_API_INFERENCE_EXTENSION on, pass", async () => {
  assert.equal(values().env[FLAG], "true");
  for (const on of [
    values(),
    values((v) => (v.env[FLAG] = true)), // printed "true" by the chart
    values((v) => (v.env[FLAG] = "1")),
    values((v) => (v.env[FLAG] = "T")),
    values((v) => (unsetFlag(v), (v.pilot = { env: { [FLAG]: "true" } }))), // pilot.env merged over env
    values((v) => ((v.env[FLAG] = "false"), (v.envVarFrom = [{ name: FLAG, value: "true" }]))), // the later entry wins
  ]) {
    const out = await review([...inference(), release(on)]);
    assert.deepEqual([out.violations, out.unknown], [[], []], JSON.stringify(on));
  }
});

test("inference-pool-epp: an istiod without ENABLE_GATEWAY_API_INFERENCE_EXTENSION fails where an Istio Gateway routes to an InferencePool", async () => {
  const unset = await review([...inference(), release(values(unsetFlag))]);
  assert.deepEqual(
    unset.violations.map((v) => v.message),
    [
      `cluster a: istiod release a-istiod leaves env.${FLAG} unset (false by default), while HTTPRoute inference/llama-3-1-8b on Gateway inference/inference-gateway sends to InferencePool inference/llama-3-1-8b-v2: istiod then refuses every InferencePool backendRef ("InferencePool is not enabled") and each request those routes send to a pool gets a 500; set env.${FLAG}: "true"`,
    ],
  );
  assert.equal(unset.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:helm.sh/v3:Release::a-istiod");
  const refused: [Record<string, unknown>, string][] = [
    [values((v) => (v.env[FLAG] = "false")), `sets env.${FLAG} to "false"`],
    [values((v) => (v.env[FLAG] = false)), `sets env.${FLAG} to "false"`],
    [values((v) => (v.env[FLAG] = "yes")), `sets env.${FLAG} to "yes"`], // not ParseBool's: istiod takes the default
    [values((v) => (v.env[FLAG] = "")), `sets env.${FLAG} to ""`],
    [values((v) => (v.pilot = { env: { [FLAG]: "" } })), `sets env.${FLAG} to ""`], // mergeOverwrite sets an empty value too
    [values((v) => (v.pilot = { env: { [FLAG]: "false" } })), `sets env.${FLAG} to "false"`],
    [values((v) => (v.envVarFrom = [{ name: FLAG, value: "false" }])), `sets env.${FLAG} to "false"`],
    [values((v) => delete v.env), `leaves env.${FLAG} unset`],
  ];
  for (const [v, said] of refused) {
    const got = await messages([...inference(), release(v)]);
    assert.equal(got.length, 1, JSON.stringify(v));
    assert.ok(got[0].startsWith(`cluster a: istiod release a-istiod ${said}`), got[0]);
  }
  // A Gateway of a class Istio's controller owns, and istiod as a Helm v4 Chart (its values ConfigMap), are held to it too.
  const classed = inference((o) => (o.find((x) => x.kind === "Gateway")!.spec.gatewayClassName = "inference"));
  const cls = on("kubernetes:gateway.networking.k8s.io/v1:GatewayClass", "class", { metadata: { name: "inference" }, spec: { controllerName: "istio.io/gateway-controller" } });
  assert.equal((await messages([...classed, cls, release(values(unsetFlag))])).length, 1);
  const chart = [provider("a"), ...inference(), ...v4Chart("a", "istiod", istiodObjects(values(unsetFlag)))];
  assert.match((await messages(chart)).join("\n"), new RegExp(`^cluster a: istiod release a-istiod leaves env.${FLAG} unset`));
  assert.deepEqual(await messages([provider("a"), ...inference(), ...v4Chart("a", "istiod", istiodObjects(values()))]), []);
});

test("inference-pool-epp: ENABLE_GATEWAY_API_INFERENCE_EXTENSION is not judged without an Istio route to a pool; set from elsewhere or unknown it is can't judge", async () => {
  const off = release(values(unsetFlag));
  // No route sends to a pool, or only another implementation's Gateway does.
  const noRoutes = inference((o) => o.splice(0, o.length, ...o.filter((x) => x.kind !== "HTTPRoute")));
  assert.deepEqual(await messages([...noRoutes, off]), []);
  const other = inference((o) => (o.find((x) => x.kind === "Gateway")!.spec.gatewayClassName = "agentgateway"));
  assert.deepEqual(await messages([...other, off]), []);
  for (const v of [values((x) => (x.env[FLAG] = UNKNOWN)), values((x) => (x.envVarFrom = [{ name: FLAG, valueFrom: { configMapKeyRef: { name: "flags", key: "inference" } } }]))]) {
    const later = await review([...inference(), release(v)]);
    assert.deepEqual(later.violations, []);
    assert.match(later.unknown.join("\n"), new RegExp(`the ${FLAG} env of istiod release a-istiod on cluster a`));
  }
});

test("inference-pool-epp: an istiod with Gateway API support or its Gateway deployment controller turned off fails where an Istio Gateway routes to a pool", async () => {
  // Both default to true (pilot/pkg/features/experimental.go); only a value ParseBool reads as false turns them off.
  for (const flag of ["PILOT_ENABLE_GATEWAY_API", "PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER"]) {
    for (const off of ["false", "0", "F"]) {
      const got = await messages([...inference(), release(values((v) => (v.env[flag] = off)))]);
      assert.equal(got.length, 1, `${flag}=${off}`);
      assert.ok(got[0].startsWith(`cluster a: istiod release a-istiod sets env.${flag} to ${JSON.stringify(off)}, while HTTPRoute inference/llama-3-1-8b on Gateway inference/inference-gateway sends to InferencePool`), got[0]);
    }
    assert.equal((await messages([...inference(), release(values((v) => (v.pilot = { env: { [flag]: "false" } })))])).length, 1);
    for (const on of ["true", "", "no"]) assert.deepEqual(await messages([...inference(), release(values((v) => (v.env[flag] = on)))]), [], `${flag}=${on}`);
  }
  // A Gateway bound to a proxy deployed by hand (spec.addresses) needs no deployment controller.
  const manual = inference((o) => (o.find((x) => x.kind === "Gateway")!.spec.addresses = [{ type: "Hostname", value: "edge-proxy.inference.svc.cluster.local" }]));
  assert.deepEqual(await messages([...manual, release(values((v) => (v.env.PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER = "false")))]), []);
  assert.equal((await messages([...manual, release(values((v) => (v.env.PILOT_ENABLE_GATEWAY_API = "false")))])).length, 1);
});
