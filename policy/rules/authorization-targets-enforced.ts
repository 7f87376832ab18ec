import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { AuthzSpec, targetRefsOf } from "../lib/authz";
import { agentgatewayClasses, agentgatewayProxy, canonicalGroup, customUnenforced, ISTIO_TARGET_KINDS, USE_WAYPOINT, WAYPOINT_CLASS, namedObjects, waypointGateway, waypointOf } from "../lib/authz-targets";
import { byCluster, cannotJudge, meta } from "../lib/k8s";
import { isGateway } from "../lib/gateways";
import { isKindOrPatch, isPatch } from "../lib/patches";
import { istioRootNamespaces } from "../lib/istio";
import { configWithDefaults, orUnknown, probe } from "../lib/values";
import { namespaceName } from "../lib/config-schema";
import { deniedAttachment, idleWaypoint, noServiceTraffic, type WaypointCtx } from "../lib/waypoint-traffic";

interface Config {
  /** Istio's root namespace where the stack installs no istiod (else istiod's values say). */
  rootNamespace: string;
}
const defaults: Config = { rootNamespace: "istio-system" };

type Ref = { group?: string; kind: string; name: string; namespace?: unknown };

const AGW_REMEDY =
  "express it as an AgentgatewayPolicy (agentgateway.dev/v1alpha1) targeting the Gateway (group gateway.networking.k8s.io, kind Gateway) with spec.traffic.authorization (action Allow, Deny or Require; policy.matchExpressions: CEL over source.identity, e.g. source.identity.namespace and source.identity.serviceAccount)";
const AGW_WHY = "which takes no Istio AuthorizationPolicy (its controller hands its proxies none: agentgateway v1.4.1 controller/pkg/syncer/syncer.go, Istio 1.30.3's agentgateway controller likewise) while ztunnel ignores targetRefs, so nothing enforces this policy";

/**
 * A policy bound through targetRefs is enforced only by the waypoint or gateway proxy istiod
 * configures for that target (ztunnel skips targetRef policies: Istio 1.30.3
 * pilot/pkg/serviceregistry/ambient/authorization.go). A target whose proxy is agentgateway, or a
 * target istiod binds to no proxy at all, leaves the policy unenforced: an ALLOW admits nobody it
 * was meant to restrict, a DENY denies nobody, with no error anywhere.
 */
export const authorizationTargetsEnforced: StackValidationPolicy = {
  name: "authorization-targets-enforced",
  description:
    "No AuthorizationPolicy (or AuthorizationPolicyPatch, read over the policy it patches) sets more than one of selector, targetRef and targetRefs (the CRD refuses it, so nothing enforces it), and no CUSTOM one is bound by selector or namespace-wide outside Istio's root namespace in an ambient namespace where the stack runs no gateway (ztunnel does not support CUSTOM and waypoints take only targetRefs policies); every targetRef of one binds a proxy that enforces Istio authorization: no namespace (the CRD refuses one), a kind Istio accepts (core Service, networking.istio.io ServiceEntry, gateway.networking.k8s.io Gateway or GatewayClass; istiod's webhook refuses others, a Gateway without its group included); no Gateway of an agentgateway class (agentgateway, istio-agentgateway, a class its chart renames or a GatewayClass of their controllers), no Service or ServiceEntry whose waypoint is one, nor one no waypoint serves (its own and its rendered namespace's istio.io/use-waypoint; an agentgateway proxy's Service, named after its Gateway (agentgateway's controller shortens a name past 63 characters), wears the Gateway's spec.infrastructure.labels) or whose waypoint the stack does not render in a namespace it creates or, in another namespace, does not take it (its HBONE listener's allowedRoutes), or that takes no Service traffic (istio.io/waypoint-for workload or none); no waypoint Gateway targeted itself that takes no traffic at all (istio.io/waypoint-for none or a value Istio does not know) — agentgateway takes no Istio AuthorizationPolicy, use an AgentgatewayPolicy traffic.authorization; a GatewayClass only istio-waypoint from Istio's root namespace.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      rootNamespace: { ...namespaceName, default: defaults.rootNamespace, description: "Istio's root namespace where the stack installs no istiod." },
    },
  },
  validateStack: (args, report) => {
    const { rootNamespace } = configWithDefaults(args, defaults);
    const pending: string[] = [];
    for (const [cluster, resources] of byCluster(args.resources)) {
      const agw = agentgatewayClasses(resources);
      const roots = istioRootNamespaces(resources, rootNamespace);
      for (const r of resources.filter((x) => isKindOrPatch(x.type, "security.istio.io", "AuthorizationPolicy"))) {
        const { namespace, name } = meta(r.props);
        const policy = `${isPatch(r.type) ? "AuthorizationPolicyPatch" : "AuthorizationPolicy"} ${namespace}/${name}`;
        const refs = probe(() => targetRefsOf(JSON.parse(JSON.stringify({ targetRef: r.props.spec?.targetRef, targetRefs: r.props.spec?.targetRefs })) as AuthzSpec));
        const bindings = probe(() => boundBy(r, resources));
        // Targets not known yet are can't judge below; a selector not known yet beside known targets is here.
        if (!bindings.known && refs.known) pending.push(`the selector and targets of ${policy} on cluster ${cluster}`);
        else if (bindings.known && bindings.value.length > 1) {
          report(`${policy} sets ${bindings.value.join(" and ")}: the API server refuses it (only one of targetRefs or selector can be set), so nothing enforces it; keep targetRefs to bind the waypoint or gateway, or selector to bind the workloads' ztunnel`, r.urn);
          continue;
        }
        if (!refs.known) {
          pending.push(`the targetRefs of ${policy} on cluster ${cluster}`);
          continue;
        }
        if (refs.value.length === 0 && !roots.roots.some((x) => x.namespace === namespace)) {
          const why = customUnenforced(r, policy, namespace, resources);
          if (why === "unknown") pending.push(`whether anything on cluster ${cluster} enforces CUSTOM ${policy} (its action, selector, namespace or gateways)`);
          else if (why) report(why, r.urn);
        }
        const ctx = { resources, namespace, classes: agw.classes, classesUnknown: agw.unknown, roots, cluster, pending };
        for (const ref of refs.value) {
          const why = unenforced(ref as Ref, ctx);
          if (why) report(`${policy}: targetRef ${describeRef(ref as Ref)} ${why}`, r.urn);
        }
      }
    }
    if (pending.length > 0) cannotJudge(pending);
  },
};

const BINDINGS = ["selector", "targetRef", "targetRefs"] as const;

/**
 * Which of selector, targetRef and targetRefs the policy sets, as the API server will hold it: a
 * patch's own fields over the stack's policy of that name. Istio 1.30.3's CRD takes at most one
 * (x-kubernetes-validations: has() of each, so an empty selector counts; a null one is dropped).
 * Throws the SDK's unknown-value error when one is not known yet.
 */
function boundBy(r: PolicyResource, resources: PolicyResource[]): string[] {
  const own = r.props.spec ?? {};
  const { namespace, name } = meta(r.props);
  const object = isPatch(r.type) ? resources.find((x) => isKindOrPatch(x.type, "security.istio.io", "AuthorizationPolicy") && !isPatch(x.type) && meta(x.props).namespace === namespace && meta(x.props).name === name) : undefined;
  const field = (key: string) => (key in own ? own[key] : object?.props.spec?.[key]);
  return BINDINGS.filter((key) => {
    const value = JSON.parse(JSON.stringify(field(key) ?? null));
    return value !== null && (key !== "targetRefs" || (Array.isArray(value) && value.length > 0));
  });
}

function describeRef(ref: Ref): string {
  // kind and name are required by the CRD; a reference without them still reads in the message.
  return `${ref.group ? `${ref.group}/` : ""}${ref.kind || "(no kind)"} ${ref.name || "(no name)"}`;
}

interface Ctx extends WaypointCtx {
  classes: Map<string, string>;
  /** What this preview cannot read of the agentgateway classes (a renamed class may be among them). */
  classesUnknown: string[];
  roots: ReturnType<typeof istioRootNamespaces>;
}

/** Why nothing enforces the policy at this target, or undefined (enforced, or not in the stack to judge). */
function unenforced(ref: Ref, ctx: Ctx): string | undefined {
  // The CRD's CEL rule on it (self.size() == 0: cross namespace referencing is not currently supported) refuses any value, its own namespace too.
  if (typeof ref.namespace === "string" && ref.namespace !== "") {
    return `names namespace ${ref.namespace}: the AuthorizationPolicy CRD refuses a targetRef with a namespace (cross namespace referencing is not currently supported), so the API server refuses the policy; put the policy in the target's namespace and drop the field`;
  }
  const group = canonicalGroup(ref.group);
  if (!ISTIO_TARGET_KINDS.some((k) => k.group === group && k.kind === ref.kind)) {
    const fix = ISTIO_TARGET_KINDS.find((k) => k.kind === ref.kind);
    const hint = fix ? `: set group ${fix.group === "core" ? '""' : fix.group} for a ${fix.kind}` : "";
    return `is not a target Istio 1.30 binds (core Service, networking.istio.io ServiceEntry, gateway.networking.k8s.io Gateway or GatewayClass): istiod's validation webhook refuses the policy (groups are compared with "" read as core)${hint}`;
  }
  if (ref.kind === "GatewayClass") {
    const agw = agentgatewayClass(ref.name, ctx);
    if (agw === "unknown") return undefined;
    if (agw) return `is a GatewayClass of ${agw}, ${AGW_WHY}; ${AGW_REMEDY}`;
    if (ref.name !== WAYPOINT_CLASS) return `binds nothing: istiod attaches a policy to a GatewayClass only for ${WAYPOINT_CLASS} (pilot/pkg/model/policyattachment.go), so nothing enforces it; target the Gateway itself`;
    if (ctx.roots.unknown.length > 0) {
      ctx.pending.push(`Istio's root namespace on cluster ${ctx.cluster} (${ctx.roots.unknown.join(", ")}), which decides whether a GatewayClass targetRef in ${ctx.namespace} binds`);
      return undefined;
    }
    const roots = ctx.roots.roots.map((x) => x.namespace);
    return roots.includes(ctx.namespace) ? undefined : `binds nothing from namespace ${ctx.namespace}: istiod attaches a GatewayClass target only from Istio's root namespace (${roots.join(", ")}), so nothing enforces it; move it there or target a Gateway`;
  }
  if (ref.kind === "Gateway") {
    const key = `${ctx.namespace}/${ref.name}`;
    const gw = gatewayAt(key, ctx, "the Gateway it targets");
    return gw && gw !== "unknown" ? gatewayProblem(gw, key, ctx, "") : undefined;
  }
  // A Service or ServiceEntry: only the waypoint it is enrolled with enforces it. Labels a
  // `<Kind>Patch` of the stack sets count too (server-side apply adds them to the object's).
  const [targetGroup, kind] = ref.kind === "Service" ? ["core", "Service"] : ["networking.istio.io", "ServiceEntry"];
  const target = objects(ctx, targetGroup, kind, ctx.namespace, ref.name);
  const ns = target && objects(ctx, "core", "Namespace", undefined, ctx.namespace);
  if (!target || !ns) return undefined;
  // An agentgateway proxy's Service is its controller's, named after the Gateway and labelled with
  // the Gateway's spec.infrastructure.labels (v1.4.1 deployer agentgateway_parameters.go
  // GatewayLabels, helm templates/service.yaml).
  const proxy = kind === "Service" && !target.some((x) => !isPatch(x.type)) ? agentgatewayProxy(ctx.resources, ctx.namespace, ctx.classes, ref.name) : undefined;
  if (proxy === "unknown") {
    ctx.pending.push(`the name or class of a Gateway in namespace ${ctx.namespace} on cluster ${ctx.cluster}, which decides whether Service ${ref.name} is an agentgateway proxy's`);
    return undefined;
  }
  // Enrolment outside the stack cannot be judged: the object or its namespace is not rendered here.
  if ((!target.some((x) => !isPatch(x.type)) && !proxy) || !ns.some((x) => !isPatch(x.type))) return undefined;
  const labelsOf = (xs: PolicyResource[]) => Object.assign({}, ...xs.map((x) => ({ ...(meta(x.props).labels ?? {}) }))) as Record<string, string>;
  const labels = probe(() => ({ own: proxy ? { ...(proxy.props.spec?.infrastructure?.labels ?? {}) } : labelsOf(target), ns: labelsOf(ns) }));
  if (!labels.known) {
    ctx.pending.push(`the labels of ${ref.kind} ${ctx.namespace}/${ref.name} or its namespace on cluster ${ctx.cluster} (its waypoint)`);
    return undefined;
  }
  const waypoint = waypointOf(labels.value.own, labels.value.ns, ctx.namespace);
  const gw = waypoint ? gatewayAt(waypoint, ctx, `the waypoint of ${ref.kind} ${ctx.namespace}/${ref.name}`) : undefined;
  if (gw === "unknown") return undefined;
  const missing = waypoint && (gw ? (deniedAttachment(gw, waypoint, labels.value.ns, ctx) ?? noServiceTraffic(gw, waypoint, ctx)) : missingWaypoint(waypoint, ctx));
  if (missing) return `binds nothing: ${ref.kind} ${ctx.namespace}/${ref.name} is enrolled (istio.io/use-waypoint on ${USE_WAYPOINT in labels.value.own ? "it" : `namespace ${ctx.namespace}`}) with waypoint ${waypoint}, ${missing}`;
  const optOut = labels.value.own[USE_WAYPOINT] === "none" ? `it opts out with istio.io/use-waypoint: none${proxy ? `, which agentgateway's controller copies onto it from Gateway ${ctx.namespace}/${ref.name}'s spec.infrastructure.labels` : ""}` : undefined;
  if (!waypoint) return `binds nothing: no waypoint serves ${ref.kind} ${ctx.namespace}/${ref.name} (${optOut ?? `neither it nor namespace ${ctx.namespace} carries istio.io/use-waypoint`}), istiod attaches Service and ServiceEntry targets only at a waypoint and ztunnel ignores targetRefs, so nothing enforces it; ${proxy ? `its pods are agentgateway's proxy, outside the ambient data plane: ${AGW_REMEDY}` : "enroll it with a waypoint or bind the policy by selector"}`;
  return gw && gatewayProblem(gw, waypoint, ctx, ` (the waypoint of ${ref.kind} ${ctx.namespace}/${ref.name})`);
}

/**
 * The stack's Gateway `key` (`namespace/name`, {@link waypointGateway}), undefined where it holds
 * none, or "unknown" (noted as can't judge) while a Gateway whose namespace or name this preview
 * cannot read may be it: taking it for that Gateway, or for none, would decide the verdict.
 */
function gatewayAt(key: string, ctx: Ctx, role: string): PolicyResource | undefined | "unknown" {
  const gw = probe(() => waypointGateway(ctx.resources, key));
  if (gw.known) return gw.value;
  ctx.pending.push(`the namespace or name of a Gateway on cluster ${ctx.cluster} that may be ${key} (${role})`);
  return "unknown";
}

/**
 * Why the waypoint (`namespace/name`) a target is enrolled with serves nothing: the stack creates
 * its namespace on the cluster but renders no Gateway of that name there. istiod then gives the
 * target no waypoint (Istio 1.30.3 ambient/waypoints.go fetchWaypointForTarget: WaypointIsNotReady,
 * no fallback to the namespace's), so ztunnel sends its traffic straight to the pods. Undefined
 * where the waypoint may be made elsewhere (its namespace is not the stack's). Called only where
 * the stack holds no Gateway of that name ({@link gatewayAt}).
 */
function missingWaypoint(key: string, ctx: Ctx): string | undefined {
  const namespace = key.split("/")[0];
  if (!objects(ctx, "core", "Namespace", undefined, namespace)?.some((x) => !isPatch(x.type))) return undefined;
  const here = ctx.resources.filter((x) => isGateway(x.type) && orUnknown(() => meta(x.props).namespace === namespace && x.props.spec?.gatewayClassName === WAYPOINT_CLASS, false));
  const others = here.length > 0 ? ` (its waypoints there: ${here.map((x) => meta(x.props).name).join(", ")})` : "";
  return `which the stack does not render in namespace ${namespace}${others}: istiod gives it no waypoint (ambient/waypoints.go fetchWaypointForTarget reports WaypointIsNotReady and falls back to none), so ztunnel sends its traffic straight to the pods and ignores targetRefs, and nothing enforces this policy; deploy that waypoint or correct the label`;
}

/** Why Gateway `gw` (`key`: namespace/name) enforces no Istio policy: one of an agentgateway class, or (targeted itself) a waypoint that takes no traffic. */
function gatewayProblem(gw: PolicyResource, key: string, ctx: Ctx, role: string): string | undefined {
  const cls = probe(() => gw.props.spec?.gatewayClassName as unknown);
  if (!cls.known) {
    ctx.pending.push(`the class of Gateway ${key} on cluster ${ctx.cluster}`);
    return undefined;
  }
  const agw = typeof cls.value === "string" ? agentgatewayClass(cls.value, ctx) : undefined;
  if (!agw || agw === "unknown") return role === "" ? idleWaypoint(gw, key, ctx) : undefined;
  return `binds Gateway ${key}${role} of class ${cls.value}, an agentgateway proxy (${agw}) ${AGW_WHY}; ${AGW_REMEDY}`;
}

/** The agentgateway controller of a class, undefined for another, "unknown" while a class it may be is not known yet. */
function agentgatewayClass(name: string, ctx: Ctx): string | undefined | "unknown" {
  const agw = ctx.classes.get(name);
  if (agw || ctx.classesUnknown.length === 0) return agw;
  ctx.pending.push(`whether class ${name} on cluster ${ctx.cluster} is agentgateway's (${ctx.classesUnknown.join(", ")} not known yet)`);
  return "unknown";
}

/** The stack's objects of a kind (namedObjects), undefined (noted as can't judge) while an unreadable one may be among them. */
function objects(ctx: Ctx, group: string, kind: string, namespace: string | undefined, name: string): PolicyResource[] | undefined {
  const found = namedObjects(ctx.resources, group, kind, namespace, name);
  if (found !== "unknown") return found;
  ctx.pending.push(`the name or namespace of a ${kind} on cluster ${ctx.cluster} that may be ${namespace === undefined ? "" : `${namespace}/`}${name} (or patch it)`);
  return undefined;
}
