/**
 * Policy tests for agent-call-graph's per-tool check along the MCP gateway's paths to a tool: the
 * target names agentgateway gives each tool Service, MCP backends no per-tool authorization reaches,
 * routes straight to a tool (past every MCP authorization), and per-tool authorization on a Gateway,
 * a listener or a route rule.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { runStack, UNKNOWN } from "../support/policy";
import { on } from "./authz-support";
import { clause, mcpSvc, mcpBackend, selectorTarget, backedFleet, granted } from "../support/tool-grants";

test("agent-call-graph: the MCP gateway's grants are read by the target names agentgateway gives each tool Service", async () => {
  const backend = mcpBackend("mcp-tools", [selectorTarget("calculator"), selectorTarget("ticket-lookup")]);
  const run = async (extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...backedFleet, ...extra])).violations.map((v) => v.message);
  assert.deepEqual(await run([mcpSvc("calculator"), mcpSvc("ticket-lookup"), backend, granted]), []);
  // agentgateway v1.4.1 names a selector target by the Service's annotation, not by targets[].name:
  // the calculator Service annotated `ticket-lookup` hands the support agent's grant the calculator.
  assert.deepEqual(await run([mcpSvc("calculator", "ticket-lookup"), mcpSvc("ticket-lookup"), backend, granted]), [
    "AuthorizationPolicy tools/calculator-agents on cluster a admits agent agents/research to tool calculator (MCP target 'ticket-lookup'), which the MCP gateway's per-tool authorization (tools/mcp-tool-access) does not grant it: each agent may use only its configured tools, and the mesh and the MCP gateway must grant the same ones",
    "AgentgatewayPolicy tools/mcp-tool-access on cluster a lets agent agents/support call tool calculator (MCP target 'ticket-lookup') through the MCP gateway, which no mesh ALLOW policy for the tool grants it: each agent may use only its configured tools, and the mesh and the MCP gateway must grant the same ones",
  ]);
  // A static target keeps its own name: `ticket-lookup` dialling the calculator's Service.
  const staticBackend = mcpBackend("mcp-tools", [selectorTarget("calculator"), { name: "ticket-lookup", static: { host: "calculator.tools.svc.cluster.local", port: 8000, path: "/mcp" } }]);
  assert.deepEqual(await run([mcpSvc("calculator"), mcpSvc("ticket-lookup"), staticBackend, granted]), [
    "AgentgatewayPolicy tools/mcp-tool-access on cluster a lets agent agents/support call tool calculator (MCP target 'calculator', 'ticket-lookup') through the MCP gateway, which no mesh ALLOW policy for the tool grants it: each agent may use only its configured tools, and the mesh and the MCP gateway must grant the same ones",
  ]);
  // Its host the calculator Service's ClusterIP: the same Service (agentgateway v1.4.1 dials an IP host as the address a name resolves to).
  const pinned = on("kubernetes:core/v1:Service", "tools-svc-calculator", { metadata: { name: "calculator", namespace: "tools", labels: { tool: "calculator" }, annotations: { "agentgateway.dev/mcp-target-name": "calculator" } }, spec: { clusterIP: "10.43.0.7", selector: { app: "calculator" }, ports: [{ name: "mcp", port: 8000, appProtocol: "agentgateway.dev/mcp" }] } });
  const byIp = (host: string) => mcpBackend("mcp-tools", [selectorTarget("calculator"), { name: "ticket-lookup", static: { host, port: 8000, path: "/mcp" } }]);
  assert.deepEqual(await run([pinned, mcpSvc("ticket-lookup"), byIp("10.43.0.7"), granted]), await run([mcpSvc("calculator"), mcpSvc("ticket-lookup"), staticBackend, granted]));
  // An address no Service shows may be a pod's or an unseen Service's: can't judge.
  const unseen = await runStack(agentCallGraph, [...backedFleet, pinned, mcpSvc("ticket-lookup"), byIp("10.43.0.99"), granted]);
  assert.deepEqual([unseen.violations.length, unseen.unknown.length > 0], [0, true]);
});

test("agent-call-graph: an MCP backend no per-tool authorization reaches opens every tool it serves", async () => {
  const run = async (extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...backedFleet, mcpSvc("calculator"), mcpSvc("ticket-lookup"), ...extra])).violations.map((v) => v.message);
  const targets = [selectorTarget("calculator"), selectorTarget("ticket-lookup")];
  const elsewhere = "; AgentgatewayPolicy tools/mcp-tool-access reaches it through none of its targets (a sectionName narrows a policy to that listener or route rule, and on a backend to one MCP target, whose policies agentgateway reads no MCP authorization from)";
  const open = (backend: string, agent: string, tool: string, note = elsewhere) =>
    `no AgentgatewayPolicy in namespace tools on cluster a applies backend.mcp.authorization to AgentgatewayBackend tools/${backend} (nor to a route or Gateway in front of it${note}), so agentgateway lets every caller of the MCP gateway use every tool it serves: agents/${agent} may call tool ${tool} through it, which no mesh ALLOW policy for the tool grants them; each agent may use only its configured tools`;
  // The per-tool authorization retargeted at a backend that does not exist binds nothing.
  const retargeted = on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy", "tools-agpol-mcp-tool-access", {
    metadata: { name: "mcp-tool-access", namespace: "tools" },
    spec: { targetRefs: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "mcp-tools-old" }], backend: { mcp: { authorization: { action: "Allow", policy: { matchExpressions: [`${clause("calculator", "research")} || ${clause("ticket-lookup", "support")}`] } } } } },
  });
  assert.deepEqual(await run([mcpBackend("mcp-tools", targets), retargeted]), [open("mcp-tools", "support", "calculator"), open("mcp-tools", "research", "ticket-lookup")]);
  // A second backend over the same tools, routed, beside the guarded one.
  assert.deepEqual(await run([mcpBackend("mcp-tools", targets), mcpBackend("mcp-open", targets), granted]), [open("mcp-open", "support", "calculator"), open("mcp-open", "research", "ticket-lookup")]);
  // A policy on the route in front of the backend reaches it.
  const route = on("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "tools-route-mcp", {
    metadata: { name: "mcp", namespace: "tools" },
    spec: { parentRefs: [{ name: "mcp-gateway" }], rules: [{ backendRefs: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "mcp-tools" }] }] },
  });
  const onRoute = on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy", "tools-agpol-mcp-tool-access", {
    metadata: { name: "mcp-tool-access", namespace: "tools" },
    spec: { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "mcp" }], backend: { mcp: { authorization: { action: "Allow", policy: { matchExpressions: [`${clause("calculator", "research")} || ${clause("ticket-lookup", "support")}`] } } } } },
  });
  assert.deepEqual(await run([mcpBackend("mcp-tools", targets), route, onRoute]), []);
});

test("agent-call-graph: a route on the MCP gateway straight to a tool Service passes every MCP authorization", async () => {
  const backend = mcpBackend("mcp-tools", [selectorTarget("calculator"), selectorTarget("ticket-lookup")]);
  const route = (name: string, backendRef: Record<string, unknown>) =>
    on("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", `tools-route-${name}`, { metadata: { name, namespace: "tools" }, spec: { parentRefs: [{ name: "mcp-gateway" }], rules: [{ backendRefs: [backendRef] }] } });
  const run = async (extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...backedFleet, mcpSvc("calculator"), mcpSvc("ticket-lookup"), backend, granted, ...extra])).violations.map((v) => v.message);
  const direct = (kind: string, name: string, agent: string, tool: string) =>
    `${kind} tools/${name} on cluster a sends requests from the MCP gateway straight to Service tools/${tool}, past every MCP authorization (agentgateway applies backend.mcp.authorization only to an MCP AgentgatewayBackend): agents/${agent} may call tool ${tool} through it, which no mesh ALLOW policy for the tool grants them; each agent may use only its configured tools (route tools through the MCP backend)`;
  // The MCP route itself, to the MCP backend, is what the per-tool authorization guards.
  assert.deepEqual(await run([route("mcp", { group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "mcp-tools" })]), []);
  // agentgateway proxies a Service backend as plain HTTP: the support agent, admitted by the gateway, reaches the calculator.
  assert.deepEqual(await run([route("calculator", { name: "calculator", port: 8000 })]), [direct("HTTPRoute", "calculator", "support", "calculator")]);
  // So does a static AgentgatewayBackend whose host is the tool's Service.
  const statik = on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend", "tools-agbe-lookup", { metadata: { name: "lookup", namespace: "tools" }, spec: { static: { host: "ticket-lookup.tools.svc.cluster.local", port: 8000 } } });
  assert.deepEqual(await run([statik, route("lookup", { group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "lookup" })]), [direct("HTTPRoute", "lookup", "research", "ticket-lookup")]);
  // Kept in the agents namespace, opened to the tools routes by a ReferenceGrant there (agentgateway v1.4.1 honors grants to AgentgatewayBackends): the same path.
  const away = on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend", "agents-agbe-lookup", { metadata: { name: "lookup", namespace: "agents" }, spec: { static: { host: "ticket-lookup.tools.svc.cluster.local", port: 8000 } } });
  const grant = on("kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant", "agents-grant", { metadata: { name: "tools-routes", namespace: "agents" }, spec: { from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "tools" }], to: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend" }] } });
  assert.deepEqual(await run([away, grant, route("lookup", { group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "lookup", namespace: "agents" })]), [direct("HTTPRoute", "lookup", "research", "ticket-lookup")]);
  // Without the grant agentgateway refuses the reference (RefNotPermitted): the route reaches no tool, and is reported broken.
  const refused = await run([away, route("lookup", { group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "lookup", namespace: "agents" })]);
  assert.equal(refused.length, 1, refused.join("\n"));
  assert.match(refused[0], /^HTTPRoute tools\/lookup on cluster a, on an agentgateway Gateway: backendRef AgentgatewayBackend agents\/lookup is in another namespace, .*RefNotPermitted/);
  // A route of another namespace on the MCP gateway straight to the tool's Service: refused without a grant in tools (RefNotPermitted), so no path, only reported broken; granted, the same path.
  const fromAgents = on("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "agents-route-calculator", {
    metadata: { name: "calculator", namespace: "agents" },
    spec: { parentRefs: [{ name: "mcp-gateway", namespace: "tools" }], rules: [{ backendRefs: [{ name: "calculator", namespace: "tools", port: 8000 }] }] },
  });
  const ungranted = await run([fromAgents]);
  assert.equal(ungranted.length, 1, ungranted.join("\n"));
  assert.match(ungranted[0], /^HTTPRoute agents\/calculator on cluster a, on an agentgateway Gateway: backendRef Service tools\/calculator is in another namespace, .*RefNotPermitted/);
  const toolsGrant = on("kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant", "tools-grant", { metadata: { name: "agents-routes", namespace: "tools" }, spec: { from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "agents" }], to: [{ group: "", kind: "Service" }] } });
  assert.deepEqual(await run([fromAgents, toolsGrant]), [direct("HTTPRoute", "calculator", "support", "calculator").replace("tools/calculator on", "agents/calculator on")]);
  // A dynamic forward proxy dials whatever host a request names: every tool.
  const forward = on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend", "tools-agbe-anywhere", { metadata: { name: "anywhere", namespace: "tools" }, spec: { dynamicForwardProxy: {} } });
  assert.deepEqual(await run([forward, route("anywhere", { group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "anywhere" })]), [
    direct("HTTPRoute", "anywhere", "support", "calculator"),
    direct("HTTPRoute", "anywhere", "research", "ticket-lookup"),
  ]);
  // An InferencePool of the calculator's pods: agentgateway v1.4.1 sends each request to one of them (DefaultRouteBackend, apply_inference_routing).
  const pool = (selector: unknown) => on("kubernetes:inference.networking.k8s.io/v1:InferencePool", "tools-pool-calc", { metadata: { name: "calc", namespace: "tools" }, spec: { selector: { matchLabels: selector }, targetPorts: [{ number: 8000 }] } });
  const toPool = route("calc", { group: "inference.networking.k8s.io", kind: "InferencePool", name: "calc" });
  assert.deepEqual(await run([pool({ app: "calculator" }), toPool]), [direct("HTTPRoute", "calc", "support", "calculator")]);
  assert.deepEqual(await run([pool({ app: "nobody" }), toPool]), []);
  // An agentgateway release leaving inferenceExtension.enabled off watches no pool: the backendRef is "not found", no tool reached.
  const release = (enabled: unknown) => on("kubernetes:helm.sh/v3:Release", "agentgateway", { chart: "oci://cr.agentgateway.dev/charts/agentgateway", namespace: "agentgateway-system", values: { inferenceExtension: { enabled } } });
  assert.deepEqual(await run([release(false), pool({ app: "calculator" }), toPool]), []);
  assert.deepEqual(await run([release(true), pool({ app: "calculator" }), toPool]), [direct("HTTPRoute", "calc", "support", "calculator")]);
  // Whose pods it selects is not known yet: can't judge, no verdict either way.
  const unread = await runStack(agentCallGraph, [...backedFleet, mcpSvc("calculator"), mcpSvc("ticket-lookup"), backend, granted, pool({ app: UNKNOWN }), toPool]);
  assert.deepEqual([unread.violations.length, unread.unknown.length > 0], [0, true]);
  // A route on another Gateway (the waypoint) is not the MCP gateway's.
  const elsewhere = on("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "tools-route-calculator", {
    metadata: { name: "calculator", namespace: "tools" },
    spec: { parentRefs: [{ name: "waypoint" }], rules: [{ backendRefs: [{ name: "calculator", port: 8000 }] }] },
  });
  assert.deepEqual(await run([elsewhere]), []);
});

test("agent-call-graph: a per-tool authorization on a Gateway reaches the backends of the routes that Gateway (or the listener named) serves", async () => {
  const mcpGateway = on("kubernetes:gateway.networking.k8s.io/v1:Gateway", "tools-gw-mcp-gateway", {
    metadata: { name: "mcp-gateway", namespace: "tools" },
    spec: { gatewayClassName: "agentgateway", listeners: [{ name: "http", port: 80, protocol: "HTTP" }, { name: "hbone", port: 15008, protocol: "HBONE" }] },
  });
  const route = on("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "tools-route-mcp", {
    metadata: { name: "mcp", namespace: "tools" },
    spec: { parentRefs: [{ name: "mcp-gateway", sectionName: "http" }], rules: [{ name: "tools", backendRefs: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "mcp-tools" }] }] },
  });
  const targeting = (ref: Record<string, unknown>) =>
    on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy", "tools-agpol-mcp-tool-access", {
      metadata: { name: "mcp-tool-access", namespace: "tools" },
      spec: { targetRefs: [ref], backend: { mcp: { authorization: { action: "Allow", policy: { matchExpressions: [`${clause("calculator", "research")} || ${clause("ticket-lookup", "support")}`] } } } } },
    });
  const base = [...backedFleet.filter((r) => !r.name.endsWith("-tools-gw-mcp-gateway")), mcpGateway, route, mcpSvc("calculator"), mcpSvc("ticket-lookup"), mcpBackend("mcp-tools", [selectorTarget("calculator"), selectorTarget("ticket-lookup")])];
  const run = async (ref: Record<string, unknown>) => (await runStack(agentCallGraph, [...base, targeting(ref)])).violations.map((v) => v.message.replace(/ may call tool .*$/, ""));
  const gateway = (name: string, sectionName?: string) => ({ group: "gateway.networking.k8s.io", kind: "Gateway", name, ...(sectionName ? { sectionName } : {}) });
  assert.deepEqual(await run(gateway("mcp-gateway")), []);
  assert.deepEqual(await run(gateway("mcp-gateway", "http")), []);
  assert.deepEqual(await run({ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "mcp", sectionName: "tools" }), []);
  // agentgateway keys such a policy to that Gateway's (listener's, route rule's) traffic alone: the MCP route's is not among it.
  const open = [
    "no AgentgatewayPolicy in namespace tools on cluster a applies backend.mcp.authorization to AgentgatewayBackend tools/mcp-tools (nor to a route or Gateway in front of it; AgentgatewayPolicy tools/mcp-tool-access reaches it through none of its targets (a sectionName narrows a policy to that listener or route rule, and on a backend to one MCP target, whose policies agentgateway reads no MCP authorization from)), so agentgateway lets every caller of the MCP gateway use every tool it serves: agents/support",
    "no AgentgatewayPolicy in namespace tools on cluster a applies backend.mcp.authorization to AgentgatewayBackend tools/mcp-tools (nor to a route or Gateway in front of it; AgentgatewayPolicy tools/mcp-tool-access reaches it through none of its targets (a sectionName narrows a policy to that listener or route rule, and on a backend to one MCP target, whose policies agentgateway reads no MCP authorization from)), so agentgateway lets every caller of the MCP gateway use every tool it serves: agents/research",
  ];
  assert.deepEqual(await run(gateway("mcp-gateway", "hbone")), open);
  assert.deepEqual(await run(gateway("waypoint")), open);
  assert.deepEqual(await run(gateway("mcp-gateway-old")), open);
  assert.deepEqual(await run({ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "mcp", sectionName: "retired" }), open);
  assert.deepEqual(await run({ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "mcp-tools", sectionName: "calculator" }), open);
  assert.deepEqual(await run({ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "mcp-tools" }), []);
});

test("agent-call-graph: an MCP backend's selector target matching no tool Service with an MCP port is dropped by agentgateway, silently", async () => {
  // agentgateway v1.4.1 controller/pkg/syncer/backend/mcp.go TranslateMCPSelectorTargets: no matching Service (or none with an MCP port), no target, no error.
  const run = async (...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...backedFleet, granted, ...extra])).violations.map((v) => v.message);
  const tools = [mcpSvc("calculator"), mcpSvc("ticket-lookup")];
  const backend = (targets: Record<string, unknown>[], failureMode = "FailOpen") =>
    on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend", "tools-agbe-mcp-tools", { metadata: { name: "mcp-tools", namespace: "tools" }, spec: { mcp: { failureMode, targets } } });
  assert.deepEqual(await run(...tools, backend([selectorTarget("calculator"), selectorTarget("ticket-lookup")])), []);
  const typo = { name: "calculator", selector: { services: { matchLabels: { tool: "calculater" } } } };
  for (const mode of ["FailOpen", "FailClosed"]) {
    const found = await run(...tools, backend([typo, selectorTarget("ticket-lookup")], mode));
    assert.equal(found.length, 1, found.join("\n"));
    assert.match(found[0], /^AgentgatewayBackend tools\/mcp-tools on cluster a: MCP target "calculator" selects no Service with an MCP port .* among those the stack renders in tools \(labels \{"tool":"calculater"\}\), so agentgateway v1\.4\.1's controller makes it no target at all, silently/);
  }
  // A matched Service without an MCP port yields no target either.
  const plain = on("kubernetes:core/v1:Service", "tools-svc-calculator", { metadata: { name: "calculator", namespace: "tools", labels: { tool: "calculator" } }, spec: { selector: { app: "calculator" }, ports: [{ name: "http", port: 8000 }] } });
  assert.ok((await run(plain, mcpSvc("ticket-lookup"), backend([selectorTarget("calculator")]))).some((m) => /MCP target "calculator" selects no Service with an MCP port/.test(m)));
  // A namespace the stack does not create, a Helm release there, or a namespaces selector: a Service made outside the stack may match, not judged.
  const release = on("kubernetes:helm.sh/v3:Release", "tools-chart", { chart: "some-chart", namespace: "tools", values: {} });
  assert.ok(!(await run(...tools, release, backend([typo]))).some((m) => /selects no Service/.test(m)));
  assert.ok(!(await run(...tools, backend([{ ...typo, selector: { ...typo.selector, namespaces: { matchLabels: { team: "x" } } } }]))).some((m) => /selects no Service/.test(m)));
  const noNs = (await runStack(agentCallGraph, [...backedFleet.filter((r) => !r.type.endsWith(":Namespace")), granted, ...tools, backend([typo])])).violations.map((v) => v.message);
  assert.ok(!noNs.some((m) => /selects no Service/.test(m)), noNs.join("\n"));
  // A Service's labels not known yet in a preview: can't judge.
  const preview = await runStack(agentCallGraph, [...backedFleet, granted, mcpSvc("ticket-lookup"), on("kubernetes:core/v1:Service", "tools-svc-calculator", { metadata: { name: "calculator", namespace: "tools", labels: UNKNOWN } }), backend([typo])]);
  assert.ok(!preview.violations.some((v) => /selects no Service/.test(v.message)));
  assert.match(preview.unknown.join("\n"), /which decide whether each MCP selector target matches a tool/);
});

test("agent-call-graph: a tool Service an MCP selector target matches, whose MCP port targets by name a port no selected pod declares, has no endpoints", async () => {
  // Kubernetes leaves a pod without the named port out of the Service's EndpointSlices (FindPort):
  // the target exists (its Service has an MCP port), yet agentgateway reaches no tool pod through it.
  const run = async (...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...backedFleet, granted, ...extra])).violations.map((v) => v.message);
  const retargeted = (targetPort: unknown) =>
    on("kubernetes:core/v1:Service", "tools-svc-calculator", {
      metadata: { name: "calculator", namespace: "tools", labels: { tool: "calculator" }, annotations: { "agentgateway.dev/mcp-target-name": "calculator" } },
      spec: { selector: { app: "calculator" }, ports: [{ name: "mcp", port: 8000, targetPort, appProtocol: "agentgateway.dev/mcp" }] },
    });
  const serving = on("kubernetes:apps/v1:Deployment", "tools-deploy-calculator-mcp", { metadata: { name: "calculator-mcp", namespace: "tools" }, spec: { template: { metadata: { labels: { app: "calculator" } }, spec: { containers: [{ name: "mcp", ports: [{ containerPort: 8000, name: "mcp" }] }] } } } });
  const backend = mcpBackend("mcp-tools", [selectorTarget("calculator"), selectorTarget("ticket-lookup")]);
  const found = await run(retargeted("mcp-http"), mcpSvc("ticket-lookup"), serving, backend);
  assert.equal(found.length, 1, found.join("\n"));
  assert.match(found[0], /^AgentgatewayBackend tools\/mcp-tools on cluster a: MCP target "calculator" Service tools\/calculator port 8000 targets the port named mcp-http, which no pod the Service selects declares \(they declare 8000 \(mcp\)\), so Kubernetes gives the Service no endpoint on it/);
  // The name a selected pod declares, or a number: fine.
  assert.deepEqual(await run(retargeted("mcp"), mcpSvc("ticket-lookup"), serving, backend), []);
  assert.deepEqual(await run(retargeted(8000), mcpSvc("ticket-lookup"), serving, backend), []);
});
