import type { ResourceValidationPolicy } from "@pulumi/policy";
import { AuthzSpec, l7Attributes, targetRefsOf } from "../lib/authz";
import { isAuthorizationPolicy, meta } from "../lib/k8s";

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
      report(`AuthorizationPolicy ${namespace}/${name} uses ${l7.join(", ")} but attaches ${spec.selector ? "through a selector" : "namespace-wide"}; attach it with targetRefs to the waypoint or Gateway`);
    }
  },
};
