/**
 * Source-range lists whose entries must each admit something of their own: an EKS endpoint's
 * publicAccessCidrs and a k3s cluster's firewall sources (apiAllowedCidrs, hbonePeerCidrs,
 * gatewayAllowedCidrs).
 *
 * Neither cloud refuses a repeated entry, because neither ever sees one: @pulumi/aws and
 * @pulumi/gcp bridge Terraform providers that hold these lists as sets of strings
 * (aws_eks_cluster vpc_config.public_access_cidrs, google_compute_firewall source_ranges), which
 * keep one copy. An entry inside a wider one of the same list (two CIDR blocks either nest or are
 * disjoint) reaches the cloud but changes nothing. Either way the entry is a slip, most often a
 * copy left unedited or a prefix wider than meant, and whoever reads the list believes it admits
 * a network it does not. So both are refused at the entry's path. A public EKS endpoint's entry
 * inside a reserved range (private, loopback, link-local…) or holding one is refused there too:
 * EKS takes none.
 */
import { PlatformConfig } from "./schema";
import { Cidr, cidrsOverlap, namedRanges, parseCidr } from "./net";
import { eachItem, Report, unlessBroken } from "./validate-support";

/** Why a repeated entry never reaches the cloud, per list. */
const SET_NOTE = {
  eks: "@pulumi/aws holds an EKS cluster's publicAccessCidrs as a set and keeps one copy, so EKS never sees this entry",
  gce: "@pulumi/gcp holds a firewall's sourceRanges as a set and keeps one copy, so GCE never sees this entry",
} as const;

/**
 * The entries of one list that admit nothing of their own, each with the entry that already
 * admits it: a later repeat of an earlier entry, or an entry inside a strictly wider one. Of
 * several copies of the widest range the first is the one kept.
 */
export function redundantCidrs(texts: readonly string[]): { index: number; by: number; same: boolean }[] {
  const ranges = texts.map((t) => parseCidr(t));
  const found: { index: number; by: number; same: boolean }[] = [];
  ranges.forEach((r, j) => {
    if (typeof r === "string") return; // reported by the schema
    const wider = ranges.findIndex((o, i) => typeof o !== "string" && i !== j && o.bits < r.bits && cidrsOverlap(o, r));
    const same = ranges.findIndex((o, i) => typeof o !== "string" && i < j && o.bits === r.bits && o.base === r.base);
    // A wider entry is named first: of [a /16, a /24 inside it, the /24 again] both /24s are the /16's.
    if (wider >= 0) found.push({ index: j, by: wider, same: false });
    else if (same >= 0) found.push({ index: j, by: same, same: true });
  });
  return found;
}

function checkList(report: Report, ci: number, field: string, texts: readonly string[], cloud: keyof typeof SET_NOTE): void {
  for (const { index, by, same } of redundantCidrs(texts)) {
    const text = texts[index];
    if (same) {
      report(["clusters", ci, field, index], `${text} is already ${field}[${by}]: ${SET_NOTE[cloud]}; remove it, or write the range you meant`);
      continue;
    }
    const quota = cloud === "eks" ? " and takes one of the 40 CIDR ranges EKS allows" : "";
    report(
      ["clusters", ci, field, index],
      `${text} lies inside ${texts[by]} (${field}[${by}]), which already admits it: the entry grants nothing of its own${quota}; ` +
        `remove it, or narrow ${field}[${by}] if it is wider than meant`,
    );
  }
}

/**
 * Address blocks no internet client has, so none is a source a public EKS endpoint ever sees: the
 * EKS user guide (config-cluster-endpoint, "Configure endpoint access") says the publicAccessCidrs
 * blocks "cannot include reserved addresses", and EKS refuses them ("The following CIDRs are invalid
 * in publicAccessCidrs"). The documentation ranges (TEST-NET-1..3) are left alone: the guide's own
 * example is 203.0.113.5/32. A block "includes" reserved addresses when it lies in one of these or
 * holds one (0.0.0.0/1 holds 10.0.0.0/8, 96.0.0.0/3 holds 100.64.0.0/10): both are refused. The one
 * block EKS takes whole is 0.0.0.0/0, its own default (the guide: no blocks means every address),
 * which the open-range rule refuses on its own.
 */
const NON_INTERNET_RANGES: [string, Cidr][] = namedRanges([
  ["'this' network, RFC 1122", "0.0.0.0/8"],
  ["private network, RFC 1918", "10.0.0.0/8"],
  ["shared address space for carrier-grade NAT, RFC 6598", "100.64.0.0/10"],
  ["loopback, RFC 1122", "127.0.0.0/8"],
  ["link-local, RFC 3927", "169.254.0.0/16"],
  ["private network, RFC 1918", "172.16.0.0/12"],
  ["IETF protocol assignments, RFC 6890", "192.0.0.0/24"],
  ["private network, RFC 1918", "192.168.0.0/16"],
  ["benchmarking, RFC 2544", "198.18.0.0/15"],
  ["multicast, RFC 5771", "224.0.0.0/4"],
  ["reserved class E and limited broadcast, RFC 1112", "240.0.0.0/4"],
]);

/**
 * How an entry includes reserved addresses: the reserved range it lies in (equal to or inside it),
 * else the reserved ranges it holds; none for 0.0.0.0/0.
 */
function reservedOverlap(cidr: Cidr): { within?: [string, Cidr]; holds: [string, Cidr][] } {
  if (cidr.bits === 0) return { holds: [] };
  const within = NON_INTERNET_RANGES.find(([, r]) => r.bits <= cidr.bits && cidrsOverlap(r, cidr));
  return { within, holds: within ? [] : NON_INTERNET_RANGES.filter(([, r]) => r.bits > cidr.bits && cidrsOverlap(r, cidr)) };
}

const EKS_REFUSES =
  `(its user guide: the blocks cannot include reserved addresses; EKS refuses the cluster with "The following CIDRs are invalid in publicAccessCidrs")`;
const LIST_INSTEAD =
  `list the public addresses your clients reach the internet from (their NAT or proxy egress IPs), ` +
  `or keep endpointPublicAccess false and reach the private endpoint over the VPC, peering or a VPN`;

function checkPublicSources(report: Report, ci: number, texts: readonly string[]): void {
  texts.forEach((text, i) => {
    const cidr = parseCidr(text);
    if (typeof cidr === "string") return; // reported by the schema
    const { within, holds } = reservedOverlap(cidr);
    const at = ["clusters", ci, "publicAccessCidrs", i];
    if (within) {
      report(
        at,
        `${text} ${within[1].bits === cidr.bits ? "is" : "lies in"} ${within[1].text} (${within[0]}), a reserved range no internet client has: EKS takes public (internet-routable) IPv4 blocks only ` +
          `${EKS_REFUSES}, and the public endpoint never sees a request from such an address; ${LIST_INSTEAD}`,
      );
    } else if (holds.length > 0) {
      report(
        at,
        `${text} holds ${holds.map(([name, r]) => `${r.text} (${name})`).join(", ")}, reserved range(s) no internet client has: EKS takes no block that includes reserved addresses ` +
          `${EKS_REFUSES}, 0.0.0.0/0 alone excepted; split it into the public blocks around them, or ${LIST_INSTEAD}`,
      );
    }
  });
}

export function checkCidrLists(report: Report, cfg: PlatformConfig): void {
  eachItem(cfg.clusters, (c, ci) => {
    if (c.cloud === "aws") unlessBroken(() => checkList(report, ci, "publicAccessCidrs", c.publicAccessCidrs, "eks"));
    // A private endpoint's list is refused whole (validate-clusters.ts).
    if (c.cloud === "aws") unlessBroken(() => c.endpointPublicAccess && checkPublicSources(report, ci, c.publicAccessCidrs));
    if (c.cloud !== "gcp") return;
    for (const field of ["apiAllowedCidrs", "hbonePeerCidrs", "gatewayAllowedCidrs"] as const) {
      unlessBroken(() => checkList(report, ci, field, c[field] ?? [], "gce"));
    }
  });
}
