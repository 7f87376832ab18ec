/**
 * Policy review of a deployment export. Placeholder until the policy pack lands (issue 7):
 * it evaluates nothing and says so, so that no reviewer mistakes it for a green verdict.
 */
import type { DeploymentExport } from "./engine";

export interface ReviewResult {
  report: Record<string, unknown>;
  mandatoryViolations: number;
}

export async function reviewDeployment(exported: DeploymentExport): Promise<ReviewResult> {
  return {
    report: {
      status: "not-evaluated",
      reason: "the CrossGuard policy pack is not implemented yet; no policy was run on this stack",
      resources: exported.deployment.resources.length,
    },
    mandatoryViolations: 0,
  };
}
