/**
 * The GPU catalog: lookups for the types the stacks use and their neighbours, unknown types,
 * the labels and taint GPU nodes carry, agreement with the shipped stacks, and the host CPU and
 * memory a node leaves pods and a model-server replica's share of it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { gpuInstanceTypes, gpuModels, gpuNodeLabels, gpuTaint, gpuToleration, lookupGpuInstance } from "../../components/gpu/catalog";
import { kubeReservedCpuMilli, kubeReservedMemoryMiB, podBudget, replicaHostResources, replicaShare } from "../../components/gpu/host";
import { shippedPlatform } from "../support/render";

test("AWS types resolve to their GPU model, count and memory (MiB as the driver reports it)", () => {
  const cases: [string, string, number, number][] = [
    ["p5.48xlarge", "H100", 8, 81559],
    ["p4d.24xlarge", "A100_40", 8, 40960],
    ["p4de.24xlarge", "A100_80", 8, 81920],
    ["g6e.xlarge", "L40S", 1, 46068],
    ["g6e.12xlarge", "L40S", 4, 46068],
    ["g6e.48xlarge", "L40S", 8, 46068],
    ["g6.2xlarge", "L4", 1, 23034],
    ["g6.12xlarge", "L4", 4, 23034],
    ["g5.xlarge", "A10G", 1, 23028],
    ["g5.48xlarge", "A10G", 8, 23028],
  ];
  for (const [type, model, gpus, mem] of cases) {
    const c = lookupGpuInstance(type);
    assert.ok(c, type);
    assert.deepEqual([c.cloud, c.gpuModel, c.gpusPerNode, c.memoryGiBPerGpu * 1024], ["aws", model, gpus, mem], type);
  }
});

test("GCP types resolve to their GPU model, count and the accelerator type for guestAccelerators", () => {
  const cases: [string, string, number, string][] = [
    ["a3-highgpu-8g", "H100", 8, "nvidia-h100-80gb"],
    ["a2-highgpu-1g", "A100_40", 1, "nvidia-tesla-a100"],
    ["a2-megagpu-16g", "A100_40", 16, "nvidia-tesla-a100"],
    ["a2-ultragpu-4g", "A100_80", 4, "nvidia-a100-80gb"],
    ["g2-standard-4", "L4", 1, "nvidia-l4"],
    ["g2-standard-48", "L4", 4, "nvidia-l4"],
  ];
  for (const [type, model, gpus, accel] of cases) {
    const c = lookupGpuInstance(type);
    assert.ok(c, type);
    assert.deepEqual([c.cloud, c.gpuModel, c.gpusPerNode, c.gcpAcceleratorType], ["gcp", model, gpus, accel], type);
  }
});

test("unknown and CPU types are not GPU instances", () => {
  for (const type of ["m6i.xlarge", "e2-standard-4", "p5.49xlarge", "G6.XLARGE", "", "a3-highgpu-3g"]) {
    assert.equal(lookupGpuInstance(type), undefined, type);
  }
});

test("every catalogued type has a positive GPU count and a known model", () => {
  for (const [type, entry] of Object.entries(gpuInstanceTypes)) {
    assert.ok(entry.gpusPerNode > 0, type);
    assert.ok(gpuModels[entry.gpu], type);
    if (entry.cloud === "gcp") assert.ok((gpuModels[entry.gpu] as { gcpAcceleratorType?: string }).gcpAcceleratorType, `${type} needs a GCP accelerator type`);
  }
});

test("every GPU node group of the shipped stacks is a catalogued type of its own cloud", () => {
  for (const stack of ["dev", "prod"] as const) {
    for (const cluster of shippedPlatform(stack).clusters) {
      for (const group of (cluster.nodeGroups ?? []).filter((g: { name: string }) => g.name.startsWith("gpu-"))) {
        const c = lookupGpuInstance(group.instanceType);
        assert.ok(c, `${stack}/${cluster.name}/${group.name}`);
        assert.equal(c.cloud, cluster.cloud);
      }
    }
  }
});

test("GPU node labels advertise product, count and memory in MiB as GPU feature discovery does (the driver's total, not the marketing GB)", () => {
  assert.deepEqual(gpuNodeLabels(lookupGpuInstance("g6e.12xlarge")!), {
    "nvidia.com/gpu.present": "true",
    "nvidia.com/gpu.product": "NVIDIA-L40S",
    "nvidia.com/gpu.count": "4",
    "nvidia.com/gpu.memory": "46068",
  });
});

test("the GPU toleration matches the GPU taint", () => {
  assert.equal(gpuToleration.key, gpuTaint.key);
  assert.equal(gpuToleration.effect, gpuTaint.effect);
  assert.equal(gpuToleration.operator, "Exists");
});

test("host vCPUs and memory (GiB) per type, as EC2 DescribeInstanceTypes and GCE machine types list them, and EC2's ENI max pods", () => {
  const cases: [string, number, number, number | undefined][] = [
    ["p5.48xlarge", 192, 2048, 100],
    ["p5en.48xlarge", 192, 2048, 198],
    ["p4de.24xlarge", 96, 1152, 737],
    ["g6e.xlarge", 4, 32, 58],
    ["g6e.12xlarge", 48, 384, 292],
    ["g6.12xlarge", 48, 192, 234],
    ["g5.12xlarge", 48, 192, 737],
    ["g5.48xlarge", 192, 768, 345],
    ["a3-highgpu-1g", 26, 234, undefined],
    ["a2-highgpu-1g", 12, 85, undefined],
    ["a2-megagpu-16g", 96, 1360, undefined],
    ["a2-ultragpu-4g", 48, 680, undefined],
    ["g2-standard-24", 24, 96, undefined],
  ];
  for (const [type, vcpus, memoryGiB, eniMaxPods] of cases) {
    const c = lookupGpuInstance(type)!;
    assert.deepEqual([c.vcpus, c.memoryGiB, c.eniMaxPods], [vcpus, memoryGiB, eniMaxPods], type);
  }
  for (const [type, t] of Object.entries(gpuInstanceTypes)) {
    assert.ok(t.vcpus >= 4 && t.memoryGiB >= 16, type);
    assert.equal(t.eniMaxPods !== undefined, t.cloud === "aws", `${type}: ENI max pods exactly for EC2 types`);
  }
});

test("pod budget: MemTotal 7.5% under nominal, nodeadm's kube-reserved (ENI pods, at least 110), 100Mi eviction, node agents", () => {
  // nodeadm's CPU tiers: 6% of core 1, 1% of core 2, 0.5% of cores 3-4, 0.25% of the rest.
  assert.deepEqual([1, 2, 4, 8, 48, 192].map(kubeReservedCpuMilli), [60, 70, 80, 90, 190, 550]);
  assert.equal(kubeReservedMemoryMiB(737), 8362);
  // g5.12xlarge: 48000m − 190m − 1000m; 196608 MiB × 0.925 = 181862 − 8362 (737 ENI pods) − 100 − 2048.
  assert.deepEqual(podBudget(lookupGpuInstance("g5.12xlarge")!), { cpuMilli: 46810, memoryMiB: 171352 });
  // p5.48xlarge addresses 100 pods by ENI; the budget keeps the kubelet's 110 (1465 MiB).
  assert.deepEqual(podBudget(lookupGpuInstance("p5.48xlarge")!), { cpuMilli: 190450, memoryMiB: 1936252 });
  // a2-ultragpu-4g on k3s (its agents are given the same kube-reserved by kubelet-arg): 110 pods.
  assert.deepEqual(podBudget(lookupGpuInstance("a2-ultragpu-4g")!), { cpuMilli: 46810, memoryMiB: 640483 });
  assert.deepEqual(replicaShare(lookupGpuInstance("a2-ultragpu-4g")!, 2), { cpuMilli: 23405, memoryMiB: 320241 });
});

test("replica shares are proportional to GPUs, so any GPU packing the capacity check accepts fits CPU and memory too", () => {
  for (const [type] of Object.entries(gpuInstanceTypes)) {
    const c = lookupGpuInstance(type)!;
    const budget = podBudget(c);
    assert.ok(budget.cpuMilli > 0 && budget.memoryMiB > 0, type);
    // Every way to fill the node's GPUs with replicas of 1…G GPUs stays within its budget.
    for (let gpus = 1; gpus <= c.gpusPerNode; gpus++) {
      const share = replicaShare(c, gpus);
      const fill = Math.floor(c.gpusPerNode / gpus);
      const rest = replicaShare(c, c.gpusPerNode - fill * gpus);
      assert.ok(fill * share.cpuMilli + rest.cpuMilli <= budget.cpuMilli, `${type}: ${fill} × ${gpus} GPUs of CPU`);
      assert.ok(fill * share.memoryMiB + rest.memoryMiB <= budget.memoryMiB, `${type}: ${fill} × ${gpus} GPUs of memory`);
    }
  }
  // A replica that may land on two L40S types takes the smaller share: g6e.12xlarge's, not g6e.48xlarge's.
  const [small, large] = [lookupGpuInstance("g6e.12xlarge")!, lookupGpuInstance("g6e.48xlarge")!];
  assert.deepEqual(replicaHostResources([large, small], 2), replicaShare(small, 2));
  assert.ok(replicaShare(large, 2).memoryMiB > replicaShare(small, 2).memoryMiB);
  assert.equal(replicaHostResources([], 1), undefined);
});
