/**
 * The platform config schema, node groups and machine types: EC2 and GCE types (GPU families,
 * custom types), the k3s server, node group sizes and derived names, GPU capacity at desiredSize;
 * the hardware a type carries (Arm, other accelerators) in schema-node-hardware.test.ts.
 * Each broken config is rejected with a message naming its config path (expectProblem, ./support).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { shippedPlatform } from "../support/render";
import { expectProblem, pathsOf, RejectCase, testRejections } from "./support";

const cases: RejectCase[] = [
  {
    name: "a GPU count that contradicts the catalog",
    mutate: (p) => (p.clusters[0].nodeGroups[0].gpuCount = 8),
    path: "inference-mesh:platform.clusters[0].nodeGroups[0].gpuCount",
    message: /g6e.12xlarge has 4 GPUs per node, not 8/,
  },
  {
    name: "node group sizes out of order",
    mutate: (p) => (p.clusters[2].nodeGroups[1].desiredSize = 9),
    path: "inference-mesh:platform.clusters[2].nodeGroups[1]",
    message: /minSize ≤ desiredSize ≤ maxSize, got 1 ≤ 9 ≤ 3/,
  },
  {
    name: "a GCP machine type on an AWS cluster",
    mutate: (p) => (p.clusters[1].nodeGroups[0].instanceType = "a2-highgpu-1g"),
    path: "inference-mesh:platform.clusters[1].nodeGroups[0].instanceType",
    message: /is a GCP instance type, but cluster 'aws-euw1' is on aws/,
  },
  {
    name: "a typo in a GPU instance type (it would pass as a CPU node group)",
    mutate: (p) => (p.clusters[0].nodeGroups[0].instanceType = "g6e.12xlage"),
    path: "inference-mesh:platform.clusters[0].nodeGroups[0].instanceType",
    message: /'g6e\.12xlage' is not a catalogued size of the GPU family g6e: use one of .*g6e\.12xlarge/,
  },
  {
    name: "a typo in a GCP GPU machine type (it would pass as a CPU agent group)",
    mutate: (p) => (p.clusters[2].nodeGroups[1].instanceType = "a2-ultragpu-3g"),
    path: "inference-mesh:platform.clusters[2].nodeGroups[1].instanceType",
    message: /'a2-ultragpu-3g' is not a catalogued size of the GPU family a2: use one of .*a2-ultragpu-4g/,
  },
  {
    name: "something that is not a GCE machine type",
    mutate: (p) => (p.clusters[2].nodeGroups[0].instanceType = "e2.standard.8"),
    path: "inference-mesh:platform.clusters[2].nodeGroups[0].instanceType",
    message: /not a GCE machine type \(family-series-size/,
  },
  {
    name: "something that is not an EC2 instance type",
    mutate: (p) => (p.clusters[0].nodeGroups[0].instanceType = "large-gpu-box"),
    path: "inference-mesh:platform.clusters[0].nodeGroups[0].instanceType",
    message: /not an EC2 instance type/,
  },
  {
    name: "node groups of two clusters that derive one resource name",
    mutate: (p) => {
      p.clusters[0].name = "aws";
      p.clusters[0].nodeGroups[0].name = "euw1-gpu-a10g";
      p.models.forEach((m: any) => (m.clusters = m.clusters.map((c: string) => (c === "aws-use1" ? "aws" : c))));
    },
    path: "inference-mesh:platform.clusters[1].nodeGroups[0].name",
    message: /cluster 'aws-euw1' node group 'gpu-a10g' derives the node group resource 'aws-euw1-gpu-a10g', which is already the node group resource of cluster 'aws' node group 'euw1-gpu-a10g'/,
  },
  {
    name: "an EKS node group named like the system group",
    mutate: (p) => (p.clusters[1].nodeGroups[1].name = "system"),
    path: "inference-mesh:platform.clusters[1].nodeGroups[1].name",
    message: /derives the node group resource 'aws-euw1-system', which is already the system node group resource of cluster 'aws-euw1'/,
  },
  {
    name: "more vLLM GPUs on a cluster than its GPU node groups have at desiredSize (no autoscaler)",
    mutate: (p) => (p.clusters[2].nodeGroups[1].desiredSize = 2),
    path: "inference-mesh:platform.clusters[2].nodeGroups",
    message: /cluster 'gcp-usc1' at desiredSize cannot hold every model replica placed there .*1 of 1 replica\(s\) of 'llama-3-1-8b' v2 .* would stay Pending; GPU nodes: 'gpu-a100' 2 × a2-ultragpu-4g/,
  },
  {
    name: "enough GPUs in all but per node: two replicas that each need most of a node's disk",
    mutate: (p) => {
      const qwen = p.models.find((m: any) => m.name === "qwen3-32b");
      qwen.versions = [{ name: "v1", weight: 100, replicas: 2 }];
      delete qwen.gpuTypes; // pinned to L40S on aws-use1, which runs only H100 here
      const group = p.clusters[0].nodeGroups.find((g: any) => g.instanceType === "p5.48xlarge");
      group.diskSizeGiB = 150;
      p.clusters[0].nodeGroups = [group];
      p.models.forEach((m: any) => (m.clusters = m.clusters.filter((c: string) => c !== "aws-use1").concat(m === qwen ? ["aws-use1"] : [])));
    },
    path: "inference-mesh:platform.clusters[0].nodeGroups",
    message: /1 of 2 replica\(s\) of 'qwen3-32b' v1 \(2 × NVIDIA-H100-80GB-HBM3, 67 GiB disk\) would stay Pending; GPU nodes: 'gpu-h100' 1 × p5\.48xlarge \(8 GPUs, 150 GiB disk\)/,
  },
  {
    name: "an EKS node group name too long for its generated name",
    mutate: (p) => (p.clusters[0].nodeGroups[0].name = "n".repeat(37)),
    path: "inference-mesh:platform.clusters[0].nodeGroups[0].name",
    message: /EKS node group names .* at most 36/,
  },
  {
    name: "system node group sizes out of order",
    mutate: (p) => (p.clusters[0].systemNodeGroup = { instanceType: "m6i.2xlarge", minSize: 3, desiredSize: 2, maxSize: 1 }),
    path: "inference-mesh:platform.clusters[0].systemNodeGroup",
    message: /minSize ≤ desiredSize ≤ maxSize, got 3 ≤ 2 ≤ 1/,
  },
  {
    name: "a k3s server machine type that is not one",
    mutate: (p) => (p.clusters[2].serverMachineType = "Huge Machine"),
    path: "inference-mesh:platform.clusters[2].serverMachineType",
    message: /not a GCE machine type/,
  },
  {
    name: "GCE names too long once cluster and group are joined",
    mutate: (p) => {
      const long = "gcp-us-central1-" + "a".repeat(15);
      p.models.forEach((m: any) => (m.clusters = m.clusters.map((c: string) => (c === p.clusters[2].name ? long : c))));
      p.agents.forEach((a: any) => a.clusters && (a.clusters = a.clusters.map((c: string) => (c === p.clusters[2].name ? long : c))));
      p.clusters[2].name = long;
      p.clusters[2].nodeGroups[1].name = "gpu-" + "a".repeat(19);
    },
    path: "inference-mesh:platform.clusters[2].nodeGroups[1].name",
    message: /GCE instance templates and groups take at most 53/,
  },
  {
    name: "node groups on an existing cluster",
    stack: "local",
    mutate: (p) => (p.clusters[0].nodeGroups = [{ name: "cpu", instanceType: "m6i.2xlarge", minSize: 1, desiredSize: 1, maxSize: 2 }]),
    path: "inference-mesh:platform.clusters[0].nodeGroups[0].instanceType",
    message: /: existing clusters bring their own nodes: remove nodeGroups or use cloud aws\|gcp$/,
  },
  {
    name: "a misspelt EC2 size on the system node group",
    mutate: (p) => (p.clusters[0].systemNodeGroup.instanceType = "m6i.2xlage"),
    path: "inference-mesh:platform.clusters[0].systemNodeGroup.instanceType",
    message: /: 'm6i\.2xlage' has no EC2 size '2xlage': sizes are nano, micro, small, medium, large, xlarge, <n>xlarge \(n = 2, 3, 4, .*\), metal and metal-<n>xl/,
  },
  {
    name: "an EC2 size that does not exist on a CPU node group",
    mutate: (p) => p.clusters[0].nodeGroups.push({ name: "cpu", instanceType: "m6i.huge", minSize: 1, desiredSize: 1, maxSize: 2 }),
    path: "inference-mesh:platform.clusters[0].nodeGroups[2].instanceType",
    message: /: 'm6i\.huge' has no EC2 size 'huge'/,
  },
  {
    name: "a misspelt GCE machine class on a CPU agent group",
    mutate: (p) => (p.clusters[2].nodeGroups[0].instanceType = "e2-standrd-8"),
    path: "inference-mesh:platform.clusters[2].nodeGroups[0].instanceType",
    message: /: 'e2-standrd-8' is not a GCE machine type: E2 types are e2-standard-\{2,4,8,16,32\}, e2-highmem-\{2,4,8,16\}, e2-highcpu-\{2,4,8,16,32\}, e2-micro, e2-small, e2-medium or e2-custom-<vCPUs>-<MB> \(Google's machine-type tables, kept in components\/cloud\/machine-type-names\.ts/,
  },
  {
    name: "a GCE vCPU count its series does not offer on the k3s server",
    mutate: (p) => (p.clusters[2].serverMachineType = "e2-standard-3"),
    path: "inference-mesh:platform.clusters[2].serverMachineType",
    message: /: 'e2-standard-3' is not a GCE machine type: e2-standard types are e2-standard-\{2,4,8,16,32\}/,
  },
  {
    name: "a GCE custom type with a vCPU count its series refuses",
    mutate: (p) => (p.clusters[2].nodeGroups[0].instanceType = "n2-custom-34-8192"),
    path: "inference-mesh:platform.clusters[2].nodeGroups[0].instanceType",
    message: /: 'n2-custom-34-8192' is not a GCE machine type: N2 custom types take 2 to 80 vCPUs \(an even count up to 32, a multiple of 4 above\), not 34$/,
  },
  {
    name: "a custom type of a GCE series that has none",
    mutate: (p) => (p.clusters[2].serverMachineType = "c3-custom-4-8192"),
    path: "inference-mesh:platform.clusters[2].serverMachineType",
    message: /: 'c3-custom-4-8192' is not a GCE machine type: C3 has no custom machine types; its types are c3-standard-\{4,8,22,44,88,176\}/,
  },
  // Before, a series the table lacks was checked for its format only: each passed config and GCE would refuse the VM.
  {
    name: "a GCE series that does not exist on a CPU agent group",
    mutate: (p) => (p.clusters[2].nodeGroups[0].instanceType = "xyz9-standard-8"),
    path: "inference-mesh:platform.clusters[2].nodeGroups[0].instanceType",
    message: /: 'xyz9-standard-8' is not a GCE machine type: Compute Engine has no series 'xyz9' \(its x86_64 CPU series are e2, n1, f1, g1, n2, .*, x4, from Google's machine-family pages; GPU types come from the GPU catalog, components\/gpu\/catalog\.ts\); a newer series goes in components\/cloud\/machine-type-names\.ts$/,
  },
  {
    name: "a misspelt GCE series on the k3s server",
    mutate: (p) => (p.clusters[2].serverMachineType = "e3-standard-8"),
    path: "inference-mesh:platform.clusters[2].serverMachineType",
    message: /: 'e3-standard-8' is not a GCE machine type: Compute Engine has no series 'e3' /,
  },
  {
    name: "a custom type of a GCE series that does not exist",
    mutate: (p) => (p.clusters[2].nodeGroups[0].instanceType = "xyz9-custom-4-8192"),
    path: "inference-mesh:platform.clusters[2].nodeGroups[0].instanceType",
    message: /: 'xyz9-custom-4-8192' is not a GCE machine type: Compute Engine has no series 'xyz9' /,
  },
];

testRejections(cases);

test("a GPU machine type is refused as the k3s server", () => {
  const p = shippedPlatform("prod");
  p.clusters[2].serverMachineType = "n2-standard-8";
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
  for (const type of ["a2-ultragpu-4g", "g2-standard-8"]) {
    p.clusters[2].serverMachineType = type;
    expectProblem(p, "inference-mesh:platform.clusters[2].serverMachineType", /is a GPU machine type; the k3s server runs the control plane/);
  }
});

test("real machine types pass: EC2 sizes incl. metal-<n>xl, GCE predefined, shared-core, -lssd/-metal, custom types", () => {
  for (const type of ["m6i.large", "c7i.metal-24xl", "m5zn.metal", "u-12tb1.112xlarge", "m7i-flex.large", "t3.nano", "r7i.48xlarge"]) {
    const p = shippedPlatform("prod");
    p.clusters[0].systemNodeGroup.instanceType = type;
    p.clusters[0].nodeGroups.push({ name: "cpu", instanceType: type, minSize: 1, desiredSize: 1, maxSize: 1 });
    // Small types cannot hold the platform's CPU pods (validate-cpu-capacity.ts): nodes of a known size do.
    p.clusters[0].nodeGroups.push({ name: "cpu-pods", instanceType: "m6i.4xlarge", minSize: 1, desiredSize: 1, maxSize: 1 });
    assert.doesNotThrow(() => parsePlatform(p, "prod"), type);
  }
  const gce = ["e2-micro", "e2-medium", "f1-micro", "g1-small", "n1-standard-1", "n2d-standard-224", "n4-highmem-80", "c2d-highcpu-112", "c3-standard-8-lssd",
    "c3-highmem-192-metal", "c4-standard-288-lssd-metal", "c4d-highmem-384-lssd", "t2d-standard-60", "m3-megamem-64", "n1-megamem-96", "z3-highmem-8-highlssd",
    "custom-1-1024", "custom-6-23040-ext", "e2-custom-4-8192", "e2-custom-medium-4096", "n2-custom-36-18432-ext", "n2d-custom-48-49152", "n4-custom-2-14336"];
  for (const type of gce) {
    const p = shippedPlatform("prod");
    p.clusters[2].serverMachineType = type;
    p.clusters[2].nodeGroups[0].instanceType = type;
    p.clusters[2].nodeGroups.push({ name: "cpu-pods", instanceType: "e2-standard-16", minSize: 1, desiredSize: 1, maxSize: 1 });
    assert.doesNotThrow(() => parsePlatform(p, "prod"), type);
  }
});

test("an A3 High type with fewer than 8 GPUs is refused unless spot (GCE provisions it only as Spot or Flex-start VMs)", () => {
  // Other problems (a model that no longer fits) may remain; none may be about spot.
  const spotRefused = (p: unknown) => {
    try {
      parsePlatform(p, "prod");
      return false;
    } catch {
      return pathsOf(p).some((at) => at.startsWith("clusters[2].nodeGroups[1].spot"));
    }
  };
  for (const type of ["a3-highgpu-1g", "a3-highgpu-2g", "a3-highgpu-4g"]) {
    const p = shippedPlatform("prod");
    Object.assign(p.clusters[2].nodeGroups[1], { instanceType: type, spot: false });
    expectProblem(p, "inference-mesh:platform.clusters[2].nodeGroups[1].spot", new RegExp(`'${type}' is provisioned only as Spot or Flex-start VMs.*set spot: true`));
    p.clusters[2].nodeGroups[1].spot = true;
    assert.ok(!spotRefused(p), type);
  }
  // The whole board (8 GPUs) is sold on demand.
  const p = shippedPlatform("prod");
  Object.assign(p.clusters[2].nodeGroups[1], { instanceType: "a3-highgpu-8g", spot: false });
  assert.ok(!spotRefused(p));
});
