/**
 * configSchema fragments for knobs that name Kubernetes objects. `pulumi preview` checks a
 * `--policy-pack-config` against each policy's configSchema with gojsonschema v1.2.0
 * (pkg/resource/analyzer/config.go validatePolicyConfig; no `$schema`, so its hybrid draft, which
 * enforces `pattern`, `maxLength`, `uniqueItems`, `propertyNames` and a nested
 * `additionalProperties`) and refuses the preview on a mismatch: a malformed entry is stopped there,
 * instead of matching no object and showing up as extra violations. Patterns are matched by Go's
 * RE2 in the engine and by a JS `u` RegExp offline, so they keep to what both read alike: explicit
 * ASCII classes, anchors, bounded repetition, no `.` and no `\s`.
 */

const LABEL = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";
const SUBDOMAIN = `[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*`;
/** A label key's name part (apimachinery IsQualifiedName). */
const QUALIFIED_NAME_PART = "([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]";

type Fragment = Record<string, unknown>;

/** A namespace name (DNS-1123 label: the API server refuses any other). */
export const namespaceName: Fragment = { type: "string", pattern: `^${LABEL}$` };

/** `namespace/name` of a namespaced object whose name is a DNS-1123 subdomain (ServiceAccount, ConfigMap, Helm release). */
export const namespacedName: Fragment = { type: "string", pattern: `^${LABEL}/${SUBDOMAIN}$`, maxLength: 317 };

/** The name of a cluster-scoped object such as a GatewayClass (DNS-1123 subdomain). */
export const objectName: Fragment = { type: "string", pattern: `^${SUBDOMAIN}$`, maxLength: 253 };

/** A label or taint key, or an extended resource name: `[prefix/]name` (apimachinery IsQualifiedName). */
export const qualifiedName: Fragment = { type: "string", pattern: `^(${SUBDOMAIN}/)?${QUALIFIED_NAME_PART}$`, maxLength: 317 };

/**
 * An extended resource name as a device plugin advertises it and a container requests it:
 * `domain/name`. An unprefixed name is refused in a container's resources unless it is a standard
 * one such as cpu (Kubernetes validateContainerResourceName), so it could never name a GPU.
 */
export const extendedResourceName: Fragment = { type: "string", pattern: `^${SUBDOMAIN}/${QUALIFIED_NAME_PART}$`, maxLength: 317 };

/** A label or taint value: empty, or up to 63 alphanumerics, `-`, `_` and `.` (apimachinery IsValidLabelValue). */
export const labelValue: Fragment = { type: "string", pattern: `^(${QUALIFIED_NAME_PART})?$` };

/** A suffix of Gateway listener hostnames (Gateway API's hostname pattern, the leading label optional); never empty, which every hostname ends with. */
export const hostnameSuffix: Fragment = { type: "string", pattern: `^\\.?${SUBDOMAIN}$`, maxLength: 253 };

/** An HTTP header name as Gateway API's HTTPHeaderMatch takes it (standard-install.yaml v1.5.1). */
export const httpHeaderName: Fragment = { type: "string", pattern: "^[A-Za-z0-9!#$%&'*+\\-.^_\\x60|~]+$", maxLength: 256 };

/** An Istio cluster name as a remote secret keys it: a Secret data key (apimachinery IsConfigMapKey). */
export const secretDataKey: Fragment = { type: "string", pattern: "^[-._a-zA-Z0-9]+$", maxLength: 253 };

/**
 * An agent-call-graph caller: `namespace/serviceAccount` (a trailing `*` stands for the prefix
 * match of a principal such as `<td>/ns/batch/sa/*`, which the call graph reads as `batch/*`), or
 * `<field>:<value>` for one of the source fields that name callers by place.
 */
export const callerEntry: Fragment = {
  type: "string",
  pattern: `^(${LABEL}/(${SUBDOMAIN}|[-a-z0-9.]*\\*)|(namespaces|trustDomains|ipBlocks|remoteIpBlocks|requestPrincipals):[^\\t\\n\\v\\f\\r ]+)$`,
};

/** A set of strings: a repeated entry is a slip (another entry meant), and some lists report once per entry. */
export function setOf(item: Fragment): Fragment {
  return { type: "array", items: item, uniqueItems: true };
}
