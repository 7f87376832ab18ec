/**
 * A hand-written InferencePool whose endpointPickerRef names a picker Service one of the stack's
 * chart releases renders (picker-release-serving.ts reads the releases): that picker serves the
 * release's own pool or runs standalone, never this one. Read by inference-pool-epp.
 */
import type { PolicyResource } from "@pulumi/policy";
import { chartPickerName } from "./picker-release-names";
import { chartPickerServices, chartReleases, servesOwnPool } from "./picker-release-serving";

/**
 * A hand-written pool whose picker reference names the Service a chart release renders for its own
 * picker: that picker is started for the release's own InferencePool (`--pool-name <release>
 * --pool-namespace <namespace>`), or standalone (`--endpoint-selector` from router.modelServers,
 * router.inferencePool.create false), never for another pool. Undefined when no release renders it.
 */
export function chartPickerServiceProblem(resources: PolicyResource[], cluster: string, pool: { name: string; namespace: string }, service: string): string | undefined {
  for (const rel of chartReleases(resources, cluster)) {
    if (rel.namespace !== pool.namespace || !rel.name) continue;
    const rendered = chartPickerServices(rel.name, rel.values, rel.gie);
    if (!rendered?.services.includes(service)) continue;
    const what = rendered.preferredBackends
      ? `endpoint picker Service ${pool.namespace}/${service} is one of those Helm release ${rel.namespace}/${rel.name} (chart ${rel.chart}) renders for its own picker (provider.gke.preferredBackends: one a picker pod of StatefulSet ${chartPickerName(rel.name)})`
      : `endpoint picker Service ${pool.namespace}/${service} is the one Helm release ${rel.namespace}/${rel.name} (chart ${rel.chart}) renders for its own picker`;
    const create = rel.gie ? "inferenceExtension.endpointsServer.createInferencePool" : "router.inferencePool.create";
    if (!servesOwnPool(rel)) {
      const selector = rel.gie ? "inferenceExtension.endpointsServer.endpointSelector" : "router.modelServers.matchLabels";
      return `${what}, which runs standalone (${create} false: --endpoint-selector from ${selector}, no InferencePool), so it picks among the pods of its own selector, not this pool's, and no objective of this pool reaches it; give this pool a picker of its own (a Service of a picker started with --pool-name ${pool.name}), or let the chart create the pool (${create} true) and route to InferencePool ${rel.namespace}/${rel.name}`;
    }
    if (rel.name === pool.name) {
      const how = !rel.gie ? "router.inferencePool.create, true unless set false" : rel.chart === "standalone" ? `standalone/templates/inferencepool.yaml, unless ${create} is false` : "inferencepool/templates/inferencepool.yaml, always";
      const fix = !rel.gie ? "router.modelServers), or set router.inferencePool.create false in a release of its own" : rel.chart === "standalone" ? `inferencePool.modelServers), or set ${create} false` : "inferencePool.modelServers)";
      return `${what}, and that release creates InferencePool ${rel.namespace}/${rel.name} itself (${how}), the pool this one names again: whichever of the two is applied second fails (Helm will not adopt an object it does not own; Pulumi cannot create one that exists), so drop this InferencePool and configure the chart's (${fix}`;
    }
    return `${what}, started for that release's InferencePool ${rel.namespace}/${rel.name} (--pool-name ${rel.name} --pool-namespace ${rel.namespace}, ${rel.gie ? "epplib" : "routerlib"} _deployment.yaml), so it picks that pool's model servers and this pool's requests go to them; route to InferencePool ${rel.namespace}/${rel.name} instead, or give this pool a picker of its own started with --pool-name ${pool.name}`;
  }
  return undefined;
}
