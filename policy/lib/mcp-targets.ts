/**
 * The MCP backends of the tools namespace as agentgateway v1.4.1 resolves them: which tool Service
 * each `mcp.tool.target` name stands for, and which MCP authorizations reach which backend.
 *
 * - A `selector` target's own `name` is not what the proxy calls it: the controller turns every
 *   Service the selector matches (in the backend's namespace, or those `namespaces` selects), on
 *   each port whose appProtocol is MCP, into a target named by the Service's
 *   `agentgateway.dev/mcp-target-name` annotation, else `<service>-<port name>` (`<service>-<port>`
 *   without a name) (controller/pkg/syncer/backend/mcp.go TranslateMCPSelectorTargets). So the
 *   name a CEL clause grants is the Service's annotation, which another tool's Service may carry.
 * - A `static` target keeps its `name` and dials its host (or its `backendRef` Service); an IP host
 *   is the Service showing that ClusterIP, another address can't be judged (agw-static-hosts.ts).
 * - An AgentgatewayPolicy (by targetRefs, or the objects its targetSelectors match) reaches a
 *   backend it targets, but not through one MCP target of it (a sectionName): the MCP router takes
 *   authorization from the whole backend's policies only (mcp/router.rs serve). It also reaches
 *   the backends an HTTPRoute/GRPCRoute it targets sends to (only the rule a sectionName names),
 *   and those the routes a Gateway it targets serves send to (only the listener a sectionName
 *   names), since agentgateway keys a backend policy to the traffic of what it targets. A
 *   ListenerSet or a kind not read here counts as every backend: a policy counted where it does
 *   not apply hides a finding, never makes one. A backend no MCP authorization reaches lets every
 *   caller use every tool (http/authorization.rs RuleSets::validate: no rule sets, everyone has
 *   access).
 */
import type { PolicyResource } from "@pulumi/policy";
import { selects, type Graph } from "./call-graph";
import { parentRefsTo, servedByGateways } from "./agw-route-bindings";
import { isKind, matchesLabels, matchesSelector, meta, unknownValueError } from "./k8s";
import { gatewayResource, isRoute } from "./gateways";
import { agwRefAllowed, backendRefTarget, unrenderedBackend } from "./agw-backend-refs";
import { hostBackendService, staticService } from "./agw-static-hosts";
import { listenersServing } from "./listener-routes";
import { andTri, list, probe, someTri } from "./values";
import { POOL_GROUP } from "./token-limits";
import { poolSelector } from "./pool-membership";
import { agwWatchesPools } from "./agentgateway-pools";

const MCP_APP_PROTOCOLS = ["agentgateway.dev/mcp", "agentgateway.dev/mcp-sse", "kgateway.dev/mcp", "kgateway.dev/mcp-sse"];
const TARGET_NAME = "agentgateway.dev/mcp-target-name";

export interface McpBackend {
  r: PolicyResource;
  name: string;
  /** Per tool Service (by name, in the tools namespace) the target names this backend calls it by. */
  targets: Map<string, Set<string>>;
}

/** The numbers of a Service's MCP ports (those a selector target makes targets of). */
export const mcpPorts = (svc: Record<string, any>): number[] => list(svc.spec?.ports as Record<string, any>[]).filter((p) => MCP_APP_PROTOCOLS.includes(p?.appProtocol) && typeof p?.port === "number").map((p) => p.port as number);

/** The target names one Service gets from a selector target: one per MCP port. */
export function selectedTargetNames(svc: Record<string, any>): string[] {
  const m = meta(svc);
  const annotated = m.annotations[TARGET_NAME];
  return list(svc.spec?.ports as Record<string, any>[])
    .filter((p) => MCP_APP_PROTOCOLS.includes(p?.appProtocol))
    .map((p) => annotated || `${m.name}-${p.name ? p.name : p.port}`);
}

/**
 * The MCP AgentgatewayBackends of the tools namespace; undefined (and `pending` told why) while one
 * of them, or a Service or namespace they select, cannot be read in this preview.
 */
export function readMcpBackends(g: Graph, cluster: string, pending: string[]): McpBackend[] | undefined {
  const tools = g.config.toolsNamespace;
  const services = g.resources.filter((r) => isKind(r.type, "core", "Service"));
  const out: McpBackend[] = [];
  for (const r of g.resources.filter((x) => isKind(x.type, "agentgateway.dev", "AgentgatewayBackend"))) {
    const read = probe(() => {
      const m = meta(r.props);
      if (m.namespace !== tools || !r.props.spec?.mcp) return undefined;
      const targets = new Map<string, Set<string>>();
      const add = (key: string, names: string[]) => {
        const [ns, name] = key.split("/");
        if (ns !== tools || names.length === 0) return;
        targets.set(name, new Set([...(targets.get(name) ?? []), ...names]));
      };
      for (const t of list(r.props.spec.mcp.targets as Record<string, any>[])) {
        if (t?.static) {
          const key = staticService(t.static, m.namespace, { all: g.resources, backend: `AgentgatewayBackend ${m.namespace}/${m.name} target ${String(t.name)}` });
          if (key) add(key, [String(t.name)]);
          continue;
        }
        const sel = t?.selector ?? {};
        for (const s of services) {
          const sm = meta(s.props);
          const inNamespace = sel.namespaces ? matchesSelector(sel.namespaces, g.namespaceLabels.get(sm.namespace) ?? {}) : sm.namespace === m.namespace;
          if (inNamespace && matchesSelector(sel.services, sm.labels)) add(`${sm.namespace}/${sm.name}`, selectedTargetNames(s.props));
        }
      }
      return { r, name: m.name, targets };
    });
    if (!read.known) {
      pending.push(`AgentgatewayBackend ${r.name} on cluster ${cluster} or the Services it selects (or whose ClusterIP a static host is), which decide which tool each MCP target name stands for`);
      return undefined;
    }
    if (read.value) out.push(read.value);
  }
  return out;
}

/** The AgentgatewayBackends (by name, in `ns`) a route's rules send to, only its rule named `section` where one is given. */
function routeBackends(route: PolicyResource, ns: string, section?: string): string[] {
  return list(route.props.spec?.rules as Record<string, any>[])
    .filter((rule) => section === undefined || rule?.name === section)
    .flatMap((rule) => list(rule?.backendRefs as Record<string, any>[]))
    .filter((b) => b?.kind === "AgentgatewayBackend" && (b.namespace ?? meta(route.props).namespace) === ns)
    .map((b) => String(b.name));
}

/**
 * The backends (in `ns`) sent to by the routes a Gateway serves, or by those its listener `section`
 * serves: agentgateway v1.4.1 keys a backend policy on a Gateway to that Gateway's traffic, and
 * with a sectionName to that listener's (store/binds.rs internal_backend_policies). "all" while
 * which listeners take a route is not known.
 */
function gatewayBackends(g: Graph, gateway: { name: string; namespace: string }, ns: string, section?: string): string[] | "all" {
  const gw = gatewayResource(g.resources, gateway.namespace, gateway.name, "unknown");
  const out: string[] = [];
  for (const route of g.resources.filter((x) => isRoute(x.type))) {
    const refs = parentRefsTo(route, gateway);
    if (refs.length === 0) continue;
    // A Gateway outside the stack: the routes naming it (and the listener) are all that is known.
    const on = gw ? listenersServing(gw, route, refs, g.resources) : refs.map((ref) => ref.sectionName ?? section);
    if (on === "unknown") return "all";
    if (on === null || (section === undefined ? on.length > 0 : on.includes(section))) out.push(...routeBackends(route, ns));
  }
  return out;
}

/**
 * The backends (by name) an AgentgatewayPolicy of the tools namespace reaches, or "all" where this
 * reader cannot tell (a ListenerSet, another kind): those it targets, those the routes (or route
 * rule, by sectionName) it targets send to, and those the routes a Gateway (or listener) it
 * targets serves send to; a target naming nothing reaches nothing.
 */
export function backendsReached(g: Graph, policy: Record<string, any>): Set<string> | "all" {
  const ns = meta(policy).namespace;
  const bySelector = Array.isArray(policy.spec?.targetSelectors) ? (policy.spec.targetSelectors as Record<string, any>[]) : [];
  const refs: Record<string, any>[] = Array.isArray(policy.spec?.targetRefs)
    ? policy.spec.targetRefs
    : bySelector.flatMap((sel) =>
        g.resources
          .filter((x) => isKind(x.type, String(sel?.group ?? ""), String(sel?.kind)) && meta(x.props).namespace === ns && matchesLabels(sel?.matchLabels ?? {}, meta(x.props).labels))
          .map((x) => ({ kind: sel.kind, name: meta(x.props).name, sectionName: sel.sectionName })),
      );
  if (!Array.isArray(policy.spec?.targetRefs) && bySelector.length === 0) return "all";
  const out = new Set<string>();
  for (const ref of refs) {
    const section = typeof ref?.sectionName === "string" ? ref.sectionName : undefined;
    // With a sectionName the policy binds one MCP target (a sub-backend), whose policies the MCP
    // router does not read for authorization (v1.4.1 mcp/router.rs takes the backend's own).
    if (ref?.kind === "AgentgatewayBackend") {
      if (section === undefined) out.add(String(ref.name));
    } else if (ref?.kind === "HTTPRoute" || ref?.kind === "GRPCRoute") {
      for (const route of g.resources.filter((x) => isRoute(x.type) && x.type.endsWith(`:${ref.kind}`) && meta(x.props).namespace === ns && meta(x.props).name === ref.name)) {
        routeBackends(route, ns, section).forEach((b) => out.add(b));
      }
    } else if (ref?.kind === "Gateway") {
      const reached = gatewayBackends(g, { name: String(ref.name), namespace: ns }, ns, section);
      if (reached === "all") return "all";
      reached.forEach((b) => out.add(b));
    } else if (ref?.kind !== "InferencePool" && ref?.kind !== "Service") return "all";
  }
  return out;
}

/** A route the MCP gateway serves that sends requests to tool Services (by name) without MCP handling. */
export interface PlainToolRoute {
  r: PolicyResource;
  shown: string;
  tools: Set<string>;
}

/**
 * The Services (by name) of `ns` whose pods InferencePool `ns/name` selects: agentgateway v1.4.1
 * makes a pool backendRef a Service of the pods its selector takes (controller
 * plugins/reference_indexes.go DefaultRouteBackend, syncer/service.go InferencePoolBuilder) and
 * sends each request to the one its endpoint picker names (proxy/httpproxy.rs
 * apply_inference_routing). None for a pool the cluster surely lacks (BackendNotFound:
 * agw-backend-refs.ts unrenderedBackend) or where no controller watches pools (agwWatchesPools);
 * throws the SDK's unknown-value error while which pods it takes is not known (a pool the stack
 * does not render but may not be missing).
 */
function poolServices(g: Graph, ns: string, name: string): string[] {
  if (!agwWatchesPools(g.resources)) return [];
  const pool = g.resources.find((x) => isKind(x.type, POOL_GROUP, "InferencePool") && meta(x.props).namespace === ns && meta(x.props).name === name);
  if (!pool) {
    if (unrenderedBackend(g.resources, { group: POOL_GROUP, kind: "InferencePool", namespace: ns, name })) return [];
    throw unknownValueError([`<the pods of InferencePool ${ns}/${name}, which the stack does not render but a Helm release or something outside the stack may create>`]);
  }
  const selector = poolSelector(pool);
  const pods = g.workloads.filter((w) => w.namespace === ns);
  return g.services
    .filter((svc) => svc.namespace === ns)
    .filter((svc) => {
      const hit = someTri(pods, (w) => andTri(w.labels === undefined ? "unknown" : matchesLabels(selector, w.labels), selects(svc, w)));
      if (hit === "unknown") throw unknownValueError([`<whether InferencePool ${ns}/${name} takes pods of Service ${ns}/${svc.name}>`]);
      return hit;
    })
    .map((svc) => svc.name);
}

/**
 * Routes an agentgateway Gateway of the tools namespace (the MCP gateway) serves whose backendRefs
 * reach tool Services as plain HTTP: a Service, an InferencePool of tool pods (poolServices), an
 * AgentgatewayBackend whose `static` or `a2a` host names one (in the route's namespace, or another
 * one agentgateway resolves it in: agw-backend-refs.ts), or a `dynamicForwardProxy` one (every
 * tool), each read by its group and kind as agentgateway normalizes them (translator/conversion.go
 * NormalizeReference: an unset group is the core group, so an AgentgatewayBackend without its group
 * is InvalidKind and reaches nothing). agentgateway v1.4.1 gives MCP handling, and so `backend.mcp.authorization`, only to an `mcp` backend (a Service's MCP appProtocol counts
 * only under a selector target, controller syncer/backend/mcp.go), so any caller of the gateway
 * reaches those tools through such a route.
 * Undefined (and `pending` told why) while a route or backend cannot be read in this preview.
 */
export function plainToolRoutes(g: Graph, cluster: string, pending: string[]): PlainToolRoute[] | undefined {
  const tools = g.config.toolsNamespace;
  const proxies = [...g.proxies.values()].filter((p) => p.namespace === tools && p.byAgentgateway);
  const out: PlainToolRoute[] = [];
  for (const r of g.resources.filter((x) => isRoute(x.type))) {
    const read = probe(() => {
      const m = meta(r.props);
      const served = servedByGateways(r, proxies, g.resources);
      if (served === "unknown") return "unknown" as const;
      if (!served) return undefined;
      const reached = new Set<string>();
      for (const b of list(r.props.spec?.rules as Record<string, any>[]).flatMap((rule) => list(rule?.backendRefs as Record<string, any>[]))) {
        // Its group and kind as agentgateway normalizes them: another group (an unset one is the core group) is InvalidKind, no destination.
        const to = backendRefTarget(r, b);
        const ref = `${to.group}/${to.kind}`;
        const viaBackend = ref === "agentgateway.dev/AgentgatewayBackend";
        // A Service or pool is a tool's only in the tools namespace; one agentgateway refuses (RefNotPermitted) reaches nothing: reportUnresolvedAgentRoutes names it.
        if ((!viaBackend && to.namespace !== tools) || !agwRefAllowed(r, b, g.resources)) continue;
        if (ref === "/Service") reached.add(to.name);
        else if (ref === `${POOL_GROUP}/InferencePool`) poolServices(g, to.namespace, to.name).forEach((svc) => reached.add(svc));
        else if (viaBackend) {
          const be = g.resources.find((x) => isKind(x.type, "agentgateway.dev", "AgentgatewayBackend") && meta(x.props).namespace === to.namespace && meta(x.props).name === to.name);
          const key = hostBackendService(g.resources, to.namespace, to.name)?.service;
          if (key?.startsWith(`${tools}/`)) reached.add(key.slice(tools.length + 1));
          // It dials whatever host the request names (CRD: "can send requests to arbitrary destinations"): every tool.
          if (be?.props.spec?.dynamicForwardProxy) g.services.filter((svc) => svc.namespace === tools).forEach((svc) => reached.add(svc.name));
        }
      }
      return reached.size > 0 ? { r, shown: `${r.type.split(":").pop()} ${m.namespace}/${m.name}`, tools: reached } : undefined;
    });
    if (!read.known || read.value === "unknown") {
      pending.push(`route ${r.name} on cluster ${cluster}, its listeners or the backends it sends to, which decide whether it reaches tools past the MCP authorization`);
      return undefined;
    }
    if (read.value) out.push(read.value);
  }
  return out;
}
