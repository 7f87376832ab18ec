/**
 * agentgateway-token-limits beyond local limits on routes: `global` descriptors counting `Tokens`
 * (remoteratelimit.rs check_llm, called only from httpproxy.rs apply_llm_request_policies), a
 * PreRouting policy (store/binds.rs gateway_policies keeps no rate limit), and InferencePool
 * targets and backendRefs (served as a Service backend, never one with an llm_provider).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentgatewayTokenLimits } from "../../policy/rules/agentgateway-token-limits";
import { runStack } from "../support/policy";
import { GW, ROUTE, on } from "./traffic-support";

const POLICY = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy";
const BACKEND = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend";
const POOL = "kubernetes:inference.networking.k8s.io/v1:InferencePool";
const G = "gateway.networking.k8s.io";
const INF = "inference.networking.k8s.io";

const gateway = on(GW, "agent-gateway", { metadata: { name: "agent-gateway", namespace: "agents" }, spec: { gatewayClassName: "agentgateway", listeners: [{ name: "https", port: 443, protocol: "HTTPS" }, { name: "pools", port: 8443, protocol: "HTTPS" }] } });
const route = (name: string, section: string, backendRefs: unknown[]) =>
  on(ROUTE, name, { metadata: { name, namespace: "agents" }, spec: { parentRefs: [{ group: G, kind: "Gateway", name: "agent-gateway", sectionName: section }], rules: [{ name: "main", backendRefs }] } });
const llm = route("llm", "https", [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "inference-gateway" }]);
const direct = route("direct", "pools", [{ group: INF, kind: "InferencePool", name: "qwen" }]);
const ai = on(BACKEND, "inference-gateway", { metadata: { name: "inference-gateway", namespace: "agents" }, spec: { ai: { provider: { openai: {} } } } });
const pool = on(POOL, "qwen", { metadata: { name: "qwen", namespace: "agents", labels: { model: "qwen" } }, spec: { selector: { matchLabels: { app: "qwen" } }, targetPorts: [{ number: 8000 }] } });

const globalTokens = (unit: string | undefined) => ({
  global: { backendRef: { name: "ratelimit", port: 8081 }, domain: "llm", descriptors: [{ entries: [{ name: "user", expression: "jwt.sub" }], ...(unit ? { unit } : {}) }] },
});
const limit = (spec: Record<string, unknown>, rateLimit: unknown = { local: [{ tokens: 200000, unit: "Minutes" }] }) =>
  on(POLICY, "limit", { metadata: { name: "limit", namespace: "agents" }, spec: { ...spec, traffic: { ...((spec.traffic as object) ?? {}), rateLimit } } });
const messages = async (...extra: ReturnType<typeof on>[]) =>
  (await runStack(agentgatewayTokenLimits, [gateway, llm, direct, ai, pool, ...extra])).violations.map((v) => v.message);

test("agentgateway-token-limits: a global Tokens descriptor reaching only an InferencePool counts nothing; on the LLM route it passes", async () => {
  const onPoolRoute = await messages(limit({ targetRefs: [{ group: G, kind: "HTTPRoute", name: "direct" }] }, globalTokens("Tokens")));
  assert.equal(onPoolRoute.length, 1);
  assert.match(onPoolRoute[0], /spec\.traffic\.rateLimit\.global\.descriptors\[0\] is a token limit, but the traffic it targets reaches only InferencePool agents\/qwen, none an LLM provider/);
  const conditional = { conditional: [{ condition: "true", policy: globalTokens("Tokens") }] };
  assert.match((await messages(limit({ targetRefs: [{ group: G, kind: "HTTPRoute", name: "direct" }] }, conditional))).join(), /conditional\[0\]\.policy\.global\.descriptors\[0\] is a token limit/);
  // A Requests descriptor (the default unit) is counted on every request.
  assert.deepEqual(await messages(limit({ targetRefs: [{ group: G, kind: "HTTPRoute", name: "direct" }] }, globalTokens(undefined))), []);
  assert.deepEqual(await messages(limit({ targetRefs: [{ group: G, kind: "HTTPRoute", name: "llm" }] }, globalTokens("Tokens"))), []);
});

test("agentgateway-token-limits: a token limit aimed at an InferencePool, by name or selector, reaches no LLM provider", async () => {
  const byName = await messages(limit({ targetRefs: [{ group: INF, kind: "InferencePool", name: "qwen" }] }));
  assert.match(byName.join(), /local\[0\] is a token limit, but the traffic it targets reaches only InferencePool agents\/qwen, none an LLM provider/);
  const bySelector = await messages(limit({ targetSelectors: [{ group: INF, kind: "InferencePool", matchLabels: { model: "qwen" } }] }));
  assert.match(bySelector.join(), /reaches only InferencePool agents\/qwen/);
  // A selector matching no pool of the stack binds nothing: no traffic, no verdict.
  assert.deepEqual(await messages(limit({ targetSelectors: [{ group: INF, kind: "InferencePool", matchLabels: { model: "llama" } }] })), []);
  // Beside the LLM route it still limits that route.
  assert.deepEqual(await messages(limit({ targetRefs: [{ group: INF, kind: "InferencePool", name: "qwen" }, { group: G, kind: "HTTPRoute", name: "llm" }] })), []);
});

test("agentgateway-token-limits: a PreRouting token limit limits nothing, even on a Gateway with an LLM route", async () => {
  const pre = await messages(limit({ targetRefs: [{ group: G, kind: "Gateway", name: "agent-gateway" }], traffic: { phase: "PreRouting" } }));
  assert.equal(pre.length, 1);
  assert.match(pre[0], /^AgentgatewayPolicy agents\/limit on cluster a: spec\.traffic\.rateLimit\.local\[0\] is a token limit in a traffic\.phase PreRouting policy: agentgateway v1\.4\.1 applies no rate limit before routing \(store\/binds\.rs gateway_policies/);
  assert.match((await messages(limit({ targetRefs: [{ group: G, kind: "Gateway", name: "agent-gateway" }], traffic: { phase: "PreRouting" } }, globalTokens("Tokens")))).join(), /global\.descriptors\[0\] is a token limit in a traffic\.phase PreRouting policy/);
  // PostRouting (the default, written out) on the same Gateway passes.
  assert.deepEqual(await messages(limit({ targetRefs: [{ group: G, kind: "Gateway", name: "agent-gateway" }], traffic: { phase: "PostRouting" } })), []);
});
