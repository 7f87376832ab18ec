/**
 * `topology.md`: what a reviewer needs to see of the platform's shape, as Markdown a pull request
 * renders: a clusters table, a Mermaid flowchart (clusters as subgraphs with their network,
 * east-west links between networks, gateways, routes with weights, InferencePools and their
 * endpoint pickers), the who-may-call-whom matrix from the AuthorizationPolicies, the plain
 * list of edges behind it, and who may reach which pods through NetworkPolicies. Pure functions of the deployment export.
 */
import type { CapturedResource, DeploymentExport } from "./engine";
import { buildTopology, Topology, GatewayNode } from "./topology-model";
import { accessEdges, workloadsOf, meshIdentities, networkAccess, AccessEdge } from "./topology-access";

export { buildTopology, accessEdges };
export type { Topology, AccessEdge };

const id = (...parts: string[]) => parts.join("__").replace(/[^A-Za-z0-9_]/g, "_");
const label = (s: string) => `"${s.replace(/"/g, "#quot;")}"`;
const cell = (s: string) => s.replace(/\|/g, "\\|");

const roleLabel: Record<GatewayNode["role"], string> = {
  "east-west": "east-west gateway",
  waypoint: "waypoint",
  agentgateway: "agentgateway",
  ingress: "gateway",
};

function listeners(g: GatewayNode): string {
  return g.listeners.map((l) => `${l.port}/${l.protocol}${l.tls ? ` ${l.tls}` : ""}`).join(", ");
}

export function mermaid(t: Topology): string {
  const lines = ["flowchart LR"];
  const gatewayId = (cluster: string, nsName: string) => id("c", cluster, "gw", nsName);
  const backendIds = new Map<string, string>();
  for (const c of t.clusters) {
    lines.push(`  subgraph ${id("c", c.name)}[${label([c.name, [c.cloud, c.region].filter(Boolean).join(" "), c.network && `network ${c.network}`].filter(Boolean).join(" · "))}]`);
    lines.push("    direction TB");
    for (const g of t.gateways.filter((x) => x.cluster === c.name)) {
      lines.push(`    ${gatewayId(c.name, `${g.namespace}/${g.name}`)}[${label(`${roleLabel[g.role]} ${g.namespace}/${g.name}${g.listeners.length ? ` · ${listeners(g)}` : ""}`)}]`);
    }
    for (const p of t.pools.filter((x) => x.cluster === c.name)) {
      const pid = id("c", c.name, "pool", p.namespace, p.name);
      backendIds.set(`${c.name}|InferencePool ${p.namespace}/${p.name}`, pid);
      lines.push(`    ${pid}[${label(`InferencePool ${p.namespace}/${p.name} · :${p.targetPorts.join(",")}`)}]`);
      if (p.epp) {
        const eid = id("c", c.name, "epp", p.namespace, p.epp.service);
        lines.push(`    ${eid}[${label(`EPP ${p.namespace}/${p.epp.service}${p.epp.port ? ` :${p.epp.port}` : ""}${p.epp.failureMode ? ` · ${p.epp.failureMode}` : ""}`)}]`);
        lines.push(`    ${pid} -.->|ext-proc| ${eid}`);
      }
    }
    for (const r of t.routes.filter((x) => x.cluster === c.name)) {
      const key = `${c.name}|${r.backend}`;
      if (!backendIds.has(key)) {
        const bid = id("c", c.name, "backend", r.backend);
        backendIds.set(key, bid);
        lines.push(`    ${bid}[${label(r.backend)}]`);
      }
    }
    lines.push("  end");
  }
  for (const r of t.routes) {
    const from = gatewayId(r.cluster, r.gateway);
    const text = [r.match, r.weight !== undefined ? `${r.weight}%` : undefined].filter(Boolean).join(" · ");
    lines.push(`  ${from} -->${text ? `|${label(text)}|` : ""} ${backendIds.get(`${r.cluster}|${r.backend}`)}`);
  }
  const ewOf = (cluster: string) => t.gateways.find((g) => g.cluster === cluster && g.role === "east-west")!;
  for (const l of t.eastWestLinks) {
    const a = ewOf(l.a);
    const b = ewOf(l.b);
    lines.push(`  ${gatewayId(l.a, `${a.namespace}/${a.name}`)} <==>|"HBONE mTLS"| ${gatewayId(l.b, `${b.namespace}/${b.name}`)}`);
  }
  return lines.join("\n");
}

interface MatrixCell {
  clusters: Set<string>;
  detail: Set<string>;
  actions: Set<string>;
}

/** The matrix over identities, merged across clusters (principals are mesh-wide). */
export function accessMatrix(edges: AccessEdge[]): { callers: string[]; targets: string[]; cells: Map<string, MatrixCell> } {
  const cells = new Map<string, MatrixCell>();
  for (const e of edges) {
    const key = `${e.caller}\u0000${e.target}`;
    const c = cells.get(key) ?? { clusters: new Set(), detail: new Set(), actions: new Set() };
    c.clusters.add(e.cluster);
    c.actions.add(e.action);
    const ops = [e.ports?.length ? `:${e.ports.join(",")}` : "", e.methods?.join(",") ?? "", e.paths?.join(",") ?? ""].filter(Boolean).join(" ");
    if (ops) c.detail.add(ops);
    cells.set(key, c);
  }
  const callers = [...new Set(edges.map((e) => e.caller))].sort();
  const targets = [...new Set(edges.map((e) => e.target))].sort();
  return { callers, targets, cells };
}

export function topologyMarkdown(exported: DeploymentExport | { deployment: { resources?: unknown[] } }, stack: string): string {
  const resources = (exported.deployment.resources ?? []) as CapturedResource[];
  const t = buildTopology(resources, stack);
  // Principals are mesh-wide: an identity rendered in any cluster resolves in all of them.
  const identities = meshIdentities([...t.objects.values()].flat());
  const edges = [...t.objects].flatMap(([cluster, objs]) => accessEdges(cluster, objs, identities));
  const out: string[] = [`# Topology of stack \`${stack}\``, ""];
  out.push("| cluster | cloud | region | network | east-west gateway | gateways | InferencePools |", "| --- | --- | --- | --- | --- | --- | --- |");
  for (const c of t.clusters) {
    const gws = t.gateways.filter((g) => g.cluster === c.name);
    const ew = gws.filter((g) => g.role === "east-west").map((g) => `${g.namespace}/${g.name}`).join(", ") || "—";
    const other = gws.filter((g) => g.role !== "east-west").map((g) => `${g.namespace}/${g.name} (${g.className})`).join(", ") || "—";
    const pools = t.pools.filter((p) => p.cluster === c.name).map((p) => p.name).join(", ") || "—";
    out.push(`| ${c.name} | ${c.cloud ?? "—"} | ${c.region ?? "—"} | ${c.network ?? "—"} | ${ew} | ${cell(other)} | ${pools} |`);
  }
  out.push("", "```mermaid", mermaid(t), "```", "");
  if (t.eastWestLinks.length || t.remoteSecrets.length) {
    out.push("## Cross-cluster links", "");
    for (const l of t.eastWestLinks) out.push(`- east-west: \`${l.a}\` ⇄ \`${l.b}\` (HBONE through the east-west gateways)`);
    for (const r of t.remoteSecrets) out.push(`- remote secret: \`${r.reader}\` watches the API server of \`${r.target}\``);
    out.push("");
  }
  out.push("## Who may call whom", "");
  const policies = new Set(edges.map((e) => `${e.cluster}/${e.policy}`)).size;
  if (edges.length === 0) {
    out.push("No AuthorizationPolicy is rendered: without one, ambient allows every mesh workload to call every other.", "");
  } else {
    const m = accessMatrix(edges);
    out.push(
      `From ${policies} AuthorizationPolicies across ${t.objects.size} cluster(s). Rows are callers (principals resolved to rendered`,
      "ServiceAccounts, `ns/sa`), columns are targets. ✓ allowed (ports and L7 operations listed), ✗ denied by a DENY policy;",
      "an empty cell means no rule lets that caller in (ALLOW policies deny everything they do not match).",
      "A cluster list in a cell means the edge exists only there.",
      "",
    );
    const targetClusters = new Map<string, Set<string>>();
    for (const e of edges) targetClusters.set(e.target, (targetClusters.get(e.target) ?? new Set()).add(e.cluster));
    out.push(`| caller \\ target | ${m.targets.map((x) => `\`${cell(x)}\``).join(" | ")} |`, `| --- |${m.targets.map(() => " --- |").join("")}`);
    for (const caller of m.callers) {
      const row = m.targets.map((target) => {
        const c = m.cells.get(`${caller}\u0000${target}`);
        if (!c) return "";
        const mark = c.actions.has("DENY") ? "✗" : c.actions.has("ALLOW") ? "✓" : [...c.actions].join(",");
        const partial = c.clusters.size < (targetClusters.get(target)?.size ?? 0) ? ` (${[...c.clusters].sort().join(", ")})` : "";
        return cell(`${mark}${c.detail.size ? ` ${[...c.detail].join("; ")}` : ""}${partial}`);
      });
      const first = edges.find((e) => e.caller === caller)!;
      const note = first.callerNote ? ` (${first.callerNote})` : !first.callerResolved && /^[^ ]+\/[^ ]+$/.test(caller) ? " ⚠ not a rendered ServiceAccount" : "";
      out.push(`| \`${cell(caller)}\`${note} | ${row.join(" | ")} |`);
    }
    out.push("", "### Edges", "");
    // One line per edge, with the clusters it holds on.
    const lines = new Map<string, Set<string>>();
    for (const e of [...edges].sort((a, b) => a.caller.localeCompare(b.caller) || a.target.localeCompare(b.target))) {
      const ops = [e.ports && `ports ${e.ports.join(",")}`, e.methods && `methods ${e.methods.join(",")}`, e.paths && `paths ${e.paths.join(",")}`].filter(Boolean).join("; ");
      const line = `- ${e.action} \`${e.caller}\` → \`${e.target}\` via ${e.via}${ops ? ` [${ops}]` : ""} — policy \`${e.policy}\``;
      lines.set(line, (lines.get(line) ?? new Set()).add(e.cluster));
    }
    for (const [line, clusters] of lines) out.push(`${line} on ${[...clusters].sort().map((c) => `\`${c}\``).join(", ")}`);
    out.push("");
  }
  const network = [...t.objects].flatMap(([cluster, objs]) => networkAccess(cluster, objs));
  if (network.length) {
    out.push(
      "## Who may reach which pods (NetworkPolicies)",
      "",
      "Enforced by the cluster's CNI, below the mesh: where a proxy cannot see mesh identities (Istio's own gateways), this is what keeps its ports to the callers meant for them.",
      "",
    );
    const lines = new Map<string, Set<string>>();
    for (const n of network) {
      const rules = n.rules.map((r) => `port ${r.ports} from ${r.from.map((f) => `\`${f}\``).join(", ")}`).join("; ") || "nothing (all ingress denied)";
      const line = `- \`${n.policy}\` guards ${n.pods.map((p) => `\`${p}\``).join(", ") || "no rendered pod"}: ${rules}`;
      lines.set(line, (lines.get(line) ?? new Set()).add(n.cluster));
    }
    for (const [line, clusters] of lines) out.push(`${line} — on ${[...clusters].sort().map((c) => `\`${c}\``).join(", ")}`);
    out.push("");
  }
  const covered = new Set(edges.map((e) => `${e.cluster}|${e.target}`));
  const open = [...t.objects].flatMap(([cluster, objs]) =>
    workloadsOf(cluster, objs).filter((w) => w.namespace !== "istio-system" && !covered.has(`${cluster}|${w.namespace}/${w.name}`) && !edges.some((e) => e.cluster === cluster && e.target === "every workload (mesh-wide)")),
  );
  if (open.length) {
    out.push("### Workloads no AuthorizationPolicy selects", "", "Any mesh workload may call these:", "");
    for (const w of open) out.push(`- \`${w.namespace}/${w.name}\` on \`${w.cluster}\``);
    out.push("");
  }
  return out.join("\n");
}
