/**
 * agent-call-graph: an AgentgatewayBackend's LLM provider whose host or port names nothing the
 * cluster serves (policy/lib/agw-llm-backends.ts). agentgateway v1.4.1 dials a provider's host
 * override as written (backend_plugin.go translateLLMProvider; client/mod.rs resolve_target), and
 * Istio 1.30.3 names a Gateway's Service `<name>-<class>` (or its name-override annotation) with the
 * status port and its listeners' ports (deploymentcontroller.go extractServicePorts).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { runStack, UNKNOWN } from "../support/policy";
import { on } from "./authz-support";
import { labelledNs } from "../support/call-graph";
import { backedFleet, granted, mcpSvc } from "../support/tool-grants";

const inferenceGateway = (annotations: Record<string, string> = {}, listeners = [{ name: "https", port: 443, protocol: "HTTPS" }, { name: "http-mesh", port: 80, protocol: "HTTP" }]) =>
  on("kubernetes:gateway.networking.k8s.io/v1:Gateway", "inference-gw", { metadata: { name: "inference-gateway", namespace: "inference", annotations }, spec: { gatewayClassName: "istio", listeners } });
const llmBackend = (provider: Record<string, unknown>) =>
  on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend", "agents-agbe-llm", { metadata: { name: "inference-gateway", namespace: "agents" }, spec: { ai: { provider: { openai: {}, ...provider } } } });
const host = "inference-gateway-istio.inference.svc.cluster.local";
const base = [...backedFleet, granted, mcpSvc("calculator"), mcpSvc("ticket-lookup"), labelledNs("inference", {})];
const run = async (...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...base, ...extra])).violations.map((v) => v.message).filter((m) => /LLM spec\.ai/.test(m));

test("agent-call-graph: an LLM backend's host override naming the inference Gateway's Service on a listener's port passes", async () => {
  assert.deepEqual(await run(inferenceGateway(), llmBackend({ host, port: 80 })), []);
  // The short forms resolve to the same Service (these listeners name no hostname, so they take the short Host too: see the listener test below); the status port is the Service's too.
  assert.deepEqual(await run(inferenceGateway(), llmBackend({ host: "inference-gateway-istio.inference", port: 80 })), []);
  assert.deepEqual(await run(inferenceGateway(), llmBackend({ host, port: 15021 })), []);
  // Renamed by the name-override annotation: the new name is the Service's.
  assert.deepEqual(await run(inferenceGateway({ "gateway.istio.io/name-override": "llm-door" }), llmBackend({ host: "llm-door.inference.svc.cluster.local", port: 80 })), []);
});

test("agent-call-graph: an LLM backend's host override with a misspelt Service name is reported where the stack holds the namespace whole", async () => {
  const typo = "inference-gateway-isito.inference.svc.cluster.local";
  const found = await run(inferenceGateway(), llmBackend({ host: typo, port: 80 }));
  assert.equal(found.length, 1, found.join("\n"));
  assert.match(found[0], /^AgentgatewayBackend agents\/inference-gateway on cluster a: its LLM spec\.ai\.provider host inference-gateway-isito\.inference\.svc\.cluster\.local \(Service inference\/inference-gateway-isito\) names a Service the cluster does not have: .*its Gateways' Services: inference-gateway-istio\)/);
  // The default name, once the name-override annotation renames the Service, is a typo too.
  assert.equal((await run(inferenceGateway({ "gateway.istio.io/name-override": "llm-door" }), llmBackend({ host, port: 80 }))).length, 1);
  // In priority groups, each provider is read.
  const grouped = on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend", "agents-agbe-llm", { metadata: { name: "inference-gateway", namespace: "agents" }, spec: { ai: { groups: [{ providers: [{ name: "a", openai: {}, host, port: 80 }, { name: "b", openai: {}, host: typo, port: 80 }] }] } } });
  assert.match((await run(inferenceGateway(), grouped)).join("\n"), /spec\.ai\.groups\[0\]\.providers\[1\] \(b\) host inference-gateway-isito/);
  // Not judged: a Helm release in the namespace, a namespace the stack does not create, a Gateway of a controller not known here, a host outside the stack, an IP.
  const release = on("kubernetes:helm.sh/v3:Release", "inference-chart", { chart: "some-chart", namespace: "inference", values: {} });
  assert.deepEqual(await run(inferenceGateway(), release, llmBackend({ host: typo, port: 80 })), []);
  const noNs = (await runStack(agentCallGraph, [...base.filter((r) => !r.name.endsWith("ns-inference")), inferenceGateway(), llmBackend({ host: typo, port: 80 })])).violations.map((v) => v.message);
  assert.ok(!noNs.some((m) => /LLM spec\.ai/.test(m)), noNs.join("\n"));
  const other = on("kubernetes:gateway.networking.k8s.io/v1:Gateway", "other-gw", { metadata: { name: "other", namespace: "inference" }, spec: { gatewayClassName: "someone-else", listeners: [] } });
  assert.deepEqual(await run(inferenceGateway(), other, llmBackend({ host: typo, port: 80 })), []);
  assert.deepEqual(await run(inferenceGateway(), llmBackend({ host: "api.openai.com", port: 443 })), []);
  assert.deepEqual(await run(inferenceGateway(), llmBackend({ host: "10.0.0.7", port: 80 })), []);
  // An ExternalName Service of that name resolves it.
  const external = on("kubernetes:core/v1:Service", "inference-svc-ext", { metadata: { name: "inference-gateway-isito", namespace: "inference" }, spec: { type: "ExternalName", externalName: "llm.example.com" } });
  assert.deepEqual(await run(inferenceGateway(), external, llmBackend({ host: typo, port: 80 })), []);
});

test("agent-call-graph: an LLM backend's port that the Service it names does not have is reported", async () => {
  const found = await run(inferenceGateway(), llmBackend({ host, port: 8080 }));
  assert.equal(found.length, 1, found.join("\n"));
  assert.match(found[0], /host inference-gateway-istio\.inference\.svc\.cluster\.local \(Service inference\/inference-gateway-istio\) on port 8080, which the Service of Gateway inference\/inference-gateway does not have \(it has 15021, 443, 80\)/);
  // A ListenerSet attached to the Gateway adds its listeners' ports.
  const gwWithSets = on("kubernetes:gateway.networking.k8s.io/v1:Gateway", "inference-gw", { metadata: { name: "inference-gateway", namespace: "inference" }, spec: { gatewayClassName: "istio", allowedListeners: { namespaces: { from: "Same" } }, listeners: [{ name: "http-mesh", port: 80, protocol: "HTTP" }] } });
  const set = on("kubernetes:gateway.networking.k8s.io/v1:ListenerSet", "inference-ls", { metadata: { name: "more", namespace: "inference" }, spec: { parentRef: { name: "inference-gateway" }, listeners: [{ name: "alt", port: 8080, protocol: "HTTP" }] } });
  assert.deepEqual(await run(gwWithSets, set, llmBackend({ host, port: 8080 })), []);
  // A Service overlay touching ports: not judged.
  const patched = on("kubernetes:gateway.networking.k8s.io/v1:Gateway", "inference-gw", { metadata: { name: "inference-gateway", namespace: "inference" }, spec: { gatewayClassName: "istio", infrastructure: { parametersRef: { group: "", kind: "ConfigMap", name: "opts" } }, listeners: [{ name: "http-mesh", port: 80, protocol: "HTTP" }] } });
  const opts = on("kubernetes:core/v1:ConfigMap", "inference-opts", { metadata: { name: "opts", namespace: "inference" }, data: { service: "spec:\n  ports:\n    - port: 8080\n" } });
  assert.deepEqual(await run(patched, opts, llmBackend({ host, port: 8080 })), []);
  // A Service the stack renders: its own ports.
  const svc = on("kubernetes:core/v1:Service", "inference-svc-llm", { metadata: { name: "llm", namespace: "inference" }, spec: { ports: [{ name: "http", port: 8000 }] } });
  assert.match((await run(inferenceGateway(), svc, llmBackend({ host: "llm.inference", port: 80 }))).join("\n"), /on port 80, which the Service the stack renders does not have \(it has 8000\)/);
  assert.deepEqual(await run(inferenceGateway(), svc, llmBackend({ host: "llm.inference", port: 8000 })), []);
});

test("agent-call-graph: an LLM backend's host not known yet in a preview is can't judge", async () => {
  const preview = await runStack(agentCallGraph, [...base, inferenceGateway(), on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend", "agents-agbe-llm", { metadata: { name: "inference-gateway", namespace: "agents" }, spec: { ai: { provider: { openai: {}, host: UNKNOWN, port: 80 } } } })]);
  assert.ok(!preview.violations.some((v) => /LLM spec\.ai/.test(v.message)));
  assert.match(preview.unknown.join("\n"), /which decide whether that host and port reach a Service/);
});

// The inference Gateway's listeners as the stack writes them: each names its host in full.
const named = [
  { name: "https", hostname: "inference.example.com", port: 443, protocol: "HTTPS", tls: { mode: "Terminate" } },
  { name: "http-mesh", hostname: host, port: 80, protocol: "HTTP" },
];
const agwPolicy = (name: string, spec: Record<string, unknown>) => on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy", `agents-agpol-${name}`, { metadata: { name, namespace: "agents" }, spec });
const toBackend = [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "inference-gateway" }];

test("agent-call-graph: an LLM backend's host override whose Host no listener of the Gateway's port names is reported, unless a rewrite may change it", async () => {
  const short = "inference-gateway-istio.inference";
  const found = await run(inferenceGateway({}, named), llmBackend({ host: short, port: 80 }));
  assert.equal(found.length, 1, found.join("\n"));
  assert.match(found[0], /host inference-gateway-istio\.inference \(Service inference\/inference-gateway-istio\) on port 80 is sent as the request's Host, which no listener of Gateway inference\/inference-gateway on that port takes \(http-mesh: inference-gateway-istio\.inference\.svc\.cluster\.local\)/);
  // Written in full, or a listener taking it by wildcard or naming no hostname: taken.
  assert.deepEqual(await run(inferenceGateway({}, named), llmBackend({ host, port: 80 })), []);
  assert.deepEqual(await run(inferenceGateway({}, [named[0], { ...named[1], hostname: "*.inference" }]), llmBackend({ host: short, port: 80 })), []);
  assert.deepEqual(await run(inferenceGateway({}, [...named, { name: "http", port: 80, protocol: "HTTP" }]), llmBackend({ host: short, port: 80 })), []);
  // Can't judge where a rewrite may set another Host: an AgentgatewayPolicy's hostRewrite (anywhere), a route's URLRewrite hostname to this backend.
  assert.deepEqual(await run(inferenceGateway({}, named), agwPolicy("host", { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "agent-gateway" }], traffic: { hostRewrite: { mode: "None" } } }), llmBackend({ host: short, port: 80 })), []);
  const rewriting = on("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "agents-route-llm", { metadata: { name: "llm", namespace: "agents" }, spec: { rules: [{ filters: [{ type: "URLRewrite", urlRewrite: { hostname: host } }], backendRefs: toBackend }] } });
  assert.deepEqual(await run(inferenceGateway({}, named), rewriting, llmBackend({ host: short, port: 80 })), []);
});

test("agent-call-graph: an LLM backend's host override speaking plain HTTP to an HTTPS listener's port, or TLS to a plain-HTTP one, is reported", async () => {
  // The default listeners name no hostname: only the protocol is judged.
  const plain = await run(inferenceGateway(), llmBackend({ host, port: 443 }));
  assert.equal(plain.length, 1, plain.join("\n"));
  assert.match(plain[0], /on port 443, where Gateway inference\/inference-gateway listens for HTTPS \(https\), with no backend TLS configured for it/);
  const tls = { tls: { sni: host } };
  const withTls = (provider: Record<string, unknown>) => on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend", "agents-agbe-llm", { metadata: { name: "inference-gateway", namespace: "agents" }, spec: { ai: { provider: { openai: {}, ...provider } }, policies: tls } });
  assert.deepEqual(await run(inferenceGateway(), withTls({ host, port: 443 })), []);
  assert.deepEqual(await run(inferenceGateway(), agwPolicy("tls", { targetRefs: toBackend, backend: tls }), llmBackend({ host, port: 443 })), []);
  // A backend TLS policy on a Gateway or route may reach it: can't judge.
  assert.deepEqual(await run(inferenceGateway(), agwPolicy("tls", { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "agent-gateway" }], backend: tls }), llmBackend({ host, port: 443 })), []);
  // TLS toward the plain-HTTP listener's port.
  const toPlain = await run(inferenceGateway(), withTls({ host, port: 80 }));
  assert.equal(toPlain.length, 1, toPlain.join("\n"));
  assert.match(toPlain[0], /on port 80, where Gateway inference\/inference-gateway listens for plain HTTP \(http-mesh\), with backend TLS configured for it \(its spec\.policies\.tls\)/);
  // A provider of a priority group: its own policies, or a policy on its sub-backend (sectionName); another provider's is not its.
  const grouped = (policies?: Record<string, unknown>) => on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend", "agents-agbe-llm", { metadata: { name: "inference-gateway", namespace: "agents" }, spec: { ai: { groups: [{ providers: [{ name: "a", openai: {}, host, port: 80, ...(policies ? { policies } : {}) }] }] } } });
  assert.match((await run(inferenceGateway(), grouped(tls))).join("\n"), /providers\[0\] \(a\) host .* listens for plain HTTP \(http-mesh\), with backend TLS configured for it \(the provider's policies\.tls\)/);
  assert.equal((await run(inferenceGateway(), agwPolicy("tls", { targetRefs: [{ ...toBackend[0], sectionName: "a" }], backend: tls }), grouped())).length, 1);
  assert.deepEqual(await run(inferenceGateway(), agwPolicy("tls", { targetRefs: [{ ...toBackend[0], sectionName: "b" }], backend: tls }), grouped()), []);
});
