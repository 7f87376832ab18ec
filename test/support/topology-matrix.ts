/**
 * The who-may-call-whom matrix fixtures of the topology tests: an istiod Release of a trust domain,
 * a small mesh (agents/a, agents/b, a fork's namespace `lab` with lab/c, tools/web-search that only
 * agents/a may call), and topology.md's matrix read back as rows.
 */
import type { CapturedResource } from "../../scripts/lib/engine";
import { capturedObject } from "./captured";
import { topologyMarkdown } from "../../scripts/lib/topology";
import { TD, sa } from "./topology-fleet";

const resource = capturedObject;
export const istiod = (cluster: string, trustDomain: string): CapturedResource => ({
  urn: `urn:pulumi:prod::inference-mesh::kubernetes:helm.sh/v3:Release::${cluster}-istiod`, custom: true, type: "kubernetes:helm.sh/v3:Release",
  inputs: { name: "istiod", chart: "istiod", version: "1.30.3", namespace: "istio-system", values: { meshConfig: { trustDomain } } }, outputs: {},
  provider: `urn:pulumi:prod::inference-mesh::pulumi:providers:kubernetes::${cluster}-k8s::pid`, dependencies: [], propertyDependencies: {},
});
export const deployment = (namespace: string, name: string, labels: Record<string, string> = { app: name }) => ({
  apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace },
  spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { serviceAccountName: name, containers: [] } } },
});
export const policy = (namespace: string, name: string, spec: any) => ({ apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name, namespace }, spec });
export const principal = (ns: string, name: string, td = TD) => `${td}/ns/${ns}/sa/${name}`;

/** agents/a, agents/b, a fork's extra namespace `lab` with lab/c, and tools/web-search that only agents/a may call. */
export const base = (): any[] => [
  sa("agents", "a"), sa("agents", "b"), sa("lab", "c"), sa("tools", "web-search"),
  deployment("agents", "a"), deployment("agents", "b"), deployment("lab", "c"), deployment("tools", "web-search"),
  policy("tools", "web-search", { selector: { matchLabels: { app: "web-search" } }, rules: [{ from: [{ source: { principals: [principal("agents", "a")] } }], to: [{ operation: { ports: ["8000"] } }] }] }),
];

/** The matrix rows of topology.md, as `caller -> cells`. */
export function matrix(objects: any[], extra: CapturedResource[] = [], cluster = "c1"): Map<string, string[]> {
  const md = topologyMarkdown({ deployment: { resources: [...extra, ...objects.map((o) => resource(cluster, o))] } }, "prod");
  const section = md.split("## Who may call whom")[1].split("### Edges")[0];
  const rows = section.split("\n").filter((l) => l.startsWith("| `"));
  return new Map(rows.map((r) => {
    const cells = r.split(/(?<!\\) \| /).map((c) => c.replace(/^\| |\s*\|$/g, "").trim());
    return [/`([^`]*)`/.exec(cells[0])![1].replace(/\\\|/g, "|"), cells.slice(1)];
  }));
}
export const header = (objects: any[]) =>
  topologyMarkdown({ deployment: { resources: objects.map((o) => resource("c1", o)) } }, "prod").split("\n").find((l) => l.startsWith("| caller"))!;
