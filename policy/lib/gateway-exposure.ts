/**
 * Whether a Gateway's listeners reach past the cluster: its Service type (Istio's ClusterIP
 * annotation, agentgateway's parameters), who its Istio policies admit without a mesh identity,
 * which ports its NetworkPolicies keep to pods inside the cluster, and whether its Service keeps
 * client addresses. Read by gateway-listeners-tls; unknown values come back as "unknown" (Tri).
 */
import type { PolicyResource } from "@pulumi/policy";
import { isAuthorizationPolicy, isKind, matchesLabels, matchesSelector, meta, unknownValueError } from "./k8s";
import { parameterLayers } from "./agentgateway-params";
import { agentgatewayProxyName, isOwnAgentgatewayClass } from "./authz-targets";
import { istioGatewayPodLabels } from "./istio-classes";
import { istioRootNamespaces, isIstiodRelease, istiodEnv, parseGoBool } from "./istio";
import { withRenderedIstio } from "./istio-rendered";
import { istioServiceClusterIp } from "./gateway-service-type";
import { actionOf, AuthzSpec, isUnauthenticatedOnly, openness, Source, targetRefsOf } from "./authz";
import { andTri, list, notTri, orTri, orUnknown, Probe, probe, someTri, tri, Tri } from "./values";

/** Whether `r` is named `name` in `namespace`, as far as this preview knows. */
const namedIn = (r: PolicyResource, name: string, namespace: string): Tri => tri(() => meta(r.props).name === name && meta(r.props).namespace === namespace);

/**
 * A field of the Service spec the AgentgatewayParameters agentgateway renders the Gateway's proxy
 * from set: the `service` overlays of its class's parameters, then its own (parameterLayers), the
 * last to set it deciding. A class-level setting counts as the Gateway's own does.
 */
function parametersServiceField(gw: PolicyResource, resources: PolicyResource[], field: string, value: string): Tri {
  const layers = parameterLayers(gw, resources);
  if (!layers.known) return "unknown";
  return tri(() => {
    let set: unknown;
    for (const l of layers.value) {
      const v: unknown = l.params?.props.spec?.service?.spec?.[field];
      if (v !== undefined) set = v;
    }
    return set === value;
  });
}
const parametersClusterIp = (gw: PolicyResource, resources: PolicyResource[]) => parametersServiceField(gw, resources, "type", "ClusterIP");

/**
 * Whether the Gateway's Service stays inside the cluster (ClusterIP), per its controller's
 * settings: agentgateway's parameters, or for Istio's classes the annotation on the Gateway itself
 * (under spec.infrastructure.annotations it is merely copied onto the Service) and the `service`
 * overlays of its class defaults and parametersRef ConfigMap, whose type wins (istioServiceClusterIp).
 */
export function clusterInternal(gw: PolicyResource, cls: Probe<string | undefined>, resources: PolicyResource[]): Tri {
  const params = parametersClusterIp(gw, resources);
  // A class not known yet may be an internal one, or agentgateway (which ignores the annotation).
  if (!cls.known || !cls.value) return orTri(params, cls.known ? false : "unknown");
  // agentgateway's controller, whatever its class is called (a renamed class, a GatewayClass
  // naming its controller), reads its parameters only: Istio's annotation and overlays are not its.
  const agw = isOwnAgentgatewayClass(cls.value, resources);
  if (!agw.known) return orTri(params, "unknown");
  return orTri(agw.value ? false : istioServiceClusterIp(gw, cls.value, resources), params);
}

/** What ALLOW policies bound to the Gateway admit callers without a mesh identity (or anyone) on. */
export interface Outsiders {
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
export function outsiders(gw: PolicyResource, resources: PolicyResource[]): Outsiders {
  const { namespace, name } = meta(gw.props);
  const out: Outsiders = { all: false, ports: new Set(), policies: [], bound: false, unknown: [] };
  const bySelector = selectorPoliciesBindGateways(resources);
  // Envoy reads the root namespace's policies beside its own (Istio 1.30.3 model/authorization.go ListAuthorizationPolicies).
  const roots = istioRootNamespaces(resources, "istio-system");
  for (const ap of resources.filter((r) => isAuthorizationPolicy(r.type))) {
    // Each policy read apart: one not known yet may bind the Gateway and open a port, or close it.
    const read = probe(() => {
      const here = meta(ap.props).namespace === namespace;
      const inRoot = roots.roots.some((r) => r.namespace === meta(ap.props).namespace);
      if (!here && !inRoot && roots.unknown.length === 0) return undefined;
      const spec = JSON.parse(JSON.stringify(ap.props.spec ?? {})) as AuthzSpec;
      const noTargets = targetRefsOf(spec).length === 0;
      const namespaceWide = !spec.selector && noTargets;
      // Unlike ztunnel, the gateway's Envoy reads an empty or absent matchLabels as selecting every pod.
      const pods = noTargets && spec.selector ? istioGatewayPodLabels(gw, resources) : { labels: {}, unknown: [] };
      const wanted = Object.entries(spec.selector?.matchLabels ?? {});
      // Labels whose value this preview cannot know yet (the Deployment's name while the Gateway's kind is not known).
      const unsure = wanted.filter(([k]) => pods.unknown.includes(k));
      const selected = noTargets && !!spec.selector && matchesLabels(Object.fromEntries(wanted.filter((e) => !unsure.includes(e))), pods.labels);
      if (selected && unsure.length > 0) throw unknownValueError([`<whether the Gateway's pods carry ${unsure.map(([k, v]) => `${k}=${v}`).join(", ")}>`]);
      if (selected && bySelector === "unknown") throw unknownValueError(["<whether istiod attaches selector-bound policies to Gateway API gateways>"]);
      // A targetRef binds a Gateway of the policy's own namespace only.
      const targeted = here && targetRefsOf(spec).some((t) => t.kind === "Gateway" && t.name === name);
      if (actionOf(spec) !== "ALLOW" || !(namespaceWide || (selected && bySelector) || targeted)) return undefined;
      if (!here && !inRoot) throw unknownValueError([`<whether ${meta(ap.props).namespace} is Istio's root namespace (${roots.unknown.join(", ")} not known yet)>`]);
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

/**
 * Whether istiod attaches policies bound by selector (no targetRefs) to Gateway API gateways: yes
 * unless its ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY is false (Istio 1.30.3
 * pilot/pkg/features/pilot.go, true by default; model/policyattachment.go ShouldAttachPolicy).
 * With several istiods, one attaching them is enough for this to hold (the gateway may be its).
 */
function selectorPoliciesBindGateways(resources: PolicyResource[]): Tri {
  const istiods = withRenderedIstio(resources).filter(isIstiodRelease);
  if (istiods.length === 0) return true;
  return someTri(istiods, (r) =>
    tri(() => {
      const v = istiodEnv(r.props.values, "ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY");
      // Read from a ConfigMap or field the stack does not show: not known here.
      if (v === null) throw unknownValueError(["<istiod's ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY, set by valueFrom>"]);
      // istiod's env.Register reads a value strconv.ParseBool refuses as the default.
      return v === undefined || parseGoBool(v) !== false;
    }),
  );
}

/** Whether callers without a mesh identity reach `port` (unknown: its number is not known yet). */
export function admitsOutsidersOn(o: Outsiders, port: Probe<unknown>): Tri {
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
 * labels Istio's controller gives them (istioGatewayPodLabels). NetworkPolicy implementations always
 * admit a pod's own node, and with `externalTrafficPolicy: Cluster` kube-proxy rewrites load
 * balancer traffic to the receiving node's address: so the Service must keep client addresses
 * (`Local`), set through the Gateway's options (keepsClientAddress).
 */
export function networkPolicyKeepsInCluster(gw: PolicyResource, port: Probe<unknown>, resources: PolicyResource[]): { restricted: Tri; policies: string[] } {
  const { namespace } = meta(gw.props);
  // A label whose value is not known yet (the Deployment's name, while the Gateway's kind is not) is left out.
  const podLabels = probe(() => istioGatewayPodLabels(gw, resources).labels);
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
      // Gateway listeners are TCP (HTTP, HTTPS, TLS, HBONE); an entry for UDP or SCTP opens none.
      if ((p.protocol ?? "TCP") !== "TCP") return false;
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
export function optionsOf(gw: PolicyResource): string {
  const ref = orUnknown(() => gw.props.spec?.infrastructure?.parametersRef as { kind?: string; name?: string } | undefined, undefined);
  return ref?.name ? `its infrastructure.parametersRef ${ref.kind ?? ""} ${ref.name}`.replace("  ", " ") : "options named by an infrastructure.parametersRef, which it lacks";
}

/**
 * Whether the Gateway's Service keeps clients' source addresses (`externalTrafficPolicy: Local`):
 * Istio applies the `service` key of the ConfigMap its `infrastructure.parametersRef` names as a
 * patch to the Service; agentgateway takes the Service spec from its class's, then its own,
 * AgentgatewayParameters (parametersServiceField).
 */
export function keepsClientAddress(gw: PolicyResource, resources: PolicyResource[]): Tri {
  const { namespace } = meta(gw.props);
  return tri(() => {
    const ref = gw.props.spec?.infrastructure?.parametersRef;
    // agentgateway's: its class's parameters may set it, with or without its own.
    if (ref?.kind !== "ConfigMap") return parametersServiceField(gw, resources, "externalTrafficPolicy", "Local");
    return someTri(resources.filter((r) => isKind(r.type, "core", "ConfigMap")), (cm) =>
      andTri(namedIn(cm, ref.name, namespace), tri(() => /(^|\n)\s*externalTrafficPolicy:\s*["']?Local["']?\s*($|\n)/.test(String(cm.props.data?.service ?? "")))),
    );
  });
}

/**
 * The labels a Gateway's proxy pods carry: agentgateway's deployer (for a class of its controller,
 * whatever it is called) gives them its selector labels (v1.4.1 helm/agentgateway _helpers.tpl:
 * app.kubernetes.io/name and instance and the gateway-name label, the Gateway's name shortened
 * past 63 characters as agentgatewayProxyName) and the class; Istio's controller its own
 * (istioGatewayPodLabels). Throws while the class's controller is not known.
 */
function proxyPodLabels(gw: PolicyResource, resources: PolicyResource[]): Record<string, string> {
  const name = agentgatewayProxyName(meta(gw.props).name);
  const cls = String(gw.props.spec?.gatewayClassName ?? "");
  const agw = isOwnAgentgatewayClass(cls, resources);
  if (!agw.known) throw unknownValueError([`<whether class ${cls} is agentgateway's>`]);
  if (!agw.value && gw.props.spec?.infrastructure?.parametersRef?.kind !== "AgentgatewayParameters") return istioGatewayPodLabels(gw, resources).labels;
  const infra = Object.entries((gw.props.spec?.infrastructure?.labels ?? {}) as Record<string, string>).filter(([k]) => !k.startsWith("gateway.networking.k8s.io/"));
  return {
    ...Object.fromEntries(infra),
    "app.kubernetes.io/name": name,
    "app.kubernetes.io/instance": name,
    "gateway.networking.k8s.io/gateway-name": name,
    "gateway.networking.k8s.io/gateway-class-name": cls,
  };
}

/** Container ports a Service reaches, or "all" when one is named (resolved per pod, not here). */
export interface Exposure {
  services: string[];
  ports: Set<number> | "all";
}

/**
 * Services the stack adds beside a Gateway that reach its proxy pods from outside the cluster: of
 * type LoadBalancer or NodePort, or with externalIPs, in its namespace, selecting its pods. They
 * expose the listeners on the ports they target (a listener's port is its pods' port, for Istio and
 * agentgateway alike) whatever the Gateway's own Service is: a ClusterIP Gateway made public by hand.
 * Services this preview cannot read are left out.
 */
export function exposingServices(gw: PolicyResource, resources: PolicyResource[]): Exposure {
  const { namespace } = meta(gw.props);
  const labels = probe(() => proxyPodLabels(gw, resources));
  const out: Exposure = { services: [], ports: new Set() };
  if (!labels.known) return out;
  for (const svc of resources.filter((r) => r.type === "kubernetes:core/v1:Service")) {
    const read = probe(() => {
      const spec = svc.props.spec ?? {};
      const external = spec.type === "LoadBalancer" || spec.type === "NodePort" || list(spec.externalIPs).length > 0;
      const selector = (spec.selector ?? {}) as Record<string, string>;
      if (!external || meta(svc.props).namespace !== namespace || Object.keys(selector).length === 0 || !matchesSelector({ matchLabels: selector }, labels.value)) return undefined;
      return list(spec.ports as { port?: number; targetPort?: number | string }[]).map((p) => p.targetPort ?? p.port);
    });
    if (!read.known || !read.value) continue;
    out.services.push(`${meta(svc.props).name} (${svc.props.spec?.type ?? "ClusterIP"})`);
    for (const target of read.value) {
      if (typeof target === "number" || /^[0-9]+$/.test(String(target))) {
        if (out.ports !== "all") out.ports.add(Number(target));
      } else out.ports = "all";
    }
  }
  return out;
}
