/**
 * Stack config → validated, typed `PlatformSpec`. The only place that reads Pulumi config.
 *
 * The whole platform is one structured key, `inference-mesh:platform`. Field rules come from
 * `schema.ts`, cross-field rules from `validate.ts`; a bad config raises one `ConfigError`
 * listing every problem with its config path and what is allowed.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { platformSchema, PlatformConfig, ClusterSpec, ModelSpec } from "./schema";
import { validatePlatform, ConfigProblem } from "./validate";
import { agentClustersOf } from "./validate-agents";
import { checkCpuCapacity } from "./validate-cpu-capacity";
import { brokenPaths, partialPlatform, underBrokenPath } from "./validate-partial";
import { defaultVersions, Versions } from "./versions";
import { ClusterFit } from "../components/gpu/fit";
import { dateHint, wrongTypeMessage } from "./cli-values";
import { valueAtPath } from "./validate-support";
import { isMissingSplitWeight, missingSplitWeightNote, noteDefaultedWeights, withDefaultSplitWeights } from "./split-defaults";
import { noteDefaultedValues } from "./default-notes";
import { missingFieldMessage, optionsMessage } from "./required-hints";
import { closestName } from "./closest";
import { checkIgnoredSettings } from "./validate-ignored";
import { misplacedKeyHint, misplacedPlatformKeys } from "./config-keys";

export * from "./schema";

export const PROJECT = "inference-mesh";
export const PLATFORM_KEY = "platform";
export const CONFIG_ROOT = `${PROJECT}:${PLATFORM_KEY}`;

/** Raised for an invalid platform config; its message lists every problem, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(
      `invalid platform config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  ${formatPath(p.path)}: ${oneLine(p.message)}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/**
 * Messages quote the values they refuse; a value with a newline or another control character
 * (`servedModelName: "a\nb"`) would split its problem over lines, the second without a config
 * path. Such characters are shown escaped (\n, \t, \u0000).
 */
const oneLine = (message: string): string =>
  message.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => ({ "\n": "\\n", "\r": "\\r", "\t": "\\t" })[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

/** `["models", 1, "versions"]` → `inference-mesh:platform.models[1].versions` (or under another config key). */
export function formatPath(path: readonly PropertyKey[], root: string = CONFIG_ROOT): string {
  return path.reduce<string>(
    (acc, seg) => (typeof seg === "number" ? `${acc}[${seg}]` : `${acc}.${String(seg)}`),
    root,
  );
}

/** What a discriminated union (`cloud`, `tls.mode`) accepts, from the options zod reports; "is required" where it is left out. */
function discriminatorMessage(issue: z.core.$ZodIssue, raw: unknown): string {
  const hints: Record<string, string> = { cloud: "'aws' (kind 'eks'), 'gcp' (kind 'k3s'), 'existing' (kind 'existing')" };
  const key = String((issue as { discriminator?: unknown }).discriminator);
  const options = ((issue as { options?: unknown[] }).options ?? []).map((o) => `'${String(o)}'`).join(", ");
  return `${valueAtPath(raw, issue.path) === undefined ? "is required: one of" : "must be one of"} ${hints[key] ?? options}`;
}

/**
 * zod checks every integer field against the safe-integer range before the field's own bounds: a
 * weight of 1e20 would get "expected int to be <=9007199254740991" beside "<=100", a bound that is
 * not what the field allows. Where the field has a bound of its own, only that one is reported.
 */
function isRedundantSafeIntBound(issue: z.core.$ZodIssue, all: readonly z.core.$ZodIssue[]): boolean {
  const safeInt = (i: z.core.$ZodIssue) =>
    (i.code === "too_big" && i.maximum === Number.MAX_SAFE_INTEGER) || (i.code === "too_small" && i.minimum === Number.MIN_SAFE_INTEGER);
  const samePath = (i: z.core.$ZodIssue) => i.path.length === issue.path.length && i.path.every((p, k) => p === issue.path[k]);
  return safeInt(issue) && all.some((other) => other !== issue && samePath(other) && !safeInt(other));
}

/**
 * zod's size messages ("Too small: expected array to have >=1 items") in the words of the rest:
 * how many the value has and how many the field takes. A field's own message is kept.
 */
function sizeMessage(issue: z.core.$ZodIssue, raw: unknown): string | undefined {
  if ((issue.code !== "too_small" && issue.code !== "too_big") || !/^Too (small|big): expected (array|string) to have/.test(issue.message)) return undefined;
  const value = valueAtPath(raw, issue.path);
  if (issue.code === "too_small" && issue.origin === "array") return Number(issue.minimum) === 1 ? "is an empty list: list at least one" : `lists ${Array.isArray(value) ? value.length : "fewer"}; at least ${issue.minimum} are needed`;
  if (issue.code === "too_big" && issue.origin === "array") return `lists ${Array.isArray(value) ? value.length : "more"}; at most ${issue.maximum} are allowed`;
  if (issue.code === "too_small" && issue.origin === "string") return Number(issue.minimum) === 1 ? "must not be empty" : `must be at least ${issue.minimum} characters`;
  if (issue.code === "too_big" && issue.origin === "string") return `is ${typeof value === "string" ? value.length : "over"} characters; at most ${issue.maximum} are allowed`;
  return undefined;
}

/**
 * zod's number bounds ("Too big: expected number to be <=100", "expected int to be >=1") as the
 * other messages put them: the bound in words and the value given. A field's own message is kept.
 */
function boundMessage(issue: z.core.$ZodIssue, raw: unknown): string | undefined {
  if ((issue.code !== "too_small" && issue.code !== "too_big") || !/^Too (small|big): expected (number|int) to be/.test(issue.message)) return undefined;
  const value = valueAtPath(raw, issue.path);
  const given = typeof value === "number" || typeof value === "string" ? `, not ${value}` : "";
  if (issue.code === "too_big") return `must be ${issue.inclusive ? "at most" : "less than"} ${issue.maximum}${given}`;
  return `must be ${issue.inclusive ? "at least" : "more than"} ${issue.minimum}${given}`;
}

/**
 * zod names an unknown key but not the keys its object takes, so a typo's fix would not be on the
 * line that reports it. The object schema that refused the key (the raw issue's `inst`, which only
 * an error map sees: the final issue drops it) is the union member the discriminator chose. A key
 * a few edits from one it takes (`vpcCIDR`, `meshID`, `replica`) is named with that key, as the
 * policy config's typos are (scripts/lib/policy-config.ts); a third of the key's length at most,
 * so that a short stray key (`spot` on a cluster) is not offered an unrelated one.
 */
const unknownKeysMessage: z.core.$ZodErrorMap = (issue) => {
  if (issue.code !== "unrecognized_keys") return undefined;
  const shape = (issue.inst as { _zod?: { def?: { shape?: object } } } | undefined)?._zod?.def?.shape;
  const known = shape ? Object.keys(shape) : [];
  const named = issue.keys.map((k) => {
    const near = closestName(k, known, Math.min(3, Math.max(1, Math.floor(k.length / 3))));
    return near ? `'${k}' (did you mean '${near}'?)` : `'${k}'`;
  });
  const allowed = shape ? `; allowed here: ${known.join(", ")}` : "";
  return `unknown key(s) ${named.join(", ")}: remove or fix the spelling${allowed}`;
};

function zodProblems(error: z.ZodError, raw: unknown): ConfigProblem[] {
  // A date YAML made of a value is one problem, however many of the field's rules its text breaks.
  const dated = new Set<string>();
  const issues = error.issues.filter((issue) => {
    if (isRedundantSafeIntBound(issue, error.issues)) return false;
    if (!dateHint(raw, issue.path)) return true;
    const key = issue.path.map(String).join("\u0000");
    if (dated.has(key)) return false;
    dated.add(key);
    return true;
  });
  return issues.map((issue) => {
    let message = issue.message;
    message = sizeMessage(issue, raw) ?? boundMessage(issue, raw) ?? message;
    if (issue.code === "invalid_type") {
      message = /received undefined$/.test(issue.message)
        ? missingFieldMessage(platformSchema, raw, issue.path, issue.expected)
        : (wrongTypeMessage(issue.expected, raw, issue.path) ?? message);
    }
    message = optionsMessage(issue, raw) ?? message;
    if (isMissingSplitWeight(issue)) message = `${message}; ${missingSplitWeightNote}`;
    if (issue.code === "invalid_union" && "discriminator" in issue) message = discriminatorMessage(issue, raw);
    const hint = dateHint(raw, issue.path);
    if (hint) message = `${message} ${hint}`;
    return { path: issue.path.map((p) => (typeof p === "symbol" ? String(p) : p)), message };
  });
}

/** A model version placed on one cluster, with everything the fleet needs. */
export interface ModelPlacement {
  model: ModelSpec;
  cluster: ClusterSpec;
  /** GPU node groups this model fits in that cluster (empty for the simulator). */
  fit?: ClusterFit;
}

/** The validated platform: config with defaults, resolved versions and derived placement. */
export interface PlatformSpec extends Omit<PlatformConfig, "versions"> {
  stack: string;
  environment: string;
  versions: Versions;
  /** More than one cluster: east-west gateways and remote secrets are needed. */
  multiCluster: boolean;
  /** Per model name, the clusters it fits on (vLLM only). */
  fits: Map<string, ClusterFit[]>;
  /** Per agent name, the clusters it runs in (defaults to its model's clusters). */
  agentClusters: Map<string, string[]>;
}


/**
 * Cross-field problems of a config that failed field validation, so that one run still lists
 * every problem (duplicate names, weights, references). The config is re-read as far as it parses
 * (validate-partial.ts): a rule that reads a field with a field error is skipped, and a problem at
 * or below a field error's path is about that broken value; everything else is reported.
 */
function bestEffortCrossFieldProblems(written: unknown, raw: unknown, issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  const broken = brokenPaths(issues);
  const ignored = ignoredSettingProblems(written).filter((p) => !underBrokenPath(p.path, broken));
  const partial = partialPlatform(raw, broken);
  if (!partial) return ignored;
  return [...ignored, ...noteDefaults(written, partial, validatePlatform(partial, { bestEffort: true }).problems.filter((p) => !underBrokenPath(p.path, broken)))];
}

/** Written settings another setting leaves unread (validate-ignored.ts): judged on the stack file, before defaults. */
function ignoredSettingProblems(written: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  checkIgnoredSettings((path, message) => problems.push({ path, message }), written);
  return problems;
}

/** Problems with a note where their value is a default: a defaulted weight's own note, else the generic one. */
function noteDefaults(written: unknown, validated: unknown, problems: ConfigProblem[]): ConfigProblem[] {
  const weightsNoted = noteDefaultedWeights(written, problems);
  return weightsNoted.map((p, i) => (p === problems[i] ? noteDefaultedValues(written, validated, [p])[0] : p));
}

/** Paths of `{secure: …}` envelopes: encrypted values the Pulumi CLI decrypts, but an offline render cannot. */
export function encryptedValuePaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (!value || typeof value !== "object") return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => encryptedValuePaths(v, [...path, i]));
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1 && entries[0][0] === "secure" && typeof entries[0][1] === "string") return [path];
  return entries.flatMap(([k, v]) => encryptedValuePaths(v, [...path, k]));
}

/** Validates a plain config object (as it appears under `inference-mesh:platform`). */
export function parsePlatform(written: unknown, stack: string): PlatformSpec {
  const encrypted = encryptedValuePaths(written);
  if (encrypted.length > 0) {
    throw new ConfigError(
      encrypted.map((path) => ({
        path,
        message: "is encrypted (secure:); `pulumi preview`/`up` decrypt it, but the offline render has no key: keep it in plaintext to render offline (the platform config holds no credentials)",
      })),
    );
  }
  const raw = withDefaultSplitWeights(written);
  const parsed = platformSchema.safeParse(raw, { error: unknownKeysMessage });
  if (!parsed.success) {
    throw new ConfigError([...zodProblems(parsed.error, raw), ...bestEffortCrossFieldProblems(written, raw, parsed.error.issues)]);
  }
  const cfg = parsed.data;
  const { problems, fits } = validatePlatform(cfg);
  const ignored = ignoredSettingProblems(written);
  if (ignored.length + problems.length > 0) throw new ConfigError([...ignored, ...noteDefaults(written, cfg, problems)]);
  const agentClusters = new Map(cfg.agents.map((a) => [a.name, agentClustersOf(cfg, a)]));
  const versions: Versions = { ...defaultVersions };
  for (const [k, v] of Object.entries(cfg.versions)) if (v) versions[k as keyof Versions] = v;
  const spec: PlatformSpec = {
    ...cfg,
    stack,
    environment: cfg.environment ?? stack,
    versions,
    multiCluster: cfg.clusters.length > 1,
    fits,
    agentClusters,
  };
  // Judged on the spec the components render from (their pods' requests), so only once the rest holds.
  const cpuProblems = checkCpuCapacity(spec);
  if (cpuProblems.length > 0) throw new ConfigError(noteDefaults(written, cfg, cpuProblems));
  return spec;
}

/**
 * The platform object from its config string, as the language host receives it: `missingHint`
 * says where to set it when absent. A plain string that is not structured config is reported,
 * never parsed as something else.
 */
export function platformFromConfigString(raw: string | undefined, missingHint: string): unknown {
  if (raw === undefined) throw new ConfigError([{ path: [], message: `missing: ${missingHint}` }]);
  try {
    return JSON.parse(raw);
  } catch {
    const shown = raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
    throw new ConfigError([{ path: [], message: `must be a structured (YAML mapping) value describing the platform, got the string '${shown}' (see README, Config reference)` }]);
  }
}

/**
 * Keys of the platform's own paths: `pulumi config set platform.models[0].replicas 2` without
 * `--path` writes the path as a key of its own, which the CLI hands over and nothing reads, so
 * the edit would be dropped without a word. Other keys of the namespace are left alone, as the
 * CLI leaves them (a shared ESC environment's unqualified `pulumiConfig` keys land there too).
 */
export function platformPathKeys(keys: Iterable<string>): string[] {
  return [...keys].filter((k) => k.startsWith(`${CONFIG_ROOT}.`) || k.startsWith(`${CONFIG_ROOT}[`)).sort();
}

export const platformPathKeyHint = `set it with \`pulumi config set --path\`, which sets the value inside ${CONFIG_ROOT}`;

/**
 * Why the platform is missing where Pulumi.yaml names another project than PROJECT (a fork that
 * renamed its project): the CLI namespaces the stack's keys by that name (`acme:platform`), while
 * the program reads `inference-mesh:platform`, so "set it in <file>" would send the user to a file
 * that already sets it. Undefined for this project's own name.
 */
export function renamedProjectHint(project: string): string | undefined {
  if (project === PROJECT) return undefined;
  return `Pulumi.yaml names the project '${project}', so the stack's keys are ${project}:…, while the program reads ${CONFIG_ROOT} (infra/config.ts PROJECT): keep \`name: ${PROJECT}\` in Pulumi.yaml, or set PROJECT to '${project}'`;
}

/** Reads and validates `inference-mesh:platform` from the running stack's Pulumi config. */
export function loadPlatformSpec(): PlatformSpec {
  const keys = Object.keys(pulumi.runtime.allConfig());
  const stray = [...platformPathKeys(keys).map((k) => `${k}: ${platformPathKeyHint}`), ...misplacedPlatformKeys(keys, PROJECT).map((k) => `${k}: ${misplacedKeyHint(k, PROJECT, PLATFORM_KEY)}`)];
  if (stray.length > 0) throw new ConfigError(stray.map((s) => ({ path: [], message: `the program reads no key ${s}` })));
  const config = new pulumi.Config(PROJECT);
  const raw = platformFromConfigString(config.get(PLATFORM_KEY), renamedProjectHint(pulumi.getProject()) ?? "set it in stacks/Pulumi.<stack>.yaml (see README, Config reference)");
  return parsePlatform(raw, pulumi.getStack());
}
