/**
 * What Istio 1.30.3 makes of the objects and Helm values a stack holds: the namespaces outside the
 * mesh, how its charts and annotations read values, istiod's root namespace and trust domain
 * (lib/istio-gateway-pods.ts has the labels its controller gives a Gateway's pods). Shared by the
 * mesh and authorization rules.
 */
import type { PolicyResource } from "@pulumi/policy";
import { cannotJudge, dig, helmChartName, isHelmInstall, meta, T, isReleaseOf } from "./k8s";
import { withRenderedIstio } from "./istio-rendered";
import { isDns1123Label } from "./label-selector-text";
import { releaseNamespace } from "./release-namespace";
import { isObject, probe } from "./values";

/**
 * Namespaces the stack may create that deliberately run outside the mesh: Istio's own (its root
 * and its data plane), Kubernetes' own (also where the NVIDIA device plugin and, on OpenShift,
 * istio-cni and ztunnel run), and the agentgateway controller's. Rules that judge every namespace
 * the stack creates leave these out (each rule takes an `exemptNamespaces` list defaulting here).
 */
export const MESH_EXEMPT_NAMESPACES = ["istio-system", "kube-system", "kube-public", "kube-node-lease", "agentgateway-system"];

/**
 * The Namespaces the stack creates that a mesh policy judges: the listed ones, and every other one
 * not exempt, so a namespace a fork adds (say `rag`) is judged like the platform's own.
 */
export function judgedNamespaces(resources: PolicyResource[], listed: string[], exempt: string[]): PolicyResource[] {
  return resources.filter((r) => r.type === T.namespace && (listed.includes(meta(r.props).name) || !exempt.includes(meta(r.props).name)));
}

const injectionLabels = ["istio-injection", "istio.io/rev"];

/**
 * The injection labels of a namespace that make Istio 1.30's webhooks inject its pods
 * (istio-discovery mutatingwebhook.yaml): `istio-injection=enabled` (the `namespace.` webhook
 * matches that value only; `false` or `true` injects nothing), and `istio.io/rev` only where the
 * namespace has no `istio-injection` label of any value, which the revision's `rev.namespace.`
 * webhook requires (Istio documents that istio-injection takes precedence). A NamespacePatch is
 * read by the labels it sets.
 */
export function injectingLabels(labels: Record<string, unknown>): string[] {
  return injectionLabels.filter((label) =>
    label === "istio-injection" ? labels[label] === "enabled" : label in labels && !("istio-injection" in labels),
  );
}

/**
 * A string as Go's strconv.ParseBool reads it, which Istio uses for its boolean annotations
 * (istio-cni's CheckBooleanAnnotation): true, false, or undefined when Istio would ignore it.
 */
export function parseGoBool(value: unknown): boolean | undefined {
  if (typeof value !== "string") return undefined;
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  return undefined;
}

/** A Helm install of the istiod chart (or istiod rendered as one); one whose chart is not known yet is not. */
export function isIstiodRelease(r: PolicyResource): boolean {
  return isReleaseOf(r, "istiod");
}

/**
 * An istiod release that runs ambient: PILOT_ENABLE_AMBIENT in its env as the chart renders it
 * ({@link istiodEnv}, the ambient profile's "true" included), read as pilot/pkg/features/ambient.go
 * does (strconv.ParseBool, false by default). So `profile: ambient` with `pilot.env.PILOT_ENABLE_AMBIENT:
 * "false"` is not ambient (istiod then registers no ambient controller), while a top-level
 * `env.PILOT_ENABLE_AMBIENT: "false"` is: the profile's pilot.env is merged over it. Throws
 * "can't judge" where an envVarFrom entry sets it.
 */
export function isAmbientIstiod(values: unknown): boolean {
  const v = istiodEnv(values, "PILOT_ENABLE_AMBIENT");
  if (v === null) return cannotJudge(["the PILOT_ENABLE_AMBIENT env of istiod (set by valueFrom in envVarFrom)"]);
  return parseGoBool(v) === true;
}

/**
 * One boolean env flag of an ambient istiod (read with strconv.ParseBool, false by default, and
 * ignored without ambient): "not-ambient" where the release does not run ambient
 * ({@link isAmbientIstiod}), "unknown" where its ambient switch or the flag is not known in this
 * preview or an envVarFrom entry reads the flag from elsewhere, else whether it is on and how the
 * values give it (`leaves env.<flag> unset (false by default)` or `sets env.<flag> to "<value>"`).
 */
export function ambientIstiodFlag(release: PolicyResource, flag: string): "not-ambient" | "unknown" | { on: boolean; given: string } {
  const ambient = probe(() => isAmbientIstiod(release.props.values));
  if (ambient.known && !ambient.value) return "not-ambient";
  const setting = ambient.known ? probe(() => istiodEnv(release.props.values, flag)) : { known: false as const };
  if (!setting.known || setting.value === null) return "unknown";
  const v = setting.value;
  return { on: parseGoBool(v) === true, given: v === undefined ? `leaves env.${flag} unset (false by default)` : `sets env.${flag} to ${JSON.stringify(v)}` };
}

/**
 * The `pilot.env` entries each istio-discovery 1.30.3 profile sets that this pack reads
 * (files/profile-ambient.yaml). zzz_profile.yaml lays the profile (`profile`, else `global.profile`:
 * sprig's coalesce) under the given values, and zzy_descope_legacy.yaml then merges `pilot.*` over
 * the top level, so such an entry beats a top-level `env` entry and only `pilot.env` overrides it.
 */
const PROFILE_PILOT_ENV: Record<string, Record<string, string>> = { ambient: { PILOT_ENABLE_AMBIENT: "true" } };

function profileEnv(values: Record<string, unknown>, name: string): string | undefined {
  const profile = [values.profile, isObject(values.global) ? values.global.profile : undefined].find((p) => p !== undefined && p !== null && p !== "");
  return typeof profile === "string" ? PROFILE_PILOT_ENV[profile]?.[name] : undefined;
}

/**
 * A value as istio-discovery 1.30.3 reads it: zzy_descope_legacy.yaml merges `pilot.*` over the
 * top-level values (sprig's mergeOverwrite), so `pilot.<keys>` wins unless it is unset or null
 * (Helm drops a null value); an empty string or false there still wins.
 */
export function descopedValue(values: unknown, ...keys: string[]): unknown {
  const at = (root: unknown) => keys.reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), root);
  const pilot = at(isObject(values) ? values.pilot : undefined);
  return pilot !== undefined && pilot !== null ? pilot : at(values);
}

/**
 * One env var of istiod's container as istio-discovery 1.30.3 deployment.yaml renders it from the
 * values: `env` with the profile's `pilot.env` ({@link PROFILE_PILOT_ENV}), then the given
 * `pilot.env`, merged over it (zzy_descope_legacy.yaml: sprig's mergeOverwrite, whose mergo sets a
 * map's entry even to "" or false), each value printed into a string
 * (`"{{ $val }}"`: a YAML true is "true"), then the `envVarFrom` entries, whose later duplicate
 * the kubelet takes.
 * `undefined` when unset (Helm drops a null value), `null` when an entry reads it from elsewhere
 * (a ConfigMap, a field) that the stack does not show. Reads the value itself, so one not known
 * yet throws the SDK's unknown-value error.
 */
export function istiodEnv(values: unknown, name: string): string | undefined | null {
  const v = isObject(values) ? values : {};
  const pilot = isObject(v.pilot) ? v.pilot : {};
  const given = isObject(pilot.env) ? pilot.env[name] : undefined;
  const value = given !== undefined && given !== null ? given : (profileEnv(v, name) ?? descopedValue(values, "env", name));
  const from = Array.isArray(pilot.envVarFrom) && pilot.envVarFrom.length > 0 ? pilot.envVarFrom : v.envVarFrom;
  const entry = (Array.isArray(from) ? from : []).filter((e) => isObject(e) && e.name === name).pop();
  if (entry) return entry.value !== undefined && entry.value !== null ? String(entry.value) : entry.valueFrom != null ? null : "";
  return value === undefined || value === null ? undefined : String(value);
}

/**
 * The root namespace an istiod Helm install gives Istio: the chart renders
 * `meshConfig.rootNamespace | default global.istioNamespace`, and `global.istioNamespace`
 * defaults to istio-system (istio-discovery configmap.yaml, values.yaml). Throws the SDK's
 * unknown-value error when the values are not known yet.
 */
export function istiodRootNamespace(values: unknown): string {
  const pick = (path: string) => {
    const v = dig(values, path);
    return typeof v === "string" && v !== "" ? v : undefined;
  };
  return pick("meshConfig.rootNamespace") ?? pick("global.istioNamespace") ?? "istio-system";
}

/**
 * The root namespaces of a cluster's Istio: what each istiod Helm release (or istiod applied as
 * objects, lib/istio-rendered.ts) of the stack configures
 * ({@link istiodRootNamespace}; `release` names the first that sets it), or `configured` when the
 * stack installs no istiod there. Releases whose values (or chart) are not known yet are named in
 * `unknown` (their root cannot be judged).
 */
export function istioRootNamespaces(resources: PolicyResource[], configured: string): { roots: { namespace: string; release?: string }[]; unknown: string[] } {
  const roots = new Map<string, string>();
  const unknown: string[] = [];
  let istiods = 0;
  // istiod installed as objects (a v4 Chart's) sets it as its release does (a stand-in twice is harmless).
  for (const r of withRenderedIstio(resources)) {
    if (!isHelmInstall(r.type)) continue;
    const chart = probe(() => helmChartName(r.props));
    // A release whose chart is not known yet may be an istiod setting another root.
    if (!chart.known) unknown.push(`${r.name} (its chart is not known yet)`);
    if (!chart.known || chart.value !== "istiod") continue;
    istiods++;
    const root = probe(() => istiodRootNamespace(r.props.values));
    if (!root.known) unknown.push(r.name);
    else if (!roots.has(root.value)) roots.set(root.value, r.name);
  }
  if (istiods === 0) return { roots: [{ namespace: configured }], unknown };
  return { roots: [...roots].map(([namespace, release]) => ({ namespace, release })), unknown };
}

/**
 * The namespaces a cluster's istiods run in: each istiod Helm release's namespace as
 * pulumi-kubernetes resolves it ({@link releaseNamespace}: the release's own, else its provider's
 * default namespace), istio-system when the stack installs no istiod there. That is istiod's
 * system namespace (POD_NAMESPACE, pilot/pkg/bootstrap): where it mounts cacerts from
 * (istio-discovery templates/deployment.yaml) and whose `topology.istio.io/network` label names
 * the cluster's network (pilot/pkg/serviceregistry/kube/controller network.go
 * networkFromSystemNamespace). `null` when a release's chart or namespace is not known in this
 * preview, or its namespace depends on a kubeconfig the stack does not show.
 */
export function istiodNamespaces(resources: PolicyResource[]): string[] | null {
  const namespaces = new Set<string>();
  for (const r of resources.filter((x) => isHelmInstall(x.type))) {
    const chart = probe(() => helmChartName(r.props));
    if (!chart.known) return null;
    if (chart.value !== "istiod") continue;
    const ns = probe(() => releaseNamespace(r));
    if (!ns.known) return null;
    namespaces.add(ns.value);
  }
  return namespaces.size > 0 ? [...namespaces] : ["istio-system"];
}

/** Why Istio 1.30.3 refuses a trust domain (pkg/config/validation/agent ValidateTrustDomain), or undefined when it takes it. */
function trustDomainFault(domain: string): string | undefined {
  if (domain === "") return "empty domain name not allowed";
  const labels = domain.split(".");
  // A trailing dot (`istio.io.`) is allowed; every other label is a DNS-1123 label.
  const bad = labels.some((l, i) => !(i === labels.length - 1 && l === "") && !isDns1123Label(l));
  return bad ? `trust domain name ${JSON.stringify(domain)} invalid` : undefined;
}

/**
 * The trust domain settings of an istiod's values that Istio 1.30.3 refuses, each as
 * `<path> <value> (<why>)`. The chart lays `meshConfig` (with `pilot.meshConfig` merged over it,
 * zzy_descope_legacy.yaml) over its own mesh with sprig's mergeOverwrite, whose mergo sets a map's
 * entry even to "" (so an empty trustDomain replaces cluster.local), and istiod validates the mesh
 * config it reads as a whole (pkg/config/mesh ApplyMeshConfig → ValidateMeshConfig
 * validateTrustDomainConfig). Throws the SDK's unknown-value error when the values are not known.
 */
export function refusedTrustDomains(values: unknown): string[] {
  const pick = (key: string) => descopedValue(values, "meshConfig", key);
  const out: string[] = [];
  const domain = pick("trustDomain");
  const fault = typeof domain === "string" ? trustDomainFault(domain) : undefined;
  if (fault) out.push(`meshConfig.trustDomain ${JSON.stringify(domain)} (${fault})`);
  const aliases = pick("trustDomainAliases");
  (Array.isArray(aliases) ? aliases : []).forEach((alias, i) => {
    const why = typeof alias === "string" ? trustDomainFault(alias) : undefined;
    if (why) out.push(`meshConfig.trustDomainAliases[${i}] ${JSON.stringify(alias)} (${why})`);
  });
  return out;
}
