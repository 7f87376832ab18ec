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
import { goTruthy } from "./values";

export const READER_ACCOUNT = "istio-reader-service-account";

const enabled = (flag: unknown) => (flag === undefined ? true : goTruthy(flag));
const inScope = (scope: unknown, also: string) => scope === undefined || scope === null || scope === "all" || scope === also;

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
  const why = (read: (key: string) => unknown, also: string) => {
    const flag = read("enableReaderRBAC");
    if (!enabled(flag)) return `global.enableReaderRBAC ${JSON.stringify(flag)}`;
    const scope = read("resourceScope");
    return inScope(scope, also) ? undefined : `global.resourceScope ${JSON.stringify(scope)}`;
  };
  if (bases.length > 0 && !ownAccount) {
    const off = bases.map((b) => [b, why((k) => dig(b.props.values, `global.${k}`), "namespace")] as const);
    if (off.every(([, w]) => w)) out.push({ message: `base release ${off.map(([b, w]) => `${b.name} sets ${w}`).join(", ")}: the chart renders no ServiceAccount ${READER_ACCOUNT}, so the token the other clusters' remote secrets hold is never minted`, urn: bases[0].urn, part: "account" });
  }
  if (istiods.length > 0) {
    const off = istiods.map((r) => [r, why((k) => descopedValue(r.props.values, "global", k), "cluster")] as const);
    if (off.every(([, w]) => w)) out.push({ message: `istiod release ${off.map(([r, w]) => `${r.name} sets ${w}`).join(", ")}: the chart binds ${READER_ACCOUNT} to no reader ClusterRole, so the other clusters' remote secrets read nothing`, urn: istiods[0].urn, part: "binding" });
  }
  return out;
}
