/**
 * Gateway proxies as the mesh sees them: the ServiceAccount each Gateway's controller runs its
 * proxy under (the identity AuthorizationPolicies name), the ServiceAccounts a stack renders, and
 * which Gateways a policy's targetRefs bind. The authorization-rule readers are in authz.ts.
 */
import type { PolicyResource } from "@pulumi/policy";
import { clusterResolver, meta, T } from "./k8s";
import { gatewayResource, isGateway } from "./gateways";
import { istioDefaultName, istioGatewayKind } from "./istio-classes";
import { agentgatewayProxyName, isOwnAgentgatewayClass as isAgentgatewayClass } from "./authz-targets";
import { layeredServiceAccount, parameterLayers } from "./agentgateway-params";
import { istiodsOf, istiodsServing } from "./istiod-revisions";
import { everyTri, orUnknown, Probe, probe, Tri } from "./values";

/** A Gateway's proxy as the mesh sees it: the ServiceAccount its controller runs it under. */
export interface GatewayProxy {
  /** `namespace/serviceAccount`. */
  identity: string;
  namespace: string;
  name: string;
  gatewayClassName: string;
  /** Whether agentgateway's own controller (agentgateway.dev) runs it, whatever its class is called. */
  byAgentgateway: boolean;
  /** The Gateway's labels; undefined while not known. */
  labels: Record<string, string> | undefined;
}

/**
 * The ServiceAccount a Gateway's proxy runs under. Istio's kinds ({@link istioGatewayKind}, read
 * with the class names the cluster's istiod serves): `<name>-<class>` for its ingress kind (its
 * default class, whatever it is called, or a GatewayClass naming its controller), the bare name
 * for the waypoint, east-west and agentgateway kinds (DisableNameSuffix, gatewaycommon/classinfo.go,
 * GetDefaultName in gateway_utils.go), in each case replaced by the Gateway's
 * `gateway.istio.io/service-account` annotation when set and not empty (1.30.3
 * gatewaycommon/deploymentcontroller.go, GetOrDefault of annotation.GatewayServiceAccount; the
 * kube-gateway and waypoint templates create it); none for `istio-remote`, which Istio deploys
 * nothing for. Other controllers: {@link otherControllerAccount}.
 * Unknown while its class's istiod env or its annotations are not known.
 */
function proxyServiceAccount(r: PolicyResource, cls: string, cluster: PolicyResource[]): Probe<string | undefined> {
  const { name } = meta(r.props);
  const kind = probe(() => istioGatewayKind(r, cluster));
  if (!kind.known) return kind;
  if (kind.value === undefined) return otherControllerAccount(r, cls, cluster);
  if (kind.value === "remote") return { known: true, value: undefined };
  const byName = istioDefaultName(kind.value, name, cls);
  const annotated = probe(() => meta(r.props).annotations[SERVICE_ACCOUNT_ANNOTATION] as unknown);
  if (!annotated.known) return annotated;
  return { known: true, value: typeof annotated.value === "string" && annotated.value !== "" ? annotated.value : byName };
}
const SERVICE_ACCOUNT_ANNOTATION = "gateway.istio.io/service-account";

/**
 * A Gateway's proxy account outside Istio's kinds. agentgateway v1.4.1 renders its proxy with
 * `serviceAccountName` the Gateway's name (controller/pkg/helm/agentgateway/templates/_helpers.tpl
 * kgateway.gateway.fullname of agentgateway.name, which deployer/agentgateway_parameters.go sets
 * to gw.Name), shortened past 63 characters ({@link agentgatewayProxyName}), for every Gateway of
 * a class naming its controller ({@link isAgentgatewayClass}), and the AgentgatewayParameters
 * `deployment`/`daemonSet` overlays (its class's, then its own: strategic merge patches of the
 * pod template) may set another. Other controllers: `<name>-<class>`.
 */
function otherControllerAccount(r: PolicyResource, cls: string, cluster: PolicyResource[]): Probe<string | undefined> {
  const agw = isAgentgatewayClass(cls, cluster);
  if (!agw.known) return agw;
  const { name } = meta(r.props);
  if (!agw.value) return { known: true, value: `${name}-${cls}` };
  const layers = parameterLayers(r, cluster);
  if (!layers.known) return layers;
  return { known: true, value: layeredServiceAccount(layers.value)?.sa ?? agentgatewayProxyName(name) };
}

/** The stack's Gateways, each with the resources of its cluster (its GatewayClasses and istiods). */
function gatewaysWithCluster(resources: PolicyResource[]): [PolicyResource, PolicyResource[]][] {
  const clusterOf = clusterResolver(resources);
  const groups = new Map<string | undefined, PolicyResource[]>();
  for (const r of resources) {
    const c = clusterOf(r);
    const group = groups.get(c);
    if (group) group.push(r);
    else groups.set(c, [r]);
  }
  return resources.filter((r) => isGateway(r.type)).map((r) => [r, groups.get(clusterOf(r)) ?? []]);
}

/** Every Gateway's proxy whose identity this preview can read, one a Gateway (Gateways sharing an account each appear). */
export function allGatewayProxies(resources: PolicyResource[]): GatewayProxy[] {
  const out: GatewayProxy[] = [];
  for (const [r, cluster] of gatewaysWithCluster(resources)) {
    const m = meta(r.props);
    const read = probe(() => r.props.spec?.gatewayClassName as string | undefined);
    const cls = read.known ? read.value : undefined;
    if (!cls) continue;
    const account = proxyServiceAccount(r, cls, cluster);
    if (!account.known || account.value === undefined) continue;
    const agw = isAgentgatewayClass(cls, cluster);
    const byAgentgateway = agw.known && agw.value && orUnknown(() => istioGatewayKind(r, cluster) === undefined, false);
    out.push({ identity: `${m.namespace}/${account.value}`, namespace: m.namespace, name: m.name, gatewayClassName: cls, byAgentgateway, labels: orUnknown(() => ({ ...m.labels }), undefined) });
  }
  return out;
}

/**
 * The proxies of the stack's Gateways, by identity, each with the Gateways sharing it, its holder
 * first. Gateways sharing one account (an overlay or annotation naming another's) do not displace
 * each other: an agentgateway proxy (the agent or MCP gateway the call graph judges) holds it over
 * another kind's, then the Gateway the account is named after, then the first.
 */
export function gatewayProxiesSharing(resources: PolicyResource[]): Map<string, GatewayProxy[]> {
  const rank = (p: GatewayProxy) => (p.byAgentgateway ? 2 : 0) + ([`${p.namespace}/${p.name}`, `${p.namespace}/${agentgatewayProxyName(p.name)}`].includes(p.identity) ? 1 : 0);
  const out = new Map<string, GatewayProxy[]>();
  for (const proxy of allGatewayProxies(resources)) {
    const held = out.get(proxy.identity);
    if (!held) out.set(proxy.identity, [proxy]);
    else if (rank(proxy) > rank(held[0])) held.unshift(proxy);
    else held.push(proxy);
  }
  return out;
}

/** The proxies of the stack's Gateways, by identity, the holder of each ({@link gatewayProxiesSharing}; Gateways whose class or ServiceAccount is not known yet: {@link gatewaysOfUnknownClass}). */
export function gatewayProxies(resources: PolicyResource[]): Map<string, GatewayProxy> {
  return new Map([...gatewayProxiesSharing(resources)].map(([id, ps]) => [id, ps[0]]));
}

/** Gateways whose proxy identity this preview cannot read: their class, or (Istio's classes) the annotation renaming it. */
export function gatewaysOfUnknownClass(resources: PolicyResource[]): { namespace: string; name: string }[] {
  const unknownIdentity = (r: PolicyResource, cluster: PolicyResource[]) => {
    const cls = probe(() => r.props.spec?.gatewayClassName as unknown);
    return !cls.known || (typeof cls.value === "string" && cls.value !== "" && !proxyServiceAccount(r, cls.value, cluster).known);
  };
  return gatewaysWithCluster(resources)
    .filter(([r, cluster]) => unknownIdentity(r, cluster))
    .map(([r]) => ({ namespace: meta(r.props).namespace, name: meta(r.props).name }));
}

/**
 * Proxy identities of Istio Gateways that no istiod of their cluster owns, where the stack
 * installs istiods there, each with the Gateway's name: one labelled (or in a namespace labelled)
 * with an `istio.io/rev` none of them answers to. Istio 1.30.3's deployment controller deploys a
 * Gateway's proxy only from an istiod that owns it (gatewaycommon/deploymentcontroller.go
 * Reconcile: `if !d.tagWatcher.IsMine(gw.ObjectMeta)` it skips, with a TODO for exactly this
 * case), so unless an istiod outside the stack answers to that revision the account never exists.
 * A Gateway whose ownership this preview cannot read is left out.
 */
export function gatewaysOwnedByNone(resources: PolicyResource[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const [r, cluster] of gatewaysWithCluster(resources)) {
    const read = probe(() => {
      const cls: unknown = r.props.spec?.gatewayClassName;
      if (typeof cls !== "string" || cls === "" || istiodsOf(cluster).length === 0) return undefined;
      const kind = istioGatewayKind(r, cluster);
      if (kind === undefined || kind === "remote" || istiodsServing(r, cluster).length > 0) return undefined;
      const account = proxyServiceAccount(r, cls, cluster);
      return account.known && account.value ? `${meta(r.props).namespace}/${account.value}` : undefined;
    });
    if (read.known && read.value) out.set(read.value, `${meta(r.props).namespace}/${meta(r.props).name}`);
  }
  return out;
}

/** Whether `namespace/serviceAccount` may be the proxy identity of one of these Gateways (`<name>`, agentgateway's shortened name, or `<name>-<class>`). */
export function mayBeProxyOf(id: string, gateways: { namespace: string; name: string }[]): boolean {
  return gateways.some((g) => [g.name, agentgatewayProxyName(g.name)].some((n) => id === `${g.namespace}/${n}`) || id.startsWith(`${g.namespace}/${g.name}-`));
}

/**
 * The `namespace/serviceAccount` identities gateway controllers create for the Gateways of the
 * stack (Istio: `<name>-<class>` for its ingress kind, `<name>-istio` unless its istiod renamed
 * the class, the bare name for its waypoint, east-west and agentgateway classes; agentgateway:
 * the Gateway's name).
 */
export function gatewayProxyIdentities(resources: PolicyResource[]): Set<string> {
  return new Set(gatewayProxies(resources).keys());
}

/** ServiceAccounts a principal may name: rendered ServiceAccounts and the gateway proxies' identities. */
export function knownServiceAccounts(resources: PolicyResource[]): Set<string> {
  const out = gatewayProxyIdentities(resources);
  for (const r of resources.filter((x) => x.type === T.serviceAccount)) {
    const m = meta(r.props);
    out.add(`${m.namespace}/${m.name}`);
  }
  return out;
}

/**
 * Istio's ingress classes, as a class list names them: `istio` stands for the class the
 * cluster's istiod serves as its ingress kind (its default class, `istio` unless
 * PILOT_GATEWAY_API_DEFAULT_GATEWAYCLASS_NAME renames it, or a GatewayClass naming its
 * controller), so a renamed class is not left out nor a class no istiod serves taken in.
 */
export const ISTIO_INGRESS = "istio";

/**
 * Whether the policy binds only Gateways of the given classes in its namespace (no targetRefs:
 * false; "unknown" while a target's class, or the istiod env naming Istio's, is not known in a
 * preview). {@link ISTIO_INGRESS} in `classes` takes Istio's ingress kind by the names its istiod serves.
 */
export function targetsOnlyGatewaysOfClass(refs: { kind: string; name: string }[], namespace: string, resources: PolicyResource[], classes: string[]): Tri {
  if (refs.length === 0) return false;
  return everyTri(refs, (ref) => {
    if (ref.kind !== "Gateway") return false;
    const gw = gatewayResource(resources, namespace, ref.name, "unknown");
    if (!gw) return false;
    const cls = gw.props.spec?.gatewayClassName;
    if (classes.filter((c) => c !== ISTIO_INGRESS).includes(cls)) return true;
    return classes.includes(ISTIO_INGRESS) && istioGatewayKind(gw, resources) === "ingress";
  });
}
