/**
 * One explicit Google Cloud provider per cluster, so that no GCP resource falls back to ambient
 * `gcp:project` / `gcp:region` config. Per cluster, not per project and region: a shared provider
 * would carry the first cluster's labels and zone, and as instance template labels force new
 * templates, adding, removing or reordering clusters would roll the other clusters' VMs.
 */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";

/** GCP label keys/values allow lowercase letters, digits, '-' and '_' only. */
export function gcpLabels(tags: Record<string, string>): Record<string, string> {
  const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9_-]/g, "-").slice(0, 63);
  return Object.fromEntries(Object.entries(tags).map(([k, v]) => [clean(k), clean(v)]));
}

/** The GCP provider of one cluster: its project, region and zone, and labels naming the environment and the cluster. */
export function clusterGcpProvider(
  cluster: string,
  location: { project: string; region: string; zone: string },
  labels: Record<string, string>,
  opts: pulumi.CustomResourceOptions,
): gcp.Provider {
  return new gcp.Provider(`${cluster}-gcp`, { ...location, defaultLabels: labels }, opts);
}
