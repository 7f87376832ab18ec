/**
 * Fixtures shared by the authorization-targets-enforced tests (authz-targets*.test.ts): a policy's
 * targetRefs, and a fleet with the agent gateway, an agents waypoint whose HBONE listener takes
 * targets from every namespace, the inference gateway and a tool Service enrolled with that waypoint.
 */
import { on, gw, allowFrom } from "./authz-objects";
import { labelledNs, svc as service } from "./call-graph";

export const GW = "gateway.networking.k8s.io";
export const caller = "cluster.local/ns/agents/sa/research-agent-v1";
export const to = (...targetRefs: Record<string, unknown>[]) => ({ ...allowFrom(caller), targetRefs });
export const ns = (name: string, labels: Record<string, string> = {}) => labelledNs(name, labels);
export const svc = (namespace: string, name: string, labels: Record<string, string> = {}) => service(namespace, name, { app: name }, labels);
export const gatewayClass = (name: string, controllerName: string) => on(`kubernetes:${GW}/v1:GatewayClass`, `gc-${name}`, { metadata: { name }, spec: { controllerName } });
export const agwChart = (values: Record<string, unknown>) => on("kubernetes:helm.sh/v3:Release", "agentgateway", { chart: "agentgateway", values });

export const fleet = [
  ns("agents", { "istio.io/use-waypoint": "waypoint" }),
  ns("tools"),
  gw("agents", "agent-gateway", "agentgateway"),
  // Its HBONE listener takes targets from every namespace: tools/calculator below uses it.
  on(`kubernetes:${GW}/v1:Gateway`, "agents-gw-waypoint", {
    metadata: { name: "waypoint", namespace: "agents" },
    spec: { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE", allowedRoutes: { namespaces: { from: "All" } } }] },
  }),
  gw("inference", "inference-gateway", "istio"),
  svc("agents", "research-agent"),
  svc("tools", "calculator", { "istio.io/use-waypoint": "waypoint", "istio.io/use-waypoint-namespace": "agents" }),
];
