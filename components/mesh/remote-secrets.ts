/**
 * Remote secrets: how each istiod discovers the other clusters (multi-primary). For every ordered
 * pair (reader, read), the read cluster holds a long-lived token of `istio-reader-service-account`
 * (the base chart creates the account, istiod's chart its read-only ClusterRole), and the reader
 * cluster holds `istio-remote-secret-<read>` with a kubeconfig for it: the same Secret
 * `istioctl create-remote-secret` prints (istio/istio@1.30.3 istioctl/pkg/multicluster).
 */
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import { Manifest, appLabels } from "../k8s/apply";

export const readerServiceAccount = "istio-reader-service-account";
/** The token Secret name istioctl would create, so a later istioctl run reuses it. */
export const readerTokenSecretName = `${readerServiceAccount}-istio-remote-secret-token`;

export interface RemoteSecretPair {
  /** The cluster whose istiod reads (where the remote secret lives). */
  reader: string;
  /** The cluster being read (whose API server and token the kubeconfig holds). */
  read: string;
}

/** Every ordered pair of distinct clusters: n·(n−1) remote secrets, none for one cluster. */
export function remoteSecretPairs(clusters: readonly string[]): RemoteSecretPair[] {
  const seen = new Set<string>();
  for (const c of clusters) {
    if (seen.has(c)) throw new Error(`remote secrets: duplicate cluster name '${c}'`);
    seen.add(c);
  }
  return clusters.flatMap((reader) => clusters.filter((read) => read !== reader).map((read) => ({ reader, read })));
}

export function remoteSecretName(read: string): string {
  return `istio-remote-secret-${read}`;
}

/** The long-lived reader token on the cluster being read; the token controller fills `data`. */
export function readerTokenSecretManifest(): Manifest {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: readerTokenSecretName,
      namespace: "istio-system",
      labels: appLabels({ name: "istio-reader", instance: readerTokenSecretName, component: "remote-secret-token" }),
      annotations: { "kubernetes.io/service-account.name": readerServiceAccount },
    },
    type: "kubernetes.io/service-account-token",
  };
}

export interface RemoteKubeconfigArgs {
  /** The read cluster's name: the kubeconfig's cluster, user and context name. */
  name: string;
  /** The read cluster's API server URL. */
  server: string;
  /** Base64 PEM of the read cluster's API server CA. */
  certificateAuthorityData: string;
  /** The reader token, decoded (a JWT). */
  token: string;
}

/** Kubeconfig with one cluster, user and context, all named after the read cluster. */
export function remoteKubeconfig(a: RemoteKubeconfigArgs): string {
  if (!a.server) {
    throw new Error(
      `remote secret for cluster '${a.name}': its API server URL is unknown (an existing cluster whose kubeconfig is not readable here or has no server for its context); ` +
        `set clusters[].apiServer for '${a.name}' to the https:// URL the other clusters reach it at`,
    );
  }
  return yaml.dump(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: a.name, cluster: { "certificate-authority-data": a.certificateAuthorityData, server: a.server } }],
      contexts: [{ name: a.name, context: { cluster: a.name, user: a.name } }],
      "current-context": a.name,
      preferences: {},
      users: [{ name: a.name, user: { token: a.token } }],
    },
    { lineWidth: -1 },
  );
}

/** The Secret on the reader cluster; istiod watches Secrets labelled `istio/multiCluster`. */
export function remoteSecretManifest(read: string, kubeconfig: pulumi.Input<string>): Manifest {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: remoteSecretName(read),
      namespace: "istio-system",
      labels: {
        ...appLabels({ name: "istio-remote-secret", instance: remoteSecretName(read), component: "remote-secret" }),
        "istio/multiCluster": "true",
      },
      annotations: { "networking.istio.io/cluster": read },
    },
    type: "Opaque",
    stringData: { [read]: pulumi.secret(kubeconfig) },
  };
}
