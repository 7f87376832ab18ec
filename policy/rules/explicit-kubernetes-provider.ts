import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isDefaultProvider, T } from "../lib/k8s";

/**
 * Component resources of the Kubernetes SDK: they are never bound to a provider themselves (their
 * children carry it). Multi-language (yaml/v2, helm v4, kustomize/v2) and the SDK-side ones
 * (yaml ConfigFile/ConfigGroup, helm v3 Chart, kustomize Directory).
 */
const components = new Set([
  "kubernetes:yaml/v2:ConfigFile",
  "kubernetes:yaml/v2:ConfigGroup",
  "kubernetes:helm.sh/v4:Chart",
  "kubernetes:kustomize/v2:Directory",
  "kubernetes:yaml:ConfigFile",
  "kubernetes:yaml:ConfigGroup",
  "kubernetes:helm.sh/v3:Chart",
  "kubernetes:kustomize:Directory",
]);

/**
 * The default Kubernetes provider uses whatever KUBECONFIG/context the operator's shell has: in a
 * multi-cluster stack that deploys to the wrong cluster. Every object names its cluster's provider.
 */
export const explicitKubernetesProvider: ResourceValidationPolicy = {
  name: "explicit-kubernetes-provider",
  description:
    "Every Kubernetes resource is bound to an explicit per-cluster kubernetes provider, never the engine's default provider (which follows the ambient KUBECONFIG and context).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!args.type.startsWith("kubernetes:")) return;
    const p = args.provider;
    if (!p) {
      if (components.has(args.type)) return;
      report(`${args.name} has no provider: pass the cluster's k8s.Provider as { provider }`);
      return;
    }
    if (p.type !== T.k8sProvider) {
      report(`${args.name} uses provider ${p.urn} of type ${p.type}, not pulumi:providers:kubernetes`);
    } else if (isDefaultProvider(p.name || p.urn)) {
      report(`${args.name} uses the default kubernetes provider (${p.name || p.urn}); pass the cluster's k8s.Provider explicitly`);
    }
  },
};
