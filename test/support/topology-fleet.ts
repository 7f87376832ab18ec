/**
 * The two-cluster fleet the topology tests describe (clusters east and west, each with agents,
 * tools behind a waypoint, an inference gateway with a canary split, remote secrets for its peer
 * and AuthorizationPolicies built with the platform's own builder, components/mesh/authz.ts), and
 * the object builders it is made of.
 */
import type { CapturedResource } from "../../scripts/lib/engine";
import { capturedObject } from "./captured";
import { allowPolicy } from "../../components/mesh/authz";

export const TD = "mesh.example";

const resource = capturedObject;

export const ns = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
export const sa = (namespace: string, name: string) => ({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace } });
export const deployment = (namespace: string, name: string, serviceAccount: string, labels: Record<string, string>) => ({
  apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace },
  spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { serviceAccountName: serviceAccount, containers: [] } } },
});
const service = (namespace: string, name: string, selector: Record<string, string>, labels: Record<string, string> = {}) => ({
  apiVersion: "v1", kind: "Service", metadata: { name, namespace, labels }, spec: { selector, ports: [{ port: 8000 }] },
});
export const gateway = (namespace: string, name: string, gatewayClassName: string, listeners: any[]) => ({
  apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name, namespace }, spec: { gatewayClassName, listeners },
});

export function clusterObjects(cluster: string, network: string, peers: string[]): any[] {
  return [
    ns("istio-system", { "topology.istio.io/network": network }),
    ns("agents", { "istio.io/dataplane-mode": "ambient" }),
    ns("tools", { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" }),
    sa("agents", "research-agent"), sa("agents", "agentgateway"), sa("tools", "web-search"), sa("tools", "calculator"),
    deployment("agents", "research-agent-v1", "research-agent", { app: "research-agent", version: "v1" }),
    deployment("agents", "agentgateway", "agentgateway", { app: "agentgateway" }),
    deployment("tools", "web-search", "web-search", { app: "web-search" }),
    deployment("tools", "calculator", "calculator", { app: "calculator" }),
    service("tools", "web-search", { app: "web-search" }),
    service("tools", "calculator", { app: "calculator" }, { "istio.io/use-waypoint": "none" }),
    gateway("istio-system", "istio-eastwestgateway", "istio-east-west", [{ name: "mesh", port: 15008, protocol: "HBONE", tls: { mode: "Terminate" } }]),
    gateway("tools", "waypoint", "istio-waypoint", [{ name: "mesh", port: 15008, protocol: "HBONE" }]),
    gateway("inference", "inference-gateway", "istio", [{ name: "https", port: 443, protocol: "HTTPS", tls: { mode: "Terminate" } }]),
    {
      apiVersion: "inference.networking.k8s.io/v1", kind: "InferencePool", metadata: { name: "qwen-v1", namespace: "inference" },
      spec: { selector: { matchLabels: { model: "qwen", version: "v1" } }, targetPorts: [{ number: 8000 }], endpointPickerRef: { name: "qwen-v1-epp", port: { number: 9002 }, failureMode: "FailOpen" } },
    },
    {
      apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "qwen", namespace: "inference" },
      spec: {
        parentRefs: [{ name: "inference-gateway" }],
        rules: [
          // weight 1 on a lone backend is all of the rule's traffic, not "1%".
          { matches: [{ headers: [{ name: "x-canary", value: "true" }] }], backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: "qwen-v2", weight: 1 }] },
          { backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: "qwen-v1", weight: 95 }, { group: "inference.networking.k8s.io", kind: "InferencePool", name: "qwen-v2", weight: 5 }] },
        ],
      },
    },
    ...peers.map((p) => ({
      apiVersion: "v1", kind: "Secret",
      metadata: { name: `istio-remote-secret-${p}`, namespace: "istio-system", labels: { "istio/multiCluster": "true" }, annotations: { "networking.istio.io/cluster": p } },
    })),
    allowPolicy({ name: "research-agent", namespace: "agents", trustDomain: TD, target: { selector: { app: "research-agent" } }, rules: [{ from: [{ namespace: "agents", serviceAccount: "agentgateway" }], ports: [8080] }] }),
    allowPolicy({
      name: "tools", namespace: "tools", trustDomain: TD,
      target: { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "waypoint" }] },
      rules: [{ from: [{ namespace: "agents", serviceAccount: "research-agent" }, { namespace: "agents", serviceAccount: "ghost" }], paths: ["/mcp"] }],
    }),
    { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "no-ghost", namespace: "tools" }, spec: { action: "DENY", selector: { matchLabels: { app: "calculator" } }, rules: [{ from: [{ source: { principals: [`${TD}/ns/agents/sa/ghost`] } }] }] } },
  ];
}

export function fleet(networks: [string, string]): CapturedResource[] {
  const stack: CapturedResource = {
    urn: "urn:pulumi:prod::inference-mesh::pulumi:pulumi:Stack::inference-mesh-prod", custom: false, type: "pulumi:pulumi:Stack", inputs: {},
    outputs: { clusters: [{ name: "east", cloud: "aws", region: "us-east-1", network: networks[0] }, { name: "west", cloud: "gcp", region: "us-west1", network: networks[1] }] },
    dependencies: [], propertyDependencies: {},
  };
  return [stack, ...clusterObjects("east", networks[0], ["west"]).map((o) => resource("east", o)), ...clusterObjects("west", networks[1], ["east"]).map((o) => resource("west", o))];
}
