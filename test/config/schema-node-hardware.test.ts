/**
 * The platform config schema, the hardware a machine type carries: Arm CPUs (the nodes boot x86_64
 * images), accelerators no NVIDIA driver serves (Inferentia, Trainium, AMD, Gaudi, FPGAs, Cloud
 * TPUs), EC2 Mac types, and GPU types the catalog lacks, on node groups, system groups and the k3s
 * server. Each broken config is rejected with a message naming its config path (./support).
 */
import { RejectCase, testRejections } from "./support";

const cases: RejectCase[] = [
  {
    name: "an Arm (Graviton) system node group, which EKS refuses with the x86_64 AMI",
    mutate: (p) => (p.clusters[0].systemNodeGroup.instanceType = "m7g.xlarge"),
    path: "inference-mesh:platform.clusters[0].systemNodeGroup.instanceType",
    message: /'m7g\.xlarge' is an Arm \(Graviton\) type; the nodes boot x86_64 images/,
  },
  {
    name: "an Arm CPU node group on EKS",
    mutate: (p) => p.clusters[0].nodeGroups.push({ name: "cpu", instanceType: "c7gn.2xlarge", minSize: 1, desiredSize: 1, maxSize: 2 }),
    path: "inference-mesh:platform.clusters[0].nodeGroups[2].instanceType",
    message: /Arm \(Graviton\)/,
  },
  {
    name: "an Arm k3s server",
    mutate: (p) => (p.clusters[2].serverMachineType = "t2a-standard-4"),
    path: "inference-mesh:platform.clusters[2].serverMachineType",
    message: /'t2a-standard-4' is an Arm \(Axion\/Ampere\/Grace\) type/,
  },
  {
    name: "a GPU instance type the catalog lacks (it would pass as a CPU group)",
    mutate: (p) => (p.clusters[0].nodeGroups[0].instanceType = "g4dn.12xlarge"),
    path: "inference-mesh:platform.clusters[0].nodeGroups[0].instanceType",
    message: /'g4dn\.12xlarge' has GPUs, but the GPU catalog \(components\/gpu\/catalog\.ts\) does not know them.*catalogued aws GPU families: g5, g6, g6e, p4d, p4de, p5, p5e, p5en; add the type to the catalog/,
  },
  {
    name: "an Inferentia node group (EKS serves Neuron with its own AMI; it would pass as a CPU group)",
    mutate: (p) => p.clusters[0].nodeGroups.push({ name: "neuron", instanceType: "inf2.48xlarge", minSize: 0, desiredSize: 1, maxSize: 2 }),
    path: "inference-mesh:platform.clusters[0].nodeGroups[2].instanceType",
    message: /'inf2\.48xlarge' carries AWS Inferentia \(Neuron\) accelerators, not NVIDIA GPUs: .*use a catalogued NVIDIA GPU type \(g5, g6, g6e, p4d, p4de, p5, p5e, p5en\) or a CPU type$/,
  },
  {
    name: "a Trainium system node group",
    mutate: (p) => (p.clusters[1].systemNodeGroup.instanceType = "trn1n.32xlarge"),
    path: "inference-mesh:platform.clusters[1].systemNodeGroup.instanceType",
    message: /'trn1n\.32xlarge' carries AWS Trainium \(Neuron\) accelerators, not NVIDIA GPUs/,
  },
  {
    name: "an AMD GPU node group, which no catalog entry could make NVIDIA",
    mutate: (p) => (p.clusters[1].nodeGroups[0].instanceType = "g4ad.16xlarge"),
    path: "inference-mesh:platform.clusters[1].nodeGroups[0].instanceType",
    message: /'g4ad\.16xlarge' carries AMD GPUs, not NVIDIA GPUs/,
  },
  ...[
    ["dl1.24xlarge", /deep-learning accelerators \(Habana Gaudi on DL1\)/],
    ["f2.12xlarge", /FPGAs/],
    ["vt1.3xlarge", /video transcoding accelerators \(Xilinx Alveo U30\)/],
  ].map(([type, what]) => ({
    name: `a ${type} node group (accelerators no NVIDIA AMI serves; it would pass as a CPU group)`,
    mutate: (p: any) => p.clusters[0].nodeGroups.push({ name: "accel", instanceType: type, minSize: 0, desiredSize: 1, maxSize: 1 }),
    path: "inference-mesh:platform.clusters[0].nodeGroups[2].instanceType",
    message: new RegExp(`'${(type as string).replace(".", "\\.")}' carries ${(what as RegExp).source}, not NVIDIA GPUs`),
  })),
  ...["ct5lp-hightpu-4t", "ct6e-standard-4t", "tpu7x-standard-4t"].map((type) => ({
    name: `a ${type} k3s node group (Cloud TPUs, which no NVIDIA driver serves; it would pass as a CPU group)`,
    mutate: (p: any) => p.clusters[2].nodeGroups.push({ name: "tpu", instanceType: type, minSize: 0, desiredSize: 1, maxSize: 1 }),
    path: "inference-mesh:platform.clusters[2].nodeGroups[2].instanceType",
    message: new RegExp(`'${type}' carries Cloud TPUs, not NVIDIA GPUs: .*so the VMs would join as CPU nodes and nothing would use them; use a catalogued NVIDIA GPU type \\(a2, a3, g2\\) or a CPU type$`),
  })),
  {
    name: "a Cloud TPU k3s server",
    mutate: (p) => (p.clusters[2].serverMachineType = "ct5lp-hightpu-1t"),
    path: "inference-mesh:platform.clusters[2].serverMachineType",
    message: /'ct5lp-hightpu-1t' carries Cloud TPUs, not NVIDIA GPUs/,
  },
  {
    name: "an EC2 Mac node group (Dedicated Hosts and macOS AMIs only)",
    mutate: (p) => p.clusters[0].nodeGroups.push({ name: "cpu", instanceType: "mac2-m2.metal", minSize: 1, desiredSize: 1, maxSize: 1 }),
    path: "inference-mesh:platform.clusters[0].nodeGroups[2].instanceType",
    message: /'mac2-m2\.metal' is an EC2 Mac type: EC2 runs Mac instances only on Dedicated Hosts and boots them only from macOS AMIs/,
  },
  {
    name: "an EC2 Mac system node group",
    mutate: (p) => (p.clusters[0].systemNodeGroup.instanceType = "mac1.metal"),
    path: "inference-mesh:platform.clusters[0].systemNodeGroup.instanceType",
    message: /'mac1\.metal' is an EC2 Mac type/,
  },
  {
    name: "a GCE GPU series the catalog lacks",
    mutate: (p) => (p.clusters[2].nodeGroups[1].instanceType = "a4-highgpu-8g"),
    path: "inference-mesh:platform.clusters[2].nodeGroups[1].instanceType",
    message: /'a4-highgpu-8g' has GPUs.*catalogued gcp GPU families: a2, a3, g2;/,
  },
];

testRejections(cases);
