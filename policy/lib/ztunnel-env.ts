/**
 * ztunnel's container env as the ztunnel 1.30.3 chart renders it over the values that set it
 * (templates/daemonset.yaml): NETWORK (from `network`, only when non-empty) and
 * ISTIO_META_CLUSTER_ID (from `multiCluster.clusterName`, else "Kubernetes") come first; the
 * `meshConfig.defaultConfig.proxyMetadata` entries, then the `env` entries, are listed after them,
 * each printed into a string (`"{{ $val }}"`, so an empty one still renders `value: ""`), and the
 * kubelet takes the later of duplicate names. ztunnel reads both variables (ztunnel 1.30.3
 * src/config.rs: NETWORK, ISTIO_META_CLUSTER_ID before CLUSTER_ID).
 */
import { dig } from "./k8s";

/** The entry that overrides a ztunnel env var the chart sets from a value. */
export interface ZtunnelEnvOverride {
  /** Where the values set it: `env.NAME` or `meshConfig.defaultConfig.proxyMetadata.NAME`. */
  key: string;
  /** The string the container gets ("" included). */
  value: string;
}

/**
 * The last rendered entry naming `name` among ztunnel's `proxyMetadata` and `env` values, or
 * undefined where neither sets it (Helm drops a null value). Reads the values themselves, so one
 * not known yet throws the SDK's unknown-value error.
 */
export function ztunnelEnvOverride(values: unknown, name: string): ZtunnelEnvOverride | undefined {
  let found: ZtunnelEnvOverride | undefined;
  for (const key of [`meshConfig.defaultConfig.proxyMetadata.${name}`, `env.${name}`]) {
    const v = dig(values, key);
    if (v !== undefined && v !== null) found = { key, value: String(v) };
  }
  return found;
}
