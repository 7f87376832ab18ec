/**
 * agent-call-graph on routes of the agent and MCP gateways whose backendRef reaches into another
 * namespace: agentgateway v1.4.1 resolves it only where a ReferenceGrant there opens it
 * (translator/conversion.go buildAgwDestination, references_collection.go BackendAllowed), unless
 * its controller runs with AGW_BACKEND_REF_GRANT_MODE none; a refused backend keeps its weight and
 * fails its share of the requests (RefNotPermitted).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { defaults, graphOf } from "../../policy/lib/call-graph";
import { plainToolRoutes } from "../../policy/lib/mcp-targets";
import { runStack, UNKNOWN } from "../support/policy";
import { gw, on } from "./authz-support";

const GW = "gateway.networking.k8s.io";
const GRANT = `kubernetes:${GW}/v1beta1:ReferenceGrant`;
const agentGateway = on(`kubernetes:${GW}/v1:Gateway`, "agents-gw-agent-gateway", {
  metadata: { name: "agent-gateway", namespace: "agents" },
  spec: { gatewayClassName: "agentgateway", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] },
});
/** The agent route, splitting between v1 and a v2 kept in namespace `v2At`. */
const route = (v2: Record<string, unknown>, parentRefs: unknown[] = [{ name: "agent-gateway" }]) =>
  on(`kubernetes:${GW}/v1:HTTPRoute`, "agents-route-research", {
    metadata: { name: "research-agent", namespace: "agents" },
    spec: { parentRefs, rules: [{ backendRefs: [{ name: "research-agent-v1", port: 8080, weight: 95 }, { port: 8080, weight: 5, ...v2 }] }] },
  });
const grant = (to: Record<string, unknown>, from: Record<string, unknown> = {}) =>
  on(GRANT, `canary-grant-${JSON.stringify({ to, from })}`, { metadata: { name: "agent-routes", namespace: "canary" }, spec: { from: [{ group: GW, kind: "HTTPRoute", namespace: "agents", ...from }], to: [to] } });
const run = async (...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [agentGateway, ...extra], { requireAgentJwt: false })).violations.map((v) => v.message);
const away = { name: "research-agent-v2", namespace: "canary" };

test("agent-call-graph: an agent route's backendRef to a Service of another namespace needs a ReferenceGrant there that agentgateway reads", async () => {
  const refused = await run(route(away));
  assert.equal(refused.length, 1, refused.join("\n"));
  assert.match(
    refused[0],
    /^HTTPRoute agents\/research-agent on cluster a, on an agentgateway Gateway: backendRef Service canary\/research-agent-v2 is in another namespace, and no ReferenceGrant in canary lets HTTPRoutes of agents reference it, so agentgateway v1\.4\.1 refuses the reference \(ResolvedRefs False, RefNotPermitted\); the route keeps that backend's weight and the proxy answers each request it sends there with a 500/,
  );
  // Opened by a grant (every Service, or this one), or the controller's grant checks turned off: resolved.
  const waived = (mode: unknown) => on("kubernetes:helm.sh/v3:Release", "agw", { chart: "agentgateway", namespace: "agentgateway-system", values: { controller: { extraEnv: { AGW_BACKEND_REF_GRANT_MODE: mode } } } });
  for (const [what, extra] of [
    ["every Service of canary", grant({ group: "", kind: "Service" })],
    ["the Service by name", grant({ group: "", kind: "Service", name: "research-agent-v2" })],
    ["grant mode none", waived("None")],
    ["grant mode none, as a value map", waived({ value: "none" })],
  ] as const) {
    assert.deepEqual(await run(route(away), extra), [], what);
  }
  for (const [what, extra] of [
    ["another Service by name", grant({ group: "", kind: "Service", name: "other" })],
    ["GRPCRoutes, not HTTPRoutes", grant({ group: "", kind: "Service" }, { kind: "GRPCRoute" })],
    ["grant mode route (the default)", waived("route")],
  ] as const) {
    assert.equal((await run(route(away), extra)).length, 1, what);
  }
  // Same namespace, delegation to an HTTPRoute, an InferencePool (inference-pool-epp's), or a route on another Gateway: not judged here.
  assert.deepEqual(await run(route({ name: "research-agent-v2" })), []);
  assert.deepEqual(await run(route({ group: GW, kind: "HTTPRoute", name: "child", namespace: "canary" })), []);
  assert.deepEqual(await run(route({ group: "inference.networking.k8s.io", kind: "InferencePool", name: "pool", namespace: "canary" })), []);
  assert.deepEqual(await run(gw("agents", "waypoint", "istio-waypoint"), route(away, [{ name: "waypoint" }])), []);
});

test("agent-call-graph: an agent or MCP route's backendRef to a Service the stack does not render, in a namespace it creates, is BackendNotFound to agentgateway", async () => {
  const ns = (name: string) => on("kubernetes:core/v1:Namespace", `ns-${name}`, { metadata: { name } });
  const svc = (namespace: string, name: unknown) => on("kubernetes:core/v1:Service", `${namespace}-svc-${String(name)}`, { metadata: { name, namespace }, spec: { ports: [{ port: 8080 }] } });
  const v1 = svc("agents", "research-agent-v1");
  const v2 = { name: "research-agent-v2" };
  const missing = await run(ns("agents"), v1, route(v2));
  assert.equal(missing.length, 1, missing.join("\n"));
  assert.match(
    missing[0],
    /^HTTPRoute agents\/research-agent on cluster a, on an agentgateway Gateway: backendRef Service agents\/research-agent-v2 names a Service the cluster does not have \(the stack creates namespace agents there but renders no Service research-agent-v2 in it \(nor a Helm release or Gateway that would\)\), so agentgateway v1\.4\.1 finds no backend for it \(ResolvedRefs False, BackendNotFound\); the route keeps that backend's weight/,
  );
  // Rendered; a namespace the stack does not create (a Service made with it elsewhere); a Helm release there; a Gateway proxy's Service; a Service the stack leaves unnamed: not judged.
  const release = on("kubernetes:helm.sh/v3:Release", "agents-chart", { chart: "some-chart", namespace: "agents", values: {} });
  for (const [what, extra] of [
    ["rendered", [ns("agents"), v1, svc("agents", "research-agent-v2")]],
    ["namespace not created by the stack", [v1]],
    ["a Helm release in the namespace", [ns("agents"), v1, release]],
    ["a Service named by the stack's Pulumi name only", [ns("agents"), v1, on("kubernetes:core/v1:Service", "agents-svc-auto", { metadata: { namespace: "agents" } })]],
  ] as const) {
    assert.deepEqual(await run(...extra, route(v2)), [], what);
  }
  assert.deepEqual(await run(ns("agents"), v1, route({ name: "agent-gateway" })), [], "the agent gateway's own proxy Service");
  // Another namespace: an ungranted ref is RefNotPermitted alone (the grant is checked first); a granted one to a missing Service is BackendNotFound.
  const away = { name: "research-agent-v2", namespace: "canary" };
  const refused = await run(ns("agents"), ns("canary"), v1, route(away));
  assert.equal(refused.length, 1, refused.join("\n"));
  assert.match(refused[0], /RefNotPermitted/);
  const granted = await run(ns("agents"), ns("canary"), v1, route(away), grant({ group: "", kind: "Service" }));
  assert.equal(granted.length, 1, granted.join("\n"));
  assert.match(granted[0], /backendRef Service canary\/research-agent-v2 names a Service the cluster does not have .*BackendNotFound/);
  // A TCPRoute on the MCP gateway likewise.
  const mcp = on(`kubernetes:${GW}/v1:Gateway`, "tools-gw-mcp", { metadata: { name: "mcp-gateway", namespace: "tools" }, spec: { gatewayClassName: "agentgateway", listeners: [{ name: "tcp", port: 9000, protocol: "TCP" }] } });
  const tcp = on(`kubernetes:${GW}/v1alpha2:TCPRoute`, "tools-tcp", { metadata: { name: "calculator-raw", namespace: "tools" }, spec: { parentRefs: [{ name: "mcp-gateway" }], rules: [{ backendRefs: [{ name: "calculator", port: 8000 }] }] } });
  const stream = await run(ns("tools"), mcp, tcp);
  assert.ok(stream.some((m) => /^TCPRoute tools\/calculator-raw on cluster a, on an agentgateway Gateway: backendRef Service tools\/calculator names a Service the cluster does not have/.test(m)), stream.join("\n"));
  // A Helm release whose namespace is not known yet in a preview may render it: can't judge, no verdict.
  const preview = await runStack(agentCallGraph, [agentGateway, ns("agents"), v1, on("kubernetes:helm.sh/v3:Release", "agents-chart", { chart: "some-chart", namespace: UNKNOWN, values: {} }), route(v2)], { requireAgentJwt: false });
  assert.deepEqual(preview.violations, []);
  assert.match(preview.unknown.join("\n"), /Services, Gateways and Helm releases on cluster a, which decide whether agentgateway resolves HTTPRoute agents\/research-agent's backendRef Service agents\/research-agent-v2/);
});

test("agent-call-graph: an agent or MCP route's backendRef to an AgentgatewayBackend the stack does not render, in a namespace it creates, is BackendNotFound to agentgateway", async () => {
  // agentgateway v1.4.1 plugins/reference_indexes.go DefaultRouteBackend looks an AgentgatewayBackend up among the cluster's: none, BackendNotFound.
  const ns = (name: string) => on("kubernetes:core/v1:Namespace", `ns-${name}`, { metadata: { name } });
  const v1 = on("kubernetes:core/v1:Service", "agents-svc-v1", { metadata: { name: "research-agent-v1", namespace: "agents" }, spec: { ports: [{ port: 8080 }] } });
  const backend = (namespace: string, name: unknown) => on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend", `${namespace}-agbe-${String(name)}`, { metadata: { name, namespace }, spec: { a2a: { host: "research-agent-v2.agents.svc.cluster.local", port: 8080 } } });
  const toBackend = (namespace?: string) => ({ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "research-v2", ...(namespace ? { namespace } : {}) });
  const missing = await run(ns("agents"), v1, route(toBackend()));
  assert.equal(missing.length, 1, missing.join("\n"));
  assert.match(
    missing[0],
    /^HTTPRoute agents\/research-agent on cluster a, on an agentgateway Gateway: backendRef AgentgatewayBackend agents\/research-v2 names an AgentgatewayBackend the cluster does not have \(the stack creates namespace agents there but renders no AgentgatewayBackend research-v2 in it \(nor a Helm release that would\)\), so agentgateway v1\.4\.1 finds no backend for it \(ResolvedRefs False, BackendNotFound\); the route keeps that backend's weight/,
  );
  // Rendered (or left unnamed by the stack); a namespace the stack does not create; a Helm release there: not judged.
  const release = on("kubernetes:helm.sh/v3:Release", "agents-chart", { chart: "some-chart", namespace: "agents", values: {} });
  for (const [what, extra] of [
    ["rendered", [ns("agents"), v1, backend("agents", "research-v2")]],
    ["named by the stack's Pulumi name only", [ns("agents"), v1, backend("agents", undefined)]],
    ["namespace not created by the stack", [v1]],
    ["a Helm release in the namespace", [ns("agents"), v1, release]],
  ] as const) {
    assert.deepEqual(await run(...extra, route(toBackend())), [], what);
  }
  // Another namespace: ungranted, RefNotPermitted alone (the grant is checked first); granted, BackendNotFound.
  const refused = await run(ns("agents"), ns("canary"), v1, route(toBackend("canary")));
  assert.equal(refused.length, 1, refused.join("\n"));
  assert.match(refused[0], /RefNotPermitted/);
  const granted = await run(ns("agents"), ns("canary"), v1, route(toBackend("canary")), grant({ group: "agentgateway.dev", kind: "AgentgatewayBackend" }));
  assert.equal(granted.length, 1, granted.join("\n"));
  assert.match(granted[0], /backendRef AgentgatewayBackend canary\/research-v2 names an AgentgatewayBackend the cluster does not have .*BackendNotFound/);
  assert.deepEqual(await run(ns("agents"), ns("canary"), v1, route(toBackend("canary")), grant({ group: "agentgateway.dev", kind: "AgentgatewayBackend" }), backend("canary", "research-v2")), []);
});

test("plainToolRoutes: an MCP gateway route reaches a tool only through a backendRef agentgateway resolves, its group and kind normalized as agentgateway reads them", async () => {
  // agentgateway v1.4.1 translator/conversion.go NormalizeReference: an unset group is the core group, whatever the kind; plugins/reference_indexes.go
  // DefaultRouteBackend knows only core Services, inference.networking.k8s.io InferencePools and agentgateway.dev AgentgatewayBackends (InvalidKind otherwise).
  const mcp = on(`kubernetes:${GW}/v1:Gateway`, "tools-gw-mcp", { metadata: { name: "mcp-gateway", namespace: "tools" }, spec: { gatewayClassName: "agentgateway", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] } });
  const lookup = on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend", "tools-agbe-lookup", { metadata: { name: "lookup", namespace: "tools" }, spec: { static: { host: "ticket-lookup.tools.svc.cluster.local", port: 8000 } } });
  const toRef = (backendRef: Record<string, unknown>) =>
    on(`kubernetes:${GW}/v1:HTTPRoute`, "tools-route-direct", { metadata: { name: "direct", namespace: "tools" }, spec: { parentRefs: [{ name: "mcp-gateway" }], rules: [{ backendRefs: [{ port: 8000, ...backendRef }] }] } });
  const reached = (...extra: ReturnType<typeof on>[]) => {
    const pending: string[] = [];
    const routes = plainToolRoutes(graphOf([mcp, lookup, ...extra], defaults), "a", pending);
    assert.deepEqual(pending, []);
    return routes!.flatMap((r) => [...r.tools]);
  };
  assert.deepEqual(reached(toRef({ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "lookup" })), ["ticket-lookup"]);
  assert.deepEqual(reached(toRef({ name: "calculator" })), ["calculator"]);
  assert.deepEqual(reached(toRef({ group: "", kind: "Service", name: "calculator" })), ["calculator"]);
  // An AgentgatewayBackend without its group, or a Service in a group named `core`: InvalidKind, no destination, no tool.
  assert.deepEqual(reached(toRef({ kind: "AgentgatewayBackend", name: "lookup" })), []);
  assert.deepEqual(reached(toRef({ group: "core", kind: "Service", name: "calculator" })), []);
});

test("agent-call-graph: an agent or MCP route's backendRef of a group and kind agentgateway does not route to is InvalidKind to agentgateway", async () => {
  // agentgateway v1.4.1 translator/conversion.go NormalizeReference (an unset group is the core group) and plugins/reference_indexes.go
  // DefaultRouteBackend: only core Services, inference.networking.k8s.io InferencePools and agentgateway.dev AgentgatewayBackends, else InvalidKind;
  // buildAgwDestination keeps the backend with no destination (the proxy's BackendDoesNotExist). Before, such a ref reached nothing and was not reported.
  for (const [what, ref, shown] of [
    ["an AgentgatewayBackend without its group", { kind: "AgentgatewayBackend", name: "research-v2" }, 'AgentgatewayBackend agents/research-v2 \\(group ""\\)'],
    ["a Service in a group named core", { group: "core", kind: "Service", name: "research-agent-v2" }, 'Service agents/research-agent-v2 \\(group "core"\\)'],
    ["another implementation's backend", { group: "gateway.kgateway.dev", kind: "Backend", name: "research-v2" }, 'Backend agents/research-v2 \\(group "gateway.kgateway.dev"\\)'],
    ["a pool of the legacy x-k8s.io group", { group: "inference.networking.x-k8s.io", kind: "InferencePool", name: "research" }, 'InferencePool agents/research \\(group "inference.networking.x-k8s.io"\\)'],
  ] as const) {
    const found = await run(route(ref));
    assert.equal(found.length, 1, `${what}: ${found.join("\n")}`);
    assert.match(
      found[0],
      new RegExp(`^HTTPRoute agents/research-agent on cluster a, on an agentgateway Gateway: backendRef ${shown} is of a group and kind agentgateway v1\\.4\\.1 does not route to .*\\(ResolvedRefs False, InvalidKind\\); the route keeps that backend's weight`),
      what,
    );
  }
  // In another namespace the grant is checked first: RefNotPermitted alone.
  const away = await run(route({ kind: "AgentgatewayBackend", name: "research-v2", namespace: "canary" }));
  assert.equal(away.length, 1, away.join("\n"));
  assert.match(away[0], /RefNotPermitted/);
  // Only an HTTPRoute delegates to an HTTPRoute: on a TCPRoute of the MCP gateway that backendRef is InvalidKind too.
  const mcp = on(`kubernetes:${GW}/v1:Gateway`, "tools-gw-mcp", { metadata: { name: "mcp-gateway", namespace: "tools" }, spec: { gatewayClassName: "agentgateway", listeners: [{ name: "tcp", port: 9000, protocol: "TCP" }] } });
  const tcp = on(`kubernetes:${GW}/v1alpha2:TCPRoute`, "tools-tcp", { metadata: { name: "calculator-raw", namespace: "tools" }, spec: { parentRefs: [{ name: "mcp-gateway" }], rules: [{ backendRefs: [{ group: GW, kind: "HTTPRoute", name: "mcp" }] }] } });
  assert.ok((await run(mcp, tcp)).some((m) => /^TCPRoute tools\/calculator-raw on cluster a, on an agentgateway Gateway: backendRef HTTPRoute tools\/mcp \(group "gateway\.networking\.k8s\.io"\) is of a group and kind .*\(ResolvedRefs False, InvalidKind\).*; only an HTTPRoute delegates to an HTTPRoute/.test(m)));
});

test("plainToolRoutes: an MCP gateway route to an InferencePool the stack does not render reaches no tool where the pool is missing (pool-existence.ts, as inference-pool-epp judges it)", () => {
  // agentgateway v1.4.1 DefaultRouteBackend: a pool missing from the cluster is BackendNotFound (no destination); one made outside the stack may select any tool's pods.
  const mcp = on(`kubernetes:${GW}/v1:Gateway`, "tools-gw-mcp", { metadata: { name: "mcp-gateway", namespace: "tools" }, spec: { gatewayClassName: "agentgateway", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] } });
  const toPool = on(`kubernetes:${GW}/v1:HTTPRoute`, "tools-route-pool", { metadata: { name: "pool", namespace: "tools" }, spec: { parentRefs: [{ name: "mcp-gateway" }], rules: [{ backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: "calc" }] }] } });
  const read = (...extra: ReturnType<typeof on>[]) => {
    const pending: string[] = [];
    const routes = plainToolRoutes(graphOf([mcp, toPool, ...extra], defaults), "a", pending);
    return { tools: (routes ?? []).flatMap((r) => [...r.tools]), pending };
  };
  const tools = on("kubernetes:core/v1:Namespace", "ns-tools", { metadata: { name: "tools" } });
  assert.deepEqual(read(tools), { tools: [], pending: [] }, "missing in a namespace the stack creates");
  // A pool is the stack's own wherever its namespace comes from (pool-existence.ts poolAbsence, as inference-pool-epp judges it).
  assert.deepEqual(read(), { tools: [], pending: [] }, "missing in a namespace the stack does not create");
  assert.equal(read(tools, on("kubernetes:helm.sh/v3:Release", "tools-chart", { chart: "some-chart", namespace: "tools", values: {} })).pending.length, 1, "a Helm release there may render it");
});

test("agent-call-graph: an agent or MCP route's Service backendRef on a port the Service does not have reaches no endpoint", async () => {
  // agentgateway v1.4.1 plugins/reference_indexes.go DefaultRouteBackend checks only that the Service exists (ResolvedRefs True);
  // its proxy's types/loadbalancer.rs select_endpoint finds no endpoint on a port the Service lacks (NoHealthyEndpoints, a 503).
  const svc = (name: string, spec: Record<string, unknown> = { ports: [{ port: 8080 }] }) => on("kubernetes:core/v1:Service", `agents-svc-${name}`, { metadata: { name, namespace: "agents" }, spec });
  const both = [svc("research-agent-v1"), svc("research-agent-v2")];
  const wrong = await run(...both, route({ name: "research-agent-v2", port: 9090 }));
  assert.equal(wrong.length, 1, wrong.join("\n"));
  assert.match(
    wrong[0],
    /^HTTPRoute agents\/research-agent on cluster a, on an agentgateway Gateway: backendRef Service agents\/research-agent-v2 names port 9090, which the Service does not have \(it has 8080\); agentgateway v1\.4\.1 accepts the reference .*\(NoHealthyEndpoints\), so each request it sends there gets a 503/,
  );
  // The port the Service has; an ExternalName Service; a Service the stack does not render (judged, if at all, as BackendNotFound): not judged here.
  assert.deepEqual(await run(...both, route({ name: "research-agent-v2" })), []);
  assert.deepEqual(await run(svc("research-agent-v1"), svc("research-agent-v2", { type: "ExternalName", externalName: "v2.example.com" }), route({ name: "research-agent-v2", port: 9090 })), []);
  assert.deepEqual(await run(svc("research-agent-v1"), route({ name: "research-agent-v2", port: 9090 })), []);
  // A TCPRoute on the MCP gateway likewise.
  const mcp = on(`kubernetes:${GW}/v1:Gateway`, "tools-gw-mcp", { metadata: { name: "mcp-gateway", namespace: "tools" }, spec: { gatewayClassName: "agentgateway", listeners: [{ name: "tcp", port: 9000, protocol: "TCP" }] } });
  const calculator = on("kubernetes:core/v1:Service", "tools-svc-calculator", { metadata: { name: "calculator", namespace: "tools" }, spec: { ports: [{ port: 8000 }] } });
  const tcp = (port: unknown) => on(`kubernetes:${GW}/v1alpha2:TCPRoute`, "tools-tcp", { metadata: { name: "calculator-raw", namespace: "tools" }, spec: { parentRefs: [{ name: "mcp-gateway" }], rules: [{ backendRefs: [{ name: "calculator", port }] }] } });
  assert.ok((await run(mcp, calculator, tcp(8001))).some((m) => /^TCPRoute tools\/calculator-raw on cluster a, on an agentgateway Gateway: backendRef Service tools\/calculator names port 8001, which the Service does not have/.test(m)));
  assert.ok(!(await run(mcp, calculator, tcp(8000))).some((m) => /names port/.test(m)));
  // The Service's ports not known yet in a preview: can't judge, no verdict.
  const preview = await runStack(agentCallGraph, [agentGateway, svc("research-agent-v1"), svc("research-agent-v2", { ports: UNKNOWN }), route({ name: "research-agent-v2", port: 9090 })], { requireAgentJwt: false });
  assert.deepEqual(preview.violations, []);
  assert.match(preview.unknown.join("\n"), /which decide whether agentgateway resolves HTTPRoute agents\/research-agent's backendRef Service agents\/research-agent-v2/);
});

test("agent-call-graph: an agent route's Service whose named targetPort no selected pod declares has no endpoints", async () => {
  // Kubernetes resolves a named targetPort per pod (pkg/api/v1/pod/util.go FindPort) and leaves a
  // pod without a port of that name out of the Service's EndpointSlices (k8s.io/endpointslice
  // utils.go getEndpointPorts): agentgateway finds no endpoint there (NoHealthyEndpoints, a 503).
  const svc = (name: string, targetPort: unknown) =>
    on("kubernetes:core/v1:Service", `agents-svc-${name}`, { metadata: { name, namespace: "agents" }, spec: { selector: { app: name }, ports: [{ name: "a2a", port: 8080, targetPort }] } });
  const agent = (name: string, portName = "a2a") =>
    on("kubernetes:apps/v1:Deployment", `agents-deploy-${name}`, { metadata: { name, namespace: "agents" }, spec: { template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "agent", ports: [{ containerPort: 8080, name: portName }] }] } } } });
  const v1 = [svc("research-agent-v1", "a2a"), agent("research-agent-v1")];
  const wrong = await run(...v1, svc("research-agent-v2", "http"), agent("research-agent-v2"), route({ name: "research-agent-v2" }));
  assert.equal(wrong.length, 1, wrong.join("\n"));
  assert.match(
    wrong[0],
    /^HTTPRoute agents\/research-agent on cluster a, on an agentgateway Gateway: backendRef Service agents\/research-agent-v2 port 8080 targets the port named http, which no pod the Service selects declares \(they declare 8080 \(a2a\)\), so Kubernetes gives the Service no endpoint on it/,
  );
  // A name a selected pod declares, a numeric targetPort, a Service selecting no workload of the stack, or a Helm release in the namespace: not judged here.
  assert.deepEqual(await run(...v1, svc("research-agent-v2", "a2a"), agent("research-agent-v2"), route({ name: "research-agent-v2" })), []);
  assert.deepEqual(await run(...v1, svc("research-agent-v2", 8080), agent("research-agent-v2"), route({ name: "research-agent-v2" })), []);
  assert.deepEqual(await run(...v1, svc("research-agent-v2", "http"), route({ name: "research-agent-v2" })), []);
  assert.deepEqual(await run(...v1, svc("research-agent-v2", "http"), agent("research-agent-v2"), route({ name: "research-agent-v2" }), on("kubernetes:helm.sh/v3:Release", "agents-chart", { chart: "some-chart", namespace: "agents", values: {} })), []);
});
