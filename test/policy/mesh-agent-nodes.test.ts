/**
 * Policy tests for mesh-mtls-strict's reading of where Istio 1.30.3's node agents run: a ztunnel
 * (nodeSelector, required node affinity) or istio-cni (required node affinity) release whose node
 * selection leaves out an EKS node group of its cluster leaves that group's pods outside ambient.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import type { PolicyResource } from "@pulumi/policy";
import { meshMtlsStrict } from "../../policy/rules/mesh-mtls-strict";
import { k8sProvider, runStack, stackResource, UNKNOWN } from "../support/policy";
import { REL, provider, pa, messages } from "./mesh-support";
import { k3sGpuAgent, k3sServer } from "./workloads-support";

const gpuLabels = { "inference-mesh.io/node-group": "gpu-a10g", "nvidia.com/gpu.present": "true" };
const nodeGroup = (name: string, labels: Record<string, string>) => stackResource({ type: "aws:eks/nodeGroup:NodeGroup", name, props: { labels, instanceTypes: ["g5.12xlarge"] }, provider: null });
const agent = (chart: string, values: Record<string, unknown>) => stackResource({ type: REL, name: `a-${chart}`, props: { chart, namespace: "istio-system", values }, provider: k8sProvider("a") });
const required = (...matchExpressions: object[]) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions }] } } });
const mesh = (...extra: PolicyResource[]) => [provider("a"), pa("a", "istio-system", "default", { mtls: { mode: "STRICT" } }), nodeGroup("a-system", { "inference-mesh.io/node-group": "system" }), nodeGroup("a-gpu", gpuLabels), ...extra];

test("mesh-mtls-strict: ztunnel and istio-cni left to run on every node group pass", async () => {
  assert.deepEqual((await runStack(meshMtlsStrict, mesh(agent("ztunnel", {}), agent("cni", { profile: "ambient" })))).violations, []);
  // Labels every node of the platform satisfies, or that no group carries (kept off nodes that are not the platform's), leave none out.
  const linux = agent("ztunnel", { nodeSelector: { "kubernetes.io/os": "linux" }, affinity: required({ key: "example.com/no-mesh", operator: "DoesNotExist" }) });
  assert.deepEqual((await runStack(meshMtlsStrict, mesh(linux))).violations, []);
  // istio-cni's DaemonSet takes no nodeSelector from its values (only kubernetes.io/os), so one there keeps it off nothing.
  assert.deepEqual((await runStack(meshMtlsStrict, mesh(agent("cni", { nodeSelector: { "inference-mesh.io/node-group": "system" } })))).violations, []);
  // A group tainted for something else holds only pods placed there on purpose.
  const batch = stackResource({ type: "aws:eks/nodeGroup:NodeGroup", name: "a-batch", props: { labels: { pool: "batch" }, taints: [{ key: "batch", value: "true", effect: "NO_SCHEDULE" }] }, provider: null });
  assert.deepEqual((await runStack(meshMtlsStrict, mesh(batch, agent("ztunnel", { affinity: required({ key: "pool", operator: "NotIn", values: ["batch"] }) })))).violations, []);
  // A label EKS or Kubernetes sets, whose value the stack does not show, decides nothing (can't judge: see below).
  assert.deepEqual((await runStack(meshMtlsStrict, mesh(agent("ztunnel", { nodeSelector: { "eks.amazonaws.com/capacityType": "ON_DEMAND" } })))).violations, []);
});

test("mesh-mtls-strict: a ztunnel or istio-cni whose node selection excludes a node group leaves its pods outside ambient", async () => {
  const pinned = await runStack(meshMtlsStrict, mesh(agent("ztunnel", { nodeSelector: { "inference-mesh.io/node-group": "system" } })));
  assert.deepEqual(messages(pinned), [
    'ztunnel release a-ztunnel on cluster a does not run on node group a-gpu: its nodeSelector or required node affinity excludes the group\'s nodes (labels {"inference-mesh.io/node-group":"gpu-a10g","nvidia.com/gpu.present":"true","node.kubernetes.io/instance-type":"g5.12xlarge","beta.kubernetes.io/instance-type":"g5.12xlarge"}): no ztunnel runs there, so its pods are outside the ambient data plane (no mTLS, no authorization)',
  ]);
  assert.equal(pinned.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:helm.sh/v3:Release::a-ztunnel");
  const cni = await runStack(meshMtlsStrict, mesh(agent("cni", { profile: "ambient", cni: { affinity: required({ key: "nvidia.com/gpu.present", operator: "NotIn", values: ["true"] }) } })));
  assert.match(messages(cni).join("\n"), /^istio-cni release a-cni on cluster a does not run on node group a-gpu: .*istio-cni never enrolls its pods in ambient/);
  // A term without requirements matches no node: every group is left out.
  const empty = await runStack(meshMtlsStrict, mesh(agent("ztunnel", { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{}] } } } })));
  assert.equal(empty.violations.length, 2);
});

test("mesh-mtls-strict: only the cluster's own node groups count, and unknown labels are can't judge", async () => {
  // A node group of another cluster (another parent component than the provider's) is not this cluster's.
  const parentA = stackResource({ type: "inference-mesh:cloud:EksCluster", name: "a", props: {}, provider: null });
  const parentB = stackResource({ type: "inference-mesh:cloud:EksCluster", name: "b", props: {}, provider: null });
  const [prov, strict, , gpu] = mesh();
  const resources = [{ ...prov, parent: parentA }, strict, { ...gpu, name: "b-gpu", parent: parentB }, agent("ztunnel", { nodeSelector: { "inference-mesh.io/node-group": "system" } })];
  assert.deepEqual((await runStack(meshMtlsStrict, resources)).violations, []);
  assert.equal((await runStack(meshMtlsStrict, [{ ...prov, parent: parentA }, strict, { ...gpu, parent: parentA }, resources[3]])).violations.length, 1);
  const unknown = await runStack(meshMtlsStrict, [provider("a"), strict, nodeGroup("a-gpu", { "inference-mesh.io/node-group": UNKNOWN }), resources[3]]);
  assert.deepEqual(unknown.violations, []);
  assert.match(unknown.unknown[0] ?? "", /the labels and taints of node group a-gpu, which decide whether ztunnel release a-ztunnel runs there/);
});

test("mesh-mtls-strict: a fork's GPU taint key (gpuTaintKey) marks GPU groups, which ztunnel must reach; other taints stay dedicated", async () => {
  // Before, any key other than nvidia.com/gpu read as a group dedicated to other work: a fork
  // tainting its GPUs example.com/gpu had its GPU group skipped, ztunnel pinned off it passing.
  const forkGpu = stackResource({ type: "aws:eks/nodeGroup:NodeGroup", name: "a-gpu", props: { labels: gpuLabels, instanceTypes: ["g5.12xlarge"], taints: [{ key: "example.com/gpu", value: "present", effect: "NO_SCHEDULE" }] }, provider: null });
  const [prov, strict, system] = mesh();
  const pinned = agent("ztunnel", { nodeSelector: { "inference-mesh.io/node-group": "system" } });
  const stack = [prov, strict, system, forkGpu, pinned];
  const judged = await runStack(meshMtlsStrict, stack, { gpuTaintKey: "example.com/gpu" });
  assert.match(messages(judged).join("\n"), /^ztunnel release a-ztunnel on cluster a does not run on node group a-gpu: /);
  // With the default key the same group is one tainted for other work: pods there are placed on purpose.
  assert.deepEqual((await runStack(meshMtlsStrict, stack)).violations, []);
  // And with the fork's key, nvidia.com/gpu is another key: a group tainted with it is dedicated.
  const nvidia = { ...forkGpu, props: { ...forkGpu.props, taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }] } };
  assert.deepEqual((await runStack(meshMtlsStrict, [prov, strict, system, nvidia, pinned], { gpuTaintKey: "example.com/gpu" })).violations, []);
});

// Before, only aws:eks/nodeGroup:NodeGroup counted as a node group here: a GPU group made with
// @pulumi/eks's ManagedNodeGroup, or a k3s GPU VM (its labels in its boot script), that ztunnel's
// nodeSelector left out passed, though the GPU checks already read both.
test("mesh-mtls-strict: ztunnel and istio-cni reach @pulumi/eks ManagedNodeGroups and k3s VMs too", async () => {
  const pinned = agent("ztunnel", { nodeSelector: { "inference-mesh.io/node-group": "system" } });
  const mng = stackResource({ type: "eks:index:ManagedNodeGroup", name: "a-gpu-mng", props: { labels: gpuLabels, gpu: true, instanceTypes: ["g5.12xlarge"], taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }] }, provider: null });
  const [prov, strict, system] = mesh();
  assert.deepEqual(messages(await runStack(meshMtlsStrict, [prov, strict, system, mng, pinned])).map((m) => m.split(":")[0]), ["ztunnel release a-ztunnel on cluster a does not run on node group a-gpu-mng"]);
  const script = `#!/bin/bash\ncat > /etc/rancher/k3s/config.yaml <<'EOF'\nnode-label:\n  - inference-mesh.io/node-group=gpu-a100\n  - nvidia.com/gpu.present=true\nnode-taint:\n  - nvidia.com/gpu=present:NoSchedule\nEOF\ncurl -sfL https://get.k3s.io | sh -s - agent\n`;
  const vm = stackResource({ type: "gcp:compute/instanceTemplate:InstanceTemplate", name: "a-gpu-a100-template", props: { machineType: "a2-ultragpu-4g", metadataStartupScript: script }, provider: null });
  const k3s = await runStack(meshMtlsStrict, [prov, strict, vm, pinned]);
  assert.deepEqual(messages(k3s), [
    'ztunnel release a-ztunnel on cluster a does not run on node group a-gpu-a100-template: its nodeSelector or required node affinity excludes the group\'s nodes (labels {"inference-mesh.io/node-group":"gpu-a100","nvidia.com/gpu.present":"true"}): no ztunnel runs there, so its pods are outside the ambient data plane (no mTLS, no authorization)',
  ]);
  // Labels k3s sets itself decide nothing (can't judge); a script that installs no k3s (or cannot be read) is not judged.
  assert.deepEqual((await runStack(meshMtlsStrict, [prov, strict, vm, agent("ztunnel", { nodeSelector: { "k3s.io/hostname": "gpu-0" } })])).violations, []);
  const other = { ...vm, props: { ...vm.props, metadataStartupScript: "#!/bin/bash\necho joined elsewhere\n" } };
  assert.deepEqual((await runStack(meshMtlsStrict, [prov, strict, other, pinned])).violations, []);
});

// Before, a group with a taint besides the GPU one read as dedicated to other work, whatever ran
// there: a GPU group also tainted dedicated=inference, whose model servers tolerate both taints,
// passed with a ztunnel whose tolerations (nvidia.com/gpu only) keep it off those nodes.
test("mesh-mtls-strict: ztunnel and istio-cni tolerate the taints of every group the mesh workloads tolerate", async () => {
  const taints = [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }, { key: "dedicated", value: "inference", effect: "NO_SCHEDULE" }];
  const group = stackResource({ type: "aws:eks/nodeGroup:NodeGroup", name: "a-gpu", props: { labels: gpuLabels, instanceTypes: ["g5.12xlarge"], taints }, provider: null });
  const vllm = stackResource({
    type: "kubernetes:apps/v1:Deployment",
    name: "a-vllm",
    props: { metadata: { name: "vllm", namespace: "inference" }, spec: { template: { metadata: { labels: { app: "vllm" } }, spec: { tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }, { key: "dedicated", operator: "Equal", value: "inference", effect: "NoSchedule" }], containers: [{ name: "vllm", image: "vllm/vllm-openai:v0.21.0" }] } } } },
    provider: k8sProvider("a"),
  });
  const [prov, strict, system] = mesh();
  const gpuOnly = { tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }] };
  const found = await runStack(meshMtlsStrict, [prov, strict, system, group, vllm, agent("ztunnel", gpuOnly), agent("cni", { profile: "ambient", cni: gpuOnly })]);
  const coverage = messages(found).filter((m) => m.includes("does not run on node group"));
  assert.deepEqual(coverage.map((m) => m.split(", which the workloads")[0]), [
    "ztunnel release a-ztunnel on cluster a does not run on node group a-gpu: its values.tolerations do not tolerate the group's taint dedicated=inference:NoSchedule",
    "istio-cni release a-cni on cluster a does not run on node group a-gpu: its values.cni.tolerations do not tolerate the group's taint dedicated=inference:NoSchedule",
  ]);
  // The charts' default tolerations (left unset) tolerate it; so does a list that names it.
  const ok = await runStack(meshMtlsStrict, [prov, strict, system, group, vllm, agent("ztunnel", {}), agent("cni", { profile: "ambient", tolerations: [{ operator: "Exists" }] })]);
  assert.deepEqual(messages(ok).filter((m) => m.includes("does not run on node group")), []);
  // With no mesh workload tolerating the other taint, the group is one dedicated to other work.
  const dedicated = await runStack(meshMtlsStrict, [prov, strict, system, group, agent("ztunnel", gpuOnly)]);
  assert.deepEqual(messages(dedicated), []);
});

// Before, a label k3s sets itself decided nothing here, though k3s's own cloud controller sets it
// (k3s v1.33.5+k3s1 pkg/cloudprovider/instances.go InstanceMetadata; k8s.io/cloud-provider
// getNodeModifiersFromCloudProvider), as gpu-scheduling reads it: a ztunnel pinned to the GPU VMs'
// GCE machine type, or an istio-cni to a zone no node-label gives, passed, running on no k3s node.
test("mesh-mtls-strict: where k3s's cloud controller labels the k3s VMs, ztunnel and istio-cni are held to instance type k3s (or the node-label) and the node-label's zone and region", async () => {
  const [prov, strict] = mesh();
  const vm = (r: ReturnType<typeof k3sServer>) => stackResource({ ...r, provider: null });
  const gpu = (...labels: string[]) => vm(k3sGpuAgent(["nvidia.com/gpu.present=true", ...labels]));
  const coverage = async (...rs: PolicyResource[]) => messages(await runStack(meshMtlsStrict, [prov, strict, ...rs])).filter((m) => m.includes("does not run on node group"));
  const ztunnel = (nodeSelector: Record<string, string>) => agent("ztunnel", { nodeSelector });
  const cni = (...matchExpressions: object[]) => agent("cni", { profile: "ambient", global: { platform: "k3s" }, affinity: required(...matchExpressions) });
  const machineType = await coverage(vm(k3sServer()), gpu(), ztunnel({ "node.kubernetes.io/instance-type": "a2-ultragpu-4g" }));
  assert.deepEqual(machineType.map((m) => m.split(":")[0]), ["ztunnel release a-ztunnel on cluster a does not run on node group a-server", "ztunnel release a-ztunnel on cluster a does not run on node group a-gpu-a100-template"]);
  assert.match(machineType[1], /labels \{"nvidia\.com\/gpu\.present":"true","node\.kubernetes\.io\/instance-type":"k3s","beta\.kubernetes\.io\/instance-type":"k3s"\}/);
  assert.equal((await coverage(vm(k3sServer()), gpu(), cni({ key: "topology.kubernetes.io/zone", operator: "In", values: ["us-central1-a"] }))).length, 2);
  // What k3s sets (or the node-label gives) is selected; a zone no node carries is absent.
  for (const agents of [[ztunnel({ "node.kubernetes.io/instance-type": "k3s" })], [cni({ key: "failure-domain.beta.kubernetes.io/region", operator: "DoesNotExist" })]]) {
    assert.deepEqual(await coverage(vm(k3sServer()), gpu(), ...agents), [], agents[0].name);
  }
  const own = await coverage(vm(k3sServer()), gpu("node.kubernetes.io/instance-type=a2-ultragpu-4g", "topology.kubernetes.io/zone=us-central1-a"), ztunnel({ "beta.kubernetes.io/instance-type": "a2-ultragpu-4g", "topology.kubernetes.io/zone": "us-central1-a" }));
  assert.deepEqual(own.map((m) => m.split(":")[0]), ["ztunnel release a-ztunnel on cluster a does not run on node group a-server"]);
  // With the controller disabled no cloud labels the VMs: they carry no instance type but a node-label's.
  const cloudless = await coverage(vm(k3sServer("disable-cloud-controller: true\n")), gpu(), ztunnel({ "node.kubernetes.io/instance-type": "a2-ultragpu-4g" }));
  assert.deepEqual(cloudless.map((m) => m.split(":")[0]), ["ztunnel release a-ztunnel on cluster a does not run on node group a-server", "ztunnel release a-ztunnel on cluster a does not run on node group a-gpu-a100-template"]);
  // Not judged where no k3s server of the stack shows how the VMs are labelled.
  assert.deepEqual(await coverage(gpu(), ztunnel({ "node.kubernetes.io/instance-type": "a2-ultragpu-4g" })), []);
});

// An EKS group's instance types are its nodes' node.kubernetes.io/instance-type (and beta spelling), as
// gpu-scheduling reads them; ztunnel must reach the nodes of every type. Such a selector passed, undecided, before.
test("mesh-mtls-strict: a ztunnel pinned to an EC2 type a node group does not run misses its nodes", async () => {
  for (const key of ["node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type"]) {
    const other = await runStack(meshMtlsStrict, mesh(agent("ztunnel", { nodeSelector: { [key]: "m6i.xlarge" } })));
    assert.equal(other.violations.length, 2, key);
    assert.match(messages(other)[1], /^ztunnel release a-ztunnel on cluster a does not run on node group a-gpu: its nodeSelector or required node affinity excludes the group's nodes \(labels .*"node\.kubernetes\.io\/instance-type":"g5\.12xlarge"/);
    assert.deepEqual((await runStack(meshMtlsStrict, mesh(agent("ztunnel", { nodeSelector: { [key]: "g5.12xlarge" } })))).violations, [], key);
  }
  // A group of several types: each must be selected.
  const mixed = stackResource({ type: "aws:eks/nodeGroup:NodeGroup", name: "a-gpu", props: { labels: gpuLabels, instanceTypes: ["g5.12xlarge", "g6e.12xlarge"] }, provider: null });
  const ztunnel = (types: string[]) => agent("ztunnel", { affinity: required({ key: "node.kubernetes.io/instance-type", operator: "In", values: types }) });
  const withMixed = (z: PolicyResource) => [provider("a"), pa("a", "istio-system", "default", { mtls: { mode: "STRICT" } }), nodeGroup("a-system", { "inference-mesh.io/node-group": "system" }), mixed, z];
  assert.equal((await runStack(meshMtlsStrict, withMixed(ztunnel(["g5.12xlarge"])))).violations.length, 1);
  assert.deepEqual((await runStack(meshMtlsStrict, withMixed(ztunnel(["g5.12xlarge", "g6e.12xlarge"])))).violations, []);
});

// Before, a group naming no instanceTypes left its nodes' instance type undecided, though EKS runs
// t3.medium there (CreateNodegroup API, instanceTypes) unless a launch template names a type.
test("mesh-mtls-strict: a node group naming no instance type runs t3.medium, which ztunnel must select", async () => {
  const typeless = (props: Record<string, unknown>) => stackResource({ type: "aws:eks/nodeGroup:NodeGroup", name: "a-gpu", props: { labels: gpuLabels, ...props }, provider: null });
  const judge = (group: PolicyResource, nodeSelector: Record<string, string>) =>
    runStack(meshMtlsStrict, [provider("a"), pa("a", "istio-system", "default", { mtls: { mode: "STRICT" } }), nodeGroup("a-system", { "inference-mesh.io/node-group": "system" }), group, agent("ztunnel", { nodeSelector })]);
  const missed = await judge(typeless({}), { "beta.kubernetes.io/instance-type": "g5.12xlarge" });
  assert.deepEqual(messages(missed).map((m) => m.split(":")[0]), ["ztunnel release a-ztunnel on cluster a does not run on node group a-gpu"]);
  assert.match(messages(missed)[0], /"node\.kubernetes\.io\/instance-type":"t3\.medium","beta\.kubernetes\.io\/instance-type":"t3\.medium"/);
  // A launch template decides the type: not judged.
  assert.deepEqual(messages(await judge(typeless({ launchTemplate: { name: "gpu", version: "$Latest" } }), { "beta.kubernetes.io/instance-type": "g5.12xlarge" })).filter((m) => m.includes("a-gpu")), []);
});

// A group labelling its nodes another instance type than it runs: the kubelet's --node-labels value
// and the cloud controller's EC2 type take turns on the Node, so neither decides. Before, the type run was taken.
test("mesh-mtls-strict: a node group labelling another instance type than it runs leaves ztunnel's selection on it undecided", async () => {
  const labelled = stackResource({ type: "aws:eks/nodeGroup:NodeGroup", name: "a-gpu", props: { labels: { ...gpuLabels, "beta.kubernetes.io/instance-type": "p4d.24xlarge" }, instanceTypes: ["g5.12xlarge"] }, provider: null });
  const judge = (nodeSelector: Record<string, string>) =>
    runStack(meshMtlsStrict, [provider("a"), pa("a", "istio-system", "default", { mtls: { mode: "STRICT" } }), nodeGroup("a-system", { "inference-mesh.io/node-group": "system" }), labelled, agent("ztunnel", { nodeSelector })]);
  for (const type of ["p4d.24xlarge", "g5.12xlarge"]) assert.deepEqual(messages(await judge({ "node.kubernetes.io/instance-type": type })).filter((m) => m.includes("node group a-gpu")), [], type);
});

// k3s with disable-cloud-controller hands its kubelet no cloud-provider, so a node-label'd instance
// type stays (pkg/daemons/agent kubeletArgsAndConfig); a kubelet-arg cloud-provider=external leaves
// the type, zone and region to another cloud controller. Before, the node-label was taken there too.
test("mesh-mtls-strict: a k3s VM whose kubelet waits for another cloud controller has its instance type, zone and region undecided", async () => {
  const [prov, strict] = mesh();
  const vm = (r: ReturnType<typeof k3sServer>) => stackResource({ ...r, provider: null });
  const gpu = (kubeletArgs: string[]) => {
    const r = k3sGpuAgent(["nvidia.com/gpu.present=true", "node.kubernetes.io/instance-type=a2-ultragpu-4g", "topology.kubernetes.io/zone=us-central1-a"]);
    return vm({ ...r, props: { ...r.props, metadataStartupScript: r.props.metadataStartupScript.replace("node-taint:", `kubelet-arg: ${JSON.stringify(kubeletArgs)}\nnode-taint:`) } });
  };
  const coverage = async (node: PolicyResource, nodeSelector: Record<string, string>) =>
    messages(await runStack(meshMtlsStrict, [prov, strict, vm(k3sServer("disable-cloud-controller: true\n")), node, agent("ztunnel", { nodeSelector })])).filter((m) => m.includes("node group a-gpu-a100-template"));
  for (const nodeSelector of [{ "node.kubernetes.io/instance-type": "a2-highgpu-1g" }, { "topology.kubernetes.io/zone": "us-central1-b" }] as Record<string, string>[]) {
    assert.equal((await coverage(gpu([]), nodeSelector)).length, 1, JSON.stringify(nodeSelector));
    assert.deepEqual(await coverage(gpu(["cloud-provider=external"]), nodeSelector), [], JSON.stringify(nodeSelector));
  }
});

// Before, a selection that only a label the group's settings leave undecided could decide (one EKS,
// Kubernetes or k3s sets itself, a type another cloud controller or a launch template sets, a type
// the group labels but does not run) passed unsaid here, while gpu-device-plugin says can't judge.
test("mesh-mtls-strict: a ztunnel or istio-cni selection that only an undecided label decides is can't judge", async () => {
  const strict = pa("a", "istio-system", "default", { mtls: { mode: "STRICT" } });
  const undecided = (what: string, group: string) => new RegExp(`whether ${what} runs on node group ${group} of cluster a \\(its nodeSelector or required node affinity names a label the group's settings leave undecided\\)`);
  const judge = async (group: PolicyResource, release: PolicyResource) => runStack(meshMtlsStrict, [provider("a"), strict, group, release]);
  const eks = (props: Record<string, unknown>) => stackResource({ type: "aws:eks/nodeGroup:NodeGroup", name: "a-gpu", props: { labels: gpuLabels, instanceTypes: ["g5.12xlarge"], ...props }, provider: null });
  const ztunnel = (nodeSelector: Record<string, string>) => agent("ztunnel", { nodeSelector });
  const cases: [string, PolicyResource, PolicyResource][] = [
    ["an EKS label", eks({}), ztunnel({ "eks.amazonaws.com/capacityType": "ON_DEMAND" })],
    ["a type labelled but not run", eks({ labels: { ...gpuLabels, "node.kubernetes.io/instance-type": "p4d.24xlarge" } }), ztunnel({ "node.kubernetes.io/instance-type": "g5.12xlarge" })],
    ["a launch template's type", eks({ instanceTypes: undefined, launchTemplate: { id: "lt-1", version: "1" } }), agent("cni", { profile: "ambient", affinity: required({ key: "beta.kubernetes.io/instance-type", operator: "In", values: ["g5.12xlarge"] }) })],
  ];
  for (const [name, group, release] of cases) {
    const out = await judge(group, release);
    assert.deepEqual(out.violations, [], name);
    assert.match(out.unknown.join("\n"), undecided(`${release.name === "a-cni" ? "istio-cni" : "ztunnel"} release ${release.name}`, "a-gpu"), name);
  }
  // k3s: a label k3s sets itself, and a type another cloud controller sets (kubelet-arg cloud-provider=external).
  const r = k3sGpuAgent(["nvidia.com/gpu.present=true", "node.kubernetes.io/instance-type=a2-ultragpu-4g"]);
  const vm = (kubeletArg: string) => stackResource({ ...r, props: { ...r.props, metadataStartupScript: r.props.metadataStartupScript.replace("node-taint:", `${kubeletArg}node-taint:`) }, provider: null });
  const server = stackResource({ ...k3sServer("disable-cloud-controller: true\n"), provider: null });
  for (const [kubeletArg, nodeSelector] of [["", { "k3s.io/hostname": "gpu-0" }], ['kubelet-arg: ["cloud-provider=external"]\n', { "node.kubernetes.io/instance-type": "a2-ultragpu-4g" }]] as [string, Record<string, string>][]) {
    const out = await runStack(meshMtlsStrict, [provider("a"), strict, server, vm(kubeletArg), ztunnel(nodeSelector)]);
    // (The server VM, no cloud labelling it, carries no instance type: a ztunnel pinned to one misses it.)
    assert.deepEqual(messages(out).filter((m) => !m.includes("node group a-server:")), [], kubeletArg);
    assert.match(out.unknown.join("\n"), undecided("ztunnel release a-ztunnel", "a-gpu-a100-template"), kubeletArg);
  }
  // A matchFields term names nodes by metadata.name, no label: said so (before, worded as a label left undecided).
  const named = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "NotIn", values: ["gpu-0"] }] }] } } };
  const byName = await judge(eks({}), agent("ztunnel", { affinity: named }));
  assert.deepEqual(byName.violations, []);
  assert.match(byName.unknown.join("\n"), /whether ztunnel release a-ztunnel runs on node group a-gpu of cluster a \(its nodeSelector or required node affinity names nodes by metadata\.name \(matchFields\), and the group's node names are not known here\)/);
  // Settled: the type the group runs, or the node-label's where no cloud controller overwrites it.
  assert.deepEqual(Object.values(await judge(eks({}), ztunnel({ "node.kubernetes.io/instance-type": "g5.12xlarge" }))).flat(), []);
  const settled = await runStack(meshMtlsStrict, [provider("a"), strict, server, vm(""), ztunnel({ "node.kubernetes.io/instance-type": "a2-ultragpu-4g" })]);
  // (The server VM, with no type node-label and no cloud controller, carries no instance type: ztunnel misses it.)
  assert.deepEqual([messages(settled).map((m) => m.split(":")[0]), settled.unknown], [["ztunnel release a-ztunnel on cluster a does not run on node group a-server"], []]);
});
