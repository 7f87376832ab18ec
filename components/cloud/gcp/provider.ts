/**
 * One explicit Google Cloud provider per project and region, shared by the clusters there, so
 * that no GCP resource falls back to ambient `gcp:project` / `gcp:region` config.
 */
import * as gcp from "@pulumi/gcp";

const providers = new Map<string, gcp.Provider>();

export function gcpProviderName(project: string, region: string): string {
  return `gcp-${project}-${region}`;
}

/** GCP label keys/values allow lowercase letters, digits, '-' and '_' only. */
export function gcpLabels(tags: Record<string, string>): Record<string, string> {
  const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9_-]/g, "-").slice(0, 63);
  return Object.fromEntries(Object.entries(tags).map(([k, v]) => [clean(k), clean(v)]));
}

export function gcpProviderFor(project: string, region: string, zone: string, labels: Record<string, string>): gcp.Provider {
  const key = gcpProviderName(project, region);
  let provider = providers.get(key);
  if (!provider) {
    provider = new gcp.Provider(key, { project, region, zone, defaultLabels: labels });
    providers.set(key, provider);
  }
  return provider;
}
