/**
 * mesh-multicluster-wiring on the account a remote secret's kubeconfig reads a cluster as. istioctl
 * create-remote-secret (Istio 1.30.3 istioctl/pkg/multicluster/remote_secret.go) takes the token of
 * `--service-account` from a service-account-token Secret; istiod then lists and watches
 * namespaces, pods, services, nodes, endpointslices, Gateways and CRDs on that cluster
 * (pkg/kube/multicluster/cluster.go buildClusterCollections, Cluster.Run). Before, only the Istio
 * releases' reader values were read, as if every kubeconfig held istio-reader-service-account's
 * token: another account with too little RBAC passed, and one with enough was reported when the
 * chart's reader RBAC was off.
 */
import "reflect-metadata";
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { meshMulticlusterWiring } from "../../policy/rules/mesh-multicluster-wiring";
import { k8sProvider, runStack, stackResource, UNKNOWN } from "../support/policy";
import { kubeconfigFor, messages, readerToken, REL, wiredCluster } from "./mesh-support";

const RBAC = "kubernetes:rbac.authorization.k8s.io/v1";
type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
const on = (name: string, type: string, props: Record<string, unknown>) => stackResource({ type: `${RBAC}:${type}`, name: `b-${name}`, props, provider: k8sProvider("b") });

/** istio-discovery's istio-reader-clusterrole, as much of it as istiod reads a remote cluster with. */
const READS: Rule[] = [
  { apiGroups: [""], resources: ["endpoints", "pods", "services", "nodes", "namespaces"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["gateway.networking.k8s.io"], resources: ["gateways"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["apiextensions.k8s.io"], resources: ["customresourcedefinitions"], verbs: ["get", "list", "watch"] },
];
const subject = { kind: "ServiceAccount", name: "mesh-reader", namespace: "istio-system" };
const clusterRole = (rules: Rule[]) => on("role", "ClusterRole", { metadata: { name: "mesh-reader" }, rules });
const clusterBinding = (role = "mesh-reader", subjects: unknown[] = [subject]) => on("binding", "ClusterRoleBinding", { metadata: { name: "mesh-reader" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role }, subjects });

/** Clusters a and b wired; b's reader token (the one a's kubeconfig for b holds) is `account`'s; `bExtra` rendered on b. */
function mesh(bExtra: ReturnType<typeof stackResource>[], opts: { account?: string; bBase?: Record<string, unknown>; kubeconfig?: unknown } = {}) {
  const b = wiredCluster("b", ["a"]).map((r) => (r.name === "b-istio-reader-service-account-token" ? readerToken("b", opts.account ?? "mesh-reader") : r));
  const stack = [...wiredCluster("a", ["b"]), ...b, ...bExtra];
  if (opts.bBase) stack.push(stackResource({ type: REL, name: "b-istio-base", props: { chart: "base", namespace: "istio-system", values: { global: opts.bBase } }, provider: k8sProvider("b") }));
  if (opts.kubeconfig !== undefined) (stack.find((r) => r.name === "a-remote-b")!.props as any).stringData = opts.kubeconfig === UNKNOWN ? UNKNOWN : { b: opts.kubeconfig };
  return runStack(meshMulticlusterWiring, stack);
}

const prefix = "cluster b: ServiceAccount istio-system/mesh-reader, the account remote secret istio-system/istio-remote-secret-b on cluster a reads it as,";

test("mesh-multicluster-wiring: a remote secret's account (from its token's Secret) without a ClusterRole granting istiod's reads fails", async () => {
  const partial = await mesh([clusterRole(READS.filter((r) => r.apiGroups[0] !== "discovery.k8s.io").map((r) => (r.apiGroups[0] === "" ? { ...r, resources: ["pods", "services", "namespaces"] } : r))), clusterBinding()]);
  assert.deepEqual(messages(partial), [
    `${prefix} may not list nodes, watch nodes, list endpointslices (discovery.k8s.io), watch endpointslices (discovery.k8s.io) cluster-wide: its ClusterRoleBindings (mesh-reader) do not grant that; istiod lists and watches these on every remote cluster and takes it as synced only once all are (Istio 1.30.3 pkg/kube/multicluster/cluster.go), so it is refused b's services and endpoints. Bind the account a ClusterRole (ClusterRoleBinding) with list and watch on namespaces, pods, services, nodes, endpointslices, gateways (gateway.networking.k8s.io) and customresourcedefinitions, as istiod's chart binds istio-reader-service-account to istio-reader-clusterrole`,
  ]);
  assert.equal(partial.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:core/v1:Secret::a-remote-b");
  // No binding at all; a Role and RoleBinding instead of a ClusterRole (namespaced: no cluster-wide list).
  assert.match(messages(await mesh([clusterRole(READS)])).join("\n"), /may not list namespaces, .* cluster-wide: no ClusterRoleBinding of the stack names it;/);
  const namespaced = [
    on("role", "Role", { metadata: { name: "mesh-reader", namespace: "istio-system" }, rules: READS }),
    on("rb", "RoleBinding", { metadata: { name: "mesh-reader", namespace: "istio-system" }, roleRef: { kind: "Role", name: "mesh-reader" }, subjects: [subject] }),
  ];
  assert.match(messages(await mesh(namespaced)).join("\n"), /cluster-wide: no ClusterRoleBinding of the stack names it \(RoleBinding istio-system\/mesh-reader grants only in its namespace\);/);
});

test("mesh-multicluster-wiring: a remote secret's account granted istiod's reads passes, whatever the chart's reader RBAC", async () => {
  assert.deepEqual((await mesh([clusterRole(READS), clusterBinding()])).violations, []);
  // Granted through a group it is in, by a wildcard rule.
  const wildcard = [clusterRole([{ apiGroups: ["*"], resources: ["*"], verbs: ["list", "watch"] }]), clusterBinding("mesh-reader", [{ kind: "Group", name: "system:serviceaccounts:istio-system" }])];
  assert.deepEqual((await mesh(wildcard)).violations, []);
  // istio-reader-service-account is not the account read: the base chart not rendering it is no fault.
  const off = await mesh([clusterRole(READS), clusterBinding()], { bBase: { enableReaderRBAC: false } });
  assert.deepEqual([off.violations, off.unknown], [[], []]);
});

test("mesh-multicluster-wiring: the account is read from the token's claims where no Secret of the stack holds it", async () => {
  const jwt = (sub: string) => ["e30", Buffer.from(JSON.stringify({ iss: "kubernetes/serviceaccount", sub })).toString("base64url"), "sig"].join(".");
  const kubeconfig = kubeconfigFor("b", undefined, { token: jwt("system:serviceaccount:istio-system:mesh-reader") });
  assert.match(messages(await mesh([clusterRole(READS.slice(1)), clusterBinding()], { kubeconfig })).join("\n"), /^cluster b: ServiceAccount istio-system\/mesh-reader, .* may not list namespaces, watch namespaces, list pods, watch pods, list services, watch services, list nodes, watch nodes cluster-wide:/);
  assert.deepEqual((await mesh([clusterRole(READS), clusterBinding()], { kubeconfig })).violations, []);
});

test("mesh-multicluster-wiring: an account the kubeconfig does not name, or a role the run cannot see, is can't judge", async () => {
  const unseenRole = await mesh([clusterBinding("mesh-reader-elsewhere")]);
  assert.deepEqual(unseenRole.violations, []);
  assert.match(unseenRole.unknown.join("\n"), /the ClusterRole mesh-reader-elsewhere ClusterRoleBinding mesh-reader binds ServiceAccount istio-system\/mesh-reader to \(not rendered in the stack\)/);
  const stranger = await mesh([], { kubeconfig: kubeconfigFor("b", undefined, { token: "opaque" }) });
  assert.deepEqual(stranger.violations, []);
  assert.match(stranger.unknown.join("\n"), /the account remote secret istio-system\/istio-remote-secret-b on cluster a reads cluster b as \(its token is in no service-account-token Secret of the stack there and names no ServiceAccount, and the stack renders no other token Secret on cluster b\)/);
});

test("mesh-multicluster-wiring: a kubeconfig this run cannot read is taken to hold the token of the one account the stack mints tokens for there, else can't judge", async () => {
  const sealed = { kubeconfig: UNKNOWN };
  assert.deepEqual((await mesh([clusterRole(READS), clusterBinding()], sealed)).violations, []);
  assert.match(messages(await mesh([], sealed)).join("\n"), /^cluster b: ServiceAccount istio-system\/mesh-reader, .* cluster-wide: no ClusterRoleBinding of the stack names it;/);
  // Token Secrets of two accounts there: which one the kubeconfig holds is not known.
  const two = await mesh([readerToken("b", "other-reader", "token-of-other")], sealed);
  assert.deepEqual(two.violations, []);
  assert.match(two.unknown.join("\n"), /\(its kubeconfig is not readable in this run, and the token Secrets of the stack there may hold the token of more than one account\)/);
});

test("mesh-multicluster-wiring: istio-reader-service-account bound by the stack itself is judged by that binding's role", async () => {
  const own = [clusterRole(READS.slice(0, 1)), clusterBinding("mesh-reader", [{ ...subject, name: "istio-reader-service-account" }])];
  const istiodOff = (r: ReturnType<typeof stackResource>) => (r.name === "b-istiod" ? { ...r, props: { ...r.props, values: { ...(r.props.values as any), global: { ...(r.props.values as any).global, enableReaderRBAC: false } } } } : r);
  const stack = [...wiredCluster("a", ["b"]), ...wiredCluster("b", ["a"]).map(istiodOff), ...own];
  assert.match(messages(await runStack(meshMulticlusterWiring, stack)).join("\n"), /^cluster b: ServiceAccount istio-system\/istio-reader-service-account, .* may not list endpointslices \(discovery.k8s.io\), watch endpointslices/);
});

test("mesh-multicluster-wiring: an account bound to istiod's reader ClusterRole or to cluster-admin is judged by their rules, not can't judge", async () => {
  // istio-discovery 1.30.3 reader-clusterrole.yaml: istio-reader-clusterrole[-<revision>]-<release namespace>, every read istiod needs.
  const chartRole = await mesh([clusterBinding("istio-reader-clusterrole-istio-system")]);
  assert.deepEqual([chartRole.violations, chartRole.unknown], [[], []]);
  const admin = await mesh([clusterBinding("cluster-admin")]);
  assert.deepEqual([admin.violations, admin.unknown], [[], []]);
  // With a revision the chart's role carries it: the unsuffixed name is no role the stack renders.
  const edited = (values: Record<string, unknown>) => (r: ReturnType<typeof stackResource>) => (r.name === "b-istiod" ? { ...r, props: { ...r.props, values: { ...(r.props.values as any), ...values } } } : r);
  const withValues = (values: Record<string, unknown>, role: string) => runStack(meshMulticlusterWiring, [...wiredCluster("a", ["b"]), ...wiredCluster("b", ["a"]).map((r) => (r.name === "b-istio-reader-service-account-token" ? readerToken("b", "mesh-reader") : r)).map(edited(values)), clusterBinding(role)]);
  const canary = await withValues({ revision: "canary" }, "istio-reader-clusterrole-canary-istio-system");
  // (its east-west Gateway's revision is another question, can't judge here.)
  assert.deepEqual([canary.violations, canary.unknown.filter((u) => /ClusterRole/.test(u))], [[], []]);
  const unseen = /the ClusterRole istio-reader-clusterrole-istio-system ClusterRoleBinding mesh-reader binds .* \(not rendered in the stack\)/;
  const unsuffixed = await withValues({ revision: "canary" }, "istio-reader-clusterrole-istio-system");
  assert.deepEqual(unsuffixed.violations, []);
  assert.match(unsuffixed.unknown.join("\n"), unseen);
  // The chart's reader RBAC off: istiod renders no such role, so a binding to it stays can't judge.
  const off = await withValues({ global: { meshID: "m", network: "net-b", multiCluster: { clusterName: "b" }, enableReaderRBAC: false } }, "istio-reader-clusterrole-istio-system");
  assert.match(off.unknown.join("\n"), unseen);
});

// ClusterRole aggregation (Kubernetes pkg/controller/clusterroleaggregation syncClusterRole): the
// controller-manager overwrites an aggregated ClusterRole's rules with the union of the rules of
// every other ClusterRole one of its clusterRoleSelectors matches; bootstrappolicy policy.go makes
// view, edit and admin aggregated, view's base rules coming from system:aggregate-to-view.
const aggregated = (rules: Rule[], labels = { "example.com/aggregate-to-mesh-reader": "true" }) =>
  on("role", "ClusterRole", { metadata: { name: "mesh-reader" }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: labels }] }, rules });
const labelled = (name: string, labels: Record<string, string>, rules: Rule[]) => on(`role-${name}`, "ClusterRole", { metadata: { name, labels }, rules });
/** What view's bootstrap rules lack of istiod's reads: nodes, Gateways and CRDs (endpointslices it has had since Kubernetes 1.22, #101203). */
const BEYOND_VIEW: Rule[] = [
  { apiGroups: [""], resources: ["nodes"], verbs: ["list", "watch"] },
  ...READS.slice(2),
];

test("mesh-multicluster-wiring: an aggregated ClusterRole is judged by the rules of the ClusterRoles it aggregates, not its own", async () => {
  // Its own rules are overwritten: with nothing of the stack aggregated into it, what it grants depends on roles outside the stack.
  const own = await mesh([aggregated(READS), clusterBinding()]);
  assert.deepEqual(own.violations, []);
  assert.match(own.unknown.join("\n"), /the ClusterRole mesh-reader ClusterRoleBinding mesh-reader binds ServiceAccount istio-system\/mesh-reader to \(aggregated: its rules are those of the ClusterRoles its aggregationRule selects, and ClusterRoles outside the stack may match; those the stack renders grant no list namespaces, .* list customresourcedefinitions \(apiextensions.k8s.io\), watch customresourcedefinitions \(apiextensions.k8s.io\)\)/);
  // Empty itself, with the stack's ClusterRoles it selects granting every read: passes.
  const union = await mesh([aggregated([]), labelled("reads-a", { "example.com/aggregate-to-mesh-reader": "true" }, READS.slice(0, 2)), labelled("reads-b", { "example.com/aggregate-to-mesh-reader": "true" }, READS.slice(2)), clusterBinding()]);
  assert.deepEqual([union.violations, union.unknown], [[], []]);
  // A role of the stack the selector does not match adds nothing.
  const other = await mesh([aggregated([]), labelled("reads", { "example.com/aggregate-to-other": "true" }, READS), clusterBinding()]);
  assert.deepEqual(other.violations, []);
  assert.match(other.unknown.join("\n"), /\(aggregated: .* grant no list namespaces, /);
  // A selector matching every ClusterRole takes in cluster-admin.
  const everything = await mesh([on("role", "ClusterRole", { metadata: { name: "mesh-reader" }, aggregationRule: { clusterRoleSelectors: [{}] } }), clusterBinding()]);
  assert.deepEqual([everything.violations, everything.unknown], [[], []]);
});

test("mesh-multicluster-wiring: view's bootstrap rules and the stack's roles aggregated into it count; what they lack is can't judge", async () => {
  const view = await mesh([clusterBinding("view")]);
  assert.deepEqual(view.violations, []);
  assert.match(view.unknown.join("\n"), /the ClusterRole view ClusterRoleBinding mesh-reader binds ServiceAccount istio-system\/mesh-reader to \(aggregated: .* grant no list nodes, watch nodes, list gateways \(gateway.networking.k8s.io\), .* watch customresourcedefinitions \(apiextensions.k8s.io\)\)/);
  // system:aggregate-to-view reads endpointslices (bootstrappolicy policy.go since Kubernetes 1.22): not among what view lacks.
  assert.doesNotMatch(view.unknown.join("\n"), /endpointslices/);
  // view beside a ClusterRole of the stack granting what view's bootstrap rules lack.
  const beside = await mesh([clusterRole(BEYOND_VIEW), clusterBinding(), on("binding-view", "ClusterRoleBinding", { metadata: { name: "mesh-reader-view" }, roleRef: { kind: "ClusterRole", name: "view" }, subjects: [subject] })]);
  assert.deepEqual([beside.violations, beside.unknown], [[], []]);
  // A ClusterRole of the stack labelled to aggregate into view (edit takes view in, admin edit).
  for (const role of ["view", "edit", "admin"]) {
    const into = await mesh([labelled("mesh-reader-extra", { "rbac.authorization.k8s.io/aggregate-to-view": "true" }, BEYOND_VIEW), clusterBinding(role)]);
    assert.deepEqual([into.violations, into.unknown], [[], []], role);
  }
});

test("mesh-multicluster-wiring: a kubeconfig whose user presents a client certificate or a plugin beside its token is not judged as the token's account", async () => {
  // kube-apiserver's authenticator (pkg/kubeapiserver/authenticator/config.go New) tries a client
  // certificate before a bearer token, and the first that authenticates names the user.
  const granted = [clusterRole(READS), clusterBinding()];
  const cert = await mesh(granted, { kubeconfig: kubeconfigFor("b", undefined, { token: "token-of-b", "client-certificate-data": "Y2VydA==", "client-key-data": "a2V5" }) });
  assert.deepEqual(cert.violations, []);
  assert.match(cert.unknown.join("\n"), /the account remote secret istio-system\/istio-remote-secret-b on cluster a reads cluster b as \(its kubeconfig's user presents client-certificate-data beside its bearer token, .*\)/);
  const oidc = await mesh(granted, { kubeconfig: kubeconfigFor("b", undefined, { token: "token-of-b", "auth-provider": { name: "oidc", config: { "id-token": "x" } } }) });
  assert.match(oidc.unknown.join("\n"), /presents auth-provider oidc beside its bearer token/);
  // The token alone: judged as its account.
  const token = await mesh(granted, { kubeconfig: kubeconfigFor("b", undefined, { token: "token-of-b" }) });
  assert.deepEqual([token.violations, token.unknown], [[], []]);
});

/** A kubeconfig for b whose user authenticates by an inline client certificate of subject `name` alone. */
async function certKubeconfig(name: string) {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: "01", name, keys, signingAlgorithm: alg, notBefore: new Date(0), notAfter: new Date(4e12) });
  return kubeconfigFor("b", undefined, { "client-certificate-data": Buffer.from(cert.toString("pem")).toString("base64"), "client-key-data": "a2V5" });
}

test("mesh-multicluster-wiring: a kubeconfig authenticating by a client certificate reads as the user and groups it names, judged where a binding of the stack names them", async () => {
  // k8s.io/apiserver x509 CommonNameUserConversion: the common name is the user, the organizations its groups.
  const kubeconfig = await certKubeconfig("O=mesh-readers, CN=mesh-reader-user");
  const byGroup = await mesh([clusterRole(READS.slice(1)), clusterBinding("mesh-reader", [{ kind: "Group", name: "mesh-readers" }])], { kubeconfig });
  assert.deepEqual(messages(byGroup), [
    "cluster b: user mesh-reader-user (groups mesh-readers), the user remote secret istio-system/istio-remote-secret-b on cluster a reads it as, may not list namespaces, watch namespaces, list pods, watch pods, list services, watch services, list nodes, watch nodes cluster-wide: its ClusterRoleBindings (mesh-reader) do not grant that; istiod lists and watches these on every remote cluster and takes it as synced only once all are (Istio 1.30.3 pkg/kube/multicluster/cluster.go), so it is refused b's services and endpoints. Bind the user a ClusterRole (ClusterRoleBinding) with list and watch on namespaces, pods, services, nodes, endpointslices, gateways (gateway.networking.k8s.io) and customresourcedefinitions, as istiod's chart binds istio-reader-service-account to istio-reader-clusterrole",
  ]);
  const byUser = await mesh([clusterRole(READS), clusterBinding("mesh-reader", [{ kind: "User", name: "mesh-reader-user" }])], { kubeconfig });
  assert.deepEqual([byUser.violations, byUser.unknown], [[], []]);
  // No binding of the stack names the user or its groups (a ServiceAccount's binding does not): granted elsewhere, if at all.
  const unnamed = await mesh([clusterRole(READS), clusterBinding()], { kubeconfig });
  assert.deepEqual(unnamed.violations, []);
  assert.match(unnamed.unknown.join("\n"), /what user mesh-reader-user \(groups mesh-readers\), whom the client certificate of remote secret istio-system\/istio-remote-secret-b names, may read on cluster b: no binding of the stack names it or its groups/);
  // system:masters is bound to cluster-admin by Kubernetes' bootstrap policy.
  const admin = await mesh([], { kubeconfig: await certKubeconfig("O=system:masters, CN=admin") });
  assert.deepEqual([admin.violations, admin.unknown], [[], []]);
});
