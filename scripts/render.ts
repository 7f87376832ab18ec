/**
 * `npm run render -- --stack <name> [--stack-file FILE] [--out DIR] [--policy-config FILE] [--policy-pack DIR]`
 * (`--stack` defaults to the stack file's name, `Pulumi.<name>.yaml`, else `local`)
 *
 * Renders a stack offline (mock engine, no CLI, plugins or credentials) into `out/<stack>/`.
 * Exit 1 on a bad config (nothing written) or on mandatory policy violations (everything is still
 * written, so that reviewers see the verdicts next to the objects they concern); exit 2 when the
 * command itself is wrong (options, stack name, files that are not there).
 */
import { forCaller, fromCaller, parseCommandLine } from "./lib/cli";
import * as fs from "node:fs";
import * as path from "node:path";
import { checkStackName, renderStack } from "./lib/render";
import { knownStacksText, loadProject, Project, repoRoot, stackFile } from "./lib/stack-config";
import { formatReport, PolicyReport } from "./lib/review";
import { ConfigError } from "../infra/config";
import { ForeignOutputError } from "./lib/out-swap";
import { OutputBusyError } from "./lib/out-lock";

/** `--stack-file stacks/Pulumi.staging.yaml` renders stack `staging`; without either flag, `local`. */
function stackNameOf(stackFile: string | undefined): string {
  if (!stackFile) return "local";
  const base = path.basename(stackFile);
  return base.match(/^Pulumi\.(.+)\.ya?ml$/)?.[1] ?? base.replace(/\.ya?ml$/, "");
}

const usage = "usage: npm run render -- [--stack NAME] [--stack-file FILE] [--out DIR] [--policy-config FILE] [--policy-pack DIR]";


/**
 * Why the output root (created if missing) cannot take the render, checked before the program runs
 * rather than after it: its nearest existing ancestor must be a writable directory.
 */
function unwritableOutput(outRoot: string): string | undefined {
  let dir = outRoot;
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  if (!fs.statSync(dir).isDirectory()) return `${dir} is a file, not a directory`;
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    // Permission bits are not the whole story (root passes them everywhere, and a pseudo file
    // system such as /proc takes no new directories, where Node 20's recursive mkdir spins
    // forever): make and remove a directory there.
    fs.rmdirSync(fs.mkdtempSync(path.join(dir, ".inference-mesh+probe-")));
  } catch {
    return `${dir} is not writable`;
  }
  return undefined;
}

/** Why the invocation cannot work, before anything runs. */
function invocationProblem(stack: string, project: Project, files: { stackFile?: string; out?: string; policyConfig?: string; policyPack?: string }): string | undefined {
  try {
    checkStackName(stack);
  } catch (err) {
    return (err as Error).message;
  }
  if (files.stackFile === undefined && !fs.existsSync(stackFile(stack, project))) {
    return `no stack config ${path.relative(repoRoot, stackFile(stack, project))}; ${knownStacksText(project)} (or give --stack-file)`;
  }
  if (files.stackFile !== undefined) {
    if (!fs.existsSync(files.stackFile)) return `--stack-file ${files.stackFile}: no such file`;
    if (fs.statSync(files.stackFile).isDirectory()) return `--stack-file ${files.stackFile} is a directory, not a stack config file`;
  }
  if (files.out && fs.existsSync(files.out) && !fs.statSync(files.out).isDirectory()) return `--out ${files.out} is a file, not a directory`;
  const unwritable = unwritableOutput(files.out ?? path.join(repoRoot, "out"));
  if (unwritable) return `${files.out ? `--out ${files.out}` : "the output directory out/"}: ${unwritable}`;
  if (files.policyConfig && !fs.existsSync(files.policyConfig)) return `--policy-config ${files.policyConfig}: no such file`;
  if (files.policyConfig && fs.statSync(files.policyConfig).isDirectory()) return `--policy-config ${files.policyConfig} is a directory, not a file`;
  if (files.policyPack && !fs.existsSync(path.join(files.policyPack, "PulumiPolicy.yaml"))) return `--policy-pack ${files.policyPack} is not a policy pack (no PulumiPolicy.yaml)`;
  const fromEnv = process.env.INFERENCE_MESH_POLICY_PACK;
  if (!files.policyPack && fromEnv && !fs.existsSync(path.join(path.resolve(fromEnv), "PulumiPolicy.yaml"))) {
    return `$INFERENCE_MESH_POLICY_PACK ${fromEnv} is not a policy pack (no PulumiPolicy.yaml); unset it to use policy/`;
  }
  return undefined;
}

async function main(): Promise<number> {
  const values = parseCommandLine("render", usage, {
    stack: { type: "string" },
    "stack-file": { type: "string" },
    out: { type: "string" },
    "policy-config": { type: "string" },
    "policy-pack": { type: "string" },
  });
  if (typeof values === "number") return values;
  const stack = values.stack ?? stackNameOf(values["stack-file"]);
  const files = {
    stackFile: fromCaller(values["stack-file"]),
    out: fromCaller(values.out),
    policyConfig: fromCaller(values["policy-config"]),
    policyPack: fromCaller(values["policy-pack"]),
  };
  let problem: string | undefined;
  let project: Project;
  try {
    project = loadProject();
    problem = invocationProblem(stack, project, files);
  } catch (err) {
    // Pulumi.yaml, read for its stackConfigDir: the project is broken, not the command.
    console.error(`render: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  if (problem) {
    console.error(`render: ${problem}\n${usage}`);
    return 2;
  }
  try {
    const result = await renderStack({
      stack,
      stackFile: files.stackFile,
      project,
      outDir: files.out,
      policyConfigFile: files.policyConfig,
      policyPackDir: files.policyPack,
    });
    const n = result.export.deployment.resources.length;
    console.log(`rendered stack '${stack}': ${n} resources → ${forCaller(result.dir)}/`);
    const report = result.review.report as Partial<PolicyReport>;
    if (report.summary) {
      console.log(
        `policy ${report.policyPack!.name}@${report.policyPack!.version}: ${report.summary.policies} policies, ` +
          `${report.summary.mandatory} mandatory and ${report.summary.advisory} advisory violation(s)`,
      );
      // What the review ignored as pulumi preview would (a misspelt policy or knob in policy/config.<stack>):
      // the full report below says it when it fails, this line when nothing else is printed.
      if (result.review.mandatoryViolations === 0) for (const note of report.notes ?? []) console.log(`note: ${note}`);
    } else {
      console.log(`policy: not evaluated (${String((report as Record<string, unknown>).reason)})`);
      console.error("warning: no policy pack, so no policy gate: this render passes whatever the stack does");
    }
    if (result.review.mandatoryViolations > 0) {
      console.error(formatReport(report as PolicyReport));
      console.error(`${result.review.mandatoryViolations} mandatory policy violation(s); see ${forCaller(result.dir)}/policy.json`);
      return 1;
    }
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`stack '${stack}': ${err.message}`);
      console.error(`${forCaller(path.join(files.out ?? path.join(repoRoot, "out"), stack))}/ was left untouched.`);
      return 1;
    }
    if (err instanceof ForeignOutputError) {
      // Found before the program ran, or under the lock before the swap: nothing was replaced, and
      // the new tree was removed.
      console.error(`render: ${err.message}\n${usage}`);
      return 2;
    }
    if (err instanceof OutputBusyError) {
      // Nothing of this render was written: the other render's out/<stack> stands.
      console.error(`stack '${stack}': ${err.message}; this render wrote nothing.`);
      return 1;
    }
    console.error(`render of stack '${stack}' failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

main().then((code) => process.exit(code));
