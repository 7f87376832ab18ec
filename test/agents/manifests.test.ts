/**
 * The agent layer's pure builders: routes (canary header rule first, weights), the MCP backend,
 * CEL rules (round trip, per-tool callers), JWT/JWKS, the agentgateway releases, and schema
 * conformance of everything prod would apply (prod does not render until its clusters are wired).
 */
import { test } from "node:test";
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import assert from "node:assert/strict";
import { agentRouteRules, canaryHeader } from "../../components/agents/routes";
import { mcpBackendManifest } from "../../components/agents/backend";
import { celExpression, jwksFromPublicKeyPem, jwksSource, jwtManifests, parseCelExpression, toolCallers } from "../../components/agents/security";
import { controllerRelease, crdRelease } from "../../components/agents/install";
import { agentGatewayManifest, mcpGatewayManifest, parametersManifests } from "../../components/agents/gateway";
import { agentEnv } from "../../components/agents/agents";
import { toolsOn } from "../../components/agents/names";
import { validateObject } from "../support/schemas";
import { renderShipped, shippedPlatform } from "../support/render";
import { parsePlatform } from "../../infra/config";
import { agentObjects, inference, meshWaypoints, shippedSpec } from "./support";
import { agentClusterManifests } from "../../components/agents";

test("agent route: x-canary rule first to the canary only, then the configured split", () => {
  const spec = shippedSpec("prod");
  const agent = spec.agents.find((a) => a.name === "research-agent")!;
  const [header, split, ...rest] = agentRouteRules(agent);
  assert.equal(rest.length, 0);
  assert.deepEqual(header.matches, [{ headers: [{ type: "Exact", name: canaryHeader, value: "true" }] }]);
  assert.deepEqual(header.backendRefs.map((b) => b.name), ["research-agent-v2"]);
  assert.deepEqual(split.backendRefs.map((b) => [b.name, b.weight, b.port]), [["research-agent-v1", 95, 8080], ["research-agent-v2", 5, 8080]]);
});

test("agent route: a single version gets only the split rule, all weight on it", () => {
  const spec = shippedSpec("local");
  const agent = { ...spec.agents[0], versions: [{ ...spec.agents[0].versions[0], weight: 100, canary: false }] };
  const rules = agentRouteRules(agent);
  assert.equal(rules.length, 1);
  assert.deepEqual(rules[0].backendRefs.map((b) => [b.name, b.weight]), [["research-agent-v1", 100]]);
});

test("local render: agent route attaches to the HTTPS listener with the agent's own hostname", () => {
  const route = renderShipped("local").objects("local").find((o) => o.kind === "HTTPRoute" && o.metadata.name === "research-agent") as any;
  assert.deepEqual(route.spec.hostnames, ["research-agent.agents.localtest.me"]);
  assert.equal(route.spec.parentRefs[0].sectionName, "https");
  assert.equal(route.spec.rules[0].matches[0].headers[0].name, "x-canary");
  assert.deepEqual(route.spec.rules[1].backendRefs.map((b: any) => b.weight), [95, 5]);
});

test("MCP backend: one selector target per tool, stable prefixes, deliberate session routing", () => {
  const spec = shippedSpec("prod");
  const backend = mcpBackendManifest(toolsOn(spec, "aws-use1")) as any;
  assert.deepEqual(backend.spec.mcp.targets.map((t: any) => t.name), ["calculator", "ticket-lookup", "web-search"]);
  for (const t of backend.spec.mcp.targets) assert.deepEqual(t.selector.services.matchLabels["app.kubernetes.io/name"], t.name);
  assert.equal(backend.spec.mcp.prefixMode, "Always");
  assert.equal(backend.spec.mcp.sessionRouting, "Stateful");
});

test("CEL: expressions round-trip, and each tool admits exactly the agents that list it", () => {
  const clauses = [
    { trustDomain: "cluster.local", namespace: "agents", serviceAccounts: ["a-v1", "a-v2"], toolTarget: "web-search" },
    { trustDomain: "cluster.local", namespace: "agents", serviceAccounts: ["b-v1"] },
  ];
  assert.deepEqual(parseCelExpression(celExpression(clauses)), clauses);
  assert.throws(() => parseCelExpression(`${celExpression(clauses)} || true`), /not an expression of the shape/);
  const spec = shippedSpec("prod");
  const callers = toolCallers(spec.agents);
  assert.deepEqual(callers.get("ticket-lookup")!.map((i) => i.serviceAccount), ["support-agent-v1", "support-agent-v2"]);
  assert.deepEqual(callers.get("calculator")!.map((i) => i.serviceAccount), ["research-agent-v1", "research-agent-v2"]);
});

test("JWT: prod authenticates with issuer, audiences and the JWKS host; local with a Pulumi-made key, inline", () => {
  assert.deepEqual(jwksSource("https://auth.example.com/.well-known/jwks.json"), { host: "auth.example.com", port: 443, path: ".well-known/jwks.json", tls: true });
  const [backend, policy] = jwtManifests(shippedSpec("prod")) as any[];
  assert.deepEqual(backend.spec, { static: { host: "auth.example.com", port: 443 }, policies: { tls: { sni: "auth.example.com" } } });
  const jwt = policy.spec.traffic.jwtAuthentication;
  assert.equal(jwt.mode, "Strict");
  assert.equal(jwt.providers[0].issuer, "https://auth.example.com/");
  assert.deepEqual(jwt.providers[0].audiences, ["agents.example.com"]);
  assert.equal(jwt.providers[0].jwks.remote.backendRef.name, backend.metadata.name);
  assert.deepEqual(policy.spec.targetRefs, [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "agent-gateway" }]);
  // Local: no identity provider, so no JWKS backend; the policy carries the key's public JWKS inline.
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
  const local = jwtManifests(shippedSpec("local"), jwksFromPublicKeyPem(pem)) as any[];
  assert.deepEqual(local.map((m) => m.kind), ["AgentgatewayPolicy"]);
  const inline = JSON.parse(local[0].spec.traffic.jwtAuthentication.providers[0].jwks.inline);
  assert.equal(inline.keys[0].alg, "RS256");
  // The JWK is the same public key.
  const roundTrip = createPublicKey({ key: inline.keys[0], format: "jwk" }).export({ type: "spki", format: "pem" }).toString();
  assert.equal(roundTrip, pem);
});

test("install: pinned OCI charts, CRDs then controller, Istio ambient integration on with the cluster's id and network", () => {
  const spec = shippedSpec("prod");
  const cluster = spec.clusters.find((c) => c.name === "gcp-usc1")!;
  const crds = crdRelease(spec);
  const controller = controllerRelease(spec, cluster) as any;
  assert.equal(crds.chart, "oci://cr.agentgateway.dev/charts/agentgateway-crds");
  assert.equal(controller.chart, "oci://cr.agentgateway.dev/charts/agentgateway");
  assert.equal(crds.version, "v1.4.1");
  assert.equal(controller.version, "v1.4.1");
  assert.deepEqual(controller.values.istio, { autoEnabled: true, namespace: "istio-system", clusterId: "gcp-usc1", network: "net-gcp-usc1" });
  for (const p of parametersManifests(spec, cluster) as any[]) assert.equal(p.spec.istio.enabled, true);
  const releases = renderShipped("local").releases("local").map((r) => r.name);
  assert.deepEqual(releases.filter((r) => r.startsWith("agentgateway")), ["agentgateway-crds", "agentgateway"]);
});

test("agentgateway-system is a Namespace of the stack, before both releases: destroy deletes it after them", () => {
  // Helm's --create-namespace makes the namespace outside the release (helm v3.20.2
  // pkg/action/install.go), and pulumi-kubernetes deletes a Release with a plain `helm uninstall`
  // (helm_release.go Delete), so a namespace Helm made outlives `pulumi destroy`.
  const r = renderShipped("local");
  const urn = (type: string, name: string) => r.resources.find((x) => x.type === type && x.urn.endsWith(`::${name}`))?.urn;
  const ns = urn("kubernetes:core/v1:Namespace", "local-namespace-agentgateway-system");
  assert.ok(ns, "the stack creates agentgateway-system");
  const releases = r.ofType("kubernetes:helm.sh/v3:Release").filter((x) => (x.inputs as any).namespace === "agentgateway-system");
  assert.deepEqual(releases.map((x) => (x.inputs as any).name).sort(), ["agentgateway", "agentgateway-crds"]);
  for (const rel of releases) {
    assert.notEqual((rel.inputs as any).createNamespace, true, `${(rel.inputs as any).name}: Helm does not create it`);
    assert.ok(rel.dependencies.includes(ns), `${(rel.inputs as any).name} waits for the namespace (and is deleted before it)`);
  }
  for (const rel of [crdRelease(shippedSpec("local")), controllerRelease(shippedSpec("local"), shippedSpec("local").clusters[0])]) assert.equal(rel.createNamespace, false);
});

test("gateways: agent-gateway terminates TLS for the agents' wildcard; mcp-gateway is internal and terminates HBONE", () => {
  const spec = shippedSpec("prod");
  const agw = agentGatewayManifest(spec) as any;
  assert.deepEqual(agw.spec.listeners.map((l: any) => [l.name, l.port, l.protocol, l.hostname]), [["https", 8443, "HTTPS", "*.agents.example.com"]], "gateways.agents.port (prod: 8443, k3s ServiceLB)");
  assert.equal(agw.spec.listeners[0].tls.certificateRefs[0].name, "agents-gateway-tls");
  const mcp = mcpGatewayManifest(spec) as any;
  assert.deepEqual(mcp.spec.listeners.map((l: any) => [l.name, l.port, l.protocol]), [["http", 80, "HTTP"], ["hbone", 15008, "HBONE"]]);
  assert.equal(mcp.spec.infrastructure.labels["networking.istio.io/tunnel"], "http");
  const mcpParams = parametersManifests(spec, spec.clusters[0]).find((p) => p.metadata.name === "mcp-gateway") as any;
  assert.equal(mcpParams.spec.service.spec.type, "ClusterIP");
});

test("agents get the inference gateway's OpenAI URL and the MCP endpoint of mcp-gateway", () => {
  const spec = shippedSpec("prod");
  const agent = spec.agents[0];
  const env = Object.fromEntries(agentEnv(spec, agent, "v1", spec.models.find((m) => m.name === agent.model)!, inference).map((e) => [e.name, e.value]));
  assert.equal(env.OPENAI_BASE_URL, inference.openAiBaseUrl);
  assert.equal(env.OPENAI_MODEL, "meta-llama/Llama-3.1-8B-Instruct");
  assert.equal(env.MCP_SERVER_URL, "http://mcp-gateway.tools.svc.cluster.local/mcp");
  // An agent without tools gets no MCP endpoint: the MCP gateway exists only where agents use tools.
  const toolless = { ...agent, tools: [] };
  const bare = agentEnv(spec, toolless, "v1", spec.models.find((m) => m.name === agent.model)!, inference).map((e) => e.name);
  assert.ok(!bare.includes("MCP_SERVER_URL"));
});

test("prod (pure manifests): every agent-layer object validates against the upstream schemas", async () => {
  const spec = shippedSpec("prod");
  const failures: string[] = [];
  for (const cluster of spec.clusters.map((c) => c.name)) {
    for (const obj of agentObjects(spec, cluster)) {
      const r = await validateObject(obj);
      if (!r.ok) failures.push(`${cluster} ${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}: ${r.errors.join("; ")}`);
    }
  }
  assert.deepEqual(failures, []);
});

test("gateways: only routes in the gateway's own namespace attach (allowedRoutes Same), on the public listener with and without TLS", () => {
  // The public listener is internet-facing: with `from: All`, an HTTPRoute in any namespace could
  // claim a hostname under the agents' wildcard and bypass the agents' routes. The agents' own
  // routes live beside agent-gateway, so Same admits exactly them.
  const prod = shippedSpec("prod");
  const plain = { ...prod, gateways: { ...prod.gateways, agents: { ...prod.gateways.agents!, tls: { mode: "none" as const } } } };
  const same = { namespaces: { from: "Same" } };
  for (const [label, spec, listener] of [["TLS", prod, "https"], ["tls.mode none", plain, "http"]] as const) {
    const agw = agentGatewayManifest(spec) as any;
    assert.deepEqual(agw.spec.listeners.map((l: any) => [l.name, l.allowedRoutes]), [[listener, same]], `agent-gateway (${label})`);
  }
  const mcp = mcpGatewayManifest(prod) as any;
  assert.deepEqual(mcp.spec.listeners.find((l: any) => l.name === "http").allowedRoutes, same, "mcp-gateway");
  const agw = agentGatewayManifest(prod) as any;
  for (const cluster of prod.clusters.map((c) => c.name)) {
    const routes = agentObjects(prod, cluster).filter((o: any) => o.kind === "HTTPRoute" && o.spec.parentRefs.some((p: any) => p.name === agw.metadata.name)) as any[];
    assert.ok(routes.length > 0, `${cluster}: agents' routes`);
    for (const r of routes) assert.equal(r.metadata.namespace, agw.metadata.namespace, `${cluster}: route ${r.metadata.name} sits beside agent-gateway`);
  }
});

test("authorization: each agent version admits agent-gateway on the agent's port only; each tool's ztunnel policy on the tool's port only", () => {
  // Without `ports` an ALLOW rule admits its callers on every port of the pod. The expected ports
  // come from the config (agents[].port, default 8080; tools[].port, default 8000); one agent gets
  // a port of its own so that a fixed number cannot pass for the agent's.
  const input = shippedPlatform("prod");
  input.agents[0].port = 9191;
  const spec = parsePlatform(input, "prod");
  assert.deepEqual(spec.agents.map((a) => [a.name, a.port]), [["research-agent", 9191], ["support-agent", 8080]]);
  const gatewayPrincipal = `${spec.mesh.trustDomain}/ns/agents/sa/agent-gateway`;
  // With the mesh's waypoints (the tools' ztunnel policy admits mcp-gateway and the waypoint) and
  // without (it admits mcp-gateway and the agents directly).
  for (const [cluster, waypoints] of spec.clusters.flatMap((c) => [[c.name, meshWaypoints], [c.name, new Map()]] as const)) {
    const policies = agentObjects(spec, cluster, waypoints).filter((o) => o.kind === "AuthorizationPolicy") as any[];
    const agentPolicies = policies.filter((p) => p.metadata.namespace === "agents");
    assert.ok(agentPolicies.length > 0, `${cluster}: agent policies`);
    for (const p of agentPolicies) {
      const agent = spec.agents.find((a) => a.versions.some((v) => `${a.name}-${v.name}` === p.metadata.name))!;
      assert.ok(agent, `${cluster}: ${p.metadata.name} is an agent version's policy`);
      assert.deepEqual(p.spec.rules, [{ from: [{ source: { principals: [gatewayPrincipal] } }], to: [{ operation: { ports: [String(agent.port)] } }] }], `${cluster}: ${p.metadata.name}`);
    }
    const toolsHere = spec.tools.filter((t) => policies.some((x) => x.metadata.namespace === "tools" && x.metadata.name === t.name));
    assert.ok(toolsHere.length > 0, `${cluster}: tool policies`);
    for (const tool of toolsHere) {
      const p = policies.find((x) => x.metadata.namespace === "tools" && x.metadata.name === tool.name);
      assert.ok(p.spec.selector, `${tool.name}: the ztunnel (selector) policy`);
      assert.deepEqual(p.spec.rules.map((r: any) => r.to), [[{ operation: { ports: [String(tool.port)] } }]], `${cluster}: ${tool.name}`);
    }
  }
});

test("agents and tools on a port below 1024 (capabilities dropped) ask for it as an unprivileged port; others ask for nothing", async () => {
  // containerd 1.7 and CRI-O leave ports below 1024 privileged: without the pod's own sysctl, a
  // process with every capability dropped gets EACCES binding them.
  const raw = shippedPlatform("prod") as any;
  raw.agents[0].port = 80;
  raw.tools.find((t: any) => t.name === "web-search").port = 443;
  const spec = parsePlatform(raw, "prod");
  const objects = agentObjects(spec, "aws-use1");
  const podOf = (name: string, ns: string) => (objects.find((o) => o.kind === "Deployment" && o.metadata.name === name && o.metadata.namespace === ns) as any).spec.template.spec;
  for (const [name, ns, port] of [["research-agent-v1", "agents", "80"], ["research-agent-v2", "agents", "80"], ["web-search", "tools", "443"]] as const) {
    const pod = podOf(name, ns);
    assert.deepEqual(pod.securityContext.sysctls, [{ name: "net.ipv4.ip_unprivileged_port_start", value: port }], `${ns}/${name}`);
    assert.deepEqual(pod.containers[0].securityContext.capabilities, { drop: ["ALL"] });
    const r = await validateObject(objects.find((o) => o.kind === "Deployment" && o.metadata.name === name)!);
    assert.ok(r.ok, r.errors.join("; "));
  }
  for (const [name, ns] of [["support-agent-v1", "agents"], ["calculator", "tools"]] as const) {
    assert.deepEqual(podOf(name, ns).securityContext, { seccompProfile: { type: "RuntimeDefault" } }, `${ns}/${name}`);
  }
});

test("waits: an agent's route waits for its versions that serve, the MCP backend and route for the tools; agents without tools get no MCP objects", () => {
  const spec = shippedSpec("local");
  const waits = agentClusterManifests(spec, spec.clusters[0], inference)!.waits;
  const objects = (...names: string[]) => names.flatMap((n) => [`ServiceAccount/agents/${n}`, `Deployment/agents/${n}`, `Service/agents/${n}`]);
  assert.deepEqual(waits.get("HTTPRoute/agents/research-agent"), objects("research-agent-v1", "research-agent-v2"));
  assert.deepEqual(waits.get("HTTPRoute/tools/mcp"), ["ServiceAccount/tools/web-search", "Deployment/tools/web-search", "Service/tools/web-search", "ServiceAccount/tools/calculator", "Deployment/tools/calculator", "Service/tools/calculator"]);
  assert.deepEqual(waits.get("AgentgatewayBackend/tools/mcp-tools"), waits.get("HTTPRoute/tools/mcp"));
  assert.equal(waits.size, 3, [...waits.keys()].join(", "));
  // The canary parked (weight 0, then 0 replicas), on a cluster whose agents call no tool.
  const platform = shippedPlatform("local");
  platform.tools = [];
  for (const a of platform.agents) {
    a.tools = [];
    a.versions[1] = { ...a.versions[1], weight: 0, replicas: 0 };
    a.versions[0].weight = 100;
  }
  const parked = parsePlatform(platform, "local");
  const m = agentClusterManifests(parked, parked.clusters[0], inference)!;
  assert.deepEqual([...m.waits], [["HTTPRoute/agents/research-agent", objects("research-agent-v1")]]);
  assert.ok(!m.gateway.some((o) => o.metadata.name === "mcp-tools" || o.metadata.name === "mcp"));
});
