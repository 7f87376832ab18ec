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

/**
 * A public EKS API endpoint exposes the control plane of a GPU fleet to the internet; stacks
 * that forbid it must keep endpoints private (reached through the VPC).
 */
export const eksEndpointPrivate: ResourceValidationPolicy = {
  name: "eks-endpoint-private",
  description:
    "EKS clusters (eks:index:Cluster, aws:eks/cluster:Cluster) keep the API endpoint private unless the stack allows public endpoints (policy config allowPublicApiEndpoints, from the stack's policy.allowPublicApiEndpoints); a public endpoint is never open to 0.0.0.0/0.",
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
