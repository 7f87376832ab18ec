/**
 * Agent and MCP routes that attach nowhere: Gateway API v1 binds a route only to the listeners its
 * parentRef selects, by `sectionName` where one is given (ParentReference; no listener of that name:
 * Accepted False, NoMatchingParent), so a route whose every parentRef names a listener its
 * agentgateway Gateway does not have serves nothing, and the agents or tools behind it are
 * reached through no gateway while the objects all apply.
 */
import type { Graph } from "./call-graph";
import { meta } from "./k8s";
import { GATEWAY_GROUP, gatewayResource, isRoute } from "./gateways";
import { isListenerSet } from "./listener-sets";
import { list, probe } from "./values";

/**
 * Reports each route of the agents or tools namespace whose parentRefs all name an agentgateway
 * Gateway the stack renders there by a sectionName none of its listeners has. Not judged where a
 * parentRef names anything else (a Gateway the stack does not render, a port), where the cluster
 * has a ListenerSet (which may add the listener), or while listeners are not known yet.
 */
export function reportUnattachedAgentRoutes(g: Graph, cluster: string, report: (message: string, urn?: string) => void, pending: string[]): void {
  if (g.resources.some((r) => isListenerSet(r.type))) return;
  const fleet = [g.config.agentsNamespace, g.config.toolsNamespace];
  const agw = [...g.proxies.values()].filter((p) => p.byAgentgateway && fleet.includes(p.namespace));
  for (const r of g.resources.filter((x) => isRoute(x.type))) {
    const read = probe(() => {
      const { namespace, name } = meta(r.props);
      if (!fleet.includes(namespace)) return undefined;
      const parents = list(r.props.spec?.parentRefs as { group?: string; kind?: string; name?: string; namespace?: string; sectionName?: unknown; port?: unknown }[]);
      const misses = parents.map((p) => {
        const ns = p.namespace ?? namespace;
        if ((p.group ?? GATEWAY_GROUP) !== GATEWAY_GROUP || (p.kind ?? "Gateway") !== "Gateway" || typeof p.sectionName !== "string" || p.port !== undefined) return undefined;
        if (!agw.some((x) => x.namespace === ns && x.name === p.name)) return undefined;
        const gw = gatewayResource(g.resources, ns, String(p.name), "unknown");
        const listeners = list(gw?.props.spec?.listeners as { name?: unknown }[]).map((l) => String(l?.name));
        return listeners.includes(p.sectionName) ? undefined : `Gateway ${ns}/${p.name} has no listener ${p.sectionName}; it has ${listeners.join(", ") || "none"}`;
      });
      if (parents.length === 0 || misses.some((m) => m === undefined)) return undefined;
      return `${r.type.split(":").pop()} ${namespace}/${name} on cluster ${cluster}: every parentRef names a listener its Gateway does not have (${[...new Set(misses)].join("; ")}), so Gateway API attaches it nowhere (Accepted False, NoMatchingParent) and agentgateway v1.4.1 serves none of it: the agents or tools it routes to are reached through no gateway; name a listener the Gateway has, or leave sectionName out`;
    });
    if (!read.known) pending.push(`the parentRefs of route ${r.name} on cluster ${cluster}, or its Gateway's listeners, which decide whether it attaches`);
    else if (read.value) report(read.value, r.urn);
  }
}
