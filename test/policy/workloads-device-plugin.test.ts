/**
 * Policy tests for gpu-device-plugin: a cluster whose GPU nodes the stack creates and whose
 * workloads request nvidia.com/gpu runs the NVIDIA device plugin on them (nvidia-device-plugin
 * chart v0.20.0, values read as Helm lays them over the chart's defaults, or its image by hand).
 * The GPU Operator and the plugin's config files: workloads-device-plugin-operator.test.ts; instance
 * types, zones and regions: workloads-device-plugin-instance-types.test.ts.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import type { PolicyResource } from "@pulumi/policy";
import { gpuDevicePlugin } from "../../policy/rules/gpu-device-plugin";
import { gpuScheduling } from "../../policy/rules/gpu-scheduling";
import { policies } from "../../policy/policies";
import { k8sProvider, reviewExport, runResource, runStack, stackResource, UNKNOWN } from "../support/policy";
import { renderShipped } from "../support/render";
import { provider, messages } from "./mesh-support";
import { gpuToleration } from "./workloads-support";
import { cluster, daemonSet, gpuGroup, gpuLabels, kubeconfig, nodeGroup, on, ours, release, required, systemGroup, vllm } from "./device-plugin-support";

test("gpu-device-plugin: the chart or its image by hand, selecting the GPU node groups, passes", async () => {
  for (const plugin of [
    release(ours),
    // Every value left to the chart: its default affinity includes nvidia.com/gpu.present=true, its tolerations the taint.
    release({}),
    // A map given merges into the chart's (Helm's coalesce): devicePlugin.enabled stays on.
    release({ ...ours, devicePlugin: { enableHostNetwork: true } }),
    // Affinity instead of nodeSelector, and a nodeSelector by a label the GPU groups carry.
    release({ affinity: required({ key: "nvidia.com/gpu.present", operator: "Exists" }) }),
    release({ nodeSelector: { "inference-mesh.io/node-group": "gpu-a10g" } }),
    daemonSet({ tolerations: [gpuToleration] }),
    daemonSet({ tolerations: [{ operator: "Exists" }], affinity: required({ key: "inference-mesh.io/node-group", operator: "In", values: ["gpu-a10g", "gpu-h100"] }) }),
    on("kubernetes:apps/v1:DaemonSet", "a-dp", { metadata: { name: "dp", namespace: "kube-system" }, spec: { template: { spec: { tolerations: [gpuToleration], containers: [{ name: "p", image: "nvcr.io/nvidia/k8s-device-plugin@sha256:0123", command: ["/usr/bin/nvidia-device-plugin"] }] } } } }),
  ]) {
    assert.deepEqual((await runStack(gpuDevicePlugin, cluster(plugin))).violations, [], JSON.stringify(plugin.props));
  }
  // No GPU workload, or GPU nodes the stack does not create (an existing cluster): nothing to judge.
  assert.deepEqual((await runStack(gpuDevicePlugin, [provider("a"), gpuGroup])).violations, []);
  assert.deepEqual((await runStack(gpuDevicePlugin, [provider("a"), vllm])).violations, []);
  // A node selection on labels the stack does not show (EKS's own, NFD's) is no verdict.
  assert.deepEqual((await runStack(gpuDevicePlugin, cluster(release({ nodeSelector: { "eks.amazonaws.com/nodegroup": "gpu" } })))).violations, []);
  assert.deepEqual((await runStack(gpuDevicePlugin, cluster(release({ nodeSelector: null, affinity: required({ key: "feature.node.kubernetes.io/pci-10de.present", operator: "In", values: ["true"] }) })))).violations, []);
});

test("gpu-device-plugin: a GPU cluster without the plugin, or with one kept off its GPU nodes, fails", async () => {
  const missing = await runStack(gpuDevicePlugin, cluster());
  assert.deepEqual(messages(missing), [
    "cluster a: Deployment inference/vllm requests nvidia.com/gpu, but it installs no NVIDIA device plugin (a Helm release of the nvidia-device-plugin chart, or a DaemonSet running nvcr.io/nvidia/k8s-device-plugin): no node advertises nvidia.com/gpu, so those pods stay Pending; install the nvidia-device-plugin chart (components/gpu/device-plugin.ts) with tolerations of the nvidia.com/gpu taint",
  ]);
  assert.equal(missing.violations[0].urn, "urn:pulumi:test::inference-mesh::pulumi:providers:kubernetes::a-k8s");
  // The same image running GPU feature discovery is not the plugin.
  const gfd = on("kubernetes:apps/v1:DaemonSet", "a-gfd", { metadata: { name: "gfd", namespace: "kube-system" }, spec: { template: { spec: { tolerations: [gpuToleration], containers: [{ name: "gfd", image: "nvcr.io/nvidia/k8s-device-plugin:v0.20.0", command: ["gpu-feature-discovery"] }] } } } });
  assert.equal((await runStack(gpuDevicePlugin, cluster(gfd))).violations.length, 1);

  const pinned = await runStack(gpuDevicePlugin, cluster(release({ ...ours, nodeSelector: { "inference-mesh.io/node-group": "system" } })));
  assert.equal(pinned.violations.length, 1);
  assert.match(messages(pinned)[0], /^cluster a: Deployment inference\/vllm requests nvidia\.com\/gpu, but no NVIDIA device plugin runs on GPU node group a-gpu \(labels .*\): the nodeSelector or required node affinity of Helm release kube-system\/nvidia-device-plugin .* excludes its nodes/);
  assert.equal(pinned.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:helm.sh/v3:Release::a-nvidia-device-plugin");
  // The chart's default affinity stays under a nodeSelector; a list given replaces its terms; null drops it.
  for (const values of [
    { affinity: required({ key: "inference-mesh.io/node-group", operator: "In", values: ["system"] }) },
    { nodeSelector: { "example.com/gpu": "true" } },
    { nodeSelector: null, affinity: required({ key: "nvidia.com/gpu.present", operator: "DoesNotExist" }) },
    { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "nvidia.com/gpu.product", operator: "In", values: ["NVIDIA-H100-80GB-HBM3"] }] }] } } } },
  ]) {
    assert.equal((await runStack(gpuDevicePlugin, cluster(release(values)))).violations.length, 1, JSON.stringify(values));
  }
  assert.equal((await runStack(gpuDevicePlugin, cluster(daemonSet({ tolerations: [gpuToleration], nodeSelector: { "inference-mesh.io/node-group": "system" } })))).violations.length, 1);

  // Kept off every GPU node: turned off, the taint not tolerated (a DaemonSet has no chart default), a refused toleration.
  // null deletes the key Helm would merge, so `{{ if .Values.devicePlugin.enabled }}` renders nothing.
  for (const plugin of [release({ devicePlugin: { enabled: false } }), release({ devicePlugin: { enabled: null } }), release({ tolerations: [] }), release({ tolerations: null }), daemonSet({}), release({ tolerations: [{ key: "nvidia.com/gpu", operator: "exists" }] })]) {
    const off = await runStack(gpuDevicePlugin, cluster(plugin));
    assert.match(messages(off).join("\n"), /^cluster a: Deployment inference\/vllm requests nvidia\.com\/gpu, but its device plugin never runs on the GPU nodes \(.*\): no node advertises/, JSON.stringify(plugin.props));
  }
  // A GPU group's other taint keeps off a plugin not tolerating it, as the scheduler matches it (PreferNoSchedule keeps nothing off).
  const teamGroup = (effect: string) => nodeGroup("a-gpu", { labels: gpuLabels, instanceTypes: ["g5.12xlarge"], taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }, { key: "team", value: "ml", effect }] });
  const team = await runStack(gpuDevicePlugin, [provider("a"), teamGroup("NO_EXECUTE"), vllm, release(ours)]);
  assert.match(messages(team).join("\n"), /^cluster a: .* no NVIDIA device plugin runs on GPU node group a-gpu \(labels .*\): Helm release kube-system\/nvidia-device-plugin \(chart nvidia-device-plugin\) does not tolerate its taint team=ml:NoExecute, so its nodes advertise no/);
  assert.deepEqual((await runStack(gpuDevicePlugin, [provider("a"), teamGroup("PREFER_NO_SCHEDULE"), vllm, release(ours)])).violations, []);
  assert.deepEqual((await runStack(gpuDevicePlugin, [provider("a"), teamGroup("NO_EXECUTE"), vllm, release({ ...ours, tolerations: [...ours.tolerations, { key: "team", operator: "Equal", value: "ml" }] })])).violations, []);
  // What the chart's validation.yml fails the install on: namespace default without allowDefaultNamespace (a release
  // without a namespace goes to its provider's default namespace: pulumi-kubernetes v4.34.2 helm_release.go setDefaults,
  // the Provider's namespace, else its kubeconfig context's, else default), a namespace value, both config.name and config.map.
  const inDefault = (values: Record<string, unknown>, namespace?: string, providerProps: Record<string, unknown> = { kubeconfig: kubeconfig() }) =>
    stackResource({ type: "kubernetes:helm.sh/v3:Release", name: "a-nvidia-device-plugin", props: { name: "nvidia-device-plugin", chart: "nvidia-device-plugin", ...(namespace ? { namespace } : {}), values }, provider: { ...k8sProvider("a"), props: providerProps } });
  for (const plugin of [inDefault(ours), inDefault(ours, "default"), release({ ...ours, namespace: "gpu" }), release({ ...ours, config: { name: "dp-config", map: { default: "version: v1" } } })]) {
    const refused = await runStack(gpuDevicePlugin, cluster(plugin));
    assert.match(messages(refused).join("\n"), /^cluster a: .* its device plugin never runs on the GPU nodes \(Helm release .*: .*refuses.*, so nothing is installed\)/, JSON.stringify(plugin.props));
  }
  // The provider's namespace, else its kubeconfig context's, is not default (before: a kubeconfig context's namespace was taken for default).
  const inGpuSystem = [inDefault(ours, undefined, { namespace: "gpu-system" }), inDefault(ours, undefined, { kubeconfig: kubeconfig("gpu-system") })];
  for (const resources of [cluster(inDefault({ ...ours, allowDefaultNamespace: true })), ...inGpuSystem.map((p) => cluster(p)), cluster(release({ ...ours, config: { name: "dp-config" } }))]) {
    assert.deepEqual((await runStack(gpuDevicePlugin, resources)).violations, []);
  }
  // A kubeconfig given as a path is not in the stack: where the release goes can't be judged.
  const path = await runStack(gpuDevicePlugin, cluster(inDefault(ours, undefined, { kubeconfig: "~/.kube/config" })));
  assert.deepEqual(path.violations, []);
  assert.match(path.unknown.join("\n"), /the values or pod spec of Helm release \?\/nvidia-device-plugin \(chart nvidia-device-plugin\) on cluster a/);
  // Any plugin that runs there covers the group.
  assert.deepEqual((await runStack(gpuDevicePlugin, cluster(release({ tolerations: [] }), daemonSet({ tolerations: [gpuToleration] })))).violations, []);
});

test("gpu-device-plugin: k3s GPU VMs and the cluster's own nodes only; unknown values are can't judge", async () => {
  // A k3s GPU VM without a script this run can read: the plugin's presence is judged, its selection is not.
  const gceGpu = stackResource({ type: "gcp:compute/instanceTemplate:InstanceTemplate", name: "a-gpu-template", props: { machineType: "a2-highgpu-1g" }, provider: null });
  const k3s = [provider("a"), gceGpu, vllm];
  assert.equal((await runStack(gpuDevicePlugin, k3s)).violations.length, 1);
  assert.deepEqual((await runStack(gpuDevicePlugin, [...k3s, release({ ...ours, nodeSelector: { "example.com/gpu": "true" } })])).violations, []);
  // Another cluster's GPU group (another parent component) makes this one no GPU cluster of the stack.
  const parentA = stackResource({ type: "inference-mesh:cloud:EksCluster", name: "a", props: {}, provider: null });
  const parentB = stackResource({ type: "inference-mesh:cloud:EksCluster", name: "b", props: {}, provider: null });
  assert.deepEqual((await runStack(gpuDevicePlugin, [{ ...provider("a"), parent: parentA }, { ...gpuGroup, parent: parentB }, vllm])).violations, []);
  assert.equal((await runStack(gpuDevicePlugin, [{ ...provider("a"), parent: parentA }, { ...gpuGroup, parent: parentA }, vllm])).violations.length, 1);
  // The gpuResource knob decides what a GPU workload is.
  assert.deepEqual((await runStack(gpuDevicePlugin, cluster(), { gpuResource: "example.com/gpu" })).violations, []);

  const unknownValues = await runStack(gpuDevicePlugin, cluster(release(UNKNOWN as never)));
  assert.deepEqual(unknownValues.violations, []);
  assert.match(unknownValues.unknown[0] ?? "", /the values or pod spec of Helm release kube-system\/nvidia-device-plugin \(chart nvidia-device-plugin\) on cluster a/);
  const unknownLabels = await runStack(gpuDevicePlugin, [provider("a"), nodeGroup("a-gpu", { labels: UNKNOWN, instanceTypes: ["g5.12xlarge"] }), vllm, release({ nodeSelector: { "x.io/y": "z" } })]);
  assert.deepEqual(unknownLabels.violations, []);
  assert.match(unknownLabels.unknown[0] ?? "", /the labels and taints of node group a-gpu/);
  // A node name (matchFields, metadata.name) decides nothing, and the can't-judge entry says so (before, it named a label).
  const named = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["gpu-0"] }] }] } } };
  const byName = await runStack(gpuDevicePlugin, cluster(release({ ...ours, nodeSelector: null, affinity: named })));
  assert.deepEqual(byName.violations, []);
  assert.match(byName.unknown.join("\n"), /whether the NVIDIA device plugin runs on GPU node group a-gpu of cluster a \(its nodeSelector or required node affinity names nodes by metadata\.name \(matchFields\), and the group's node names are not known here\)/);
  // A known plugin that runs makes an unknown one irrelevant: nothing pending.
  const settled = await runStack(gpuDevicePlugin, cluster(release(ours), on("kubernetes:apps/v1:DaemonSet", "a-other", UNKNOWN as never)));
  assert.deepEqual([settled.violations, settled.unknown], [[], []]);
});

test("gpu-scheduling: NVIDIA's device plugin DaemonSet applied by hand may tolerate and select the GPU nodes, as the chart's release may", async () => {
  const spec = (containers: object[], kind = "DaemonSet") => ({
    type: `kubernetes:apps/v1:${kind}`,
    props: { metadata: { name: "nvidia-device-plugin-daemonset", namespace: "kube-system" }, spec: { template: { spec: { tolerations: [gpuToleration], nodeSelector: { "nvidia.com/gpu.present": "true" }, containers } } } },
  });
  const plugin = { name: "nvidia-device-plugin-ctr", image: "nvcr.io/nvidia/k8s-device-plugin:v0.20.0" };
  const sidecar = { name: "config-manager", image: "nvcr.io/nvidia/k8s-device-plugin:v0.20.0", command: ["config-manager"] };
  assert.deepEqual((await runResource(gpuScheduling, [spec([plugin]), spec([plugin, sidecar])])).violations, []);
  // Anything else in its pods, the image doing something else, or the image as a Deployment is judged like any workload.
  for (const other of [spec([plugin, { name: "miner", image: "miner:v1" }]), spec([sidecar]), spec([plugin], "Deployment")]) {
    assert.match(messages(await runResource(gpuScheduling, other)).join("\n"), /requests no GPU but tolerates the nvidia\.com\/gpu taint/, JSON.stringify(other));
  }
});

test("prod with each cluster's device plugin release swapped for NVIDIA's static DaemonSet (affinity instead of nodeSelector): the whole pack passes", async () => {
  const doc = structuredClone(renderShipped("prod").exported) as any;
  const releases = doc.deployment.resources.filter((r: any) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs?.chart === "nvidia-device-plugin");
  assert.equal(releases.length, 3);
  for (const r of releases) {
    const values = r.inputs.values;
    const affinity = required({ key: "nvidia.com/gpu.present", operator: "In", values: ["true"] });
    const podSpec = { tolerations: values.tolerations, affinity, priorityClassName: "system-node-critical", ...(values.runtimeClassName ? { runtimeClassName: values.runtimeClassName } : {}), containers: [{ name: "nvidia-device-plugin-ctr", image: "nvcr.io/nvidia/k8s-device-plugin:v0.20.0" }] };
    const ds = { apiVersion: "apps/v1", kind: "DaemonSet", metadata: { name: "nvidia-device-plugin-daemonset", namespace: "kube-system" }, spec: { selector: { matchLabels: { name: "nvidia-device-plugin-ds" } }, template: { metadata: { labels: { name: "nvidia-device-plugin-ds" } }, spec: podSpec } } };
    Object.assign(r, { type: "kubernetes:apps/v1:DaemonSet", urn: r.urn.replace("kubernetes:helm.sh/v3:Release", "kubernetes:apps/v1:DaemonSet"), inputs: ds, outputs: structuredClone(ds) });
  }
  assert.deepEqual(await reviewExport(doc, policies), []);
  // The same DaemonSets pinned to the system node group leave every EKS GPU group without a plugin.
  for (const r of releases) for (const o of [r.inputs, r.outputs]) o.spec.template.spec.nodeSelector = { "inference-mesh.io/node-group": "system" };
  const pinned = await reviewExport(doc, policies);
  assert.deepEqual([...new Set(pinned.map((f) => f.policy))], ["gpu-device-plugin"]);
  assert.equal(pinned.length, 4, "aws-use1's two GPU groups and aws-euw1's two; the k3s cluster's labels are not in the stack");
});

// Before, a cluster whose GPU node groups run Bottlerocket's NVIDIA variant failed for want of a
// release, though that OS runs NVIDIA's device plugin itself (its nvidia-k8s-device-plugin unit).
test("gpu-device-plugin: Bottlerocket NVIDIA node groups advertise their GPUs without a release; other GPU groups still need one", async () => {
  const bottlerocket = (name: string) => nodeGroup(name, { labels: gpuLabels, amiType: "BOTTLEROCKET_x86_64_NVIDIA", instanceTypes: ["g5.12xlarge"], taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }] });
  assert.deepEqual((await runStack(gpuDevicePlugin, [provider("a"), systemGroup, bottlerocket("a-gpu-br"), vllm])).violations, []);
  // A release whose selection leaves the Bottlerocket group out is no finding either.
  assert.deepEqual((await runStack(gpuDevicePlugin, [provider("a"), systemGroup, bottlerocket("a-gpu-br"), vllm, release({ ...ours, nodeSelector: { "inference-mesh.io/node-group": "system" } })])).violations, []);
  // @pulumi/eks's ManagedNodeGroup counts as a GPU group of the cluster, Bottlerocket by its operatingSystem too.
  const mng = (name: string, props: Record<string, unknown>) => stackResource({ type: "eks:index:ManagedNodeGroup", name, props: { labels: gpuLabels, gpu: true, instanceTypes: ["g5.12xlarge"], ...props }, provider: null });
  assert.match(messages(await runStack(gpuDevicePlugin, [provider("a"), mng("a-gpu-mng", {}), vllm]))[0] ?? "", /installs no NVIDIA device plugin/);
  assert.deepEqual((await runStack(gpuDevicePlugin, [provider("a"), mng("a-gpu-mng", { operatingSystem: "Bottlerocket" }), vllm])).violations, []);
  // Without gpu: true @pulumi/eks boots the plain Bottlerocket image, which runs no device plugin (before, it was taken for the NVIDIA variant).
  assert.match(messages(await runStack(gpuDevicePlugin, [provider("a"), mng("a-gpu-mng", { operatingSystem: "Bottlerocket", gpu: undefined }), vllm]))[0] ?? "", /installs no NVIDIA device plugin/);
  const mixed = await runStack(gpuDevicePlugin, [provider("a"), systemGroup, bottlerocket("a-gpu-br"), gpuGroup, vllm]);
  assert.match(messages(mixed)[0] ?? "", /^cluster a: Deployment inference\/vllm requests nvidia\.com\/gpu, but it installs no NVIDIA device plugin/);
});

// Before, a k3s GPU VM's labels and taints were never read (they are in its boot script): a
// plugin whose nodeSelector left out every k3s GPU node, or which did not tolerate its taint, passed.
test("gpu-device-plugin: on k3s GPU VMs the plugin selects the labels and tolerates the taints their boot script registers", async () => {
  const script = (labels: string[], taints: string[]) =>
    `#!/bin/bash\ncat > /etc/rancher/k3s/config.yaml <<'EOF'\nnode-label:\n${labels.map((l) => `  - ${l}\n`).join("")}node-taint:\n${taints.map((t) => `  - ${t}\n`).join("")}EOF\ncurl -sfL https://get.k3s.io | sh -s - agent\n`;
  const vm = (metadataStartupScript: unknown) => stackResource({ type: "gcp:compute/instanceTemplate:InstanceTemplate", name: "a-gpu-a100-template", props: { machineType: "a2-ultragpu-4g", metadataStartupScript }, provider: null });
  const labelled = vm(script(["inference-mesh.io/node-group=gpu-a100", "nvidia.com/gpu.present=true"], ["nvidia.com/gpu=present:NoSchedule"]));
  const k3s = (...extra: PolicyResource[]) => [provider("a"), labelled, vllm, ...extra];
  for (const values of [ours, {}, { nodeSelector: { "inference-mesh.io/node-group": "gpu-a100" } }, { nodeSelector: { "k3s.io/hostname": "gpu-0" } }]) {
    assert.deepEqual((await runStack(gpuDevicePlugin, k3s(release(values)))).violations, [], JSON.stringify(values));
  }
  const pinned = await runStack(gpuDevicePlugin, k3s(release({ ...ours, nodeSelector: { "inference-mesh.io/node-group": "cpu" } })));
  assert.match(messages(pinned)[0] ?? "", /^cluster a: Deployment inference\/vllm requests nvidia\.com\/gpu, but no NVIDIA device plugin runs on GPU node group a-gpu-a100-template \(labels .*"inference-mesh\.io\/node-group":"gpu-a100".*\): the nodeSelector or required node affinity of Helm release kube-system\/nvidia-device-plugin .* excludes its nodes/);
  // Labels handed to the kubelet itself (kubelet-arg node-labels) are the node's too.
  const byKubelet = vm(script(["nvidia.com/gpu.present=true"], ["nvidia.com/gpu=present:NoSchedule"]).replace("node-label:", "kubelet-arg:\n  - node-labels=team=ml,zone=a\nnode-label:"));
  assert.deepEqual((await runStack(gpuDevicePlugin, [provider("a"), byKubelet, vllm, release({ ...ours, nodeSelector: { team: "ml" } })])).violations, []);
  const teamTaint = vm(script(["nvidia.com/gpu.present=true"], ["nvidia.com/gpu=present:NoSchedule", "team=ml:NoExecute"]));
  const untolerated = await runStack(gpuDevicePlugin, [provider("a"), teamTaint, vllm, release(ours)]);
  assert.match(messages(untolerated)[0] ?? "", /Helm release kube-system\/nvidia-device-plugin .* does not tolerate its taint team=ml:NoExecute/);
  // A script this run cannot read (ciphertext offline, unknown in a first preview) is not judged.
  assert.deepEqual((await runStack(gpuDevicePlugin, [provider("a"), vm(UNKNOWN), vllm, release({ ...ours, nodeSelector: { "inference-mesh.io/node-group": "cpu" } })])).violations, []);
});

// Before, a k3s GPU VM was judged for its labels and taints only: one booting a stock Ubuntu image
// whose boot script installs no NVIDIA driver passed, though Compute Engine's public images carry
// none, so no device plugin finds its GPUs and every GPU pod stays Pending.
test("gpu-device-plugin: a k3s GPU VM on a stock image gets the NVIDIA driver from its boot script or a GPU Operator", async () => {
  const script = (extra: string) => `#!/bin/bash\n${extra}cat > /etc/rancher/k3s/config.yaml <<'EOF'\nnode-label:\n  - nvidia.com/gpu.present=true\nnode-taint:\n  - nvidia.com/gpu=present:NoSchedule\nEOF\ncurl -sfL https://get.k3s.io | sh -s - agent\n`;
  const vm = (sourceImage: string, extra = "") => stackResource({ type: "gcp:compute/instanceTemplate:InstanceTemplate", name: "a-gpu-a100-template", props: { machineType: "a2-ultragpu-4g", disks: [{ boot: true, sourceImage }], metadataStartupScript: script(extra) }, provider: null });
  const operator = (values: Record<string, unknown>) => on("kubernetes:helm.sh/v3:Release", "a-gpu-operator", { name: "gpu-operator", chart: "gpu-operator", namespace: "gpu-operator", values });
  const ok = [
    [vm("ubuntu-os-cloud/ubuntu-2204-lts", "ubuntu-drivers install --gpgpu 'nvidia:580-server'\napt-get install -y nvidia-container-toolkit\n"), release(ours)],
    [vm("projects/deeplearning-platform-release/global/images/family/common-cu124-ubuntu-2204-nvidia-570"), release(ours)],
    [vm("my-golden-image"), release(ours)],
    // The operator's toolkit pointed at k3s's containerd (workloads-gpu-operator-k3s.test.ts: at the defaults it never reaches it).
    [vm("ubuntu-os-cloud/ubuntu-2204-lts"), operator({ toolkit: { env: [{ name: "CONTAINERD_CONFIG", value: "/var/lib/rancher/k3s/agent/etc/containerd/config.toml" }, { name: "CONTAINERD_SOCKET", value: "/run/k3s/containerd/containerd.sock" }] } })],
  ];
  for (const extra of ok) assert.deepEqual((await runStack(gpuDevicePlugin, [provider("a"), vllm, ...extra])).violations, [], extra[0].props.disks[0].sourceImage);
  const expected = /^cluster a: Deployment inference\/vllm requests nvidia\.com\/gpu, but InstanceTemplate a-gpu-a100-template boots (\S+), a stock image without the NVIDIA driver, and neither its boot script nor a GPU Operator release \(driver\.enabled\) installs one/;
  const bare = await runStack(gpuDevicePlugin, [provider("a"), vllm, vm("https://www.googleapis.com/compute/v1/projects/ubuntu-os-cloud/global/images/family/ubuntu-2204-lts", "# ubuntu-drivers install\n"), release(ours)]);
  assert.match(messages(bare)[0] ?? "", expected);
  const driverOff = await runStack(gpuDevicePlugin, [provider("a"), vllm, vm("debian-cloud/debian-12"), operator({ driver: { enabled: false } })]);
  assert.match(messages(driverOff)[0] ?? "", expected);
});

test("gpu-device-plugin: a marker file named after the driver is no driver install", async () => {
  const script = "#!/bin/bash\ntouch /var/lib/inference-mesh/nvidia-driver-installed\ncurl -sfL https://get.k3s.io | sh -s - agent --node-taint nvidia.com/gpu=present:NoSchedule --node-label nvidia.com/gpu.present=true\n";
  const vm = (script: string) => stackResource({ type: "gcp:compute/instanceTemplate:InstanceTemplate", name: "a-gpu-a100-template", props: { machineType: "a2-ultragpu-4g", disks: [{ boot: true, sourceImage: "ubuntu-os-cloud/ubuntu-2204-lts" }], metadataStartupScript: script }, provider: null });
  assert.match(messages(await runStack(gpuDevicePlugin, [provider("a"), vllm, vm(script), release(ours)]))[0] ?? "", /a stock image without the NVIDIA driver/);
  for (const install of ["apt-get install -y nvidia-driver-580-server", "apt-get install -y nvidia-driver", "apt-get install -y 'nvidia-headless-570'"]) {
    assert.deepEqual((await runStack(gpuDevicePlugin, [provider("a"), vllm, vm(`${script}${install}\napt-get install -y nvidia-container-toolkit\n`), release(ours)])).violations, [], install);
  }
});
