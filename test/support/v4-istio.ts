/**
 * A state whose Istio (istiod, istio-cni, ztunnel) is installed with Helm v4 Charts, as a real run
 * records them: pulumi-kubernetes registers the Chart from its provider's Construct with no inputs
 * and no provider, and the objects it renders as children named `<chart>:<namespace>/<name>`,
 * parented to it, on the chart's provider. The children are what Istio 1.30.3's charts render from
 * the Release's values (manifests/charts; only the objects and fields the pack reads).
 */
import { liveObject } from "./live-export";
import type { ExportedDeployment, ExportedResource } from "../../scripts/lib/review-wire";

type Obj = Record<string, any>;
const RELEASE = "kubernetes:helm.sh/v3:Release";
const CHART = "kubernetes:helm.sh/v4:Chart";
// ztunnel and istio-cni values.yaml: the node agents' default tolerations.
export const TOLERATIONS = [{ effect: "NoSchedule", operator: "Exists" }, { key: "CriticalAddonsOnly", operator: "Exists" }, { effect: "NoExecute", operator: "Exists" }];
// istio-cni values.yaml ambient.enablementSelectors, as configmap-cni.yaml's toYaml writes them.
export const SELECTORS =
  "- podSelector:\n    matchLabels:\n      istio.io/dataplane-mode: ambient\n- namespaceSelector:\n    matchLabels:\n      istio.io/dataplane-mode: ambient\n  podSelector:\n    matchExpressions:\n    - key: istio.io/dataplane-mode\n      operator: NotIn\n      values:\n      - none\n";

const meta = (name: string, namespace: string) => ({ name, namespace });
const daemonSet = (name: string, namespace: string, pod: Obj) => ({ apiVersion: "apps/v1", kind: "DaemonSet", metadata: meta(name, namespace), spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name, "istio.io/dataplane-mode": "none" } }, spec: pod } } });

/** The objects of one chart, from a Release's values. */
function rendered(chart: string, namespace: string, v: Obj): Obj[] {
  const image = (name: string) => `${v.hub ?? v.global?.hub ?? "docker.io/istio"}/${name}:${v.tag ?? v.global?.tag ?? "1.30.3"}`;
  if (chart === "istiod") {
    const suffix = v.revision ? `-${v.revision}` : "";
    const env = Object.entries({ ...(v.profile === "ambient" ? { PILOT_ENABLE_AMBIENT: "true" } : {}), ...(v.env ?? {}) }).map(([name, value]) => ({ name, value: String(value) }));
    return [
      { apiVersion: "apps/v1", kind: "Deployment", metadata: meta(`istiod${suffix}`, namespace), spec: { selector: { matchLabels: { app: "istiod" } }, template: { metadata: { labels: { app: "istiod" } }, spec: { containers: [{ name: "discovery", image: image("pilot"), env }] } } } },
      { apiVersion: "v1", kind: "ConfigMap", metadata: meta(`values${suffix}`, namespace), data: { "original-values": JSON.stringify(v), "merged-values": "{}" } },
      // service.yaml: the Service ztunnel dials.
      { apiVersion: "v1", kind: "Service", metadata: meta(`istiod${suffix}`, namespace), spec: { selector: { app: "istiod" }, ports: [{ port: 15010, name: "grpc-xds" }, { port: 15012, name: "https-dns" }, { port: 443, name: "https-webhook", targetPort: 15017 }, { port: 15014, name: "http-monitoring" }] } },
    ];
  }
  if (chart === "cni") {
    const enabled = v.cni?.ambient?.enabled ?? (v.profile === "ambient" ? true : (v.ambient?.enabled ?? false));
    // daemonSet.yaml mounts cniConfDir as cni-net-dir; files/profile-platform-k3s.yaml moves it for k3s.
    const k3s = (v.platform ?? v.global?.platform) === "k3s";
    const confDir = v.cni?.cniConfDir ?? (k3s ? "/var/lib/rancher/k3s/agent/etc/cni/net.d" : (v.cniConfDir ?? "/etc/cni/net.d"));
    const volumes = [{ name: "cni-net-dir", hostPath: { path: confDir } }];
    return [
      daemonSet("istio-cni-node", namespace, { nodeSelector: { "kubernetes.io/os": "linux" }, tolerations: v.tolerations ?? TOLERATIONS, containers: [{ name: "install-cni", image: image("install-cni"), envFrom: [{ configMapRef: { name: "istio-cni-config" } }] }], volumes }),
      { apiVersion: "v1", kind: "ConfigMap", metadata: meta("istio-cni-config", namespace), data: { AMBIENT_ENABLED: String(enabled), AMBIENT_ENABLEMENT_SELECTOR: SELECTORS, EXCLUDE_NAMESPACES: (v.excludeNamespaces ?? ["kube-system"]).join(",") } },
    ];
  }
  if (chart === "ztunnel") {
    const network = v.network ?? v.global?.network;
    // daemonset.yaml: caAddress/xdsAddress, else istiod[-<revision>].<istioNamespace>.svc:15012.
    const revision = v.revision ?? v.global?.revision ?? "";
    const istiod = `istiod${revision ? `-${revision}` : ""}.${v.istioNamespace ?? v.global?.istioNamespace ?? "istio-system"}.svc:15012`;
    const env = [
      ...(network ? [{ name: "NETWORK", value: network }] : []),
      { name: "ISTIO_META_CLUSTER_ID", value: v.multiCluster?.clusterName ?? "Kubernetes" },
      { name: "CA_ADDRESS", value: v.caAddress || istiod },
      { name: "XDS_ADDRESS", value: v.xdsAddress || istiod },
    ];
    return [daemonSet("ztunnel", namespace, { nodeSelector: { "kubernetes.io/os": "linux", ...(v.nodeSelector ?? {}) }, tolerations: v.tolerations ?? TOLERATIONS, containers: [{ name: "istio-proxy", image: image("ztunnel"), env }] })];
  }
  return [];
}

/** The state with each Release of `charts` replaced by a v4 Chart and its rendered children. */
export function istioAsV4Charts(doc: ExportedDeployment, charts = ["istiod", "cni", "ztunnel"]): ExportedDeployment {
  const out = structuredClone(doc);
  const renamed = new Map<string, string>();
  const resources: ExportedResource[] = [];
  for (const r of out.deployment.resources ?? []) {
    const chart = r.type === RELEASE ? String(r.inputs?.chart ?? "") : "";
    if (!charts.includes(chart)) {
      resources.push(r);
      continue;
    }
    const urn = r.urn.replace(RELEASE, CHART);
    renamed.set(r.urn, urn);
    resources.push({ urn, custom: false, type: CHART, inputs: {}, outputs: {}, parent: r.parent, dependencies: r.dependencies ?? [] });
    const [stack, project, types, name] = urn.split("::");
    const namespace = String(r.inputs?.namespace ?? "default");
    for (const obj of rendered(chart, namespace, (r.inputs?.values ?? {}) as Obj)) {
      const type = `kubernetes:${obj.apiVersion.includes("/") ? obj.apiVersion : `core/${obj.apiVersion}`}:${obj.kind}`;
      const child = [stack, project, `${types}$${type}`, `${name}:${namespace}/${obj.metadata.name}`].join("::");
      resources.push({ urn: child, custom: true, id: `${namespace}/${obj.metadata.name}`, type, inputs: obj, outputs: liveObject(obj, child), parent: urn, provider: r.provider, dependencies: [] });
    }
  }
  for (const r of resources) r.dependencies = (r.dependencies ?? []).map((d) => renamed.get(d) ?? d);
  out.deployment.resources = resources;
  return out;
}
