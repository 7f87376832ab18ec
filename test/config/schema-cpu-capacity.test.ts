/**
 * CPU capacity (infra/validate-cpu-capacity.ts): the pods that do not tolerate the GPU taint must
 * fit the non-GPU nodes at desiredSize, or the config is refused at the cluster that lacks room.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { cpuPodsOn } from "../../infra/validate-cpu-capacity";
import { machineSize } from "../../components/cloud/machine-sizes";
import { clusterAddOnPods, nodeAgentRequests, nodeAllocatable, platformPodBudget } from "../../components/cloud/node-allocatable";
import { eksNodeAgents, nodeAgentsReserve } from "../../components/gpu/host";
import { clusterInferenceManifests } from "../../components/inference";
import { shippedPlatform } from "../support/render";
import { problemsOf } from "../support/config";
import { expectProblem } from "./support";

const at = (path: string) => `inference-mesh:platform.${path}`;

test("a k3s cluster whose node groups are all GPU puts every CPU pod on the server VM: e2-standard-4 cannot hold prod's", () => {
  const p = shippedPlatform("prod");
  p.clusters[2].nodeGroups = p.clusters[2].nodeGroups.filter((g: any) => g.name !== "cpu");
  expectProblem(p, at("clusters[2].serverMachineType"), /cluster 'gcp-usc1' .*vCPU short.*server e2-standard-4.*larger serverMachineType, or add a CPU node group/);
  // What the message advises is enough: a larger server VM holds them.
  p.clusters[2].serverMachineType = "e2-standard-16";
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
});

test("a problem at a machine type the stack file leaves out says the default was judged, and which", () => {
  const p = shippedPlatform("prod");
  p.clusters[2].nodeGroups = p.clusters[2].nodeGroups.filter((g: any) => g.name !== "cpu");
  assert.equal(p.clusters[2].serverMachineType, undefined, "prod writes no serverMachineType");
  expectProblem(p, at("clusters[2].serverMachineType"), /short.*\(not in the stack file: the default, "e2-standard-4", was checked; write the value meant\)$/);
  p.clusters[2].serverMachineType = "e2-standard-4";
  expectProblem(p, at("clusters[2].serverMachineType"), /add a CPU node group.* or raise its desiredSize$/);
});

test("an EKS system node group too small for the CPU pods is refused at systemNodeGroup, naming the shortfall", () => {
  const p = shippedPlatform("dev");
  p.clusters[0].systemNodeGroup.desiredSize = 1;
  p.clusters[0].systemNodeGroup.minSize = 1;
  expectProblem(p, at("clusters[0].systemNodeGroup"), /cluster 'dev-usw2'.*vCPU of CPU requested for 3\.47 vCPU .*short.*systemNodeGroup 1 × m6i\.xlarge.*epp.*raise systemNodeGroup\.desiredSize/);
  // A CPU node group beside it (no GPU taint) takes the rest.
  p.clusters[0].nodeGroups.push({ name: "cpu", instanceType: "m6i.xlarge", minSize: 1, desiredSize: 1, maxSize: 2 });
  assert.doesNotThrow(() => parsePlatform(p, "dev"));
});

test("a pod no single non-GPU node can hold is refused even when the nodes' sum would hold it", () => {
  const p = shippedPlatform("prod");
  p.clusters[2].serverMachineType = "e2-small";
  // 2 GiB nodes: thirty of them add up to far more than every pod asks, but none holds a 2 GiB picker.
  p.clusters[2].nodeGroups = [...p.clusters[2].nodeGroups.filter((g: any) => g.name !== "cpu"), { name: "cpu", instanceType: "e2-highcpu-2", minSize: 30, desiredSize: 30, maxSize: 30 }];
  expectProblem(p, at("clusters[2].serverMachineType"), /no non-GPU node of cluster 'gcp-usc1' can hold .*istiod \(0\.5 vCPU, 2 GiB\).*epp \(1 vCPU, 2 GiB\)/);
  // One node type with the CPU, another with the memory: a picker needs both on one node.
  p.clusters[2].serverMachineType = "n1-standard-1";
  p.clusters[2].nodeGroups = [
    ...p.clusters[2].nodeGroups.filter((g: any) => g.name !== "cpu"),
    { name: "cpu-a", instanceType: "n1-standard-1", minSize: 10, desiredSize: 10, maxSize: 10 },
    { name: "cpu-b", instanceType: "e2-highcpu-2", minSize: 10, desiredSize: 10, maxSize: 10 },
  ];
  const problems = problemsOf(p);
  assert.ok(problems.some((l) => /serverMachineType: no non-GPU node of cluster 'gcp-usc1' can hold inference\/llama-3-1-8b-v1-epp \(1 vCPU, 2 GiB\)/.test(l)), problems.join("\n"));
  assert.ok(!problems.some((l) => /istiod/.test(l)), "istiod (0.5 vCPU, 2 GiB) fits an n1-standard-1");
});

test("existing clusters are not judged: their nodes are unknown", () => {
  const p = shippedPlatform("local");
  p.models[0].epp = { replicas: 64 };
  assert.doesNotThrow(() => parsePlatform(p, "local"));
});

test("the check counts the pickers the inference layer renders (replicas and requests), and leaves the GPU pods out", () => {
  const spec = parsePlatform(shippedPlatform("prod"), "prod");
  const cluster = spec.clusters[0];
  const counted = cpuPodsOn(spec, cluster);
  const rendered = clusterInferenceManifests(spec, cluster.name).filter((m) => m.kind === "Deployment") as any[];
  for (const d of rendered) {
    const pod = counted.find((c) => c.what === `inference/${d.metadata.name}`);
    const gpu = d.spec.template.spec.containers.some((c: any) => c.resources?.requests?.["nvidia.com/gpu"]);
    assert.equal(pod === undefined, gpu, d.metadata.name);
    if (pod) assert.equal(pod.replicas, d.spec.replicas, d.metadata.name);
  }
  const epp = counted.find((c) => c.what === "inference/qwen3-32b-v1-epp")!;
  assert.deepEqual([epp.cpuMilli, epp.memoryMiB], [1000, 2048]);
  assert.deepEqual(counted.find((c) => c.what === "istio-system/istiod")?.replicas, spec.mesh.istiodReplicas);
});

test("machine sizes and what the kubelet leaves pods on them (EKS nodeadm's kube-reserved; k3s the eviction threshold only)", () => {
  assert.deepEqual(machineSize("aws", "m6i.2xlarge"), { vcpus: 8, memoryGiB: 32, eniMaxPods: 58 });
  assert.deepEqual(machineSize("aws", "c5.9xlarge"), { vcpus: 36, memoryGiB: 72, eniMaxPods: 234 });
  assert.deepEqual(machineSize("aws", "r7i.large"), { vcpus: 2, memoryGiB: 16, eniMaxPods: 29 });
  assert.deepEqual(machineSize("gcp", "e2-standard-4"), { vcpus: 4, memoryGiB: 16 });
  assert.deepEqual(machineSize("gcp", "n1-standard-1"), { vcpus: 1, memoryGiB: 3.75 });
  assert.deepEqual(machineSize("gcp", "custom-6-23040-ext"), { vcpus: 6, memoryGiB: 22.5 });
  assert.deepEqual(machineSize("gcp", "e2-medium"), { vcpus: 2, memoryGiB: 4 });
  assert.deepEqual(machineSize("gcp", "n2-highmem-96"), { vcpus: 96, memoryGiB: 768 });
  assert.deepEqual(machineSize("gcp", "n2-highmem-128"), { vcpus: 128, memoryGiB: 864 });
  assert.deepEqual(machineSize("gcp", "n4-highcpu-8"), { vcpus: 8, memoryGiB: 16 });
  assert.deepEqual(machineSize("gcp", "n1-highcpu-2"), { vcpus: 2, memoryGiB: 1.8 });
  // T3/T3a: memory per vCPU varies by size; ENI max pods from nodeadm's instance-info.jsonl.
  assert.deepEqual(machineSize("aws", "t3.medium"), { vcpus: 2, memoryGiB: 4, eniMaxPods: 17 });
  assert.deepEqual(machineSize("aws", "t3.small"), { vcpus: 2, memoryGiB: 2, eniMaxPods: 11 });
  assert.deepEqual(machineSize("aws", "t3a.small"), { vcpus: 2, memoryGiB: 2, eniMaxPods: 8 });
  assert.deepEqual(machineSize("aws", "t3.2xlarge"), { vcpus: 8, memoryGiB: 32, eniMaxPods: 58 });
  assert.deepEqual(machineSize("aws", "m7i-flex.2xlarge"), { vcpus: 8, memoryGiB: 32, eniMaxPods: 58 });
  assert.deepEqual(machineSize("aws", "c7i-flex.16xlarge"), { vcpus: 64, memoryGiB: 128, eniMaxPods: 737 });
  assert.equal(machineSize("aws", "m5.medium"), undefined);
  // C2, C2D, C3, C3D, N4D and T2D predefined types (the machinetypes.csv rows: one memory per vCPU a class).
  assert.deepEqual(machineSize("gcp", "c3-standard-8"), { vcpus: 8, memoryGiB: 32 });
  assert.deepEqual(machineSize("gcp", "c2d-highcpu-32"), { vcpus: 32, memoryGiB: 64 });
  assert.deepEqual(machineSize("gcp", "t2d-standard-4"), { vcpus: 4, memoryGiB: 16 });
  assert.deepEqual(machineSize("gcp", "n4d-highmem-16"), { vcpus: 16, memoryGiB: 128 });
  // Series of no one ratio a class, as machinetypes.csv (dac3128) lists them; -lssd types alike.
  assert.deepEqual(machineSize("gcp", "c3d-highcpu-30"), { vcpus: 30, memoryGiB: 59 });
  assert.deepEqual(machineSize("gcp", "c4-standard-8"), { vcpus: 8, memoryGiB: 30 });
  assert.deepEqual(machineSize("gcp", "c4-highmem-2-lssd"), { vcpus: 2, memoryGiB: 15 });
  assert.deepEqual(machineSize("gcp", "c4d-highcpu-4"), { vcpus: 4, memoryGiB: 7 });
  assert.deepEqual(machineSize("gcp", "c4d-standard-384"), { vcpus: 384, memoryGiB: 1488 });
  assert.deepEqual(machineSize("gcp", "c3-standard-8-lssd"), { vcpus: 8, memoryGiB: 32 });
  assert.equal(machineSize("gcp", "c4-standard-6"), undefined);
  // EC2 d/n/b variants (their family's sizes; ENI max pods from instance-info.jsonl, 394 for the 6th generation n 32xlarge), C5n, and the 8th generation Intel families.
  assert.deepEqual(machineSize("aws", "m5d.xlarge"), { vcpus: 4, memoryGiB: 16, eniMaxPods: 58 });
  assert.deepEqual(machineSize("aws", "r5b.2xlarge"), { vcpus: 8, memoryGiB: 64, eniMaxPods: 58 });
  assert.deepEqual(machineSize("aws", "c6in.32xlarge"), { vcpus: 128, memoryGiB: 256, eniMaxPods: 394 });
  assert.deepEqual(machineSize("aws", "m6id.32xlarge"), { vcpus: 128, memoryGiB: 512, eniMaxPods: 737 });
  assert.deepEqual(machineSize("aws", "c5n.xlarge"), { vcpus: 4, memoryGiB: 10.5, eniMaxPods: 58 });
  assert.deepEqual(machineSize("aws", "c5n.9xlarge"), { vcpus: 36, memoryGiB: 96, eniMaxPods: 234 });
  assert.deepEqual(machineSize("aws", "m8i.large"), { vcpus: 2, memoryGiB: 8, eniMaxPods: 59 });
  assert.deepEqual(machineSize("aws", "c8i.12xlarge"), { vcpus: 48, memoryGiB: 96, eniMaxPods: 590 });
  assert.deepEqual(machineSize("aws", "m8i-flex.xlarge"), { vcpus: 4, memoryGiB: 16, eniMaxPods: 118 });
  assert.equal(machineSize("aws", "m8i.20xlarge"), undefined);
  // 4 vCPUs: 60 + 10 + 5 + 5 millicores; MemTotal 16384 × 0.925 = 15155 MiB, less 11 × 58 + 255 and 100.
  assert.deepEqual(nodeAllocatable("eks", machineSize("aws", "m6i.xlarge")!), { cpuMilli: 3920, memoryMiB: 14162 });
  assert.deepEqual(nodeAllocatable("k3s", machineSize("gcp", "e2-standard-4")!), { cpuMilli: 4000, memoryMiB: 15055 });
});

test("a k3s server's packaged add-ons share the non-GPU nodes: nodes with room for CoreDNS but not metrics-server as well are refused", () => {
  const p = shippedPlatform("prod");
  // One big server first, so the pods (which do not depend on the nodes) can be read off a parsed spec.
  p.clusters[2].nodeGroups = p.clusters[2].nodeGroups.filter((g: any) => g.name !== "cpu");
  p.clusters[2].serverMachineType = "e2-standard-32";
  const spec = parsePlatform(p, "prod");
  const platformPods = cpuPodsOn(spec, spec.clusters[2]).reduce((n, pod) => n + pod.replicas * pod.cpuMilli, 0);
  // Nodes leaving CoreDNS (100m) room and less than metrics-server's 100m more: an N1 custom server
  // of V vCPUs (an even count) and k n1-standard-1 agents leave 1000V − 300 + 700k millicores,
  // every hundred modulo 2000 at some k < 20.
  const withCoreDns = platformPods + 100;
  const vcpusFor = (k: number) => 2 * Math.ceil((withCoreDns + 300 - 700 * k) / 2000);
  const k = [...Array(20).keys()].find((k) => 1000 * vcpusFor(k) - 300 + 700 * k - withCoreDns < 100)!;
  const vcpus = vcpusFor(k);
  p.clusters[2].serverMachineType = `custom-${vcpus}-${vcpus * 4096}`;
  p.clusters[2].nodeGroups.push({ name: "cpu", instanceType: "n1-standard-1", minSize: k, desiredSize: k, maxSize: k });
  expectProblem(p, at("clusters[2].serverMachineType"), /cluster 'gcp-usc1' .*vCPU of CPU requested .*short/);
  // One more agent (700m) holds metrics-server too.
  Object.assign(p.clusters[2].nodeGroups.at(-1), { minSize: k + 1, desiredSize: k + 1, maxSize: k + 1 });
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
});

test("the cluster's own add-ons: k3s's CoreDNS, metrics-server and local-path-provisioner (no requests: 0), EKS's CoreDNS", () => {
  const figures = (kind: "eks" | "k3s") => clusterAddOnPods(kind).map((p) => `${p.what} ${p.replicas} × ${p.cpuMilli}m / ${p.memoryMiB}Mi`);
  assert.deepEqual(figures("k3s"), ["kube-system/coredns 1 × 100m / 70Mi", "kube-system/metrics-server 1 × 100m / 70Mi", "kube-system/local-path-provisioner 1 × 0m / 0Mi"]);
  assert.deepEqual(figures("eks"), ["kube-system/coredns 2 × 100m / 70Mi"]);
});

test("EKS's own node agents are aws-node (aws-node and aws-eks-nodeagent, 25m each) and kube-proxy (100m), with no memory requests", () => {
  assert.deepEqual(eksNodeAgents.map((a) => `${a.what} ${a.cpuMilli}m / ${a.memoryMiB}Mi`), ["kube-system/aws-node 50m / 0Mi", "kube-system/kube-proxy 100m / 0Mi"]);
  const [eks, k3s] = [nodeAgentRequests("eks"), nodeAgentRequests("k3s")];
  assert.deepEqual([eks.cpuMilli - k3s.cpuMilli, eks.memoryMiB - k3s.memoryMiB], [150, 0]);
  // m6i.xlarge: allocatable 3920m / 14162Mi, less ztunnel and istio-cni (300m / 612Mi) and these.
  assert.deepEqual(platformPodBudget("eks", machineSize("aws", "m6i.xlarge")!), { cpuMilli: 3470, memoryMiB: 13550 });
  // Both tolerate every taint, like ztunnel and istio-cni: GPU nodes keep about twice their sum.
  assert.ok(2 * eks.cpuMilli <= nodeAgentsReserve.cpuMilli && 2 * eks.memoryMiB <= nodeAgentsReserve.memoryMiB, JSON.stringify(eks));
});

test("a system node group the EKS node agents leave room in is accepted: 12 × m6i.xlarge hold dev with 20 pickers a version", () => {
  const p = shippedPlatform("dev");
  Object.assign(p.clusters[0].systemNodeGroup, { minSize: 12, desiredSize: 12, maxSize: 12 });
  // 41.2 vCPU asked of 12 × 3.47; a third-party estimate of 195m / 250Mi a node for aws-node and
  // kube-proxy (DaemonSets EKS clusters elsewhere ran besides) left 12 × 3.425 and refused it.
  p.models[0].epp = { replicas: 20 };
  assert.doesNotThrow(() => parsePlatform(p, "dev"));
  p.models[0].epp = { replicas: 21 };
  expectProblem(p, at("clusters[0].systemNodeGroup"), /43\.2 vCPU of CPU requested for 41\.64 vCPU/);
});

test("a k3s server of a C3 or T2D type too small for the CPU pods is refused, not passed unjudged", () => {
  // gcp-usc1 without its CPU agents: ~11 vCPU of CPU pods on the server alone.
  for (const type of ["c3-standard-4", "t2d-standard-4"]) {
    const p = shippedPlatform("prod");
    p.clusters[2].nodeGroups = p.clusters[2].nodeGroups.filter((g: any) => g.name !== "cpu");
    p.clusters[2].serverMachineType = type;
    expectProblem(p, at("clusters[2].serverMachineType"), /the non-GPU nodes of cluster 'gcp-usc1' at desiredSize cannot hold|no non-GPU node of cluster 'gcp-usc1' can hold/);
  }
});

test("a burstable or Flex system node group too small for the CPU pods is refused, not passed unjudged", () => {
  // t3.small (2 vCPU, 2 GiB) and m7i-flex.large (2 vCPU, 8 GiB): no size was known for them, so aws-use1's ~11 vCPU of CPU pods went unchecked.
  for (const type of ["t3.small", "t3a.xlarge", "m7i-flex.large"]) {
    const p = shippedPlatform("prod");
    p.clusters[0].systemNodeGroup.instanceType = type;
    expectProblem(p, at("clusters[0].systemNodeGroup"), /the non-GPU nodes of cluster 'aws-use1' at desiredSize cannot hold|no non-GPU node of cluster 'aws-use1' can hold/);
  }
  // Large enough ones of these families pass: 2 × m7i-flex.4xlarge (16 vCPU, 64 GiB each).
  const p = shippedPlatform("prod");
  Object.assign(p.clusters[0].systemNodeGroup, { instanceType: "m7i-flex.4xlarge", desiredSize: 2 });
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
});

test("system node groups and k3s servers of the d/n variants, C5n, M8i, C4, C4D and C3D highcpu types too small for the CPU pods are refused, not passed unjudged", () => {
  // No size was known for these, so aws-use1's ~11 vCPU of CPU pods (and gcp-usc1's on its server) went unchecked.
  for (const type of ["m8i.large", "c5n.large", "m5d.large", "c6in.xlarge"]) {
    const p = shippedPlatform("prod");
    p.clusters[0].systemNodeGroup.instanceType = type;
    expectProblem(p, at("clusters[0].systemNodeGroup"), /the non-GPU nodes of cluster 'aws-use1' at desiredSize cannot hold|no non-GPU node of cluster 'aws-use1' can hold/);
  }
  for (const type of ["c4-standard-4", "c4d-highcpu-8", "c3d-highcpu-4", "c4-standard-4-lssd"]) {
    const p = shippedPlatform("prod");
    p.clusters[2].nodeGroups = p.clusters[2].nodeGroups.filter((g: any) => g.name !== "cpu");
    p.clusters[2].serverMachineType = type;
    expectProblem(p, at("clusters[2].serverMachineType"), /the non-GPU nodes of cluster 'gcp-usc1' at desiredSize cannot hold|no non-GPU node of cluster 'gcp-usc1' can hold/);
  }
  const p = shippedPlatform("prod");
  Object.assign(p.clusters[0].systemNodeGroup, { instanceType: "m8i.4xlarge", desiredSize: 2 });
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
});
