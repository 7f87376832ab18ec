/**
 * Which agent may use which tool, as each layer of the tools' authorization grants it. The
 * platform grants every agent its tools twice, from the same agent → tools lists: in the mesh (an
 * ALLOW policy on the tool's Service at the tools' waypoint, or on its pods without one) and at
 * the MCP gateway (AgentgatewayPolicy `backend.mcp.authorization`, `mcp.tool.target` per clause).
 * Each layer is a path of its own to the tool: an agent the mesh admits calls the tool's Service
 * through the waypoint without the MCP gateway, and one the MCP gateway admits reaches the tool
 * through it (the tool admits the MCP gateway's identity). So a grant in one layer only is an
 * agent reaching a tool it is not configured for, whichever layer was widened.
 */
import type { PolicyResource } from "@pulumi/policy";
import { targetRefsOf } from "./authz";
import { celToolGrants, ToolGrant } from "./cel";
import { appliesIn, boundWorkloads, Graph, selects } from "./call-graph";
import { ruleCallers } from "./callers";
import { isKind, meta } from "./k8s";
import { gatewayResource } from "./gateways";
import { andTri, list, notTri, probe, someTri } from "./values";
import { backendsReached, McpBackend, plainToolRoutes, readMcpBackends } from "./mcp-targets";
import { reportVersionGrants } from "./version-grants";

/** An MCP authorization of the tools namespace, with the grants of its Allow expressions and the backends it reaches. */
interface GatewayGrants {
  r: PolicyResource;
  name: string;
  action: "Allow" | "Deny" | "Require";
  /** Per matchExpression (each is a rule of its own), what it grants. */
  rules: ToolGrant[][];
  grants: ToolGrant[];
  reaches: Set<string> | "all";
}

/** The MCP authorizations (`backend.mcp.authorization`) in the tools namespace; undefined when one cannot be read. */
function gatewayGrants(g: Graph, pending: string[], cluster: string): GatewayGrants[] | undefined {
  const out: GatewayGrants[] = [];
  for (const r of g.resources.filter((x) => isKind(x.type, "agentgateway.dev", "AgentgatewayPolicy"))) {
    const read = probe(() => ({
      namespace: meta(r.props).namespace,
      auth: JSON.parse(JSON.stringify(r.props.spec?.backend?.mcp?.authorization ?? null)) as Record<string, any> | null,
      reaches: backendsReached(g, r.props),
    }));
    if (!read.known) {
      pending.push(`AgentgatewayPolicy ${r.name} on cluster ${cluster}, which may grant agents tools`);
      return undefined;
    }
    if (read.value.namespace !== g.config.toolsNamespace || !read.value.auth) continue;
    const action = read.value.auth.action ?? "Allow";
    // Another action is refused by the API server (agentgateway-actions.ts reports it).
    if (action !== "Allow" && action !== "Deny" && action !== "Require") return undefined;
    const grants = list(read.value.auth.policy?.matchExpressions as string[]).map((e) => celToolGrants(String(e)));
    // An expression this reader cannot split is agent-call-graph's other findings' to judge.
    if (grants.some((x) => x === undefined)) return undefined;
    out.push({ r, name: meta(r.props).name, action, rules: grants.map((x) => x!), grants: grants.flatMap((x) => x!), reaches: read.value.reaches });
  }
  return out;
}

/** One way through the MCP gateway to a tool: a backend targeting it, the names it calls it by, the authorizations reaching it. */
interface McpPath {
  backend?: McpBackend;
  names: Set<string>;
  policies: GatewayGrants[];
}

/**
 * The MCP gateway's ways to tool `svc`. Without a rendered MCP backend (one managed elsewhere) the
 * tool is taken to be its own target name under every MCP authorization of the namespace.
 */
function mcpPaths(backends: McpBackend[], gateway: GatewayGrants[], svc: string): McpPath[] {
  const via = backends.filter((b) => b.targets.has(svc));
  if (via.length === 0) return [{ names: new Set([svc]), policies: gateway }];
  return via.map((b) => ({ backend: b, names: b.targets.get(svc)!, policies: gateway.filter((p) => p.reaches === "all" || p.reaches.has(b.name)) }));
}

const grantsTool = (x: ToolGrant, names: Set<string>) => x.tools === "*" || x.tools.some((t) => names.has(t));
const hasAllow = (p: McpPath) => p.policies.some((pol) => pol.action === "Allow");
const narrowed = (p: McpPath) => p.policies.some((pol) => pol.action !== "Allow");

/**
 * Who of `agents` the Deny and Require rules of a path let use the tool, or `any` when a Require
 * rule holds for callers it does not pin: agentgateway v1.4.1 refuses a call any Deny rule matches
 * or any Require rule does not, and without Allow rules allows the rest (http/authorization.rs
 * RuleSets::validate, "denylist semantics"). Read never to let through more than agentgateway
 * does: a Deny clause counts for every caller unless it pins identities.
 */
function denylistGrants(p: McpPath, agents: Set<string>): Set<string> | "any" {
  const of = (action: GatewayGrants["action"]) => p.policies.filter((pol) => pol.action === action);
  const deny = of("Deny").flatMap((pol) => pol.grants.filter((x) => grantsTool(x, p.names)));
  if (deny.some((x) => x.ids === "any")) return new Set();
  // Every Require rule must hold: each bounds the callers to those its clauses for the tool pin.
  const requires = of("Require").flatMap((pol) => pol.rules).map((rule) => rule.filter((x) => grantsTool(x, p.names)));
  const bounds = requires.filter((matching) => !matching.some((x) => x.ids === "any")).map((matching) => new Set(matching.flatMap((x) => [...(x.ids as Set<string>)])));
  if (bounds.length === 0 && requires.length > 0) return "any";
  return new Set([...(bounds[0] ?? agents)].filter((id) => bounds.every((b) => b.has(id)) && !deny.some((x) => (x.ids as Set<string>).has(id))));
}
/** A backend no MCP authorization reaches lets every caller use every tool it serves. */
const unguarded = (p: McpPath) => p.backend !== undefined && p.policies.length === 0;

/** `tool calculator`, and the target names the MCP gateway calls it by when they are not its own. */
function toolShown(svc: string, paths: McpPath[]): string {
  const names = new Set(paths.flatMap((p) => [...p.names]));
  return names.size === 1 && names.has(svc) ? `tool ${svc}` : `tool ${svc} (MCP target ${[...names].sort().map((n) => `'${n}'`).join(", ")})`;
}

/**
 * Reports every agent one layer lets use a tool and the other does not. Compared only where the
 * tools namespace has an MCP authorization the pack can read (without one, agentgateway lets every
 * caller of the MCP gateway use every tool, which the gateway's own authorization bounds). The MCP
 * gateway's grants are read per backend, by the target names it gives each tool (mcp-targets.ts).
 */
export function reportToolGrants(g: Graph, cluster: string, report: (message: string, urn?: string) => void, pending: string[]): void {
  const { agentsNamespace, toolsNamespace, agentGateway } = g.config;
  const gateway = gatewayGrants(g, pending, cluster);
  if (!gateway) return;
  const backends = readMcpBackends(g, cluster, pending);
  const plain = plainToolRoutes(g, cluster, pending);
  if (!backends || !plain) return;
  const tools = g.services.filter((s) => s.namespace === toolsNamespace && g.workloads.some((w) => selects(s, w) === true));
  // Agent identities the mesh admits to each tool, with the policy that admits them.
  const mesh = new Map<string, Map<string, string>>();
  for (const p of g.allows) {
    const applies = appliesIn(g, p).find((a) => a.namespace === toolsNamespace);
    if (!applies || applies.applies === false || p.dryRun === true) continue;
    const bound = boundWorkloads(g, p, toolsNamespace);
    const atZtunnel = targetRefsOf(p.spec).length === 0;
    const agents = list(p.spec.rules).flatMap((rule) => ruleCallers(rule, p.namespace, atZtunnel)).flatMap((c) => (c.kind === "identity" && c.id.startsWith(`${agentsNamespace}/`) && c.id !== agentGateway ? [c.id] : []));
    if (agents.length === 0) continue;
    for (const svc of tools) {
      const binds = andTri(applies.applies, notTri(p.dryRun), someTri(bound, (b) => andTri(b.bound, selects(svc, b.w))));
      if (binds === "unknown") pending.push(`whether AuthorizationPolicy ${p.namespace}/${p.name} on cluster ${cluster} admits agents to tool ${svc.name}`);
      if (binds !== true) continue;
      const byId = mesh.get(svc.name) ?? new Map<string, string>();
      for (const id of agents) if (!byId.has(id)) byId.set(id, `${p.namespace}/${p.name}|${p.r.urn}`);
      mesh.set(svc.name, byId);
    }
  }
  reportVersionGrants(g, cluster, mesh, report);
  if (gateway.length === 0 && backends.length === 0) {
    reportNoMcpAuthorization(g, cluster, tools.map((s) => s.name), mesh, report);
    return;
  }
  const meshAgents = new Set([...mesh.values()].flatMap((m) => [...m.keys()]));
  const reported = new Set<string>();
  const once = (message: string, urn?: string) => {
    if (!reported.has(message)) report(message, urn);
    reported.add(message);
  };
  for (const svc of tools) {
    const paths = mcpPaths(backends, gateway, svc.name);
    const shown = toolShown(svc.name, paths);
    const admitted = mesh.get(svc.name) ?? new Map<string, string>();
    // Named, so the reviewer sees why a per-tool authorization that looks like the guard is none.
    const elsewhere = gateway.map((pol) => `${toolsNamespace}/${pol.name}`);
    const note = elsewhere.length ? `; AgentgatewayPolicy ${elsewhere.join(", ")} reaches it through none of its targets (a sectionName narrows a policy to that listener or route rule, and on a backend to one MCP target, whose policies agentgateway reads no MCP authorization from)` : "";
    for (const p of paths.filter(unguarded)) {
      const denied = [...meshAgents].filter((id) => !admitted.has(id)).sort();
      if (denied.length === 0) continue;
      once(
        `no AgentgatewayPolicy in namespace ${toolsNamespace} on cluster ${cluster} applies backend.mcp.authorization to AgentgatewayBackend ${toolsNamespace}/${p.backend!.name} (nor to a route or Gateway in front of it${note}), so agentgateway lets every caller of the MCP gateway use every tool it serves: ${denied.join(", ")} may call ${shown} through it, which no mesh ALLOW policy for the tool grants them; each agent may use only its configured tools`,
        p.backend!.r.urn,
      );
    }
    for (const p of paths.filter((x) => narrowed(x) && !hasAllow(x))) {
      const ids = denylistGrants(p, meshAgents);
      const denied = ids === "any" ? [] : [...ids].filter((id) => id.startsWith(`${agentsNamespace}/`) && id !== agentGateway && !admitted.has(id)).sort();
      if (ids !== "any" && denied.length === 0) continue;
      const names = p.policies.map((pol) => `${toolsNamespace}/${pol.name} (${pol.action})`);
      const who = ids === "any" ? "callers without pinning them to agent identities (source.identity namespace and serviceAccount): every agent the MCP gateway admits may call it" : `${denied.join(", ")}, which no mesh ALLOW policy for the tool grants`;
      once(
        `AgentgatewayPolicy ${names.join(", ")} on cluster ${cluster} ${names.length > 1 ? "set" : "sets"} backend.mcp.authorization${p.backend ? ` for AgentgatewayBackend ${toolsNamespace}/${p.backend.name}` : ""} without an Allow rule, and agentgateway then allows every tool call no Deny rule matches and every Require rule admits: it lets ${shown} be used by ${who}; each agent may use only its configured tools (grant them with Allow rules)`,
        p.policies[0].r.urn,
      );
    }
    const direct = plain.filter((route) => route.tools.has(svc.name));
    for (const route of direct) {
      const denied = [...meshAgents].filter((id) => !admitted.has(id)).sort();
      if (denied.length === 0) continue;
      once(
        `${route.shown} on cluster ${cluster} sends requests from the MCP gateway straight to Service ${toolsNamespace}/${svc.name}, past every MCP authorization (agentgateway applies backend.mcp.authorization only to an MCP AgentgatewayBackend): ${denied.join(", ")} may call tool ${svc.name} through it, which no mesh ALLOW policy for the tool grants them; each agent may use only its configured tools (route tools through the MCP backend)`,
        route.r.urn,
      );
    }
    const guarded = paths.filter((p) => p.policies.length > 0);
    for (const [id, by] of admitted) {
      // A path without Allow rules may grant anything (its own finding above).
      if (guarded.length === 0 || paths.some(unguarded) || direct.length > 0 || guarded.some((p) => !hasAllow(p))) continue;
      // Deny and Require rules only narrow what Allow rules grant: an agent no Allow rule grants is not granted.
      if (guarded.some((p) => p.policies.some((pol) => pol.action === "Allow" && pol.grants.some((x) => grantsTool(x, p.names) && (x.ids === "any" || x.ids.has(id)))))) continue;
      const [policy, urn] = by.split("|");
      const names = [...new Set(guarded.flatMap((p) => p.policies.map((pol) => `${toolsNamespace}/${pol.name}`)))];
      report(
        `AuthorizationPolicy ${policy} on cluster ${cluster} admits agent ${id} to ${shown}, which the MCP gateway's per-tool authorization (${names.join(", ")}) does not grant it: each agent may use only its configured tools, and the mesh and the MCP gateway must grant the same ones`,
        urn,
      );
    }
    // Identities the MCP gateway grants by name; a clause pinning none is every agent. Beside Deny
    // and Require rules, only those they surely let through (denylistGrants reads them so).
    for (const p of guarded.filter(hasAllow)) {
      for (const pol of p.policies.filter((x) => x.action === "Allow")) {
        const matching = pol.grants.filter((x) => grantsTool(x, p.names));
        const narrowedTo = narrowed(p) ? denylistGrants(p, new Set([...meshAgents, ...matching.flatMap((x) => (x.ids === "any" ? [] : [...x.ids]))])) : "any";
        if (matching.some((x) => x.ids === "any") && narrowedTo === "any") {
          if (!narrowed(p)) once(`AgentgatewayPolicy ${toolsNamespace}/${pol.name} on cluster ${cluster} lets callers use ${shown} without pinning them to agent identities (source.identity namespace and serviceAccount): every agent the MCP gateway admits may call it`, pol.r.urn);
          continue;
        }
        const named = new Set(matching.flatMap((x) => (x.ids === "any" ? [...(narrowedTo as Set<string>)] : [...x.ids])).filter((id) => narrowedTo === "any" || narrowedTo.has(id)));
        for (const id of [...named].filter((x) => x.startsWith(`${agentsNamespace}/`) && !admitted.has(x))) {
          once(
            `AgentgatewayPolicy ${toolsNamespace}/${pol.name} on cluster ${cluster} lets agent ${id} call ${shown} through the MCP gateway, which no mesh ALLOW policy for the tool grants it: each agent may use only its configured tools, and the mesh and the MCP gateway must grant the same ones`,
            pol.r.urn,
          );
        }
      }
    }
  }
}

/**
 * Without any MCP authorization agentgateway lets every caller of the MCP gateway use every tool
 * (agentgateway v1.4.1 http/authorization.rs RuleSets::validate: no rule sets, everyone has
 * access): an agent the mesh grants some tools then calls the others through the MCP gateway.
 */
function reportNoMcpAuthorization(g: Graph, cluster: string, tools: string[], mesh: Map<string, Map<string, string>>, report: (message: string, urn?: string) => void): void {
  const mcp = [...g.proxies.values()].find((p) => p.namespace === g.config.toolsNamespace && p.byAgentgateway);
  if (!mcp) return;
  const gw = gatewayResource(g.resources, mcp.namespace, mcp.name, "unknown");
  const agents = new Set([...mesh.values()].flatMap((m) => [...m.keys()]));
  for (const tool of tools) {
    const denied = [...agents].filter((id) => !mesh.get(tool)?.has(id)).sort();
    if (denied.length === 0) continue;
    report(
      `no AgentgatewayPolicy in namespace ${g.config.toolsNamespace} on cluster ${cluster} sets backend.mcp.authorization, so agentgateway lets every caller of Gateway ${mcp.namespace}/${mcp.name} use every tool: ${denied.join(", ")} may call tool ${tool} through it, which no mesh ALLOW policy for the tool grants them; each agent may use only its configured tools`,
      gw?.urn,
    );
  }
}
