/**
 * Policy tests for gpu-scheduling's placement: a GPU workload's pods fit some GPU node group of
 * their cluster (its labels, its other taints, its nodes' GPUs: the EC2 type's count, a GCE VM's
 * guestAccelerators), else they stay Pending forever.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { InstanceType } from "@pulumi/aws/types/enums/ec2";
import { gpuScheduling } from "../../policy/rules/gpu-scheduling";
import { EC2_CLASSES } from "../../policy/lib/gpu-nodes";
import { k8sProvider, runStack, stackResource, UNKNOWN } from "../support/policy";
import { provider, messages } from "./mesh-support";
import { deployment, gpuToleration } from "./workloads-support";

const taint = { key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" };
const labels = (group: string, product: string) => ({ "inference-mesh.io/node-group": group, "nvidia.com/gpu.present": "true", "nvidia.com/gpu.product": product });
const nodeGroup = (name: string, props: Record<string, unknown>) => stackResource({ type: "aws:eks/nodeGroup:NodeGroup", name, props: { amiType: "AL2023_x86_64_NVIDIA", taints: [taint], ...props }, provider: null });
const l40s = nodeGroup("a-gpu-l40s", { labels: labels("gpu-l40s", "NVIDIA-L40S"), instanceTypes: ["g6e.12xlarge"] });
const system = nodeGroup("a-system", { amiType: "AL2023_x86_64_STANDARD", labels: { "inference-mesh.io/node-group": "system" }, instanceTypes: ["m6i.2xlarge"], taints: [] });
const product = (...values: string[]) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "nvidia.com/gpu.product", operator: "In", values }] }] } } });
/** A vLLM Deployment on cluster a limiting `gpus` per pod, with its pod spec's selection. */
const vllm = (gpus: number | string, podSpec: Record<string, unknown> = {}) =>
  stackResource({ ...deployment("vllm", { tolerations: [gpuToleration], containers: [{ name: "vllm", image: "vllm/vllm-openai:v0.21.0", resources: { limits: { "nvidia.com/gpu": gpus } } }], ...podSpec }), name: "a-vllm", provider: k8sProvider("a") });
const judge = (...resources: Parameters<typeof runStack>[1]) => runStack(gpuScheduling, [provider("a"), system, ...resources]);
/** A k3s agent's boot script registering `nodeLabels` and the GPU taint, and a GCE GPU VM template of cluster a running it. */
const script = (nodeLabels: string[]) => `#!/bin/bash\ncat > /etc/rancher/k3s/config.yaml <<'EOF'\nnode-label: ${JSON.stringify(nodeLabels)}\nnode-taint: ["nvidia.com/gpu=present:NoSchedule"]\nEOF\ncurl -sfL https://get.k3s.io | sh -s - agent\n`;
const vm = (props: Record<string, unknown>) =>
  stackResource({ type: "gcp:compute/instanceTemplate:InstanceTemplate", name: "a-gpu-a100-template", props: { machineType: "a2-ultragpu-4g", guestAccelerators: [{ type: "nvidia-a100-80gb", count: 4 }], metadataStartupScript: script(["nvidia.com/gpu.product=NVIDIA-A100-SXM4-80GB"]), ...props }, provider: null });

test("gpu-scheduling: a GPU workload whose pods some GPU node group of the cluster takes passes", async () => {
  for (const pod of [vllm(4, { affinity: product("NVIDIA-L40S") }), vllm(1, { nodeSelector: { "nvidia.com/gpu.present": "true" } }), vllm(2, { nodeSelector: { "node.kubernetes.io/instance-type": "g6e.12xlarge" } }), vllm(1)]) {
    assert.deepEqual(messages(await judge(l40s, pod)), [], JSON.stringify(pod.props));
  }
  // One group of two that fits is enough; a cluster whose GPU nodes the stack does not create is not judged.
  const h100 = nodeGroup("a-gpu-h100", { labels: labels("gpu-h100", "NVIDIA-H100-80GB-HBM3"), instanceTypes: ["p5.48xlarge"] });
  assert.deepEqual(messages(await judge(l40s, h100, vllm(8, { affinity: product("NVIDIA-L40S", "NVIDIA-H100-80GB-HBM3") }))), []);
  assert.deepEqual(messages(await runStack(gpuScheduling, [provider("a"), vllm(8, { affinity: product("NVIDIA-B200") })])), []);
});

test("gpu-scheduling: a GPU workload whose selection names labels no GPU node group carries, or that limits more GPUs than their nodes hold, fails", async () => {
  // Before: each passed, and its pods stayed Pending forever.
  const unlabelled = await judge(l40s, vllm(1, { affinity: product("NVIDIA-H100-80GB-HBM3") }));
  assert.deepEqual(messages(unlabelled), [
    'Deployment inference/vllm on cluster a limits 1 nvidia.com/gpu per pod, but no GPU node group of the cluster can take its pods (EKS node group a-gpu-l40s: its nodeSelector or required node affinity excludes its labels {"inference-mesh.io/node-group":"gpu-l40s","nvidia.com/gpu.present":"true","nvidia.com/gpu.product":"NVIDIA-L40S","node.kubernetes.io/instance-type":"g6e.12xlarge","beta.kubernetes.io/instance-type":"g6e.12xlarge"}), so they stay Pending; select labels a GPU node group carries (nvidia.com/gpu.product, inference-mesh.io/node-group) and at most the GPUs its nodes hold, or add a node group that fits',
  ]);
  assert.equal(unlabelled.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:apps/v1:Deployment::a-vllm");
  // The EKS group's instance type is its nodes' node.kubernetes.io/instance-type; a GKE label no k3s or EKS node has.
  assert.equal((await judge(l40s, vllm(1, { nodeSelector: { "node.kubernetes.io/instance-type": "p4d.24xlarge" } }))).violations.length, 1);
  assert.equal((await judge(l40s, vllm(1, { nodeSelector: { "cloud.google.com/gke-accelerator": "nvidia-l4" } }))).violations.length, 1);
  const big = await judge(l40s, vllm("8"));
  assert.match(messages(big)[0] ?? "", /limits 8 nvidia\.com\/gpu per pod, but no GPU node group of the cluster can take its pods \(EKS node group a-gpu-l40s: its g6e\.12xlarge nodes hold 4 GPUs each\)/);
  // Another taint of the group that the pods do not tolerate keeps them off as surely.
  const dedicated = nodeGroup("a-gpu-l40s", { labels: labels("gpu-l40s", "NVIDIA-L40S"), instanceTypes: ["g6e.12xlarge"], taints: [taint, { key: "dedicated", value: "batch", effect: "NO_EXECUTE" }] });
  assert.match(messages(await judge(dedicated, vllm(1)))[0] ?? "", /its pods do not tolerate its taint dedicated=batch:NoExecute/);
});

test("gpu-scheduling: a GCE GPU VM holds its guestAccelerators' GPUs and its k3s node-labels; what is not known is can't judge", async () => {
  assert.deepEqual(messages(await judge(vm({}), vllm(4, { affinity: product("NVIDIA-A100-SXM4-80GB") }))), []);
  assert.match(messages(await judge(vm({}), vllm(8)))[0] ?? "", /InstanceTemplate a-gpu-a100-template: its a2-ultragpu-4g VMs hold 4 GPUs each/);
  assert.match(messages(await judge(vm({}), vllm(1, { affinity: product("NVIDIA-L4") })))[0] ?? "", /excludes its labels \{"nvidia\.com\/gpu\.product":"NVIDIA-A100-SXM4-80GB"\}/);
  // A GPU count unknown to us (an EC2 type we do not list, a GCE VM without guestAccelerators) is not guessed.
  const unlisted = await judge(nodeGroup("a-gpu-b300", { labels: labels("gpu-b300", "NVIDIA-B300"), instanceTypes: ["p6-b300.48xlarge"] }), vllm(8));
  assert.deepEqual(messages(unlisted), []);
  assert.match(unlisted.unknown[0] ?? "", /a-gpu-b300: how many GPUs its p6-b300\.48xlarge nodes hold/);
  const bare = await judge(vm({ guestAccelerators: [] }), vllm(8));
  assert.deepEqual([messages(bare), bare.unknown.length], [[], 1]);
  // So is a label k3s sets itself where no k3s server of the stack shows its cloud controller (see below), and a group's labels not known yet; a known fit stands beside them.
  const k3sLabel = await judge(vm({}), vllm(1, { nodeSelector: { "node.kubernetes.io/instance-type": "k3s" } }));
  assert.deepEqual([messages(k3sLabel), k3sLabel.unknown.length], [[], 1]);
  const later = await judge(nodeGroup("a-gpu-l40s", { labels: UNKNOWN, instanceTypes: ["g6e.12xlarge"] }), vllm(1, { affinity: product("NVIDIA-L40S") }));
  assert.deepEqual([messages(later), later.unknown.length], [[], 1]);
  assert.match(later.unknown[0], /EKS node group a-gpu-l40s: its labels, taints or node types are not known yet/);
  assert.deepEqual((await judge(nodeGroup("a-gpu-x", { labels: UNKNOWN, instanceTypes: ["g6e.12xlarge"] }), l40s, vllm(1))).unknown, []);
  // A VM whose boot script this run cannot read (ciphertext offline, unknown in a first preview), or that does not install k3s, is not judged.
  for (const script of [UNKNOWN, "#!/bin/bash\nkubeadm join 10.0.0.2:6443\n"]) {
    const sealed = await judge(vm({ metadataStartupScript: script }), l40s, vllm(8));
    assert.deepEqual([messages(sealed), sealed.unknown], [[], []]);
  }
});

test("gpu-scheduling: where k3s's embedded cloud controller labels the nodes, a k3s VM's instance type is k3s (or its node-label) and it has no zone or region but its node-label's", async () => {
  // k3s v1.33.5+k3s1 pkg/cloudprovider/instances.go InstanceMetadata: instance type "k3s" unless the
  // node registers node.kubernetes.io/instance-type, zone and region only from its labels; the
  // k8s.io/cloud-provider node controller sets both label spellings from them, none where empty.
  const server = (config = "", props: Record<string, unknown> = {}) =>
    stackResource({ type: "gcp:compute/instance:Instance", name: "a-server", props: { machineType: "c4-standard-4", metadataStartupScript: `#!/bin/bash\ncat > /etc/rancher/k3s/config.yaml <<'EOF'\n${config}node-label: ["inference-mesh.io/node-group=server"]\nEOF\ncurl -sfL https://get.k3s.io | INSTALL_K3S_VERSION='v1.33.5+k3s1' sh -s - server\n`, ...props }, provider: null });
  const a100 = "nvidia.com/gpu.product=NVIDIA-A100-SXM4-80GB";
  const select = (nodeSelector: Record<string, string>) => vllm(1, { nodeSelector });
  // Before: each was can't judge (a label k3s sets itself), and the GCE machine type's pods stayed Pending.
  const gce = await judge(server(), vm({}), select({ "node.kubernetes.io/instance-type": "a2-highgpu-1g" }));
  assert.match(messages(gce)[0] ?? "", /InstanceTemplate a-gpu-a100-template: its nodeSelector or required node affinity excludes its labels \{"nvidia\.com\/gpu\.product":"NVIDIA-A100-SXM4-80GB","node\.kubernetes\.io\/instance-type":"k3s","beta\.kubernetes\.io\/instance-type":"k3s"\}/);
  for (const nodeSelector of [{ "topology.kubernetes.io/zone": "us-central1-a" }, { "failure-domain.beta.kubernetes.io/region": "us-central1" }, { "beta.kubernetes.io/instance-type": "a2-ultragpu-4g" }] as Record<string, string>[]) {
    assert.equal((await judge(server(), vm({}), select(nodeSelector))).violations.length, 1, JSON.stringify(nodeSelector));
  }
  const absent = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "topology.kubernetes.io/zone", operator: "DoesNotExist" }] }] } } };
  for (const pod of [select({ "node.kubernetes.io/instance-type": "k3s" }), select({ "beta.kubernetes.io/instance-type": "k3s" }), vllm(1, { affinity: absent })]) {
    const fits = await judge(server(), vm({}), pod);
    assert.deepEqual([messages(fits), fits.unknown], [[], []], JSON.stringify(pod.props));
  }
  // A node-label of the VM's own decides them: the instance type it names replaces k3s, a zone it names is the node's.
  const labelled = vm({ metadataStartupScript: script([a100, "node.kubernetes.io/instance-type=a2-ultragpu-4g", "topology.kubernetes.io/zone=us-central1-a"]) });
  const own = await judge(server(), labelled, select({ "node.kubernetes.io/instance-type": "a2-ultragpu-4g", "failure-domain.beta.kubernetes.io/zone": "us-central1-a" }));
  assert.deepEqual([messages(own), own.unknown], [[], []]);
  assert.equal((await judge(server(), labelled, select({ "node.kubernetes.io/instance-type": "k3s" }))).violations.length, 1);
  // A server that disables the cloud controller: no cloud labels the VMs (another controller initializes
  // only a kubelet registered with cloud-provider=external), so the VM carries no instance type.
  const cloudless = await judge(server("disable-cloud-controller: true\n"), vm({}), select({ "node.kubernetes.io/instance-type": "a2-highgpu-1g" }));
  assert.deepEqual([cloudless.violations.length, cloudless.unknown.length], [1, 0]);
  // Not judged: no k3s server in the stack or one whose script this run cannot read, a beta label
  // beside another stable one (kubelet and controller rewrite each other), a node's hostname (k3s's node name).
  const unjudged = [
    [vm({})],
    [server("", { metadataStartupScript: UNKNOWN }), vm({})],
    [server(), vm({ metadataStartupScript: script([a100, "beta.kubernetes.io/instance-type=a2-ultragpu-4g"]) })],
  ];
  for (const nodes of unjudged) {
    const open = await judge(...nodes, select({ "node.kubernetes.io/instance-type": "a2-highgpu-1g" }));
    assert.deepEqual([messages(open), open.unknown.length], [[], 1], nodes.map((n) => n.name).join(", "));
  }
  const host = await judge(server(), vm({}), select({ "kubernetes.io/hostname": "a-gpu-a100-1" }));
  assert.deepEqual([messages(host), host.unknown.length], [[], 1]);
});

// A type of an EC2 family that carries no NVIDIA GPU (gpu-nodes.ts isNvidiaInstanceType, the
// classification gpuEvidence makes too; infra's isGpuFamily alike) holds none: before, only the
// catalogued GPU types had a count, so a GPU group naming no instanceTypes (EKS's default t3.medium)
// or a CPU type left its pods can't judge. An NVIDIA type not catalogued, or a name that is no EC2
// family.size, stays can't judge.
test("gpu-scheduling: an EKS GPU group of a non-NVIDIA EC2 type (EKS's default t3.medium included) holds no GPU", async () => {
  const group = (props: Record<string, unknown>) => nodeGroup("a-gpu", { labels: labels("gpu", "NVIDIA-L40S"), ...props });
  for (const props of [{}, { instanceTypes: ["m5.2xlarge"] }, { instanceTypes: ["c7g.xlarge"], amiType: "AL2023_ARM_64_NVIDIA" }, { instanceTypes: ["inf2.xlarge"] }, { instanceTypes: ["g4ad.xlarge"] }]) {
    const out = await judge(group(props), vllm(1));
    assert.deepEqual(out.unknown, [], JSON.stringify(props));
    assert.match(messages(out)[0] ?? "", /no GPU node group of the cluster can take its pods \(EKS node group a-gpu: its [a-z0-9]+\.[a-z0-9]+ nodes hold 0 GPUs each\)/, JSON.stringify(props));
  }
  assert.match(messages(await judge(group({}), vllm(1)))[0] ?? "", /t3\.medium nodes hold 0 GPUs/);
  // Beside a group that fits, nothing to report; an uncatalogued NVIDIA size (a misspelt one: g5.xlarg) or a name of no EC2
  // family stays can't judge, so does a family of a class EC2 does not have (before, xyz9.large held 0 GPUs and failed).
  assert.deepEqual(messages(await judge(group({}), l40s, vllm(1))), []);
  for (const type of ["g6.96xlarge", "g5.xlarg", "bogus", "xyz9.large", "ab1.large"]) {
    const out = await judge(group({ instanceTypes: [type] }), vllm(1));
    assert.deepEqual(out.violations, [], type);
    assert.match(out.unknown.join(" "), new RegExp(`how many GPUs its ${type.replace(".", "\\.")} nodes hold`), type);
  }
});

test("gpu-nodes EC2_CLASSES: every class of the installed @pulumi/aws's InstanceType enum, and only those", () => {
  const classes = new Set(Object.values(InstanceType).map((t) => /^[a-z]+/.exec(t)![0]));
  assert.deepEqual([...EC2_CLASSES].sort(), [...classes].sort());
});

// A node affinity term's matchFields names nodes by metadata.name (the only field it takes), which no
// group's settings give: before, such a term was can't judge worded as a label left undecided, and
// one whose matchExpressions exclude the group too (a term's requirements are ANDed) was can't judge as well.
test("gpu-scheduling: a matchFields term (node names) is can't judge as such, and fails where its matchExpressions exclude every GPU group", async () => {
  const named = (matchExpressions?: object[]) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["ip-10-0-1-5.ec2.internal"] }], ...(matchExpressions ? { matchExpressions } : {}) }] } } });
  const byName = await judge(l40s, vllm(1, { affinity: named() }));
  assert.deepEqual(messages(byName), []);
  assert.match(byName.unknown.join("\n"), /EKS node group a-gpu-l40s: its nodeSelector or required node affinity names nodes by metadata\.name \(matchFields\), and the group's node names are not known here\)/);
  assert.doesNotMatch(byName.unknown.join("\n"), /label/);
  const product = [{ key: "nvidia.com/gpu.product", operator: "In", values: ["NVIDIA-H100-80GB-HBM3"] }];
  assert.match(messages(await judge(l40s, vllm(1, { affinity: named(product) })))[0] ?? "", /no GPU node group of the cluster can take its pods \(EKS node group a-gpu-l40s: its nodeSelector or required node affinity excludes its labels/);
  // Beside a label that decides nothing (one EKS sets), both are said.
  const both = await judge(l40s, vllm(1, { affinity: named([{ key: "eks.amazonaws.com/capacityType", operator: "In", values: ["ON_DEMAND"] }]) }));
  assert.match(both.unknown.join("\n"), /names a label the group's settings leave undecided and names nodes by metadata\.name/);
});
