/**
 * The who-may-call-whom graph enforced by the rendered policies equals the one the config
 * intends (ingress → agent-gateway → agents → mcp-gateway → tools, each agent only its tools;
 * agents and the ingress → inference gateway), with no extra edge; every principal names a
 * rendered ServiceAccount or a gateway proxy's controller-created one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { renderShipped } from "../support/render";
import { edgeList, intendedCallGraph, renderedCallGraph, unresolvedPrincipals } from "../../components/agents/callgraph";
import { agentLayerEdges, agentObjects, inferenceGatewayIdentity, meshWaypoints, shippedSpec } from "./support";
import { parsePlatform } from "../../infra/config";
import { shippedPlatform } from "../support/render";
import { clusterInferenceManifests } from "../../components/inference";

test("local render: enforced call graph equals the intended one, no extra edge", () => {
  const spec = shippedSpec("local");
  const objects = renderShipped("local").objects("local") as any[];
  const intended = edgeList(intendedCallGraph(spec, "local", inferenceGatewayIdentity, meshWaypoints));
  assert.ok(intended.length > 10, "the local stack has agents, tools and the inference gateway");
  assert.deepEqual(agentLayerEdges(renderedCallGraph(objects, spec.mesh.trustDomain)), intended);
  // Spot checks, readable when the whole-graph comparison is ever changed.
  assert.ok(intended.includes("mcp-tool: agents/research-agent-v2 -> tools/calculator"));
  assert.ok(intended.includes("mesh: agents/agent-gateway -> agents/research-agent-v1"));
  assert.ok(intended.includes("gateway: ingress -> agents/agent-gateway"));
  assert.ok(!intended.some((e) => e.includes("ingress -> agents/research")), "no caller from outside reaches an agent directly");
});

test("local render: every principal resolves to a rendered or controller-created ServiceAccount", () => {
  const spec = shippedSpec("local");
  const objects = renderShipped("local").objects("local") as any[];
  assert.deepEqual(unresolvedPrincipals(objects, spec.mesh.trustDomain), []);
});

test("a cluster serving models without agents still binds its inference gateway: outside callers on the public port only", () => {
  const raw = shippedPlatform("prod");
  raw.agents.forEach((a: any) => (a.clusters = ["aws-use1"]));
  const spec = parsePlatform(raw, "prod");
  const objects = clusterInferenceManifests(spec, "aws-euw1") as any[];
  const policy = objects.find((o) => o.kind === "AuthorizationPolicy" && o.metadata.name === "inference-gateway-callers");
  assert.ok(policy, "without it Istio admits everyone on every port, the plaintext in-mesh listener included");
  assert.deepEqual(policy.spec.rules, [{ from: [{ source: { notPrincipals: ["*"] } }], to: [{ operation: { ports: ["443"] } }] }]);
  const intended = edgeList(intendedCallGraph(spec, "aws-euw1", inferenceGatewayIdentity, meshWaypoints));
  assert.deepEqual(intended, [
    "mesh: ingress -> inference/inference-gateway-istio",
    "network: * -> inference/inference-gateway-istio:15021",
    "network: * -> inference/inference-gateway-istio:443",
    "network: ingress -> inference/inference-gateway-istio:15021",
    "network: ingress -> inference/inference-gateway-istio:443",
  ]);
  // The gateway's pods take the public listener and Istio's status port from anywhere, and nothing on 80.
  const network = objects.find((o) => o.kind === "NetworkPolicy" && o.metadata.name === "inference-gateway-callers");
  assert.deepEqual(network.spec.ingress, [{ ports: [{ protocol: "TCP", port: 443 }, { protocol: "TCP", port: 15021 }] }]);
  assert.deepEqual(agentLayerEdges(renderedCallGraph(objects, spec.mesh.trustDomain)), intended);
});

test("prod (pure manifests): every agent cluster's graph equals the intended one; support-agent never reaches web-search", () => {
  const spec = shippedSpec("prod");
  const agentClusters = [...new Set([...spec.agentClusters.values()].flat())];
  assert.ok(agentClusters.length >= 2);
  for (const cluster of agentClusters) {
    const objects = agentObjects(spec, cluster) as any[];
    const intended = edgeList(intendedCallGraph(spec, cluster, inferenceGatewayIdentity, meshWaypoints));
    assert.deepEqual(agentLayerEdges(renderedCallGraph(objects, spec.mesh.trustDomain)), intended, cluster);
    assert.deepEqual(unresolvedPrincipals(objects, spec.mesh.trustDomain), [], cluster);
    assert.ok(!intended.some((e) => /support-agent-v\d -> tools\/(web-search|calculator)/.test(e)), cluster);
  }
});

test("an extra principal in a tool policy shows up as an extra edge", () => {
  const spec = shippedSpec("local");
  const objects = structuredClone(agentObjects(spec, "local")) as any[];
  const calculator = objects.find((o) => o.kind === "AuthorizationPolicy" && o.metadata.name === "calculator");
  calculator.spec.rules[0].from[0].source.principals.push("cluster.local/ns/inference/sa/intruder");
  const rendered = agentLayerEdges(renderedCallGraph(objects, spec.mesh.trustDomain));
  const intended = edgeList(intendedCallGraph(spec, "local", inferenceGatewayIdentity, meshWaypoints));
  assert.deepEqual(rendered.filter((e) => !intended.includes(e)), ["mesh: inference/intruder -> tools/calculator"]);
  assert.deepEqual(unresolvedPrincipals(objects, spec.mesh.trustDomain), ["cluster.local/ns/inference/sa/intruder"]);
});

test("an agent losing a tool in config loses exactly its mesh and MCP edges to that tool", () => {
  const spec = shippedSpec("local");
  const narrowed = { ...spec, agents: spec.agents.map((a) => ({ ...a, tools: a.tools.filter((t) => t !== "calculator") })) };
  const before = edgeList(intendedCallGraph(spec, "local", inferenceGatewayIdentity, meshWaypoints));
  const after = agentLayerEdges(renderedCallGraph(agentObjects(narrowed, "local") as any[], spec.mesh.trustDomain));
  assert.deepEqual(
    before.filter((e) => !after.includes(e)),
    [
      "mcp-tool: agents/research-agent-v1 -> tools/calculator",
      "mcp-tool: agents/research-agent-v2 -> tools/calculator",
      "mesh: agents/research-agent-v1 -> tools/calculator",
      "mesh: agents/research-agent-v2 -> tools/calculator",
      "mesh: tools/mcp-gateway -> tools/calculator",
      "mesh: tools/waypoint -> tools/calculator",
    ],
  );
});

test("without a waypoint in tools, the tools' ztunnel policies name the agents themselves; the graph is the same minus the waypoint hop", () => {
  const spec = shippedSpec("local");
  const objects = agentObjects(spec, "local", new Map()) as any[];
  const toolPolicy = objects.find((o) => o.kind === "AuthorizationPolicy" && o.metadata.name === "calculator");
  assert.ok(toolPolicy.spec.selector);
  assert.ok(!objects.some((o) => o.kind === "AuthorizationPolicy" && o.spec.targetRefs?.[0]?.kind === "Service"));
  assert.deepEqual(
    agentLayerEdges(renderedCallGraph(objects, spec.mesh.trustDomain)),
    edgeList(intendedCallGraph(spec, "local", inferenceGatewayIdentity, new Map())),
  );
});

test("with the mesh's waypoint in tools, the agents' rule sits on the waypoint (targetRefs Service, L7) and ztunnel admits the waypoint", () => {
  const spec = shippedSpec("local");
  const objects = agentObjects(spec, "local") as any[];
  const l4 = objects.find((o) => o.kind === "AuthorizationPolicy" && o.metadata.name === "web-search");
  assert.deepEqual(l4.spec.rules[0].from[0].source.principals, ["cluster.local/ns/tools/sa/mcp-gateway", "cluster.local/ns/tools/sa/waypoint"]);
  assert.ok(!l4.spec.rules.some((r: any) => r.to?.some((t: any) => t.operation.methods || t.operation.paths)), "no L7 field at ztunnel");
  const l7 = objects.find((o) => o.kind === "AuthorizationPolicy" && o.metadata.name === "web-search-agents");
  assert.deepEqual(l7.spec.targetRefs, [{ group: "", kind: "Service", name: "web-search" }]);
  assert.equal(l7.spec.selector, undefined);
  assert.deepEqual(l7.spec.rules[0].to[0].operation.paths, ["/mcp"]);
  const proxies = objects.filter((o) => o.kind === "Gateway" && o.spec.gatewayClassName === "agentgateway");
  assert.deepEqual(proxies.map((gw) => `${gw.metadata.namespace}/${gw.metadata.name}`).sort(), ["agents/agent-gateway", "tools/mcp-gateway"]);
  for (const gw of proxies) {
    assert.equal(gw.spec.infrastructure.labels["istio.io/use-waypoint"], "none", `${gw.metadata.name} is reached directly, not through a waypoint`);
  }
});

test("agents reach the inference gateway through its NetworkPolicy: a principal at an Istio gateway matches nobody", () => {
  const spec = shippedSpec("local");
  const objects = structuredClone(renderShipped("local").objects("local")) as any[];
  const intended = edgeList(intendedCallGraph(spec, "local", inferenceGatewayIdentity, meshWaypoints));
  assert.ok(intended.includes("network: agents/research-agent-v1 -> inference/inference-gateway-istio:80"));
  assert.ok(!intended.some((e) => /^mesh: agents\/.* -> inference\//.test(e)), "Istio's gateway sees no mesh identity");
  // The Istio policy admits callers without a mesh identity on the two listener ports only.
  const policy = objects.find((o) => o.kind === "AuthorizationPolicy" && o.metadata.name === "inference-gateway-callers");
  assert.deepEqual(policy.spec.rules, [{ from: [{ source: { notPrincipals: ["*"] } }], to: [{ operation: { ports: ["443", "80"] } }] }]);
  // The NetworkPolicy lets exactly this cluster's agent versions reach port 80.
  const network = objects.find((o) => o.kind === "NetworkPolicy" && o.metadata.name === "inference-gateway-callers");
  assert.deepEqual(network.spec.podSelector, { matchLabels: { "gateway.networking.k8s.io/gateway-name": "inference-gateway" } });
  assert.deepEqual(network.spec.ingress[1].ports, [{ protocol: "TCP", port: 80 }]);
  assert.deepEqual(network.spec.ingress[1].from[0].podSelector.matchExpressions[0].values, spec.agents.flatMap((a) => a.versions.map((v) => `${a.name}-${v.name}`)).sort());

  // A principal added at the Istio gateway draws no edge; opening port 80 to every namespace does.
  policy.spec.rules.push({ from: [{ source: { principals: ["cluster.local/ns/tools/sa/calculator"] } }] });
  network.spec.ingress[1].from = [{ namespaceSelector: {} }];
  const rendered = agentLayerEdges(renderedCallGraph(objects, spec.mesh.trustDomain));
  const extra = rendered.filter((e) => !intended.includes(e));
  assert.ok(!extra.some((e) => e.startsWith("mesh: tools/calculator")), extra.join("\n"));
  assert.ok(extra.includes("network: tools/calculator -> inference/inference-gateway-istio:80"), extra.join("\n"));
  assert.ok(extra.includes("network: inference/inference-gateway-istio -> inference/inference-gateway-istio:80"), extra.join("\n"));
});

test("tls none: the in-mesh listener shares the public port 80, whose rule from anywhere admits the agents too; the graph still equals the intended one", () => {
  const raw = shippedPlatform("local");
  raw.gateways.inference.tls = { mode: "none" };
  raw.policy = { ...raw.policy, requireTls: false };
  const spec = parsePlatform(raw, "local");
  const objects = structuredClone(agentObjects(spec, "local")) as any[];
  const network = objects.find((o) => o.kind === "NetworkPolicy" && o.metadata.name === "inference-gateway-callers");
  assert.deepEqual(network.spec.ingress, [{ ports: [{ protocol: "TCP", port: 80 }, { protocol: "TCP", port: 15021 }] }], "no rule of the agents' own");
  const intended = edgeList(intendedCallGraph(spec, "local", inferenceGatewayIdentity, meshWaypoints));
  assert.ok(intended.includes("network: * -> inference/inference-gateway-istio:80"));
  assert.ok(!intended.some((e) => /^network: agents\//.test(e)), "anyone on port 80 covers the agents' edges");
  const rendered = renderedCallGraph(objects, spec.mesh.trustDomain);
  assert.deepEqual(agentLayerEdges(rendered), intended);
  // The agents really are admitted on port 80: nothing but the rule from anywhere lets them in.
  assert.ok(rendered.some((e) => e.from === "*" && e.to === "inference/inference-gateway-istio" && e.port === "80"));

  // Port 80 closed to all but the outside: the agents lose their way in, and the graph shows it.
  network.spec.ingress = [{ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 80 }] }, { ports: [{ protocol: "TCP", port: 15021 }] }];
  const narrowed = agentLayerEdges(renderedCallGraph(objects, spec.mesh.trustDomain));
  assert.deepEqual(
    intended.filter((e) => !narrowed.includes(e)),
    ["network: * -> inference/inference-gateway-istio:80", "network: ingress -> inference/inference-gateway-istio:80"],
  );
});
