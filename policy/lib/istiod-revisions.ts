/**
 * Which istiod of a cluster serves a Gateway, as Istio 1.30.3 decides it. Every istiod computes
 * config for every Gateway (gateway_collection.go: IsMine is deliberately not filtered when config
 * is emitted), but only the one whose revision owns the Gateway deploys its proxy
 * (gatewaycommon/deploymentcontroller.go: `if !d.tagWatcher.IsMine(gw.ObjectMeta)`), and that
 * proxy's pods carry the revision and dial `istiod-<revision>` (files/kube-gateway.yaml,
 * waypoint.yaml): its flags are the ones the Gateway lives by. A canary istiod that serves no
 * Gateway of the stack decides nothing about it.
 *
 * And which GatewayClasses an istiod takes for Istio's own Gateways: its default class name and
 * controller name are its env PILOT_GATEWAY_API_DEFAULT_GATEWAYCLASS_NAME (`istio`) and
 * PILOT_GATEWAY_API_CONTROLLER_NAME (`istio.io/gateway-controller`) (pilot/pkg/features/pilot.go);
 * a Gateway's class is the GatewayClass object of that name, else the built-in default class
 * (gatewaycommon/gatewayclass_collection.go FetchGatewayClass, classinfo.go).
 */
import type { PolicyResource } from "@pulumi/policy";
import { cannotJudge, isKind, meta, podSpecOf, T, isReleaseOf } from "./k8s";
import { descopedValue, isIstiodRelease, istiodEnv } from "./istio";
import { istioNodeAgentImage, withRenderedIstio } from "./istio-rendered";
import { isObject, orUnknown } from "./values";
import { releaseNamespace } from "./release-namespace";

const REV = "istio.io/rev";
const DEFAULT_VALIDATOR = "istiod-default-validator";
export const DEFAULT_CLASS_ENV = "PILOT_GATEWAY_API_DEFAULT_GATEWAYCLASS_NAME";
export const CONTROLLER_ENV = "PILOT_GATEWAY_API_CONTROLLER_NAME";

/** An istiod's revision: `revision`, the chart's `REVISION` env `{{ .Values.revision | default "default" }}`. */
export function istiodRevision(values: unknown): string {
  const rev = descopedValue(values, "revision");
  return typeof rev === "string" && rev !== "" ? rev : "default";
}

/**
 * The tags an istiod answers to besides its revision (tag_watcher.go GetMyTags): its
 * `revisionTags`, for each of which the chart renders the tag webhook and Service labelled
 * `istio.io/tag` (revision-tags-mwc.yaml, revision-tags-svc.yaml).
 */
function revisionTags(values: unknown): string[] {
  const tags = descopedValue(values, "revisionTags");
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [];
}

/** An env var of istiod that names a string, its registered default where unset; one set from elsewhere is not known. */
function stringEnv(r: PolicyResource, name: string, byDefault: string): string {
  const v = istiodEnv(r.props.values, name);
  if (v === null) return cannotJudge([`the ${name} env of istiod release ${r.name} (set by valueFrom)`]);
  return v ?? byDefault;
}

/** The istiod installs (Helm releases, or rendered as objects) of one cluster's resources. */
export function istiodsOf(resources: PolicyResource[]): PolicyResource[] {
  return withRenderedIstio(resources).filter(isIstiodRelease);
}

/**
 * Whether an istiod takes a Gateway of class `cls` for one of its own (class `istio`'s kind): the
 * GatewayClass object of that name where the stack renders one, naming its controller; else its
 * built-in default class. Throws the SDK's unknown-value error where the env is not known.
 */
function takesClass(istiod: PolicyResource, cls: unknown, resources: PolicyResource[]): boolean {
  const object = resources.find((r) => isKind(r.type, "gateway.networking.k8s.io", "GatewayClass") && meta(r.props).name === cls);
  const names = istiodClassNames(istiod);
  if (object) return object.props.spec?.controllerName === names.controller;
  return cls === names.defaultClass;
}

/** Istio's defaults for its ingress class: what a cluster whose istiod the stack does not install serves. */
export const DEFAULT_CLASS_NAMES = { defaultClass: "istio", controller: "istio.io/gateway-controller" };

/**
 * The name of an istiod's default (ingress) class and its controller name, from its env (Istio's
 * defaults where unset). Throws "can't judge" where one is set by valueFrom.
 */
export function istiodClassNames(istiod: PolicyResource): { defaultClass: string; controller: string } {
  return { defaultClass: stringEnv(istiod, DEFAULT_CLASS_ENV, DEFAULT_CLASS_NAMES.defaultClass), controller: stringEnv(istiod, CONTROLLER_ENV, DEFAULT_CLASS_NAMES.controller) };
}

/**
 * Whether Istio programs a Gateway as an ingress (class `istio`'s kind): some istiod of the
 * cluster takes its class, by name or by its GatewayClass's controller; where the stack installs
 * no istiod there, Istio's defaults (class `istio`, controller `istio.io/gateway-controller`).
 */
export function isIstioGateway(gw: PolicyResource, resources: PolicyResource[]): boolean {
  const cls = gw.props.spec?.gatewayClassName;
  const istiods = istiodsOf(resources);
  if (istiods.length === 0) {
    const object = resources.find((r) => isKind(r.type, "gateway.networking.k8s.io", "GatewayClass") && meta(r.props).name === cls);
    return object ? object.props.spec?.controllerName === DEFAULT_CLASS_NAMES.controller : cls === DEFAULT_CLASS_NAMES.defaultClass;
  }
  return istiods.some((i) => takesClass(i, cls, resources));
}

/**
 * The revision the cluster's default-revision webhook names (`istiod-default-validator`, labelled
 * istio.io/rev): the object where the stack renders it, else the base chart's `defaultRevision`
 * ("default" unless set; empty renders none). Throws "can't judge" where the stack shows neither.
 */
function defaultRevision(resources: PolicyResource[]): string | undefined {
  return defaultRevisionOf(resources).revision;
}

/** {@link defaultRevision}, and what sets it (for messages): the webhook, or the base release's defaultRevision. */
export function defaultRevisionOf(resources: PolicyResource[]): { revision: string | undefined; from: string } {
  const vwc = resources.find((r) => isKind(r.type, "admissionregistration.k8s.io", "ValidatingWebhookConfiguration") && meta(r.props).name === DEFAULT_VALIDATOR);
  if (vwc) return { revision: meta(vwc.props).labels?.[REV], from: `the ${REV} label of ${DEFAULT_VALIDATOR}` };
  const base = resources.find((r) => isReleaseOf(r, "base"));
  if (!base) return cannotJudge([`the cluster's default revision (no istio base release or ${DEFAULT_VALIDATOR} in the stack)`]);
  const rev = isObject(base.props.values) ? base.props.values.defaultRevision : undefined;
  return { revision: typeof rev === "string" ? rev || undefined : "default", from: `defaultRevision of base release ${base.name}` };
}

/**
 * The istiods of a cluster that own a Gateway (tag_watcher.go IsMine): the Gateway's istio.io/rev
 * label, else its namespace's (a namespace the stack does not render is read unlabelled), names
 * one of an istiod's tags; unlabelled, the istiod answering to the tag `default` owns it, and so
 * does the default revision's unless another istiod holds that tag ("default tag takes precedence
 * over default revision"). Empty where no istiod of the stack owns it (a tag made outside it).
 * Throws the SDK's unknown-value error (or "can't judge") where a value it reads is not known.
 */
export function istiodsServing(gw: PolicyResource, resources: PolicyResource[]): PolicyResource[] {
  const { namespace, labels } = meta(gw.props);
  let selected = labels?.[REV];
  if (selected === undefined) {
    const ns = resources.find((r) => r.type === T.namespace && meta(r.props).name === namespace);
    selected = (ns && meta(ns.props).labels?.[REV]) ?? "";
  }
  const istiods = istiodsOf(resources).map((r) => {
    const revision = istiodRevision(r.props.values);
    const tagged = revisionTags(r.props.values);
    return { r, revision, tagged, tags: new Set([revision, ...tagged]) };
  });
  return istiods
    .filter(({ tags, revision }) => {
      if (tags.has(String(selected))) return true;
      if (selected !== "") return false;
      if (tags.has("default")) return true;
      // The tag webhook istio-revision-tag-default, which only an istiod in istio-system names so (elsewhere the name takes its namespace).
      const otherDefaultTag = istiods.some((o) => o.tagged.includes("default") && releaseNamespace(o.r) === "istio-system");
      return !otherDefaultTag && defaultRevision(resources) === revision;
    })
    .map(({ r }) => r);
}

/**
 * Whether an istiod serves some of its cluster's ambient data plane that the stack shows: a
 * ztunnel that dials it (the ztunnel chart's XDS and CA address is istiod-<revision> unless
 * `xdsAddress` is set, daemonset.yaml; a ztunnel with its own address, one rendered as objects, or
 * a cluster whose ztunnel the stack does not install, counts for every istiod), or a Gateway it
 * owns (waypoints, east-west and ingress gateways, {@link istiodsServing}). A revision that serves
 * none of them, a canary installed beside the serving one, pushes nothing to this data plane.
 * Throws the SDK's unknown-value error (or "can't judge") where a value it reads is not known.
 */
export function servesDataPlane(istiod: PolicyResource, resources: PolicyResource[]): boolean {
  const revision = istiodRevision(istiod.props.values);
  // A ztunnel rendered as objects (a v4 Chart's DaemonSet): its address is not read here.
  if (resources.some((r) => r.type === "kubernetes:apps/v1:DaemonSet" && orUnknown(() => istioNodeAgentImage(podSpecOf(r.type, r.props)) === "ztunnel", true))) return true;
  const ztunnels = resources.filter((r) => isReleaseOf(r, "ztunnel"));
  if (ztunnels.length === 0) return true;
  for (const z of ztunnels) {
    const v = isObject(z.props.values) ? z.props.values : {};
    if (typeof v.xdsAddress === "string" && v.xdsAddress !== "") return true;
    const rev = typeof v.revision === "string" && v.revision !== "" ? v.revision : isObject(v.global) && typeof v.global.revision === "string" && v.global.revision !== "" ? v.global.revision : "default";
    if (rev === revision) return true;
  }
  const self = istiod.urn;
  return resources.filter((r) => isKind(r.type, "gateway.networking.k8s.io", "Gateway")).some((gw) => istiodsServing(gw, resources).some((o) => o.urn === self));
}
