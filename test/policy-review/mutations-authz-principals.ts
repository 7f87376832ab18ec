/** Policy-review mutations of the principals AuthorizationPolicies name (authorization-principals-known), in sources and in `when` conditions; registered in mutations-authz.ts. */
import { Mutation, resources, isKind, serviceAccountRule, onFirst } from "./mutations-support";

/** The same identity under a ServiceAccount no workload of the stack runs as. */
const ghost = (principal: string) => principal.replace(/\/sa\/.*$/, "/sa/ghost");

export const authzPrincipalMutations: Mutation[] = [
  {
    name: "a principal naming no rendered ServiceAccount",
    policy: "authorization-principals-known",
    apply: (doc) =>
      onFirst(doc, serviceAccountRule, (o) => {
        const src = o.spec.rules[0].from[0].source;
        src.principals = [ghost(src.principals[0])];
      }),
  },
  {
    name: "a principal in a foreign trust domain",
    policy: "authorization-principals-known",
    apply: (doc) =>
      onFirst(doc, serviceAccountRule, (o) => {
        const src = o.spec.rules[0].from[0].source;
        src.principals = [src.principals[0].replace(/^[^/]+/, "evil.example")];
      }),
  },
  {
    name: "the inference gateway's policy naming the agents' principals (Istio's gateways never see them)",
    policy: "authorization-principals-known",
    apply: (doc) => {
      const agent = resources(doc).find((r) => r.type === "kubernetes:core/v1:ServiceAccount" && (r.inputs as any)?.metadata?.namespace === "agents");
      if (!agent) return undefined;
      return onFirst(
        doc,
        (r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.spec?.targetRefs?.some((t: any) => t.kind === "Gateway" && t.name === "inference-gateway"),
        (o) => o.spec.rules.push({ from: [{ source: { principals: [`cluster.local/ns/agents/sa/${(agent.inputs as any).metadata.name}`] } }] }),
      );
    },
  },
  {
    // Istio 1.30.3 matches a when condition on source.principal as it matches from.source.principals (ambient/authorization.go handleRule; model.go New).
    name: "a when condition on source.principal naming no rendered ServiceAccount",
    policy: "authorization-principals-known",
    apply: (doc) =>
      onFirst(doc, serviceAccountRule, (o) => {
        const rule = o.spec.rules[0];
        rule.when = [...(rule.when ?? []), { key: "source.principal", values: [ghost(rule.from[0].source.principals[0])] }];
      }),
  },
  {
    // Istio 1.30.3 builds a when condition on source.serviceAccount as from.source.serviceAccounts (model.go New, srcServiceAccountGenerator): `<ns>/<name>`.
    name: "a when condition on source.serviceAccount naming no rendered ServiceAccount",
    policy: "authorization-principals-known",
    apply: (doc) =>
      onFirst(doc, serviceAccountRule, (o) => {
        const rule = o.spec.rules[0];
        const ns = String(rule.from[0].source.principals[0]).split("/ns/")[1].split("/")[0];
        rule.when = [...(rule.when ?? []), { key: "source.serviceAccount", values: [`${ns}/ghost`] }];
      }),
  },
];
