/**
 * Istio AuthorizationPolicy reading (security.istio.io/v1): actions, rules, sources, principals and
 * L7 attributes. Which proxies and ServiceAccounts the principals can name: gateway-proxies.ts.
 */
import { list } from "./values";

export interface Source {
  principals?: string[];
  notPrincipals?: string[];
  requestPrincipals?: string[];
  notRequestPrincipals?: string[];
  namespaces?: string[];
  notNamespaces?: string[];
  ipBlocks?: string[];
  notIpBlocks?: string[];
  remoteIpBlocks?: string[];
  notRemoteIpBlocks?: string[];
  /** Istio 1.30: `namespace/serviceAccount`, or a bare name in the policy's namespace. */
  serviceAccounts?: string[];
  notServiceAccounts?: string[];
  trustDomains?: string[];
  notTrustDomains?: string[];
}

export interface Rule {
  from?: { source?: Source }[];
  to?: { operation?: Record<string, string[] | undefined> }[];
  when?: { key: string; values?: string[]; notValues?: string[] }[];
}

export interface AuthzSpec {
  action?: string;
  rules?: Rule[];
  selector?: { matchLabels?: Record<string, string> };
  targetRef?: { group?: string; kind: string; name: string };
  targetRefs?: { group?: string; kind: string; name: string }[];
}

/** The action of a policy; Istio defaults to ALLOW. */
export function actionOf(spec: AuthzSpec): string {
  return spec.action ?? "ALLOW";
}

/**
 * The actions Istio 1.30.3's AuthorizationPolicy CRD takes (an enum, matched exactly): the API
 * server refuses a policy with any other (`allow`, `Allow`), so what it was meant to enforce never applies.
 */
export const ACTIONS = ["ALLOW", "DENY", "AUDIT", "CUSTOM"];

/** Why an action (as actionOf reads it) is refused by the API server, or undefined for one of the CRD's. */
export function refusedAction(action: unknown): string | undefined {
  if (typeof action === "string" && ACTIONS.includes(action)) return undefined;
  return `action ${JSON.stringify(action)} is not an action Istio knows (ALLOW, DENY, AUDIT or CUSTOM, in capitals): the API server refuses the policy`;
}

const openCidrs = new Set(["0.0.0.0/0", "::/0"]);
const positiveKeys: (keyof Source)[] = ["principals", "requestPrincipals", "namespaces", "ipBlocks", "remoteIpBlocks", "serviceAccounts", "trustDomains"];

/** Which trust domains a principal pattern admits: one, or those ending (`suffix: ""`: any) or starting with a string. */
export type TrustDomainMatch = { exact: string } | { suffix: string } | { prefix: string };

/**
 * What a principal can match. Istio 1.30.3 reads `*` as every identity, a leading `*` as a suffix
 * match and a trailing `*` as a prefix match, anything else exactly (ztunnel's policies:
 * pilot/pkg/serviceregistry/ambient/authorization.go stringToMatch; waypoints' and gateways':
 * pilot/pkg/security/authz/matcher/string.go StringMatcherWithPrefix); a `*` anywhere else is a
 * literal character, which no identity has. Identities are
 * `<trustDomain>/ns/<namespace>/sa/<serviceAccount>` (no `/` inside a segment), so a pattern
 * names one ServiceAccount (in one or many trust domains), the ServiceAccounts of one namespace,
 * callers across namespaces, or nothing at all.
 */
export type PrincipalReach =
  | { kind: "any" }
  | { kind: "serviceAccount"; namespace: string; serviceAccount: string; trustDomain: TrustDomainMatch }
  /** Every ServiceAccount of the namespace whose name starts with `serviceAccountPrefix` ("" for all). */
  | { kind: "namespace"; namespace: string; serviceAccountPrefix: string; trustDomain: TrustDomainMatch }
  /** Callers in more than one namespace (`matches` says which). */
  | { kind: "across"; trustDomain: TrustDomainMatch; matches: string }
  | { kind: "none"; why: string };

const ANY_TRUST_DOMAIN: TrustDomainMatch = { suffix: "" };
const IDENTITY_FORM = "<trustDomain>/ns/<namespace>/sa/<serviceAccount>";

export function trustDomainMatches(m: TrustDomainMatch, trustDomain: string): boolean {
  return "exact" in m ? m.exact === trustDomain : "suffix" in m ? trustDomain.endsWith(m.suffix) : trustDomain.startsWith(m.prefix);
}

export function describeTrustDomains(m: TrustDomainMatch): string {
  if ("exact" in m) return `trust domain ${m.exact}`;
  if ("prefix" in m) return `trust domains starting with "${m.prefix}"`;
  return m.suffix === "" ? "every trust domain" : `trust domains ending in "${m.suffix}"`;
}

export function principalReach(p: unknown): PrincipalReach {
  const none = (why: string): PrincipalReach => ({ kind: "none", why });
  // The CRD types principals as strings, so the API server refuses another entry: it matches
  // nobody, and authorization-principals-known reports it (no stack policy fails reading it).
  if (typeof p !== "string") return none(`is not a string: the AuthorizationPolicy CRD types principals as a list of strings, so the API server refuses it`);
  if (p === "*") return { kind: "any" };
  const suffix = p.startsWith("*");
  const prefix = !suffix && p.endsWith("*");
  if (!suffix && !prefix) {
    if (p.includes("*")) return none("matches no identity: Istio reads `*` as a wildcard only as the whole value or its first or last character, and no identity has a literal `*`");
    const parsed = parsePrincipal(p);
    if (!parsed) return none(`is not ${IDENTITY_FORM}`);
    return { kind: "serviceAccount", namespace: parsed.namespace, serviceAccount: parsed.serviceAccount, trustDomain: { exact: parsed.trustDomain } };
  }
  const fixed = suffix ? p.slice(1) : p.slice(0, -1);
  if (fixed.includes("*")) return none("matches no identity: Istio reads only one leading or trailing `*` as a wildcard, and no identity has a literal `*`");
  const segs = fixed.split("/");
  const n = segs.length;
  if (n > 5) return none(`matches no identity: it has more segments than ${IDENTITY_FORM}`);
  // Where each segment of the pattern sits in an identity's five: a suffix's last segments are the
  // identity's last ones (its first may be the tail of one), a prefix's first are its first (its
  // last may be the head of one).
  const at = (i: number) => (suffix ? 5 - n + i : i);
  const partial = suffix ? 0 : n - 1;
  const fits = (i: number, whole: string) => (i === partial ? (suffix ? whole.endsWith(segs[i]) : whole.startsWith(segs[i])) : segs[i] === whole);
  for (let i = 0; i < n; i++) {
    const literal = at(i) === 1 ? "ns" : at(i) === 3 ? "sa" : undefined;
    if (literal && !fits(i, literal)) return none(`matches no identity: it is not part of ${IDENTITY_FORM}`);
    // A trust domain, namespace or ServiceAccount named whole is never empty.
    if (!literal && i !== partial && segs[i] === "") return none(`matches no identity: it has an empty segment where ${IDENTITY_FORM} has a name`);
  }
  const seg = (pos: number) => segs[pos - at(0)];
  const whole = (pos: number) => pos >= at(0) && pos <= at(n - 1) && pos - at(0) !== partial;
  if (suffix) {
    const td: TrustDomainMatch = n === 5 ? { suffix: segs[0] } : ANY_TRUST_DOMAIN;
    if (whole(2)) return { kind: "serviceAccount", namespace: seg(2), serviceAccount: seg(4), trustDomain: td };
    const sa = whole(4) ? `ServiceAccount ${seg(4)}` : `every ServiceAccount whose name ends in "${seg(4)}",`;
    const namespaces = n === 3 && seg(2) !== "" ? `every namespace whose name ends in "${seg(2)}"` : "every namespace";
    return { kind: "across", trustDomain: td, matches: `${sa} in ${namespaces} (${describeTrustDomains(td)})` };
  }
  const td: TrustDomainMatch = n === 1 ? { prefix: segs[0] } : { exact: segs[0] };
  if (whole(2)) return { kind: "namespace", namespace: seg(2), serviceAccountPrefix: n === 5 ? seg(4) : "", trustDomain: td };
  const namespaces = n === 3 && seg(2) !== "" ? `every namespace whose name starts with "${seg(2)}"` : "every namespace";
  return { kind: "across", trustDomain: td, matches: `every identity in ${namespaces} (${describeTrustDomains(td)})` };
}

/** A principal's reach in words, for messages: what a namespace-wide pattern admits. */
export function describeNamespaceReach(r: Extract<PrincipalReach, { kind: "namespace" }>): string {
  return r.serviceAccountPrefix === "" ? `every ServiceAccount of namespace ${r.namespace}` : `every ServiceAccount of namespace ${r.namespace} whose name starts with "${r.serviceAccountPrefix}"`;
}

/**
 * Why a source admits everyone (or anyone unauthenticated), or undefined when it is specific.
 * Values of one field are ORed and the fields of a source ANDed (istio/api Source), so a source
 * is open only if every positive field it sets is: one field naming specific callers restricts it.
 * A principal is open when it can match callers in more than one namespace ({@link principalReach}:
 * `*`, `<trustDomain>/*`, a leading `*` before `/sa/default`); one that names a ServiceAccount in
 * any trust domain (a leading `*` before `/ns/<ns>/sa/<sa>`) or the identities of one namespace
 * (`<td>/ns/<ns>/*`) is not.
 */
export function openness(source: Source | undefined): string | undefined {
  if (!source) return "an empty source matches every caller";
  const present = positiveKeys.filter((k) => list(source[k]).length > 0);
  if (present.length === 0) return "a source with only not* fields matches everyone it does not exclude";
  const reasons: string[] = [];
  for (const key of present) {
    const values = list(source[key]);
    if (key === "principals") {
      const open = values.map((p) => ({ p, reach: principalReach(p) })).find(({ reach }) => reach.kind === "any" || reach.kind === "across");
      if (open === undefined) return undefined;
      reasons.push(open.reach.kind === "across" ? `${key} ${JSON.stringify(open.p)} matches ${open.reach.matches}` : `${key} ${JSON.stringify(open.p)} matches every caller`);
      continue;
    }
    // "*" matches everyone; "<trustDomain>/*" every identity of the mesh; 0.0.0.0/0 every address.
    const addresses = key === "ipBlocks" || key === "remoteIpBlocks";
    const open = addresses ? values.find((c) => openCidrs.has(c)) : values.find((p) => p === "*" || /^[^/]*\/\*$/.test(p) || /^\*\//.test(p));
    if (open === undefined) return undefined;
    reasons.push(addresses ? `${key} ${open} matches every address` : `${key} ${JSON.stringify(open)} matches every caller`);
  }
  return reasons.join(" and ");
}

/** The source of an ingress gateway's external callers: exactly "no mesh identity". */
export function isUnauthenticatedOnly(source: Source | undefined): boolean {
  if (!source) return false;
  const keys = Object.entries(source).filter(([, v]) => list(v as string[]).length > 0).map(([k]) => k);
  return keys.length === 1 && keys[0] === "notPrincipals" && list(source.notPrincipals).includes("*");
}

const l7OperationKeys = ["paths", "notPaths", "methods", "notMethods", "hosts", "notHosts"];
/** The only `when` keys ztunnel evaluates (Istio 1.30 pilot/pkg/serviceregistry/ambient/authorization.go). */
const l4WhenKeys = new Set(["source.ip", "source.namespace", "source.principal", "destination.ip", "destination.port"]);
/** Source fields only an L7 proxy sees (the client's address behind proxies, request credentials). */
const l7SourceKeys = ["requestPrincipals", "notRequestPrincipals", "remoteIpBlocks", "notRemoteIpBlocks"] as const;

/** The L7 attributes a policy's rules use (only a waypoint or gateway can enforce them). */
export function l7Attributes(spec: AuthzSpec): string[] {
  const out = new Set<string>();
  // Null entries (refused by the API server) set nothing.
  for (const rule of list(spec.rules)) {
    for (const to of list(rule?.to)) {
      for (const key of l7OperationKeys) if (list(to?.operation?.[key]).length > 0) out.add(`to.operation.${key}`);
    }
    for (const when of list(rule?.when)) if (typeof when?.key === "string" && !l4WhenKeys.has(when.key)) out.add(`when ${when.key}`);
    for (const from of list(rule?.from)) {
      for (const key of l7SourceKeys) if (list(from?.source?.[key]).length) out.add(`from.source.${key}`);
    }
  }
  return [...out];
}

export function targetRefsOf(spec: AuthzSpec): { group?: string; kind: string; name: string }[] {
  // The CRD requires objects with kind and name; another entry (refused by the API server) still
  // counts as a targetRef but names nothing, so it binds nothing and no reader fails on it.
  const ref = (r: unknown) => (r !== null && typeof r === "object" && !Array.isArray(r) ? (r as { group?: string; kind: string; name: string }) : { kind: "", name: "" });
  return [...list(spec.targetRefs as unknown[]), ...(spec.targetRef ? [spec.targetRef] : [])].map(ref);
}

/** `<trustDomain>/ns/<namespace>/sa/<serviceAccount>` parts, or undefined for other principal forms. */
export function parsePrincipal(p: string): { trustDomain: string; namespace: string; serviceAccount: string } | undefined {
  const m = /^(.+)\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(p);
  return m ? { trustDomain: m[1], namespace: m[2], serviceAccount: m[3] } : undefined;
}

/**
 * The `when` keys that name callers by their mesh identity. Istio 1.30.3 builds each with the
 * generator of the source field of that name (security/authz/model/model.go New), so it matches
 * them as it matches from.source.principals, namespaces and serviceAccounts: against the peer's
 * SPIFFE identity. `request.auth.principal` is a JWT's `iss/sub`, no mesh identity.
 */
const identityWhenKeys = ["source.principal", "source.namespace", "source.serviceAccount"];

/** The identity keys (as {@link identityWhenKeys}) a rule's `when` conditions set values or notValues for. */
export function identityConditions(rule: Rule): string[] {
  const keys = list(rule.when).filter((w) => typeof w?.key === "string" && identityWhenKeys.includes(w.key) && list(w.values).length + list(w.notValues).length > 0);
  return [...new Set(keys.map((w) => w.key))];
}

/**
 * The principals a rule's `when` conditions on `source.principal` name (values and notValues).
 * Istio 1.30.3 matches them exactly as it matches from.source.principals: ztunnel gets both as one
 * StringMatch list (pilot/pkg/serviceregistry/ambient/authorization.go handleRule, whenMatch with
 * stringToMatch; ztunnel src/rbac.rs matches_principal), a waypoint's or gateway's Envoy builds both
 * with srcPrincipalGenerator and rewrites both for trust domain aliases (model.go MigrateTrustDomain).
 */
export function principalConditions(rule: Rule): unknown[] {
  return list(rule.when).flatMap((w) => (w?.key === "source.principal" ? [...list(w.values), ...list(w.notValues)] : []));
}

/**
 * The ServiceAccounts a rule's `when` conditions on `source.serviceAccount` name (values and
 * notValues): `<namespace>/<name>`, or a bare name in the policy's namespace, as from.source
 * serviceAccounts are read (Istio 1.30.3 security/authz/model/model.go New builds both with
 * srcServiceAccountGenerator; generator.go serviceAccountRegex).
 */
export function serviceAccountConditions(rule: Rule): unknown[] {
  return list(rule.when).flatMap((w) => (w?.key === "source.serviceAccount" ? [...list(w.values), ...list(w.notValues)] : []));
}
