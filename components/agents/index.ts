/**
 * The agent fleet on every cluster that runs agents (PlatformSpec.agentClusters): agentgateway
 * (CRDs + controller), its two Gateways, the agents (v1 + canary) and MCP tools, A2A and MCP
 * routes, JWT and per-tool authorization at agentgateway, and Istio ALLOW policies in the mesh.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec, PlatformSpec } from "../../infra/config";
import type { ClusterMesh } from "../mesh";
import type { ClusterInference } from "../inference";
import { applyManifests, appLabels, Manifest, manifestKey } from "../k8s/apply";
import { selfSignedTlsSecret } from "../k8s/tls-secret";
import { AgentgatewayInstall } from "./install";
import { agentGatewayManifest, listenerHostname, mcpGatewayManifest, parametersManifests, selfSignedSecretName } from "./gateway";
import { agentVersionManifests } from "./agents";
import { toolManifests } from "./tools";
import { agentRouteManifest, mcpRouteManifest } from "./routes";
import { routeWaitsFor } from "../k8s/route-waits";
import { llmManifests } from "./llm";
import { mcpBackendManifest } from "./backend";
import { jwksBackendName, jwksFromPublicKeyPem, jwtKeyIdFromPublicKeyPem, securityManifests } from "./security";
import * as tls from "@pulumi/tls";
import { authorizationManifests, Waypoints } from "./authz";
import { gatewayAccessAliases, gatewayAccessOwners } from "../inference/gateway-access";
import { agentGateway, agentsOn, agentVersionName, mcpGateway, mcpUrl, toolsOn } from "./names";

export interface AgentsArgs {
  spec: PlatformSpec;
  mesh: Map<string, ClusterMesh>;
  inference: Map<string, ClusterInference>;
}

/** What the agent layer offers on one cluster. */
export interface ClusterAgents {
  /** Gateway external A2A callers use (namespace/name). */
  agentGateway: { namespace: string; name: string };
  /** In-cluster MCP endpoint agents use. */
  mcpUrl: string;
}

/** Every object of the agent layer on one cluster, grouped by what each group waits for. */
export interface AgentClusterManifests {
  /** ServiceAccounts, Deployments, Services of agents and tools (need the ambient mesh). */
  workloads: Manifest[];
  /** Objects of agentgateway's and Gateway API's kinds (need their CRDs and the controller). */
  gateway: Manifest[];
  /** Istio AuthorizationPolicies (need Istio's CRDs), and the inference gateway's NetworkPolicy. */
  authorization: Manifest[];
  /**
   * By `manifestKey`, the objects of `gateway` that send traffic to workloads, with the keys of
   * those workloads: each waits for them, and nothing else in `gateway` waits for a workload.
   */
  waits: Map<string, string[]>;
}

/** Pure core: the agent layer's objects on `cluster`, or undefined when no agent runs there. */
export function agentClusterManifests(
  spec: PlatformSpec,
  cluster: ClusterSpec,
  inference: ClusterInference,
  waypoints: Waypoints = new Map(),
  inlineJwks?: pulumi.Input<string>,
): AgentClusterManifests | undefined {
  const agents = agentsOn(spec, cluster.name);
  if (agents.length === 0) return undefined;
  const tools = toolsOn(spec, cluster.name);
  const env = { openAiBaseUrl: inference.openAiBaseUrl };
  const [agentParams, mcpParams] = parametersManifests(spec, cluster);
  const fleet = agents.map((agent) => ({ agent, route: agentRouteManifest(spec, agent), workloads: agentVersionManifests(spec, agent, env) }));
  const toolWorkloads = tools.flatMap(toolManifests);
  // The MCP backend and its route send traffic to every tool.
  const mcpRouting = tools.length ? [mcpBackendManifest(tools), mcpRouteManifest()] : [];
  const mcp = tools.length ? [mcpParams, mcpGatewayManifest(spec), ...mcpRouting] : [];
  const waits = new Map(mcpRouting.map((m) => [manifestKey(m), toolWorkloads.map(manifestKey)]));
  for (const { agent, route, workloads } of fleet) {
    const served = new Set(routeWaitsFor(agent.versions, (v) => v.replicas).map((v) => agentVersionName(agent, v.name)));
    waits.set(manifestKey(route), workloads.filter((m) => served.has(m.metadata.name)).map(manifestKey));
  }
  return {
    workloads: [...fleet.flatMap((a) => a.workloads), ...toolWorkloads],
    gateway: [agentParams, agentGatewayManifest(spec), ...fleet.map((a) => a.route), ...llmManifests(spec), ...mcp, ...securityManifests(spec, agents, inlineJwks)],
    authorization: authorizationManifests(spec, agents, tools, waypoints),
    waits,
  };
}

/** A self-signed certificate for the agent gateway's wildcard hostname (`tls.mode: selfSigned`). */
function selfSignedSecret(spec: PlatformSpec, cluster: string, parent: pulumi.Resource): Manifest {
  const base = listenerHostname(spec).slice(2);
  return selfSignedTlsSecret(
    {
      logicalName: `${cluster}-agent-gateway-tls`,
      dnsNames: [base, `*.${base}`],
      secretName: selfSignedSecretName,
      namespace: agentGateway.namespace,
      labels: appLabels({ name: agentGateway.name, instance: agentGateway.name, component: "gateway" }),
    },
    parent,
  );
}

export interface AgentFleetArgs {
  spec: PlatformSpec;
  mesh: ClusterMesh;
  inference: ClusterInference;
}

/** The agent layer on one cluster. */
export class AgentFleet extends pulumi.ComponentResource {
  readonly install: AgentgatewayInstall;
  readonly resources: Map<string, pulumi.CustomResource>;

  constructor(name: string, manifests: AgentClusterManifests, args: AgentFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super(gatewayAccessOwners.agents.type, name, {}, opts);
    const cluster = args.mesh.cluster;
    const clusterName = cluster.spec.name;
    const provider = cluster.provider;
    const namespaces = ["agents", "tools"].map((n) => args.mesh.namespaces.get(n)).filter((r): r is pulumi.Resource => !!r);
    const meshReady = [...args.mesh.meshReady, ...namespaces];
    this.install = new AgentgatewayInstall(
      `${clusterName}-agentgateway`,
      { spec: args.spec, cluster: cluster.spec, provider, dependsOn: [...args.mesh.gatewayApiReady, ...args.mesh.meshReady] },
      { parent: this },
    );
    const apply = (list: Manifest[], dependsOn: pulumi.Input<pulumi.Resource>[]) =>
      applyManifests(clusterName, list, { provider, parent: this, dependsOn, aliases: gatewayAccessAliases(clusterName, "agents") });
    const tlsSecret = args.spec.gateways.agents?.tls.mode === "selfSigned" ? [selfSignedSecret(args.spec, clusterName, this)] : [];
    const waypoints = [...(args.mesh.waypoints?.values() ?? [])].map((w) => w.resource);
    const authorization = apply(manifests.authorization, [...meshReady, ...waypoints, ...args.inference.ready]);
    // Policies first: agents and tools start deny-by-default instead of open for a moment.
    const workloads = apply([...tlsSecret, ...manifests.workloads], [...meshReady, ...authorization.values()]);
    // Security first: JWT and per-tool CEL policies (and the backends they name) exist before any
    // Gateway or route serves, so agents and tools are never reachable without them.
    const isSecurity = (m: Manifest) => m.kind === "AgentgatewayPolicy" || (m.kind === "AgentgatewayBackend" && m.metadata.name === jwksBackendName);
    const certificates = tlsSecret.map((m) => workloads.get(manifestKey(m))!);
    const security = apply(manifests.gateway.filter(isSecurity), [...args.mesh.gatewayApiReady, ...this.install.ready]);
    const gatewayDeps = [...args.mesh.gatewayApiReady, ...this.install.ready, ...certificates, ...security.values()];
    // Each route waits for what it sends traffic to (a parked canary not among it), and nothing
    // else for a workload: waiting on one the route no longer serves, even through another
    // object, would hold the route's move off it until its pods were gone.
    const gateway = new Map(
      manifests.gateway
        .filter((m) => !isSecurity(m))
        .flatMap((m) => [...apply([m], [...gatewayDeps, ...(manifests.waits.get(manifestKey(m)) ?? []).map((k) => workloads.get(k)!)])]),
    );
    this.resources = new Map([...workloads, ...authorization, ...security, ...gateway]);
    this.registerOutputs({ agentGateway: `${agentGateway.namespace}/${agentGateway.name}`, mcpGateway: `${mcpGateway.namespace}/${mcpGateway.name}` });
  }
}

export function buildAgents(args: AgentsArgs): { clusters: Map<string, ClusterAgents>; jwtSigningKeyPem?: pulumi.Output<string>; jwtKeyId?: pulumi.Output<string> } {
  const out = new Map<string, ClusterAgents>();
  // `jwt.selfSigned`: one RS256 key for the platform; its public JWKS goes inline into the policies.
  const signingKey = args.spec.gateways.agents?.jwt?.selfSigned && args.spec.agents.length > 0
    ? new tls.PrivateKey("agent-jwt-signing-key", { algorithm: "RSA", rsaBits: 2048 })
    : undefined;
  const inlineJwks = signingKey?.publicKeyPem.apply(jwksFromPublicKeyPem);
  for (const [name, mesh] of args.mesh) {
    const inference = args.inference.get(name);
    if (!inference) continue;
    const waypoints: Waypoints = new Map([...(mesh.waypoints ?? new Map())].map(([ns, w]) => [ns, w.name]));
    const manifests = agentClusterManifests(args.spec, mesh.cluster.spec, inference, waypoints, inlineJwks);
    if (!manifests) continue;
    new AgentFleet(gatewayAccessOwners.agents.name(name), manifests, { spec: args.spec, mesh, inference });
    out.set(name, { agentGateway: { ...agentGateway }, mcpUrl: mcpUrl() });
  }
  // The key id goes with the key: agentgateway takes only tokens whose header names it (`kid`).
  return {
    clusters: out,
    ...(signingKey ? { jwtSigningKeyPem: pulumi.secret(signingKey.privateKeyPem), jwtKeyId: signingKey.publicKeyPem.apply(jwtKeyIdFromPublicKeyPem) } : {}),
  };
}
