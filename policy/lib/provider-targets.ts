/**
 * Where an explicit Kubernetes provider deploys, as pulumi-kubernetes picks it from its inputs:
 * `kubeconfig` (the file's content, or a path to it), `context` in place of its current-context,
 * and `cluster` in place of that context's cluster. Two providers of the stack that reach the same
 * API server are one cluster, whatever their names say.
 */
import { probe, yamlMapping } from "./values";

type Named = { name?: unknown; [k: string]: unknown };

const entry = (items: unknown, name: unknown): Named | undefined =>
  Array.isArray(items) ? (items as Named[]).find((i) => i && typeof i === "object" && i.name === name) : undefined;

/** A kubeconfig given inline (YAML or JSON) rather than as a path to its file. */
const inline = (text: string) => text.includes("\n") || text.trimStart().startsWith("{") || /apiVersion|clusters:/.test(text);

/**
 * The API server a provider deploys to (`https://host:port`, as its kubeconfig writes it,
 * lower-cased and without a trailing slash), or its kubeconfig file and context when given a path
 * (the file is not in the state); undefined when a setting is not known here, none is given, or
 * the kubeconfig names no server (other rules report those).
 */
export function providerTarget(props: Record<string, any>): string | undefined {
  const read = probe(() => ({ kubeconfig: props.kubeconfig as unknown, context: props.context as unknown, cluster: props.cluster as unknown, render: props.renderYamlToDirectory as unknown }));
  if (!read.known) return undefined;
  const { kubeconfig, render } = read.value;
  const context = typeof read.value.context === "string" && read.value.context !== "" ? read.value.context : undefined;
  const cluster = typeof read.value.cluster === "string" && read.value.cluster !== "" ? read.value.cluster : undefined;
  // A render-only provider writes manifests to a directory and reaches no cluster.
  if (typeof render === "string" && render.trim() !== "") return undefined;
  if (typeof kubeconfig !== "string" || kubeconfig.trim() === "") return undefined;
  if (!inline(kubeconfig)) return `kubeconfig file ${kubeconfig.trim()}, ${context ? `context ${context}` : "its current context"}${cluster ? `, cluster ${cluster}` : ""}`;
  // Anything but a mapping (an empty document, a list, text that does not parse) names no server.
  const doc = yamlMapping(kubeconfig);
  if (!doc) return undefined;
  const name = cluster ?? (entry(doc.contexts, context ?? doc["current-context"])?.context as Record<string, unknown> | undefined)?.cluster;
  const server = (entry(doc.clusters, name)?.cluster as Record<string, unknown> | undefined)?.server;
  return typeof server === "string" && server.trim() !== "" ? server.trim().toLowerCase().replace(/\/+$/, "") : undefined;
}
