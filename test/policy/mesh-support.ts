/** Fixtures shared by the mesh-*.test.ts policy tests. */
import { k8sProvider, stackResource } from "../support/policy";
import { SELECTORS, TOLERATIONS } from "../support/v4-istio";

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

/** The reader token Secret the program renders on each mesh cluster, as the token controller fills it: the token the others' kubeconfigs for `cluster` hold. */
export const readerToken = (cluster: string, account = "istio-reader-service-account", token = `token-of-${cluster}`) =>
  stackResource({
    type: "kubernetes:core/v1:Secret",
    name: `${cluster}-${account}-token`,
    props: { metadata: { name: `${account}-istio-remote-secret-token`, namespace: "istio-system", annotations: { "kubernetes.io/service-account.name": account } }, type: "kubernetes.io/service-account-token", data: { token: Buffer.from(token).toString("base64") } },
    provider: k8sProvider(cluster),
  });

/** One cluster of a mesh as the program renders it: istiod, its east-west gateway, its reader token and a remote secret per other cluster. */
export function wiredCluster(cluster: string, others: string[], opts: { eastWest?: Record<string, unknown> | null } = {}) {
  // The cluster's provider reaches its API where the others' remote secrets do.
  const on = { provider: { ...k8sProvider(cluster), props: { kubeconfig: kubeconfigFor(cluster) } } };
  const eastWest = {
    metadata: { name: "istio-eastwestgateway", namespace: "istio-system", labels: { "topology.istio.io/network": `net-${cluster}` } },
    spec: { gatewayClassName: "istio-east-west", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE", tls: { mode: "Terminate" } }] },
  };
  return [
    stackResource({ type: REL, name: `${cluster}-istiod`, props: { chart: "istiod", namespace: "istio-system", values: { profile: "ambient", env: { AMBIENT_ENABLE_MULTI_NETWORK: "true" }, global: { meshID: "m", network: `net-${cluster}`, multiCluster: { clusterName: cluster } } } }, ...on }),
    ...(opts.eastWest === null ? [] : [stackResource({ type: "kubernetes:gateway.networking.k8s.io/v1:Gateway", name: `${cluster}-ew`, props: { ...eastWest, ...opts.eastWest }, ...on })]),
    readerToken(cluster),
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

/**
 * A Helm v4 Chart as a real run records it: the component with no inputs and no provider
 * (pulumi-kubernetes registers it from its provider's Construct without them), and its rendered
 * objects as children named `<chart>:<namespace>/<name>`, parented to it, on the cluster's provider.
 */
export function v4Chart(cluster: string, chart: string, objects: { type: string; props: Record<string, any> }[]) {
  const component = stackResource({ type: "kubernetes:helm.sh/v4:Chart", name: `${cluster}-${chart}`, props: {}, provider: null });
  const children = objects.map((o) => {
    const name = `${cluster}-${chart}:${o.props.metadata.namespace}/${o.props.metadata.name}`;
    return { ...stackResource({ type: o.type, name, props: o.props, provider: k8sProvider(cluster) }), parent: component };
  });
  return [component, ...children];
}

const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const DAEMON_SET = "kubernetes:apps/v1:DaemonSet";

/** istiod's objects as istio-discovery 1.30.3 renders them (the ones the pack reads): Deployment istiod and ConfigMap `values` with the given values. */
export const istiodObjects = (values: Record<string, unknown>, namespace = "istio-system") => [
  { type: "kubernetes:apps/v1:Deployment", props: { metadata: { name: "istiod", namespace }, spec: { template: { metadata: { labels: { app: "istiod" } }, spec: { containers: [{ name: "discovery", image: "docker.io/istio/pilot:1.30.3" }] } } } } },
  { type: CONFIG_MAP, props: { metadata: { name: "values", namespace }, data: { "original-values": JSON.stringify(values), "merged-values": "{}" } } },
];

/** istio-cni's objects as its 1.30.3 chart renders them: DaemonSet istio-cni-node (install-cni) and its ConfigMap `istio-cni-config`. */
export const cniObjects = (data: Record<string, string> | null, pod: Record<string, unknown> = {}) => [
  { type: DAEMON_SET, props: { metadata: { name: "istio-cni-node", namespace: "istio-system" }, spec: { template: { spec: { tolerations: TOLERATIONS, ...pod, containers: [{ name: "install-cni", image: "docker.io/istio/install-cni:1.30.3-distroless" }] } } } } },
  ...(data ? [{ type: CONFIG_MAP, props: { metadata: { name: "istio-cni-config", namespace: "istio-system" }, data } }] : []),
];

/** The ambient profile's istio-cni-config (configmap-cni.yaml with the chart's default selectors and excludeNamespaces). */
export const ambientCniConfig: Record<string, string> = {
  AMBIENT_ENABLED: "true",
  AMBIENT_ENABLEMENT_SELECTOR: SELECTORS,
  EXCLUDE_NAMESPACES: "kube-system",
};

/** ztunnel's DaemonSet as its 1.30.3 chart renders it, with NETWORK and ISTIO_META_CLUSTER_ID from its values. */
export const ztunnelObjects = (env: { network?: string; clusterName?: string }, pod: Record<string, unknown> = {}) => [
  {
    type: DAEMON_SET,
    props: {
      metadata: { name: "ztunnel", namespace: "istio-system" },
      spec: {
        template: {
          spec: {
            nodeSelector: { "kubernetes.io/os": "linux" },
            tolerations: TOLERATIONS,
            ...pod,
            containers: [{ name: "istio-proxy", image: "docker.io/istio/ztunnel:1.30.3-distroless", env: [...(env.network ? [{ name: "NETWORK", value: env.network }] : []), { name: "ISTIO_META_CLUSTER_ID", value: env.clusterName ?? "Kubernetes" }] }],
          },
        },
      },
    },
  },
];
