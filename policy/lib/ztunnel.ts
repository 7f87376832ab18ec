/**
 * What of an AuthorizationPolicy Istio 1.30.3 actually enforces, where the authorization rules
 * need it: whether the policy is enforced at all (dry-run), which workloads a selector binds, and
 * what ztunnel keeps of a source. Sources: istio/istio 1.30.3
 * pilot/pkg/serviceregistry/ambient/authorization.go (convertAuthorizationPolicy, handleRule),
 * ambient/policies.go and workloads.go (buildWorkloadPolicies), pilot/pkg/security/authz/builder
 * (isDryRun); istio/ztunnel 1.30.3 src/rbac.rs (an empty match is skipped, `rbac_empty_policy`).
 */
import type { Source } from "./authz";
import { parseGoBool } from "./istio";
import { list } from "./values";

/**
 * Whether `istio.io/dry-run` makes the policy enforce nothing: ztunnel drops it (or only logs it,
 * with AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY) and Envoy builds it as shadow rules. Both read
 * the value with Go's strconv.ParseBool; a value it cannot parse leaves the policy enforced.
 * Throws the SDK's unknown-value error when the annotation is not known yet.
 */
export function isDryRun(props: Record<string, any>): boolean {
  return parseGoBool(props.metadata?.annotations?.["istio.io/dry-run"]) === true;
}

/**
 * Whether a policy's `selector` binds no workload: istiod attaches a selector policy to the
 * workloads its matchLabels select, and one with a `selector` but no matchLabels to none (its scope
 * is WORKLOAD_SELECTOR, not namespace, and buildWorkloadPolicies keeps only policies with a label
 * selector; Istio's validation warns "workload selector specified without labels").
 */
export function selectorBindsNothing(spec: { selector?: { matchLabels?: unknown } | null } | undefined): boolean {
  const selector = spec?.selector;
  return selector !== undefined && selector !== null && (selector.matchLabels === undefined || selector.matchLabels === null);
}

/** Source fields istiod does not hand ztunnel at all (no conversion for them in handleRule). */
export const ZTUNNEL_UNREAD_SOURCE_FIELDS = ["trustDomains", "notTrustDomains"] as const;

/**
 * A source as ztunnel matches it: without `trustDomains`/`notTrustDomains`, which istiod drops for
 * ztunnel, so beside other fields they narrow nothing. `undefined` when nothing ztunnel reads is
 * left: ztunnel skips an empty match, so such a source admits nobody there. (HTTP-only fields are
 * not stripped here: istiod drops a whole ALLOW rule holding any.)
 */
export function ztunnelSource(source: Source | undefined): Source | undefined {
  if (!source) return source;
  const kept = Object.fromEntries(Object.entries(source).filter(([k]) => !(ZTUNNEL_UNREAD_SOURCE_FIELDS as readonly string[]).includes(k))) as Source;
  return Object.values(kept).some((v) => list(v as string[] | undefined).length > 0) ? kept : undefined;
}

/** Whether ztunnel reads the source differently from how it is written (it sets trust domains). */
export function ztunnelDropsTrustDomains(source: Source | undefined): boolean {
  return ZTUNNEL_UNREAD_SOURCE_FIELDS.some((k) => list(source?.[k]).length > 0);
}
