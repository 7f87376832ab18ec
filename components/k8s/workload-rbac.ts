/**
 * The RBAC objects a workload runs as: its pod template's ServiceAccount, the RoleBindings in its
 * namespace that name that ServiceAccount as a subject, and the Roles those bindings grant. A pod
 * whose ServiceAccount does not exist yet is refused by the ServiceAccount admission plugin (its
 * ReplicaSet retries until it appears), and one that starts before its Role and RoleBinding gets
 * 403s on every watch: the endpoint picker then crash-loops until they arrive. Waiting for them
 * keeps the first `pulumi up` from reporting a Deployment that only recovers later.
 */
import { Manifest, manifestKey } from "./apply";

const RBAC_GROUP = "rbac.authorization.k8s.io";

function podServiceAccount(workload: Manifest): string | undefined {
  const spec = (workload as { spec?: { template?: { spec?: { serviceAccountName?: unknown } } } }).spec;
  const name = spec?.template?.spec?.serviceAccountName;
  return typeof name === "string" && name !== "" ? name : undefined;
}

/**
 * The `manifestKey`s of the RBAC objects among `manifests` that `workload` runs as, in the order
 * `manifests` lists them; none when its pods take the namespace's `default` ServiceAccount.
 */
export function workloadRbacKeys(workload: Manifest, manifests: readonly Manifest[]): string[] {
  const account = podServiceAccount(workload);
  const namespace = workload.metadata.namespace;
  if (!account) return [];
  const sameNamespace = manifests.filter((m) => m.metadata.namespace === namespace);
  const bindings = sameNamespace.filter(
    (m) =>
      m.kind === "RoleBinding" &&
      ((m.subjects as { kind?: string; name?: string; namespace?: string }[] | undefined) ?? []).some(
        (s) => s.kind === "ServiceAccount" && s.name === account && (s.namespace ?? namespace) === namespace,
      ),
  );
  const granted = new Set(
    bindings
      .map((b) => b.roleRef as { apiGroup?: string; kind?: string; name?: string } | undefined)
      .filter((ref) => ref?.kind === "Role" && ref.apiGroup === RBAC_GROUP)
      .map((ref) => ref!.name),
  );
  return sameNamespace
    .filter(
      (m) =>
        (m.kind === "ServiceAccount" && m.apiVersion === "v1" && m.metadata.name === account) ||
        bindings.includes(m) ||
        (m.kind === "Role" && m.apiVersion.startsWith(`${RBAC_GROUP}/`) && granted.has(m.metadata.name)),
    )
    .map(manifestKey);
}
