/**
 * A public EKS endpoint's publicAccessCidrs hold internet sources only. The EKS user guide
 * (config-cluster-endpoint, "Configure endpoint access"): the CIDR blocks "cannot include reserved
 * addresses"; a source in a private, loopback or link-local range never reaches a public endpoint
 * either. Before, such an entry passed the render and EKS refused the create or update
 * ("The following CIDRs are invalid in publicAccessCidrs").
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

const reserved: [what: string, cidr: string, range: string][] = [
  ["private (RFC 1918) 10/8", "10.20.0.0/16", "10.0.0.0/8"],
  ["private (RFC 1918) 172.16/12", "172.16.0.0/12", "172.16.0.0/12"],
  ["private (RFC 1918) 192.168/16", "192.168.1.0/24", "192.168.0.0/16"],
  ["loopback", "127.0.0.1/32", "127.0.0.0/8"],
  ["link-local", "169.254.169.254/32", "169.254.0.0/16"],
  ["shared address space (carrier-grade NAT)", "100.64.0.0/16", "100.64.0.0/10"],
  ["'this' network", "0.0.0.0/8", "0.0.0.0/8"],
  ["multicast", "224.0.0.0/24", "224.0.0.0/4"],
  ["class E", "240.0.0.0/8", "240.0.0.0/4"],
];

testRejections(
  reserved.map(([what, cidr, range]) => ({
    name: `a ${what} block in a public EKS endpoint's publicAccessCidrs`,
    mutate: (p: any) => publicEks(p, ["203.0.113.0/24", cidr]),
    path: "inference-mesh:platform.clusters[0].publicAccessCidrs[1]",
    message: new RegExp(`: ${cidr.replace(/\./g, "\\.")} ${cidr === range ? "is" : "lies in"} ${range.replace(/\./g, "\\.")} \\(.+\\), a reserved range no internet client has: EKS takes public \\(internet-routable\\) IPv4 blocks only`),
  })),
);

/**
 * A wider block holding a reserved range "includes reserved addresses" as much as one inside it:
 * EKS refuses it too. 0.0.0.0/0, EKS's own default, is the one exception (refused on its own by
 * the open-range rule, not as reserved).
 */
const holding: [cidr: string, ranges: string[]][] = [
  ["0.0.0.0/1", ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8"]],
  ["10.0.0.0/7", ["10.0.0.0/8"]],
  ["96.0.0.0/3", ["100.64.0.0/10", "127.0.0.0/8"]],
  ["192.0.0.0/16", ["192.0.0.0/24"]],
  ["224.0.0.0/3", ["224.0.0.0/4", "240.0.0.0/4"]],
];

testRejections(
  holding.map(([cidr, ranges]) => ({
    name: `a public EKS endpoint's publicAccessCidrs entry ${cidr} holding reserved ranges`,
    mutate: (p: any) => publicEks(p, ["203.0.113.0/24", cidr]),
    path: "inference-mesh:platform.clusters[0].publicAccessCidrs[1]",
    message: new RegExp(
      `: ${cidr.replace(/\./g, "\\.")} holds ${ranges.map((r) => `${r.replace(/\./g, "\\.")} \\(.+?\\)`).join(", ")}, reserved range\\(s\\) no internet client has: EKS takes no block that includes reserved addresses`,
    ),
  })),
);

test("0.0.0.0/0 is refused as the whole internet, not as a block holding reserved ranges", () => {
  const p = shippedPlatform("prod");
  publicEks(p, ["0.0.0.0/0"]);
  assert.throws(
    () => parsePlatform(p, "prod"),
    (e: Error) => /publicAccessCidrs\[0\]: 0\.0\.0\.0\/0 opens the EKS API to the whole internet/.test(e.message) && !/reserved range/.test(e.message),
  );
});

test("the message says what to list instead", () => {
  const p = shippedPlatform("prod");
  publicEks(p, ["10.0.0.0/16"]);
  assert.throws(() => parsePlatform(p, "prod"), /publicAccessCidrs\[0\]: .*list the public addresses your clients reach the internet from.*or keep endpointPublicAccess false/);
});

test("public blocks pass, wide ones holding no reserved range too, documentation ranges (the EKS guide's own example is 203.0.113.5/32) too", () => {
  const p = shippedPlatform("prod");
  publicEks(p, ["203.0.113.5/32", "198.51.100.0/24", "192.0.2.0/24", "8.8.8.0/24", "100.128.0.0/16", "172.32.0.0/16", "64.0.0.0/3", "11.0.0.0/8"]);
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
});

test("a private endpoint's list is refused once, as a list, not per reserved entry", () => {
  const p = shippedPlatform("prod");
  p.clusters[0].publicAccessCidrs = ["10.0.0.0/16"];
  assert.throws(
    () => parsePlatform(p, "prod"),
    (e: Error) => /publicAccessCidrs: is set but endpointPublicAccess is false/.test(e.message) && !/reserved range/.test(e.message),
  );
});
