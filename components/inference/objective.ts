/**
 * InferenceObjectives (llm-d.ai/v1alpha2): the model's priority from config, on each of its
 * version pools (an objective references one pool). Negative priorities are sheddable first.
 */
import type { ModelSpec, ModelVersionSpec } from "../../infra/schema";
import { Manifest, appLabels } from "../k8s/apply";
import { inferenceNamespace, poolName } from "./names";

export const inferenceObjectiveApiVersion = "llm-d.ai/v1alpha2";

export function inferenceObjectiveManifest(model: ModelSpec, version: ModelVersionSpec): Manifest {
  const pool = poolName(model, version);
  return {
    apiVersion: inferenceObjectiveApiVersion,
    kind: "InferenceObjective",
    metadata: {
      name: pool,
      namespace: inferenceNamespace,
      labels: appLabels({ name: model.name, instance: pool, version: version.name, component: "inference-objective" }),
    },
    spec: {
      priority: model.priority,
      poolRef: { group: "inference.networking.k8s.io", kind: "InferencePool", name: pool },
    },
  };
}
