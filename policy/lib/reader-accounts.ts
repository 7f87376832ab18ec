/**
 * The account the other clusters' remote secrets read a cluster as, and whether the stack lets it
 * read what istiod watches there. istioctl create-remote-secret (Istio 1.30.3
 * istioctl/pkg/multicluster/remote_secret.go) writes a bearer token of `--service-account`
 * (`istio-reader-service-account` for `--type remote`, `istiod` for `--type config`), taken from a
 * `kubernetes.io/service-account-token` Secret annotated `kubernetes.io/service-account.name` with
 * it; a fork may hand any account's token. The account is read from the kubeconfig's token: the
 * token Secret of the read cluster that holds it, else the token's own `sub` claim
 * (`system:serviceaccount:<ns>:<name>`, Kubernetes pkg/serviceaccount LegacyClaims), else, where
 * this run cannot read the kubeconfig or the token Secrets' data (an export reviewed without its
 * passphrase), the one account every token Secret of the stack there that may hold it is for.
 * Otherwise (no such Secret, several accounts, a credential naming none, or a user presenting a
 * client certificate, exec plugin or auth provider beside the token, which kube-apiserver may
 * authenticate instead: remote-kubeconfig.ts otherCredentials) it is not known.
 *
 * Every remote cluster's client lists and watches, cluster-wide, namespaces, pods, services, nodes,
 * endpointslices and Gateways (pkg/kube/multicluster/cluster.go buildClusterCollections; every
 * mesh cluster has its east-west Gateway, so Gateway API's CRDs are there; the
 * Gateways' informer waits on the CRD watcher, pkg/kube/kclient/crdwatcher.go, which lists
 * customresourcedefinitions), and istiod takes the cluster as synced only once all of them are
 * (Cluster.Run), as the kube registry's own informers (pilot/pkg/serviceregistry/kube/controller
 * NewController) need namespaces, services, endpointslices, nodes and pods: an account refused one
 * of them leaves that cluster's services and endpoints out of every other istiod. A RoleBinding
 * grants in its namespace only, never a cluster-wide list.
 */
import type { PolicyResource } from "@pulumi/policy";
import { dig, isReleaseOf, meta, T } from "./k8s";
import { probe } from "./values";
import { clientCertificateUser, kubeconfigToken, otherCredentials } from "./remote-kubeconfig";
import { accountBindings, accountIdentity, BOOTSTRAP_AGGREGATED, identityBindings, missingGrants, type AccountBinding, type Identity, type Need } from "./rbac-grants";
import { chartReaderClusterRoles, READER_ACCOUNT, readerRbacProblems } from "./reader-rbac";
import { descopedValue } from "./istio";

const listWatch = ["list", "watch"];
const REMOTE_CLUSTER_READS: Need[] = [
  ...["namespaces", "pods", "services", "nodes"].map((resource) => ({ group: "", resource, verbs: listWatch })),
  { group: "discovery.k8s.io", resource: "endpointslices", verbs: listWatch },
  { group: "gateway.networking.k8s.io", resource: "gateways", verbs: listWatch },
  { group: "apiextensions.k8s.io", resource: "customresourcedefinitions", verbs: listWatch },
];

/** One remote secret's kubeconfig for a cluster, as the rule read it. */
export interface RemoteRead {
  /** The cluster holding the remote secret. */
  reader: string;
  secret: PolicyResource;
  /** The kubeconfig, undefined where this run cannot read it (ciphertext, not known yet). */
  text: string | undefined;
  /** Whether the rule already reported it unusable (istiod builds no client from it). */
  unusable: boolean;
}

interface Account {
  namespace: string;
  name: string;
}

const secretName = (s: PolicyResource) => `${meta(s.props).namespace}/${meta(s.props).name}`;

/** The `token` a service-account-token Secret holds (data is base64), undefined without one. */
function heldToken(s: PolicyResource): string | undefined {
  const plain = (s.props.stringData ?? {}).token;
  if (typeof plain === "string") return plain;
  const encoded = (s.props.data ?? {}).token;
  return typeof encoded === "string" ? Buffer.from(encoded, "base64").toString("utf8") : undefined;
}

/** The ServiceAccount a JWT's `sub` claim names, if it is one. */
function subjectAccount(token: string): Account | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const sub = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"))?.sub;
    const m = typeof sub === "string" ? /^system:serviceaccount:([^:]+):([^:]+)$/.exec(sub) : null;
    return m ? { namespace: m[1], name: m[2] } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The account a kubeconfig (`text`, undefined where this run cannot read it) reads the cluster of
 * `resources` as: the one a service-account-token Secret of the stack holding its bearer token is
 * annotated with, else the one the token's claims name, else the one account all the stack's
 * token Secrets there that may hold it (their data, or the kubeconfig, not readable in this run)
 * are annotated with; `why` not, where none of these names exactly one account.
 */
function readAccount(text: string | undefined, resources: PolicyResource[], cluster: string): { account?: Account; why?: string } {
  const token = text === undefined ? undefined : kubeconfigToken(text);
  if (text !== undefined && token === undefined) return { why: "its kubeconfig's user has no bearer token" };
  const also = text === undefined ? [] : otherCredentials(text);
  if (also.length > 0) return { why: `its kubeconfig's user presents ${also.join(", ")} beside its bearer token, which the API server may authenticate instead (a valid client certificate before any token: kube-apiserver's authenticator), so the token's account need not be who reads` };
  const candidates = new Set<string>();
  for (const s of resources.filter((r) => r.type === T.secret && probe(() => r.props.type).known && r.props.type === "kubernetes.io/service-account-token")) {
    const annotated = probe(() => ({ namespace: meta(s.props).namespace ?? "default", name: meta(s.props).annotations?.["kubernetes.io/service-account.name"] }));
    const account = annotated.known && typeof annotated.value.name === "string" && annotated.value.name !== "" ? (annotated.value as Account) : undefined;
    const held = probe(() => heldToken(s));
    if (token !== undefined && held.known && held.value === token) {
      if (account) return { account };
      return { why: `its token's Secret ${secretName(s)} names no ServiceAccount readable here` };
    }
    if (token === undefined || !held.known) candidates.add(account ? `${account.namespace}/${account.name}` : "?");
  }
  const claimed = token === undefined ? undefined : subjectAccount(token);
  if (claimed) return { account: claimed };
  const [only] = [...candidates];
  if (candidates.size === 1 && only !== "?") return { account: { namespace: only.split("/")[0], name: only.split("/").slice(1).join("/") } };
  const unread = text === undefined ? "its kubeconfig is not readable in this run" : "its token is in no service-account-token Secret of the stack there and names no ServiceAccount";
  return { why: candidates.size === 0 ? `${unread}, and the stack renders no other token Secret on cluster ${cluster}` : `${unread}, and the token Secrets of the stack there may hold the token of more than one account` };
}

/** The namespaces the base and istiod releases render and bind the reader account in (global.istioNamespace, istio-system unless set). */
function chartReaderNamespaces(resources: PolicyResource[]): Set<string> {
  const out = new Set<string>();
  for (const r of resources.filter((x) => isReleaseOf(x, "base"))) out.add(String(dig(r.props.values, "global.istioNamespace") ?? "istio-system"));
  for (const r of resources.filter((x) => isReleaseOf(x, "istiod"))) out.add(String(descopedValue(r.props.values, "global", "istioNamespace") ?? "istio-system"));
  return out;
}

/**
 * Why the stack's bindings do not let `who` (`label` in messages) read the cluster as istiod does:
 * undefined where they do; `unknown` naming a role the stack does not render where the rest does
 * not suffice.
 */
function bindingGaps(resources: PolicyResource[], who: Identity, label: string): { gap?: string; unknown?: string } {
  const known = chartReaderClusterRoles(resources);
  const bindings = identityBindings(resources, who, known);
  const clusterWide = bindings.filter((b) => b.clusterWide);
  const missing = missingGrants(clusterWide.flatMap((b) => b.granted), REMOTE_CLUSTER_READS);
  if (missing.length === 0) return {};
  const unseen = clusterWide.filter((b) => !b.rules);
  const why = (b: AccountBinding) =>
    b.unknown === "aggregated"
      ? `aggregated: its rules are those of the ClusterRoles its aggregationRule selects, and ClusterRoles outside the stack may match; those the stack renders${BOOTSTRAP_AGGREGATED.has(String(b.roleRef.name)) ? " and Kubernetes' bootstrap rules" : ""} grant no ${missingGrants(b.granted, REMOTE_CLUSTER_READS).join(", ")}`
      : b.unknown;
  if (unseen.length > 0) return { unknown: unseen.map((b) => `the ClusterRole ${String(b.roleRef.name)} ClusterRoleBinding ${meta(b.binding.props).name} binds ${label} to (${why(b)})`).join("; ") };
  const local = bindings.filter((b) => !b.clusterWide).map((b) => `RoleBinding ${b.namespace}/${meta(b.binding.props).name}`);
  const how = clusterWide.length === 0 ? "no ClusterRoleBinding of the stack names it" : `its ClusterRoleBindings (${clusterWide.map((b) => meta(b.binding.props).name).join(", ")}) do not grant that`;
  return { gap: `may not ${missing.join(", ")} cluster-wide: ${how}${local.length > 0 ? ` (${local.join(", ")} grants only in its namespace)` : ""}` };
}

export type Report = (message: string, urn: string) => void;

/** Who the remote secrets of `secrets` read a cluster as: a ServiceAccount, or the user their client certificate names. */
interface Reader {
  who: Identity;
  label: string;
  secrets: RemoteRead[];
}

/**
 * The user a kubeconfig authenticating by an inline client certificate alone reads the cluster as
 * (remote-kubeconfig.ts clientCertificateUser; the authenticator adds system:authenticated), `why`
 * it is not known, or undefined where the kubeconfig authenticates otherwise.
 */
function certificateUser(text: string | undefined): { who: Identity; label: string } | { why: string } | undefined {
  if (text === undefined || kubeconfigToken(text) !== undefined || otherCredentials(text).join() !== "client-certificate-data") return undefined;
  const cert = clientCertificateUser(text)!;
  if ("why" in cert) return cert;
  return { who: { user: cert.user, groups: [...cert.groups, "system:authenticated"] }, label: `user ${cert.user}${cert.groups.length > 0 ? ` (groups ${cert.groups.join(", ")})` : ""}` };
}

/**
 * Judges, for cluster `cluster`, who each remote secret in `reads` reads it as: the chart's reader
 * account by the Istio releases' values (reader-rbac.ts), any account by the ClusterRoleBindings
 * the stack renders for it, and the user an inline client certificate names by the bindings of
 * the stack naming that user or one of its groups (none: granted outside the stack, if at all, so
 * not known), a certificate of system:masters being cluster-admin (bootstrappolicy
 * ClusterRoleBindings: cluster-admin to that group).
 */
export function checkReaderAccounts(cluster: string, resources: PolicyResource[], reads: RemoteRead[], report: Report, unknowns: string[]): void {
  const readers = new Map<string, Reader>();
  const add = (key: string, who: Identity, label: string, r: RemoteRead) => {
    if (!readers.has(key)) readers.set(key, { who, label, secrets: [] });
    readers.get(key)!.secrets.push(r);
  };
  for (const r of reads) {
    if (r.unusable) continue;
    const where = `remote secret ${secretName(r.secret)} on cluster ${r.reader}`;
    const cert = certificateUser(r.text);
    if (cert) {
      if ("why" in cert) unknowns.push(`the user ${where} reads cluster ${cluster} as (${cert.why})`);
      else if (!cert.who.groups.includes("system:masters")) add(`user ${cert.label}`, cert.who, cert.label, r);
      continue;
    }
    const read = probe(() => readAccount(r.text, resources, cluster));
    if (!read.known) unknowns.push(`the service-account-token Secrets of cluster ${cluster} (which account ${where} reads it as)`);
    else if (!read.value.account) unknowns.push(`the account ${where} reads cluster ${cluster} as (${read.value.why})`);
    else {
      const { namespace, name } = read.value.account;
      add(`${namespace}/${name}`, accountIdentity(name, namespace), `ServiceAccount ${namespace}/${name}`, r);
    }
  }
  for (const { who, label, secrets } of readers.values()) {
    const account = who.serviceAccount;
    const judged = probe(() => {
      if (!account) {
        // Only a binding naming the user or one of its certificate's groups says how the stack means it to read.
        const named = identityBindings(resources, { user: who.user, groups: who.groups.filter((g) => g !== "system:authenticated") }).length > 0;
        return { values: [], gaps: named ? bindingGaps(resources, who, label) : { unknown: `what ${label}, whom the client certificate of remote secret ${secrets.map((r) => secretName(r.secret)).join(", ")} names, may read on cluster ${cluster}: no binding of the stack names it or its groups` } };
      }
      const ours = account.name === READER_ACCOUNT && chartReaderNamespaces(resources).has(account.namespace);
      const chart = ours ? readerRbacProblems(resources) : [];
      // A ClusterRoleBinding the stack renders for the account stands in for the chart's, and is judged instead.
      const own = accountBindings(resources, account.name, account.namespace).some((b) => b.clusterWide);
      const values = chart.filter((f) => f.part === "account" || !own);
      const chartBinds = ours && !chart.some((f) => f.part === "binding");
      return { values, gaps: chartBinds || values.some((f) => f.part === "binding") ? {} : bindingGaps(resources, who, label) };
    });
    if (!judged.known) {
      unknowns.push(`the reader RBAC values (global.enableReaderRBAC, global.resourceScope) of cluster ${cluster}'s Istio releases and the RBAC the stack renders there`);
      continue;
    }
    for (const f of judged.value.values) report(`cluster ${cluster}: ${f.message}: every other istiod of the mesh is refused ${cluster}'s services and endpoints; leave global.enableReaderRBAC true (and global.resourceScope all)`, f.urn);
    const { gap, unknown } = judged.value.gaps;
    if (unknown) unknowns.push(unknown);
    if (!gap) continue;
    const by = secrets.map((r) => `${secretName(r.secret)} on cluster ${r.reader}`).join(", ");
    const kind = account ? "account" : "user";
    report(
      `cluster ${cluster}: ${label}, the ${kind} remote secret${secrets.length > 1 ? "s" : ""} ${by} read${secrets.length > 1 ? "" : "s"} it as, ${gap}; istiod lists and watches these on every remote cluster and takes it as synced only once all are (Istio 1.30.3 pkg/kube/multicluster/cluster.go), so it is refused ${cluster}'s services and endpoints. Bind the ${kind} a ClusterRole (ClusterRoleBinding) with list and watch on namespaces, pods, services, nodes, endpointslices, gateways (gateway.networking.k8s.io) and customresourcedefinitions, as istiod's chart binds istio-reader-service-account to istio-reader-clusterrole`,
      secrets[0].secret.urn,
    );
  }
}
