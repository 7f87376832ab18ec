/**
 * Derives the reviewer-facing files from a deployment export: Kubernetes objects per cluster
 * (CRDs first) and Helm releases per cluster. Works on our render and on `pulumi stack export`
 * files alike, since both have the same shape.
 */
import * as yaml from "js-yaml";
import type { CapturedResource } from "./engine";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Cluster name from a Kubernetes provider reference `urn:…::<cluster>-k8s::<id>`. */
export function clusterOfProvider(providerRef: string | undefined): string | undefined {
  if (!providerRef) return undefined;
  const urn = providerRef.split("::").slice(0, -1).join("::");
  const name = urn.split("::").pop() ?? "";
  return name.endsWith("-k8s") ? name.slice(0, -"-k8s".length) : undefined;
}

/** Secret values as reviewers should see them: present, but never in clear. */
export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (SECRET_SIG in obj) return "[secret]";
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, maskSecrets(v)]));
  }
  return value;
}

const kindOrder = [
  "CustomResourceDefinition", "Namespace", "ServiceAccount", "Secret", "ConfigMap", "ClusterRole",
  "ClusterRoleBinding", "Role", "RoleBinding", "Service", "Deployment", "DaemonSet", "PodDisruptionBudget",
];

function kindRank(kind: string): number {
  const i = kindOrder.indexOf(kind);
  return i === -1 ? kindOrder.length : i;
}

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [field: string]: unknown;
}

/** The Kubernetes object a captured `kubernetes:*` resource applies, or undefined for non-objects. */
export function objectOf(r: CapturedResource): KubernetesObject | undefined {
  if (!r.custom || !r.type.startsWith("kubernetes:") || r.type.startsWith("kubernetes:helm.sh")) return undefined;
  const inputs = r.inputs as Record<string, unknown>;
  if (typeof inputs.apiVersion !== "string" || typeof inputs.kind !== "string") return undefined;
  return maskSecrets(inputs) as KubernetesObject;
}

export interface ClusterManifests {
  cluster: string;
  /** Objects in apply order: CRD bundles first, then CRDs, namespaces, and so on. */
  objects: KubernetesObject[];
  /** Upstream CRD bundles applied from release manifests (yaml/v2 ConfigFile). */
  crdBundles: { name: string; file: string }[];
}

export function manifestsByCluster(resources: CapturedResource[]): Map<string, ClusterManifests> {
  const out = new Map<string, ClusterManifests>();
  const entry = (cluster: string) => {
    if (!out.has(cluster)) out.set(cluster, { cluster, objects: [], crdBundles: [] });
    return out.get(cluster)!;
  };
  for (const r of resources) {
    if (r.type === "kubernetes:yaml/v2:ConfigFile") {
      const cluster = clusterOfProvider(r.provider) ?? String(r.urn.split("::").pop()).split("-")[0];
      entry(cluster).crdBundles.push({ name: r.urn.split("::").pop() ?? "", file: String((r.inputs as any).file) });
      continue;
    }
    const obj = objectOf(r);
    if (!obj) continue;
    const cluster = clusterOfProvider(r.provider) ?? "(no-provider)";
    entry(cluster).objects.push(obj);
  }
  for (const m of out.values()) {
    m.objects.sort(
      (a, b) =>
        kindRank(a.kind) - kindRank(b.kind) ||
        a.kind.localeCompare(b.kind) ||
        (a.metadata.namespace ?? "").localeCompare(b.metadata.namespace ?? "") ||
        a.metadata.name.localeCompare(b.metadata.name),
    );
  }
  return out;
}

/** Files of `manifests/<cluster>/`: numbered so that a directory listing is the apply order. */
export function manifestFiles(m: ClusterManifests): { file: string; content: string }[] {
  const files: { file: string; content: string }[] = [];
  if (m.crdBundles.length > 0) {
    files.push({
      file: "000-crd-bundles.yaml",
      // Comments only, so `kubectl apply -f manifests/<cluster>/` finds no object without a kind here.
      content:
        "# Upstream CRD bundles, applied first from their pinned release manifests (yaml/v2 ConfigFile):\n" +
        m.crdBundles.map((b) => `#   ${b.name}\n#     kubectl apply --server-side -f ${b.file}`).join("\n") +
        "\n",
    });
  }
  m.objects.forEach((o, i) => {
    const ns = o.metadata.namespace ? `${o.metadata.namespace}-` : "";
    const idx = String(i + 1).padStart(3, "0");
    files.push({ file: `${idx}-${o.kind.toLowerCase()}-${ns}${o.metadata.name}.yaml`, content: yaml.dump(o, { lineWidth: 200, noRefs: true }) });
  });
  return files;
}

export interface ReleaseSummary {
  name: string;
  chart: string;
  repository?: string;
  version: string;
  namespace: string;
  values: unknown;
}

export function releasesByCluster(resources: CapturedResource[]): Map<string, ReleaseSummary[]> {
  const out = new Map<string, ReleaseSummary[]>();
  for (const r of resources) {
    if (r.type !== "kubernetes:helm.sh/v3:Release") continue;
    const i = r.inputs as Record<string, any>;
    const cluster = clusterOfProvider(r.provider) ?? "(no-provider)";
    const list = out.get(cluster) ?? [];
    list.push({
      name: i.name,
      chart: i.chart,
      repository: i.repositoryOpts?.repo,
      version: i.version,
      namespace: i.namespace,
      values: maskSecrets(i.values ?? {}),
    });
    out.set(cluster, list);
  }
  return out;
}
