/**
 * Policy pack config as the engine computes it before `Configure` (pkg/resource/analyzer
 * config.go): every policy starts from its default enforcement level and its configSchema
 * `default`s, then the pack's initial config, then the user's file (`--policy-pack-config`), where
 * a value is either an enforcement level or `{enforcementLevel?, ...properties}` and the key `all`
 * sets the level of every policy. The result is validated against each policy's schema.
 */
import Ajv from "ajv";
import { readPolicyConfigDocument } from "./policy-config-file";
import type { AnalyzerInfo, EnforcementLevel, PolicyConfig } from "./analyzer-types";
import { closestName as closest } from "../../infra/closest";

const levels: EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

/** The level a value names, or a problem naming where it is and what is allowed. */
function levelProblem(value: unknown, where: string): string | undefined {
  if (typeof value === "string" && levels.includes(value as EnforcementLevel)) return undefined;
  return `${where}: ${JSON.stringify(value)} is not a valid enforcement level (${levels.join(", ")})`;
}

/**
 * A record key set as an own property: a policy name such as `__proto__` (a name the pack lacks,
 * which the engine passes on like any other) must not become the record's prototype.
 */
function put<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A record's own entry (`constructor` is not a policy every record has). */
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

/**
 * Parses a policy config document (JSON or YAML object) as the engine's parsePolicyPackConfig
 * does: a level or `{enforcementLevel?, ...properties}` per name, an entry with neither dropped;
 * every malformed entry is reported at once.
 */
export function parsePolicyConfig(doc: unknown, source = "policy config"): Record<string, PolicyConfig> {
  if (doc === undefined || doc === null) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new Error(`${source}: must be an object keyed by policy name`);
  const out: Record<string, PolicyConfig> = {};
  const problems: string[] = [];
  for (const [name, value] of Object.entries(doc as Record<string, unknown>)) {
    // The engine takes `environments` (Pulumi ESC environments to open for the pack) out of the
    // file before reading policies (pkg/resource/analyzer/config.go parsePolicyPackConfig); this
    // pack reads no environment, so offline it only has to be well formed.
    if (name === "environments") {
      if (!Array.isArray(value) || value.some((e) => typeof e !== "string")) problems.push(`"environments" must be a list of ESC environment names`);
      continue;
    }
    if (typeof value === "string") {
      const problem = levelProblem(value, name);
      if (problem) problems.push(problem);
      else put(out, name, { enforcementLevel: value as EnforcementLevel });
    } else if (value && typeof value === "object" && !Array.isArray(value)) {
      const { enforcementLevel, ...properties } = value as Record<string, unknown>;
      const c: PolicyConfig = {};
      if (enforcementLevel !== undefined) {
        const problem = levelProblem(enforcementLevel, `${name}.enforcementLevel`);
        if (problem) problems.push(problem);
        else c.enforcementLevel = enforcementLevel as EnforcementLevel;
      }
      if (Object.keys(properties).length) c.properties = properties;
      if (c.enforcementLevel || c.properties) put(out, name, c);
    } else {
      problems.push(`${name}: ${JSON.stringify(value)} is neither an enforcement level (${levels.join(", ")}) nor an object of {enforcementLevel?, ...properties}`);
    }
  }
  if (problems.length === 1) throw new Error(`${source}: ${problems[0]}`);
  if (problems.length) throw new Error(`${source}:\n  ${problems.join("\n  ")}`);
  return out;
}

/** The stack's `policy:` settings the pack enforces too. */
export interface StackPolicySettings {
  maxCanaryWeight: number;
  requireTls: boolean;
  allowPublicApiEndpoints: boolean;
  /** Whether the agent gateway must authenticate callers: false where the stack configures no JWT for it (or says it need not). */
  requireAgentJwt?: boolean;
}

/**
 * The pack config a stack's `policy:` settings imply, so the review judges a stack by the rules
 * it declares: canary limit, plaintext listeners where TLS is not required, public EKS endpoints
 * where allowed, an agent gateway without JWT authentication where the stack configures none.
 */
export function policyConfigFromStack(settings: StackPolicySettings): Record<string, PolicyConfig> {
  return {
    "canary-weight-limit": { properties: { maxCanaryWeight: settings.maxCanaryWeight } },
    "canary-weight-across-routes": { properties: { maxCanaryWeight: settings.maxCanaryWeight } },
    "gateway-listeners-tls": { properties: { allowPlaintextListeners: !settings.requireTls } },
    "eks-endpoint-private": { properties: { allowPublicApiEndpoints: settings.allowPublicApiEndpoints } },
    ...(settings.requireAgentJwt === false ? { "agent-call-graph": { properties: { requireAgentJwt: false } } } : {}),
  };
}

/** One policy's config with `given` over `current`: its level replaces, its properties merge. */
function mergeOne(current: PolicyConfig, given: PolicyConfig): PolicyConfig {
  const enforcementLevel = given.enforcementLevel ?? current.enforcementLevel;
  const properties = given.properties ? { ...current.properties, ...given.properties } : current.properties;
  return { ...(enforcementLevel ? { enforcementLevel } : {}), ...(properties ? { properties } : {}) };
}

/** `override` over `base`, policy by policy (`all` is kept as given, for the engine to apply). */
export function mergePolicyConfig(base: Record<string, PolicyConfig>, override: Record<string, PolicyConfig>): Record<string, PolicyConfig> {
  const out: Record<string, PolicyConfig> = { ...base };
  for (const [name, c] of Object.entries(override)) put(out, name, mergeOne(own(out, name) ?? {}, c));
  return out;
}

/**
 * A config record in the `--policy-pack-config` file format (`{policy: {enforcementLevel?, ...properties}}`),
 * with the ESC environments the file it came from opens, which `pulumi preview` opens from it too.
 */
export function policyConfigDocument(config: Record<string, PolicyConfig>, environments: string[] = []): Record<string, unknown> {
  const doc: Record<string, unknown> = environments.length ? { environments } : {};
  for (const [name, c] of Object.entries(config)) put(doc, name, { ...(c.enforcementLevel ? { enforcementLevel: c.enforcementLevel } : {}), ...c.properties });
  return doc;
}

/**
 * A `--policy-pack-config` file's entries (JSON as the CLI reads it; YAML from a .yaml/.yml file),
 * which it was, and the ESC environments it opens (`environments`, well formed once parsed).
 */
export function readPolicyConfigFile(file: string): { config: Record<string, PolicyConfig>; format: "json" | "yaml"; environments: string[] } {
  const { document, format } = readPolicyConfigDocument(file);
  const config = parsePolicyConfig(document, `policy config ${file}`);
  const environments = (document as { environments?: string[] } | undefined)?.environments ?? [];
  return { config, format, environments };
}

/**
 * What the review cannot do with a config that opens ESC environments: pulumi preview resolves them
 * (pkg/engine/update.go, local packs) and lays their `policyConfig` between the pack's initial
 * config and the file, and hands their variables to the pack, where the backend supports ESC
 * (Pulumi Cloud; a DIY backend refuses the file: "specifies ESC environments but the current
 * backend does not support them"). Offline none is opened, so the verdicts take the file alone.
 */
export function unopenedEnvironments(environments: string[] = []): string | undefined {
  if (!environments.length) return undefined;
  return `policy config opens Pulumi ESC environments (${environments.join(", ")}), which this review does not open: pulumi preview, on a backend with ESC (Pulumi Cloud; a DIY backend refuses such a config), lays their policyConfig under this file's settings and hands their variables to the pack, so its verdicts may differ where they set any`;
}

/** A `--policy-pack-config` file's entries. */
export function loadPolicyConfigFile(file: string): Record<string, PolicyConfig> {
  return readPolicyConfigFile(file).config;
}

function apply(result: Record<string, PolicyConfig>, given: Record<string, PolicyConfig>): void {
  const all = own(given, "all")?.enforcementLevel;
  if (all) for (const name of Object.keys(result)) result[name] = { ...result[name], enforcementLevel: all };
  for (const [name, c] of Object.entries(given)) if (name !== "all") put(result, name, mergeOne(own(result, name) ?? {}, c));
}

/**
 * What a config names that the pack has no policy for. The engine accepts such names and the SDK
 * ignores them (config.go applyConfig, @pulumi/policy server.ts configure), so `pulumi preview`
 * judges as if they were not there, a misspelt name silently leaving its policy at its defaults:
 * the review judges the same way and says so.
 */
export function unknownPolicyNames(info: AnalyzerInfo, overrides: Record<string, PolicyConfig> = {}): string | undefined {
  const known = new Set(info.policies.map((p) => p.name));
  const unknown = Object.keys(overrides).filter((n) => n !== "all" && !known.has(n));
  if (!unknown.length) return undefined;
  // A generated file may name thousands: the first ones say what is wrong.
  const listed = unknown.length > 20 ? `${unknown.slice(0, 20).join(", ")} and ${unknown.length - 20} more` : unknown.join(", ");
  return `policy config names policies the pack ${info.name} does not have, which pulumi preview ignores as this review does: ${listed} (its policies: ${[...known].sort().join(", ")})`;
}

/**
 * Properties a config sets that their policy's configSchema does not declare. The engine passes
 * them on (the schema it builds has no additionalProperties: pkg/resource/analyzer/config.go
 * convertSchema) and the policy never reads them, so a misspelt knob silently leaves the policy at
 * its default in pulumi preview too: the review judges the same way and says so.
 */
export function undeclaredPolicyProperties(info: AnalyzerInfo, overrides: Record<string, PolicyConfig> = {}): string | undefined {
  const found: string[] = [];
  for (const p of info.policies) {
    const given = Object.keys(own(overrides, p.name)?.properties ?? {});
    const declared = Object.keys(p.configSchema?.properties ?? {});
    for (const key of given.filter((k) => !declared.includes(k))) {
      // The level's key too: Go's map lookup is exact, so `EnforcementLevel` is a property, not the level.
      const near = closest(key, [...declared, "enforcementLevel"]);
      found.push(`${p.name}.${key} (${near ? `did you mean ${near}?` : declared.length ? `it takes ${declared.join(", ")}` : "it takes no properties"})`);
    }
  }
  if (!found.length) return undefined;
  return `policy config sets properties their policies do not declare, which pulumi preview passes on and the policies ignore, as this review does (each such policy keeps its defaults): ${found.join(", ")}`;
}

/**
 * agent-call-graph's extraCallers under a namespace it does not judge: it reads the entries of its
 * agents and tools namespaces only, so a key such as `tool` (or one left behind by a renamed
 * namespace) allows nothing, which no schema can say (the key is a valid namespace) and the engine
 * passes on: the review judges the same way and says so.
 */
export function ineffectiveExtraCallers(config: Record<string, PolicyConfig>): string | undefined {
  const props = own(config, "agent-call-graph")?.properties ?? {};
  const extra = props.extraCallers;
  if (!extra || typeof extra !== "object") return undefined;
  const judged = [props.agentsNamespace, props.toolsNamespace].filter((n): n is string => typeof n === "string");
  const unused = Object.keys(extra).filter((k) => !judged.includes(k));
  if (!unused.length) return undefined;
  const shown = unused.map((k) => {
    const near = closest(k, judged);
    return `extraCallers.${k}${near ? ` (did you mean ${near}?)` : ""}`;
  });
  return `agent-call-graph judges the callers of namespaces ${judged.join(" and ")} only (agentsNamespace, toolsNamespace), so ${shown.join(", ")} allows nothing, in pulumi preview as in this review`;
}

/** A value as a message quotes it: short, one line. */
function quoted(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Entries the engine hands to `Configure` without a level, which its analyzer plugin refuses
 * before the pack sees them (pkg/resource/plugin/analyzer_plugin.go Configure: 'invalid
 * enforcement level ""'), failing the preview: properties under a name the pack has no policy for
 * (applyConfig adds it to the result with no level to inherit), or under `all` with no level.
 */
function levellessEntries(info: AnalyzerInfo, result: Record<string, PolicyConfig>, overrides: Record<string, PolicyConfig>): string[] {
  const refused = 'pulumi preview refuses the config (configuring the pack: invalid enforcement level "")';
  const problems: string[] = [];
  const all = own(overrides, "all");
  if (all && !all.enforcementLevel) {
    problems.push(`all: sets ${Object.keys(all.properties ?? {}).join(", ")} but no enforcementLevel, so ${refused}; "all" takes only the level of every policy, properties go under a policy's name`);
  }
  const known = info.policies.map((p) => p.name).sort();
  for (const [name, c] of Object.entries(result)) {
    if (c.enforcementLevel) continue;
    const near = closest(name, known);
    problems.push(
      `${name}: the pack ${info.name} has no policy of that name, and with properties (${Object.keys(c.properties ?? {}).join(", ")}) but no enforcementLevel ${refused}; ` +
        (near ? `did you mean ${near}?` : `its policies: ${known.join(", ")}`),
    );
  }
  return problems;
}

/**
 * The config `Configure` receives: defaults, initial config, overrides (pkg/resource/analyzer
 * config.go ReconcilePolicyPackConfig); throws, naming `source`, on what the engine refuses:
 * values outside a policy's configSchema and entries it cannot send to the pack.
 */
export function reconcilePolicyConfig(info: AnalyzerInfo, overrides: Record<string, PolicyConfig> = {}, source = "policy config"): Record<string, PolicyConfig> {
  const result: Record<string, PolicyConfig> = {};
  for (const p of info.policies) {
    const defaults = Object.entries(p.configSchema?.properties ?? {}).filter(([, s]) => s && "default" in s);
    put(result, p.name, {
      enforcementLevel: p.enforcementLevel,
      ...(defaults.length ? { properties: Object.fromEntries(defaults.map(([k, s]) => [k, s.default])) } : {}),
    });
  }
  apply(result, info.initialConfig);
  apply(result, overrides);
  const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
  const errors: string[] = [];
  for (const p of info.policies) {
    if (!p.configSchema) continue;
    const schema = {
      type: "object",
      properties: p.configSchema.properties,
      ...(p.configSchema.required.length ? { required: p.configSchema.required } : {}),
    };
    const validate = ajv.compile(schema);
    if (!validate(own(result, p.name)?.properties ?? {})) {
      for (const e of validate.errors ?? []) {
        // Ajv reports a refused key twice: the key's own failure (carrying propertyName) and this summary.
        if (e.keyword === "propertyNames") continue;
        const allowed = e.keyword === "enum" ? `: ${(e.params as { allowedValues: unknown[] }).allowedValues.map(quoted).join(", ")}` : "";
        const is = e.keyword === "required" ? "" : ` (is ${quoted(e.data)})`;
        const what = e.propertyName === undefined ? "" : "key ";
        // A pattern says what it takes only to those who read regular expressions: the knob's description says it in words.
        const knob = e.instancePath.split("/")[1];
        const described = e.keyword === "pattern" && knob ? p.configSchema.properties[knob]?.description : undefined;
        errors.push(`${p.name}${e.instancePath.replace(/\//g, ".")}: ${what}${e.message}${allowed}${is}${typeof described === "string" ? `; ${knob}: ${described}` : ""}`);
      }
    }
  }
  errors.push(...levellessEntries(info, result, overrides));
  if (errors.length) throw new Error(`${source} is invalid for policy pack ${info.name}:\n  ${errors.join("\n  ")}`);
  return result;
}
