import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { AuthzSpec, knownServiceAccounts, parsePrincipal, targetRefsOf } from "../lib/authz";
import { byCluster, dig, helmChartName, isAuthorizationPolicy, isGateway, isHelmInstall, meta } from "../lib/k8s";
import { configWithDefaults, list, probe } from "../lib/values";

interface Config {
  /** `namespace/serviceAccount` created by controllers outside this stack that policies may name. */
  allowedServiceAccounts: string[];
}
const defaults: Config = { allowedServiceAccounts: [] };

/**
 * Whether every target of the policy is a Gateway Istio deploys as an ingress (class `istio`).
 * Istio keeps those out of the ambient data plane (`istio.io/dataplane-mode: none`), so in-mesh
 * callers reach their Envoy in plaintext, and a gateway's Envoy matches principals (and the
 * namespaces derived from them) only against a TLS peer certificate: only waypoints read the
 * HBONE peer identity (istio/istio 1.30.3 pilot/pkg/networking/core/listener_builder.go).
 */
function targetsIstioIngressOnly(spec: AuthzSpec, namespace: string, resources: PolicyResource[]): string[] | undefined {
  const refs = targetRefsOf(spec);
  if (refs.length === 0) return undefined;
  const names = refs.map((ref) => {
    if (ref.kind !== "Gateway") return undefined;
    const gw = resources.find((r) => isGateway(r.type) && meta(r.props).name === ref.name && meta(r.props).namespace === namespace);
    return gw?.props.spec?.gatewayClassName === "istio" ? ref.name : undefined;
  });
  return names.every((n): n is string => !!n) ? names : undefined;
}

/**
 * A principal that names no ServiceAccount of the stack either grants nothing (a typo, a renamed
 * workload) or trusts an identity nobody reviewed; both hide real access from reviewers. A
 * principal at an Istio ingress Gateway grants nothing either: the callers it names are denied.
 */
export const authorizationPrincipalsKnown: StackValidationPolicy = {
  name: "authorization-principals-known",
  description:
    "Every principal in an AuthorizationPolicy is `<trustDomain>/ns/<ns>/sa/<sa>` in the mesh's trust domain and names a ServiceAccount the stack renders (or one a gateway controller creates for a rendered Gateway, or an allow-listed one); policies bound only to Istio ingress Gateways (class istio) name no mesh identities, which those gateways never see from ambient callers.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      allowedServiceAccounts: {
        type: "array",
        items: { type: "string" },
        default: defaults.allowedServiceAccounts,
        description: "Extra `namespace/serviceAccount` identities created outside the stack (controllers, operators).",
      },
    },
  },
  validateStack: (args, report) => {
    const { allowedServiceAccounts } = configWithDefaults(args, defaults);
    // One mesh, one identity namespace: a principal may name a ServiceAccount of any cluster.
    const known = knownServiceAccounts(args.resources.filter((r) => r.type.startsWith("kubernetes:")));
    for (const sa of allowedServiceAccounts) known.add(sa);
    const trustDomains = new Set<string>();
    for (const r of args.resources) {
      if (!isHelmInstall(r.type)) continue;
      const td = probe(() => dig(r.props.values, "meshConfig.trustDomain"));
      if (td.known && typeof td.value === "string") trustDomains.add(td.value);
      // istiod without meshConfig.trustDomain uses the chart's default.
      else if (td.known && td.value === undefined && helmChartName(r.props) === "istiod") trustDomains.add("cluster.local");
    }
    for (const [, resources] of byCluster(args.resources)) {
      for (const r of resources.filter((x) => isAuthorizationPolicy(x.type))) {
        const read = probe(() => JSON.parse(JSON.stringify(r.props.spec ?? {})) as AuthzSpec);
        if (!read.known) continue;
        const { namespace, name } = meta(r.props);
        const istioIngress = targetsIstioIngressOnly(read.value, namespace, resources);
        for (const [i, rule] of list(read.value.rules).entries()) {
          const byIdentity = list(rule.from).flatMap((f) => (["principals", "namespaces", "serviceAccounts"] as const).filter((k) => list(f.source?.[k]).length > 0));
          if (istioIngress && byIdentity.length) {
            report(
              `AuthorizationPolicy ${namespace}/${name} rule ${i}: names callers by ${[...new Set(byIdentity)].join(" and ")}, but it binds only Gateway ${istioIngress.join(", ")} (class istio), which Istio keeps out of the ambient data plane: in-mesh callers reach it without a mesh identity, so the rule never matches them (restrict who reaches the gateway's pods with a NetworkPolicy instead)`,
              r.urn,
            );
          }
          for (const from of list(rule.from)) {
            // Istio 1.30's serviceAccounts: `namespace/name`, or a bare name in the policy's namespace.
            for (const sa of [...list(from.source?.serviceAccounts), ...list(from.source?.notServiceAccounts)]) {
              if (sa === "*") continue;
              const id = sa.includes("/") ? sa : `${namespace}/${sa}`;
              if (!known.has(id)) report(`AuthorizationPolicy ${namespace}/${name}: serviceAccounts entry ${JSON.stringify(sa)} names no ServiceAccount of this stack (add it to allowedServiceAccounts if a controller creates it)`, r.urn);
            }
            for (const p of [...list(from.source?.principals), ...list(from.source?.notPrincipals)]) {
              if (p === "*") continue; // open sources are authorization-sources-restricted's finding
              const parsed = parsePrincipal(p);
              if (!parsed) {
                report(`AuthorizationPolicy ${namespace}/${name}: principal ${JSON.stringify(p)} is not <trustDomain>/ns/<namespace>/sa/<serviceAccount>`, r.urn);
                continue;
              }
              if (trustDomains.size > 0 && !trustDomains.has(parsed.trustDomain)) {
                report(`AuthorizationPolicy ${namespace}/${name}: principal ${p} is outside the mesh trust domain (${[...trustDomains].join(", ")})`, r.urn);
              }
              if (!known.has(`${parsed.namespace}/${parsed.serviceAccount}`)) {
                report(`AuthorizationPolicy ${namespace}/${name}: principal ${p} names no ServiceAccount of this stack (add it to allowedServiceAccounts if a controller creates it)`, r.urn);
              }
            }
          }
        }
      }
    }
  },
};
