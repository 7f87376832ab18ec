/**
 * Limits of agentgateway's resources that a large agent fleet can reach, checked per cluster on
 * the objects the program would render there (so the API server never refuses them inside
 * `pulumi up`): the one MCP backend multiplexes at most 32 tools, and each per-cluster CEL rule
 * (`mcp-tool-access`, `mcp-gateway-callers`) is one expression of at most 16384 characters.
 */
import type { PlatformConfig } from "./schema";
import { agentClustersOf } from "./validate-agents";
import { readable, readableItems, readableNames, Report, unlessBroken } from "./validate-support";
import { MAX_MCP_TARGETS } from "../components/agents/backend";
import { MAX_CEL_EXPRESSION_LENGTH, mcpCallersExpression, mcpToolAccessExpression } from "../components/agents/security";

export function checkAgentLimits(report: Report, cfg: PlatformConfig): void {
  const trustDomain = readable(() => cfg.mesh.trustDomain);
  // Agents whose placement or tools cannot be read (a field error) are left out: that error is theirs.
  const agents = readableItems(cfg.agents).filter((a) => readable(() => [a.name, a.tools, a.versions.map((v) => v.name), agentClustersOf(cfg, a)]) !== undefined);
  const toolNames = new Set(readableNames(cfg.tools).filter((n): n is string => n !== undefined));
  for (const cluster of new Set(readableNames(cfg.clusters).filter((n): n is string => n !== undefined))) {
    unlessBroken(() => {
      // Only the agents with tools reach the MCP gateway (components/agents/security.ts).
      const here = agents.filter((a) => agentClustersOf(cfg, a).includes(cluster) && a.tools.length > 0);
      const tools = new Set(here.flatMap((a) => a.tools).filter((t) => toolNames.has(t)));
      if (tools.size > MAX_MCP_TARGETS) {
        report(
          ["tools"],
          `cluster '${cluster}' would run ${tools.size} tools behind its one MCP backend (the tools its agents call); agentgateway's AgentgatewayBackend takes at most ${MAX_MCP_TARGETS} MCP targets: ` +
            `place some agents on other clusters (agents[].clusters) or let them call fewer tools`,
        );
      }
      if (trustDomain === undefined || here.length === 0) return;
      for (const [rule, expression] of [
        ["mcp-tool-access (which agent may call which tool)", mcpToolAccessExpression(trustDomain, here)],
        ["mcp-gateway-callers (the agents that may use the MCP gateway)", mcpCallersExpression(trustDomain, here)],
      ] as const) {
        if (expression.length > MAX_CEL_EXPRESSION_LENGTH) {
          report(
            ["agents"],
            `on cluster '${cluster}' the agent gateway policy ${rule} would be a ${expression.length}-character CEL expression; agentgateway takes at most ${MAX_CEL_EXPRESSION_LENGTH}: ` +
              `place some agents on other clusters (agents[].clusters), give them fewer versions or tools, or shorter agent, version and tool names`,
          );
        }
      }
    });
  }
}
