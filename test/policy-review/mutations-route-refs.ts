/**
 * Policy-review mutations of routes whose backendRefs reach into another namespace: a reference
 * Gateway API refuses without a ReferenceGrant there (ResolvedRefs False, RefNotPermitted), so the
 * gateway drops that backend and its share of the requests fails.
 */
import { Mutation, resources, isKind, edit, withSpec } from "./mutations-support";

const POOL_GROUP = "inference.networking.k8s.io";
const sendsToPool = (rule: any) => (rule.backendRefs ?? []).some((b: any) => b.kind === "InferencePool");

export const routeRefMutations: Mutation[] = [
  {
    // Istio 1.30.3 buildDestination checks BackendAllowed before the pool: no grant, RefNotPermitted, a 500 for that share.
    name: "a model's route moved to the agents namespace (the inference Gateway's listeners opened to it), naming its pools in inference with no ReferenceGrant there",
    policy: "inference-pool-epp",
    apply: (doc) => {
      const route = resources(doc).find((r) => isKind(r, "HTTPRoute") && (r.inputs as any)?.metadata?.namespace === "inference" && withSpec(r).rules?.some(sendsToPool));
      if (!route) return undefined;
      const parent = withSpec(route).parentRefs?.[0];
      const gw = resources(doc).find((r) => isKind(r, "Gateway") && r.provider === route.provider && (r.inputs as any)?.metadata?.name === parent?.name && (r.inputs as any)?.metadata?.namespace === "inference");
      if (gw) edit(gw, (o) => o.spec.listeners.forEach((l: any) => (l.allowedRoutes = { namespaces: { from: "All" } })));
      return edit(route, (o) => {
        o.metadata.namespace = "agents";
        for (const p of o.spec.parentRefs) p.namespace = "inference";
        for (const rule of o.spec.rules) for (const b of rule.backendRefs ?? []) if (b.kind === "InferencePool" && b.group === POOL_GROUP) b.namespace = "inference";
      });
    },
  },
];
