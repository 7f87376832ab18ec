/**
 * The who-may-call-whom matrix of topology.md on unusual but valid policies: every cell must follow
 * from Istio 1.30.3's evaluation of the rendered AuthorizationPolicies (DENY before ALLOW, deny by
 * default once an ALLOW policy applies, fields of a source ANDed, root-namespace scope, what
 * ztunnel enforces), and the Mermaid diagram must keep distinct things distinct. What istiod's
 * settings (trust domain, aliases, root namespace) change is topology-istiod.test.ts's.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import type { CapturedResource } from "../../scripts/lib/engine";
import { capturedObject } from "../support/captured";
import { topologyMarkdown, accessEdges, mermaid, buildTopology } from "../../scripts/lib/topology";
import { TD, sa } from "../support/topology-fleet";
import { istiod, deployment, policy, principal, base, matrix, header } from "../support/topology-matrix";

const resource = capturedObject;

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
  const edges = accessEdges("c1", objs, undefined, { trustDomain: TD });
  assert.deepEqual(edges.filter((e) => e.policy === "istio-system/no-lab-to-search").map((e) => e.target), ["tools/web-search"]);
  assert.deepEqual(edges.filter((e) => e.policy === "istio-system/mesh-allow").map((e) => e.target).sort(), ["agents/a", "agents/b", "lab/c", "tools/web-search"]);
  const m = matrix(objs);
  // Columns: agents/a, agents/b, lab/c, tools/web-search. The mesh-wide ALLOW makes every workload deny by default.
  assert.deepEqual(m.get("agents/b"), ["✓", "✓", "✓", "✓"]);
  assert.deepEqual(m.get("lab/c"), ["", "", "", "✗"]);
  assert.deepEqual(m.get("agents/a"), ["", "", "", "✓ :8000"]);
});

test("ztunnel drops ALLOW rules with HTTP attributes and enforces DENY rules on what it reads: ports deny on L4 alone, an operation or source left empty matches nobody", () => {
  const objs = [
    sa("agents", "a"), sa("agents", "b"), sa("lab", "c"), deployment("agents", "a"), deployment("agents", "b"), deployment("lab", "c"), deployment("tools", "web-search"),
    policy("tools", "l7-allow", { selector: { matchLabels: { app: "web-search" } }, rules: [{ from: [{ source: { principals: [principal("agents", "a")] } }], to: [{ operation: { paths: ["/mcp"] } }] }] }),
    // ports and methods: ztunnel keeps the port and denies every request on it.
    policy("tools", "l7-deny", { action: "DENY", selector: { matchLabels: { app: "web-search" } }, rules: [{ from: [{ source: { principals: [principal("agents", "b")] } }], to: [{ operation: { ports: ["8000"], methods: ["DELETE"] } }] }] }),
    // Methods only, a request principal only, an HTTP `when`: each leaves ztunnel an empty match, which it skips (rbac.rs).
    policy("tools", "l7-only-deny", {
      action: "DENY", selector: { matchLabels: { app: "web-search" } },
      rules: [
        { from: [{ source: { principals: [principal("lab", "c")] } }], to: [{ operation: { methods: ["DELETE"] } }] },
        { from: [{ source: { requestPrincipals: ["https://issuer/*"] } }] },
        { from: [{ source: { principals: [principal("agents", "a")] } }], when: [{ key: "request.headers[x-debug]", values: ["1"] }] },
      ],
    }),
  ];
  const m = matrix(objs);
  assert.deepEqual(m.get("agents/a (never matches: ztunnel drops ALLOW rules with HTTP attributes (paths))"), ["never matches"]);
  assert.ok(!m.has("agents/a"), "no row says agents/a may call (its DENY never matches, its ALLOW is dropped)");
  assert.deepEqual(m.get("agents/b"), ["✗ :8000"], "denied on the port, whatever the method");
  assert.ok(!m.has("lab/c"), "the methods-only DENY denies nobody, and the ALLOW policy still denies lab/c by default");
  assert.deepEqual(m.get("lab/c (never matches: ztunnel reads nothing of its operations (only methods) and skips a match left empty)"), ["never matches"]);
  assert.deepEqual(m.get("request principal https://issuer/* (never matches: ztunnel reads nothing of its sources (only requestPrincipals) and skips a match left empty)"), ["never matches"]);
  const md = topologyMarkdown({ deployment: { resources: objs.map((o) => resource("c1", o)) } }, "prod");
  assert.match(md, /- ALLOW `agents\/a \(never matches: ztunnel drops ALLOW rules with HTTP attributes \(paths\)\)` → `tools\/web-search` via ztunnel \[paths \/mcp\]/);
  assert.match(md, /- DENY `agents\/b` → `tools\/web-search` via ztunnel \(HTTP attributes methods ignored: denies on L4 alone\) \[ports 8000\] — policy `tools\/l7-deny`/);
  assert.match(md, /- DENY `agents\/a \(never matches: ztunnel reads nothing of when request\.headers\[x-debug\] and skips a match left empty\)` → `tools\/web-search`/);
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

test("a policy nothing enforces fills no cell: dry-run (istio.io/dry-run as Go's ParseBool reads it), CUSTOM at ztunnel (AUDIT likewise), a selector without matchLabels, an agentgateway Gateway", () => {
  const agw = { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "agent-gateway", namespace: "agents" }, spec: { gatewayClassName: "agentgateway", listeners: [] } };
  const dryRun = (value: string, name: string) => ({ ...policy("tools", name, { action: "DENY", selector: { matchLabels: { app: "web-search" } }, rules: [{ from: [{ source: { principals: [principal("agents", "a")] } }] }] }), metadata: { name, namespace: "tools", annotations: { "istio.io/dry-run": value } } });
  const objs = [
    ...base(), agw,
    dryRun("True", "dry-deny"),
    // Not a Go boolean: Istio enforces the policy.
    { ...policy("lab", "deny-b", { action: "DENY", rules: [{ from: [{ source: { principals: [principal("agents", "b")] } }] }] }), metadata: { name: "deny-b", namespace: "lab", annotations: { "istio.io/dry-run": "yes" } } },
    policy("lab", "ext-authz", { action: "CUSTOM", provider: { name: "opa" }, rules: [{ to: [{ operation: { ports: ["8080"] } }] }] }),
    // selector: {} — a workload selector with no labels: istiod attaches it to no workload.
    policy("tools", "no-labels", { selector: {}, rules: [{ from: [{ source: { principals: [principal("lab", "c")] } }] }] }),
    policy("agents", "gateway-callers", { targetRefs: [{ kind: "Gateway", group: "gateway.networking.k8s.io", name: "agent-gateway" }], rules: [{ from: [{ source: { principals: [principal("lab", "c")] } }] }] }),
  ];
  const m = matrix(objs, [istiod("c1", TD)]);
  // Columns: Gateway agents/agent-gateway, lab/c, selector without matchLabels (no rendered workload), tools/web-search.
  assert.match(header(objs), /\| `Gateway agents\/agent-gateway` \| `lab\/c` \| `selector without matchLabels \(no rendered workload\)` \| `tools\/web-search` \|$/);
  assert.deepEqual(m.get("agents/a"), ["open", "open", "", "✓ :8000"], "the dry-run DENY denies nothing");
  assert.deepEqual(m.get("agents/b"), ["open", "✗", "", ""]);
  assert.deepEqual(m.get("lab/c"), ["open", "open", "not enforced: a selector without matchLabels selects no workload in ambient", ""], "nothing guards the agentgateway Gateway: open");
  assert.match(topologyMarkdown({ deployment: { resources: objs.map((o) => resource("c1", o)) } }, "prod"), /- ALLOW `lab\/c` → `Gateway agents\/agent-gateway` via gateway — policy `agents\/gateway-callers` \(not enforced: agentgateway reads no Istio AuthorizationPolicy \(its own is AgentgatewayPolicy\), and ztunnel ignores targetRefs\)/);
  assert.deepEqual(m.get("any caller (rule without sources)"), ["", "not enforced: ztunnel does not support the CUSTOM action", "", ""]);
  // Istio's own agentgateway class (istio.io/agentgateway-controller) enforces no AuthorizationPolicy either.
  const istioAgw = { ...agw, spec: { ...agw.spec, gatewayClassName: "istio-agentgateway" } };
  const viaIstioClass = matrix(objs.map((o) => (o === agw ? istioAgw : o)), [istiod("c1", TD)]);
  assert.deepEqual(viaIstioClass.get("lab/c")?.[0], "open");
  assert.ok(!m.has("tools/web-search"), "a rule nothing enforces adds no covered identity as a row");
  const md = topologyMarkdown({ deployment: { resources: [istiod("c1", TD), ...objs.map((o) => resource("c1", o))] } }, "prod");
  assert.match(md, /- DENY `agents\/a` → `tools\/web-search` via ztunnel — policy `tools\/dry-deny` \(not enforced: a dry-run policy \(istio\.io\/dry-run\) is only logged\)/);
  // Its own authorization is AgentgatewayPolicy's (topology-agw.test.ts): with none rendered, the matrix says nothing guards it, and only where one is rendered.
  assert.match(md, /No traffic\.authorization guards the agentgateway Gateways `agents\/agent-gateway` on `c1`: every caller that reaches them passes/);
  assert.doesNotMatch(topologyMarkdown({ deployment: { resources: base().map((o) => resource("c1", o)) } }, "prod"), /agentgateway/);
  // Istio's own class reads no AgentgatewayPolicy either: not in the matrix.
  const viaIstioMd = topologyMarkdown({ deployment: { resources: [istiod("c1", TD), ...objs.map((o) => resource("c1", o === agw ? istioAgw : o))] } }, "prod");
  assert.match(viaIstioMd, /Not in the matrix: who may call `agents\/agent-gateway` \(class istio-agentgateway\)/);
});

test("`when` source.namespace and source.principal decide a caller's cell with the rule's sources", () => {
  const objs = [
    ...base(),
    policy("agents", "a-callers", { selector: { matchLabels: { app: "a" } }, rules: [{ from: [{ source: { namespaces: ["agents", "lab"] } }], when: [{ key: "source.namespace", values: ["lab"] }] }] }),
    policy("agents", "b-callers", { selector: { matchLabels: { app: "b" } }, rules: [{ when: [{ key: "source.principal", notValues: [principal("agents", "a")] }] }] }),
  ];
  const m = matrix(objs, [istiod("c1", TD)]);
  // Columns: agents/a, agents/b, tools/web-search.
  assert.deepEqual(m.get("lab/c"), ["✓ when source.namespace in lab", "✓ when source.principal not in mesh.example/ns/agents/sa/a", ""]);
  assert.deepEqual(m.get("agents/b"), ["", "✓ when source.principal not in mesh.example/ns/agents/sa/a", ""]);
  assert.deepEqual(m.get("agents/a"), ["", "", "✓ :8000"], "agents/a is in namespace agents, not lab, and is the principal excluded");
});

test("a policy whose targetRef names a namespace, even its own, binds nothing: the AuthorizationPolicy CRD refuses it (self.size() == 0)", () => {
  const wp = { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "waypoint", namespace: "tools" }, spec: { gatewayClassName: "istio-waypoint", listeners: [] } };
  const svc = { apiVersion: "v1", kind: "Service", metadata: { name: "web-search", namespace: "tools", labels: { "istio.io/use-waypoint": "waypoint" } }, spec: { selector: { app: "web-search" }, ports: [{ port: 8000 }] } };
  const bound = (namespace?: string) => policy("tools", "by-service", { targetRefs: [{ kind: "Service", group: "", name: "web-search", ...(namespace === undefined ? {} : { namespace }) }], rules: [{ from: [{ source: { principals: [principal("lab", "c")] } }] }] });
  assert.deepEqual(matrix([...base(), wp, svc, bound()], [istiod("c1", TD)]).get("lab/c"), ["✓"]);
  assert.deepEqual(matrix([...base(), wp, svc, bound("")], [istiod("c1", TD)]).get("lab/c"), ["✓"], "an empty namespace is the policy's own");
  assert.deepEqual(matrix([...base(), wp, svc, bound("tools")], [istiod("c1", TD)]).get("lab/c"), ["not enforced: the AuthorizationPolicy CRD refuses a targetRef with a namespace, so the API server refuses the policy"]);
});

test("a targetRef of a kind or group istiod does not bind (an HTTPRoute, a Gateway without its group) enforces nothing", () => {
  const wp = { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "waypoint", namespace: "lab" }, spec: { gatewayClassName: "istio-waypoint", listeners: [] } };
  const svc = { apiVersion: "v1", kind: "Service", metadata: { name: "c", namespace: "lab", labels: { "istio.io/use-waypoint": "waypoint" } }, spec: { selector: { app: "c" }, ports: [{ port: 8080 }] } };
  const bound = (ref: { kind: string; name: string; group?: string }) => [...base(), wp, svc, policy("lab", "c-callers", { targetRefs: [ref], rules: [{ from: [{ source: { principals: [principal("agents", "a")] } }] }] })];
  assert.deepEqual(matrix(bound({ kind: "Gateway", group: "gateway.networking.k8s.io", name: "waypoint" }), [istiod("c1", TD)]).get("agents/a")?.[0], "✓");
  for (const ref of [{ kind: "Gateway", name: "waypoint" }, { kind: "HTTPRoute", group: "gateway.networking.k8s.io", name: "c" }, { kind: "Service", group: "networking.istio.io", name: "c" }]) {
    // Columns: the target, then tools/web-search (agents/a's own ✓ :8000).
    assert.doesNotMatch(matrix(bound(ref), [istiod("c1", TD)]).get("agents/a")![0], /✓/, JSON.stringify(ref));
    const md = topologyMarkdown({ deployment: { resources: [istiod("c1", TD), ...bound(ref).map((o) => resource("c1", o))] } }, "prod");
    assert.match(md, /policy `lab\/c-callers` \(not enforced: istiod binds only core Service, networking\.istio\.io ServiceEntry and gateway\.networking\.k8s\.io Gateway or GatewayClass targets\)/, JSON.stringify(ref));
  }
});
