/**
 * Cross-field rules of the clusters' networks: address ranges (disjoint, clear of k3s's own pod
 * and service ranges, large enough for what is carved out of them) and the API server URL an
 * existing cluster offers the other clusters' istiod.
 */
import * as path from "node:path";
import { PlatformConfig } from "./schema";
import { Cidr, cidrsOverlap, coverAllIpv4, parseCidr } from "./net";
import { AWS_PROHIBITED_VPC_RANGES, ClusterRange, GCE_PROHIBITED_SUBNET_RANGES, K3S_INTERNAL_RANGES, prohibitedRangeProblem } from "./cluster-ranges";
import { checkPeersClearOfEksServiceRanges } from "./validate-service-ranges";
import { expandHome, KubeconfigReading } from "../components/cloud/existing";
import { serverHostNumber, usableHosts } from "../components/cloud/gcp/network";
import { eachItem, readable, Report, unlessBroken } from "./validate-support";
import { egressAddressCount } from "../components/cloud/cluster";
import { apiServerKey, parseApiServerUrl } from "./api-server-url";

/** EC2 CreateVpc: a VPC's IPv4 block is a /16 to a /28; subnets likewise at most /28. */
const AWS_VPC_PREFIX = { largest: 16, smallest: 28 } as const;

/** Extra prefix bits for `count` equal parts (awsx's newBits: ceil(log2(count))). */
const newBits = (count: number) => (count <= 1 ? 0 : Math.ceil(Math.log2(count)));

/**
 * What is wrong with an EKS VPC's size: outside what CreateVpc takes, or too small for the
 * subnets components/cloud/aws/network.ts asks awsx to carve (subnetStrategy "Auto": the VPC is
 * split into one block per availability zone, and each block into a private and a public subnet,
 * so every subnet is a /(vpc + newBits(zones) + 1), pulumi/awsx awsx/ec2/subnetDistributorNew.ts).
 */
function awsVpcProblem(cidr: Cidr, zones: number): string | undefined {
  if (cidr.bits < AWS_VPC_PREFIX.largest || cidr.bits > AWS_VPC_PREFIX.smallest) {
    return `${cidr.text} is a /${cidr.bits}; AWS VPCs take a /${AWS_VPC_PREFIX.largest} to a /${AWS_VPC_PREFIX.smallest} (EC2 CreateVpc)`;
  }
  const subnetBits = cidr.bits + newBits(zones) + 1;
  if (subnetBits > AWS_VPC_PREFIX.smallest) {
    const largestPrefix = AWS_VPC_PREFIX.smallest - newBits(zones) - 1;
    return (
      `${cidr.text} is too small for its subnets: a private and a public subnet in each of ${zones} availability zones are /${subnetBits} each, ` +
      `and AWS subnets are at most a /${AWS_VPC_PREFIX.smallest}; use a /${largestPrefix} or larger, or fewer availabilityZones`
    );
  }
  return undefined;
}

/**
 * What is wrong with a k3s subnet's size: GCP reserves the first two and the last two addresses
 * of a subnet, the server takes the fixed host number serverHostNumber (hostAddress in
 * components/cloud/gcp/network.ts numbers hosts from the network address), and every agent VM of
 * every node group at maxSize takes one more.
 */
function k3sSubnetProblem(cidr: Cidr, agents: number): string | undefined {
  const fits = (bits: number) => {
    const { last, usable } = usableHosts(bits);
    return serverHostNumber <= last && usable >= 1 + agents;
  };
  if (fits(cidr.bits)) return undefined;
  let needed = cidr.bits;
  while (needed > 0 && !fits(needed)) needed--;
  const { last, usable } = usableHosts(cidr.bits);
  const hosts = usable > 0 ? `hosts 2 to ${last}` : "none";
  return (
    `${cidr.text} holds ${usable} VM address(es) (${hosts}: GCP reserves the first two and the last two of its ${2 ** (32 - cidr.bits)}), ` +
    `but the k3s server takes host ${serverHostNumber} and the node groups at maxSize add ${agents} agent VM(s), ${1 + agents} in all; use a /${needed} or larger`
  );
}

/**
 * Cluster address ranges (VPCs, subnets) must not overlap: the clusters' API servers and
 * east-west gateways are reached across them (peering, VPN), and k3s's own pod and service
 * ranges must stay clear of its subnet. Each range must also hold what is carved out of it.
 */
export function checkAddressRanges(report: Report, cfg: PlatformConfig): void {
  const ranges: ClusterRange[] = [];
  eachItem(cfg.clusters, (c, ci) => {
    if (c.cloud === "existing") return;
    const [field, text] = c.cloud === "aws" ? ["vpcCidr", c.vpcCidr] : ["subnetCidr", c.subnetCidr];
    const cidr = parseCidr(text);
    if (typeof cidr === "string") return; // reported by the schema
    for (const other of ranges) {
      if (cidrsOverlap(other.cidr, cidr)) {
        report(["clusters", ci, field], `${cidr.text} overlaps ${other.cidr.text} of cluster '${other.cluster}' (clusters[${other.ci}].${other.field}); cluster ranges must be disjoint`);
      }
    }
    ranges.push({ ci, field, cidr, cluster: readable(() => c.name) ?? `clusters[${ci}]` });
    if (c.cloud === "gcp") {
      for (const [what, range] of K3S_INTERNAL_RANGES) {
        if (cidrsOverlap(range, cidr)) report(["clusters", ci, field], `${cidr.text} overlaps k3s's ${what} ${range.text}; pick a subnet outside it`);
      }
      const prohibited = prohibitedRangeProblem(GCE_PROHIBITED_SUBNET_RANGES, cidr, "which GCE takes in no subnet", "10.128.0.0/20");
      if (prohibited) report(["clusters", ci, field], prohibited);
      const problem = k3sSubnetProblem(cidr, c.nodeGroups.reduce((n, g) => n + g.maxSize, 0));
      if (problem) report(["clusters", ci, field], problem);
    }
    if (c.cloud === "aws") {
      const prohibited = prohibitedRangeProblem(AWS_PROHIBITED_VPC_RANGES, cidr, "which AWS assigns to no VPC (the VPC user guide reserves it; CreateVpc would fail)", "10.0.0.0/16");
      if (prohibited) report(["clusters", ci, field], prohibited);
      const problem = awsVpcProblem(cidr, c.availabilityZones);
      if (problem) report(["clusters", ci, field], problem);
    }
  });
  checkPeersClearOfK3sRanges(report, cfg, ranges);
  checkPeersClearOfEksServiceRanges(report, cfg, ranges);
}

/**
 * A k3s cluster's pod and service ranges are also unusable for the networks it reaches: its
 * istiod reads the other clusters' (private EKS) API servers and its pods exchange HBONE with
 * their ranges over peering or a VPN (the HBONE firewall admits those ranges and hbonePeerCidrs).
 * An address in 10.42.0.0/16 is routed into flannel's overlay, and flannel does not masquerade
 * pod traffic to its own cluster-cidr (its "-s cluster-cidr -d cluster-cidr -j RETURN" rule), so
 * replies would go to the peer's own range; an address in 10.43.0.0/16 may be taken by a ClusterIP,
 * which kube-proxy rewrites. A k3s subnet in them is reported on its own; here: EKS VPCs and a k3s
 * cluster's hbonePeerCidrs.
 */
function checkPeersClearOfK3sRanges(report: Report, cfg: PlatformConfig, ranges: ClusterRange[]): void {
  const hit = (cidr: Cidr) => K3S_INTERNAL_RANGES.filter(([, range]) => cidrsOverlap(range, cidr)).map(([what, range]) => `${what} ${range.text}`).join(" and ");
  const k3s = ranges.filter((r) => cfg.clusters[r.ci]?.cloud === "gcp").map((r) => `'${r.cluster}'`);
  if (k3s.length === 0) return;
  for (const peer of ranges) {
    const overlapped = cfg.clusters[peer.ci]?.cloud === "aws" ? hit(peer.cidr) : "";
    if (!overlapped) continue;
    report(
      ["clusters", peer.ci, peer.field],
      `${peer.cidr.text} overlaps the ${overlapped} of the k3s cluster(s) ${k3s.join(", ")}, whose pods could not reach this network (its private API endpoint, its pods over HBONE) through peering or a VPN; pick a range outside 10.42.0.0/15`,
    );
  }
  eachItem(cfg.clusters, (c, ci) => {
    if (c.cloud !== "gcp") return;
    eachItem(c.hbonePeerCidrs ?? [], (text, pi) => {
      const cidr = parseCidr(text);
      const overlapped = typeof cidr === "string" ? "" : hit(cidr);
      if (!overlapped) return;
      report(
        ["clusters", ci, "hbonePeerCidrs", pi],
        `${text} overlaps k3s's ${overlapped}: this cluster routes those addresses to its own pods and Services, so its replies would never reach the peer; peers must sit outside 10.42.0.0/15`,
      );
    });
  });
}

/** Hosts that are this machine wherever the URL is used: the other clusters' istiod would dial themselves. */
function isLoopbackUrl(url: string): boolean {
  const parsed = parseApiServerUrl(url);
  if (!parsed) return false;
  // `localhost.` is localhost too.
  const host = parsed.hostname.replace(/^\[|\]$/g, "").replace(/\.$/, "").toLowerCase();
  return host === "localhost" || host.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(host) || host === "::1" || host === "0.0.0.0" || host === "::";
}

/**
 * The API server URL the other clusters' istiod get for an existing cluster in a multi-cluster
 * stack (components/cloud/existing.ts: `apiServer`, else the kubeconfig's server for its context,
 * read where the program runs), and what is wrong with it: unknown here, or loopback.
 */
export function existingApiServerProblem(
  c: Extract<PlatformConfig["clusters"][number], { cloud: "existing" }>,
  kubeconfig: KubeconfigReading,
): string | undefined {
  const ctx = c.context === undefined ? "its current context" : `context '${c.context}'`;
  let url = c.apiServer;
  let source = "apiServer";
  if (url === undefined) {
    if ("problem" in kubeconfig) return undefined; // a broken kubeconfig is reported on its own field
    if (!kubeconfig.server) {
      const where = kubeconfig.onThisMachine ? `kubeconfig ${c.kubeconfig} has no server for ${ctx}` : `kubeconfig ${c.kubeconfig} is not on this machine`;
      return (
        `is required in a multi-cluster stack here: the ${where}, and the other clusters' istiod need this API server's URL for their remote secret for '${c.name}'; ` +
        "set the https:// URL they reach it at"
      );
    }
    url = kubeconfig.server;
    source = `the kubeconfig's server for ${ctx}`;
  }
  if (isLoopbackUrl(url)) {
    return (
      `'${url}' (${source}) is a loopback address: the other clusters' istiod would read it as themselves; ` +
      "set apiServer to the https:// URL they reach this API server at (a LAN, VPN or public address)"
    );
  }
  return undefined;
}


/**
 * Two existing clusters that are one API server: the same kubeconfig file and context, contexts
 * whose server (read here) is one URL, or one `apiServer` for both. The program installs each as
 * its own mesh cluster, so the second install there fails (Helm refuses a second release `istiod`
 * in istio-system: "cannot re-use a name that is still in use"), and the other clusters' istiod
 * would read that one API server under two cluster names. Reported on the later cluster.
 */
export function checkExistingClustersDistinct(report: Report, cfg: PlatformConfig, kubeconfigs: Map<number, KubeconfigReading>): void {
  const seen: { ci: number; name: string; target: string; server?: string; serverKey?: string; apiServer?: string; reachedKey?: string }[] = [];
  const why =
    "both would be installed there as mesh clusters of their own (Helm refuses the second release 'istiod' in istio-system: cannot re-use a name that is still in use), " +
    "and the other clusters' istiod would read one API server under two cluster names";
  eachItem(cfg.clusters, (c, ci) => {
    if (c.cloud !== "existing") return;
    const reading = kubeconfigs.get(ci);
    if (!reading) return;
    unlessBroken(() => {
      // Compared as one spelling each: `~/a/../.kube/config` is `~/.kube/config`, `https://K3S.lan.:6443/` is `https://k3s.lan:6443`.
      const server = "server" in reading ? reading.server || undefined : undefined;
      const here = {
        ci,
        name: readable(() => c.name) ?? `clusters[${ci}]`,
        target: `${path.resolve(expandHome(c.kubeconfig))}\u0000${c.context ?? ""}`,
        server,
        serverKey: server === undefined ? undefined : apiServerKey(server),
        apiServer: c.apiServer,
        reachedKey: c.apiServer !== undefined ? apiServerKey(c.apiServer) : server === undefined ? undefined : apiServerKey(server),
      };
      const at = `${c.kubeconfig} (${c.context === undefined ? "its current context" : `context '${c.context}'`})`;
      const same = seen.find((o) => o.target === here.target);
      const sameServer = seen.find((o) => here.serverKey !== undefined && o.serverKey === here.serverKey);
      // The URL the other clusters' istiod reach each at: its apiServer, else its kubeconfig's server.
      const reached = (o: { server?: string; apiServer?: string }) => o.apiServer ?? o.server;
      const sameApi = seen.find((o) => here.reachedKey !== undefined && o.reachedKey === here.reachedKey);
      if (same) {
        report(["clusters", ci, "kubeconfig"], `${at} is also what clusters[${same.ci}] ('${same.name}') deploys to: ${why}; point it at another cluster's kubeconfig or context`);
      } else if (sameServer) {
        report(["clusters", ci, "kubeconfig"], `${at} reaches ${here.server}, the API server of clusters[${sameServer.ci}] ('${sameServer.name}'): ${why}; point it at another cluster's kubeconfig or context`);
      } else if (sameApi) {
        const source = here.apiServer !== undefined ? "apiServer" : "kubeconfig";
        report(["clusters", ci, source], `'${reached(here)}' (${source === "apiServer" ? "apiServer" : `the server of ${at}`}) is also where the other clusters' istiod reach clusters[${sameApi.ci}] ('${sameApi.name}'): ${why}; give each existing cluster the URL of its own API server`);
      }
      seen.push(here);
    });
  });
}

/** EKS's per-cluster quota of public endpoint access CIDRs (Service Quotas; not adjustable). */
const EKS_PUBLIC_CIDRS_QUOTA = 40;

/**
 * A public EKS endpoint gets its configured CIDRs and every other cluster's egress address as a
 * /32 (components/cloud/aws/eks.ts publicAccessCidrs), and EKS counts that whole list against its
 * quota of 40, refusing the create or update beyond it. The schema bounds the configured list
 * alone; here the peers' addresses count too.
 */
export function checkPublicEndpointQuota(report: Report, cfg: PlatformConfig): void {
  eachItem(cfg.clusters, (c, ci) => {
    unlessBroken(() => {
      if (c.cloud !== "aws" || !c.endpointPublicAccess) return;
      const others = cfg.clusters.filter((o) => o !== c);
      const peers = others.reduce((n, o) => n + egressAddressCount(o), 0);
      const configured = new Set(c.publicAccessCidrs).size;
      if (peers === 0 || configured + peers <= EKS_PUBLIC_CIDRS_QUOTA) return;
      // Only a peer with a NAT gateway per zone has addresses to give up; one already Single has none.
      const perZone = others.filter((o) => o.cloud === "aws" && egressAddressCount(o) > 1).map((o) => `'${o.name}'`);
      report(
        ["clusters", ci, "publicAccessCidrs"],
        `lists ${configured} CIDRs, and the program adds the other clusters' ${peers} egress addresses (EKS NAT Elastic IPs, k3s servers and Cloud NAT) as /32, ` +
          `${configured + peers} in all: EKS allows ${EKS_PUBLIC_CIDRS_QUOTA} public endpoint access CIDR ranges per cluster, a quota it does not raise; ` +
          `list at most ${Math.max(0, EKS_PUBLIC_CIDRS_QUOTA - peers)} (the other clusters' addresses need no entry of yours)` +
          (perZone.length ? `, or give ${perZone.join(", ")} natGateways: Single` : ""),
      );
    });
  });
}

/**
 * Whether ranges add up to every IPv4 address with no /0 among them (a /0 is reported on its own):
 * the policy pack reads a list whole, so `0.0.0.0/1` and `128.0.0.0/1` open an endpoint as `0.0.0.0/0` does.
 */
export function rangesCoverInternet(texts: string[]): boolean {
  const ranges = texts.map(parseCidr).filter((r): r is Cidr => typeof r !== "string");
  return !ranges.some((r) => r.bits === 0) && coverAllIpv4(ranges);
}
