/**
 * The analyzer protocol's values as the review reads them (@pulumi/pulumi/proto/analyzer_pb):
 * enforcement levels by name, the pack's info and config, its diagnostics, and the stack identity
 * the engine configures a pack with. policy-pack.ts runs the pack process that answers with them.
 */
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";

const levelNames: Record<number, EnforcementLevel> = {
  [pb.EnforcementLevel.ADVISORY]: "advisory",
  [pb.EnforcementLevel.MANDATORY]: "mandatory",
  [pb.EnforcementLevel.DISABLED]: "disabled",
  [pb.EnforcementLevel.REMEDIATE]: "remediate",
};
export const levelNumbers = Object.fromEntries(Object.entries(levelNames).map(([n, l]) => [l, Number(n)])) as Record<EnforcementLevel, number>;

export function levelName(n: number): EnforcementLevel {
  const level = levelNames[n];
  if (!level) throw new Error(`unknown enforcement level ${n}`);
  return level;
}

export interface PolicyInfo {
  name: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  type: "resource" | "stack" | "unknown";
  configSchema?: { properties: Record<string, Record<string, unknown>>; required: string[] };
}

export interface AnalyzerInfo {
  name: string;
  version: string;
  policies: PolicyInfo[];
  initialConfig: Record<string, PolicyConfig>;
}

/** One policy's effective config as `Configure` sends it. */
export interface PolicyConfig {
  enforcementLevel?: EnforcementLevel;
  properties?: Record<string, unknown>;
}

export interface Diagnostic {
  policyName: string;
  policyPackName: string;
  policyPackVersion: string;
  description: string;
  message: string;
  enforcementLevel: EnforcementLevel;
  urn: string;
}

export interface AnalyzeResult {
  diagnostics: Diagnostic[];
  notApplicable: { policyName: string; reason: string }[];
}

export interface PackUsage {
  cpuSeconds: number;
  peakRssMb: number;
}

export interface StackIdentity {
  stack: string;
  project: string;
  organization?: string;
  /** Stack config as the engine passes it to the pack (`PULUMI_CONFIG`, `ConfigureStack`). */
  config?: Record<string, string>;
  tags?: Record<string, string>;
}

/** An Analyze or AnalyzeStack response as the review reports it. */
export function toResult(res: pb.AnalyzeResponse): AnalyzeResult {
  return {
    diagnostics: res.getDiagnosticsList().map((d) => ({
      policyName: d.getPolicyname(),
      policyPackName: d.getPolicypackname(),
      policyPackVersion: d.getPolicypackversion(),
      description: d.getDescription(),
      message: d.getMessage(),
      enforcementLevel: levelName(d.getEnforcementlevel()),
      urn: d.getUrn(),
    })),
    notApplicable: res.getNotApplicableList().map((n) => ({ policyName: n.getPolicyName(), reason: n.getReason() })),
  };
}
