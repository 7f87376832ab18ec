import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { ACTIONS, actionOf, AuthzSpec, describeNamespaceReach, isUnauthenticatedOnly, openness, principalReach, refusedAction, Rule, Source, targetRefsOf } from "../lib/authz";
import { targetsOnlyGatewaysOfClass } from "../lib/gateway-proxies";
import { byCluster, cannotJudge, isAuthorizationPolicy, meta } from "../lib/k8s";
import { isKindOrPatch, isPatch } from "../lib/patches";
import { configWithDefaults, list, Probe, probe, tri, Tri } from "../lib/values";
import { ztunnelDropsTrustDomains, ztunnelSource } from "../lib/ztunnel";
import { objectName, setOf } from "../lib/config-schema";

interface Config {
  /** Gateway classes whose Gateways take traffic from outside the mesh (`istio`: Istio's ingress class by the name its istiod serves). */
  ingressGatewayClasses: string[];
  /** Whether ALLOW sources must name mesh identities (principals), not just namespaces or addresses. */
  requirePrincipals: boolean;
}
const defaults: Config = { ingressGatewayClasses: ["istio", "agentgateway"], requirePrincipals: true };

/** Source fields that name callers by place (where they run), not by identity. */
const PLACE_FIELDS = ["namespaces", "trustDomains", "ipBlocks", "remoteIpBlocks"] as const;

/**
 * Why a source admits callers by place rather than identity, or undefined. A principal with a
 * trailing `*` after a namespace (`<td>/ns/<ns>/*`, `<td>/ns/<ns>/sa/<prefix>*`) is a place too:
 * every ServiceAccount of that namespace (with that prefix), present or future.
 */
function coarseSource(source: NonNullable<Parameters<typeof openness>[0]>): string | undefined {
  if (list(source.requestPrincipals).length > 0 || list(source.serviceAccounts).length > 0) return undefined;
  const places = PLACE_FIELDS.filter((k) => list(source[k]).length > 0);
  if (list(source.principals).length > 0) {
    // Values of a field are ORed: one principal matching callers in every namespace (`*`,
    // `<td>/*`, `*/sa/<sa>`) names no identity, and only the fields ANDed beside it (which made
    // openness() pass) bound the source: `{principals: ["*"], namespaces: [ns]}` is namespace ns.
    const open = list(source.principals).map((p) => ({ p, reach: principalReach(p) })).find(({ reach }) => reach.kind === "any" || reach.kind === "across");
    if (open) {
      if (places.length === 0) return undefined;
      const matches = open.reach.kind === "across" ? open.reach.matches : "every identity";
      return `principals ${JSON.stringify(open.p)} matches ${matches}, so callers are named only by ${places.join(" and ")}, which admits every workload there; name their principals (ServiceAccounts)`;
    }
    // Values of a field are ORed: one namespace-wide principal admits its namespace.
    const wide = list(source.principals).flatMap((p) => {
      const reach = principalReach(p);
      return reach.kind === "namespace" ? [`${JSON.stringify(p)} matches ${describeNamespaceReach(reach)}`] : [];
    });
    return wide.length > 0 ? `principals ${wide.join(", ")}: that admits a namespace, not named identities; name their principals (ServiceAccounts)` : undefined;
  }
  if (places.length === 0) return undefined;
  return `callers are named only by ${places.join(" and ")}, which admits every workload there; name their principals (ServiceAccounts)`;
}

/**
 * The spec fields this rule reads, as the object will have them. An AuthorizationPolicyPatch is
 * applied server-side over the object it names: the fields it sets win (`rules`, an atomic list in
 * Istio's CRD, is replaced whole), and those it leaves out keep the object's own, read from the
 * stack's AuthorizationPolicy of that name on the cluster when there is one (else Istio's default:
 * ALLOW, no targetRefs). A patch without rules changes no rule and is not judged.
 */
function effectiveSpec(r: PolicyResource, resources: PolicyResource[]): { action: () => unknown; rules: () => unknown; targetRef: () => unknown; targetRefs: () => unknown } {
  const own = (key: string) => () => r.props.spec?.[key];
  if (!isPatch(r.type)) return { action: own("action"), rules: own("rules"), targetRef: own("targetRef"), targetRefs: own("targetRefs") };
  const { namespace, name } = meta(r.props);
  const target = resources.find((x) => isAuthorizationPolicy(x.type) && meta(x.props).namespace === namespace && meta(x.props).name === name);
  // A field the patch sets, even to null, is the patch's; one it leaves out is the object's.
  const merged = (key: string) => () => (r.props.spec && key in r.props.spec ? r.props.spec[key] : target?.props.spec?.[key]);
  return { action: merged("action"), rules: own("rules"), targetRef: merged("targetRef"), targetRefs: merged("targetRefs") };
}

/**
 * An ALLOW rule without sources, or with sources matching everyone, grants every caller what the
 * rule lists: least privilege needs each rule to name who may call. The one exception is an
 * ingress Gateway, whose external clients have no mesh identity (`notPrincipals: ["*"]`).
 */
export const authorizationSourcesRestricted: StackValidationPolicy = {
  name: "authorization-sources-restricted",
  description:
    "Every ALLOW AuthorizationPolicy rule names its callers (from.source) by mesh identity (principals) and none is open to everyone (principals/namespaces \"*\", a principal whose wildcard spans namespaces such as `<td>/*`, 0.0.0.0/0, only not* fields) or to a whole namespace (namespaces, a principal `<td>/ns/<ns>/*`, or a wildcard principal such as `*` ANDed with namespaces, which leaves the namespace as the only bound) or address range; principals are read as Istio matches them (a leading `*` is a suffix match, so `*/ns/<ns>/sa/<sa>` names one ServiceAccount in any trust domain); a policy bound by selector or namespace is judged as ztunnel enforces it, without trustDomains/notTrustDomains (istiod does not pass them to ztunnel, so `{principals: [\"*\"], trustDomains: [<td>]}` admits everyone there); only ingress Gateways (of `ingressGatewayClasses`, where `istio` is Istio's ingress class by the name the stack's istiod serves) may admit unauthenticated external clients. AuthorizationPolicyPatch rules are judged too, with the action and targets the patched policy keeps. An action outside the CRD's enum (`allow`) is reported: the API server refuses the policy, so its rules never apply.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      ingressGatewayClasses: {
        ...setOf(objectName),
        default: defaults.ingressGatewayClasses,
        description:
          "Gateway classes whose Gateways may admit callers without a mesh identity; `istio` stands for Istio's ingress class as the cluster's istiod serves it (its PILOT_GATEWAY_API_DEFAULT_GATEWAYCLASS_NAME, `istio` unless renamed, or a GatewayClass naming its PILOT_GATEWAY_API_CONTROLLER_NAME).",
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
    // What this preview cannot know yet: reported as "can't judge" after every known verdict.
    const pending: string[] = [];
    for (const [cluster, resources] of byCluster(args.resources)) {
      for (const r of resources.filter((x) => isKindOrPatch(x.type, "security.istio.io", "AuthorizationPolicy"))) {
        const { namespace, name } = meta(r.props);
        const policy = `${isPatch(r.type) ? "AuthorizationPolicyPatch" : "AuthorizationPolicy"} ${namespace}/${name}`;
        const spec = effectiveSpec(r, resources);
        // Action, rules and targets read apart: a value not known yet decides only what it can change.
        const action = probe(() => actionOf({ action: spec.action() } as AuthzSpec));
        // Read as anything but ALLOW, a refused `allow` would pass whatever its rules admit.
        const refused = action.known ? refusedAction(action.value) : undefined;
        if (refused && action.known) {
          // `deny` or `Deny` meant DENY: advising ALLOW there would turn a restriction into a grant.
          const meant = typeof action.value === "string" && ACTIONS.includes(action.value.toUpperCase()) ? action.value.toUpperCase() : undefined;
          const fix = meant === undefined || meant === "ALLOW" ? "write ALLOW (or leave action unset)" : `write ${meant}`;
          report(`${policy}: ${refused}, so the rules it was meant to enforce never apply; ${fix}`, r.urn);
          continue;
        }
        if (action.known && action.value !== "ALLOW") continue;
        const read = probe(() => list(JSON.parse(JSON.stringify(spec.rules() ?? [])) as Rule[]));
        if (!read.known) {
          pending.push(`the rules of ${policy} on cluster ${cluster}`);
          continue;
        }
        // An ALLOW policy without rules (`spec: {}`, Istio's allow-nothing) never matches: deny-all.
        const rules = read.value;
        if (rules.length === 0) continue;
        // A finding counts only for an ALLOW policy: with the action not known yet it is can't judge.
        const finding = (message: string) => (action.known ? report(message, r.urn) : pending.push(`the action of ${policy} on cluster ${cluster}, which decides: ${message}`));
        let ingress: Tri | undefined;
        let atZtunnelRead: Probe<boolean> | undefined;
        const isIngress = () =>
          (ingress ??= tri(() => targetsOnlyGatewaysOfClass(targetRefsOf(JSON.parse(JSON.stringify({ targetRef: spec.targetRef(), targetRefs: spec.targetRefs() })) as AuthzSpec), namespace, resources, ingressGatewayClasses)));
        rules.forEach((rule, i) => {
          const from = list(rule.from);
          if (from.length === 0) {
            // A `when` on the caller's identity does bound who matches, but it is not a source this
            // policy (or a reader of from.source) can check; the message must not claim everyone.
            const callerKeys = [...new Set(list(rule.when).flatMap((w) => (typeof w?.key === "string" && w.key.startsWith("source.") ? [w.key] : [])))];
            finding(
              callerKeys.length > 0
                ? `${policy} rule ${i}: ALLOW without from: its callers are bounded only by when conditions (${callerKeys.join(", ")}); name them in from.source principals`
                : `${policy} rule ${i}: ALLOW without from: every caller is allowed`,
            );
            return;
          }
          from.forEach((f, j) => {
            // Only ingress Gateways may admit callers without a mesh identity.
            if (isUnauthenticatedOnly(f.source)) {
              const onIngress = isIngress();
              if (onIngress === true) return;
              if (onIngress === "unknown") {
                pending.push(`whether ${policy} on cluster ${cluster} binds only ingress Gateways (its targetRefs or their classes), which decides rule ${i} from ${j}`);
                return;
              }
            }
            const judge = (source: Source | undefined) => openness(source) ?? (requirePrincipals && source ? coarseSource(source) : undefined);
            // Bound by selector or namespace, the policy is ztunnel's, which drops trust domains: a
            // source they bounded is judged without them (one left empty admits nobody there).
            const kept = ztunnelDropsTrustDomains(f.source) ? ztunnelSource(f.source) : undefined;
            const atZtunnel = kept ? (atZtunnelRead ??= probe(() => !spec.targetRef() && list(spec.targetRefs() as unknown[]).length === 0)) : undefined;
            const whyZtunnel = kept ? judge(kept) : undefined;
            const why = judge(f.source);
            if (whyZtunnel && atZtunnel?.known === false && !why) {
              pending.push(`whether ${policy} on cluster ${cluster} is enforced by ztunnel (its targetRefs), which decides rule ${i} from ${j}: ${whyZtunnel} once ztunnel drops its trustDomains`);
              return;
            }
            // Only where dropping them changes the verdict is it ztunnel's doing.
            if (whyZtunnel && whyZtunnel !== why && atZtunnel?.known && atZtunnel.value) finding(`${policy} rule ${i} from ${j}: ${whyZtunnel} (ztunnel, which enforces this policy, does not read trustDomains)`);
            else if (why) finding(`${policy} rule ${i} from ${j}: ${why}`);
          });
        });
      }
    }
    if (pending.length > 0) cannotJudge(pending);
  },
};
