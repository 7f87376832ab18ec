import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { byCluster, gatewayPodLabels, isAuthorizationPolicy, isGateway, isKind, matchesSelector, meta } from "../lib/k8s";
import { actionOf, AuthzSpec, isUnauthenticatedOnly, openness, Source, targetRefsOf } from "../lib/authz";
import { configWithDefaults, list, orUnknown } from "../lib/values";

interface Config {
  /** Gateway classes whose Gateways never get an externally reachable Service; every other class does unless its settings say ClusterIP. */
  internalGatewayClasses: string[];
  /** Allow plaintext listeners anyway (a laptop stack without certificates). */
  allowPlaintextListeners: boolean;
  /** Listener hostnames served only to in-mesh callers (cluster-local Service names). */
  inMeshHostnameSuffixes: string[];
}
const defaults: Config = {
  // Waypoints are ClusterIP; istio-remote gateways are not deployed here. Everything else Istio or
  // agentgateway deploys (istio, istio-east-west, istio-agentgateway, agentgateway) defaults to a
  // LoadBalancer, and an unknown class is assumed to as well.
  internalGatewayClasses: ["istio-waypoint", "istio-remote"],
  allowPlaintextListeners: false,
  inMeshHostnameSuffixes: [".svc.cluster.local"],
};

const encrypted = new Set(["HTTPS", "TLS", "HBONE"]);

/** Whether the Gateway's Service stays inside the cluster (ClusterIP), per its controller's settings. */
function clusterInternal(gw: PolicyResource, resources: PolicyResource[]): boolean {
  const m = meta(gw.props);
  const infra = gw.props.spec?.infrastructure ?? {};
  // Istio reads the networking.istio.io/service-type annotation on the Gateway itself only
  // (1.30.3 gatewaycommon/deploymentcontroller.go); under spec.infrastructure.annotations it is
  // merely copied onto the Service, which stays a LoadBalancer. agentgateway ignores it.
  if (gw.props.spec?.gatewayClassName !== "agentgateway" && m.annotations["networking.istio.io/service-type"] === "ClusterIP") return true;
  const ref = infra.parametersRef;
  if (ref?.kind === "AgentgatewayParameters") {
    const params = resources.find((r) => isKind(r.type, "agentgateway.dev", "AgentgatewayParameters") && meta(r.props).name === ref.name && meta(r.props).namespace === m.namespace);
    return params?.props.spec?.service?.spec?.type === "ClusterIP";
  }
  return false;
}

/**
 * Ports on which ALLOW policies bound to the Gateway admit callers without a mesh identity (or
 * anyone): `"all"` when a rule admitting them names no ports, or when no ALLOW policy binds the
 * Gateway at all (Istio then admits everyone). An in-mesh listener shares the Gateway's load
 * balancer, so it stays in-mesh only if no such rule covers its port.
 */
function unauthenticatedPorts(gw: PolicyResource, resources: PolicyResource[]): { ports: "all" | Set<string>; policies: string[] } {
  const { namespace, name } = meta(gw.props);
  const ports = new Set<string>();
  const policies: string[] = [];
  let bound = false;
  for (const ap of resources.filter((r) => isAuthorizationPolicy(r.type) && meta(r.props).namespace === namespace)) {
    const spec = (ap.props.spec ?? {}) as AuthzSpec;
    const namespaceWide = !spec.selector && targetRefsOf(spec).length === 0;
    if (actionOf(spec) !== "ALLOW" || !(namespaceWide || targetRefsOf(spec).some((t) => t.kind === "Gateway" && t.name === name))) continue;
    bound = true;
    for (const rule of list(spec.rules)) {
      const from = list(rule.from);
      // Outside callers: no mesh identity required (not*-only, open, or request principals alone).
      const outsiders = (s: Source | undefined) => isUnauthenticatedOnly(s) || openness(s) !== undefined || (!list(s?.principals).length && !list(s?.namespaces).length);
      if (from.length > 0 && !from.some((f) => outsiders(f.source))) continue;
      policies.push(meta(ap.props).name);
      const to = list(rule.to);
      if (to.length === 0 || to.some((t) => list(t.operation?.ports).length === 0)) return { ports: "all", policies };
      for (const t of to) for (const p of list(t.operation?.ports)) ports.add(String(p));
    }
  }
  return bound ? { ports, policies } : { ports: "all", policies: [] };
}

/**
 * Whether NetworkPolicies keep `port` of the Gateway's pods to pods inside the cluster: at least
 * one selects those pods for ingress, and every rule of every one that does and covers the port
 * names pod or namespace peers only (a rule without peers, or with an ipBlock, admits addresses
 * outside the cluster; policies add up, so one open rule opens the port). The pods carry the
 * labels Istio's controller gives them (gatewayPodLabels). NetworkPolicy implementations always
 * admit a pod's own node, and with `externalTrafficPolicy: Cluster` kube-proxy rewrites load
 * balancer traffic to the receiving node's address: so the Service must keep client addresses
 * (`Local`), set through the Gateway's options (keepsClientAddress).
 */
function networkPolicyKeepsInCluster(gw: PolicyResource, port: number, resources: PolicyResource[]): { restricted: boolean; policies: string[] } {
  const { namespace } = meta(gw.props);
  const podLabels = gatewayPodLabels(gw);
  const selecting = resources.filter((r) => {
    if (!isKind(r.type, "networking.k8s.io", "NetworkPolicy") || meta(r.props).namespace !== namespace) return false;
    const spec = r.props.spec ?? {};
    const types = list(spec.policyTypes);
    return (types.length === 0 || types.includes("Ingress")) && matchesSelector(spec.podSelector, podLabels);
  });
  type Entry = Record<string, any>;
  const covers = (rule: Entry) => {
    const ports = list(rule.ports) as Entry[];
    // A named port cannot be resolved here: counted as covering, so its peers are judged.
    return ports.length === 0 || ports.some((p) => p.port === undefined || typeof p.port === "string" || (p.port <= port && port <= (p.endPort ?? p.port)));
  };
  const admitsOutside = (rule: Entry) => {
    const peers = list(rule.from) as Entry[];
    return peers.length === 0 || peers.some((peer) => peer.ipBlock || (!peer.podSelector && !peer.namespaceSelector));
  };
  const open = selecting.filter((np) => (list(np.props.spec?.ingress) as Entry[]).some((rule) => covers(rule) && admitsOutside(rule)));
  return { restricted: selecting.length > 0 && open.length === 0, policies: (open.length ? open : selecting).map((np) => meta(np.props).name) };
}

/** Where the Gateway's Service settings would go, for messages: its parametersRef, or that it has none. */
function optionsOf(gw: PolicyResource): string {
  const ref = orUnknown(() => gw.props.spec?.infrastructure?.parametersRef as { kind?: string; name?: string } | undefined, undefined);
  return ref?.name ? `its infrastructure.parametersRef ${ref.kind ?? ""} ${ref.name}`.replace("  ", " ") : "options named by an infrastructure.parametersRef, which it lacks";
}

/**
 * Whether the Gateway's Service keeps clients' source addresses (`externalTrafficPolicy: Local`):
 * Istio applies the `service` key of the ConfigMap its `infrastructure.parametersRef` names as a
 * patch to the Service; agentgateway takes the Service spec from its AgentgatewayParameters.
 */
function keepsClientAddress(gw: PolicyResource, resources: PolicyResource[]): boolean {
  const { namespace } = meta(gw.props);
  const ref = gw.props.spec?.infrastructure?.parametersRef;
  if (!ref) return false;
  const named = (type: string, group: string, kind: string, r: PolicyResource) => isKind(type, group, kind) && meta(r.props).name === ref.name && meta(r.props).namespace === namespace;
  if (ref.kind === "ConfigMap") {
    const cm = resources.find((r) => named(r.type, "core", "ConfigMap", r));
    return /(^|\n)\s*externalTrafficPolicy:\s*["']?Local["']?\s*($|\n)/.test(String(cm?.props.data?.service ?? ""));
  }
  if (ref.kind === "AgentgatewayParameters") {
    const params = resources.find((r) => named(r.type, "agentgateway.dev", "AgentgatewayParameters", r));
    return params?.props.spec?.service?.spec?.externalTrafficPolicy === "Local";
  }
  return false;
}

interface ListenerOf {
  listener: Record<string, any>;
  /** `Gateway ns/name` or `ListenerSet ns/name`, for messages. */
  from: string;
  urn: string;
}

/**
 * The Gateway's listeners and those ListenerSets attach to it: a ListenerSet whose parentRef names
 * the Gateway counts when the Gateway's `allowedListeners.namespaces.from` admits its namespace
 * (`Same`, `All`, or `Selector` over the namespace's labels; absent or `None` admits none). Istio
 * adds their ports to the Gateway's Service (gatewaycommon/deploymentcontroller.go).
 */
function listenersOf(gw: PolicyResource, resources: PolicyResource[]): ListenerOf[] {
  const { namespace, name } = meta(gw.props);
  const own = (list(gw.props.spec?.listeners) as Record<string, any>[]).map((listener) => ({ listener, from: `Gateway ${namespace}/${name}`, urn: gw.urn }));
  const allowed = gw.props.spec?.allowedListeners?.namespaces ?? {};
  const admits = (ns: string): boolean => {
    if (allowed.from === "All") return true;
    if (allowed.from === "Same") return ns === namespace;
    if (allowed.from === "Selector") {
      const nsObj = resources.find((r) => isKind(r.type, "core", "Namespace") && meta(r.props).name === ns);
      return matchesSelector(allowed.selector ?? {}, { ...(nsObj ? meta(nsObj.props).labels : {}), "kubernetes.io/metadata.name": ns });
    }
    return false;
  };
  const sets = resources.filter((r) => {
    if (!isKind(r.type, "gateway.networking.k8s.io", "ListenerSet") && !isKind(r.type, "gateway.networking.x-k8s.io", "XListenerSet")) return false;
    const ref = r.props.spec?.parentRef ?? {};
    const setNs = meta(r.props).namespace;
    return (ref.kind ?? "Gateway") === "Gateway" && ref.name === name && (ref.namespace ?? setNs) === namespace && admits(setNs);
  });
  const attached = sets.flatMap((set) =>
    (list(set.props.spec?.listeners) as Record<string, any>[]).map((listener) => ({ listener, from: `ListenerSet ${meta(set.props).namespace}/${meta(set.props).name}`, urn: set.urn })),
  );
  return [...own, ...attached];
}

/**
 * Anything an external Gateway listens on is reachable from outside the cluster: prompts,
 * completions and tokens must not cross that edge in plaintext.
 */
export const gatewayListenersTls: StackValidationPolicy = {
  name: "gateway-listeners-tls",
  description:
    "Listeners of externally reachable Gateways (every class but waypoints, unless the Gateway's own settings make its Service ClusterIP), those ListenerSets attach included, use HTTPS, TLS or HBONE, and a terminating one names a certificate; a plaintext listener for in-mesh hostnames only while its port stays inside the cluster: no ALLOW policy bound to the Gateway admits callers without a mesh identity on it, or NetworkPolicies admit only pods to it; plaintext is allowed only where the stack's policy config says so (local).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      internalGatewayClasses: {
        type: "array",
        items: { type: "string" },
        default: defaults.internalGatewayClasses,
        description: "Gateway classes whose Gateways are never exposed outside the cluster; every other class is judged.",
      },
      allowPlaintextListeners: { type: "boolean", default: defaults.allowPlaintextListeners, description: "Allow HTTP/TCP listeners on external Gateways (local stacks only)." },
      inMeshHostnameSuffixes: {
        type: "array",
        items: { type: "string" },
        default: defaults.inMeshHostnameSuffixes,
        description: "Listener hostnames with these suffixes serve in-mesh callers only and may stay plaintext (ambient mTLS carries them).",
      },
    },
  },
  validateStack: (args, report) => {
    const config = configWithDefaults(args, defaults);
    if (config.allowPlaintextListeners) return;
    for (const [cluster, resources] of byCluster(args.resources)) {
      for (const gw of resources.filter((r) => isGateway(r.type))) {
        const cls = orUnknown(() => gw.props.spec?.gatewayClassName as string, undefined);
        if (!cls || config.internalGatewayClasses.includes(cls)) continue;
        if (orUnknown(() => clusterInternal(gw, resources), false)) continue;
        const { namespace, name } = meta(gw.props);
        for (const { listener: l, from, urn } of orUnknown(() => listenersOf(gw, resources), [])) {
          const protocol = String(l.protocol ?? "");
          const where = from === `Gateway ${namespace}/${name}` ? `Gateway ${namespace}/${name}` : `Gateway ${namespace}/${name} (through ${from})`;
          // HTTPS always terminates; TLS terminates unless it passes through: both need a certificate.
          const terminates = protocol === "HTTPS" || (protocol === "TLS" && (l.tls?.mode ?? "Terminate") === "Terminate");
          if (terminates && list(l.tls?.certificateRefs).length === 0) {
            report(`${where} on ${cluster}: listener ${l.name} (port ${l.port}) is ${protocol} but names no tls.certificateRefs, so it cannot terminate TLS`, urn);
          }
          if (encrypted.has(protocol)) continue;
          const hostname: string | undefined = l.hostname;
          if (hostname && config.inMeshHostnameSuffixes.some((s) => hostname.endsWith(s))) {
            const open = orUnknown(() => unauthenticatedPorts(gw, resources), { ports: new Set<string>(), policies: [] });
            if (open.ports !== "all" && !open.ports.has(String(l.port))) continue;
            const network = orUnknown(() => networkPolicyKeepsInCluster(gw, Number(l.port), resources), { restricted: true, policies: [] });
            const keepsAddress = orUnknown(() => keepsClientAddress(gw, resources), true);
            if (network.restricted && keepsAddress) continue;
            const networkWhy = !network.restricted
              ? network.policies.length
                ? `NetworkPolicy ${network.policies.join(", ")} admits addresses outside the cluster on it`
                : "no NetworkPolicy keeps the port to pods inside the cluster"
              : `NetworkPolicy ${network.policies.join(", ")} cannot tell outside clients apart: the Gateway's Service does not keep client addresses (externalTrafficPolicy: Local in ${optionsOf(gw)}), so load-balancer traffic reaches the pods from their node's address, which NetworkPolicies always admit`;
            report(
              `${where} on ${cluster}: listener ${l.name} (port ${l.port}) is ${protocol} for in-mesh callers, but ${open.policies.length ? `AuthorizationPolicy ${open.policies.join(", ")} admits` : "no ALLOW AuthorizationPolicy binds the Gateway, so Istio admits"} callers without a mesh identity on ${open.ports === "all" ? "every port" : `port ${l.port}`} and ${networkWhy}; the listener shares the Gateway's load balancer, so outside clients reach it in plaintext`,
              urn,
            );
            continue;
          }
          report(`${where} on ${cluster}: listener ${l.name} (port ${l.port}) is ${protocol}; external listeners must be HTTPS or TLS`, urn);
        }
      }
    }
  },
};
