/**
 * topology.md as pure functions of captured resources: clusters and networks, east-west links,
 * remote secrets, routes and pools, and the who-may-call-whom graph from AuthorizationPolicies
 * built with the platform's own builder (components/mesh/authz.ts). Its Mermaid diagrams are
 * topology-mermaid.test.ts's.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { capturedObject } from "../support/captured";
import { buildTopology, accessEdges, topologyMarkdown } from "../../scripts/lib/topology";
import { workloadsOf } from "../../scripts/lib/topology-access";
import { allowPolicy } from "../../components/mesh/authz";
import { TD, sa, deployment, gateway, clusterObjects, fleet } from "../support/topology-fleet";

const resource = capturedObject;

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

test("a workload's identity is its serviceAccountName, else the deprecated serviceAccount alias (as the API server reads them), else default", () => {
  const pod = (spec: Record<string, string>) => ({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "w", namespace: "agents" }, spec: { template: { spec: { ...spec, containers: [] } } } });
  const accounts = ([{ serviceAccount: "a" }, { serviceAccountName: "", serviceAccount: "a" }, { serviceAccountName: "n", serviceAccount: "a" }, {}] as Record<string, string>[]).map((s) => workloadsOf("c", [pod(s)])[0].serviceAccount);
  assert.deepEqual(accounts, ["a", "a", "n", "default"]);
});
