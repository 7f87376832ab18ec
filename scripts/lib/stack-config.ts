/**
 * Reads a stack's config the way the Pulumi CLI would hand it to the program: project-level
 * values from Pulumi.yaml, then `stacks/Pulumi.<stack>.yaml`, each key as a string (objects as
 * JSON). Encrypted (`secure:`) values cannot be decrypted offline: they stay `{"secure": …}`
 * envelopes, which the platform validation reports by path.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { deploymentExportIdentity } from "./export-shape";
import { readYamlFile, readYamlText } from "./yaml-file";
import { STACK_FILE_SCHEMA } from "./stack-file-schema";
import { blockKeyPath } from "./yaml-key-path";
import { asConfigString } from "./config-values";
import { loadProject, Project, stackValueProblem } from "./project-file";
import { ConfigError, CONFIG_ROOT, formatPath, PLATFORM_KEY, platformPathKeyHint, platformPathKeys, PROJECT } from "../../infra/config";
import { misplacedKeyHint, misplacedPlatformKeys } from "../../infra/config-keys";

export { loadProject, repoRoot } from "./project-file";
export type { Project } from "./project-file";

export interface StackConfig {
  project: string;
  stack: string;
  /** Config as the language host receives it: fully qualified keys, string values. */
  config: Record<string, string>;
  /** Where the stack's config came from. */
  file: string;
  /** The Pulumi ESC environments the stack file imports (`environment:`), whose config only `pulumi up` can open. */
  environments: string[];
  /** Top-level keys of the stack file that are none a stack file takes (STACK_FILE_KEYS), such as a misspelt `confg:`. */
  unknownKeys: string[];
}

/** What a stack file holds: pulumi v3.248.0 workspace.ProjectStack's fields (sdk/go/common/workspace/project.go). */
export const STACK_FILE_KEYS = ["secretsprovider", "encryptedkey", "encryptionsalt", "config", "environment"] as const;

/**
 * The names an `environment:` block imports: a list of names, or an inline ESC definition with
 * `imports` (and `values`, named `yaml` as the CLI's Environment.Imports names them).
 */
function environmentImports(block: unknown): string[] {
  if (Array.isArray(block)) return block.map(String);
  if (!block || typeof block !== "object") return [];
  const def = block as { imports?: unknown; values?: unknown };
  return [...(Array.isArray(def.imports) ? def.imports.map((i) => (typeof i === "string" ? i : JSON.stringify(i))) : []), ...(def.values ? ["yaml"] : [])];
}

function qualify(project: string, key: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

/**
 * The stack file's YAML. A key set twice in one mapping is refused (js-yaml, and the CLI's
 * gopkg.in/yaml.v3); js-yaml names only its line and column, so where the file is block style
 * the key is named by its config path, as every other config problem is.
 */
function readStackFile(file: string, project: string): unknown {
  try {
    return readYamlFile(file, "stack config", STACK_FILE_SCHEMA);
  } catch (err) {
    const cause = (err as Error).cause as { reason?: string; mark?: { line: number; column: number } } | undefined;
    if (cause?.reason !== "duplicated mapping key" || !cause.mark) throw err;
    const at = blockKeyPath(readYamlText(file), cause.mark.line, cause.mark.column);
    if (!at || at.path[0] !== "config" || at.path.length < 2) throw err;
    const lines = at.firstLine === undefined ? `line ${cause.mark.line + 1}` : `lines ${at.firstLine + 1} and ${cause.mark.line + 1}`;
    const message = `set twice in ${file} (${lines}); a YAML mapping takes each key once: keep one`;
    const key = qualify(project, String(at.path[1]));
    if (key === CONFIG_ROOT) throw new ConfigError([{ path: at.path.slice(2), message }]);
    throw new Error(`stack config ${formatPath(at.path.slice(2), key)}: ${message}`);
  }
}

/** The stacks in the stack config directory (`Pulumi.<name>.yaml`); none when it is not there. */
export function knownStacks(project = loadProject()): string[] {
  const dir = project.stackConfigDir;
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return [];
  return fs.readdirSync(dir).filter((f) => /^Pulumi\..+\.yaml$/.test(f)).map((f) => f.slice(7, -5));
}

export function stackFile(stack: string, project = loadProject()): string {
  return path.join(project.stackConfigDir, `Pulumi.${stack}.yaml`);
}

/** "known stacks: a, b" or, where the directory holds none, where they were looked for. */
export function knownStacksText(project = loadProject()): string {
  const known = knownStacks(project);
  return known.length ? `known stacks: ${known.join(", ")}` : `no stack config files (Pulumi.<stack>.yaml) in ${path.relative(project.root, project.stackConfigDir) || "."}/, Pulumi.yaml's stackConfigDir`;
}

/**
 * Loads config for `stack`, from `file` when given (a stack file outside the stack config
 * directory), else from the project's stack config directory.
 */
export function loadStackConfig(stack: string, file?: string, project = loadProject()): StackConfig {
  file ??= stackFile(stack, project);
  if (!fs.existsSync(file)) {
    throw new Error(`no stack config ${path.relative(process.cwd(), file)}; ${knownStacksText(project)}`);
  }
  const config: Record<string, string> = {};
  for (const [key, decl] of Object.entries(project.config ?? {})) {
    const value = decl.value ?? decl.default;
    if (value !== undefined) config[qualify(project.name, key)] = asConfigString(qualify(project.name, key), value);
  }
  const doc = (readStackFile(file, project.name) ?? {}) as { config?: Record<string, unknown> | null; environment?: unknown };
  // `config:` with nothing under it (every key commented out) is YAML null, which the CLI's yaml.v3
  // reads into its config map as no keys: the platform is then missing, not the file malformed.
  if (doc && typeof doc === "object" && doc.config === null) doc.config = undefined;
  if (typeof doc !== "object" || Array.isArray(doc) || (doc.config !== undefined && (typeof doc.config !== "object" || Array.isArray(doc.config)))) {
    throw new Error(`stack config ${file}: expected a mapping with a \`config:\` mapping (see stacks/Pulumi.local.yaml)`);
  }
  const exported = deploymentExportIdentity(doc);
  if (exported !== undefined) {
    throw new Error(`stack config ${file} is a deployment export (\`pulumi stack export\` output${exported}), not a stack config (Pulumi.<stack>.yaml with a \`config:\` mapping); review an export with npm run policy -- --state ${path.basename(file)}`);
  }
  if ("runtime" in doc && "name" in doc) {
    throw new Error(`stack config ${file} is a Pulumi project file (it has name: and runtime:), not a stack config (Pulumi.<stack>.yaml with a \`config:\` mapping)`);
  }
  // The CLI qualifies a bare key with the project name (workspace.stackConfigNamespacedWithProject)
  // into a Go map: with both `platform` and `inference-mesh:platform`, which one it keeps depends
  // on map iteration order, so `pulumi up` would run either one from run to run.
  const setBy = new Map<string, string>();
  const declarations = new Map(Object.entries(project.config ?? {}).map(([key, decl]) => [qualify(project.name, key), decl]));
  for (const [key, value] of Object.entries(doc.config ?? {})) {
    const qualified = qualify(project.name, key);
    const other = setBy.get(qualified);
    if (other !== undefined) {
      const message = `set twice in ${file}, as '${other}' and '${key}'; the Pulumi CLI keeps either one, in no set order: keep one`;
      if (qualified === CONFIG_ROOT) throw new ConfigError([{ path: [], message }]);
      throw new Error(`stack config ${qualified}: ${message}`);
    }
    setBy.set(qualified, key);
    config[qualified] = asConfigString(qualified, value);
    const declaration = declarations.get(qualified);
    const problem = declaration && stackValueProblem(declaration, value, config[qualified]);
    if (problem && qualified === CONFIG_ROOT) throw new ConfigError([{ path: [], message: problem }]);
    if (problem) throw new Error(`stack config ${qualified}: ${problem}`);
  }
  // The CLI hands the program any key and the program reads only the ones Pulumi.yaml declares.
  // Where the platform is missing (the CLI refuses that too), a misspelt `inference-mesh:platfrom`
  // is the likely cause; beside it, other keys are left alone as `pulumi up` leaves them (a fork's
  // scripts may read their own with `pulumi config get`), all but a platform path set as a key.
  const declared = new Set(Object.keys(project.config ?? {}).map((k) => qualify(project.name, k)));
  // So is a platform field set beside the platform (infra/config-keys.ts), which `pulumi up` refuses too.
  const stray = new Set(platformPathKeys(setBy.keys()));
  const misplaced = new Set(misplacedPlatformKeys(setBy.keys(), PROJECT));
  const unread = [...setBy].filter(([qualified]) => qualified.startsWith(`${project.name}:`) && !declared.has(qualified) && (stray.has(qualified) || misplaced.has(qualified) || config[CONFIG_ROOT] === undefined));
  if (unread.length > 0) {
    const [qualified, key] = unread[0];
    const hint = stray.has(qualified) ? `: ${platformPathKeyHint}` : misplaced.has(qualified) ? `: ${misplacedKeyHint(qualified, PROJECT, PLATFORM_KEY)}` : ": remove it or fix the spelling";
    throw new Error(
      `stack config ${qualified}: the program reads no such key${key === qualified ? "" : ` ('${key}' in ${file})`}; in the ${project.name} namespace it reads ${[...declared].filter((k) => k.startsWith(`${project.name}:`)).join(", ")} (Pulumi.yaml's config)${hint}`,
    );
  }
  // The platform under another namespace (a typo in it, or a fork's renamed project) is read by
  // nothing, and the program would only say that the platform is missing.
  const elsewhere = config[CONFIG_ROOT] === undefined ? [...setBy].find(([qualified]) => !qualified.startsWith(`${project.name}:`) && qualified.slice(qualified.indexOf(":") + 1) === PLATFORM_KEY) : undefined;
  if (elsewhere) {
    const [qualified, key] = elsewhere;
    throw new Error(
      `stack config ${qualified}: the program reads no such key (${key === qualified ? "" : `'${key}' `}in ${file}); it reads the platform from ${CONFIG_ROOT}, in the namespace of Pulumi.yaml's project name (${project.name}), not ${qualified.slice(0, qualified.indexOf(":"))}: rename the key to ${CONFIG_ROOT} (or ${PLATFORM_KEY})`,
    );
  }
  const unknownKeys = Object.keys(doc).filter((k) => !(STACK_FILE_KEYS as readonly string[]).includes(k));
  return { project: project.name, stack, config, file, environments: environmentImports(doc.environment), unknownKeys };
}
