/**
 * Policy tests for gpu-scheduling on Istio's own pods: gateway deployment overlays (their text read
 * as Istio reads it), istiod's and the gateway chart's values, and ztunnel and istio-cni applied
 * as DaemonSets (a Helm v4 Chart's children), which must tolerate the GPU taint as their releases do.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { gpuScheduling } from "../../policy/rules/gpu-scheduling";
import { runResource, UNKNOWN } from "../support/policy";
import { deployment, gpuToleration, helmRelease, configMap } from "./workloads-support";

test("gpu-scheduling: Istio gateway deployment overlays (parametersRef/GatewayClass ConfigMaps, istiod gatewayClasses) keep off the GPU taint", async () => {
  const yamlOverlay = (podSpec: string) => `spec:\n  template:\n    spec:\n${podSpec}`;
  const ok = await runResource(gpuScheduling, [
    // The shipped options: a Service patch only.
    configMap("inference-gateway-options", { service: "spec:\n  externalTrafficPolicy: Local\n" }),
    configMap("gw-options", { deployment: yamlOverlay("      tolerations:\n      - key: dedicated\n        operator: Equal\n        value: gateways\n        effect: NoSchedule\n"), service: "spec: {}\n" }),
    // Not shaped as gateway parameters (a key Istio refuses): not an overlay.
    configMap("app-config", { deployment: yamlOverlay("      tolerations:\n      - operator: Exists\n"), "settings.json": "{}" }),
    // Allow-listed by the ConfigMap's namespace/name.
    configMap("gpu-gateway-options", { deployment: yamlOverlay("      tolerations:\n      - operator: Exists\n") }),
    helmRelease("istiod", { gatewayClasses: { istio: { service: { spec: { type: "ClusterIP" } }, deployment: { spec: { replicas: 2 } } } } }),
  ], { allowedTolerators: ["inference/gpu-gateway-options"] });
  assert.deepEqual(ok.violations, []);
  // Before: no ConfigMap and no gatewayClasses value was judged.
  const bad = await runResource(gpuScheduling, [
    configMap("inference-gateway-options", { deployment: yamlOverlay("      tolerations:\n      - operator: Exists\n"), service: "spec:\n  externalTrafficPolicy: Local\n" }),
    configMap("json-options", { deployment: JSON.stringify({ spec: { template: { spec: { nodeSelector: { "nvidia.com/gpu.present": "true" } } } } }) }),
    configMap("istio-default-gatewayclass-istio", { deployment: "spec: {template: {spec: {tolerations: [{key: nvidia.com/gpu, operator: Exists}]}}}", "other": "x" }, { "gateway.istio.io/defaults-for-class": "istio" }),
    helmRelease("istiod", { gatewayClasses: { istio: { deployment: { spec: { template: { spec: { tolerations: [gpuToleration] } } } } } } }),
  ]);
  assert.equal(bad.violations.length, 4, JSON.stringify(bad.violations, null, 1));
  assert.match(bad.violations[0].message, /^ConfigMap inference\/inference-gateway-options \(Istio gateway overlay\) data\.deployment requests no GPU but tolerates the nvidia\.com\/gpu taint/);
  assert.match(bad.violations[1].message, /^ConfigMap inference\/json-options \(Istio gateway overlay\) data\.deployment selects GPU nodes \(nodeSelector nvidia\.com\/gpu\.present\)/);
  assert.match(bad.violations[2].message, /^ConfigMap inference\/istio-default-gatewayclass-istio .* requests no GPU but tolerates/);
  assert.match(bad.violations[3].message, /^Helm release istio-system\/istiod \(chart istiod\) gateway deployment overlay \(values\.gatewayClasses\.istio\.deployment\) requests no GPU but tolerates/);
  // An overlay not known yet is can't judge, not a pass; any YAML Istio reads is read (anchors too).
  const unread = await runResource(gpuScheduling, [
    configMap("later", { deployment: UNKNOWN }),
    configMap("anchored", { deployment: "spec:\n  template: &t\n    spec: {tolerations: [{operator: Exists}]}\n" }),
  ]);
  assert.equal(unread.violations.length, 1);
  assert.match(unread.violations[0].message, /^ConfigMap inference\/anchored \(Istio gateway overlay\) data\.deployment requests no GPU but tolerates/);
  assert.match(unread.unknown[0], /its deployment overlay \(data\.deployment\) of ConfigMap inference\/later/);
});

test("Istio gateway overlay text: YAML and JSON are read as Istio reads them; text that is not one YAML document cannot be judged", async () => {
  const options = (deployment: string) => ({ type: "kubernetes:core/v1:ConfigMap", props: { metadata: { name: "gateway-options", namespace: "inference" }, data: { deployment } } });
  const tolerating = "# GPU nodes too\nspec:\n  template: {spec: {tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]}}\n";
  assert.equal((await runResource(gpuScheduling, options(tolerating))).violations.length, 1);
  const asJson = JSON.stringify({ spec: { template: { spec: { tolerations: [{ operator: "Exists" }] } } } });
  assert.equal((await runResource(gpuScheduling, options(asJson))).violations.length, 1);
  const twoDocuments = await runResource(gpuScheduling, options("spec: {}\n---\nspec: {}\n"));
  assert.deepEqual(twoDocuments.violations, []);
  assert.equal(twoDocuments.unknown.length, 1);
});

test("gpu-scheduling: istiod's pilot.* values are istiod's pod settings too (the chart merges values.pilot over the top level)", async () => {
  const istiod = (values: Record<string, unknown>) => ({ type: "kubernetes:helm.sh/v3:Release", props: { name: "istiod", chart: "istiod", namespace: "istio-system", version: "1.30.3", values } });
  assert.deepEqual((await runResource(gpuScheduling, istiod({ pilot: { tolerations: [{ key: "dedicated", operator: "Exists" }], autoscaleMin: 2 } }))).violations, []);
  const tolerating = await runResource(gpuScheduling, istiod({ pilot: { tolerations: [gpuToleration] } }));
  assert.equal(tolerating.violations.length, 1, JSON.stringify(tolerating.violations));
  assert.match(tolerating.violations[0].message, /^Helm release istio-system\/istiod \(chart istiod\) istiod pod spec \(values\.pilot\) requests no GPU but tolerates the nvidia\.com\/gpu taint/);
  const pinned = await runResource(gpuScheduling, istiod({ pilot: { nodeSelector: { "nvidia.com/gpu.present": "true" } } }));
  assert.match(pinned.violations[0]?.message ?? "", /istiod pod spec \(values\.pilot\) selects GPU nodes/);
});

test("gpu-scheduling: Istio's gateway chart (an ingress or egress gateway installed by Helm) keeps its pods off the GPU nodes", async () => {
  const gateway = (values: Record<string, unknown>, name = "istio-ingressgateway") => helmRelease("gateway", values, name, "istio-ingress");
  const ok = await runResource(gpuScheduling, [
    gateway({ service: { type: "LoadBalancer" } }),
    gateway({ tolerations: [{ key: "dedicated", operator: "Equal", value: "gateways", effect: "NoSchedule" }], nodeSelector: { "kubernetes.io/arch": "amd64" } }, "edge"),
    // Allow-listed by namespace/release.
    gateway({ tolerations: [gpuToleration] }, "gpu-edge"),
  ], { allowedTolerators: ["istio-ingress/gpu-edge"] });
  assert.deepEqual(ok.violations, []);
  // Before: the chart was not among those whose values were read, so both passed.
  const bad = await runResource(gpuScheduling, [
    gateway({ tolerations: [{ operator: "Exists" }] }),
    helmRelease("oci://registry.example/istio/gateway", { nodeSelector: { "nvidia.com/gpu.present": "true" } }, "egress", "istio-egress"),
  ]);
  assert.equal(bad.violations.length, 2, JSON.stringify(bad.violations, null, 1));
  assert.match(bad.violations[0].message, /^Helm release istio-ingress\/istio-ingressgateway \(chart gateway\) gateway pod spec \(values\) requests no GPU but tolerates the nvidia\.com\/gpu taint/);
  assert.match(bad.violations[1].message, /^Helm release istio-egress\/egress \(chart gateway\) gateway pod spec \(values\) selects GPU nodes \(nodeSelector nvidia\.com\/gpu\.present\)/);
});

test("gpu-scheduling: ztunnel and istio-cni applied as DaemonSets (a Helm v4 Chart's children) tolerate the GPU taint as their releases do; a look-alike does not", async () => {
  // Istio 1.30.3 charts: one container each, <hub>/ztunnel:<tag> and <hub>/install-cni:<tag>, tolerating every NoSchedule taint.
  const istioTolerations = [{ effect: "NoSchedule", operator: "Exists" }, { key: "CriticalAddonsOnly", operator: "Exists" }, { effect: "NoExecute", operator: "Exists" }];
  const daemonSet = (name: string, containers: unknown[]) => ({ type: "kubernetes:apps/v1:DaemonSet", props: { metadata: { name, namespace: "istio-system" }, spec: { template: { spec: { tolerations: istioTolerations, containers } } } } });
  const agents = await runResource(gpuScheduling, [
    daemonSet("ztunnel", [{ name: "istio-proxy", image: "docker.io/istio/ztunnel:1.30.3-distroless" }]),
    daemonSet("istio-cni-node", [{ name: "install-cni", image: "registry.example.com/mirror/install-cni:1.30.3" }]),
  ]);
  assert.deepEqual(agents.violations, []);
  const others = await runResource(gpuScheduling, [
    daemonSet("log-shipper", [{ name: "fluent-bit", image: "fluent/fluent-bit:3.2.0" }]),
    daemonSet("sidecar-in-ztunnel", [{ name: "istio-proxy", image: "docker.io/istio/ztunnel:1.30.3" }, { name: "x", image: "busybox:1.36" }]),
    deployment("ztunnel-lookalike", { tolerations: istioTolerations, containers: [{ name: "z", image: "docker.io/istio/ztunnel:1.30.3" }] }),
  ]);
  assert.equal(others.violations.length, 3, others.violations.map((v) => v.message).join("\n"));
  for (const v of others.violations) assert.match(v.message, /requests no GPU but tolerates the nvidia\.com\/gpu taint/);
});

test("gpu-scheduling: ztunnel or istio-cni applied as a DaemonSet without the GPU toleration is reported, as its release is", async () => {
  const daemonSet = (name: string, image: string, tolerations?: unknown[]) => ({ type: "kubernetes:apps/v1:DaemonSet", props: { metadata: { name, namespace: "istio-system" }, spec: { template: { spec: { ...(tolerations ? { tolerations } : {}), containers: [{ name: "agent", image }] } } } } });
  const out = await runResource(gpuScheduling, [
    daemonSet("ztunnel", "docker.io/istio/ztunnel:1.30.3", [{ key: "CriticalAddonsOnly", operator: "Exists" }]),
    daemonSet("istio-cni-node", "docker.io/istio/install-cni:1.30.3"),
  ]);
  assert.deepEqual(out.violations.map((v) => v.message.split(", so")[0]), [
    "DaemonSet istio-system/ztunnel runs Istio's ztunnel but does not tolerate the nvidia.com/gpu=present:NoSchedule taint",
    "DaemonSet istio-system/istio-cni-node runs Istio's istio-cni but does not tolerate the nvidia.com/gpu=present:NoSchedule taint",
  ]);
  // The GPU taint tolerated by key alone passes; so does the chart's key-less NoSchedule Exists.
  const fine = await runResource(gpuScheduling, [daemonSet("ztunnel", "docker.io/istio/ztunnel:1.30.3", [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]), daemonSet("istio-cni-node", "docker.io/istio/install-cni:1.30.3", [{ operator: "Exists", effect: "NoSchedule" }])]);
  assert.deepEqual(fine.violations, []);
});
