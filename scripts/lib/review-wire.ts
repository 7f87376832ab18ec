/**
 * A deployment export (ours or `pulumi stack export`) turned into the analyzer requests the engine
 * sends for it. This mirrors the engine's snapshot analysis (`pulumi policy validate`,
 * pkg/resource/deploy AnalyzeSnapshot) and its step generator: every resource not pending delete is
 * analyzed, the root Stack and providers included; `Analyze` gets the inputs, `AnalyzeStack` the
 * outputs; a provider is sent with its own inputs; the name is the URN's name; properties are
 * marshalled keeping secrets and unknowns and skipping internal `__` keys.
 */
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";

export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** What the engine sends for a value it cannot know (here: a secret encrypted in the export). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A resource of a deployment export (version 3), with the state fields the analyzer uses. */
export interface ExportedResource {
  urn: string;
  type: string;
  custom?: boolean;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  parent?: string;
  provider?: string;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
  protect?: boolean;
  delete?: boolean;
  ignoreChanges?: string[];
  additionalSecretOutputs?: string[];
  aliases?: string[];
  customTimeouts?: { create?: number; update?: number; delete?: number };
}

export interface ExportedDeployment {
  version: number;
  deployment: { resources?: ExportedResource[]; [k: string]: unknown };
}

export interface WireStats {
  /** Secrets that the export holds only as ciphertext: sent as unknown, as in a preview. */
  undecryptableSecrets: number;
}

/**
 * Export values to the wire: `{sig, plaintext}` (`--show-secrets`) and `{sig, value}` (mock
 * captures) become the engine's `{sig, value}`; `{sig, ciphertext}` cannot be decrypted offline
 * and becomes a secret unknown, which a policy reading it reports as "can't run during preview".
 */
export function toWire(value: unknown, stats: WireStats): unknown {
  if (Array.isArray(value)) return value.map((v) => toWire(v, stats));
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  if (obj[SIG_KEY] === SECRET_SIG) {
    if (typeof obj.plaintext === "string") return { [SIG_KEY]: SECRET_SIG, value: toWire(JSON.parse(obj.plaintext), stats) };
    if ("value" in obj) return { [SIG_KEY]: SECRET_SIG, value: toWire(obj.value, stats) };
    stats.undecryptableSecrets++;
    return { [SIG_KEY]: SECRET_SIG, value: UNKNOWN };
  }
  if (SIG_KEY in obj) return obj; // assets, archives, resource references travel as they are
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k.startsWith("__") || v === undefined) continue;
    out[k] = toWire(v, stats);
  }
  return out;
}

/** The name part of `urn:pulumi:<stack>::<project>::<type>::<name>`. */
export function urnName(urn: string): string {
  return urn.split("::").slice(3).join("::");
}

/** Stack and project from any URN of the deployment. */
export function stackOfUrn(urn: string): { stack: string; project: string } {
  const parts = urn.split("::");
  return { stack: parts[0].replace(/^urn:pulumi:/, ""), project: parts[1] ?? "" };
}

export function isProviderType(type: string): boolean {
  return type.startsWith("pulumi:providers:");
}

/** The provider URN of a `<urn>::<id>` provider reference. */
export function providerUrn(ref: string): string {
  return ref.slice(0, ref.lastIndexOf("::"));
}

function struct(value: unknown): Struct {
  return Struct.fromJavaScript((value ?? {}) as Parameters<typeof Struct.fromJavaScript>[0]);
}

function options(r: ExportedResource): pb.AnalyzerResourceOptions {
  const o = new pb.AnalyzerResourceOptions();
  o.setProtect(!!r.protect);
  o.setIgnorechangesList(r.ignoreChanges ?? []);
  o.setAdditionalsecretoutputsList(r.additionalSecretOutputs ?? []);
  o.setAliasesList(r.aliases ?? []);
  const t = new pb.AnalyzerResourceOptions.CustomTimeouts();
  t.setCreate(r.customTimeouts?.create ?? 0);
  t.setUpdate(r.customTimeouts?.update ?? 0);
  t.setDelete(r.customTimeouts?.delete ?? 0);
  o.setCustomtimeouts(t);
  if (r.parent) o.setParent(r.parent);
  return o;
}

export class RequestBuilder {
  readonly stats: WireStats = { undecryptableSecrets: 0 };
  private readonly providers = new Map<string, ExportedResource>();
  /** Provider messages, built once: every resource of a cluster carries the same one. */
  private readonly providerMessages = new Map<string, pb.AnalyzerProviderResource>();
  /** Resources the engine analyzes: all but those pending deletion. */
  readonly resources: ExportedResource[];

  constructor(exported: ExportedDeployment) {
    const all = exported.deployment.resources ?? [];
    this.resources = all.filter((r) => !r.delete);
    for (const r of all) if (isProviderType(r.type)) this.providers.set(r.urn, r);
  }

  private provider(r: ExportedResource): pb.AnalyzerProviderResource | undefined {
    if (!r.provider) return undefined;
    const p = this.providers.get(providerUrn(r.provider));
    if (!p) return undefined;
    const cached = this.providerMessages.get(p.urn);
    if (cached) return cached;
    const out = new pb.AnalyzerProviderResource();
    out.setUrn(p.urn);
    out.setType(p.type);
    out.setName(urnName(p.urn));
    out.setProperties(struct(toWire(p.inputs ?? {}, { undecryptableSecrets: 0 })));
    this.providerMessages.set(p.urn, out);
    return out;
  }

  /** The `Analyze` (and `Remediate`) request of one resource: its inputs. */
  analyzeRequest(r: ExportedResource): pb.AnalyzeRequest {
    const req = new pb.AnalyzeRequest();
    req.setUrn(r.urn);
    req.setType(r.type);
    req.setName(urnName(r.urn));
    req.setProperties(struct(toWire(r.inputs ?? {}, this.stats)));
    req.setOptions(options(r));
    const provider = this.provider(r);
    if (provider) req.setProvider(provider);
    return req;
  }

  /** The `AnalyzeStack` request: every resource with its outputs and dependency graph. */
  analyzeStackRequest(): pb.AnalyzeStackRequest {
    const req = new pb.AnalyzeStackRequest();
    const scratch: WireStats = { undecryptableSecrets: 0 };
    req.setResourcesList(
      this.resources.map((r) => {
        const res = new pb.AnalyzerResource();
        res.setUrn(r.urn);
        res.setType(r.type);
        res.setName(urnName(r.urn));
        res.setProperties(struct(toWire(r.outputs ?? {}, scratch)));
        res.setOptions(options(r));
        const provider = this.provider(r);
        if (provider) res.setProvider(provider);
        if (r.parent) res.setParent(r.parent);
        res.setDependenciesList(r.dependencies ?? []);
        for (const [key, urns] of Object.entries(r.propertyDependencies ?? {})) {
          if (urns.length === 0) continue;
          const deps = new pb.AnalyzerPropertyDependencies();
          deps.setUrnsList(urns);
          res.getPropertydependenciesMap().set(key, deps);
        }
        return res;
      }),
    );
    return req;
  }
}
