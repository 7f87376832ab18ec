/**
 * Which backendRefs of a route agentgateway v1.4.1's controller resolves
 * (controller/pkg/agentgateway/translator/conversion.go buildAgwDestination): one to another
 * namespace only where a ReferenceGrant there opens it (translator/references_collection.go
 * BackendAllowed, RefNotPermitted otherwise), unless the controller runs with
 * AGW_BACKEND_REF_GRANT_MODE=none (api/settings/settings.go, default `route`; the chart sets it
 * only through controller.extraEnv). Its grant index keeps only the `to` kinds it knows, Service,
 * Secret and AgentgatewayBackend (plugins/reference_indexes.go DefaultReferenceTypes), so no grant
 * opens an InferencePool of another namespace to its routes. An HTTPRoute backendRef is route
 * delegation, which needs no grant. A refused or missing backend stays in the route with its weight
 * and no destination (plugins DefaultRouteBackend, BackendNotFound), so its share of requests fails.
 */
import type { PolicyResource } from "@pulumi/policy";
import type { Graph } from "./call-graph";
import { dig, isHelmInstall, helmChartName, kindName, meta } from "./k8s";
import { GATEWAY_GROUP, isWeightedRoute } from "./gateways";
import { referenceAllowed, type GrantFrom, type GrantTo } from "./reference-grants";
import { servedByGateways } from "./agw-route-bindings";
import { list, probe } from "./values";

/** The `to` kinds agentgateway v1.4.1 reads from a ReferenceGrant for a backendRef. */
const GRANTABLE = new Set(["/Service", "agentgateway.dev/AgentgatewayBackend"]);

/** Whether an agentgateway controller release of the cluster turns ReferenceGrant checks of backendRefs off (controller.extraEnv AGW_BACKEND_REF_GRANT_MODE none, read lower-cased as envconfig's decoder does). */
export function agwGrantsWaived(resources: readonly PolicyResource[]): boolean {
  return resources.some((r) => {
    if (!isHelmInstall(r.type) || helmChartName(r.props) !== "agentgateway") return false;
    const env = dig(r.props.values, "controller.extraEnv") as Record<string, unknown> | undefined;
    const set = env?.AGW_BACKEND_REF_GRANT_MODE;
    const value = set !== null && typeof set === "object" ? (set as { value?: unknown }).value : set;
    return typeof value === "string" && value.toLowerCase() === "none";
  });
}

/** Whether agentgateway resolves a backendRef from `from` (a route's kind and namespace) to `to`: same namespace, grants waived, or a ReferenceGrant it reads. */
export function agwBackendAllowed(from: GrantFrom, to: GrantTo, resources: readonly PolicyResource[]): boolean {
  if (from.namespace === to.namespace || (to.group === GATEWAY_GROUP && to.kind === "HTTPRoute")) return true;
  if (agwGrantsWaived(resources)) return true;
  return GRANTABLE.has(`${to.group}/${to.kind}`) && referenceAllowed(from, to, resources);
}

/**
 * Routes an agentgateway Gateway of the agents or tools namespace serves (the agent gateway, the
 * MCP gateway) whose Service or AgentgatewayBackend backendRef is in another namespace agentgateway
 * may not reference (RefNotPermitted). The route is accepted all the same and keeps that
 * backend's weight with no destination, and the proxy answers each request it picks for it with a
 * 500 (proxy/mod.rs BackendDoesNotExist): a share of an agent's or the tools' traffic fails while
 * the call graph counts the route as serving. InferencePool backendRefs are inference-pool-epp's;
 * an HTTPRoute one is delegation.
 */
export function reportUnresolvedAgentRoutes(g: Graph, cluster: string, report: (message: string, urn?: string) => void, pending: string[]): void {
  const gateways = [...g.sharing.values()].flat().filter((p) => p.byAgentgateway && [g.config.agentsNamespace, g.config.toolsNamespace].includes(p.namespace));
  if (gateways.length === 0) return;
  for (const r of g.resources.filter((x) => isWeightedRoute(x.type))) {
    const read = probe(() => {
      if (servedByGateways(r, gateways, g.resources) !== true) return [];
      const { namespace, name } = meta(r.props);
      const from = { group: GATEWAY_GROUP, kind: kindName(r.type), namespace };
      const found: string[] = [];
      for (const b of list(r.props.spec?.rules as { backendRefs?: any[] }[]).flatMap((rule) => list(rule?.backendRefs))) {
        const to = { group: String(b?.group ?? ""), kind: String(b?.kind || "Service"), namespace: String(b?.namespace ?? namespace), name: String(b?.name) };
        const known = (to.group === "" && to.kind === "Service") || (to.group === "agentgateway.dev" && to.kind === "AgentgatewayBackend");
        if (!known) continue;
        const shown = `backendRef ${to.kind} ${to.namespace}/${to.name}`;
        if (!agwBackendAllowed(from, to, g.resources)) found.push(`${shown} is in another namespace, and no ReferenceGrant in ${to.namespace} lets ${from.kind}s of ${namespace} reference it`);
      }
      return [...new Set(found)].map(
        (why) =>
          `${from.kind} ${namespace}/${name} on cluster ${cluster}, on an agentgateway Gateway: ${why}, so agentgateway v1.4.1 refuses the reference (ResolvedRefs False, RefNotPermitted); the route keeps that backend's weight and the proxy answers each request it sends there with a 500, so that share of its traffic fails; add the ReferenceGrant in the backend's namespace or route to an object of the route's own`,
      );
    });
    if (!read.known) pending.push(`route ${r.name} on cluster ${cluster}, its Gateway's listeners or its backendRefs, which decide whether agentgateway resolves every backend it sends to`);
    else for (const message of read.value) report(message, r.urn);
  }
}
