/**
 * The who-may-call-whom matrix of topology.md under istiod's settings, as Istio 1.30.3 applies
 * them: principals of another trust domain match nobody, meshConfig.trustDomainAliases and
 * cluster.local where Envoy enforces, the root namespace (meshConfig.rootNamespace, else
 * global.istioNamespace), read from istiod's Release or, applied as a Helm v4 Chart's objects,
 * from its values ConfigMap with the pack's reader (policy/lib/istio-rendered.ts).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { capturedObject } from "../support/captured";
import { topologyMarkdown } from "../../scripts/lib/topology";
import { istiodValuesOfObjects, renderedIstio } from "../../policy/lib/istio-rendered";
import { probe } from "../../policy/lib/values";
import { TD } from "../support/topology-fleet";
import { istiod, policy, principal, base, matrix } from "../support/topology-matrix";

const resource = capturedObject;

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

test("the root namespace is istiod's (meshConfig.rootNamespace, else global.istioNamespace): its policies apply mesh-wide, istio-system's then only to istio-system", () => {
  const objs = [
    ...base(),
    policy("mesh-root", "deny-b", { action: "DENY", rules: [{ from: [{ source: { principals: [principal("agents", "b")] } }] }] }),
    policy("istio-system", "deny-a", { action: "DENY", rules: [{ from: [{ source: { principals: [principal("agents", "a")] } }] }] }),
  ];
  const release = (values: any) => ({ ...istiod("c1", TD), inputs: { ...istiod("c1", TD).inputs, values } });
  for (const values of [{ meshConfig: { trustDomain: TD, rootNamespace: "mesh-root" } }, { meshConfig: { trustDomain: TD }, global: { istioNamespace: "mesh-root" } }]) {
    const m = matrix(objs, [release(values)]);
    // Columns: agents/a, agents/b, lab/c, namespace istio-system (no rendered workload), tools/web-search.
    assert.deepEqual(m.get("agents/b"), ["✗", "✗", "✗", "", "✗"], JSON.stringify(values));
    assert.deepEqual(m.get("agents/a"), ["open", "open", "open", "✗", "✓ :8000"], JSON.stringify(values));
  }
});

test("trust domains where Envoy enforces: cluster.local and meshConfig.trustDomainAliases principals name the local accounts at a waypoint, not at ztunnel; trustDomains is not a ztunnel field", () => {
  const svc = { apiVersion: "v1", kind: "Service", metadata: { name: "lab", namespace: "lab", labels: { "istio.io/use-waypoint": "waypoint" } }, spec: { selector: { app: "c" }, ports: [{ port: 8080 }] } };
  const waypoint = { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "waypoint", namespace: "lab" }, spec: { gatewayClassName: "istio-waypoint", listeners: [] } };
  const objs = [
    ...base(), svc, waypoint,
    policy("lab", "via-waypoint", { targetRefs: [{ kind: "Service", group: "", name: "lab" }], rules: [{ from: [{ source: { principals: [principal("agents", "a", "cluster.local"), principal("agents", "b", "old.example")] } }] }] }),
    // At ztunnel the same principal is matched as written: the mesh's identities are mesh.example.
    policy("agents", "a-callers", { selector: { matchLabels: { app: "a" } }, rules: [{ from: [{ source: { principals: [principal("lab", "c", "cluster.local")] } }] }] }),
    // istiod gives ztunnel no trustDomains: a source of nothing else matches nobody, and beside a principal it is ignored.
    policy("agents", "b-callers", { selector: { matchLabels: { app: "b" } }, rules: [{ from: [{ source: { trustDomains: [TD] } }] }, { from: [{ source: { principals: [principal("lab", "c")], notTrustDomains: [TD] } }] }] }),
  ];
  const m = matrix(objs, [{ ...istiod("c1", TD), inputs: { ...istiod("c1", TD).inputs, values: { meshConfig: { trustDomain: TD, trustDomainAliases: ["old.example"] } } } }]);
  // Columns: agents/a, agents/b, lab/c, tools/web-search.
  assert.deepEqual(m.get("agents/a"), ["", "", "✓", "✓ :8000"]);
  assert.deepEqual(m.get("agents/b"), ["", "", "✓", ""]);
  assert.deepEqual(m.get("lab/c"), ["", "✓", "", ""], "cluster.local names nobody at ztunnel; notTrustDomains is not read there");
  assert.deepEqual(m.get("principal cluster.local/ns/lab/sa/c (never matches: the mesh's trust domain is mesh.example)"), ["never matches", "", "", ""]);
  assert.ok([...m.keys()].some((k) => k.startsWith("callers with trustDomains mesh.example (never matches: ztunnel reads nothing of its sources (only trustDomains)")), [...m.keys()].join("\n"));
});

test("istiod applied as objects (a Helm v4 Chart's, no Release in state) gives the matrix its trust domain from its values ConfigMap", () => {
  // Istio 1.30.3 istio-discovery: Deployment istiod running pilot, ConfigMap `values` with the values it was given.
  const rendered = [
    { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "istiod", namespace: "istio-system" }, spec: { template: { spec: { containers: [{ name: "discovery", image: "mirror.example/istio/pilot:1.30.3" }] } } } },
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "values", namespace: "istio-system" }, data: { "original-values": JSON.stringify({ meshConfig: { trustDomain: TD } }) } },
  ];
  const objs = [...base(), ...rendered, policy("tools", "foreign", { selector: { matchLabels: { app: "web-search" } }, rules: [{ from: [{ source: { principals: [principal("agents", "b", "other.example")] } }] }] })];
  const m = matrix(objs);
  assert.deepEqual(m.get("agents/b"), undefined, "no row claims agents/b may call");
  assert.deepEqual(m.get("principal other.example/ns/agents/sa/b (never matches: the mesh's trust domain is mesh.example)"), ["never matches"]);
});

test("topology reads istiod's values from its objects with the pack's reader (policy/lib/istio-rendered.ts): the same values, revisions included", () => {
  const deploy = (name: string, image: string) => ({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace: "istio-system" }, spec: { template: { spec: { containers: [{ name: "discovery", image }] } } } });
  const values = (name: string, v: unknown) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "istio-system" }, data: { "original-values": JSON.stringify(v) } });
  const cases: [string, any[]][] = [
    ["default revision", [deploy("istiod", "mirror.example/istio/pilot:1.30.3"), values("values", { meshConfig: { trustDomain: TD } })]],
    ["a revision", [deploy("istiod-canary", "istio/pilot@sha256:" + "a".repeat(64)), values("values-canary", { meshConfig: { trustDomain: TD } })]],
    ["not pilot", [deploy("istiod", "istio/proxyv2:1.30.3"), values("values", { meshConfig: { trustDomain: TD } })]],
    ["not the chart's JSON", [deploy("istiod", "istio/pilot:1.30.3"), { ...values("values", {}), data: { "original-values": "{" } }]],
  ];
  for (const [what, objs] of cases) {
    const pack = renderedIstio(objs.map((o) => ({ type: resource("c1", o).type, props: o, urn: "u", name: o.metadata.name }) as any)).find((r) => r.props.chart === "istiod");
    const packValues = pack ? probe(() => pack.props.values) : undefined;
    const topology = istiodValuesOfObjects(objs);
    assert.deepEqual(topology, packValues?.known ? packValues.value : undefined, what);
  }
});
