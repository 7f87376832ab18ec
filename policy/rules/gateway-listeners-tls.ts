import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { byCluster, cannotJudge, isAuthorizationPolicy, isGateway, isKind, matchesSelector, meta } from "../lib/k8s";
import { gatewayPodLabels } from "../lib/istio";
import { actionOf, AuthzSpec, isUnauthenticatedOnly, openness, Source, targetRefsOf } from "../lib/authz";
import { andTri, configWithDefaults, list, notTri, orTri, orUnknown, Probe, probe, someTri, tri, Tri } from "../lib/values";

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

const isAgentgatewayParameters = (r: PolicyResource) => isKind(r.type, "agentgateway.dev", "AgentgatewayParameters");

/** Whether `r` is named `name` in `namespace`, as far as this preview knows. */
const namedIn = (r: PolicyResource, name: string, namespace: string): Tri => tri(() => meta(r.props).name === name && meta(r.props).namespace === namespace);

/**
 * Whether the Gateway's Service stays inside the cluster (ClusterIP) because of its own
 * annotation. Istio reads the networking.istio.io/service-type annotation on the Gateway itself
 * only (1.30.3 gatewaycommon/deploymentcontroller.go); under spec.infrastructure.annotations it is
 * merely copied onto the Service, which stays a LoadBalancer. agentgateway ignores it.
 */
function annotatedClusterIp(gw: PolicyResource): Tri {
  return tri(() => meta(gw.props).annotations["networking.istio.io/service-type"] === "ClusterIP");
}

/** Whether the AgentgatewayParameters the Gateway's parametersRef names make its Service ClusterIP. */
function parametersClusterIp(gw: PolicyResource, resources: PolicyResource[]): Tri {
  const { namespace } = meta(gw.props);
  return tri(() => {
    const ref = gw.props.spec?.infrastructure?.parametersRef;
    if (ref?.kind !== "AgentgatewayParameters") return false;
    return someTri(resources.filter(isAgentgatewayParameters), (r) => andTri(namedIn(r, ref.name, namespace), tri(() => r.props.spec?.service?.spec?.type === "ClusterIP")));
  });
}

/** Whether the Gateway's Service stays inside the cluster (ClusterIP), per its controller's settings. */
function clusterInternal(gw: PolicyResource, cls: Probe<string | undefined>, resources: PolicyResource[]): Tri {
  const params = parametersClusterIp(gw, resources);
  // A class not known yet may be an internal one, or agentgateway (which ignores the annotation).
  if (!cls.known) return orTri(params, "unknown");
  return orTri(cls.value === "agentgateway" ? false : annotatedClusterIp(gw), params);
}

/** What ALLOW policies bound to the Gateway admit callers without a mesh identity (or anyone) on. */
interface Outsiders {
  /** A rule admitting them names no ports. */
  all: boolean;
  ports: Set<string>;
  /** The policies admitting them, for messages. */
  policies: string[];
  /** Whether a known ALLOW policy binds the Gateway (when none does, Istio admits everyone). */
  bound: boolean;
  /** Policies this preview cannot read, which may bind the Gateway. */
  unknown: string[];
}

/**
 * Ports on which ALLOW policies bound to the Gateway admit callers without a mesh identity (or
 * anyone): every port when a rule admitting them names no ports, or when no ALLOW policy binds the
 * Gateway at all (Istio then admits everyone). An in-mesh listener shares the Gateway's load
 * balancer, so it stays in-mesh only if no such rule covers its port.
 */
function outsiders(gw: PolicyResource, resources: PolicyResource[]): Outsiders {
  const { namespace, name } = meta(gw.props);
  const out: Outsiders = { all: false, ports: new Set(), policies: [], bound: false, unknown: [] };
  for (const ap of resources.filter((r) => isAuthorizationPolicy(r.type))) {
    // Each policy read apart: one not known yet may bind the Gateway and open a port, or close it.
    const read = probe(() => {
      if (meta(ap.props).namespace !== namespace) return undefined;
      const spec = JSON.parse(JSON.stringify(ap.props.spec ?? {})) as AuthzSpec;
      const namespaceWide = !spec.selector && targetRefsOf(spec).length === 0;
      if (actionOf(spec) !== "ALLOW" || !(namespaceWide || targetRefsOf(spec).some((t) => t.kind === "Gateway" && t.name === name))) return undefined;
      let all = false;
      const ports: string[] = [];
      let admits = false;
      for (const rule of list(spec.rules)) {
        const from = list(rule.from);
        // Outside callers: no mesh identity required (not*-only, open, or request principals alone).
        const outsider = (s: Source | undefined) => isUnauthenticatedOnly(s) || openness(s) !== undefined || (!list(s?.principals).length && !list(s?.namespaces).length);
        if (from.length > 0 && !from.some((f) => outsider(f.source))) continue;
        admits = true;
        const to = list(rule.to);
        if (to.length === 0 || to.some((t) => list(t.operation?.ports).length === 0)) all = true;
        for (const t of to) for (const p of list(t.operation?.ports)) ports.push(String(p));
      }
      return { all, ports, admits };
    });
    if (!read.known) {
      out.unknown.push(orUnknown(() => `${meta(ap.props).namespace}/${meta(ap.props).name}`, ap.name));
      continue;
    }
    if (!read.value) continue;
    out.bound = true;
    if (!read.value.admits) continue;
    out.policies.push(meta(ap.props).name);
    out.all ||= read.value.all;
    for (const p of read.value.ports) out.ports.add(p);
  }
  return out;
}

/** Whether callers without a mesh identity reach `port` (unknown: its number is not known yet). */
function admitsOutsidersOn(o: Outsiders, port: Probe<unknown>): Tri {
  // ALLOW policies add up: one known to admit outsiders on the port opens it whatever the others say.
  if (o.all || (port.known && o.ports.has(String(port.value)))) return true;
  if (o.unknown.length > 0) return "unknown";
  if (!o.bound) return true;
  return port.known ? false : o.ports.size > 0 ? "unknown" : false;
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
function networkPolicyKeepsInCluster(gw: PolicyResource, port: Probe<unknown>, resources: PolicyResource[]): { restricted: Tri; policies: string[] } {
  const { namespace } = meta(gw.props);
  const podLabels = probe(() => gatewayPodLabels(gw));
  const policies = resources.filter((r) => isKind(r.type, "networking.k8s.io", "NetworkPolicy"));
  const selects = (np: PolicyResource): Tri =>
    tri(() => {
      if (meta(np.props).namespace !== namespace) return false;
      const spec = np.props.spec ?? {};
      const types = list(spec.policyTypes);
      if (!(types.length === 0 || types.includes("Ingress"))) return false;
      return podLabels.known ? matchesSelector(spec.podSelector, podLabels.value) : "unknown";
    });
  type Entry = Record<string, any>;
  const covers = (rule: Entry): Tri => {
    const ports = list(rule.ports) as Entry[];
    if (ports.length === 0) return true;
    // A named port cannot be resolved here: counted as covering, so its peers are judged.
    return someTri(ports, (p) => {
      if (p.port === undefined || typeof p.port === "string") return true;
      if (!port.known) return "unknown";
      const n = Number(port.value);
      return p.port <= n && n <= (p.endPort ?? p.port);
    });
  };
  const admitsOutside = (rule: Entry): Tri => {
    const peers = list(rule.from) as Entry[];
    return peers.length === 0 || someTri(peers, (peer) => !!peer.ipBlock || (!peer.podSelector && !peer.namespaceSelector));
  };
  const open = (np: PolicyResource): Tri => andTri(selects(np), someTri(list(np.props.spec?.ingress) as Entry[], (rule) => andTri(covers(rule), admitsOutside(rule))));
  const anyOpen = someTri(policies, open);
  const names = (which: (np: PolicyResource) => Tri) => policies.filter((np) => which(np) === true).map((np) => meta(np.props).name);
  return { restricted: andTri(someTri(policies, selects), notTri(anyOpen)), policies: anyOpen === true ? names(open) : names(selects) };
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
function keepsClientAddress(gw: PolicyResource, resources: PolicyResource[]): Tri {
  const { namespace } = meta(gw.props);
  return tri(() => {
    const ref = gw.props.spec?.infrastructure?.parametersRef;
    if (!ref) return false;
    if (ref.kind === "ConfigMap") {
      return someTri(resources.filter((r) => isKind(r.type, "core", "ConfigMap")), (cm) =>
        andTri(namedIn(cm, ref.name, namespace), tri(() => /(^|\n)\s*externalTrafficPolicy:\s*["']?Local["']?\s*($|\n)/.test(String(cm.props.data?.service ?? "")))),
      );
    }
    if (ref.kind === "AgentgatewayParameters") {
      return someTri(resources.filter(isAgentgatewayParameters), (r) => andTri(namedIn(r, ref.name, namespace), tri(() => r.props.spec?.service?.spec?.externalTrafficPolicy === "Local")));
    }
    return false;
  });
}

interface ListenerOf {
  listener: Record<string, any>;
  /** `Gateway ns/name` or `ListenerSet ns/name`, for messages. */
  from: string;
  urn: string;
  /** Whether the listener surely belongs to the Gateway ("unknown": a ListenerSet whose attachment this preview cannot tell). */
  attached: Tri;
}

/**
 * The Gateway's listeners and those ListenerSets attach to it: a ListenerSet whose parentRef names
 * the Gateway counts when the Gateway's `allowedListeners.namespaces.from` admits its namespace
 * (`Same`, `All`, or `Selector` over the namespace's labels; absent or `None` admits none). Istio
 * adds their ports to the Gateway's Service (gatewaycommon/deploymentcontroller.go). `unknown`
 * names the lists this preview cannot read.
 */
function listenersOf(gw: PolicyResource, resources: PolicyResource[]): { listeners: ListenerOf[]; unknown: string[] } {
  const { namespace, name } = meta(gw.props);
  const unknown: string[] = [];
  const own = probe(() => (list(gw.props.spec?.listeners) as Record<string, any>[]).map((listener): ListenerOf => ({ listener, from: `Gateway ${namespace}/${name}`, urn: gw.urn, attached: true })));
  if (!own.known) unknown.push(`the listeners of Gateway ${namespace}/${name}`);
  const admits = (ns: string): Tri =>
    tri(() => {
      const allowed = gw.props.spec?.allowedListeners?.namespaces ?? {};
      if (allowed.from === "All") return true;
      if (allowed.from === "Same") return ns === namespace;
      if (allowed.from === "Selector") {
        const nsObj = resources.find((r) => isKind(r.type, "core", "Namespace") && meta(r.props).name === ns);
        return matchesSelector(allowed.selector ?? {}, { ...(nsObj ? meta(nsObj.props).labels : {}), "kubernetes.io/metadata.name": ns });
      }
      return false;
    });
  const attached: ListenerOf[] = [];
  for (const set of resources.filter((r) => isKind(r.type, "gateway.networking.k8s.io", "ListenerSet") || isKind(r.type, "gateway.networking.x-k8s.io", "XListenerSet"))) {
    const setNs = probe(() => meta(set.props).namespace);
    const attaches = tri(() => {
      const ref = set.props.spec?.parentRef ?? {};
      if (!((ref.kind ?? "Gateway") === "Gateway" && ref.name === name)) return false;
      if (!setNs.known) return "unknown";
      return (ref.namespace ?? setNs.value) === namespace ? admits(setNs.value) : false;
    });
    if (attaches === false) continue;
    const from = `ListenerSet ${orUnknown(() => `${meta(set.props).namespace}/${meta(set.props).name}`, set.name)}`;
    const listeners = probe(() => list(set.props.spec?.listeners) as Record<string, any>[]);
    if (!listeners.known) unknown.push(`the listeners of ${from}${attaches === true ? "" : ", which may attach to Gateway " + `${namespace}/${name}`}`);
    else attached.push(...listeners.value.map((listener) => ({ listener, from, urn: set.urn, attached: attaches })));
  }
  return { listeners: [...(own.known ? own.value : []), ...attached], unknown };
}

/** One listener's verdict: a violation, a pass, or what this preview cannot know to decide. */
type Finding = { violation: string } | { pass: true } | { unknown: string };
const pass: Finding = { pass: true };

/**
 * One listener of an external Gateway: HTTPS, TLS or HBONE (a terminating one naming a
 * certificate), or plaintext for an in-mesh hostname on a port that stays inside the cluster.
 * `lead` starts its messages; `context` reads the Gateway's policies when an in-mesh listener needs them.
 */
function judgeListener(
  l: Record<string, any>,
  context: () => { gw: PolicyResource; resources: PolicyResource[]; open: Outsiders; keepsAddress: Tri },
  config: Config,
  lead: string,
): Finding {
  const protocolRead = probe(() => String(l.protocol ?? ""));
  if (!protocolRead.known) return { unknown: "the protocol" };
  const protocol = protocolRead.value;
  // HTTPS always terminates; TLS terminates unless it passes through: both need a certificate.
  const terminates = protocol === "HTTPS" ? true : protocol === "TLS" ? tri(() => (l.tls?.mode ?? "Terminate") === "Terminate") : false;
  const noCertificate = terminates === false ? false : tri(() => list(l.tls?.certificateRefs).length === 0);
  const missing = andTri(terminates, noCertificate);
  if (missing === true) return { violation: `${lead} is ${protocol} but names no tls.certificateRefs, so it cannot terminate TLS` };
  if (missing === "unknown") return { unknown: terminates === "unknown" ? "the tls.mode" : "the tls.certificateRefs" };
  if (encrypted.has(protocol)) return pass;
  const plaintext: Finding = { violation: `${lead} is ${protocol}; external listeners must be HTTPS or TLS` };
  const hostname = probe(() => l.hostname as string | undefined);
  const inMesh = hostname.known ? !!hostname.value && config.inMeshHostnameSuffixes.some((s) => hostname.value!.endsWith(s)) : "unknown";
  if (inMesh === false) return plaintext;
  // An in-mesh hostname: plaintext only while the port stays inside the cluster.
  const { gw, resources, open, keepsAddress } = context();
  const port = probe(() => l.port as unknown);
  const outside = admitsOutsidersOn(open, port);
  const network = outside === false ? { restricted: true as Tri, policies: [] } : networkPolicyKeepsInCluster(gw, port, resources);
  const safe = orTri(notTri(outside), andTri(network.restricted, keepsAddress));
  if (safe === true) return inMesh === true ? pass : { unknown: "the hostname" };
  if (safe === "unknown") return { unknown: inMesh === true ? "what admits outside callers to the port (AuthorizationPolicies, NetworkPolicies, the Service's externalTrafficPolicy)" : "the hostname" };
  // Not in-mesh after all: a plaintext listener either way.
  if (inMesh !== true) return plaintext;
  const everyPort = open.all || (!open.bound && open.unknown.length === 0);
  const networkWhy = network.restricted === false
    ? network.policies.length
      ? `NetworkPolicy ${network.policies.join(", ")} admits addresses outside the cluster on it`
      : "no NetworkPolicy keeps the port to pods inside the cluster"
    : `${network.policies.length ? `NetworkPolicy ${network.policies.join(", ")}` : "NetworkPolicies"} cannot tell outside clients apart: the Gateway's Service does not keep client addresses (externalTrafficPolicy: Local in ${optionsOf(gw)}), so load-balancer traffic reaches the pods from their node's address, which NetworkPolicies always admit`;
  return {
    violation: `${lead} is ${protocol} for in-mesh callers, but ${open.policies.length ? `AuthorizationPolicy ${open.policies.join(", ")} admits` : "no ALLOW AuthorizationPolicy binds the Gateway, so Istio admits"} callers without a mesh identity on ${everyPort ? "every port" : `port ${port.known ? port.value : "?"}`} and ${networkWhy}; the listener shares the Gateway's load balancer, so outside clients reach it in plaintext`,
  };
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
    // What this preview cannot know yet: reported as "can't judge" after every known verdict.
    const pending: string[] = [];
    for (const [cluster, resources] of byCluster(args.resources)) {
      for (const gw of resources.filter((r) => isGateway(r.type))) {
        const { namespace, name } = meta(gw.props);
        const gateway = `Gateway ${namespace}/${name}`;
        const cls = probe(() => gw.props.spec?.gatewayClassName as string | undefined);
        if (cls.known && (!cls.value || config.internalGatewayClasses.includes(cls.value))) continue;
        // Unknown (a class, an annotation or parameters not known yet): the listeners are judged, and
        // what would fail them is "can't judge" (an internal Gateway may listen in plaintext).
        const external = notTri(clusterInternal(gw, cls, resources));
        if (external === false) continue;
        const { listeners, unknown } = listenersOf(gw, resources);
        pending.push(...unknown.map((what) => `${what} on ${cluster}`));
        // Read once per Gateway, when an in-mesh listener needs them.
        let open: Outsiders | undefined;
        let keepsAddress: Tri | undefined;
        for (const { listener: l, from, urn, attached } of listeners) {
          const where = from === gateway ? gateway : `${gateway} (through ${from})`;
          const listener = `listener ${orUnknown(() => l.name, "?")} (port ${orUnknown(() => l.port, "not known yet")})`;
          const finding = judgeListener(l, () => {
            open ??= outsiders(gw, resources);
            keepsAddress ??= keepsClientAddress(gw, resources);
            return { gw, resources, open, keepsAddress };
          }, config, `${where} on ${cluster}: ${listener}`);
          if ("unknown" in finding) pending.push(`${finding.unknown} of ${listener} of ${where} on ${cluster}`);
          else if ("violation" in finding) {
            if (external === true && attached === true) report(finding.violation, urn);
            else if (attached !== true) pending.push(`whether ${from} attaches its ${listener} to ${gateway} on ${cluster}`);
            else pending.push(`whether ${gateway} on ${cluster} is exposed outside the cluster (its class, networking.istio.io/service-type annotation or parameters), which decides its ${listener}`);
          }
        }
      }
    }
    if (pending.length > 0) cannotJudge(pending);
  },
};
