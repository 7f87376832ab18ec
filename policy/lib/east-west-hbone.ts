/**
 * The HBONE port of the Service Istio 1.30.3 deploys for an east-west gateway, after the `service`
 * overlay of the ConfigMap the Gateway's `spec.infrastructure.parametersRef` names (mesh-multicluster-wiring).
 * The waypoint template the istio-east-west class renders from (gatewaycommon/classinfo.go) writes
 * one Service port per distinct listener port, plus 15021, each without a targetPort, so 15008 goes
 * to the pod's 15008 (deploymentcontroller.go extractServicePorts, files/waypoint.yaml); the overlay
 * is then laid over the Service as a Kubernetes strategic merge patch (deploymentcontroller.go
 * render/applyOverlay, strategicMergePatchYAML), where Service `spec.ports` merge by `port`
 * (k8s.io/api core/v1 ServiceSpec.Ports, patchMergeKey "port"), a `{$patch: replace}` element makes
 * the rest of the list the whole list and a `{$patch: delete, port: …}` element drops that port
 * (k8s.io/apimachinery v0.35 strategicpatch/patch.go mergeSliceWithSpecialElements).
 */
import type { PolicyResource } from "@pulumi/policy";
import { meta } from "./k8s";
import { parametersConfigMap, serviceOverlayObject } from "./gateway-service-type";
import { isObject } from "./values";

/** The port istiod accepts HBONE on and other clusters' ztunnels dial on an east-west gateway. */
export const HBONE_PORT = 15008;

/** What an overlay does to the Service's HBONE port: where it breaks it, how; "unknown" for a form this review does not read. */
export type HbonePortFate = { broken: string } | "kept" | "unknown";

/** Strategic-merge directives that only order or prune primitive lists: they leave `spec.ports` as it is. */
const harmlessDirective = (key: string) => key === "$patch" || key.startsWith("$setElementOrder/") || key.startsWith("$deleteFromPrimitiveList/");

/** The fate of port 15008 under a parsed `service` overlay. */
export function hbonePortFate(overlay: Record<string, unknown>): HbonePortFate {
  if (!("spec" in overlay)) return "kept";
  const spec = overlay.spec;
  if (spec === null) return { broken: "deletes the Service's spec (spec: null), port 15008 with it" };
  if (!isObject(spec)) return "unknown";
  if (spec.$patch === "delete") return { broken: "deletes the Service's spec ($patch: delete), port 15008 with it" };
  if (spec.$patch !== undefined && spec.$patch !== "replace") return "unknown";
  if (Object.keys(spec).some((k) => k.startsWith("$") && !harmlessDirective(k))) return "unknown";
  const specReplaced = spec.$patch === "replace";
  const ports = spec.ports;
  if (ports === undefined) return specReplaced ? { broken: "replaces the Service's spec ($patch: replace) with one without ports" } : "kept";
  if (ports === null) return { broken: "deletes the Service's ports (ports: null)" };
  if (!Array.isArray(ports) || !ports.every(isObject)) return "unknown";
  if (ports.some((p) => p.$patch !== undefined && p.$patch !== "replace" && p.$patch !== "delete")) return "unknown";
  const entries = ports.filter((p) => p.$patch === undefined);
  if (entries.some((p) => typeof p.port !== "number")) return "unknown";
  const replaced = specReplaced || ports.some((p) => p.$patch === "replace");
  const hbone = entries.find((p) => p.port === HBONE_PORT);
  // Deletions apply before the list's other elements merge, which may add the port back.
  if (!replaced && !hbone && ports.some((p) => p.$patch === "delete" && p.port === HBONE_PORT)) return { broken: "deletes Service port 15008 ($patch: delete)" };
  if (!hbone) {
    const left = entries.map((p) => p.port).join(", ") || "none";
    return replaced ? { broken: `replaces the Service's ports ($patch: replace) with ${left}, without 15008` } : "kept";
  }
  // No targetPort: the template's 15008 keeps its own (none, so the port itself), a replacing list's defaults to the port.
  const target = hbone.targetPort;
  if (target === undefined || target === HBONE_PORT) return "kept";
  if (typeof target === "number") return { broken: `sends Service port 15008 to targetPort ${target}` };
  // A named port: the template's container declares no port for 15008; a deployment overlay could.
  return "unknown";
}

/**
 * Where the stack renders the east-west gateway's options ConfigMap, what its `service` overlay
 * does to port 15008; undefined where there is none (or none in the stack), or Istio cannot read it.
 */
export function eastWestHbonePort(gw: PolicyResource, resources: PolicyResource[]): { configMap: string; fate: HbonePortFate } | undefined {
  const cm = parametersConfigMap(gw, resources);
  if (!cm) return undefined;
  const overlay = serviceOverlayObject(cm.props.data?.service);
  return overlay ? { configMap: meta(cm.props).name, fate: hbonePortFate(overlay) } : undefined;
}
