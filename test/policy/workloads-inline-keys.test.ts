/**
 * sensitive-values-secret on API keys agentgateway takes inline: `auth.key` (its v1.4.1 CRDs:
 * "Inline key to use as the value of the `Authorization` header. This option is the least
 * secure"), in an AgentgatewayBackend or AgentgatewayPolicy, and an Authorization header's value
 * held in a Secret or ConfigMap entry of any name.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { sensitiveValuesSecret } from "../../policy/rules/sensitive-values-secret";
import { configMapCredential } from "../../policy/lib/credentials";
import { runResource, UNKNOWN } from "../support/policy";

const BACKEND = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend";
const POLICY = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy";
const cr = (type: string, name: string, spec: unknown) => ({ type, name, props: { metadata: { name, namespace: "agents" }, spec } });

// Before, no agentgateway resource was read: a provider key given inline passed.
test("sensitive-values-secret: an LLM provider's or MCP target's API key inline in agentgateway's resources", async () => {
  const out = await runResource(sensitiveValuesSecret, [
    cr(BACKEND, "openai", { ai: { provider: { openai: { model: "gpt-4o" } } }, policies: { auth: { key: "sk-proj-abc123def456" } } }),
    cr(BACKEND, "failover", { ai: { groups: [{ providers: [{ name: "a", anthropic: {}, policies: { auth: { key: "sk-ant-api03-xyz" } } }] }] } }),
    cr(BACKEND, "github-mcp", { mcp: { targets: [{ name: "gh", static: { host: "api.githubcopilot.com", port: 443, policies: { auth: { key: "Bearer ghp_0123456789" } } } }] } }),
    cr(POLICY, "moderation", { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "llm" }], backend: { ai: { promptGuard: { request: [{ openAIModeration: { policies: { auth: { key: "sk-mod-123456" } } } }] } } } }),
  ]);
  assert.deepEqual(out.violations.map((v) => v.message.replace(/ holds an API key .*$/, "")), [
    "AgentgatewayBackend agents/openai: spec.policies.auth.key",
    "AgentgatewayBackend agents/failover: spec.ai.groups[0].providers[0].policies.auth.key",
    "AgentgatewayBackend agents/github-mcp: spec.mcp.targets[0].static.policies.auth.key",
    "AgentgatewayPolicy agents/moderation: spec.backend.ai.promptGuard.request[0].openAIModeration.policies.auth.key",
  ]);
  assert.match(out.violations[0].message, /a custom resource is never secret .*; reference a Secret holding it instead \(auth\.secretRef\)$/);
  // agentgateway's auth.secretRef reads the Authorization key's value as the header: a Secret or ConfigMap entry so named is one.
  assert.equal(configMapCredential("Bearer sk-proj-abc123def456", "Authorization"), "a credential (an Authorization header's value)");
  assert.equal(configMapCredential("Bearer $(OPENAI_API_KEY)", "Authorization"), undefined);
});

test("sensitive-values-secret: a key taken from a Secret, passthrough or cloud auth is no alarm; an unknown key is can't judge", async () => {
  const quiet = await runResource(sensitiveValuesSecret, [
    cr(BACKEND, "by-secret", { ai: { provider: { openai: {} } }, policies: { auth: { secretRef: { name: "openai-key" } } } }),
    cr(BACKEND, "passthrough", { ai: { provider: { openai: {} } }, policies: { auth: { passthrough: {} } } }),
    cr(BACKEND, "bedrock", { ai: { provider: { bedrock: { region: "us-east-1" } } }, policies: { auth: { aws: { region: "us-east-1" } } } }),
    cr(POLICY, "jwt", { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "agent-gateway" }], traffic: { jwtAuthentication: { mode: "Strict", providers: [{ issuer: "https://idp", jwks: { remote: { jwksPath: "/jwks" } } }] } } }),
  ]);
  assert.deepEqual(quiet.violations, []);
  const pending = await runResource(sensitiveValuesSecret, cr(BACKEND, "computed", { policies: { auth: { key: UNKNOWN } } }));
  assert.deepEqual(pending.violations.map((v) => v.message), []);
  assert.match(pending.unknown.join("\n"), /spec\.policies\.auth\.key of AgentgatewayBackend agents\/computed/);
});

// Before, basicAuthentication.users was not read: a password written in clear passed.
test("sensitive-values-secret: an htpasswd line of basicAuthentication.users holding a password in clear, not a hash", async () => {
  const basic = (users: unknown) => cr(POLICY, "basic", { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "agent-gateway" }], traffic: { basicAuthentication: { users } } });
  const out = await runResource(sensitiveValuesSecret, basic(["alice:$apr1$ivPt0D4C$DmRhnewfHRSrb3DQC.WHC.", "bob:hunter2-for-bob", "carol:$2y$05$r3J4d3VepzFkedkd/q1vI.pBYIpSqjfN0qOARV3ScUHysatnS0cL2", "dave:{SHA}m3eMTmxi2IBKIZgAnySjD/tg8W8=", "erin:5G1OI2SwmK4v6"]));
  assert.deepEqual(out.violations.map((v) => v.message.replace(/ holds a password .*$/, "")), ["AgentgatewayPolicy agents/basic: spec.traffic.basicAuthentication.users[1]"]);
  assert.match(out.violations[0].message, /not an htpasswd hash: a custom resource is never secret .*basicAuthentication\.secretRef$/);
  // The file in a Secret: nothing inline to judge.
  assert.deepEqual((await runResource(sensitiveValuesSecret, cr(POLICY, "by-secret", { traffic: { basicAuthentication: { secretRef: { name: "htpasswd" } } } }))).violations, []);
  const pending = await runResource(sensitiveValuesSecret, basic(["alice:$apr1$ivPt0D4C$DmRhnewfHRSrb3DQC.WHC.", UNKNOWN]));
  assert.deepEqual(pending.violations, []);
  assert.match(pending.unknown.join("\n"), /spec\.traffic\.basicAuthentication\.users\[1\] of AgentgatewayPolicy agents\/basic/);
});
