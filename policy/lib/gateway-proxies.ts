/**
 * Gateway proxies as the mesh sees them: the ServiceAccount each Gateway's controller runs its
 * proxy under (the identity AuthorizationPolicies name), the ServiceAccounts a stack renders, and
 * which Gateways a policy's targetRefs bind. The authorization-rule readers are in authz.ts.
 */
import type { PolicyResource } from "@pulumi/policy";
import { isGateway, meta, T } from "./k8s";
import { everyTri, orUnknown, Probe, probe, Tri } from "./values";

/** A Gateway's proxy as the mesh sees it: the ServiceAccount its controller runs it under. */
export interface GatewayProxy {
  /** `namespace/serviceAccount`. */
  identity: string;
  namespace: string;
  name: string;
  gatewayClassName: string;
  /** The Gateway's labels; undefined while not known. */
  labels: Record<string, string> | undefined;
}

/**
 * Gateway classes whose controller names the proxy's ServiceAccount after the Gateway itself.
 * Istio 1.30.3 appends `-<class>` only for its default class (`istio`): the waypoint, east-west
 * and agentgateway classes set DisableNameSuffix (pilot/pkg/config/kube/gatewaycommon/classinfo.go,
 * GetDefaultName in gateway_utils.go); agentgateway's own controller uses the Gateway's name.
 */
const BARE_NAME_CLASSES = new Set(["istio-waypoint", "istio-east-west", "istio-agentgateway", "agentgateway"]);

/**
 * Istio's own classes: its deployment controller runs their proxies under the ServiceAccount the
 * Gateway's `gateway.istio.io/service-account` annotation names, when set and not empty, else the
 * default name (1.30.3 gatewaycommon/deploymentcontroller.go, GetOrDefault of
 * annotation.GatewayServiceAccount; the kube-gateway and waypoint templates create it).
 */
const ISTIO_DEPLOYED_CLASSES = new Set(["istio", "istio-waypoint", "istio-east-west", "istio-agentgateway"]);
const SERVICE_ACCOUNT_ANNOTATION = "gateway.istio.io/service-account";

/** The ServiceAccount a Gateway's proxy runs under, by its class (unknown while its annotations are not known). */
function proxyServiceAccount(r: PolicyResource, cls: string): Probe<string> {
  const { name } = meta(r.props);
  const byName = BARE_NAME_CLASSES.has(cls) ? name : `${name}-${cls}`;
  if (!ISTIO_DEPLOYED_CLASSES.has(cls)) return { known: true, value: byName };
  const annotated = probe(() => meta(r.props).annotations[SERVICE_ACCOUNT_ANNOTATION] as unknown);
  if (!annotated.known) return annotated;
  return { known: true, value: typeof annotated.value === "string" && annotated.value !== "" ? annotated.value : byName };
}

/** The proxies of the stack's Gateways, by identity (Gateways whose class or ServiceAccount is not known yet: {@link gatewaysOfUnknownClass}). */
export function gatewayProxies(resources: PolicyResource[]): Map<string, GatewayProxy> {
  const out = new Map<string, GatewayProxy>();
  for (const r of resources.filter((x) => isGateway(x.type))) {
    const m = meta(r.props);
    const read = probe(() => r.props.spec?.gatewayClassName as string | undefined);
    const cls = read.known ? read.value : undefined;
    if (!cls) continue;
    const account = proxyServiceAccount(r, cls);
    if (!account.known) continue;
    const identity = `${m.namespace}/${account.value}`;
    out.set(identity, { identity, namespace: m.namespace, name: m.name, gatewayClassName: cls, labels: orUnknown(() => ({ ...m.labels }), undefined) });
  }
  return out;
}

/** Gateways whose proxy identity this preview cannot read: their class, or (Istio's classes) the annotation renaming it. */
export function gatewaysOfUnknownClass(resources: PolicyResource[]): { namespace: string; name: string }[] {
  const unknownIdentity = (r: PolicyResource) => {
    const cls = probe(() => r.props.spec?.gatewayClassName as unknown);
    return !cls.known || (typeof cls.value === "string" && cls.value !== "" && !proxyServiceAccount(r, cls.value).known);
  };
  return resources.filter((r) => isGateway(r.type) && unknownIdentity(r)).map((r) => ({ namespace: meta(r.props).namespace, name: meta(r.props).name }));
}

/** Whether `namespace/serviceAccount` may be the proxy identity of one of these Gateways (`<name>` or `<name>-<class>`). */
export function mayBeProxyOf(id: string, gateways: { namespace: string; name: string }[]): boolean {
  return gateways.some((g) => id === `${g.namespace}/${g.name}` || id.startsWith(`${g.namespace}/${g.name}-`));
}

/**
 * The `namespace/serviceAccount` identities gateway controllers create for the Gateways of the
 * stack (Istio: `<name>-istio` for its default class, the bare name for its waypoint, east-west
 * and agentgateway classes; agentgateway: the Gateway's name).
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
 * Whether the policy binds only Gateways of the given classes in its namespace (no targetRefs:
 * false; "unknown" while a target's class is not known in a preview).
 */
export function targetsOnlyGatewaysOfClass(refs: { kind: string; name: string }[], namespace: string, resources: PolicyResource[], classes: string[]): Tri {
  if (refs.length === 0) return false;
  return everyTri(refs, (ref) => {
    if (ref.kind !== "Gateway") return false;
    const gw = resources.find((r) => isGateway(r.type) && meta(r.props).name === ref.name && meta(r.props).namespace === namespace);
    return !!gw && classes.includes(gw.props.spec?.gatewayClassName);
  });
}
