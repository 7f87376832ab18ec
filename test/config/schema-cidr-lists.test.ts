/**
 * Source-range lists (an EKS endpoint's publicAccessCidrs, a k3s cluster's apiAllowedCidrs,
 * hbonePeerCidrs and gatewayAllowedCidrs) with an entry that admits nothing of its own: listed
 * twice, or inside a wider entry of the same list. The providers hold these lists as sets and
 * keep one copy, so the entry would be dropped without a word; it is refused at its path.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { shippedPlatform } from "../support/render";
import { testRejections } from "./support";

const publicEks = (p: any, cidrs: string[]) => {
  Object.assign(p.clusters[0], { endpointPublicAccess: true, publicAccessCidrs: cidrs });
  p.policy.allowPublicApiEndpoints = true;
};

testRejections([
  // Go's net.ParseCIDR (Go 1.17 on) refuses it, and so the AWS provider's CIDR check; inet_aton reads 010 as 8.
  {
    name: "a CIDR octet with a leading zero in a VPC range",
    mutate: (p) => (p.clusters[0].vpcCidr = "010.10.0.0/16"),
    path: "inference-mesh:platform.clusters[0].vpcCidr",
    message: /: '010\.10\.0\.0\/16' octet '010' has a leading zero, which Go's net\.ParseCIDR \(the AWS provider's CIDR check\) refuses and inet_aton-style parsers read as octal: write 10$/,
  },
  {
    name: "a CIDR octet with a leading zero in a source-range list",
    mutate: (p) => (p.clusters[2].apiAllowedCidrs = ["10.10.0.0/16", "198.051.100.0/24"]),
    path: "inference-mesh:platform.clusters[2].apiAllowedCidrs[1]",
    message: /octet '051' has a leading zero.*write 51$/,
  },
  {
    name: "a public EKS endpoint's CIDR listed twice",
    mutate: (p) => publicEks(p, ["203.0.113.0/24", "198.51.100.0/24", "203.0.113.0/24"]),
    path: "inference-mesh:platform.clusters[0].publicAccessCidrs[2]",
    message: /: 203\.0\.113\.0\/24 is already publicAccessCidrs\[0\]: .*keeps one copy.*remove it, or write the range you meant/,
  },
  {
    name: "a public EKS endpoint's CIDR inside a wider one of the list",
    mutate: (p) => publicEks(p, ["203.0.113.7/32", "203.0.113.0/24"]),
    path: "inference-mesh:platform.clusters[0].publicAccessCidrs[0]",
    message: /: 203\.0\.113\.7\/32 lies inside 203\.0\.113\.0\/24 \(publicAccessCidrs\[1\]\), which already admits it: /,
  },
  {
    name: "a k3s API CIDR listed twice",
    mutate: (p) => (p.clusters[2].apiAllowedCidrs = ["10.10.0.0/16", "10.10.0.0/16"]),
    path: "inference-mesh:platform.clusters[2].apiAllowedCidrs[1]",
    message: /: 10\.10\.0\.0\/16 is already apiAllowedCidrs\[0\]: /,
  },
  {
    name: "a k3s API CIDR inside a wider one",
    mutate: (p) => (p.clusters[2].apiAllowedCidrs = ["10.0.0.0/8", "10.11.0.0/16"]),
    path: "inference-mesh:platform.clusters[2].apiAllowedCidrs[1]",
    message: /: 10\.11\.0\.0\/16 lies inside 10\.0\.0\.0\/8 \(apiAllowedCidrs\[0\]\)/,
  },
  {
    name: "a gateway source range inside the default 0.0.0.0/0 written beside it",
    mutate: (p) => (p.clusters[2].gatewayAllowedCidrs = ["0.0.0.0/0", "198.51.100.0/24"]),
    path: "inference-mesh:platform.clusters[2].gatewayAllowedCidrs[1]",
    message: /: 198\.51\.100\.0\/24 lies inside 0\.0\.0\.0\/0 \(gatewayAllowedCidrs\[0\]\)/,
  },
  {
    name: "an HBONE peer CIDR listed twice",
    mutate: (p) => (p.clusters[2].hbonePeerCidrs = ["192.0.2.10/32", "192.0.2.10/32"]),
    path: "inference-mesh:platform.clusters[2].hbonePeerCidrs[1]",
    message: /: 192\.0\.2\.10\/32 is already hbonePeerCidrs\[0\]/,
  },
]);

test("disjoint ranges, adjacent or not, pass", () => {
  const p = shippedPlatform("prod");
  publicEks(p, ["203.0.113.0/25", "203.0.113.128/25", "198.51.100.7/32"]);
  p.clusters[2].apiAllowedCidrs = ["10.10.0.0/16", "10.11.0.0/16", "198.51.100.0/24"];
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
});

test("one problem per redundant entry: a range listed three times is reported twice, not three times", () => {
  const p = shippedPlatform("prod");
  p.clusters[2].apiAllowedCidrs = ["10.10.0.0/16", "10.10.0.0/16", "10.10.0.0/16"];
  assert.throws(
    () => parsePlatform(p, "prod"),
    (e: Error) => (e.message.match(/apiAllowedCidrs\[\d\]: 10\.10\.0\.0\/16 is already/g) ?? []).length === 2,
  );
});

// Before, a k3s subnet in a range GCE takes in no subnet passed, and the subnet failed inside
// `pulumi up`. The ranges and their names are Google's (VPC docs, Subnets, "Prohibited IPv4 subnet
// ranges"): 199.36.153.4/30 and 199.36.153.8/30 (Private Google Access-specific virtual IP
// addresses), 0.0.0.0/8 (current (local) network), 127.0.0.0/8 (local host), 169.254.0.0/16
// (link-local), 224.0.0.0/4 (multicast (Class D)), 255.255.255.255/32 (limited broadcast).
testRejections([
  ["link-local", "169.254.0.0/20", /169\.254\.0\.0\/20 overlaps 169\.254\.0\.0\/16 \(link-local, RFC 3927\), which GCE takes in no subnet/],
  ["local host", "127.0.0.0/24", /overlaps 127\.0\.0\.0\/8 \(local host, RFC 1122\)/],
  ["current (local) network", "0.0.0.0/20", /overlaps 0\.0\.0\.0\/8 \(current \(local\) network, RFC 1122\)/],
  ["multicast", "224.0.0.0/20", /overlaps 224\.0\.0\.0\/4 \(multicast \(Class D\), RFC 5771\)/],
  ["Private Google Access VIP", "199.36.153.0/24", /overlaps 199\.36\.153\.4\/30 \(Private Google Access-specific virtual IP addresses\)/],
  ["second Private Google Access VIP", "199.36.153.8/29", /overlaps 199\.36\.153\.8\/30 \(Private Google Access-specific virtual IP addresses\)/],
  ["limited broadcast", "255.255.255.0/24", /overlaps 255\.255\.255\.255\/32 \(limited broadcast destination address, RFC 8190 and RFC 919\)/],
].map(([what, range, message]) => ({
  name: `a k3s subnet in the ${what} range`,
  mutate: (p: any) => (p.clusters[2].subnetCidr = range),
  path: "inference-mesh:platform.clusters[2].subnetCidr",
  message: message as RegExp,
})));

test("a k3s subnet in a range Google lists as valid passes (RFC 1918, 100.64.0.0/10, 192.0.0.0/24, 192.88.99.0/24, 198.18.0.0/15, class E)", () => {
  for (const range of ["192.168.10.0/24", "100.64.0.0/20", "192.0.0.0/24", "192.88.99.0/24", "198.18.0.0/20", "240.0.0.0/20"]) {
    const p = shippedPlatform("prod");
    p.clusters[2].subnetCidr = range;
    assert.doesNotThrow(() => parsePlatform(p, "prod"), range);
  }
});
