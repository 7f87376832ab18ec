import { test } from "node:test";
import assert from "node:assert/strict";
import { networkPolicyIngress } from "../../components/k8s/network-policies";

const deployment = (ns: string, name: string, labels: Record<string, string>, serviceAccountName?: string) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: ns },
  spec: { template: { metadata: { labels }, spec: { serviceAccountName } } },
});
const objects = [
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "agents", labels: { team: "a" } } },
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "tools", labels: { team: "t" } } },
  deployment("agents", "planner", { app: "planner", tier: "agent" }, "planner-sa"),
  deployment("agents", "writer", { app: "writer", tier: "agent" }),
  deployment("tools", "search", { app: "search" }, "search"),
  { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "edge", namespace: "tools" }, spec: { gatewayClassName: "istio" } },
  {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "search-callers", namespace: "tools" },
    spec: {
      podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["search"] }] },
      ingress: [
        { ports: [{ port: 8080 }], from: [{ namespaceSelector: { matchLabels: { team: "a" } }, podSelector: { matchLabels: { tier: "agent" } } }] },
        { from: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } }, { podSelector: { matchLabels: { app: "nobody" } } }] },
      ],
    },
  },
  {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "edge-open", namespace: "tools" },
    spec: { podSelector: { matchLabels: { "gateway.networking.k8s.io/gateway-name": "edge" } }, ingress: [{ ports: [{ port: 443 }] }] },
  },
  { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "egress-only", namespace: "tools" }, spec: { podSelector: {}, policyTypes: ["Egress"] } },
];

test("network policies: selectors, namespace peers, ipBlocks and Gateway pods resolve as the API server reads them", () => {
  const [search, edge, ...rest] = networkPolicyIngress(objects);
  assert.equal(rest.length, 0, "an egress-only policy guards no ingress");
  assert.deepEqual(search.pods.map((p) => p.name), ["search"]);
  assert.deepEqual(search.rules[0].ports, [{ port: 8080 }]);
  const [agentsPeer] = search.rules[0].peers;
  assert.equal(agentsPeer.kind, "pods");
  assert.deepEqual(agentsPeer.kind === "pods" && agentsPeer.pods.map((p) => (p.kind === "workload" ? p.serviceAccount : p.name)), ["planner-sa", "default"]);
  assert.deepEqual(search.rules[1].peers[0], { kind: "ipBlock", cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] });
  assert.deepEqual(search.rules[1].peers[1].kind === "pods" && search.rules[1].peers[1].pods, [], "a peer selecting no rendered pod stays visible, empty");
  assert.deepEqual(edge.pods, [{ kind: "gateway", namespace: "tools", name: "edge", gatewayClassName: "istio" }]);
  assert.deepEqual(edge.rules[0].peers, [{ kind: "anywhere" }]);
});

test("network policies: a Gateway of another layer counts only when asked for", () => {
  const other = [
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "gw", namespace: "inference" },
      spec: { podSelector: { matchLabels: { "gateway.networking.k8s.io/gateway-name": "inference-gateway" } }, ingress: [{}] },
    },
  ];
  assert.deepEqual(networkPolicyIngress(other)[0].pods, []);
  assert.deepEqual(networkPolicyIngress(other, { gatewaysNamedBySelectors: true })[0].pods, [{ kind: "gateway", namespace: "inference", name: "inference-gateway", gatewayClassName: undefined }]);
});
