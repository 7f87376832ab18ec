/**
 * Policy tests for agent-call-graph's per-tool check: each agent only the tools it is configured
 * for, which the mesh (the tool's waypoint policy) and the MCP gateway (AgentgatewayPolicy
 * backend.mcp.authorization) must grant alike, each being a path to the tool of its own;
 * celToolGrants.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { celToolGrants } from "../../policy/lib/cel";
import { runStack, UNKNOWN } from "../support/policy";
import { on, sa, ap, gw } from "./authz-support";

const td = "cluster.local";
const deploy = (namespace: string, name: string) =>
  on("kubernetes:apps/v1:Deployment", `${namespace}-deploy-${name}`, { metadata: { name, namespace }, spec: { template: { metadata: { labels: { app: name } }, spec: { containers: [] } } } });
const svc = (namespace: string, name: string) => on("kubernetes:core/v1:Service", `${namespace}-svc-${name}`, { metadata: { name, namespace }, spec: { selector: { app: name }, ports: [{ port: 8000 }] } });
const ns = (name: string) => on("kubernetes:core/v1:Namespace", `ns-${name}`, { metadata: { name, labels: { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" } } });
/** The tool's waypoint policy, as the platform renders it: the agents configured for the tool. */
const toolAgents = (tool: string, ...agents: string[]) =>
  ap("tools", `${tool}-agents`, { action: "ALLOW", targetRefs: [{ group: "", kind: "Service", name: tool }], rules: [{ from: [{ source: { principals: agents.map((a) => `${td}/ns/agents/sa/${a}`) } }], to: [{ operation: { paths: ["/mcp"] } }] }] });
const clause = (tool: string, ...agents: string[]) =>
  `(source.identity.trustDomain == "${td}" && source.identity.namespace == "agents" && source.identity.serviceAccount in [${agents.map((a) => `"${a}"`).join(", ")}] && mcp.tool.target == "${tool}")`;
const toolAccess = (...expressions: string[]) =>
  on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy", "tools-agpol-mcp-tool-access", {
    metadata: { name: "mcp-tool-access", namespace: "tools" },
    spec: { targetRefs: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "mcp-tools" }], backend: { mcp: { authorization: { action: "Allow", policy: { matchExpressions: expressions } } } } },
  });
const mcpCallers = on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy", "tools-agpol-mcp-gateway-callers", {
  metadata: { name: "mcp-gateway-callers", namespace: "tools" },
  spec: { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "mcp-gateway" }], traffic: { authorization: { action: "Allow", policy: { matchExpressions: [`(source.identity.trustDomain == "${td}" && source.identity.namespace == "agents" && source.identity.serviceAccount in ["research", "support"])`] } } } },
});
const fleet = [
  ns("tools"),
  gw("tools", "waypoint", "istio-waypoint"),
  gw("tools", "mcp-gateway", "agentgateway"),
  gw("agents", "agent-gateway", "agentgateway"),
  sa("agents", "research"),
  sa("agents", "support"),
  deploy("tools", "calculator"),
  svc("tools", "calculator"),
  deploy("tools", "ticket-lookup"),
  svc("tools", "ticket-lookup"),
  mcpCallers,
];
const messages = async (extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...fleet, ...extra])).violations.map((v) => v.message);

test("agent-call-graph: the mesh and the MCP gateway grant each agent the same tools", async () => {
  const granted = [toolAgents("calculator", "research"), toolAgents("ticket-lookup", "support"), toolAccess(`${clause("calculator", "research")} || ${clause("ticket-lookup", "support")}`)];
  assert.deepEqual(await messages(granted), []);
  // The research agent let into the support agent's tool by the mesh: it calls it through the waypoint.
  assert.deepEqual(await messages([toolAgents("calculator", "research"), toolAgents("ticket-lookup", "support", "research"), granted[2]]), [
    "AuthorizationPolicy tools/ticket-lookup-agents on cluster a admits agent agents/research to tool ticket-lookup, which the MCP gateway's per-tool authorization (tools/mcp-tool-access) does not grant it: each agent may use only its configured tools, and the mesh and the MCP gateway must grant the same ones",
  ]);
  // The same through the MCP gateway: another expression is another Allow rule (agentgateway ORs them).
  assert.deepEqual(await messages([granted[0], granted[1], toolAccess(`${clause("calculator", "research")} || ${clause("ticket-lookup", "support")}`, clause("ticket-lookup", "research"))]), [
    "AgentgatewayPolicy tools/mcp-tool-access on cluster a lets agent agents/research call tool ticket-lookup through the MCP gateway, which no mesh ALLOW policy for the tool grants it: each agent may use only its configured tools, and the mesh and the MCP gateway must grant the same ones",
  ]);
  // A clause naming a tool but no identities lets every agent the MCP gateway admits call it.
  assert.deepEqual(await messages([granted[0], granted[1], toolAccess(clause("calculator", "research"), 'mcp.tool.target == "ticket-lookup"')]), [
    "AgentgatewayPolicy tools/mcp-tool-access on cluster a lets callers use tool ticket-lookup without pinning them to agent identities (source.identity namespace and serviceAccount): every agent the MCP gateway admits may call it",
  ]);
  // Without any MCP authorization agentgateway lets every caller use every tool.
  assert.deepEqual(await messages([granted[0], granted[1]]), [
    "no AgentgatewayPolicy in namespace tools on cluster a sets backend.mcp.authorization, so agentgateway lets every caller of Gateway tools/mcp-gateway use every tool: agents/support may call tool calculator through it, which no mesh ALLOW policy for the tool grants them; each agent may use only its configured tools",
    "no AgentgatewayPolicy in namespace tools on cluster a sets backend.mcp.authorization, so agentgateway lets every caller of Gateway tools/mcp-gateway use every tool: agents/research may call tool ticket-lookup through it, which no mesh ALLOW policy for the tool grants them; each agent may use only its configured tools",
  ]);
});

test("celToolGrants reads per-tool clauses, ORed and ANDed as CEL reads them", () => {
  const grants = celToolGrants(`${clause("calculator", "research")} || ${clause("ticket-lookup", "support", "research")}`)!;
  assert.deepEqual(grants.map((g) => [g.tools, [...(g.ids as Set<string>)]]), [[["calculator"], ["agents/research"]], [["ticket-lookup"], ["agents/support", "agents/research"]]]);
  assert.deepEqual(celToolGrants('mcp.tool.target in ["a", "b"]'), [{ tools: ["a", "b"], ids: "any" }]);
  assert.equal(celToolGrants('true ? mcp.tool.target == "a" : false'), undefined);
});

/** A tool Service as the platform renders it: an MCP port, its target name in agentgateway's annotation. */
const mcpSvc = (name: string, targetName = name) =>
  on("kubernetes:core/v1:Service", `tools-svc-${name}`, {
    metadata: { name, namespace: "tools", labels: { tool: name }, annotations: { "agentgateway.dev/mcp-target-name": targetName } },
    spec: { selector: { app: name }, ports: [{ name: "mcp", port: 8000, appProtocol: "agentgateway.dev/mcp" }] },
  });
const mcpBackend = (name: string, targets: Record<string, unknown>[]) =>
  on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend", `tools-agbe-${name}`, { metadata: { name, namespace: "tools" }, spec: { mcp: { targets } } });
const selectorTarget = (tool: string) => ({ name: tool, selector: { services: { matchLabels: { tool } } } });
const backedFleet = [
  ...fleet.filter((r) => !r.name.includes("-tools-svc-")),
  toolAgents("calculator", "research"),
  toolAgents("ticket-lookup", "support"),
];
const granted = toolAccess(`${clause("calculator", "research")} || ${clause("ticket-lookup", "support")}`);

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

test("agent-call-graph: an MCP authorization without Allow rules grants every tool call its Deny rules do not refuse", async () => {
  const rules = (action: string, ...expressions: string[]) =>
    on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy", "tools-agpol-mcp-tool-access", {
      metadata: { name: "mcp-tool-access", namespace: "tools" },
      spec: { targetRefs: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "mcp-tools" }], backend: { mcp: { authorization: { action, policy: { matchExpressions: expressions } } } } },
    });
  const backend = mcpBackend("mcp-tools", [selectorTarget("calculator"), selectorTarget("ticket-lookup")]);
  const run = async (extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...backedFleet, mcpSvc("calculator"), mcpSvc("ticket-lookup"), backend, ...extra])).violations.map((v) => v.message);
  const head = (action: string) =>
    `AgentgatewayPolicy tools/mcp-tool-access (${action}) on cluster a sets backend.mcp.authorization for AgentgatewayBackend tools/mcp-tools without an Allow rule, and agentgateway then allows every tool call no Deny rule matches and every Require rule admits: it lets`;
  const tail = "; each agent may use only its configured tools (grant them with Allow rules)";
  // agentgateway v1.4.1 RuleSets::validate: with only Deny rules, whatever none of them matches is allowed.
  assert.deepEqual(await run([rules("Deny", 'mcp.tool.target == "retired"')]), [
    `${head("Deny")} tool calculator be used by agents/support, which no mesh ALLOW policy for the tool grants${tail}`,
    `${head("Deny")} tool ticket-lookup be used by agents/research, which no mesh ALLOW policy for the tool grants${tail}`,
  ]);
  assert.deepEqual(await run([rules("Require", 'source.identity.namespace == "agents"')]), [
    `${head("Require")} tool calculator be used by callers without pinning them to agent identities (source.identity namespace and serviceAccount): every agent the MCP gateway admits may call it${tail}`,
    `${head("Require")} tool ticket-lookup be used by callers without pinning them to agent identities (source.identity namespace and serviceAccount): every agent the MCP gateway admits may call it${tail}`,
  ]);
  // The per-tool grants written as one Require rule, or their complement as Deny rules, grant what the mesh does.
  assert.deepEqual(await run([rules("Require", `${clause("calculator", "research")} || ${clause("ticket-lookup", "support")}`)]), []);
  assert.deepEqual(await run([rules("Deny", clause("calculator", "support"), clause("ticket-lookup", "research"))]), []);
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

test("agent-call-graph: the versions of an agent (v1 and its canary) are granted the same tools", async () => {
  const version = (agent: string, v: string) =>
    on("kubernetes:apps/v1:Deployment", `agents-deploy-${agent}-${v}`, {
      metadata: { name: `${agent}-${v}`, namespace: "agents" },
      spec: { template: { metadata: { labels: { "app.kubernetes.io/name": agent, "app.kubernetes.io/instance": `${agent}-${v}` } }, spec: { serviceAccountName: `${agent}-${v}`, containers: [] } } },
    });
  const fleetOf = [...fleet.filter((r) => !r.name.includes("-agents-sa-")), ...["research-v1", "research-v2", "support-v1"].map((s) => sa("agents", s)), version("research", "v1"), version("research", "v2"), version("support", "v1")];
  const run = async (extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...fleetOf, ...extra])).violations.map((v) => v.message);
  const same = [toolAgents("calculator", "research-v1", "research-v2"), toolAgents("ticket-lookup", "support-v1"), toolAccess(`${clause("calculator", "research-v1", "research-v2")} || ${clause("ticket-lookup", "support-v1")}`)];
  assert.deepEqual(await run(same), []);
  // The canary given the support agent's tool in both layers: each layer agrees, the versions do not.
  assert.deepEqual(await run([same[0], toolAgents("ticket-lookup", "support-v1", "research-v2"), toolAccess(`${clause("calculator", "research-v1", "research-v2")} || ${clause("ticket-lookup", "support-v1", "research-v2")}`)]), [
    "AuthorizationPolicy tools/ticket-lookup-agents on cluster a admits agents/research-v2 to tool ticket-lookup but not agents/research-v1, though they run the same agent, research (pods labelled app.kubernetes.io/name=research): an agent's versions (a canary and the version it is compared with) are granted the same tools, its configured ones",
  ]);
  // The canary left out of its agent's tools.
  assert.deepEqual(await run([toolAgents("calculator", "research-v1"), same[1], toolAccess(`${clause("calculator", "research-v1")} || ${clause("ticket-lookup", "support-v1")}`)]), [
    "AuthorizationPolicy tools/calculator-agents on cluster a admits agents/research-v1 to tool calculator but not agents/research-v2, though they run the same agent, research (pods labelled app.kubernetes.io/name=research): an agent's versions (a canary and the version it is compared with) are granted the same tools, its configured ones",
  ]);
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

test("agent-call-graph: beside Deny and Require rules, the Allow rules' grants are still held to the mesh's", async () => {
  const policy = (name: string, action: string, ...expressions: string[]) =>
    on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy", `tools-agpol-${name}`, {
      metadata: { name, namespace: "tools" },
      spec: { targetRefs: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "mcp-tools" }], backend: { mcp: { authorization: { action, policy: { matchExpressions: expressions } } } } },
    });
  const backend = mcpBackend("mcp-tools", [selectorTarget("calculator"), selectorTarget("ticket-lookup")]);
  const run = async (extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...backedFleet, mcpSvc("calculator"), mcpSvc("ticket-lookup"), backend, ...extra])).violations.map((v) => v.message);
  const inAgents = policy("mcp-agents-only", "Require", 'source.identity.namespace == "agents"');
  const perTool = `${clause("calculator", "research")} || ${clause("ticket-lookup", "support")}`;
  assert.deepEqual(await run([policy("mcp-tool-access", "Allow", perTool), inAgents]), []);
  // A Require rule does not hide an Allow rule granting an agent another agent's tool.
  assert.deepEqual(await run([policy("mcp-tool-access", "Allow", perTool, clause("calculator", "support")), inAgents]), [
    "AgentgatewayPolicy tools/mcp-tool-access on cluster a lets agent agents/support call tool calculator through the MCP gateway, which no mesh ALLOW policy for the tool grants it: each agent may use only its configured tools, and the mesh and the MCP gateway must grant the same ones",
  ]);
  // Nor an agent the mesh admits that no Allow rule grants (Deny and Require only narrow).
  assert.deepEqual(await run([policy("mcp-tool-access", "Allow", clause("calculator", "research")), inAgents]), [
    "AuthorizationPolicy tools/ticket-lookup-agents on cluster a admits agent agents/support to tool ticket-lookup, which the MCP gateway's per-tool authorization (tools/mcp-tool-access, tools/mcp-agents-only) does not grant it: each agent may use only its configured tools, and the mesh and the MCP gateway must grant the same ones",
  ]);
  // Tools allowed by name, agents pinned per tool by a Require rule: the same grants.
  assert.deepEqual(await run([policy("mcp-tool-access", "Allow", 'mcp.tool.target in ["calculator", "ticket-lookup"]'), policy("mcp-agents-only", "Require", perTool)]), []);
});

test("agent-call-graph: an agent version naming its ServiceAccount through the deprecated serviceAccount alias runs as that account", async () => {
  // Kubernetes takes spec.serviceAccount when serviceAccountName is empty (pkg/apis/core/v1/conversion.go); before, the canary was read as agents/default.
  const version = (agent: string, v: string, account: Record<string, string>) =>
    on("kubernetes:apps/v1:Deployment", `agents-deploy-${agent}-${v}`, {
      metadata: { name: `${agent}-${v}`, namespace: "agents" },
      spec: { template: { metadata: { labels: { "app.kubernetes.io/name": agent } }, spec: { ...account, containers: [] } } },
    });
  const fleetOf = (canary: Record<string, string>) => [
    ...fleet.filter((r) => !r.name.includes("-agents-sa-")),
    ...["research-v1", "research-v2", "support-v1"].map((s) => sa("agents", s)),
    version("research", "v1", { serviceAccountName: "research-v1" }),
    version("research", "v2", canary),
    version("support", "v1", { serviceAccountName: "support-v1" }),
  ];
  const same = [toolAgents("calculator", "research-v1", "research-v2"), toolAgents("ticket-lookup", "support-v1"), toolAccess(`${clause("calculator", "research-v1", "research-v2")} || ${clause("ticket-lookup", "support-v1")}`)];
  const run = async (canary: Record<string, string>) => (await runStack(agentCallGraph, [...fleetOf(canary), ...same])).violations.map((v) => v.message);
  assert.deepEqual(await run({ serviceAccount: "research-v2" }), []);
  assert.deepEqual(await run({ serviceAccountName: "", serviceAccount: "research-v2" }), []);
  // serviceAccountName wins over the alias: the canary runs as support-v1, which the calculator's grants leave out.
  const both = await run({ serviceAccountName: "support-v1", serviceAccount: "research-v2" });
  assert.ok(both.some((m) => m.includes("admits agents/research-v1 to tool calculator but not agents/support-v1")), both.join("\n"));
});
