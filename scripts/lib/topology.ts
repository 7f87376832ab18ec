/**
 * `topology.md`: what a reviewer needs to see of the platform's shape.
 */
import type { DeploymentExport } from "./engine";

export function topologyMarkdown(exported: DeploymentExport, stack: string): string {
  const stackOutputs = exported.deployment.resources.find((r) => r.type === "pulumi:pulumi:Stack")?.outputs as
    | { clusters?: { name: string; cloud: string; region: string; network: string }[] }
    | undefined;
  const clusters = stackOutputs?.clusters ?? [];
  return [
    `# Topology of stack \`${stack}\``,
    "",
    "| cluster | cloud | region | network |",
    "| --- | --- | --- | --- |",
    ...clusters.map((c) => `| ${c.name} | ${c.cloud} | ${c.region} | ${c.network} |`),
    "",
    "Gateways, pools, east-west links and the who-may-call-whom matrix are not rendered yet.",
    "",
  ].join("\n");
}
