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
 */
import type { PolicyResource } from "@pulumi/policy";
import { isKind, meta } from "./k8s";
import { DEFAULT_CLASS_NAMES, istiodClassNames, istiodsOf, istiodsServing } from "./istiod-revisions";

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

/** The kind class `cls` is to an istiod of these class names, or undefined where it is not Istio's. */
function kindFor(names: { defaultClass: string; controller: string }, cls: unknown, object: PolicyResource | undefined): IstioGatewayKind | undefined {
  const controller: unknown = object ? object.props.spec?.controllerName : cls === names.defaultClass ? names.controller : FIXED_CLASSES.get(cls);
  if (typeof controller !== "string") return undefined;
  return controller === names.controller ? "ingress" : FIXED_CONTROLLERS.get(controller);
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
  const kinds = new Set((istiods.length > 0 ? istiods.map(istiodClassNames) : [DEFAULT_CLASS_NAMES]).map((n) => kindFor(n, cls, object)));
  if (kinds.size === 1) return [...kinds][0];
  const owner = istiodsServing(gw, resources)[0];
  return owner ? kindFor(istiodClassNames(owner), cls, object) : undefined;
}
