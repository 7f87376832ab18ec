import type { StackValidationPolicy } from "@pulumi/policy";
import { byCluster, cannotJudge, isKind, meta } from "../lib/k8s";
import { withAgentgatewayPolicyPatches } from "../lib/agw-policy-patches";
import { PRE_ROUTING_DROPS, targetsReach, tokenLimitPaths } from "../lib/token-limits";
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
    "Every AgentgatewayPolicy (with its AgentgatewayPolicyPatch applied) whose applied traffic.rateLimit local limit counts tokens, or one of whose global descriptors has unit Tokens, covers traffic of which some reaches an LLM provider (an AgentgatewayBackend with spec.ai), in the PostRouting phase: agentgateway v1.4.1 runs token limits only from the LLM request path (httpproxy.rs apply_llm_request_policies, called only for a backend with an llm_provider; localratelimit.rs check_request passes plain requests; remoteratelimit.rs check sends Requests descriptors alone), so a token limit whose Gateway, listener, route, rule or InferencePool targets reach only Services, InferencePools, MCP or A2A backends limits nothing, and a PreRouting one limits nothing at all (store/binds.rs gateway_policies keeps no rate limit). A target the stack does not show, or a backend of another kind, is not judged.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const pending: string[] = [];
    for (const [cluster, all] of byCluster(args.resources)) {
      const resources = withAgentgatewayPolicyPatches(all, pending, cluster);
      for (const p of resources.filter((r) => isKind(r.type, "agentgateway.dev", "AgentgatewayPolicy"))) {
        const what = `AgentgatewayPolicy ${orUnknown(() => meta(p.props).namespace, "?")}/${orUnknown(() => meta(p.props).name, p.name)} on cluster ${cluster}`;
        const read = probe(() => {
          const spec = p.props.spec ?? {};
          return JSON.parse(JSON.stringify({ ns: meta(p.props).namespace, rl: spec.traffic?.rateLimit, phase: spec.traffic?.phase, targets: [...(spec.targetRefs ?? []), ...(spec.targetSelectors ?? [])] })) as { ns: string; rl: unknown; phase?: unknown; targets: any[] };
        });
        if (!read.known) {
          pending.push(`the rate limit and targets of ${what}`);
          continue;
        }
        const paths = tokenLimitPaths(read.value.rl, "spec.traffic.rateLimit");
        if (paths.length === 0) continue;
        const limits = `${paths.join(", ")} ${paths.length === 1 ? "is a token limit" : "are token limits"}`;
        if (read.value.phase === "PreRouting") {
          report(
            `${what}: ${limits} in a traffic.phase PreRouting policy: ${PRE_ROUTING_DROPS}; leave phase unset (PostRouting) and aim the limit at the route to the AI backend`,
            p.urn,
          );
          continue;
        }
        const reach = targetsReach(read.value.targets, read.value.ns, resources);
        // Some of its traffic may be token-limited: it limits that.
        if (reach.llmOrUnsure) continue;
        if (reach.unknown.length > 0) {
          pending.push(...reach.unknown.map((u) => `${u}, which decides whether the token limit of ${what} reaches an LLM backend`));
          continue;
        }
        if (reach.plain.length === 0) continue; // no traffic at all: not this policy's to say
        report(
          `${what}: ${limits}, but the traffic it targets reaches only ${[...new Set(reach.plain)].join(", ")}, none an LLM provider (an AgentgatewayBackend with spec.ai): agentgateway v1.4.1 counts tokens only on LLM requests (httpproxy.rs apply_llm_request_policies, called only for a backend with an llm_provider; localratelimit.rs check_request lets every other request through a tokens limit, and remoteratelimit.rs check sends Requests descriptors alone), so nothing is limited; aim it at the route to the AI backend, or limit requests instead`,
          p.urn,
        );
      }
    }
    if (pending.length > 0) cannotJudge(pending);
  },
};
