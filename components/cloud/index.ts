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

function createBareCluster(spec: ClusterSpec, platform: PlatformSpec, peerEgressIps: pulumi.Output<string[]>): ClusterHandle & pulumi.ComponentResource {
  switch (spec.cloud) {
    case "existing":
      return new ExistingCluster(spec.name, { spec });
    case "aws":
      return new EksCluster(spec.name, { spec, kubernetesVersion: platform.versions.eksKubernetes, tags: platformTags(platform, spec.name) });
    case "gcp":
      return new K3sCluster(spec.name, {
        spec,
        platform,
        k3sVersion: platform.versions.k3s,
        nvidiaDriverBranch: platform.versions.nvidiaDriver,
        tags: platformTags(platform, spec.name),
        peerEgressIps,
      });
  }
}

function createCluster(spec: ClusterSpec, platform: PlatformSpec, peerEgressIps: pulumi.Output<string[]>): ClusterHandle {
  const cluster = createBareCluster(spec, platform, peerEgressIps);
  if (cluster.hasGpus) {
    new NvidiaDevicePlugin(
      {
        cluster: spec.name,
        provider: cluster.provider,
        version: platform.versions.nvidiaDevicePlugin,
        runtimeClassName: spec.cloud === "gcp" ? "nvidia" : undefined,
        dependsOn: cluster.readiness,
      },
      { parent: cluster },
    );
  }
  return cluster;
}

/**
 * Every cluster of the platform, in config order. Clusters with fixed egress addresses (EKS: NAT
 * gateway Elastic IPs) come first, so the k3s clusters' firewalls can admit them.
 */
export function createClusters(platform: PlatformSpec): ClusterHandle[] {
  const created = new Map<string, ClusterHandle>();
  const noPeers = pulumi.output([] as string[]);
  for (const spec of platform.clusters.filter((c) => c.cloud !== "gcp")) created.set(spec.name, createCluster(spec, platform, noPeers));
  const egress = pulumi.all([...created.values()].flatMap((c) => (c.egressIps ? [c.egressIps] : []))).apply((lists) => lists.flat());
  for (const spec of platform.clusters.filter((c) => c.cloud === "gcp")) created.set(spec.name, createCluster(spec, platform, egress));
  return platform.clusters.map((c) => created.get(c.name)!);
}
