/**
 * What the stack's RBAC objects grant a ServiceAccount, as the API server's RBAC authorizer reads
 * them: a binding's subjects name the account itself, its username
 * (`system:serviceaccount:<ns>:<name>`) or a group it is in; a RoleBinding grants its role's rules
 * in its own namespace only, a ClusterRoleBinding everywhere. Read by picker-rbac.ts (an endpoint
 * picker's account) and reader-accounts.ts (the account a remote secret reads a cluster as).
 * A ClusterRole the stack does not render as an object has known rules only where the caller
 * passes them (a chart release's role, reader-rbac.ts) or it is a built-in one of fixed rules:
 * `cluster-admin` (Kubernetes bootstrappolicy policy.go ClusterRoles: every verb on every
 * resource of every group). The aggregated built-ins (`admin`, `edit`, `view`: their rules are the
 * union of every ClusterRole of the cluster labelled `rbac.authorization.k8s.io/aggregate-to-<role>`,
 * which the stack need not render) stay unknown.
 */
import type { PolicyResource } from "@pulumi/policy";
import { isKind, meta } from "./k8s";
import { list } from "./values";

export type Rule = { apiGroups?: string[]; resources?: string[]; verbs?: string[]; resourceNames?: string[] };

/** Verbs on one resource of one API group ("" for core). */
export interface Need {
  group: string;
  resource: string;
  verbs: string[];
}

/** Whether a binding subject names the ServiceAccount (directly, as its user, or by a group it is in). */
function names(subject: any, sa: string, ns: string, bindingNs: string | undefined): boolean {
  if (subject?.kind === "ServiceAccount") return subject.name === sa && (subject.namespace ?? bindingNs) === ns;
  if (subject?.kind === "User") return subject.name === `system:serviceaccount:${ns}:${sa}`;
  if (subject?.kind === "Group") return ["system:serviceaccounts", `system:serviceaccounts:${ns}`, "system:authenticated"].includes(subject.name);
  return false;
}

const grants = (rule: Rule, need: Need, verb: string) =>
  list(rule.resourceNames).length === 0 &&
  list(rule.apiGroups).some((g) => g === "*" || g === need.group) &&
  list(rule.resources).some((r) => r === "*" || r === need.resource) &&
  list(rule.verbs).some((v) => v === "*" || v === verb);

/** One binding of the stack naming the account. */
export interface AccountBinding {
  binding: PolicyResource;
  /** A ClusterRoleBinding (grants everywhere); else a RoleBinding in `namespace`. */
  clusterWide: boolean;
  namespace: string | undefined;
  roleRef: { kind?: string; name?: string };
  /** The rules of the role it names; undefined where the stack does not hold that role (a built-in or pre-existing one, or a chart's). */
  rules: Rule[] | undefined;
}

/** The built-in ClusterRoles whose rules no cluster changes (not aggregated). */
export const BUILTIN_CLUSTER_ROLES: ReadonlyMap<string, Rule[]> = new Map([["cluster-admin", [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }]]]);

/**
 * Every RoleBinding (in any namespace) and ClusterRoleBinding of `resources` naming ServiceAccount
 * `ns`/`sa`; a bound ClusterRole the stack does not render takes its rules from `known` (the
 * caller's roles rendered outside the stack's objects, e.g. by a chart release), if there.
 */
export function accountBindings(resources: PolicyResource[], sa: string, ns: string, known: ReadonlyMap<string, Rule[]> = new Map()): AccountBinding[] {
  const rbac = (kind: string) => resources.filter((r) => isKind(r.type, "rbac.authorization.k8s.io", kind));
  const out: AccountBinding[] = [];
  for (const [kind, namespaced] of [["RoleBinding", true], ["ClusterRoleBinding", false]] as const) {
    for (const b of rbac(kind)) {
      const bindingNs = namespaced ? meta(b.props).namespace : undefined;
      if (!list(b.props.subjects as unknown[]).some((s) => names(s, sa, ns, bindingNs))) continue;
      const ref = b.props.roleRef ?? {};
      const role = rbac(ref.kind === "Role" ? "Role" : "ClusterRole").find((r) => meta(r.props).name === ref.name && (ref.kind !== "Role" || meta(r.props).namespace === bindingNs));
      const outside = ref.kind === "Role" ? undefined : known.get(String(ref.name));
      out.push({ binding: b, clusterWide: !namespaced, namespace: bindingNs, roleRef: ref, rules: role ? list(role.props.rules as Rule[]) : outside });
    }
  }
  return out;
}

/** Each verb of `needs` no rule allows, as `<verb> <resource>[ (<group>)]`. */
export function missingGrants(rules: Rule[], needs: Need[]): string[] {
  return needs.flatMap((n) => n.verbs.filter((v) => !rules.some((r) => grants(r, n, v))).map((v) => `${v} ${n.resource}${n.group ? ` (${n.group})` : ""}`));
}
