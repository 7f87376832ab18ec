/**
 * topology.md's Mermaid diagrams: node ids Mermaid parses, labels it cannot read as markup
 * (quotes, backticks, line breaks, `%%`), and one diagram per cluster where the platform's would
 * pass Mermaid's limits. The fleet is topology.test.ts's (test/support/topology-fleet.ts).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { capturedObject } from "../support/captured";
import { buildTopology, topologyMarkdown, mermaid } from "../../scripts/lib/topology";
import { ns, gateway, fleet } from "../support/topology-fleet";

const resource = capturedObject;

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
