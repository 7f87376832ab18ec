/**
 * The overlays Istio lays over the workloads it generates for Gateways (Istio 1.30.3
 * pilot/pkg/config/kube/gatewaycommon/deploymentcontroller.go, render/applyOverlay): the data of
 * the ConfigMap labelled `gateway.istio.io/defaults-for-class: <class>` in istiod's namespace (the
 * istiod chart renders one per `gatewayClasses.<class>` value), then the data of the ConfigMap a
 * Gateway's `spec.infrastructure.parametersRef` names. Each data key (`deployment`, `service`, …)
 * is a YAML strategic-merge patch of the generated object of that kind, so a `deployment` overlay's
 * `spec.template.spec` adds tolerations, node selection or containers (merged by name) to the
 * gateway's pods, as AgentgatewayParameters overlays do for agentgateway.
 */
import { isKind, meta } from "./k8s";
import { OverlayPodSpecs, templatePodSpec } from "./overlays";
import { orUnknown, probe } from "./values";
import * as yaml from "js-yaml";

/** The data keys Istio takes from a gateway ConfigMap (supportedOverlays): any other key fails the Gateway. */
export const ISTIO_GATEWAY_OVERLAY_KEYS: readonly string[] = ["deployment", "service", "serviceAccount", "horizontalPodAutoscaler", "podDisruptionBudget"];

/** The label that makes a ConfigMap in istiod's namespace the defaults of a GatewayClass (gatewaycommon GatewayClassDefaults). */
export const GATEWAY_CLASS_DEFAULTS_LABEL = "gateway.istio.io/defaults-for-class";

/** The pod spec of a deployment overlay (an object, or YAML/JSON text), or undefined when it patches none. */
function overlayPodSpec(overlay: unknown): Record<string, any> | undefined {
  return templatePodSpec(typeof overlay === "string" ? parseOverlayText(overlay) : overlay);
}

/** YAML (JSON included), one document, as Istio reads the ConfigMap's text (sigs.k8s.io/yaml). */
function parseOverlayText(text: string): unknown {
  return yaml.load(text);
}

/**
 * The deployment overlay of a ConfigMap Istio reads for Gateways: one labelled as a GatewayClass's
 * defaults, or one holding only overlay keys, `deployment` among them (a Gateway's parametersRef
 * ConfigMap: a resource policy cannot see which Gateway names it, and Istio fails a Gateway whose
 * ConfigMap carries any other key, so that shape is the sign). Undefined for other ConfigMaps,
 * and for an unlabelled one whose data this preview cannot read (nothing tells it is an overlay).
 */
export function istioGatewayConfigMapPodSpecs(type: string, props: Record<string, any>): OverlayPodSpecs | undefined {
  if (!isKind(type, "core", "ConfigMap")) return undefined;
  const classDefaults = orUnknown(() => typeof meta(props).labels?.[GATEWAY_CLASS_DEFAULTS_LABEL] === "string", false);
  const keys = probe(() => {
    const data = props.data;
    return data && typeof data === "object" ? Object.keys(data) : [];
  });
  if (!keys.known) return classDefaults ? { specs: [], unknown: ["its data"] } : undefined;
  if (!keys.value.includes("deployment")) return undefined;
  if (!classDefaults && !keys.value.every((k) => ISTIO_GATEWAY_OVERLAY_KEYS.includes(k))) return undefined;
  const out: OverlayPodSpecs = { specs: [], unknown: [] };
  const text = probe(() => props.data.deployment as unknown);
  if (!text.known) {
    out.unknown.push("its deployment overlay (data.deployment)");
    return out;
  }
  try {
    const spec = overlayPodSpec(text.value);
    if (spec) out.specs.push({ overlay: "data.deployment", spec });
  } catch (err) {
    if (!(err instanceof yaml.YAMLException)) throw err;
    // Istio cannot read it either and fails the Gateway: no overlay is applied to judge.
    out.unknown.push(`its deployment overlay (data.deployment), which is not one YAML document: ${err.message.split("\n")[0]}`);
  }
  return out;
}

/**
 * The deployment overlays of the istiod chart's `gatewayClasses` values: the chart renders each
 * `gatewayClasses.<class>.<kind>` into the data of that class's defaults ConfigMap (1.30.3
 * istio-discovery templates/gateway-class-configmap.yaml, with toYaml: only an object patches).
 */
export function istiodGatewayClassPodSpecs(values: unknown): OverlayPodSpecs {
  const out: OverlayPodSpecs = { specs: [], unknown: [] };
  const classes = probe(() => {
    const gc = (values as Record<string, any> | undefined)?.gatewayClasses;
    return gc && typeof gc === "object" && !Array.isArray(gc) ? Object.keys(gc) : [];
  });
  if (!classes.known) {
    out.unknown.push("values.gatewayClasses");
    return out;
  }
  for (const cls of classes.value) {
    const overlay = `values.gatewayClasses.${cls}.deployment`;
    // toYaml renders only an object as an overlay; a string there is not parsed.
    const spec = probe(() => {
      const deployment = (values as Record<string, any>).gatewayClasses[cls]?.deployment;
      return deployment && typeof deployment === "object" ? templatePodSpec(deployment) : undefined;
    });
    if (!spec.known) out.unknown.push(overlay);
    else if (spec.value) out.specs.push({ overlay, spec: spec.value });
  }
  return out;
}
