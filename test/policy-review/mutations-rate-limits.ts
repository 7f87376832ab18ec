/**
 * Mutations of the LLM route's token limit that agentgateway v1.4.1 accepts and never enforces:
 * made PreRouting (store/binds.rs gateway_policies keeps no rate limit), replaced by a `global`
 * descriptor counting `Tokens` on an agent route (remoteratelimit.rs check_llm runs only for a
 * backend with an llm_provider), or aimed at an InferencePool (served as a Service backend, never
 * an LLM provider); and given a global descriptor in CEL that cel-go reads but agentgateway's own
 * parser (its cel fork, optional syntax off) does not, which the proxy skips; or made a request
 * limit that an AgentgatewayPolicyPatch moves to the PreRouting phase.
 */
import { Mutation, resources, isKind, onFirst, withSpec, patchPolicy } from "./mutations-support";

type Doc = Parameters<Mutation["apply"]>[0];

/** The agent gateway's token-limit policy: an AgentgatewayPolicy with a local `tokens` limit. */
const tokenLimit = (r: ReturnType<typeof resources>[number]) => isKind(r, "AgentgatewayPolicy") && !!withSpec(r).traffic?.rateLimit?.local?.[0]?.tokens;
const onTokenLimit = (doc: Doc, fn: (o: any) => void) => onFirst(doc, tokenLimit, fn);

/** The Gateway the LLM route (to an AgentgatewayBackend) is attached to, by its first parentRef. */
function llmGateway(doc: Doc): string | undefined {
  const route = resources(doc).find((r) => isKind(r, "HTTPRoute") && (r.inputs as any)?.spec?.rules?.some((rule: any) => (rule.backendRefs ?? []).some((b: any) => b.kind === "AgentgatewayBackend")));
  return (route?.inputs as any)?.spec?.parentRefs?.[0]?.name;
}

/** The token-limit policy moved to the LLM route's Gateway in the PreRouting phase, then `fn`. */
function atPreRouting(doc: Doc, fn: (o: any) => void = () => {}) {
  const gateway = llmGateway(doc);
  if (!gateway) return undefined;
  return onTokenLimit(doc, (o) => {
    o.spec.targetRefs = [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: gateway }];
    o.spec.traffic.phase = "PreRouting";
    fn(o);
  });
}

export const rateLimitMutations: Mutation[] = [
  {
    name: "the LLM token limit moved to the agent gateway in the PreRouting phase, where agentgateway applies no rate limit",
    policy: "agentgateway-token-limits",
    apply: (doc) => atPreRouting(doc),
  },
  {
    name: "the LLM token limit replaced by a global per-user Tokens descriptor on an agent route, whose Service backends agentgateway never counts tokens for",
    policy: "agentgateway-token-limits",
    apply: (doc) => {
      const agent = resources(doc).find((r) => isKind(r, "HTTPRoute") && (r.inputs as any)?.metadata?.namespace === "agents" && (r.inputs as any)?.spec?.rules?.every((rule: any) => (rule.backendRefs ?? []).every((b: any) => (b.kind ?? "Service") === "Service")));
      const name = (agent?.inputs as any)?.metadata?.name;
      if (!name) return undefined;
      return onTokenLimit(doc, (o) => {
        o.spec.targetRefs = [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name }];
        o.spec.traffic.rateLimit = { global: { backendRef: { name: "ratelimit", port: 8081 }, domain: "llm", descriptors: [{ entries: [{ name: "user", expression: "jwt.sub" }], unit: "Tokens" }] } };
      });
    },
  },
  {
    name: "the LLM token limit aimed at an InferencePool, which agentgateway serves as a plain Service backend",
    policy: "agentgateway-token-limits",
    apply: (doc) => {
      const limit = resources(doc).find(tokenLimit);
      const pool = resources(doc).find((r) => r.type === "kubernetes:inference.networking.k8s.io/v1:InferencePool" && r.provider === limit?.provider);
      const { name, namespace } = (pool?.inputs as any)?.metadata ?? {};
      if (!name) return undefined;
      // Moved into the pool's namespace: a policy's targetRefs are local.
      return onTokenLimit(doc, (o) => {
        o.metadata.namespace = namespace;
        o.spec.targetRefs = [{ group: "inference.networking.k8s.io", kind: "InferencePool", name }];
      });
    },
  },
  {
    name: "the LLM route's token limit given a global per-user descriptor in CEL's optional syntax (jwt.?sub), which agentgateway's parser has off and the proxy skips",
    policy: "agentgateway-rate-limits",
    apply: (doc) =>
      onTokenLimit(doc, (o) => {
        o.spec.traffic.rateLimit.global = { backendRef: { name: "ratelimit", port: 8081 }, domain: "llm", descriptors: [{ entries: [{ name: "user", expression: 'jwt.?sub.orValue("anonymous")' }] }] };
      }),
  },
  {
    // store/binds.rs gateway_policies keeps no rate limit: a PreRouting request limit is dropped.
    name: "the LLM route's token limit swapped for a request limit on the agent gateway in the PreRouting phase, where agentgateway applies no rate limit",
    policy: "agentgateway-rate-limits",
    apply: (doc) =>
      atPreRouting(doc, (o) => {
        o.spec.traffic.rateLimit = { local: [{ requests: 60, unit: "Minutes" }] };
      }),
  },
  {
    // The phase agentgateway runs is the policy's with the patch applied (server-side apply merges traffic key by key).
    name: "the LLM route's token limit swapped for a request limit on the agent gateway, and an AgentgatewayPolicyPatch setting its phase PreRouting",
    policy: "agentgateway-rate-limits",
    apply: (doc) => {
      const moved = atPreRouting(doc, (o) => {
        o.spec.traffic.rateLimit = { local: [{ requests: 60, unit: "Minutes" }] };
        delete o.spec.traffic.phase;
      });
      return moved && patchPolicy(doc, (r) => withSpec(r).traffic?.rateLimit?.local?.[0]?.requests === 60, { traffic: { phase: "PreRouting" } });
    },
  },
];
