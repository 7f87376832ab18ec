/**
 * agentgateway-token-limits: agentgateway v1.4.1 counts a `tokens` local limit only on requests to
 * an LLM provider (localratelimit.rs check_request skips it; httpproxy.rs apply_llm_request_policies
 * runs check_llm_request only for a backend with an llm_provider).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentgatewayTokenLimits } from "../../policy/rules/agentgateway-token-limits";
import { runStack, UNKNOWN } from "../support/policy";
import { GW, ROUTE, on } from "./traffic-support";

const POLICY = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy";
const BACKEND = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend";
const G = "gateway.networking.k8s.io";

const gateway = on(GW, "agent-gateway", { metadata: { name: "agent-gateway", namespace: "agents" }, spec: { gatewayClassName: "agentgateway", listeners: [{ name: "https", port: 443, protocol: "HTTPS" }, { name: "agents", port: 8443, protocol: "HTTPS" }] } });
const route = (name: string, section: string, backendRefs: unknown[], labels: Record<string, string> = {}) =>
  on(ROUTE, name, { metadata: { name, namespace: "agents", labels }, spec: { parentRefs: [{ group: G, kind: "Gateway", name: "agent-gateway", sectionName: section }], rules: [{ name: "main", backendRefs }] } });
const llm = route("llm", "https", [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "inference-gateway" }]);
const agent = route("research-agent", "agents", [{ kind: "Service", name: "research-agent-v1", port: 8080 }], { tier: "agents" });
const a2a = route("a2a", "agents", [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "planner" }], { tier: "agents" });
const backends = [
  on(BACKEND, "inference-gateway", { metadata: { name: "inference-gateway", namespace: "agents" }, spec: { ai: { provider: { openai: {} } } } }),
  on(BACKEND, "planner", { metadata: { name: "planner", namespace: "agents" }, spec: { a2a: {} } }),
];
const limit = (targets: { targetRefs?: unknown[]; targetSelectors?: unknown[] }, rateLimit: unknown = { local: [{ tokens: 200000, unit: "Minutes" }] }) =>
  on(POLICY, "limit", { metadata: { name: "limit", namespace: "agents" }, spec: { ...targets, traffic: { rateLimit } } });
const run = (...extra: ReturnType<typeof on>[]) => runStack(agentgatewayTokenLimits, [gateway, llm, agent, a2a, ...backends, ...extra]);
const messages = async (...extra: ReturnType<typeof on>[]) => (await run(...extra)).violations.map((v) => v.message);

test("agentgateway-token-limits: a token limit on the LLM route, on a Gateway with an LLM route, or a request limit anywhere passes", async () => {
  assert.deepEqual(await messages(limit({ targetRefs: [{ group: G, kind: "HTTPRoute", name: "llm" }] })), []);
  assert.deepEqual(await messages(limit({ targetRefs: [{ group: G, kind: "Gateway", name: "agent-gateway" }] })), []);
  assert.deepEqual(await messages(limit({ targetRefs: [{ group: G, kind: "Gateway", name: "agent-gateway", sectionName: "https" }] })), []);
  assert.deepEqual(await messages(limit({ targetRefs: [{ group: G, kind: "HTTPRoute", name: "research-agent" }] }, { local: [{ requests: 10, unit: "Seconds" }] })), []);
  // A backend the stack does not show, or a target of another kind: not ours to guess.
  assert.deepEqual(await messages(limit({ targetRefs: [{ group: G, kind: "HTTPRoute", name: "elsewhere" }] })), []);
  assert.deepEqual(await messages(limit({ targetRefs: [{ group: G, kind: "XListenerSet", name: "x" }, { group: G, kind: "HTTPRoute", name: "research-agent" }] })), []);
});

// Before, no policy followed a token limit to its backends: each of these passed the pack.
test("agentgateway-token-limits: a token limit reaching only agents, A2A or MCP backends limits nothing", async () => {
  const onRoute = await messages(limit({ targetRefs: [{ group: G, kind: "HTTPRoute", name: "research-agent" }] }));
  assert.equal(onRoute.length, 1);
  assert.match(onRoute[0], /^AgentgatewayPolicy agents\/limit on cluster a: spec\.traffic\.rateLimit\.local\[0\] is a token limit, but the traffic it targets reaches only Service agents\/research-agent-v1, none an LLM provider .*apply_llm_request_policies.* so nothing is limited/);
  const onListener = await messages(limit({ targetRefs: [{ group: G, kind: "Gateway", name: "agent-gateway", sectionName: "agents" }] }));
  assert.match(onListener.join(), /reaches only Service agents\/research-agent-v1, AgentgatewayBackend agents\/planner \(a2a\), none an LLM provider/);
  const bySelector = await messages(limit({ targetSelectors: [{ group: G, kind: "HTTPRoute", matchLabels: { tier: "agents" } }] }, { conditional: [{ condition: "true", policy: { local: [{ tokens: 5, unit: "Minutes" }] } }] }));
  assert.match(bySelector.join(), /spec\.traffic\.rateLimit\.conditional\[0\]\.policy\.local\[0\] is a token limit/);
  // A patch moving the LLM route's limit onto the agent route.
  const patch = on(`${POLICY}Patch`, "limit-patch", { metadata: { name: "limit", namespace: "agents" }, spec: { targetRefs: [{ group: G, kind: "HTTPRoute", name: "a2a" }] } });
  assert.match((await messages(limit({ targetRefs: [{ group: G, kind: "HTTPRoute", name: "llm" }] }), patch)).join(), /reaches only AgentgatewayBackend agents\/planner \(a2a\)/);
});

test("agentgateway-token-limits: a backend not known in this preview is can't judge", async () => {
  const unknownBackend = on(BACKEND, "planner", { metadata: { name: "planner", namespace: "agents" }, spec: UNKNOWN });
  const out = await runStack(agentgatewayTokenLimits, [gateway, agent, a2a, unknownBackend, limit({ targetRefs: [{ group: G, kind: "HTTPRoute", name: "a2a" }] })]);
  assert.deepEqual(out.violations, []);
  assert.match(out.unknown.join(), /spec of AgentgatewayBackend agents\/planner/);
});
