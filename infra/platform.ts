/**
 * The program: composes the platform's components from the validated spec. Data flows one way:
 * spec → components → resources; each Kubernetes resource gets its own cluster's provider.
 */
import * as pulumi from "@pulumi/pulumi";
import { PlatformSpec } from "./config";
import { ClusterHandle } from "../components/cloud/cluster";
import { createClusters } from "../components/cloud";
import { namespaceManifests } from "../components/mesh/namespaces";
import { applyManifests } from "../components/k8s/apply";
import { buildMesh } from "../components/mesh";
import { buildInference } from "../components/inference";
import { buildAgents } from "../components/agents";

export interface ClusterOutputs {
  name: string;
  cloud: string;
  region: string;
  network: string;
  endpoint: pulumi.Output<string>;
  kubeconfig: pulumi.Output<string>;
}

export interface PlatformOutputs {
  clusters: ClusterOutputs[];
  /** Private key (secret) that signs agent-gateway tokens when `gateways.agents.jwt.selfSigned`. */
  agentJwtSigningKeyPem?: pulumi.Output<string>;
  /** `kid` that tokens signed with that key must carry in their header (agentgateway looks keys up by it). */
  agentJwtKeyId?: pulumi.Output<string>;
}

/** The platform namespaces of one cluster, created before anything that lives in them. */
export class PlatformNamespaces extends pulumi.ComponentResource {
  readonly byName: Map<string, pulumi.Resource>;
  constructor(cluster: ClusterHandle, opts?: pulumi.ComponentResourceOptions) {
    super("inference-mesh:platform:Namespaces", `${cluster.spec.name}-namespaces`, {}, opts);
    const applied = applyManifests(cluster.spec.name, namespaceManifests(cluster.spec), {
      provider: cluster.provider,
      parent: this,
      dependsOn: cluster.readiness,
    });
    this.byName = new Map([...applied].map(([key, r]) => [key.split("/")[2], r]));
    this.registerOutputs({});
  }
}

export function buildPlatform(spec: PlatformSpec): PlatformOutputs {
  const clusters = createClusters(spec);
  const namespaces = new Map(clusters.map((c) => [c.spec.name, new PlatformNamespaces(c).byName]));
  const mesh = buildMesh({ spec, clusters, namespaces });
  const inference = buildInference({ spec, mesh });
  const agents = buildAgents({ spec, mesh, inference });
  return {
    clusters: clusters.map((c) => ({
      name: c.spec.name,
      cloud: c.spec.cloud,
      region: c.spec.region,
      network: c.spec.network,
      endpoint: c.endpoint,
      kubeconfig: pulumi.secret(c.kubeconfig),
    })),
    // Signs test tokens for the agent gateway when `gateways.agents.jwt.selfSigned` (a laptop).
    ...(agents.jwtSigningKeyPem ? { agentJwtSigningKeyPem: agents.jwtSigningKeyPem } : {}),
    ...(agents.jwtKeyId ? { agentJwtKeyId: agents.jwtKeyId } : {}),
  };
}
