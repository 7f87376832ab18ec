/**
 * The callers an ALLOW rule admits, for the agent-call-graph rule: named identities, callers named
 * by place (namespace, trust domain, address, request principal), or everyone; read as the proxy
 * that enforces the rule matches them (ztunnel drops trust domains, {@link ztunnelSource}).
 */
import { parsePrincipal, principalReach, Rule, Source } from "./authz";
import { list } from "./values";
import { ztunnelDropsTrustDomains, ztunnelSource } from "./ztunnel";

/** Source fields that name callers by place or credential rather than by mesh identity. */
const PLACE_FIELDS = ["namespaces", "trustDomains", "ipBlocks", "remoteIpBlocks", "requestPrincipals"] as const;

/** One caller an ALLOW rule admits. */
export type Caller =
  | { kind: "identity"; shown: string; id: string }
  /** Callers named by place: `entries` holds, per source field, the extraCallers entries that admit it. */
  | { kind: "place"; shown: string; entries: string[][] }
  | { kind: "anyone"; shown: string }
  /** A principal this rule cannot parse: authorization-principals-known and -sources-restricted report it. */
  | { kind: "unread"; shown: string };

export function sourceCallers(source: Source, namespace: string): Caller[] {
  const principals = list(source.principals);
  const serviceAccounts = list(source.serviceAccounts);
  const fields = PLACE_FIELDS.filter((k) => list(source[k]).length > 0);
  // A principal matching every namespace's callers (`*`, `*/sa/<sa>`; values are ORed) names no
  // identity: the fields ANDed beside it are the source's only bound, so it admits by place.
  const wide = principals.some((p) => ["any", "across"].includes(principalReach(p).kind));
  // Fields of a source are ANDed: named identities bound it whatever else it says.
  if ((principals.length > 0 && !(wide && fields.length > 0)) || serviceAccounts.length > 0) {
    return [
      ...principals.map((p): Caller => {
        const parsed = parsePrincipal(p);
        return parsed ? { kind: "identity", shown: p, id: `${parsed.namespace}/${parsed.serviceAccount}` } : { kind: "unread", shown: p };
      }),
      // Istio 1.30's serviceAccounts: a bare name is in the policy's namespace.
      ...serviceAccounts.map((sa): Caller =>
        sa === "*" ? { kind: "unread", shown: `serviceAccount ${sa}` } : { kind: "identity", shown: `serviceAccount ${sa}`, id: sa.includes("/") ? sa : `${namespace}/${sa}` },
      ),
    ];
  }
  if (fields.length > 0) {
    return [{ kind: "place", shown: fields.map((k) => `${k} ${list(source[k]).join(", ")}`).join(" and "), entries: fields.map((k) => list(source[k]).map((v) => `${k}:${v}`)) }];
  }
  return [{ kind: "anyone", shown: "every caller (a source naming no principals, serviceAccounts, namespaces or addresses)" }];
}

/**
 * The callers of a rule. `atZtunnel`: the policy binds by selector or namespace, so ztunnel
 * enforces it and matches a source without its trust domains: beside a principal `*` they bound
 * nothing there (the source admits everyone), and a source of only trust domains is left empty,
 * which ztunnel skips (it admits nobody).
 */
export function ruleCallers(rule: Rule, namespace: string, atZtunnel = false): Caller[] {
  const from = list(rule.from);
  if (from.length === 0) return [{ kind: "anyone", shown: "every caller (a rule without from)" }];
  return from.flatMap((f) => {
    if (!atZtunnel || !ztunnelDropsTrustDomains(f.source)) return sourceCallers(f.source ?? {}, namespace);
    const kept = ztunnelSource(f.source);
    if (!kept) return [];
    // A wildcard principal the trust domains bounded is, without them, every caller.
    return sourceCallers(kept, namespace).map((c): Caller => {
      const reach = c.kind === "unread" ? principalReach(c.shown).kind : undefined;
      return reach === "any" || reach === "across" ? { kind: "anyone", shown: `${c.shown} (ztunnel, which enforces this policy, does not read trustDomains)` } : c;
    });
  });
}
