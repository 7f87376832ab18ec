/**
 * The names agentgateway v1.4.1's controller gives a Gateway's proxy, and which Gateways it runs.
 * Its chart names the proxy's Deployment, Service and ServiceAccount, and the pods' name, instance
 * and gateway-name labels, after the Gateway, but past 63 characters it keeps the first 50 (less a
 * trailing "-"), then "-" and 12 hex digits of the name's sha256
 * (controller/pkg/helm/agentgateway/templates/_helpers.tpl kgateway.gateway.safeLabelValue). Before,
 * the long name itself was read as the proxy's identity and Service. And a class agentgateway's
 * controller owns under another name was read as Istio's by gateway-listeners-tls (Istio's
 * service-type annotation, Istio's pod labels), which agentgateway ignores.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentgatewayProxyName } from "../../policy/lib/authz-targets";
import { gatewayProxyIdentities } from "../../policy/lib/gateway-proxies";
import { exposingServices } from "../../policy/lib/gateway-exposure";
import { authorizationPrincipalsKnown } from "../../policy/rules/authorization-principals-known";
import { authorizationTargetsEnforced } from "../../policy/rules/authorization-targets-enforced";
import { gatewayListenersTls } from "../../policy/rules/gateway-listeners-tls";
import { runStack } from "../support/policy";
import { on, gw, sa, ap, allowFrom } from "./authz-support";

const GW = "gateway.networking.k8s.io";
// 73 characters; its first 50 end in "-", which the chart trims before the hash.
const LONG = "agent-gateway-for-the-research-and-support-fleets-of-the-eu-west-1-region";
// sha256(LONG) = 0237ca459680…, as `sha256sum | trunc 12` renders it.
const SHORT = "agent-gateway-for-the-research-and-support-fleets-0237ca459680";

test("agentgatewayProxyName: the chart's safeLabelValue", () => {
  assert.equal(agentgatewayProxyName(LONG), SHORT);
  assert.equal(agentgatewayProxyName("agent-gateway"), "agent-gateway");
  assert.equal(agentgatewayProxyName("a".repeat(63)), "a".repeat(63));
  assert.match(agentgatewayProxyName("a".repeat(64)), /^a{50}-[0-9a-f]{12}$/);
});

test("gateway proxy identities: an agentgateway Gateway with a name past 63 characters runs as the shortened name", () => {
  // Before: agents/<the 73-character name>, an account that never exists.
  assert.deepEqual([...gatewayProxyIdentities([gw("agents", LONG, "agentgateway")])], [`agents/${SHORT}`]);
  // Istio's classes keep their own naming.
  assert.deepEqual([...gatewayProxyIdentities([gw("agents", LONG, "istio-waypoint")])], [`agents/${LONG}`]);
});

test("authorization-principals-known: the shortened proxy account of a long-named agentgateway Gateway is known, the long name is not", async () => {
  const base = [sa("agents", "research-agent-v1"), gw("agents", LONG, "agentgateway")];
  const short = await runStack(authorizationPrincipalsKnown, [...base, ap("agents", "agents", allowFrom(`cluster.local/ns/agents/sa/${SHORT}`))]);
  // Before: reported as naming no ServiceAccount of the stack.
  assert.deepEqual(short.violations, []);
  const long = await runStack(authorizationPrincipalsKnown, [...base, ap("agents", "agents", allowFrom(`cluster.local/ns/agents/sa/${LONG}`))]);
  // Before: passed, though no pod runs as that account.
  assert.deepEqual(long.violations.map((v) => v.message.split(" names ")[0]), [`AuthorizationPolicy agents/agents: principal cluster.local/ns/agents/sa/${LONG}`]);
});

test("authorization-targets-enforced: a targetRef to the shortened Service of a long-named agentgateway Gateway is its proxy's", async () => {
  const ns = on("kubernetes:core/v1:Namespace", "ns-agents", { metadata: { name: "agents", labels: {} } });
  const policy = ap("agents", "edge", { ...allowFrom("cluster.local/ns/agents/sa/research-agent-v1"), targetRefs: [{ group: "", kind: "Service", name: SHORT }] });
  const r = await runStack(authorizationTargetsEnforced, [ns, gw("agents", LONG, "agentgateway"), policy]);
  // Before: the Service was taken as not in the stack, and nothing was reported.
  assert.equal(r.violations.length, 1);
  assert.match(r.violations[0].message, /no waypoint serves Service agents\/agent-gateway-for-the-research-and-support-fleets-0237ca459680 .* its pods are agentgateway's proxy/);
});

const renamedClass = on(`kubernetes:${GW}/v1:GatewayClass`, "gc-agw-edge", { metadata: { name: "agw-edge" }, spec: { controllerName: "agentgateway.dev/agentgateway" } });
const plain = (annotations: Record<string, string>, name = "edge") =>
  on(`kubernetes:${GW}/v1:Gateway`, `agents-gw-${name}`, { metadata: { name, namespace: "agents", annotations }, spec: { gatewayClassName: "agw-edge", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] } });

test("gateway-listeners-tls: Istio's ClusterIP annotation does not keep a Gateway of a renamed agentgateway class inside the cluster", async () => {
  const r = await runStack(gatewayListenersTls, [renamedClass, plain({ "networking.istio.io/service-type": "ClusterIP" })]);
  // Before: read as Istio's, internal, and the plaintext listener passed; agentgateway gives it a LoadBalancer.
  assert.equal(r.violations.length, 1);
  assert.match(r.violations[0].message, /^Gateway agents\/edge on a: listener http \(port 80\) is HTTP/);
});

test("exposingServices: a Service selecting agentgateway's proxy labels exposes a Gateway of a renamed class, with its shortened name", () => {
  const lb = (name: string, selector: Record<string, string>) => on("kubernetes:core/v1:Service", `agents-svc-${name}`, { metadata: { name, namespace: "agents" }, spec: { type: "LoadBalancer", selector, ports: [{ port: 80, targetPort: 80 }] } });
  const edge = plain({});
  // Before: Istio's pod labels were assumed, so agentgateway's selector matched nothing.
  assert.deepEqual(exposingServices(edge, [renamedClass, edge, lb("public", { "app.kubernetes.io/name": "edge" })]).services, ["public (LoadBalancer)"]);
  assert.deepEqual(exposingServices(edge, [renamedClass, edge, lb("istio-style", { "gateway.istio.io/managed": "istio.io-gateway-controller" })]).services, []);
  const long = gw("agents", LONG, "agentgateway");
  assert.deepEqual(exposingServices(long, [long, lb("public", { "gateway.networking.k8s.io/gateway-name": SHORT })]).services, ["public (LoadBalancer)"]);
  assert.deepEqual(exposingServices(long, [long, lb("public", { "gateway.networking.k8s.io/gateway-name": LONG })]).services, []);
});
