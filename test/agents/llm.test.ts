/**
 * The agent gateway's LLM routes: agentgateway forwards OpenAI-compatible requests to the
 * cluster's inference gateway, on a listener and port that gateway serves; the inference gateway's
 * NetworkPolicy admits the agent gateway's pods; turning the routes off removes all of it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { llmBackendName, llmManifests, llmPaths } from "../../components/agents/llm";
import { edgeList, intendedCallGraph, renderedCallGraph } from "../../components/agents/callgraph";
import { labelSelectorMatches } from "../../components/k8s/selectors";
import { parsePlatform } from "../../infra/config";
import { renderShipped, shippedPlatform } from "../support/render";
import { validateObject } from "../support/schemas";
import { agentObjects, inferenceGatewayIdentity, meshWaypoints, shippedSpec } from "./support";

const hostMatches = (pattern: string, host: string) => (pattern.startsWith("*.") ? host.endsWith(pattern.slice(1)) : pattern === host);

test("prod render: the LLM backend reaches a listener the inference gateway serves, whose routes lead to the pools", () => {
  const objects = renderShipped("prod").objects("aws-use1") as any[];
  const backend = objects.find((o) => o.kind === "AgentgatewayBackend" && o.metadata.name === llmBackendName);
  const { host, port, openai } = backend.spec.ai.provider;
  assert.deepEqual(openai, {}, "no model override: the inference gateway routes on the model the caller names");
  const gateway = objects.find((o) => o.kind === "Gateway" && o.metadata.namespace === "inference");
  // Istio names the gateway's Service <gateway>-istio; the backend dials it in-cluster, in plaintext.
  assert.equal(host, `${gateway.metadata.name}-istio.inference.svc.cluster.local`);
  const listener = gateway.spec.listeners.find((l: any) => l.port === port && (!l.hostname || hostMatches(l.hostname, host)));
  assert.ok(listener, `no inference gateway listener on port ${port} for ${host}`);
  assert.equal(listener.protocol, "HTTP", "a host override makes agentgateway speak plain HTTP");
  const routes = objects.filter((o) => o.kind === "HTTPRoute" && o.metadata.namespace === "inference" && o.spec.parentRefs.some((p: any) => p.name === gateway.metadata.name && (!p.sectionName || p.sectionName === listener.name)));
  assert.ok(routes.some((r) => r.spec.rules.some((rule: any) => rule.backendRefs?.some((b: any) => b.kind === "InferencePool"))), "the listener's routes reach an InferencePool");
  assert.deepEqual(backend.spec.policies.ai.routes, llmPaths);
});

test("prod render: the LLM route is on agent-gateway's public listener, under its wildcard, for the parsed paths only", () => {
  const objects = renderShipped("prod").objects("aws-use1") as any[];
  const route = objects.find((o) => o.kind === "HTTPRoute" && o.metadata.name === "llm");
  const gateway = objects.find((o) => o.kind === "Gateway" && o.metadata.name === "agent-gateway");
  const [parent] = route.spec.parentRefs;
  const listener = gateway.spec.listeners.find((l: any) => l.name === parent.sectionName);
  assert.equal(listener.protocol, "HTTPS");
  assert.deepEqual(route.spec.hostnames, ["llm.agents.example.com"]);
  assert.ok(hostMatches(listener.hostname, route.spec.hostnames[0]));
  assert.deepEqual(route.spec.rules.flatMap((r: any) => r.matches.map((m: any) => m.path.value)).sort(), Object.keys(llmPaths).sort());
  assert.deepEqual(route.spec.rules[0].backendRefs, [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: llmBackendName }]);
  // The gateway-wide JWT policy covers it: no route-level exemption exists.
  const jwt = objects.find((o) => o.kind === "AgentgatewayPolicy" && o.spec.traffic?.jwtAuthentication);
  assert.deepEqual(jwt.spec.targetRefs, [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "agent-gateway" }]);
});

test("prod render: the inference gateway's NetworkPolicy admits agent-gateway's pods on the in-mesh port", () => {
  const objects = renderShipped("prod").objects("aws-use1") as any[];
  const np = objects.find((o) => o.kind === "NetworkPolicy" && o.metadata.name === "inference-gateway-callers");
  const agentGatewayPod = { "gateway.networking.k8s.io/gateway-name": "agent-gateway", "gateway.networking.k8s.io/gateway-class-name": "agentgateway" };
  const rule = np.spec.ingress.find((r: any) => r.from?.some((f: any) => labelSelectorMatches(f.podSelector, agentGatewayPod) && labelSelectorMatches(f.namespaceSelector, { "kubernetes.io/metadata.name": "agents" })));
  assert.ok(rule, "no rule admits the agent gateway's pods");
  assert.deepEqual(rule.ports, [{ protocol: "TCP", port: 80 }]);
});

test("a token budget becomes a local rate limit on the LLM route, valid against agentgateway's CRD", async () => {
  const platform = shippedPlatform("prod");
  platform.gateways.agents.llm = { tokensPerMinute: 50000 };
  const spec = parsePlatform(platform, "prod");
  const limit = llmManifests(spec).find((m) => m.kind === "AgentgatewayPolicy")! as any;
  assert.deepEqual(limit.spec.targetRefs, [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "llm" }]);
  assert.deepEqual(limit.spec.traffic.rateLimit.local, [{ tokens: 50000, unit: "Minutes" }]);
  for (const m of llmManifests(spec)) assert.deepEqual((await validateObject(m)).errors, [], `${m.kind} ${m.metadata.name}`);
  assert.equal(llmManifests(shippedSpec("local")).some((m) => m.kind === "AgentgatewayPolicy"), false, "no budget, no limit");
});

test("LLM routes off: no backend or route, the NetworkPolicy keeps agent-gateway out, and the call graph follows", () => {
  const platform = shippedPlatform("prod");
  platform.gateways.agents.llm = { enabled: false };
  platform.agents[1].name = "llm"; // the host (and the route's name) is free again
  const spec = parsePlatform(platform, "prod");
  assert.deepEqual(llmManifests(spec), []);
  const objects = agentObjects(spec, "aws-use1") as any[];
  assert.equal(objects.some((o) => o.kind === "AgentgatewayBackend" && o.metadata.name === llmBackendName), false);
  assert.deepEqual(objects.filter((o) => o.kind === "HTTPRoute" && o.metadata.name === "llm").map((r) => r.spec.hostnames), [["llm.agents.example.com"]], "only the agent's own route");
  const np = objects.find((o) => o.kind === "NetworkPolicy");
  assert.equal(JSON.stringify(np.spec).includes("agent-gateway"), false);
  const intended = edgeList(intendedCallGraph(spec, "aws-use1", inferenceGatewayIdentity, meshWaypoints));
  assert.equal(intended.includes("network: agents/agent-gateway -> inference/inference-gateway-istio:80"), false);
  const onSpec = edgeList(intendedCallGraph(shippedSpec("prod"), "aws-use1", inferenceGatewayIdentity, meshWaypoints));
  assert.ok(onSpec.includes("network: agents/agent-gateway -> inference/inference-gateway-istio:80"));
  const inferenceNode = "inference/inference-gateway-istio";
  const rendered = edgeList(renderedCallGraph(objects, spec.mesh.trustDomain).filter((e) => e.to === inferenceNode && e.layer === "network"));
  assert.deepEqual(rendered, intended.filter((e) => e.startsWith("network:") && e.includes(`-> ${inferenceNode}:`)));
});
