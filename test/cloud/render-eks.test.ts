/**
 * The EKS clusters in the rendered prod stack (and dev's node groups): two clusters in two AWS
 * regions on providers of their own, private endpoints with access entries (a public one admitting
 * the other clusters' egress), GPU node groups with the NVIDIA AMI, taint and labels, each in the
 * zones that offer its instance type.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { renderPlatform, renderShipped, shippedPlatform } from "../support/render";
import { nameOf } from "../support/churn";
import { lookupGpuInstance } from "../../components/gpu/catalog";
import { EKS_NODE_GROUP, nodeGroupAmiType } from "../../policy/lib/gpu-nodes";

test("prod: two EKS clusters in two AWS regions, each on its own provider, tagged with its cluster", () => {
  const r = renderShipped("prod");
  assert.deepEqual(r.ofType("eks:index:Cluster").map((c) => nameOf(c.urn)).sort(), ["aws-euw1-eks", "aws-use1-eks"]);
  const awsProviders = r.ofType("pulumi:providers:aws");
  assert.deepEqual(awsProviders.map((p) => [nameOf(p.urn), (p.inputs as any).region, JSON.parse((p.inputs as any).defaultTags).tags["inference-mesh/cluster"]]).sort(), [
    ["aws-euw1-aws", "eu-west-1", "aws-euw1"],
    ["aws-use1-aws", "us-east-1", "aws-use1"],
  ]);
  const providers = new Map(awsProviders.map((p) => [`${p.urn}::${p.id}`, (p.inputs as any).region]));
  const regionOf = (cluster: string) =>
    new Set(r.ofType("aws:eks/nodeGroup:NodeGroup").filter((g) => nameOf(g.urn).startsWith(`${cluster}-`)).map((g) => providers.get(g.provider!)));
  assert.deepEqual([...regionOf("aws-use1")], ["us-east-1"]);
  assert.deepEqual([...regionOf("aws-euw1")], ["eu-west-1"]);
  for (const res of r.resources.filter((x) => x.type.startsWith("aws:"))) assert.ok(providers.has(res.provider!), `${res.urn} uses its cluster's provider`);
});

test("prod: EKS API endpoints are private, authentication uses access entries", () => {
  for (const c of renderShipped("prod").ofType("eks:index:Cluster")) {
    const i = c.inputs as any;
    assert.equal(i.endpointPublicAccess, false, c.urn);
    assert.equal(i.endpointPrivateAccess, true, c.urn);
    assert.equal(i.authenticationMode, "API", c.urn);
    assert.equal(i.skipDefaultNodeGroup, true, c.urn);
  }
});

test("prod: GPU node groups carry the NVIDIA AMI, the GPU taint and GPU labels; system groups do not", () => {
  const groups = renderShipped("prod").ofType("aws:eks/nodeGroup:NodeGroup");
  // Prefixed names, so a replaced group is created before the old one goes.
  for (const g of groups) assert.equal((g.inputs as any).nodeGroupName, undefined, g.urn);
  const gpu = groups.filter((g) => (g.inputs as any).nodeGroupNamePrefix !== "system-");
  assert.deepEqual(gpu.map((g) => nameOf(g.urn)).sort(), ["aws-euw1-gpu-a10g", "aws-euw1-gpu-a10g-spot", "aws-use1-gpu-h100", "aws-use1-gpu-l40s"]);
  for (const g of gpu) {
    const i = g.inputs as any;
    assert.equal(i.amiType, "AL2023_x86_64_NVIDIA", g.urn);
    assert.deepEqual(i.taints, [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }], g.urn);
    assert.equal(i.labels["nvidia.com/gpu.present"], "true", g.urn);
    assert.ok(i.labels["nvidia.com/gpu.product"] && i.labels["nvidia.com/gpu.count"] && i.labels["nvidia.com/gpu.memory"], g.urn);
    assert.ok(i.scalingConfig.minSize <= i.scalingConfig.desiredSize && i.scalingConfig.desiredSize <= i.scalingConfig.maxSize);
  }
  assert.equal(gpu.find((g) => nameOf(g.urn) === "aws-euw1-gpu-a10g-spot")!.inputs.capacityType, "SPOT");
  for (const g of groups.filter((g) => (g.inputs as any).nodeGroupNamePrefix === "system-")) {
    assert.equal((g.inputs as any).amiType, "AL2023_x86_64_STANDARD");
    assert.deepEqual((g.inputs as any).taints, []);
  }
});

// What EKS boots a GPU instance type on without an amiType is not documented (CreateNodegroup
// only asks callers to give a GPU AMI type with a GPU instance type), so the pack leaves such a
// group unjudged: the program never relies on it, and the pack reads every group's AMI type.
for (const stack of ["dev", "prod"] as const) {
  test(`${stack}: every EKS node group names its AMI type, the NVIDIA one exactly where its instance type has GPUs`, () => {
    const groups = renderShipped(stack).ofType(EKS_NODE_GROUP);
    assert.ok(groups.some((g) => lookupGpuInstance((g.inputs as any).instanceTypes[0])), "the stack has GPU groups");
    for (const g of groups) {
      const inputs = g.inputs as any;
      const expected = inputs.instanceTypes.some((t: string) => lookupGpuInstance(t)) ? "AL2023_x86_64_NVIDIA" : "AL2023_x86_64_STANDARD";
      assert.deepEqual(nodeGroupAmiType(g.type, inputs), { amiType: expected }, g.urn);
    }
  });
}

test("a public EKS endpoint admits the other clusters' egress addresses besides its configured CIDRs (their istiods read it from there)", () => {
  const platform = shippedPlatform("prod");
  platform.policy = { ...(platform.policy ?? {}), allowPublicApiEndpoints: true };
  Object.assign(platform.clusters[0], { endpointPublicAccess: true, publicAccessCidrs: ["198.51.100.0/24"] });
  const r = renderPlatform("public-eks", platform);
  const cidrsOf = (name: string) => (r.ofType("eks:index:Cluster").find((c) => nameOf(c.urn) === `${name}-eks`)!.inputs as any).publicAccessCidrs as string[] | undefined;
  const eipsOf = (cluster: string) => r.ofType("aws:ec2/eip:Eip").filter((e) => nameOf(e.urn).startsWith(`${cluster}-nat-`)).map((e) => `${(e.outputs as any).publicIp}/32`);
  const address = (name: string) => `${(r.ofType("gcp:compute/address:Address").find((a) => nameOf(a.urn) === name)!.outputs as any).address}/32`;
  const expected = ["198.51.100.0/24", ...eipsOf("aws-euw1"), address("gcp-usc1-api-address"), address("gcp-usc1-nat-address")];
  assert.deepEqual([...cidrsOf("aws-use1")!].sort(), expected.sort());
  for (const own of eipsOf("aws-use1")) assert.ok(!cidrsOf("aws-use1")!.includes(own), "not its own NAT addresses");
  // The engine knows the control plane waits for those addresses (create order, replacements).
  const eks = r.ofType("eks:index:Cluster").find((c) => nameOf(c.urn) === "aws-use1-eks")!;
  for (const eip of r.ofType("aws:ec2/eip:Eip").filter((e) => nameOf(e.urn).startsWith("aws-euw1-nat-"))) {
    assert.ok(eks.dependencies.includes(eip.urn), `aws-use1-eks depends on ${nameOf(eip.urn)}`);
  }
  // The private endpoint next to it takes no CIDRs.
  assert.equal(cidrsOf("aws-euw1"), undefined);
});

test("a node group whose type only some zones offer gets only the private subnets in those zones", () => {
  // The mock engine offers p4de.24xlarge in the first zone only (DescribeInstanceTypeOfferings).
  const platform = shippedPlatform("prod");
  platform.clusters.find((c: any) => c.name === "aws-use1").nodeGroups.push({ name: "gpu-a100", instanceType: "p4de.24xlarge", minSize: 0, desiredSize: 0, maxSize: 1 });
  const r = renderPlatform("scarce-zones", platform);
  const vpc = r.ofType("awsx:ec2:Vpc").find((v) => nameOf(v.urn) === "aws-use1-vpc")!;
  const privateSubnets = (vpc.outputs as any).privateSubnetIds as string[];
  const subnetsOf = (group: string) => (r.ofType("aws:eks/nodeGroup:NodeGroup").find((g) => nameOf(g.urn) === `aws-use1-${group}`)!.inputs as any).subnetIds as string[];
  assert.deepEqual(subnetsOf("gpu-a100"), [privateSubnets[0]]);
  assert.deepEqual(subnetsOf("system"), [...privateSubnets].sort());
  assert.deepEqual(subnetsOf("gpu-l40s"), [...privateSubnets].sort());
});
