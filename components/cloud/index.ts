/**
 * One factory for every kind of cluster; each returns the same {@link ClusterHandle}. Clusters
 * with GPU node groups also get the NVIDIA device plugin.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterSpec } from "../../infra/schema";
import type { PlatformSpec } from "../../infra/config";
import { ClusterHandle } from "./cluster";
import { ExistingCluster } from "./existing";
import { EksCluster } from "./aws/eks";
import { K3sCluster } from "./gcp/k3s";
import { NvidiaDevicePlugin } from "../gpu/device-plugin";

/** Tags/labels on every cloud resource of the platform. */
export function platformTags(platform: PlatformSpec, cluster: string): Record<string, string> {
  return { "inference-mesh/environment": platform.environment, "inference-mesh/cluster": cluster, "managed-by": "pulumi" };
}

function createBareCluster(spec: ClusterSpec, platform: PlatformSpec): ClusterHandle & pulumi.ComponentResource {
  switch (spec.cloud) {
    case "existing":
      return new ExistingCluster(spec.name, { spec });
    case "aws":
      return new EksCluster(spec.name, {
        spec,
        kubernetesVersion: platform.versions.eksKubernetes,
        tags: platformTags(platform, spec.name),
        models: platform.models.filter((m) => m.clusters.includes(spec.name)),
      });
    case "gcp":
      return new K3sCluster(spec.name, {
        spec,
        platform,
        k3sVersion: platform.versions.k3s,
        nvidiaDriverBranch: platform.versions.nvidiaDriver,
        tags: platformTags(platform, spec.name),
      });
  }
}

function createCluster(spec: ClusterSpec, platform: PlatformSpec): ClusterHandle {
  const cluster = createBareCluster(spec, platform);
  if (cluster.hasGpus) {
    cluster.devicePlugin = new NvidiaDevicePlugin(
      {
        cluster: spec.name,
        provider: cluster.provider,
        version: platform.versions.nvidiaDevicePlugin,
        runtimeClassName: spec.cloud === "gcp" ? "nvidia" : undefined,
        dependsOn: cluster.readiness,
      },
      { parent: cluster },
    ).release;
  }
  return cluster;
}

/**
 * Every cluster of the platform, in config order. Once all exist, each k3s cluster's firewall
 * and each public EKS endpoint admit the others' egress addresses (EKS NAT gateways, other k3s
 * servers and Cloud NAT): the other clusters' istiods read their API servers from there.
 */
export function createClusters(platform: PlatformSpec): ClusterHandle[] {
  const clusters = platform.clusters.map((spec) => createCluster(spec, platform));
  for (const self of clusters) {
    const peers = clusters.filter((c) => c !== self && c.egressIps).map((c) => c.egressIps!);
    const peerEgress = pulumi.all(peers).apply((lists) => lists.flat());
    if (self instanceof K3sCluster && peers.length > 0) self.admitPeers(peerEgress);
    // Always called: a public endpoint's control plane waits for it, with or without peers.
    if (self instanceof EksCluster) self.admitPeers(peerEgress);
  }
  return clusters;
}
