/**
 * The offline render: runs the real program under the mock engine for one stack and writes
 * `out/<stack>/` as the contract in ARCHITECTURE.md describes. Everything is written to a
 * temporary directory first and renamed into place at the end, so a failed render leaves the
 * previous output untouched.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { loadStackConfig, Project, repoRoot, STACK_FILE_KEYS } from "./stack-config";
import { closestName } from "../../infra/closest";
import { startMockEngine, runProgram, toDeploymentExport, toPreviewDeployment, DeploymentExport } from "./engine";
import { manifestsByCluster, manifestFiles, releasesByCluster } from "./outputs";
import { reviewDeployment, ReviewResult, packAvailable, defaultPackDir, policyConfigFor } from "./review";
import { PolicyPackProcess } from "./policy-pack";
import type { PackUsage } from "./analyzer-types";
import { readPolicyConfigFile, mergePolicyConfig, policyConfigDocument, policyConfigFromStack } from "./policy-config";
import { topologyMarkdown } from "./topology";
import { checkOutputIsOurs, makeTempTree, recoverOutput, swapIntoPlace } from "./out-swap";
import { CONFIG_ROOT, ConfigError, parsePlatform, platformFromConfigString, renamedProjectHint } from "../../infra/config";
import { cliJson, configSizeProblems } from "../../infra/validate-size";

export interface RenderOptions {
  stack: string;
  /** Stack config file; defaults to `Pulumi.<stack>.yaml` in Pulumi.yaml's `stackConfigDir` (stacks/). */
  stackFile?: string;
  /** Pulumi.yaml as the command read it (stack-config.ts loadProject); read here when not given. */
  project?: Project;
  /** Parent of `<stack>/`; defaults to `out/`. */
  outDir?: string;
  /** Replaces `inference-mesh:platform` (benchmarks render generated fleets). */
  platformOverride?: unknown;
  /**
   * Policy pack config (`--policy-pack-config`); defaults to the pack's `config.<stack>.{json,yaml}`
   * when that file exists, else the pack's own defaults.
   */
  policyConfigFile?: string;
  /** Policy pack directory; defaults to `policy/`. */
  policyPackDir?: string;
}


export interface RenderResult {
  dir: string;
  export: DeploymentExport;
  review: ReviewResult;
  /** CPU and peak memory of the policy pack's process, where the platform reports them. */
  packUsage?: PackUsage;
}

function writeTree(dir: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
}

/** Validates the stack's platform config; throws ConfigError without touching the output. */
export function validateStack(options: RenderOptions) {
  const stackConfig = loadStackConfig(options.stack, options.stackFile, options.project);
  if (options.platformOverride !== undefined) stackConfig.config[CONFIG_ROOT] = cliJson(options.platformOverride);
  const where = path.relative(repoRoot, stackConfig.file);
  // ESC environments hand `pulumi up` config from Pulumi Cloud; nothing here can open them.
  const esc = stackConfig.environments.length ? `; its \`environment:\` (${stackConfig.environments.join(", ")}) may set it for \`pulumi up\`, but the offline render opens no ESC environment, so set it in the file itself to render` : "";
  // A misspelt `config:` (`confg:`) is a top-level key the CLI reads nothing from: the likely cause.
  const stray = stackConfig.unknownKeys.map((k) => [k, closestName(k, STACK_FILE_KEYS, 2)]).map(([k, near]) => `'${k}'${near ? ` (did you mean '${near}'?)` : ""}`);
  const top = stray.length ? `; its top-level ${stray.join(", ")} ${stray.length > 1 ? "are no keys" : "is no key"} a stack file takes (${STACK_FILE_KEYS.join(", ")}), so nothing under ${stray.length > 1 ? "them" : "it"} is read` : "";
  const raw = platformFromConfigString(stackConfig.config[CONFIG_ROOT], renamedProjectHint(stackConfig.project) ?? `set it in ${where}${top}${esc}`);
  // A config too large for the CLI to start the program with is reported with the others.
  const sizeProblems = configSizeProblems(stackConfig.config, raw);
  let spec: ReturnType<typeof parsePlatform>;
  try {
    spec = parsePlatform(raw, options.stack);
  } catch (err) {
    if (err instanceof ConfigError && sizeProblems.length > 0) throw new ConfigError([...sizeProblems, ...err.problems]);
    throw err;
  }
  if (sizeProblems.length > 0) throw new ConfigError(sizeProblems);
  return { stackConfig, spec };
}

/**
 * Pulumi's stack-name rule (letters, digits, `-`, `_`, `.`; at most 100), and never `.` or `..`:
 * the name becomes a directory under the output root, which a render replaces wholesale.
 */
export function checkStackName(stack: string): void {
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(stack) || stack === "." || stack === "..") {
    throw new StackNameError(`'${stack}' is not a stack name: use letters, digits, '-', '_' and '.' (at most 100), not '.' or '..'`);
  }
}

export class StackNameError extends Error {}

export async function renderStack(options: RenderOptions): Promise<RenderResult> {
  checkStackName(options.stack);
  const outRoot = options.outDir ?? path.join(repoRoot, "out");
  recoverOutput(outRoot, options.stack);
  const { stackConfig, spec } = validateStack(options);
  checkOutputIsOurs(outRoot, options.stack);
  const target = path.join(outRoot, options.stack);
  const configFile = options.policyConfigFile ?? policyConfigFor(options.stack, options.policyPackDir ?? defaultPackDir);
  // The stack's own policy settings, then the pack config file over them (levels, extra knobs).
  // A stack without gateways.agents.jwt (allowed on existing clusters, or with policy.requireAgentJwt
  // false) renders an agent gateway without JWT authentication: the pack is told not to require it.
  const agentJwt = spec.gateways.agents ? spec.policy.requireAgentJwt !== false && spec.gateways.agents.jwt !== undefined : true;
  const read = configFile ? readPolicyConfigFile(configFile) : undefined;
  const policyConfig = mergePolicyConfig(policyConfigFromStack({ ...spec.policy, requireAgentJwt: agentJwt }), read?.config ?? {});
  // The pack boots in its own process while the program runs here.
  const pack = packAvailable(options.policyPackDir)
    ? PolicyPackProcess.start(options.policyPackDir ?? defaultPackDir, { stack: options.stack, project: stackConfig.project, config: stackConfig.config })
    : undefined;
  pack?.catch(() => undefined);
  let exported: DeploymentExport;
  let review: ReviewResult;
  let packUsage: PackUsage | undefined;
  try {
    const captured = startMockEngine(stackConfig.project, options.stack, stackConfig.config);
    await runProgram(() => import("../../infra/index"));
    exported = toDeploymentExport(captured);
    // The review runs on exactly what stack.json will hold (its secrets decrypted, as a preview
    // hands them to the pack), before anything is written, so a review that cannot run leaves
    // out/ untouched; violations still produce the full output.
    review = await reviewDeployment(toPreviewDeployment(captured), {
      pack,
      config: policyConfig,
      environments: read?.environments,
      configSource: configFile ? `policy config ${configFile} (over stack '${options.stack}' policy: settings)` : `the policy config of stack '${options.stack}' policy: settings`,
    });
  } finally {
    await pack?.then(
      async (p) => {
        await p.close();
        packUsage = p.finalUsage;
      },
      () => undefined,
    );
  }

  // Written to a temporary tree, then swapped into place (out-swap.ts: concurrent renders, signals,
  // and what a killed render leaves, which the next render of the stack sweeps).
  const tmp = makeTempTree(outRoot, options.stack);
  try {
    const files: Record<string, string> = {
      "stack.json": JSON.stringify(exported, null, 2) + "\n",
      "policy.json": JSON.stringify(review.report, null, 2) + "\n",
      // What to pass to `pulumi preview --policy-pack policy --policy-pack-config …` for the same verdicts.
      "policy-config.json": JSON.stringify(policyConfigDocument(policyConfig, read?.environments), null, 2) + "\n",
      "topology.md": topologyMarkdown(exported, options.stack),
    };
    for (const m of manifestsByCluster(exported.deployment.resources).values()) {
      for (const f of manifestFiles(m)) files[path.join("manifests", m.cluster, f.file)] = f.content;
    }
    for (const [cluster, releases] of releasesByCluster(exported.deployment.resources)) {
      files[path.join("releases", `${cluster}.yaml`)] =
        `# Helm releases on ${cluster}, in install order.\n` + yaml.dump({ releases }, { lineWidth: 200, noRefs: true });
    }
    writeTree(tmp, files);
    await swapIntoPlace(tmp, outRoot, options.stack);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return { dir: target, export: exported, review, packUsage };
}
