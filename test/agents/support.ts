/**
 * Shared fixtures of the agent-layer tests: shipped stacks as validated specs, and the agent
 * layer's pure manifests for a cluster (what the render applies, without running it).
 */
import { parsePlatform, PlatformSpec } from "../../infra/config";
import { shippedPlatform } from "../support/render";
import { agentClusterManifests } from "../../components/agents";
import type { ClusterInference } from "../../components/inference";
import type { Manifest } from "../../components/k8s/apply";

export function shippedSpec(stack: "local" | "dev" | "prod"): PlatformSpec {
  return parsePlatform(shippedPlatform(stack), stack);
}

/** The inference layer's contract as it stands on main (gateway `inference/inference-gateway`). */
export const inference: ClusterInference = {
  openAiBaseUrl: "http://inference-gateway-istio.inference.svc.cluster.local/v1",
  gatewayServiceAccount: { namespace: "inference", name: "inference-gateway-istio" },
  gatewayName: "inference-gateway",
  gatewayNamespace: "inference",
  models: [],
  pools: [],
  ready: [],
};

export const inferenceGatewayIdentity = { namespace: "inference", serviceAccount: "inference-gateway-istio" };

/** All agent-layer objects of one cluster, in apply groups flattened. */
export function agentObjects(spec: PlatformSpec, cluster: string): Manifest[] {
  const clusterSpec = spec.clusters.find((c) => c.name === cluster)!;
  const m = agentClusterManifests(spec, clusterSpec, inference);
  return m ? [...m.workloads, ...m.gateway, ...m.authorization] : [];
}
