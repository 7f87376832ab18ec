/**
 * One HTTPRoute per model on the inference gateway. Requests are matched on the base model the
 * body-based router wrote into `X-Gateway-Base-Model-Name`, so one gateway serves several
 * models; within a model, `x-canary: true` goes to the canary pool (first rule) and everything
 * else is split across the version pools by their weights (second rule).
 */
import type { ModelSpec } from "../../infra/schema";
import { Manifest, appLabels } from "../k8s/apply";
import { baseModelHeader, canaryHeader, gatewayName, inferenceNamespace, poolName } from "./names";

/** Long generations: the gateway must not cut a streaming completion short. */
export const requestTimeout = "300s";

export interface PoolBackendRef {
  group: "inference.networking.k8s.io";
  kind: "InferencePool";
  name: string;
  weight: number;
}

export interface RouteRule {
  matches: { path: { type: "PathPrefix"; value: string }; headers: { type: "Exact"; name: string; value: string }[] }[];
  backendRefs: PoolBackendRef[];
  timeouts: { request: string };
}

const poolRef = (name: string, weight: number): PoolBackendRef => ({ group: "inference.networking.k8s.io", kind: "InferencePool", name, weight });

/**
 * The split's pools, heaviest weight last, and on a tie the canary before the stable version. Istio ≤ 1.30.3 gives a rule with several InferencePool
 * backendRefs the endpoint picker of its last weighted backendRef only (istio/istio#61594): last,
 * the stable version's picker keeps choosing for the bulk of the traffic, and a canary with no
 * ready pod fails only its own share instead of the whole rule. The order means nothing to
 * Gateway API, so it costs nothing where Istio is fixed.
 */
export function splitOrder(versions: ModelSpec["versions"]): ModelSpec["versions"] {
  // Then by name, not config position: reordering `versions` in the config is no change to the route.
  return [...versions].sort((a, b) => a.weight - b.weight || Number(b.canary) - Number(a.canary) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The route rules of one model, canary header rule first, then the weighted split. */
export function modelRouteRules(model: ModelSpec): RouteRule[] {
  const base = { type: "Exact" as const, name: baseModelHeader, value: model.servedModelName };
  const path = { type: "PathPrefix" as const, value: "/" };
  const canary = model.versions.find((v) => v.canary);
  const rules: RouteRule[] = [];
  if (canary) {
    rules.push({
      matches: [{ path, headers: [base, { type: "Exact", name: canaryHeader, value: "true" }] }],
      backendRefs: [poolRef(poolName(model, canary), 1)],
      timeouts: { request: requestTimeout },
    });
  }
  rules.push({
    matches: [{ path, headers: [base] }],
    backendRefs: splitOrder(model.versions).map((v) => poolRef(poolName(model, v), v.weight)),
    timeouts: { request: requestTimeout },
  });
  return rules;
}

export function modelRouteManifest(model: ModelSpec): Manifest {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: {
      name: model.name,
      namespace: inferenceNamespace,
      labels: appLabels({ name: model.name, instance: model.name, component: "inference-route" }),
    },
    spec: {
      parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: gatewayName, namespace: inferenceNamespace }],
      rules: modelRouteRules(model),
    },
  };
}
