/**
 * What the stack's RBAC objects grant a ServiceAccount, as the API server's RBAC authorizer reads
 * them: a binding's subjects name the account itself, its username
 * (`system:serviceaccount:<ns>:<name>`) or a group it is in; a RoleBinding grants its role's rules
 * in its own namespace only, a ClusterRoleBinding everywhere. Read by picker-rbac.ts (an endpoint
 * picker's account) and reader-accounts.ts (the account a remote secret reads a cluster as).
 * A ClusterRole the stack does not render as an object has known rules only where the caller
 * passes them (a chart release's role, reader-rbac.ts) or it is a built-in one (Kubernetes
 * bootstrappolicy policy.go ClusterRoles): `cluster-admin` grants every verb on every resource of
 * every group. A ClusterRole with an `aggregationRule` (the built-ins `admin`, `edit`, `view`, or
 * one the stack renders) holds whatever rules it is written with only until the controller-manager
 * overwrites them with the union of the rules of every other ClusterRole of the cluster one of its
 * clusterRoleSelectors matches (pkg/controller/clusterroleaggregation syncClusterRole): its rules
 * are at least those of the matching ClusterRoles the stack renders and the built-ins below, and
 * ClusterRoles outside the stack may add any, so what they lack stays unknown.
 */
import type { PolicyResource } from "@pulumi/policy";
import { isKind, matchesSelector, meta } from "./k8s";
import { list } from "./values";

export type Rule = { apiGroups?: string[]; resources?: string[]; verbs?: string[]; resourceNames?: string[] };

/** Verbs on one resource of one API group ("" for core). */
export interface Need {
  group: string;
  resource: string;
  verbs: string[];
}

/** Who the API server authenticated a request as: its user, its groups, and its ServiceAccount where it is one. */
export interface Identity {
  user: string;
  groups: string[];
  serviceAccount?: { namespace: string; name: string };
}

/** A ServiceAccount's identity (its token's user and groups, system:authenticated added by the authenticator). */
export const accountIdentity = (sa: string, ns: string): Identity => ({
  user: `system:serviceaccount:${ns}:${sa}`,
  groups: ["system:serviceaccounts", `system:serviceaccounts:${ns}`, "system:authenticated"],
  serviceAccount: { namespace: ns, name: sa },
});

/** Whether a binding subject names the identity (its ServiceAccount, its user, or a group it is in). */
function names(subject: any, who: Identity, bindingNs: string | undefined): boolean {
  if (subject?.kind === "ServiceAccount") return !!who.serviceAccount && subject.name === who.serviceAccount.name && (subject.namespace ?? bindingNs) === who.serviceAccount.namespace;
  if (subject?.kind === "User") return subject.name === who.user;
  if (subject?.kind === "Group") return who.groups.includes(subject.name);
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
  /** The rules of the role it names; undefined where they are not all known (a role the stack does not hold, a built-in or pre-existing one, or a chart's; an aggregated one). */
  rules: Rule[] | undefined;
  /** The rules it grants at least (all of `rules` where known; an aggregated role's known part). */
  granted: Rule[];
  /** Why `rules` is undefined: "not rendered in the stack", or "aggregated". */
  unknown?: "not rendered in the stack" | "aggregated";
}

type Selector = Record<string, any>;
interface ClusterRole {
  name: string;
  labels: Record<string, string>;
  /** Its rules, all of them where `aggregate` is unset and `partial` is not true. */
  rules: Rule[];
  aggregate?: Selector[];
  /** Only some of its rules are given here. */
  partial?: boolean;
}

const BOOTSTRAP = { "kubernetes.io/bootstrapping": "rbac-defaults" };
const to = (role: string) => ({ matchLabels: { [`rbac.authorization.k8s.io/aggregate-to-${role}`]: "true" } });
const read = ["get", "list", "watch"];
/**
 * The bootstrap policy's aggregated roles and the one whose rules view aggregates (policy.go
 * ClusterRoles; every bootstrap role labelled kubernetes.io/bootstrapping: rbac-defaults):
 * system:aggregate-to-view's rules are given only in part, those on the core group that every
 * release since aggregation has held and its read of discovery.k8s.io endpointslices, there since
 * Kubernetes 1.22 (kubernetes/kubernetes#101203, CHANGELOG-1.22 v1.22.0-alpha.2; bootstrappolicy
 * testdata/cluster-roles.yaml keeps it in today's releases), older than any cluster the stack makes.
 */
const BOOTSTRAP_ROLES: ClusterRole[] = [
  { name: "cluster-admin", labels: BOOTSTRAP, rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }] },
  { name: "admin", labels: BOOTSTRAP, rules: [], aggregate: [to("admin")] },
  { name: "edit", labels: { ...BOOTSTRAP, ...to("admin").matchLabels }, rules: [], aggregate: [to("edit")] },
  { name: "view", labels: { ...BOOTSTRAP, ...to("edit").matchLabels }, rules: [], aggregate: [to("view")] },
  {
    name: "system:aggregate-to-view",
    labels: { ...BOOTSTRAP, ...to("view").matchLabels },
    partial: true,
    rules: [
      { apiGroups: [""], resources: ["pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/status", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "configmaps"], verbs: read },
      { apiGroups: [""], resources: ["namespaces"], verbs: read },
      { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: read },
    ],
  },
];

/** The bootstrap policy's aggregated ClusterRoles. */
export const BOOTSTRAP_AGGREGATED: ReadonlySet<string> = new Set(BOOTSTRAP_ROLES.filter((r) => r.aggregate).map((r) => r.name));

/** The ClusterRoles the stack renders (each read only as far as asked), and the bootstrap ones it does not replace. */
function clusterRoles(resources: PolicyResource[]): ClusterRole[] {
  const own = resources
    .filter((r) => isKind(r.type, "rbac.authorization.k8s.io", "ClusterRole"))
    .map((r): ClusterRole => ({
      name: String(meta(r.props).name),
      get labels() {
        return meta(r.props).labels ?? {};
      },
      get rules() {
        return list(r.props.rules as Rule[]);
      },
      get aggregate() {
        const aggregation = r.props.aggregationRule;
        return aggregation ? list(aggregation.clusterRoleSelectors as Selector[]) : undefined;
      },
    }));
  return [...own, ...BOOTSTRAP_ROLES.filter((b) => !own.some((o) => o.name === b.name))];
}

/** The rules `role` grants at least, and whether they are all it grants (never for an aggregated role: a ClusterRole outside the stack may match it). */
function roleRules(role: ClusterRole, all: ClusterRole[], seen: Set<string> = new Set()): { rules: Rule[]; complete: boolean } {
  if (!role.aggregate) return { rules: role.rules, complete: !role.partial };
  if (seen.has(role.name)) return { rules: [], complete: false };
  const inner = new Set([...seen, role.name]);
  const matched = all.filter((r) => r.name !== role.name && role.aggregate!.some((s) => matchesSelector(s ?? {}, r.labels)));
  return { rules: matched.flatMap((r) => roleRules(r, all, inner).rules), complete: false };
}

/**
 * Every RoleBinding (in any namespace) and ClusterRoleBinding of `resources` naming ServiceAccount
 * `ns`/`sa`; a bound ClusterRole the stack does not render takes its rules from `known` (the
 * caller's roles rendered outside the stack's objects, e.g. by a chart release), if there.
 */
export function accountBindings(resources: PolicyResource[], sa: string, ns: string, known: ReadonlyMap<string, Rule[]> = new Map()): AccountBinding[] {
  return identityBindings(resources, accountIdentity(sa, ns), known);
}

/** Every RoleBinding and ClusterRoleBinding of `resources` naming `who`, as accountBindings. */
export function identityBindings(resources: PolicyResource[], who: Identity, known: ReadonlyMap<string, Rule[]> = new Map()): AccountBinding[] {
  const rbac = (kind: string) => resources.filter((r) => isKind(r.type, "rbac.authorization.k8s.io", kind));
  const out: AccountBinding[] = [];
  let roles: ClusterRole[] | undefined; // read only where a binding names the account
  for (const [kind, namespaced] of [["RoleBinding", true], ["ClusterRoleBinding", false]] as const) {
    for (const b of rbac(kind)) {
      const bindingNs = namespaced ? meta(b.props).namespace : undefined;
      if (!list(b.props.subjects as unknown[]).some((s) => names(s, who, bindingNs))) continue;
      const ref = b.props.roleRef ?? {};
      const at = { binding: b, clusterWide: !namespaced, namespace: bindingNs, roleRef: ref };
      if (ref.kind === "Role") {
        const role = rbac("Role").find((r) => meta(r.props).name === ref.name && meta(r.props).namespace === bindingNs);
        out.push({ ...at, rules: role ? list(role.props.rules as Rule[]) : undefined, granted: role ? list(role.props.rules as Rule[]) : [], unknown: role ? undefined : "not rendered in the stack" });
        continue;
      }
      roles ??= clusterRoles(resources);
      const role = roles.find((r) => r.name === ref.name);
      const outside = known.get(String(ref.name));
      if (outside && (!role || BOOTSTRAP_ROLES.includes(role))) out.push({ ...at, rules: outside, granted: outside });
      else if (!role) out.push({ ...at, rules: undefined, granted: [], unknown: "not rendered in the stack" });
      else {
        const { rules, complete } = roleRules(role, roles);
        out.push({ ...at, rules: complete ? rules : undefined, granted: rules, unknown: complete ? undefined : role.aggregate ? "aggregated" : "not rendered in the stack" });
      }
    }
  }
  return out;
}

/** Each verb of `needs` no rule allows, as `<verb> <resource>[ (<group>)]`. */
export function missingGrants(rules: Rule[], needs: Need[]): string[] {
  return needs.flatMap((n) => n.verbs.filter((v) => !rules.some((r) => grants(r, n, v))).map((v) => `${v} ${n.resource}${n.group ? ` (${n.group})` : ""}`));
}
