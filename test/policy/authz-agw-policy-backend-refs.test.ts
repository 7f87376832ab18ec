/**
 * agent-call-graph on backendRefs inside the agent and MCP gateways' AgentgatewayPolicies (ext
 * authorization, ext processing, a global rate limit, a remote JWKS) naming a Service or
 * AgentgatewayBackend the cluster does not have: agentgateway v1.4.1 keeps the policy with no target
 * (plugins/traffic_plugin.go BuildBackendRef, BackendNotFound) or drops the JWT provider, so what
 * the policy does when it cannot reach its service happens to every request (policy/lib/agw-policy-backend-refs.ts).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { runStack, UNKNOWN } from "../support/policy";
import { on } from "./authz-support";

const GW = "gateway.networking.k8s.io";
const POLICY = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy";
const agentGateway = on(`kubernetes:${GW}/v1:Gateway`, "agents-gw-agent-gateway", {
  metadata: { name: "agent-gateway", namespace: "agents" },
  spec: { gatewayClassName: "agentgateway", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] },
});
const ns = (name: string) => on("kubernetes:core/v1:Namespace", `ns-${name}`, { metadata: { name } });
const svc = (namespace: string, name: string) => on("kubernetes:core/v1:Service", `${namespace}-svc-${name}`, { metadata: { name, namespace }, spec: { ports: [{ port: 9000 }] } });
const backend = (namespace: string, name: string) => on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend", `${namespace}-agbe-${name}`, { metadata: { name, namespace }, spec: { static: { host: "auth.example.com", port: 443 } } });
const policy = (traffic: Record<string, unknown>, namespace = "agents") =>
  on(POLICY, `${namespace}-policy-${JSON.stringify(traffic)}`, { metadata: { name: "gw-policy", namespace }, spec: { targetRefs: [{ group: GW, kind: "Gateway", name: "agent-gateway" }], traffic } });
/** An HTTPRoute of the agent gateway to AgentgatewayBackend `name` (a Gateway's route reaching it attaches a policy targeting it). */
const routeTo = (name: string, kind = "AgentgatewayBackend", group = "agentgateway.dev") =>
  on(`kubernetes:${GW}/v1:HTTPRoute`, `agents-route-to-${name}`, { metadata: { name: `to-${name}`, namespace: "agents" }, spec: { parentRefs: [{ name: "agent-gateway" }], rules: [{ backendRefs: [{ group, kind, name, port: 80 }] }] } });
const run = async (...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [agentGateway, ...extra], { requireAgentJwt: false })).violations.map((v) => v.message);

const authz = { name: "ext-authz", port: 9000 };
const extAuth = (more: Record<string, unknown> = {}) => ({ extAuth: { backendRef: authz, grpc: {}, ...more } });

test("agent-call-graph: an agent gateway policy's traffic.extAuth backendRef to a Service the stack does not render denies every request (FailClosed) or authorizes none (FailOpen)", async () => {
  const closed = await run(ns("agents"), policy(extAuth()));
  assert.equal(closed.length, 1, closed.join("\n"));
  assert.match(
    closed[0],
    /^AgentgatewayPolicy agents\/gw-policy on cluster a: its traffic\.extAuth\.backendRef names a Service agents\/ext-authz the cluster does not have \(the stack creates namespace agents there but renders no Service ext-authz in it \(nor a Helm release or Gateway that would\)\), so agentgateway v1\.4\.1 cannot reach it \(BackendNotFound\): the proxy denies every request the policy checks with a 403 \(failureMode FailClosed/,
  );
  const open = await run(ns("agents"), policy(extAuth({ failureMode: "FailOpen" })));
  assert.equal(open.length, 1, open.join("\n"));
  assert.match(open[0], /lets every request the policy checks through without authorizing it \(failureMode FailOpen/);
  // A conditional entry's backendRef, and an AgentgatewayBackend's, are read alike.
  const conditional = await run(ns("agents"), policy({ extAuth: { conditional: [{ condition: "true", policy: { backendRef: authz, grpc: {} } }] } }));
  assert.match(conditional.join("\n"), /its traffic\.extAuth\.conditional\[0\]\.policy\.backendRef names a Service agents\/ext-authz/);
  const toBackend = await run(ns("agents"), policy({ extAuth: { backendRef: { group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "ext-authz" }, grpc: {} } }));
  assert.match(toBackend.join("\n"), /names an AgentgatewayBackend agents\/ext-authz the cluster does not have/);
  // Rendered; a namespace the stack does not create; a Helm release there; another namespace's policy: no verdict.
  const release = on("kubernetes:helm.sh/v3:Release", "agents-chart", { chart: "some-chart", namespace: "agents", values: {} });
  for (const [what, extra] of [
    ["rendered", [ns("agents"), svc("agents", "ext-authz"), policy(extAuth())]],
    ["rendered in another namespace named by the ref", [ns("agents"), ns("auth"), svc("auth", "ext-authz"), policy(extAuth({ backendRef: { ...authz, namespace: "auth" } }))]],
    ["namespace not created by the stack", [policy(extAuth())]],
    ["a Helm release in the namespace", [ns("agents"), release, policy(extAuth())]],
    ["a policy of a namespace without the agent or MCP gateway", [ns("agents"), ns("other"), policy(extAuth(), "other")]],
  ] as const) {
    assert.deepEqual(await run(...extra), [], what);
  }
  // A kind agentgateway v1.4.1 does not take for a policy's backendRef (PolicyBackend: InvalidKind) leaves the policy without a target as a missing one does, wherever the namespace and whatever exists.
  const inferencePool = { group: "inference.networking.k8s.io", kind: "InferencePool", name: "ext-authz" };
  for (const [what, ref, extra] of [
    ["an InferencePool", inferencePool, []],
    ["an AgentgatewayBackend without its group", { kind: "AgentgatewayBackend", name: "ext-authz" }, [backend("agents", "ext-authz")]],
    ["a Service of another group, in a namespace the stack does not create", { group: "example.com", kind: "Service", name: "ext-authz", port: 9000 }, [svc("agents", "ext-authz")]],
  ] as const) {
    const refused = await run(...(what.includes("does not create") ? [] : [ns("agents")]), ...extra, policy(extAuth({ backendRef: ref })));
    assert.equal(refused.length, 1, `${what}: ${refused.join("\n")}`);
    assert.match(refused[0], /^AgentgatewayPolicy agents\/gw-policy on cluster a: its traffic\.extAuth\.backendRef names \w+ agents\/ext-authz \(group "[^"]*"\), of a group and kind agentgateway v1\.4\.1 does not take for a policy's backendRef .* so it refuses the reference \(InvalidKind\): the proxy denies every request the policy checks with a 403/, what);
  }
  const jwksOfKind = { jwtAuthentication: { providers: [{ issuer: "https://auth.example.com", audiences: ["agents"], jwks: { remote: { backendRef: { kind: "AgentgatewayBackend", name: "jwks" }, jwksPath: "keys" } } }] } };
  assert.match((await run(ns("agents"), backend("agents", "jwks"), policy(jwksOfKind))).join("\n"), /jwks\.remote\.backendRef names AgentgatewayBackend agents\/jwks \(group ""\).*\(InvalidKind\): the controller never fetches the keys/);
  // Not known yet in a preview: can't judge, not a verdict.
  const preview = await runStack(agentCallGraph, [agentGateway, ns("agents"), policy(extAuth({ backendRef: { ...authz, name: UNKNOWN } }))], { requireAgentJwt: false });
  assert.deepEqual(preview.violations, []);
  assert.match(preview.unknown.join("\n"), /AgentgatewayPolicy a-agents-policy-.* on cluster a, its backendRefs/);
});

test("agent-call-graph: an agent gateway policy's extProc or global rate limit backendRef to a missing Service fails every request only where it fails closed", async () => {
  const extProc = await run(ns("agents"), policy({ extProc: { backendRef: authz } }));
  assert.equal(extProc.length, 1, extProc.join("\n"));
  assert.match(extProc[0], /its traffic\.extProc\.backendRef names a Service agents\/ext-authz .*: the proxy fails every request the policy processes \(failureMode FailClosed/);
  const global = { backendRef: { name: "ratelimit", port: 8081 }, domain: "agents", descriptors: [{ entries: [{ name: "caller", expression: "source.address" }] }] };
  const limited = await run(ns("agents"), policy({ rateLimit: { global } }));
  assert.equal(limited.length, 1, limited.join("\n"));
  assert.match(limited[0], /its traffic\.rateLimit\.global\.backendRef names a Service agents\/ratelimit .*: the proxy rejects every request the limit checks/);
  const conditional = await run(ns("agents"), policy({ rateLimit: { conditional: [{ condition: "true", policy: { global } }] } }));
  assert.match(conditional.join("\n"), /its traffic\.rateLimit\.conditional\[0\]\.policy\.global\.backendRef names a Service agents\/ratelimit/);
  // FailOpen: the proxy skips the processor or the limit, and the traffic flows.
  assert.deepEqual(await run(ns("agents"), policy({ extProc: { backendRef: authz, failureMode: "FailOpen" } })), []);
  assert.deepEqual(await run(ns("agents"), policy({ rateLimit: { global: { ...global, failureMode: "FailOpen" } } })), []);
});

test("agent-call-graph: an agent gateway JWT provider's remote JWKS backendRef to an AgentgatewayBackend the stack does not render rejects every token of its issuer", async () => {
  const jwks = { remote: { backendRef: { group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "agent-gateway-jwks" }, jwksPath: ".well-known/jwks.json" } };
  const jwt = (mode?: string) => ({ jwtAuthentication: { ...(mode ? { mode } : {}), providers: [{ issuer: "https://auth.example.com", audiences: ["agents"], jwks }] } });
  const strict = await run(ns("agents"), policy(jwt()));
  assert.equal(strict.length, 1, strict.join("\n"));
  assert.match(
    strict[0],
    /its traffic\.jwtAuthentication\.providers\[0\]\.jwks\.remote\.backendRef names an AgentgatewayBackend agents\/agent-gateway-jwks the cluster does not have .*: the controller never fetches the keys .* so the proxy rejects every token of issuer "https:\/\/auth\.example\.com" with a 401 .*mode Strict\)/,
  );
  assert.match((await run(ns("agents"), policy(jwt("Optional")))).join("\n"), /mode Optional\)/);
  // Permissive lets an unverified token through; rendered: no verdict.
  assert.deepEqual(await run(ns("agents"), policy(jwt("Permissive"))), []);
  assert.deepEqual(await run(ns("agents"), backend("agents", "agent-gateway-jwks"), policy(jwt())), []);
});

test("agent-call-graph: a backend policy's extAuth or tunnel backendRef to a missing Service fails or opens every request to its backends; on an AgentgatewayBackend's own policies it drops the backend", async () => {
  const onBackend = (spec: Record<string, unknown>) =>
    on(POLICY, `agents-backend-policy-${JSON.stringify(spec)}`, { metadata: { name: "backend-policy", namespace: "agents" }, spec: { targetRefs: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "llm" }], backend: spec } });
  const llm = [backend("agents", "llm"), routeTo("llm")] as const;
  const extAuthOpen = await run(ns("agents"), ...llm, onBackend({ extAuth: { backendRef: authz, grpc: {}, failureMode: "FailOpen" } }));
  assert.equal(extAuthOpen.length, 1, extAuthOpen.join("\n"));
  assert.match(extAuthOpen[0], /^AgentgatewayPolicy agents\/backend-policy on cluster a: its backend\.extAuth\.backendRef names a Service agents\/ext-authz .*lets every request the policy checks through without authorizing it/);
  const tunnel = await run(ns("agents"), ...llm, onBackend({ tunnel: { backendRef: { name: "egress-proxy", port: 3128 } } }));
  assert.equal(tunnel.length, 1, tunnel.join("\n"));
  assert.match(tunnel[0], /its backend\.tunnel\.backendRef names a Service agents\/egress-proxy .*: the proxy fails every request to the backends the policy targets/);
  assert.deepEqual(await run(ns("agents"), ...llm, svc("agents", "egress-proxy"), onBackend({ tunnel: { backendRef: { name: "egress-proxy", port: 3128 } } })), []);
  // MCP authentication whose JWKS backend is missing: the proxy rejects the policy, so the backend authenticates nobody (Strict, Optional); Permissive rejects nothing anyway.
  const mcpAuth = (mode?: string) => ({ mcp: { authentication: { issuer: "https://auth.example.com", audiences: ["tools"], ...(mode ? { mode } : {}), jwks: { backendRef: { group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "mcp-jwks" }, jwksPath: "keys" } } } });
  const unauthenticated = await run(ns("agents"), ...llm, onBackend(mcpAuth()));
  assert.equal(unauthenticated.length, 1, unauthenticated.join("\n"));
  assert.match(unauthenticated[0], /its backend\.mcp\.authentication\.jwks\.backendRef names an AgentgatewayBackend agents\/mcp-jwks .*: the controller never fetches the keys .* so the proxy rejects the MCP authentication policy .* and the backends it targets take MCP requests without a valid token \(mode Strict\)/);
  assert.match((await run(ns("agents"), ...llm, onBackend(mcpAuth("Optional")))).join("\n"), /mode Optional\)/);
  assert.deepEqual(await run(ns("agents"), ...llm, onBackend(mcpAuth("Permissive"))), []);
  assert.deepEqual(await run(ns("agents"), ...llm, backend("agents", "mcp-jwks"), onBackend(mcpAuth())), []);
  // An AgentgatewayBackend's own policies: the controller refuses the whole backend, whatever the failureMode.
  const own = (policies: Record<string, unknown>) =>
    on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend", `agents-agbe-own-${JSON.stringify(policies)}`, { metadata: { name: "llm", namespace: "agents" }, spec: { static: { host: "llm.example.com", port: 443 }, policies } });
  for (const policies of [{ extAuth: { backendRef: authz, grpc: {}, failureMode: "FailOpen" } }, { tunnel: { backendRef: { name: "egress-proxy", port: 3128 } } }]) {
    const dropped = await run(ns("agents"), own(policies), routeTo("llm"));
    assert.equal(dropped.length, 1, dropped.join("\n"));
    assert.match(dropped[0], /^AgentgatewayBackend agents\/llm on cluster a: its spec\.policies\.(extAuth|tunnel)\.backendRef names a Service .* the controller refuses the whole AgentgatewayBackend .* every request routed to it fails/);
    // No Gateway's route reaches it: nothing is routed there to fail.
    assert.deepEqual(await run(ns("agents"), own(policies)), []);
  }
  assert.deepEqual(await run(ns("agents"), svc("agents", "ext-authz"), own({ extAuth: { backendRef: authz, grpc: {} } })), []);
  // Its own MCP authentication's JWKS: the inline policy fails to translate (no keys), so the controller refuses the backend, in every mode (Permissive too).
  const ownMcp = (mode?: string) =>
    on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend", `agents-agbe-mcp-${mode}`, {
      metadata: { name: "tools", namespace: "agents" },
      spec: { mcp: { targets: [{ name: "t", static: { host: "t.example.com", port: 80 } }] }, policies: { mcp: { authentication: { issuer: "https://auth.example.com", ...(mode ? { mode } : {}), jwks: { backendRef: { group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "mcp-jwks" }, jwksPath: "keys" } } } } },
    });
  for (const mode of [undefined, "Optional", "Permissive"]) {
    const refused = await run(ns("agents"), ownMcp(mode), routeTo("tools"));
    assert.equal(refused.length, 1, `${mode}: ${refused.join("\n")}`);
    assert.match(refused[0], /^AgentgatewayBackend agents\/tools on cluster a: its spec\.policies\.mcp\.authentication\.jwks\.backendRef names an AgentgatewayBackend agents\/mcp-jwks .*: the controller never fetches the keys .* so it refuses the whole AgentgatewayBackend .* every request routed to it fails/);
  }
  assert.deepEqual(await run(ns("agents"), backend("agents", "mcp-jwks"), ownMcp()), []);
});

test("agent-call-graph: a policy calling a missing Service is reported only where it attaches to something: a Gateway, listener, ListenerSet, route or rule served by an agentgateway Gateway, or a backend such a Gateway reaches", async () => {
  // The CRD takes a traffic section on Gateways and routes only: on an AgentgatewayBackend, the same ext authorization as a backend policy.
  const targeted = (target: { targetRefs?: readonly { kind: string }[]; targetSelectors?: readonly unknown[] }) => {
    const section = [target.targetRefs?.[0]?.kind, (target.targetSelectors?.[0] as { kind?: string })?.kind].includes("AgentgatewayBackend") ? "backend" : "traffic";
    return on(POLICY, `agents-targeted-${JSON.stringify(target)}`, { metadata: { name: "targeted", namespace: "agents" }, spec: { ...target, [section]: extAuth() } });
  };
  const ref = (kind: string, name: string, more: Record<string, unknown> = {}) => ({ targetRefs: [{ group: kind === "AgentgatewayBackend" ? "agentgateway.dev" : GW, kind, name, ...more }] });
  const route = (name: string, parent?: string) =>
    on(`kubernetes:${GW}/v1:HTTPRoute`, `agents-route-${name}`, { metadata: { name, namespace: "agents" }, spec: { ...(parent ? { parentRefs: [{ name: parent }] } : {}), rules: [{ name: "main" }] } });
  const labelled = on(`kubernetes:${GW}/v1:Gateway`, "agents-gw-labelled", {
    metadata: { name: "labelled", namespace: "agents", labels: { tier: "edge" } },
    spec: { gatewayClassName: "agentgateway", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] },
  });
  const reported = /^AgentgatewayPolicy agents\/targeted on cluster a: its (traffic|backend)\.extAuth\.backendRef names a Service agents\/ext-authz/;
  // A policy on the agent Gateway (or `gateway`) whose ext authorization calls AgentgatewayBackend `name`.
  const chained = (name: string, gateway = "agent-gateway") =>
    on(POLICY, `agents-chained-${name}-${gateway}`, {
      metadata: { name: "chained", namespace: "agents" },
      spec: { targetRefs: [{ group: GW, kind: "Gateway", name: gateway }], traffic: { extAuth: { backendRef: { group: "agentgateway.dev", kind: "AgentgatewayBackend", name }, grpc: {}, failureMode: "FailOpen" } } },
    });
  const labelledBackend = on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend", "agents-agbe-labelled", { metadata: { name: "llm", namespace: "agents", labels: { tier: "llm" } }, spec: { static: { host: "llm.example.com", port: 443 } } });
  const pool = on("kubernetes:inference.networking.k8s.io/v1:InferencePool", "agents-pool", { metadata: { name: "pool", namespace: "agents" }, spec: { selector: { matchLabels: { app: "m" } }, targetPorts: [{ number: 8000 }], endpointPickerRef: { name: "epp", port: { number: 9002 } } } });
  const poolPolicy = on(POLICY, "agents-pool-policy", { metadata: { name: "targeted", namespace: "agents" }, spec: { targetRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: "pool" }], traffic: extAuth() } });
  for (const [what, extra] of [
    ["the agent Gateway", [targeted(ref("Gateway", "agent-gateway"))]],
    ["its listener", [targeted(ref("Gateway", "agent-gateway", { sectionName: "http" }))]],
    ["a route it serves", [route("a2a", "agent-gateway"), targeted(ref("HTTPRoute", "a2a"))]],
    ["a rule of a route it serves", [route("a2a", "agent-gateway"), targeted(ref("HTTPRoute", "a2a", { sectionName: "main" }))]],
    ["a Gateway selected by its labels", [labelled, targeted({ targetSelectors: [{ group: GW, kind: "Gateway", matchLabels: { tier: "edge" } }] })]],
    ["an AgentgatewayBackend an HTTPRoute of the Gateway sends to", [backend("agents", "llm"), routeTo("llm"), targeted(ref("AgentgatewayBackend", "llm"))]],
    ["an AgentgatewayBackend a policy on the Gateway calls (PolicyAttachments)", [backend("agents", "llm"), chained("llm"), targeted(ref("AgentgatewayBackend", "llm"))]],
    ["an AgentgatewayBackend selected by its labels that a route sends to", [labelledBackend, routeTo("llm"), targeted({ targetSelectors: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", matchLabels: { tier: "llm" } }] })]],
  ] as const) {
    const found = await run(ns("agents"), ...extra);
    assert.equal(found.length, 1, `${what}: ${found.join("\n")}`);
    assert.match(found[0], reported, what);
  }
  // agentgateway v1.4.1 sends such a policy to no proxy (plugins/traffic_plugin.go TranslateAgentgatewayPolicy, resolvePolicyAncestorRefs: Attached False), so it does nothing.
  for (const [what, extra] of [
    ["a Gateway the stack does not render", [targeted(ref("Gateway", "other-gateway"))]],
    ["a listener the Gateway does not have", [targeted(ref("Gateway", "agent-gateway", { sectionName: "https" }))]],
    ["an HTTPRoute the stack does not render", [targeted(ref("HTTPRoute", "a2a"))]],
    ["an HTTPRoute no Gateway serves", [route("a2a"), targeted(ref("HTTPRoute", "a2a"))]],
    ["a rule the route does not have", [route("a2a", "agent-gateway"), targeted(ref("HTTPRoute", "a2a", { sectionName: "other" }))]],
    ["a selector matching no Gateway", [labelled, targeted({ targetSelectors: [{ group: GW, kind: "Gateway", matchLabels: { tier: "core" } }] })]],
    ["an AgentgatewayBackend the stack does not render in a namespace it creates", [targeted(ref("AgentgatewayBackend", "llm"))]],
    ["an AgentgatewayBackend no Gateway's route or attached policy reaches", [backend("agents", "llm"), targeted(ref("AgentgatewayBackend", "llm"))]],
    ["an AgentgatewayBackend only a policy reaching nothing calls", [backend("agents", "llm"), chained("llm", "other-gateway"), targeted(ref("AgentgatewayBackend", "llm"))]],
    ["an AgentgatewayBackend selected by labels no route's backend has", [labelledBackend, targeted({ targetSelectors: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", matchLabels: { tier: "llm" } }] })]],
    // The proxy applies a traffic section on a backend (an InferencePool, as its Service) only where it runs as that Service's waypoint, never to the Gateway's callers.
    ["a traffic section on an InferencePool a route of the Gateway sends to", [pool, routeTo("pool", "InferencePool", "inference.networking.k8s.io"), poolPolicy]],
  ] as const) {
    assert.deepEqual(await run(ns("agents"), ...extra), [], what);
  }
  // Not rendered, in a namespace the stack does not hold whole (a Helm release there may render it): one made outside the stack may exist, so can't judge.
  const release = on("kubernetes:helm.sh/v3:Release", "agents-chart", { chart: "some-chart", namespace: "agents", values: {} });
  const calling = (target: Parameters<typeof targeted>[0]) =>
    on(POLICY, `agents-outside-${JSON.stringify(target)}`, { metadata: { name: "outside", namespace: "agents" }, spec: { ...target, traffic: extAuth({ backendRef: { ...authz, namespace: "auth" } }) } });
  for (const [what, target] of [
    ["a Gateway", ref("Gateway", "other-gateway")],
    ["an HTTPRoute", ref("HTTPRoute", "a2a")],
    ["a Gateway by its labels", { targetSelectors: [{ group: GW, kind: "Gateway", matchLabels: { tier: "edge" } }] }],
  ] as const) {
    const outside = await runStack(agentCallGraph, [agentGateway, ns("agents"), ns("auth"), release, calling(target)], { requireAgentJwt: false });
    assert.deepEqual(outside.violations, [], what);
    assert.match(outside.unknown.join("\n"), /AgentgatewayPolicy agents\/outside on cluster a, what it targets .*an object made outside the stack/, what);
    // The namespace held whole (no Helm release there): absent, so nothing attached.
    assert.deepEqual((await runStack(agentCallGraph, [agentGateway, ns("agents"), ns("auth"), calling(target)], { requireAgentJwt: false })).unknown, [], what);
  }
  // A selected Gateway whose labels are not known yet: can't judge, not a verdict.
  const unknownLabels = on(`kubernetes:${GW}/v1:Gateway`, "agents-gw-unknown", { metadata: { name: "labelled", namespace: "agents", labels: UNKNOWN }, spec: { gatewayClassName: "agentgateway", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] } });
  const preview = await runStack(agentCallGraph, [agentGateway, ns("agents"), unknownLabels, targeted({ targetSelectors: [{ group: GW, kind: "Gateway", matchLabels: { tier: "edge" } }] })], { requireAgentJwt: false });
  assert.deepEqual(preview.violations, []);
  assert.match(preview.unknown.join("\n"), /AgentgatewayPolicy agents\/targeted on cluster a, what it targets/);
});

test("agent-call-graph: under AGW_BACKEND_REF_GRANT_MODE route-and-policy a policy's backendRef into another namespace needs a ReferenceGrant there, else it is refused as a missing one is", async () => {
  const mode = (value: unknown) => on("kubernetes:helm.sh/v3:Release", `agw-${JSON.stringify(value)}`, { chart: "agentgateway", namespace: "agentgateway-system", values: value === undefined ? {} : { controller: { extraEnv: { AGW_BACKEND_REF_GRANT_MODE: value } } } });
  const grant = (kind: string) =>
    on(`kubernetes:${GW}/v1beta1:ReferenceGrant`, `auth-grant-${kind}`, { metadata: { name: "policies", namespace: "auth" }, spec: { from: [{ group: kind === "HTTPRoute" ? GW : "agentgateway.dev", kind, namespace: "agents" }], to: [{ group: "", kind: "Service" }] } });
  const crossing = policy(extAuth({ backendRef: { ...authz, namespace: "auth" } }));
  const base = [ns("agents"), ns("auth"), svc("auth", "ext-authz"), svc("auth", "egress-proxy")];
  for (const value of ["route-and-policy", "Route-And-Policy", { value: "route-and-policy" }]) {
    const refused = await run(...base, mode(value), crossing);
    assert.equal(refused.length, 1, `${JSON.stringify(value)}: ${refused.join("\n")}`);
    assert.match(refused[0], /^AgentgatewayPolicy agents\/gw-policy on cluster a: its traffic\.extAuth\.backendRef names Service auth\/ext-authz in another namespace, and the cluster's agentgateway controller runs with AGW_BACKEND_REF_GRANT_MODE route-and-policy .*no ReferenceGrant in auth opens it to AgentgatewayPolicys of agents, so agentgateway v1\.4\.1 refuses the reference: the proxy denies every request the policy checks with a 403/);
  }
  // A grant from HTTPRoutes opens nothing to a policy.
  assert.equal((await run(...base, mode("route-and-policy"), grant("HTTPRoute"), crossing)).length, 1);
  // A grant to the policy's kind; the chart's default (route), route, none, a valueFrom this review cannot read: no verdict.
  for (const [what, extra] of [
    ["a grant to AgentgatewayPolicies of agents", [mode("route-and-policy"), grant("AgentgatewayPolicy")]],
    ["no extraEnv", [mode(undefined)]],
    ["route", [mode("route")]],
    ["none", [mode("none")]],
    ["a valueFrom", [mode({ valueFrom: { configMapKeyRef: { name: "env", key: "mode" } } })]],
  ] as const) {
    assert.deepEqual(await run(...base, ...extra, crossing), [], what);
  }
  // An AgentgatewayBackend's own policies: the grant's source is the AgentgatewayBackend (jwks/resolver.go ownerSourceGVK, the backend's PolicyCtx).
  const own = on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend", "agents-agbe-tunnelled", { metadata: { name: "llm", namespace: "agents" }, spec: { static: { host: "llm.example.com", port: 443 }, policies: { tunnel: { backendRef: { name: "egress-proxy", namespace: "auth", port: 3128 } } } } });
  const dropped = await run(...base, mode("route-and-policy"), grant("AgentgatewayPolicy"), own, routeTo("llm"));
  assert.equal(dropped.length, 1, dropped.join("\n"));
  assert.match(dropped[0], /^AgentgatewayBackend agents\/llm on cluster a: its spec\.policies\.tunnel\.backendRef names Service auth\/egress-proxy in another namespace.* to AgentgatewayBackends of agents.*: the controller refuses the whole AgentgatewayBackend/);
  assert.deepEqual(await run(...base, mode("route-and-policy"), grant("AgentgatewayBackend"), own, routeTo("llm")), []);
  // A refused backendRef attaches nothing either (referencedBackendsFromPolicy): a policy on the MCP gateway's backend that only it reached no longer counts.
  const mcpGateway = on(`kubernetes:${GW}/v1:Gateway`, "tools-gw", { metadata: { name: "mcp-gateway", namespace: "tools" }, spec: { gatewayClassName: "agentgateway", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] } });
  const chained = on(POLICY, "agents-chained", { metadata: { name: "chained", namespace: "agents" }, spec: { targetRefs: [{ group: GW, kind: "Gateway", name: "agent-gateway" }], frontend: { tracing: { backendRef: { group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "otel", namespace: "tools" } } } } });
  const onOtel = on(POLICY, "tools-on-otel", { metadata: { name: "on-otel", namespace: "tools" }, spec: { targetRefs: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "otel" }], backend: { tunnel: { backendRef: { name: "egress-proxy", port: 3128 } } } } });
  const chain = [ns("agents"), ns("tools"), mcpGateway, backend("tools", "otel"), chained, onOtel];
  assert.match((await run(...chain, mode("route"))).join("\n"), /^AgentgatewayPolicy tools\/on-otel on cluster a: its backend\.tunnel\.backendRef names a Service tools\/egress-proxy/);
  assert.deepEqual(await run(...chain, mode("route-and-policy")), []);
});

test("agent-call-graph: a backend policy's MCP guardrails processor calling a missing Service rejects (FailClosed) or passes unchecked (FailOpen) every MCP call it runs on; on an AgentgatewayBackend's own policies it drops the backend", async () => {
  const processor = (failureMode?: string, methods: Record<string, string> = { "tools/call": "Request" }) => ({ remote: { backendRef: { name: "guardrails", port: 9000 }, ...(failureMode ? { failureMode } : {}) }, methods });
  const onBackend = (p: unknown) =>
    on(POLICY, `agents-guardrails-${JSON.stringify(p)}`, { metadata: { name: "guarded", namespace: "agents" }, spec: { targetRefs: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "llm" }], backend: { mcp: { guardrails: { processors: [p] } } } } });
  const llm = [ns("agents"), backend("agents", "llm"), routeTo("llm")] as const;
  const closed = await run(...llm, onBackend(processor()));
  assert.equal(closed.length, 1, closed.join("\n"));
  assert.match(closed[0], /^AgentgatewayPolicy agents\/guarded on cluster a: its backend\.mcp\.guardrails\.processors\[0\]\.remote\.backendRef names a Service agents\/guardrails the cluster does not have .*: the proxy rejects every MCP call the processor runs on for the backends the policy targets with an internal error \(failureMode FailClosed/);
  assert.match((await run(...llm, onBackend(processor("FailOpen")))).join("\n"), /passes every MCP call the processor runs on unchecked .*so the guardrails guard nothing/);
  // Rendered, or a processor running on no method: no verdict.
  assert.deepEqual(await run(...llm, svc("agents", "guardrails"), onBackend(processor())), []);
  assert.deepEqual(await run(...llm, onBackend(processor(undefined, { "tools/call": "Off" }))), []);
  // The backend's own guardrails: a translation error, so the whole backend is refused, whatever the failureMode or methods.
  const own = on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend", "agents-agbe-guarded", {
    metadata: { name: "tools", namespace: "agents" },
    spec: { mcp: { targets: [{ name: "t", static: { host: "t.example.com", port: 80 } }] }, policies: { mcp: { guardrails: { processors: [processor("FailOpen", { "tools/call": "Off" })] } } } },
  });
  const refused = await run(ns("agents"), own, routeTo("tools"));
  assert.equal(refused.length, 1, refused.join("\n"));
  assert.match(refused[0], /^AgentgatewayBackend agents\/tools on cluster a: its spec\.policies\.mcp\.guardrails\.processors\[0\]\.remote\.backendRef names a Service agents\/guardrails .*the controller refuses the whole AgentgatewayBackend/);
});
