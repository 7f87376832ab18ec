/**
 * Policy tests for agent-call-graph's reading of a listener's allowedRoutes: agentgateway v1.4.1
 * attaches a route to a listener only where its namespace (Same by default, All, or a Selector over
 * the namespace's labels) and its kind (by protocol: HTTP/HTTPS take HTTPRoute and GRPCRoute, HBONE
 * none; allowedRoutes.kinds narrows that) are allowed (translator/conversion.go,
 * conditions.go GenerateSupportedKinds). A route no listener takes is not served there.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { runStack, UNKNOWN } from "../support/policy";
import { ap, allowFrom, gw, on, sa } from "./authz-support";

const AGP = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy";
const GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
const HTTPROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";
const https = (name: string, allowedRoutes?: unknown) => ({ name, port: 8443, protocol: "HTTPS", tls: { mode: "Terminate", certificateRefs: [{ name: "tls" }] }, ...(allowedRoutes ? { allowedRoutes } : {}) });
const agentGateway = (...listeners: unknown[]) => on(GATEWAY, "agents-gw-agent-gateway", { metadata: { name: "agent-gateway", namespace: "agents" }, spec: { gatewayClassName: "agentgateway", listeners } });
const route = (namespace: string, parentRef: Record<string, unknown> = {}) =>
  on(HTTPROUTE, `${namespace}-route-research`, { metadata: { name: "research", namespace }, spec: { parentRefs: [{ name: "agent-gateway", namespace: "agents", ...parentRef }], rules: [{}] } });
const strictOn = (sectionName?: string) =>
  on(AGP, "agents-jwt", {
    metadata: { name: "jwt", namespace: "agents" },
    spec: { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "agent-gateway", ...(sectionName ? { sectionName } : {}) }], traffic: { jwtAuthentication: { providers: [{ issuer: "https://idp", audiences: ["agents"], jwks: { inline: "{}" } }] } } },
  });
const jwtFindings = async (...resources: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, resources)).violations.map((v) => v.message.replace(/ Target the Gateway.*$/, ""));

test("agent-call-graph: a route a listener's allowedRoutes refuse is not judged as served there (JWT per listener)", async () => {
  // Before, the route counted on every listener its parentRef named: on a listener taking only
  // GRPCRoutes, or from a namespace it does not allow, it was reported unauthenticated.
  const grpcOnly = https("grpc", { kinds: [{ kind: "GRPCRoute" }] });
  assert.deepEqual(await jwtFindings(agentGateway(https("https"), grpcOnly), route("agents"), strictOn("https")), []);
  assert.deepEqual(await jwtFindings(agentGateway(https("https")), route("partner")), [], "Same (the default) refuses another namespace's route");
  // A listener that takes it still needs Strict authentication.
  const open = await jwtFindings(agentGateway(https("https"), https("alt", { namespaces: { from: "All" } })), route("partner"));
  assert.equal(open.length, 1);
  assert.match(open[0], /^HTTPRoute partner\/research is served by the agent gateway agents\/agent-gateway/);
  // A Selector takes the namespaces whose labels it matches.
  const bySelector = agentGateway(https("https", { namespaces: { from: "Selector", selector: { matchLabels: { team: "partner" } } } }));
  const partner = (labels: Record<string, string>) => on("kubernetes:core/v1:Namespace", "partner-ns", { metadata: { name: "partner", labels } });
  assert.equal((await jwtFindings(bySelector, partner({ team: "partner" }), route("partner"))).length, 1);
  assert.deepEqual(await jwtFindings(bySelector, partner({ team: "other" }), route("partner")), []);
  // allowedRoutes not known in a preview: can't judge, not a pass or a finding.
  const later = await runStack(agentCallGraph, [agentGateway(https("https", UNKNOWN)), route("partner")]);
  assert.deepEqual(later.violations, []);
  assert.match(later.unknown.join("\n"), /the allowedRoutes of the listeners of the agent gateway agents\/agent-gateway on cluster a, which decide whether route a-partner-route-research is served there/);
});

test("agent-call-graph: the policy of a route the MCP gateway's listeners do not take opens nothing", async () => {
  const agentsCel = '(source.identity.trustDomain == "cluster.local" && source.identity.namespace == "agents" && source.identity.serviceAccount in ["research-agent-v1"])';
  const mcp = (allowedRoutes?: unknown) => on(GATEWAY, "tools-gw-mcp-gateway", { metadata: { name: "mcp-gateway", namespace: "tools" }, spec: { gatewayClassName: "agentgateway", listeners: [{ name: "http", port: 80, protocol: "HTTP", ...(allowedRoutes ? { allowedRoutes } : {}) }] } });
  const authz = (namespace: string, name: string, kind: string, target: string, expression: string) =>
    on(AGP, `${namespace}-agpol-${name}`, { metadata: { name, namespace }, spec: { targetRefs: [{ group: "gateway.networking.k8s.io", kind, name: target }], traffic: { authorization: { action: "Allow", policy: { matchExpressions: [expression] } } } } });
  const sideRoute = on(HTTPROUTE, "sandbox-route-mcp", { metadata: { name: "mcp", namespace: "sandbox" }, spec: { parentRefs: [{ name: "mcp-gateway", namespace: "tools" }], rules: [{}] } });
  const fleet = [gw("agents", "agent-gateway", "agentgateway"), sa("agents", "research-agent-v1"), ap("tools", "calculator", allowFrom("cluster.local/ns/tools/sa/mcp-gateway")), authz("tools", "callers", "Gateway", "mcp-gateway", agentsCel), sideRoute, authz("sandbox", "open", "HTTPRoute", "mcp", "true")];
  const run = (gateway: ReturnType<typeof on>) => runStack(agentCallGraph, [gateway, ...fleet], { requireAgentJwt: false });
  // Before, the sandbox route's open Allow counted as the MCP gateway's, though Same refuses the route.
  assert.deepEqual((await run(mcp())).violations, []);
  const taken = await run(mcp({ namespaces: { from: "All" } }));
  assert.match(taken.violations.map((v) => v.message).join("\n"), /AgentgatewayPolicy sandbox\/open allows "true"/);
});

test("agent-call-graph: a route its parentRef's port or its hostnames keep off a listener is not judged as served there", async () => {
  const wildcard = https("https", { namespaces: { from: "All" } });
  const gateway = agentGateway({ ...wildcard, hostname: "*.agents.example.com" });
  const withHosts = (hostnames: string[], parentRef: Record<string, unknown> = {}) => {
    const r = route("partner", parentRef);
    return { ...r, props: { ...r.props, spec: { ...(r.props as any).spec, hostnames } } };
  };
  // Before, neither was read: each route counted on the listener, unauthenticated.
  assert.deepEqual(await jwtFindings(gateway, withHosts(["research.other.org"])), [], "no hostname overlaps the listener's");
  assert.deepEqual(await jwtFindings(gateway, withHosts(["agents.example.com"])), [], "*.agents.example.com does not cover agents.example.com");
  assert.deepEqual(await jwtFindings(gateway, withHosts(["research.agents.example.com"], { port: 9443 })), [], "no listener on port 9443");
  for (const [hostnames, ref] of [[["research.agents.example.com"], { port: 8443 }], [["*.example.com"], {}]] as const) {
    const open = await jwtFindings(gateway, withHosts([...hostnames], ref));
    assert.equal(open.length, 1, JSON.stringify(open));
    assert.match(open[0], /^HTTPRoute partner\/research is served by the agent gateway agents\/agent-gateway/);
  }
});

test("agent-call-graph: the policy of a route on another port of the MCP gateway than its listeners opens nothing", async () => {
  const mcp = on(GATEWAY, "tools-gw-mcp-gateway", { metadata: { name: "mcp-gateway", namespace: "tools" }, spec: { gatewayClassName: "agentgateway", listeners: [{ name: "http", port: 80, protocol: "HTTP", hostname: "mcp.tools.svc.cluster.local", allowedRoutes: { namespaces: { from: "All" } } }] } });
  const agentsCel = '(source.identity.trustDomain == "cluster.local" && source.identity.namespace == "agents" && source.identity.serviceAccount in ["research-agent-v1"])';
  const authz = (namespace: string, name: string, kind: string, target: string, expression: string) =>
    on(AGP, `${namespace}-agpol-${name}`, { metadata: { name, namespace }, spec: { targetRefs: [{ group: "gateway.networking.k8s.io", kind, name: target }], traffic: { authorization: { action: "Allow", policy: { matchExpressions: [expression] } } } } });
  const sideRoute = (spec: Record<string, unknown>) => on(HTTPROUTE, "sandbox-route-mcp", { metadata: { name: "mcp", namespace: "sandbox" }, spec: { parentRefs: [{ name: "mcp-gateway", namespace: "tools" }], rules: [{}], ...spec } });
  const run = (r: ReturnType<typeof on>) =>
    runStack(agentCallGraph, [mcp, gw("agents", "agent-gateway", "agentgateway"), sa("agents", "research-agent-v1"), ap("tools", "calculator", allowFrom("cluster.local/ns/tools/sa/mcp-gateway")), authz("tools", "callers", "Gateway", "mcp-gateway", agentsCel), r, authz("sandbox", "open", "HTTPRoute", "mcp", "true")], { requireAgentJwt: false });
  // Before, the sandbox route's open Allow counted as the MCP gateway's whatever port or hostname it named.
  assert.deepEqual((await run(sideRoute({ parentRefs: [{ name: "mcp-gateway", namespace: "tools", port: 8080 }] }))).violations, []);
  assert.deepEqual((await run(sideRoute({ hostnames: ["mcp.sandbox.svc.cluster.local"] }))).violations, []);
  const taken = await run(sideRoute({ parentRefs: [{ name: "mcp-gateway", namespace: "tools", port: 80 }], hostnames: ["mcp.tools.svc.cluster.local"] }));
  assert.match(taken.violations.map((v) => v.message).join("\n"), /AgentgatewayPolicy sandbox\/open allows "true"/);
});
