/**
 * The versions a route (a model's or an agent's) must wait for: those it sends traffic to (a
 * weight, or the canary header) that have replicas. pulumi-kubernetes registers a Deployment only
 * once its rollout is Available, so a route waiting for a new or grown version moves traffic once
 * it serves; without that, Gateway API answers a share whose backend does not exist yet with 500s,
 * and one with no ready pod with 503s (for a model, the minutes vLLM takes to load). A version
 * parked at 0 replicas is not waited for: its route would otherwise leave it only once its pods
 * were gone.
 */
export function routeWaitsFor<V extends { weight: number; canary: boolean }>(versions: readonly V[], replicas: (version: V) => number): V[] {
  return versions.filter((v) => replicas(v) > 0 && (v.weight > 0 || v.canary));
}
