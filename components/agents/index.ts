/**
 * The agent fleet (issue #6 fills this in): agentgateway, agents v1 + canary, MCP tools,
 * A2A/MCP/LLM routes and least-privilege authorization.
 */
import type { PlatformSpec } from "../../infra/config";
import type { ClusterMesh } from "../mesh";
import type { ClusterInference } from "../inference";

export interface AgentsArgs {
  spec: PlatformSpec;
  mesh: Map<string, ClusterMesh>;
  inference: Map<string, ClusterInference>;
}

export function buildAgents(_args: AgentsArgs): void {}
