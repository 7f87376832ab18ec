/**
 * Who may call whom, derived from the rendered Istio AuthorizationPolicies alone. Callers are
 * the policies' principals (`<trustDomain>/ns/<ns>/sa/<sa>`) resolved to rendered
 * ServiceAccounts; targets are what the policy attaches to: `selector` labels resolved to
 * workloads (by their pod template labels), `targetRefs` to a Service (its workloads), a
 * waypoint Gateway (the Services enrolled with it) or any other Gateway, and policies without
 * either to every workload of the namespace (of the mesh, in the root namespace).
 */
import type { KubernetesObject } from "./outputs";
import { networkPolicyIngress, PodGroup, WORKLOAD_KINDS } from "../../components/k8s/network-policies";
import { BARE_NAME_PROXY_CLASSES, proxyServiceAccount } from "../../components/agents/callgraph";

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
}

const ROOT_NAMESPACE = "istio-system";

const labelsOf = (o: KubernetesObject) => (o.metadata.labels ?? {}) as Record<string, string>;
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

export function workloadsOf(cluster: string, objects: KubernetesObject[]): Workload[] {
  return objects
    .filter((o) => WORKLOAD_KINDS.has(o.kind))
    .map((o) => {
      const template = ((o.spec as any)?.template ?? {}) as { metadata?: { labels?: Record<string, string> }; spec?: { serviceAccountName?: string } };
      return {
        cluster, namespace: o.metadata.namespace ?? "default", name: o.metadata.name, kind: o.kind,
        serviceAccount: template.spec?.serviceAccountName ?? "default",
        labels: template.metadata?.labels ?? {},
      };
    });
}

/** `ns/sa` of a principal `<trustDomain>/ns/<ns>/sa/<sa>`, or undefined for other forms. */
export function principalIdentity(principal: string): string | undefined {
  const m = /^(?:[^/]+\/)?ns\/([^/]+)\/sa\/([^/]+)$/.exec(principal);
  return m ? `${m[1]}/${m[2]}` : undefined;
}

interface Target {
  label: string;
  via: string;
  /** Istio's ingress Gateways stay out of the ambient data plane: they never see a caller's mesh identity. */
  identityBlind?: boolean;
}

function resolveTargets(policy: KubernetesObject, objects: KubernetesObject[], workloads: Workload[]): Target[] {
  const ns = policy.metadata.namespace ?? "default";
  const spec = (policy.spec ?? {}) as Record<string, any>;
  const inNs = workloads.filter((w) => w.namespace === ns);
  const toWorkloads = (ws: Workload[], via: string, what: string): Target[] =>
    ws.length ? ws.map((w) => ({ label: `${w.namespace}/${w.name}`, via })) : [{ label: `${what} (no rendered workload)`, via }];
  if (spec.selector?.matchLabels) {
    const sel = spec.selector.matchLabels as Record<string, string>;
    return toWorkloads(inNs.filter((w) => matches(sel, w.labels)), "ztunnel", `selector ${JSON.stringify(sel)}`);
  }
  const refs = (spec.targetRefs ?? (spec.targetRef ? [spec.targetRef] : [])) as { kind: string; name: string; namespace?: string }[];
  if (refs.length) {
    return refs.flatMap((ref): Target[] => {
      const refNs = ref.namespace ?? ns;
      if (ref.kind === "Service") {
        const svc = objects.find((o) => o.kind === "Service" && o.metadata.name === ref.name && (o.metadata.namespace ?? "default") === refNs);
        const sel = ((svc?.spec as any)?.selector ?? {}) as Record<string, string>;
        const backing = svc && Object.keys(sel).length ? workloads.filter((w) => w.namespace === refNs && matches(sel, w.labels)) : [];
        return toWorkloads(backing, `Service ${refNs}/${ref.name}`, `Service ${refNs}/${ref.name}`);
      }
      if (ref.kind === "Gateway") {
        const gw = objects.find((o) => o.kind === "Gateway" && o.metadata.name === ref.name && (o.metadata.namespace ?? "default") === refNs);
        const cls = (gw?.spec as any)?.gatewayClassName;
        if (cls === "istio") return [{ label: `Gateway ${refNs}/${ref.name}`, via: "gateway", identityBlind: true }];
        if (cls !== "istio-waypoint") return [{ label: `Gateway ${refNs}/${ref.name}`, via: "gateway" }];
        // A waypoint serves the Services enrolled with it (label on the Service, else on its namespace).
        const nsLabel = labelsOf(objects.find((o) => o.kind === "Namespace" && o.metadata.name === refNs) ?? ({ metadata: {} } as KubernetesObject))["istio.io/use-waypoint"];
        const services = objects.filter((o) => {
          if (o.kind !== "Service" || (o.metadata.namespace ?? "default") !== refNs) return false;
          const own = labelsOf(o)["istio.io/use-waypoint"];
          return (own ?? nsLabel) === ref.name;
        });
        const backing = services.flatMap((s) => {
          const sel = ((s.spec as any)?.selector ?? {}) as Record<string, string>;
          return Object.keys(sel).length ? workloads.filter((w) => w.namespace === refNs && matches(sel, w.labels)) : [];
        });
        return toWorkloads([...new Set(backing)], `waypoint ${refNs}/${ref.name}`, `services of waypoint ${refNs}/${ref.name}`);
      }
      return [{ label: `${ref.kind} ${refNs}/${ref.name}`, via: ref.kind }];
    });
  }
  if (ns === ROOT_NAMESPACE) return [{ label: "every workload (mesh-wide)", via: "ztunnel" }];
  return toWorkloads(inNs, "ztunnel", `namespace ${ns}`);
}

interface Caller {
  label: string;
  resolved: boolean;
  note?: string;
}

/**
 * Identities that may appear as principals: rendered ServiceAccounts (note ""), and the accounts
 * controllers provision for Gateways: Istio `<name>-istio` for its default class and the bare name
 * for its waypoint, east-west and agentgateway classes (Istio 1.30.3 DisableNameSuffix,
 * pilot/pkg/config/kube/gatewaycommon/classinfo.go), the agentgateway controller the Gateway's name.
 */
export function meshIdentities(objects: KubernetesObject[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of objects) {
    const ns = o.metadata.namespace ?? "default";
    if (o.kind === "ServiceAccount") out.set(`${ns}/${o.metadata.name}`, "");
    if (o.kind === "Gateway" && o.apiVersion.startsWith("gateway.networking.k8s.io/")) {
      const cls = String((o.spec as any)?.gatewayClassName ?? "");
      const note = `proxy of Gateway ${ns}/${o.metadata.name}`;
      // Istio's default class provisions `<name>-istio`; classes of other controllers provision nothing known.
      if (BARE_NAME_PROXY_CLASSES.includes(cls) || cls === "istio") out.set(`${ns}/${proxyServiceAccount(o.metadata.name, cls)}`, note);
    }
  }
  return out;
}

function resolveCallers(rule: Record<string, any>, identities: Map<string, string>): Caller[] {
  const froms = (rule.from ?? []) as { source?: Record<string, string[]> }[];
  if (froms.length === 0) return [{ label: "any caller (rule without sources)", resolved: false }];
  return froms.flatMap(({ source = {} }): Caller[] => {
    const out: Caller[] = [];
    for (const p of source.principals ?? []) {
      const id = principalIdentity(p);
      if (p === "*") out.push({ label: "any authenticated caller", resolved: false });
      else if (id) out.push({ label: id, resolved: identities.has(id), ...(identities.get(id) ? { note: identities.get(id) } : {}) });
      else out.push({ label: `principal ${p}`, resolved: false });
    }
    for (const n of source.namespaces ?? []) out.push({ label: `any workload in namespace ${n}`, resolved: false });
    for (const b of source.ipBlocks ?? []) out.push({ label: `ipBlock ${b}`, resolved: false });
    for (const r of source.requestPrincipals ?? []) out.push({ label: `request principal ${r}`, resolved: false });
    const others = Object.keys(source).filter((k) => k !== "notPrincipals");
    if (out.length === 0 && others.length === 0 && (source.notPrincipals ?? []).includes("*")) out.push({ label: "callers without a mesh identity", resolved: false });
    if (out.length === 0) out.push({ label: `source ${JSON.stringify(source)}`, resolved: false });
    return out;
  });
}

/** Every (caller, target) pair the AuthorizationPolicies of one cluster express. */
export function accessEdges(cluster: string, objects: KubernetesObject[], identities: Map<string, string> = meshIdentities(objects)): AccessEdge[] {
  const workloads = workloadsOf(cluster, objects);
  const edges: AccessEdge[] = [];
  for (const policy of objects.filter((o) => o.kind === "AuthorizationPolicy" && o.apiVersion.startsWith("security.istio.io/"))) {
    const spec = (policy.spec ?? {}) as Record<string, any>;
    const action = String(spec.action ?? "ALLOW");
    const name = `${policy.metadata.namespace ?? "default"}/${policy.metadata.name}`;
    const targets = resolveTargets(policy, objects, workloads);
    const rules = (spec.rules ?? []) as Record<string, any>[];
    // Without rules a policy never matches: an ALLOW one leaves its targets deny-by-default, any other does nothing.
    if (rules.length === 0) {
      if (action !== "ALLOW") continue;
      for (const t of targets) {
        edges.push({ cluster, policy: name, action, caller: "nobody (ALLOW without rules)", callerResolved: false, target: t.label, via: t.via });
      }
      continue;
    }
    for (const rule of rules) {
      const ops = ((rule.to ?? []) as { operation?: Record<string, string[]> }[]).map((t) => t.operation ?? {});
      const collect = (k: string) => [...new Set(ops.flatMap((o) => o[k] ?? []))];
      const [ports, methods, paths] = [collect("ports"), collect("methods"), collect("paths")];
      for (const c of resolveCallers(rule, identities)) {
        for (const t of targets) {
          const blind = t.identityBlind && c.label !== "callers without a mesh identity" ? " (never matches: the gateway sees no mesh identity)" : "";
          edges.push({
            cluster, policy: name, action, caller: `${c.label}${blind}`, callerResolved: c.resolved, ...(c.note ? { callerNote: c.note } : {}), target: t.label, via: t.via,
            ...(ports.length ? { ports } : {}), ...(methods.length ? { methods } : {}), ...(paths.length ? { paths } : {}),
          });
        }
      }
    }
  }
  return edges;
}

/** One NetworkPolicy's ingress on one cluster: which pods it guards, and who reaches which ports. */
export interface NetworkAccess {
  cluster: string;
  /** `namespace/name` of the NetworkPolicy. */
  policy: string;
  /** Workloads and Gateways' proxies it selects. */
  pods: string[];
  rules: { ports: string; from: string[] }[];
}

/** The ingress rules of every NetworkPolicy on one cluster, resolved to rendered workloads and Gateways. */
export function networkAccess(cluster: string, objects: KubernetesObject[]): NetworkAccess[] {
  const name = (pod: PodGroup) => (pod.kind === "gateway" ? `Gateway ${pod.namespace}/${pod.name}` : `${pod.namespace}/${pod.name}`);
  return networkPolicyIngress(objects).map((np) => ({
    cluster,
    policy: `${np.namespace}/${np.name}`,
    pods: np.pods.map(name),
    rules: np.rules.map((rule) => ({
      ports: rule.ports.map((p) => `${p.port ?? "any"}${p.endPort ? `-${p.endPort}` : ""}`).join(", ") || "every port",
      from: rule.peers.flatMap((peer) => {
        if (peer.kind === "anywhere") return ["anywhere"];
        if (peer.kind === "ipBlock") return [`ipBlock ${peer.cidr}${peer.except.length ? ` except ${peer.except.join(", ")}` : ""}`];
        return peer.pods.length ? peer.pods.map(name) : [`no rendered pod (${JSON.stringify(peer.peer)})`];
      }),
    })),
  }));
}
