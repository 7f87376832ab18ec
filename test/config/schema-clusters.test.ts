/**
 * The platform config schema, clusters: their names, clouds and kinds, address ranges (VPCs, k3s
 * subnets, pod and service ranges), regions and zones, public API endpoints (existing clusters'
 * kubeconfigs: schema-existing-clusters.test.ts). Each broken config is rejected with a message
 * naming its config path (expectProblem, ./support).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { problemsOf } from "../support/config";
import { shippedPlatform } from "../support/render";
import { Region as PulumiAwsRegion } from "@pulumi/aws/types/enums";
import { awsRegions, gcpRegions, zonesOf } from "../../infra/regions";
import { expectEachRejected, expectProblem, pathsOf, RejectCase, Rejection, testRejections } from "./support";

test("the k3s API may be public when the policy allows public API endpoints; an in-cluster JWKS over https is allowed", () => {
  const p = shippedPlatform("prod");
  p.clusters[2].apiAllowedCidrs = ["0.0.0.0/0"];
  p.policy.allowPublicApiEndpoints = true;
  p.gateways.agents.jwt.jwksUri = "https://keycloak.auth.svc.cluster.local:8443/realms/agents/protocol/openid-connect/certs";
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
});

test("a public EKS endpoint takes as many CIDRs as leave room for the other clusters' egress addresses (EKS's 40 in all)", () => {
  const p = shippedPlatform("prod");
  // aws-euw1's 3 NAT gateways and gcp-usc1's server and Cloud NAT: 5 of the 40.
  Object.assign(p.clusters[0], { endpointPublicAccess: true, publicAccessCidrs: Array.from({ length: 35 }, (_, i) => `198.51.${i}.0/24`) });
  p.policy.allowPublicApiEndpoints = true;
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
  p.clusters[1].natGateways = "Single";
  p.clusters[0].publicAccessCidrs.push("198.51.35.0/24", "198.51.36.0/24");
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
});

const cases: RejectCase[] = [
  {
    name: "duplicated cluster name",
    mutate: (p) => p.clusters.push({ ...p.clusters[0], network: "net-other" }),
    path: "inference-mesh:platform.clusters[3].name",
    message: /duplicate cluster name 'aws-use1'.*must be unique/,
  },
  {
    name: "duplicated network name",
    mutate: (p) => (p.clusters[1].network = p.clusters[0].network),
    path: "inference-mesh:platform.clusters[1].network",
    message: /duplicate network name 'net-aws-use1'/,
  },
  {
    name: "a cloud the platform does not know",
    mutate: (p) => (p.clusters[0].cloud = "azure"),
    path: "inference-mesh:platform.clusters[0].cloud",
    message: /'aws' \(kind 'eks'\), 'gcp' \(kind 'k3s'\), 'existing'/,
  },
  {
    name: "a kind that does not match the cloud",
    mutate: (p) => (p.clusters[0].kind = "k3s"),
    path: "inference-mesh:platform.clusters[0].kind",
    message: /eks/,
  },
  {
    name: "a cluster name that is not DNS-1123",
    mutate: (p) => (p.clusters[0].name = "AWS_use1"),
    path: "inference-mesh:platform.clusters[0].name",
    message: /DNS-1123/,
  },
  {
    name: "a public EKS endpoint without allowed CIDRs",
    mutate: (p) => (p.clusters[0].endpointPublicAccess = true),
    path: "inference-mesh:platform.clusters[0].publicAccessCidrs",
    message: /public EKS endpoint needs the CIDRs/,
  },
  {
    name: "a CIDR with an octet over 255",
    mutate: (p) => (p.clusters[0].vpcCidr = "10.300.0.0/16"),
    path: "inference-mesh:platform.clusters[0].vpcCidr",
    message: /'10\.300\.0\.0\/16' octet 300 is over 255/,
  },
  {
    name: "a CIDR with host bits set",
    mutate: (p) => (p.clusters[2].apiAllowedCidrs = ["198.51.100.7/24"]),
    path: "inference-mesh:platform.clusters[2].apiAllowedCidrs[0]",
    message: /host bits set; the network is 198\.51\.100\.0\/24/,
  },
  {
    name: "a prefix over /32",
    mutate: (p) => (p.clusters[0].publicAccessCidrs = ["203.0.113.0/33"]),
    path: "inference-mesh:platform.clusters[0].publicAccessCidrs[0]",
    message: /prefix \/33 is over \/32/,
  },
  {
    name: "two clusters' address ranges overlapping",
    mutate: (p) => (p.clusters[2].subnetCidr = "10.11.128.0/20"),
    path: "inference-mesh:platform.clusters[2].subnetCidr",
    message: /10\.11\.128\.0\/20 overlaps 10\.11\.0\.0\/16 of cluster 'aws-euw1' \(clusters\[1\]\.vpcCidr\)/,
  },
  {
    name: "a k3s subnet over k3s's own pod range",
    mutate: (p) => (p.clusters[2].subnetCidr = "10.42.0.0/20"),
    path: "inference-mesh:platform.clusters[2].subnetCidr",
    message: /overlaps k3s's pod range \(cluster-cidr\) 10\.42\.0\.0\/16/,
  },
  {
    name: "an EKS VPC inside a k3s cluster's pod range (its pods route those addresses into flannel's overlay, unmasqueraded)",
    mutate: (p) => (p.clusters[0].vpcCidr = "10.42.0.0/16"),
    path: "inference-mesh:platform.clusters[0].vpcCidr",
    message: /10\.42\.0\.0\/16 overlaps the pod range \(cluster-cidr\) 10\.42\.0\.0\/16 of the k3s cluster\(s\) 'gcp-usc1', whose pods could not reach this network/,
  },
  {
    name: "an EKS VPC over both of a k3s cluster's ranges (one problem naming both)",
    mutate: (p) => (p.clusters[1].vpcCidr = "10.42.0.0/15"),
    path: "inference-mesh:platform.clusters[1].vpcCidr",
    message: /overlaps the pod range \(cluster-cidr\) 10\.42\.0\.0\/16 and service range \(service-cidr\) 10\.43\.0\.0\/16 of the k3s cluster\(s\) 'gcp-usc1'.*outside 10\.42\.0\.0\/15/,
  },
  {
    name: "an HBONE peer range inside k3s's service range (replies would go to its own Services)",
    mutate: (p) => (p.clusters[2].hbonePeerCidrs = ["192.0.2.0/24", "10.43.128.0/20"]),
    path: "inference-mesh:platform.clusters[2].hbonePeerCidrs[1]",
    message: /10\.43\.128\.0\/20 overlaps k3s's service range \(service-cidr\) 10\.43\.0\.0\/16: this cluster routes those addresses to its own pods and Services/,
  },
  {
    name: "a GCP zone outside the cluster's region",
    mutate: (p) => (p.clusters[2].zone = "europe-west4-a"),
    path: "inference-mesh:platform.clusters[2].zone",
    message: /zone 'europe-west4-a' is not in region 'us-central1'/,
  },
  {
    name: "the k3s API open to the internet while public endpoints are not allowed",
    mutate: (p) => (p.clusters[2].apiAllowedCidrs = ["0.0.0.0/0"]),
    path: "inference-mesh:platform.clusters[2].apiAllowedCidrs[0]",
    message: /opens the k3s API to the whole internet.*allowPublicApiEndpoints is false/,
  },
  {
    name: "a GCP project that is not a project ID",
    mutate: (p) => (p.clusters[2].project = "My_Project"),
    path: "inference-mesh:platform.clusters[2].project",
    message: /must be a GCP project ID/,
  },
  {
    name: "a GCP cluster name too long for the GCE names derived from it",
    mutate: (p) => {
      const long = "gcp-" + "a".repeat(28);
      p.models.forEach((m: any) => (m.clusters = m.clusters.map((c: string) => (c === p.clusters[2].name ? long : c))));
      p.clusters[2].name = long;
    },
    path: "inference-mesh:platform.clusters[2].name",
    message: /'gcp-a+' is 32 characters; gcp cluster names may have at most 31/,
  },
  {
    name: "a public EKS endpoint the stack's policy forbids",
    mutate: (p) => {
      p.clusters[0].endpointPublicAccess = true;
      p.clusters[0].publicAccessCidrs = ["203.0.113.0/24"];
    },
    path: "inference-mesh:platform.clusters[0].endpointPublicAccess",
    message: /needs policy\.allowPublicApiEndpoints: true/,
  },
  {
    name: "a public EKS endpoint open to the whole internet",
    mutate: (p) => {
      p.clusters[0].endpointPublicAccess = true;
      p.clusters[0].publicAccessCidrs = ["0.0.0.0/0"];
      p.policy.allowPublicApiEndpoints = true;
    },
    path: "inference-mesh:platform.clusters[0].publicAccessCidrs[0]",
    message: /opens the EKS API to the whole internet/,
  },
  {
    name: "more public endpoint CIDRs than EKS takes (40 per cluster, a quota it does not raise)",
    mutate: (p) => Object.assign(p.clusters[0], { endpointPublicAccess: true, publicAccessCidrs: Array.from({ length: 41 }, (_, i) => `198.51.${i}.0/24`) }),
    path: "inference-mesh:platform.clusters[0].publicAccessCidrs",
    message: /lists at most 40 CIDRs: EKS allows 40 public endpoint access CIDR ranges per cluster/,
  },
  {
    name: "public endpoint CIDRs that fit EKS's 40 alone, but not with the other clusters' egress addresses the program adds",
    mutate: (p) => {
      Object.assign(p.clusters[0], { endpointPublicAccess: true, publicAccessCidrs: Array.from({ length: 36 }, (_, i) => `198.51.${i}.0/24`) });
      p.policy.allowPublicApiEndpoints = true;
    },
    path: "inference-mesh:platform.clusters[0].publicAccessCidrs",
    message: /lists 36 CIDRs, and the program adds the other clusters' 5 egress addresses .* 41 in all: EKS allows 40 .* list at most 35 .*, or give 'aws-euw1' natGateways: Single$/,
  },
  {
    name: "public endpoint CIDRs over the quota with the other EKS cluster already on a Single NAT gateway (no NAT change to suggest)",
    mutate: (p) => {
      Object.assign(p.clusters[0], { endpointPublicAccess: true, publicAccessCidrs: Array.from({ length: 38 }, (_, i) => `198.51.${i}.0/24`) });
      p.clusters[1].natGateways = "Single";
      p.policy.allowPublicApiEndpoints = true;
    },
    path: "inference-mesh:platform.clusters[0].publicAccessCidrs",
    message: /the other clusters' 3 egress addresses .* list at most 37 \(the other clusters' addresses need no entry of yours\)$/,
  },
  {
    name: "publicAccessCidrs on a private EKS endpoint (@pulumi/eks refuses them; they would be dropped)",
    mutate: (p) => (p.clusters[0].publicAccessCidrs = ["203.0.113.0/24"]),
    path: "inference-mesh:platform.clusters[0].publicAccessCidrs",
    message: /is set but endpointPublicAccess is false: .*remove it, or set endpointPublicAccess: true$/,
  },
  {
    name: "more availability zones than the region offers an EKS cluster (us-west-1: newer accounts see two, EKS refuses usw1-az2)",
    mutate: (p) => (p.clusters[1].region = "us-west-1"),
    path: "inference-mesh:platform.clusters[1].availabilityZones",
    message: /: 3 is more than the 2 availability zones us-west-1 offers an EKS cluster \(newer accounts see two of its three, and EKS refuses usw1-az2\); use 2 \(the table is infra\/regions\.ts\) \(not in the stack file: the default, 3, was checked; write the value meant\)$/,
  },
  {
    name: "more availability zones than the region has (awsx fails the preview)",
    mutate: (p) => (p.clusters[1].availabilityZones = 4),
    path: "inference-mesh:platform.clusters[1].availabilityZones",
    message: /: 4 is more than the 3 availability zones eu-west-1 offers an EKS cluster; use 2 to 3 \(the table is infra\/regions\.ts\)$/,
  },
  {
    name: "all six us-east-1 zones (EKS refuses use1-az3)",
    mutate: (p) => (p.clusters[0].availabilityZones = 6),
    path: "inference-mesh:platform.clusters[0].availabilityZones",
    message: /: 6 is more than the 5 availability zones us-east-1 offers an EKS cluster \(EKS refuses use1-az3, its sixth\); use 2 to 5/,
  },
];

testRejections(cases);

test("k3s's pod and service ranges bind only where a k3s cluster reaches the network: an EKS-only stack may use 10.42.0.0/16", () => {
  const p = shippedPlatform("dev");
  p.clusters[0].vpcCidr = "10.42.0.0/16";
  assert.doesNotThrow(() => parsePlatform(p, "dev"));
  const prod = shippedPlatform("prod");
  prod.clusters[0].vpcCidr = "10.42.0.0/16";
  // Reported once, on the VPC, not again on the k3s cluster.
  assert.deepEqual(problemsOf(prod).filter((l) => /10\.42\.0\.0\/16/.test(l)).map((l) => l.split(": ")[0]), ["inference-mesh:platform.clusters[0].vpcCidr"]);
});

test("a k3s subnet must hold the server's fixed host and every agent at maxSize", () => {
  const p = shippedPlatform("prod");
  p.clusters[2].subnetCidr = "10.12.0.0/28"; // 12 VM addresses up to host 13; 1 server + 4 + 3 agents
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
  p.clusters[2].subnetCidr = "10.12.0.0/29";
  expectProblem(p, "inference-mesh:platform.clusters[2].subnetCidr", /holds 4 VM address\(es\).*the k3s server takes host 10.*8 in all; use a \/28 or larger/);
  const q = shippedPlatform("prod");
  q.clusters[2].subnetCidr = "10.12.0.0/28";
  q.clusters[2].nodeGroups[0].maxSize = 8; // 1 + 8 + 3 = 12 still fits, 13 does not
  assert.doesNotThrow(() => parsePlatform(q, "prod"));
  q.clusters[2].nodeGroups[0].maxSize = 9;
  expectProblem(q, "inference-mesh:platform.clusters[2].subnetCidr", /13 in all; use a \/27 or larger/);
  // Beside another problem: both reported at once.
  q.models[0].versions[0].weight = 85;
  assert.deepEqual(pathsOf(q), ["clusters[2].subnetCidr", "models[0].versions"]);
});

test("an AWS VPC is a /16 to a /28 and large enough for a private and a public subnet per availability zone", () => {
  for (const [vpcCidr, zones] of [["10.10.0.0/16", 3], ["10.10.0.0/25", 3], ["10.10.0.0/26", 2]] as const) {
    const p = shippedPlatform("prod");
    Object.assign(p.clusters[0], { vpcCidr, availabilityZones: zones });
    assert.doesNotThrow(() => parsePlatform(p, "prod"), vpcCidr);
  }
  const p = shippedPlatform("prod");
  p.clusters[0].vpcCidr = "10.10.0.0/15";
  expectProblem(p, "inference-mesh:platform.clusters[0].vpcCidr", /is a \/15; AWS VPCs take a \/16 to a \/28/);
  p.clusters[0].vpcCidr = "10.10.0.0/26";
  expectProblem(p, "inference-mesh:platform.clusters[0].vpcCidr", /3 availability zones are \/29 each.*use a \/25 or larger/);
});

test("regions and zones come from infra/regions.ts and are refused with the allowed list", () => {
  // Every commercial region the installed AWS provider knows is allowed.
  // Other partitions: China, GovCloud, the ISO regions and the European Sovereign Cloud.
  const commercial = Object.values(PulumiAwsRegion).filter((r) => !/^(cn-|us-gov-|us-iso|eu-iso|eusc-)/.test(r));
  assert.deepEqual(commercial.filter((r) => !awsRegions.includes(r)), []);
  assert.deepEqual(zonesOf("us-central1"), ["us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f"]);
  assert.deepEqual(zonesOf("toString"), []);
  const ok = shippedPlatform("prod");
  ok.clusters[0].region = "eu-central-2";
  Object.assign(ok.clusters[2], { region: "europe-west1", zone: "europe-west1-b" });
  assert.doesNotThrow(() => parsePlatform(ok, "prod"));
  const cases: Rejection[] = [
    [(p) => (p.clusters[0].region = "us-east-9"), "clusters[0].region", /must be an AWS commercial region: af-south-1, .*us-west-2 \(the table is infra\/regions\.ts/],
    [(p) => (p.clusters[0].region = "us-central1"), "clusters[0].region", /must be an AWS commercial region/],
    [(p) => Object.assign(p.clusters[2], { region: "mars-north9", zone: "mars-north9-a" }), "clusters[2].region", new RegExp(`must be a GCP region: ${gcpRegions[0]}, `)],
    [(p) => (p.clusters[2].zone = "us-central1-z"), "clusters[2].zone", /'us-central1-z' is not a zone of us-central1; its zones are us-central1-a, us-central1-b, us-central1-c, us-central1-f/],
    [(p) => Object.assign(p.clusters[2], { region: "europe-west1", zone: "europe-west1-a" }), "clusters[2].zone", /its zones are europe-west1-b, europe-west1-c, europe-west1-d/],
  ];
  expectEachRejected(cases);
});

test("availability zones up to what the region offers an EKS cluster pass", () => {
  const p = shippedPlatform("prod");
  p.clusters[0].availabilityZones = 5; // us-east-1
  p.clusters[1].region = "us-west-1";
  p.clusters[1].availabilityZones = 2;
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
  p.clusters[1].region = "us-west-2";
  p.clusters[1].availabilityZones = 4;
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
});
