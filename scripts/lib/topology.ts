/**
 * `topology.md`: what a reviewer needs to see of the platform's shape, as Markdown a pull request
 * renders: a clusters table, a Mermaid flowchart (clusters as subgraphs with their network,
 * east-west links between networks, gateways, routes with weights, InferencePools and their
 * endpoint pickers), the who-may-call-whom matrix from the AuthorizationPolicies and agentgateway's own
 * authorization (topology-agw.ts), the plain
 * list of edges behind it, and who may reach which pods through NetworkPolicies. Pure functions of the deployment export.
 */
import type { CapturedResource, DeploymentExport } from "./engine";
import { buildTopology, Topology, GatewayNode, ClusterNode } from "./topology-model";
import { istiodValuesOfObjects } from "../../policy/lib/istio-rendered";
import { accessEdges, workloadsOf, AccessEdge, MeshSettings } from "./topology-access";
import { meshIdentities } from "./topology-callers";
import { networkAccess } from "./topology-network";
import { agentgatewayEdges, agentgatewayLegend } from "./topology-agw";
import { accessMatrix } from "./topology-matrix";
import { releasesByCluster } from "./outputs";

export { buildTopology, accessEdges, accessMatrix };
export type { Topology, AccessEdge };

/**
 * Mermaid node ids: readable, and distinct for distinct things. Folding every other character to
 * `_` makes `a-b/c` and `a/b-c` one id (one node where there are two), so a repeat gets a suffix.
 */
function idMaker(): (...parts: string[]) => string {
  const byKey = new Map<string, string>();
  const taken = new Set<string>();
  return (...parts) => {
    const key = JSON.stringify(parts);
    let out = byKey.get(key);
    if (out) return out;
    const base = parts.join("__").replace(/[^A-Za-z0-9_]/g, "_");
    out = base;
    for (let n = 2; taken.has(out); n++) out = `${base}_${n}`;
    byKey.set(key, out);
    taken.add(out);
    return out;
  };
}
/**
 * A quoted Mermaid label: `#` starts an entity code and `<` HTML, so both are written as entities, like `"`.
 * So is the backtick: a quote followed by a backtick opens Mermaid's markdown string, which only a
 * backtick followed by a quote closes, so a label starting with a backtick (an HTTP header name may
 * hold one) made the whole diagram a lexical error.
 * Mermaid also edits the whole text before it parses, quotes or not: it cuts out `%%{` and what
 * follows as a directive, and drops a line starting with `%%` as a comment (JavaScript's line
 * breaks: CR, LF, U+2028, U+2029). A served model name is any text, so one holding `%%{`, or a
 * line break before `%%`, left a label unclosed. `%%` is written `%#37;` and line breaks as entities,
 * which also keeps a line starting with a fence out of the Markdown.
 */
const label = (s: string) =>
  `"${s
    .replace(/#/g, "#35;")
    .replace(/"/g, "#quot;")
    .replace(/</g, "#lt;")
    .replace(/>/g, "#gt;")
    .replace(/`/g, "#96;")
    .replace(/%%/g, "%#37;")
    .replace(/[\r\n\u2028\u2029]/g, (c) => `#${c.charCodeAt(0)};`)}"`;
/**
 * A Markdown table cell: a pipe would end the cell early and shift the rest of the row, and a line
 * break would end the row (a hand-written policy's values may hold either), so pipes are escaped and
 * line breaks written as spaces.
 */
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\r\n?|\n/g, " ");

const roleLabel: Record<GatewayNode["role"], string> = {
  "east-west": "east-west gateway",
  waypoint: "waypoint",
  agentgateway: "agentgateway",
  ingress: "gateway",
};

function listeners(g: GatewayNode): string {
  return g.listeners.map((l) => `${l.port}/${l.protocol}${l.tls ? ` ${l.tls}` : ""}`).join(", ");
}

/**
 * Mermaid's limits on one diagram (mermaid 11's defaults, both "secure": a diagram cannot raise them
 * with a directive). A flowchart with more edges fails to parse ("Edge limit exceeded"), so GitHub
 * shows no diagram; more text renders as "Maximum text size in diagram exceeded".
 */
export const MERMAID_MAX_EDGES = 500;
export const MERMAID_MAX_TEXT = 50_000;

interface Flowchart {
  text: string;
  edges: number;
}

/**
 * The flowchart of some clusters: in full, their subgraphs with gateways, pools and routes and the
 * east-west links among them; as `links`, only their east-west gateways and the links.
 */
function flowchart(t: Topology, clusters: ClusterNode[], shape: "full" | "links"): Flowchart {
  const lines = ["flowchart LR"];
  let edges = 0;
  const edge = (line: string) => {
    lines.push(line);
    edges++;
  };
  const id = idMaker();
  const gatewayId = (cluster: string, nsName: string) => id("c", cluster, "gw", nsName);
  const backendIds = new Map<string, string>();
  const shown = new Set(clusters.map((c) => c.name));
  for (const c of clusters) {
    lines.push(`  subgraph ${id("c", c.name)}[${label([c.name, [c.cloud, c.region].filter(Boolean).join(" "), c.network && `network ${c.network}`].filter(Boolean).join(" · "))}]`);
    lines.push("    direction TB");
    for (const g of t.gateways.filter((x) => x.cluster === c.name && (shape === "full" || x.role === "east-west"))) {
      lines.push(`    ${gatewayId(c.name, `${g.namespace}/${g.name}`)}[${label(`${roleLabel[g.role]} ${g.namespace}/${g.name}${g.listeners.length ? ` · ${listeners(g)}` : ""}`)}]`);
    }
    if (shape === "full") {
      for (const p of t.pools.filter((x) => x.cluster === c.name)) {
        const pid = id("c", c.name, "pool", p.namespace, p.name);
        backendIds.set(`${c.name}|InferencePool ${p.namespace}/${p.name}`, pid);
        lines.push(`    ${pid}[${label(`InferencePool ${p.namespace}/${p.name} · :${p.targetPorts.join(",")}`)}]`);
        if (p.epp) {
          const eid = id("c", c.name, "epp", p.namespace, p.epp.service);
          lines.push(`    ${eid}[${label(`EPP ${p.namespace}/${p.epp.service}${p.epp.port ? ` :${p.epp.port}` : ""}${p.epp.failureMode ? ` · ${p.epp.failureMode}` : ""}`)}]`);
          edge(`    ${pid} -.->|ext-proc| ${eid}`);
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
    }
    lines.push("  end");
  }
  if (shape === "full") {
    for (const r of t.routes.filter((x) => shown.has(x.cluster))) {
      const from = gatewayId(r.cluster, r.gateway);
      const text = [r.match, r.weight !== undefined ? `${r.weight}%` : undefined].filter(Boolean).join(" · ");
      edge(`  ${from} -->${text ? `|${label(text)}|` : ""} ${backendIds.get(`${r.cluster}|${r.backend}`)}`);
    }
  }
  const ewOf = (cluster: string) => t.gateways.find((g) => g.cluster === cluster && g.role === "east-west")!;
  for (const l of t.eastWestLinks.filter((x) => shown.has(x.a) && shown.has(x.b))) {
    const a = ewOf(l.a);
    const b = ewOf(l.b);
    edge(`  ${gatewayId(l.a, `${a.namespace}/${a.name}`)} <==>|"HBONE mTLS"| ${gatewayId(l.b, `${b.namespace}/${b.name}`)}`);
  }
  return { text: lines.join("\n"), edges };
}

/** The whole platform as one flowchart. */
export function mermaid(t: Topology): string {
  return flowchart(t, t.clusters, "full").text;
}

// Under the text limit with room for the newline GitHub's fence may hand Mermaid with the text.
const fits = (d: Flowchart) => d.edges <= MERMAID_MAX_EDGES && d.text.length < MERMAID_MAX_TEXT;

/**
 * The diagrams of topology.md, as Markdown lines: the platform in one flowchart when Mermaid can
 * draw it, else one per cluster after one of the east-west links, so a large fleet still shows
 * (a cluster too large even alone is named, not drawn as a diagram that fails).
 */
export function diagramsMarkdown(t: Topology): string[] {
  const block = (d: Flowchart) => ["```mermaid", d.text, "```"];
  const whole = flowchart(t, t.clusters, "full");
  if (fits(whole)) return block(whole);
  const limits = `Mermaid draws at most ${MERMAID_MAX_EDGES} edges and ${MERMAID_MAX_TEXT} characters in a diagram, limits a diagram cannot raise`;
  const out = [`The platform in one diagram would have ${whole.edges} edges and ${whole.text.length} characters (${limits}), so each cluster has a diagram of its own.`];
  const linked = t.clusters.filter((c) => t.eastWestLinks.some((l) => l.a === c.name || l.b === c.name));
  const parts: [string, Flowchart][] = [
    ...(t.eastWestLinks.length ? [["East-west links", flowchart(t, linked, "links")] as [string, Flowchart]] : []),
    ...t.clusters.map((c): [string, Flowchart] => [`Cluster \`${c.name}\``, flowchart(t, [c], "full")]),
  ];
  for (const [title, d] of parts) {
    out.push("", `**${title}**`, "", ...(fits(d) ? block(d) : [`Not drawn: ${d.edges} edges and ${d.text.length} characters, more than Mermaid draws; its gateways and InferencePools are in the clusters table.`]));
  }
  return out;
}

/**
 * What a cluster's istiod release configures for matching policies (istio-discovery configmap.yaml):
 * principals are `<trustDomain>/ns/<ns>/sa/<sa>` (meshConfig.trustDomain, cluster.local by default),
 * meshConfig.trustDomainAliases, and the root namespace (`meshConfig.rootNamespace | default
 * global.istioNamespace`, istio-system), whose policies apply mesh-wide; istiod applied as objects
 * is read from its values ConfigMap as the pack reads it (istiodValuesOfObjects). No istiod: no trust domain.
 */
function meshSettings(values: unknown): MeshSettings {
  if (values === undefined) return {};
  const v = (values ?? {}) as { meshConfig?: Record<string, unknown>; global?: Record<string, unknown> };
  const text = (x: unknown) => (typeof x === "string" && x !== "" ? x : undefined);
  const aliases = v.meshConfig?.trustDomainAliases;
  return {
    trustDomain: text(v.meshConfig?.trustDomain) ?? "cluster.local",
    ...(Array.isArray(aliases) ? { trustDomainAliases: aliases.filter((a): a is string => typeof a === "string") } : {}),
    rootNamespace: text(v.meshConfig?.rootNamespace) ?? text(v.global?.istioNamespace) ?? "istio-system",
  };
}

export function topologyMarkdown(exported: DeploymentExport | { deployment: { resources?: unknown[] } }, stack: string): string {
  const resources = (exported.deployment.resources ?? []) as CapturedResource[];
  const t = buildTopology(resources, stack);
  // Principals are mesh-wide: an identity rendered in any cluster resolves in all of them.
  const identities = meshIdentities([...t.objects.values()].flat());
  const releases = releasesByCluster(resources);
  const istioEdges = [...t.objects].flatMap(([cluster, objs]) => accessEdges(cluster, objs, identities, meshSettings(releases.get(cluster)?.find((r) => r.chart === "istiod")?.values ?? istiodValuesOfObjects(objs))));
  const edges = [...istioEdges, ...[...t.objects].flatMap(([cluster, objs]) => agentgatewayEdges(cluster, objs, identities))];
  const out: string[] = [`# Topology of stack \`${stack}\``, ""];
  out.push("| cluster | cloud | region | network | east-west gateway | gateways | InferencePools |", "| --- | --- | --- | --- | --- | --- | --- |");
  for (const c of t.clusters) {
    const gws = t.gateways.filter((g) => g.cluster === c.name);
    const ew = gws.filter((g) => g.role === "east-west").map((g) => `${g.namespace}/${g.name}`).join(", ") || "—";
    const other = gws.filter((g) => g.role !== "east-west").map((g) => `${g.namespace}/${g.name} (${g.className})`).join(", ") || "—";
    const pools = t.pools.filter((p) => p.cluster === c.name).map((p) => p.name).join(", ") || "—";
    out.push(`| ${[c.name, c.cloud ?? "—", c.region ?? "—", c.network ?? "—", ew, other, pools].map(cell).join(" | ")} |`);
  }
  out.push("", ...diagramsMarkdown(t), "");
  if (t.eastWestLinks.length || t.remoteSecrets.length) {
    out.push("## Cross-cluster links", "");
    for (const l of t.eastWestLinks) out.push(`- east-west: \`${l.a}\` ⇄ \`${l.b}\` (HBONE through the east-west gateways)`);
    for (const r of t.remoteSecrets) out.push(`- remote secret: \`${r.reader}\` watches the API server of \`${r.target}\``);
    out.push("");
  }
  out.push("## Who may call whom", "");
  const policies = new Set(istioEdges.map((e) => `${e.cluster}/${e.policy}`)).size;
  const agwPolicies = new Set(edges.filter((e) => !istioEdges.includes(e)).map((e) => `${e.cluster}/${e.policy}`)).size;
  if (edges.length === 0) {
    // Only a DENY, CUSTOM or AUDIT policy without rules yields no edge: it never matches (istio/api 1.30.3
    // authorization_policy.proto `rules`: "If not set, the match will never occur").
    const ruleless = [...t.objects].flatMap(([cluster, objs]) => objs.filter((o) => o.kind === "AuthorizationPolicy" && o.apiVersion.startsWith("security.istio.io/")).map((o) => `\`${o.metadata.namespace ?? "default"}/${o.metadata.name}\` on \`${cluster}\``));
    const none = ruleless.length
      ? `${ruleless.length === 1 ? "An AuthorizationPolicy is" : `${ruleless.length} AuthorizationPolicies are`} rendered (${ruleless.join(", ")}), but ${ruleless.length === 1 ? "it has no" : "none has"} rules, and a DENY, CUSTOM or AUDIT policy without rules never matches: ambient allows every mesh workload to call every other.`
      : "No AuthorizationPolicy is rendered: without one, ambient allows every mesh workload to call every other.";
    out.push(none, ...agentgatewayLegend(t.objects, edges, []), "");
  } else {
    const workloadClusters = new Map<string, Set<string>>();
    for (const [cluster, objs] of t.objects) {
      for (const w of workloadsOf(cluster, objs)) workloadClusters.set(`${w.namespace}/${w.name}`, (workloadClusters.get(`${w.namespace}/${w.name}`) ?? new Set()).add(cluster));
    }
    const m = accessMatrix(edges, new Set(identities.keys()), workloadClusters);
    out.push(
      `From ${policies} AuthorizationPolicies${agwPolicies ? ` and ${agwPolicies} AgentgatewayPolicy authorizations` : ""} across ${t.objects.size} cluster(s). Rows are callers (principals resolved to rendered`,
      "ServiceAccounts, `ns/sa`, and the rendered ServiceAccounts that rules by namespace, wildcard or exclusion cover), columns are targets.",
      "✓ allowed (ports, L7 operations and conditions listed), ✗ denied by a DENY policy, `open` no ALLOW policy applies to the target;",
      "an empty cell means no rule lets that caller in (ALLOW policies deny everything they do not match).",
      "A cluster list in a cell means the verdict holds only there.",
      ...agentgatewayLegend(t.objects, edges, [...new Set(t.gateways.filter((g) => g.className === "istio-agentgateway").map((g) => `\`${g.namespace}/${g.name}\``))]),
      "",
    );
    out.push(`| caller \\ target | ${m.targets.map((x) => `\`${cell(x)}\``).join(" | ")} |`, `| --- |${m.targets.map(() => " --- |").join("")}`);
    for (const caller of m.callers) {
      const row = m.targets.map((target) => cell(m.cells.get(`${caller}\u0000${target}`) ?? ""));
      const first = edges.find((e) => e.caller === caller);
      const resolved = first ? first.callerResolved : identities.has(caller);
      const callerNote = first ? first.callerNote : identities.get(caller) || undefined;
      // The note names a Gateway: its pipes are escaped like every other cell text, or they split the row.
      const note = callerNote ? ` (${cell(callerNote)})` : !resolved && /^[^ ]+\/[^ ]+$/.test(caller) ? " ⚠ not a rendered ServiceAccount" : "";
      out.push(`| \`${cell(caller)}\`${note} | ${row.join(" | ")} |`);
    }
    out.push("", "### Edges", "");
    // One line per edge, with the clusters it holds on.
    const lines = new Map<string, Set<string>>();
    for (const e of [...edges].sort((a, b) => a.caller.localeCompare(b.caller) || a.target.localeCompare(b.target))) {
      const ops = [e.ports && `ports ${e.ports.join(",")}`, e.methods && `methods ${e.methods.join(",")}`, e.paths && `paths ${e.paths.join(",")}`, ...(e.conditions ?? [])].filter(Boolean).join("; ");
      const line = `- ${e.action} \`${e.caller}\` → \`${e.target}\` via ${e.via}${ops ? ` [${ops}]` : ""} — policy \`${e.policy}\`${e.unenforced ? ` (not enforced: ${e.unenforced})` : ""}`;
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
      "Enforced by the cluster's CNI, below the mesh: where a proxy cannot see mesh identities (Istio's own gateways), this is what keeps its ports to the callers meant for them. `anywhere` (a rule without peers) is every source: outside callers and every pod of the cluster alike.",
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
  const covered = new Set(edges.filter((e) => !e.unenforced).map((e) => `${e.cluster}|${e.target}`));
  const open = [...t.objects].flatMap(([cluster, objs]) =>
    workloadsOf(cluster, objs).filter((w) => w.namespace !== "istio-system" && !covered.has(`${cluster}|${w.namespace}/${w.name}`) && !edges.some((e) => e.cluster === cluster && !e.unenforced && e.target === "every workload (mesh-wide)")),
  );
  if (open.length) {
    out.push("### Workloads no AuthorizationPolicy selects", "", "Any mesh workload may call these:", "");
    for (const w of open) out.push(`- \`${w.namespace}/${w.name}\` on \`${w.cluster}\``);
    out.push("");
  }
  return out.join("\n");
}
