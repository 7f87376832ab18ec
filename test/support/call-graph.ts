/**
 * Fixtures shared by the agent-call-graph policy tests (authz-call-graph*.test.ts): the agent call
 * graph through proxies, where the agent gateway the config names, waypoints and the MCP gateway
 * count as callers only while what they let through is itself in the graph.
 */
import { on, sa, ap, gw, allowFrom } from "./authz-objects";

export const td = "cluster.local";

export const principal = (id: string) => `${td}/ns/${id.split("/")[0]}/sa/${id.split("/")[1]}`;

export const labelledNs = (name: string, labels: Record<string, string>) => on("kubernetes:core/v1:Namespace", `ns-${name}`, { metadata: { name, labels } });

export const pods = (namespace: string, name: string, labels: Record<string, string>) =>
  on("kubernetes:apps/v1:Deployment", `${namespace}-deploy-${name}`, { metadata: { name, namespace }, spec: { template: { metadata: { labels }, spec: { containers: [] } } } });

export const svc = (namespace: string, name: string, selector: Record<string, string>, labels: Record<string, string> = {}) =>
  on("kubernetes:core/v1:Service", `${namespace}-svc-${name}`, { metadata: { name, namespace, labels }, spec: { selector, ports: [{ port: 8000 }] } });

export const selectorAllow = (namespace: string, name: string, matchLabels: Record<string, string>, ...callers: string[]) =>
  ap(namespace, name, { ...allowFrom(...callers.map(principal)), selector: { matchLabels } });

export const serviceAllow = (namespace: string, name: string, service: string, ...callers: string[]) =>
  ap(namespace, name, { ...allowFrom(...callers.map(principal)), targetRefs: [{ group: "", kind: "Service", name: service }] });

export const agwPolicy = (namespace: string, name: string, spec: Record<string, unknown>) =>
  on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy", `${namespace}-agpol-${name}`, { metadata: { name, namespace }, spec });

export const agwAuthz = (target: { kind: string; name: string }, matchExpressions: string[], action = "Allow") => ({
  targetRefs: [{ group: "gateway.networking.k8s.io", ...target }],
  traffic: { authorization: { action, policy: { matchExpressions } } },
});

export const agentsCel = '(source.identity.trustDomain == "cluster.local" && source.identity.namespace == "agents" && source.identity.serviceAccount in ["research-agent-v1"])';

/** A tools namespace behind its waypoint, with the calculator tool and the research agent's account. */
export function toolsBehindWaypoint(calc: Record<string, string>) {
  return [
    labelledNs("tools", { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" }),
    gw("tools", "waypoint", "istio-waypoint"),
    pods("tools", "calculator", calc),
    svc("tools", "calculator", calc),
    sa("agents", "research-agent-v1"),
  ];
}
