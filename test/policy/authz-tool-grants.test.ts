/**
 * Policy tests for agent-call-graph's per-tool check: each agent only the tools it is configured
 * for, which the mesh (the tool's waypoint policy) and the MCP gateway (AgentgatewayPolicy
 * backend.mcp.authorization) must grant alike, each being a path to the tool of its own;
 * celToolGrants. Along the MCP gateway's paths to a tool: authz-tool-grants-paths.test.ts.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { celToolGrants } from "../../policy/lib/cel";
import { runStack } from "../support/policy";
import { on, sa } from "./authz-support";
import { toolAgents, clause, toolAccess, fleet, messages, mcpSvc, mcpBackend, selectorTarget, backedFleet } from "../support/tool-grants";

test("agent-call-graph: the mesh and the MCP gateway grant each agent the same tools", async () => {
  const granted = [toolAgents("calculator", "research"), toolAgents("ticket-lookup", "support"), toolAccess(`${clause("calculator", "research")} || ${clause("ticket-lookup", "support")}`)];
  assert.deepEqual(await messages(granted), []);
  // The research agent let into the support agent's tool by the mesh: it calls it through the waypoint.
  assert.deepEqual(await messages([toolAgents("calculator", "research"), toolAgents("ticket-lookup", "support", "research"), granted[2]]), [
    "AuthorizationPolicy tools/ticket-lookup-agents on cluster a admits agent agents/research to tool ticket-lookup, which the MCP gateway's per-tool authorization (tools/mcp-tool-access) does not grant it: each agent may use only its configured tools, and the mesh and the MCP gateway must grant the same ones",
  ]);
  // The same through the MCP gateway: another expression is another Allow rule (agentgateway ORs them).
  assert.deepEqual(await messages([granted[0], granted[1], toolAccess(`${clause("calculator", "research")} || ${clause("ticket-lookup", "support")}`, clause("ticket-lookup", "research"))]), [
    "AgentgatewayPolicy tools/mcp-tool-access on cluster a lets agent agents/research call tool ticket-lookup through the MCP gateway, which no mesh ALLOW policy for the tool grants it: each agent may use only its configured tools, and the mesh and the MCP gateway must grant the same ones",
  ]);
  // A clause naming a tool but no identities lets every agent the MCP gateway admits call it.
  assert.deepEqual(await messages([granted[0], granted[1], toolAccess(clause("calculator", "research"), 'mcp.tool.target == "ticket-lookup"')]), [
    "AgentgatewayPolicy tools/mcp-tool-access on cluster a lets callers use tool ticket-lookup without pinning them to agent identities (source.identity namespace and serviceAccount): every agent the MCP gateway admits may call it",
  ]);
  // Without any MCP authorization agentgateway lets every caller use every tool.
  assert.deepEqual(await messages([granted[0], granted[1]]), [
    "no AgentgatewayPolicy in namespace tools on cluster a sets backend.mcp.authorization, so agentgateway lets every caller of Gateway tools/mcp-gateway use every tool: agents/support may call tool calculator through it, which no mesh ALLOW policy for the tool grants them; each agent may use only its configured tools",
    "no AgentgatewayPolicy in namespace tools on cluster a sets backend.mcp.authorization, so agentgateway lets every caller of Gateway tools/mcp-gateway use every tool: agents/research may call tool ticket-lookup through it, which no mesh ALLOW policy for the tool grants them; each agent may use only its configured tools",
  ]);
});

test("celToolGrants reads per-tool clauses, ORed and ANDed as CEL reads them", () => {
  const grants = celToolGrants(`${clause("calculator", "research")} || ${clause("ticket-lookup", "support", "research")}`)!;
  assert.deepEqual(grants.map((g) => [g.tools, [...(g.ids as Set<string>)]]), [[["calculator"], ["agents/research"]], [["ticket-lookup"], ["agents/support", "agents/research"]]]);
  assert.deepEqual(celToolGrants('mcp.tool.target in ["a", "b"]'), [{ tools: ["a", "b"], ids: "any" }]);
  assert.equal(celToolGrants('true ? mcp.tool.target == "a" : false'), undefined);
});

test("agent-call-graph: an MCP authorization without Allow rules grants every tool call its Deny rules do not refuse", async () => {
  const rules = (action: string, ...expressions: string[]) =>
    on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy", "tools-agpol-mcp-tool-access", {
      metadata: { name: "mcp-tool-access", namespace: "tools" },
      spec: { targetRefs: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "mcp-tools" }], backend: { mcp: { authorization: { action, policy: { matchExpressions: expressions } } } } },
    });
  const backend = mcpBackend("mcp-tools", [selectorTarget("calculator"), selectorTarget("ticket-lookup")]);
  const run = async (extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...backedFleet, mcpSvc("calculator"), mcpSvc("ticket-lookup"), backend, ...extra])).violations.map((v) => v.message);
  const head = (action: string) =>
    `AgentgatewayPolicy tools/mcp-tool-access (${action}) on cluster a sets backend.mcp.authorization for AgentgatewayBackend tools/mcp-tools without an Allow rule, and agentgateway then allows every tool call no Deny rule matches and every Require rule admits: it lets`;
  const tail = "; each agent may use only its configured tools (grant them with Allow rules)";
  // agentgateway v1.4.1 RuleSets::validate: with only Deny rules, whatever none of them matches is allowed.
  assert.deepEqual(await run([rules("Deny", 'mcp.tool.target == "retired"')]), [
    `${head("Deny")} tool calculator be used by agents/support, which no mesh ALLOW policy for the tool grants${tail}`,
    `${head("Deny")} tool ticket-lookup be used by agents/research, which no mesh ALLOW policy for the tool grants${tail}`,
  ]);
  assert.deepEqual(await run([rules("Require", 'source.identity.namespace == "agents"')]), [
    `${head("Require")} tool calculator be used by callers without pinning them to agent identities (source.identity namespace and serviceAccount): every agent the MCP gateway admits may call it${tail}`,
    `${head("Require")} tool ticket-lookup be used by callers without pinning them to agent identities (source.identity namespace and serviceAccount): every agent the MCP gateway admits may call it${tail}`,
  ]);
  // The per-tool grants written as one Require rule, or their complement as Deny rules, grant what the mesh does.
  assert.deepEqual(await run([rules("Require", `${clause("calculator", "research")} || ${clause("ticket-lookup", "support")}`)]), []);
  assert.deepEqual(await run([rules("Deny", clause("calculator", "support"), clause("ticket-lookup", "research"))]), []);
});

test("agent-call-graph: the versions of an agent (v1 and its canary) are granted the same tools", async () => {
  const version = (agent: string, v: string) =>
    on("kubernetes:apps/v1:Deployment", `agents-deploy-${agent}-${v}`, {
      metadata: { name: `${agent}-${v}`, namespace: "agents" },
      spec: { template: { metadata: { labels: { "app.kubernetes.io/name": agent, "app.kubernetes.io/instance": `${agent}-${v}` } }, spec: { serviceAccountName: `${agent}-${v}`, containers: [] } } },
    });
  const fleetOf = [...fleet.filter((r) => !r.name.includes("-agents-sa-")), ...["research-v1", "research-v2", "support-v1"].map((s) => sa("agents", s)), version("research", "v1"), version("research", "v2"), version("support", "v1")];
  const run = async (extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...fleetOf, ...extra])).violations.map((v) => v.message);
  const same = [toolAgents("calculator", "research-v1", "research-v2"), toolAgents("ticket-lookup", "support-v1"), toolAccess(`${clause("calculator", "research-v1", "research-v2")} || ${clause("ticket-lookup", "support-v1")}`)];
  assert.deepEqual(await run(same), []);
  // The canary given the support agent's tool in both layers: each layer agrees, the versions do not.
  assert.deepEqual(await run([same[0], toolAgents("ticket-lookup", "support-v1", "research-v2"), toolAccess(`${clause("calculator", "research-v1", "research-v2")} || ${clause("ticket-lookup", "support-v1", "research-v2")}`)]), [
    "AuthorizationPolicy tools/ticket-lookup-agents on cluster a admits agents/research-v2 to tool ticket-lookup but not agents/research-v1, though they run the same agent, research (pods labelled app.kubernetes.io/name=research): an agent's versions (a canary and the version it is compared with) are granted the same tools, its configured ones",
  ]);
  // The canary left out of its agent's tools.
  assert.deepEqual(await run([toolAgents("calculator", "research-v1"), same[1], toolAccess(`${clause("calculator", "research-v1")} || ${clause("ticket-lookup", "support-v1")}`)]), [
    "AuthorizationPolicy tools/calculator-agents on cluster a admits agents/research-v1 to tool calculator but not agents/research-v2, though they run the same agent, research (pods labelled app.kubernetes.io/name=research): an agent's versions (a canary and the version it is compared with) are granted the same tools, its configured ones",
  ]);
});

test("agent-call-graph: beside Deny and Require rules, the Allow rules' grants are still held to the mesh's", async () => {
  const policy = (name: string, action: string, ...expressions: string[]) =>
    on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy", `tools-agpol-${name}`, {
      metadata: { name, namespace: "tools" },
      spec: { targetRefs: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "mcp-tools" }], backend: { mcp: { authorization: { action, policy: { matchExpressions: expressions } } } } },
    });
  const backend = mcpBackend("mcp-tools", [selectorTarget("calculator"), selectorTarget("ticket-lookup")]);
  const run = async (extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...backedFleet, mcpSvc("calculator"), mcpSvc("ticket-lookup"), backend, ...extra])).violations.map((v) => v.message);
  const inAgents = policy("mcp-agents-only", "Require", 'source.identity.namespace == "agents"');
  const perTool = `${clause("calculator", "research")} || ${clause("ticket-lookup", "support")}`;
  assert.deepEqual(await run([policy("mcp-tool-access", "Allow", perTool), inAgents]), []);
  // A Require rule does not hide an Allow rule granting an agent another agent's tool.
  assert.deepEqual(await run([policy("mcp-tool-access", "Allow", perTool, clause("calculator", "support")), inAgents]), [
    "AgentgatewayPolicy tools/mcp-tool-access on cluster a lets agent agents/support call tool calculator through the MCP gateway, which no mesh ALLOW policy for the tool grants it: each agent may use only its configured tools, and the mesh and the MCP gateway must grant the same ones",
  ]);
  // Nor an agent the mesh admits that no Allow rule grants (Deny and Require only narrow).
  assert.deepEqual(await run([policy("mcp-tool-access", "Allow", clause("calculator", "research")), inAgents]), [
    "AuthorizationPolicy tools/ticket-lookup-agents on cluster a admits agent agents/support to tool ticket-lookup, which the MCP gateway's per-tool authorization (tools/mcp-tool-access, tools/mcp-agents-only) does not grant it: each agent may use only its configured tools, and the mesh and the MCP gateway must grant the same ones",
  ]);
  // Tools allowed by name, agents pinned per tool by a Require rule: the same grants.
  assert.deepEqual(await run([policy("mcp-tool-access", "Allow", 'mcp.tool.target in ["calculator", "ticket-lookup"]'), policy("mcp-agents-only", "Require", perTool)]), []);
});

test("agent-call-graph: an agent version naming its ServiceAccount through the deprecated serviceAccount alias runs as that account", async () => {
  // Kubernetes takes spec.serviceAccount when serviceAccountName is empty (pkg/apis/core/v1/conversion.go); before, the canary was read as agents/default.
  const version = (agent: string, v: string, account: Record<string, string>) =>
    on("kubernetes:apps/v1:Deployment", `agents-deploy-${agent}-${v}`, {
      metadata: { name: `${agent}-${v}`, namespace: "agents" },
      spec: { template: { metadata: { labels: { "app.kubernetes.io/name": agent } }, spec: { ...account, containers: [] } } },
    });
  const fleetOf = (canary: Record<string, string>) => [
    ...fleet.filter((r) => !r.name.includes("-agents-sa-")),
    ...["research-v1", "research-v2", "support-v1"].map((s) => sa("agents", s)),
    version("research", "v1", { serviceAccountName: "research-v1" }),
    version("research", "v2", canary),
    version("support", "v1", { serviceAccountName: "support-v1" }),
  ];
  const same = [toolAgents("calculator", "research-v1", "research-v2"), toolAgents("ticket-lookup", "support-v1"), toolAccess(`${clause("calculator", "research-v1", "research-v2")} || ${clause("ticket-lookup", "support-v1")}`)];
  const run = async (canary: Record<string, string>) => (await runStack(agentCallGraph, [...fleetOf(canary), ...same])).violations.map((v) => v.message);
  assert.deepEqual(await run({ serviceAccount: "research-v2" }), []);
  assert.deepEqual(await run({ serviceAccountName: "", serviceAccount: "research-v2" }), []);
  // serviceAccountName wins over the alias: the canary runs as support-v1, which the calculator's grants leave out.
  const both = await run({ serviceAccountName: "support-v1", serviceAccount: "research-v2" });
  assert.ok(both.some((m) => m.includes("admits agents/research-v1 to tool calculator but not agents/support-v1")), both.join("\n"));
});
