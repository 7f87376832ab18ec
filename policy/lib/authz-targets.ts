/**
 * What an Istio AuthorizationPolicy's `targetRefs` bind, as istiod 1.30.3 reads them, and which
 * GatewayClasses belong to agentgateway (whose proxies take no Istio authorization).
 */
import type { PolicyResource } from "@pulumi/policy";
import { createHash } from "crypto";
import { dig, helmChartName, isHelmInstall, isKind, meta } from "./k8s";
import { GATEWAY_GROUP, gatewayResource, isGateway } from "./gateways";
import { probe, Probe } from "./values";
import { releaseNamespace } from "./release-namespace";
import { isKindOrPatch, isPatch } from "./patches";


/**
 * The targets istiod's validation webhook admits (Istio 1.30.3 pkg/config/validation/validation.go
 * allowedTargetRefs, groups compared after defaulting "" to "core"); policyattachment.go binds
 * nothing else either.
 */
export const ISTIO_TARGET_KINDS: readonly { group: string; kind: string }[] = [
  { group: "core", kind: "Service" },
  { group: "networking.istio.io", kind: "ServiceEntry" },
  { group: GATEWAY_GROUP, kind: "Gateway" },
  { group: GATEWAY_GROUP, kind: "GatewayClass" },
];

/** Istio's group defaulting (pkg/config/model.go CanonicalGroup): an empty group is "core". */
export const canonicalGroup = (group: string | undefined) => (group ? group : "core");

/** The only GatewayClass a targetRef may bind (from the root namespace): pilot/pkg/model/policyattachment.go. */
export const WAYPOINT_CLASS = "istio-waypoint";

/**
 * Controllers whose proxies are agentgateway: agentgateway's own (v1.4.1 controller/pkg/wellknown
 * DefaultAgwControllerName) and Istio 1.30's experimental one (constants.ManagedAgentgatewayController).
 * Neither hands its proxies Istio AuthorizationPolicies: both build their workloads with an empty
 * authorization collection ("Authz/Authn are not use for agentgateway": agentgateway v1.4.1
 * controller/pkg/syncer/syncer.go, Istio 1.30.3 pilot/pkg/config/kube/agentgateway/agentgateway_controller.go).
 */
const AGENTGATEWAY_CONTROLLERS: Record<string, string> = {
  "agentgateway.dev/agentgateway": "agentgateway's controller",
  "istio.io/agentgateway-controller": "Istio's experimental agentgateway controller",
};

/** The classes those controllers create by default: agentgateway's `agentgateway`, Istio's `istio-agentgateway`. */
const DEFAULT_AGENTGATEWAY_CLASSES: Record<string, string> = {
  agentgateway: "agentgateway.dev/agentgateway",
  "istio-agentgateway": "istio.io/agentgateway-controller",
};

const isGatewayClass = (type: string) => isKind(type, GATEWAY_GROUP, "GatewayClass");

/**
 * The agentgateway GatewayClasses of one cluster (name → the controller that runs their proxies):
 * the default ones, those an agentgateway controller chart renames (`gatewayClassName`,
 * `controllerName` values: AGW_AGENTGATEWAY_CLASS_NAME, AGW_CONTROLLER_NAME), and the stack's
 * GatewayClasses of those controllers; a GatewayClass the stack renders decides its own name.
 * `unknown` names what this preview cannot read yet.
 */
export function agentgatewayClasses(resources: PolicyResource[]): { classes: Map<string, string>; unknown: string[] } {
  const controllers = new Map(Object.entries(AGENTGATEWAY_CONTROLLERS));
  const classes = new Map(Object.entries(DEFAULT_AGENTGATEWAY_CLASSES).map(([name, c]) => [name, controllers.get(c)!]));
  const unknown: string[] = [];
  for (const r of resources.filter((x) => isHelmInstall(x.type))) {
    const chart = probe(() => helmChartName(r.props));
    if (chart.known && chart.value !== "agentgateway") continue;
    const values = probe(() => ({ cls: dig(r.props.values, "gatewayClassName"), controller: dig(r.props.values, "controllerName") }));
    if (!chart.known || !values.known) {
      unknown.push(`the values of Helm release ${r.name}`);
      continue;
    }
    const controller = typeof values.value.controller === "string" && values.value.controller !== "" ? values.value.controller : "agentgateway.dev/agentgateway";
    const label = `the agentgateway controller of Helm release ${r.name}`;
    controllers.set(controller, label);
    if (typeof values.value.cls === "string" && values.value.cls !== "") classes.set(values.value.cls, label);
  }
  for (const r of resources.filter((x) => isGatewayClass(x.type))) {
    const name = probe(() => meta(r.props).name);
    const controller = probe(() => r.props.spec?.controllerName as unknown);
    if (!name.known || !controller.known) {
      // Its controller decides what its name is: not the default class's until known.
      if (name.known) classes.delete(name.value);
      unknown.push(`the ${name.known ? "controllerName" : "name"} of GatewayClass ${r.name}`);
      continue;
    }
    const of = typeof controller.value === "string" ? controllers.get(controller.value) : undefined;
    if (of) classes.set(name.value, of);
    else classes.delete(name.value);
  }
  return { classes, unknown };
}

/**
 * Whether agentgateway's own controller runs the proxies of class `cls` (a class of one of its
 * controllers by {@link agentgatewayClasses}, not Istio's experimental one, which deploys them as
 * it deploys its own). Unknown while a release's values or a GatewayClass this depends on is not known.
 */
export function isOwnAgentgatewayClass(cls: string, resources: PolicyResource[]): Probe<boolean> {
  const { classes, unknown } = agentgatewayClasses(resources);
  const of = classes.get(cls);
  if (of !== undefined) return { known: true, value: !of.startsWith("Istio's") };
  return unknown.length > 0 ? { known: false } : { known: true, value: false };
}

/**
 * The name agentgateway v1.4.1's controller gives a Gateway's proxy Deployment, Service,
 * ServiceAccount and ConfigMap, and its pods' name, instance and gateway-name labels: the Gateway's
 * name, or past 63 characters (a DNS label's limit; a Gateway's name may be a 253-character
 * subdomain) its first 50 less one trailing "-", then "-" and the first 12 hex digits of the name's
 * sha256 (controller/pkg/helm/agentgateway/templates/_helpers.tpl kgateway.gateway.safeLabelValue,
 * used by kgateway.gateway.fullname and .name).
 */
export function agentgatewayProxyName(gatewayName: string): string {
  if (gatewayName.length <= 63) return gatewayName;
  const head = gatewayName.slice(0, 50);
  return `${head.endsWith("-") ? head.slice(0, -1) : head}-${createHash("sha256").update(gatewayName).digest("hex").slice(0, 12)}`;
}

/**
 * The Gateway of an agentgateway class (`classes`, {@link agentgatewayClasses}) in `namespace` whose
 * proxy's Service is `name`: the Gateway's own name, which agentgateway's controller shortens past
 * 63 characters ({@link agentgatewayProxyName}; Istio's experimental controller keeps it). One
 * readable match is the one; "unknown" while none is and a Gateway this preview cannot read
 * (namespace, name or class) may be it.
 */
export function agentgatewayProxy(resources: readonly PolicyResource[], namespace: string, classes: Map<string, string>, name: string): PolicyResource | undefined | "unknown" {
  const serviceOf = (gw: PolicyResource) => (classes.get(gw.props.spec?.gatewayClassName)?.startsWith("Istio's") ? meta(gw.props).name : agentgatewayProxyName(meta(gw.props).name));
  let unknown = false;
  for (const gw of resources.filter((r) => isGateway(r.type))) {
    const match = probe(() => meta(gw.props).namespace === namespace && classes.has(gw.props.spec?.gatewayClassName) && serviceOf(gw) === name);
    if (match.known && match.value) return gw;
    unknown ||= !match.known;
  }
  return unknown ? "unknown" : undefined;
}

export const USE_WAYPOINT = "istio.io/use-waypoint";
const USE_WAYPOINT_NAMESPACE = "istio.io/use-waypoint-namespace";

/**
 * The waypoint (`namespace/name`) a Service or ServiceEntry is enrolled with: its own
 * `istio.io/use-waypoint` label wins, then its namespace's (`none` opts out); undefined when none
 * says so (Istio 1.30.3 ambient/waypoints.go fetchWaypointForTarget).
 */
export function waypointOf(own: Record<string, string>, namespaceLabels: Record<string, string>, namespace: string): string | undefined {
  for (const labels of [own, namespaceLabels]) {
    const name = labels[USE_WAYPOINT];
    if (name === undefined) continue;
    return name === "none" ? undefined : `${labels[USE_WAYPOINT_NAMESPACE] ?? namespace}/${name}`;
  }
  return undefined;
}

/** The stack's waypoint Gateway a {@link waypointOf} answer (`namespace/name`) names, or undefined where it holds none (unknown while a Gateway's name is). */
export function waypointGateway(resources: readonly PolicyResource[], waypoint: string): PolicyResource | undefined {
  const slash = waypoint.indexOf("/");
  return gatewayResource(resources, waypoint.slice(0, slash), waypoint.slice(slash + 1), "unknown");
}

/**
 * Why a CUSTOM AuthorizationPolicy bound by selector or namespace-wide (no targetRefs) in
 * `namespace` is enforced by no proxy, or undefined where one may take it. istiod hands ztunnel no
 * CUSTOM policy ("ztunnel does not support the CUSTOM action": Istio 1.30.3
 * pilot/pkg/serviceregistry/ambient/authorization.go convertAuthorizationPolicy), and a waypoint
 * takes only targetRefs policies (pilot/pkg/model/policyattachment.go ShouldAttachPolicy: "waypoints
 * never use selector"). Only an Envoy gateway or sidecar there could, so it is judged only in an
 * ambient namespace the stack renders (istio.io/dataplane-mode=ambient) holding no Gateway but
 * waypoints and agentgateway's (which take no Istio policy) and no Helm release (a classic gateway chart's). Throws the SDK's unknown-value error
 * where a label, class or namespace it reads is not known yet.
 */
export function customEnforcedNowhere(namespace: string, resources: PolicyResource[]): boolean {
  const ns = resources.filter((r) => isKind(r.type, "core", "Namespace") && meta(r.props).name === namespace);
  if (ns.length === 0 || ns.some((r) => meta(r.props).labels?.["istio.io/dataplane-mode"] !== "ambient")) return false;
  const gateways = resources.filter((r) => isKind(r.type, GATEWAY_GROUP, "Gateway") && meta(r.props).namespace === namespace);
  // agentgateway's proxies take no Istio AuthorizationPolicy either ({@link agentgatewayClasses}).
  const agw = agentgatewayClasses(resources);
  if (gateways.some((g) => g.props.spec?.gatewayClassName !== WAYPOINT_CLASS && (agw.unknown.length > 0 || !agw.classes.has(g.props.spec?.gatewayClassName)))) return false;
  return !resources.some((r) => isHelmInstall(r.type) && releaseNamespace(r) === namespace);
}

/** A CUSTOM policy without targetRefs that nothing enforces ({@link customEnforcedNowhere}): its message, "unknown", or undefined. */
export function customUnenforced(r: PolicyResource, policy: string, namespace: string, resources: PolicyResource[]): string | "unknown" | undefined {
  const read = probe(() => {
    if (r.props.spec?.action !== "CUSTOM" || !customEnforcedNowhere(namespace, resources)) return undefined;
    return r.props.spec?.selector ? "by selector" : "namespace-wide";
  });
  if (!read.known) return "unknown";
  if (!read.value) return undefined;
  return `${policy} is CUSTOM and bound ${read.value}, not targetRefs, in ambient namespace ${namespace}, where the stack runs no gateway: ztunnel does not support the CUSTOM action (istiod hands it none) and waypoints take only targetRefs policies, so nothing enforces it; bind it with targetRefs to the waypoint (or the Service) whose traffic it guards`;
}

/**
 * The stack's objects of a kind (and their `<Kind>Patch`es) with this namespace (undefined:
 * cluster-scoped) and name; "unknown" while one whose name or namespace this preview cannot read
 * may be among them: a `<Kind>Patch` always (its labels would count), an object where no readable
 * one matches (the API server takes no two of one name).
 */
export function namedObjects(resources: readonly PolicyResource[], group: string, kind: string, namespace: string | undefined, name: string): PolicyResource[] | "unknown" {
  let unread: "object" | "patch" | undefined;
  const found = resources.filter((x) => {
    if (!isKindOrPatch(x.type, group, kind)) return false;
    const read = probe(() => meta(x.props).name === name && (namespace === undefined || meta(x.props).namespace === namespace));
    if (!read.known) unread = isPatch(x.type) ? "patch" : (unread ?? "object");
    return read.known && read.value;
  });
  return unread === "patch" || (unread === "object" && !found.some((x) => !isPatch(x.type))) ? "unknown" : found;
}
