/**
 * gpu-device-plugin on a GPU Operator release installed on k3s: gpu-operator v26.7.0 points its
 * container toolkit at containerd's defaults (/etc/containerd/config.toml,
 * /run/containerd/containerd.sock; controllers/object_controls.go), which k3s's own containerd
 * (/run/k3s/containerd/containerd.sock, /var/lib/rancher/k3s/agent/etc/containerd/config.toml)
 * never uses. Before, such a release passed: the toolkit pod fails, the operator never marks it
 * ready and starts no device plugin, and every GPU pod stays Pending.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { gpuDevicePlugin } from "../../policy/rules/gpu-device-plugin";
import { k8sProvider, runStack, stackResource, UNKNOWN } from "../support/policy";
import { provider, messages } from "./mesh-support";
import { gpuToleration } from "./workloads-support";

const on = (type: string, name: string, props: Record<string, unknown>) => stackResource({ type, name, props, provider: k8sProvider("a") });
const vllm = on("kubernetes:apps/v1:Deployment", "a-vllm", {
  metadata: { name: "vllm", namespace: "inference" },
  spec: { template: { spec: { tolerations: [gpuToleration], containers: [{ name: "vllm", image: "vllm/vllm-openai:v0.21.0", resources: { limits: { "nvidia.com/gpu": "1" } } }] } } },
});
const script = (extra = "") =>
  `#!/bin/bash\ncat > /etc/rancher/k3s/config.yaml <<'EOF'\nnode-label:\n  - nvidia.com/gpu.present=true\nnode-taint:\n  - nvidia.com/gpu=present:NoSchedule\n${extra}EOF\ncurl -sfL https://get.k3s.io | sh -s - agent\n`;
const vm = (startup: string) =>
  stackResource({ type: "gcp:compute/instanceTemplate:InstanceTemplate", name: "a-gpu-a100-template", props: { machineType: "a2-ultragpu-4g", disks: [{ boot: true, sourceImage: "projects/deeplearning-platform-release/global/images/family/common-cu124-ubuntu-2204-nvidia-570" }], metadataStartupScript: startup }, provider: null });
const operator = (values: Record<string, unknown>) => on("kubernetes:helm.sh/v3:Release", "a-gpu-operator", { name: "gpu-operator", chart: "gpu-operator", namespace: "gpu-operator", values });
const env = (pairs: Record<string, string>) => ({ toolkit: { env: Object.entries(pairs).map(([name, value]) => ({ name, value })) } });
const k3sEnv = { CONTAINERD_CONFIG: "/var/lib/rancher/k3s/agent/etc/containerd/config.toml", CONTAINERD_SOCKET: "/run/k3s/containerd/containerd.sock" };

test("gpu-device-plugin: a GPU Operator on k3s whose toolkit points at k3s's containerd, or runs none, passes", async () => {
  for (const values of [
    env(k3sEnv),
    // NVIDIA's RKE2/k3s advice: the template k3s renders its config from, RUNTIME_CONFIG for the file.
    env({ CONTAINERD_CONFIG: "/var/lib/rancher/k3s/agent/etc/containerd/config-v3.toml.tmpl", CONTAINERD_SOCKET: "/run/k3s/containerd/containerd.sock" }),
    env({ RUNTIME_CONFIG: "/var/lib/rancher/k3s/agent/etc/containerd/config.toml", CONTAINERD_SOCKET: "/run/k3s/containerd/containerd.sock" }),
    // /var/run is /run; a config path outside k3s's data-dir is healed at k3s's next start, which
    // registers the toolkit's runtime from /usr/local/nvidia/toolkit itself (k3s runtimes.go).
    env({ CONTAINERD_CONFIG: "/etc/k3s-containerd/config.toml", CONTAINERD_SOCKET: "/var/run/k3s/containerd/containerd.sock/" }),
    { toolkit: { enabled: false } },
    // The NRI plugin mode touches neither the config nor the socket.
    { cdi: { nriPluginEnabled: true } },
  ]) {
    assert.deepEqual((await runStack(gpuDevicePlugin, [provider("a"), vllm, vm(script()), operator(values)])).violations, [], JSON.stringify(values));
  }
  // k3s on another runtime (an installed containerd) keeps the defaults right.
  assert.deepEqual((await runStack(gpuDevicePlugin, [provider("a"), vllm, vm(script("container-runtime-endpoint: unix:///run/containerd/containerd.sock\n")), operator({})])).violations, []);
  // Not k3s as far as the stack shows: an EKS or existing cluster with no platform declared.
  assert.deepEqual((await runStack(gpuDevicePlugin, [provider("a"), vllm, operator({})])).violations, []);
  // A script this run cannot read is can't judge, not a pass or a violation; so is another socket on rootless k3s.
  assert.deepEqual((await runStack(gpuDevicePlugin, [provider("a"), vllm, vm(UNKNOWN), operator({})])).violations, []);
  const rootless = await runStack(gpuDevicePlugin, [provider("a"), vllm, vm(script("rootless: true\n")), operator(env({ ...k3sEnv, CONTAINERD_SOCKET: "/run/user/1000/k3s/containerd/containerd.sock" }))]);
  assert.deepEqual(rootless.violations, []);
  assert.match(rootless.unknown.join("\n"), /whether the socket \/run\/user\/1000\/k3s\/containerd\/containerd\.sock GPU Operator release a-gpu-operator gives its container toolkit reaches the containerd of rootless k3s on cluster a/);
});

test("gpu-device-plugin: a GPU Operator on k3s whose toolkit keeps containerd's defaults fails", async () => {
  const bare = await runStack(gpuDevicePlugin, [provider("a"), vllm, vm(script()), operator({ driver: { enabled: false } })]);
  assert.deepEqual(messages(bare), [
    "cluster a: Helm release gpu-operator/gpu-operator (chart gpu-operator) runs its container toolkit (toolkit.enabled) against containerd's defaults, the socket /run/containerd/containerd.sock (values.toolkit.env sets no CONTAINERD_SOCKET) and the config /etc/containerd/config.toml (values.toolkit.env sets neither CONTAINERD_CONFIG nor RUNTIME_CONFIG), though InstanceTemplate a-gpu-a100-template joins it as a k3s node (its startup script installs k3s), whose containerd listens on /run/k3s/containerd/containerd.sock and reads /var/lib/rancher/k3s/agent/etc/containerd/config.toml: the toolkit never registers the nvidia runtime with k3s's containerd (and fails signalling a socket that is not there), the operator never marks the toolkit ready and starts no device plugin, so no node advertises a GPU and GPU pods stay Pending; set values.toolkit.env CONTAINERD_CONFIG=/var/lib/rancher/k3s/agent/etc/containerd/config.toml and CONTAINERD_SOCKET=/run/k3s/containerd/containerd.sock (gpu-operator v26.7.0 controllers/transforms_test.go), or toolkit.enabled: false where the nodes install the toolkit themselves (as components/cloud/gcp/nvidia.ts does)",
  ]);
  assert.equal(bare.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:helm.sh/v3:Release::a-gpu-operator");
  // Half set: the socket given as RUNTIME_SOCKET, which the operator overwrites; the config alone.
  const runtimeSocket = await runStack(gpuDevicePlugin, [provider("a"), vllm, vm(script()), operator(env({ CONTAINERD_CONFIG: k3sEnv.CONTAINERD_CONFIG, RUNTIME_SOCKET: k3sEnv.CONTAINERD_SOCKET }))]);
  assert.match(messages(runtimeSocket)[0] ?? "", /defaults, the socket \/run\/containerd\/containerd\.sock \(values\.toolkit\.env sets no CONTAINERD_SOCKET; its RUNTIME_SOCKET \/run\/k3s\/containerd\/containerd\.sock the operator overwrites with the socket it mounts\), though/);
  const configOnly = await runStack(gpuDevicePlugin, [provider("a"), vllm, vm(script()), operator(env({ CONTAINERD_SOCKET: k3sEnv.CONTAINERD_SOCKET, CONTAINERD_CONFIG: "/etc/containerd/config.toml" }))]);
  assert.match(messages(configOnly)[0] ?? "", /defaults, the config \/etc\/containerd\/config\.toml \(values\.toolkit\.env sets it\), though/);
  // A custom data-dir moves the config the message asks for (k3s keeps its socket in /run/k3s).
  const dataDir = await runStack(gpuDevicePlugin, [provider("a"), vllm, vm(script("data-dir: /srv/k3s/\n")), operator({})]);
  assert.match(messages(dataDir)[0] ?? "", /reads \/srv\/k3s\/agent\/etc\/containerd\/config\.toml: .*set values\.toolkit\.env CONTAINERD_CONFIG=\/srv\/k3s\/agent\/etc\/containerd\/config\.toml and CONTAINERD_SOCKET=\/run\/k3s\/containerd\/containerd\.sock /);
  // A data-dir not fully known (BASE never set plainly) leaves the config path unnamed; before, it read /k3s/agent/….
  const partial = script().replace("sh -s - agent", 'sh -s - agent --data-dir "$BASE/k3s"');
  const unnamed = messages(await runStack(gpuDevicePlugin, [provider("a"), vllm, vm(partial), operator({})]))[0] ?? "";
  assert.match(unnamed, /reads <data-dir>\/agent\/etc\/containerd\/config\.toml \(its data-dir is not known\): .*set values\.toolkit\.env CONTAINERD_CONFIG=<data-dir>\/agent\/etc\/containerd\/config\.toml and CONTAINERD_SOCKET=/);
  // Any socket but k3s's fails alike, not only containerd's default (before, each passed).
  for (const socket of ["/run/k3s/containerd.sock", "/var/lib/rancher/k3s/agent/containerd/containerd.sock"]) {
    const offSocket = await runStack(gpuDevicePlugin, [provider("a"), vllm, vm(script("data-dir: /var/lib/rancher/k3s\n")), operator(env({ ...k3sEnv, CONTAINERD_SOCKET: socket }))]);
    assert.deepEqual(messages(offSocket), [
      `cluster a: Helm release gpu-operator/gpu-operator (chart gpu-operator) points its container toolkit at the socket ${socket} (values.toolkit.env CONTAINERD_SOCKET), though InstanceTemplate a-gpu-a100-template joins it as a k3s node (its startup script installs k3s), whose containerd listens on /run/k3s/containerd/containerd.sock whatever its data-dir (k3s pkg/agent/config applyContainerdStateAndAddress): the toolkit fails signalling a socket that is not there, the operator never marks the toolkit ready and starts no device plugin, so no node advertises a GPU and GPU pods stay Pending; set values.toolkit.env CONTAINERD_SOCKET=/run/k3s/containerd/containerd.sock`,
    ]);
  }
  // An existing cluster declared k3s by an Istio release; the toolkit left on with NRI asked for but CDI off.
  const istiod = on("kubernetes:helm.sh/v3:Release", "a-istiod", { name: "istiod", chart: "istiod", namespace: "istio-system", values: { global: { platform: "k3s" } } });
  for (const values of [{}, { cdi: { enabled: false, nriPluginEnabled: true } }, { toolkit: { enabled: "true" } }]) {
    const declared = await runStack(gpuDevicePlugin, [provider("a"), vllm, istiod, operator(values)]);
    assert.match(messages(declared)[0] ?? "", /though Helm release a-istiod declares it k3s \(global\.platform\), whose containerd/, JSON.stringify(values));
  }
});
