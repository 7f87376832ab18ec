/**
 * The labels Istio 1.30.3's deployment controller gives the proxy pods it deploys for a Gateway:
 * its templates' own marks, the Gateway's infrastructure labels, and what the owning istiod adds
 * (out of ambient for ingress classes, the network for waypoint and east-west classes). Read by
 * lib/istio-classes.ts.
 */
import { meta } from "./k8s";

/**
 * What an Istio 1.30.3 gateway template sets on the proxy pods around the Gateway's infrastructure
 * labels: the `gateway.istio.io/managed` value (kube-gateway.yaml `istio.io-gateway-controller`,
 * agentgateway.yaml `istio.io-agentgateway-controller`, waypoint.yaml the class's ControllerLabel,
 * gatewaycommon/classinfo.go) and whether it starts from `istio.io/dataplane-mode: none`
 * (waypoint.yaml only, before the infrastructure labels, which override it).
 */
export interface GatewayPodTemplate {
  managed: string;
  waypoint: boolean;
}

/** kube-gateway.yaml, the template of Istio's ingress kind. */
export const INGRESS_POD_TEMPLATE: GatewayPodTemplate = { managed: "istio.io-gateway-controller", waypoint: false };

/**
 * What of the owning istiod the deployment controller reads for a Gateway's pod labels (Istio
 * 1.30.3): `ambientWaypoints` (PILOT_ENABLE_AMBIENT and PILOT_ENABLE_AMBIENT_WAYPOINTS),
 * `copyLabels` (PILOT_ENABLE_GATEWAY_API_COPY_LABELS_ANNOTATIONS, pilot/pkg/features/experimental.go,
 * true by default) and `network` (the injection values' `global.network`, "" by default).
 */
export interface GatewayIstiod {
  ambientWaypoints: boolean;
  copyLabels: boolean;
  network: string;
}

/** Istio's defaults: an ambient istiod (the platform's) that copies the Gateway's labels, on no named network. */
export const DEFAULT_GATEWAY_ISTIOD: GatewayIstiod = { ambientWaypoints: true, copyLabels: true, network: "" };

const DATAPLANE_MODE = "istio.io/dataplane-mode";
const NETWORK = "topology.istio.io/network";

/** The Gateway's labels outside the reserved gateway.networking.k8s.io/ prefix (translateInfraMeta). */
const unreserved = (labels: Record<string, string>) => Object.fromEntries(Object.entries(labels).filter(([k]) => !k.startsWith("gateway.networking.k8s.io/")));

/**
 * The labels Istio 1.30.3's deployment controller puts on a Gateway's proxy pods from `template`
 * (gatewaycommon/deploymentcontroller.go): the infrastructure labels (extractInfrastructureMetadata:
 * `spec.infrastructure.labels` when set, else the Gateway's own labels only while `copyLabels`,
 * never the reserved gateway.networking.k8s.io/ prefix) between the template's own labels and its
 * gateway-name, class-name and managed marks. setLabelOverrides then adds to the infrastructure
 * labels: `istio.io/dataplane-mode: none` where istiod runs ambient waypoints, for a class whose
 * name contains neither "waypoint" nor "east-west", unless the Gateway's labels or its
 * infrastructure labels have the key; and `topology.istio.io/network: <global.network>` for a
 * class whose name contains "waypoint" or "east-west", when that network is set and the Gateway's
 * own labels (not its infrastructure labels) lack the key.
 */
export function gatewayPodLabels(gw: { props: Record<string, any> }, template: GatewayPodTemplate = INGRESS_POD_TEMPLATE, istiod: GatewayIstiod = DEFAULT_GATEWAY_ISTIOD): Record<string, string> {
  const { name, labels } = meta(gw.props);
  const own = (labels ?? {}) as Record<string, string>;
  const spec = gw.props.spec ?? {};
  const cls = String(spec.gatewayClassName ?? "");
  const given = spec.infrastructure?.labels ?? (istiod.copyLabels ? own : {});
  const infra = unreserved(given as Record<string, string>);
  const meshClass = cls.includes("waypoint") || cls.includes("east-west");
  const outOfAmbient = istiod.ambientWaypoints && !meshClass && !(DATAPLANE_MODE in infra) && !(DATAPLANE_MODE in own);
  const network = meshClass && istiod.network !== "" && !(NETWORK in own);
  return {
    "sidecar.istio.io/inject": "false",
    ...(template.waypoint ? { [DATAPLANE_MODE]: "none" } : {}),
    ...infra,
    ...(outOfAmbient ? { [DATAPLANE_MODE]: "none" } : {}),
    ...(network ? { [NETWORK]: istiod.network } : {}),
    "gateway.networking.k8s.io/gateway-name": name,
    "gateway.networking.k8s.io/gateway-class-name": cls,
    "gateway.istio.io/managed": template.managed,
  };
}
