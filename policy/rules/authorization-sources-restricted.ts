import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { actionOf, AuthzSpec, isUnauthenticatedOnly, openness, targetRefsOf } from "../lib/authz";
import { byCluster, isAuthorizationPolicy, isGateway, meta } from "../lib/k8s";
import { configWithDefaults, list, probe } from "../lib/values";

interface Config {
  /** Gateway classes whose Gateways take traffic from outside the mesh. */
  ingressGatewayClasses: string[];
  /** Whether ALLOW sources must name mesh identities (principals), not just namespaces or addresses. */
  requirePrincipals: boolean;
}
const defaults: Config = { ingressGatewayClasses: ["istio", "agentgateway"], requirePrincipals: true };

/** Why a source admits callers by place rather than identity, or undefined. */
function coarseSource(source: NonNullable<Parameters<typeof openness>[0]>): string | undefined {
  if (list(source.principals).length > 0 || list(source.requestPrincipals).length > 0 || list(source.serviceAccounts).length > 0) return undefined;
  const by = (["namespaces", "trustDomains", "ipBlocks", "remoteIpBlocks"] as const).filter((k) => list(source[k]).length > 0);
  if (by.length === 0) return undefined;
  return `callers are named only by ${by.join(" and ")}, which admits every workload there; name their principals (ServiceAccounts)`;
}

/** Whether every targetRef of the policy is an ingress Gateway of this cluster. */
function targetsIngressOnly(spec: AuthzSpec, namespace: string, resources: PolicyResource[], classes: string[]): boolean {
  const refs = targetRefsOf(spec);
  if (refs.length === 0) return false;
  return refs.every((ref) => {
    if (ref.kind !== "Gateway") return false;
    const gw = resources.find((r) => isGateway(r.type) && meta(r.props).name === ref.name && meta(r.props).namespace === namespace);
    return !!gw && classes.includes(gw.props.spec?.gatewayClassName);
  });
}

/**
 * An ALLOW rule without sources, or with sources matching everyone, grants every caller what the
 * rule lists: least privilege needs each rule to name who may call. The one exception is an
 * ingress Gateway, whose external clients have no mesh identity (`notPrincipals: ["*"]`).
 */
export const authorizationSourcesRestricted: StackValidationPolicy = {
  name: "authorization-sources-restricted",
  description:
    "Every ALLOW AuthorizationPolicy rule names its callers (from.source) by mesh identity (principals) and none is open to everyone (principals/namespaces \"*\", 0.0.0.0/0, only not* fields) or to a whole namespace or address range; only ingress Gateways may admit unauthenticated external clients.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      ingressGatewayClasses: {
        type: "array",
        items: { type: "string" },
        default: defaults.ingressGatewayClasses,
        description: "Gateway classes whose Gateways may admit callers without a mesh identity.",
      },
      requirePrincipals: {
        type: "boolean",
        default: defaults.requirePrincipals,
        description: "Require ALLOW sources to name principals; false also accepts sources naming only namespaces or IP blocks.",
      },
    },
  },
  validateStack: (args, report) => {
    const { ingressGatewayClasses, requirePrincipals } = configWithDefaults(args, defaults);
    for (const [, resources] of byCluster(args.resources)) {
      for (const r of resources.filter((x) => isAuthorizationPolicy(x.type))) {
        const read = probe(() => JSON.parse(JSON.stringify(r.props.spec ?? {})) as AuthzSpec);
        if (!read.known) continue;
        const spec = read.value;
        if (actionOf(spec) !== "ALLOW") continue;
        const { namespace, name } = meta(r.props);
        // An ALLOW policy without rules (`spec: {}`, Istio's allow-nothing) never matches: deny-all.
        const rules = list(spec.rules);
        if (rules.length === 0) continue;
        const ingress = targetsIngressOnly(spec, namespace, resources, ingressGatewayClasses);
        rules.forEach((rule, i) => {
          const from = list(rule.from);
          if (from.length === 0) {
            report(`AuthorizationPolicy ${namespace}/${name} rule ${i}: ALLOW without from: every caller is allowed`, r.urn);
            return;
          }
          from.forEach((f, j) => {
            if (ingress && isUnauthenticatedOnly(f.source)) return;
            const why = openness(f.source) ?? (requirePrincipals && f.source ? coarseSource(f.source) : undefined);
            if (why) report(`AuthorizationPolicy ${namespace}/${name} rule ${i} from ${j}: ${why}`, r.urn);
          });
        });
      }
    }
  },
};
