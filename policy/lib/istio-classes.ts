/**
 * Which of Istio's kinds of Gateway a Gateway is, as Istio 1.30.3's deployment controller reads
 * its class (pilot/pkg/config/kube/gatewaycommon/deploymentcontroller.go Reconcile): the controller
 * is the GatewayClass object's of that name, else the built-in class's (classinfo.go
 * GetBuiltinGatewayClasses: the istiod's PILOT_GATEWAY_API_DEFAULT_GATEWAYCLASS_NAME, `istio`
 * unless renamed, maps to its PILOT_GATEWAY_API_CONTROLLER_NAME; `istio-waypoint`,
 * `istio-east-west`, `istio-agentgateway` and `istio-remote` to fixed controllers), and the
 * controller picks the ClassInfo: the ingress kind (template kube-gateway, ServiceAccount
 * `<name>-<class>`) only for that istiod's controller name, whatever the class is called; the
 * waypoint, east-west and agentgateway kinds without the `-<class>` suffix (DisableNameSuffix);
 * the remote kind deploys nothing. A renamed class is served under its new name, and `istio`
 * then is nobody's (unless a GatewayClass object of that name names the controller).
 *
 * The fixed classes exist only where the istiod's flags register them (classinfo.go: both the
 * built-in class and its ClassInfo; pilot/pkg/features): the waypoint kind with PILOT_ENABLE_AMBIENT
 * and PILOT_ENABLE_AMBIENT_WAYPOINTS (true with ambient), the east-west kind with PILOT_ENABLE_AMBIENT
 * and AMBIENT_ENABLE_MULTI_NETWORK (false by default), the agentgateway kind with
 * PILOT_ENABLE_AGENTGATEWAY (false by default), the remote kind with
 * PILOT_MULTI_NETWORK_DISCOVER_GATEWAY_API (true by default). Without its flag Reconcile finds no
 * ClassInfo ("skipping unknown controller"), even for a GatewayClass object naming the controller,
 * so such a Gateway is no kind of Istio's: nothing deploys it.
 */
import type { PolicyResource } from "@pulumi/policy";
import { cannotJudge, isKind, meta } from "./k8s";
import { DEFAULT_CLASS_NAMES, istiodClassNames, istiodsOf, istiodsServing } from "./istiod-revisions";
import { descopedValue, isAmbientIstiod, istiodEnv, parseGoBool } from "./istio";
import { DEFAULT_GATEWAY_ISTIOD, gatewayPodLabels, GatewayIstiod, GatewayPodTemplate, INGRESS_POD_TEMPLATE } from "./istio-gateway-pods";
import { probe } from "./values";

export type IstioGatewayKind = "ingress" | "waypoint" | "east-west" | "agentgateway" | "remote";

/** Istio 1.30.3 pkg/config/constants: the fixed controllers and the built-in classes naming them. */
const FIXED_CONTROLLERS = new Map<unknown, IstioGatewayKind>([
  ["istio.io/mesh-controller", "waypoint"],
  ["istio.io/eastwest-controller", "east-west"],
  ["istio.io/agentgateway-controller", "agentgateway"],
  ["istio.io/unmanaged-gateway", "remote"],
]);
const FIXED_CLASSES = new Map<unknown, string>([
  ["istio-waypoint", "istio.io/mesh-controller"],
  ["istio-east-west", "istio.io/eastwest-controller"],
  ["istio-agentgateway", "istio.io/agentgateway-controller"],
  ["istio-remote", "istio.io/unmanaged-gateway"],
]);

interface ClassNames {
  defaultClass: string;
  controller: string;
  /** The fixed controllers the istiod's flags register. */
  served: Set<unknown>;
}

/** Istio's defaults where the stack installs no istiod: every fixed class counted as served, since its flags are not known. */
const DEFAULTS: ClassNames = { ...DEFAULT_CLASS_NAMES, served: new Set(FIXED_CONTROLLERS.keys()) };

/** A boolean env flag of istiod as pkg/env reads it (strconv.ParseBool, the default where unset or unparsable); one set by valueFrom is not known. */
function flag(istiod: PolicyResource, name: string, byDefault: boolean): boolean {
  const v = istiodEnv(istiod.props.values, name);
  if (v === null) return cannotJudge([`the ${name} env of istiod release ${istiod.name} (set by valueFrom)`]);
  return parseGoBool(v) ?? byDefault;
}

/** The class names an istiod serves and the fixed controllers its flags register (registerAmbient flags are false without ambient). */
function classNamesOf(istiod: PolicyResource): ClassNames {
  const ambient = isAmbientIstiod(istiod.props.values);
  const served = new Set<unknown>();
  if (ambient && flag(istiod, "PILOT_ENABLE_AMBIENT_WAYPOINTS", true)) served.add("istio.io/mesh-controller");
  if (ambient && flag(istiod, "AMBIENT_ENABLE_MULTI_NETWORK", false)) served.add("istio.io/eastwest-controller");
  if (flag(istiod, "PILOT_ENABLE_AGENTGATEWAY", false)) served.add("istio.io/agentgateway-controller");
  if (flag(istiod, "PILOT_MULTI_NETWORK_DISCOVER_GATEWAY_API", true)) served.add("istio.io/unmanaged-gateway");
  return { ...istiodClassNames(istiod), served };
}

/** The kind class `cls` is to an istiod of these class names, or undefined where it is not Istio's (or its flag is off). */
function kindFor(names: ClassNames, cls: unknown, object: PolicyResource | undefined): IstioGatewayKind | undefined {
  const builtin = FIXED_CLASSES.get(cls);
  const controller: unknown = object ? object.props.spec?.controllerName : cls === names.defaultClass ? names.controller : builtin;
  if (typeof controller !== "string") return undefined;
  if (controller === names.controller) return "ingress";
  return names.served.has(controller) ? FIXED_CONTROLLERS.get(controller) : undefined;
}

/**
 * The kind of Istio Gateway `gw` is on its cluster (`resources`, that cluster's), or undefined
 * where Istio does not take its class. Every istiod of the cluster is asked (Istio's defaults
 * where the stack installs none); where they disagree (one renamed its class), the one that owns
 * the Gateway ({@link istiodsServing}) decides, since only it deploys the proxy; owned by none of
 * them, undefined. Throws the SDK's unknown-value error (or "can't judge") where a value it reads
 * is not known.
 */
export function istioGatewayKind(gw: PolicyResource, resources: PolicyResource[]): IstioGatewayKind | undefined {
  const cls: unknown = gw.props.spec?.gatewayClassName;
  const object = resources.find((r) => isKind(r.type, "gateway.networking.k8s.io", "GatewayClass") && meta(r.props).name === cls);
  const istiods = istiodsOf(resources);
  const kinds = new Set((istiods.length > 0 ? istiods.map(classNamesOf) : [DEFAULTS]).map((n) => kindFor(n, cls, object)));
  if (kinds.size === 1) return [...kinds][0];
  const owner = istiodsServing(gw, resources)[0];
  return owner ? kindFor(classNamesOf(owner), cls, object) : undefined;
}

/** What each of Istio's deploying fixed kinds needs of its istiod's env (Istio 1.30.3 classinfo.go, pilot/pkg/features). */
const FLAGS_NEEDED: Partial<Record<IstioGatewayKind, string>> = {
  waypoint: "PILOT_ENABLE_AMBIENT true (false by default; the ambient profile sets it) and PILOT_ENABLE_AMBIENT_WAYPOINTS not false",
  "east-west": "PILOT_ENABLE_AMBIENT and AMBIENT_ENABLE_MULTI_NETWORK true (both false by default)",
  agentgateway: "PILOT_ENABLE_AGENTGATEWAY true (false by default)",
};

/** A Gateway of a fixed Istio class that the istiods owning it do not register. */
export interface UnservedGateway {
  kind: IstioGatewayKind;
  /** The istiods owning it ({@link istiodsServing}), none of which registers its class. */
  owners: PolicyResource[];
  /** The env the owning istiod needs for the class, as a phrase. */
  needs: string;
}

/**
 * A Gateway of Istio's waypoint, east-west or agentgateway class (the built-in name, or a
 * GatewayClass naming its controller) whose owning istiods' flags register no such class: Istio
 * 1.30.3's deployment controller finds no ClassInfo for it (deploymentcontroller.go Reconcile
 * "skipping unknown controller"), so no proxy, Service or address is ever made and whatever sends
 * through it (a Service enrolled with the waypoint, the other clusters' ztunnels, agents) fails.
 * Undefined where an owner serves it, where no istiod of the stack owns it (a revision the stack
 * does not install: judged where ownership is), and where the stack installs no istiod on the
 * cluster (its flags are not known). Throws the SDK's unknown-value error (or "can't judge") where
 * a value it reads is not known.
 */
export function unservedIstioGateway(gw: PolicyResource, resources: PolicyResource[]): UnservedGateway | undefined {
  const cls: unknown = gw.props.spec?.gatewayClassName;
  const object = resources.find((r) => isKind(r.type, "gateway.networking.k8s.io", "GatewayClass") && meta(r.props).name === cls);
  const kind = FIXED_CONTROLLERS.get(object ? object.props.spec?.controllerName : FIXED_CLASSES.get(cls));
  const needs = kind && FLAGS_NEEDED[kind];
  if (!kind || !needs || istiodsOf(resources).length === 0) return undefined;
  const owners = istiodsServing(gw, resources);
  if (owners.length === 0 || owners.some((o) => kindFor(classNamesOf(o), cls, object) !== undefined)) return undefined;
  return { kind, owners, needs };
}

/**
 * The name Istio 1.30.3 gives a Gateway's Deployment and ServiceAccount unless annotated otherwise
 * (gatewaycommon/gateway_utils.go GetDefaultName): `<name>-<class>` for its ingress kind, the bare
 * name for the kinds whose ClassInfo sets DisableNameSuffix (waypoint, east-west, agentgateway).
 */
export function istioDefaultName(kind: IstioGatewayKind, name: string, cls: string): string {
  return kind === "ingress" ? `${name}-${cls}` : name;
}

const CANONICAL_NAME = "service.istio.io/canonical-name";

/**
 * The Gateway's `gateway.istio.io/name-override` annotation, which Istio 1.30.3 names its Deployment
 * and Service by when set and not empty (deploymentcontroller.go GetOrDefault), over {@link istioDefaultName}.
 */
export function istioNameOverride(gw: PolicyResource): string | undefined {
  const override: unknown = meta(gw.props).annotations["gateway.istio.io/name-override"];
  return typeof override === "string" && override !== "" ? override : undefined;
}

/**
 * The template Istio 1.30.3 renders each deploying kind's pods from (gatewaycommon/classinfo.go
 * Templates and ControllerLabel; istio-discovery files/*.yaml): the east-west kind is a waypoint
 * with its own ControllerLabel. A Gateway Istio does not deploy is read as the ingress kind's.
 */
const POD_TEMPLATES: Partial<Record<IstioGatewayKind, GatewayPodTemplate>> = {
  ingress: INGRESS_POD_TEMPLATE,
  waypoint: { managed: "istio.io-mesh-controller", waypoint: true },
  "east-west": { managed: "istio.io-eastwest-controller", waypoint: true },
  agentgateway: { managed: "istio.io-agentgateway-controller", waypoint: false },
};

/**
 * What the Gateway's owning istiod ({@link istiodsServing}) sets that its pods' labels depend on
 * ({@link GatewayIstiod}): whether it serves waypoints, PILOT_ENABLE_GATEWAY_API_COPY_LABELS_ANNOTATIONS
 * (pkg/env ParseBool, true by default) and its values' `global.network` (the injection config the
 * deployment controller reads, istiod-injector-configmap.yaml). Istio's defaults where no istiod of
 * the stack owns it.
 */
function gatewayIstiod(gw: PolicyResource, resources: PolicyResource[]): GatewayIstiod {
  const owner = istiodsServing(gw, resources)[0];
  if (!owner) return DEFAULT_GATEWAY_ISTIOD;
  const network = descopedValue(owner.props.values, "global", "network");
  return {
    ambientWaypoints: classNamesOf(owner).served.has("istio.io/mesh-controller"),
    copyLabels: flag(owner, "PILOT_ENABLE_GATEWAY_API_COPY_LABELS_ANNOTATIONS", true),
    network: network === undefined || network === null ? "" : String(network),
  };
}

/** Stands for a network name not known in this preview: differs from every reading's, so the key is counted unknown. */
const UNKNOWN_NETWORK = "\u0000unknown";

/** Every reading of an istiod not known in this preview. */
const ANY_ISTIOD: GatewayIstiod[] = [true, false].flatMap((ambientWaypoints) =>
  [true, false].flatMap((copyLabels) => ["", UNKNOWN_NETWORK].map((network) => ({ ambientWaypoints, copyLabels, network }))),
);

/**
 * The controller's own labels ({@link gatewayPodLabels}) for the Gateway's kind and its owning
 * istiod ({@link gatewayIstiod}); where either is not known, the labels every reading agrees on,
 * and `unknown` the others' keys.
 */
function controllerPodLabels(gw: PolicyResource, resources: PolicyResource[], kind: { known: boolean; value?: IstioGatewayKind }): { labels: Record<string, string>; unknown: string[] } {
  const istiod = probe(() => gatewayIstiod(gw, resources));
  const templates = kind.known ? [POD_TEMPLATES[kind.value!] ?? INGRESS_POD_TEMPLATE] : Object.values(POD_TEMPLATES);
  const readings = templates.flatMap((t) => (istiod.known ? [istiod.value] : ANY_ISTIOD).map((i) => gatewayPodLabels(gw, t, i)));
  const keys = new Set(readings.flatMap((r) => Object.keys(r)));
  const unknown = [...keys].filter((k) => readings.some((r) => r[k] !== readings[0][k]));
  return { labels: Object.fromEntries(Object.entries(readings[0]).filter(([k]) => !unknown.includes(k))), unknown };
}

/**
 * The labels of a Gateway's proxy pods as Istio 1.30.3's deployment controller renders them for
 * its kinds (istio-discovery files/kube-gateway.yaml, waypoint.yaml, agentgateway.yaml; merged in
 * order, later maps winning, pkg/kube/inject/template.go mergeMaps): first `service.istio.io/
 * canonical-name`, the Deployment's name (the `gateway.istio.io/name-override` annotation when set
 * and not empty, else {@link istioDefaultName}; deploymentcontroller.go GetOrDefault), and
 * `service.istio.io/canonical-revision: latest`, then the Gateway's infrastructure labels and the
 * controller's own for its kind's template ({@link controllerPodLabels}). `istio.io/rev` is a pod annotation there, a label
 * only when the Gateway's labels carry it. `unknown`: the keys whose value this preview cannot know
 * (the Deployment's name, the managed mark, dataplane mode, network and copied labels while the
 * Gateway's kind, annotations or istiod's flags and values are not known); a Gateway Istio does not deploy gets the controller's labels alone.
 */
export function istioGatewayPodLabels(gw: PolicyResource, resources: PolicyResource[]): { labels: Record<string, string>; unknown: string[] } {
  const kind = probe(() => istioGatewayKind(gw, resources));
  const own = controllerPodLabels(gw, resources, kind);
  if (kind.known && (kind.value === undefined || kind.value === "remote")) return own;
  const { name } = meta(gw.props);
  const deployment = probe((): string | undefined => {
    const override = istioNameOverride(gw);
    if (override !== undefined) return override;
    return kind.known && kind.value ? istioDefaultName(kind.value, name, String(gw.props.spec?.gatewayClassName)) : undefined;
  });
  const named = deployment.known ? deployment.value : undefined;
  const canonical = { ...(named !== undefined ? { [CANONICAL_NAME]: named } : {}), "service.istio.io/canonical-revision": "latest" };
  const labels = { ...canonical, ...own.labels };
  return { labels, unknown: [...own.unknown, ...(CANONICAL_NAME in labels ? [] : [CANONICAL_NAME])] };
}

/**
 * A Gateway's pods as a DestinationRule lookup sees them: the labels of its kind's template and its
 * owning istiod ({@link istioGatewayPodLabels}), with the keys not known yet; none where the stack
 * does not hold the Gateway (no workloadSelector rule is then taken to select it).
 */
export function gatewayProxyLabels(gw: PolicyResource | undefined, resources: PolicyResource[]): { labels?: Record<string, string>; unknownLabels?: string[] } {
  if (!gw) return {};
  const { labels, unknown } = istioGatewayPodLabels(gw, resources);
  return { labels, unknownLabels: unknown };
}
