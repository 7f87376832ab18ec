/**
 * Two renders of a stack compared as `pulumi up` sees them: a resource whose URN changes is
 * deleted and created again, one whose inputs change is updated (or replaced, where its provider
 * says so). Shared by the day-2 tests.
 */
import type { CapturedResource } from "../../scripts/lib/engine";

export const nameOf = (urn: string) => urn.split("::").pop()!;
export const byUrn = (resources: CapturedResource[]) => new Map(resources.map((r) => [r.urn, r]));

/**
 * Inputs as the provider diffs them: a GCP firewall's `sourceRanges` is a Terraform set (the
 * bridge reports no change when only its order does), so it is compared sorted.
 */
function diffed(r: CapturedResource): unknown {
  const inputs = r.inputs as Record<string, unknown>;
  if (r.type !== "gcp:compute/firewall:Firewall" || !Array.isArray(inputs.sourceRanges)) return inputs;
  return { ...inputs, sourceRanges: [...(inputs.sourceRanges as string[])].sort() };
}

/** URNs only one side has, and the URNs both have whose inputs differ. */
export function churn(before: CapturedResource[], after: CapturedResource[]) {
  const a = byUrn(before);
  const b = byUrn(after);
  return {
    removed: [...a.keys()].filter((u) => !b.has(u)),
    added: [...b.keys()].filter((u) => !a.has(u)),
    changed: [...a.keys()].filter((u) => b.has(u) && JSON.stringify(diffed(a.get(u)!)) !== JSON.stringify(diffed(b.get(u)!))),
  };
}
