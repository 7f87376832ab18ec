/**
 * gpu-device-plugin on k3s GPU VMs booting a stock image: the boot script installs NVIDIA's
 * container toolkit beside the driver, or a GPU Operator does (gpu-operator v26.7.0 values.yaml
 * toolkit.enabled): without it k3s registers no nvidia runtime and no container sees the GPUs.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { gpuDevicePlugin } from "../../policy/rules/gpu-device-plugin";
import { k8sProvider, runStack, stackResource } from "../support/policy";
import { messages, provider } from "./mesh-support";
import { gpuToleration } from "./workloads-support";

const on = (type: string, name: string, props: Record<string, unknown>) => stackResource({ type, name, props, provider: k8sProvider("a") });
const vllm = on("kubernetes:apps/v1:Deployment", "a-vllm", {
  metadata: { name: "vllm", namespace: "inference" },
  spec: { template: { spec: { tolerations: [gpuToleration], containers: [{ name: "vllm", image: "vllm/vllm-openai:v0.21.0", resources: { limits: { "nvidia.com/gpu": "1" } } }] } } },
});
const plugin = on("kubernetes:helm.sh/v3:Release", "a-nvidia-device-plugin", { name: "nvidia-device-plugin", chart: "nvidia-device-plugin", namespace: "kube-system", values: { nodeSelector: { "nvidia.com/gpu.present": "true" } } });
const operator = (values: Record<string, unknown>) => on("kubernetes:helm.sh/v3:Release", "a-gpu-operator", { name: "gpu-operator", chart: "gpu-operator", namespace: "gpu-operator", values });
const script = (install: string) =>
  `#!/bin/bash\n${install}\ncurl -sfL https://get.k3s.io | sh -s - agent --node-taint nvidia.com/gpu=present:NoSchedule --node-label nvidia.com/gpu.present=true\n`;
const vm = (install: string, sourceImage = "ubuntu-os-cloud/ubuntu-2204-lts") =>
  stackResource({ type: "gcp:compute/instanceTemplate:InstanceTemplate", name: "a-gpu-l4-template", props: { machineType: "g2-standard-8", disks: [{ boot: true, sourceImage }], metadataStartupScript: script(install) }, provider: null });
const driver = "retry ubuntu-drivers install --gpgpu 'nvidia:580-server'";

test("gpu-device-plugin: a k3s GPU VM on a stock image installs the NVIDIA container toolkit beside the driver, or a GPU Operator does", async () => {
  for (const extra of [
    // components/cloud/gcp/nvidia.ts's own install, with the keyring and list files it writes first.
    [vm(`${driver}\ncurl -fsSL https://nvidia.github.io/libnvidia-container/gpgkey | gpg --dearmor -o /usr/share/keyrings/nvidia-container-toolkit-keyring.gpg\nretry apt-get install -y nvidia-container-toolkit`), plugin],
    [vm(`${driver}\ndnf install -y nvidia-container-toolkit-1.17.8`), plugin],
    // NVIDIA's install guide pins the packages on lines continuing the install command.
    [vm(`${driver}\nexport NVIDIA_CONTAINER_TOOLKIT_VERSION=1.20.0-1\n  sudo apt-get install -y \\\n      nvidia-container-toolkit=\${NVIDIA_CONTAINER_TOOLKIT_VERSION} \\\n      libnvidia-container1=\${NVIDIA_CONTAINER_TOOLKIT_VERSION}`), plugin],
    // Offline installs of the .deb and .rpm files NVIDIA publishes, by name or by a glob over a directory of them.
    [vm(`${driver}\ndpkg -i /opt/pkgs/nvidia-container-toolkit_1.20.0-1_amd64.deb /opt/pkgs/nvidia-container-toolkit-base_1.20.0-1_amd64.deb`), plugin],
    [vm(`${driver}\nrpm -Uvh nvidia-container-toolkit-1.20.0-1.x86_64.rpm`), plugin],
    [vm(`${driver}\ndpkg --install /opt/nvidia-toolkit/*.deb`), plugin],
    // The operator's toolkit (on by default) pointed at k3s's containerd (at its defaults it never reaches it:
    // workloads-gpu-operator-k3s.test.ts), or an image that is not a stock one.
    [vm(driver), operator({ driver: { enabled: false }, toolkit: { env: [{ name: "CONTAINERD_CONFIG", value: "/var/lib/rancher/k3s/agent/etc/containerd/config.toml" }, { name: "CONTAINERD_SOCKET", value: "/run/k3s/containerd/containerd.sock" }] } })],
    [vm(driver, "projects/deeplearning-platform-release/global/images/family/common-cu124-ubuntu-2204-nvidia-570"), plugin],
  ]) {
    assert.deepEqual((await runStack(gpuDevicePlugin, [provider("a"), vllm, ...extra])).violations, [], extra[0].props.metadataStartupScript as string);
  }
  // Before: each passed, the driver alone being taken for a working GPU node.
  const expected = /^cluster a: Deployment inference\/vllm requests nvidia\.com\/gpu, but InstanceTemplate a-gpu-l4-template boots ubuntu-os-cloud\/ubuntu-2204-lts, a stock image, and its boot script installs the NVIDIA driver but not the NVIDIA container toolkit, nor does a GPU Operator release \(toolkit\.enabled\): k3s then registers no nvidia runtime/;
  for (const extra of [
    [vm(`${driver}\n# apt-get install -y nvidia-container-toolkit\ncurl -fsSL https://nvidia.github.io/libnvidia-container/stable/deb/nvidia-container-toolkit.list > /etc/apt/sources.list.d/nvidia-container-toolkit.list`), plugin],
    [vm(driver), operator({ driver: { enabled: false }, toolkit: { enabled: false } })],
    // A local package that is not the toolkit, and a query of the package database, install nothing of it.
    [vm(`${driver}\ndpkg -i /tmp/cuda-keyring_1.1-1_all.deb\ndpkg -l nvidia-container-toolkit_1.20.0-1_amd64.deb || true`), plugin],
    // A continued line that is a comment ends the command there.
    [vm(`${driver}\napt-get install -y curl \\\n# nvidia-container-toolkit`), plugin],
  ]) {
    const result = await runStack(gpuDevicePlugin, [provider("a"), vllm, ...extra]);
    assert.equal(result.violations.length, 1, messages(result).join("\n"));
    assert.match(messages(result)[0], expected);
  }
});
