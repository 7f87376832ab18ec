/**
 * Offline policy review: the verdicts `pulumi preview --policy-pack policy` would give, computed by
 * running the real pack process over the analyzer protocol on a deployment export (our render's
 * `stack.json` or a `pulumi stack export` file). Sequence, as the engine runs it: ConfigureStack,
 * GetAnalyzerInfo, Configure (schema defaults + overrides), Remediate (only when a policy is at
 * `remediate`; applied before judging, as the step generator applies it), Analyze per resource
 * (of the remediated inputs), AnalyzeStack.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { DeploymentExport } from "./engine";
import { PolicyPackProcess } from "./policy-pack";
import type { EnforcementLevel, PolicyConfig, Diagnostic, AnalyzerInfo } from "./analyzer-types";
import { ineffectiveExtraCallers, reconcilePolicyConfig, undeclaredPolicyProperties, unknownPolicyNames, unopenedEnvironments } from "./policy-config";
import { RequestBuilder, ExportedDeployment, ExportedResource, sidesDisagree, stackOfUrn } from "./review-wire";
import { FailedCall, packCallError } from "./review-errors";
import { pendingOperationsNote } from "./deployment-file";

/** A pack call whose failure stops the review naming the policy and the resource (review-errors.ts). */
const naming = <T>(call: Promise<T>, what: FailedCall): Promise<T> => call.catch((err: unknown) => Promise.reject(packCallError(err, what)));

/** The pack reviews run: `policy/`, or `$INFERENCE_MESH_POLICY_PACK` (a fork's own pack). */
export const defaultPackDir = path.resolve(process.env.INFERENCE_MESH_POLICY_PACK ?? path.join(__dirname, "..", "..", "policy"));

export type Verdict = "pass" | "fail" | "warn" | "disabled";

export interface Violation {
  policy: string;
  enforcementLevel: EnforcementLevel;
  urn: string;
  type: string;
  message: string;
}

export interface PolicyVerdict {
  name: string;
  description: string;
  type: "resource" | "stack" | "unknown";
  enforcementLevel: EnforcementLevel;
  verdict: Verdict;
  violations: number;
  /** Resources the policy applied to (resource policies), or 1/0 for a stack policy. */
  evaluated: number;
}

export interface PolicyReport {
  stack: string;
  project: string;
  policyPack: { name: string; version: string };
  summary: { mandatory: number; advisory: number; resources: number; policies: number; passed: number; undecryptableSecrets: number };
  violations: Violation[];
  remediations?: { policy: string; urn: string; description: string }[];
  /** What the review noticed that changed no verdict (names the pack lacks, pending operations it could not judge). */
  notes?: string[];
  policies: PolicyVerdict[];
}

export interface ReviewResult {
  report: PolicyReport | Record<string, unknown>;
  mandatoryViolations: number;
}

export interface ReviewOptions {
  /** The pack to run; defaults to the repository's `policy/`. */
  packDir?: string;
  /** Policy config overrides (`--config`), as `pulumi preview --policy-pack-config` takes them. */
  config?: Record<string, PolicyConfig>;
  /** Where `config` came from, for its errors (`policy config <file>`). */
  configSource?: string;
  /** The ESC environments the config file opens (`environments`), which the review cannot open. */
  environments?: string[];
  /** Stack config handed to the pack (`PULUMI_CONFIG`, ConfigureStack), when known. */
  stackConfig?: Record<string, string>;
  /** Analyses in flight at once. */
  concurrency?: number;
}

/** Runs `fn` over `items` with at most `limit` promises pending. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function stripDescription(d: Diagnostic): string {
  return d.description && d.message.startsWith(`${d.description}\n`) ? d.message.slice(d.description.length + 1) : d.message;
}

/** The identity of the stack a deployment belongs to, from its URNs. */
export function deploymentStack(exported: ExportedDeployment): { stack: string; project: string } {
  const first = exported.deployment.resources?.[0];
  return first ? stackOfUrn(first.urn) : { stack: "", project: "" };
}

/** Starts the pack for a deployment: the engine's boot plus ConfigureStack. */
export function startPack(exported: ExportedDeployment, options: Pick<ReviewOptions, "packDir" | "stackConfig"> = {}): Promise<PolicyPackProcess> {
  return PolicyPackProcess.start(options.packDir ?? defaultPackDir, { ...deploymentStack(exported), config: options.stackConfig });
}

/**
 * Reviews one deployment on an already running pack (several reviews can share one process:
 * each starts with its own Configure, as a new engine run would).
 */
export async function reviewWithPack(pack: PolicyPackProcess, exported: ExportedDeployment, options: ReviewOptions = {}): Promise<PolicyReport> {
  const info: AnalyzerInfo = await pack.info();
  const source = options.configSource ?? "policy config";
  const config = reconcilePolicyConfig(info, options.config, source);
  const notes = [unknownPolicyNames(info, options.config), undeclaredPolicyProperties(info, options.config), ineffectiveExtraCallers(config), unopenedEnvironments(options.environments), pendingOperationsNote(exported)].filter(
    (n): n is string => n !== undefined,
  );
  // As the engine says it ('configuring policy pack %q at %q'), with the config that failed.
  await pack.configure(config).catch((err: unknown) => {
    throw new Error(`configuring policy pack ${info.name} with ${source} failed: ${err instanceof Error ? err.message : String(err)}`);
  });
  const builder = new RequestBuilder(exported);
  const byUrn = new Map<string, ExportedResource>(builder.resources.map((r) => [r.urn, r]));
  const levelOf = (name: string) => config[name]?.enforcementLevel ?? "advisory";
  const violations: Violation[] = [];
  const remediations: NonNullable<PolicyReport["remediations"]> = [];
  const notApplicable = new Map<string, number>();
  const toViolation = (d: Diagnostic, fallbackUrn: string): Violation => {
    const urn = d.urn || fallbackUrn;
    const level = d.enforcementLevel === "remediate" ? "mandatory" : d.enforcementLevel;
    return { policy: d.policyName, enforcementLevel: level, urn, type: byUrn.get(urn)?.type ?? "", message: stripDescription(d) };
  };
  const record = (diagnostics: Diagnostic[], fallbackUrn: string) => {
    for (const d of diagnostics) violations.push(toViolation(d, fallbackUrn));
  };
  const remediating = info.policies.some((p) => levelOf(p.name) === "remediate");
  // What a preview does with a remediation: the remediated inputs are what Analyze judges (and
  // what would be deployed, so the outputs AnalyzeStack sees are remediated the same way).
  const remediated = new Map<string, ExportedResource>();
  const remediate = async (r: ExportedResource, side: "inputs" | "outputs", report: boolean): Promise<Record<string, unknown> | undefined> => {
    let last: Record<string, unknown> | undefined;
    for (const rem of (await naming(pack.remediate(builder.remediateRequest(r, side)), { method: "Remediate", resource: r, side })).getRemediationsList()) {
      if (rem.getDiagnostic()) {
        if (report) violations.push({ policy: rem.getPolicyname(), enforcementLevel: "advisory", urn: r.urn, type: r.type, message: rem.getDiagnostic() });
      } else if (rem.getProperties()) {
        if (report) remediations.push({ policy: rem.getPolicyname(), urn: r.urn, description: rem.getDescription() });
        last = rem.getProperties()!.toJavaScript() as Record<string, unknown>;
      }
    }
    return last;
  };

  // Only registered resources: the engine analyzes no resource read with `.get()`, nor a view, one by one (review-wire.ts).
  await pool(builder.registered, options.concurrency ?? 32, async (r) => {
    let judged = r;
    if (remediating) {
      const inputs = await remediate(r, "inputs", true);
      if (inputs) {
        builder.countUndecryptable(r);
        const outputs = r.outputs === undefined ? undefined : ((await remediate(r, "outputs", false)) ?? r.outputs);
        judged = { ...r, inputs, outputs };
        remediated.set(r.urn, judged);
      }
    }
    const res = await naming(pack.analyze(builder.analyzeRequest(judged)), { method: "Analyze", resource: judged });
    record(res.diagnostics, r.urn);
    for (const n of res.notApplicable) notApplicable.set(n.policyName, (notApplicable.get(n.policyName) ?? 0) + 1);
  });
  const stackRes = await naming(pack.analyzeStack(builder.analyzeStackRequest(new Set(), remediated)), { method: "AnalyzeStack" });
  record(stackRes.diagnostics, "");
  const stackNotApplicable = new Set(stackRes.notApplicable.map((n) => n.policyName));

  // A state whose inputs and outputs disagree (edited by hand, or a drifted object refreshed) is
  // judged on both: resource policies on those outputs too (custom resources), stack policies on
  // those inputs too.
  // Verdicts the engine's usual pass already gave are not repeated; new ones say which side.
  const disagreeing = builder.resources.map((r) => remediated.get(r.urn) ?? r).filter(sidesDisagree);
  if (disagreeing.length > 0) {
    const keyOf = (v: Violation) => `${v.policy}\0${v.urn}\0${v.message}`;
    const seen = new Set(violations.map(keyOf));
    const recordOtherSide = (diagnostics: Diagnostic[], fallbackUrn: string, side: string) => {
      for (const d of diagnostics) {
        const v = toViolation(d, fallbackUrn);
        if (seen.has(keyOf(v))) continue;
        seen.add(keyOf(v));
        violations.push({ ...v, message: `${v.message} [judged on the ${side} of a state whose inputs and outputs disagree]` });
      }
    };
    // A component's outputs are what it made (a Helm v4 Chart's: its resources), not its object.
    await pool(disagreeing.filter((r) => r.custom !== false && !r.viewOf), options.concurrency ?? 32, async (r) => {
      recordOtherSide((await naming(pack.analyze(builder.analyzeRequest(r, "outputs")), { method: "Analyze", resource: r, side: "outputs" })).diagnostics, r.urn, "outputs");
    });
    const otherStack = await naming(pack.analyzeStack(builder.analyzeStackRequest(new Set(disagreeing.map((r) => r.urn)), remediated)), { method: "AnalyzeStack" });
    recordOtherSide(otherStack.diagnostics, "", "inputs");
  }

  violations.sort((a, b) => a.policy.localeCompare(b.policy) || a.urn.localeCompare(b.urn) || a.message.localeCompare(b.message));
  const policies: PolicyVerdict[] = [...info.policies]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((p) => {
      const level = levelOf(p.name);
      const mine = violations.filter((v) => v.policy === p.name);
      const verdict: Verdict =
        level === "disabled" ? "disabled" : mine.some((v) => v.enforcementLevel === "mandatory") ? "fail" : mine.length ? "warn" : "pass";
      const evaluated =
        level === "disabled" ? 0 : p.type === "stack" ? (stackNotApplicable.has(p.name) ? 0 : 1) : builder.registered.length - (notApplicable.get(p.name) ?? 0);
      return { name: p.name, description: p.description, type: p.type, enforcementLevel: level, verdict, violations: mine.length, evaluated };
    });
  const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
  return {
    ...deploymentStack(exported),
    policyPack: { name: info.name, version: info.version },
    summary: {
      mandatory,
      advisory: violations.length - mandatory,
      resources: builder.resources.length,
      policies: policies.length,
      passed: policies.filter((p) => p.verdict === "pass").length,
      undecryptableSecrets: builder.stats.undecryptableSecrets,
    },
    violations,
    ...(remediations.length ? { remediations } : {}),
    ...(notes.length ? { notes } : {}),
    policies,
  };
}

/** The pack config file names a stack is reviewed with, `config.<stack>.<extension>`, the first that exists taken. */
export const POLICY_CONFIG_EXTENSIONS = ["json", "yaml", "yml"] as const;

/**
 * The policy config a stack is reviewed with by convention: `<pack>/config.<stack>.json`, else
 * `.yaml`, else `.yml` (the JSON is what to pass as `pulumi preview --policy-pack-config` for that
 * stack), if one exists.
 */
export function policyConfigFor(stack: string, packDir = defaultPackDir): string | undefined {
  return POLICY_CONFIG_EXTENSIONS.map((ext) => path.join(packDir, `config.${stack}.${ext}`)).find((f) => fs.existsSync(f));
}

/**
 * Whether a review would run: an explicit pack (`--policy-pack`, or `$INFERENCE_MESH_POLICY_PACK`,
 * which must then be a pack: a typo there must fail, not skip the review), or the repository's
 * `policy/` exists.
 */
export function packAvailable(packDir?: string): boolean {
  return !!packDir || !!process.env.INFERENCE_MESH_POLICY_PACK || fs.existsSync(path.join(defaultPackDir, "PulumiPolicy.yaml"));
}

/**
 * Boots the pack (or uses `pack`, already booting, which the caller then closes), reviews the
 * deployment, stops the pack. Without a pack the result says that nothing was evaluated.
 */
export async function reviewDeployment(
  exported: DeploymentExport | ExportedDeployment,
  options: ReviewOptions & { pack?: Promise<PolicyPackProcess> } = {},
): Promise<ReviewResult> {
  if (!options.pack && !packAvailable(options.packDir)) {
    return {
      report: {
        status: "not-evaluated",
        reason: `no policy pack at ${path.relative(process.cwd(), defaultPackDir) || "."}; no policy was run on this stack`,
        resources: exported.deployment.resources?.length ?? 0,
      },
      mandatoryViolations: 0,
    };
  }
  const owned = !options.pack;
  const pack = await (options.pack ?? startPack(exported as ExportedDeployment, options));
  try {
    const report = await reviewWithPack(pack, exported as ExportedDeployment, options);
    return { report, mandatoryViolations: report.summary.mandatory };
  } catch (err) {
    const log = pack.log().trim();
    throw new Error(`${err instanceof Error ? err.message : String(err)}${log ? `\npolicy pack output:\n${log}` : ""}`);
  } finally {
    if (owned) await pack.close();
  }
}

export { readDeploymentFile } from "./deployment-file";
export { formatReport } from "./review-format";
