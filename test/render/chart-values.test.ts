/**
 * Helm ignores a values key its chart never reads, so a misspelt or misplaced key passes every
 * other test and only shows on a real cluster. Every key path of every rendered release must be
 * one that its chart reads at the pinned version (checked in the chart sources, cited per key);
 * a new key belongs in this table only after it has been checked the same way.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { renderShipped, shippedPlatform } from "../support/render";
import { parsePlatform } from "../../infra/config";
import { istioReleases } from "../../components/mesh/istio";
import { controllerRelease, crdRelease } from "../../components/agents/install";
import { devicePluginValues } from "../../components/gpu/device-plugin";

/** A key the chart reads; `map` marks free-form maps (env, nodeSelector) whose own keys are data. */
type Keys = Record<string, "value" | "map">;

// istio/istio@1.30.3 manifests/charts/*: each chart's templates/zzz_profile.yaml reads `profile`
// and `platform`/`global.platform` (lines 27, 41) and merges the profile file under the values.
const istioCommon: Keys = { profile: "value", "global.platform": "value" };

const chartKeys: Record<string, Keys> = {
  // base/values.yaml:24 and :47; templates/reader-serviceaccount.yaml:1 (dig global.enableReaderRBAC).
  base: { ...istioCommon, defaultRevision: "value", "global.enableReaderRBAC": "value" },
  // istio-control/istio-discovery: values.yaml replicaCount/autoscaleMin/autoscaleMax (:5-8), env (:37),
  // global.defaultPodDisruptionBudget (:238), global.meshID (:464), global.multiCluster (:498),
  // global.network (:505), pdb (:583); templates/configmap.yaml:79 merges meshConfig over the mesh
  // config (trustDomain); reader-clusterrole.yaml:2 reads global.enableReaderRBAC; deployment.yaml:183
  // renders every env entry.
  istiod: {
    ...istioCommon,
    "global.meshID": "value",
    "global.multiCluster.clusterName": "value",
    "global.network": "value",
    "global.enableReaderRBAC": "value",
    "global.defaultPodDisruptionBudget.enabled": "value",
    "meshConfig.trustDomain": "value",
    env: "map",
    replicaCount: "value",
    autoscaleMin: "value",
    autoscaleMax: "value",
    "pdb.minAvailable": "value",
  },
  // istio-cni: only the profile and platform (their files set cni.* under zzy_descope_legacy.yaml).
  cni: { ...istioCommon },
  // ztunnel/values.yaml:84-87 multiCluster.clusterName (daemonset.yaml:135 ISTIO_META_CLUSTER_ID);
  // zzz_profile.yaml:52-53 lays global.* over the top level, so global.network is `network`
  // (daemonset.yaml:126 NETWORK).
  ztunnel: { ...istioCommon, "multiCluster.clusterName": "value", "global.network": "value" },
  // agentgateway/agentgateway@v1.4.1 controller/install/helm/agentgateway-crds: no values.
  "oci://cr.agentgateway.dev/charts/agentgateway-crds": {},
  // controller/install/helm/agentgateway/values.yaml: controller.replicaCount (:56), controller.image
  // (:62-70), controller.xds.mode (:141), proxy.image (:193-200), image (:203-207), istio.* (:246-260);
  // templates/deployment.yaml:59 (controller image), :96-105 (AGW_PROXY_IMAGE_*), :118-142 (AGW_ISTIO_*),
  // :180 (AGW_XDS_MODE).
  "oci://cr.agentgateway.dev/charts/agentgateway": {
    "image.registry": "value",
    "image.tag": "value",
    "controller.replicaCount": "value",
    "controller.image.repository": "value",
    "controller.image.tag": "value",
    "controller.xds.mode": "value",
    "proxy.image.repository": "value",
    "proxy.image.tag": "value",
    "istio.autoEnabled": "value",
    "istio.namespace": "value",
    "istio.clusterId": "value",
    "istio.network": "value",
  },
  // NVIDIA/k8s-device-plugin@v0.20.0 deployments/helm/nvidia-device-plugin: values.yaml nodeSelector
  // (:63), tolerations (:86), priorityClassName (:99), runtimeClassName (:101), gfd.enabled (:111);
  // templates/daemonset-device-plugin.yml :43, :46, :264, :272; Chart.yaml's nfd dependency has the
  // condition `nfd.enabled,gfd.enabled`.
  "nvidia-device-plugin": {
    nodeSelector: "map",
    tolerations: "value",
    priorityClassName: "value",
    runtimeClassName: "value",
    "gfd.enabled": "value",
    "nfd.enabled": "value",
  },
};

/** Key paths of `values` no chart table entry covers. */
function unreadKeys(chart: string, values: unknown): string[] {
  const keys = chartKeys[chart];
  if (!keys) return [`(chart ${chart} has no verified key table)`];
  const out: string[] = [];
  const walk = (v: unknown, path: string) => {
    if (path && keys[path]) return;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      for (const [k, child] of Object.entries(v)) walk(child, path ? `${path}.${k}` : k);
    } else out.push(path || "(root)");
  };
  walk(values, "");
  return out;
}

test("every values key of every rendered Helm release is one its chart reads at the pinned version", () => {
  let releases = 0;
  for (const stack of ["local", "dev", "prod"] as const) {
    const rendered = renderShipped(stack);
    for (const cluster of rendered.clusters()) {
      for (const r of rendered.releases(cluster)) {
        releases++;
        assert.deepEqual(unreadKeys(r.chart, r.values), [], `${stack}/${cluster} release ${r.name} (${r.chart})`);
      }
    }
  }
  // Istio's four, agentgateway's two on every cluster, the device plugin where there are GPUs.
  assert.ok(releases >= 6 * 5, `only ${releases} releases rendered`);
});

test("chart values of other existing-cluster platforms (OpenShift, GKE, k3d, minikube, microk8s) and both device plugin shapes use only read keys too", () => {
  for (const platform of ["openshift", "gke", "k3d", "minikube", "microk8s"]) {
    const input = structuredClone(shippedPlatform("local"));
    input.clusters[0].platform = platform;
    const spec = parsePlatform(input, "local");
    for (const r of istioReleases(spec, spec.clusters[0])) assert.deepEqual(unreadKeys(r.chart, r.values), [], `${platform}: ${r.name}`);
    for (const r of [crdRelease(spec), controllerRelease(spec, spec.clusters[0])]) assert.deepEqual(unreadKeys(r.chart, r.values), [], `${platform}: ${r.name}`);
  }
  for (const runtimeClassName of [undefined, "nvidia"]) {
    assert.deepEqual(unreadKeys("nvidia-device-plugin", devicePluginValues({ runtimeClassName })), []);
  }
});

test("the key check catches misplaced or misspelt keys, and leaves free-form maps alone", () => {
  // istio-cni has no multiCluster values; ztunnel reads multiCluster, not multicluster.
  assert.deepEqual(unreadKeys("cni", { multiCluster: { clusterName: "c" } }), ["multiCluster.clusterName"]);
  assert.deepEqual(unreadKeys("ztunnel", { multicluster: { clusterName: "c" } }), ["multicluster.clusterName"]);
  assert.deepEqual(unreadKeys("istiod", { env: { ANY_FLAG: "true" }, meshconfig: { trustDomain: "x" } }), ["meshconfig.trustDomain"]);
  assert.deepEqual(unreadKeys("nvidia-device-plugin", { nodeSelector: { "nvidia.com/gpu.present": "true" }, tolerations: [] }), []);
});
