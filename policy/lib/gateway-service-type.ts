/**
 * The type of the Service Istio 1.30.3 deploys for a Gateway of one of its classes
 * (pilot/pkg/config/kube/gatewaycommon/deploymentcontroller.go): the class's default (classinfo.go:
 * ClusterIP for istio-waypoint, LoadBalancer for istio, istio-east-west and istio-agentgateway),
 * or the Gateway's own `networking.istio.io/service-type` annotation; the rendered Service is then
 * patched (render/applyOverlay, a strategic merge) by the `service` key of the ConfigMap labelled
 * `gateway.istio.io/defaults-for-class: <class>` in istiod's namespace (the istiod chart renders one
 * per `gatewayClasses.<class>` value) and then by the `service` key of the ConfigMap the Gateway's
 * `spec.infrastructure.parametersRef` names. A `spec.type` in either overlay wins over the
 * annotation, so a Gateway annotated ClusterIP whose options say LoadBalancer is public, and one
 * whose options say ClusterIP is internal without the annotation.
 */
import type { PolicyResource } from "@pulumi/policy";
import * as yaml from "js-yaml";
import { cannotJudge, dig, helmChartName, isHelmInstall, isKind, meta } from "./k8s";
import { istiodNamespaces } from "./istio";
import { withRenderedIstio } from "./istio-rendered";
import { GATEWAY_CLASS_DEFAULTS_LABEL } from "./istio-overlays";
import { list, tri, Tri } from "./values";

/** Istio's classes whose Gateways its deployment controller deploys, with the Service type each defaults to. */
const ISTIO_DEFAULT_SERVICE_TYPES: Record<string, string> = {
  istio: "LoadBalancer",
  "istio-waypoint": "ClusterIP",
  "istio-east-west": "LoadBalancer",
  "istio-agentgateway": "LoadBalancer",
};

/**
 * A `service` overlay (YAML or JSON text in a ConfigMap, an object in istiod's values) as the object
 * Istio patches the Service with; undefined for text Istio cannot read (which fails the Gateway's
 * deployment: it patches nothing here) or an overlay that is no object.
 */
export function serviceOverlayObject(overlay: unknown): Record<string, unknown> | undefined {
  let obj = overlay;
  if (typeof overlay === "string") {
    try {
      obj = yaml.load(overlay);
    } catch (err) {
      if (err instanceof yaml.YAMLException) return undefined;
      throw err;
    }
  }
  return obj && typeof obj === "object" && !Array.isArray(obj) ? (obj as Record<string, unknown>) : undefined;
}

/** What a `service` overlay sets of the Service: its type, and whether it adds external IPs. */
interface ServicePatch {
  type?: string;
  externalIPs: boolean;
}

/** A `service` overlay as a patch of the Service's type and external IPs. */
function servicePatch(overlay: unknown): ServicePatch | undefined {
  const obj = serviceOverlayObject(overlay);
  if (!obj) return undefined;
  const type = dig(obj, "spec.type");
  return { type: typeof type === "string" && type !== "" ? type : undefined, externalIPs: list(dig(obj, "spec.externalIPs") as unknown[] | undefined).length > 0 };
}

/**
 * The namespaces istiod runs in, where its class-defaults ConfigMaps live ({@link istiodNamespaces}).
 * Where that is not known in this run, the Service's type is not either: the "can't judge" thrown
 * here makes the caller's verdict "unknown".
 */
function classDefaultsNamespaces(resources: PolicyResource[]): string[] {
  return istiodNamespaces(resources) ?? cannotJudge(["the namespaces istiod runs in, where its gateway class defaults live (an istiod Helm release's chart or namespace)"]);
}

/** The `service` patches of the class's defaults: labelled ConfigMaps in istiod's namespace, and istiod's gatewayClasses values. */
function classDefaultPatches(cls: string, objects: PolicyResource[]): ServicePatch[] {
  // istiod installed as objects (a v4 Chart's) counts with its namespace, as its release would.
  const resources = withRenderedIstio(objects);
  const namespaces = classDefaultsNamespaces(resources);
  const fromConfigMaps = resources
    .filter((r) => isKind(r.type, "core", "ConfigMap") && meta(r.props).labels?.[GATEWAY_CLASS_DEFAULTS_LABEL] === cls && namespaces.includes(meta(r.props).namespace))
    .map((r) => servicePatch(r.props.data?.service));
  const fromValues = resources
    .filter((r) => isHelmInstall(r.type) && helmChartName(r.props) === "istiod")
    .map((r) => servicePatch((dig(r.props.values, "gatewayClasses") as Record<string, any> | undefined)?.[cls]?.service));
  return [...fromConfigMaps, ...fromValues].filter((p): p is ServicePatch => p !== undefined);
}

/** The options ConfigMap the Gateway's parametersRef names, where the stack renders it (Istio takes only a core ConfigMap there, in the Gateway's namespace). */
export function parametersConfigMap(gw: PolicyResource, resources: PolicyResource[]): PolicyResource | undefined {
  const ref = gw.props.spec?.infrastructure?.parametersRef;
  if (!ref || ref.kind !== "ConfigMap" || (ref.group ?? "") !== "") return undefined;
  const { namespace } = meta(gw.props);
  return resources.find((r) => isKind(r.type, "core", "ConfigMap") && meta(r.props).name === ref.name && meta(r.props).namespace === namespace);
}

/** The `service` patch of the ConfigMap the Gateway's parametersRef names. */
function parametersPatch(gw: PolicyResource, resources: PolicyResource[]): ServicePatch | undefined {
  const cm = parametersConfigMap(gw, resources);
  return cm ? servicePatch(cm.props.data?.service) : undefined;
}

/**
 * The type of the Service Istio deploys for a Gateway of one of its classes, and whether overlays
 * give it external IPs; "unknown" while a value it depends on is not known yet, or when class
 * defaults disagree (Istio takes the oldest ConfigMap, not known before they are applied).
 */
function istioService(gw: PolicyResource, cls: string, resources: PolicyResource[]): { type: string | undefined; externalIPs: boolean } | "unknown" {
  const annotated = meta(gw.props).annotations["networking.istio.io/service-type"];
  const base = typeof annotated === "string" ? annotated : ISTIO_DEFAULT_SERVICE_TYPES[cls];
  const defaults = classDefaultPatches(cls, resources);
  const defaultTypes = new Set(defaults.map((p) => p.type).filter((t) => t !== undefined));
  if (defaultTypes.size > 1) return "unknown";
  const params = parametersPatch(gw, resources);
  return { type: params?.type ?? [...defaultTypes][0] ?? base, externalIPs: !!params?.externalIPs || defaults.some((p) => p.externalIPs) };
}

/**
 * Whether the Service Istio deploys for the Gateway is ClusterIP without external IPs. For a class
 * Istio does not deploy, only the annotation is read, as before (the overlays are Istio's).
 */
export function istioServiceClusterIp(gw: PolicyResource, cls: string, resources: PolicyResource[]): Tri {
  return tri(() => {
    if (!(cls in ISTIO_DEFAULT_SERVICE_TYPES)) return meta(gw.props).annotations["networking.istio.io/service-type"] === "ClusterIP";
    const svc = istioService(gw, cls, resources);
    return svc === "unknown" ? svc : svc.type === "ClusterIP" && !svc.externalIPs;
  });
}

/**
 * Whether other networks can reach the Service Istio deploys for the Gateway: only a LoadBalancer's
 * ingress addresses and a Service's external IPs become the Gateway's status addresses
 * (serviceregistry/kube/conversion.go ClusterExternalAddresses; gateway/conversion.go
 * reportGatewayStatus); without them Istio reports the ClusterIP and the in-cluster hostname, which
 * a remote ztunnel cannot dial (nor a NodePort, whose node port is not the 15008 it dials).
 */
export function istioServiceReachableOffCluster(gw: PolicyResource, cls: string, resources: PolicyResource[]): Tri {
  return tri(() => {
    const svc = istioService(gw, cls, resources);
    return svc === "unknown" ? svc : svc.type === "LoadBalancer" || svc.externalIPs;
  });
}
