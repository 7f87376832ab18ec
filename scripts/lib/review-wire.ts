/**
 * A deployment export (ours or `pulumi stack export`) turned into the analyzer requests the engine
 * sends for it, as a preview's step generator sends them (pkg/resource/deploy step_generator.go):
 * every resource the program registers (not pending delete, not read with `.get()`) is analyzed,
 * the root Stack and providers included; `Analyze` gets the inputs, `AnalyzeStack` the
 * outputs; a provider is sent with its own inputs; the name is the URN's name; properties are
 * marshalled as the engine's analyzer plugin does (sdk/go/common/resource/plugin/analyzer_plugin.go):
 * secrets and unknowns kept, internal `__` keys skipped (kept for `Remediate`), resource references
 * reduced to their ID (or URN for components), known output values to their value.
 *
 * A state whose two sides disagree (`sidesDisagree`) is judged on both by review.ts, beyond what
 * the engine does.
 *
 * Requests are encoded straight to protobuf bytes (see proto-writer.ts): field numbers are those
 * of pulumi/proto/pulumi/analyzer.proto, and test/policy-review/wire.test.ts checks the bytes
 * against the messages @pulumi/pulumi's generated classes build.
 */
import { ProtoWriter, structFields, writePlainValue } from "./proto-writer";
import { outputsOnly } from "./review-sides";
import { SIG_KEY, SECRET_SIG, ASSET_SIG, ARCHIVE_SIG, RESOURCE_REF_SIG, OUTPUT_VALUE_SIG, FLOAT_SIG, BYTE_STRING_SIG, UNKNOWN, StateFormatError, byteStringValue, floatValue, resourceRefValue } from "./state-signatures";
export { sidesDisagree } from "./review-sides";
export { SIG_KEY, SECRET_SIG, ASSET_SIG, ARCHIVE_SIG, RESOURCE_REF_SIG, OUTPUT_VALUE_SIG, FLOAT_SIG, BYTE_STRING_SIG, UNKNOWN, StateFormatError } from "./state-signatures";

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
  /** Read with `.get()` (a ReadResource): the engine sends it to neither Analyze nor AnalyzeStack (RequestBuilder.resources). */
  external?: boolean;
  /**
   * The resource this one is a view of (apitype ResourceV3 `viewOf`): state a provider reports
   * through the engine's ResourceStatus service for one of its resources (a view step), which the
   * program never registers. Pulumi 3.248.0 analyzes only registrations one by one (step_generator.go
   * AnalyzeResource; a view's state is made in resource_status.go unmarshalViewStepState), while the
   * step executor records a view's state in `deployment.news` like any other (step_executor.go
   * continueExecuteStep), so AnalyzeStack is handed it.
   */
  viewOf?: string;
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
  /** `Remediate` requests keep internal `__` keys; `Analyze` and `AnalyzeStack` skip them. */
  keepInternalKeys?: boolean;
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

/**
 * Writes the Value fields of an export value in its wire form, in one pass: `{sig, plaintext}`
 * (`--show-secrets`) and `{sig, value}` (mock captures) become the engine's `{sig, value}`;
 * `{sig, ciphertext}` cannot be decrypted offline and becomes a secret unknown, which a policy
 * reading it reports as "can't run during preview"; resource references become their ID (the URN
 * when they have none) and output values their value (unknown when absent), as the engine marshals
 * them without KeepResources/KeepOutputValues; assets and archives travel as they are.
 */
function writeWireValue(w: ProtoWriter, value: unknown, stats: WireStats): void {
  if (structFields.scalar(w, value)) return;
  if (Array.isArray(value)) return structFields.list(w, value, (v) => writeWireValue(w, v, stats));
  const obj = value as Record<string, unknown>;
  const sig = obj[SIG_KEY];
  if (sig === RESOURCE_REF_SIG) return writeWireValue(w, resourceRefValue(obj), stats);
  if (sig === OUTPUT_VALUE_SIG) {
    const inner = "value" in obj ? obj.value : UNKNOWN;
    return writeWireValue(w, obj.secret === true ? { [SIG_KEY]: SECRET_SIG, value: inner } : inner, stats);
  }
  // The engine reads it back as a plain number and sends it so.
  if (sig === FLOAT_SIG) return writeWireValue(w, floatValue(obj), stats);
  if (sig === BYTE_STRING_SIG) return writeWireValue(w, byteStringValue(obj), stats);
  structFields.struct(w, () => writeWireStructFields(w, obj, stats));
}

/** The Struct fields of an object's wire form (see writeWireValue). */
function writeWireStructFields(w: ProtoWriter, obj: Record<string, unknown>, stats: WireStats): void {
  const sig = obj[SIG_KEY];
  if (sig === SECRET_SIG) {
    structFields.entry(w, SIG_KEY, () => structFields.scalar(w, SECRET_SIG));
    if (typeof obj.plaintext === "string") {
      const plain = parseSecretPlaintext(obj.plaintext);
      structFields.entry(w, "value", () => writeWireValue(w, plain, stats));
    } else if ("value" in obj) {
      structFields.entry(w, "value", () => writeWireValue(w, obj.value, stats));
    } else {
      stats.undecryptableSecrets++;
      structFields.entry(w, "value", () => structFields.scalar(w, UNKNOWN));
    }
    return;
  }
  if (sig !== undefined) {
    if (sig !== ASSET_SIG && sig !== ARCHIVE_SIG) throw new StateFormatError(`unrecognized signature ${JSON.stringify(sig)} (a value under key ${SIG_KEY} must be a secret, asset, archive, resource reference, output value, float or byte string)`);
    for (const key of Object.keys(obj).sort()) structFields.entry(w, key, () => writePlainValue(w, obj[key]));
    return;
  }
  for (const key of Object.keys(obj).sort()) {
    const v = obj[key];
    if (v !== undefined && (stats.keepInternalKeys || !key.startsWith("__"))) structFields.entry(w, key, () => writeWireValue(w, v, stats));
  }
}

function parseSecretPlaintext(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new StateFormatError("a secret's plaintext is not JSON (`pulumi stack export --show-secrets` writes JSON-encoded values)");
  }
}

/** pulumirpc.AnalyzerResourceOptions. */
function writeOptions(w: ProtoWriter, r: ExportedResource): void {
  if (r.protect) w.bool(1, true);
  for (const s of r.ignoreChanges ?? []) w.string(2, s);
  for (const s of r.additionalSecretOutputs ?? []) w.string(5, s);
  for (const s of r.aliases ?? []) w.string(6, s);
  w.message(7, () => {
    const t = r.customTimeouts;
    if (t?.create) w.double(1, t.create);
    if (t?.update) w.double(2, t.update);
    if (t?.delete) w.double(3, t.delete);
  });
  if (r.parent) w.string(8, r.parent);
}

/**
 * One side of a resource's state. A custom resource without an `outputs` key is reviewed on its
 * inputs: a created object always has outputs in state, so such a file was written by hand or by
 * a tool that dropped them, and its inputs are what the object was made from (the engine would
 * hand the stack policies nothing, and they would report the object missing). The other way round,
 * a Kubernetes object with outputs and no inputs is reviewed on its outputs (`outputsOnly`).
 */
export function propertiesOf(r: ExportedResource, side: "inputs" | "outputs"): Record<string, unknown> {
  if (side === "outputs" && r.outputs === undefined && r.custom !== false) return r.inputs ?? {};
  if (side === "inputs" && outputsOnly(r)) return r.outputs!;
  return r[side] ?? {};
}

/** Names the resource and side of a state format error. */
function withContext(r: ExportedResource, side: "inputs" | "outputs", write: () => void): void {
  try {
    write();
  } catch (err) {
    if (err instanceof StateFormatError) throw new StateFormatError(`${r.urn} ${side}: ${err.message}`);
    throw err;
  }
}

function writeNonEmpty(w: ProtoWriter, field: number, value: string): void {
  if (value) w.string(field, value);
}

export class RequestBuilder {
  readonly stats: WireStats = { undecryptableSecrets: 0 };
  private readonly providers = new Map<string, ExportedResource>();
  /** Encoded pulumirpc.AnalyzerProviderResource bodies, built once: every resource of a cluster carries the same one. */
  private readonly providerMessages = new Map<string, Uint8Array>();
  /**
   * Resources the engine analyzes, one by one (Analyze, Remediate) and together (AnalyzeStack): the
   * ones the program registers. Not those pending deletion, nor those read with `.get()`
   * (`external`): a read step runs no analyzer (step_generator.go GenerateReadSteps), and the step
   * executor keeps what it read apart from what was registered (`deployment.reads`, not
   * `deployment.news`, step_executor.go), while AnalyzeResources sends AnalyzeStack `news` only.
   * (`pulumi policy analyze`'s AnalyzeSnapshot does send them; a preview does not.)
   */
  readonly resources: ExportedResource[];
  /** Of those, the ones the engine sends to Remediate and Analyze one by one: not views (`viewOf`), which no program registers. */
  readonly registered: ExportedResource[];
  private readonly writer = new ProtoWriter(256 * 1024);

  constructor(exported: ExportedDeployment) {
    const all = exported.deployment.resources ?? [];
    this.resources = all.filter((r) => !r.delete && !r.external);
    this.registered = this.resources.filter((r) => !r.viewOf);
    for (const r of all) if (isProviderType(r.type)) this.providers.set(r.urn, r);
  }

  private provider(r: ExportedResource): Uint8Array | undefined {
    if (!r.provider) return undefined;
    const p = this.providers.get(providerUrn(r.provider));
    if (!p) return undefined;
    const cached = this.providerMessages.get(p.urn);
    if (cached) return cached;
    const w = new ProtoWriter();
    writeNonEmpty(w, 1, p.type);
    w.message(2, () => withContext(p, "inputs", () => writeWireStructFields(w, p.inputs ?? {}, { undecryptableSecrets: 0 })));
    writeNonEmpty(w, 3, p.urn);
    writeNonEmpty(w, 4, urnName(p.urn));
    const body = w.finish();
    this.providerMessages.set(p.urn, body);
    return body;
  }

  /** The encoded pulumirpc.AnalyzeRequest of one resource for `Analyze`: its inputs (or `side`). */
  analyzeRequest(r: ExportedResource, side: "inputs" | "outputs" = "inputs"): Uint8Array {
    return this.request(r, side === "inputs" ? this.stats : { undecryptableSecrets: 0 }, side);
  }

  /**
   * Counts the export's undecryptable values in a resource's inputs, as analyzeRequest does, for
   * one judged on remediated inputs instead (which carry that ciphertext as an opened unknown).
   */
  countUndecryptable(r: ExportedResource): void {
    this.request(r, this.stats, "inputs");
  }

  /** The same for `Remediate`, which the engine sends with internal keys. */
  remediateRequest(r: ExportedResource, side: "inputs" | "outputs" = "inputs"): Uint8Array {
    return this.request(r, { undecryptableSecrets: 0, keepInternalKeys: true }, side);
  }

  private request(r: ExportedResource, stats: WireStats, side: "inputs" | "outputs" = "inputs"): Uint8Array {
    const w = this.writer.reset();
    this.writeResource(w, r, side, stats);
    return w.finish();
  }

  /**
   * Fields 1–6, laid out alike in pulumirpc.AnalyzeRequest and AnalyzerResource: type, the
   * properties of one side of the state, urn, name, options, provider.
   */
  private writeResource(w: ProtoWriter, r: ExportedResource, side: "inputs" | "outputs", stats: WireStats): void {
    const provider = this.provider(r);
    writeNonEmpty(w, 1, r.type);
    w.message(2, () => withContext(r, side, () => writeWireStructFields(w, propertiesOf(r, side), stats)));
    writeNonEmpty(w, 3, r.urn);
    writeNonEmpty(w, 4, urnName(r.urn));
    w.message(5, () => writeOptions(w, r));
    if (provider) w.bytes(6, provider);
  }

  /**
   * The encoded pulumirpc.AnalyzeStackRequest: every resource with its outputs (or, for the
   * resources in `inputsOf`, its inputs) and dependency graph; `replaced` holds the state some
   * resources have instead (after remediation).
   */
  analyzeStackRequest(inputsOf: ReadonlySet<string> = new Set(), replaced: ReadonlyMap<string, ExportedResource> = new Map()): Uint8Array {
    const scratch: WireStats = { undecryptableSecrets: 0 };
    const w = new ProtoWriter(1024 * 1024);
    for (const original of this.resources) {
      const r = replaced.get(original.urn) ?? original;
      w.message(1, () => {
        this.writeResource(w, r, inputsOf.has(r.urn) ? "inputs" : "outputs", scratch);
        if (r.parent) w.string(7, r.parent);
        for (const d of r.dependencies ?? []) w.string(8, d);
        const deps = r.propertyDependencies ?? {};
        for (const key of Object.keys(deps).sort()) {
          const urns = deps[key];
          if (urns.length === 0) continue;
          w.message(9, () => {
            w.string(1, key);
            w.message(2, () => {
              for (const u of urns) w.string(1, u);
            });
          });
        }
      });
    }
    return w.finish();
  }
}
