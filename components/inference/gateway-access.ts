/**
 * Who may call a cluster's inference gateway, and where that can be enforced.
 *
 * Istio keeps the Gateways it deploys out of the ambient data plane (the controller labels their
 * pods `istio.io/dataplane-mode: none`: an ingress already speaks HBONE, and capturing it would
 * tunnel twice). An in-mesh caller's ztunnel therefore delivers its request to the gateway in
 * plaintext, and the gateway's Envoy matches `principals` only against a TLS peer certificate
 * (istio/istio 1.30.3 listener_builder.go: only waypoints read the HBONE peer identity). A rule
 * naming the agents' principals at the gateway never matches them: the agents' calls would be
 * denied. So the two layers split the work:
 *
 * - the Istio ALLOW policy (bound to the Gateway through `targetRefs`) admits callers without a
 *   mesh identity on the gateway's listener ports only: the public listener, and the in-mesh
 *   listener where agents run;
 * - a Kubernetes NetworkPolicy on the gateway's pods decides who reaches which port: the public
 *   listener and Istio's status port from anywhere, the in-mesh listener from this cluster's agent
 *   pods only. Both listeners share the gateway's load balancer, so without it an outside client
 *   could send the in-mesh Host header to port 80 and reach the models in plaintext. It needs a
 *   CNI that enforces NetworkPolicy: k3s's built-in controller, the VPC CNI with network policy
 *   enabled (the EKS clusters turn it on).
 */
import * as pulumi from "@pulumi/pulumi";
import type { AgentSpec, PlatformSpec } from "../../infra/config";
import { inferenceMeshPort, inferencePublicPort, istioGatewayStatusPort } from "../../infra/gateway-ports";
import { Manifest, manifestKey } from "../k8s/apply";
import { allowPolicy } from "../mesh/authz";
import { agentGateway, agentsNamespace, agentVersionName } from "../agents/names";
import { llmRoutesEnabled } from "../agents/llm";
import { gatewayName, inferenceNamespace } from "./names";

export const gatewayCallersName = `${gatewayName}-callers`;

/** The label Istio's gateway controller puts on every pod of a Gateway it deploys. */
export const gatewayPodLabel = "gateway.networking.k8s.io/gateway-name";

/**
 * Every label Istio 1.30.3's controller puts on a Gateway's pods (kube-gateway.yaml,
 * gatewaycommon/deploymentcontroller.go): `infrastructure.labels`, else the Gateway's own labels,
 * the gateway name and class, the controller's mark, no sidecar, and out of ambient for classes
 * other than waypoints and east-west gateways.
 */
export function gatewayPodLabels(gw: { metadata: { name: string; labels?: Record<string, string> }; spec?: any }): Record<string, string> {
  const cls = String(gw.spec?.gatewayClassName ?? "");
  const copied = Object.entries((gw.spec?.infrastructure?.labels ?? gw.metadata.labels ?? {}) as Record<string, string>).filter(([k]) => !k.startsWith("gateway.networking.k8s.io/"));
  const own = Object.fromEntries(copied);
  return {
    "sidecar.istio.io/inject": "false",
    ...own,
    [gatewayPodLabel]: gw.metadata.name,
    "gateway.networking.k8s.io/gateway-class-name": cls,
    "gateway.istio.io/managed": "istio.io-gateway-controller",
    ...(["istio-waypoint", "istio-east-west"].includes(cls) || own["istio.io/dataplane-mode"] ? {} : { "istio.io/dataplane-mode": "none" }),
  };
}

const labels = {
  "app.kubernetes.io/name": gatewayCallersName,
  "app.kubernetes.io/component": "authorization",
  "app.kubernetes.io/part-of": "inference-mesh",
  "app.kubernetes.io/managed-by": "pulumi",
};

/** The listener ports callers may use: the public one, and the in-mesh one where agents run. */
export function inferenceGatewayCallerPorts(spec: PlatformSpec, agents: AgentSpec[]): number[] {
  const ports = [inferencePublicPort(spec.gateways), ...(agents.length ? [inferenceMeshPort] : [])];
  return [...new Set(ports)];
}

/**
 * The gateway's Istio ALLOW policy: callers without a mesh identity (which is how every caller
 * reaches it) on the listener ports only. Rendered on every cluster that serves models: a Gateway
 * no ALLOW policy binds admits everyone on every port.
 */
export function inferenceGatewayPolicy(spec: PlatformSpec, agents: AgentSpec[]): Manifest {
  return allowPolicy({
    name: gatewayCallersName,
    namespace: inferenceNamespace,
    trustDomain: spec.mesh.trustDomain,
    target: { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: gatewayName }] },
    rules: [{ from: [], unauthenticated: true, ports: inferenceGatewayCallerPorts(spec, agents) }],
    labels,
  });
}

/** The gateway pods' NetworkPolicy: public listener and status port from anywhere, the in-mesh listener from the agents (and the agent gateway's LLM routes). */
export function inferenceGatewayNetworkPolicy(spec: PlatformSpec, agents: AgentSpec[]): Manifest {
  const publicPort = inferencePublicPort(spec.gateways);
  const tcp = (port: number) => ({ protocol: "TCP", port });
  const agentInstances = agents.flatMap((a) => a.versions.map((v) => agentVersionName(a, v.name))).sort();
  const inAgentsNamespace = { matchLabels: { "kubernetes.io/metadata.name": agentsNamespace } };
  const agentPods = {
    namespaceSelector: inAgentsNamespace,
    podSelector: {
      matchLabels: { "app.kubernetes.io/component": "agent", "app.kubernetes.io/part-of": "inference-mesh" },
      matchExpressions: [{ key: "app.kubernetes.io/instance", operator: "In", values: agentInstances }],
    },
  };
  // The agent gateway's proxies forward the LLM routes (../agents/llm.ts); agentgateway v1.4.1
  // labels its proxy pods with their Gateway's name, as Istio does.
  const agentGatewayPods = { namespaceSelector: inAgentsNamespace, podSelector: { matchLabels: { [gatewayPodLabel]: agentGateway.name } } };
  const fromAgents =
    agentInstances.length && publicPort !== inferenceMeshPort
      ? [{ from: [agentPods, ...(llmRoutesEnabled(spec) ? [agentGatewayPods] : [])], ports: [tcp(inferenceMeshPort)] }]
      : [];
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: gatewayCallersName, namespace: inferenceNamespace, labels },
    spec: {
      podSelector: { matchLabels: { [gatewayPodLabel]: gatewayName } },
      policyTypes: ["Ingress"],
      ingress: [{ ports: [tcp(publicPort), tcp(istioGatewayStatusPort)] }, ...fromAgents],
    },
  };
}

/** Both layers of the inference gateway's access control on one cluster. */
export function inferenceGatewayAccess(spec: PlatformSpec, agents: AgentSpec[]): Manifest[] {
  return [inferenceGatewayPolicy(spec, agents), inferenceGatewayNetworkPolicy(spec, agents)];
}

/**
 * The two components that render the gateway's access on a cluster: the inference layer where no
 * agent runs, the agent layer (with its agents as callers) where some do. Their types and names
 * are here so that each can alias the other's copy.
 */
export const gatewayAccessOwners = {
  inference: { type: "inference-mesh:inference:ClusterInference", name: (cluster: string) => `${cluster}-inference` },
  agents: { type: "inference-mesh:agents:AgentFleet", name: (cluster: string) => `${cluster}-agents` },
} as const;

/** The objects `inferenceGatewayAccess` renders, by `manifestKey`. */
const accessKeys = new Set(
  ["AuthorizationPolicy", "NetworkPolicy"].map((kind) => manifestKey({ kind, metadata: { namespace: inferenceNamespace, name: gatewayCallersName } })),
);

/**
 * The earlier URNs of the gateway's access objects, for `ApplyOptions.aliases` of the component
 * `owner`: the same objects under the other owner (a URN names its parent's type). The first agent
 * placed on a cluster, or the last one leaving it, moves them between the two components; without
 * the alias the engine creates the new URN before deleting the old one, and the create meets the
 * live object (AlreadyExists: pulumi-kubernetes creates with a plain create since 4.29), so the
 * `pulumi up` fails. Other objects get none.
 */
export function gatewayAccessAliases(cluster: string, owner: keyof typeof gatewayAccessOwners): (m: Manifest) => pulumi.Input<pulumi.Alias>[] | undefined {
  const other = gatewayAccessOwners[owner === "inference" ? "agents" : "inference"];
  return (m) => (accessKeys.has(manifestKey(m)) ? [{ parent: pulumi.createUrn(other.name(cluster), other.type) }] : undefined);
}
