/**
 * agent-call-graph: the agent gateway's and the MCP gateway's proxy identities are theirs alone.
 * A workload running as one, or a second agentgateway Gateway whose AgentgatewayParameters overlay
 * sets its pods' serviceAccountName to one (agentgateway v1.4.1 takes the proxy identity from the
 * pod's spec.serviceAccountName), is admitted by every agent (tool) as that gateway, past its JWT
 * (per-tool) checks. Before, both reviewed clean.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { runStack, UNKNOWN } from "../support/policy";
import { on, gw, sa } from "./authz-support";

const deployment = (namespace: string, name: string, serviceAccountName?: string) =>
  on("kubernetes:apps/v1:Deployment", `${namespace}-deploy-${name}`, {
    metadata: { name, namespace },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { ...(serviceAccountName ? { serviceAccountName } : {}), containers: [{ name: "c", image: "x@sha256:0" }] } } },
  });
const params = (namespace: string, name: string, serviceAccountName?: string) =>
  on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayParameters", `${namespace}-params-${name}`, {
    metadata: { name, namespace },
    spec: { istio: { enabled: true }, ...(serviceAccountName ? { deployment: { spec: { template: { spec: { serviceAccountName } } } } } : {}) },
  });
const gateway = (namespace: string, name: string) =>
  on("kubernetes:gateway.networking.k8s.io/v1:Gateway", `${namespace}-gw-${name}`, {
    metadata: { name, namespace },
    spec: { gatewayClassName: "agentgateway", infrastructure: { parametersRef: { group: "agentgateway.dev", kind: "AgentgatewayParameters", name } }, listeners: [] },
  });
const fleet = [gw("agents", "agent-gateway", "agentgateway"), gw("tools", "mcp-gateway", "agentgateway"), sa("agents", "research-agent-v1"), deployment("agents", "research-agent-v1", "research-agent-v1")];
const config = { requireAgentJwt: false };
const messages = async (...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...fleet, ...extra], config)).violations.map((v) => v.message);

test("agent-call-graph: a workload running as the agent or MCP gateway's ServiceAccount is admitted as that gateway", async () => {
  assert.deepEqual(await messages(), []);
  assert.deepEqual(await messages(deployment("agents", "debug", "agent-gateway")), [
    "Deployment agents/debug on cluster a runs as agents/agent-gateway, the agent gateway's proxy identity: every agent admits it as that gateway, which skips what that gateway checks; give it a ServiceAccount of its own",
  ]);
  assert.deepEqual(await messages(deployment("tools", "batch", "mcp-gateway")), [
    "Deployment tools/batch on cluster a runs as tools/mcp-gateway, the MCP gateway's proxy identity: every tool admits it as that gateway, which skips what that gateway checks; give it a ServiceAccount of its own",
  ]);
  // Another namespace's ServiceAccount of the same name is another identity; so is the namespace's default.
  assert.deepEqual(await messages(deployment("inference", "x", "agent-gateway"), deployment("agents", "y")), []);
});

test("agent-call-graph: a second agentgateway Gateway whose parameters run its proxy as the agent gateway is reported", async () => {
  const second = [gateway("agents", "internal"), params("agents", "internal", "agent-gateway")];
  assert.deepEqual(await messages(...second), [
    "Gateway agents/internal on cluster a runs its proxy as agents/agent-gateway (AgentgatewayParameters agents/internal sets the pods' serviceAccountName), the agent gateway's proxy identity: every agent admits it as that gateway, which skips what that gateway checks; give it a ServiceAccount of its own",
  ]);
  // Parameters naming the Gateway's own ServiceAccount, or none, change nothing.
  assert.deepEqual(await messages(gateway("agents", "internal"), params("agents", "internal", "internal")), []);
  assert.deepEqual(await messages(gateway("agents", "internal"), params("agents", "internal")), []);
  const later = await runStack(agentCallGraph, [...fleet, deployment("agents", "debug", UNKNOWN as unknown as string)], config);
  assert.deepEqual(later.violations, []);
  assert.match(later.unknown.join("\n"), /the ServiceAccount of Deployment a-agents-deploy-debug on cluster a/);
});

test("agent-call-graph: parameters of the agentgateway class that run every proxy as the agent gateway are read too", async () => {
  const classParams = (name: string, serviceAccountName?: string) => ({ ...params("agentgateway-system", name, serviceAccountName) });
  const gatewayClass = (name: string) =>
    on("kubernetes:gateway.networking.k8s.io/v1:GatewayClass", "gc-agentgateway", {
      metadata: { name: "agentgateway" },
      spec: { controllerName: "agentgateway.dev/agentgateway", parametersRef: { group: "agentgateway.dev", kind: "AgentgatewayParameters", name, namespace: "agentgateway-system" } },
    });
  const chart = (name: string) =>
    on("kubernetes:helm.sh/v3:Release", "agentgateway", { chart: "oci://cr.agentgateway.dev/charts/agentgateway", name: "agentgateway", namespace: "agentgateway-system", values: { gatewayClassParametersRefs: { agentgateway: { name, namespace: "agentgateway-system" } } } });
  const internal = gateway("agents", "internal");
  const reported = (from: string) => [
    `Gateway agents/internal on cluster a runs its proxy as agents/agent-gateway (${from} sets the pods' serviceAccountName), the agent gateway's proxy identity: every agent admits it as that gateway, which skips what that gateway checks; give it a ServiceAccount of its own`,
  ];
  // Before: only the Gateway's own parametersRef was read, and both passed.
  assert.deepEqual(await messages(internal, params("agents", "internal"), gatewayClass("shared"), classParams("shared", "agent-gateway")), reported("GatewayClass agentgateway's parametersRef (AgentgatewayParameters agentgateway-system/shared)"));
  assert.deepEqual(await messages(internal, params("agents", "internal"), chart("shared"), classParams("shared", "agent-gateway")), reported("the agentgateway chart's gatewayClassParametersRefs.agentgateway (AgentgatewayParameters agentgateway-system/shared)"));
  // The Gateway's own overlay is applied over the class's: its ServiceAccount wins.
  assert.deepEqual(await messages(internal, params("agents", "internal", "internal"), gatewayClass("shared"), classParams("shared", "agent-gateway")), []);
  // A class whose parameters name no ServiceAccount, or a Gateway of another class, changes nothing.
  assert.deepEqual(await messages(internal, params("agents", "internal"), gatewayClass("shared"), classParams("shared")), []);
});

test("agent-call-graph: the MCP gateway running under its class's overlay ServiceAccount borrows nothing; a second Gateway of that class does", async () => {
  const shared = [
    on("kubernetes:gateway.networking.k8s.io/v1:GatewayClass", "gc-agentgateway", { metadata: { name: "agentgateway" }, spec: { controllerName: "agentgateway.dev/agentgateway", parametersRef: { group: "agentgateway.dev", kind: "AgentgatewayParameters", name: "shared", namespace: "agentgateway-system" } } }),
    params("agentgateway-system", "shared", "agw-proxy"),
  ];
  // The MCP gateway now runs as tools/agw-proxy (agentgateway v1.4.1 applies the class's overlay to its pods).
  assert.deepEqual(await messages(...shared), []);
  assert.deepEqual(await messages(...shared, gw("tools", "internal", "agentgateway")), [
    "Gateway tools/internal on cluster a runs its proxy as tools/agw-proxy (GatewayClass agentgateway's parametersRef (AgentgatewayParameters agentgateway-system/shared) sets the pods' serviceAccountName), the MCP gateway's proxy identity: every tool admits it as that gateway, which skips what that gateway checks; give it a ServiceAccount of its own",
  ]);
});

// Gateways sharing one ServiceAccount each forward as it: before, only the Gateway holding it was judged.
const istioGateway = (namespace: string, name: string, account: string, gatewayClassName = "istio") =>
  on("kubernetes:gateway.networking.k8s.io/v1:Gateway", `${namespace}-gw-${name}`, {
    metadata: { name, namespace, annotations: { "gateway.istio.io/service-account": account } },
    spec: { gatewayClassName, listeners: [] },
  });

test("agent-call-graph: an Istio Gateway whose gateway.istio.io/service-account names the MCP or agent gateway's account borrows it", async () => {
  // Before: the agentgateway proxy held the identity and the Istio Gateway sharing it was never read.
  assert.deepEqual(await messages(istioGateway("tools", "edge", "mcp-gateway")), [
    "Gateway tools/edge on cluster a runs its proxy as tools/mcp-gateway (its gateway.istio.io/service-account annotation names it), the MCP gateway's proxy identity: every tool admits it as that gateway, which skips what that gateway checks; give it a ServiceAccount of its own",
  ]);
  assert.deepEqual(await messages(istioGateway("agents", "public", "agent-gateway")), [
    "Gateway agents/public on cluster a runs its proxy as agents/agent-gateway (its gateway.istio.io/service-account annotation names it), the agent gateway's proxy identity: every agent admits it as that gateway, which skips what that gateway checks; give it a ServiceAccount of its own",
  ]);
  // Its own account: no finding.
  assert.deepEqual(await messages(istioGateway("tools", "edge", "edge-proxy")), []);
});

test("agent-call-graph: tools admitting the waypoint's identity are judged through every Gateway running as it", async () => {
  const td = "cluster.local";
  const ap = (namespace: string, name: string, principals: string[]) =>
    on("kubernetes:security.istio.io/v1:AuthorizationPolicy", `${namespace}-ap-${name}`, { metadata: { name, namespace }, spec: { action: "ALLOW", rules: [{ from: [{ source: { principals } }] }] } });
  const base = [gw("tools", "waypoint", "istio-waypoint"), ap("tools", "web-search", [`${td}/ns/agents/sa/research-agent-v1`, `${td}/ns/tools/sa/waypoint`])];
  assert.deepEqual(await messages(...base), []);
  // An Istio ingress Gateway running as the waypoint's account reaches the tools past the waypoint's rules.
  assert.deepEqual(await messages(...base, istioGateway("tools", "edge", "waypoint")), [
    "AuthorizationPolicy tools/web-search admits cluster.local/ns/tools/sa/waypoint: only agents may call tools (tools/waypoint is the proxy of Gateway tools/edge, class istio, not an agent)",
  ]);
});
