/**
 * The mesh across every cluster (issue #4 fills this in): Gateway API CRDs, shared trust,
 * Istio ambient releases, east-west gateways, remote secrets, mesh-wide mTLS and waypoints.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlatformSpec } from "../../infra/config";
import type { ClusterHandle } from "../cloud/cluster";

/** What later layers need from the mesh on one cluster. */
export interface ClusterMesh {
  cluster: ClusterHandle;
  /** Namespaces (istio-system, inference, agents, tools) by name. */
  namespaces: Map<string, pulumi.Resource>;
  /** Resources that must exist before Gateway API objects are created (the Gateway API CRDs). */
  gatewayApiReady: pulumi.Resource[];
  /** Resources that must exist before mesh-aware workloads and policies (istiod, ztunnel). */
  meshReady: pulumi.Resource[];
}

export interface MeshArgs {
  spec: PlatformSpec;
  clusters: ClusterHandle[];
  namespaces: Map<string, Map<string, pulumi.Resource>>;
}

export function buildMesh(args: MeshArgs): Map<string, ClusterMesh> {
  return new Map(
    args.clusters.map((c) => [
      c.spec.name,
      { cluster: c, namespaces: args.namespaces.get(c.spec.name)!, gatewayApiReady: [], meshReady: [] },
    ]),
  );
}
