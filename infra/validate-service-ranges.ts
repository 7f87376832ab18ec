/**
 * An EKS cluster's Kubernetes service range against the other clusters' networks.
 *
 * components/cloud/aws/eks.ts creates each EKS cluster without
 * kubernetesNetworkConfig.serviceIpv4Cidr, so EKS picks 172.20.0.0/16 for a VPC in 10.0.0.0/8 and
 * 10.100.0.0/16 otherwise (cluster-ranges.ts eksDefaultServiceRange). The EKS API asks for a
 * service range that overlaps no network peered or connected to the VPC: the cluster's pods and
 * istiod reach the other clusters' networks (private API endpoints, east-west gateways, pods over
 * HBONE) through peering or a VPN, and kube-proxy rewrites an address a ClusterIP takes to the
 * local Service, so a peer address inside the range may never leave the cluster. Refused at the
 * peer's range; two clusters' service ranges may meet (no Service is routed between clusters),
 * and a cluster's own VPC never meets its own range. Existing clusters' networks are not known here.
 */
import { PlatformConfig } from "./schema";
import { cidrsOverlap } from "./net";
import { ClusterRange, eksDefaultServiceRange } from "./cluster-ranges";
import { Report } from "./validate-support";

export function checkPeersClearOfEksServiceRanges(report: Report, cfg: PlatformConfig, ranges: ClusterRange[]): void {
  for (const eks of ranges) {
    if (cfg.clusters[eks.ci]?.cloud !== "aws") continue;
    const { range, vpcInTen } = eksDefaultServiceRange(eks.cidr);
    for (const peer of ranges) {
      if (peer === eks || !cidrsOverlap(peer.cidr, range)) continue;
      report(
        ["clusters", peer.ci, peer.field],
        `${peer.cidr.text} overlaps ${range.text}, the Kubernetes service range EKS gives cluster '${eks.cluster}' (clusters[${eks.ci}]): ` +
          `its vpcCidr ${eks.cidr.text} lies ${vpcInTen ? "in" : "outside"} 10.0.0.0/8, and the program sets no serviceIpv4Cidr, so EKS takes ${range.text} ` +
          `(172.20.0.0/16 for a VPC in 10.0.0.0/8, 10.100.0.0/16 otherwise); an address of this network that a ClusterIP takes there is rewritten by kube-proxy to that Service, ` +
          `so '${eks.cluster}' could not reliably reach this network (its API server, east-west gateway, pods over HBONE); ` +
          `pick a range outside ${range.text}, or move '${eks.cluster}''s vpcCidr ${vpcInTen ? "out of" : "into"} 10.0.0.0/8`,
      );
    }
  }
}
