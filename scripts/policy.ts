/**
 * `npm run policy -- --state FILE [--config FILE] [--out FILE|-] [--pack DIR] [--json]`
 *
 * Without `--config`, the `policy-config.json` a render wrote beside the state file applies (not
 * to an export copied there of another stack or project than its stack.json's), else
 * the pack's `config.<stack>.{json,yaml}` when it exists and the export's URNs name that stack of
 * this repository's project (pack-config-choice.ts).
 *
 * Evaluates the CrossGuard pack on a deployment export (our `out/<stack>/stack.json` or a
 * `pulumi stack export` file) over the analyzer gRPC protocol, as `pulumi preview --policy-pack`
 * would. Prints the report grouped by policy and resource, writes it as JSON to `--out` (by
 * default `policy.json` beside the state file; `--out -` writes none; `--json` prints the JSON
 * instead of the text) and exits 1 on any mandatory violation (2 when the review itself could not
 * run).
 */
import { forCaller, fromCaller, makeDirectories, parseCommandLine, sameFile } from "./lib/cli";
import * as fs from "node:fs";
import * as path from "node:path";
import { readDeploymentFile, reviewDeployment, formatReport, PolicyReport, defaultPackDir } from "./lib/review";
import { besideConfigMismatch, packConfigForExport } from "./lib/pack-config-choice";
import { loadProject } from "./lib/stack-config";
import { readPolicyConfigFile } from "./lib/policy-config";
import { decryptPassphraseSecrets } from "./lib/export-decrypt";

/** Written beside the target and renamed, so a reader never sees half a report. */
function writeAtomically(file: string, content: string): void {
  makeDirectories(path.dirname(file));
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

const usage = "usage: npm run policy -- --state FILE [--config FILE] [--out FILE|-] [--pack DIR] [--json]";

/**
 * Why the report cannot go to `out`, known before the review runs: the report would replace one of
 * the files the review reads (a state file named policy.json takes the default), or `out` is a
 * directory or lies below a file. A write that fails for other reasons is said after the verdict,
 * which it does not change.
 */
function reportPathProblem(out: string, inputs: [string, string | undefined][]): string | undefined {
  for (const [what, file] of inputs) {
    if (file && sameFile(out, file)) return `would overwrite the ${what} the review reads; give --out another FILE, or --out - for none`;
  }
  if (fs.existsSync(out) && fs.statSync(out).isDirectory()) return `is a directory; --out takes the report's file name (such as ${forCaller(path.join(out, "policy.json"))}), or - for none`;
  let dir = path.dirname(out);
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  if (!fs.statSync(dir).isDirectory()) return `cannot be written: ${dir} is a file, not a directory`;
  return undefined;
}

/**
 * The directory "beside the state file" names, where the report and a render's policy-config.json
 * are; none for a pipe or terminal (`--state /dev/stdin` under `pulumi stack export |`, or
 * `<(pulumi stack export)`), whose /dev or /proc path is no place of the user's to write to. A file
 * redirected to a descriptor path (`--state /dev/stdin < export.json`) is where the file is.
 */
function directoryOfState(state: string): string | undefined {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(state);
  } catch {
    return path.dirname(state); // not there, or not reachable: readDeploymentFile names it
  }
  if (!stat.isFile()) return stat.isDirectory() ? path.dirname(state) : undefined;
  return /^\/(dev|proc)\//.test(state) ? path.dirname(fs.realpathSync.native(state)) : path.dirname(state);
}

async function main(): Promise<number> {
  const values = parseCommandLine("policy", usage, {
    state: { type: "string" },
    config: { type: "string" },
    out: { type: "string" },
    pack: { type: "string" },
    json: { type: "boolean", default: false },
  });
  if (typeof values === "number") return values;
  if (!values.state) {
    console.error(`policy: --state FILE is required: the deployment export to review (out/<stack>/stack.json from a render, or \`pulumi stack export\` output)\n${usage}`);
    return 2;
  }
  for (const key of ["state", "config", "pack"] as const) values[key] = fromCaller(values[key]);
  if (values.out !== "-") values.out = fromCaller(values.out);
  // Before the state is read and the config chosen, whose notes would otherwise precede this.
  if (values.pack && !fs.existsSync(path.join(values.pack, "PulumiPolicy.yaml"))) {
    console.error(`policy: --pack ${values.pack} is not a policy pack (no PulumiPolicy.yaml)`);
    return 2;
  }
  const stateDir = directoryOfState(path.resolve(values.state));
  const out = values.out ?? (stateDir ? path.join(stateDir, "policy.json") : "-");
  // Without --config the review reads the policy-config.json a render wrote beside the state.
  const besideState = stateDir && path.join(stateDir, "policy-config.json");
  try {
    const exported = readDeploymentFile(path.resolve(values.state));
    const packDir = path.resolve(values.pack ?? defaultPackDir);
    // Without --config: the effective config a render wrote beside its stack.json, else the
    // pack's config file for the export's stack, where the export is of this project.
    // ... where it is that render's config for the export's stack (an export copied beside another's is not).
    const beside = !values.config && besideState && fs.existsSync(besideState) ? besideState : undefined;
    const notTheExports = beside && besideConfigMismatch(exported, path.resolve(values.state), beside, readDeploymentFile);
    const fromPack = values.config || (beside && !notTheExports) ? undefined : packConfigForExport(exported, packDir, () => loadProject().name);
    const configFile = values.config ? path.resolve(values.config) : beside && !notTheExports ? beside : fromPack!.file;
    // After the state is read (a report passed as --state is named as not an export), before the review.
    const outProblem = out === "-" ? undefined : reportPathProblem(path.resolve(out), [["state file (--state)", values.state], ["policy config", configFile]]);
    if (outProblem) {
      console.error(`policy: the report ${forCaller(path.resolve(out))}${values.out ? "" : " (policy.json beside the state file, when no --out is given)"} ${outProblem}`);
      return 2;
    }
    if (notTheExports) console.error(`warning: ${forCaller(beside!)} is not used: ${notTheExports}; pass --config ${forCaller(beside!)} to review with it anyway`);
    // A passphrase-encrypted export is read with the stack's passphrase when the environment has
    // it, as the CLI loads the state before a preview; otherwise its secrets stay unknowns.
    const { warning } = decryptPassphraseSecrets(exported, path.resolve(values.state));
    if (warning) console.error(`warning: ${warning}`);
    const read = configFile ? readPolicyConfigFile(configFile) : undefined;
    const config = read?.config;
    if (configFile && !values.json) console.log(`policy config: ${forCaller(configFile)}${fromPack ? ` (${fromPack.why})` : ""}`);
    if (read?.format === "yaml") {
      console.error(`note: ${forCaller(configFile!)} is YAML, which only this offline review reads: pulumi preview --policy-pack-config reads JSON (a render writes the JSON as out/<stack>/policy-config.json)`);
    }
    // An export does not carry the stack's `policy:` settings; say which knobs the verdicts used.
    if (!configFile) console.error(`policy config: none (no --config, ${notTheExports ? "the policy-config.json beside the state not the export's" : "no policy-config.json beside the state"}, and ${fromPack!.why}): the pack's defaults apply, not the stack's \`policy:\` settings; pass --config out/<stack>/policy-config.json from a render`);
    const { report, mandatoryViolations } = await reviewDeployment(exported, { packDir, config, environments: read?.environments, configSource: configFile && `policy config ${configFile}` });
    const json = JSON.stringify(report, null, 2) + "\n";
    process.stdout.write(values.json ? json : formatReport(report as PolicyReport));
    if (!stateDir && !values.out) console.error(`policy report: not written: --state ${values.state} is not a regular file (a pipe or a terminal), so there is no directory beside it for policy.json; give --out FILE to keep the report`);
    if (out !== "-") {
      try {
        writeAtomically(path.resolve(out), json);
        if (!values.json) console.log(`policy report: ${forCaller(path.resolve(out))}`);
      } catch (err) {
        // The verdict stands without the file: report the write failure, keep the exit code.
        console.error(`policy report not written to ${out}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return mandatoryViolations > 0 ? 1 : 0;
  } catch (err) {
    console.error(`policy review failed: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
}

main().then((code) => process.exit(code));
