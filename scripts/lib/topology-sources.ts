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

/** How principals and trust domains are matched where a policy is enforced. */
export interface Matching {
  /** istiod's `meshConfig.trustDomain`; undefined when the stack renders no istiod there. */
  trustDomain: string | undefined;
  /**
   * Set where Envoy enforces (waypoints, gateways): istiod's `meshConfig.trustDomainAliases`, which it
   * folds into principals and trust domains there (a `cluster.local` principal names the local trust
   * domain too); ztunnel gets the policy's strings as written (ambient/authorization.go, "TODO: TDA").
   */
  aliases?: string[];
}

const prefixOf = (a: string, pattern: string) => pattern.endsWith("*") && a.startsWith(pattern.slice(0, -1));
const suffixOf = (a: string, pattern: string) => pattern.startsWith("*") && a.endsWith(pattern.slice(1));

/**
 * The principals Envoy matches for one written principal (Istio 1.30.3
 * pilot/pkg/security/trustdomain/bundle.go ReplaceTrustDomainAliases): a `<td>/ns/<ns>/sa/<sa>`
 * whose trust domain is the local one, an alias (either side may be a `*` pattern) or `cluster.local`
 * stands for the same account in every trust domain of the bundle; others stay as written.
 */
export function withTrustDomainAliases(principal: string, bundle: string[]): string[] {
  const parts = principal.split("/");
  if (parts.length !== 5 || parts[0] === "*") return [principal];
  const td = parts[0];
  const known = bundle.some((s) => td === s || s === "*" || prefixOf(td, s) || prefixOf(s, td) || suffixOf(td, s) || suffixOf(s, td));
  if (!known && td !== "cluster.local") return [principal];
  return [...new Set(bundle.map((b) => (suffixOf(b, td) ? principal : [b, ...parts.slice(1)].join("/"))))];
}

/** A `trustDomains` value as Envoy matches the peer's trust domain: `*` any, one `*` any run of non-slash characters (generator.go srcTrustDomainGenerator). */
function trustDomainMatches(value: string, trustDomain: string): boolean {
  if (value === "*") return true;
  const star = value.indexOf("*");
  if (star < 0) return value === trustDomain;
  const [head, tail] = [value.slice(0, star), value.slice(star + 1)];
  return trustDomain.length >= head.length + tail.length && trustDomain.startsWith(head) && trustDomain.endsWith(tail);
}

/**
 * A predicate over `ns/sa` identities for one source, or undefined when the identity alone does
 * not decide it (addresses, request principals, a field this reading does not know, or a
 * trust-domain pattern while the mesh's trust domain is not known): no cell is filled on a guess.
 * Sources are read as Envoy reads them; for ztunnel, pass what ztunnel keeps of them
 * (topology-ztunnel.ts), without `aliases`.
 */
export function sourceAdmits(source: Record<string, string[] | undefined>, policyNamespace: string, matching: Matching): ((identity: string) => boolean) | undefined {
  const { trustDomain, aliases } = matching;
  const present = Object.entries(source).filter(([, v]) => Array.isArray(v) && v.length > 0) as [string, string[]][];
  if (present.some(([k]) => UNDECIDABLE.includes(k) || !KNOWN.includes(k))) return undefined;
  if (trustDomain === undefined && needsTrustDomain(source)) return undefined;
  const bundle = trustDomain !== undefined && aliases ? [trustDomain, ...aliases] : undefined;
  // Without the trust domain, an exact principal is read as naming its ServiceAccount in the mesh's.
  const principal = (pattern: string, ns: string, sa: string): boolean => {
    if (trustDomain !== undefined) return (bundle ? withTrustDomainAliases(pattern, bundle) : [pattern]).some((p) => stringMatches(p, `${trustDomain}/ns/${ns}/sa/${sa}`));
    const m = /^[^/]+\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(pattern);
    return pattern === "*" || (!!m && m[1] === ns && m[2] === sa);
  };
  const serviceAccount = (value: string, ns: string, sa: string) => (value.includes("/") ? value === `${ns}/${sa}` : policyNamespace === ns && value === sa);
  // Envoy expands a value naming a trust domain of the bundle to the whole bundle (ExpandTrustDomainAliases).
  const inTrustDomain = (value: string) =>
    trustDomain !== undefined && (bundle?.includes(value) ? bundle : [value]).some((v) => trustDomainMatches(v, trustDomain));
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

/**
 * The `when` conditions of a rule that the caller's identity decides (`source.principal`,
 * `source.namespace`: values ORed, notValues excluded, each condition ANDed with the rule), as a
 * predicate; undefined when the rule has none (or one needs the unknown trust domain). Other keys
 * (addresses, ports, request attributes) stay listed in the cell without deciding it.
 */
export function whenAdmits(rule: Record<string, any>, policyNamespace: string, matching: Matching): ((identity: string) => boolean) | undefined {
  const field: Record<string, [string, string]> = { "source.principal": ["principals", "notPrincipals"], "source.namespace": ["namespaces", "notNamespaces"] };
  const checks = ((rule.when ?? []) as { key: string; values?: string[]; notValues?: string[] }[])
    .filter((w) => field[w.key])
    .map((w) => sourceAdmits({ [field[w.key][0]]: w.values, [field[w.key][1]]: w.notValues }, policyNamespace, matching));
  if (!checks.length || checks.some((c) => !c)) return undefined;
  return (identity) => checks.every((c) => c!(identity));
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
