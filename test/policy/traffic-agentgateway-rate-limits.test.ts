/**
 * agentgateway-rate-limits: what agentgateway v1.4.1 makes of an AgentgatewayPolicy's
 * traffic.rateLimit (controller traffic_plugin.go processLocalRateLimitTraffic translates local[0]
 * only; a negative burst wraps; the CRD's validation refuses the rest).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentgatewayRateLimits } from "../../policy/rules/agentgateway-rate-limits";
import { llmTokenLimitManifest } from "../../components/agents/llm";
import { ResourceInput, runStack, stackResource, UNKNOWN } from "../support/policy";

/** The stack policy over these resources alone (each on the test cluster's provider). */
const runRateLimits = (inputs: ResourceInput | ResourceInput[]) => runStack(agentgatewayRateLimits, [inputs].flat().map(stackResource));

const POLICY = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy";
const policy = (rateLimit: unknown) => ({
  type: POLICY,
  name: "agents-llm-limit",
  props: { metadata: { name: "llm-limit", namespace: "agents" }, spec: { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "llm" }], traffic: { rateLimit } } },
});
const messages = async (rateLimit: unknown) => (await runRateLimits(policy(rateLimit))).violations.map((v) => v.message);

test("agentgateway-rate-limits: one local limit per list, the platform's LLM token limit, and global descriptors pass", async () => {
  const platform = llmTokenLimitManifest({ agents: [{}], gateways: { agents: { llm: { tokensPerMinute: 200000, subdomain: "llm" } } } } as any)!;
  assert.deepEqual((await runRateLimits({ type: POLICY, name: "llm", props: platform })).violations, []);
  assert.deepEqual(await messages({ local: [{ requests: 10, unit: "Seconds", burst: 5 }], global: { backendRef: { name: "rls", port: 8081 }, domain: "llm", descriptors: [{ entries: [{ name: "user", expression: "jwt.sub" }] }] } }), []);
  assert.deepEqual(await messages({ conditional: [{ condition: "jwt.sub == 'batch'", policy: { local: [{ tokens: 1000, unit: "Minutes" }] } }, { policy: { local: [{ requests: 5, unit: "Seconds", burst: 0 }] } }] }), []);
  // Not a rate limit at all: another traffic policy, another kind.
  assert.deepEqual((await runRateLimits({ type: POLICY, name: "cors", props: { metadata: { name: "cors", namespace: "agents" }, spec: { traffic: { cors: {} } } } })).violations, []);
});

// Before, no policy read rateLimit: each of these passed the pack.
test("agentgateway-rate-limits: a second local limit, top-level or in a conditional entry, is dropped by the controller", async () => {
  const top = await messages({ local: [{ requests: 10, unit: "Seconds" }, { requests: 100, unit: "Minutes", burst: 20 }] });
  assert.equal(top.length, 1);
  assert.match(top[0], /^AgentgatewayPolicy agents\/llm-limit: spec\.traffic\.rateLimit\.local holds 2 limits, and agentgateway v1\.4\.1 enforces only the first: .*processLocalRateLimitTraffic.* so 100 requests per "Minutes" \(burst 20\) is never enforced; keep one local limit/);
  const conditional = await messages({ conditional: [{ condition: "true", policy: { local: [{ tokens: 10, unit: "Seconds" }, { tokens: 500, unit: "Minutes" }, { requests: 9, unit: "Hours" }] } }] });
  assert.equal(conditional.length, 1);
  assert.match(conditional[0], /spec\.traffic\.rateLimit\.conditional\[0\]\.policy\.local holds 3 limits.* so 500 tokens per "Minutes", 9 requests per "Hours" are never enforced/);
});

test("agentgateway-rate-limits: a negative burst on the applied limit wraps into no limit", async () => {
  const refused = await messages({ local: [{ requests: 10, unit: "Seconds", burst: -3 }] });
  assert.equal(refused.length, 1);
  assert.match(refused[0], /local\[0\] has burst -3: the CRD sets no minimum.* a bucket of 7 below its refill of 10, which the proxy refuses .*nothing is limited/);
  const wrapped = await messages({ local: [{ tokens: 10, unit: "Minutes", burst: -11 }] });
  assert.match(wrapped.join(), /local\[0\] has burst -11: .*a bucket of nearly 2\^64 that never runs dry/);
});

test("agentgateway-rate-limits: what the CRD refuses", async () => {
  assert.deepEqual((await messages({ local: [{ requests: 1, tokens: 5, unit: "Seconds" }, { unit: "Minutes" }, { requests: 0, unit: "Hours" }, { requests: 3, unit: "minutes" }, { tokens: 3 }] })).map((m) => m.replace(/^AgentgatewayPolicy agents\/llm-limit: spec\.traffic\.rateLimit\./, "").replace(/: the CRD's validation refuses it, so the API server rejects the policy$/, "").replace(/ holds 5 limits.*/, " holds 5")), [
    'local[0] sets both of requests and tokens ("exactly one of the fields in [requests tokens] must be set")',
    'local[1] sets neither of requests and tokens ("exactly one of the fields in [requests tokens] must be set")',
    "local[2] has requests 0, not a whole number of at least 1",
    'local[3] has unit "minutes", not one of Seconds, Minutes, Hours (required)',
    "local[4] has unit unset, not one of Seconds, Minutes, Hours (required)",
    "local holds 5",
  ]);
  assert.match((await messages({})).join(), /spec\.traffic\.rateLimit sets none of local, global and conditional/);
  assert.match((await messages({ local: [{ requests: 1, unit: "Seconds" }], conditional: [{ policy: { local: [{ requests: 1, unit: "Seconds" }] } }] })).join(), /sets conditional beside local \("conditional cannot be set with any other field"\)/);
  assert.match((await messages({ conditional: [{ condition: "true", policy: {} }] })).join(), /conditional\[0\]\.policy sets neither local nor global/);
});

test("agentgateway-rate-limits: an entry not known yet is can't judge, and the verdicts beside it stand", async () => {
  const out = await runRateLimits(policy({ local: [{ requests: 10, unit: "Seconds" }, { requests: UNKNOWN, unit: "Minutes" }] }));
  assert.match(out.violations.map((v) => v.message).join(), /holds 2 limits.* so a limit not known yet is never enforced/);
  assert.match(out.unknown.join(), /spec\.traffic\.rateLimit\.local\[1\] of AgentgatewayPolicy agents\/llm-limit/);
  const whole = await runRateLimits(policy(UNKNOWN));
  assert.deepEqual(whole.violations, []);
  assert.match(whole.unknown.join(), /spec\.traffic\.rateLimit of AgentgatewayPolicy agents\/llm-limit/);
});

// Before, no policy read a global descriptor's CEL: each of these passed the pack.
test("agentgateway-rate-limits: a global descriptor's entry or cost that does not parse as CEL skips the descriptor on every request", async () => {
  const global = (descriptors: unknown) => ({ backendRef: { name: "rls", port: 8081 }, domain: "llm", descriptors });
  const top = await messages({ global: global([{ entries: [{ name: "user", expression: "jwt.sub" }, { name: "ua", expression: 'foolen_{{request.headers["user-agent"]}}' }] }, { entries: [{ name: "ip", expression: "source.address" }], cost: "llm.inputTokens +", unit: "Tokens" }]) });
  assert.equal(top.length, 2);
  assert.match(top[0], /^AgentgatewayPolicy agents\/llm-limit: spec\.traffic\.rateLimit\.global\.descriptors\[0\]\.entries\[1\]\.expression "foolen_\{\{request\.headers\[\\"user-agent\\"\]\}\}" does not parse as CEL at character 9: expected a field name, found "\{": agentgateway v1\.4\.1's controller passes it on .*PartiallyValid.* the proxy replaces it with an expression that always fails .* so descriptors\[0\] is skipped on every request .*no request is ever counted against its limit/);
  assert.match(top[1], /global\.descriptors\[1\]\.cost "llm\.inputTokens \+" does not parse as CEL at character 18: expected an operand, found the end of the expression: /);
  const conditional = await messages({ conditional: [{ condition: "true", policy: { global: global([{ entries: [{ name: "user", expression: "jwt.sub = 'a'" }] }]) } }] });
  assert.match(conditional.join(), /conditional\[0\]\.policy\.global\.descriptors\[0\]\.entries\[0\]\.expression "jwt\.sub = 'a'" does not parse as CEL at character 9/);
  const unknown = await runRateLimits(policy({ global: global([{ entries: [{ name: "user", expression: UNKNOWN }] }, { entries: [{ name: "ip", expression: "source.address)" }] }]) }));
  assert.match(unknown.violations.map((v) => v.message).join(), /descriptors\[1\]\.entries\[0\]\.expression "source\.address\)" does not parse/);
  assert.match(unknown.unknown.join(), /spec\.traffic\.rateLimit\.global\.descriptors\[0\] of AgentgatewayPolicy/);
});
// agentgateway v1.4.1's proxy compiles descriptors with its cel fork (Parser::default(): optional
// syntax off, no reserved-word check), not cel-go: read as that parser reads them.
test("agentgateway-rate-limits: a descriptor is read by agentgateway's CEL parser: optional syntax and out-of-range ints fail, reserved words pass", async () => {
  const global = (descriptors: unknown) => ({ backendRef: { name: "rls", port: 8081 }, domain: "llm", descriptors });
  const found = await messages({ global: global([{ entries: [{ name: "user", expression: 'jwt.?sub.orValue("anonymous")' }] }, { entries: [{ name: "ip", expression: "source.address" }], cost: "llm.inputTokens * 18446744073709551616", unit: "Tokens" }]) });
  assert.equal(found.length, 2);
  assert.match(found[0], /descriptors\[0\]\.entries\[0\]\.expression "jwt\.\?sub\.orValue\(\\"anonymous\\"\)" does not parse as CEL at character 4: unsupported syntax '\.\?'/);
  assert.match(found[1], /descriptors\[1\]\.cost .* does not parse as CEL at character 19: invalid int literal/);
  // cel-go refuses `namespace` as an identifier; agentgateway's parser takes it (it is then an unknown variable at runtime, not a parse error).
  assert.deepEqual(await messages({ global: global([{ entries: [{ name: "ns", expression: "namespace" }] }]) }), []);
});
test("agentgateway-rate-limits: an AgentgatewayPolicyPatch is judged for the rate limit it sets over the policy's", async () => {
  const patched = (rateLimit: unknown) => ({ ...policy(rateLimit), type: `${POLICY}Patch`, name: "agents-llm-limit-patch" });
  // local is an atomic list: the patch's replaces the policy's, so its second limit is dropped too.
  const second = (await runRateLimits(patched({ local: [{ tokens: 200000, unit: "Minutes" }, { requests: 100, unit: "Seconds" }] }))).violations.map((v) => v.message);
  assert.equal(second.length, 1);
  assert.match(second[0], /spec\.traffic\.rateLimit\.local holds 2 limits/);
  assert.equal((await runRateLimits(patched({ local: [{ tokens: 100, unit: "Minutes", burst: -200 }] }))).violations.length, 1);
  // A patch holds only the fields it sets: one leaving local, global and conditional to the policy refuses nothing.
  assert.deepEqual((await runRateLimits(patched({}))).violations, []);
  assert.deepEqual((await runRateLimits(patched({ local: [{ tokens: 1000, unit: "Minutes" }] }))).violations, []);
});

// store/binds.rs gateway_policies keeps no rate limit: a PreRouting one is dropped by the proxy.
test("agentgateway-rate-limits: a request limit in a PreRouting policy limits nothing (its token limits are agentgateway-token-limits')", async () => {
  const pre = (rateLimit: unknown, phase = "PreRouting") => {
    const p = policy(rateLimit);
    (p.props.spec as any).targetRefs = [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "agent-gateway" }];
    (p.props.spec as any).traffic.phase = phase;
    return p;
  };
  const global = { backendRef: { name: "rls", port: 8081 }, domain: "llm", descriptors: [{ entries: [{ name: "ip", expression: "source.address" }] }, { entries: [{ name: "user", expression: "jwt.sub" }], unit: "Tokens" }] };
  const found = (await runRateLimits(pre({ local: [{ requests: 100, unit: "Seconds" }], global }))).violations.map((v) => v.message);
  assert.equal(found.length, 1);
  assert.match(found[0], /^AgentgatewayPolicy agents\/llm-limit: spec\.traffic\.rateLimit\.local\[0\], spec\.traffic\.rateLimit\.global\.descriptors\[0\] are request limits in a traffic\.phase PreRouting policy: agentgateway v1\.4\.1 applies no rate limit before routing \(store\/binds\.rs gateway_policies/);
  assert.deepEqual((await runRateLimits(pre({ local: [{ tokens: 100, unit: "Minutes" }] }))).violations, []);
  assert.deepEqual((await runRateLimits(pre({ local: [{ requests: 100, unit: "Seconds" }] }, "PostRouting"))).violations, []);
});

test("agentgateway-rate-limits: the phase is read after AgentgatewayPolicyPatches: a patch setting PreRouting drops the policy's request limit", async () => {
  const onGateway = { ...policy({ local: [{ requests: 100, unit: "Seconds" }] }) };
  (onGateway.props.spec as any).targetRefs = [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "agent-gateway" }];
  const patch = (spec: Record<string, unknown>) => ({ type: `${POLICY}Patch`, name: "agents-llm-limit-phase", props: { metadata: { name: "llm-limit", namespace: "agents" }, spec } });
  assert.deepEqual((await runRateLimits(onGateway)).violations, []);
  const found = (await runRateLimits([onGateway, patch({ traffic: { phase: "PreRouting" } })])).violations;
  assert.equal(found.length, 1, found.map((v) => v.message).join("\n"));
  assert.match(found[0].message, /^AgentgatewayPolicy agents\/llm-limit \(with AgentgatewayPolicyPatch agents\/llm-limit \(urn:[^)]*\) applied\): spec\.traffic\.rateLimit\.local\[0\] is a request limit in a traffic\.phase PreRouting policy/);
  assert.equal(found[0].urn, stackResource(onGateway).urn, "reported on the policy");
  // A patch giving a PreRouting policy a request limit is judged likewise; one setting PostRouting back clears it.
  const pre = { ...onGateway, props: { ...onGateway.props, spec: { ...onGateway.props.spec, traffic: { phase: "PreRouting", cors: {} } } } };
  assert.equal((await runRateLimits([pre, patch({ traffic: { rateLimit: { local: [{ requests: 5, unit: "Seconds" }] } } })])).violations.length, 1);
  assert.deepEqual((await runRateLimits([{ ...onGateway, props: { ...onGateway.props, spec: { ...onGateway.props.spec, traffic: { ...(onGateway.props.spec as any).traffic, phase: "PreRouting" } } } }, patch({ traffic: { phase: "PostRouting" } })])).violations, []);
});
