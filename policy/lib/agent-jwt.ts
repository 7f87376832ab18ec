/**
 * Whether the agent gateway authenticates its callers. It is the fleet's front door: agents admit
 * only its proxy, so whoever it lets through reaches them (and, through its LLM routes, the
 * models). Reachable from outside the cluster, it must reject a request without a valid JWT.
 *
 * agentgateway v1.4.1 (crates/agentgateway/src/http/jwt.rs) rejects a request without a valid token
 * only in mode `Strict`; `Optional` lets a request without a token through and `Permissive` any
 * request; the AgentgatewayPolicy CRD defaults the mode to Strict. For a route, the proxy merges
 * the JWT policies of the Gateway, its listener, the route and the route's rules in that order,
 * the later replacing the earlier (store/binds.rs `route_policies`): a route's own policy decides
 * for it, the Gateway's (or listener's) for a route without one.
 */
import type { PolicyResource } from "@pulumi/policy";
import { clusterInternal, exposingServices } from "./gateway-exposure";
import { isGateway, isKind, isRoute, meta } from "./k8s";
import { list, orUnknown, probe, Tri } from "./values";
import type { Config } from "./call-graph";

const GATEWAY_GROUP = "gateway.networking.k8s.io";
const isAgentgatewayPolicy = (type: string) => isKind(type, "agentgateway.dev", "AgentgatewayPolicy");

/** A JWT authentication policy and the mode the proxy runs it in. */
interface JwtPolicy {
  name: string;
  mode: string;
  refs: { group?: string; kind?: string; name?: string }[];
}

const isStrict = (p: JwtPolicy) => p.mode === "Strict";
const shown = (ps: JwtPolicy[]) => ps.map((p) => `${p.name} (mode ${p.mode})`).join(", ");

/**
 * Reports each route on the agent gateway through which a caller without a valid JWT reaches
 * what the route serves, when the gateway is reachable from outside the cluster. Values this
 * run cannot read go to `pending` (can't judge during preview).
 */
export function reportAgentGatewayJwt(resources: PolicyResource[], config: Config, cluster: string, report: (message: string, urn?: string) => void, pending: string[]): void {
  if (!config.requireAgentJwt) return;
  const [namespace, name] = config.agentGateway.split("/");
  const gw = resources.find((r) => isGateway(r.type) && orUnknown(() => meta(r.props).namespace === namespace && meta(r.props).name === name, false));
  if (!gw) return;
  const where = `agent gateway ${namespace}/${name} on cluster ${cluster}`;
  const internal: Tri = clusterInternal(gw, probe(() => gw.props.spec?.gatewayClassName as string | undefined), resources);
  if (internal === "unknown") return void pending.push(`whether the ${where} is reachable from outside the cluster`);
  const exposed = exposingServices(gw, resources).services;
  if (internal === true && exposed.length === 0) return;

  const policies: JwtPolicy[] = [];
  for (const r of resources.filter((x) => isAgentgatewayPolicy(x.type))) {
    const read = probe(() => {
      const jwt = r.props.spec?.traffic?.jwtAuthentication;
      if (!jwt || meta(r.props).namespace !== namespace) return undefined;
      return { name: `${namespace}/${meta(r.props).name}`, mode: String(jwt.mode ?? "Strict"), refs: list(r.props.spec?.targetRefs as JwtPolicy["refs"]) };
    });
    if (!read.known) pending.push(`AgentgatewayPolicy ${r.name}, which may set the JWT authentication of the ${where}`);
    else if (read.value) policies.push(read.value);
  }
  const targeting = (kind: string, target: string) =>
    policies.filter((p) => p.refs.some((ref) => (ref.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && ref.kind === kind && ref.name === target));
  const onGateway = targeting("Gateway", name);

  for (const route of resources.filter((r) => isRoute(r.type))) {
    const read = probe(() => {
      const m = meta(route.props);
      const attached = list(route.props.spec?.parentRefs as { group?: string; kind?: string; name?: string; namespace?: string }[]).some(
        (ref) => (ref.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && (ref.kind ?? "Gateway") === "Gateway" && ref.name === name && (ref.namespace ?? m.namespace) === namespace,
      );
      return attached ? { namespace: m.namespace, name: m.name, kind: route.type.split(":").pop()! } : undefined;
    });
    if (!read.known) {
      pending.push(`the parents of route ${route.name}, which may be on the ${where}`);
      continue;
    }
    const r = read.value;
    if (!r) continue;
    // A route's own policies attach only from its namespace; they replace the Gateway's.
    const own = r.namespace === namespace ? targeting(r.kind, r.name) : [];
    const deciding = own.length > 0 ? own : onGateway;
    if (deciding.length > 0 && deciding.every(isStrict)) continue;
    const exposure = internal === true ? ` (ClusterIP, but Service ${exposed.join(", ")} exposes it)` : " (its Service is a load balancer)";
    const why =
      deciding.length === 0
        ? "no AgentgatewayPolicy with traffic.jwtAuthentication targets the Gateway or the route"
        : `${own.length > 0 ? "the route's" : "the Gateway's"} JWT authentication ${shown(deciding.filter((p) => !isStrict(p)))} is not Strict, and agentgateway lets a request without a valid token through in any other mode`;
    report(
      `${r.kind} ${r.namespace}/${r.name} is served by the ${where}, which is reachable from outside the cluster${exposure}, and ${why}: every caller reaches what the route serves without a token. Target the Gateway with an AgentgatewayPolicy whose traffic.jwtAuthentication mode is Strict (or set requireAgentJwt false where the gateway is meant to be open)`,
      route.urn,
    );
  }
}
