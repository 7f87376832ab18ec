import type { ResourceValidationPolicy } from "@pulumi/policy";
import { cannotJudge, meta } from "../lib/k8s";
import { isKindOrPatch, isPatch } from "../lib/patches";
import { rateLimitFindings } from "../lib/rate-limits";
import { orUnknown, probe } from "../lib/values";
import { appliedLimitPaths, PRE_ROUTING_DROPS } from "../lib/token-limits";

/**
 * A rate limit written in an AgentgatewayPolicy is a promise to whoever pays for the model
 * behind the route: agentgateway v1.4.1 enforces only the first `local` limit and drops the rest
 * without a word, a negative `burst` wraps into no limit at all, and a global descriptor whose CEL
 * does not parse is skipped on every request (lib/rate-limits.ts), and a PreRouting policy's
 * limits are dropped (lib/token-limits.ts PRE_ROUTING_DROPS). What the
 * CRD refuses is judged too, since schema checks of a fork's edits come only at `pulumi up`.
 */
export const agentgatewayRateLimits: ResourceValidationPolicy = {
  name: "agentgateway-rate-limits",
  description:
    "Every AgentgatewayPolicy's traffic.rateLimit is enforced as written by agentgateway v1.4.1: a local list (top-level or in a conditional entry's policy) holds one limit, since the controller translates only local[0] and drops the others without an error (a per-minute limit after a per-second one is never enforced); the applied limit's burst is not negative, which the CRD admits and the controller wraps into a bucket the proxy refuses or one that never runs dry; every global descriptor's entry expression and cost parse as CEL (the controller passes a broken one on and the proxy skips that descriptor on every request); no limit counting requests sits in a traffic.phase PreRouting policy (agentgateway v1.4.1's gateway_policies keeps no rate limit and drops it); and nothing the CRD refuses (none of local/global/conditional, conditional beside them, a conditional policy without either, a local entry without exactly one of requests and tokens, an amount below 1, a unit other than Seconds/Minutes/Hours). An AgentgatewayPolicyPatch is judged for the rate limit it sets, its local list replacing the policy's (the CRD's lists are atomic to server-side apply), what it leaves out being the policy's own.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    // An AgentgatewayPolicyPatch's atomic local list replaces the policy's: judged like the policy's own.
    if (!isKindOrPatch(args.type, "agentgateway.dev", "AgentgatewayPolicy")) return;
    const { namespace, name } = { namespace: orUnknown(() => meta(args.props).namespace, "?"), name: orUnknown(() => meta(args.props).name, args.name) };
    const at = "spec.traffic.rateLimit";
    const rateLimit = probe(() => args.props.spec?.traffic?.rateLimit as unknown);
    if (!rateLimit.known) cannotJudge([`${at} of AgentgatewayPolicy ${namespace}/${name}`]);
    const unknown: string[] = [];
    for (const [path, why] of rateLimitFindings(rateLimit.value, at, unknown, isPatch(args.type))) report(`${isPatch(args.type) ? `AgentgatewayPolicyPatch ${args.name} of ` : ""}AgentgatewayPolicy ${namespace}/${name}: ${path} ${why}`);
    // A patch's phase and limits merge with the policy's: judged on the policy's own (token limits: agentgateway-token-limits).
    const phase = probe(() => args.props.spec?.traffic?.phase as unknown);
    const requests = isPatch(args.type) || !rateLimit.known ? [] : appliedLimitPaths(rateLimit.value, at, "requests");
    if (requests.length > 0 && !phase.known) unknown.push("spec.traffic.phase");
    else if (requests.length > 0 && phase.known && phase.value === "PreRouting") {
      report(`AgentgatewayPolicy ${namespace}/${name}: ${requests.join(", ")} ${requests.length === 1 ? "is a request limit" : "are request limits"} in a traffic.phase PreRouting policy: ${PRE_ROUTING_DROPS}; leave phase unset (PostRouting), on the Gateway or its routes`);
    }
    if (unknown.length > 0) cannotJudge(unknown.map((u) => `${u} of AgentgatewayPolicy ${namespace}/${name}`));
  },
};
