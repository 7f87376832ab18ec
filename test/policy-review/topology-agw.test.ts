/**
 * agentgateway's own authorization in topology.md's who-may-call-whom matrix: the AgentgatewayPolicies'
 * `traffic.authorization` on an agentgateway Gateway (or a route on it) and `backend.mcp.authorization`
 * per MCP tool, evaluated as agentgateway v1.4.1 does (Deny, then every Require, then Allow; allowlist
 * once Allow rules exist), on the rendered prod stack and on policies a fork may write; merged by
 * the pack's own code (Gateway and route Overrides, ListenerSets, PreRouting sets).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { capturedObject } from "../support/captured";
import { renderShipped } from "../support/render";
import { topologyMarkdown } from "../../scripts/lib/topology";
import { sa } from "../support/topology-fleet";

/** The matrix of topology.md as caller → target → cell. */
function matrixOf(md: string): Map<string, Map<string, string>> {
  const section = md.split("## Who may call whom")[1].split("### Edges")[0];
  const split = (l: string) => l.split(/(?<!\\) \| /).map((c) => c.replace(/^\| |\s*\|$/g, "").trim());
  const head = section.split("\n").find((l) => l.startsWith("| caller"))!;
  const targets = split(head).slice(1).map((t) => t.replace(/^`|`$/g, ""));
  const out = new Map<string, Map<string, string>>();
  for (const row of section.split("\n").filter((l) => l.startsWith("| `"))) {
    const cells = split(row);
    out.set(/`([^`]*)`/.exec(cells[0])![1], new Map(targets.map((t, i) => [t, cells[i + 1]])));
  }
  return out;
}

test("prod: who may call the MCP gateway and use each tool is drawn from the rendered AgentgatewayPolicies, per cluster", () => {
  const md = renderShipped("prod").file("topology.md");
  const m = matrixOf(md);
  const cell = (caller: string, target: string) => m.get(caller)?.get(target);
  // mcp-gateway-callers: the research agents on every cluster, the support agents where they run.
  assert.equal(cell("agents/research-agent-v1", "Gateway tools/mcp-gateway"), "✓");
  assert.equal(cell("agents/support-agent-v2", "Gateway tools/mcp-gateway"), "✓ (aws-use1, gcp-usc1)");
  // mcp-tool-access: one clause per tool.
  const tool = (name: string) => `MCP tool ${name} (AgentgatewayBackend tools/mcp-tools)`;
  assert.equal(cell("agents/research-agent-v1", tool("calculator")), "✓");
  assert.equal(cell("agents/research-agent-v1", tool("ticket-lookup")), "", "no clause grants the research agent ticket-lookup: Allow rules deny the rest");
  assert.equal(cell("agents/support-agent-v1", tool("ticket-lookup")), "✓");
  assert.equal(cell("agents/support-agent-v1", tool("web-search")), "");
  assert.equal(cell("agents/agent-gateway", "Gateway tools/mcp-gateway"), "", "the agent gateway's proxy is not an MCP caller");
  assert.match(md, /From \d+ AuthorizationPolicies and 6 AgentgatewayPolicy authorizations across 3 cluster\(s\)/);
  assert.match(md, /- ALLOW `agents\/research-agent-v1` → `Gateway tools\/mcp-gateway` via agentgateway Gateway tools\/mcp-gateway — policy `AgentgatewayPolicy tools\/mcp-gateway-callers` on `aws-euw1`, `aws-use1`, `gcp-usc1`/);
  // The agent gateway has JWT authentication but no traffic.authorization: said, not drawn as a column.
  assert.match(md, /No traffic\.authorization guards the agentgateway Gateways `agents\/agent-gateway` on `aws-euw1`/);
  assert.doesNotMatch(md, /Not in the matrix: who may call the agentgateway Gateways/);
});

const gateway = { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "mcp", namespace: "tools" }, spec: { gatewayClassName: "agentgateway", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] } };
const route = { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "mcp", namespace: "tools", labels: { tier: "mcp" } }, spec: { parentRefs: [{ name: "mcp" }], rules: [{}] } };
const agwPolicy = (name: string, spec: any, namespace = "tools") => ({ apiVersion: "agentgateway.dev/v1alpha1", kind: "AgentgatewayPolicy", metadata: { name, namespace }, spec });
const onGateway = (action: string, ...matchExpressions: string[]) => ({
  targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "mcp" }],
  traffic: { authorization: { action, policy: { matchExpressions } } },
});
const id = (ns: string, name: string) => `source.identity.namespace == "${ns}" && source.identity.serviceAccount == "${name}"`;

/** topology.md and its matrix for three ServiceAccounts and the objects (`gw` the agentgateway Gateway). */
function renderOn(gw: object, ...objects: any[]): { md: string; m: Map<string, Map<string, string>> } {
  const md = topologyMarkdown({ deployment: { resources: [sa("agents", "a"), sa("agents", "b"), sa("lab", "c"), gw, ...objects].map((o) => capturedObject("c1", o)) } }, "prod");
  return { md, m: matrixOf(md) };
}
const render = (...objects: any[]) => renderOn(gateway, route, ...objects);

test("a Deny rule denies the identities it pins, before any Allow rule; without Allow rules the others are open (denylist)", () => {
  const { m } = render(agwPolicy("deny-b", onGateway("Deny", id("agents", "b"))));
  assert.equal(m.get("agents/b")?.get("Gateway tools/mcp"), "✗");
  const both = render(agwPolicy("deny-b", onGateway("Deny", id("agents", "b"))), agwPolicy("allow", onGateway("Allow", `${id("agents", "a")} || ${id("agents", "b")}`))).m;
  assert.equal(both.get("agents/a")?.get("Gateway tools/mcp"), "✓");
  assert.equal(both.get("agents/b")?.get("Gateway tools/mcp"), "✗", "the Deny wins over the Allow naming it too");
});

test("a Require rule denies every caller it does not pin; a rule bound to a route on the Gateway says so; another namespace's policy binds nothing", () => {
  const { m, md } = render(agwPolicy("require-a", onGateway("Require", id("agents", "a"))));
  assert.equal(m.get("agents/b")?.get("Gateway tools/mcp"), "✗");
  assert.equal(m.get("lab/c")?.get("Gateway tools/mcp"), "✗");
  assert.ok(!m.has("agents/a"), "the Require rule pins agents/a: no rule denies it, so it gets no row (like any identity no rule covers)");
  assert.match(md, /DENY `every caller but agents\/a \(Require rule\)` → `Gateway tools\/mcp`/);
  const onRoute = render(agwPolicy("route", { targetSelectors: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", matchLabels: { tier: "mcp" } }], traffic: { authorization: { action: "Allow", policy: { matchExpressions: [id("lab", "c")] } } } })).m;
  assert.equal(onRoute.get("lab/c")?.get("Gateway tools/mcp"), "✓ route tools/mcp only");
  const elsewhere = topologyMarkdown({ deployment: { resources: [sa("lab", "c"), gateway, agwPolicy("elsewhere", onGateway("Allow", id("lab", "c")), "agents")].map((o) => capturedObject("c1", o)) } }, "prod");
  assert.doesNotMatch(elsewhere, /lab\/c/, "policies bind targets of their own namespace only");
  assert.match(elsewhere, /No traffic\.authorization guards the agentgateway Gateways `tools\/mcp` on `c1`/);
});

test("an expression not pinned to identities is a row of its own; a clause without mcp.tool.target grants every tool", () => {
  const { m } = render(
    agwPolicy("ns-only", onGateway("Allow", 'source.identity.namespace == "agents"')),
    agwPolicy("tools", { targetRefs: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "mcp" }], backend: { mcp: { authorization: { action: "Allow", policy: { matchExpressions: [`(${id("agents", "a")}) || (${id("agents", "b")} && mcp.tool.target == "calc")`] } } } } }),
  );
  assert.equal(m.get('callers matching CEL source.identity.namespace == "agents"')?.get("Gateway tools/mcp"), "✓");
  assert.equal(m.get("agents/a")?.get("MCP tool (every target) (AgentgatewayBackend tools/mcp)"), "✓");
  assert.equal(m.get("agents/b")?.get("MCP tool calc (AgentgatewayBackend tools/mcp)"), "✓");
  assert.equal(m.get("agents/b")?.get("MCP tool (every target) (AgentgatewayBackend tools/mcp)"), "");
});

test("a Gateway-level Override authorization drops the listener's and the routes' route-phase authorization from the matrix (not enforced)", () => {
  const routeAllow = agwPolicy("route", { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "mcp" }], traffic: { authorization: { action: "Allow", policy: { matchExpressions: [id("lab", "c")] } } } });
  const locked = render(agwPolicy("gw", { ...onGateway("Allow", id("agents", "a")), strategy: { inheritance: "Override" } }), routeAllow);
  assert.equal(locked.m.get("agents/a")?.get("Gateway tools/mcp"), "✓");
  assert.notEqual(locked.m.get("lab/c")?.get("Gateway tools/mcp"), "✓ route tools/mcp only", "agentgateway v1.4.1 skips the route's authorization once the Gateway's Override is taken");
  assert.match(locked.md, /policy `AgentgatewayPolicy tools\/route` \(not enforced: tools\/gw sets strategy\.inheritance Override on the Gateway, so agentgateway v1\.4\.1 drops tools\/route/);
  // A PreRouting policy is a phase of its own: Override does not drop it.
  const pre = render(agwPolicy("gw", { ...onGateway("Allow", id("agents", "a")), strategy: { inheritance: "Override" } }), agwPolicy("pre", { ...onGateway("Deny", id("agents", "b")), traffic: { phase: "PreRouting", authorization: { action: "Deny", policy: { matchExpressions: [id("agents", "b")] } } } }));
  assert.equal(pre.m.get("agents/b")?.get("Gateway tools/mcp"), "✗");
  assert.doesNotMatch(pre.md, /tools\/pre` \(not enforced/);
  // Without Override the route's Allow is merged in.
  assert.equal(render(agwPolicy("gw", onGateway("Allow", id("agents", "a"))), routeAllow).m.get("lab/c")?.get("Gateway tools/mcp"), "✓ route tools/mcp only");
});

test("PreRouting Allow rules are a set of their own: a caller they do not name is denied whatever the route phase allows", () => {
  const pre = agwPolicy("pre", { targetRefs: onGateway("Allow").targetRefs, traffic: { phase: "PreRouting", authorization: { action: "Allow", policy: { matchExpressions: [id("agents", "a")] } } } });
  const { m, md } = render(pre, agwPolicy("route-phase", onGateway("Allow", id("lab", "c"))));
  // agentgateway v1.4.1 runs gateway_policies' authorization, then the route's: each must allow.
  assert.equal(m.get("lab/c")?.get("Gateway tools/mcp"), "✗", "lab/c passes the route phase but not the PreRouting Allow rules");
  assert.notEqual(m.get("agents/a")?.get("Gateway tools/mcp"), "✓", "agents/a passes PreRouting but no route-phase Allow rule names it");
  assert.match(md, /DENY `every caller but agents\/a \(PreRouting Allow rules\)` → `Gateway tools\/mcp`/);
  // Alone, the PreRouting Allow rules admit whom they name.
  assert.equal(render(pre).m.get("agents/b")?.get("Gateway tools/mcp"), "✗");
  assert.notEqual(render(pre).m.get("agents/a")?.get("Gateway tools/mcp"), "✗");
});

const allowOn = (targetRefs: object[], ...ids: string[]) => ({ targetRefs, traffic: { authorization: { action: "Allow", policy: { matchExpressions: ids } } } });
const routeRef = (name: string, sectionName?: string) => ({ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name, ...(sectionName ? { sectionName } : {}) });

test("a route-level Override drops the authorization on that route's rules, as agentgateway v1.4.1 route_policies does (the policy's merge)", () => {
  const ruled = { ...route, metadata: { name: "ruled", namespace: "tools" }, spec: { parentRefs: [{ name: "mcp" }], rules: [{ name: "r0" }] } };
  const onRule = agwPolicy("rule", allowOn([routeRef("ruled", "r0")], id("lab", "c")));
  const locked = render(ruled, agwPolicy("route", { ...allowOn([routeRef("ruled")], id("agents", "a")), strategy: { inheritance: "Override" } }), onRule);
  assert.match(locked.m.get("agents/a")?.get("Gateway tools/mcp") ?? "", /^✓/);
  assert.doesNotMatch(locked.m.get("lab/c")?.get("Gateway tools/mcp") ?? "", /✓/, "the rule's Allow is dropped under its route's Override");
  assert.match(locked.md, /policy `AgentgatewayPolicy tools\/rule` \(not enforced: tools\/route sets strategy\.inheritance Override on route tools\/ruled/);
  // Without the Override the rule's Allow is merged in, and says which rule it binds.
  const merged = render(ruled, agwPolicy("route", allowOn([routeRef("ruled")], id("agents", "a"))), onRule);
  assert.match(merged.m.get("lab/c")?.get("Gateway tools/mcp") ?? "", /^✓ .*rule r0 of route tools\/ruled only/);
  // Several rules of the route named by one policy are each named.
  const two = { ...ruled, spec: { ...ruled.spec, rules: [{ name: "r0" }, { name: "r1" }, { name: "r2" }] } };
  const both = render(two, agwPolicy("rule", allowOn([routeRef("ruled", "r1"), routeRef("ruled", "r0")], id("lab", "c"))));
  assert.match(both.m.get("lab/c")?.get("Gateway tools/mcp") ?? "", /^✓ .*rules r0, r1 of route tools\/ruled only/);
});

/** The Gateway admitting ListenerSets of its namespace, and one adding listener extra-http. */
const setGateway = { ...gateway, spec: { ...gateway.spec, allowedListeners: { namespaces: { from: "Same" } } } };
const listenerSet = { apiVersion: "gateway.networking.k8s.io/v1", kind: "ListenerSet", metadata: { name: "extra", namespace: "tools" }, spec: { parentRef: { name: "mcp" }, listeners: [{ name: "extra-http", port: 8080, protocol: "HTTP" }] } };
const setRef = [{ group: "gateway.networking.k8s.io", kind: "ListenerSet", name: "extra" }];

test("a ListenerSet's listeners and routes are the Gateway's: its routes' authorization and its PreRouting policies guard the Gateway", () => {
  const setRoute = { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "via-set", namespace: "tools" }, spec: { parentRefs: [{ kind: "ListenerSet", name: "extra" }], rules: [{}] } };
  const { md, m } = renderOn(
    setGateway, listenerSet, setRoute,
    agwPolicy("on-set-route", allowOn([routeRef("via-set")], id("lab", "c"))),
    agwPolicy("pre-on-set", { targetRefs: setRef, traffic: { phase: "PreRouting", authorization: { action: "Deny", policy: { matchExpressions: [id("agents", "b")] } } } }),
  );
  assert.equal(m.get("lab/c")?.get("Gateway tools/mcp"), "✓ route tools/via-set only", "a route served by the ListenerSet's listener is a route of the Gateway");
  assert.equal(m.get("agents/b")?.get("Gateway tools/mcp"), "✗ listener extra-http of ListenerSet tools/extra only", "a PreRouting policy on the ListenerSet runs on its listeners");
  assert.doesNotMatch(md, /No traffic\.authorization guards the agentgateway Gateways `tools\/mcp`/);
});

test("a route-phase policy on a ListenerSet is drawn as not enforced: agentgateway v1.4.1 route_policies never looks a ListenerSet target up", () => {
  const { md, m } = renderOn(setGateway, listenerSet, agwPolicy("on-set", { targetRefs: setRef, traffic: { authorization: { action: "Deny", policy: { matchExpressions: [id("agents", "b")] } } } }));
  assert.notEqual(m.get("agents/b")?.get("Gateway tools/mcp"), "✗ listener extra-http of ListenerSet tools/extra only");
  assert.match(md, /policy `AgentgatewayPolicy tools\/on-set` \(not enforced: AgentgatewayPolicy tools\/on-set targets ListenerSet tools\/extra in the route phase/);
  assert.match(md, /No traffic\.authorization guards the agentgateway Gateways `tools\/mcp` on `c1`/, "a policy never applied guards nothing");
});

test("a policy bound to several routes under a Gateway-level Override is named once in why it is not enforced", () => {
  const other = { ...route, metadata: { name: "other", namespace: "tools" } };
  const { md } = render(other, agwPolicy("gw", { ...onGateway("Allow", id("agents", "a")), strategy: { inheritance: "Override" } }), agwPolicy("routes", allowOn([routeRef("mcp"), routeRef("other")], id("lab", "c"))));
  assert.match(md, /not enforced: tools\/gw sets strategy\.inheritance Override on the Gateway, so agentgateway v1\.4\.1 drops tools\/routes \(more specific\)/);
});
