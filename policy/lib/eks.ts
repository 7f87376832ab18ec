/**
 * What @pulumi/eks registers beside a program's own resources. Since v3 its `Cluster` is a
 * multi-language component: in a real preview or update its children reach the pack as resources
 * of the stack, though under mocks (the offline render) it is one opaque resource.
 */

/** The type of @pulumi/eks's cluster component. */
export const EKS_CLUSTER = "eks:index:Cluster";

/** The type of a resource's parent, read from its URN (`…::<parent type>$…$<type>::<name>`). */
export function parentTypeOf(urn: string): string | undefined {
  const types = (urn.split("::")[2] ?? "").split("$");
  return types.length > 1 ? types[types.length - 2] : undefined;
}

/**
 * Whether a Kubernetes provider is one @pulumi/eks makes for itself: `<name>-eks-k8s`, which
 * v4.3.0 creates in every cluster for its own objects (nodejs/eks/cluster/cluster.ts), and
 * `<name>-provider`, which its SDK creates when a program reads `cluster.provider`; both children
 * of the `eks:index:Cluster`. Each is a second provider for a cluster the program already reaches
 * through its own, not a cluster of its own, and its kubeconfig is the one @pulumi/eks generates
 * (generateKubeconfig): an `aws eks get-token` exec plugin whose only env var is
 * KUBERNETES_EXEC_INFO, no credential.
 */
export function isEksOwnProvider(urn: string): boolean {
  return parentTypeOf(urn) === EKS_CLUSTER;
}
