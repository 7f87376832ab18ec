/**
 * The namespace a Helm release installs into, as pulumi-kubernetes v4.34.2 fills it in: a release
 * without a `namespace` takes its provider's default namespace (provider/pkg/provider/helm_release.go
 * setDefaults), which is the Provider's `namespace` input, else the namespace of the kubeconfig
 * context the provider uses, else "default" (provider.go Configure: the `namespace` input is
 * client-go's context override, and client-go's Namespace() falls back to the context's, then to
 * "default").
 */
import type { PolicyResource } from "@pulumi/policy";
import { cannotJudge } from "./k8s";
import { isObject, yamlMapping } from "./values";

/**
 * The namespace of the context an inline kubeconfig selects (`context`, else its current-context),
 * "default" where that context names none; undefined where `kubeconfig` is not inline content (a
 * path, or none: the ambient $KUBECONFIG), which an export does not show.
 */
export function kubeconfigNamespace(kubeconfig: unknown, context: unknown): string | undefined {
  if (typeof kubeconfig !== "string" || kubeconfig === "") return undefined;
  // A path parses as a YAML string, not a mapping.
  const doc = yamlMapping(kubeconfig);
  if (!doc) return undefined;
  const name = typeof context === "string" && context !== "" ? context : doc["current-context"];
  const entry = Array.isArray(doc.contexts) ? doc.contexts.find((c: unknown) => isObject(c) && c.name === name) : undefined;
  const namespace = isObject(entry) && isObject(entry.context) ? entry.context.namespace : undefined;
  return typeof namespace === "string" && namespace !== "" ? namespace : "default";
}

/**
 * The namespace a Helm release installs into: its own `namespace`, else its provider's default
 * namespace. Throws "can't judge" where that default depends on a kubeconfig the stack does not
 * show inline, or the SDK's unknown-value error where a value it reads is not known yet.
 */
export function releaseNamespace(r: Pick<PolicyResource, "props" | "provider" | "name">): string {
  const own = r.props.namespace;
  if (typeof own === "string" && own !== "") return own;
  const provider = r.provider?.props ?? {};
  if (typeof provider.namespace === "string" && provider.namespace !== "") return provider.namespace;
  const fromKubeconfig = kubeconfigNamespace(provider.kubeconfig, provider.context);
  if (fromKubeconfig === undefined) {
    return cannotJudge([`the namespace Helm release ${r.name} installs into (it names none, and its provider gives neither a namespace nor an inline kubeconfig whose context would)`]);
  }
  return fromKubeconfig;
}

/** {@link releaseNamespace} for messages: `?` where this run cannot know it (a kubeconfig by path, a value not known yet). */
export function releaseNamespaceLabel(r: Pick<PolicyResource, "props" | "provider" | "name">): string {
  try {
    return releaseNamespace(r);
  } catch {
    return "?";
  }
}

/**
 * `<namespace>/<name>` of a Helm release, for messages, so that a message never names a namespace
 * the release does not install into; its logical name stands in for a release name not known yet.
 */
export function releaseLabel(r: Pick<PolicyResource, "props" | "provider" | "name">): string {
  let name = r.name;
  try {
    if (typeof r.props.name === "string" && r.props.name !== "") name = r.props.name;
  } catch {
    // Not known yet: the logical name is kept.
  }
  return `${releaseNamespaceLabel(r)}/${name}`;
}
