import type { ResourceValidationPolicy } from "@pulumi/policy";
import { cannotJudge } from "../lib/k8s";
import { configWithDefaults, list, probe, tri, Tri } from "../lib/values";

interface Config {
  /** The stack's `policy.allowPublicApiEndpoints`: whether EKS API endpoints may be public. */
  allowPublicApiEndpoints: boolean;
}
const defaults: Config = { allowPublicApiEndpoints: false };

const openCidrs = new Set(["0.0.0.0/0", "::/0"]);

/** Whether IPv4 ranges together cover every address (`0.0.0.0/1` + `128.0.0.0/1` as much as `/0`). */
export function coversAllIpv4(cidrs: string[]): boolean {
  const ranges = cidrs
    .map((c) => /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(c.trim()))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => {
      const base = ((+m[1] << 24) >>> 0) + (+m[2] << 16) + (+m[3] << 8) + +m[4];
      const size = 2 ** (32 - +m[5]);
      const start = Math.floor(base / size) * size;
      return [start, start + size] as const;
    })
    .sort((a, b) => a[0] - b[0]);
  let reach = 0;
  for (const [start, end] of ranges) {
    if (start > reach) return false;
    reach = Math.max(reach, end);
  }
  return reach >= 2 ** 32;
}

/** The k3s API server's port (k3s's `https-listen-port` default), which a GCE firewall opens to the API. */
const K3S_API_PORT = 6443;

/** Whether a GCE firewall `allows` entry admits TCP to `port`: no ports is every port, `a-b` a range. */
function admitsTcpPort(allow: { protocol?: unknown; ports?: unknown } | undefined, port: number): boolean {
  if (!["tcp", "all", "6"].includes(String(allow?.protocol ?? "").toLowerCase())) return false;
  const ports = list(allow?.ports as unknown[]);
  return ports.length === 0 || ports.some((p) => {
    const [from, to = from] = String(p).split("-").map(Number);
    return from <= port && port <= to;
  });
}

/**
 * A GCE ingress firewall that opens the k3s API port to every address, which is a public API
 * endpoint as much as EKS's: the k3s server has an external address, and its firewall is all that
 * keeps the internet off the API. An ingress rule with no source at all admits 0.0.0.0/0 (the
 * Compute Engine API's default, hashicorp/terraform-provider-google#6789).
 */
function judgeApiFirewall(name: string, props: Record<string, any>, allowPublic: boolean, report: (message: string) => void): void {
  if (allowPublic) return;
  const read = probe(() => ({
    ingress: String(props.direction ?? "INGRESS").toUpperCase() === "INGRESS" && props.disabled !== true,
    api: list(props.allows as { protocol?: unknown; ports?: unknown }[]).some((a) => admitsTcpPort(a, K3S_API_PORT)),
    ranges: list(props.sourceRanges as string[]).map(String),
    otherSources: list(props.sourceTags as unknown[]).length + list(props.sourceServiceAccounts as unknown[]).length,
  }));
  if (!read.known) cannotJudge([`the direction, allows and sources of firewall ${name}, which decide whether it opens the k3s API (${K3S_API_PORT}) to the internet`]);
  const { ingress, api, ranges, otherSources } = read.value;
  if (!ingress || !api) return;
  const open = ranges.length === 0 ? otherSources === 0 : ranges.some((c) => openCidrs.has(c.trim())) || coversAllIpv4(ranges);
  if (!open) return;
  report(
    `firewall ${name} admits TCP ${K3S_API_PORT}, the k3s API, from ${ranges.length ? ranges.join(", ") : "every address (an ingress rule without a source admits 0.0.0.0/0)"}, but the stack forbids public API endpoints; admit only the networks that need the API (the cluster's apiAllowedCidrs)`,
  );
}

/**
 * A public EKS API endpoint exposes the control plane of a GPU fleet to the internet; stacks
 * that forbid it must keep endpoints private (reached through the VPC).
 */
export const eksEndpointPrivate: ResourceValidationPolicy = {
  name: "eks-endpoint-private",
  description:
    "EKS clusters (eks:index:Cluster, aws:eks/cluster:Cluster) keep the API endpoint private unless the stack allows public endpoints (policy config allowPublicApiEndpoints, from the stack's policy.allowPublicApiEndpoints); a public endpoint is never open to 0.0.0.0/0. Where the stack forbids public endpoints, no GCE ingress firewall (gcp:compute/firewall:Firewall) opens the k3s API port (TCP 6443) to every address.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      allowPublicApiEndpoints: { type: "boolean", default: defaults.allowPublicApiEndpoints, description: "Whether EKS API endpoints may be public." },
    },
  },
  validateResource: (args, report) => {
    // Read as known or not: an endpoint whose publicness or ranges are not known in this preview
    // (computed from another resource) is neither private nor open to the world yet.
    let isPublic: Tri;
    let cidrList: () => unknown;
    if (args.type === "eks:index:Cluster") {
      // @pulumi/eks defaults endpointPublicAccess to true.
      isPublic = tri(() => args.props.endpointPublicAccess !== false);
      cidrList = () => args.props.publicAccessCidrs;
    } else if (args.type === "aws:eks/cluster:Cluster") {
      // The EKS API defaults endpointPublicAccess to true.
      isPublic = tri(() => args.props.vpcConfig?.endpointPublicAccess !== false);
      cidrList = () => args.props.vpcConfig?.publicAccessCidrs;
    } else if (args.type === "gcp:compute/firewall:Firewall") {
      judgeApiFirewall(args.name, args.props, configWithDefaults(args, defaults).allowPublicApiEndpoints, report);
      return;
    } else {
      return;
    }
    if (isPublic === false) return;
    const pending: string[] = [];
    // A finding that holds only if the endpoint is public: can't judge while that is not known.
    const finding = (message: string) => (isPublic === true ? report(message) : pending.push(`endpointPublicAccess of EKS cluster ${args.name}, which decides: ${message}`));
    const { allowPublicApiEndpoints } = configWithDefaults(args, defaults);
    if (!allowPublicApiEndpoints) {
      finding(`EKS cluster ${args.name} has a public API endpoint but the stack forbids them; set endpointPublicAccess: false`);
    } else {
      const read = probe(() => list(cidrList() as string[]));
      // Ranges read one by one: one known to open the endpoint (or known ones covering everything) decides whatever the others are.
      const entries = read.known ? Array.from({ length: read.value.length }, (_, i) => probe(() => read.value[i])) : [];
      const cidrs = entries.flatMap((e) => (e.known && typeof e.value === "string" ? [e.value] : []));
      const unknown = !read.known || entries.some((e) => !e.known);
      if (read.known && (entries.length === 0 || cidrs.some((c) => openCidrs.has(c)) || coversAllIpv4(cidrs))) {
        finding(`EKS cluster ${args.name} has a public API endpoint open to ${entries.length ? cidrs.join(", ") : "0.0.0.0/0 (the default)"}; restrict publicAccessCidrs`);
      } else if (unknown) {
        pending.push(`publicAccessCidrs of EKS cluster ${args.name}`);
      }
    }
    if (pending.length > 0) cannotJudge(pending);
  },
};
