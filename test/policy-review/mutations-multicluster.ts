/**
 * Policy-review mutations of the multi-cluster wiring (mesh-multicluster-wiring): remote secrets,
 * east-west gateways, istiod's multi-network switch; and of what istiod reads in its own namespace
 * (cacerts, the network label) when its release leaves that namespace to its provider.
 */
import type { ExportedDeployment, ExportedResource } from "../../scripts/lib/review-wire";
import { Mutation, resources, isKind, edit, onFirst, removeAll, istiod, addLike, withSpec, istiodLeftToProvider } from "./mutations-support";

/** A self-signed client certificate of subject O=mesh-readers, CN=mesh-reader-user (made with openssl for these mutations). */
const CERT = [
  "-----BEGIN CERTIFICATE-----",
  "MIIBuzCCAWGgAwIBAgIUFvhPWWGbLww9jEhCS1fO8C6Av9IwCgYIKoZIzj0EAwIw",
  "MjEVMBMGA1UECgwMbWVzaC1yZWFkZXJzMRkwFwYDVQQDDBBtZXNoLXJlYWRlci11",
  "c2VyMCAXDTI2MTIwMzE3NDY0N1oYDzIxMjYxMTA5MTc0NjQ3WjAyMRUwEwYDVQQK",
  "DAxtZXNoLXJlYWRlcnMxGTAXBgNVBAMMEG1lc2gtcmVhZGVyLXVzZXIwWTATBgcq",
  "hkjOPQIBBggqhkjOPQMBBwNCAARrkJ61wNCWScrMUM5Hp5GybDEVXKcW2fAktini",
  "jvGhzIAEuSsQcIIWJAjYCLh+ijIQ5SaSkzjWLfHu1LN+Pim4o1MwUTAdBgNVHQ4E",
  "FgQUu6ihx0rzSpF63u4j+mDwhHNegjIwHwYDVR0jBBgwFoAUu6ihx0rzSpF63u4j",
  "+mDwhHNegjIwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEAvwcA",
  "M8En3qiBQRWy1oJGutCrKGd27Pk58d+713+USBACIHAy+CLZlvECXSGV7Qxjd9ie",
  "x/bsf6iVPKygU8TKgp72",
  "-----END CERTIFICATE-----",
].join("\n");
const certKubeconfig = (cluster: string) =>
  ["apiVersion: v1", "kind: Config", `clusters: [{name: ${cluster}, cluster: {server: "https://10.0.0.2:6443"}}]`, `contexts: [{name: ${cluster}, context: {cluster: ${cluster}, user: reader}}]`, `current-context: ${cluster}`, `users: [{name: reader, user: {client-certificate-data: ${Buffer.from(CERT).toString("base64")}, client-key-data: a2V5}}]`, ""].join("\n");

const remoteSecret = (r: ExportedResource) => isKind(r, "Secret") && (r.inputs as any)?.metadata?.labels?.["istio/multiCluster"] === "true";

export const multiclusterMutations: Mutation[] = [
  // Multi-cluster wiring (mesh-multicluster-wiring): every ordered pair of clusters has a remote
  // secret, none names a cluster outside the mesh, and every cluster has its east-west gateway,
  // its HBONE listener on 15008 and its Service reachable from other networks.
  {
    name: "a remote secret of one cluster for another removed",
    policy: "mesh-multicluster-wiring",
    apply: (doc) => removeAll(doc, (r) => r === resources(doc).find(remoteSecret)),
  },
  {
    name: "a cluster's east-west gateway removed",
    policy: "mesh-multicluster-wiring",
    apply: (doc) => {
      const gw = resources(doc).find((r) => isKind(r, "Gateway") && withSpec(r).gatewayClassName === "istio-east-west");
      return gw && removeAll(doc, (r) => r === gw);
    },
  },
  {
    // Remote ztunnels dial an east-west gateway on 15008 whatever its listener says (Istio 1.30.3 createSplitHorizonWorkload).
    name: "a cluster's east-west HBONE listener moved to port 15009",
    policy: "mesh-multicluster-wiring",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "Gateway") && withSpec(r).gatewayClassName === "istio-east-west", (o) => (o.spec.listeners[0].port = 15009)),
  },
  {
    name: "a cluster's east-west gateway annotated with a ClusterIP Service",
    policy: "mesh-multicluster-wiring",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "Gateway") && withSpec(r).gatewayClassName === "istio-east-west", (o) => {
        o.metadata.annotations = { ...o.metadata.annotations, "networking.istio.io/service-type": "ClusterIP" };
      }),
  },
  {
    // The other clusters take a remote east-west gateway's network from its label alone (Istio 1.30.3 networks.go remoteK8sGatewayToNetworkGateways).
    name: "a cluster's east-west gateway labelled with another cluster's network",
    policy: "mesh-multicluster-wiring",
    apply: (doc) => {
      const gw = resources(doc).find((r) => isKind(r, "Gateway") && withSpec(r).gatewayClassName === "istio-east-west");
      const other = gw && (resources(doc).find((r) => istiod(r) && r.provider !== gw.provider)?.inputs as any)?.values?.global?.network;
      return typeof other === "string" && other !== "" ? edit(gw!, (o) => (o.metadata.labels = { ...o.metadata.labels, "topology.istio.io/network": other })) : undefined;
    },
  },
  {
    // Only the istiod owning a Gateway's istio.io/rev deploys it (Istio 1.30.3 deploymentcontroller.go Reconcile, tag_watcher.go IsMine).
    name: "a cluster's east-west gateway labelled with an istio.io/rev no istiod answers to",
    policy: "mesh-multicluster-wiring",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "Gateway") && withSpec(r).gatewayClassName === "istio-east-west", (o) => {
        o.metadata.labels = { ...o.metadata.labels, "istio.io/rev": "canary" };
      }),
  },
  {
    // Without it an ambient istiod reads its own cluster alone and serves no istio-east-west class (Istio 1.30.3 ambientindex.go, classinfo.go).
    name: "a cluster's istiod without AMBIENT_ENABLE_MULTI_NETWORK",
    policy: "mesh-multicluster-wiring",
    apply: (doc) => {
      const all = resources(doc).filter(istiod);
      return all.length > 1 ? edit(all[all.length - 1], (o) => delete o.values.env.AMBIENT_ENABLE_MULTI_NETWORK) : undefined;
    },
  },
  {
    // Its waypoints and gateways take their ISTIO_META_NETWORK from it (Istio 1.30.3 istio-discovery waypoint.yaml, kube-gateway.yaml).
    name: "a cluster's istiod without global.network (its ztunnel and istio-system still name the network)",
    policy: "mesh-identity-consistent",
    apply: (doc) => {
      // One cluster has nothing to route across: only a multi-cluster stack needs it.
      const all = resources(doc).filter(istiod);
      return all.length > 1 ? edit(all[all.length - 1], (o) => delete o.values.global.network) : undefined;
    },
  },
  {
    // An unlabelled Gateway goes to the tag default, else the default revision (Istio 1.30.3 tag_watcher.go IsMine), here no istiod's.
    name: "a cluster's istiod given revision 1-30 while its base release keeps defaultRevision default (its unlabelled east-west gateway falls to no istiod)",
    policy: "mesh-multicluster-wiring",
    apply: (doc) => {
      // Only a multi-cluster stack has east-west gateways (local has none to orphan).
      const all = resources(doc).filter(istiod);
      return all.length > 1 ? edit(all[0], (o) => (o.values = { ...o.values, revision: "1-30" })) : undefined;
    },
  },
  {
    // istioctl's reader account, which the other clusters' remote secrets hold a token of, renders only with it (Istio 1.30.3 base reader-serviceaccount.yaml).
    name: "a cluster's base release with global.enableReaderRBAC false",
    policy: "mesh-multicluster-wiring",
    apply: (doc) => {
      // Only a multi-cluster stack has remote secrets (local turns the reader account off itself).
      if (resources(doc).filter(istiod).length < 2) return undefined;
      return onFirst(doc, (r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.chart === "base", (o) => (o.values = { ...o.values, global: { ...o.values.global, enableReaderRBAC: false } }));
    },
  },
  {
    // A fork's reader account: istiod lists and watches endpointslices on every remote cluster and
    // waits for them to sync (Istio 1.30.3 pkg/kube/multicluster/cluster.go buildClusterCollections, Cluster.Run).
    name: "a cluster's reader token moved to a ServiceAccount whose ClusterRole lacks endpointslices",
    policy: "mesh-multicluster-wiring",
    apply: (doc) => {
      const token = resources(doc).find((r) => isKind(r, "Secret") && (r.inputs as any)?.type === "kubernetes.io/service-account-token");
      if (!token) return undefined;
      edit(token, (o) => (o.metadata.annotations = { ...o.metadata.annotations, "kubernetes.io/service-account.name": "mesh-reader" }));
      const rbac = (kind: string, body: Record<string, unknown>) =>
        addLike(doc, token, kind.toLowerCase(), `kubernetes:rbac.authorization.k8s.io/v1:${kind}`, { apiVersion: "rbac.authorization.k8s.io/v1", kind, metadata: { name: "mesh-reader" }, ...body });
      const read = (apiGroups: string[], resources: string[]) => ({ apiGroups, resources, verbs: ["get", "list", "watch"] });
      rbac("ClusterRole", { rules: [read([""], ["namespaces", "pods", "services", "nodes"]), read(["gateway.networking.k8s.io"], ["gateways"]), read(["apiextensions.k8s.io"], ["customresourcedefinitions"])] });
      const namespace = (token.inputs as any).metadata.namespace;
      return rbac("ClusterRoleBinding", { roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "mesh-reader" }, subjects: [{ kind: "ServiceAccount", name: "mesh-reader", namespace }] });
    },
  },
  {
    // A client certificate names the user (its CN) and groups (its O) the API server reads as
    // (k8s.io/apiserver x509 CommonNameUserConversion), here bound by a ClusterRole lacking endpointslices.
    name: "every remote secret's kubeconfig authenticating by a client certificate whose group's ClusterRole lacks endpointslices",
    policy: "mesh-multicluster-wiring",
    apply: (doc) => {
      const secrets = resources(doc).filter(remoteSecret);
      const tokens = resources(doc).filter((r) => isKind(r, "Secret") && (r.inputs as any)?.type === "kubernetes.io/service-account-token");
      if (secrets.length === 0 || tokens.length === 0) return undefined;
      let urn: string | undefined;
      for (const r of secrets) {
        const key = (r.inputs as any).metadata.annotations["networking.istio.io/cluster"];
        const edited = edit(r, (o) => {
          delete o.data;
          o.stringData = { [key]: certKubeconfig(key) };
        });
        urn ??= edited;
      }
      const read = (apiGroups: string[], resources: string[]) => ({ apiGroups, resources, verbs: ["get", "list", "watch"] });
      for (const token of tokens) {
        const rbac = (kind: string, body: Record<string, unknown>) =>
          addLike(doc, token, `cert-${kind.toLowerCase()}`, `kubernetes:rbac.authorization.k8s.io/v1:${kind}`, { apiVersion: "rbac.authorization.k8s.io/v1", kind, metadata: { name: "mesh-readers" }, ...body });
        rbac("ClusterRole", { rules: [read([""], ["namespaces", "pods", "services", "nodes"]), read(["gateway.networking.k8s.io"], ["gateways"]), read(["apiextensions.k8s.io"], ["customresourcedefinitions"])] });
        rbac("ClusterRoleBinding", { roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "mesh-readers" }, subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "mesh-readers" }] });
      }
      return urn;
    },
  },
  {
    // aws eks get-token's token is `k8s-aws-v1.` + a presigned STS URL, refused 15 minutes after its
    // X-Amz-Date (kubernetes-sigs/aws-iam-authenticator pkg/token/token.go Verify): a static one soon reads nothing.
    name: "a remote secret's kubeconfig authenticating by a pasted EKS IAM token (aws eks get-token's k8s-aws-v1.)",
    policy: "mesh-multicluster-wiring",
    apply: (doc) => {
      const secret = resources(doc).find(remoteSecret);
      if (!secret) return undefined;
      const key = (secret.inputs as any).metadata.annotations["networking.istio.io/cluster"];
      const presigned = "https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Date=20261203T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id";
      const token = `k8s-aws-v1.${Buffer.from(presigned).toString("base64url")}`;
      const kubeconfig = ["apiVersion: v1", "kind: Config", `clusters: [{name: ${key}, cluster: {server: "https://10.0.0.2:6443"}}]`, `contexts: [{name: ${key}, context: {cluster: ${key}, user: ${key}}}]`, `current-context: ${key}`, `users: [{name: ${key}, user: {token: ${token}}}]`, ""].join("\n");
      return edit(secret, (o) => {
        delete o.data;
        o.stringData = { [key]: kubeconfig };
      });
    },
  },
  {
    // Istio 1.30.3 registers istio-waypoint only with PILOT_ENABLE_AMBIENT_WAYPOINTS (classinfo.go); Reconcile skips an unknown controller.
    name: "a cluster's istiod with PILOT_ENABLE_AMBIENT_WAYPOINTS false beside the stack's waypoints",
    policy: "mesh-multicluster-wiring",
    apply: (doc) => onFirst(doc, istiod, (o) => (o.values.env = { ...o.values.env, PILOT_ENABLE_AMBIENT_WAYPOINTS: "false" })),
  },
  {
    name: "a remote secret left behind for a cluster no longer in the mesh",
    policy: "mesh-multicluster-wiring",
    apply: (doc) => {
      const like = resources(doc).find(remoteSecret);
      return like && addLike(doc, like, "retired", like.type, {
        apiVersion: "v1", kind: "Secret",
        metadata: { name: "istio-remote-secret-retired", namespace: "istio-system", labels: { "istio/multiCluster": "true" }, annotations: { "networking.istio.io/cluster": "retired" } },
        stringData: { retired: "apiVersion: v1\nkind: Config\n" },
      });
    },
  },
  {
    // Other clusters reach a global Service's waypoint only if its Service is global too (istio/istio#60985).
    name: "a tool's Service made global (istio.io/global) while its namespace's waypoint stays local",
    policy: "mesh-multicluster-wiring",
    apply: (doc) =>
      resources(doc).filter(istiod).length > 1
        ? onFirst(doc, (r) => isKind(r, "Service") && (r.inputs as any)?.metadata?.namespace === "tools" && !!withSpec(r).selector, (o) => (o.metadata.labels = { ...o.metadata.labels, "istio.io/global": "true" }))
        : undefined,
  },
  {
    // An ingress gateway is handed other networks' endpoints only with AMBIENT_ENABLE_MULTI_NETWORK_INGRESS
    // (Istio 1.30.3 pilot/pkg/features/ambient.go, false by default; xds/endpoints/ep_filters.go skips them).
    name: "an HTTPRoute on a cluster's Istio ingress gateway to a global Service every cluster renders, that cluster's istiod without AMBIENT_ENABLE_MULTI_NETWORK_INGRESS",
    policy: "mesh-multicluster-wiring",
    apply: (doc) => ingressToGlobalService(doc),
  },
  {
    // istiod mounts cacerts from its own namespace (Istio 1.30.3 istio-discovery deployment.yaml), the
    // provider's default one for a release naming none: istio-system/cacerts is not read, istiod mints a root.
    name: "istiod's release namespace left to a provider whose default namespace is inference (its cacerts stay in istio-system)",
    policy: "mesh-root-ca-shared",
    // A one-cluster mesh may mint its own root: only a multi-cluster stack needs the shared one.
    apply: (doc) => (resources(doc).filter(istiod).length > 1 ? istiodLeftToProvider(doc, "inference") : undefined),
  },
  {
    // istiod reads the cluster's network from its own namespace's topology.istio.io/network label
    // (Istio 1.30.3 networkFromSystemNamespace): inference carries none, istio-system's is not read.
    name: "istiod's release namespace left to a provider whose default namespace is inference (not labelled with the cluster's network)",
    policy: "mesh-identity-consistent",
    apply: (doc) => istiodLeftToProvider(doc, "inference"),
  },
  {
    // Istio 1.30.3 renders an east-west gateway from waypoint.yaml (gatewaycommon/classinfo.go), whose pods carry
    // gateway.istio.io/managed istio.io-eastwest-controller (its ControllerLabel): a selector on it binds their Envoy.
    name: "an east-west gateway given an in-mesh plaintext listener, its own policy admitting outsiders on 15008 only, and an ALLOW selecting its pods by gateway.istio.io/managed admitting them everywhere",
    policy: "gateway-listeners-tls",
    apply: (doc) => openEastWest(doc, "by-managed", () => ({ "gateway.istio.io/managed": "istio.io-eastwest-controller" })),
  },
  {
    // deploymentcontroller.go setLabelOverrides gives an east-west (or waypoint) class's pods topology.istio.io/network,
    // the istiod's global.network, where the Gateway's own labels do not set it: a selector on it binds their Envoy.
    name: "an east-west gateway without its own topology.istio.io/network label given an in-mesh plaintext listener, its own policy admitting outsiders on 15008 only, and an ALLOW selecting its pods by the network istiod labels them with admitting them everywhere",
    policy: "gateway-listeners-tls",
    apply: (doc) =>
      openEastWest(doc, "by-network", (gw) => {
        const network = (resources(doc).find((r) => istiod(r) && r.provider === gw.provider)?.inputs as any)?.values?.global?.network;
        if (typeof network !== "string" || network === "") return undefined;
        edit(gw, (o) => delete o.metadata.labels?.["topology.istio.io/network"]);
        return { "topology.istio.io/network": network };
      }),
  },
];

/**
 * The first east-west gateway given an in-mesh plaintext listener, a policy of its own admitting
 * outsiders on 15008 only, and an ALLOW admitting them everywhere bound by a selector on `labels`
 * (of the gateway, which it may edit; undefined: no mutation).
 */
function openEastWest(doc: ExportedDeployment, suffix: string, labels: (gw: ExportedResource) => Record<string, string> | undefined): string | undefined {
  const gw = resources(doc).find((r) => isKind(r, "Gateway") && withSpec(r).gatewayClassName === "istio-east-west");
  const matchLabels = gw && labels(gw);
  if (!gw || !matchLabels) return undefined;
  const { name, namespace } = (gw.inputs as any).metadata;
  edit(gw, (o) => o.spec.listeners.push({ name: "http-mesh", port: 8080, protocol: "HTTP", hostname: `${name}.${namespace}.svc.cluster.local` }));
  const outsiders = [{ from: [{ source: { notPrincipals: ["*"] } }] }];
  const policy = (tail: string, spec: Record<string, unknown>) => ({ apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: `${name}-${tail}`, namespace }, spec });
  const type = "kubernetes:security.istio.io/v1:AuthorizationPolicy";
  addLike(doc, gw, `${name}-own`, type, policy("own", { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name }], rules: [{ ...outsiders[0], to: [{ operation: { ports: ["15008"] } }] }] }));
  return addLike(doc, gw, `${name}-${suffix}`, type, policy(suffix, { selector: { matchLabels }, rules: outsiders }));
}

/**
 * A Service inference/model-direct labelled istio.io/global on every cluster with an Istio ingress
 * Gateway inference/inference-gateway, an HTTPRoute on the first one's gateway sending to it, and
 * that cluster's istiod without AMBIENT_ENABLE_MULTI_NETWORK_INGRESS; returns the route's URN
 * (undefined on a stack of one cluster, which has no other network to reach).
 */
function ingressToGlobalService(doc: ExportedDeployment): string | undefined {
  const gateways = resources(doc).filter((r) => isKind(r, "Gateway") && withSpec(r).gatewayClassName === "istio" && (r.inputs as any)?.metadata?.name === "inference-gateway");
  const first = gateways[0];
  const own = first && resources(doc).find((r) => istiod(r) && r.provider === first.provider);
  if (gateways.length < 2 || !own) return undefined;
  const metadata = { name: "model-direct", namespace: "inference", labels: { "istio.io/global": "true" } };
  for (const gw of gateways) addLike(doc, gw, "model-direct", "kubernetes:core/v1:Service", { apiVersion: "v1", kind: "Service", metadata, spec: { selector: { app: "model-direct" }, ports: [{ name: "http", port: 8000 }] } });
  edit(own, (o) => delete o.values.env.AMBIENT_ENABLE_MULTI_NETWORK_INGRESS);
  return addLike(doc, first, "model-direct-route", "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: "model-direct", namespace: "inference" },
    spec: { parentRefs: [{ name: "inference-gateway" }], rules: [{ backendRefs: [{ name: "model-direct", port: 8000 }] }] },
  });
}
