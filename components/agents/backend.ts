/**
 * The one MCP AgentgatewayBackend that multiplexes every tool of a cluster behind `mcp-gateway`.
 *
 * Choices, each against a problem users hit upstream:
 * - one target per tool, each selecting exactly that tool's Service by label: a selector matching
 *   several Services returned an empty tool list (agentgateway#742), and selector targets are what
 *   stateful session routing needs (static hosts get no affinity, agentgateway#1401);
 * - `prefixMode: Always`: tool names are `<tool>_<name>` from the first tool on, so adding a second
 *   tool does not rename the first one's tools under running agents (agentgateway#495);
 * - `sessionRouting: Stateful`: agentgateway pins each MCP session to one tool pod and encodes that
 *   routing in the session id it hands out, so sessions survive several gateway and tool replicas
 *   (agentgateway#573, #754); clients on MCP 2026-07-28 have no sessions and are unaffected;
 * - `failureMode: FailOpen`: one unavailable tool drops out of the list instead of failing every
 *   agent's session.
 */
import type { ToolSpec } from "../../infra/config";
import type { Manifest } from "../k8s/apply";
import { appLabels } from "../k8s/apply";
import { mcpBackendName, toolSelector, toolsNamespace } from "./names";

/** AgentgatewayBackend `spec.mcp.targets` takes at most 32 entries (agentgateway v1.4.1 CRD, maxItems). */
export const MAX_MCP_TARGETS = 32;

export function mcpBackendManifest(tools: ToolSpec[]): Manifest {
  if (tools.length === 0) throw new Error("the MCP backend needs at least one tool");
  // Config validation (infra/validate-agent-limits.ts) refuses such a fleet first, naming the cluster.
  if (tools.length > MAX_MCP_TARGETS) throw new Error(`the MCP backend takes at most ${MAX_MCP_TARGETS} targets, got ${tools.length}`);
  return {
    apiVersion: "agentgateway.dev/v1alpha1",
    kind: "AgentgatewayBackend",
    metadata: {
      name: mcpBackendName,
      namespace: toolsNamespace,
      labels: appLabels({ name: mcpBackendName, instance: mcpBackendName, component: "mcp-backend" }),
    },
    spec: {
      mcp: {
        // By name: reordering `tools` in the config is no change to the backend.
        targets: [...tools].sort((a, b) => (a.name < b.name ? -1 : 1)).map((t) => ({ name: t.name, selector: { services: { matchLabels: toolSelector(t) } } })),
        sessionRouting: "Stateful",
        prefixMode: "Always",
        failureMode: "FailOpen",
      },
    },
  };
}
