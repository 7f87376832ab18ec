/**
 * Which cluster a resource of a stack lands on: its explicit Kubernetes provider's (`<cluster>-k8s`
 * by convention), @pulumi/eks's own providers folded into the program's, and the clusters a
 * preview cannot judge yet left out.
 */
import type { PolicyResource } from "@pulumi/policy";
import { EKS_CLUSTER, isEksOwnProvider } from "./eks";
import { unknownValueError } from "./preview-unknown";

/** The kubernetes provider's type token (lib/k8s.ts T.k8sProvider). */
export const K8S_PROVIDER = "pulumi:providers:kubernetes";

/** The name part of a provider reference or URN (`urn:…::<name>[::<id>]` → name). */
export function providerName(urn: string): string {
  const parts = urn.split("::");
  return parts[3] ?? parts[parts.length - 1];
}

/**
 * The cluster a resource lands on: its provider's logical name (`<cluster>-k8s` by convention),
 * or the provider URN for providers named otherwise.
 */
export function clusterOf(r: Pick<PolicyResource, "provider">): string | undefined {
  return r.provider ? clusterOfProvider(r.provider) : undefined;
}

/** The cluster an explicit Kubernetes provider stands for: its logical name without `-k8s` (or its URN's). */
export function clusterOfProvider(p: { name?: string; urn: string }): string {
  const name = p.name || providerName(p.urn);
  return name.endsWith("-k8s") ? name.slice(0, -4) : name;
}

/**
 * Which cluster each resource of a stack lands on, @pulumi/eks's own providers included: one of
 * those (a fork's objects bound to `cluster.provider`) reaches the cluster of the program's
 * provider built from the same `eks:index:Cluster` (its kubeconfig reads the cluster's outputs, so
 * the engine records that dependency), and is judged with the rest of it instead of as a cluster
 * of its own that no rule looks at. Without one such program provider it keeps its own name.
 */
export function clusterResolver(resources: PolicyResource[]): (r: Pick<PolicyResource, "provider">) => string | undefined {
  const programClusters = new Map<string, Set<string>>();
  for (const p of resources) {
    if (p.type !== K8S_PROVIDER || isDefaultProvider(p.name || p.urn) || isEksOwnProvider(p.urn)) continue;
    for (const d of p.dependencies ?? []) {
      if (d?.type === EKS_CLUSTER) programClusters.set(d.urn, new Set([...(programClusters.get(d.urn) ?? []), clusterOfProvider(p)]));
    }
  }
  const aliases = new Map<string, string>();
  for (const p of resources) {
    if (p.type !== K8S_PROVIDER || !isEksOwnProvider(p.urn) || !p.parent) continue;
    const names = programClusters.get(p.parent.urn);
    if (names?.size === 1) aliases.set(p.urn, [...names][0]);
  }
  return (r) => (r.provider ? (aliases.get(r.provider.urn) ?? clusterOfProvider(r.provider)) : undefined);
}

/** Whether a provider is one the engine made up (`default`, `default_4_34_2`). */
export function isDefaultProvider(nameOrUrn: string): boolean {
  return /^default(_|$)/.test(nameOrUrn.includes("::") ? providerName(nameOrUrn) : nameOrUrn);
}

/** Component types of the Kubernetes SDK: their outputs are not an object's, and may be empty. */
export const KUBERNETES_COMPONENTS: ReadonlySet<string> = new Set([
  "kubernetes:yaml/v2:ConfigFile", "kubernetes:yaml/v2:ConfigGroup", "kubernetes:helm.sh/v4:Chart", "kubernetes:kustomize/v2:Directory",
  "kubernetes:yaml:ConfigFile", "kubernetes:yaml:ConfigGroup", "kubernetes:helm.sh/v3:Chart", "kubernetes:kustomize:Directory",
]);

const hasNoOutputs = (r: PolicyResource) => Object.keys(r.props ?? {}).length === 0;

/**
 * Clusters this preview cannot judge yet. In the first preview of a cluster, its provider's
 * kubeconfig comes from the cluster being created, so the engine does not configure the provider
 * and hands the stack policies every object on it with no outputs at all: judged as they are, its
 * mesh policy, pickers and authorization policies would all be "missing".
 */
export function unconfiguredClusters(resources: PolicyResource[]): Set<string> {
  // Every object of such a cluster arrives empty; a cluster with some objects known is configured
  // (an empty object there is judged as it is).
  const clusterOf = clusterResolver(resources);
  const empty = new Set<string>();
  const known = new Set<string>();
  for (const r of resources) {
    if (!r.type.startsWith("kubernetes:") || KUBERNETES_COMPONENTS.has(r.type)) continue;
    const c = clusterOf(r);
    if (c) (hasNoOutputs(r) ? empty : known).add(c);
  }
  return new Set([...empty].filter((c) => !known.has(c)));
}

/**
 * Resources of a stack grouped per cluster (only those on a Kubernetes provider), leaving out the
 * clusters a preview cannot judge yet ({@link unconfiguredClusters}): the others are still judged.
 * When no cluster is left the policy cannot run in this preview at all, and says so (the SDK
 * reports its `UnknownValueError` as "can't run during preview", advisory).
 */
export function byCluster(resources: PolicyResource[]): Map<string, PolicyResource[]> {
  const unknown = unconfiguredClusters(resources);
  const clusterOf = clusterResolver(resources);
  const out = new Map<string, PolicyResource[]>();
  for (const r of resources) {
    if (!r.type.startsWith("kubernetes:")) continue;
    const c = clusterOf(r);
    if (!c || unknown.has(c)) continue;
    if (!out.has(c)) out.set(c, []);
    out.get(c)!.push(r);
  }
  if (out.size === 0 && unknown.size > 0) {
    throw unknownValueError([`<objects of ${[...unknown].sort().join(", ")}: their clusters' providers cannot be configured in this preview>`]);
  }
  return out;
}

/**
 * The clusters of a stack: one per explicit Kubernetes provider that is not an engine default nor
 * @pulumi/eks's own (a second provider for a cluster the program reaches through its own),
 * leaving out those a preview cannot judge yet.
 */
export function clusters(resources: PolicyResource[]): { name: string; urn: string }[] {
  const unknown = unconfiguredClusters(resources);
  return resources
    .filter((r) => r.type === K8S_PROVIDER && !isDefaultProvider(r.name || r.urn) && !isEksOwnProvider(r.urn))
    .map((r) => ({ name: clusterOfProvider(r), urn: r.urn }))
    .filter((c) => !unknown.has(c.name));
}
