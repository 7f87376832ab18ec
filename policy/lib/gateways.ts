/**
 * Gateway API vocabulary: its group, the kinds of Gateways and routes the rules match, agentgateway's
 * per-Gateway parameters, and the one lookup of a Gateway of the stack by namespace and name.
 */
import type { PolicyResource } from "@pulumi/policy";
import { isKind, meta, unknownValueError } from "./k8s";
import { orUnknown } from "./values";

/** Gateway API's group: routes, Gateways, ReferenceGrants, and the default of their references. */
export const GATEWAY_GROUP = "gateway.networking.k8s.io";

export const isGateway = (type: string) => isKind(type, GATEWAY_GROUP, "Gateway");
export const isRoute = (type: string) => isKind(type, GATEWAY_GROUP, "HTTPRoute") || isKind(type, GATEWAY_GROUP, "GRPCRoute");
/**
 * Route kinds whose rules split traffic by backendRef weight, all with Gateway API's one BackendRef
 * (weight default 1, 0 to 1000000): HTTPRoute and GRPCRoute, and TLSRoute (standard from v1.5) and
 * TCPRoute (experimental in v1.5.1, standard from v1.6), which Istio 1.30 programs with their
 * weights too (buildTCPDestination) and agentgateway serves.
 */
export const isWeightedRoute = (type: string) => isRoute(type) || isStreamRoute(type);
/** TLSRoute and TCPRoute: routes of connections, not requests (no HTTP policy runs on them). */
export const isStreamRoute = (type: string) => isKind(type, GATEWAY_GROUP, "TLSRoute") || isKind(type, GATEWAY_GROUP, "TCPRoute");

/** agentgateway's per-Gateway (or per-GatewayClass) proxy settings: image, overlays, Istio identity. */
export const isAgentgatewayParameters = (type: string) => isKind(type, "agentgateway.dev", "AgentgatewayParameters");

/**
 * The stack's Gateway `namespace`/`name`, or undefined where it holds none. A Gateway whose
 * namespace or name this preview cannot read is never taken for it, nor stops the lookup of the
 * others (one of them readable and named so is the one: a cluster holds one object of a name).
 * Where none is, such a Gateway may still be the one named: `unreadable: "skip"` (the default)
 * answers undefined, for a caller to whom an unknown Gateway stands for none in particular;
 * `"unknown"` throws the SDK's "not known in this preview" error naming it, for a caller whose
 * verdict then cannot be known.
 */
export function gatewayResource(resources: readonly PolicyResource[], namespace: string, name: string, unreadable: "skip" | "unknown" = "skip"): PolicyResource | undefined {
  let unknown: PolicyResource | undefined;
  for (const r of resources) {
    if (!isGateway(r.type)) continue;
    const named = orUnknown(() => meta(r.props).namespace === namespace && meta(r.props).name === name, undefined);
    if (named) return r;
    if (named === undefined) unknown ??= r;
  }
  if (unknown && unreadable === "unknown") throw unknownValueError([`<the namespace or name of Gateway ${unknown.name}: whether it is Gateway ${namespace}/${name}>`]);
  return undefined;
}
