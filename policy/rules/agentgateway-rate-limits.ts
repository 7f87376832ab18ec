import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { byCluster, cannotJudge, isKind, meta } from "../lib/k8s";
import { isKindOrPatch, isPatch } from "../lib/patches";
import { rateLimitFindings } from "../lib/rate-limits";
import { orUnknown, probe } from "../lib/values";
import { appliedLimitPaths, PRE_ROUTING_DROPS } from "../lib/token-limits";
import { patchedNote, withAgentgatewayPolicyPatches } from "../lib/agw-policy-patches";

/**
 * A rate limit written in an AgentgatewayPolicy is a promise to whoever pays for the model
 * behind the route: agentgateway v1.4.1 enforces only the first `local` limit and drops the rest
 * without a word, a negative `burst` wraps into no limit at all, and a global descriptor whose CEL
 * does not parse is skipped on every request (lib/rate-limits.ts), and a PreRouting policy's
 * limits are dropped (lib/token-limits.ts PRE_ROUTING_DROPS). What the CRD refuses is judged too,
 * since schema checks of a fork's edits come only at `pulumi up`. A stack policy: the phase that
 * counts is the one the policy has after its AgentgatewayPolicyPatches (agw-policy-patches.ts),
 * which may set it apart from the limits.
 */
export const agentgatewayRateLimits: StackValidationPolicy = {
  name: "agentgateway-rate-limits",
  description:
    "Every AgentgatewayPolicy's traffic.rateLimit is enforced as written by agentgateway v1.4.1: a local list (top-level or in a conditional entry's policy) holds one limit, since the controller translates only local[0] and drops the others without an error (a per-minute limit after a per-second one is never enforced); the applied limit's burst is not negative, which the CRD admits and the controller wraps into a bucket the proxy refuses or one that never runs dry; every global descriptor's entry expression and cost parse as CEL (the controller passes a broken one on and the proxy skips that descriptor on every request); no limit counting requests sits in a traffic.phase PreRouting policy, the phase and limits read with the policy's AgentgatewayPolicyPatches applied (agentgateway v1.4.1's gateway_policies keeps no rate limit and drops it); and nothing the CRD refuses (none of local/global/conditional, conditional beside them, a conditional policy without either, a local entry without exactly one of requests and tokens, an amount below 1, a unit other than Seconds/Minutes/Hours). An AgentgatewayPolicyPatch is judged for the rate limit it sets, its local list replacing the policy's (the CRD's lists are atomic to server-side apply), what it leaves out being the policy's own.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const pending: string[] = [];
    for (const r of args.resources.filter((x) => isKindOrPatch(x.type, "agentgateway.dev", "AgentgatewayPolicy"))) pending.push(...asWritten(r, report));
    // The phase and limits after patches: a patch setting PreRouting drops the policy's own request limits.
    for (const [cluster, all] of byCluster(args.resources)) {
      for (const p of withAgentgatewayPolicyPatches(all, pending, cluster).filter((x) => isKind(x.type, "agentgateway.dev", "AgentgatewayPolicy"))) pending.push(...preRouting(p, report));
    }
    if (pending.length > 0) cannotJudge(pending);
  },
};

type Report = (message: string, urn?: string) => void;
const shown = (r: PolicyResource) => `${orUnknown(() => meta(r.props).namespace, "?")}/${orUnknown(() => meta(r.props).name, r.name)}`;

/** The findings on one AgentgatewayPolicy (or AgentgatewayPolicyPatch) as written; what it cannot read, returned. */
function asWritten(r: PolicyResource, report: Report): string[] {
  const at = "spec.traffic.rateLimit";
  const what = `AgentgatewayPolicy ${shown(r)}`;
  const rateLimit = probe(() => r.props.spec?.traffic?.rateLimit as unknown);
  if (!rateLimit.known) return [`${at} of ${what}`];
  const unknown: string[] = [];
  for (const [path, why] of rateLimitFindings(rateLimit.value, at, unknown, isPatch(r.type))) report(`${isPatch(r.type) ? `AgentgatewayPolicyPatch ${r.name} of ` : ""}${what}: ${path} ${why}`, r.urn);
  return unknown.map((u) => `${u} of ${what}`);
}

/** A request limit of a policy (its patches applied) in the PreRouting phase (token limits: agentgateway-token-limits); what it cannot read, returned. */
function preRouting(p: PolicyResource, report: Report): string[] {
  const at = "spec.traffic.rateLimit";
  const rateLimit = probe(() => p.props.spec?.traffic?.rateLimit as unknown);
  const requests = rateLimit.known ? orUnknown(() => appliedLimitPaths(rateLimit.value, at, "requests"), [] as string[]) : [];
  if (requests.length === 0) return [];
  const phase = probe(() => p.props.spec?.traffic?.phase as unknown);
  if (!phase.known) return [`spec.traffic.phase of AgentgatewayPolicy ${shown(p)}`];
  if (phase.value === "PreRouting") {
    report(`AgentgatewayPolicy ${shown(p)}${patchedNote(p)}: ${requests.join(", ")} ${requests.length === 1 ? "is a request limit" : "are request limits"} in a traffic.phase PreRouting policy: ${PRE_ROUTING_DROPS}; leave phase unset (PostRouting), on the Gateway or its routes`, p.urn);
  }
  return [];
}
