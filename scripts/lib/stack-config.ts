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
import { LeadingZeroInteger, NonUtf8Binary, STACK_FILE_SCHEMA, yamlScalars } from "./stack-file-schema";
import { GoTimestamp, WideInteger } from "./yaml-go-scalars";
import { blockKeyPath } from "./yaml-key-path";
import { ConfigError, CONFIG_ROOT, formatPath, PLATFORM_KEY, platformPathKeyHint, platformPathKeys, PROJECT } from "../../infra/config";
import { misplacedKeyHint, misplacedPlatformKeys } from "../../infra/config-keys";

export const repoRoot = path.resolve(__dirname, "..", "..");

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
 * Values the Pulumi CLI would hand the program otherwise than this render reads them, with their
 * paths below `value`: `.inf`, `-.inf` and `.nan` (an object value reaches the program as JSON,
 * which has no such numbers: the CLI's Go encoding/json refuses to write them, and JSON.stringify
 * would turn them into a null the validation then misreports as "received null"), and integers
 * written with a leading zero, which the CLI reads as octal, timestamps (yaml.v3 makes them Go times, which
 * config/object.go unmarshalObject turns into their Go text, not as written), integers past 2^53 inside an
 * object (exact in the CLI's JSON, the nearest float64 to the program), and `!!binary` data that is no UTF-8
 * text (yaml-file.ts).
 */
function unrepresentable(value: unknown): { path: (string | number)[]; message: string }[] {
  return yamlScalars(value).flatMap(({ path: at, value: scalar }) => {
    if (scalar instanceof LeadingZeroInteger) {
      return [{
        path: at,
        message: `is written ${scalar.text}, which the Pulumi CLI's YAML reader takes as the octal number ${scalar.octal} (this render would read ${scalar.decimal}); write ${scalar.decimal} without the leading 0, or ${scalar.octal} if octal was meant (quote it for text)`,
      }];
    }
    if (scalar instanceof NonUtf8Binary) {
      const byte = scalar.bytes[scalar.offset].toString(16).padStart(2, "0");
      return [{
        path: at,
        message: `is !!binary data that is not UTF-8 text (byte 0x${byte} at ${scalar.offset}): the Pulumi CLI decodes !!binary into the text its bytes spell and hands config on as JSON, which has no other bytes (Go's encoder writes U+FFFD for them); give the text itself, or the base64 of its UTF-8`,
      }];
    }
    if (scalar instanceof GoTimestamp) {
      const handed = scalar.goText === undefined ? "in the zone of the machine running pulumi (its own where the offset matches it)" : `'${scalar.goText}'`;
      return [{ path: at, message: `is written as a timestamp, which the Pulumi CLI's YAML reader (yaml.v3) makes a time and hands on as Go's text of it, ${handed}, not as written; quote it for text` }];
    }
    if (scalar instanceof WideInteger) {
      return [{
        path: at,
        message: `is the integer ${scalar.value}, past 2^53: the program reads the platform as JSON in JavaScript, where it is ${Number(scalar.value)}, not the number the Pulumi CLI hands on; write a smaller number, or quote it for text`,
      }];
    }
    if (typeof scalar === "number" && !Number.isFinite(scalar)) {
      return [{ path: at, message: "is .inf or .nan: the Pulumi CLI hands config to the program as JSON, which has no infinite or NaN numbers, so `pulumi up` would fail; write a finite number" }];
    }
    return [];
  });
}

/** A config value as the language host receives it: strings as they are, anything else as JSON. */
function asConfigString(key: string, value: unknown): string {
  if (typeof value === "string") return value;
  // The CLI hands a top-level int64 or uint64 on as its decimal digits (config/object.go MarshalString).
  if (value instanceof WideInteger) return String(value.value);
  const bad = unrepresentable(value);
  if (bad.length > 0) {
    if (key === CONFIG_ROOT) throw new ConfigError(bad);
    throw new Error(`stack config ${key}${bad[0].path.length ? `.${bad[0].path.join(".")}` : ""}: ${bad[0].message}`);
  }
  return JSON.stringify(value);
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

/**
 * Pulumi.yaml as the stack lookups read it, once per command: the render checks the command
 * (stackFile, knownStacksText) and then loads the stack (loadStackConfig) from one reading, so a
 * command never sees two versions of a file a fork edits.
 */
export interface Project {
  /** The directory holding Pulumi.yaml. */
  root: string;
  name: string;
  config?: Record<string, { value?: unknown; default?: unknown }>;
  /**
   * Where the Pulumi CLI looks for `Pulumi.<stack>.yaml`: Pulumi.yaml's `stackConfigDir`, else
   * beside Pulumi.yaml (sdk/go/common/workspace/paths.go ProjectStackPath). A fork may move its stack files.
   */
  stackConfigDir: string;
}

/** Reads Pulumi.yaml, which a fork edits too: a broken one is named, not thrown as js-yaml's bare error. */
export function loadProject(root = repoRoot): Project {
  const file = readYamlFile(path.join(root, "Pulumi.yaml"), "project file");
  if (!file || typeof file !== "object" || Array.isArray(file)) throw new Error(`project file ${path.join(root, "Pulumi.yaml")} is not a mapping (name:, runtime:, …)`);
  const { name, config: written, stackConfigDir: given } = file as { name: unknown; config?: unknown; stackConfigDir?: unknown };
  const where = `project file ${path.join(root, "Pulumi.yaml")}`;
  // A fork's edit the CLI does not run either (a project needs a name; config is a mapping of
  // declarations): read on, they surfaced as "… project name (undefined)", keys such as
  // "fork:0", or a TypeError on a declaration left empty (`platform:` with nothing under it).
  if (typeof name !== "string" || name === "") throw new Error(`${where} has no \`name:\` (the project name, which namespaces every config key: ${PROJECT})`);
  // `config: <dir>` is the CLI's deprecated spelling of stackConfigDir (workspace/project.go
  // RewriteConfigPathIntoStackConfigDir), refused beside a stackConfigDir.
  if (typeof written === "string" && given !== undefined) throw new Error(`${where}: \`config: ${written}\` (the deprecated spelling of stackConfigDir) and \`stackConfigDir:\` are both set; keep stackConfigDir only`);
  const config = typeof written === "string" ? undefined : written;
  const dir = typeof written === "string" ? written : given;
  if (config !== undefined && config !== null && (typeof config !== "object" || Array.isArray(config))) {
    throw new Error(`${where}: \`config:\` must be a mapping of config keys to their declarations (description:, value:, default:)`);
  }
  const declarations = Object.fromEntries(
    Object.entries((config ?? {}) as Record<string, unknown>).map(([key, decl]) => [key, declaration(where, name, key, decl)]),
  ) as NonNullable<Project["config"]>;
  return { root, name, config: declarations, stackConfigDir: path.join(root, typeof dir === "string" ? dir : "") };
}

/**
 * One key of Pulumi.yaml's `config:` as the CLI reads it (workspace/project.go
 * RewriteShorthandConfigValues): a string, integer, boolean or list written in place of a
 * declaration is the short form, the key's `default` when the key is the project's (no namespace,
 * or `<project>:`), else its `value` (`aws:region: us-west-2`). Any other scalar matches none of
 * the project schema's forms (project.json config additionalProperties), so the CLI refuses the file.
 */
function declaration(where: string, project: string, key: string, decl: unknown): { value?: unknown; default?: unknown } {
  // Left empty (`platform:` with nothing under it): declared, without a value.
  if (decl === null || decl === undefined) return {};
  const ownKey = !key.includes(":") || key.startsWith(`${project}:`);
  if (typeof decl === "object" && !Array.isArray(decl) && !(decl instanceof Date)) {
    const problem = declarationProblem(decl as Record<string, unknown>, ownKey);
    if (problem) throw new Error(`${where}: config ${key}: ${problem}`);
    return decl as { value?: unknown; default?: unknown };
  }
  const short = typeof decl === "string" || typeof decl === "boolean" || Array.isArray(decl) || (typeof decl === "number" && Number.isInteger(decl));
  if (!short) {
    throw new Error(`${where}: config ${key}: ${JSON.stringify(decl) ?? String(decl)} is neither a declaration (description:, value:, default:) nor a short-form value the Pulumi CLI takes (a string, an integer, a boolean or a list); quote it to make it a string`);
  }
  return ownKey ? { default: decl } : { value: decl };
}

/** The fields of a declaration (project.json configTypeDeclaration, additionalProperties false). */
const DECLARATION_FIELDS = ["type", "items", "description", "secret", "default", "value"];

/**
 * Why the CLI refuses a declaration (project.json's schema, then workspace/project.go
 * Project.Validate): an unknown field, both a default and a value, or, on another namespace's key
 * (`aws:region`), a type, a default, or no value. Read on, such a file rendered what `pulumi up`
 * never runs: `aws:region: { default: … }` applied as if it were the value.
 */
function declarationProblem(decl: Record<string, unknown>, ownKey: boolean): string | undefined {
  const unknown = Object.keys(decl).filter((f) => !DECLARATION_FIELDS.includes(f));
  // A mapping written as the short form (`platform: { mesh: … }`) is read as a declaration too: only a string, integer, boolean or list is short.
  if (unknown.length) return `unknown field(s) ${unknown.map((f) => `'${f}'`).join(", ")}: a declaration takes ${DECLARATION_FIELDS.join(", ")} (a mapping value goes under default: or value:; the short form takes a string, an integer, a boolean or a list only)`;
  if (decl.default !== undefined && decl.value !== undefined) return "has both default: and value:, which the Pulumi CLI refuses; keep one";
  if (ownKey) return undefined;
  if (decl.type !== undefined) return "is another namespace's key, which declares no type (the Pulumi CLI refuses it): give its value: only";
  if (decl.default !== undefined) return "is another namespace's key, which takes value:, not default: (the Pulumi CLI refuses a default there)";
  if (decl.value === undefined) return "is another namespace's key, which must give value: (the Pulumi CLI refuses it without one)";
  return undefined;
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
