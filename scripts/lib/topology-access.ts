/**
 * Who may call whom, derived from the rendered Istio AuthorizationPolicies alone. Callers are
 * the policies' principals (`<trustDomain>/ns/<ns>/sa/<sa>`) resolved to rendered
 * ServiceAccounts; targets are what the policy attaches to: `selector` labels resolved to
 * workloads (by their pod template labels), `targetRefs` to a Service (its workloads), a
 * waypoint Gateway (the Services enrolled with it) or any other Gateway, and policies without
 * either to every workload of the namespace (of the mesh, in the root namespace). The callers
 * each rule admits are read in topology-callers.ts.
 */
import type { KubernetesObject } from "./outputs";
import { WORKLOAD_KINDS } from "../../components/k8s/network-policies";
import { whenAdmits, Matching, L4_WHEN } from "./topology-sources";
import { meshIdentities, resolveCallers } from "./topology-callers";
import { ztunnelRule, policyUnenforced, ztunnelActionUnsupported, outOfMesh } from "./topology-ztunnel";
import { serviceWaypoint, unenforcedAt, gatewayNamed, agentgatewayService, AGENTGATEWAY_CLASSES, AGW_NO_ISTIO_AUTHZ } from "./topology-waypoints";

export interface Workload {
  cluster: string;
  namespace: string;
  name: string;
  kind: string;
  serviceAccount: string;
  labels: Record<string, string>;
}

export interface AccessEdge {
  cluster: string;
  /** `namespace/name` of the AuthorizationPolicy. */
  policy: string;
  action: string;
  /** `ns/sa` of a rendered ServiceAccount, or a description such as `any caller`. */
  caller: string;
  callerResolved: boolean;
  /** What runs as the caller when it is not a plain rendered ServiceAccount (e.g. a Gateway's proxy). */
  callerNote?: string;
  /** `ns/workload`, `Gateway ns/name`, or a description when nothing resolves. */
  target: string;
  /** How the policy attaches: `ztunnel` (selector / namespace) or `waypoint ns/name` / `Service ns/name`. */
  via: string;
  ports?: string[];
  methods?: string[];
  paths?: string[];
  /** What else the rule's operations and conditions require (`not ports 9090`, `when source.ip in …`). */
  conditions?: string[];
  /**
   * Whether a caller `ns/sa` falls under the rule's source, for the matrix's cells (a rule written
   * with namespaces, wildcards or `not*` fields covers ServiceAccounts it does not name); absent
   * when the identity alone does not decide it (addresses, request credentials).
   */
  admits?: (identity: string) => boolean;
  /** Why this rule can never match (it still makes its ALLOW policy apply: deny by default). */
  neverMatches?: string;
  /** The policy has no effect at all on this target (why): e.g. bound to a Service no waypoint serves. */
  unenforced?: string;
}

/** What istiod of one cluster says about matching: its trust domain and aliases, and its root namespace. */
export interface MeshSettings {
  /** `meshConfig.trustDomain`; undefined when no istiod is rendered (patterns needing it decide no cell). */
  trustDomain?: string;
  /** `meshConfig.trustDomainAliases`, which Envoy (waypoints, gateways) folds into principals. */
  trustDomainAliases?: string[];
  /** `meshConfig.rootNamespace`, else `global.istioNamespace`, else istio-system. */
  rootNamespace?: string;
}

const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

export function workloadsOf(cluster: string, objects: KubernetesObject[]): Workload[] {
  return objects
    .filter((o) => WORKLOAD_KINDS.has(o.kind))
    .map((o) => {
      const template = ((o.spec as any)?.template ?? {}) as { metadata?: { labels?: Record<string, string> }; spec?: { serviceAccountName?: string; serviceAccount?: string } };
      return {
        cluster, namespace: o.metadata.namespace ?? "default", name: o.metadata.name, kind: o.kind,
        // serviceAccount is the deprecated alias, taken when serviceAccountName is empty (kubernetes pkg/apis/core/v1/conversion.go).
        serviceAccount: template.spec?.serviceAccountName || template.spec?.serviceAccount || "default",
        labels: template.metadata?.labels ?? {},
      };
    });
}

interface Target {
  label: string;
  via: string;
  /** Istio's ingress Gateways stay out of the ambient data plane: they never see a caller's mesh identity. */
  identityBlind?: boolean;
  /** Enforced by the destination's ztunnel (selector, namespace or root-namespace policies): L4 only. */
  ztunnel?: boolean;
  unenforced?: string;
}

const TARGET_GROUPS: Record<string, string> = { Service: "core", ServiceEntry: "networking.istio.io", Gateway: "gateway.networking.k8s.io", GatewayClass: "gateway.networking.k8s.io" };

function resolveTargets(policy: KubernetesObject, objects: KubernetesObject[], workloads: Workload[], root: string): Target[] {
  const ns = policy.metadata.namespace ?? "default";
  const spec = (policy.spec ?? {}) as Record<string, any>;
  const inNs = workloads.filter((w) => w.namespace === ns);
  const toWorkloads = (ws: Workload[], via: string, what: string, extra: Partial<Target> = {}): Target[] =>
    ws.length
      ? ws.map((w) => {
          const out = extra.ztunnel && !extra.unenforced ? outOfMesh(w, objects) : undefined;
          return { label: `${w.namespace}/${w.name}`, via, ...extra, ...(out ? { unenforced: out } : {}) };
        })
      : [{ label: `${what} (no rendered workload)`, via, ...extra }];
  const refs = (spec.targetRefs ?? (spec.targetRef ? [spec.targetRef] : [])) as { group?: string; kind: string; name: string; namespace?: string }[];
  // The workloads behind the Services istiod gives a waypoint `wanted` accepts (serviceWaypoint).
  const behindWaypoints = (wanted: (key: string) => boolean) => [...new Set(objects.flatMap((s) => {
    const key = s.kind === "Service" ? serviceWaypoint(s, objects).waypoint : undefined;
    const sel = ((s.spec as any)?.selector ?? {}) as Record<string, string>;
    return key && wanted(key) && Object.keys(sel).length ? workloads.filter((w) => w.namespace === (s.metadata.namespace ?? "default") && matches(sel, w.labels)) : [];
  }))];
  if (spec.selector != null) {
    // A selector without matchLabels is still a selector (Scope WORKLOAD_SELECTOR) but selects no
    // workload: istiod attaches only policies with a label selector (Istio 1.30.3 ambient/policies.go,
    // workloads.go buildWorkloadPolicies `GetLabelSelector() != nil`).
    if (spec.selector.matchLabels == null) return [{ label: "selector without matchLabels (no rendered workload)", via: "ztunnel", ztunnel: true, unenforced: "a selector without matchLabels selects no workload in ambient" }];
    const sel = spec.selector.matchLabels as Record<string, string>;
    // A selector policy in the root namespace selects matching workloads of every namespace
    // (Istio 1.30.3 pilot/pkg/serviceregistry/ambient/workloads.go buildWorkloadPolicies).
    const pool = ns === root ? workloads : inNs;
    return toWorkloads(pool.filter((w) => matches(sel, w.labels)), "ztunnel", `selector ${JSON.stringify(sel)}${ns === root ? " in every namespace" : ""}`, { ztunnel: true });
  }
  // The CRD refuses a targetRef naming any namespace (x-kubernetes-validations `self.size() == 0`): the API server refuses the whole policy.
  const refused = refs.some((ref) => typeof ref.namespace === "string" && ref.namespace !== "") ? "the AuthorizationPolicy CRD refuses a targetRef with a namespace, so the API server refuses the policy" : undefined;
  if (refs.length) {
    return refs.flatMap((ref): Target[] => {
      const refNs = ref.namespace || ns;
      // istiod attaches a target only of these kinds and groups, "" read as core (Istio 1.30.3 policyattachment.go matchesGroupKind).
      if (TARGET_GROUPS[ref.kind] !== (ref.group || "core")) return [{ label: `${ref.kind} ${refNs}/${ref.name}`, via: ref.kind, unenforced: "istiod binds only core Service, networking.istio.io ServiceEntry and gateway.networking.k8s.io Gateway or GatewayClass targets" }];
      if (ref.kind === "Service") {
        const rendered = objects.find((o) => o.kind === "Service" && o.metadata.name === ref.name && (o.metadata.namespace ?? "default") === refNs);
        const proxy = rendered ? undefined : agentgatewayService(objects, refNs, ref.name);
        const svc = rendered ?? proxy;
        const sel = ((svc?.spec as any)?.selector ?? {}) as Record<string, string>;
        const backing = svc && Object.keys(sel).length ? workloads.filter((w) => w.namespace === refNs && matches(sel, w.labels)) : [];
        // A Service-bound policy is enforced by the Service's waypoint; ztunnel ignores targetRefs
        // (Istio 1.30.3 pilot/pkg/serviceregistry/ambient/authorization.go convertAuthorizationPolicy).
        const why = svc && unenforcedAt(svc, objects);
        const unenforced = why && proxy ? `${why} (the Service of agentgateway Gateway ${refNs}/${ref.name}, labelled with its spec.infrastructure.labels)` : why;
        return toWorkloads(backing, `Service ${refNs}/${ref.name}`, `Service ${refNs}/${ref.name}`, unenforced ? { unenforced } : {});
      }
      if (ref.kind === "Gateway") {
        const gw = objects.find((o) => o.kind === "Gateway" && o.metadata.name === ref.name && (o.metadata.namespace ?? "default") === refNs);
        const cls = (gw?.spec as any)?.gatewayClassName;
        if (cls === "istio") return [{ label: `Gateway ${refNs}/${ref.name}`, via: "gateway", identityBlind: true }];
        // agentgateway's controller hands its proxies no Istio authorization (v1.4.1 controller/pkg/syncer
        // syncer.go: "Authz/Authn are not use for agentgateway"), and ztunnel ignores targetRefs.
        // Istio 1.30.3's own agentgateway class builds none either (agentgateway_controller.go).
        if (AGENTGATEWAY_CLASSES.includes(cls)) return [{ label: `Gateway ${refNs}/${ref.name}`, via: "gateway", unenforced: AGW_NO_ISTIO_AUTHZ }];
        if (cls !== "istio-waypoint") return [{ label: `Gateway ${refNs}/${ref.name}`, via: "gateway" }];
        // A waypoint serves the Services istiod gives it, of any namespace (serviceWaypoint).
        return toWorkloads(behindWaypoints((key) => key === `${refNs}/${ref.name}`), `waypoint ${refNs}/${ref.name}`, `services of waypoint ${refNs}/${ref.name}`);
      }
      if (ref.kind === "GatewayClass") {
        // istiod attaches a GatewayClass target only for istio-waypoint and from the root namespace, then
        // at every waypoint of that class (Istio 1.30.3 pilot/pkg/model/policyattachment.go ShouldAttachPolicy).
        if (ref.name !== "istio-waypoint" || ns !== root) return [{ label: `GatewayClass ${ref.name}`, via: "GatewayClass", unenforced: "istiod binds a GatewayClass target only for istio-waypoint, from the root namespace" }];
        const ofClass = (key: string) => (gatewayNamed(objects, key)?.spec as any)?.gatewayClassName === "istio-waypoint";
        return toWorkloads(behindWaypoints(ofClass), "waypoints of class istio-waypoint", "services of istio-waypoint waypoints");
      }
      // A ServiceEntry is bound at its waypoint alike (policies.go, fetchWaypointForService).
      const entry = ref.kind === "ServiceEntry" ? objects.find((o) => o.kind === "ServiceEntry" && o.metadata.name === ref.name && (o.metadata.namespace ?? "default") === refNs) : undefined;
      const unenforced = entry && unenforcedAt(entry, objects);
      return [{ label: `${ref.kind} ${refNs}/${ref.name}`, via: ref.kind, ...(unenforced ? { unenforced } : {}) }];
    }).map((t) => (refused ? { ...t, unenforced: refused } : t));
  }
  // Without selector or targetRefs: the namespace's workloads, in the root namespace every workload (Scope GLOBAL).
  if (ns === root) return toWorkloads(workloads, "ztunnel", "every workload (mesh-wide)", { ztunnel: true });
  return toWorkloads(inNs, "ztunnel", `namespace ${ns}`, { ztunnel: true });
}

/** Every (caller, target) pair the AuthorizationPolicies of one cluster express, read with that cluster's istiod settings. */
export function accessEdges(cluster: string, objects: KubernetesObject[], identities: Map<string, string> = meshIdentities(objects), mesh: MeshSettings = {}): AccessEdge[] {
  const workloads = workloadsOf(cluster, objects);
  const root = mesh.rootNamespace ?? "istio-system";
  const edges: AccessEdge[] = [];
  for (const policy of objects.filter((o) => o.kind === "AuthorizationPolicy" && o.apiVersion.startsWith("security.istio.io/"))) {
    const spec = (policy.spec ?? {}) as Record<string, any>;
    const action = String(spec.action ?? "ALLOW");
    const policyNamespace = policy.metadata.namespace ?? "default";
    const name = `${policyNamespace}/${policy.metadata.name}`;
    const targets = resolveTargets(policy, objects, workloads, root);
    const rules = (spec.rules ?? []) as Record<string, any>[];
    const dryRun = policyUnenforced(policy.metadata.annotations as Record<string, string> | undefined);
    const base = (t: Target) => {
      const unenforced = dryRun ?? t.unenforced ?? (t.ztunnel ? ztunnelActionUnsupported(action) : undefined);
      return { cluster, policy: name, action, target: t.label, via: t.via, ...(unenforced ? { unenforced } : {}) };
    };
    // Without rules a policy never matches: an ALLOW one leaves its targets deny-by-default, any other does nothing.
    if (rules.length === 0) {
      if (action !== "ALLOW") continue;
      for (const t of targets) edges.push({ ...base(t), caller: "nobody (ALLOW without rules)", callerResolved: false, admits: () => false, neverMatches: "the policy has no rules" });
      continue;
    }
    for (const rule of rules) {
      const ops = ((rule.to ?? []) as { operation?: Record<string, string[]> }[]).map((t) => t.operation ?? {});
      const collect = (k: string) => [...new Set(ops.flatMap((o) => o[k] ?? []))];
      const [ports, methods, paths] = [collect("ports"), collect("methods"), collect("paths")];
      const conditions = [
        ...["notPorts", "hosts", "notHosts", "notMethods", "notPaths"].flatMap((k) => (collect(k).length ? [`${k} ${collect(k).join(",")}`] : [])),
        ...((rule.when ?? []) as { key: string; values?: string[]; notValues?: string[] }[]).map((w) => `when ${w.key}${w.values?.length ? ` in ${w.values.join(",")}` : ""}${w.notValues?.length ? ` not in ${w.notValues.join(",")}` : ""}`),
      ];
      for (const t of targets) {
        // ztunnel matches what it reads of the rule (topology-ztunnel.ts); Envoy the whole rule, with trust-domain aliases.
        const z = t.ztunnel ? ztunnelRule(action, rule) : undefined;
        const matching: Matching = { trustDomain: mesh.trustDomain, ...(t.ztunnel ? {} : { aliases: mesh.trustDomainAliases ?? [] }) };
        // A DENY that still matches at ztunnel without its HTTP attributes denies more than it says.
        const partial = z && !z.never && z.ignored.length > 0 ? z : undefined;
        const denyL4 = !!partial && action === "DENY" && partial.l7.length > 0;
        const when = whenAdmits(partial ? partial.rule : rule, policyNamespace, matching);
        for (const c of resolveCallers(z && !z.never ? z.rule : rule, identities, policyNamespace, matching)) {
          const neverMatches = c.neverMatches
            ?? (t.identityBlind && c.label !== "callers without a mesh identity" ? "the gateway sees no mesh identity" : undefined)
            ?? z?.never;
          // A gateway outside the ambient data plane sees callers without their identity: no cell follows from one.
          const admits = t.identityBlind ? undefined : neverMatches ? () => false : c.admits && when ? (id: string) => c.admits!(id) && when(id) : c.admits;
          const ignored = partial ? ` (${[partial.l7.length ? `HTTP attributes ${partial.l7.join(", ")}` : "", ...partial.ignored.filter((k) => !partial.l7.includes(k))].filter(Boolean).join(", ")} ignored: ${action === "DENY" ? "denies" : "allows"} on ${denyL4 ? "L4 alone" : "the rest"})` : "";
          edges.push({
            ...base(t), via: `${t.via}${ignored}`,
            caller: `${c.label}${neverMatches ? ` (never matches: ${neverMatches})` : ""}`, callerResolved: c.resolved, ...(c.note ? { callerNote: c.note } : {}),
            ...(ports.length ? { ports } : {}), ...(methods.length && !denyL4 ? { methods } : {}), ...(paths.length && !denyL4 ? { paths } : {}),
            ...(conditions.length ? { conditions: denyL4 ? conditions.filter((x) => x.startsWith("notPorts") || L4_WHEN.has(x.split(" ")[1])) : conditions } : {}),
            ...(admits ? { admits } : {}), ...(neverMatches ? { neverMatches } : {}),
          });
        }
      }
    }
  }
  return edges;
}
