/**
 * agent-call-graph on TCPRoutes and TLSRoutes on the agentgateway Gateways: agentgateway v1.4.1
 * proxies their connections in proxy/tcpproxy.rs, which runs the listener's
 * frontend.networkAuthorization and no traffic policy (authorization, jwtAuthentication), so such a
 * route to a tool or an agent Service is guarded by networkAuthorization alone (store/binds.rs
 * listener_frontend_policies: the listener's, the ListenerSet's, the port's and the Gateway's, their rule sets merged).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { runStack, UNKNOWN } from "../support/policy";
import { ap, allowFrom, gw, on, sa } from "./authz-support";

const AGP = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy";
const GW = "gateway.networking.k8s.io";
const listeners = [
  { name: "http", port: 80, protocol: "HTTP" },
  { name: "raw", port: 9000, protocol: "TCP" },
];
const mcp = on(`kubernetes:${GW}/v1:Gateway`, "tools-gw-mcp-gateway", { metadata: { name: "mcp-gateway", namespace: "tools" }, spec: { gatewayClassName: "agentgateway", allowedListeners: { namespaces: { from: "Same" } }, listeners } });
const agents = 'source.identity.namespace == "agents" && source.identity.serviceAccount == "research-agent-v1"';
type Target = { kind: string; name: string; sectionName?: string };
const policy = (ns: string, name: string, target: Target, field: "traffic" | "frontend", expr: string, action = "Allow") => {
  const rule = { action, policy: { matchExpressions: [expr] } };
  return on(AGP, `${ns}-agpol-${name}`, { metadata: { name, namespace: ns }, spec: { targetRefs: [{ group: GW, ...target }], ...(field === "traffic" ? { traffic: { authorization: rule } } : { frontend: { networkAuthorization: rule } }) } });
};
const callers = policy("tools", "callers", { kind: "Gateway", name: "mcp-gateway" }, "traffic", agents);
const httpRoute = on(`kubernetes:${GW}/v1:HTTPRoute`, "tools-route-mcp", { metadata: { name: "mcp", namespace: "tools" }, spec: { parentRefs: [{ name: "mcp-gateway" }], rules: [{ backendRefs: [{ name: "calculator", port: 8080 }] }] } });
const stream = (kind: "TCPRoute" | "TLSRoute", ns: string, parentRef: Record<string, unknown>, to: string) =>
  on(`kubernetes:${GW}/v1:${kind}`, `${ns}-${kind}-raw`, { metadata: { name: "raw", namespace: ns }, spec: { parentRefs: [parentRef], rules: [{ backendRefs: [{ name: to, port: 8080 }] }] } });
const tcp = stream("TCPRoute", "tools", { name: "mcp-gateway", sectionName: "raw" }, "calculator");
const fleet = [mcp, httpRoute, callers, gw("agents", "agent-gateway", "agentgateway"), sa("agents", "research-agent-v1"), ap("tools", "calculator", allowFrom("cluster.local/ns/tools/sa/mcp-gateway"))];
const run = async (...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...fleet, ...extra], { requireAgentJwt: false })).violations.map((v) => v.message);

test("agent-call-graph: a TCPRoute on the MCP gateway to a tool meets no traffic.authorization (agentgateway v1.4.1 tcpproxy.rs)", async () => {
  assert.deepEqual(await run(), []);
  const found = await run(tcp);
  assert.equal(found.length, 1, found.join("\n"));
  assert.match(found[0], /only agents may call tools: TCPRoute tools\/raw on Gateway tools\/mcp-gateway listener raw sends connections to Service tools\/calculator, and agentgateway v1\.4\.1 runs no traffic\.authorization/);
  assert.match(found[0], /no AgentgatewayPolicy frontend\.networkAuthorization reaching that listener restricts its callers/);
  // A networkAuthorization pinning callers to agents, on the Gateway or on that listener, guards it.
  assert.deepEqual(await run(tcp, policy("tools", "net", { kind: "Gateway", name: "mcp-gateway" }, "frontend", agents)), []);
  assert.deepEqual(await run(tcp, policy("tools", "net", { kind: "Gateway", name: "mcp-gateway", sectionName: "raw" }, "frontend", agents, "Require")), []);
  // The proxy merges the networkAuthorization of every level (store/binds.rs set_if_empty appends rule sets): a Require
  // pinning agents on the Gateway holds beside an open Allow on the listener, while an Allow there admits whom it matches.
  assert.deepEqual(await run(tcp, policy("tools", "net", { kind: "Gateway", name: "mcp-gateway" }, "frontend", agents, "Require"), policy("tools", "net-raw", { kind: "Gateway", name: "mcp-gateway", sectionName: "raw" }, "frontend", "true")), []);
  const open = await run(tcp, policy("tools", "net", { kind: "Gateway", name: "mcp-gateway" }, "frontend", agents), policy("tools", "net-raw", { kind: "Gateway", name: "mcp-gateway", sectionName: "raw" }, "frontend", "true"));
  assert.equal(open.length, 1, open.join("\n"));
  assert.match(open[0], /AgentgatewayPolicy tools\/net-raw frontend\.networkAuthorization allows "true"/);
  // One narrowed to another listener does not reach it; a route the HTTP listener does not take, or on another Gateway, is not served here.
  assert.equal((await run(tcp, policy("tools", "net", { kind: "Gateway", name: "mcp-gateway", sectionName: "http" }, "frontend", agents))).length, 1);
  assert.deepEqual(await run(stream("TCPRoute", "tools", { name: "mcp-gateway", sectionName: "http" }, "calculator")), []);
  assert.deepEqual(await run(stream("TCPRoute", "tools", { name: "other-gateway" }, "calculator")), []);
});

test("agent-call-graph: a TLSRoute on a ListenerSet listener of the MCP gateway is guarded by that listener's networkAuthorization only", async () => {
  const set = on(`kubernetes:${GW}/v1:ListenerSet`, "tools-ls-extra", {
    metadata: { name: "extra", namespace: "tools" },
    spec: { parentRef: { group: GW, kind: "Gateway", name: "mcp-gateway" }, listeners: [{ name: "tls", port: 8443, protocol: "TLS", tls: { mode: "Passthrough" } }] },
  });
  const tls = stream("TLSRoute", "tools", { group: GW, kind: "ListenerSet", name: "extra" }, "calculator");
  const found = await run(set, tls);
  assert.equal(found.length, 1, found.join("\n"));
  assert.match(found[0], /TLSRoute tools\/raw on Gateway tools\/mcp-gateway listener tls of ListenerSet tools\/extra sends connections to Service tools\/calculator/);
  assert.deepEqual(await run(set, tls, policy("tools", "net", { kind: "ListenerSet", name: "extra" }, "frontend", agents)), []);
  // A TCPRoute on a Passthrough TLS listener is not taken (GenerateSupportedKinds): nothing reaches the tool.
  assert.deepEqual(await run(set, stream("TCPRoute", "tools", { group: GW, kind: "ListenerSet", name: "extra" }, "calculator")), []);
});

test("agent-call-graph: a TCPRoute on the agent gateway to an agent skips its JWT and authorization", async () => {
  const agentGw = on(`kubernetes:${GW}/v1:Gateway`, "agents-gw-agent-gateway", { metadata: { name: "agent-gateway", namespace: "agents" }, spec: { gatewayClassName: "agentgateway", listeners } });
  const base = [mcp, httpRoute, callers, agentGw, sa("agents", "research-agent-v1"), ap("agents", "research", allowFrom("cluster.local/ns/agents/sa/agent-gateway"))];
  const runAgents = async (...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...base, ...extra], { requireAgentJwt: false })).violations.map((v) => v.message);
  const route = stream("TCPRoute", "agents", { name: "agent-gateway" }, "research-agent");
  assert.deepEqual(await runAgents(), []);
  const found = await runAgents(route);
  assert.equal(found.length, 1, found.join("\n"));
  assert.match(found[0], /only the agent gateway \(agents\/agent-gateway\) may call agents: TCPRoute agents\/raw on Gateway agents\/agent-gateway listener raw sends connections to Service agents\/research-agent/);
  // Only callers the call graph lets into agents (extraCallers) count as restricted.
  const net = policy("agents", "net", { kind: "Gateway", name: "agent-gateway" }, "frontend", 'source.identity.namespace == "batch" && source.identity.serviceAccount == "runner"');
  assert.equal((await runAgents(route, net)).length, 1);
  const allowed = (await runStack(agentCallGraph, [...base, route, net], { requireAgentJwt: false, extraCallers: { agents: ["batch/runner"] } })).violations;
  assert.deepEqual(allowed, []);
});

test("agent-call-graph: a TCPRoute or TLSRoute to an AgentgatewayBackend whose static or a2a host is a tool's or an agent's Service reaches it as the Service would (v1.4.1 tcpproxy.rs dials a static host)", async () => {
  const backend = (ns: string, name: string, spec: Record<string, unknown>) => on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend", `${ns}-agbe-${name}`, { metadata: { name, namespace: ns }, spec });
  const toBackend = (kind: "TCPRoute" | "TLSRoute", ns: string, parentRef: Record<string, unknown>, to: string) =>
    on(`kubernetes:${GW}/v1:${kind}`, `${ns}-${kind}-be`, { metadata: { name: "be", namespace: ns }, spec: { parentRefs: [parentRef], rules: [{ backendRefs: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: to }] }] } });
  const tcpBe = toBackend("TCPRoute", "tools", { name: "mcp-gateway", sectionName: "raw" }, "calc");
  const found = await run(tcpBe, backend("tools", "calc", { static: { host: "calculator.tools.svc.cluster.local", port: 8080 } }));
  assert.equal(found.length, 1, found.join("\n"));
  assert.match(found[0], /only agents may call tools: TCPRoute tools\/be on Gateway tools\/mcp-gateway listener raw sends connections to AgentgatewayBackend tools\/calc \(static host calculator\.tools\.svc\.cluster\.local: Service tools\/calculator\), and agentgateway v1\.4\.1 runs no traffic\.authorization/);
  assert.equal((await run(tcpBe, backend("tools", "calc", { a2a: { host: "calculator", port: 8080 } }))).length, 1);
  // A networkAuthorization pinning agents guards it as it guards a Service.
  assert.deepEqual(await run(tcpBe, backend("tools", "calc", { static: { host: "calculator.tools", port: 8080 } }), policy("tools", "net", { kind: "Gateway", name: "mcp-gateway" }, "frontend", agents)), []);
  // The TCP proxy takes only static (and aws) backends: an mcp, ai or dynamicForwardProxy one is refused (InvalidBackendType), a host outside the namespace is no tool.
  assert.deepEqual(await run(tcpBe, backend("tools", "calc", { mcp: { targets: [{ name: "calc", static: { host: "calculator", port: 8080 } }] } })), []);
  assert.deepEqual(await run(tcpBe, backend("tools", "calc", { dynamicForwardProxy: {} })), []);
  assert.deepEqual(await run(tcpBe, backend("tools", "calc", { static: { host: "example.com", port: 443 } })), []);
  // A backend this preview cannot read yet: can't judge.
  const unread = await runStack(agentCallGraph, [...fleet, tcpBe, backend("tools", "calc", { static: { host: UNKNOWN, port: 8080 } })], { requireAgentJwt: false });
  assert.deepEqual(unread.violations, []);
  assert.equal(unread.unknown.length, 1);
  // On the agent gateway, a TLSRoute to an a2a backend naming an agent's Service skips its JWT.
  const agentGw = on(`kubernetes:${GW}/v1:Gateway`, "agents-gw-agent-gateway", { metadata: { name: "agent-gateway", namespace: "agents" }, spec: { gatewayClassName: "agentgateway", listeners: [{ name: "tls", port: 8443, protocol: "TLS", tls: { mode: "Passthrough" } }] } });
  const base = [mcp, httpRoute, callers, agentGw, sa("agents", "research-agent-v1"), ap("agents", "research", allowFrom("cluster.local/ns/agents/sa/agent-gateway"))];
  const viaA2a = await runStack(agentCallGraph, [...base, toBackend("TLSRoute", "agents", { name: "agent-gateway" }, "research"), backend("agents", "research", { a2a: { host: "research-agent.agents.svc.cluster.local", port: 8080 } })], { requireAgentJwt: false });
  assert.equal(viaA2a.violations.length, 1, viaA2a.violations.map((v) => v.message).join("\n"));
  assert.match(viaA2a.violations[0].message, /TLSRoute agents\/be on Gateway agents\/agent-gateway listener tls sends connections to AgentgatewayBackend agents\/research \(a2a host research-agent\.agents\.svc\.cluster\.local: Service agents\/research-agent\)/);
});

test("agent-call-graph: a static host that is a tool's Service's ClusterIP reaches it as the Service's name would; an address no Service shows may be a pod's (can't judge)", async () => {
  // agentgateway v1.4.1 reads an IP host as an address (types/agent.rs From<(&str, u16)> for
  // Target) and dials it as it dials what a Service name resolves to: before, only names counted.
  const backend = (host: string) => on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend", "tools-agbe-calc", { metadata: { name: "calc", namespace: "tools" }, spec: { static: { host, port: 8080 } } });
  const service = (ns: string, name: string, spec: Record<string, unknown>) => on("kubernetes:core/v1:Service", `${ns}-svc-${name}`, { metadata: { name, namespace: ns }, spec: { ports: [{ port: 8080 }], ...spec } });
  const route = on(`kubernetes:${GW}/v1:TCPRoute`, "tools-TCPRoute-be", {
    metadata: { name: "be", namespace: "tools" },
    spec: { parentRefs: [{ name: "mcp-gateway", sectionName: "raw" }], rules: [{ backendRefs: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "calc" }] }] },
  });
  const services = [service("tools", "calculator", { clusterIP: "10.43.0.50", clusterIPs: ["10.43.0.50", "fd00:10:43::32"] }), service("inference", "vllm", { clusterIP: "10.43.0.60" })];
  const review = (...extra: ReturnType<typeof on>[]) => runStack(agentCallGraph, [...fleet, route, ...services, ...extra], { requireAgentJwt: false });
  for (const host of ["10.43.0.50", "fd00:10:43:0:0::32"]) {
    const found = await review(backend(host));
    assert.equal(found.violations.length, 1, host);
    assert.match(found.violations[0].message, new RegExp(`TCPRoute tools/be on Gateway tools/mcp-gateway listener raw sends connections to AgentgatewayBackend tools/calc \\(static host ${host}: Service tools/calculator\\)`));
  }
  // Another namespace's ClusterIP, or an address no pod or Service takes (the proxy's own loopback), is no tool.
  for (const host of ["10.43.0.60", "127.0.0.1", "::1"]) assert.deepEqual(await review(backend(host)), { violations: [], unknown: [], notApplicable: [] }, host);
  // Any other address may be a tool's pod (or a Service whose address this run does not see): can't judge.
  for (const extra of [[backend("10.42.3.7")], [backend("10.43.0.70"), service("tools", "search", { clusterIP: UNKNOWN })]]) {
    const out = await review(...extra);
    assert.deepEqual(out.violations, []);
    assert.equal(out.unknown.length, 1);
    assert.match(out.unknown[0], /the TCPRoutes and TLSRoutes on Gateway tools\/mcp-gateway, the backends they send to \(an IP host: whose pod or Service it is\)/);
  }
});

test("agent-call-graph: a TCPRoute to an InferencePool of the tools or agents namespace reaches its pods past the endpoint picker and the gateway's authorization", async () => {
  // agentgateway v1.4.1 makes an InferencePool backendRef a Service of the pool's pods
  // (reference_indexes.go DefaultRouteBackend, syncer/service.go InferencePoolBuilder) and its TCP
  // proxy dials one of them (tcpproxy.rs build_service_call; only httpproxy.rs runs the picker): before, such a route was not judged.
  const toPool = (ns: string, parentRef: Record<string, unknown>, group: string) =>
    on(`kubernetes:${GW}/v1:TCPRoute`, `${ns}-TCPRoute-pool`, { metadata: { name: "pool", namespace: ns }, spec: { parentRefs: [parentRef], rules: [{ backendRefs: [{ group, kind: "InferencePool", name: "calc-pool" }] }] } });
  const calcPool = (ns: string) => on("kubernetes:inference.networking.k8s.io/v1:InferencePool", `${ns}-pool-calc`, { metadata: { name: "calc-pool", namespace: ns }, spec: { selector: { matchLabels: { app: "calculator" } }, targetPorts: [{ number: 8080 }] } });
  const found = await run(calcPool("tools"), toPool("tools", { name: "mcp-gateway", sectionName: "raw" }, "inference.networking.k8s.io"));
  assert.equal(found.length, 1, found.join("\n"));
  assert.match(found[0], /only agents may call tools: TCPRoute tools\/pool on Gateway tools\/mcp-gateway listener raw sends connections to InferencePool tools\/calc-pool \(its pods, past its endpoint picker\), and agentgateway v1\.4\.1 runs no traffic\.authorization/);
  assert.deepEqual(await run(calcPool("tools"), toPool("tools", { name: "mcp-gateway", sectionName: "raw" }, "inference.networking.k8s.io"), policy("tools", "net", { kind: "Gateway", name: "mcp-gateway" }, "frontend", agents)), []);
  // An agentgateway release leaving inferenceExtension.enabled off watches no pool: the backendRef is "not found", nothing reached.
  const release = on("kubernetes:helm.sh/v3:Release", "agentgateway", { chart: "oci://cr.agentgateway.dev/charts/agentgateway", namespace: "agentgateway-system", values: { inferenceExtension: { enabled: false } } });
  assert.deepEqual(await run(calcPool("tools"), toPool("tools", { name: "mcp-gateway", sectionName: "raw" }, "inference.networking.k8s.io"), release), []);
  // The legacy x-k8s.io group is no backend agentgateway resolves: no path, reported as InvalidKind; a pool of another namespace is no tool.
  const legacy = await run(toPool("tools", { name: "mcp-gateway", sectionName: "raw" }, "inference.networking.x-k8s.io"));
  assert.equal(legacy.length, 1, legacy.join("\n"));
  assert.match(legacy[0], /^TCPRoute tools\/pool on cluster a, on an agentgateway Gateway: backendRef InferencePool tools\/calc-pool \(group "inference\.networking\.x-k8s\.io"\) is of a group and kind .*InvalidKind/);
  const elsewhere = on(`kubernetes:${GW}/v1:TCPRoute`, "tools-TCPRoute-models", {
    metadata: { name: "models", namespace: "tools" },
    spec: { parentRefs: [{ name: "mcp-gateway", sectionName: "raw" }], rules: [{ backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: "qwen", namespace: "inference" }] }] },
  });
  const refused = await run(elsewhere);
  assert.equal(refused.length, 1, refused.join("\n"));
  assert.match(refused[0], /^TCPRoute tools\/models on cluster a, on an agentgateway Gateway: backendRef InferencePool inference\/qwen is in another namespace, .*RefNotPermitted/);
  // On the agent gateway, a pool of agent pods skips its JWT.
  const agentGw = on(`kubernetes:${GW}/v1:Gateway`, "agents-gw-agent-gateway", { metadata: { name: "agent-gateway", namespace: "agents" }, spec: { gatewayClassName: "agentgateway", listeners } });
  const base = [mcp, httpRoute, callers, agentGw, sa("agents", "research-agent-v1"), ap("agents", "research", allowFrom("cluster.local/ns/agents/sa/agent-gateway"))];
  const viaPool = await runStack(agentCallGraph, [...base, calcPool("agents"), toPool("agents", { name: "agent-gateway" }, "inference.networking.k8s.io")], { requireAgentJwt: false });
  assert.equal(viaPool.violations.length, 1, viaPool.violations.map((v) => v.message).join("\n"));
  assert.match(viaPool.violations[0].message, /only the agent gateway \(agents\/agent-gateway\) may call agents: TCPRoute agents\/pool on Gateway agents\/agent-gateway listener raw sends connections to InferencePool agents\/calc-pool/);
});

test("agent-call-graph: a stream route's backendRef into the tools namespace that agentgateway refuses (no ReferenceGrant) reaches no tool, and is reported broken", async () => {
  // agentgateway v1.4.1 buildAgwDestination: RefNotPermitted, the backend has no destination; before, the route still counted as reaching the tool.
  const open = on(`kubernetes:${GW}/v1:Gateway`, "tools-gw-mcp-gateway", { metadata: { name: "mcp-gateway", namespace: "tools" }, spec: { gatewayClassName: "agentgateway", listeners: [{ name: "raw", port: 9000, protocol: "TCP", allowedRoutes: { namespaces: { from: "All" } } }] } });
  const runOpen = async (...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [open, ...fleet.slice(1), ...extra], { requireAgentJwt: false })).violations.map((v) => v.message);
  const from = (backendRef: Record<string, unknown>) => on(`kubernetes:${GW}/v1:TCPRoute`, "agents-TCPRoute-tool", { metadata: { name: "tool", namespace: "agents" }, spec: { parentRefs: [{ name: "mcp-gateway", namespace: "tools" }], rules: [{ backendRefs: [{ port: 8080, ...backendRef }] }] } });
  const grant = on(`kubernetes:${GW}/v1beta1:ReferenceGrant`, "tools-grant", { metadata: { name: "agents-routes", namespace: "tools" }, spec: { from: [{ group: GW, kind: "TCPRoute", namespace: "agents" }], to: [{ group: "", kind: "Service" }, { group: "agentgateway.dev", kind: "AgentgatewayBackend" }] } });
  const calc = on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend", "tools-agbe-calc", { metadata: { name: "calc", namespace: "tools" }, spec: { static: { host: "calculator.tools.svc.cluster.local", port: 8080 } } });
  for (const [what, ref, extra] of [
    ["a Service", { name: "calculator", namespace: "tools" }, []],
    ["an AgentgatewayBackend", { group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "calc", namespace: "tools" }, [calc]],
  ] as const) {
    const refused = await runOpen(from(ref), ...extra);
    assert.equal(refused.length, 1, `${what}: ${refused.join("\n")}`);
    assert.match(refused[0], /^TCPRoute agents\/tool on cluster a, on an agentgateway Gateway: backendRef .* is in another namespace, .*RefNotPermitted/, what);
    const granted = await runOpen(from(ref), ...extra, grant);
    assert.equal(granted.length, 1, `${what}: ${granted.join("\n")}`);
    assert.match(granted[0], /only agents may call tools: TCPRoute agents\/tool on Gateway tools\/mcp-gateway listener raw sends connections to /, what);
  }
  // No grant opens an InferencePool to an agentgateway route (DefaultReferenceTypes): never a path from another namespace, and reported broken
  // (inference-pool-epp judges only HTTPRoutes' and GRPCRoutes' pools).
  const toPool = await runOpen(from({ group: "inference.networking.k8s.io", kind: "InferencePool", name: "calc-pool", namespace: "tools" }), grant);
  assert.equal(toPool.length, 1, toPool.join("\n"));
  assert.match(toPool[0], /^TCPRoute agents\/tool on cluster a, on an agentgateway Gateway: backendRef InferencePool tools\/calc-pool is in another namespace, and no ReferenceGrant in tools lets TCPRoutes of agents reference it \(agentgateway v1\.4\.1 reads none to an InferencePool\), .*RefNotPermitted.*; route to an object of the route's own/);
});

/** The public agent gateway (a Strict JWT on it) with a TLS listener open to TCPRoutes of every namespace, and one from inference to its body-based router. */
const publicAgentGateway = [
  mcp,
  httpRoute,
  callers,
  on(`kubernetes:${GW}/v1:Gateway`, "agents-gw-agent-gateway", {
    metadata: { name: "agent-gateway", namespace: "agents" },
    spec: { gatewayClassName: "agentgateway", listeners: [{ name: "tls", port: 8443, protocol: "TLS", tls: { mode: "Terminate" }, allowedRoutes: { namespaces: { from: "All" }, kinds: [{ kind: "TCPRoute" }] } }] },
  }),
  on(AGP, "agents-agpol-jwt", { metadata: { name: "jwt", namespace: "agents" }, spec: { targetRefs: [{ group: GW, kind: "Gateway", name: "agent-gateway" }], traffic: { jwtAuthentication: { mode: "Strict", providers: [{ issuer: "https://idp", audiences: ["agents"], jwks: { inline: "{}" } }] } } } }),
];
const toRouter = stream("TCPRoute", "inference", { name: "agent-gateway", namespace: "agents" }, "body-based-router");

test("agent-call-graph: a stream route to a Service the cluster does not have reaches no tool or agent: it is reported broken, not a path", async () => {
  // agentgateway v1.4.1 DefaultRouteBackend: no such Service, BackendNotFound, the backend has no destination; before, the route still counted as reaching it.
  const ns = (name: string) => on("kubernetes:core/v1:Namespace", `ns-${name}`, { metadata: { name } });
  const missing = await run(ns("tools"), tcp);
  assert.ok(!missing.some((m) => /sends connections to/.test(m)), missing.join("\n"));
  assert.ok(missing.some((m) => /^TCPRoute tools\/raw on cluster a, on an agentgateway Gateway: backendRef Service tools\/calculator names a Service the cluster does not have/.test(m)), missing.join("\n"));
  // Rendered, it is a path again.
  const calculator = on("kubernetes:core/v1:Service", "tools-svc-calculator", { metadata: { name: "calculator", namespace: "tools" }, spec: { ports: [{ port: 8080 }] } });
  assert.match((await run(ns("tools"), calculator, tcp)).join("\n"), /only agents may call tools: TCPRoute tools\/raw on Gateway tools\/mcp-gateway listener raw sends connections to Service tools\/calculator/);
  // On the public agent gateway, one to a missing Service outside the agents namespace skips no JWT to anything.
  const viaJwt = (await runStack(agentCallGraph, [...publicAgentGateway, ns("inference"), toRouter])).violations.map((v) => v.message);
  assert.equal(viaJwt.length, 1, viaJwt.join("\n"));
  assert.match(viaJwt[0], /^TCPRoute inference\/raw on cluster a, on an agentgateway Gateway: backendRef Service inference\/body-based-router names a Service the cluster does not have/);
});

test("agent-call-graph: a TCPRoute to an InferencePool the cluster does not have reaches no tool: it is reported broken, not a path", async () => {
  // agentgateway v1.4.1 DefaultRouteBackend: no such pool among its InferencePools, BackendNotFound, no destination; before, the route still counted as
  // reaching the tools, and nothing named the missing pool (inference-pool-epp judges HTTPRoutes' and GRPCRoutes' pools only).
  const calculator = on("kubernetes:core/v1:Service", "tools-svc-calculator", { metadata: { name: "calculator", namespace: "tools" }, spec: { ports: [{ port: 8080 }] } });
  const ns = (name: string) => [on("kubernetes:core/v1:Namespace", `ns-${name}`, { metadata: { name } }), calculator];
  const toPool = on(`kubernetes:${GW}/v1:TCPRoute`, "tools-TCPRoute-pool", { metadata: { name: "pool", namespace: "tools" }, spec: { parentRefs: [{ name: "mcp-gateway", sectionName: "raw" }], rules: [{ backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: "calc-pool" }] }] } });
  // Missing whether or not the stack creates the namespace: a pool is the stack's own (pool-existence.ts, as inference-pool-epp judges it).
  for (const [what, extra] of [["namespace created by the stack", ns("tools")], ["namespace not created by the stack", [calculator]]] as const) {
    const missing = await run(...extra, toPool);
    assert.equal(missing.length, 1, `${what}: ${missing.join("\n")}`);
    assert.match(missing[0], /^TCPRoute tools\/pool on cluster a, on an agentgateway Gateway: backendRef InferencePool tools\/calc-pool names an InferencePool the cluster does not have \(the stack renders no InferencePool calc-pool in tools on it, nor a Helm release that would\), so agentgateway v1\.4\.1 finds no backend for it \(ResolvedRefs False, BackendNotFound\)/, what);
  }
  // Rendered, or where a Helm release there may render it, it is a path.
  const pool = on("kubernetes:inference.networking.k8s.io/v1:InferencePool", "tools-pool-calc", { metadata: { name: "calc-pool", namespace: "tools" }, spec: { selector: { matchLabels: { app: "calculator" } }, targetPorts: [{ number: 8080 }] } });
  const release = on("kubernetes:helm.sh/v3:Release", "tools-chart", { chart: "some-chart", namespace: "tools", values: {} });
  for (const [what, extra] of [["rendered", [...ns("tools"), pool]], ["a Helm release in the namespace", [...ns("tools"), release]]] as const) {
    assert.match((await run(...extra, toPool)).join("\n"), /only agents may call tools: TCPRoute tools\/pool on Gateway tools\/mcp-gateway listener raw sends connections to InferencePool tools\/calc-pool/, what);
  }
});

test("agent-call-graph: a frontend.networkAuthorization pinned to the agents' callers guards a public agent gateway's stream route; one admitting another identity does not", async () => {
  // agentgateway v1.4.1 proxy/tcpproxy.rs runs only the listener's networkAuthorization (agent-jwt.ts, streamRouteProblem).
  const review = async (config: Record<string, unknown>, ...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...publicAgentGateway, toRouter, ...extra], config)).violations.map((v) => v.message);
  const identity = (ns: string, sa: string) => `source.identity.namespace == "${ns}" && source.identity.serviceAccount == "${sa}"`;
  const onListener = (expr: string) => policy("agents", "net", { kind: "Gateway", name: "agent-gateway", sectionName: "tls" }, "frontend", expr);
  const open = await review({});
  assert.equal(open.length, 1, open.join("\n"));
  assert.match(open[0], /reachable from outside the cluster.*TCPRoute inference\/raw on Gateway agents\/agent-gateway listener tls sends connections to Service inference\/body-based-router/);
  // The agents admit only the agent gateway's proxy: pinned to it, the listener is closed.
  assert.deepEqual(await review({}, onListener(identity("agents", "agent-gateway"))), []);
  // Another identity is no caller of the agents: the route stays open, and the message names the expression.
  const other = await review({}, onListener(identity("batch", "runner")));
  assert.equal(other.length, 1, other.join("\n"));
  assert.match(other[0], /AgentgatewayPolicy agents\/net frontend\.networkAuthorization allows "source\.identity\.namespace == \\"batch\\"/);
  // Listed in extraCallers for the agents, that identity is one of their callers: closed.
  assert.deepEqual(await review({ extraCallers: { agents: ["batch/runner"] } }, onListener(identity("batch", "runner"))), []);
});
