/**
 * Runs the real program under Pulumi's mock engine and records every registration the way the
 * engine would: URN, type, inputs, outputs, parent, provider reference and dependencies. The
 * record becomes `stack.json` in Pulumi's deployment-export format (version 3).
 *
 * Pulumi's runtime is process-global: run one stack per process.
 */
import * as pulumi from "@pulumi/pulumi";
import { platformMocks } from "./mocks";

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

/** Replaces secret values with the ciphertext form `pulumi stack export` prints (no plaintext leaves). */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SECRET_SIG] === SECRET_VALUE) {
      return { [SECRET_SIG]: SECRET_VALUE, ciphertext: "offline-render:redacted" };
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, redactSecrets(v)]));
  }
  return value;
}

/** Drops Pulumi's internal `__defaults` bookkeeping that providers add to inputs. */
function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clean);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).filter(([k]) => k !== "__defaults").map(([k, v]) => [k, clean(v)]),
    );
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
 * Installs the mocks and a recorder on the mock monitor. Call before importing the program.
 */
export function startMockEngine(project: string, stack: string, config: Record<string, string>): CapturedResource[] {
  pulumi.runtime.setMocks(platformMocks, project, stack, false);
  pulumi.runtime.setAllConfig(config);
  const settings = require("@pulumi/pulumi/runtime/settings");
  const monitor = settings.getMonitor();
  const captured: CapturedResource[] = [];
  const byUrn = new Map<string, CapturedResource>();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: (err: any, resp: any) => void) => {
    register(req, (err: any, resp: any) => {
      if (!err && resp) {
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((deps: any, key: string) => {
          propertyDependencies[key] = deps.getUrnsList();
        });
        const secretOutputs: string[] = req.getAdditionalsecretoutputsList?.() ?? [];
        const record: CapturedResource = {
          urn: resp.getUrn(),
          custom: req.getCustom(),
          ...(req.getCustom() ? { id: resp.getId() } : {}),
          type: req.getType(),
          inputs: clean(toJs(req.getObject())) as Record<string, unknown>,
          outputs: markSecretOutputs(clean(toJs(resp.getObject())) as Record<string, unknown>, secretOutputs),
          ...(req.getParent() ? { parent: req.getParent() } : {}),
          ...(req.getProvider() ? { provider: req.getProvider() } : {}),
          dependencies: req.getDependenciesList(),
          propertyDependencies,
          ...(secretOutputs.length ? { additionalSecretOutputs: secretOutputs } : {}),
        };
        captured.push(record);
        byUrn.set(record.urn, record);
      }
      callback(err, resp);
    });
  };
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req: any, callback: (err: any, resp: any) => void) => {
    const record = byUrn.get(req.getUrn());
    if (record) record.outputs = markSecretOutputs(clean(toJs(req.getOutputs())) as Record<string, unknown>, record.additionalSecretOutputs ?? []);
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
  try {
    await pulumi.runtime.runInPulumiStack(async () => {
      const mod = await load();
      return mod.default && typeof mod.default === "object" ? mod.default : mod;
    });
    // Let outstanding registrations and output registrations settle, including resources whose
    // inputs wait on other resources' outputs (e.g. a Secret built from a generated certificate).
    await require("@pulumi/pulumi/runtime/settings").waitForRPCs();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    if (mapped) proc.setSourceMapsEnabled?.(true);
    Error.stackTraceLimit = stackLimit;
  }
}

/** The captured run as `pulumi stack export` would print it, secrets redacted. */
export function toDeploymentExport(captured: CapturedResource[]): DeploymentExport {
  return {
    version: 3,
    deployment: {
      manifest: { time: new Date(0).toISOString(), magic: "offline-render", version: "mock-engine" },
      secrets_providers: { type: "passphrase", state: { salt: "offline-render" } },
      resources: captured.map((r) => redactSecrets(r) as CapturedResource),
    },
  };
}
