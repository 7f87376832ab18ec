/**
 * agent-call-graph: a Strict JWT policy on the public agent gateway whose provider lists no
 * audiences accepts that issuer's tokens for any application (agentgateway v1.4.1 http/jwt.rs
 * turns the aud check off), so it leaves the front door open; a correct one, and a route's own
 * bound policy over an unbound Gateway's, pass.
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
