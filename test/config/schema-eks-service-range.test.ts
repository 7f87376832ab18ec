/**
 * An EKS cluster's service range beside the other clusters' networks: the program sets no
 * kubernetesNetworkConfig.serviceIpv4Cidr, so EKS takes 10.100.0.0/16 or 172.20.0.0/16 (EKS API,
 * KubernetesNetworkConfigRequest: pick a block that does not overlap networks peered or connected
 * to the VPC), 172.20.0.0/16 when the VPC's CIDR is in 10.0.0.0/8 (the node bootstrap picks its
 * cluster DNS address by the same rule: awslabs/amazon-eks-ami files/bootstrap.sh). A peer network
 * inside it is one the cluster's pods cannot reliably reach: kube-proxy rewrites an address a
 * ClusterIP takes. Before, such a stack passed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { shippedPlatform } from "../support/render";
import { testRejections } from "./support";

testRejections([
  {
    name: "a k3s subnet inside the service range EKS gives a cluster whose VPC is in 10.0.0.0/8 (172.20.0.0/16)",
    mutate: (p: any) => (p.clusters[2].subnetCidr = "172.20.0.0/20"),
    path: "inference-mesh:platform.clusters[2].subnetCidr",
    message:
      /172\.20\.0\.0\/20 overlaps 172\.20\.0\.0\/16, the Kubernetes service range EKS gives cluster 'aws-use1' \(clusters\[0\]\): its vpcCidr 10\.10\.0\.0\/16 lies in 10\.0\.0\.0\/8, and the program sets no serviceIpv4Cidr/,
  },
  {
    name: "an EKS VPC inside the service range EKS gives another cluster whose VPC is outside 10.0.0.0/8 (10.100.0.0/16)",
    mutate: (p: any) => {
      p.clusters[0].vpcCidr = "192.168.0.0/16";
      p.clusters[1].vpcCidr = "10.100.0.0/16";
    },
    path: "inference-mesh:platform.clusters[1].vpcCidr",
    message:
      /10\.100\.0\.0\/16 overlaps 10\.100\.0\.0\/16, the Kubernetes service range EKS gives cluster 'aws-use1' \(clusters\[0\]\): its vpcCidr 192\.168\.0\.0\/16 lies outside 10\.0\.0\.0\/8.*pick a range outside 10\.100\.0\.0\/16/,
  },
]);

test("each EKS cluster is judged against its own service range: a k3s subnet in 172.20.0.0/16 names both 10.x EKS clusters of prod", () => {
  const p = shippedPlatform("prod");
  p.clusters[2].subnetCidr = "172.20.0.0/20";
  assert.throws(
    () => parsePlatform(p, "prod"),
    (e: Error) => /service range EKS gives cluster 'aws-use1'/.test(e.message) && /service range EKS gives cluster 'aws-euw1'/.test(e.message),
  );
});

test("a cluster's own VPC never meets its own default service range, and the service ranges of two clusters may overlap", () => {
  const p = shippedPlatform("prod");
  // 172.20.0.0/16 is outside 10.0.0.0/8, so that cluster takes 10.100.0.0/16, as the other one
  // does: Services are no cluster's peer network, so their ranges may meet.
  p.clusters[0].vpcCidr = "172.20.0.0/16";
  p.clusters[1].vpcCidr = "172.21.0.0/16";
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
});
