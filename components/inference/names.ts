/**
 * Names, labels and ports the inference objects share. One module so that the pool selector,
 * the model-server pod labels, the EPP Service and the routes cannot drift apart.
 */
import { appLabels } from "../k8s/apply";
import { namespaces } from "../mesh/namespaces";
import type { ModelSpec, ModelVersionSpec } from "../../infra/schema";

export const inferenceNamespace = namespaces.inference;

/** Ports, end to end: container port = pool targetPort = probes; EPP and BBR as upstream serves them. */
export const ports = {
  /** vLLM / simulator OpenAI HTTP port (container port `http`). */
  modelServer: 8000,
  /** EPP ext-proc gRPC (the pool's endpointPickerRef port). */
  eppExtProc: 9002,
  /** EPP gRPC health (liveness/readiness probes). */
  eppHealth: 9003,
  /** EPP Prometheus metrics. */
  eppMetrics: 9090,
  /** Body-based router ext-proc gRPC. */
  bbrExtProc: 9004,
  /** Body-based router gRPC health. */
  bbrHealth: 9005,
  /** Body-based router metrics. */
  bbrMetrics: 9090,
  /** Gateway listeners. */
  https: 443,
  http: 80,
} as const;

/** The inference Gateway; Istio names its deployment, Service and ServiceAccount `<name>-istio`. */
export const gatewayName = "inference-gateway";
export const gatewayServiceName = `${gatewayName}-istio`;
export const gatewayServiceAccount = { namespace: inferenceNamespace, name: gatewayServiceName } as const;
/** In-cluster host of the gateway's Service, used by in-mesh callers (agents). */
export const gatewayClusterHost = `${gatewayServiceName}.${inferenceNamespace}.svc.cluster.local`;
/** OpenAI-compatible base URL for in-mesh callers: the gateway's in-mesh listener. */
export const inMeshOpenAiBaseUrl = `http://${gatewayClusterHost}/v1`;

/** Header the body-based router sets from the OpenAI `model` field (base model of an adapter). */
export const baseModelHeader = "X-Gateway-Base-Model-Name";
/** Header that pins a request to the canary version. */
export const canaryHeader = "x-canary";

/** Label the EPP reads to pick the metrics mapping of the engine (llm-d-router ≥ v0.9). */
export const engineLabel = { "llm-d.ai/engine-type": "vllm" } as const;

/** One pool per model version: `<model>-<version>`. */
export function poolName(model: Pick<ModelSpec, "name">, version: Pick<ModelVersionSpec, "name">): string {
  return `${model.name}-${version.name}`;
}

export const eppName = (pool: string) => `${pool}-epp`;
export const modelServerServiceAccount = (pool: string) => `${pool}-server`;

/** Labels every model-server pod of one version carries; the pool selects a subset of them. */
export function modelServerLabels(model: ModelSpec, version: ModelVersionSpec): Record<string, string> {
  return {
    ...appLabels({ name: model.name, instance: poolName(model, version), version: version.name, component: "model-server" }),
    ...engineLabel,
  };
}

/** Exactly that version's model-server pods: model, pool instance and component together. */
export function poolSelector(model: ModelSpec, version: ModelVersionSpec): Record<string, string> {
  const labels = modelServerLabels(model, version);
  return {
    "app.kubernetes.io/name": labels["app.kubernetes.io/name"],
    "app.kubernetes.io/instance": labels["app.kubernetes.io/instance"],
    "app.kubernetes.io/component": labels["app.kubernetes.io/component"],
  };
}

/** The picker's labels; `version` is its image's (`versions.eppImage`), which may move apart from `versions.llmdRouter` (the CRDs). */
export function eppLabels(pool: string, version: string | undefined): Record<string, string> {
  return appLabels({ name: "endpoint-picker", instance: eppName(pool), version, component: "endpoint-picker" });
}

export function eppSelector(pool: string): Record<string, string> {
  return { "app.kubernetes.io/name": "endpoint-picker", "app.kubernetes.io/instance": eppName(pool), "app.kubernetes.io/component": "endpoint-picker" };
}
