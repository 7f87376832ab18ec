/**
 * EKS pieces as plain data: node group plans (AMI type, taints, labels, capacity, sizes), VPC
 * subnet tags, control-plane endpoint access, and the kubeconfig the Kubernetes provider uses.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as yaml from "js-yaml";
import { parsePlatform, EksClusterSpec } from "../../infra/config";
import { shippedPlatform } from "../support/render";
import { clusterNodeGroupPlans, nodeGroupPlan, eksTaintEffect, nodeGroupLabel } from "../../components/cloud/aws/nodegroups";
import { vpcArgs } from "../../components/cloud/aws/network";
import { eksClusterArgs, publicAccessCidrs } from "../../components/cloud/aws/eks";
import { eksKubeconfig } from "../../components/cloud/kubeconfig";
import { offeringsQuery, regionOfferingProblem, subnetsInZonesQuery, vpcOfferingProblem } from "../../components/cloud/aws/zones";

function eksCluster(stack: "dev" | "prod", name: string): EksClusterSpec {
  const spec = parsePlatform(shippedPlatform(stack), stack);
  const c = spec.clusters.find((x) => x.name === name);
  assert.ok(c && c.cloud === "aws");
  return c;
}

test("GPU node groups run the NVIDIA AL2023 AMI, carry the GPU taint and advertise their GPUs", () => {
  const c = eksCluster("prod", "aws-use1");
  const h100 = nodeGroupPlan(c, c.nodeGroups.find((g) => g.name === "gpu-h100")!);
  assert.equal(h100.amiType, "AL2023_x86_64_NVIDIA");
  assert.deepEqual(h100.instanceTypes, ["p5.48xlarge"]);
  assert.deepEqual(h100.taints, [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }]);
  assert.equal(h100.labels["nvidia.com/gpu.product"], "NVIDIA-H100-80GB-HBM3");
  assert.equal(h100.labels["nvidia.com/gpu.count"], "8");
  assert.equal(h100.labels["nvidia.com/gpu.memory"], "81559");
  assert.equal(h100.labels[nodeGroupLabel], "gpu-h100");
  assert.deepEqual(h100.scalingConfig, { minSize: 0, desiredSize: 1, maxSize: 2 });
  assert.equal(h100.capacityType, "ON_DEMAND");
  assert.equal(h100.logicalName, "aws-use1-gpu-h100");
});

test("spot node groups ask EKS for SPOT capacity", () => {
  const c = eksCluster("prod", "aws-euw1");
  const plans = clusterNodeGroupPlans(c);
  assert.deepEqual(plans.map((p) => [p.nodeGroupName, p.capacityType]), [
    ["system", "ON_DEMAND"],
    ["gpu-a10g", "ON_DEMAND"],
    ["gpu-a10g-spot", "SPOT"],
  ]);
});

test("the system node group is CPU-only: standard AMI, no taints, no GPU labels", () => {
  const [system] = clusterNodeGroupPlans(eksCluster("dev", "dev-usw2"));
  assert.equal(system.amiType, "AL2023_x86_64_STANDARD");
  assert.deepEqual(system.taints, []);
  assert.deepEqual(system.instanceTypes, ["m6i.xlarge"]);
  assert.ok(!Object.keys(system.labels).some((k) => k.startsWith("nvidia.com/")));
});

test("a CPU instance type in nodeGroups gets a CPU node group", () => {
  const c = eksCluster("dev", "dev-usw2");
  const plan = nodeGroupPlan(c, { name: "cpu", instanceType: "m6i.2xlarge", minSize: 1, desiredSize: 1, maxSize: 2, spot: false, diskSizeGiB: 100 });
  assert.equal(plan.amiType, "AL2023_x86_64_STANDARD");
  assert.deepEqual(plan.taints, []);
  assert.equal(plan.gpusPerNode, 0);
});

test("taint effects use the EKS API spelling", () => {
  assert.equal(eksTaintEffect("NoSchedule"), "NO_SCHEDULE");
  assert.equal(eksTaintEffect("NoExecute"), "NO_EXECUTE");
  assert.equal(eksTaintEffect("PreferNoSchedule"), "PREFER_NO_SCHEDULE");
});

test("subnets are tagged for internet-facing (public) and internal (private) load balancers", () => {
  const args = vpcArgs(eksCluster("prod", "aws-use1"), { env: "prod" });
  assert.equal(args.cidrBlock, "10.10.0.0/16");
  assert.equal(args.numberOfAvailabilityZones, 3);
  const byType = Object.fromEntries(args.subnetSpecs!.map((s) => [s.type, s.tags as Record<string, string>]));
  assert.equal(byType.Public["kubernetes.io/role/elb"], "1");
  assert.equal(byType.Private["kubernetes.io/role/internal-elb"], "1");
  // The EKS cluster is auto-named: a cluster tag with the config name would make both load
  // balancer integrations skip every subnet.
  for (const tags of Object.values(byType)) assert.deepEqual(Object.keys(tags).filter((k) => k.startsWith("kubernetes.io/cluster/")), []);
  assert.equal(args.natGateways?.strategy, "OnePerAz");
});

test("the API endpoint is private-only in prod and public only to the configured CIDRs in dev", () => {
  const vpc = { vpcId: "vpc-1", publicSubnetIds: ["a"], privateSubnetIds: ["b"] };
  const prod = eksClusterArgs(eksCluster("prod", "aws-use1"), "1.33", vpc);
  assert.equal(prod.endpointPublicAccess, false);
  assert.equal(prod.endpointPrivateAccess, true);
  assert.equal(prod.publicAccessCidrs, undefined);
  assert.equal(prod.authenticationMode, "API");
  assert.equal(prod.skipDefaultNodeGroup, true);
  // The inference gateway's NetworkPolicy is only enforced with the VPC CNI's network policy agent.
  assert.deepEqual(prod.vpcCniOptions, { enableNetworkPolicy: true });
  const dev = eksClusterArgs(eksCluster("dev", "dev-usw2"), "1.33", vpc);
  assert.equal(dev.endpointPublicAccess, true);
  assert.deepEqual(dev.publicAccessCidrs, ["203.0.113.0/24"]);
});

test("the EKS kubeconfig asks for tokens in the cluster's own region", () => {
  const doc = yaml.load(
    eksKubeconfig({ clusterName: "phys-name", endpoint: "https://x.eks", certificateAuthorityData: "Q0E=", region: "eu-west-1", contextName: "aws-euw1" }),
  ) as any;
  assert.equal(doc["current-context"], "aws-euw1");
  assert.equal(doc.clusters[0].cluster.server, "https://x.eks");
  assert.equal(doc.clusters[0].cluster["certificate-authority-data"], "Q0E=");
  const exec = doc.users[0].user.exec;
  assert.equal(exec.command, "aws");
  assert.deepEqual(exec.args.slice(0, 6), ["eks", "get-token", "--cluster-name", "phys-name", "--region", "eu-west-1"]);
});

test("a public endpoint's CIDRs: the configured ones, then the peers' egress addresses as /32, once each", () => {
  assert.deepEqual(publicAccessCidrs(["203.0.113.0/24"], ["3.1.2.3", "34.8.142.10", "3.1.2.3"]), ["203.0.113.0/24", "3.1.2.3/32", "34.8.142.10/32"]);
  assert.deepEqual(publicAccessCidrs(["203.0.113.0/24"], []), ["203.0.113.0/24"]);
});

test("node groups ask EC2 which zones offer their type, and take only the private subnets there", () => {
  // DescribeInstanceTypeOfferings by zone name, and DescribeSubnets for the subnets in those zones.
  assert.deepEqual(offeringsQuery("g6e.12xlarge"), { locationType: "availability-zone", filters: [{ name: "instance-type", values: ["g6e.12xlarge"] }] });
  assert.deepEqual(subnetsInZonesQuery(["subnet-1", "subnet-2"], ["us-east-1a", "us-east-1b"]), {
    filters: [
      { name: "subnet-id", values: ["subnet-1", "subnet-2"] },
      { name: "availability-zone", values: ["us-east-1a", "us-east-1b"] },
    ],
  });
});

test("a type the region offers nowhere, or not in the VPC's zones, is an error naming group, type and zones", () => {
  const place = { cluster: "aws-euw1", group: "gpu-l40s", region: "eu-west-1", instanceType: "g6e.12xlarge" };
  assert.equal(regionOfferingProblem(place, ["eu-west-1a"]), undefined);
  assert.match(regionOfferingProblem(place, [])!, /'aws-euw1' node group 'gpu-l40s': eu-west-1 offers g6e\.12xlarge in none of its Availability Zones/);
  assert.equal(vpcOfferingProblem(place, ["eu-west-1c"], ["subnet-1"]), undefined);
  assert.match(vpcOfferingProblem(place, ["eu-west-1c", "eu-west-1b"], [])!, /only in eu-west-1b, eu-west-1c, none of which the cluster's VPC spans/);
});
