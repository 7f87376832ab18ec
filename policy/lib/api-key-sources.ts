/**
 * Where an AgentgatewayPolicy's `traffic.apiKeyAuthentication` reads its keys, and what agentgateway
 * v1.4.1 makes of each entry there (controller/pkg/agentgateway/plugins/traffic_plugin.go
 * processAPIKeyAuthenticationPolicy). The CRD admits exactly one source (the Go type's
 * ExactlyOneOf=secretRef;secretSelector;configMapSelector), and a `secretRef`'s own fields are
 * validated wherever it sits: what it refuses is refusedKeySources. The controller's order
 * (`configMapSelector` over `secretSelector` over `secretRef`) thus never has two to choose
 * between; selectors pick ConfigMaps or Secrets by label in the policy's own namespace, and
 * `secretRef` names one Secret there (or a custom credential kind, which the released controller
 * cannot read: credential-refs.ts). Each
 * entry is a key under an arbitrary name: a bare value (a raw key), or JSON with exactly one of
 * `key` (raw) and `keyHash` (`sha256:<64 hex>`); from a ConfigMap only `keyHash` is taken. An entry
 * it refuses is dropped with an error on the policy, so the client holding that key is refused.
 */
import type { PolicyResource } from "@pulumi/policy";
import { isKind, matchesLabels, meta, T } from "./k8s";
import { parentTypeOf } from "./eks";
import { probe } from "./values";
import { halfSetRef, unreadableRef } from "./credential-refs";

export const isAgentgatewayPolicy = (type: string) => isKind(type, "agentgateway.dev", "AgentgatewayPolicy");

/** Why agentgateway v1.4.1 refuses an entry (from a ConfigMap when `configMap`), or undefined when it takes it. */
export function refusedEntry(value: string, configMap: boolean): string | undefined {
  const trimmed = value.trim();
  if (trimmed === "") return "is empty";
  let entry: { key?: unknown; keyHash?: unknown };
  if (!trimmed.startsWith("{")) entry = { key: value };
  else {
    try {
      entry = JSON.parse(trimmed);
    } catch {
      return "is not valid JSON";
    }
    if (!entry || typeof entry !== "object" || Array.isArray(entry)) return "is not a JSON object";
  }
  const key = typeof entry.key === "string" ? entry.key : "";
  const hash = typeof entry.keyHash === "string" ? entry.keyHash : "";
  if ((key === "") === (hash === "")) return "sets neither or both of key and keyHash (exactly one must be set)";
  if (configMap && key !== "") return "holds a raw key, which agentgateway takes from a Secret only (from a ConfigMap: keyHash), and in plaintext in state and to every reader of ConfigMaps";
  if (hash !== "" && !/^sha256:[0-9a-fA-F]{64}$/.test(hash)) return `has keyHash ${JSON.stringify(hash)}, not sha256:<64 hex digits>`;
  return undefined;
}

/** Whether an entry agentgateway takes is a raw key (a bare value or JSON `key`), not a hash. */
export function isRawKey(value: string): boolean {
  const trimmed = value.trim();
  if (trimmed === "") return false;
  if (!trimmed.startsWith("{")) return true;
  try {
    const entry = JSON.parse(trimmed);
    return typeof entry?.key === "string" && entry.key !== "";
  } catch {
    return false;
  }
}

const SOURCES = ["secretRef", "secretSelector", "configMapSelector"] as const;

/**
 * What the v1.4.1 CRD's validation refuses in an apiKeyAuthentication, as [path suffix, why]
 * (the API server then rejects the whole policy): not exactly one source set (null is pruned, so
 * unset), and a `secretRef` without a name (required, 1 to 253 characters) or with a group
 * without a kind or a kind without a group, whether or not a selector beside it would win.
 */
export function refusedKeySources(auth: Record<string, any>): [string, string][] {
  const refused: [string, string][] = [];
  const set = SOURCES.filter((f) => auth[f] !== undefined && auth[f] !== null);
  if (set.length !== 1) {
    const named = set.length === 0 ? `none of ${SOURCES.join(", ").replace(/, (?=[^,]*$)/, " and ")}` : set.join(set.length === 2 ? " and " : ", ").replace(/, (?=[^,]*$)/, " and ");
    refused.push(["", `sets ${named}, and the CRD's validation admits exactly one key source ("exactly one of the fields in [secretRef secretSelector configMapSelector] must be set")`]);
  }
  const ref = auth.secretRef;
  if (ref && typeof ref === "object") {
    const name = ref.name;
    if (name === undefined || name === null) refused.push([".secretRef", "has no name, which the CRD requires (1 to 253 characters)"]);
    else if (typeof name !== "string" || name.length < 1 || name.length > 253) refused.push([".secretRef", `has name ${JSON.stringify(name)}, which the CRD requires (1 to 253 characters)`]);
    const halfSet = halfSetRef(ref);
    if (halfSet) refused.push([".secretRef", halfSet]);
  }
  return refused;
}

/** Which source of a policy's apiKeyAuthentication agentgateway reads, and how it picks objects. */
export type KeySource =
  | { field: "configMapSelector" | "secretSelector"; type: string; matchLabels: Record<string, string> }
  | { field: "secretRef"; type: string; name: string };

/** A winning `secretRef` agentgateway cannot read, and why (unreadableRef). */
export interface UnreadableSource {
  field: "secretRef";
  unreadable: string;
}

/** The source that wins (the last one set in the controller's order); undefined: none. */
export function keySource(auth: Record<string, any>): KeySource | UnreadableSource | undefined {
  if (auth.configMapSelector) return { field: "configMapSelector", type: T.configMap, matchLabels: auth.configMapSelector.matchLabels ?? {} };
  if (auth.secretSelector) return { field: "secretSelector", type: T.secret, matchLabels: auth.secretSelector.matchLabels ?? {} };
  const ref = auth.secretRef;
  if (!ref || typeof ref.name !== "string") return undefined;
  const unreadable = unreadableRef(ref, "checks no key from it: no client authenticates with one");
  return unreadable ? { field: "secretRef", unreadable } : { field: "secretRef", type: T.secret, name: ref.name };
}

/** Whether an object of the stack is one `source` picks (same kind, namespace; label match or name). */
export function picks(source: KeySource, namespace: string, r: PolicyResource): boolean {
  if (r.type !== source.type) return false;
  const m = meta(r.props);
  if (m.namespace !== namespace) return false;
  return source.field === "secretRef" ? m.name === source.name : matchesLabels(source.matchLabels, m.labels);
}

/**
 * The entries agentgateway reads of a ConfigMap (`data` only: the controller copies cm.Data) or a
 * Secret (`data`, base64, and `stringData`, which the API server merges into it), each as
 * [path, text]; a field or entry this run cannot read is named in `unknown`.
 */
export function entriesOf(r: PolicyResource, unknown: string[]): [string, string][] {
  const out: [string, string][] = [];
  const fields = r.type === T.configMap ? ["data"] : ["data", "stringData"];
  for (const field of fields) {
    const entries = probe(() => (r.props[field] ?? {}) as Record<string, unknown>);
    if (!entries.known) {
      unknown.push(field);
      continue;
    }
    for (const key of Object.keys(entries.value)) {
      const v = probe(() => entries.value[key]);
      if (!v.known) unknown.push(`${field}.${key}`);
      else if (typeof v.value === "string") {
        const text = r.type === T.secret && field === "data" ? Buffer.from(v.value, "base64").toString("utf8") : v.value;
        out.push([`${field}.${key}`, text]);
      }
    }
  }
  return out;
}

/**
 * Components whose provider registers each object it reads from manifests as a child (yaml/v2
 * register, shared by ConfigFile, ConfigGroup, the v4 Chart and the v2 kustomize Directory). Such a
 * Secret's data and stringData go in wrapped secret (pulumi-kubernetes yaml/v2 yaml.go) and the
 * provider keeps them secret in its outputs (provider.go annotateSecrets), yet the child carries no
 * additionalSecretOutputs, and the fork cannot give it one.
 */
const MANIFEST_COMPONENTS = new Set(["kubernetes:yaml/v2:ConfigFile", "kubernetes:yaml/v2:ConfigGroup", "kubernetes:helm.sh/v4:Chart", "kubernetes:kustomize/v2:Directory"]);

/** Whether a resource is such a component's child (its parent's type, from its URN). */
export const readFromManifests = (urn: string): boolean => MANIFEST_COMPONENTS.has(parentTypeOf(urn) ?? "");
