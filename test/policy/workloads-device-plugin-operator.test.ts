/**
 * Policy tests for gpu-device-plugin, the plugin run by NVIDIA's GPU Operator (v26.7.0) and the
 * plugin's config files (k8s-device-plugin v0.20.0): which GPUs it advertises, whether it starts.
 * The chart, the image by hand and the nodes it must reach: workloads-device-plugin.test.ts.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { gpuDevicePlugin } from "../../policy/rules/gpu-device-plugin";
import { runStack } from "../support/policy";
import { provider, messages } from "./mesh-support";
import { cluster, gpuLabels, nodeGroup, on, ours, release, systemGroup, vllm } from "./device-plugin-support";

// Before, only the nvidia-device-plugin chart (or its image by hand) counted: a cluster that runs
// NVIDIA's GPU Operator, whose ClusterPolicy deploys the plugin on every GPU node (v26.7.0
// devicePlugin.enabled, daemonsets.tolerations), was reported as installing no device plugin.
test("gpu-device-plugin: NVIDIA's GPU Operator runs the plugin on the GPU nodes its operands tolerate", async () => {
  const operator = (values: Record<string, unknown>) => on("kubernetes:helm.sh/v3:Release", "a-gpu-operator", { name: "gpu-operator", chart: "gpu-operator", namespace: "gpu-operator", values });
  for (const values of [{}, { driver: { enabled: false }, toolkit: { enabled: false } }, { daemonsets: { tolerations: [{ operator: "Exists" }] } }]) {
    assert.deepEqual((await runStack(gpuDevicePlugin, cluster(operator(values)))).violations, [], JSON.stringify(values));
  }
  const off = await runStack(gpuDevicePlugin, cluster(operator({ devicePlugin: { enabled: false } })));
  assert.match(messages(off)[0] ?? "", /^cluster a: Deployment inference\/vllm requests nvidia\.com\/gpu, but its device plugin never runs on the GPU nodes \(Helm release gpu-operator\/gpu-operator \(chart gpu-operator\): devicePlugin\.enabled is off/);
  const untolerated = await runStack(gpuDevicePlugin, cluster(operator({ daemonsets: { tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }] } })));
  assert.match(messages(untolerated)[0] ?? "", /Helm release gpu-operator\/gpu-operator \(chart gpu-operator\): its values\.daemonsets\.tolerations do not tolerate the nvidia\.com\/gpu=present:NoSchedule taint/);
});

// gpu-operator v26.7.0 deploys its operands only on nodes NFD labelled with an NVIDIA PCI device
// (state_manager.go hasGPULabels) and resets our nvidia.com/gpu.present to false without one
// (nodelabeling_controller.go): NFD turned off with none of the stack's own, or its worker kept off
// the GPU nodes, leaves them without the plugin. Before, each of these passed.
test("gpu-device-plugin: a GPU Operator needs Node Feature Discovery's worker on the GPU nodes", async () => {
  const operator = (values: Record<string, unknown>) => on("kubernetes:helm.sh/v3:Release", "a-gpu-operator", { name: "gpu-operator", chart: "gpu-operator", namespace: "gpu-operator", values });
  const nfdRelease = on("kubernetes:helm.sh/v3:Release", "a-nfd", { name: "nfd", chart: "node-feature-discovery", namespace: "node-feature-discovery", values: {} });
  // NFD off beside the stack's own NFD, or the subchart's worker let onto every node: correct.
  assert.deepEqual((await runStack(gpuDevicePlugin, cluster(operator({ nfd: { enabled: false } }), nfdRelease))).violations, []);
  assert.deepEqual((await runStack(gpuDevicePlugin, cluster(operator({ "node-feature-discovery": { worker: { tolerations: [{ operator: "Exists" }] } } })))).violations, []);
  const off = await runStack(gpuDevicePlugin, cluster(operator({ nfd: { enabled: false } })));
  assert.match(messages(off)[0] ?? "", /\(chart gpu-operator\): the Node Feature Discovery worker it needs on each GPU node .* never runs there: nfd\.enabled is off and the stack installs no Node Feature Discovery \(chart node-feature-discovery\) of its own/);
  const workerOff = await runStack(gpuDevicePlugin, cluster(operator({ "node-feature-discovery": { worker: { enable: false } } })));
  assert.match(messages(workerOff)[0] ?? "", /values\.node-feature-discovery\.worker\.enable is off/);
  const untolerated = await runStack(gpuDevicePlugin, cluster(operator({ "node-feature-discovery": { worker: { tolerations: [] } } })));
  assert.match(messages(untolerated)[0] ?? "", /never runs there: its values\.node-feature-discovery\.worker\.tolerations do not tolerate the nvidia\.com\/gpu=present:NoSchedule taint/);
  const pinned = await runStack(gpuDevicePlugin, cluster(operator({ "node-feature-discovery": { worker: { nodeSelector: { "inference-mesh.io/node-group": "system" } } } })));
  assert.match(messages(pinned)[0] ?? "", /no NVIDIA device plugin runs on GPU node group a-gpu .*the nodeSelector or required node affinity of the Node Feature Discovery worker of Helm release gpu-operator\/gpu-operator/);
});

// k8s-device-plugin v0.20.0 (api/config/v1 replicas.go, consts.go): sharing.timeSlicing or .mps
// with renameByDefault advertises nvidia.com/gpu.shared, and the pods limiting nvidia.com/gpu stay
// Pending. Before, such a release passed.
test("gpu-device-plugin: a plugin config sharing the GPUs under renameByDefault advertises nvidia.com/gpu.shared", async () => {
  const sharing = (renameByDefault: boolean, id = "timeSlicing") => `version: v1\nsharing:\n  ${id}:\n    renameByDefault: ${renameByDefault}\n    resources:\n    - name: nvidia.com/gpu\n      replicas: 4\n`;
  // The config nodes get: config.default, else the key `default`, else the only one.
  for (const config of [{ map: { default: sharing(true) } }, { map: { shared: sharing(true, "mps") } }, { map: { a: sharing(false), b: sharing(true) }, default: "b" }]) {
    const renamed = await runStack(gpuDevicePlugin, cluster(release({ ...ours, config })));
    assert.match(messages(renamed)[0] ?? "", /its device plugin never runs on the GPU nodes \(Helm release kube-system\/nvidia-device-plugin \(chart nvidia-device-plugin\): values\.config\.map\.\S+ sharing\.(timeSlicing|mps)\.renameByDefault is true, so the plugin advertises the GPUs as nvidia\.com\/gpu\.shared, not nvidia\.com\/gpu/, JSON.stringify(config));
  }
  // Sharing without the rename, a renamed config no node gets by default, or a node group picking its own config: no verdict.
  for (const config of [{ map: { default: sharing(false) } }, { map: { a: sharing(false), b: sharing(true) }, default: "a" }, { map: { a: sharing(true), b: sharing(true) } }]) {
    assert.deepEqual((await runStack(gpuDevicePlugin, cluster(release({ ...ours, config })))).violations, [], JSON.stringify(config));
  }
  const labelled = nodeGroup("a-gpu", { labels: { ...gpuLabels, "nvidia.com/device-plugin.config": "exclusive" }, instanceTypes: ["g5.12xlarge"], taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }] });
  assert.deepEqual((await runStack(gpuDevicePlugin, [provider("a"), systemGroup, labelled, vllm, release({ ...ours, config: { map: { default: sharing(true) } } })])).violations, []);
});

// gpu-operator v26.7.0 gives its plugin config-manager DEFAULT_CONFIG = devicePlugin.config.default
// (controllers/object_controls.go transformConfigManager*Container) from devicePlugin.config.data
// (create) or the ConfigMap it names: a default config sharing under renameByDefault advertises
// nvidia.com/gpu.shared. Before, only the nvidia-device-plugin chart's config was read.
test("gpu-device-plugin: a GPU Operator whose default plugin config shares the GPUs under renameByDefault advertises nvidia.com/gpu.shared", async () => {
  const operator = (values: Record<string, unknown>) => on("kubernetes:helm.sh/v3:Release", "a-gpu-operator", { name: "gpu-operator", chart: "gpu-operator", namespace: "gpu-operator", values });
  const sharing = (renameByDefault: boolean) => `version: v1\nsharing:\n  timeSlicing:\n    renameByDefault: ${renameByDefault}\n    resources:\n    - name: nvidia.com/gpu\n      replicas: 4\n`;
  const configMap = (data: Record<string, string>, namespace = "gpu-operator") => on("kubernetes:core/v1:ConfigMap", "a-plugin-config", { metadata: { name: "time-slicing", namespace }, data });
  const inValues = await runStack(gpuDevicePlugin, cluster(operator({ devicePlugin: { config: { name: "time-slicing", create: true, default: "any", data: { any: sharing(true) } } } })));
  assert.match(messages(inValues)[0] ?? "", /its device plugin never runs on the GPU nodes \(Helm release gpu-operator\/gpu-operator \(chart gpu-operator\): values\.devicePlugin\.config\.data\.any \(devicePlugin\.config\.default\) sharing\.timeSlicing\.renameByDefault is true, so the plugin advertises the GPUs as nvidia\.com\/gpu\.shared, not nvidia\.com\/gpu/);
  const inConfigMap = await runStack(gpuDevicePlugin, cluster(operator({ devicePlugin: { config: { name: "time-slicing", default: "any" } } }), configMap({ any: sharing(true) })));
  assert.match(messages(inConfigMap)[0] ?? "", /ConfigMap gpu-operator\/time-slicing data\.any \(devicePlugin\.config\.default\) sharing\.timeSlicing\.renameByDefault is true/);
  // No default (the operator's fallback is empty: no config), sharing without the rename, a ConfigMap elsewhere or not in the stack: no verdict.
  for (const extra of [
    [operator({ devicePlugin: { config: { name: "time-slicing", create: true, data: { any: sharing(true) } } } })],
    [operator({ devicePlugin: { config: { name: "time-slicing", create: true, default: "any", data: { any: sharing(false) } } } })],
    [operator({ devicePlugin: { config: { name: "time-slicing", default: "any" } } }), configMap({ any: sharing(true) }, "default")],
    [operator({ devicePlugin: { config: { name: "time-slicing", default: "any" } } })],
  ]) {
    assert.deepEqual((await runStack(gpuDevicePlugin, cluster(...extra))).violations, [], JSON.stringify(extra[0].props.values));
  }
});

// k8s-device-plugin v0.20.0 cmd/config-manager/main.go updateConfigName: a DEFAULT_CONFIG (the
// chart's config.default, the GPU Operator's devicePlugin.config.default) naming no file of the map
// fails with "specified config … does not exist", and the plugin pod never starts. Before, it passed.
test("gpu-device-plugin: a default plugin config naming no config of its map keeps the plugin from starting", async () => {
  const operator = (values: Record<string, unknown>) => on("kubernetes:helm.sh/v3:Release", "a-gpu-operator", { name: "gpu-operator", chart: "gpu-operator", namespace: "gpu-operator", values });
  const file = "version: v1\nflags:\n  migStrategy: none\n";
  const chart = await runStack(gpuDevicePlugin, cluster(release({ ...ours, config: { map: { exclusive: file }, default: "shared" } })));
  assert.match(messages(chart)[0] ?? "", /\(chart nvidia-device-plugin\): values\.config\.default is 'shared', which names no config of its map \(exclusive\): the plugin's config-manager exits with "specified config shared does not exist"/);
  const op = await runStack(gpuDevicePlugin, cluster(operator({ devicePlugin: { config: { name: "plugin-config", create: true, default: "shared", data: { exclusive: file } } } })));
  assert.match(messages(op)[0] ?? "", /\(chart gpu-operator\): values\.devicePlugin\.config\.default is 'shared', which names no config of its map \(exclusive\)/);
  // The default in the map, an existing ConfigMap the stack does not hold, or nodes labelled with their own config: no verdict.
  for (const plugin of [
    release({ ...ours, config: { map: { exclusive: file }, default: "exclusive" } }),
    release({ ...ours, config: { name: "existing", default: "shared" } }),
    operator({ devicePlugin: { config: { name: "plugin-config", default: "shared" } } }),
  ]) {
    assert.deepEqual((await runStack(gpuDevicePlugin, cluster(plugin))).violations, [], JSON.stringify(plugin.props.values));
  }
  const labelled = nodeGroup("a-gpu", { labels: { ...gpuLabels, "nvidia.com/device-plugin.config": "exclusive" }, instanceTypes: ["g5.12xlarge"], taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }] });
  assert.deepEqual((await runStack(gpuDevicePlugin, [provider("a"), systemGroup, labelled, vllm, release({ ...ours, config: { map: { exclusive: file }, default: "shared" } })])).violations, []);
});
