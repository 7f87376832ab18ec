import type { StackValidationPolicy } from "@pulumi/policy";
import { byCluster, cannotJudge, isKind, meta } from "../lib/k8s";
import { withAgentgatewayPolicyPatches } from "../lib/agw-policy-patches";
import { targetsReach, tokenLimitPaths } from "../lib/token-limits";
import { orUnknown, probe } from "../lib/values";

/**
 * A token limit is a cost cap someone relies on, and agentgateway v1.4.1 counts tokens only on
 * requests to an LLM provider (lib/token-limits.ts): one aimed at a route to an agent, an MCP
 * server or a Service limits nothing and says nothing. Only the whole stack shows what a policy's
 * targets route to, so this is judged here rather than beside the rate limit's own shape
 * (agentgateway-rate-limits).
 */
export const agentgatewayTokenLimits: StackValidationPolicy = {
  name: "agentgateway-token-limits",
  description:
    "Every AgentgatewayPolicy (with its AgentgatewayPolicyPatch applied) whose applied traffic.rateLimit local limit counts tokens covers traffic of which some reaches an LLM provider (an AgentgatewayBackend with spec.ai): agentgateway v1.4.1 runs token limits only from the LLM request path (httpproxy.rs apply_llm_request_policies, called only for a backend with an llm_provider; localratelimit.rs check_request passes plain requests), so a token limit whose Gateway, listener, route or rule targets reach only Services, MCP or A2A backends limits nothing. A target the stack does not show, or a backend of another kind, is not judged.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const pending: string[] = [];
    for (const [cluster, all] of byCluster(args.resources)) {
      const resources = withAgentgatewayPolicyPatches(all, pending, cluster);
      for (const p of resources.filter((r) => isKind(r.type, "agentgateway.dev", "AgentgatewayPolicy"))) {
        const what = `AgentgatewayPolicy ${orUnknown(() => meta(p.props).namespace, "?")}/${orUnknown(() => meta(p.props).name, p.name)} on cluster ${cluster}`;
        const read = probe(() => {
          const spec = p.props.spec ?? {};
          return JSON.parse(JSON.stringify({ ns: meta(p.props).namespace, rl: spec.traffic?.rateLimit, targets: [...(spec.targetRefs ?? []), ...(spec.targetSelectors ?? [])] })) as { ns: string; rl: unknown; targets: any[] };
        });
        if (!read.known) {
          pending.push(`the rate limit and targets of ${what}`);
          continue;
        }
        const paths = tokenLimitPaths(read.value.rl, "spec.traffic.rateLimit");
        if (paths.length === 0) continue;
        const reach = targetsReach(read.value.targets, read.value.ns, resources);
        // Some of its traffic may be token-limited: it limits that.
        if (reach.llmOrUnsure) continue;
        if (reach.unknown.length > 0) {
          pending.push(...reach.unknown.map((u) => `${u}, which decides whether the token limit of ${what} reaches an LLM backend`));
          continue;
        }
        if (reach.plain.length === 0) continue; // no traffic at all: not this policy's to say
        report(
          `${what}: ${paths.join(", ")} ${paths.length === 1 ? "is a token limit" : "are token limits"}, but the traffic it targets reaches only ${[...new Set(reach.plain)].join(", ")}, none an LLM provider (an AgentgatewayBackend with spec.ai): agentgateway v1.4.1 counts tokens only on LLM requests (httpproxy.rs apply_llm_request_policies, called only for a backend with an llm_provider; localratelimit.rs check_request lets every other request through a tokens limit), so nothing is limited; aim it at the route to the AI backend, or limit requests instead`,
          p.urn,
        );
      }
    }
    if (pending.length > 0) cannotJudge(pending);
  },
};
