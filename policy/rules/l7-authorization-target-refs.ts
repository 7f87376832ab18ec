import type { ResourceValidationPolicy } from "@pulumi/policy";
import { AuthzSpec, l7Attributes, targetRefsOf } from "../lib/authz";
import { isAuthorizationPolicy, meta } from "../lib/k8s";
import { isObject } from "../lib/values";
import { selectorBindsNothing } from "../lib/ztunnel";

/**
 * In ambient mode a selector-attached policy is enforced by ztunnel, which sees only L4: Istio
 * cannot evaluate paths, methods, request attributes or the client's address behind proxies
 * there: istiod drops such rules from an ALLOW (it then admits nobody by them) and hands ztunnel a
 * DENY rule without its HTTP fields, which then denies on its ports alone, or, with no port or L4
 * source left, denies nobody (ztunnel skips an empty match: istio/ztunnel 1.30.3 rbac.rs
 * `rbac_empty_policy`). L7 rules must attach to a waypoint or gateway through targetRefs.
 */
export const l7AuthorizationTargetRefs: ResourceValidationPolicy = {
  name: "l7-authorization-target-refs",
  description:
    "AuthorizationPolicies with L7 attributes (to.operation paths/methods/hosts, `when` keys other than source.ip/namespace/principal and destination.ip/port, requestPrincipals, remoteIpBlocks) attach through targetRefs to a waypoint or gateway, never through a selector that ztunnel (L4 only) would enforce.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!isAuthorizationPolicy(args.type)) return;
    const spec = (args.props.spec ?? {}) as AuthzSpec;
    const l7 = l7Attributes(spec);
    if (l7.length === 0) return;
    const { namespace, name } = meta(args.props);
    if (targetRefsOf(spec).length === 0) {
      report(`AuthorizationPolicy ${namespace}/${name} uses ${l7.join(", ")} but attaches ${attachment(spec, namespace)}; attach it with targetRefs to the waypoint or Gateway`);
    }
  },
};

/**
 * How a policy without targetRefs attaches, for the message. An empty selector is not "a selector":
 * without matchLabels it is a WORKLOAD_SELECTOR policy with no label selector, which istiod hands
 * ztunnel for no workload (Istio 1.30.3 ambient/authorization.go convertAuthorizationPolicy,
 * workloads.go buildWorkloadPolicies), while Envoy reads an empty matchLabels as a subset of every
 * pod's labels (model/policyattachment.go isSelected); with an empty matchLabels it selects every
 * workload of the namespace at ztunnel too (krt FilterSelects: an empty selector matches).
 */
function attachment(spec: AuthzSpec, namespace: string): string {
  if (!spec.selector) return "namespace-wide";
  if (selectorBindsNothing(spec)) {
    return `through an empty selector (no matchLabels), which ztunnel enforces on no workload (istiod hands it only to the workloads a matchLabels selects) while the Envoy of an Istio gateway in namespace ${namespace} reads it as selecting every pod: it guards none of the namespace's ambient workloads`;
  }
  const labels = spec.selector.matchLabels;
  if (isObject(labels) && Object.keys(labels).length === 0) {
    return `through an empty selector (matchLabels {}), which selects every workload in namespace ${namespace}: ztunnel enforces it on each of them at L4 only (istiod drops an ALLOW rule's L7 attributes with the rule, a DENY rule's HTTP fields alone)`;
  }
  return "through a selector";
}
