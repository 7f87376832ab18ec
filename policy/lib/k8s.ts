/**
 * Kubernetes vocabulary shared by the rules: engine type strings (CustomResources and providers
 * cannot be matched by class, only by `kubernetes:<group>/<version>:<Kind>`), metadata access,
 * pod specs of workload kinds, and which cluster a resource lands on (its explicit provider).
 */
import * as policySdk from "@pulumi/policy";
import type { PolicyResource } from "@pulumi/policy";
import { EKS_CLUSTER, isEksOwnProvider } from "./eks";
import { orUnknown } from "./values";

export const T = {
  namespace: "kubernetes:core/v1:Namespace",
  secret: "kubernetes:core/v1:Secret",
  configMap: "kubernetes:core/v1:ConfigMap",
  service: "kubernetes:core/v1:Service",
  serviceAccount: "kubernetes:core/v1:ServiceAccount",
  helmRelease: "kubernetes:helm.sh/v3:Release",
  helmChart: "kubernetes:helm.sh/v4:Chart",
  k8sProvider: "pulumi:providers:kubernetes",
  gateway: "kubernetes:gateway.networking.k8s.io/v1:Gateway",
  inferencePool: "kubernetes:inference.networking.k8s.io/v1:InferencePool",
} as const;

/** Helm installs as the provider models them: a Release, or a v4 Chart component. */
export const HELM_TYPES: ReadonlySet<string> = new Set([T.helmRelease, T.helmChart]);
export const isHelmInstall = (type: string) => HELM_TYPES.has(type);

/** Whether a resource is a Helm release of that chart (a chart not known yet in a preview: not taken for it). */
export const isReleaseOf = (r: PolicyResource, chart: string): boolean => isHelmInstall(r.type) && orUnknown(() => helmChartName(r.props) === chart, false);

/** The chart's name (`istiod`), also when given as a URL or OCI reference (`oci://…/charts/istiod`). */
export function helmChartName(props: Record<string, any>): string | undefined {
  const chart = props?.chart;
  if (typeof chart !== "string" || chart === "") return undefined;
  return chart.replace(/\/+$/, "").split("/").pop();
}

/** The last segment of a Pulumi type token (`kubernetes:apps/v1:Deployment` → `Deployment`), for messages. */
export const kindName = (type: string): string => type.split(":").pop() ?? type;

const typeParts = new Map<string, string[] | null>();
/** Istio CRD kinds are served at v1 and v1beta1; policies match either. A token is parsed once (rules ask per resource). */
export function isKind(type: string, group: string, kind: string): boolean {
  if (!typeParts.has(type)) typeParts.set(type, /^kubernetes:([^/]*)\/[^:]+:(.+)$/.exec(type)?.slice(1, 3) ?? null);
  const parts = typeParts.get(type);
  return !!parts && parts[0] === group && parts[1] === kind;
}

export const isPeerAuthentication = (type: string) => isKind(type, "security.istio.io", "PeerAuthentication");
export const isAuthorizationPolicy = (type: string) => isKind(type, "security.istio.io", "AuthorizationPolicy");
export const isDestinationRule = (type: string) => isKind(type, "networking.istio.io", "DestinationRule");
export const isInferencePool = (type: string) =>
  isKind(type, "inference.networking.k8s.io", "InferencePool") || isKind(type, "inference.networking.x-k8s.io", "InferencePool");

export interface Meta {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/**
 * An object's metadata. Each field is read when it is used, so that one not known in a preview
 * (labels computed from another resource, say) throws only where it is needed and does not hide
 * the others (a name, a namespace).
 */
export function meta(props: Record<string, any>, defaultNamespace = "default"): Meta {
  const m = () => props?.metadata ?? {};
  return {
    get name() {
      const name = m().name;
      return typeof name === "string" ? name : "";
    },
    get namespace() {
      const namespace = m().namespace;
      return typeof namespace === "string" ? namespace : defaultNamespace;
    },
    get labels() {
      return m().labels ?? {};
    },
    get annotations() {
      return m().annotations ?? {};
    },
  };
}

/** Workload kinds whose pods the platform schedules, with where their pod spec lives. */
const podSpecPaths: Record<string, (props: Record<string, any>) => Record<string, any> | undefined> = {
  "kubernetes:core/v1:Pod": (p) => p.spec,
  // Superseded by Deployments, still served (core/v1) and still scheduling pods from its template.
  "kubernetes:core/v1:ReplicationController": (p) => p.spec?.template?.spec,
  "kubernetes:apps/v1:Deployment": (p) => p.spec?.template?.spec,
  "kubernetes:apps/v1:StatefulSet": (p) => p.spec?.template?.spec,
  "kubernetes:apps/v1:DaemonSet": (p) => p.spec?.template?.spec,
  "kubernetes:apps/v1:ReplicaSet": (p) => p.spec?.template?.spec,
  "kubernetes:batch/v1:Job": (p) => p.spec?.template?.spec,
  "kubernetes:batch/v1:CronJob": (p) => p.spec?.jobTemplate?.spec?.template?.spec,
};

export function isWorkload(type: string): boolean {
  return type in podSpecPaths;
}

export function podSpecOf(type: string, props: Record<string, any>): Record<string, any> | undefined {
  return podSpecPaths[type]?.(props);
}

/**
 * The ServiceAccount a pod spec runs as. `serviceAccount` is its deprecated alias, which the API
 * server takes only when serviceAccountName is empty (kubernetes pkg/apis/core/v1/conversion.go
 * Convert_v1_PodSpec_To_core_PodSpec: "If both are specified, ServiceAccountName wins"); with
 * neither, the ServiceAccount admission plugin runs the pod as `default`.
 */
export function podServiceAccount(spec: Record<string, any> | undefined): string {
  return String(spec?.serviceAccountName || spec?.serviceAccount || "default");
}

/** The namespaces the platform runs its workloads in, enrolled in ambient (the policies' default). */
export const PLATFORM_NAMESPACES = ["inference", "agents", "tools"];

/** The pod template's metadata of a workload (the pod's own for a Pod). */
export function podMetadata(type: string, props: Record<string, any>): { labels?: Record<string, string>; annotations?: Record<string, string> } {
  if (type === "kubernetes:core/v1:Pod") return props.metadata ?? {};
  if (type === "kubernetes:batch/v1:CronJob") return props.spec?.jobTemplate?.spec?.template?.metadata ?? {};
  return props.spec?.template?.metadata ?? {};
}

export interface Container {
  name: string;
  image?: string;
  resources?: { limits?: Record<string, unknown>; requests?: Record<string, unknown> };
}

/** Containers and init containers of a pod spec. */
export function containersOf(spec: Record<string, any> | undefined): Container[] {
  if (!spec) return [];
  return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
}

/** The name part of a provider reference or URN (`urn:…::<name>[::<id>]` → name). */
export function providerName(urn: string): string {
  const parts = urn.split("::");
  return parts[3] ?? parts[parts.length - 1];
}

/**
 * The cluster a resource lands on: its provider's logical name (`<cluster>-k8s` by convention),
 * or the provider URN for providers named otherwise.
 */
export function clusterOf(r: Pick<PolicyResource, "provider">): string | undefined {
  return r.provider ? clusterOfProvider(r.provider) : undefined;
}

/** The cluster an explicit Kubernetes provider stands for: its logical name without `-k8s` (or its URN's). */
export function clusterOfProvider(p: { name?: string; urn: string }): string {
  const name = p.name || providerName(p.urn);
  return name.endsWith("-k8s") ? name.slice(0, -4) : name;
}

/**
 * Which cluster each resource of a stack lands on, @pulumi/eks's own providers included: one of
 * those (a fork's objects bound to `cluster.provider`) reaches the cluster of the program's
 * provider built from the same `eks:index:Cluster` (its kubeconfig reads the cluster's outputs, so
 * the engine records that dependency), and is judged with the rest of it instead of as a cluster
 * of its own that no rule looks at. Without one such program provider it keeps its own name.
 */
export function clusterResolver(resources: PolicyResource[]): (r: Pick<PolicyResource, "provider">) => string | undefined {
  const programClusters = new Map<string, Set<string>>();
  for (const p of resources) {
    if (p.type !== T.k8sProvider || isDefaultProvider(p.name || p.urn) || isEksOwnProvider(p.urn)) continue;
    for (const d of p.dependencies ?? []) {
      if (d?.type === EKS_CLUSTER) programClusters.set(d.urn, new Set([...(programClusters.get(d.urn) ?? []), clusterOfProvider(p)]));
    }
  }
  const aliases = new Map<string, string>();
  for (const p of resources) {
    if (p.type !== T.k8sProvider || !isEksOwnProvider(p.urn) || !p.parent) continue;
    const names = programClusters.get(p.parent.urn);
    if (names?.size === 1) aliases.set(p.urn, [...names][0]);
  }
  return (r) => (r.provider ? (aliases.get(r.provider.urn) ?? clusterOfProvider(r.provider)) : undefined);
}

/** Whether a provider is one the engine made up (`default`, `default_4_34_2`). */
export function isDefaultProvider(nameOrUrn: string): boolean {
  return /^default(_|$)/.test(nameOrUrn.includes("::") ? providerName(nameOrUrn) : nameOrUrn);
}

/** Component types of the Kubernetes SDK: their outputs are not an object's, and may be empty. */
export const KUBERNETES_COMPONENTS: ReadonlySet<string> = new Set([
  "kubernetes:yaml/v2:ConfigFile", "kubernetes:yaml/v2:ConfigGroup", "kubernetes:helm.sh/v4:Chart", "kubernetes:kustomize/v2:Directory",
  "kubernetes:yaml:ConfigFile", "kubernetes:yaml:ConfigGroup", "kubernetes:helm.sh/v3:Chart", "kubernetes:kustomize:Directory",
]);

// The SDK's own error for "not known in this preview": its server reports a policy that throws it
// as "can't run during preview" (advisory) instead of failing it. Exported at runtime, untyped.
const { UnknownValueError } = policySdk as unknown as { UnknownValueError: new (sentinel: string, path: string[]) => Error };
/** @pulumi/policy proxy.js unknownObjectValue. */
const UNKNOWN_OBJECT = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff";

/** The SDK's "not known in this preview" error for `path` (what a policy reading it cannot know). */
export const unknownValueError = (path: string[]): Error => new UnknownValueError(UNKNOWN_OBJECT, path);

const hasNoOutputs = (r: PolicyResource) => Object.keys(r.props ?? {}).length === 0;

/**
 * Clusters this preview cannot judge yet. In the first preview of a cluster, its provider's
 * kubeconfig comes from the cluster being created, so the engine does not configure the provider
 * and hands the stack policies every object on it with no outputs at all: judged as they are, its
 * mesh policy, pickers and authorization policies would all be "missing".
 */
export function unconfiguredClusters(resources: PolicyResource[]): Set<string> {
  // Every object of such a cluster arrives empty; a cluster with some objects known is configured
  // (an empty object there is judged as it is).
  const clusterOf = clusterResolver(resources);
  const empty = new Set<string>();
  const known = new Set<string>();
  for (const r of resources) {
    if (!r.type.startsWith("kubernetes:") || KUBERNETES_COMPONENTS.has(r.type)) continue;
    const c = clusterOf(r);
    if (c) (hasNoOutputs(r) ? empty : known).add(c);
  }
  return new Set([...empty].filter((c) => !known.has(c)));
}

/**
 * Resources of a stack grouped per cluster (only those on a Kubernetes provider), leaving out the
 * clusters a preview cannot judge yet ({@link unconfiguredClusters}): the others are still judged.
 * When no cluster is left the policy cannot run in this preview at all, and says so (the SDK
 * reports its `UnknownValueError` as "can't run during preview", advisory).
 */
export function byCluster(resources: PolicyResource[]): Map<string, PolicyResource[]> {
  const unknown = unconfiguredClusters(resources);
  const clusterOf = clusterResolver(resources);
  const out = new Map<string, PolicyResource[]>();
  for (const r of resources) {
    if (!r.type.startsWith("kubernetes:")) continue;
    const c = clusterOf(r);
    if (!c || unknown.has(c)) continue;
    if (!out.has(c)) out.set(c, []);
    out.get(c)!.push(r);
  }
  if (out.size === 0 && unknown.size > 0) {
    throw unknownValueError([`<objects of ${[...unknown].sort().join(", ")}: their clusters' providers cannot be configured in this preview>`]);
  }
  return out;
}

/**
 * The clusters of a stack: one per explicit Kubernetes provider that is not an engine default nor
 * @pulumi/eks's own (a second provider for a cluster the program reaches through its own),
 * leaving out those a preview cannot judge yet.
 */
export function clusters(resources: PolicyResource[]): { name: string; urn: string }[] {
  const unknown = unconfiguredClusters(resources);
  return resources
    .filter((r) => r.type === T.k8sProvider && !isDefaultProvider(r.name || r.urn) && !isEksOwnProvider(r.urn))
    .map((r) => ({ name: clusterOfProvider(r), urn: r.urn }))
    .filter((c) => !unknown.has(c.name));
}

/** `a.b.c` lookup in a plain object (Helm values). */
export function dig(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Whether labels satisfy a `matchLabels` selector (every pair present with its value). */
export function matchesLabels(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Whether labels satisfy a full LabelSelector (`matchLabels` and `matchExpressions`); an empty or absent selector selects everything. */
export function matchesSelector(selector: Record<string, any> | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  if (!matchesLabels(selector.matchLabels ?? {}, labels)) return false;
  return (Array.isArray(selector.matchExpressions) ? selector.matchExpressions : []).every((e: { key: string; operator: string; values?: string[] }) => {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = Array.isArray(e.values) ? e.values : [];
    if (e.operator === "In") return has && values.includes(labels[e.key]);
    if (e.operator === "NotIn") return !has || !values.includes(labels[e.key]);
    if (e.operator === "Exists") return has;
    if (e.operator === "DoesNotExist") return !has;
    return false;
  });
}

/**
 * Ends a policy (stack or resource) that could not judge everything in this preview, after it has
 * reported what it could: the SDK reports the `UnknownValueError` as an advisory "can't run during
 * preview" naming `what`, and keeps the violations already reported (@pulumi/policy 1.21
 * server.js pushes each reported violation before it catches the error).
 */
export function cannotJudge(what: string[]): never {
  throw unknownValueError([`<${[...new Set(what)].join("; ")}>`]);
}
