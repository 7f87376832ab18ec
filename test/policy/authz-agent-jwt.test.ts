/**
 * agent-call-graph on the public agent gateway's JWT policies beyond their mode:
 * - a Strict policy whose provider lists no audiences accepts that issuer's tokens for any
 *   application (agentgateway v1.4.1 http/jwt.rs turns the aud check off), so it leaves the front
 *   door open; a correct one, and a route's own bound policy over an unbound Gateway's, pass;
 * - a policy bound by `targetSelectors` (labels, same namespace: v1.4.1 reference_indexes.go)
 *   decides as one bound by name: a Strict one on the Gateway closes it, an Optional one on the
 *   routes opens them;
 * - a route-phase policy with `strategy.inheritance: Override` locks the merge (v1.4.1
 *   store/policy.rs merge_with_inheritance): the Gateway's decides over the routes' own;
 * - a route of another namespace that a listener takes is decided by that namespace's policies
 *   (a policy's targetRefs are local to it).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { runStack } from "../support/policy";
import { on, gw } from "./authz-support";

const AGP = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy";
const route = (name: string) =>
  on("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", `agents-route-${name}`, { metadata: { name, namespace: "agents" }, spec: { parentRefs: [{ name: "agent-gateway" }], rules: [] } });
/** A Strict JWT policy; `audiences` undefined leaves the field out, as a fork might. */
const jwt = (name: string, kind: string, target: string, ...providers: { issuer: string; audiences?: string[] }[]) =>
  on(AGP, `agents-jwt-${name}`, {
    metadata: { name, namespace: "agents" },
    spec: {
      targetRefs: [{ group: "gateway.networking.k8s.io", kind, name: target }],
      traffic: { jwtAuthentication: { mode: "Strict", providers: providers.map((p) => ({ ...p, jwks: { inline: "{}" } })) } },
    },
  });
const fleet = [gw("agents", "agent-gateway", "agentgateway"), route("research-agent")];
const messages = async (...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...fleet, ...extra])).violations.map((v) => v.message);

test("agent-call-graph: a JWT provider without audiences on the public agent gateway accepts any application's token", async () => {
  assert.deepEqual(await messages(jwt("gw", "Gateway", "agent-gateway", { issuer: "https://idp", audiences: ["agents"] })), []);
  const open = [
    "HTTPRoute agents/research-agent is served by the agent gateway agents/agent-gateway on cluster a, which is reachable from outside the cluster (its Service is a load balancer), and the Gateway's JWT authentication agents/gw (provider https://other) lists no audiences, and agentgateway v1.4.1 then skips the aud check: every holder of a token that issuer signed for any application reaches what the route serves. Target the Gateway with an AgentgatewayPolicy whose traffic.jwtAuthentication mode is Strict and whose every provider lists the gateway's audiences (or set requireAgentJwt false where the gateway is meant to be open)",
  ];
  // One provider of two without audiences is enough: its issuer's tokens all get through.
  assert.deepEqual(await messages(jwt("gw", "Gateway", "agent-gateway", { issuer: "https://idp", audiences: ["agents"] }, { issuer: "https://other" })), open);
  // An empty list is no audience either (the CRD refuses it; the xDS translation reads it as none).
  assert.deepEqual(await messages(jwt("gw", "Gateway", "agent-gateway", { issuer: "https://idp", audiences: ["agents"] }, { issuer: "https://other", audiences: [] })), open);
  // The route's own bound policy decides for it over the Gateway's unbound one.
  assert.deepEqual(await messages(jwt("gw", "Gateway", "agent-gateway", { issuer: "https://other" }), jwt("r", "HTTPRoute", "research-agent", { issuer: "https://idp", audiences: ["agents"] })), []);
  // Where the stack means the gateway to be open, nothing is required of it.
  assert.deepEqual((await runStack(agentCallGraph, [...fleet, jwt("gw", "Gateway", "agent-gateway", { issuer: "https://other" })], { requireAgentJwt: false })).violations, []);
});

test("agent-call-graph: JWT policies bound by targetSelectors decide as those bound by name", async () => {
  const labelled = on("kubernetes:gateway.networking.k8s.io/v1:Gateway", "agents-gw-agent-gateway", {
    metadata: { name: "agent-gateway", namespace: "agents", labels: { "app.kubernetes.io/component": "gateway" } },
    spec: { gatewayClassName: "agentgateway", listeners: [] },
  });
  const routeOf = (name: string) =>
    on("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", `agents-route-${name}`, {
      metadata: { name, namespace: "agents", labels: { "app.kubernetes.io/component": "agent-route" } },
      spec: { parentRefs: [{ name: "agent-gateway" }], rules: [] },
    });
  const bySelector = (name: string, kind: string, component: string, mode: string, namespace = "agents") =>
    on(AGP, `${namespace}-jwt-${name}`, {
      metadata: { name, namespace },
      spec: {
        targetSelectors: [{ group: "gateway.networking.k8s.io", kind, matchLabels: { "app.kubernetes.io/component": component } }],
        traffic: { jwtAuthentication: { mode, providers: [{ issuer: "https://idp", audiences: ["agents"], jwks: { inline: "{}" } }] } },
      },
    });
  const stack = [labelled, routeOf("research-agent"), routeOf("llm")];
  const run = async (...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...stack, ...extra])).violations.map((v) => v.message.replace(/ Target the Gateway.*$/, ""));
  // Before: "no AgentgatewayPolicy with traffic.jwtAuthentication targets the Gateway or the route" on both routes.
  assert.deepEqual(await run(bySelector("gw", "Gateway", "gateway", "Strict")), []);
  // Before: the Gateway's Strict policy was read as deciding, and the routes' Optional one unseen.
  const opened = await run(jwt("gw", "Gateway", "agent-gateway", { issuer: "https://idp", audiences: ["agents"] }), bySelector("routes", "HTTPRoute", "agent-route", "Optional"));
  assert.deepEqual(opened, [
    "HTTPRoute agents/research-agent is served by the agent gateway agents/agent-gateway on cluster a, which is reachable from outside the cluster (its Service is a load balancer), and the route's JWT authentication agents/routes (mode Optional) is not Strict, and agentgateway lets a request without a valid token through in any other mode: every caller reaches what the route serves without a token.",
    "HTTPRoute agents/llm is served by the agent gateway agents/agent-gateway on cluster a, which is reachable from outside the cluster (its Service is a load balancer), and the route's JWT authentication agents/routes (mode Optional) is not Strict, and agentgateway lets a request without a valid token through in any other mode: every caller reaches what the route serves without a token.",
  ]);
  // Selectors whose labels match nothing, or another namespace's objects, bind nothing.
  assert.equal((await run(bySelector("gw", "Gateway", "other", "Strict"))).length, 2);
  assert.equal((await run(bySelector("gw", "Gateway", "gateway", "Strict", "tools"))).length, 2);
});

test("agent-call-graph: a Gateway's PreRouting JWT policy runs before the route's and is not replaced by it", async () => {
  const phased = (name: string, mode: string, phase: string | undefined, kind = "Gateway", target = "agent-gateway", sectionName?: string) =>
    on(AGP, `agents-jwt-${name}`, {
      metadata: { name, namespace: "agents" },
      spec: {
        targetRefs: [{ group: "gateway.networking.k8s.io", kind, name: target, ...(sectionName ? { sectionName } : {}) }],
        traffic: { ...(phase ? { phase } : {}), jwtAuthentication: { mode, providers: [{ issuer: "https://idp", audiences: ["agents"], jwks: { inline: "{}" } }] } },
      },
    });
  const optionalRoute = phased("r", "Optional", undefined, "HTTPRoute", "research-agent");
  const run = async (...extra: ReturnType<typeof on>[]) => (await messages(...extra)).map((m) => m.replace(/ Target the Gateway.*$/, ""));
  // Before: the route's Optional policy was read as replacing the Gateway's PreRouting Strict one (a false alarm).
  assert.deepEqual(await run(phased("gw", "Strict", "PreRouting"), optionalRoute), []);
  // A route-phase Strict policy on the Gateway is replaced by the route's Optional one: still open.
  assert.deepEqual(await run(phased("gw", "Strict", "PostRouting"), optionalRoute), [
    "HTTPRoute agents/research-agent is served by the agent gateway agents/agent-gateway on cluster a, which is reachable from outside the cluster (its Service is a load balancer), and the route's JWT authentication agents/r (mode Optional) is not Strict, and agentgateway lets a request without a valid token through in any other mode: every caller reaches what the route serves without a token.",
  ]);
  // A PreRouting Optional policy alone lets a request without a token through.
  assert.deepEqual(await run(phased("gw", "Optional", "PreRouting")), [
    "HTTPRoute agents/research-agent is served by the agent gateway agents/agent-gateway on cluster a, which is reachable from outside the cluster (its Service is a load balancer), and the Gateway's PreRouting JWT authentication agents/gw (mode Optional) is not Strict, and agentgateway lets a request without a valid token through in any other mode: every caller reaches what the route serves without a token.",
  ]);
  // Either phase closing the route is enough: a PreRouting Optional one beside a route's Strict one.
  assert.deepEqual(await run(phased("gw", "Optional", "PreRouting"), phased("r", "Strict", undefined, "HTTPRoute", "research-agent")), []);
});

test("agent-call-graph: a JWT policy whose strategy.inheritance is Override decides over more specific ones", async () => {
  const strict = { issuer: "https://idp", audiences: ["agents"] };
  const policy = (name: string, kind: string, target: string, mode: string, inheritance?: string, phase?: string) =>
    on(AGP, `agents-jwt-${name}`, {
      metadata: { name, namespace: "agents" },
      spec: {
        targetRefs: [{ group: "gateway.networking.k8s.io", kind, name: target }],
        ...(inheritance ? { strategy: { inheritance } } : {}),
        traffic: { ...(phase ? { phase } : {}), jwtAuthentication: { mode, providers: [{ ...strict, jwks: { inline: "{}" } }] } },
      },
    });
  const run = async (...extra: ReturnType<typeof on>[]) => (await messages(...extra)).map((m) => m.replace(/ Target the Gateway.*$/, ""));
  // Before: the route's Strict policy was read as deciding, though the Gateway's Optional Override one locks it out.
  assert.deepEqual(await run(policy("gw", "Gateway", "agent-gateway", "Optional", "Override"), policy("r", "HTTPRoute", "research-agent", "Strict")), [
    "HTTPRoute agents/research-agent is served by the agent gateway agents/agent-gateway on cluster a, which is reachable from outside the cluster (its Service is a load balancer), and the Gateway's JWT authentication agents/gw (mode Optional, strategy.inheritance Override, which the more specific policies cannot replace) is not Strict, and agentgateway lets a request without a valid token through in any other mode: every caller reaches what the route serves without a token.",
  ]);
  // Before: a false alarm, the route's Optional policy read as replacing the Gateway's Strict Override one.
  assert.deepEqual(await run(policy("gw", "Gateway", "agent-gateway", "Strict", "Override"), policy("r", "HTTPRoute", "research-agent", "Optional")), []);
  // Default inheritance, or Override on the more specific policy, leaves the route's policy deciding.
  assert.equal((await run(policy("gw", "Gateway", "agent-gateway", "Optional", "Default"), policy("r", "HTTPRoute", "research-agent", "Strict"))).length, 0);
  assert.equal((await run(policy("gw", "Gateway", "agent-gateway", "Strict"), policy("r", "HTTPRoute", "research-agent", "Optional", "Override"))).length, 1);
  // A PreRouting policy is not in the route-phase merge: its Override locks nothing there.
  assert.equal((await run(policy("gw", "Gateway", "agent-gateway", "Optional", "Override", "PreRouting"), policy("r", "HTTPRoute", "research-agent", "Strict"))).length, 0);
});

test("agent-call-graph: a route of another namespace on the agent gateway is decided by its own namespace's JWT policies", async () => {
  const open = on("kubernetes:gateway.networking.k8s.io/v1:Gateway", "agents-gw-agent-gateway", {
    metadata: { name: "agent-gateway", namespace: "agents" },
    spec: { gatewayClassName: "agentgateway", listeners: [{ name: "https", port: 8443, protocol: "HTTPS", allowedRoutes: { namespaces: { from: "All" } } }] },
  });
  const teamRoute = on("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "team-route-team", {
    metadata: { name: "team", namespace: "team" },
    spec: { parentRefs: [{ name: "agent-gateway", namespace: "agents" }], rules: [] },
  });
  const policy = (namespace: string, name: string, kind: string, target: string, mode: string) =>
    on(AGP, `${namespace}-jwt-${name}`, {
      metadata: { name, namespace },
      spec: {
        targetRefs: [{ group: "gateway.networking.k8s.io", kind, name: target }],
        traffic: { jwtAuthentication: { mode, providers: [{ issuer: "https://idp", audiences: ["agents"], jwks: { inline: "{}" } }] } },
      },
    });
  const gateway = policy("agents", "gw", "Gateway", "agent-gateway", "Strict");
  const run = async (...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [open, teamRoute, gateway, ...extra])).violations.map((v) => v.message.replace(/ Target the Gateway.*$/, ""));
  assert.deepEqual(await run(), []);
  // Before: the team's own Optional policy was not read (only the agents namespace's were), so the Gateway's Strict one was taken to decide.
  assert.deepEqual(await run(policy("team", "team", "HTTPRoute", "team", "Optional")), [
    "HTTPRoute team/team is served by the agent gateway agents/agent-gateway on cluster a, which is reachable from outside the cluster (its Service is a load balancer), and the route's JWT authentication team/team (mode Optional) is not Strict, and agentgateway lets a request without a valid token through in any other mode: every caller reaches what the route serves without a token.",
  ]);
  // A policy of the agents namespace naming the route binds agents/team, not it.
  assert.deepEqual(await run(policy("agents", "team", "HTTPRoute", "team", "Optional")), []);
});

test("agent-call-graph: a TCPRoute on the public agent gateway to a Service outside the agents namespace skips its JWT (agentgateway v1.4.1 tcpproxy.rs)", async () => {
  const GW = "gateway.networking.k8s.io";
  const listeners = [
    { name: "http", port: 80, protocol: "HTTP" },
    { name: "tls", port: 8443, protocol: "TLS", tls: { mode: "Terminate" }, allowedRoutes: { namespaces: { from: "All" }, kinds: [{ kind: "TCPRoute" }] } },
  ];
  const gateway = on(`kubernetes:${GW}/v1:Gateway`, "agents-gw-agent-gateway", { metadata: { name: "agent-gateway", namespace: "agents" }, spec: { gatewayClassName: "agentgateway", listeners } });
  const tcp = (ns: string, to: string, sectionName = "tls") =>
    on(`kubernetes:${GW}/v1:TCPRoute`, `${ns}-tcp-raw`, { metadata: { name: "raw", namespace: ns }, spec: { parentRefs: [{ name: "agent-gateway", namespace: "agents", sectionName }], rules: [{ backendRefs: [{ name: to, port: 8080 }] }] } });
  const closed = jwt("gw", "Gateway", "agent-gateway", { issuer: "https://idp", audiences: ["agents"] });
  const run = async (...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [gateway, route("research-agent"), closed, ...extra])).violations.map((v) => v.message);
  assert.deepEqual(await run(), []);
  const found = await run(tcp("inference", "body-based-router"));
  assert.equal(found.length, 1, found.join("\n"));
  assert.match(found[0], /TCPRoute inference\/raw on Gateway agents\/agent-gateway listener tls sends connections to Service inference\/body-based-router, and agentgateway v1\.4\.1 runs no traffic\.authorization or jwtAuthentication/);
  assert.match(found[0], /reachable from outside the cluster/);
  // A networkAuthorization on the listener admitting only the agents' callers guards it; a route on the HTTP listener is not served.
  const net = on(AGP, "agents-agpol-net", {
    metadata: { name: "net", namespace: "agents" },
    spec: { targetRefs: [{ group: GW, kind: "Gateway", name: "agent-gateway", sectionName: "tls" }], frontend: { networkAuthorization: { action: "Allow", policy: { matchExpressions: ["true"] } } } },
  });
  assert.equal((await run(tcp("inference", "body-based-router"), net)).length, 1);
  assert.deepEqual(await run(tcp("inference", "body-based-router", "http")), []);
  // Where the gateway is meant to be open, nothing is required of it.
  assert.deepEqual((await runStack(agentCallGraph, [gateway, route("research-agent"), closed, tcp("inference", "body-based-router")], { requireAgentJwt: false })).violations, []);
});
