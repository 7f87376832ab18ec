/**
 * The proxy identity of an agentgateway Gateway, as agentgateway v1.4.1 runs it: the Gateway's
 * name (controller/pkg/helm/agentgateway/templates/_helpers.tpl serviceAccountName, the
 * deployer's agentgateway.name = gw.Name) for every class its controller owns, whatever the class
 * is called, unless the AgentgatewayParameters overlay of its class or its own sets the pods'
 * serviceAccountName. Before, only class `agentgateway` was agentgateway's and overlays were not read.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { gatewayProxies, gatewayProxyIdentities } from "../../policy/lib/gateway-proxies";
import { authorizationPrincipalsKnown } from "../../policy/rules/authorization-principals-known";
import { runStack, UNKNOWN } from "../support/policy";
import { on, gw, sa, ap, allowFrom } from "./authz-support";

const GW = "gateway.networking.k8s.io";
const gatewayClass = (name: string, controllerName: string, params?: string) =>
  on(`kubernetes:${GW}/v1:GatewayClass`, `gc-${name}`, {
    metadata: { name },
    spec: { controllerName, ...(params ? { parametersRef: { group: "agentgateway.dev", kind: "AgentgatewayParameters", name: params, namespace: "agentgateway-system" } } : {}) },
  });
const chart = (values: Record<string, unknown>) => on("kubernetes:helm.sh/v3:Release", "agentgateway", { chart: "agentgateway", name: "agentgateway", namespace: "agentgateway-system", values });
const params = (namespace: string, name: string, serviceAccountName: string) =>
  on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayParameters", `${namespace}-params-${name}`, { metadata: { name, namespace }, spec: { deployment: { spec: { template: { spec: { serviceAccountName } } } } } });
const ids = (...rs: ReturnType<typeof on>[]) => [...gatewayProxyIdentities(rs)].sort();

test("gateway proxy identities: a class agentgateway's controller owns under another name is agentgateway's (the Gateway's name)", () => {
  // A GatewayClass naming agentgateway's controller (before: agents/agent-gateway-agw).
  assert.deepEqual(ids(gatewayClass("agw", "agentgateway.dev/agentgateway"), gw("agents", "agent-gateway", "agw")), ["agents/agent-gateway"]);
  // The chart's gatewayClassName renames the class it creates (AGW_AGENTGATEWAY_CLASS_NAME).
  assert.deepEqual(ids(chart({ gatewayClassName: "agw" }), gw("agents", "agent-gateway", "agw")), ["agents/agent-gateway"]);
  // A GatewayClass naming a renamed controller (controllerName value, AGW_CONTROLLER_NAME).
  assert.deepEqual(ids(chart({ controllerName: "acme.io/agw" }), gatewayClass("edge", "acme.io/agw"), gw("agents", "agent-gateway", "edge")), ["agents/agent-gateway"]);
  assert.equal(gatewayProxies([gatewayClass("agw", "agentgateway.dev/agentgateway"), gw("agents", "agent-gateway", "agw")]).get("agents/agent-gateway")?.byAgentgateway, true);
  // Another controller's class keeps <name>-<class>, and is not agentgateway's.
  assert.deepEqual(ids(gatewayClass("other", "example.com/gw"), gw("agents", "edge", "other")), ["agents/edge-other"]);
  // The chart's values not known yet: the identity is not known either.
  assert.deepEqual(ids(chart({ gatewayClassName: UNKNOWN }), gw("agents", "agent-gateway", "agw")), []);
});

test("gateway proxy identities: an AgentgatewayParameters overlay naming a ServiceAccount, the class's or the Gateway's own, is the proxy's identity", () => {
  const own = on(`kubernetes:${GW}/v1:Gateway`, "agents-gw-agent-gateway", {
    metadata: { name: "agent-gateway", namespace: "agents" },
    spec: { gatewayClassName: "agentgateway", infrastructure: { parametersRef: { group: "agentgateway.dev", kind: "AgentgatewayParameters", name: "own" } }, listeners: [] },
  });
  // Before: agents/agent-gateway in each case.
  assert.deepEqual(ids(own, params("agents", "own", "agw-proxy")), ["agents/agw-proxy"]);
  assert.deepEqual(ids(gw("agents", "agent-gateway", "agentgateway"), gatewayClass("agentgateway", "agentgateway.dev/agentgateway", "shared"), params("agentgateway-system", "shared", "agw-proxy")), ["agents/agw-proxy"]);
  assert.deepEqual(ids(gw("agents", "agent-gateway", "agentgateway"), chart({ gatewayClassParametersRefs: { agentgateway: { name: "shared", namespace: "agentgateway-system" } } }), params("agentgateway-system", "shared", "agw-proxy")), ["agents/agw-proxy"]);
  // The Gateway's own overlay wins over its class's.
  assert.deepEqual(ids(own, params("agents", "own", "mine"), gatewayClass("agentgateway", "agentgateway.dev/agentgateway", "shared"), params("agentgateway-system", "shared", "agw-proxy")), ["agents/mine"]);
});

test("gateway proxy identities: Gateways sharing one ServiceAccount keep the agentgateway proxy as its holder", () => {
  const shared = [gatewayClass("agentgateway", "agentgateway.dev/agentgateway", "shared"), params("agentgateway-system", "shared", "proxy")];
  const istioEdge = on(`kubernetes:${GW}/v1:Gateway`, "tools-gw-edge", { metadata: { name: "edge", namespace: "tools", annotations: { "gateway.istio.io/service-account": "proxy" } }, spec: { gatewayClassName: "istio", listeners: [] } });
  const proxies = gatewayProxies([...shared, gw("tools", "mcp-gateway", "agentgateway"), istioEdge]);
  assert.deepEqual([...proxies.keys()], ["tools/proxy"]);
  assert.equal(proxies.get("tools/proxy")?.name, "mcp-gateway");
  const reversed = gatewayProxies([...shared, istioEdge, gw("tools", "mcp-gateway", "agentgateway")]);
  assert.equal(reversed.get("tools/proxy")?.name, "mcp-gateway");
  // Two agentgateway Gateways: the one the account is named after holds it, whatever the order.
  const named = gatewayProxies([...shared, gw("tools", "internal", "agentgateway"), gw("tools", "proxy", "agentgateway")]);
  assert.equal(named.get("tools/proxy")?.name, "proxy");
});

test("authorization-principals-known: agents admitting the agent gateway's name while a class overlay runs it as another ServiceAccount are reported", async () => {
  const base = [sa("agents", "research-agent-v1"), gw("agents", "agent-gateway", "agentgateway"), ap("agents", "agents", allowFrom("cluster.local/ns/agents/sa/agent-gateway"))];
  assert.deepEqual((await runStack(authorizationPrincipalsKnown, base)).violations, []);
  const overlaid = await runStack(authorizationPrincipalsKnown, [...base, gatewayClass("agentgateway", "agentgateway.dev/agentgateway", "shared"), params("agentgateway-system", "shared", "agw-proxy")]);
  // Before: agents/agent-gateway counted as the proxy's identity, and the stack passed.
  assert.deepEqual(overlaid.violations.map((v) => v.message), [
    "AuthorizationPolicy agents/agents: principal cluster.local/ns/agents/sa/agent-gateway names no ServiceAccount of this stack (add it to allowedServiceAccounts if a controller creates it)",
  ]);
});
