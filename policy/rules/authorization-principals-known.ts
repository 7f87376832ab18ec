import type { StackValidationPolicy } from "@pulumi/policy";
import { AuthzSpec, describeNamespaceReach, describeTrustDomains, identityConditions, principalConditions, principalReach, Rule, serviceAccountConditions, targetRefsOf, trustDomainMatches } from "../lib/authz";
import { gatewaysOfUnknownClass, gatewaysOwnedByNone, ISTIO_INGRESS, knownServiceAccounts, mayBeProxyOf, targetsOnlyGatewaysOfClass } from "../lib/gateway-proxies";
import { byCluster, cannotJudge, dig, helmChartName, isHelmInstall, meta, T } from "../lib/k8s";
import { isGateway } from "../lib/gateways";
import { isKindOrPatch, isPatch } from "../lib/patches";
import { renderedIstio } from "../lib/istio-rendered";
import { refusedTrustDomains } from "../lib/istio";
import { configWithDefaults, isObject, list, orUnknown, probe, Tri } from "../lib/values";
import { namespacedName, setOf } from "../lib/config-schema";

interface Config {
  /** `namespace/serviceAccount` created by controllers outside this stack that policies may name. */
  allowedServiceAccounts: string[];
}
const defaults: Config = { allowedServiceAccounts: [] };

/**
 * The fields of a source Istio 1.30.3's CRD refuses together (x-kubernetes-validations on Source:
 * serviceAccounts or notServiceAccounts beside principals, notPrincipals, namespaces or
 * notNamespaces, each read with has(), so an empty list counts), as `a beside b`, or undefined.
 */
function refusedSourceMix(source: unknown): string | undefined {
  if (!isObject(source)) return undefined;
  const set = (k: string) => k in source && source[k] !== null && source[k] !== undefined;
  const accounts = ["serviceAccounts", "notServiceAccounts"].filter(set);
  const others = ["principals", "notPrincipals", "namespaces", "notNamespaces"].filter(set);
  return accounts.length > 0 && others.length > 0 ? `${accounts.join(" and ")} beside ${others.join(" and ")}` : undefined;
}

/**
 * A principal that names no ServiceAccount of the stack either grants nothing (a typo, a renamed
 * workload) or trusts an identity nobody reviewed; both hide real access from reviewers. A
 * principal at an Istio ingress Gateway grants nothing either: the callers it names are denied.
 * Istio keeps those gateways (its ingress kind: class `istio`, or the class its istiod serves under
 * PILOT_GATEWAY_API_DEFAULT_GATEWAYCLASS_NAME or a GatewayClass naming its controller) out of the ambient data plane
 * (`istio.io/dataplane-mode: none`), so in-mesh callers reach their Envoy in plaintext, and a
 * gateway's Envoy matches principals (and the namespaces derived from them) only against a TLS
 * peer certificate: only waypoints read the HBONE peer identity (istio/istio 1.30.3
 * pilot/pkg/networking/core/listener_builder.go).
 */
export const authorizationPrincipalsKnown: StackValidationPolicy = {
  name: "authorization-principals-known",
  description:
    "Every principal in an AuthorizationPolicy (or AuthorizationPolicyPatch), in a source or a rule's `when` condition on source.principal (values and notValues, which Istio matches as principals), is `<trustDomain>/ns/<ns>/sa/<sa>` in the mesh's trust domain (for a policy bound by targetRefs, which a waypoint or gateway enforces, also cluster.local or one of istiod's meshConfig.trustDomainAliases, which istiod rewrites into it there; ztunnel matches principals as written) and names a ServiceAccount the stack renders (so do serviceAccounts entries and the values and notValues of a `when` condition on source.serviceAccount, `ns/sa` or a bare name in the policy's namespace), no source sets serviceAccounts beside principals or namespaces (the CRD refuses the policy) (or one a gateway controller runs a rendered Gateway's proxy under, or an allow-listed one; an agentgateway proxy runs under the ServiceAccount its AgentgatewayParameters overlays set, so policies naming its Gateway's name then refuse it; a Gateway whose istio.io/rev no istiod of the stack answers to gets no proxy from it, so its account is can't judge); principals are read as Istio matches them: a leading `*` is a suffix match (`*/ns/<ns>/sa/<sa>` names that ServiceAccount in any trust domain, the mesh's included), a trailing `*` a prefix match (`<td>/ns/<ns>/*` must match one of the stack's ServiceAccounts of that namespace), and a pattern no identity can match (a `*` elsewhere, a malformed one) is reported; policies bound only to Istio ingress Gateways (class istio, or the class the stack's istiod serves as its ingress kind when PILOT_GATEWAY_API_DEFAULT_GATEWAYCLASS_NAME renames it or a GatewayClass names its controller) name no mesh identities (in sources or in when conditions on source.principal, source.namespace or source.serviceAccount), which those gateways never see from ambient callers.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      allowedServiceAccounts: {
        ...setOf(namespacedName),
        default: defaults.allowedServiceAccounts,
        description: "Extra `namespace/serviceAccount` identities created outside the stack (controllers, operators).",
      },
    },
  },
  validateStack: (args, report) => {
    const { allowedServiceAccounts } = configWithDefaults(args, defaults);
    const k8s = args.resources.filter((r) => r.type.startsWith("kubernetes:"));
    // One mesh, one identity namespace: a principal may name a ServiceAccount of any cluster.
    const known = knownServiceAccounts(k8s);
    for (const sa of allowedServiceAccounts) known.add(sa);
    // A Gateway whose class is not known yet has a proxy identity not known yet either.
    const unknownClass = gatewaysOfUnknownClass(k8s);
    // A Gateway no istiod of the stack owns gets no proxy from it: its account may not exist.
    const ownedByNone = gatewaysOwnedByNone(k8s);
    // Unless the account is allow-listed or rendered by the stack itself.
    for (const id of [...allowedServiceAccounts, ...k8s.filter((r) => r.type === T.serviceAccount).map((r) => `${meta(r.props).namespace}/${meta(r.props).name}`)]) ownedByNone.delete(id);
    const trustDomains = new Set<string>();
    // What a waypoint's or gateway's Envoy also reads as the mesh's: istiod's builder rewrites a
    // principal in cluster.local or an alias into the trust domain and each alias (Istio 1.30.3
    // pilot/pkg/security/trustdomain/bundle.go ReplaceTrustDomainAliases); ztunnel gets the
    // principal as written (ambient/authorization.go stringToMatch) and matches it literally.
    const envoyTrustDomains = new Set<string>(["cluster.local"]);
    // istiod releases whose trust domain this preview cannot read: a principal outside the known ones may be in theirs.
    const unknownTrustDomains: string[] = [];
    // Istio installed as objects (a v4 Chart's) stands in as its release, read per cluster.
    const rendered = [...byCluster(args.resources).values()].flatMap(renderedIstio);
    for (const r of [...args.resources, ...rendered]) {
      if (!isHelmInstall(r.type)) continue;
      const chart = probe(() => helmChartName(r.props));
      const td = probe(() => dig(r.props.values, "meshConfig.trustDomain"));
      // One Istio refuses (an empty one, say) makes istiod drop its whole mesh config and run on cluster.local.
      const refused = chart.known && chart.value === "istiod" && orUnknown(() => refusedTrustDomains(r.props.values).some((x) => x.startsWith("meshConfig.trustDomain ")), false);
      if (refused) trustDomains.add("cluster.local");
      else if (td.known && typeof td.value === "string") trustDomains.add(td.value);
      // istiod without meshConfig.trustDomain uses the chart's default.
      else if (td.known && td.value === undefined && chart.known && chart.value === "istiod") trustDomains.add("cluster.local");
      else if (!td.known && (!chart.known || chart.value === "istiod")) unknownTrustDomains.push(`the trust domain of Helm release ${r.name}`);
      // Aliases stand for the mesh's trust domain at waypoints and gateways only (a refused mesh config drops them).
      const aliases = probe(() => list(dig(r.props.values, "meshConfig.trustDomainAliases") as unknown[]).filter((a): a is string => typeof a === "string"));
      if (chart.known && chart.value === "istiod" && !refused) {
        if (aliases.known) for (const a of aliases.value) envoyTrustDomains.add(a);
        else unknownTrustDomains.push(`the trust domain aliases of Helm release ${r.name}`);
      }
    }
    // What this preview cannot know yet: reported as "can't judge" after every known verdict.
    const pending: string[] = [];
    for (const [cluster, resources] of byCluster(args.resources)) {
      // A patch's principals are the policy's too (its rules replace the patched policy's).
      for (const r of resources.filter((x) => isKindOrPatch(x.type, "security.istio.io", "AuthorizationPolicy"))) {
        const { namespace, name } = meta(r.props);
        const policy = `${isPatch(r.type) ? "AuthorizationPolicyPatch" : "AuthorizationPolicy"} ${namespace}/${name}`;
        // Rules and targets read apart: an unknown selector or target hides no principal.
        const rules = probe(() => JSON.parse(JSON.stringify(r.props.spec?.rules ?? [])) as Rule[]);
        if (!rules.known) {
          pending.push(`the rules of ${policy} on cluster ${cluster}`);
          continue;
        }
        const classOf = (gw: string) => orUnknown(() => String(resources.find((x) => isGateway(x.type) && meta(x.props).namespace === namespace && meta(x.props).name === gw)?.props.spec?.gatewayClassName), "?");
        const refs = probe(() => targetRefsOf(JSON.parse(JSON.stringify({ targetRef: r.props.spec?.targetRef, targetRefs: r.props.spec?.targetRefs })) as AuthzSpec));
        const istioIngress = refs.known
          ? { only: targetsOnlyGatewaysOfClass(refs.value, namespace, resources, [ISTIO_INGRESS]), names: refs.value.map((ref) => `${ref.name} (class ${classOf(ref.name)})`) }
          : { only: "unknown" as Tri, names: [] };
        const unknownIdentity = (id: string) => {
          const unowned = ownedByNone.get(id);
          if (unowned) {
            pending.push(`whether ${id}, named by ${policy}, exists: it is the proxy account of Gateway ${unowned}, whose istio.io/rev (its own or its namespace's) no istiod of the stack answers to, and Istio 1.30.3 deploys a Gateway's proxy only from an istiod owning it`);
            return true;
          }
          if (!mayBeProxyOf(id, unknownClass)) return false;
          pending.push(`whether ${id}, named by ${policy}, is the proxy of a Gateway whose class or proxy ServiceAccount is not known yet`);
          return true;
        };
        // One principal (a source's, or a when condition's value) read as Istio matches it; `where` opens its messages.
        const judgePrincipal = (p: unknown, where: string) => {
          // Read as Istio matches it: exact, or a suffix (leading `*`) or prefix (trailing `*`) match.
          const reach = principalReach(p);
          if (reach.kind === "any") return; // open sources are authorization-sources-restricted's finding
          if (reach.kind === "none") {
            report(`${where}: principal ${JSON.stringify(p)} ${reach.why}`, r.urn);
            return;
          }
          // A wildcard trust domain (`*/ns/…`) takes in the mesh's own: only one that cannot is outside.
          const inMesh = (domains: Iterable<string>) => [...domains].some((td) => trustDomainMatches(reach.trustDomain, td));
          if (!inMesh(trustDomains)) {
            const which = "exact" in reach.trustDomain ? "" : ` (${describeTrustDomains(reach.trustDomain)})`;
            // Bound by targetRefs, the policy is a waypoint's or gateway's, which read aliases as the mesh's.
            const aliased = inMesh(envoyTrustDomains);
            if (unknownTrustDomains.length > 0) pending.push(`whether principal ${p} of ${policy} is in the mesh trust domain (${unknownTrustDomains.join(", ")} is not known yet)`);
            else if (aliased && !refs.known) pending.push(`whether ${policy} on cluster ${cluster} binds a waypoint or gateway (its targetRefs), which decides whether principal ${p} is the mesh's`);
            // At a waypoint or gateway it is rewritten into the mesh's trust domain: no finding.
            else if (!(aliased && refs.known && refs.value.length > 0) && trustDomains.size > 0) {
              const why = aliased ? ": ztunnel, which enforces this policy (it has no targetRefs), matches it as written, while istiod reads cluster.local and trust domain aliases as the mesh's only for waypoints and gateways" : "";
              report(`${where}: principal ${p}${which} is outside the mesh trust domain (${[...trustDomains].join(", ")})${why}`, r.urn);
            }
          }
          // Callers across namespaces are authorization-sources-restricted's finding (as principals).
          if (reach.kind === "across") return;
          if (reach.kind === "serviceAccount") {
            const id = `${reach.namespace}/${reach.serviceAccount}`;
            if ((!known.has(id) || ownedByNone.has(id)) && !unknownIdentity(id)) {
              report(`${where}: principal ${p} names no ServiceAccount of this stack (add it to allowedServiceAccounts if a controller creates it)`, r.urn);
            }
            return;
          }
          // A namespace-wide pattern names the ServiceAccounts it can match: it needs one of the stack's.
          const head = `${reach.namespace}/${reach.serviceAccountPrefix}`;
          if ([...known].some((id) => id.startsWith(head))) return;
          // The proxy of a Gateway whose class is not known yet runs as `<name>` or `<name>-<class>`.
          if (unknownClass.some((g) => `${g.namespace}/${g.name}`.startsWith(head) || head.startsWith(`${g.namespace}/${g.name}`))) {
            pending.push(`whether ${p}, named by ${policy}, matches the proxy of a Gateway whose class or proxy ServiceAccount is not known yet`);
            return;
          }
          report(`${where}: principal ${p} matches ${describeNamespaceReach(reach)}, and this stack has none (add one to allowedServiceAccounts if a controller creates it)`, r.urn);
        };
        // Istio 1.30's serviceAccounts (a source's, or a when condition's on source.serviceAccount):
        // `namespace/name`, or a bare name in the policy's namespace (model/generator.go serviceAccountRegex).
        const judgeServiceAccount = (sa: unknown, what: string) => {
          if (typeof sa !== "string" || sa === "*") return;
          const id = sa.includes("/") ? sa : `${namespace}/${sa}`;
          if ((!known.has(id) || ownedByNone.has(id)) && !unknownIdentity(id)) report(`${what} ${JSON.stringify(sa)} names no ServiceAccount of this stack (add it to allowedServiceAccounts if a controller creates it)`, r.urn);
        };
        for (const [i, rule] of list(rules.value).entries()) {
          // A rule or source that is no object names no principal (a hand-edited state can hold a
          // null): skipped here, so the policies after it are still judged.
          if (!isObject(rule)) continue;
          const byIdentity = [
            ...list(rule.from).filter(isObject).flatMap((f) => (["principals", "namespaces", "serviceAccounts"] as const).filter((k) => list(f.source?.[k]).length > 0)),
            ...identityConditions(rule).map((key) => `when ${key}`),
          ];
          if (byIdentity.length && istioIngress.only === true) {
            report(
              `${policy} rule ${i}: names callers by ${[...new Set(byIdentity)].join(" and ")}, but it binds only Istio ingress Gateway ${istioIngress.names.join(", ")}, which Istio keeps out of the ambient data plane: in-mesh callers reach it without a mesh identity, so the rule never matches them (restrict who reaches the gateway's pods with a NetworkPolicy instead)`,
              r.urn,
            );
          } else if (byIdentity.length && istioIngress.only === "unknown") {
            pending.push(`whether ${policy} on cluster ${cluster} binds only Istio ingress Gateways (its targetRefs or their classes), which decides rule ${i}`);
          }
          for (const [j, from] of list(rule.from).entries()) {
            if (!isObject(from)) continue;
            const clash = refusedSourceMix(from.source);
            if (clash) report(`${policy} rule ${i} from ${j}: sets ${clash}: the API server refuses the policy (Cannot set serviceAccounts with namespaces or principals), so none of its rules applies; name the callers by serviceAccounts or by principals, in separate sources`, r.urn);
            for (const sa of [...list(from.source?.serviceAccounts), ...list(from.source?.notServiceAccounts)]) judgeServiceAccount(sa, `${policy}: serviceAccounts entry`);
            for (const p of [...list(from.source?.principals), ...list(from.source?.notPrincipals)]) judgePrincipal(p, policy);
          }
          // A `when` on source.principal is matched as principals are, by ztunnel and Envoy alike.
          for (const p of principalConditions(rule)) judgePrincipal(p, `${policy} rule ${i} when source.principal`);
          // So is a `when` on source.serviceAccount, as serviceAccounts are.
          for (const sa of serviceAccountConditions(rule)) judgeServiceAccount(sa, `${policy} rule ${i} when source.serviceAccount: serviceAccount`);
        }
      }
    }
    if (pending.length > 0) cannotJudge(pending);
  },
};
