/**
 * Kubernetes vocabulary shared by the rules: engine type strings (CustomResources and providers
 * cannot be matched by class, only by `kubernetes:<group>/<version>:<Kind>`), metadata access,
 * pod specs of workload kinds, Helm values and label selectors. Which cluster a resource lands on
 * (its explicit provider) is lib/k8s-clusters.ts's, re-exported here with lib/preview-unknown.ts's.
 */
import type { PolicyResource } from "@pulumi/policy";
import { K8S_PROVIDER } from "./k8s-clusters";
import { orUnknown } from "./values";

export { providerName, clusterOf, clusterOfProvider, clusterResolver, isDefaultProvider, KUBERNETES_COMPONENTS, unconfiguredClusters, byCluster, clusters } from "./k8s-clusters";
export { unknownValueError, cannotJudge } from "./preview-unknown";

export const T = {
  namespace: "kubernetes:core/v1:Namespace",
  secret: "kubernetes:core/v1:Secret",
  configMap: "kubernetes:core/v1:ConfigMap",
  service: "kubernetes:core/v1:Service",
  serviceAccount: "kubernetes:core/v1:ServiceAccount",
  helmRelease: "kubernetes:helm.sh/v3:Release",
  helmChart: "kubernetes:helm.sh/v4:Chart",
  k8sProvider: K8S_PROVIDER,
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

/**
 * The declared container port an IntOrString port (a probe's port, a Service's targetPort) lands
 * on: a number is that port; a name is the port of that name among `ports` (`port` undefined where
 * none has it), and digits written as text read as their number (the kubelet's
 * ResolveContainerPort falls back to strconv.Atoi; no port name is all digits). Anything else is
 * no IntOrString (apimachinery intstr UnmarshalJSON takes a JSON string or an int32, the schema
 * says int-or-string, a port is 1-65535), so the API server refuses the object: undefined, for no
 * port verdict to rest on it.
 */
export function portTarget(port: unknown, ports: { name?: string; containerPort?: number }[]): { port?: number; name?: string } | undefined {
  if (typeof port === "number") return Number.isInteger(port) ? { port } : undefined;
  if (typeof port !== "string") return undefined;
  if (/^[0-9]+$/.test(port)) return { port: Number(port) };
  return { name: port, port: ports.find((p) => p?.name === port)?.containerPort };
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
