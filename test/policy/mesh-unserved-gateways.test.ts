/**
 * mesh-multicluster-wiring on Gateways of Istio's waypoint, east-west and agentgateway classes
 * whose owning istiod does not register the class. Istio 1.30.3 registers each only under its flag
 * (pilot/pkg/config/kube/gatewaycommon/classinfo.go; pilot/pkg/features ambient.go
 * PILOT_ENABLE_AMBIENT_WAYPOINTS true with ambient, AMBIENT_ENABLE_MULTI_NETWORK false, both false
 * without PILOT_ENABLE_AMBIENT; experimental.go PILOT_ENABLE_AGENTGATEWAY false), and
 * deploymentcontroller.go Reconcile skips a Gateway whose controller has no ClassInfo. Before, such
 * a Gateway passed on every cluster (only a principal naming its proxy read oddly).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { meshMulticlusterWiring } from "../../policy/rules/mesh-multicluster-wiring";
import { k8sProvider, runStack, stackResource } from "../support/policy";
import { messages, provider, REL } from "./mesh-support";

const istiod = (values: Record<string, unknown>) => stackResource({ type: REL, name: "a-istiod", props: { chart: "istiod", namespace: "istio-system", values }, provider: k8sProvider("a") });
const gateway = (name: string, gatewayClassName: string, labels: Record<string, string> = {}) =>
  stackResource({ type: "kubernetes:gateway.networking.k8s.io/v1:Gateway", name: `a-${name}`, props: { metadata: { name, namespace: "tools", labels }, spec: { gatewayClassName, listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] } }, provider: k8sProvider("a") });
const gatewayClass = (name: string, controllerName: string) =>
  stackResource({ type: "kubernetes:gateway.networking.k8s.io/v1:GatewayClass", name: `a-class-${name}`, props: { metadata: { name }, spec: { controllerName } }, provider: k8sProvider("a") });
const run = (values: Record<string, unknown>, ...rest: ReturnType<typeof stackResource>[]) => runStack(meshMulticlusterWiring, [provider("a"), istiod(values), ...rest]);
const ambient = (env: Record<string, unknown> = {}) => ({ profile: "ambient", ...(Object.keys(env).length ? { pilot: { env } } : {}) });

test("mesh-multicluster-wiring: a waypoint, east-west or agentgateway Gateway whose istiod registers its class passes", async () => {
  assert.deepEqual((await run(ambient(), gateway("waypoint", "istio-waypoint"))).violations, []);
  assert.deepEqual((await run(ambient({ AMBIENT_ENABLE_MULTI_NETWORK: "true" }), gateway("eastwest", "istio-east-west"))).violations, []);
  assert.deepEqual((await run({ env: { PILOT_ENABLE_AGENTGATEWAY: "1" } }, gateway("mcp", "istio-agentgateway"))).violations, []);
  // Istio installed outside the stack: its flags are not known, so nothing is judged.
  assert.deepEqual((await runStack(meshMulticlusterWiring, [provider("a"), gateway("waypoint", "istio-waypoint")])).violations, []);
  // Other controllers' classes (agentgateway's own) and Istio's ingress class are not these kinds.
  assert.deepEqual((await run({}, gateway("agw", "agentgateway"), gateway("ingress", "istio"))).violations, []);
});

test("mesh-multicluster-wiring: a Gateway of a class its owning istiod does not register is never deployed, and is reported", async () => {
  const off = await run(ambient({ PILOT_ENABLE_AMBIENT_WAYPOINTS: "false" }), gateway("waypoint", "istio-waypoint"));
  assert.deepEqual(messages(off), [
    "cluster a: Gateway tools/waypoint of class istio-waypoint (Istio's waypoint kind) is owned by istiod release a-istiod (revision default), whose env does not register that class: Istio 1.30.3 registers it only with PILOT_ENABLE_AMBIENT true (false by default; the ambient profile sets it) and PILOT_ENABLE_AMBIENT_WAYPOINTS not false (pilot/pkg/config/kube/gatewaycommon/classinfo.go), and its deployment controller skips a Gateway of a class it does not register, so no proxy, Service or address is ever made for it; set that env on the istiod, or drop the Gateway",
  ]);
  assert.equal(off.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:gateway.networking.k8s.io/v1:Gateway::a-waypoint");
  // The ambient profile turned off by pilot.env, or no ambient at all: no waypoint class.
  assert.match(messages(await run(ambient({ PILOT_ENABLE_AMBIENT: "false" }), gateway("waypoint", "istio-waypoint"))).join("\n"), /^cluster a: Gateway tools\/waypoint of class istio-waypoint \(Istio's waypoint kind\)/);
  assert.equal((await run({}, gateway("waypoint", "istio-waypoint"))).violations.length, 1);
  // One cluster with an east-west gateway and no multi-network flag.
  assert.match(messages(await run(ambient(), gateway("eastwest", "istio-east-west"))).join("\n"), /^cluster a: Gateway tools\/eastwest of class istio-east-west \(Istio's east-west kind\) .*only with PILOT_ENABLE_AMBIENT and AMBIENT_ENABLE_MULTI_NETWORK true/);
  // istio-agentgateway without PILOT_ENABLE_AGENTGATEWAY, by its built-in name or a GatewayClass naming its controller.
  assert.match(messages(await run(ambient(), gateway("mcp", "istio-agentgateway"))).join("\n"), /Gateway tools\/mcp of class istio-agentgateway \(Istio's agentgateway kind\) .*only with PILOT_ENABLE_AGENTGATEWAY true \(false by default\)/);
  assert.match(messages(await run(ambient({ PILOT_ENABLE_AGENTGATEWAY: "yes" }), gatewayClass("mcp-class", "istio.io/agentgateway-controller"), gateway("mcp", "mcp-class"))).join("\n"), /Gateway tools\/mcp of class mcp-class \(Istio's agentgateway kind\)/);
});

test("mesh-multicluster-wiring: an unserved class is judged on the owning istiod only, and a flag read from elsewhere is can't judge", async () => {
  const canary = stackResource({ type: REL, name: "a-istiod-canary", props: { chart: "istiod", namespace: "istio-system", values: { revision: "canary", env: { PILOT_ENABLE_AGENTGATEWAY: "true" } } }, provider: k8sProvider("a") });
  const base = stackResource({ type: REL, name: "a-istio-base", props: { chart: "base", namespace: "istio-system", values: { defaultRevision: "default" } }, provider: k8sProvider("a") });
  // The stable istiod owns the unlabelled Gateway (the default revision); the canary's flag does not deploy it.
  assert.match(messages(await run(ambient(), base, canary, gateway("mcp", "istio-agentgateway"))).join("\n"), /is owned by istiod release a-istiod \(revision default\), whose env/);
  assert.deepEqual((await run(ambient(), canary, gateway("mcp", "istio-agentgateway", { "istio.io/rev": "canary" }))).violations, []);
  // Owned by no istiod of the stack (a tag made elsewhere): not judged here.
  assert.deepEqual((await run(ambient(), gateway("mcp", "istio-agentgateway", { "istio.io/rev": "elsewhere" }))).violations, []);
  const fromMap = await run({ profile: "ambient", envVarFrom: [{ name: "PILOT_ENABLE_AGENTGATEWAY", valueFrom: { configMapKeyRef: { name: "flags", key: "agw" } } }] }, gateway("mcp", "istio-agentgateway"));
  assert.deepEqual(fromMap.violations, []);
  assert.match(fromMap.unknown.join("\n"), /whether Gateway tools\/mcp on cluster a is of a class its istiod registers/);
});
