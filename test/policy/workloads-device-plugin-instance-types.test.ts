/**
 * Policy tests for gpu-device-plugin on the instance type, zone and region a node carries: the EC2
 * types of an EKS group (EKS's default t3.medium where it names none), k3s's own cloud controller
 * labelling the k3s VMs, another cloud controller's, or none (disable-cloud-controller).
 * The rest of gpu-device-plugin: workloads-device-plugin.test.ts.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import type { PolicyResource } from "@pulumi/policy";
import { gpuDevicePlugin } from "../../policy/rules/gpu-device-plugin";
import { runStack, stackResource } from "../support/policy";
import { provider, messages } from "./mesh-support";
import { k3sGpuAgent, k3sServer } from "./workloads-support";
import { cluster, gpuGroup, gpuLabels, nodeGroup, on, ours, release, required, systemGroup, vllm } from "./device-plugin-support";

// Before, a label k3s sets itself decided nothing here, though k3s's own cloud controller sets it
// (k3s v1.33.5+k3s1 pkg/cloudprovider/instances.go InstanceMetadata; k8s.io/cloud-provider
// getNodeModifiersFromCloudProvider), as gpu-scheduling reads it: a plugin pinned to the GPU VMs'
// GCE machine type passed, though it never lands there and no GPU is advertised.
test("gpu-device-plugin: where k3s's cloud controller labels the k3s VMs, the plugin is held to instance type k3s (or the node-label) and the node-label's zone and region", async () => {
  const vm = (r: ReturnType<typeof k3sServer>) => stackResource({ ...r, provider: null });
  const gpu = (...labels: string[]) => vm(k3sGpuAgent(["nvidia.com/gpu.present=true", ...labels]));
  const judge = (...rs: PolicyResource[]) => runStack(gpuDevicePlugin, [provider("a"), vllm, ...rs]);
  const pinned = await judge(vm(k3sServer()), gpu(), release({ ...ours, nodeSelector: { "node.kubernetes.io/instance-type": "a2-highgpu-1g" } }));
  assert.match(messages(pinned)[0] ?? "", /^cluster a: Deployment inference\/vllm requests nvidia\.com\/gpu, but no NVIDIA device plugin runs on GPU node group a-gpu-a100-template \(labels \{"nvidia\.com\/gpu\.present":"true","node\.kubernetes\.io\/instance-type":"k3s","beta\.kubernetes\.io\/instance-type":"k3s"\}\): the nodeSelector or required node affinity of Helm release kube-system\/nvidia-device-plugin .* excludes its nodes/);
  const zoned = await judge(vm(k3sServer()), gpu(), release({ affinity: required({ key: "topology.kubernetes.io/region", operator: "In", values: ["us-central1"] }) }));
  assert.equal(zoned.violations.length, 1);
  // What k3s sets, or the node-label gives instead, is selected.
  for (const values of [{ ...ours, nodeSelector: { "beta.kubernetes.io/instance-type": "k3s" } }, { affinity: required({ key: "topology.kubernetes.io/zone", operator: "DoesNotExist" }) }]) {
    assert.deepEqual((await judge(vm(k3sServer()), gpu(), release(values))).violations, [], JSON.stringify(values));
  }
  const own = release({ ...ours, nodeSelector: { "node.kubernetes.io/instance-type": "a2-ultragpu-4g", "failure-domain.beta.kubernetes.io/zone": "us-central1-a" } });
  assert.deepEqual((await judge(vm(k3sServer()), gpu("node.kubernetes.io/instance-type=a2-ultragpu-4g", "topology.kubernetes.io/zone=us-central1-a"), own)).violations, []);
  // With the controller disabled no cloud labels the VMs: the GPU VM carries no instance type, so the pinned plugin misses it.
  const pinnedType = release({ ...ours, nodeSelector: { "node.kubernetes.io/instance-type": "a2-highgpu-1g" } });
  assert.equal((await judge(vm(k3sServer("disable-cloud-controller: true\n")), gpu(), pinnedType)).violations.length, 1);
  // Not judged where no k3s server of the stack shows how the VMs are labelled.
  assert.deepEqual((await judge(gpu(), pinnedType)).violations, []);
});

// The EKS group's instance types are its nodes' node.kubernetes.io/instance-type (and beta spelling),
// as gpu-scheduling reads them; the plugin must reach the nodes of every type. A selector on them passed, undecided, before.
test("gpu-device-plugin: a plugin pinned to an EC2 type the GPU group does not run misses its nodes", async () => {
  const pinned = (key: string, types: string[]) => release({ ...ours, nodeSelector: null, affinity: required({ key, operator: "In", values: types }) });
  for (const key of ["node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type"]) {
    const other = await runStack(gpuDevicePlugin, cluster(pinned(key, ["p4d.24xlarge"])));
    assert.equal(other.violations.length, 1, key);
    assert.match(messages(other)[0], /no NVIDIA device plugin runs on GPU node group a-gpu \(labels .*"node\.kubernetes\.io\/instance-type":"g5\.12xlarge".*\): the nodeSelector or required node affinity of Helm release kube-system\/nvidia-device-plugin/);
    assert.deepEqual((await runStack(gpuDevicePlugin, cluster(pinned(key, ["g5.12xlarge"])))).violations, [], key);
  }
  // A group of several types: the plugin must select each of them.
  const mixed = nodeGroup("a-gpu", { ...gpuGroup.props, instanceTypes: ["g5.12xlarge", "g6e.12xlarge"] });
  const on = (plugin: PolicyResource) => [provider("a"), systemGroup, mixed, vllm, plugin];
  assert.equal((await runStack(gpuDevicePlugin, on(pinned("node.kubernetes.io/instance-type", ["g5.12xlarge"])))).violations.length, 1);
  assert.deepEqual((await runStack(gpuDevicePlugin, on(pinned("node.kubernetes.io/instance-type", ["g5.12xlarge", "g6e.12xlarge"])))).violations, []);
});

// Before, a group naming no instanceTypes left the instance-type label undecided, though EKS gives
// it t3.medium where neither instanceTypes nor a launch template names a type (CreateNodegroup
// API, instanceTypes) and @pulumi/eks 4.3.0's own launch template names none (nodes/nodegroup.ts
// createMNGCustomLaunchTemplate): a plugin pinned to another type passed as can't judge.
test("gpu-device-plugin: a GPU group naming no instance type runs EKS's default t3.medium, unless a launch template or a non-x86_64 AMI decides", async () => {
  const pinned = (type: string) => release({ ...ours, nodeSelector: { "node.kubernetes.io/instance-type": type } });
  const { instanceTypes: _, ...props } = gpuGroup.props as Record<string, unknown>;
  const judge = (group: Record<string, unknown>, plugin: PolicyResource, type = "aws:eks/nodeGroup:NodeGroup") =>
    runStack(gpuDevicePlugin, [provider("a"), systemGroup, stackResource({ type, name: "a-gpu", props: group, provider: null }), vllm, plugin]);
  for (const type of ["aws:eks/nodeGroup:NodeGroup", "eks:index:ManagedNodeGroup"]) {
    for (const group of [props, { ...props, amiType: "AL2023_x86_64_NVIDIA" }, { ...props, instanceTypes: [] }]) {
      const other = await judge(group, pinned("g5.12xlarge"), type);
      assert.equal(other.violations.length, 1, `${type} ${JSON.stringify(group)}`);
      assert.match(messages(other)[0], /no NVIDIA device plugin runs on GPU node group a-gpu \(labels .*"node\.kubernetes\.io\/instance-type":"t3\.medium"/);
      assert.deepEqual((await judge(group, pinned("t3.medium"), type)).violations, [], type);
    }
    // @pulumi/eks writes its own launch template for kubeletExtraArgs, without an instance type.
    if (type === "eks:index:ManagedNodeGroup") assert.equal((await judge({ ...props, gpu: true, kubeletExtraArgs: "--v=2" }, pinned("g5.12xlarge"), type)).violations.length, 1);
  }
  // A launch template's type, an Arm AMI (t3.medium is x86_64) or a custom AMI: not known here.
  for (const group of [{ ...props, launchTemplate: { id: "lt-1", version: "1" } }, { ...props, amiType: "AL2023_ARM_64_STANDARD" }]) {
    assert.deepEqual((await judge(group, pinned("g5.12xlarge"))).violations, [], JSON.stringify(group));
  }
  assert.deepEqual((await judge({ ...props, amiId: "ami-1" }, pinned("g5.12xlarge"), "eks:index:ManagedNodeGroup")).violations, []);
});

// A group's own labels reach the kubelet as --node-labels, which the kubelet registers and puts back
// at each start (pkg/kubelet/kubelet_node_status.go initialNode, updateDefaultLabels), while the
// cloud controller sets the EC2 type at initialization (k8s.io/cloud-provider node controller
// getNodeModifiersFromCloudProvider): an instance type labelled other than the one run flips between
// the two. Before, either reading was taken as settled: the label given, or the type run.
test("gpu-device-plugin: an EKS group labelling its nodes another instance type than it runs leaves the label undecided", async () => {
  const pinned = (type: string) => release({ ...ours, nodeSelector: { "node.kubernetes.io/instance-type": type } });
  const group = (labels: Record<string, string>, props: Record<string, unknown> = {}) => nodeGroup("a-gpu", { ...gpuGroup.props, labels: { ...gpuLabels, ...labels }, ...props });
  const judge = (g: PolicyResource, plugin: PolicyResource) => runStack(gpuDevicePlugin, [provider("a"), systemGroup, g, vllm, plugin]);
  for (const key of ["node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type"]) {
    // Either value may be the node's: can't judge a plugin pinned to one of them (before: passed unsaid).
    for (const type of ["p4d.24xlarge", "g5.12xlarge"]) {
      const out = await judge(group({ [key]: "p4d.24xlarge" }), pinned(type));
      assert.deepEqual(out.violations, [], `${key} ${type}`);
      assert.match(out.unknown.join(" "), /whether the NVIDIA device plugin runs on GPU node group a-gpu of cluster a /, `${key} ${type}`);
    }
    // A launch template's type: the label given is not the node's either.
    assert.deepEqual((await judge(group({ [key]: "p4d.24xlarge" }, { instanceTypes: undefined, launchTemplate: { id: "lt-1", version: "1" } }), pinned("g5.12xlarge"))).violations, [], key);
    // The type it runs, labelled: settled.
    assert.equal((await judge(group({ [key]: "g5.12xlarge" }), pinned("p4d.24xlarge"))).violations.length, 1, key);
  }
});

// With disable-cloud-controller k3s v1.33.5+k3s1 hands its kubelet no cloud-provider
// (pkg/daemons/agent/agent_linux.go kubeletArgsAndConfig), which then registers the node-label'd
// instance type as given and nothing overwrites it; a kubelet-arg cloud-provider=external instead
// leaves the node to another cloud controller, which sets the type, zone and region it reads
// (k8s.io/cloud-provider getNodeModifiersFromCloudProvider). Before, the node-label was taken there too.
test("gpu-device-plugin: k3s with its cloud controller disabled keeps a node-label'd instance type, unless the kubelet waits for another cloud controller", async () => {
  const vm = (r: ReturnType<typeof k3sServer>) => stackResource({ ...r, provider: null });
  const gpu = (kubeletArgs: string[]) => {
    const r = k3sGpuAgent(["nvidia.com/gpu.present=true", "node.kubernetes.io/instance-type=a2-ultragpu-4g"]);
    return vm({ ...r, props: { ...r.props, metadataStartupScript: r.props.metadataStartupScript.replace("node-taint:", `kubelet-arg: ${JSON.stringify(kubeletArgs)}\nnode-taint:`) } });
  };
  const judge = (node: PolicyResource) => runStack(gpuDevicePlugin, [provider("a"), vllm, vm(k3sServer("disable-cloud-controller: true\n")), node, release({ ...ours, nodeSelector: { "node.kubernetes.io/instance-type": "a2-highgpu-1g" } })]);
  // No cloud controller: the node keeps the type its node-label gives, which the plugin does not select.
  assert.equal((await judge(gpu([]))).violations.length, 1);
  // Another cloud controller sets the type: not known here, so can't judge (before: passed unsaid).
  for (const arg of ["cloud-provider=external", "--cloud-provider=external"]) {
    const out = await judge(gpu([arg]));
    assert.deepEqual(out.violations, [], arg);
    assert.match(out.unknown.join(" "), /whether the NVIDIA device plugin runs on GPU node group a-gpu-a100-template of cluster a /, arg);
  }
});
