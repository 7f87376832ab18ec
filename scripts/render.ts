/**
 * `npm run render -- --stack <name> [--stack-file FILE] [--out DIR] [--policy-config FILE] [--policy-pack DIR]`
 * (`--stack` defaults to the stack file's name, `Pulumi.<name>.yaml`, else `local`)
 *
 * Renders a stack offline (mock engine, no CLI, plugins or credentials) into `out/<stack>/`.
 * Exit 1 on a bad config (nothing written) or on mandatory policy violations (everything is still
 * written, so that reviewers see the verdicts next to the objects they concern).
 */
import { parseArgs } from "node:util";
import * as path from "node:path";
import { renderStack } from "./lib/render";
import { formatReport, PolicyReport } from "./lib/review";
import { ConfigError } from "../infra/config";

/** `--stack-file stacks/Pulumi.staging.yaml` renders stack `staging`; without either flag, `local`. */
function stackNameOf(stackFile: string | undefined): string {
  if (!stackFile) return "local";
  const base = path.basename(stackFile);
  return base.match(/^Pulumi\.(.+)\.ya?ml$/)?.[1] ?? base.replace(/\.ya?ml$/, "");
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      stack: { type: "string" },
      "stack-file": { type: "string" },
      out: { type: "string" },
      "policy-config": { type: "string" },
      "policy-pack": { type: "string" },
    },
  });
  const stack = values.stack ?? stackNameOf(values["stack-file"]);
  try {
    const result = await renderStack({
      stack,
      stackFile: values["stack-file"] && path.resolve(values["stack-file"]),
      outDir: values.out && path.resolve(values.out),
      policyConfigFile: values["policy-config"] && path.resolve(values["policy-config"]),
      policyPackDir: values["policy-pack"] && path.resolve(values["policy-pack"]),
    });
    const n = result.export.deployment.resources.length;
    console.log(`rendered stack '${stack}': ${n} resources → ${path.relative(process.cwd(), result.dir)}/`);
    const report = result.review.report as Partial<PolicyReport>;
    if (report.summary) {
      console.log(
        `policy ${report.policyPack!.name}@${report.policyPack!.version}: ${report.summary.policies} policies, ` +
          `${report.summary.mandatory} mandatory and ${report.summary.advisory} advisory violation(s)`,
      );
    } else {
      console.log(`policy: not evaluated (${String((report as Record<string, unknown>).reason)})`);
    }
    if (result.review.mandatoryViolations > 0) {
      console.error(formatReport(report as PolicyReport));
      console.error(`${result.review.mandatoryViolations} mandatory policy violation(s); see ${path.relative(process.cwd(), result.dir)}/policy.json`);
      return 1;
    }
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`stack '${stack}': ${err.message}`);
      console.error("out/ was left untouched.");
      return 1;
    }
    console.error(`render of stack '${stack}' failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

main().then((code) => process.exit(code));
