/**
 * In-process harness for the pack's policies (never the PolicyPack itself, which would start a
 * server): hand-built ResourceValidationArgs / StackValidationArgs as the SDK's server builds them
 * (props behind the unknown-checking proxy, secrets unwrapped, a notApplicable that throws),
 * config = schema defaults + overrides as the engine computes it, and the SDK's handling of
 * unknowns (an advisory "can't run during preview").
 */
import type {
  Policies,
  PolicyProviderResource,
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
  EnforcementLevel,
} from "@pulumi/policy";
import { unknownCheckingProxy } from "@pulumi/policy";
import * as policyServer from "@pulumi/policy/server";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { schemaDefaults } from "../../policy/lib/values";
import { defaultResourceOptions, policyResource } from "../../policy/lib/policy-resource";
import type { DeploymentExport } from "../../scripts/lib/engine";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";
/** The SDK's unknown-string sentinel (what the engine sends for values it cannot know). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

class NotApplicable extends Error {
  constructor(readonly reason?: string) {
    super(reason ?? "not applicable");
  }
}

export interface Outcome {
  violations: { message: string; urn?: string }[];
  /** Policies that could not judge an unknown value (the SDK reports these as advisory). */
  unknown: string[];
  notApplicable: string[];
}

/** Secrets unwrapped as the SDK's deserializer does; undecryptable ciphertext becomes unknown. */
export function unwrap(value: unknown): any {
  if (Array.isArray(value)) return value.map(unwrap);
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  if (obj[SIG] === SECRET) {
    if ("value" in obj) return unwrap(obj.value);
    if (typeof obj.plaintext === "string") return unwrap(JSON.parse(obj.plaintext));
    return UNKNOWN;
  }
  return Object.fromEntries(Object.entries(obj).filter(([k]) => !k.startsWith("__")).map(([k, v]) => [k, unwrap(v)]));
}

function isUnknownError(err: unknown): boolean {
  return err instanceof Error && err.constructor?.name === "UnknownValueError";
}

export interface ResourceInput {
  type: string;
  props: Record<string, unknown>;
  name?: string;
  urn?: string;
  provider?: { type?: string; name: string; urn?: string; props?: Record<string, unknown> } | null;
  additionalSecretOutputs?: string[];
}

/** A provider reference as the server builds it; `k8s("local")` is the cluster's explicit provider. */
export function k8sProvider(cluster: string): NonNullable<ResourceInput["provider"]> {
  const name = `${cluster}-k8s`;
  return { type: "pulumi:providers:kubernetes", name, urn: `urn:pulumi:test::inference-mesh::pulumi:providers:kubernetes::${name}` };
}

function provider(p: ResourceInput["provider"]): PolicyProviderResource | undefined {
  if (!p) return undefined;
  return {
    type: p.type ?? "pulumi:providers:kubernetes",
    name: p.name,
    urn: p.urn ?? `urn:pulumi:test::inference-mesh::${p.type ?? "pulumi:providers:kubernetes"}::${p.name}`,
    props: unknownCheckingProxy(unwrap(p.props ?? {})),
  };
}

function configFor(policy: { configSchema?: { properties: Record<string, any> } }, overrides?: Record<string, unknown>): () => any {
  return () => ({ ...schemaDefaults(policy.configSchema), ...(overrides ?? {}) });
}

export function resourceArgs(input: ResourceInput, config: () => any = () => ({})): ResourceValidationArgs {
  const name = input.name ?? "test-resource";
  const urn = input.urn ?? `urn:pulumi:test::inference-mesh::${input.type}::${name}`;
  const props = unknownCheckingProxy(unwrap(input.props));
  const args: ResourceValidationArgs = {
    type: input.type,
    props,
    urn,
    name,
    opts: defaultResourceOptions(input.additionalSecretOutputs),
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: config,
    notApplicable: (reason?: string) => {
      throw new NotApplicable(reason);
    },
  };
  const p = provider(input.provider === undefined ? k8sProvider("test") : input.provider);
  if (p) args.provider = p;
  return args;
}

async function guarded(out: Outcome, name: string, run: () => unknown): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (err instanceof NotApplicable) out.notApplicable.push(err.reason ?? name);
    else if (isUnknownError(err)) out.unknown.push(`${name}: ${(err as Error).message}`);
    else throw err;
  }
}

/** Runs a resource policy on resources; `config` overrides the schema defaults (`null`: no config at all). */
export async function runResource(policy: ResourceValidationPolicy, inputs: ResourceInput | ResourceInput[], config?: Record<string, unknown> | null): Promise<Outcome> {
  const out: Outcome = { violations: [], unknown: [], notApplicable: [] };
  const getConfig = config === null ? () => ({}) : configFor(policy, config);
  for (const input of Array.isArray(inputs) ? inputs : [inputs]) {
    const args = resourceArgs(input, getConfig);
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : policy.validateResource ? [policy.validateResource] : [];
    for (const v of validations) await guarded(out, policy.name, () => v(args, (message, urn) => out.violations.push({ message, urn: urn ?? args.urn })));
  }
  return out;
}

/** A stack resource (props = outputs) as the server builds it. */
export function stackResource(input: ResourceInput): PolicyResource {
  const args = resourceArgs(input);
  return policyResource({ type: args.type, props: args.props, urn: args.urn, name: args.name, opts: args.opts, provider: args.provider });
}

export async function runStack(policy: StackValidationPolicy, resources: PolicyResource[], config?: Record<string, unknown> | null): Promise<Outcome> {
  const out: Outcome = { violations: [], unknown: [], notApplicable: [] };
  const getConfig = config === null ? () => ({}) : configFor(policy, config);
  await guarded(out, policy.name, () =>
    policy.validateStack({ resources, stackTags: new Map(), getConfig, notApplicable: (reason?: string) => { throw new NotApplicable(reason); } } as any, (message, urn) =>
      out.violations.push({ message, urn }),
    ),
  );
  return out;
}

type ExportedResource = DeploymentExport["deployment"]["resources"][number] & { additionalSecretOutputs?: string[]; delete?: boolean };

function providerOf(r: ExportedResource, byUrn: Map<string, ExportedResource>): ResourceInput["provider"] {
  if (!r.provider) return null;
  const urn = r.provider.slice(0, r.provider.lastIndexOf("::"));
  const p = byUrn.get(urn);
  const name = urn.split("::").slice(3).join("::");
  return { type: p?.type ?? urn.split("::")[2]?.split("$").pop(), name, urn, props: p?.inputs ?? {} };
}

export interface Finding {
  policy: string;
  level: EnforcementLevel;
  urn?: string;
  message: string;
}

/**
 * Every policy over a deployment export, as a preview would run them: resource policies on each
 * resource's inputs, stack policies on all outputs; `config` per policy name.
 */
export async function reviewExport(exported: { deployment: { resources: ExportedResource[] } }, policies: Policies, config: Record<string, Record<string, unknown>> = {}): Promise<Finding[]> {
  const resources = exported.deployment.resources.filter((r) => !r.delete);
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const name = (urn: string) => urn.split("::").slice(3).join("::");
  const findings: Finding[] = [];
  for (const policy of policies) {
    const { enforcementLevel, ...properties } = (config[policy.name] ?? {}) as Record<string, unknown> & { enforcementLevel?: EnforcementLevel };
    const level = enforcementLevel ?? policy.enforcementLevel ?? "advisory";
    if (level === "disabled") continue;
    // A policy may be both (gpu-scheduling): the SDK's server runs each validation it has.
    const outcomes: Outcome[] = [];
    if ("validateResource" in policy && policy.validateResource) {
      outcomes.push(
        await runResource(
          policy,
          resources.map((r) => ({ type: r.type, name: name(r.urn), urn: r.urn, props: r.inputs ?? {}, provider: providerOf(r, byUrn), additionalSecretOutputs: r.additionalSecretOutputs })),
          properties,
        ),
      );
    }
    if ("validateStack" in policy) {
      const stack = resources.map((r) =>
        stackResource({ type: r.type, name: name(r.urn), urn: r.urn, props: r.outputs ?? {}, provider: providerOf(r, byUrn), additionalSecretOutputs: r.additionalSecretOutputs }),
      );
      outcomes.push(await runStack(policy as StackValidationPolicy, stack, properties));
    }
    for (const outcome of outcomes) {
      for (const v of outcome.violations) findings.push({ policy: policy.name, level, urn: v.urn, message: v.message });
      for (const u of outcome.unknown) findings.push({ policy: policy.name, level: "advisory", message: `can't run during preview: ${u}` });
    }
  }
  return findings;
}

/** A secret as the engine sends it (`{sig, value}`), for remediation requests. */
export const secret = (value: unknown) => ({ [SIG]: SECRET, value });

/**
 * Runs a resource policy's remediation through @pulumi/policy 1.21.0's own Remediate handler
 * (server.js makeRemediateRpcFun, pinned exactly), as `pulumi preview` drives it at level
 * `remediate`: props arrive with secrets wrapped (`secret()`) and unknowns as the sentinels, and
 * what comes back is serialized as the engine reads it. `properties` is the remediated props, or
 * undefined when the policy changed nothing; `diagnostic` is the SDK's "can't run" message.
 */
export async function remediateWire(policy: ResourceValidationPolicy, input: ResourceInput): Promise<{ properties?: Record<string, unknown>; diagnostic?: string }> {
  // Internal to the SDK (not in its typings): the handler its gRPC server runs.
  const { makeRemediateRpcFun } = policyServer as any;
  const req = new pb.AnalyzeRequest();
  req.setType(input.type);
  req.setName(input.name ?? "test-resource");
  req.setUrn(input.urn ?? `urn:pulumi:test::inference-mesh::${input.type}::${input.name ?? "test-resource"}`);
  req.setProperties(Struct.fromJavaScript(input.props as any));
  const opts = new pb.AnalyzerResourceOptions();
  opts.setAdditionalsecretoutputsList(input.additionalSecretOutputs ?? []);
  req.setOptions(opts);
  const remediating = [{ ...policy, enforcementLevel: "remediate" as const }];
  const resp = await new Promise<any>((resolve, reject) =>
    makeRemediateRpcFun("test-pack", "0.0.1", "advisory", remediating)({ request: req }, (err: unknown, r: unknown) => (err ? reject(err) : resolve(r))),
  );
  const [r] = resp.getRemediationsList();
  if (!r) return {};
  return { properties: r.getProperties()?.toJavaScript() as Record<string, unknown> | undefined, diagnostic: r.getDiagnostic() || undefined };
}
