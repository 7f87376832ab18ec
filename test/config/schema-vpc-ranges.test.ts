/**
 * An EKS VPC in the link-local block: the Amazon VPC user guide (VPC CIDR blocks, "IPv4 CIDR
 * block association restrictions") says 169.254.0.0/16 is reserved (RFC 5735) and cannot be
 * assigned to VPCs; before, the render passed and CreateVpc failed in `pulumi up`. The rest of
 * the space is the VPC's to take (RFC 1918, 100.64.0.0/10, 198.19.0.0/16, publicly routable
 * blocks), 172.17.0.0/16 included: AWS only advises against it for Cloud9 and SageMaker, which
 * conflict with Docker's bridge there; this stack runs neither. GCE's prohibited subnet ranges
 * (the link-local block among them) are schema-cidr-lists' cases.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { shippedPlatform } from "../support/render";
import { testRejections } from "./support";

testRejections(
  ["169.254.0.0/16", "169.254.16.0/20"].map((range) => ({
    name: `an EKS VPC in the link-local block (${range})`,
    mutate: (p: any) => (p.clusters[0].vpcCidr = range),
    path: "inference-mesh:platform.clusters[0].vpcCidr",
    message: new RegExp(`: ${range.replace(/\./g, "\\.")} overlaps 169\\.254\\.0\\.0/16 \\(link-local, RFC 3927\\), which AWS assigns to no VPC.*pick a private range such as 10\\.0\\.0\\.0/16`),
  })),
);

test("an EKS VPC in any other range passes: RFC 1918 (172.17.0.0/16 too), 100.64.0.0/10, 198.19.0.0/16, a public block", () => {
  for (const range of ["192.168.0.0/16", "172.17.0.0/16", "100.64.0.0/16", "198.19.0.0/16", "203.0.113.0/24"]) {
    const p = shippedPlatform("prod");
    p.clusters[0].vpcCidr = range;
    assert.doesNotThrow(() => parsePlatform(p, "prod"), range);
  }
});
