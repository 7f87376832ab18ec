/**
 * The who-may-call-whom matrix on workloads outside the ambient data plane: ztunnel enforces a
 * policy bound by selector or namespace only for pods istio-cni enrolls (Istio 1.30.3 istio-cni
 * ambient.enablementSelectors), so elsewhere the policy's cells would claim a guard nothing applies.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { capturedObject } from "../support/captured";
import { topologyMarkdown } from "../../scripts/lib/topology";
import { ns, sa } from "../support/topology-fleet";

const TD = "cluster.local";
const deployment = (namespace: string, name: string, labels: Record<string, string> = {}) => ({
  apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace },
  spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name, ...labels } }, spec: { serviceAccountName: name, containers: [] } } },
});
const allowA = (namespace: string) => ({
  apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "search", namespace },
  spec: { selector: { matchLabels: { app: "search" } }, rules: [{ from: [{ source: { principals: [`${TD}/ns/agents/sa/a`] } }] }] },
});

/** The matrix rows and edge lines of one cluster's objects. */
function render(objects: any[]): { row: (caller: string) => string; md: string } {
  const md = topologyMarkdown({ deployment: { resources: objects.map((o) => capturedObject("c1", o)) } }, "prod");
  const lines = md.split("## Who may call whom")[1].split("### Edges")[0].split("\n");
  return { md, row: (caller) => lines.find((l) => l.startsWith(`| \`${caller}\``)) ?? "" };
}

const stack = (toolsLabels: Record<string, string>, podLabels: Record<string, string> = {}): any[] => [
  ns("agents", { "istio.io/dataplane-mode": "ambient" }), sa("agents", "a"), deployment("agents", "a"), sa("agents", "b"), deployment("agents", "b"),
  ns("tools", toolsLabels), sa("tools", "search"), deployment("tools", "search", podLabels), allowA("tools"),
];

test("a selector policy guards only workloads in the ambient data plane", () => {
  const inMesh = render(stack({ "istio.io/dataplane-mode": "ambient" }));
  assert.match(inMesh.row("agents/a"), /\| ✓ \|$/);
  assert.doesNotMatch(inMesh.md, /not enforced/);
  const cases: [string, Record<string, string>, Record<string, string>, RegExp][] = [
    ["a namespace not labelled ambient", {}, {}, /namespace tools is not in the ambient data plane/],
    ["pods opted out", { "istio.io/dataplane-mode": "ambient" }, { "istio.io/dataplane-mode": "none" }, /its pods opt out of ambient \(istio\.io\/dataplane-mode: none\)/],
  ];
  for (const [what, nsLabels, podLabels, why] of cases) {
    const out = render(stack(nsLabels, podLabels));
    assert.doesNotMatch(out.row("agents/a"), /✓/, what);
    assert.match(out.md, new RegExp(`policy \`tools/search\` \\(not enforced: ${why.source}`), what);
    assert.match(out.md, /Workloads no AuthorizationPolicy selects[\s\S]*- `tools\/search` on `c1`/, `${what}: any caller reaches it`);
  }
  // Enrolled, but istio-cni leaves their inbound traffic uncaptured (the annotation read as Go's ParseBool).
  const bypassing = (value: string) => stack({ "istio.io/dataplane-mode": "ambient" }).map((o) =>
    o.kind === "Deployment" && o.metadata.name === "search" ? { ...o, spec: { ...o.spec, template: { ...o.spec.template, metadata: { ...o.spec.template.metadata, annotations: { "ambient.istio.io/bypass-inbound-capture": value } } } } } : o);
  assert.match(render(bypassing("True")).md, /policy `tools\/search` \(not enforced: its pods bypass inbound capture/);
  assert.match(render(bypassing("yes")).row("agents/a"), /\| ✓ \|$/, "not a Go boolean: ignored");
  // Pods that enroll themselves, or carry a sidecar, are guarded (the latter by their own proxy).
  for (const [nsLabels, podLabels] of [[{}, { "istio.io/dataplane-mode": "ambient" }], [{ "istio-injection": "enabled" }, {}], [{}, { "sidecar.istio.io/inject": "true" }]]) {
    assert.match(render(stack(nsLabels, podLabels)).row("agents/a"), /\| ✓ \|$/, JSON.stringify([nsLabels, podLabels]));
  }
});
