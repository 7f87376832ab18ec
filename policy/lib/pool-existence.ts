/**
 * Whether the InferencePool a reference names exists on the cluster: the one answer for every
 * policy that asks (inference-pool-epp on routes' pools, pool-membership.ts checkRoutePools, and on
 * objectives' poolRefs, pool-references.ts; agent-call-graph on agentgateway's stream routes,
 * agw-backend-refs.ts unrenderedBackend). A pool exists where the stack renders it (an InferencePool
 * it leaves unnamed is auto-named, so it may be any), or where a chart release of the cluster renders
 * it: GIE v1.5.0's inferencepool chart (and its standalone chart, unless
 * inferenceExtension.endpointsServer.createInferencePool is false) renders one InferencePool of group
 * inference.networking.k8s.io named `{{ .Release.Name }}` in `{{ .Release.Namespace }}`
 * (config/charts/*\/templates/inferencepool.yaml), and llm-d-router's charts the same unless
 * router.inferencePool.create is false (picker-release-serving.ts chartReleases, servesOwnPool). It may exist where
 * any other Helm install goes into that namespace (a chart this review does not read, an auto-named
 * release, a Helm v4 Chart), whose objects a review does not see; anywhere else it does not, whether
 * or not the stack creates the namespace: a pool is the stack's own (each cluster routes to its own).
 */
import type { PolicyResource } from "@pulumi/policy";
import { isHelmInstall, isInferencePool, meta } from "./k8s";
import { releaseNamespace } from "./release-namespace";
import { chartReleases, servesOwnPool } from "./picker-release-serving";

/** The API group of a pool's type (`inference.networking.k8s.io` or the legacy `…x-k8s.io`). */
export const poolGroupOf = (type: string) => /^kubernetes:([^/]*)\//.exec(type)?.[1] ?? "";

/** The group the GIE and llm-d-router charts render their InferencePool in. */
const CHART_POOL_GROUP = "inference.networking.k8s.io";

/** Each chart release of the cluster and the InferencePool it renders: `<release>` in its namespace (name undefined where auto-named), or null where it runs standalone and renders none. */
const releasePools = (resources: PolicyResource[]) => new Map(chartReleases(resources, "").map((rel) => [rel.resource, servesOwnPool(rel) ? { namespace: rel.namespace, name: rel.name } : null]));

export interface PoolRef {
  group: string;
  namespace: string;
  name: string;
}

/**
 * Undefined where the pool `ref` names is rendered on the cluster or may be; else what is wrong:
 * `otherGroup` where the stack's pool of that namespace and name is of another API group (a
 * different object: the reference resolves to nothing), or none (no such pool). Throws the SDK's
 * unknown-value error while a name, namespace or chart it reads is not known yet.
 */
export function poolAbsence(resources: readonly PolicyResource[], ref: PoolRef): { otherGroup?: string } | undefined {
  const there = resources.filter((r) => isInferencePool(r.type) && meta(r.props).namespace === ref.namespace).map((r) => ({ group: poolGroupOf(r.type), name: meta(r.props).name }));
  if (there.some((p) => p.group === ref.group && (p.name === ref.name || !p.name))) return undefined;
  const charts = releasePools([...resources]);
  const installs = resources.filter((r) => isHelmInstall(r.type) && releaseNamespace(r) === ref.namespace);
  if (installs.some((r) => charts.get(r)?.name === ref.name && ref.group === CHART_POOL_GROUP)) return undefined;
  const other = there.find((p) => p.name === ref.name);
  if (other) return { otherGroup: other.group };
  // A chart release whose pool's name is not known (auto-named), or any Helm install this review does not read: no verdict.
  if (installs.some((r) => !charts.has(r) || (charts.get(r) !== null && charts.get(r)?.name === undefined))) return undefined;
  return {};
}
