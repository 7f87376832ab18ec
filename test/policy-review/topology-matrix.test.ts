/**
 * The who-may-call-whom matrix of topology.md on unusual but valid policies: every cell must follow
 * from Istio 1.30.3's evaluation of the rendered AuthorizationPolicies (DENY before ALLOW, deny by
 * default once an ALLOW policy applies, fields of a source ANDed, root-namespace scope, what
 * ztunnel enforces), and the Mermaid diagram must keep distinct things distinct.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import type { CapturedResource } from "../../scripts/lib/engine";
import { capturedObject } from "../support/captured";
import { topologyMarkdown, accessEdges, mermaid, buildTopology } from "../../scripts/lib/topology";

const TD = "mesh.example";

const resource = capturedObject;
const istiod = (cluster: string, trustDomain: string): CapturedResource => ({
  urn: `urn:pulumi:prod::inference-mesh::kubernetes:helm.sh/v3:Release::${cluster}-istiod`, custom: true, type: "kubernetes:helm.sh/v3:Release",
  inputs: { name: "istiod", chart: "istiod", version: "1.30.3", namespace: "istio-system", values: { meshConfig: { trustDomain } } }, outputs: {},
  provider: `urn:pulumi:prod::inference-mesh::pulumi:providers:kubernetes::${cluster}-k8s::pid`, dependencies: [], propertyDependencies: {},
});
const sa = (namespace: string, name: string) => ({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace } });
const deployment = (namespace: string, name: string, labels: Record<string, string> = { app: name }) => ({
  apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace },
  spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { serviceAccountName: name, containers: [] } } },
});
const policy = (namespace: string, name: string, spec: any) => ({ apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name, namespace }, spec });
const principal = (ns: string, name: string, td = TD) => `${td}/ns/${ns}/sa/${name}`;

/** agents/a, agents/b, a fork's extra namespace `lab` with lab/c, and tools/web-search that only agents/a may call. */
const base = (): any[] => [
  sa("agents", "a"), sa("agents", "b"), sa("lab", "c"), sa("tools", "web-search"),
  deployment("agents", "a"), deployment("agents", "b"), deployment("lab", "c"), deployment("tools", "web-search"),
  policy("tools", "web-search", { selector: { matchLabels: { app: "web-search" } }, rules: [{ from: [{ source: { principals: [principal("agents", "a")] } }], to: [{ operation: { ports: ["8000"] } }] }] }),
];

/** The matrix rows of topology.md, as `caller -> cells`. */
function matrix(objects: any[], extra: CapturedResource[] = [], cluster = "c1"): Map<string, string[]> {
  const md = topologyMarkdown({ deployment: { resources: [...extra, ...objects.map((o) => resource(cluster, o))] } }, "prod");
  const section = md.split("## Who may call whom")[1].split("### Edges")[0];
  const rows = section.split("\n").filter((l) => l.startsWith("| `"));
  return new Map(rows.map((r) => {
    const cells = r.split(/(?<!\\) \| /).map((c) => c.replace(/^\| |\s*\|$/g, "").trim());
    return [/`([^`]*)`/.exec(cells[0])![1].replace(/\\\|/g, "|"), cells.slice(1)];
  }));
}
const header = (objects: any[]) =>
  topologyMarkdown({ deployment: { resources: objects.map((o) => resource("c1", o)) } }, "prod").split("\n").find((l) => l.startsWith("| caller"))!;

test("a DENY with notPrincipals denies every rendered identity it does not exclude, whatever ALLOW says", () => {
  const objs = [...base(), policy("tools", "only-a", { action: "DENY", selector: { matchLabels: { app: "web-search" } }, rules: [{ from: [{ source: { notPrincipals: [principal("agents", "a")] } }] }] })];
  objs.push(policy("tools", "b-too", { selector: { matchLabels: { app: "web-search" } }, rules: [{ from: [{ source: { principals: [principal("agents", "b")] } }] }] }));
  const m = matrix(objs);
  assert.match(header(objs), /\| `tools\/web-search` \|$/);
  assert.deepEqual(m.get("agents/a"), ["✓ :8000"]);
  // agents/b has an ALLOW rule of its own, but the DENY (evaluated first) matches it.
  assert.deepEqual(m.get("agents/b"), ["✗"]);
  assert.deepEqual(m.get("lab/c"), ["✗"], "a rendered identity the DENY covers gets a row");
});

test("ALLOW by namespace or serviceAccounts covers the rendered identities of that namespace; fields of one source are ANDed", () => {
  const objs = [
    ...base(),
    policy("tools", "lab", { selector: { matchLabels: { app: "web-search" } }, rules: [{ from: [{ source: { namespaces: ["lab"] } }, { source: { namespaces: ["agents"], serviceAccounts: ["agents/b"] } }] }] }),
  ];
  const m = matrix(objs);
  assert.deepEqual(m.get("lab/c"), ["✓"]);
  assert.deepEqual(m.get("agents/b"), ["✓"]);
  assert.deepEqual(m.get("agents/a"), ["✓ :8000"], "agents/a keeps its own, narrower rule");
  assert.deepEqual(m.get("any workload in namespace lab"), ["✓"]);
  assert.deepEqual(m.get("callers with namespaces agents and serviceAccounts agents/b"), ["✓"], "the ANDed source is one row");
  assert.ok(!m.has("any workload in namespace agents"), "no row claims all of namespace agents");
});

test("root-namespace policies: with a selector they select matching workloads of every namespace, without one every workload", () => {
  const objs = [
    ...base(),
    policy("istio-system", "no-lab-to-search", { action: "DENY", selector: { matchLabels: { app: "web-search" } }, rules: [{ from: [{ source: { namespaces: ["lab"] } }] }] }),
    policy("istio-system", "mesh-allow", { rules: [{ from: [{ source: { principals: [principal("agents", "b")] } }] }] }),
  ];
  const edges = accessEdges("c1", objs, undefined, TD);
  assert.deepEqual(edges.filter((e) => e.policy === "istio-system/no-lab-to-search").map((e) => e.target), ["tools/web-search"]);
  assert.deepEqual(edges.filter((e) => e.policy === "istio-system/mesh-allow").map((e) => e.target).sort(), ["agents/a", "agents/b", "lab/c", "tools/web-search"]);
  const m = matrix(objs);
  // Columns: agents/a, agents/b, lab/c, tools/web-search. The mesh-wide ALLOW makes every workload deny by default.
  assert.deepEqual(m.get("agents/b"), ["✓", "✓", "✓", "✓"]);
  assert.deepEqual(m.get("lab/c"), ["", "", "", "✗"]);
  assert.deepEqual(m.get("agents/a"), ["", "", "", "✓ :8000"]);
});

test("ztunnel drops ALLOW rules with HTTP attributes and enforces DENY rules on their L4 fields alone", () => {
  const objs = [
    sa("agents", "a"), sa("agents", "b"), deployment("agents", "a"), deployment("agents", "b"), deployment("tools", "web-search"),
    policy("tools", "l7-allow", { selector: { matchLabels: { app: "web-search" } }, rules: [{ from: [{ source: { principals: [principal("agents", "a")] } }], to: [{ operation: { paths: ["/mcp"] } }] }] }),
    policy("tools", "l7-deny", { action: "DENY", selector: { matchLabels: { app: "web-search" } }, rules: [{ from: [{ source: { principals: [principal("agents", "b")] } }], to: [{ operation: { methods: ["DELETE"] } }] }] }),
  ];
  const m = matrix(objs);
  assert.deepEqual(m.get("agents/a (never matches: ztunnel drops ALLOW rules with HTTP attributes (paths))"), ["never matches"]);
  assert.ok(!m.has("agents/a"), "no row says agents/a may call");
  assert.deepEqual(m.get("agents/b"), ["✗"], "denied outright, not only DELETE");
  const md = topologyMarkdown({ deployment: { resources: objs.map((o) => resource("c1", o)) } }, "prod");
  assert.match(md, /- ALLOW `agents\/a \(never matches: ztunnel drops ALLOW rules with HTTP attributes \(paths\)\)` → `tools\/web-search` via ztunnel \[paths \/mcp\]/);
  assert.match(md, /- DENY `agents\/b` → `tools\/web-search` via ztunnel \(HTTP attributes methods ignored: denies on L4 alone\) — policy `tools\/l7-deny`/);
});

test("a verdict that differs between clusters says where each holds; agents on some clusters only", () => {
  const east = base();
  const west = [...base(), policy("tools", "no-a", { action: "DENY", selector: { matchLabels: { app: "web-search" } }, rules: [{ from: [{ source: { principals: [principal("agents", "a")] } }] }] })];
  // tools/extra only on east, with no ALLOW policy: open there.
  east.push(deployment("tools", "extra"), policy("tools", "no-b", { action: "DENY", selector: { matchLabels: { app: "extra" } }, rules: [{ from: [{ source: { principals: [principal("agents", "b")] } }] }] }));
  const md = topologyMarkdown({ deployment: { resources: [...east.map((o) => resource("east", o)), ...west.map((o) => resource("west", o))] } }, "prod");
  assert.match(md, /\| `agents\/a` \| open \| ✓ :8000 \(east\); ✗ \(west\) \|/);
  assert.match(md, /\| `agents\/b` \| ✗ \| {2}\|/);
});

test("principals of another trust domain match nobody; a Service-bound policy without a waypoint is not enforced", () => {
  const objs = [
    ...base(),
    { apiVersion: "v1", kind: "Service", metadata: { name: "web-search", namespace: "tools" }, spec: { selector: { app: "web-search" }, ports: [{ port: 8000 }] } },
    policy("tools", "foreign", { selector: { matchLabels: { app: "web-search" } }, rules: [{ from: [{ source: { principals: [principal("agents", "b", "other.example")] } }] }] }),
    policy("tools", "by-service", { targetRefs: [{ kind: "Service", group: "", name: "web-search" }], rules: [{ from: [{ source: { principals: [principal("lab", "c")] } }] }] }),
  ];
  const m = matrix(objs, [istiod("c1", TD)]);
  assert.deepEqual(m.get("agents/b"), undefined, "no row claims agents/b may call");
  assert.deepEqual(m.get("principal other.example/ns/agents/sa/b (never matches: the mesh's trust domain is mesh.example)"), ["never matches"]);
  assert.deepEqual(m.get("lab/c"), ["not enforced: no waypoint serves the Service, and ztunnel ignores targetRefs"]);
  const md = topologyMarkdown({ deployment: { resources: [istiod("c1", TD), ...objs.map((o) => resource("c1", o))] } }, "prod");
  assert.match(md, /`principal other\.example\/ns\/agents\/sa\/b \(never matches: the mesh's trust domain is mesh\.example\)`/);
});

test("names that break Markdown tables or Mermaid: pipes escaped in every table cell, colliding node ids kept apart, # and < written as entities", () => {
  const gw = (ns: string, name: string) => ({ apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name, namespace: ns }, spec: { gatewayClassName: "istio", listeners: [] } });
  const stack: CapturedResource = {
    urn: "urn:pulumi:prod::inference-mesh::pulumi:pulumi:Stack::inference-mesh-prod", custom: false, type: "pulumi:pulumi:Stack", inputs: {},
    outputs: { clusters: [{ name: "c1", cloud: "existing", region: "lab|rack 3", network: "n1" }] }, dependencies: [], propertyDependencies: {},
  };
  const route = {
    apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "r", namespace: "a" },
    spec: { parentRefs: [{ name: "b-c" }], rules: [{ matches: [{ headers: [{ name: "x", value: "#35;<b>" }] }], backendRefs: [{ name: "s" }] }] },
  };
  const resources = [stack, ...[gw("a-b", "c"), gw("a", "b-c"), route].map((o) => resource("c1", o))];
  const md = topologyMarkdown({ deployment: { resources } }, "prod");
  assert.match(md, /\| c1 \| existing \| lab\\\|rack 3 \| n1 \|/);
  const diagram = mermaid(buildTopology(resources, "prod"));
  const ids = [...diagram.matchAll(/^ {4}(\S+)\["gateway /gm)].map((x) => x[1]);
  assert.equal(new Set(ids).size, 2, diagram);
  assert.match(diagram, /-->\|"x=#35;35;#lt;b#gt;"\|/);
  assert.equal(topologyMarkdown({ deployment: { resources } }, "prod"), md, "same input, same bytes");
});

test("a DENY rule that can never match denies nobody: its cell says so instead of ✗", () => {
  const ingress = { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "ingress", namespace: "istio-system" }, spec: { gatewayClassName: "istio", listeners: [] } };
  const objs = [
    ...base(),
    ingress,
    // Another trust domain's principal names nobody in this mesh.
    policy("tools", "deny-foreign", { action: "DENY", selector: { matchLabels: { app: "web-search" } }, rules: [{ from: [{ source: { principals: [principal("agents", "b", "other.example")] } }] }] }),
    // An Istio ingress gateway sits outside the ambient data plane and never sees a caller's mesh identity.
    policy("istio-system", "deny-at-ingress", { action: "DENY", targetRefs: [{ kind: "Gateway", group: "gateway.networking.k8s.io", name: "ingress" }], rules: [{ from: [{ source: { principals: [principal("agents", "a")] } }] }] }),
  ];
  const m = matrix(objs, [istiod("c1", TD)]);
  assert.deepEqual(m.get("principal other.example/ns/agents/sa/b (never matches: the mesh's trust domain is mesh.example)"), ["", "never matches"]);
  assert.deepEqual(m.get("agents/a (never matches: the gateway sees no mesh identity)"), ["never matches", ""]);
  assert.deepEqual(m.get("agents/a"), ["open", "✓ :8000"], "the gateway stays open to agents/a (no ALLOW applies to it), and its ALLOW to web-search holds");
});
