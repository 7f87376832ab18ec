/**
 * Policy-review mutations of who holds the keys: providers and their kubeconfigs, Secrets and
 * startup scripts kept secret, EKS endpoints, and the root of trust each istiod actually reads.
 */
import { Mutation, resources, edit, istiod } from "./mutations-support";

export const credentialsMutations: Mutation[] = [
  {
    // The istiod chart mounts cacerts from its release namespace: moved to another namespace, the
    // cluster's istiod no longer sees the shared CA and mints its own root.
    name: "a cluster's istiod moved to another namespace, its cacerts left in istio-system",
    policy: "mesh-root-ca-shared",
    apply: (doc) => {
      const all = resources(doc).filter(istiod);
      return all.length > 1 ? edit(all[all.length - 1], (o) => ((o.namespace = "istio"), (o.values.global = { ...o.values.global, istioNamespace: "istio" }))) : undefined;
    },
  },
];
