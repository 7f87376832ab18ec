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
import { dig, isHelmInstall, helmChartName } from "./k8s";
import { referenceAllowed, type GrantFrom, type GrantTo } from "./reference-grants";

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
  if (from.namespace === to.namespace || (to.group === "gateway.networking.k8s.io" && to.kind === "HTTPRoute")) return true;
  if (agwGrantsWaived(resources)) return true;
  return GRANTABLE.has(`${to.group}/${to.kind}`) && referenceAllowed(from, to, resources);
}
