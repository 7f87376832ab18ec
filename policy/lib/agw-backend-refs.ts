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
import { dig, isHelmInstall, helmChartName, isKind, kindName, meta, T } from "./k8s";
import { GATEWAY_GROUP, isGateway, isRoute, isWeightedRoute } from "./gateways";
import { referenceAllowed, type GrantFrom, type GrantTo } from "./reference-grants";
import { servedByGateways } from "./agw-route-bindings";
import { releaseNamespace } from "./release-namespace";
import { mayBeProxyOf } from "./gateway-proxies";
import { list, probe } from "./values";
import { POOL_GROUP } from "./token-limits";
import { poolAbsence } from "./pool-existence";
import { declaredPorts, selectedWorkloads } from "./picker-service";

/** The `to` kinds agentgateway v1.4.1 reads from a ReferenceGrant for a backendRef. */
const GRANTABLE = new Set(["/Service", "agentgateway.dev/AgentgatewayBackend"]);

/** The AGW_BACKEND_REF_GRANT_MODE of each agentgateway controller release of the cluster (controller.extraEnv, read lower-cased as envconfig's decoder does; `route` unless set, api/settings/settings.go; undefined for a valueFrom this review cannot read). */
function agwGrantModes(resources: readonly PolicyResource[]): (string | undefined)[] {
  return resources
    .filter((r) => isHelmInstall(r.type) && helmChartName(r.props) === "agentgateway")
    .map((r) => {
      const env = dig(r.props.values, "controller.extraEnv") as Record<string, unknown> | undefined;
      const set = env?.AGW_BACKEND_REF_GRANT_MODE;
      if (set === undefined || set === null) return "route";
      const value = typeof set === "object" ? (set as { value?: unknown; valueFrom?: unknown }).value : set;
      return typeof value === "string" ? value.toLowerCase() : undefined;
    });
}

/** Whether an agentgateway controller release of the cluster turns ReferenceGrant checks of backendRefs off (AGW_BACKEND_REF_GRANT_MODE none). */
export const agwGrantsWaived = (resources: readonly PolicyResource[]): boolean => agwGrantModes(resources).includes("none");

/**
 * Whether the cluster's agentgateway controllers all require a ReferenceGrant for a policy's backendRef into
 * another namespace: AGW_BACKEND_REF_GRANT_MODE route-and-policy (settings.go RequirePolicyBackendGrant;
 * the default, route, requires none), set on every agentgateway controller release of the cluster.
 */
export function agwPolicyGrantsRequired(resources: readonly PolicyResource[]): boolean {
  const modes = agwGrantModes(resources);
  return modes.length > 0 && modes.every((m) => m === "route-and-policy");
}

/**
 * Whether agentgateway v1.4.1 takes backendRef `ref` of AgentgatewayPolicy or AgentgatewayBackend
 * `owner`: one into another namespace needs, where {@link agwPolicyGrantsRequired}, a ReferenceGrant there
 * opening it to the owner's kind and namespace (plugins/traffic_plugin.go checkBackendRefGrant, through
 * BuildBackendRef and referencedBackendsFromPolicy; jwks/resolver.go checkBackendRefGrant for a remote
 * JWKS, the grant's source an AgentgatewayBackend for its own policies). Throws as referenceAllowed does.
 */
export function agwPolicyRefAllowed(owner: PolicyResource, ref: Parameters<typeof backendRefTarget>[1], resources: readonly PolicyResource[]): boolean {
  const namespace = meta(owner.props).namespace;
  const to = backendRefTarget(owner, ref);
  if (to.namespace === namespace || !agwPolicyGrantsRequired(resources)) return true;
  return GRANTABLE.has(`${to.group}/${to.kind}`) && referenceAllowed({ group: "agentgateway.dev", kind: kindName(owner.type), namespace }, to, resources);
}

/** Whether agentgateway resolves a backendRef from `from` (a route's kind and namespace) to `to`: same namespace, grants waived, or a ReferenceGrant it reads. */
export function agwBackendAllowed(from: GrantFrom, to: GrantTo, resources: readonly PolicyResource[]): boolean {
  if (from.namespace === to.namespace || (to.group === GATEWAY_GROUP && to.kind === "HTTPRoute")) return true;
  if (agwGrantsWaived(resources)) return true;
  return GRANTABLE.has(`${to.group}/${to.kind}`) && referenceAllowed(from, to, resources);
}

/** A route's backendRef as agentgateway v1.4.1 reads it (translator/conversion.go NormalizeReference: kind Service of the core group unless set; the route's namespace unless set). */
export function backendRefTarget(route: PolicyResource, b: { group?: unknown; kind?: unknown; namespace?: unknown; name?: unknown } | null | undefined): GrantTo {
  const namespace = meta(route.props).namespace;
  return { group: String(b?.group ?? ""), kind: String(b?.kind || "Service"), namespace: String(b?.namespace ?? namespace), name: String(b?.name) };
}

/** Whether agentgateway resolves the route's backendRef `b` ({@link agwBackendAllowed} from the route's kind and namespace): one it refuses reaches nothing. */
export function agwRefAllowed(route: PolicyResource, b: Parameters<typeof backendRefTarget>[1], resources: readonly PolicyResource[]): boolean {
  return agwBackendAllowed({ group: GATEWAY_GROUP, kind: kindName(route.type), namespace: meta(route.props).namespace }, backendRefTarget(route, b), resources);
}

/** The backendRef kinds agentgateway v1.4.1 routes to, each looked up among the cluster's objects by name (plugins/reference_indexes.go DefaultRouteBackend; any other is InvalidKind), by `group/kind`. */
const ROUTED = new Set(["/Service", "agentgateway.dev/AgentgatewayBackend", `${POOL_GROUP}/InferencePool`]);

/** Why agentgateway v1.4.1 refuses backendRef `to` of a route of kind `routeKind` as InvalidKind, or undefined for a kind it routes to (or delegation: an HTTPRoute's backendRef of kind HTTPRoute, translator/conversion.go buildAgwHTTPDestination, the only route kind that delegates). */
function invalidKind(to: GrantTo, routeKind: string): string | undefined {
  if (ROUTED.has(`${to.group}/${to.kind}`)) return undefined;
  const delegates = to.group === GATEWAY_GROUP && to.kind === "HTTPRoute";
  if (delegates && routeKind === "HTTPRoute") return undefined;
  const fix = delegates
    ? `only an HTTPRoute delegates to an HTTPRoute: send the ${routeKind} to the Service or AgentgatewayBackend itself`
    : `set the group and kind of the object meant (an AgentgatewayBackend needs group agentgateway.dev, an InferencePool ${POOL_GROUP})`;
  return `is of a group and kind agentgateway v1.4.1 does not route to (it takes core Services, ${POOL_GROUP} InferencePools and agentgateway.dev AgentgatewayBackends, reading an unset group as the core group), so it refuses the reference (ResolvedRefs False, InvalidKind); the route keeps that backend's weight and the proxy fails each request or connection it sends there (an HTTP request with a 500), so that share of its traffic fails; ${fix}`;
}

/**
 * Why backend `to` (a Service, an AgentgatewayBackend or an InferencePool) is surely not on the
 * cluster for agentgateway's controller to find (plugins/reference_indexes.go DefaultRouteBackend
 * looks it up among the cluster's objects of its kind: BackendNotFound), or undefined where the stack renders
 * it, cannot tell, or `to` is of another kind. An InferencePool exists as pool-existence.ts
 * poolAbsence says, the answer inference-pool-epp takes too. Any other kind is judged, as authorization-targets-enforced judges a
 * missing waypoint, only in a namespace the stack creates on the cluster, where it installs no Helm
 * release (whose objects a review does not see) and, for a Service, holds no Gateway whose
 * controller may make a Service of that name (its proxy's: mayBeProxyOf); an object of the kind the
 * stack leaves unnamed may be any. Throws the SDK's unknown-value error while a name or namespace
 * it reads is not known yet (releaseNamespace: also one this run cannot know).
 */
export function unrenderedBackend(resources: readonly PolicyResource[], to: GrantTo): string | undefined {
  const { namespace, name, kind } = to;
  if (!ROUTED.has(`${to.group}/${kind}`)) return undefined;
  // A pool: inference-pool-epp's answer (pool-existence.ts), wherever the namespace comes from.
  if (kind === "InferencePool") return poolAbsence(resources, to) && `the stack renders no InferencePool ${name} in ${namespace} on it, nor a Helm release that would`;
  if (!createsNamespace(resources, namespace)) return undefined;
  const isService = kind === "Service";
  const same = resources.filter((r) => (isService ? r.type === T.service : isKind(r.type, to.group, kind)) && meta(r.props).namespace === namespace);
  if (same.some((r) => [name, ""].includes(meta(r.props).name))) return undefined;
  const gateways = resources.filter((r) => isGateway(r.type) && meta(r.props).namespace === namespace).map((r) => ({ namespace, name: meta(r.props).name }));
  if (isService && mayBeProxyOf(`${namespace}/${name}`, gateways)) return undefined;
  if (releasesInto(resources, namespace)) return undefined;
  return `the stack creates namespace ${namespace} there but renders no ${kind} ${name} in it (nor a Helm release${isService ? " or Gateway" : ""} that would)`;
}

/**
 * Why a route's Service backendRef `to` names a port the Service does not have: agentgateway v1.4.1's
 * controller takes the port as written (plugins/reference_indexes.go DefaultRouteBackend checks only
 * that the Service exists, ResolvedRefs True), and its proxy finds no endpoint on a port the Service
 * lacks (types/loadbalancer.rs select_endpoint: None; proxy/httpproxy.rs: NoHealthyEndpoints, an HTTP
 * 503). Judged only where the stack renders the Service by that name in that namespace, of a type other
 * than ExternalName, with its ports; on a port it has, why that port's named targetPort reaches no pod
 * ({@link targetPortUndeclared}); undefined otherwise. Throws the SDK's unknown-value error while
 * the port or the Services' names, types, ports or selected pods are not known yet.
 */
export function portMissing(resources: readonly PolicyResource[], to: GrantTo, port: unknown, shown: string): string | undefined {
  if (to.group !== "" || to.kind !== "Service" || typeof port !== "number") return undefined;
  const services = renderedServices(resources, to.namespace, to.name);
  if (!services) return undefined;
  const ports = servicePorts(services);
  if (ports.includes(port)) return targetPortUndeclared(resources, services, port, shown);
  return `${shown} names port ${port}, which the Service does not have (it has ${ports.length ? ports.join(", ") : "none"}); agentgateway v1.4.1 accepts the reference all the same (the Service exists) and its proxy finds no endpoint for that port (NoHealthyEndpoints), so each request it sends there gets a 503 and each connection fails: that share of its traffic fails while the route looks resolved; set the port to one the Service has`;
}

/**
 * The ports of Service `namespace/name` as the stack renders it, or undefined where it renders no
 * such Service or one of type ExternalName (whose ports stand for nothing the cluster serves).
 * Throws the SDK's unknown-value error while the Services' names, types or ports are not known yet.
 */
export function renderedServicePorts(resources: readonly PolicyResource[], namespace: string, name: string): unknown[] | undefined {
  const services = renderedServices(resources, namespace, name);
  return services && servicePorts(services);
}

/** The stack's Services `namespace/name`, or undefined where it renders none or one of type ExternalName. */
function renderedServices(resources: readonly PolicyResource[], namespace: string, name: string): PolicyResource[] | undefined {
  const services = resources.filter((r) => r.type === T.service && meta(r.props).namespace === namespace && meta(r.props).name === name);
  return services.length === 0 || services.some((s) => s.props.spec?.type === "ExternalName") ? undefined : services;
}

function servicePorts(services: readonly PolicyResource[]): unknown[] {
  return services.flatMap((s) => list(s.props.spec?.ports as { port?: unknown }[]).map((p) => p?.port));
}

/**
 * Where the Service's entry for `port` targets a port by name that no pod the Service selects
 * declares: Kubernetes resolves a named targetPort per pod (pkg/api/v1/pod/util.go FindPort) and
 * leaves a pod without it out of the port's EndpointSlices (k8s.io/endpointslice utils.go
 * getEndpointPorts), so the Service has no endpoint there. Judged only where it selects workloads
 * of the stack and no Helm release installs into its namespace (a chart's pods may declare it).
 */
export function targetPortUndeclared(resources: readonly PolicyResource[], services: readonly PolicyResource[], port: number, shown: string): string | undefined {
  for (const s of services) {
    const { namespace } = meta(s.props);
    const target = list(s.props.spec?.ports as { port?: unknown; targetPort?: unknown }[]).find((p) => p?.port === port)?.targetPort;
    const selector = s.props.spec?.selector as Record<string, string> | undefined;
    if (typeof target !== "string" || /^[0-9]+$/.test(target) || !selector || Object.keys(selector).length === 0 || releasesInto(resources, namespace)) continue;
    const selected = selectedWorkloads(resources as PolicyResource[], namespace, selector);
    const declared = declaredPorts(selected);
    if (selected.length === 0 || declared.some((p) => p.name === target)) continue;
    const described = [...new Set(declared.map((p) => (p.name ? `${p.containerPort} (${p.name})` : `${p.containerPort}`)))].join(", ") || "no ports";
    return `${shown} port ${port} targets the port named ${target}, which no pod the Service selects declares (they declare ${described}), so Kubernetes gives the Service no endpoint on it and agentgateway v1.4.1's proxy finds none (NoHealthyEndpoints): each request it sends there gets a 503 and each connection fails, while the reference looks resolved; name a port the pods declare`;
  }
  return undefined;
}

/** Whether the stack creates namespace `namespace` on the cluster. */
export const createsNamespace = (resources: readonly PolicyResource[], namespace: string) => resources.some((r) => r.type === T.namespace && meta(r.props).name === namespace);

/** Whether a Helm release of the cluster installs into `namespace` (objects a review does not see). Throws the SDK's unknown-value error while a release's namespace is not known yet. */
export const releasesInto = (resources: readonly PolicyResource[], namespace: string) => resources.some((r) => r.type === T.helmRelease && releaseNamespace(r) === namespace);

/** Whether the stack holds namespace `namespace` whole: it creates it and installs no Helm release there, so what it does not render there is absent. Throws as releasesInto does. */
export const heldWhole = (resources: readonly PolicyResource[], namespace: string) => createsNamespace(resources, namespace) && !releasesInto(resources, namespace);

/** The agentgateway Gateways of the agents or tools namespace: the agent gateway, the MCP gateway. */
export const agwGatewaysOfFleet = (g: Graph) => [...g.sharing.values()].flat().filter((p) => p.byAgentgateway && [g.config.agentsNamespace, g.config.toolsNamespace].includes(p.namespace));

/**
 * Routes an agentgateway Gateway of the agents or tools namespace serves (the agent gateway, the
 * MCP gateway) whose backendRef agentgateway v1.4.1 does not resolve: one in another namespace it
 * may not reference (RefNotPermitted), one of a group and kind it does not route to (InvalidKind:
 * {@link invalidKind}), or a Service or AgentgatewayBackend the cluster does not have
 * (or, on a TCPRoute or TLSRoute, an InferencePool) the cluster does not have
 * ({@link unrenderedBackend}: BackendNotFound); the grant is checked first,
 * translator/conversion.go buildAgwDestination. The route is accepted all the same and keeps that
 * backend's weight with no destination, and the proxy fails each request it picks for it with a
 * 500 (proxy/mod.rs BackendDoesNotExist, or resolve_backend ServiceNotFound for a Service no
 * cluster object backs), a TCP or TLS route its connection: a share of an agent's or the tools'
 * traffic fails while the call graph counts the route as serving. An HTTPRoute's or GRPCRoute's
 * InferencePool backendRefs of its group are inference-pool-epp's (a TCPRoute's or TLSRoute's are
 * judged here: a pool of another namespace, which no grant opens, or one the cluster does not have);
 * an HTTPRoute's HTTPRoute one is delegation.
 */
export function reportUnresolvedAgentRoutes(g: Graph, cluster: string, report: (message: string, urn?: string) => void, pending: string[]): void {
  const gateways = agwGatewaysOfFleet(g);
  if (gateways.length === 0) return;
  for (const r of g.resources.filter((x) => isWeightedRoute(x.type))) {
    const refs = probe(() => (servedByGateways(r, gateways, g.resources) === true ? list(r.props.spec?.rules as { backendRefs?: any[] }[]).flatMap((rule) => list(rule?.backendRefs)).map((b) => ({ ...backendRefTarget(r, b), port: b?.port as unknown })) : []));
    if (!refs.known) {
      pending.push(`route ${r.name} on cluster ${cluster}, its Gateway's listeners or its backendRefs, which decide whether agentgateway resolves every backend it sends to`);
      continue;
    }
    const { namespace, name } = meta(r.props);
    const kind = kindName(r.type);
    const found = new Set<string>();
    for (const to of refs.value) {
      // An HTTPRoute's or GRPCRoute's InferencePool of its group is inference-pool-epp's (its grant, its existence: pool-membership.ts checkRoutePools).
      if (to.group === POOL_GROUP && to.kind === "InferencePool" && isRoute(r.type)) continue;
      const wrongKind = invalidKind(to, kind);
      if (!wrongKind && !ROUTED.has(`${to.group}/${to.kind}`)) continue;
      const shown = `backendRef ${to.kind} ${to.namespace}/${to.name}${wrongKind ? ` (group ${JSON.stringify(to.group)})` : ""}`;
      const read = probe(() => {
        if (!agwBackendAllowed({ group: GATEWAY_GROUP, kind, namespace }, to, g.resources)) {
          const grantable = GRANTABLE.has(`${to.group}/${to.kind}`);
          return `${shown} is in another namespace, and no ReferenceGrant in ${to.namespace} lets ${kind}s of ${namespace} reference it${grantable ? "" : ` (agentgateway v1.4.1 reads none to ${/^[AEIOU]/.test(to.kind) ? "an" : "a"} ${to.kind})`}, so agentgateway v1.4.1 refuses the reference (ResolvedRefs False, RefNotPermitted); the route keeps that backend's weight and the proxy answers each request it sends there with a 500, so that share of its traffic fails; ${grantable ? "add the ReferenceGrant in the backend's namespace or route" : "route"} to an object of the route's own`;
        }
        if (wrongKind) return `${shown} ${wrongKind}`;
        const missing = unrenderedBackend(g.resources, to);
        const an = to.kind === "Service" ? "a" : "an";
        if (!missing) return portMissing(g.resources, to, to.port, shown);
        return `${shown} names ${an} ${to.kind} the cluster does not have (${missing}), so agentgateway v1.4.1 finds no backend for it (ResolvedRefs False, BackendNotFound); the route keeps that backend's weight and the proxy fails each request or connection it sends there (an HTTP request with a 500), so that share of its traffic fails; render the ${to.kind}, or correct the name (${an} ${to.kind} made outside the stack, by hand or another tool, would resolve it, which this review cannot see)`;
      });
      if (!read.known) pending.push(`the ReferenceGrants of ${to.namespace}, and its Namespace, ${to.kind}s, Gateways and Helm releases on cluster ${cluster}, which decide whether agentgateway resolves ${kind} ${namespace}/${name}'s ${shown}`);
      else if (read.value) found.add(read.value);
    }
    for (const why of found) report(`${kind} ${namespace}/${name} on cluster ${cluster}, on an agentgateway Gateway: ${why}`, r.urn);
  }
}
