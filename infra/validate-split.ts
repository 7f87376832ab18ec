/**
 * A traffic split's rules, for models' versions and agents' versions alike: weights sum to 100,
 * one canary within policy.maxCanaryWeight, every version but the primary within it too (as the
 * policy pack's canary-weight-limit reads the rendered routes), no weight on a version with no
 * replicas, unique version names.
 */
import { duplicates, isLaterDuplicate, Report } from "./validate-support";

export function checkSplit(
  report: Report,
  base: (string | number)[],
  versions: { name: string; weight: number; canary: boolean; replicas?: number }[],
  maxCanaryWeight: number,
): void {
  versions.forEach((v, i) => {
    if (v.canary && v.weight > maxCanaryWeight) {
      // A canary given most of the traffic is a promotion, which raising the policy would let every canary do.
      const promote = v.weight > 50 ? "; to promote it, drop its canary: true and make the version it replaces the canary at weight 0, or remove that version (README, Day-2 changes)" : "";
      report([...base, "versions", i, "weight"], `canary weight ${v.weight} exceeds policy.maxCanaryWeight ${maxCanaryWeight}; lower it or raise the policy${promote}`);
    }
    // A version scaled to zero has no endpoints: its share of the split would fail.
    if (v.replicas === 0 && v.weight > 0) {
      report([...base, "versions", i, "replicas"], `version '${v.name}' has 0 replicas but receives ${v.weight}% of the traffic; give it replicas or weight 0`);
    }
  });
  // The policy pack's canary-weight-limit: besides the primary (the heaviest version that is not
  // the canary), every version is a canary to it, so a third version over the limit fails review.
  const primaryWeight = Math.max(...versions.filter((v) => !v.canary).map((v) => v.weight));
  const primary = versions.findIndex((v) => !v.canary && v.weight === primaryWeight);
  // A second version of the primary's name is reported as the duplicate it is, not as a version beside itself.
  const names = versions.map((v) => v.name);
  versions.forEach((v, i) => {
    if (primary >= 0 && isLaterDuplicate(names, i) && v.name === versions[primary].name) return;
    if (!v.canary && i !== primary && v.weight > maxCanaryWeight) {
      report([...base, "versions", i, "weight"], `version '${v.name}' gets ${v.weight}% beside the primary '${versions[primary].name}'; every version but the primary may get at most policy.maxCanaryWeight ${maxCanaryWeight}%`);
    }
  });
  const sum = versions.reduce((s, v) => s + v.weight, 0);
  if (sum !== 100) report([...base, "versions"], `weights sum to ${sum}, must be 100`);
  const canaries = versions.filter((v) => v.canary).length;
  if (versions.length > 1 && canaries !== 1) {
    report([...base, "versions"], `a split of ${versions.length} versions has ${canaries} canaries, must have exactly one (canary: true)`);
  }
  if (versions.length === 1 && canaries > 0) {
    report([...base, "versions", 0, "canary"], "a single version cannot be a canary: add the stable version it is compared with");
  }
  for (const [name, idx] of duplicates(versions.map((v) => v.name))) {
    report([...base, "versions", idx[1], "name"], `duplicate version '${name}'; version names must be unique`);
  }
}

