/**
 * Fixtures shared by the per-tool grant tests of agent-call-graph (authz-tool-grants*.test.ts): the
 * research and support agents, the calculator and ticket-lookup tools behind the tools' waypoint
 * and the MCP gateway, and the platform's shapes of the grants each layer renders.
 */
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { runStack } from "./policy";
import { on, sa, ap, gw } from "./authz-objects";
import { td, labelledNs, pods, svc } from "./call-graph";

/** The tool's waypoint policy, as the platform renders it: the agents configured for the tool. */
export const toolAgents = (tool: string, ...agents: string[]) =>
  ap("tools", `${tool}-agents`, { action: "ALLOW", targetRefs: [{ group: "", kind: "Service", name: tool }], rules: [{ from: [{ source: { principals: agents.map((a) => `${td}/ns/agents/sa/${a}`) } }], to: [{ operation: { paths: ["/mcp"] } }] }] });
export const clause = (tool: string, ...agents: string[]) =>
  `(source.identity.trustDomain == "${td}" && source.identity.namespace == "agents" && source.identity.serviceAccount in [${agents.map((a) => `"${a}"`).join(", ")}] && mcp.tool.target == "${tool}")`;
export const toolAccess = (...expressions: string[]) =>
  on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy", "tools-agpol-mcp-tool-access", {
    metadata: { name: "mcp-tool-access", namespace: "tools" },
    spec: { targetRefs: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "mcp-tools" }], backend: { mcp: { authorization: { action: "Allow", policy: { matchExpressions: expressions } } } } },
  });
const mcpCallers = on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy", "tools-agpol-mcp-gateway-callers", {
  metadata: { name: "mcp-gateway-callers", namespace: "tools" },
  spec: { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "mcp-gateway" }], traffic: { authorization: { action: "Allow", policy: { matchExpressions: [`(source.identity.trustDomain == "${td}" && source.identity.namespace == "agents" && source.identity.serviceAccount in ["research", "support"])`] } } } },
});
export const fleet = [
  labelledNs("tools", { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" }),
  gw("tools", "waypoint", "istio-waypoint"),
  gw("tools", "mcp-gateway", "agentgateway"),
  gw("agents", "agent-gateway", "agentgateway"),
  sa("agents", "research"),
  sa("agents", "support"),
  pods("tools", "calculator", { app: "calculator" }),
  svc("tools", "calculator", { app: "calculator" }),
  pods("tools", "ticket-lookup", { app: "ticket-lookup" }),
  svc("tools", "ticket-lookup", { app: "ticket-lookup" }),
  mcpCallers,
];
export const messages = async (extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...fleet, ...extra])).violations.map((v) => v.message);

/** A tool Service as the platform renders it: an MCP port, its target name in agentgateway's annotation. */
export const mcpSvc = (name: string, targetName = name) =>
  on("kubernetes:core/v1:Service", `tools-svc-${name}`, {
    metadata: { name, namespace: "tools", labels: { tool: name }, annotations: { "agentgateway.dev/mcp-target-name": targetName } },
    spec: { selector: { app: name }, ports: [{ name: "mcp", port: 8000, appProtocol: "agentgateway.dev/mcp" }] },
  });
export const mcpBackend = (name: string, targets: Record<string, unknown>[]) =>
  on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend", `tools-agbe-${name}`, { metadata: { name, namespace: "tools" }, spec: { mcp: { targets } } });
export const selectorTarget = (tool: string) => ({ name: tool, selector: { services: { matchLabels: { tool } } } });
export const backedFleet = [
  ...fleet.filter((r) => !r.name.includes("-tools-svc-")),
  toolAgents("calculator", "research"),
  toolAgents("ticket-lookup", "support"),
];
export const granted = toolAccess(`${clause("calculator", "research")} || ${clause("ticket-lookup", "support")}`);
