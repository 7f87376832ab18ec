/**
 * topology.md as pure functions of captured resources: clusters and networks, east-west links,
 * remote secrets, routes and pools, and the who-may-call-whom graph from AuthorizationPolicies
 * built with the platform's own builder (components/mesh/authz.ts).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import type { CapturedResource } from "../../scripts/lib/engine";
import { capturedObject } from "../support/captured";
import { buildTopology, accessEdges, topologyMarkdown, mermaid } from "../../scripts/lib/topology";
import { workloadsOf } from "../../scripts/lib/topology-access";
import { allowPolicy } from "../../components/mesh/authz";

const TD = "mesh.example";

const resource = capturedObject;

const ns = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
const sa = (namespace: string, name: string) => ({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace } });
const deployment = (namespace: string, name: string, serviceAccount: string, labels: Record<string, string>) => ({
  apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace },
  spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { serviceAccountName: serviceAccount, containers: [] } } },
});
const service = (namespace: string, name: string, selector: Record<string, string>, labels: Record<string, string> = {}) => ({
  apiVersion: "v1", kind: "Service", metadata: { name, namespace, labels }, spec: { selector, ports: [{ port: 8000 }] },
});
const gateway = (namespace: string, name: string, gatewayClassName: string, listeners: any[]) => ({
  apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name, namespace }, spec: { gatewayClassName, listeners },
});

function clusterObjects(cluster: string, network: string, peers: string[]): any[] {
  return [
    ns("istio-system", { "topology.istio.io/network": network }),
    ns("agents", { "istio.io/dataplane-mode": "ambient" }),
    ns("tools", { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" }),
    sa("agents", "research-agent"), sa("agents", "agentgateway"), sa("tools", "web-search"), sa("tools", "calculator"),
    deployment("agents", "research-agent-v1", "research-agent", { app: "research-agent", version: "v1" }),
    deployment("agents", "agentgateway", "agentgateway", { app: "agentgateway" }),
    deployment("tools", "web-search", "web-search", { app: "web-search" }),
    deployment("tools", "calculator", "calculator", { app: "calculator" }),
    service("tools", "web-search", { app: "web-search" }),
    service("tools", "calculator", { app: "calculator" }, { "istio.io/use-waypoint": "none" }),
    gateway("istio-system", "istio-eastwestgateway", "istio-east-west", [{ name: "mesh", port: 15008, protocol: "HBONE", tls: { mode: "Terminate" } }]),
    gateway("tools", "waypoint", "istio-waypoint", [{ name: "mesh", port: 15008, protocol: "HBONE" }]),
    gateway("inference", "inference-gateway", "istio", [{ name: "https", port: 443, protocol: "HTTPS", tls: { mode: "Terminate" } }]),
    {
      apiVersion: "inference.networking.k8s.io/v1", kind: "InferencePool", metadata: { name: "qwen-v1", namespace: "inference" },
      spec: { selector: { matchLabels: { model: "qwen", version: "v1" } }, targetPorts: [{ number: 8000 }], endpointPickerRef: { name: "qwen-v1-epp", port: { number: 9002 }, failureMode: "FailOpen" } },
    },
    {
      apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "qwen", namespace: "inference" },
      spec: {
        parentRefs: [{ name: "inference-gateway" }],
        rules: [
          // weight 1 on a lone backend is all of the rule's traffic, not "1%".
          { matches: [{ headers: [{ name: "x-canary", value: "true" }] }], backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: "qwen-v2", weight: 1 }] },
          { backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: "qwen-v1", weight: 95 }, { group: "inference.networking.k8s.io", kind: "InferencePool", name: "qwen-v2", weight: 5 }] },
        ],
      },
    },
    ...peers.map((p) => ({
      apiVersion: "v1", kind: "Secret",
      metadata: { name: `istio-remote-secret-${p}`, namespace: "istio-system", labels: { "istio/multiCluster": "true" }, annotations: { "networking.istio.io/cluster": p } },
    })),
    allowPolicy({ name: "research-agent", namespace: "agents", trustDomain: TD, target: { selector: { app: "research-agent" } }, rules: [{ from: [{ namespace: "agents", serviceAccount: "agentgateway" }], ports: [8080] }] }),
    allowPolicy({
      name: "tools", namespace: "tools", trustDomain: TD,
      target: { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "waypoint" }] },
      rules: [{ from: [{ namespace: "agents", serviceAccount: "research-agent" }, { namespace: "agents", serviceAccount: "ghost" }], paths: ["/mcp"] }],
    }),
    { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "no-ghost", namespace: "tools" }, spec: { action: "DENY", selector: { matchLabels: { app: "calculator" } }, rules: [{ from: [{ source: { principals: [`${TD}/ns/agents/sa/ghost`] } }] }] } },
  ];
}

function fleet(networks: [string, string]): CapturedResource[] {
  const stack: CapturedResource = {
    urn: "urn:pulumi:prod::inference-mesh::pulumi:pulumi:Stack::inference-mesh-prod", custom: false, type: "pulumi:pulumi:Stack", inputs: {},
    outputs: { clusters: [{ name: "east", cloud: "aws", region: "us-east-1", network: networks[0] }, { name: "west", cloud: "gcp", region: "us-west1", network: networks[1] }] },
    dependencies: [], propertyDependencies: {},
  };
  return [stack, ...clusterObjects("east", networks[0], ["west"]).map((o) => resource("east", o)), ...clusterObjects("west", networks[1], ["east"]).map((o) => resource("west", o))];
}

test("clusters, networks, east-west links, remote secrets, routes and pools", () => {
  const t = buildTopology(fleet(["net-east", "net-west"]), "prod");
  assert.deepEqual(t.clusters.map((c) => [c.name, c.cloud, c.network]), [["east", "aws", "net-east"], ["west", "gcp", "net-west"]]);
  assert.deepEqual(t.eastWestLinks, [{ a: "east", b: "west" }]);
  assert.deepEqual(t.remoteSecrets, [{ reader: "east", target: "west" }, { reader: "west", target: "east" }]);
  assert.deepEqual(
    t.routes.filter((r) => r.cluster === "east").map((r) => [r.gateway, r.backend, r.weight, r.match]),
    [
      ["inference/inference-gateway", "InferencePool inference/qwen-v2", undefined, "x-canary=true"],
      ["inference/inference-gateway", "InferencePool inference/qwen-v1", 95, undefined],
      ["inference/inference-gateway", "InferencePool inference/qwen-v2", 5, undefined],
    ],
  );
  assert.deepEqual(t.pools[0].epp, { service: "qwen-v1-epp", port: 9002, failureMode: "FailOpen" });
});

test("clusters sharing a network need no east-west link", () => {
  assert.deepEqual(buildTopology(fleet(["net", "net"]), "prod").eastWestLinks, []);
});

test("access edges: selectors resolve to workloads, waypoint targetRefs to enrolled services, principals to ServiceAccounts", () => {
  const t = buildTopology(fleet(["net-east", "net-west"]), "prod");
  const edges = accessEdges("east", t.objects.get("east")!);
  const simple = edges.map((e) => [e.action, e.caller, e.callerResolved, e.target, e.via]).sort((a, b) => String(a).localeCompare(String(b)));
  assert.deepEqual(simple, [
    ["ALLOW", "agents/agentgateway", true, "agents/research-agent-v1", "ztunnel"],
    ["ALLOW", "agents/ghost", false, "tools/web-search", "waypoint tools/waypoint"],
    // calculator opted out of the waypoint, so only web-search is behind it
    ["ALLOW", "agents/research-agent", true, "tools/web-search", "waypoint tools/waypoint"],
    ["DENY", "agents/ghost", false, "tools/calculator", "ztunnel"],
  ]);
  assert.deepEqual(edges.find((e) => e.caller === "agents/agentgateway")?.ports, ["8080"]);
  assert.deepEqual(edges.find((e) => e.caller === "agents/research-agent")?.paths, ["/mcp"]);
});

test("namespace-wide and rule-less policies are spelled out", () => {
  const objs: any[] = [
    deployment("tools", "web-search", "web-search", { app: "web-search" }),
    { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "deny-all", namespace: "tools" }, spec: {} },
    { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "open", namespace: "tools" }, spec: { action: "ALLOW", rules: [{}] } },
    // A DENY policy without rules matches nothing: no edge.
    { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "deny-nothing", namespace: "tools" }, spec: { action: "DENY" } },
  ];
  const edges = accessEdges("c", objs);
  assert.deepEqual(edges.map((e) => [e.policy, e.caller, e.target]), [
    ["tools/deny-all", "nobody (ALLOW without rules)", "tools/web-search"],
    ["tools/open", "any caller (rule without sources)", "tools/web-search"],
  ]);
});

test("topology.md: mermaid with subgraphs and links, the matrix, the edge list, uncovered workloads", () => {
  const md = topologyMarkdown({ deployment: { resources: fleet(["net-east", "net-west"]) } }, "prod");
  assert.match(md, /\| east \| aws \| us-east-1 \| net-east \| istio-system\/istio-eastwestgateway \|/);
  assert.match(md, /```mermaid\nflowchart LR\n/);
  assert.match(md, /subgraph c__east\["east · aws us-east-1 · network net-east"\]/);
  assert.match(md, /c__east__gw__istio_system_istio_eastwestgateway <==>\|"HBONE mTLS"\| c__west__gw__istio_system_istio_eastwestgateway/);
  assert.match(md, /c__east__gw__inference_inference_gateway -->\|"95%"\| c__east__pool__inference__qwen_v1/);
  assert.match(md, /c__east__pool__inference__qwen_v1 -.->\|ext-proc\| c__east__epp__inference__qwen_v1_epp/);
  assert.match(md, /remote secret: `east` watches the API server of `west`/);
  assert.match(md, /\| caller \\ target \| `agents\/research-agent-v1` \| `tools\/calculator` \| `tools\/web-search` \|/);
  // calculator opted out of the waypoint: only a DENY policy applies to it, so every other caller is let in.
  assert.match(md, /\| `agents\/agentgateway` \| ✓ :8080 \| open \| {2}\|/);
  assert.match(md, /\| `agents\/ghost` ⚠ not a rendered ServiceAccount \| {2}\| ✗ \| ✓ \/mcp \|/);
  assert.match(md, /- ALLOW `agents\/research-agent` → `tools\/web-search` via waypoint tools\/waypoint \[paths \/mcp\] — policy `tools\/tools` on `east`/);
  assert.match(md, /### Workloads no AuthorizationPolicy selects\n\nAny mesh workload may call these:\n\n- `agents\/agentgateway` on `east`/);
  assert.doesNotMatch(md, /`tools\/calculator` on `east`/, "calculator is selected by the DENY policy");
});

test("mermaid node ids are safe and labels quote-escaped", () => {
  const t = buildTopology(fleet(["net-east", "net-west"]), "prod");
  for (const line of mermaid(t).split("\n").slice(1)) {
    const ids = line.trim().replace(/\[".*?"\]|\|".*?"\||\|[^|]*\|/g, " ").split(/\s+|-->|<==>|-\.->/).filter((x) => x && x !== "subgraph" && x !== "end" && x !== "direction" && x !== "TB");
    for (const nodeId of ids) assert.match(nodeId, /^[A-Za-z0-9_]+$/, line);
  }
  // A served model name is any text: a quote in it would close its edge label early.
  const quoted = [
    gateway("inference", "inference-gateway", "istio", []),
    { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "r", namespace: "inference" }, spec: { parentRefs: [{ name: "inference-gateway" }], rules: [{ matches: [{ headers: [{ name: "X-Gateway-Base-Model-Name", value: 'org/"m"' }] }], backendRefs: [{ name: "a" }] }] } },
  ];
  const edges = mermaid(buildTopology(quoted.map((o) => resource("c", o)), "s")).split("\n").filter((l) => l.includes("-->"));
  assert.deepEqual(edges, ['  c__c__gw__inference_inference_gateway -->|"X-Gateway-Base-Model-Name=org/#quot;m#quot;"| c__c__backend__Service_inference_a']);
});

test("principals of controller-provisioned gateway proxies resolve to their Gateway (Istio <name>-<class>, bare name for waypoints and agentgateway)", () => {
  const objs: any[] = [
    gateway("inference", "inference-gateway", "istio", []),
    gateway("tools", "waypoint", "istio-waypoint", []),
    gateway("agents", "agent-gateway", "agentgateway", []),
    deployment("inference", "model", "model", { app: "model" }),
    allowPolicy({
      name: "model", namespace: "inference", trustDomain: TD, target: { selector: { app: "model" } },
      rules: [{ from: [{ namespace: "inference", serviceAccount: "inference-gateway-istio" }, { namespace: "tools", serviceAccount: "waypoint" }, { namespace: "agents", serviceAccount: "agent-gateway" }, { namespace: "inference", serviceAccount: "inference-gateway" }] }],
    }),
  ];
  const byCaller = Object.fromEntries(accessEdges("c", objs).map((e) => [e.caller, [e.callerResolved, e.callerNote]]));
  assert.deepEqual(byCaller, {
    "inference/inference-gateway-istio": [true, "proxy of Gateway inference/inference-gateway"],
    "tools/waypoint": [true, "proxy of Gateway tools/waypoint"],
    "agents/agent-gateway": [true, "proxy of Gateway agents/agent-gateway"],
    "inference/inference-gateway": [false, undefined],
  });
});

test("an Istio ingress Gateway sees no mesh identity: its principals are marked never-matching, and NetworkPolicies say who reaches its pods", () => {
  const objects = [
    ...clusterObjects("east", "net-east", []),
    {
      apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "inference-gateway-callers", namespace: "inference" },
      spec: {
        targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "inference-gateway" }],
        rules: [{ from: [{ source: { notPrincipals: ["*"] } }], to: [{ operation: { ports: ["443"] } }] }, { from: [{ source: { principals: [`${TD}/ns/agents/sa/research-agent`] } }] }],
      },
    },
    {
      apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "inference-gateway-callers", namespace: "inference" },
      spec: {
        podSelector: { matchLabels: { "gateway.networking.k8s.io/gateway-name": "inference-gateway" } },
        policyTypes: ["Ingress"],
        ingress: [
          { ports: [{ protocol: "TCP", port: 443 }] },
          { from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "agents" } }, podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["research-agent"] }] } }], ports: [{ protocol: "TCP", port: 80 }] },
          { from: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } }], ports: [{ protocol: "TCP", port: 8080 }] },
        ],
      },
    },
  ];
  const md = topologyMarkdown({ deployment: { resources: objects.map((o) => resource("east", o)) } }, "prod");
  assert.match(md, /- ALLOW `callers without a mesh identity` → `Gateway inference\/inference-gateway` via gateway \[ports 443\]/);
  assert.match(md, /- ALLOW `agents\/research-agent \(never matches: the gateway sees no mesh identity\)` → `Gateway inference\/inference-gateway`/);
  assert.match(md, /## Who may reach which pods \(NetworkPolicies\)/);
  assert.match(
    md,
    /- `inference\/inference-gateway-callers` guards `Gateway inference\/inference-gateway`: port 443 from `anywhere`; port 80 from `agents\/research-agent-v1`; port 8080 from `ipBlock 10.0.0.0\/8 except 10.1.0.0\/16` — on `east`/,
  );
});

test("principals [\"*\"] is spelled out as any authenticated caller (any mesh identity), not as a principal named '*'", () => {
  const objs: any[] = [
    deployment("tools", "web-search", "web-search", { app: "web-search" }),
    sa("agents", "research-agent"),
    {
      apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "any-identity", namespace: "tools" },
      spec: { action: "ALLOW", selector: { matchLabels: { app: "web-search" } }, rules: [{ from: [{ source: { principals: ["*"] } }, { source: { principals: [`${TD}/ns/agents/sa/research-agent`] } }] }] },
    },
  ];
  assert.deepEqual(accessEdges("c", objs).map((e) => [e.caller, e.callerResolved, e.target]), [
    ["any authenticated caller", false, "tools/web-search"],
    ["agents/research-agent", true, "tools/web-search"],
  ]);
  const md = topologyMarkdown({ deployment: { resources: objs.map((o) => resource("c", o)) } }, "prod");
  assert.match(md, /- ALLOW `any authenticated caller` → `tools\/web-search` via ztunnel — policy `tools\/any-identity` on `c`/);
});

test("a label starting with a backtick is written as an entity: Mermaid reads a quote and a backtick as the opening of a markdown string, and the diagram failed to lex", () => {
  const objs: any[] = [
    gateway("inference", "inference-gateway", "istio", []),
    {
      apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "r", namespace: "inference" },
      // Gateway API's header-name pattern allows a backtick anywhere, the first character included.
      spec: { parentRefs: [{ name: "inference-gateway" }], rules: [{ matches: [{ headers: [{ name: "`x-h", value: "a`b" }] }], backendRefs: [{ name: "svc" }] }] },
    },
  ];
  const diagram = mermaid(buildTopology(objs.map((o) => resource("c", o)), "s"));
  assert.match(diagram, /c__c__gw__inference_inference_gateway -->\|"#96;x-h=a#96;b"\| c__c__backend__Service_inference_svc$/m);
  assert.doesNotMatch(diagram, /`/);
});

/** Cells of a Markdown table row as GFM splits it: on every pipe not escaped with a backslash. */
const cellsOf = (row: string) => row.replace(/\\\|/g, "").split("|").length - 2;

test("matrix rows keep their column count: a caller's Gateway note is pipe-escaped, and line breaks in a policy's values are written as spaces", () => {
  const objs: any[] = [
    // Hand-made objects: a Gateway whose name holds a pipe, a source whose namespace holds a line break.
    gateway("a|b", "g|w", "istio-waypoint", []),
    deployment("tools", "web-search", "web-search", { app: "web-search" }),
    {
      apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "p", namespace: "tools" },
      spec: { selector: { matchLabels: { app: "web-search" } }, rules: [{ from: [{ source: { principals: [`${TD}/ns/a|b/sa/g|w`] } }, { source: { namespaces: ["x\ny"] } }] }] },
    },
  ];
  const md = topologyMarkdown({ deployment: { resources: objs.map((o) => resource("c", o)) } }, "s");
  const rows = md.slice(md.indexOf("| caller")).split("\n\n")[0].split("\n");
  assert.deepEqual(rows, [
    "| caller \\ target | `tools/web-search` |",
    "| --- | --- |",
    "| `any workload in namespace x y` | ✓ |",
    "| `a\\|b/g\\|w` (proxy of Gateway a\\|b/g\\|w) | ✓ |",
  ]);
  for (const row of rows) assert.equal(cellsOf(row), 2, row);
});

test("labels hold no line break and no '%%': Mermaid cuts '%%{…' out as a directive and drops a line starting with '%%' as a comment, quotes or not, so a served model name holding either broke the diagram", () => {
  const objs: any[] = [
    gateway("inference", "inference-gateway", "istio", []),
    {
      apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "r", namespace: "inference" },
      spec: {
        parentRefs: [{ name: "inference-gateway" }],
        // The X-Gateway-Base-Model-Name match carries the model's servedModelName, which the config takes as any text.
        rules: [
          { matches: [{ headers: [{ name: "X-Gateway-Base-Model-Name", value: "org/m%%{x" }] }], backendRefs: [{ name: "a" }] },
          { matches: [{ headers: [{ name: "X-Gateway-Base-Model-Name", value: "org/a\n%%b\r\n```\u2028%%%" }] }], backendRefs: [{ name: "b" }] },
        ],
      },
    },
  ];
  const diagram = mermaid(buildTopology(objs.map((o) => resource("c", o)), "s"));
  const edges = diagram.split("\n").filter((l) => l.includes("-->"));
  assert.deepEqual(edges, [
    '  c__c__gw__inference_inference_gateway -->|"X-Gateway-Base-Model-Name=org/m%#37;{x"| c__c__backend__Service_inference_a',
    '  c__c__gw__inference_inference_gateway -->|"X-Gateway-Base-Model-Name=org/a#10;%#37;b#13;#10;#96;#96;#96;#8232;%#37;%"| c__c__backend__Service_inference_b',
  ]);
  assert.doesNotMatch(diagram, /%%/);
});

test("a platform too large for one Mermaid diagram gets one per cluster (more than 500 edges failed the parse, so GitHub drew nothing), and a cluster too large alone is named, not drawn", () => {
  const routes = (n: number) => ({
    apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "r", namespace: "inference" },
    spec: { parentRefs: [{ name: "inference-gateway" }], rules: Array.from({ length: n }, (_, i) => ({ backendRefs: [{ name: `svc-${i}` }] })) },
  });
  const cluster = (name: string, n: number) => [
    ns("istio-system", { "topology.istio.io/network": `net-${name}` }),
    gateway("istio-system", "istio-eastwestgateway", "istio-east-west", [{ name: "mesh", port: 15008, protocol: "HBONE" }]),
    gateway("inference", "inference-gateway", "istio", []),
    routes(n),
  ].map((o) => resource(name, o));
  const t = buildTopology([...cluster("a", 200), ...cluster("b", 200), ...cluster("c", 200)], "s");
  // One diagram would be 600 routes and 3 east-west links: past Mermaid's 500 edges.
  assert.equal(mermaid(t).split("\n").filter((l) => /-->|<==>/.test(l)).length, 603);
  const md = topologyMarkdown({ deployment: { resources: [...cluster("a", 200), ...cluster("b", 200), ...cluster("c", 200)] } }, "s");
  const blocks = [...md.matchAll(/```mermaid\n([\s\S]*?)\n```/g)].map((m) => m[1]);
  assert.match(md, /The platform in one diagram would have 603 edges and \d+ characters \(Mermaid draws at most 500 edges and 50000 characters in a diagram, limits a diagram cannot raise\), so each cluster has a diagram of its own\./);
  assert.match(md, /\*\*East-west links\*\*\n\n```mermaid\nflowchart LR\n {2}subgraph c__a\["a · network net-a"\]\n {4}direction TB\n {4}c__a__gw__istio_system_istio_eastwestgateway\["east-west gateway istio-system\/istio-eastwestgateway · 15008\/HBONE"\]\n {2}end\n/);
  assert.deepEqual(blocks.map((b) => b.split("\n").filter((l) => /-->|<==>/.test(l)).length), [3, 200, 200, 200]);
  assert.deepEqual([...md.matchAll(/^\*\*(.*)\*\*$/gm)].map((m) => m[1]), ["East-west links", "Cluster `a`", "Cluster `b`", "Cluster `c`"]);
  for (const b of blocks) assert.ok(b.length < 50_000);

  const huge = topologyMarkdown({ deployment: { resources: [...cluster("a", 10), ...cluster("b", 600)] } }, "s");
  assert.match(huge, /\*\*Cluster `b`\*\*\n\nNot drawn: 600 edges and \d+ characters, more than Mermaid draws; its gateways and InferencePools are in the clusters table\.\n/);
  assert.equal([...huge.matchAll(/```mermaid\n/g)].length, 2, "the east-west links and cluster a");

  // Few edges but much text: Mermaid renders more than 50000 characters as "Maximum text size in diagram exceeded".
  const wordy = (name: string) => cluster(name, 0).concat(resource(name, { ...routes(0), metadata: { name: "wordy", namespace: "inference" }, spec: { parentRefs: [{ name: "inference-gateway" }], rules: Array.from({ length: 100 }, (_, i) => ({ backendRefs: [{ name: `svc-${i}-${"x".repeat(60)}` }] })) } }));
  const long = topologyMarkdown({ deployment: { resources: [...wordy("a"), ...wordy("b")] } }, "s");
  assert.match(long, /The platform in one diagram would have 201 edges and \d+ characters/);
  assert.deepEqual([...long.matchAll(/^\*\*(.*)\*\*$/gm)].map((m) => m[1]), ["East-west links", "Cluster `a`", "Cluster `b`"]);
  assert.doesNotMatch(long, /Not drawn/);
});

test("a workload's identity is its serviceAccountName, else the deprecated serviceAccount alias (as the API server reads them), else default", () => {
  const pod = (spec: Record<string, string>) => ({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "w", namespace: "agents" }, spec: { template: { spec: { ...spec, containers: [] } } } });
  const accounts = ([{ serviceAccount: "a" }, { serviceAccountName: "", serviceAccount: "a" }, { serviceAccountName: "n", serviceAccount: "a" }, {}] as Record<string, string>[]).map((s) => workloadsOf("c", [pod(s)])[0].serviceAccount);
  assert.deepEqual(accounts, ["a", "a", "n", "default"]);
});
