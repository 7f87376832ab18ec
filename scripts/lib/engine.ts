/**
 * Runs the real program under Pulumi's mock engine and records every registration the way the
 * engine would: URN, type, inputs, outputs, parent, provider reference and dependencies. The
 * record becomes `stack.json` in Pulumi's deployment-export format (version 3).
 *
 * Pulumi's runtime is process-global: run one stack per process.
 */
import { createHash } from "node:crypto";
import { encryptValue, exportSecretsProvider } from "./export-secrets";
import * as pulumi from "@pulumi/pulumi";
import { platformMocks } from "./mocks";
import { engineUrn, installRegisterResource, registrationErrors } from "./monitor";

export interface CapturedResource {
  urn: string;
  custom: boolean;
  id?: string;
  type: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  parent?: string;
  provider?: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  /** Outputs the engine stores as secrets (e.g. a k8s Secret's data), as in `pulumi stack export`. */
  additionalSecretOutputs?: string[];
  /** `protect`, as the engine keeps it in state. */
  protect?: boolean;
  /** URNs the resource was known by (its `aliases` options), as the engine keeps them in state. */
  aliases?: string[];
}

export interface DeploymentExport {
  version: 3;
  deployment: {
    manifest: { time: string; magic: string; version: string };
    secrets_providers?: { type: string; state: Record<string, unknown> };
    resources: CapturedResource[];
  };
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/**
 * The export form of a recorded value: secrets as ciphertext, as `pulumi stack export` prints
 * them (no plaintext leaves), and without the `__defaults` bookkeeping providers add to inputs. A
 * copy: the recorded values are shared with the SDK.
 *
 * The ciphertext is what Pulumi's passphrase provider would write (export-secrets.ts), so that
 * `pulumi stack import` decrypts it; its nonce comes from the value, so two renders differ exactly
 * where a secret changed (a k3s version in a startup script, a rotated key). Inside a secret, the
 * value is encrypted whole, as the engine does (nested secret markers are dropped: the outer one
 * covers them).
 */
export function exportForm(value: unknown, secret: (json: string) => Record<string, unknown> = (json) => ({ ciphertext: encryptValue(json) })): unknown {
  if (Array.isArray(value)) return value.map((v) => exportForm(v, secret));
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SECRET_SIG] === SECRET_VALUE) return { [SECRET_SIG]: SECRET_VALUE, ...secret(JSON.stringify(plainForm(obj.value) ?? null)) };
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(obj)) if (key !== "__defaults") out[key] = exportForm(obj[key], secret);
    return out;
  }
  return value;
}

/** A secret's content as it is encrypted: secret markers unwrapped, `__defaults` dropped. */
function plainForm(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plainForm);
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SECRET_SIG] === SECRET_VALUE) return plainForm(obj.value);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(obj)) if (key !== "__defaults") out[key] = plainForm(obj[key]);
    return out;
  }
  return value;
}

/** The engine encrypts outputs listed in additionalSecretOutputs; the mock monitor does not. */
function markSecretOutputs(outputs: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out = { ...outputs };
  for (const k of keys) {
    const v = out[k];
    if (v === undefined || (v && typeof v === "object" && (v as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE)) continue;
    out[k] = { [SECRET_SIG]: SECRET_VALUE, value: v };
  }
  return out;
}

function toJs(struct: any): Record<string, unknown> {
  return struct ? (struct.toJavaScript() as Record<string, unknown>) : {};
}

/**
 * The URNs a registration's aliases name, computed as the engine does from each alias spec
 * (pkg/resource/deploy/step_generator.go, resource.CreateURN): unset fields are the resource's
 * own, and the URN is made by the same rule as every other (`engineUrn`).
 */
function aliasUrns(req: any, project: string, stack: string): string[] {
  return (req.getAliasesList?.() ?? []).map((a: any) => {
    if (a.getUrn()) return a.getUrn() as string;
    const spec = a.getSpec();
    const parent: string = spec.getNoparent() ? "" : spec.getParenturn() || req.getParent();
    return engineUrn(spec.getStack() || stack, spec.getProject() || project, parent || undefined, spec.getType() || req.getType(), spec.getName() || req.getName());
  });
}

/**
 * Installs the mocks and a recorder on the mock monitor. Call before importing the program.
 */
export function startMockEngine(project: string, stack: string, config: Record<string, string>): CapturedResource[] {
  pulumi.runtime.setMocks(platformMocks, project, stack, false);
  pulumi.runtime.setAllConfig(config);
  const captured: CapturedResource[] = [];
  const byUrn = new Map<string, CapturedResource>();
  installRegisterResource(platformMocks, (reg, req) => {
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps: any, key: string) => {
      propertyDependencies[key] = deps.getUrnsList();
    });
    const secretOutputs: string[] = req.getAdditionalsecretoutputsList?.() ?? [];
    const aliases = aliasUrns(req, project, stack);
    const record: CapturedResource = {
      urn: reg.urn,
      custom: req.getCustom(),
      ...(reg.id !== undefined ? { id: reg.id } : {}),
      type: req.getType(),
      inputs: reg.inputs,
      outputs: markSecretOutputs(reg.outputs, secretOutputs),
      ...(req.getParent() ? { parent: req.getParent() } : {}),
      ...(req.getProvider() ? { provider: req.getProvider() } : {}),
      dependencies: req.getDependenciesList(),
      propertyDependencies,
      ...(secretOutputs.length ? { additionalSecretOutputs: secretOutputs } : {}),
      ...(req.getProtect() ? { protect: true } : {}),
      ...(aliases.length ? { aliases } : {}),
    };
    captured.push(record);
    byUrn.set(record.urn, record);
  });
  const monitor = require("@pulumi/pulumi/runtime/settings").getMonitor();
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req: any, callback: (err: any, resp: any) => void) => {
    const record = byUrn.get(req.getUrn());
    if (record) record.outputs = markSecretOutputs(toJs(req.getOutputs()), record.additionalSecretOutputs ?? []);
    registerOutputs(req, callback);
  };
  return captured;
}

/** Runs the program module inside a root Stack resource, as the Pulumi language host does. */
export async function runProgram(load: () => Promise<Record<string, unknown>>): Promise<void> {
  // The SDK captures and formats a stack trace for every promise it tracks (runtime/debuggable.ts);
  // with the loader's source maps on, that was the largest single cost of a big render. The render
  // reports errors by message, so stacks are off while the program runs;
  // INFERENCE_MESH_DEBUG_STACKS=1 keeps them (and source-mapped) for debugging the program.
  const proc = process as NodeJS.Process & { sourceMapsEnabled?: boolean; setSourceMapsEnabled?: (on: boolean) => void };
  const mapped = proc.sourceMapsEnabled;
  const stackLimit = Error.stackTraceLimit;
  if (!process.env.INFERENCE_MESH_DEBUG_STACKS) {
    if (mapped) proc.setSourceMapsEnabled?.(false);
    Error.stackTraceLimit = 0;
  }
  // An error thrown inside an apply surfaces as a rejection nobody awaits (the engine would fail
  // the update with it): fail the render with its message instead of crashing the process.
  let onRejection: (reason: unknown) => void = () => undefined;
  const rejected = new Promise<never>((_, reject) => {
    onRejection = (reason) => reject(reason instanceof Error ? reason : new Error(String(reason)));
  });
  process.on("unhandledRejection", onRejection);
  try {
    const run = async () => {
      await pulumi.runtime.runInPulumiStack(async () => {
        const mod = await load();
        return mod.default && typeof mod.default === "object" ? mod.default : mod;
      });
      // Let outstanding registrations and output registrations settle, including resources whose
      // inputs wait on other resources' outputs (e.g. a Secret built from a generated certificate).
      await require("@pulumi/pulumi/runtime/settings").waitForRPCs();
      await new Promise((resolve) => setImmediate(resolve));
      if (registrationErrors.length > 0) throw registrationErrors[0];
    };
    await Promise.race([run(), rejected]);
  } finally {
    // A failed program leaves other rejected promises (the Stack's own) that surface a tick later.
    await new Promise((resolve) => setImmediate(resolve));
    process.off("unhandledRejection", onRejection);
    if (mapped) proc.setSourceMapsEnabled?.(true);
    Error.stackTraceLimit = stackLimit;
  }
}

/**
 * Registrations in a dependency order that does not depend on timing: a resource after its parent,
 * its provider and everything it depends on (as the engine's snapshots require), otherwise by URN.
 * Completion order varies from run to run (certificates are signed asynchronously); a stable
 * `stack.json` keeps pull-request diffs to what changed.
 */
export function stableOrder(captured: CapturedResource[]): CapturedResource[] {
  const byUrn = new Map(captured.map((r) => [r.urn, r]));
  const placed = new Set<string>();
  const out: CapturedResource[] = [];
  const place = (r: CapturedResource) => {
    if (placed.has(r.urn)) return;
    placed.add(r.urn);
    const before = [r.parent, r.provider && r.provider.slice(0, r.provider.lastIndexOf("::")), ...r.dependencies];
    for (const urn of before.filter((u): u is string => !!u).sort()) {
      const dep = byUrn.get(urn);
      if (dep) place(dep);
    }
    out.push(r);
  };
  for (const r of [...captured].sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0))) place(r);
  return out;
}

/** The manifest's engine version: the mock engine, not a Pulumi CLI release. */
const MANIFEST_VERSION = "mock-engine";

/** The captured run as `pulumi stack export` would print it, secrets encrypted. */
export function toDeploymentExport(captured: CapturedResource[]): DeploymentExport {
  return {
    version: 3,
    deployment: {
      // The CLI checks `magic` against the version (sha256 hex of it) before it takes an import
      // (deploy.Snapshot.VerifyIntegrity: "magic cookie mismatch").
      manifest: { time: new Date(0).toISOString(), magic: createHash("sha256").update(MANIFEST_VERSION).digest("hex"), version: MANIFEST_VERSION },
      secrets_providers: exportSecretsProvider(),
      resources: stableOrder(captured).map((r) => exportForm(r) as CapturedResource),
    },
  };
}

/**
 * The captured run as the pack sees it in `pulumi preview`: the same export with each secret in
 * the `--show-secrets` form (`{sig, plaintext}`), since the CLI decrypts the state before it runs
 * the pack. The render reviews this, so checks of a secret's content (a GPU node's startup
 * script, a root CA, a kubeconfig's credentials) judge it as a real preview does; stack.json
 * keeps the ciphertext.
 */
export function toPreviewDeployment(captured: CapturedResource[]): DeploymentExport {
  const exported = toDeploymentExport([]);
  exported.deployment.resources = stableOrder(captured).map((r) => exportForm(r, (plaintext) => ({ plaintext })) as CapturedResource);
  return exported;
}
