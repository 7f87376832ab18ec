/**
 * gpu-scheduling on the GPU nodes themselves: the taint a k3s GPU VM's startup script registers
 * (read from the decrypted script: it carries the join token) and an EKS node group's taints.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { gpuScheduling } from "../../policy/rules/gpu-scheduling";
import { runResource } from "../support/policy";
import { gzipSync } from "node:zlib";

// Before, the taint counted wherever its text appeared: in a comment (a node-taint commented out),
// or beside a second taint of the key, which k3s and EKS register too (NoExecute evicts the GPU
// pods, which tolerate nvidia.com/gpu with NoSchedule only).
test("gpu-scheduling: the GPU taint counts only where it is registered, and alone of its key (k3s startup scripts, EKS node groups)", async () => {
  const vm = (name: string, script: string) => ({ type: "gcp:compute/instanceTemplate:InstanceTemplate", name, props: { machineType: "a2-ultragpu-4g", scheduling: { onHostMaintenance: "TERMINATE" }, metadataStartupScript: script }, provider: null });
  const config = (body: string) => `#!/bin/bash\ncat > /etc/rancher/k3s/config.yaml <<'EOF'\n${body}EOF\ncurl -sfL https://get.k3s.io | sh -s - agent\n`;
  const ok = await runResource(gpuScheduling, [
    vm("listed", config("node-taint:\n  - nvidia.com/gpu=present:NoSchedule\n")),
    vm("flag", "#!/bin/bash\n# k3s agent with the GPU taint\ncurl -sfL https://get.k3s.io | sh -s - agent --node-taint nvidia.com/gpu=present:NoSchedule\n"),
    vm("other-key", config("node-taint:\n  - nvidia.com/gpu=present:NoSchedule\n  - dedicated=inference:NoSchedule\n")),
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(gpuScheduling, [
    vm("commented", config("# node-taint:\n#   - nvidia.com/gpu=present:NoSchedule\nnode-label:\n  - nvidia.com/gpu.present=true\n")),
    vm("evicting", config("node-taint:\n  - nvidia.com/gpu=present:NoSchedule\n  - nvidia.com/gpu=present:NoExecute\n")),
  ]);
  assert.deepEqual(bad.violations.map((v) => v.message.split(": without")[0]), [
    "InstanceTemplate commented has NVIDIA GPUs (machine type a2-ultragpu-4g) and joins k3s, but its startup script does not register the node with the taint nvidia.com/gpu=present:NoSchedule",
    "InstanceTemplate evicting has NVIDIA GPUs (machine type a2-ultragpu-4g) and joins k3s, but its startup script does not register the node with the taint nvidia.com/gpu=present:NoSchedule alone (it sets nvidia.com/gpu=present:NoSchedule, nvidia.com/gpu=present:NoExecute)",
  ]);
  const taint = { key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" };
  const group = (taints: unknown[]) => ({ type: "aws:eks/nodeGroup:NodeGroup", name: "gpu", props: { amiType: "AL2023_x86_64_NVIDIA", instanceTypes: ["g5.xlarge"], taints }, provider: null });
  assert.deepEqual((await runResource(gpuScheduling, group([taint, { key: "dedicated", value: "x", effect: "NO_SCHEDULE" }]))).violations, []);
  const both = await runResource(gpuScheduling, group([taint, { ...taint, effect: "NO_EXECUTE" }]));
  assert.match(both.violations[0]?.message ?? "", /^EKS node group gpu has NVIDIA GPUs \(AMI type AL2023_x86_64_NVIDIA\) but does not taint its nodes nvidia\.com\/gpu=present with effect NO_SCHEDULE alone \(it sets nvidia\.com\/gpu=present:NO_SCHEDULE, nvidia\.com\/gpu=present:NO_EXECUTE\): /);
});

// Before, a configured gpuTaintKey matched inside a longer key: with key `gpu`, a script
// registering only nvidia.com/gpu=present:NoSchedule passed, though the node carries no `gpu` taint.
test("gpu-scheduling: a k3s script's taint counts only under the whole configured key", async () => {
  const vm = (name: string, taint: string) => ({
    type: "gcp:compute/instanceTemplate:InstanceTemplate",
    name,
    props: { machineType: "a2-ultragpu-4g", scheduling: { onHostMaintenance: "TERMINATE" }, metadataStartupScript: `#!/bin/bash\ncurl -sfL https://get.k3s.io | sh -s - agent --node-taint ${taint}\n` },
    provider: null,
  });
  const config = { gpuTaintKey: "gpu", gpuTaintValue: "present" };
  assert.deepEqual((await runResource(gpuScheduling, [vm("own", "gpu=present:NoSchedule"), vm("quoted", '"gpu=present:NoSchedule"')], config)).violations, []);
  const other = await runResource(gpuScheduling, [vm("longer", "nvidia.com/gpu=present:NoSchedule"), vm("dashed", "dedicated-gpu=present:NoSchedule")], config);
  assert.deepEqual(
    other.violations.map((v) => v.message.split(": without")[0]),
    ["longer", "dashed"].map((n) => `InstanceTemplate ${n} has NVIDIA GPUs (machine type a2-ultragpu-4g) and joins k3s, but its startup script does not register the node with the taint gpu=present:NoSchedule`),
  );
});

// Before, only the taint was judged: a group of GPU instances on a standard AMI passed, though only
// EKS's accelerated AMIs carry the NVIDIA driver, so its GPUs are never advertised.
test("gpu-scheduling: an EKS node group of NVIDIA instances runs an AMI type with the NVIDIA driver", async () => {
  const taint = { key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" };
  const group = (name: string, amiType: string | undefined) => ({ type: "aws:eks/nodeGroup:NodeGroup", name, props: { amiType, instanceTypes: ["g6e.12xlarge"], taints: [taint] }, provider: null });
  const ok = await runResource(gpuScheduling, [
    group("al2023", "AL2023_x86_64_NVIDIA"),
    group("bottlerocket", "BOTTLEROCKET_x86_64_NVIDIA"),
    group("al2", "AL2_x86_64_GPU"),
    group("launch-template", "CUSTOM"),
    group("eks-default", undefined),
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(gpuScheduling, [group("standard", "AL2023_x86_64_STANDARD"), group("neuron", "AL2023_x86_64_NEURON")]);
  assert.deepEqual(
    bad.violations.map((v) => v.message.split(": the device plugin")[0]),
    ["standard: AL2023_x86_64_STANDARD", "neuron: AL2023_x86_64_NEURON"].map((s) => {
      const [name, ami] = s.split(": ");
      return `EKS node group ${name} runs NVIDIA GPU instances (g6e.12xlarge) on AMI type ${ami}, which has no NVIDIA driver (only EKS's accelerated AMIs, such as AL2023_x86_64_NVIDIA, carry the kernel module and container toolkit)`;
    }),
  );
  // A CPU group on the standard AMI is what the system group is.
  const cpu = { type: "aws:eks/nodeGroup:NodeGroup", name: "system", props: { amiType: "AL2023_x86_64_STANDARD", instanceTypes: ["m6i.2xlarge"], taints: [] }, provider: null };
  assert.deepEqual((await runResource(gpuScheduling, cpu)).violations, []);
});

// Before, only the startup script was read: a GPU VM that joins k3s through cloud-init user-data
// (GCE's Ubuntu images read it from metadata) without the GPU taint passed.
test("gpu-scheduling: a GCE GPU VM that joins k3s through cloud-init user-data registers the GPU taint there", async () => {
  const userData = (taints: string) =>
    `#cloud-config\nwrite_files:\n- path: /etc/rancher/k3s/config.yaml\n  content: |\n    server: https://10.12.0.10:6443\n${taints}runcmd:\n- curl -sfL https://get.k3s.io | sh -s - agent\n`;
  const vm = (name: string, metadata: Record<string, unknown>) => ({ type: "gcp:compute/instanceTemplate:InstanceTemplate", name, props: { machineType: "a2-ultragpu-4g", scheduling: { onHostMaintenance: "TERMINATE" }, metadata }, provider: null });
  const ok = await runResource(gpuScheduling, [
    vm("tainted", { "user-data": userData("    node-taint:\n    - nvidia.com/gpu=present:NoSchedule\n") }),
    vm("not-k3s", { "user-data": "#cloud-config\nruncmd:\n- echo hello\n" }),
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(gpuScheduling, [
    vm("untainted", { "user-data": userData("") }),
    vm("split", { "startup-script": "#!/bin/bash\napt-get install -y nvidia-driver-580-server\n", "user-data": userData("") }),
  ]);
  assert.deepEqual(bad.violations.map((v) => v.message.split(": without")[0]), [
    "InstanceTemplate untainted has NVIDIA GPUs (machine type a2-ultragpu-4g) and joins k3s, but its user-data does not register the node with the taint nvidia.com/gpu=present:NoSchedule",
    "InstanceTemplate split has NVIDIA GPUs (machine type a2-ultragpu-4g) and joins k3s, but its startup script and user-data do not register the node with the taint nvidia.com/gpu=present:NoSchedule",
  ]);
});

// Before, user-data was read as written: gzip user-data (base64 in metadata, `user-data-encoding:
// base64`, which cloud-init decodes and gunzips) hid the k3s config, so a GPU VM joining k3s
// through it without the GPU taint was not judged at all.
test("gpu-scheduling: a k3s config in base64+gzip user-data is read as cloud-init reads it", async () => {
  const cloudConfig = (taints: string) =>
    `#cloud-config\nwrite_files:\n- path: /etc/rancher/k3s/config.yaml\n  content: |\n    server: https://10.12.0.10:6443\n${taints}runcmd:\n- curl -sfL https://get.k3s.io | sh -s - agent\n`;
  const packed = (text: string) => gzipSync(Buffer.from(text)).toString("base64");
  const vm = (name: string, taints: string) => ({
    type: "gcp:compute/instanceTemplate:InstanceTemplate",
    name,
    props: { machineType: "a2-ultragpu-4g", scheduling: { onHostMaintenance: "TERMINATE" }, metadata: { "user-data": packed(cloudConfig(taints)), "user-data-encoding": "base64" } },
    provider: null,
  });
  assert.deepEqual((await runResource(gpuScheduling, vm("tainted", "    node-taint:\n    - nvidia.com/gpu=present:NoSchedule\n"))).violations, []);
  assert.deepEqual(
    (await runResource(gpuScheduling, vm("untainted", ""))).violations.map((v) => v.message.split(": without")[0]),
    ["InstanceTemplate untainted has NVIDIA GPUs (machine type a2-ultragpu-4g) and joins k3s, but its user-data does not register the node with the taint nvidia.com/gpu=present:NoSchedule"],
  );
});

// Before, only aws:eks/nodeGroup:NodeGroup was judged: a GPU group made with @pulumi/eks's
// ManagedNodeGroup (one opaque component under mocks) without the GPU taint passed review.
test("gpu-scheduling: a GPU group made with @pulumi/eks's ManagedNodeGroup taints its nodes too", async () => {
  const taint = { key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" };
  const mng = (name: string, props: Record<string, unknown>) => ({ type: "eks:index:ManagedNodeGroup", name, props: { cluster: "c", ...props }, provider: null });
  const ok = await runResource(gpuScheduling, [
    mng("gpu", { gpu: true, instanceTypes: ["g6e.12xlarge"], taints: [taint] }),
    mng("system", { instanceTypes: ["m6i.2xlarge"] }),
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(gpuScheduling, [mng("by-flag", { gpu: true, instanceTypes: ["g6e.12xlarge"] }), mng("by-type", { instanceTypes: ["p5.48xlarge"], amiType: "AL2023_x86_64_STANDARD", taints: [taint] })]);
  assert.deepEqual(bad.violations.map((v) => v.message.split(":")[0]), [
    "EKS node group by-flag has NVIDIA GPUs (gpu",
    "EKS node group by-type runs NVIDIA GPU instances (p5.48xlarge) on AMI type AL2023_x86_64_STANDARD, which has no NVIDIA driver (only EKS's accelerated AMIs, such as AL2023_x86_64_NVIDIA, carry the kernel module and container toolkit)",
  ]);
});

// Before, a ManagedNodeGroup without an amiType was left to EKS's choice, though @pulumi/eks 4.3.0
// resolves the AMI type itself from operatingSystem (or for the launch template it writes when given
// kubeletExtraArgs and the like) and takes the NVIDIA one only with gpu: true: a group of g6e
// instances with operatingSystem AL2023 boots AL2023_x86_64_STANDARD, which has no NVIDIA driver.
test("gpu-scheduling: a ManagedNodeGroup's AMI type is the one @pulumi/eks resolves", async () => {
  const taint = { key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" };
  const mng = (name: string, props: Record<string, unknown>) => ({ type: "eks:index:ManagedNodeGroup", name, props: { instanceTypes: ["g6e.12xlarge"], taints: [taint], ...props }, provider: null });
  const ok = await runResource(gpuScheduling, [
    mng("al2023-gpu", { operatingSystem: "AL2023", gpu: true }),
    mng("recommended-gpu", { operatingSystem: "RECOMMENDED", gpu: true }),
    mng("kubelet-gpu", { kubeletExtraArgs: "--max-pods=110", gpu: true }),
    mng("left-to-eks", {}),
    mng("own-ami", { amiId: "ami-0123456789abcdef0", operatingSystem: "AL2023" }),
    mng("given", { amiType: "AL2023_x86_64_NVIDIA", operatingSystem: "AL2023" }),
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(gpuScheduling, [
    mng("al2023", { operatingSystem: "AL2023" }),
    mng("bottlerocket", { operatingSystem: "Bottlerocket", gpu: false }),
    mng("kubelet", { nodeadmExtraOptions: [{ contentType: "text/x-shellscript", content: "echo" }] }),
  ]);
  assert.deepEqual(bad.violations.map((v) => v.message.split(", which has no NVIDIA driver")[0]), [
    "EKS node group al2023 runs NVIDIA GPU instances (g6e.12xlarge) on AMI type AL2023_x86_64_STANDARD (@pulumi/eks resolves it from operatingSystem AL2023 without gpu: true)",
    "EKS node group bottlerocket runs NVIDIA GPU instances (g6e.12xlarge) on AMI type BOTTLEROCKET_x86_64 (@pulumi/eks resolves it from operatingSystem Bottlerocket without gpu: true)",
    "EKS node group kubelet runs NVIDIA GPU instances (g6e.12xlarge) on AMI type AL2023_x86_64_STANDARD (@pulumi/eks resolves it from nodeadmExtraOptions (a launch template with its recommended AL2023 image) without gpu: true)",
  ]);
  assert.match(bad.violations[0].message, /set amiType: "AL2023_x86_64_NVIDIA" \(or gpu: true\)/);
});

// EKS's own choice for a GPU instance type with amiType unset is undocumented for 1.32–1.34:
// CreateNodegroup names no default amiType and asks callers to give a GPU AMI type with a GPU
// instance type; the user guide says only that new groups default to AL2023 from 1.30, not which
// variant. So the group is not judged on its AMI, and the description says why.
test("gpu-scheduling: an amiType left to EKS is not judged, and the description says EKS's choice is undocumented", async () => {
  const group = { type: "aws:eks/nodeGroup:NodeGroup", name: "eks-default", props: { instanceTypes: ["g6e.12xlarge"], taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }] }, provider: null };
  assert.deepEqual((await runResource(gpuScheduling, group)).violations, []);
  assert.match(gpuScheduling.description ?? "", /an amiType left to EKS is not judged: which AMI type EKS picks for a GPU instance type is undocumented \(CreateNodegroup names no default and asks for a GPU AMI type with a GPU instance type\)/);
});
