/**
 * Policy tests for gpu-scheduling's placement on node groups that run no node: the pods fit only
 * EKS groups at scalingConfig maxSize 0, or GCE templates whose every instance group manager runs
 * targetSize 0 with no Autoscaler targeting it (the stack runs no cluster autoscaler), so they stay
 * Pending forever; a size not known yet is can't judge.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { gpuScheduling } from "../../policy/rules/gpu-scheduling";
import { k8sProvider, runStack, stackResource, UNKNOWN } from "../support/policy";
import { provider, messages } from "./mesh-support";
import { deployment, gpuToleration } from "./workloads-support";

const taint = { key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" };
const eks = (name: string, scalingConfig: unknown) =>
  stackResource({ type: "aws:eks/nodeGroup:NodeGroup", name, props: { amiType: "AL2023_x86_64_NVIDIA", taints: [taint], labels: { "nvidia.com/gpu.present": "true" }, instanceTypes: ["g6e.12xlarge"], scalingConfig }, provider: null });
const vllm = () =>
  stackResource({ ...deployment("vllm", { tolerations: [gpuToleration], containers: [{ name: "vllm", image: "vllm/vllm-openai:v0.21.0", resources: { limits: { "nvidia.com/gpu": 1 } } }] }), name: "a-vllm", provider: k8sProvider("a") });
const judge = (...resources: Parameters<typeof runStack>[1]) => runStack(gpuScheduling, [provider("a"), ...resources, vllm()]);

const script = `#!/bin/bash\ncat > /etc/rancher/k3s/config.yaml <<'EOF'\nnode-taint: ["nvidia.com/gpu=present:NoSchedule"]\nEOF\ncurl -sfL https://get.k3s.io | sh -s - agent\n`;
const link = "projects/p/global/instanceTemplates/a-gpu-a100-1?uniqueId=42";
const template = stackResource({ type: "gcp:compute/instanceTemplate:InstanceTemplate", name: "a-gpu-a100-template", props: { machineType: "a2-highgpu-1g", guestAccelerators: [{ type: "nvidia-tesla-a100", count: 1 }], metadataStartupScript: script, selfLinkUnique: link }, provider: null });
const manager = (name: string, props: Record<string, unknown>, region = false) =>
  stackResource({ type: region ? "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager" : "gcp:compute/instanceGroupManager:InstanceGroupManager", name, props: { name, baseInstanceName: name, versions: [{ name: "k3s-agent", instanceTemplate: link }], selfLink: `projects/p/zones/z/instanceGroupManagers/${name}`, ...props }, provider: null });
const autoscaler = (target: string) => stackResource({ type: "gcp:compute/autoscaler:Autoscaler", name: "a-gpu-a100-autoscaler", props: { target, autoscalingPolicy: { maxReplicas: 4, minReplicas: 0 } }, provider: null });

test("gpu-scheduling: GPU pods whose only fitting EKS groups keep 0 nodes fail; a group that may run a node passes", async () => {
  const empty = await judge(eks("a-gpu-l40s", { minSize: 0, desiredSize: 0, maxSize: 0 }));
  assert.deepEqual(messages(empty), [
    "Deployment inference/vllm on cluster a limits 1 nvidia.com/gpu per pod, but every GPU node group of the cluster that can take its pods runs no node (EKS node group a-gpu-l40s: scalingConfig desiredSize 0) and no cluster autoscaler of the stack adds one, so they stay Pending; give a group that fits nodes (scalingConfig desiredSize, a GCE instance group manager's targetSize)",
  ]);
  assert.equal(empty.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:apps/v1:Deployment::a-vllm");
  // One group that may run a node is enough; no scalingConfig is not judged.
  assert.deepEqual(messages(await judge(eks("a-gpu-l40s", { minSize: 0, desiredSize: 0, maxSize: 0 }), eks("a-gpu-l40s-2", { minSize: 1, desiredSize: 1, maxSize: 2 }))), []);
  assert.deepEqual(messages(await judge(eks("a-gpu-l40s", undefined))), []);
  // EKS refuses maxSize 0: a group at desiredSize 0 may scale to 4, but nothing raises it without an autoscaler.
  assert.equal(messages(await judge(eks("a-gpu-l40s", { minSize: 0, desiredSize: 0, maxSize: 4 }))).length, 1);
  const scaler = stackResource({ type: "kubernetes:helm.sh/v3:Release", name: "a-cluster-autoscaler", props: { name: "cluster-autoscaler", chart: "cluster-autoscaler", namespace: "kube-system", values: {} }, provider: k8sProvider("a") });
  assert.deepEqual(messages(await judge(eks("a-gpu-l40s", { minSize: 0, desiredSize: 0, maxSize: 4 }), scaler)), []);
  // A size not known yet is can't judge.
  const later = await judge(eks("a-gpu-l40s", { minSize: 0, desiredSize: UNKNOWN, maxSize: 4 }));
  assert.deepEqual(messages(later), []);
  assert.match(later.unknown[0] ?? "", /EKS node group a-gpu-l40s: its scalingConfig desiredSize is not known yet/);
});

test("gpu-scheduling: GPU pods whose only fitting GCE template backs instance groups at targetSize 0 with no Autoscaler fail", async () => {
  for (const props of [{ targetSize: 0 }, {}]) {
    const empty = await judge(template, manager("a-gpu-a100", props));
    assert.match(messages(empty)[0] ?? "", /runs no node \(InstanceTemplate a-gpu-a100-template: its instance group managers a-gpu-a100 run targetSize 0, no Autoscaler targeting them\)/, JSON.stringify(props));
  }
  assert.match(messages(await judge(template, manager("a-gpu-a100", { targetSize: 0 }, true)))[0] ?? "", /runs no node/);
  // A manager that runs a VM, or one an Autoscaler targets (by selfLink or name), lets them land; a template no manager uses is not judged.
  assert.deepEqual(messages(await judge(template, manager("a-gpu-a100", { targetSize: 0 }), manager("a-gpu-a100-b", { targetSize: 1 }))), []);
  for (const target of ["projects/p/zones/z/instanceGroupManagers/a-gpu-a100", "a-gpu-a100"]) {
    assert.deepEqual(messages(await judge(template, manager("a-gpu-a100", { targetSize: 0 }), autoscaler(target))), [], target);
  }
  assert.deepEqual(messages(await judge(template)), []);
  // A targetSize or an Autoscaler's target not known yet is can't judge.
  for (const extra of [[manager("a-gpu-a100", { targetSize: UNKNOWN })], [manager("a-gpu-a100", { targetSize: 0 }), autoscaler(UNKNOWN)]]) {
    const later = await judge(template, ...extra);
    assert.deepEqual([messages(later), later.unknown.length], [[], 1]);
    assert.match(later.unknown[0], /InstanceTemplate a-gpu-a100-template: its instance group managers' targetSize or Autoscalers are not known yet/);
  }
});
