import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isDefaultProvider, KUBERNETES_COMPONENTS, T } from "../lib/k8s";
import { probe } from "../lib/values";

/**
 * Whether a provider names its cluster's kubeconfig. pulumi-kubernetes uses `kubeconfig` (file
 * content or a path) when it is non-empty; otherwise client-go's default loading rules pick
 * $KUBECONFIG, ~/.kube/config or the in-cluster account of whoever runs Pulumi. A value unknown in
 * this preview (the kubeconfig of a cluster being created, or ciphertext offline) is set.
 */
function namesKubeconfig(props: Record<string, any>): boolean {
  const kc = probe(() => props.kubeconfig as unknown);
  if (!kc.known) return true;
  if (typeof kc.value === "string") return kc.value.trim() !== "";
  return kc.value !== undefined && kc.value !== null;
}

/** Render mode writes manifests to a directory and applies nothing, so it targets no cluster. */
function rendersOnly(props: Record<string, any>): boolean {
  const dir = probe(() => props.renderYamlToDirectory as unknown);
  return !dir.known || (typeof dir.value === "string" && dir.value.trim() !== "");
}

/**
 * The default Kubernetes provider uses whatever KUBECONFIG/context the operator's shell has: in a
 * multi-cluster stack that deploys to the wrong cluster. Every object names its cluster's provider,
 * and every such provider names its cluster's kubeconfig: an explicit provider without one falls
 * back to the same ambient config, so the cluster's objects (CA keys included) go wherever the
 * shell points.
 */
export const explicitKubernetesProvider: ResourceValidationPolicy = {
  name: "explicit-kubernetes-provider",
  description:
    "Every Kubernetes resource is bound to an explicit per-cluster kubernetes provider, never the engine's default provider (which follows the ambient KUBECONFIG and context), and every explicit kubernetes provider sets kubeconfig (its content or a path to its file; a provider without one falls back to the ambient KUBECONFIG as well).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type === T.k8sProvider) {
      // Engine defaults are reported on the resources bound to them (below).
      if (isDefaultProvider(args.name || args.urn) || rendersOnly(args.props) || namesKubeconfig(args.props)) return;
      const context = probe(() => args.props.context as unknown);
      const withContext = context.known && typeof context.value === "string" && context.value !== "" ? ` (context ${context.value} is looked up there too)` : "";
      report(
        `provider ${args.name} sets no kubeconfig: pulumi-kubernetes then loads $KUBECONFIG, ~/.kube/config or the in-cluster account of whoever runs Pulumi${withContext}, and deploys this cluster's objects to whatever cluster that points at; set kubeconfig to the cluster's kubeconfig (its content, or the path to its file)`,
      );
      return;
    }
    if (!args.type.startsWith("kubernetes:")) return;
    const p = args.provider;
    if (!p) {
      // Components of the Kubernetes SDK are never bound to a provider themselves: their children carry it.
      if (KUBERNETES_COMPONENTS.has(args.type)) return;
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
