/**
 * Who may call whom, twice: as intended (from the config alone) and as enforced (computed from the
 * rendered objects: Istio AuthorizationPolicies, agentgateway policies and what they select).
 * Tests require the two to be equal, so a policy that admits one caller too many, or misses one,
 * fails the suite. Pure: plain objects in, edges out.
 *
 * Nodes are workload identities `<namespace>/<serviceAccount>`, plus `ingress` (callers without a
 * mesh identity: from outside the mesh, or anyone reaching a proxy that cannot see identities)
 * and `*` (anyone: what an ALLOW rule without sources, or a NetworkPolicy rule without peers,
 * would mean). Every in-mesh caller is one of anyone, so `edgeList` drops an identity's edge that
 * a `*` edge of the same layer, target and port already draws.
 * Layers: `mesh` (Istio, enforced by ztunnel, a waypoint or the gateway's proxy), `network`
 * (Kubernetes NetworkPolicy, enforced by the CNI), `gateway` (who may use an agentgateway proxy at
 * all) and `mcp-tool` (agentgateway's per-tool MCP authorization).
 *
 * Istio's own Gateways (class `istio`) stay out of the ambient data plane and see no caller's mesh
 * identity, so a principal in a policy bound to one matches nobody and draws no edge; who reaches
 * the inference gateway is the NetworkPolicy's business (../inference/gateway-access.ts).
 */
import type { PlatformSpec } from "../../infra/config";
import type { Identity } from "../mesh/authz";
import { agentGateway, agentVersionIdentity, agentsOn, gatewayIdentity, mcpGateway, toolIdentity, toolsNamespace, toolsOn } from "./names";
import type { Waypoints } from "./authz";
import { parseCelExpression } from "./security";
import { networkPolicyIngress, PodGroup } from "../k8s/network-policies";
import { llmRoutesEnabled } from "./llm";
import { inferenceMeshPort, inferencePublicPort, istioGatewayStatusPort } from "../../infra/gateway-ports";

export type CallLayer = "mesh" | "network" | "gateway" | "mcp-tool";
export interface CallEdge {
  from: string;
  to: string;
  layer: CallLayer;
  /** Layer `network`: the port the rule admits (absent: every port). Two listeners of one gateway
   * can be open to different callers, and only a port tells the rules apart. */
  port?: string;
}
export const INGRESS = "ingress";
export const ANYONE = "*";

export const nodeOf = (id: Identity) => `${id.namespace}/${id.serviceAccount}`;
/** An in-mesh caller's node, `<namespace>/<serviceAccount>` (not `ingress`, `*` or an address block). */
const IDENTITY = /^[^\s/]+\/[^\s/]+$/;

export function edgeKey(e: CallEdge): string {
  return `${e.layer}: ${e.from} -> ${e.to}${e.port === undefined ? "" : `:${e.port}`}`;
}

/** Sorted, de-duplicated `layer: from -> to[:port]` lines: what tests compare and reports print.
 * An identity's edge is left out where anyone (`*`) already reaches the same target and port. */
export function edgeList(edges: CallEdge[]): string[] {
  const anyone = edges.filter((e) => e.from === ANYONE);
  const covered = (e: CallEdge) =>
    IDENTITY.test(e.from) && anyone.some((a) => a.layer === e.layer && a.to === e.to && (a.port === undefined || a.port === e.port));
  return [...new Set(edges.filter((e) => !covered(e)).map(edgeKey))].sort();
}

/** The intended graph on one cluster, from the config: ingress → agent-gateway → agents →
 * mcp-gateway → tools (each agent only its configured tools), agents (and agent-gateway, for its
 * LLM routes) → inference gateway's in-mesh listener (by NetworkPolicy: the gateway sees no mesh
 * identity), anyone → its public listener and status port. A waypoint in front of `tools` is one
 * more hop into each tool (it forwards the agents' direct calls, which it checks itself). */
export function intendedCallGraph(spec: PlatformSpec, cluster: string, inferenceGateway: Identity, waypoints: Waypoints = new Map()): CallEdge[] {
  const agents = agentsOn(spec, cluster);
  // Agents call a model, so a cluster with agents serves one: with neither, there is no inference gateway.
  if (agents.length === 0 && !spec.models.some((m) => m.clusters.includes(cluster))) return [];
  const inference = nodeOf(inferenceGateway);
  const meshPort = String(inferenceMeshPort);
  const outsiders: CallEdge[] = [
    { from: INGRESS, to: inference, layer: "mesh" },
    ...[inferencePublicPort(spec.gateways), istioGatewayStatusPort].flatMap((port) =>
      [INGRESS, ANYONE].map((from): CallEdge => ({ from, to: inference, layer: "network", port: String(port) })),
    ),
  ];
  // A cluster serving models without agents still admits outside callers at its inference gateway.
  if (agents.length === 0) return outsiders;
  const tools = new Map(toolsOn(spec, cluster).map((t) => [t.name, t]));
  const agw = nodeOf(gatewayIdentity(agentGateway));
  const mcp = nodeOf(gatewayIdentity(mcpGateway));
  const edges: CallEdge[] = [
    { from: INGRESS, to: agw, layer: "gateway" },
    ...outsiders,
    ...[...tools.values()].map((t) => ({ from: mcp, to: nodeOf(toolIdentity(t)), layer: "mesh" as const })),
  ];
  // The LLM routes: agent-gateway forwards callers' completions to the inference gateway.
  if (llmRoutesEnabled(spec)) edges.push({ from: agw, to: inference, layer: "network", port: meshPort });
  const toolsWaypoint = waypoints.get(toolsNamespace);
  if (toolsWaypoint) {
    for (const t of tools.values()) edges.push({ from: `${toolsNamespace}/${toolsWaypoint}`, to: nodeOf(toolIdentity(t)), layer: "mesh" });
  }
  for (const a of agents) {
    for (const v of a.versions) {
      const self = nodeOf(agentVersionIdentity(a, v.name));
      edges.push({ from: agw, to: self, layer: "mesh" }, { from: self, to: inference, layer: "network", port: meshPort });
      if (a.tools.length) edges.push({ from: self, to: mcp, layer: "gateway" });
      for (const t of a.tools) {
        const tool = nodeOf(toolIdentity(tools.get(t)!));
        edges.push({ from: self, to: tool, layer: "mesh" }, { from: self, to: tool, layer: "mcp-tool" });
      }
    }
  }
  return edges;
}

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; [k: string]: any };

/** Gateway classes whose proxies' ServiceAccount is the Gateway's bare name (see proxyServiceAccount). */
export const BARE_NAME_PROXY_CLASSES: readonly string[] = ["agentgateway", "istio-waypoint", "istio-east-west", "istio-agentgateway"];

/**
 * The ServiceAccount a gateway controller creates for a Gateway's proxy: agentgateway names it
 * after the Gateway, and so does Istio 1.30.3 for its waypoint, east-west and agentgateway classes
 * (DisableNameSuffix in pilot/pkg/config/kube/gatewaycommon/classinfo.go); Istio's default class
 * (and any other) `<gateway>-<class>`.
 */
export function proxyServiceAccount(gateway: string, gatewayClassName: string): string {
  return BARE_NAME_PROXY_CLASSES.includes(gatewayClassName) ? gateway : `${gateway}-${gatewayClassName}`;
}


const matches = (labels: Record<string, string> | undefined, selector: Record<string, string> | undefined) =>
  !!selector && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** Gateway classes whose proxies read the caller's mesh identity (HBONE): waypoints, east-west gateways and agentgateway. */
const IDENTITY_AWARE_CLASSES = new Set(["istio-waypoint", "istio-east-west", "agentgateway"]);

/** `cluster.local/ns/agents/sa/x` → `agents/x`; anything else is kept verbatim (and fails tests). */
export function principalNode(principal: string, trustDomain: string): string {
  const m = principal.match(/^(.+)\/ns\/([^/]+)\/sa\/([^/]+)$/);
  return m && m[1] === trustDomain ? `${m[2]}/${m[3]}` : principal;
}

/** What the rendered objects of one cluster let call whom. */
export function renderedCallGraph(objects: Obj[], trustDomain: string): CallEdge[] {
  const of = (kind: string) => objects.filter((o) => o.kind === kind);
  const deployments = [...of("Deployment"), ...of("DaemonSet"), ...of("StatefulSet")];
  const podsSelectedBy = (ns: string, selector: Record<string, string> | undefined): string[] =>
    deployments
      .filter((d) => d.metadata.namespace === ns && (selector === undefined || matches(d.spec.template.metadata?.labels, selector)))
      .map((d) => `${ns}/${d.spec.template.spec.serviceAccountName ?? "default"}`);
  const service = (ns: string, name: string) => of("Service").find((s) => s.metadata.namespace === ns && s.metadata.name === name);
  const classOf = (ns: string, name: string): string =>
    of("Gateway").find((g) => g.metadata.namespace === ns && g.metadata.name === name)?.spec.gatewayClassName ?? "istio";
  const gatewayNode = (ns: string, name: string): string => `${ns}/${proxyServiceAccount(name, classOf(ns, name))}`;
  const edges: CallEdge[] = [];

  for (const p of of("AuthorizationPolicy")) {
    if ((p.spec.action ?? "ALLOW") !== "ALLOW") continue;
    const ns = p.metadata.namespace!;
    const targets: { node: string; seesIdentity: boolean }[] = p.spec.targetRefs
      ? p.spec.targetRefs.flatMap((r: any) =>
          r.kind === "Gateway"
            ? [{ node: gatewayNode(ns, r.name), seesIdentity: IDENTITY_AWARE_CLASSES.has(classOf(ns, r.name)) }]
            : r.kind === "Service"
              ? podsSelectedBy(ns, service(ns, r.name)?.spec.selector ?? {}).map((node) => ({ node, seesIdentity: true }))
              : [],
        )
      : podsSelectedBy(ns, p.spec.selector?.matchLabels).map((node) => ({ node, seesIdentity: true }));
    for (const target of targets) {
      const sources: string[] = (p.spec.rules ?? []).flatMap((rule: any) =>
        !rule.from?.length
          ? [ANYONE]
          : rule.from.flatMap((f: any) => [
              ...(target.seesIdentity ? (f.source?.principals ?? []).map((x: string) => principalNode(x, trustDomain)) : []),
              ...((f.source?.notPrincipals ?? []).includes("*") ? [INGRESS] : []),
            ]),
      );
      for (const from of sources) edges.push({ from, to: target.node, layer: "mesh" });
    }
  }

  edges.push(...networkPolicyEdges(objects, gatewayNode));

  const agwPolicies = of("AgentgatewayPolicy");
  const cel = (p: Obj, path: "traffic" | "backend") =>
    (path === "traffic" ? p.spec.traffic?.authorization : p.spec.backend?.mcp?.authorization)?.policy.matchExpressions.flatMap(parseCelExpression) ?? [];
  for (const gw of of("Gateway").filter((g) => g.spec.gatewayClassName === "agentgateway")) {
    const ns = gw.metadata.namespace!;
    const to = gatewayNode(ns, gw.metadata.name);
    const authz = agwPolicies.filter(
      (p) => p.metadata.namespace === ns && p.spec.traffic?.authorization && p.spec.targetRefs?.some((r: any) => r.kind === "Gateway" && r.name === gw.metadata.name),
    );
    if (authz.length) {
      for (const c of authz.flatMap((p) => cel(p, "traffic"))) for (const sa of c.serviceAccounts) edges.push({ from: `${c.namespace}/${sa}`, to, layer: "gateway" });
      continue;
    }
    const ref = gw.spec.infrastructure?.parametersRef;
    const params = ref && of("AgentgatewayParameters").find((p) => p.metadata.namespace === ns && p.metadata.name === ref.name);
    const internal = params?.spec.service?.spec?.type === "ClusterIP";
    edges.push({ from: internal ? ANYONE : INGRESS, to, layer: "gateway" });
  }

  for (const p of agwPolicies.filter((x) => x.spec.backend?.mcp?.authorization)) {
    const ns = p.metadata.namespace!;
    for (const ref of p.spec.targetRefs ?? []) {
      const backend = of("AgentgatewayBackend").find((b) => b.metadata.namespace === ns && b.metadata.name === ref.name);
      const targetServices: Obj[] = (backend?.spec.mcp?.targets ?? []).flatMap((t: any) =>
        of("Service").filter((s) => s.metadata.namespace === ns && t.selector && matches((s.metadata as any).labels, t.selector.services?.matchLabels)),
      );
      const toolNodes = (target: string) =>
        targetServices
          .filter((s) => s.spec.ports.some((port: any) => (s.metadata.annotations?.["agentgateway.dev/mcp-target-name"] ?? `${s.metadata.name}-${port.name ?? port.port}`) === target))
          .flatMap((s) => podsSelectedBy(ns, s.spec.selector));
      for (const c of cel(p, "backend")) {
        for (const to of c.toolTarget ? toolNodes(c.toolTarget) : [ANYONE]) {
          for (const sa of c.serviceAccounts) edges.push({ from: `${c.namespace}/${sa}`, to, layer: "mcp-tool" });
        }
      }
    }
  }
  return edges;
}

/** What NetworkPolicies let reach whom (layer `network`), port by port: a rule without peers admits
 * anyone, outside callers and every in-mesh caller alike. */
function networkPolicyEdges(objects: Obj[], gatewayNode: (ns: string, name: string) => string): CallEdge[] {
  const node = (pod: PodGroup) => (pod.kind === "gateway" ? gatewayNode(pod.namespace, pod.name) : `${pod.namespace}/${pod.serviceAccount}`);
  const edges: CallEdge[] = [];
  for (const np of networkPolicyIngress(objects, { gatewaysNamedBySelectors: true })) {
    for (const rule of np.rules) {
      const sources = rule.peers.flatMap((peer) =>
        peer.kind === "anywhere" ? [INGRESS, ANYONE] : peer.kind === "ipBlock" ? [`ipBlock ${peer.cidr}`] : peer.pods.map(node),
      );
      const ports = rule.ports.length ? rule.ports.map((p) => `${p.port ?? "any"}${p.endPort ? `-${p.endPort}` : ""}`) : [undefined];
      for (const to of np.pods.map(node)) {
        for (const port of ports) for (const from of sources) edges.push({ from, to, layer: "network", ...(port === undefined ? {} : { port }) });
      }
    }
  }
  return edges;
}

/** Principals in AuthorizationPolicies that name neither a rendered ServiceAccount nor a gateway
 * proxy's controller-created one (`proxyServiceAccount`). */
export function unresolvedPrincipals(objects: Obj[], trustDomain: string): string[] {
  const known = new Set([
    ...objects.filter((o) => o.kind === "ServiceAccount").map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
    ...objects
      .filter((o) => o.kind === "Gateway")
      .map((g) => `${g.metadata.namespace}/${proxyServiceAccount(g.metadata.name, g.spec.gatewayClassName)}`),
  ]);
  const principals = objects
    .filter((o) => o.kind === "AuthorizationPolicy")
    .flatMap((p) => (p.spec.rules ?? []).flatMap((r: any) => (r.from ?? []).flatMap((f: any) => f.source?.principals ?? [])));
  return [...new Set(principals.filter((x: string) => !known.has(principalNode(x, trustDomain))))].sort();
}
