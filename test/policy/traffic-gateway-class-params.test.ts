/**
 * gateway-listeners-tls: an agentgateway Gateway's Service type comes from the AgentgatewayParameters
 * of its class and then its own (agentgateway v1.4.1 controller/pkg/deployer: resolveParameters,
 * NewLayeredOverlayApplier(class, gateway)). Before, only the Gateway's own parametersRef was read,
 * so a class-level `service.spec.type: ClusterIP` gave a false "external listener" alarm, and a
 * class-level `externalTrafficPolicy: Local` was not seen.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { gatewayListenersTls } from "../../policy/rules/gateway-listeners-tls";
import { keepsClientAddress } from "../../policy/lib/gateway-exposure";
import { runStack, UNKNOWN } from "../support/policy";
import { on, GW } from "./traffic-support";

const http = { name: "http", port: 80, protocol: "HTTP" };
const params = (namespace: string, name: string, type: unknown) =>
  on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayParameters", `params-${namespace}-${name}`, { metadata: { name, namespace }, spec: { service: { spec: { type } } } });
const gatewayClass = on("kubernetes:gateway.networking.k8s.io/v1:GatewayClass", "gc-agentgateway", {
  metadata: { name: "agentgateway" },
  spec: { controllerName: "agentgateway.dev/agentgateway", parametersRef: { group: "agentgateway.dev", kind: "AgentgatewayParameters", name: "shared", namespace: "agentgateway-system" } },
});
const chart = on("kubernetes:helm.sh/v3:Release", "agentgateway", { chart: "agentgateway", name: "agentgateway", namespace: "agentgateway-system", values: { gatewayClassParametersRefs: { agentgateway: { name: "shared", namespace: "agentgateway-system" } } } });
const mcp = (own?: string) =>
  on(GW, "gw-mcp", {
    metadata: { name: "mcp-gateway", namespace: "tools" },
    spec: { gatewayClassName: "agentgateway", listeners: [http], ...(own ? { infrastructure: { parametersRef: { group: "agentgateway.dev", kind: "AgentgatewayParameters", name: own } } } : {}) },
  });
const messages = async (...rs: ReturnType<typeof on>[]) => (await runStack(gatewayListenersTls, rs)).violations.map((v) => v.message.replace(/;.*$/, ""));

test("gateway-listeners-tls: a ClusterIP Service set by the agentgateway class's parameters keeps the Gateway in the cluster", async () => {
  // Before: both reported listener http as external.
  assert.deepEqual(await messages(mcp(), gatewayClass, params("agentgateway-system", "shared", "ClusterIP")), []);
  assert.deepEqual(await messages(mcp(), chart, params("agentgateway-system", "shared", "ClusterIP")), []);
  // The Gateway's own overlay is applied last: its LoadBalancer wins over the class's ClusterIP, and the reverse.
  const external = await messages(mcp("own"), gatewayClass, params("agentgateway-system", "shared", "ClusterIP"), params("tools", "own", "LoadBalancer"));
  assert.equal(external.length, 1);
  assert.match(external[0], /listener http \(port 80\) is HTTP/);
  assert.deepEqual(await messages(mcp("own"), gatewayClass, params("agentgateway-system", "shared", "LoadBalancer"), params("tools", "own", "ClusterIP")), []);
  // No class parameters: external, as before.
  assert.equal((await messages(mcp(), gatewayClass)).length, 1);
});

test("gateway-listeners-tls: class parameters not known yet leave the Gateway's reach unknown, not external", async () => {
  const r = await runStack(gatewayListenersTls, [mcp(), gatewayClass, params("agentgateway-system", "shared", UNKNOWN)]);
  assert.deepEqual(r.violations, []);
  assert.ok(r.unknown.length > 0);
});

test("keepsClientAddress: externalTrafficPolicy Local set by the agentgateway class's parameters keeps client addresses; the Gateway's own overlay wins", () => {
  const service = (namespace: string, name: string, spec: Record<string, unknown>) =>
    on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayParameters", `svc-${namespace}-${name}`, { metadata: { name, namespace }, spec: { service: { spec } } });
  const local = service("agentgateway-system", "shared", { externalTrafficPolicy: "Local" });
  // Before: false whenever the Gateway names no parameters of its own.
  assert.equal(keepsClientAddress(mcp(), [mcp(), gatewayClass, local]), true);
  assert.equal(keepsClientAddress(mcp("own"), [mcp("own"), gatewayClass, local, service("tools", "own", { externalTrafficPolicy: "Cluster" })]), false);
  assert.equal(keepsClientAddress(mcp("own"), [mcp("own"), gatewayClass, service("agentgateway-system", "shared", {}), service("tools", "own", { externalTrafficPolicy: "Local" })]), true);
  assert.equal(keepsClientAddress(mcp(), [mcp(), gatewayClass]), false);
});
