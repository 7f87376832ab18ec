/**
 * `clusters[]` of the platform config: EKS, k3s on GCE and existing clusters, with their node
 * groups. Rules across clusters (unique names and networks, CIDR overlaps, placement) live in
 * validate-clusters.ts and validate-network.ts.
 */
import { z } from "zod";
import { awsRegions, gcpRegions } from "./regions";
import { kubeconfigPath } from "./kubeconfig-path";
import { textOrDigits } from "./cli-values";
import { cidr, dnsLabel, urlText } from "./schema-fields";
import { apiServerUrlProblem } from "./api-server-url";

/**
 * Nodes per group: a GCE zonal managed instance group holds at most 1000 VMs, and EKS allows 450
 * nodes per managed node group unless the account's quota is raised.
 */
const MAX_GROUP_SIZE = 1000;
const groupSize = (min: number) =>
  z.number().int().min(min).max(MAX_GROUP_SIZE, `must be at most ${MAX_GROUP_SIZE} (a GCE zonal instance group holds 1000 VMs; EKS allows 450 nodes per managed node group by default)`);

/** The largest boot disk a node can get: GCE Persistent Disk and Hyperdisk Balanced take 64 TiB (EBS 16 TiB, checked per cloud). */
export const MAX_DISK_GIB = 65_536;

const nodeGroup = z.strictObject({
  /** Node group name, unique within its cluster. */
  name: dnsLabel,
  /** Cloud instance/machine type; GPU types must be in the GPU catalog. */
  instanceType: z.string().min(1).meta({ examples: ["g6e.xlarge", "g2-standard-8"] }),
  /** GPUs per node; checked against the catalog when given. */
  gpuCount: z.number().int().min(0).optional(),
  minSize: groupSize(0),
  desiredSize: groupSize(0),
  maxSize: groupSize(1),
  /** Spot (AWS) / Spot VMs (GCP) instead of on-demand. */
  spot: z.boolean().default(false),
  diskSizeGiB: z.number().int().min(20).max(MAX_DISK_GIB, `must be at most ${MAX_DISK_GIB} (64 TiB, the largest GCE boot disk; EBS volumes take at most 16384)`).default(200),
});

const systemNodeGroup = z.strictObject({
  instanceType: z.string().min(1).meta({ examples: ["m6i.xlarge"] }),
  minSize: groupSize(1).default(2),
  desiredSize: groupSize(1).default(2),
  maxSize: groupSize(1).default(4),
});

const clusterBase = {
  /** Cluster name: also Istio's `clusterName` and the remote-secret name. */
  name: dnsLabel,
  /** Istio network this cluster sits in (`topology.istio.io/network`). */
  network: dnsLabel,
  nodeGroups: z.array(nodeGroup).default([]),
};

const eksCluster = z.strictObject({
  ...clusterBase,
  cloud: z.literal("aws"),
  kind: z.literal("eks", { error: "must be 'eks' when cloud is 'aws'" }),
  region: z.string().refine((r) => awsRegions.includes(r), {
    error: `must be an AWS commercial region: ${awsRegions.join(", ")} (the table is infra/regions.ts; add a region there if yours is newer)`,
  }),
  vpcCidr: cidr.default("10.0.0.0/16"),
  availabilityZones: z.number().int().min(2).max(6).default(3),
  /** Whether the EKS API endpoint is reachable from the internet. */
  endpointPublicAccess: z.boolean().default(false),
  /** CIDRs allowed to reach a public endpoint: EKS takes at most 40 per cluster (a service quota it does not raise). */
  publicAccessCidrs: z.array(cidr).max(40, "lists at most 40 CIDRs: EKS allows 40 public endpoint access CIDR ranges per cluster, a quota it does not raise").default([]),
  systemNodeGroup: systemNodeGroup.default({ instanceType: "m6i.xlarge", minSize: 2, desiredSize: 2, maxSize: 4 }),
  /** NAT gateways for the private subnets: one per AZ (survives an AZ outage) or a single cheaper one. */
  natGateways: z.enum(["OnePerAz", "Single"]).default("OnePerAz"),
});

const k3sCluster = z.strictObject({
  ...clusterBase,
  cloud: z.literal("gcp"),
  kind: z.literal("k3s", { error: "must be 'k3s' when cloud is 'gcp'" }),
  region: z.string().refine((r) => gcpRegions.includes(r), {
    error: `must be a GCP region: ${gcpRegions.join(", ")} (the table is infra/regions.ts; add a region there if yours is newer)`,
  }),
  // The region's number has one or two digits (europe-west10-a, europe-west12-b); checkPlacement
  // then holds the zone to the region's own zones (infra/regions.ts).
  zone: z.string().regex(/^[a-z]+-[a-z]+\d+-[a-z]$/, "must be a GCP zone such as us-central1-a or europe-west10-a: <region>-<letter>"),
  project: z
    .string()
    .regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, "must be a GCP project ID: 6 to 30 lowercase letters, digits or '-', starting with a letter, not ending with '-'"),
  subnetCidr: cidr.default("10.128.0.0/20"),
  /** CIDRs allowed to reach the k3s API on 6443. */
  apiAllowedCidrs: z.array(cidr).min(1),
  serverMachineType: z.string().default("e2-standard-4"),
  /** OS image for the server and agents. */
  image: z.string().default("ubuntu-os-cloud/ubuntu-2204-lts"),
  /** Extra sources allowed to reach HBONE (15008), e.g. the other clouds' NAT egress IPs when the networks are not peered. */
  hbonePeerCidrs: z.array(cidr).default([]),
  /** Sources allowed to reach the public gateway listeners (ServiceLB binds them on the server's external address). */
  gatewayAllowedCidrs: z.array(cidr).min(1).default(["0.0.0.0/0"]),
});

const existingCluster = z.strictObject({
  ...clusterBase,
  cloud: z.literal("existing"),
  kind: z.literal("existing", { error: "must be 'existing' when cloud is 'existing'" }),
  /** Path to the kubeconfig file: absolute, or `~/…` (the home directory, as pulumi-kubernetes expands it). */
  kubeconfig: kubeconfigPath,
  /** Kubeconfig context; the file's current context when omitted. */
  context: textOrDigits(z.string().min(1)).optional(),
  /** Istio platform value (e.g. `k3s`, `k3d`, `minikube`) when the distribution needs one. */
  platform: z.enum(["k3s", "k3d", "minikube", "microk8s", "gke", "openshift"]).optional(),
  region: textOrDigits(z.string()).default("local"),
  /**
   * The API server URL the other clusters' istiod reach this cluster at (their remote secret for
   * it); the kubeconfig's server when omitted. Set it in a multi-cluster mesh when that server is
   * not reachable from the other clusters (a laptop's `https://127.0.0.1:6443`).
   */
  apiServer: urlText
    .pipe(z.url({ protocol: /^https$/, error: "must be an https:// URL such as https://k3s.example.internal:6443" }))
    .superRefine((url, ctx) => {
      const problem = apiServerUrlProblem(url);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .optional(),
});

export const clusterSchema = z.discriminatedUnion("cloud", [eksCluster, k3sCluster, existingCluster]);

export type ClusterSpec = z.output<typeof clusterSchema>;
export type EksClusterSpec = Extract<ClusterSpec, { cloud: "aws" }>;
export type K3sClusterSpec = Extract<ClusterSpec, { cloud: "gcp" }>;
export type ExistingClusterSpec = Extract<ClusterSpec, { cloud: "existing" }>;
export type NodeGroupSpec = z.output<typeof nodeGroup>;
