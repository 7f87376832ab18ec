/**
 * Policy-review mutations of objects the endpoint pickers silently never read, and of GPU
 * tolerations set where the pack did not look (Istio's gateway chart).
 */
import { Mutation, resources, isKind, edit, istiod, addLike } from "./mutations-support";

export const poolsGpuMutations: Mutation[] = [
  {
    // No picker reads it (llm-d-router takes only objectives naming its own pool): the priority silently never applies.
    name: "an InferenceObjective whose poolRef names a pool that does not exist",
    policy: "inference-pool-epp",
    apply: (doc) => {
      const objective = resources(doc).find((r) => isKind(r, "InferenceObjective") && (r.inputs as any)?.spec?.poolRef?.name);
      return objective && edit(objective, (o) => (o.spec.poolRef.name = `${o.spec.poolRef.name}-gone`));
    },
  },
  {
    // Istio's gateway chart takes its pods' tolerations from the top level of its values.
    name: "an Istio ingress gateway installed by Helm (chart gateway) tolerating the GPU taint",
    policy: "gpu-scheduling",
    apply: (doc) => {
      const like = resources(doc).find(istiod);
      if (!like) return undefined;
      const release = { ...(like.inputs as any), name: "istio-ingressgateway", chart: "gateway", namespace: "istio-ingress", values: { tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }] } };
      return addLike(doc, like, "ingress-gateway", like.type, release);
    },
  },
];
