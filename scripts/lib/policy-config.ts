/**
 * Policy pack config as the engine computes it before `Configure` (pkg/resource/analyzer
 * config.go): every policy starts from its default enforcement level and its configSchema
 * `default`s, then the pack's initial config, then the user's file (`--policy-pack-config`), where
 * a value is either an enforcement level or `{enforcementLevel?, ...properties}` and the key `all`
 * sets the level of every policy. The result is validated against each policy's schema.
 */
import Ajv from "ajv";
import { readYamlFile } from "./yaml-file";
import type { AnalyzerInfo, EnforcementLevel, PolicyConfig } from "./policy-pack";

const levels: EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

function asLevel(value: unknown, where: string): EnforcementLevel {
  if (typeof value !== "string" || !levels.includes(value as EnforcementLevel)) {
    throw new Error(`${where}: ${JSON.stringify(value)} is not a valid enforcement level (${levels.join(", ")})`);
  }
  return value as EnforcementLevel;
}

/** Parses a policy config document (JSON or YAML object). */
export function parsePolicyConfig(doc: unknown, source = "policy config"): Record<string, PolicyConfig> {
  if (doc === undefined || doc === null) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new Error(`${source}: must be an object keyed by policy name`);
  const out: Record<string, PolicyConfig> = {};
  for (const [name, value] of Object.entries(doc as Record<string, unknown>)) {
    // The engine takes `environments` (Pulumi ESC environments to open for the pack) out of the
    // file before reading policies (pkg/resource/analyzer/config.go parsePolicyPackConfig); this
    // pack reads no environment, so offline it only has to be well formed.
    if (name === "environments") {
      if (!Array.isArray(value) || value.some((e) => typeof e !== "string")) throw new Error(`${source}: "environments" must be a list of ESC environment names`);
      continue;
    }
    if (typeof value === "string") {
      out[name] = { enforcementLevel: asLevel(value, `${source}: ${name}`) };
    } else if (value && typeof value === "object" && !Array.isArray(value)) {
      const { enforcementLevel, ...properties } = value as Record<string, unknown>;
      const c: PolicyConfig = {};
      if (enforcementLevel !== undefined) c.enforcementLevel = asLevel(enforcementLevel, `${source}: ${name}.enforcementLevel`);
      if (Object.keys(properties).length) c.properties = properties;
      if (c.enforcementLevel || c.properties) out[name] = c;
    } else {
      throw new Error(`${source}: ${name}: must be an enforcement level or an object`);
    }
  }
  return out;
}

/** The stack's `policy:` settings the pack enforces too. */
export interface StackPolicySettings {
  maxCanaryWeight: number;
  requireTls: boolean;
  allowPublicApiEndpoints: boolean;
}

/**
 * The pack config a stack's `policy:` settings imply, so the review judges a stack by the rules
 * it declares: canary limit, plaintext listeners where TLS is not required, public EKS endpoints
 * where allowed.
 */
export function policyConfigFromStack(settings: StackPolicySettings): Record<string, PolicyConfig> {
  return {
    "canary-weight-limit": { properties: { maxCanaryWeight: settings.maxCanaryWeight } },
    "gateway-listeners-tls": { properties: { allowPlaintextListeners: !settings.requireTls } },
    "eks-endpoint-private": { properties: { allowPublicApiEndpoints: settings.allowPublicApiEndpoints } },
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
  for (const [name, c] of Object.entries(override)) out[name] = mergeOne(out[name] ?? {}, c);
  return out;
}

/** A config record in the `--policy-pack-config` file format (`{policy: {enforcementLevel?, ...properties}}`). */
export function policyConfigDocument(config: Record<string, PolicyConfig>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).map(([name, c]) => [name, { ...(c.enforcementLevel ? { enforcementLevel: c.enforcementLevel } : {}), ...c.properties }]),
  );
}

export function loadPolicyConfigFile(file: string): Record<string, PolicyConfig> {
  return parsePolicyConfig(readYamlFile(file, "policy config"), file);
}

function apply(result: Record<string, PolicyConfig>, given: Record<string, PolicyConfig>): void {
  const all = given.all?.enforcementLevel;
  if (all) for (const name of Object.keys(result)) result[name] = { ...result[name], enforcementLevel: all };
  for (const [name, c] of Object.entries(given)) if (name !== "all") result[name] = mergeOne(result[name] ?? {}, c);
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
  return `policy config names policies the pack ${info.name} does not have, which pulumi preview ignores as this review does: ${unknown.join(", ")} (its policies: ${[...known].sort().join(", ")})`;
}

/** The config `Configure` receives: defaults, initial config, overrides; throws on schema errors. */
export function reconcilePolicyConfig(info: AnalyzerInfo, overrides: Record<string, PolicyConfig> = {}): Record<string, PolicyConfig> {
  const result: Record<string, PolicyConfig> = {};
  for (const p of info.policies) {
    const defaults = Object.entries(p.configSchema?.properties ?? {}).filter(([, s]) => s && "default" in s);
    result[p.name] = {
      enforcementLevel: p.enforcementLevel,
      ...(defaults.length ? { properties: Object.fromEntries(defaults.map(([k, s]) => [k, s.default])) } : {}),
    };
  }
  apply(result, info.initialConfig);
  apply(result, overrides);
  const ajv = new Ajv({ allErrors: true, strict: false });
  const errors: string[] = [];
  for (const p of info.policies) {
    if (!p.configSchema) continue;
    const schema = {
      type: "object",
      properties: p.configSchema.properties,
      ...(p.configSchema.required.length ? { required: p.configSchema.required } : {}),
    };
    const validate = ajv.compile(schema);
    if (!validate(result[p.name]?.properties ?? {})) {
      for (const e of validate.errors ?? []) errors.push(`${p.name}${e.instancePath.replace(/\//g, ".")}: ${e.message}`);
    }
  }
  if (errors.length) throw new Error(`policy config is invalid:\n  ${errors.join("\n  ")}`);
  return result;
}
