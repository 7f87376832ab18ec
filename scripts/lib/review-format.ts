/**
 * The human-readable policy report: failing policies first, each with its description and its
 * violations grouped by resource, then warnings, then one line listing what passed.
 */
import type { PolicyReport, PolicyVerdict, Violation } from "./review";

const mark: Record<PolicyVerdict["verdict"], string> = { fail: "✗", warn: "!", pass: "✓", disabled: "-" };

function resourceLabel(urn: string, type: string): string {
  if (!urn) return "(stack)";
  const name = urn.split("::").slice(3).join("::");
  return `${type || urn.split("::")[2]?.split("$").pop() || "?"} ${name}`;
}

function indent(text: string, prefix: string): string {
  return text.split("\n").map((l) => prefix + l).join("\n");
}

export function formatReport(report: PolicyReport): string {
  const lines: string[] = [];
  const { summary } = report;
  // An export with no resources (a stack never updated) names no stack: the name is read from URNs.
  const stack = report.stack ? `stack ${report.project}/${report.stack}` : "a stack with no resources";
  lines.push(
    `Policy pack ${report.policyPack.name}@${report.policyPack.version} on ${stack}: ` +
      `${summary.resources} resources, ${summary.policies} policies`,
  );
  if (summary.undecryptableSecrets > 0) {
    lines.push(
      `  (${summary.undecryptableSecrets} secret value(s) are encrypted in this export and reach the pack as unknowns, as computed values do in a preview: checks that need their content skip them, checks of how they are kept do not; review a \`pulumi stack export --show-secrets\` file, or a passphrase-encrypted export with PULUMI_CONFIG_PASSPHRASE(_FILE) set, for exactly the verdicts \`pulumi preview\` gives)`,
    );
  }
  for (const note of report.notes ?? []) lines.push(`  note: ${note}`);
  lines.push("");
  const byPolicy = new Map<string, Violation[]>();
  for (const v of report.violations) byPolicy.set(v.policy, [...(byPolicy.get(v.policy) ?? []), v]);
  const order: PolicyVerdict["verdict"][] = ["fail", "warn"];
  for (const verdict of order) {
    for (const p of report.policies.filter((x) => x.verdict === verdict)) {
      const vs = byPolicy.get(p.name) ?? [];
      lines.push(`${mark[verdict]} ${p.enforcementLevel.padEnd(9)} ${p.name} (${vs.length} violation${vs.length === 1 ? "" : "s"})`);
      lines.push(indent(p.description, "      "));
      const byResource = new Map<string, Violation[]>();
      for (const v of vs) byResource.set(v.urn, [...(byResource.get(v.urn) ?? []), v]);
      for (const [urn, rvs] of byResource) {
        lines.push(`    • ${resourceLabel(urn, rvs[0].type)}`);
        for (const v of rvs) {
          const level = v.enforcementLevel === p.enforcementLevel ? "" : `[${v.enforcementLevel}] `;
          lines.push(indent(`${level}${v.message}`, "        "));
        }
        if (urn) lines.push(`        ${urn}`);
      }
      lines.push("");
    }
  }
  const passed = report.policies.filter((p) => p.verdict === "pass").map((p) => p.name);
  const disabled = report.policies.filter((p) => p.verdict === "disabled").map((p) => p.name);
  if (passed.length) lines.push(`${mark.pass} passed (${passed.length}): ${passed.join(", ")}`);
  if (disabled.length) lines.push(`${mark.disabled} disabled (${disabled.length}): ${disabled.join(", ")}`);
  // As a preview does, the verdicts above judge each resource as its remediations leave it.
  for (const r of report.remediations ?? []) lines.push(`  remediated (as pulumi preview would, before judging): ${r.policy} on ${r.urn} (${r.description})`);
  lines.push("");
  lines.push(
    summary.mandatory > 0
      ? `FAILED: ${summary.mandatory} mandatory and ${summary.advisory} advisory violation(s).`
      : `OK: no mandatory violations (${summary.advisory} advisory).`,
  );
  return lines.join("\n") + "\n";
}
