/**
 * Shared fixtures of the agent-layer tests: shipped stacks as validated specs, and the agent
 * layer's pure manifests for a cluster (what the render applies, without running it).
 */
import { parsePlatform, PlatformSpec } from "../../infra/config";
import { shippedPlatform } from "../support/render";
import { agentClusterManifests } from "../../components/agents";
import type { ClusterInference } from "../../components/inference";
import type { Manifest } from "../../components/k8s/apply";
import type { Waypoints } from "../../components/agents/authz";
import { edgeList, nodeOf, CallEdge } from "../../components/agents/callgraph";
import { waypointManifest, waypointName, waypointNamespaces } from "../../components/mesh/waypoints";

export function shippedSpec(stack: "local" | "dev" | "prod"): PlatformSpec {
  return parsePlatform(shippedPlatform(stack), stack);
}

/** The inference layer's contract as it stands on main (gateway `inference/inference-gateway`). */
export const inference: ClusterInference = {
  openAiBaseUrl: "http://inference-gateway-istio.inference.svc.cluster.local/v1",
  models: [],
  pools: [],
  ready: [],
};

export const inferenceGatewayIdentity = { namespace: "inference", serviceAccount: "inference-gateway-istio" };

/** Edges into the agent layer's nodes and the inference gateway, as `edgeList` lines; the
 * inference layer's own edges (gateway → pools) are its business. */
export function agentLayerEdges(edges: CallEdge[]): string[] {
  const inferenceGateway = nodeOf(inferenceGatewayIdentity);
  return edgeList(edges.filter((e) => e.to.startsWith("agents/") || e.to.startsWith("tools/") || e.to === inferenceGateway));
}

/** The waypoints the mesh layer gives every cluster (ClusterMesh.waypoints), by namespace. */
export const meshWaypoints: Waypoints = new Map(waypointNamespaces.map((ns) => [ns, waypointName]));

/** All agent-layer objects of one cluster, apply groups flattened, plus the mesh's waypoint
 * Gateways they refer to (`waypoints` empty: a mesh without waypoints). */
export function agentObjects(spec: PlatformSpec, cluster: string, waypoints: Waypoints = meshWaypoints): Manifest[] {
  const clusterSpec = spec.clusters.find((c) => c.name === cluster)!;
  const m = agentClusterManifests(spec, clusterSpec, inference, waypoints);
  const waypointGateways = [...waypoints.keys()].map((ns) => waypointManifest(ns, spec.versions.istio));
  return m ? [...m.workloads, ...m.gateway, ...m.authorization, ...waypointGateways] : [];
}
