/**
 * The account the other clusters' remote secrets read a cluster as by default (reader-accounts.ts
 * reads which one each kubeconfig holds): istioctl create-remote-secret
 * (Istio 1.30.3 istioctl/pkg/multicluster/remote_secret.go) mints a token for
 * `istio-reader-service-account`, which the base chart creates (templates/reader-serviceaccount.yaml)
 * and each istiod chart binds to its read-only ClusterRole (istio-discovery
 * reader-clusterrole.yaml, reader-clusterrolebinding.yaml). Both render only with
 * `global.enableReaderRBAC` (true unless set; Go template truthiness, so false, 0 or "" turn it
 * off) and a `global.resourceScope` that includes them (`all`, the default; `namespace` for the
 * account, `cluster` for the ClusterRole). Without them the token is never minted or reads nothing,
 * and every other istiod is refused this cluster's services and endpoints.
 */
import type { PolicyResource } from "@pulumi/policy";
import { dig, isKind, meta, isReleaseOf } from "./k8s";
import { descopedValue } from "./istio";
import { goTruthy, probe } from "./values";
import { releaseNamespace } from "./release-namespace";
import type { Rule } from "./rbac-grants";

export const READER_ACCOUNT = "istio-reader-service-account";

const enabled = (flag: unknown) => (flag === undefined ? true : goTruthy(flag));
const inScope = (scope: unknown, also: string) => scope === undefined || scope === null || scope === "all" || scope === also;

/** Why a release's values render no reader object of scope `also` (`read` gives a global.* value), undefined where they do. */
function readerOff(read: (key: string) => unknown, also: string): string | undefined {
  const flag = read("enableReaderRBAC");
  if (!enabled(flag)) return `global.enableReaderRBAC ${JSON.stringify(flag)}`;
  const scope = read("resourceScope");
  return inScope(scope, also) ? undefined : `global.resourceScope ${JSON.stringify(scope)}`;
}

/**
 * The reader ClusterRole's read rules as istio-discovery 1.30.3 reader-clusterrole.yaml renders
 * them, whatever the values (istiodRemote.enabled and env.MCS_API_GROUP only add or rename rules
 * on other resources: MCS, webhooks, configmaps).
 */
const CHART_READER_RULES: Rule[] = [
  { apiGroups: ["config.istio.io", "security.istio.io", "networking.istio.io", "authentication.istio.io", "rbac.istio.io", "telemetry.istio.io", "extensions.istio.io"], resources: ["*"], verbs: ["get", "list", "watch"] },
  { apiGroups: [""], resources: ["endpoints", "pods", "services", "nodes", "replicationcontrollers", "namespaces", "secrets", "configmaps"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["networking.x-k8s.io", "gateway.networking.k8s.io"], resources: ["gateways"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["apiextensions.k8s.io"], resources: ["customresourcedefinitions"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["apps"], resources: ["replicasets"], verbs: ["get", "list", "watch"] },
];

/**
 * The reader ClusterRoles the stack's istiod releases render, by name, with their rules: the
 * chart names it `istio-reader-clusterrole[-<revision>]-<release namespace>` (the revision only
 * where `revision` is not empty; `.Release.Namespace`, not global.istioNamespace) and renders it
 * only with the values readerRbacProblems reads. A release whose namespace or values this run
 * cannot know adds none (a binding to its role stays can't judge).
 */
export function chartReaderClusterRoles(resources: PolicyResource[]): Map<string, Rule[]> {
  const out = new Map<string, Rule[]>();
  for (const r of resources.filter((x) => isReleaseOf(x, "istiod"))) {
    const name = probe(() => {
      if (readerOff((k) => descopedValue(r.props.values, "global", k), "cluster")) return undefined;
      const revision = descopedValue(r.props.values, "revision");
      return `istio-reader-clusterrole${typeof revision === "string" && revision !== "" ? `-${revision}` : ""}-${releaseNamespace(r)}`;
    });
    if (name.known && name.value) out.set(name.value, CHART_READER_RULES);
  }
  return out;
}

/**
 * Why the Istio releases of one cluster give the reader account no read access, each naming the
 * release and value (empty where they do, or where the stack installs no base or istiod release
 * there: Istio installed outside it): `account` where no base release renders the account (a
 * ServiceAccount the stack renders for it stands in), `binding` where no istiod release binds it
 * to the reader ClusterRole (a binding of the stack's own is judged by reader-accounts.ts). Throws
 * the SDK's unknown-value error where a value it reads is not known.
 */
export function readerRbacProblems(resources: PolicyResource[]): { message: string; urn: string; part: "account" | "binding" }[] {
  const bases = resources.filter((r) => isReleaseOf(r, "base"));
  const istiods = resources.filter((r) => isReleaseOf(r, "istiod"));
  const out: { message: string; urn: string; part: "account" | "binding" }[] = [];
  const ownAccount = resources.some((r) => isKind(r.type, "core", "ServiceAccount") && meta(r.props).name === READER_ACCOUNT);
  if (bases.length > 0 && !ownAccount) {
    const off = bases.map((b) => [b, readerOff((k) => dig(b.props.values, `global.${k}`), "namespace")] as const);
    if (off.every(([, w]) => w)) out.push({ message: `base release ${off.map(([b, w]) => `${b.name} sets ${w}`).join(", ")}: the chart renders no ServiceAccount ${READER_ACCOUNT}, so the token the other clusters' remote secrets hold is never minted`, urn: bases[0].urn, part: "account" });
  }
  if (istiods.length > 0) {
    const off = istiods.map((r) => [r, readerOff((k) => descopedValue(r.props.values, "global", k), "cluster")] as const);
    if (off.every(([, w]) => w)) out.push({ message: `istiod release ${off.map(([r, w]) => `${r.name} sets ${w}`).join(", ")}: the chart binds ${READER_ACCOUNT} to no reader ClusterRole, so the other clusters' remote secrets read nothing`, urn: istiods[0].urn, part: "binding" });
  }
  return out;
}
