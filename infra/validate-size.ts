/**
 * How large a stack's config may be. The Pulumi CLI starts the program with every config value
 * in one environment variable, `PULUMI_CONFIG` (a JSON object of key → string, pulumi-language-
 * nodejs execRuntime), and hands a policy pack the same (plugin/analyzer_plugin.go constructEnv).
 * Linux takes at most MAX_ARG_STRLEN (32 pages, 131072 bytes, its terminating NUL included) per
 * environment string, and execve fails with E2BIG beyond it: `pulumi up` could not start the
 * program at all. So the whole config, once serialized that way, must stay below that.
 */
import { valueAtPath, type ConfigProblem } from "./validate-support";

export const MAX_ENV_STRING_BYTES = 131_072;

/**
 * JSON as the Pulumi CLI's Go encoding/json writes it with json.Marshal: HTML escaping on, so
 * `<`, `>` and `&` become \u003c, \u003e and \u0026, and U+2028 and U+2029 \u2028 and \u2029
 * (encode.go appendString), where JSON.stringify writes them as they are. They occur in strings
 * only, so the escaped text is the same JSON value.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Go's order of two strings, by their UTF-8 bytes (JavaScript's sort compares UTF-16 units, which differ past U+FFFF). */
const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * A list or mapping as the CLI hands it to the program: it keeps an object value as Go values
 * (resource/config/object.go unmarshalObject, map[string]object) and writes them with json.Marshal
 * (map.go Map.Decrypt, plaintext.go marshalText), which sorts a map's keys by their bytes (encode.go
 * mapEncoder), at every level, and escapes <, >, &, U+2028 and U+2029 in keys and texts (goJson);
 * the file's order is lost. An error the program lists by key (unknown keys) follows it. An
 * undefined member (a platform built in code) is left out, and null in a list, as JSON.stringify does.
 */
export function cliJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? "null" : cliJson(item))).join(",")}]`;
  if (value === null || typeof value !== "object") return goJson(value);
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).filter((key) => record[key] !== undefined).sort(byteOrder);
  return `{${keys.map((key) => `${goJson(key)}:${cliJson(record[key])}`).join(",")}}`;
}

/**
 * The bytes of `PULUMI_CONFIG=<json>` plus its NUL, as pulumi-language-nodejs constructConfig writes
 * it for the program: each key `<namespace>:<name>` as `<namespace>:config:<name>` (7 bytes more than
 * the pack's), and the map written by json.Marshal, escaping once more what each value's text holds.
 */
export function pulumiConfigEnvBytes(config: Record<string, string>): number {
  const programKey = (key: string) => {
    const [namespace, ...rest] = key.split(":");
    return `${namespace}:config:${rest.length === 2 && rest[0] === "config" ? rest[1] : rest.join(":")}`;
  };
  const json = goJson(Object.fromEntries(Object.entries(config).map(([key, value]) => [programKey(key), value])));
  return Buffer.byteLength(`PULUMI_CONFIG=${json}`) + 1;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object";

/**
 * The bytes a platform value's text takes in PULUMI_CONFIG: its JSON as the CLI writes it into the
 * platform's text (cliJson), escaped once more inside PULUMI_CONFIG's string (goJson), quotes left out.
 */
const envBytesOf = (value: unknown): number => (value === undefined ? 0 : Buffer.byteLength(goJson(cliJson(value))) - 2);

/** Where most of the platform's bytes are: the deepest value holding more than half of them. */
function bulkPath(value: unknown, total: number, path: (string | number)[] = []): (string | number)[] {
  if (!isRecord(value)) return path;
  for (const [key, child] of Object.entries(value)) {
    if (envBytesOf(child) * 2 > total) return bulkPath(child, total, [...path, Array.isArray(value) ? Number(key) : key]);
  }
  return path;
}

/**
 * The problem with a stack config too large to start the program with, reported where the bulk of
 * the platform value is (a 300 KB `tools[].description` names that field), else at its root.
 */
export function configSizeProblems(config: Record<string, string>, platform: unknown): ConfigProblem[] {
  const bytes = pulumiConfigEnvBytes(config);
  if (bytes <= MAX_ENV_STRING_BYTES) return [];
  const path = bulkPath(platform, envBytesOf(platform));
  const here = path.length > 0 ? `this value is ${envBytesOf(valueAtPath(platform, path))} of them; ` : "";
  return [
    {
      path,
      message:
        `makes the stack's config ${bytes} bytes as PULUMI_CONFIG, the environment variable the Pulumi CLI starts the program and the policy pack with; ` +
        `${here}Linux takes at most ${MAX_ENV_STRING_BYTES} bytes per variable (MAX_ARG_STRLEN), so \`pulumi up\` could not start (E2BIG): shorten it`,
    },
  ];
}
