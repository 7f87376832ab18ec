/**
 * `agents[]` and `tools[]` of the platform config: the agent fleets behind agentgateway and the
 * MCP tools they call. References between them and to models are checked in validate-agents.ts.
 */
import { z } from "zod";
import { mcpPathProblem } from "./mcp-path";
import { textOrDigits } from "./cli-values";
import { appPort, dnsLabel, image, replicaCount, weight } from "./schema-fields";

const agentVersion = z.strictObject({
  name: textOrDigits(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be lowercase letters, digits and '-'").max(12)),
  image,
  weight,
  canary: z.boolean().default(false),
  replicas: replicaCount(0).default(1),
});

export const agentSchema = z.strictObject({
  name: dnsLabel,
  /** Model (by `models[].name`) the agent calls through the inference gateway. */
  model: dnsLabel,
  /** MCP tools (by `tools[].name`) this agent may call. */
  tools: z.array(dnsLabel).default([]),
  port: appPort(8080),
  versions: z.array(agentVersion).min(1).max(4),
  clusters: z.array(dnsLabel).min(1, "lists the clusters the agent runs on; omit it to follow its model's clusters").optional(),
});

export const toolSchema = z.strictObject({
  name: dnsLabel,
  image,
  port: appPort(8000),
  path: z
    .string()
    .superRefine((path, ctx) => {
      const problem = mcpPathProblem(path);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .default("/mcp"),
  replicas: replicaCount(1).default(1),
  description: textOrDigits(z.string()).optional(),
});

export type AgentSpec = z.output<typeof agentSchema>;
export type ToolSpec = z.output<typeof toolSchema>;
