/** Fixtures shared by the mesh-*.test.ts policy tests. */
import { k8sProvider, stackResource } from "../support/policy";

export const PA = "kubernetes:security.istio.io/v1:PeerAuthentication";

export const NS = "kubernetes:core/v1:Namespace";

export const REL = "kubernetes:helm.sh/v3:Release";

export const provider = (cluster: string) => stackResource({ type: "pulumi:providers:kubernetes", name: `${cluster}-k8s`, urn: `urn:pulumi:test::inference-mesh::pulumi:providers:kubernetes::${cluster}-k8s`, props: {}, provider: null });

export const pa = (cluster: string, namespace: string, name: string, spec: unknown) =>
  stackResource({ type: PA, name: `${cluster}-${namespace}-pa-${name}`, props: { metadata: { name, namespace }, spec }, provider: k8sProvider(cluster) });

export const messages = (o: { violations: { message: string }[] }) => o.violations.map((v) => v.message);

// <Kind>Patch resources (pulumi-kubernetes `kubernetes:<group>/<version>:<Kind>Patch`): judged for
// the fields they set, never for what they leave out.
export const NS_PATCH = "kubernetes:core/v1:NamespacePatch";

export const nsPatch = (name: string, labels: Record<string, string>, cluster = "a") =>
  stackResource({ type: NS_PATCH, name: `${cluster}-${name}-patch`, props: { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } }, provider: k8sProvider(cluster) });

export const deploymentPatch = (namespace: string, name: string, template: Record<string, unknown>, cluster = "a") =>
  stackResource({ type: "kubernetes:apps/v1:DeploymentPatch", name: `${cluster}-${name}-patch`, props: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace }, spec: { template } }, provider: k8sProvider(cluster) });

/** A kubeconfig for `cluster` as istioctl create-remote-secret writes one: its API server, a bearer token. */
export const kubeconfigFor = (cluster: string, server = `https://${cluster}.example.com:6443`, user: Record<string, unknown> = { token: `token-of-${cluster}` }) =>
  [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    `- name: ${cluster}`,
    "  cluster:",
    `    server: ${server}`,
    `current-context: ${cluster}`,
    "contexts:",
    `- name: ${cluster}`,
    "  context:",
    `    cluster: ${cluster}`,
    `    user: ${cluster}`,
    "users:",
    `- name: ${cluster}`,
    `  user: ${JSON.stringify(user)}`,
    "",
  ].join("\n");

/** One cluster of a mesh as the program renders it: istiod, its east-west gateway and a remote secret per other cluster. */
export function wiredCluster(cluster: string, others: string[], opts: { eastWest?: Record<string, unknown> | null } = {}) {
  // The cluster's provider reaches its API where the others' remote secrets do.
  const on = { provider: { ...k8sProvider(cluster), props: { kubeconfig: kubeconfigFor(cluster) } } };
  const eastWest = {
    metadata: { name: "istio-eastwestgateway", namespace: "istio-system", labels: { "topology.istio.io/network": `net-${cluster}` } },
    spec: { gatewayClassName: "istio-east-west", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE", tls: { mode: "Terminate" } }] },
  };
  return [
    stackResource({ type: REL, name: `${cluster}-istiod`, props: { chart: "istiod", namespace: "istio-system", values: { global: { meshID: "m", network: `net-${cluster}`, multiCluster: { clusterName: cluster } } } }, ...on }),
    ...(opts.eastWest === null ? [] : [stackResource({ type: "kubernetes:gateway.networking.k8s.io/v1:Gateway", name: `${cluster}-ew`, props: { ...eastWest, ...opts.eastWest }, ...on })]),
    ...others.map((o) =>
      stackResource({
        type: "kubernetes:core/v1:Secret",
        name: `${cluster}-remote-${o}`,
        props: { metadata: { name: `istio-remote-secret-${o}`, namespace: "istio-system", labels: { "istio/multiCluster": "true" }, annotations: { "networking.istio.io/cluster": o } }, stringData: { [o]: kubeconfigFor(o) } },
        ...on,
      }),
    ),
  ];
}
