/**
 * Pulumi.yaml read as the Pulumi CLI reads it (pulumi v3.248.0 sdk/go/common/workspace/project.go,
 * loaders.go LoadProjectBytes): its name, where its stack files are, and its `config:` declarations
 * and short forms, refusing what the CLI refuses. stack-config.ts loads a stack's config on it.
 */
import * as path from "node:path";
import { readYamlFile } from "./yaml-file";
import { FLOAT_MARKING_SCHEMA, GoFloat, isScalarObject, LeadingZeroInteger, NonUtf8Binary, STACK_FILE_SCHEMA } from "./stack-file-schema";
import { GoTimestamp, WideInteger } from "./yaml-go-scalars";
import { unrepresentable } from "./config-values";
import { encryptedValuePaths, formatPath, PROJECT } from "../../infra/config";

export const repoRoot = path.resolve(__dirname, "..", "..");

/** One key of Pulumi.yaml's `config:` (workspace/project.go ProjectConfigType). */
export interface Declaration {
  value?: unknown;
  default?: unknown;
  type?: unknown;
  items?: unknown;
  secret?: unknown;
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
  config?: Record<string, Declaration>;
  /**
   * Where the Pulumi CLI looks for `Pulumi.<stack>.yaml`: Pulumi.yaml's `stackConfigDir`, else
   * beside Pulumi.yaml (sdk/go/common/workspace/paths.go ProjectStackPath). A fork may move its stack files.
   */
  stackConfigDir: string;
}

/**
 * Reads Pulumi.yaml, which a fork edits too: a broken one is named, not thrown as js-yaml's bare
 * error. Read as the CLI reads it, with yaml.v3 (workspace/loaders.go LoadProjectBytes), so its
 * values resolve as in a stack file (`0X1F` is 31, `010` the octal 8).
 */
export function loadProject(root = repoRoot): Project {
  const file = readYamlFile(path.join(root, "Pulumi.yaml"), "project file", STACK_FILE_SCHEMA);
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
  // The same entries with every float kept a GoFloat: a short form must be a Go int, not a float64.
  const typed = ((readYamlFile(path.join(root, "Pulumi.yaml"), "project file", FLOAT_MARKING_SCHEMA) as { config?: Record<string, unknown> }).config ?? {}) as Record<string, unknown>;
  const declarations = Object.fromEntries(
    Object.entries((config ?? {}) as Record<string, unknown>).map(([key, decl]) => [key, declaration(where, name, key, typed[key] instanceof GoFloat ? typed[key] : decl)]),
  ) as NonNullable<Project["config"]>;
  return { root, name, config: declarations, stackConfigDir: path.join(root, typeof dir === "string" ? dir : "") };
}

/**
 * One key of Pulumi.yaml's `config:` as the CLI reads it (workspace/project.go
 * RewriteShorthandConfigValues): a string, integer, boolean or list written in place of a
 * declaration is the short form, the key's `default` when the key is the project's (no namespace,
 * or `<project>:`), else its `value` (`aws:region: us-west-2`). Any other scalar matches none of
 * the project schema's forms (project.json config additionalProperties), so the CLI refuses the file.
 *
 * A uint64 (yaml.v3 reads an integer past int64 so) is no int to createConfigValue: it goes on as a
 * JSON object value, which resource/config/map.go Map.Decrypt reads back (the CLI always passes a
 * decrypter, never NopDecrypter; pkg/cmd/pulumi/config/io.go) through object.go unmarshalObject,
 * where the json.Number fails Int64 and is taken as Float64, and plaintext.go marshalText writes
 * that float with encoding/json: 9223372036854775808 reaches the program as 9223372036854776000,
 * the float64 JSON.stringify writes alike (shortest digits, no exponent below 1e21).
 */
function declaration(where: string, project: string, key: string, decl: unknown): { value?: unknown; default?: unknown } {
  // Left empty (`platform:` with nothing under it): declared, without a value.
  if (decl === null || decl === undefined) return {};
  const ownKey = !key.includes(":") || key.startsWith(`${project}:`);
  let read: { value?: unknown; default?: unknown };
  if (typeof decl === "object" && !Array.isArray(decl) && !isScalarObject(decl)) {
    const problem = declarationProblem(decl as Record<string, unknown>, ownKey);
    if (problem) throw new Error(`${where}: config ${key}: ${problem}`);
    read = decl as { value?: unknown; default?: unknown };
  } else if (isShortForm(decl)) {
    read = ownKey ? { default: decl } : { value: decl };
  } else {
    throw new Error(`${where}: config ${key}: ${written(decl)} is neither a declaration (description:, value:, default:) nor a short-form value the Pulumi CLI takes (a string, an integer, a boolean or a list); quote it to make it a string`);
  }
  // What the CLI would hand the program otherwise than read here (workspace/config.go createConfigValue:
  // %v of an int, exact at the top as asConfigString hands it on; JSON of anything else).
  const field = read.default !== undefined ? "default" : "value";
  const given = read[field];
  if (given instanceof WideInteger && given.value >= 2n ** 63n) return { ...read, [field]: Number(given.value) };
  const [bad] = given instanceof WideInteger ? [] : unrepresentable(given, "project");
  if (bad) throw new Error(`${where}: config ${key}: ${formatPath(bad.path, field)} ${bad.message}`);
  return read;
}

/**
 * What workspace/project.go RewriteShorthandConfigValues takes in place of a declaration
 * (isPrimitiveValue, isArray): a Go string, int or bool, or a list. yaml.v3 makes an integer
 * within int64 an int, beyond it a uint64 that is none; a timestamp is a time.Time, a float a float64.
 */
function isShortForm(decl: unknown): boolean {
  if (decl instanceof WideInteger) return decl.value < 2n ** 63n;
  return typeof decl === "string" || typeof decl === "boolean" || Array.isArray(decl) || decl instanceof LeadingZeroInteger || decl instanceof NonUtf8Binary || (typeof decl === "number" && Number.isInteger(decl));
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
  if (ownKey) return typeProblem(decl);
  if (decl.type !== undefined) return "is another namespace's key, which declares no type (the Pulumi CLI refuses it): give its value: only";
  if (decl.default !== undefined) return "is another namespace's key, which takes value:, not default: (the Pulumi CLI refuses a default there)";
  if (decl.value === undefined) return "is another namespace's key, which must give value: (the Pulumi CLI refuses it without one)";
  return undefined;
}

/** A value as written, for messages. */
const written = (value: unknown): string =>
  value instanceof GoTimestamp || value instanceof WideInteger || value instanceof LeadingZeroInteger || value instanceof GoFloat ? value.text : (JSON.stringify(value) ?? String(value));

/** project.json simpleConfigType, with what ValidateConfigValue takes of each. */
const CONFIG_TYPES: Record<string, string> = {
  string: "text (quote it)",
  integer: "a whole number, or text of one",
  boolean: "true or false, or their text",
  array: "a list",
  object: "a mapping",
};

interface ItemsType {
  type?: unknown;
  items?: ItemsType;
}

/** InferFullTypeName: `array<integer>` for a list of integers. */
const typeName = (type: string, items?: ItemsType): string => (items ? `array<${typeName(String(items.type), items.items)}>` : type);
const typeAllows = (type: string, items?: ItemsType): string => (items ? `a list, each item ${typeAllows(String(items.type), items.items)}` : CONFIG_TYPES[type]);

/** strconv.Atoi on a 64-bit machine: a sign, decimal digits, within int64. */
const atoi = (text: string) => /^[-+]?[0-9]+$/.test(text) && BigInt(text) >= -(2n ** 63n) && BigInt(text) < 2n ** 63n;

/**
 * workspace/project.go ValidateConfigValue on a value as yaml.v3 read it: an integer is a Go int
 * (within int64; a uint64 is none) or a whole float64, or text Atoi reads; a boolean its text too.
 */
function fitsType(type: string, items: ItemsType | undefined, value: unknown): boolean {
  switch (type) {
    case "string":
      return typeof value === "string" || value instanceof NonUtf8Binary;
    case "integer":
      if (value instanceof WideInteger) return value.value < 2n ** 63n;
      return value instanceof LeadingZeroInteger || (typeof value === "number" && Math.trunc(value) === value) || (typeof value === "string" && atoi(value));
    case "boolean":
      return typeof value === "boolean" || value === "true" || value === "false";
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value) && !isScalarObject(value);
    default:
      return Array.isArray(value) && items !== undefined && value.every((item) => fitsType(String(items.type), items.items, item));
  }
}

/**
 * Why the CLI refuses a project key's type or default: a type project.json does not name, an
 * array without its items' type (Project.Validate), or a default not of the type (Project.Validate,
 * ValidateConfigValue). A default of the type is handed on as written (createConfigValue).
 */
function typeProblem(decl: Record<string, unknown>): string | undefined {
  if (decl.type === undefined || decl.type === null) return undefined;
  const type = String(decl.type);
  if (!(type in CONFIG_TYPES) || typeof decl.type !== "string") return `type: '${type}' is none the Pulumi CLI takes: string, integer, boolean, array or object`;
  const items = (decl.items ?? undefined) as ItemsType | undefined;
  if (type === "array" && (!items || typeof items !== "object" || typeof items.type !== "string")) return "declares type: array without items: (its items' type, such as items: {type: string}), which the Pulumi CLI refuses";
  const full = type === "array" ? items : undefined;
  if (decl.default === undefined || decl.default === null || fitsType(type, full, decl.default)) return undefined;
  return `default ${written(decl.default)} is not of its type, ${typeName(type, full)} (the Pulumi CLI refuses the file): ${typeAllows(type, full)}`;
}

/**
 * Why `pulumi preview`/`up` refuses a stack's value of a project key (workspace/config.go
 * validateStackConfigValues): a `secret: true` key whose value holds no `secure:` envelope, or a
 * typed key's value not of its type, checked on the text the program gets or, for a list or
 * mapping, on its JSON as Go reads it back. An encrypted value is the CLI's to check.
 */
export function stackValueProblem(decl: Declaration, raw: unknown, text: string): string | undefined {
  const secure = encryptedValuePaths(raw).length > 0;
  if (decl.secret === true && !secure) return "is declared secret: true in Pulumi.yaml, which the Pulumi CLI refuses in plaintext: set it with pulumi config set --secret";
  if (typeof decl.type !== "string" || !(decl.type in CONFIG_TYPES) || secure) return undefined;
  const items = decl.type === "array" ? (decl.items as ItemsType) : undefined;
  const content = raw !== null && typeof raw === "object" && !isScalarObject(raw) ? JSON.parse(text) : text;
  if (fitsType(decl.type, items, content)) return undefined;
  return `${written(raw)} is not of its type in Pulumi.yaml, ${typeName(decl.type, items)} (pulumi up refuses it): ${typeAllows(decl.type, items)}`;
}
