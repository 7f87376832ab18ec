/**
 * Which mesh identities an AuthorizationPolicy source admits, with Istio 1.30.3's semantics, so
 * the who-may-call-whom matrix can put a rule written with namespaces, wildcards, `not*` fields or
 * no sources at all into the cells of the ServiceAccounts it covers (not only into a row of its
 * own). Values of one field are ORed, the fields of a source ANDed, `not*` fields exclude (istio/api
 * security/v1beta1 Source); strings are matched as ztunnel and the proxies do: `*` is presence, a
 * leading `*` a suffix, a trailing `*` a prefix, else exact (pilot/pkg/serviceregistry/ambient/
 * authorization.go stringToMatch; pilot/pkg/security/authz/matcher/string.go). `serviceAccounts`
 * is `ns/sa` or a bare name in the policy's namespace (stringToServiceAccountMatch).
 */

/** `<trustDomain>/ns/<ns>/sa/<sa>` and the `ns/sa` the matrix names rows by. */
export const IDENTITY = /^([^ /]+)\/([^ /]+)$/;

export function stringMatches(pattern: string, value: string): boolean {
  if (pattern === "*") return value !== "";
  if (pattern.startsWith("*")) return value.endsWith(pattern.slice(1));
  if (pattern.endsWith("*")) return value.startsWith(pattern.slice(0, -1));
  return pattern === value;
}

/** Source fields no identity decides: addresses and request credentials. */
const UNDECIDABLE = ["ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks", "requestPrincipals", "notRequestPrincipals"];
const KNOWN = ["principals", "notPrincipals", "namespaces", "notNamespaces", "serviceAccounts", "notServiceAccounts", "trustDomains", "notTrustDomains"];

/** Whether some pattern of the source can only be judged with the mesh's trust domain known. */
function needsTrustDomain(source: Record<string, string[] | undefined>): boolean {
  const wild = (v: string) => v !== "*" && (v.startsWith("*") || v.endsWith("*"));
  return [...(source.principals ?? []), ...(source.notPrincipals ?? [])].some(wild) || !!(source.trustDomains?.length || source.notTrustDomains?.length);
}

/**
 * A predicate over `ns/sa` identities for one source, or undefined when the identity alone does
 * not decide it (addresses, request principals, a field this reading does not know, or a
 * trust-domain pattern while the mesh's trust domain is not known): no cell is filled on a guess.
 */
export function sourceAdmits(source: Record<string, string[] | undefined>, policyNamespace: string, trustDomain: string | undefined): ((identity: string) => boolean) | undefined {
  const present = Object.entries(source).filter(([, v]) => Array.isArray(v) && v.length > 0) as [string, string[]][];
  if (present.some(([k]) => UNDECIDABLE.includes(k) || !KNOWN.includes(k))) return undefined;
  if (trustDomain === undefined && needsTrustDomain(source)) return undefined;
  // Without the trust domain, an exact principal is read as naming its ServiceAccount in the mesh's.
  const principal = (pattern: string, ns: string, sa: string): boolean => {
    if (trustDomain !== undefined) return stringMatches(pattern, `${trustDomain}/ns/${ns}/sa/${sa}`);
    const m = /^[^/]+\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(pattern);
    return pattern === "*" || (!!m && m[1] === ns && m[2] === sa);
  };
  const serviceAccount = (value: string, ns: string, sa: string) => (value.includes("/") ? value === `${ns}/${sa}` : policyNamespace === ns && value === sa);
  const inTrustDomain = (value: string) => trustDomain !== undefined && stringMatches(value, trustDomain);
  const checks = present.map(([key, values]): ((ns: string, sa: string) => boolean) => {
    const any = (f: (v: string, ns: string, sa: string) => boolean) => (ns: string, sa: string) => values.some((v) => f(v, ns, sa));
    switch (key) {
      case "principals": return any(principal);
      case "notPrincipals": return (ns, sa) => !any(principal)(ns, sa);
      case "namespaces": return any((v, ns) => stringMatches(v, ns));
      case "notNamespaces": return (ns, sa) => !any((v, n) => stringMatches(v, n))(ns, sa);
      case "serviceAccounts": return any(serviceAccount);
      case "notServiceAccounts": return (ns, sa) => !any(serviceAccount)(ns, sa);
      case "trustDomains": return () => values.some(inTrustDomain);
      default: return () => !values.some(inTrustDomain); // notTrustDomains
    }
  });
  return (identity) => {
    const m = IDENTITY.exec(identity);
    return !!m && checks.every((c) => c(m[1], m[2]));
  };
}

const L7_OPERATIONS = ["hosts", "notHosts", "methods", "notMethods", "paths", "notPaths"];
export const L7_SOURCES = ["requestPrincipals", "notRequestPrincipals", "remoteIpBlocks", "notRemoteIpBlocks"];
/** The only `when` keys ztunnel evaluates (Istio 1.30.3 pilot/pkg/serviceregistry/ambient/authorization.go l4WhenAttributes). */
export const L4_WHEN = new Set(["source.ip", "source.namespace", "source.principal", "destination.ip", "destination.port"]);

/** The HTTP attributes of a rule: ztunnel drops such a rule from an ALLOW policy and ignores them in a DENY one. */
export function l7Attributes(rule: Record<string, any>): string[] {
  const out = new Set<string>();
  for (const to of rule.to ?? []) for (const k of L7_OPERATIONS) if (to.operation?.[k]?.length) out.add(k);
  for (const from of rule.from ?? []) for (const k of L7_SOURCES) if (from.source?.[k]?.length) out.add(k);
  for (const w of rule.when ?? []) if (!L4_WHEN.has(w.key)) out.add(`when ${w.key}`);
  return [...out];
}
