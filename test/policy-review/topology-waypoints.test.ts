/**
 * The who-may-call-whom matrix on policies enforced by waypoints: a Service-bound (or
 * waypoint-bound) policy holds only where istiod gives the Service that waypoint (Istio 1.30.3
 * ambient/waypoints.go fetchWaypointForService), not wherever a use-waypoint label names one.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { capturedObject } from "../support/captured";
import { topologyMarkdown } from "../../scripts/lib/topology";
import { sa } from "../support/topology-fleet";
import { deployment, policy } from "../support/topology-matrix";

const TD = "cluster.local";
const ns = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { "istio.io/dataplane-mode": "ambient", ...labels } } });
const service = (namespace: string, name: string, labels: Record<string, string> = {}) => ({ apiVersion: "v1", kind: "Service", metadata: { name, namespace, labels }, spec: { selector: { app: name }, ports: [{ port: 8000 }] } });
const waypoint = (namespace: string, name: string, labels: Record<string, string> = {}, listener: Record<string, unknown> = {}, cls = "istio-waypoint") => ({
  apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name, namespace, labels },
  spec: { gatewayClassName: cls, listeners: [{ name: "mesh", port: 15008, protocol: "HBONE", ...listener }] },
});
const principal = (n: string, s: string) => `${TD}/ns/${n}/sa/${s}`;

/** agents/a calls tools/search through the tools namespace's waypoint; its pods admit only the waypoint. */
const stack = (tools: any[]) => [
  ns("agents"), sa("agents", "a"), deployment("agents", "a"),
  sa("tools", "search"), deployment("tools", "search"),
  policy("tools", "search", { selector: { matchLabels: { app: "search" } }, rules: [{ from: [{ source: { principals: [principal("tools", "waypoint"), principal("shared", "waypoint")] } }] }] }),
  policy("tools", "search-agents", { targetRefs: [{ kind: "Service", group: "", name: "search" }], rules: [{ from: [{ source: { principals: [principal("agents", "a")] } }] }] }),
  ...tools,
];

/** The cells of row `caller`, by target. */
function row(objects: any[], caller: string): Record<string, string> {
  const md = topologyMarkdown({ deployment: { resources: objects.map((o) => capturedObject("c1", o)) } }, "prod");
  const lines = md.split("## Who may call whom")[1].split("### Edges")[0].split("\n");
  const split = (l: string) => l.split(/(?<!\\) \| /).map((c) => c.replace(/^\| |\s*\|$/g, "").trim());
  const targets = split(lines.find((l) => l.startsWith("| caller"))!).slice(1).map((t) => t.replace(/`/g, ""));
  const cells = split(lines.find((l) => l.startsWith(`| \`${caller}\``)) ?? "").slice(1);
  return Object.fromEntries(targets.map((t, i) => [t, cells[i] ?? ""]));
}

test("a Service-bound policy is enforced only where istiod gives the Service its waypoint", () => {
  const enrolled = ns("tools", { "istio.io/use-waypoint": "waypoint" });
  assert.equal(row(stack([enrolled, service("tools", "search"), waypoint("tools", "waypoint")]), "agents/a")["tools/search"], "✓", "the rendered waypoint enforces it");
  const cases: [string, any[], RegExp][] = [
    ["the waypoint the namespace names is not rendered", [enrolled, service("tools", "search"), waypoint("tools", "other")], /^not enforced: its waypoint tools\/waypoint \(istio\.io\/use-waypoint on namespace tools\) is not rendered/],
    ["the waypoint takes no Service traffic", [enrolled, service("tools", "search"), waypoint("tools", "waypoint", { "istio.io/waypoint-for": "workload" })], /^not enforced: .*takes no Service traffic \(istio\.io\/waypoint-for: workload\)/],
    ["the waypoint's class takes none", [enrolled, service("tools", "search"), waypoint("tools", "waypoint"), { apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", metadata: { name: "istio-waypoint", labels: { "istio.io/waypoint-for": "none" } }, spec: { controllerName: "istio.io/mesh-controller" } }], /takes no Service traffic \(istio\.io\/waypoint-for: none\)/],
    ["a waypoint of another namespace whose HBONE listener takes its own namespace only", [ns("tools"), ns("shared"), service("tools", "search", { "istio.io/use-waypoint": "waypoint", "istio.io/use-waypoint-namespace": "shared" }), waypoint("shared", "waypoint")], /^not enforced: its waypoint shared\/waypoint \(istio\.io\/use-waypoint on the Service\) does not take namespace tools/],
    ["a waypoint of another namespace whose Selector does not match", [ns("tools"), ns("shared"), service("tools", "search", { "istio.io/use-waypoint": "waypoint", "istio.io/use-waypoint-namespace": "shared" }), waypoint("shared", "waypoint", {}, { allowedRoutes: { namespaces: { from: "Selector", selector: { matchLabels: { waypoints: "shared" } } } } })], /does not take namespace tools/],
    ["a waypoint of an agentgateway class", [enrolled, service("tools", "search"), waypoint("tools", "waypoint", {}, {}, "agentgateway")], /^not enforced: its waypoint tools\/waypoint is an agentgateway proxy/],
  ];
  for (const [what, objs, cell] of cases) assert.match(row(stack(objs), "agents/a")["tools/search"], cell, what);
});

test("a waypoint serves the Services of other namespaces it takes, and none when it takes no Service traffic", () => {
  const shared = (listener: Record<string, unknown>, labels: Record<string, string> = {}) => [
    ns("tools", { waypoints: "shared" }), ns("shared"),
    service("tools", "search", { "istio.io/use-waypoint": "waypoint", "istio.io/use-waypoint-namespace": "shared" }),
    waypoint("shared", "waypoint", labels, listener),
    policy("shared", "waypoint-callers", { targetRefs: [{ kind: "Gateway", group: "gateway.networking.k8s.io", name: "waypoint" }], rules: [{ from: [{ source: { principals: [principal("agents", "a")] } }] }] }),
  ];
  const bySelector = { allowedRoutes: { namespaces: { from: "Selector", selector: { matchLabels: { waypoints: "shared" } } } } };
  for (const listener of [{ allowedRoutes: { namespaces: { from: "All" } } }, bySelector]) {
    const cells = row(stack(shared(listener)), "agents/a");
    assert.equal(cells["tools/search"], "✓", JSON.stringify(listener));
    assert.ok(!Object.keys(cells).some((t) => t.includes("no rendered workload")), "the waypoint's policy binds the Service's workloads");
  }
  const none = row(stack(shared(bySelector, { "istio.io/waypoint-for": "none" })), "agents/a");
  assert.match(none["tools/search"], /^not enforced: .*waypoint-for: none/);
});

test("a root-namespace policy bound to GatewayClass istio-waypoint holds at every waypoint of the class; elsewhere it binds nothing", () => {
  const byClass = (namespace: string) =>
    policy(namespace, "class-wide", { targetRefs: [{ kind: "GatewayClass", group: "gateway.networking.k8s.io", name: "istio-waypoint" }], rules: [{ from: [{ source: { principals: [principal("agents", "b")] } }] }] });
  const objs = (namespace: string) => [...stack([ns("tools", { "istio.io/use-waypoint": "waypoint" }), service("tools", "search"), waypoint("tools", "waypoint"), byClass(namespace)]), sa("agents", "b"), deployment("agents", "b")];
  const root = row(objs("istio-system"), "agents/b");
  assert.equal(root["tools/search"], "✓", "the tools' waypoint admits agents/b");
  assert.ok(!Object.keys(root).some((t) => t.startsWith("GatewayClass")), "no column for the class itself");
  assert.equal(row(objs("istio-system"), "agents/a")["tools/search"], "✓");
  const elsewhere = row(objs("tools"), "agents/b");
  assert.equal(elsewhere["tools/search"], "");
  assert.doesNotMatch(elsewhere["GatewayClass istio-waypoint"], /✓/);
  const md = topologyMarkdown({ deployment: { resources: objs("tools").map((o) => capturedObject("c1", o)) } }, "prod");
  assert.match(md, /policy `tools\/class-wide` \(not enforced: istiod binds a GatewayClass target only for istio-waypoint, from the root namespace\)/);
});

test("a policy bound to a ServiceEntry is enforced only at the waypoint istiod gives it", () => {
  const entry = (labels: Record<string, string>) => ({
    apiVersion: "networking.istio.io/v1", kind: "ServiceEntry", metadata: { name: "search-api", namespace: "tools", labels },
    spec: { hosts: ["search.example.com"], ports: [{ number: 443, name: "tls", protocol: "TLS" }], resolution: "DNS" },
  });
  const objs = (labels: Record<string, string>) => [
    ...stack([ns("tools"), service("tools", "search"), waypoint("tools", "waypoint")]),
    entry(labels),
    policy("tools", "search-api", { targetRefs: [{ kind: "ServiceEntry", group: "networking.istio.io", name: "search-api" }], rules: [{ from: [{ source: { principals: [principal("agents", "a")] } }] }] }),
  ];
  assert.equal(row(objs({ "istio.io/use-waypoint": "waypoint" }), "agents/a")["ServiceEntry tools/search-api"], "✓");
  assert.doesNotMatch(row(objs({}), "agents/a")["ServiceEntry tools/search-api"], /✓/);
  assert.doesNotMatch(row(objs({ "istio.io/use-waypoint": "missing" }), "agents/a")["ServiceEntry tools/search-api"], /✓/);
  const md = topologyMarkdown({ deployment: { resources: objs({}).map((o) => capturedObject("c1", o)) } }, "prod");
  assert.match(md, /policy `tools\/search-api` \(not enforced: no waypoint serves the ServiceEntry, and ztunnel ignores targetRefs\)/);
});

test("a policy bound to an agentgateway proxy's Service (made by its controller, labelled from the Gateway's infrastructure) is enforced only if that Service gets a waypoint", () => {
  const mcp = (labels: Record<string, string>) => ({
    apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "mcp-gateway", namespace: "tools" },
    spec: { gatewayClassName: "agentgateway", infrastructure: { labels }, listeners: [{ name: "http", port: 8080, protocol: "HTTP" }] },
  });
  const objs = (labels: Record<string, string>) => [
    ...stack([ns("tools", { "istio.io/use-waypoint": "waypoint" }), service("tools", "search"), waypoint("tools", "waypoint"), mcp(labels)]),
    policy("tools", "mcp-callers", { targetRefs: [{ kind: "Service", group: "", name: "mcp-gateway" }], rules: [{ from: [{ source: { principals: [principal("agents", "a")] } }], to: [{ operation: { paths: ["/mcp"] } }] }] }),
  ];
  const column = "Service tools/mcp-gateway (no rendered workload)";
  assert.match(row(objs({ "istio.io/use-waypoint": "none" }), "agents/a")[column], /^not enforced: no waypoint serves the Service, and ztunnel ignores targetRefs \(the Service of agentgateway Gateway tools\/mcp-gateway/);
  assert.equal(row(objs({}), "agents/a")[column], "✓ /mcp", "enrolled through its namespace, its waypoint enforces it");
});
