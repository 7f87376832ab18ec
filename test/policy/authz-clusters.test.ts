/**
 * Policy tests for agent-call-graph across clusters: a cluster's tools admit the agents that run on
 * that cluster (each reaches its own cluster's MCP gateway), not those only another cluster runs.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { runStack, UNKNOWN } from "../support/policy";
import { on, ap, gw, allowFrom } from "./authz-support";

const td = "cluster.local";
const agent = (name: string, cluster: string, serviceAccountName: unknown = name) =>
  on("kubernetes:apps/v1:Deployment", `agents-deploy-${name}`, { metadata: { name, namespace: "agents" }, spec: { template: { metadata: { labels: { app: name } }, spec: { serviceAccountName, containers: [] } } } }, cluster);
const toolPolicy = (cluster: string, ...agents: string[]) => ap("tools", "calculator", allowFrom(...agents.map((a) => `${td}/ns/agents/sa/${a}`)), cluster);

test("agent-call-graph: a cluster's tools admit only the agents that cluster runs", async () => {
  const fleet = [gw("agents", "agent-gateway", "agentgateway"), agent("research", "a"), agent("support", "b"), agent("research", "b")];
  const messages = async (...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...fleet, ...extra])).violations.map((v) => v.message);
  assert.deepEqual(await messages(toolPolicy("a", "research"), toolPolicy("b", "research", "support")), []);
  // The render names only its own cluster's agents; support runs on b alone.
  assert.deepEqual(await messages(toolPolicy("a", "research", "support")), [
    `AuthorizationPolicy tools/calculator admits ${td}/ns/agents/sa/support: only agents may call tools, and agents/support is no agent of the policy's cluster (it runs on cluster b only; each cluster's agents call their own cluster's tools)`,
  ]);
  // Which ServiceAccount a's agents run as is not known yet in this preview: no verdict on it.
  const previewed = await runStack(agentCallGraph, [...fleet, agent("other", "a", UNKNOWN), toolPolicy("a", "research", "support")]);
  assert.deepEqual(previewed.violations, []);
});
