/**
 * agentgateway-api-key-sources: the ConfigMaps and Secrets an AgentgatewayPolicy's
 * traffic.apiKeyAuthentication picks (agentgateway v1.4.1 traffic_plugin.go
 * processAPIKeyAuthenticationPolicy: ConfigMaps only with keyHash; the policy's namespace; the
 * CRD admits exactly one of secretRef, secretSelector and configMapSelector).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentgatewayApiKeySources } from "../../policy/rules/agentgateway-api-key-sources";
import { sensitiveValuesSecret } from "../../policy/rules/sensitive-values-secret";
import { k8sProvider, runResource, runStack, stackResource, UNKNOWN } from "../support/policy";

const POLICY = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy";
const CM = "kubernetes:core/v1:ConfigMap";
const SECRET = "kubernetes:core/v1:Secret";
const HASH = "sha256:efa299afb8c12a36e47a790cbbf929caa06d13285950410463fb759af17d0dad";
const policy = (apiKeyAuthentication: unknown, namespace = "agents") =>
  stackResource({ type: POLICY, name: "api-keys", props: { metadata: { name: "api-keys", namespace }, spec: { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "agents" }], traffic: { apiKeyAuthentication } } } });
const object = (type: string, name: string, labels: Record<string, string>, data: Record<string, unknown>, extra: { namespace?: string; cluster?: string; secretOutputs?: string[] } = {}) =>
  stackResource({
    type,
    name,
    props: { metadata: { name, namespace: extra.namespace ?? "agents", labels }, ...data },
    provider: k8sProvider(extra.cluster ?? "test"),
    additionalSecretOutputs: extra.secretOutputs,
  });
const b64 = (s: string) => Buffer.from(s).toString("base64");

// Before, no rule followed a policy's key source: every stack below passed the pack.
test("agentgateway-api-key-sources: a ConfigMap picked by configMapSelector holding a raw key (bare or JSON) or a malformed entry", async () => {
  const out = await runStack(agentgatewayApiKeySources, [
    policy({ configMapSelector: { matchLabels: { "api-keys": "agents" } } }),
    object(CM, "keys", { "api-keys": "agents" }, { data: { client1: "k-123", client2: JSON.stringify({ key: "k-456", metadata: { group: "sales" } }), client3: JSON.stringify({ keyHash: HASH }), client4: JSON.stringify({ keyHash: "sha256:abc" }), client5: "{not json" } }),
  ]);
  assert.deepEqual(out.violations.map((v) => v.message.replace(/, which AgentgatewayPolicy agents\/api-keys \(traffic\.apiKeyAuthentication\.configMapSelector\) reads as an API key, /, " | ").replace(/: agentgateway v1\.4\.1 refuses.*$/, "")), [
    "ConfigMap agents/keys data.client1 | holds a raw key, which agentgateway takes from a Secret only (from a ConfigMap: keyHash), and in plaintext in state and to every reader of ConfigMaps",
    "ConfigMap agents/keys data.client2 | holds a raw key, which agentgateway takes from a Secret only (from a ConfigMap: keyHash), and in plaintext in state and to every reader of ConfigMaps",
    'ConfigMap agents/keys data.client4 | has keyHash "sha256:abc", not sha256:<64 hex digits>',
    "ConfigMap agents/keys data.client5 | is not valid JSON",
  ]);
  assert.match(out.violations[0].message, /so a client presenting that key is refused; write it as \{"keyHash":"sha256:<hex of the key's SHA-256>"\} \(or move the raw key to a Secret\)$/);
  // The per-resource check cannot tell these entries from configuration.
  const perResource = await runResource(sensitiveValuesSecret, { type: CM, name: "keys", props: { metadata: { name: "keys", namespace: "agents" }, data: { client1: "k-123" } } });
  assert.equal(perResource.violations.length, 0);
});

test("agentgateway-api-key-sources: a Secret picked by secretSelector or secretRef holding raw keys under ordinary names, its data not declared secret", async () => {
  const bySelector = await runStack(agentgatewayApiKeySources, [
    policy({ secretSelector: { matchLabels: { "api-keys": "agents" } } }),
    object(SECRET, "keys", { "api-keys": "agents" }, { stringData: { client1: "k-123", client3: JSON.stringify({ keyHash: HASH }) }, data: { client2: b64(JSON.stringify({ key: "k-456" })) } }),
  ]);
  assert.deepEqual(bySelector.violations.map((v) => v.message.replace(/ \(which .*$/, "")), ["Secret agents/keys: data.client2", "Secret agents/keys: stringData.client1"]);
  assert.match(bySelector.violations[0].message, /\(which AgentgatewayPolicy agents\/api-keys \(traffic\.apiKeyAuthentication\.secretSelector\) reads as API keys\) hold raw keys, and data is not declared secret .*create it with k8s\.core\.v1\.Secret/);
  const byRef = await runStack(agentgatewayApiKeySources, [policy({ secretRef: { name: "keys" } }), object(SECRET, "keys", {}, { stringData: { client1: "k-123" } })]);
  assert.equal(byRef.violations.length, 1);
});

test("agentgateway-api-key-sources: hashes, declared Secrets, other namespaces and clusters are no alarm; an unknown entry is can't judge", async () => {
  const quiet = await runStack(agentgatewayApiKeySources, [
    // Picked by no policy: the raw-key Secret labelled raw=yes is not read.
    policy({ configMapSelector: { matchLabels: { "api-keys": "agents" } } }),
    object(CM, "hashed", { "api-keys": "agents" }, { data: { client1: JSON.stringify({ keyHash: HASH, metadata: { group: "sales" } }) } }),
    object(SECRET, "raw", { raw: "yes" }, { stringData: { client1: "k-123" } }),
    object(CM, "elsewhere", { "api-keys": "agents" }, { data: { client1: "k-123" } }, { namespace: "tools" }),
    object(CM, "other-cluster", { "api-keys": "agents" }, { data: { client1: "k-123" } }, { cluster: "east" }),
  ]);
  assert.deepEqual(quiet.violations, []);
  assert.deepEqual(quiet.unknown, []);
  const declared = await runStack(agentgatewayApiKeySources, [
    policy({ secretRef: { name: "keys" } }),
    object(SECRET, "keys", {}, { stringData: { client1: "k-123" } }, { secretOutputs: ["data", "stringData"] }),
  ]);
  assert.deepEqual(declared.violations, []);
  const pending = await runStack(agentgatewayApiKeySources, [policy({ configMapSelector: { matchLabels: { "api-keys": "agents" } } }), object(CM, "keys", { "api-keys": "agents" }, { data: { client1: UNKNOWN } })]);
  assert.deepEqual(pending.violations, []);
  assert.match(pending.unknown.join(), /data\.client1 of ConfigMap agents\/keys/);
});

// Before, a secretRef to anything but a core Secret was skipped: none of these stacks failed.
test("agentgateway-api-key-sources: a secretRef the controller cannot read (a custom credential kind) or the CRD refuses (group or kind alone)", async () => {
  const custom = await runStack(agentgatewayApiKeySources, [
    policy({ secretRef: { name: "keys", group: "secrets.example.com", kind: "VaultCredential" } }),
    object(SECRET, "keys", {}, { stringData: { client1: "k-123" } }, { secretOutputs: ["data", "stringData"] }),
  ]);
  assert.deepEqual(custom.violations.map((v) => v.message.replace(/, which .*$/, "")), ["AgentgatewayPolicy agents/api-keys: spec.traffic.apiKeyAuthentication.secretRef names a VaultCredential of group secrets.example.com"]);
  assert.match(custom.violations[0].message, /resolves core Secrets only .* sets "unsupported credential kind" on the object's status and checks no key from it/);
  const coreGroup = await runStack(agentgatewayApiKeySources, [policy({ secretRef: { name: "keys", group: "core", kind: "Secret" } })]);
  assert.match(coreGroup.violations.map((v) => v.message).join(), /names a Secret of group core, which agentgateway v1\.4\.1's released controller cannot read/);
  const halfSet = await runStack(agentgatewayApiKeySources, [policy({ secretRef: { name: "keys", kind: "ConfigMap" } }), policy({ secretRef: { name: "keys", group: "example.com" } }, "tools")]);
  assert.deepEqual(halfSet.violations.map((v) => v.message.replace(/, which .*$/, "")), [
    "AgentgatewayPolicy agents/api-keys: spec.traffic.apiKeyAuthentication.secretRef sets kind ConfigMap without a group",
    "AgentgatewayPolicy tools/api-keys: spec.traffic.apiKeyAuthentication.secretRef sets group example.com without a kind",
  ]);
  assert.match(halfSet.violations[0].message, /"custom credential refs must set both group and kind"\): the API server rejects the policy/);
  // A core Secret by any spelling is read as before.
  const quiet = await runStack(agentgatewayApiKeySources, [policy({ secretRef: { name: "keys", group: "", kind: "Secret" } }), policy({ secretRef: { name: "keys", kind: "Secret" } }, "tools")]);
  assert.deepEqual(quiet.violations, []);
  const pending = await runStack(agentgatewayApiKeySources, [policy({ secretRef: { name: "keys", group: UNKNOWN, kind: "VaultCredential" } })]);
  assert.deepEqual(pending.violations, []);
  assert.match(pending.unknown.join(), /AgentgatewayPolicy agents\/api-keys/);
});

// Before, only the API keys' own secretRef was read: a backend's or policy's other credential refs
// naming a custom kind passed, though the controller resolves them with the same Secret-only resolver.
test("agentgateway-api-key-sources: every other credential ref of an agentgateway backend or policy naming a custom credential kind", async () => {
  const vault = { group: "secrets.example.com", kind: "VaultCredential" };
  const backend = stackResource({
    type: "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend",
    name: "llm",
    props: {
      metadata: { name: "llm", namespace: "agents" },
      spec: { ai: { provider: { openai: {} } }, policies: { auth: { secretRef: { name: "openai", ...vault } }, tls: { mtlsCertificateRef: [{ name: "client-cert" }, { name: "client-cert", ...vault }] } } },
    },
  });
  const mcpPolicy = stackResource({
    type: POLICY,
    name: "mcp-authn",
    props: { metadata: { name: "mcp-authn", namespace: "tools" }, spec: { targetRefs: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "mcp" }], backend: { mcp: { authentication: { issuer: "https://idp", clientSecretRef: { name: "idp", kind: "Secret" } } } } } },
  });
  const out = await runStack(agentgatewayApiKeySources, [backend, mcpPolicy]);
  assert.deepEqual(out.violations.map((v) => v.message.replace(/ names a VaultCredential of group secrets\.example\.com, which .*$/, "")), [
    "AgentgatewayBackend agents/llm: spec.policies.auth.secretRef",
    "AgentgatewayBackend agents/llm: spec.policies.tls.mtlsCertificateRef[1]",
  ]);
  assert.match(out.violations[0].message, /resolves core Secrets only .* "unsupported credential kind" on the object's status and uses no credential from it/);
  const halfSet = await runStack(agentgatewayApiKeySources, [stackResource({ type: POLICY, name: "basic", props: { metadata: { name: "basic", namespace: "agents" }, spec: { traffic: { basicAuthentication: { secretRef: { name: "htpasswd", group: "example.com" } } } } } })]);
  assert.match(halfSet.violations.map((v) => v.message).join(), /^AgentgatewayPolicy agents\/basic: spec\.traffic\.basicAuthentication\.secretRef sets group example\.com without a kind/);
  const pending = await runStack(agentgatewayApiKeySources, [stackResource({ type: POLICY, name: "basic", props: { metadata: { name: "basic", namespace: "agents" }, spec: { traffic: { basicAuthentication: { secretRef: UNKNOWN } } } } })]);
  assert.deepEqual(pending.violations, []);
  assert.match(pending.unknown.join(), /spec\.traffic\.basicAuthentication\.secretRef of AgentgatewayPolicy agents\/basic/);
});

// Before, the items of mtlsCertificateRef were read all at once (Array.forEach reads each item
// through the SDK's proxy): one item not known yet threw out of the whole policy, so the verdict
// on the item beside it was lost and the policy as a whole could not run.
test("agentgateway-api-key-sources: an mtlsCertificateRef item not known yet is can't judge, and the item beside it is still judged", async () => {
  const backend = stackResource({
    type: "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend",
    name: "llm",
    props: { metadata: { name: "llm", namespace: "agents" }, spec: { policies: { tls: { mtlsCertificateRef: [{ name: "client-cert", group: "secrets.example.com", kind: "VaultCredential" }, UNKNOWN] } } } },
  });
  const out = await runStack(agentgatewayApiKeySources, [backend]);
  assert.deepEqual(out.violations.map((v) => v.message.replace(/ names a VaultCredential of group secrets\.example\.com, which .*$/, "")), ["AgentgatewayBackend agents/llm: spec.policies.tls.mtlsCertificateRef[0]"]);
  assert.match(out.unknown.join(), /spec\.policies\.tls\.mtlsCertificateRef\[1\] of AgentgatewayBackend agents\/llm/);
});

// Before, only the winning source was read: a second source beside it, or a secretRef the CRD
// refuses under a winning selector, passed, though the v1.4.1 CRD admits exactly one source
// (APIKeyAuthentication ExactlyOneOf=secretRef;secretSelector;configMapSelector) and checks
// secretRef's own fields whatever else is set.
test("agentgateway-api-key-sources: a half-set secretRef, or a second key source, is refused by the API server whichever source the controller would read", async () => {
  const selector = { matchLabels: { "api-keys": "agents" } };
  const hashed = object(CM, "hashed", { "api-keys": "agents" }, { data: { client1: JSON.stringify({ keyHash: HASH }) } });
  const messages = async (auth: unknown) => (await runStack(agentgatewayApiKeySources, [policy(auth), hashed])).violations.map((v) => v.message);
  const halfSet = await messages({ configMapSelector: selector, secretRef: { name: "keys", group: "example.com" } });
  assert.deepEqual(halfSet.map((m) => m.replace(/: the API server rejects the policy.*$/, "")), [
    'AgentgatewayPolicy agents/api-keys: spec.traffic.apiKeyAuthentication sets secretRef and configMapSelector, and the CRD\'s validation admits exactly one key source ("exactly one of the fields in [secretRef secretSelector configMapSelector] must be set")',
    'AgentgatewayPolicy agents/api-keys: spec.traffic.apiKeyAuthentication.secretRef sets group example.com without a kind, which the CRD\'s validation refuses ("custom credential refs must set both group and kind")',
  ]);
  assert.match(halfSet[0], /: the API server rejects the policy, so no key is checked on the routes it targets; keep one source/);
  assert.deepEqual((await messages({ secretSelector: selector, secretRef: { kind: "VaultCredential" } })).map((m) => m.replace(/^AgentgatewayPolicy agents\/api-keys: spec\.traffic\.apiKeyAuthentication/, "").replace(/: the API server rejects the policy.*$/, "")), [
    ' sets secretRef and secretSelector, and the CRD\'s validation admits exactly one key source ("exactly one of the fields in [secretRef secretSelector configMapSelector] must be set")',
    ".secretRef has no name, which the CRD requires (1 to 253 characters)",
    '.secretRef sets kind VaultCredential without a group, which the CRD\'s validation refuses ("custom credential refs must set both group and kind")',
  ]);
  // Alone, a nameless or empty-named secretRef is refused too; so are no source at all and all three.
  assert.match((await messages({ secretRef: { name: "" } })).join(), /apiKeyAuthentication\.secretRef has name "", which the CRD requires \(1 to 253 characters\)/);
  assert.match((await messages({ secretRef: {} })).join(), /apiKeyAuthentication\.secretRef has no name/);
  assert.match((await messages({ mode: "Strict" })).join(), /apiKeyAuthentication sets none of secretRef, secretSelector and configMapSelector, and the CRD's validation admits exactly one/);
  assert.match((await messages({ secretRef: { name: "keys" }, secretSelector: selector, configMapSelector: selector })).join(), /sets secretRef, secretSelector and configMapSelector, and/);
  // A null source is pruned by the API server: one source is left, and it passes.
  assert.deepEqual(await messages({ configMapSelector: selector, secretRef: null }), []);
  const pending = await runStack(agentgatewayApiKeySources, [policy({ configMapSelector: selector, secretRef: UNKNOWN }), hashed]);
  assert.deepEqual(pending.violations, []);
  assert.match(pending.unknown.join(), /AgentgatewayPolicy agents\/api-keys/);
});
