/**
 * What ztunnel enforces of an AuthorizationPolicy bound by selector, namespace or the root
 * namespace (Istio 1.30.3 pilot/pkg/serviceregistry/ambient/authorization.go, ztunnel 1.30.3
 * src/rbac.rs), and whether a policy is enforced at all, for the who-may-call-whom matrix.
 *
 * istiod hands ztunnel one match per `from` source, one per `to` operation and one per `when`
 * condition, keeping only the fields ztunnel reads: principals, namespaces, serviceAccounts and
 * ipBlocks (and their `not*`), ports/notPorts, and the five L4 `when` keys. HTTP attributes are
 * left out (an ALLOW rule holding any is dropped whole), and so are `trustDomains`/`notTrustDomains`,
 * which istiod does not convert at all. ztunnel then *skips* a match with no field set, so a clause
 * whose every match came out empty fails the rule: a DENY rule whose operations are all HTTP (no
 * ports), whose sources are all request principals, or with an HTTP `when`, denies nobody (istio
 * ztunnel rbac.rs test `rbac_empty_policy`; istio/istio#61126).
 */
import type { KubernetesObject } from "./outputs";
import { l7Attributes, L4_WHEN, L7_SOURCES } from "./topology-sources";

const SOURCE_FIELDS = ["principals", "notPrincipals", "namespaces", "notNamespaces", "serviceAccounts", "notServiceAccounts", "ipBlocks", "notIpBlocks"];
const OPERATION_FIELDS = ["ports", "notPorts"];
const UNREAD_SOURCE_FIELDS = ["trustDomains", "notTrustDomains"];

export interface ZtunnelRule {
  /** The rule as ztunnel matches it (fields it does not read removed, emptied entries skipped). */
  rule: Record<string, any>;
  /** Fields of the rule ztunnel does not read (HTTP attributes, `when` keys, trust domains). */
  ignored: string[];
  /** The HTTP attributes among them. */
  l7: string[];
  /** Why the rule can never match at ztunnel. */
  never?: string;
}

const keep = (o: Record<string, unknown> | undefined, fields: string[]) =>
  Object.fromEntries(Object.entries(o ?? {}).filter(([k, v]) => fields.includes(k) && Array.isArray(v) && v.length > 0));

export function ztunnelRule(action: string, rule: Record<string, any>): ZtunnelRule {
  const l7 = l7Attributes(rule);
  const froms = (rule.from ?? []) as { source?: Record<string, unknown> }[];
  const tos = (rule.to ?? []) as { operation?: Record<string, unknown> }[];
  const unread = UNREAD_SOURCE_FIELDS.filter((k) => froms.some((f) => Array.isArray(f?.source?.[k]) && (f.source![k] as unknown[]).length > 0));
  const ignored = [...l7, ...unread];
  if (action === "ALLOW" && l7.length) return { rule, ignored, l7, never: `ztunnel drops ALLOW rules with HTTP attributes (${l7.join(", ")})` };
  const from = froms.map((f) => ({ source: keep(f?.source, SOURCE_FIELDS) })).filter((f) => Object.keys(f.source).length > 0);
  const to = tos.map((t) => ({ operation: keep(t?.operation, OPERATION_FIELDS) })).filter((t) => Object.keys(t.operation).length > 0);
  const sourceFields = ignored.filter((k) => L7_SOURCES.includes(k) || UNREAD_SOURCE_FIELDS.includes(k));
  const operationFields = l7.filter((k) => !L7_SOURCES.includes(k) && !k.startsWith("when "));
  const emptied = [
    ...(froms.length && !from.length ? [`its sources (only ${sourceFields.join(", ")})`] : []),
    ...(tos.length && !to.length ? [`its operations (only ${operationFields.join(", ")})`] : []),
    ...((rule.when ?? []) as { key: string }[]).filter((w) => !L4_WHEN.has(w.key)).map((w) => `when ${w.key}`),
  ];
  if (emptied.length) return { rule, ignored, l7, never: `ztunnel reads nothing of ${emptied.join(", ")} and skips a match left empty` };
  return { rule: { ...rule, ...(rule.from ? { from } : {}), ...(rule.to ? { to } : {}) }, ignored, l7 };
}

/** A string as Go's strconv.ParseBool reads it: true, false, or undefined (an error). */
function parseGoBool(value: unknown): boolean | undefined {
  if (typeof value !== "string") return undefined;
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  return undefined;
}

/**
 * Why a whole policy is not enforced, if it is not: `istio.io/dry-run` (read with ParseBool, an
 * unreadable value enforcing) makes ztunnel ignore the policy (or only log it, with
 * AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY) and Envoy build it as shadow rules (builder.go isDryRun).
 */
export function policyUnenforced(annotations: Record<string, string> | undefined): string | undefined {
  return parseGoBool(annotations?.["istio.io/dry-run"]) ? "a dry-run policy (istio.io/dry-run) is only logged" : undefined;
}

/** ztunnel converts ALLOW and DENY policies only (convertAuthorizationPolicy: "ztunnel does not support the … action"). */
export function ztunnelActionUnsupported(action: string): string | undefined {
  return action === "ALLOW" || action === "DENY" ? undefined : `ztunnel does not support the ${action} action`;
}

/**
 * Why no ztunnel captures a workload's traffic, so nothing enforces a policy bound to it by selector
 * or namespace: ztunnel enforces only for pods in the ambient data plane (istio.io docs, ambient/
 * usage/l4-policy), and istio-cni 1.30.3 enrolls a pod labelled istio.io/dataplane-mode ambient, or
 * one not labelled none in a namespace labelled ambient (manifests/charts/istio-cni values.yaml
 * ambient.enablementSelectors), and sees no call into one annotated to bypass inbound capture.
 * Undefined where it may be enrolled or run a sidecar (which enforces
 * on its own), or where its namespace is not among the cluster's objects.
 */
export function outOfMesh(w: { kind: string; namespace: string; name: string; labels: Record<string, string> }, objects: KubernetesObject[]): string | undefined {
  const ns = objects.find((o) => o.kind === "Namespace" && o.metadata.name === w.namespace);
  const nsLabels = (ns?.metadata.labels ?? {}) as Record<string, string>;
  const injected = w.labels["sidecar.istio.io/inject"] === "true" || nsLabels["istio-injection"] === "enabled" || (nsLabels["istio-injection"] === undefined && nsLabels["istio.io/rev"] !== undefined);
  const mode = w.labels["istio.io/dataplane-mode"];
  if (injected) return undefined;
  if (mode === "none") return "its pods opt out of ambient (istio.io/dataplane-mode: none): no ztunnel captures their traffic";
  if (!ns && mode !== "ambient") return undefined;
  // istio-cni leaves inbound traffic uncaptured for this annotation, read with ParseBool (cni/pkg/nodeagent/net.go getPodLevelTrafficOverrides).
  const template = objects.find((o) => o.kind === w.kind && o.metadata.name === w.name && (o.metadata.namespace ?? "default") === w.namespace);
  const bypass = parseGoBool((template?.spec as any)?.template?.metadata?.annotations?.["ambient.istio.io/bypass-inbound-capture"]);
  if (mode === "ambient" || nsLabels["istio.io/dataplane-mode"] === "ambient") return bypass ? "its pods bypass inbound capture (ambient.istio.io/bypass-inbound-capture): no ztunnel sees calls into them" : undefined;
  return `namespace ${w.namespace} is not in the ambient data plane (istio.io/dataplane-mode: ambient on it or its pods): no ztunnel captures their traffic`;
}
