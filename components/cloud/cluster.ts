/**
 * What every cluster component hands to the rest of the platform, whatever cloud it came from.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ClusterSpec } from "../../infra/schema";
import { natGatewayCount } from "./aws/network";

export interface ClusterHandle {
  /** The cluster's validated spec. */
  spec: ClusterSpec;
  /** The one explicit Kubernetes provider of this cluster; every Kubernetes resource on it uses it. */
  provider: k8s.Provider;
  /** Admin kubeconfig (secret). */
  kubeconfig: pulumi.Output<string>;
  /** API server URL. */
  endpoint: pulumi.Output<string>;
  /** Base64 PEM of the API server's CA. */
  certificateAuthorityData: pulumi.Output<string>;
  /** Whether the cluster has GPU node groups. */
  hasGpus: boolean;
  /** Resources workloads must wait for (node groups, agents joined). */
  readiness: pulumi.Resource[];
  /**
   * The NVIDIA device plugin's release where the platform installs one: pods requesting
   * `nvidia.com/gpu` stay Pending until it advertises the GPUs.
   */
  devicePlugin?: pulumi.Resource;
  /**
   * Public addresses the cluster's nodes reach other networks from (AWS: its NAT gateways'
   * Elastic IPs), when Pulumi knows them: other clusters' firewalls admit them for the API and
   * HBONE. Undefined where egress addresses are not fixed.
   */
  egressIps?: pulumi.Output<string[]>;
}

/** Egress addresses as firewall / endpoint sources: single addresses as /32, de-duplicated. */
export function egressSourceRanges(ips: string[]): string[] {
  return [...new Set(ips.map((ip) => (ip.includes("/") ? ip : `${ip}/32`)))];
}

/**
 * How many addresses {@link ClusterHandle.egressIps} holds, from config alone: an EKS cluster's
 * NAT Elastic IPs (aws/eks.ts), a k3s cluster's server address and Cloud NAT address
 * (gcp/k3s.ts); an existing cluster's are not known.
 */
export function egressAddressCount(spec: ClusterSpec): number {
  if (spec.cloud === "aws") return natGatewayCount(spec);
  if (spec.cloud === "gcp") return 2;
  return 0;
}

/** Label every node of the platform's node groups carries with the name of its group. */
export const nodeGroupLabel = "inference-mesh.io/node-group";

/**
 * Options for a cluster's Kubernetes provider: its kubeconfig output is secret in state as well
 * as its input. `k8s.Provider` types its options as plain ResourceOptions, but it is a custom
 * resource and the engine honours `additionalSecretOutputs` on it; the policy pack checks for it.
 */
export const kubeconfigStaysSecret = { additionalSecretOutputs: ["kubeconfig"] } as pulumi.ResourceOptions;
