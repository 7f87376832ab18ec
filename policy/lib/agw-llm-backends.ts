/**
 * Where an AgentgatewayBackend's LLM provider sends its requests. agentgateway v1.4.1's controller
 * turns `spec.ai.provider` (or each `spec.ai.groups[].providers[]`) `host` and `port` into the
 * provider's HostOverride as written (controller/pkg/syncer/backend/backend_plugin.go
 * translateLLMProvider; the CRD requires both together), and its proxy dials that target as it is:
 * a hostname is resolved by DNS when the request is sent (crates/agentgateway/src/client/mod.rs
 * resolve_target: a name that does not resolve fails the request, DnsResolution); with a host
 * override it adds none of the provider's default connection policies, TLS among them
 * (proxy/httpproxy.rs). So a host naming a
 * Service the cluster lacks, or a port that Service does not have, fails every request routed to
 * that backend while the route and backend look accepted.
 *
 * Judged only where the host names a Service (`svc`, `svc.ns`, `svc.ns.svc…`: agw-static-hosts.ts
 * staticService) the review can account for: one the stack renders (its ports), or one a Gateway of
 * the stack makes (Istio 1.30.3's deployment controller names it `gateway.istio.io/name-override`,
 * else `<name>-<class>` for its ingress kind and the bare name for its waypoint, east-west and
 * agentgateway kinds, gatewaycommon/deploymentcontroller.go and GetDefaultName, and gives it the
 * status port 15021 and each port of the Gateway's listeners and its attached ListenerSets',
 * extractServicePorts; agentgateway's own controller names it after the Gateway, ports not judged).
 * A missing Service is reported only in a namespace the stack holds whole (agw-backend-refs.ts
 * heldWhole) whose every Gateway's controller is known. A host outside the stack, an IP, or a
 * path override (the stack's inference routes match every path and choose the pool by header) is
 * not judged. On an Istio Gateway's Service, what the listeners of the port take is judged too
 * (agw-llm-listeners.ts: plain HTTP to an HTTPS listener, TLS to a plain-HTTP one, a Host no
 * listener there names).
 */
import type { PolicyResource } from "@pulumi/policy";
import type { Graph } from "./call-graph";
import { isKind, meta, unknownValueError } from "./k8s";
import { isGateway } from "./gateways";
import { istioDefaultName, istioGatewayKind, istioNameOverride } from "./istio-classes";
import { agentgatewayProxyName, isOwnAgentgatewayClass } from "./authz-targets";
import { listenerSetsOf } from "./listener-sets";
import { GATEWAY_CLASS_DEFAULTS_LABEL } from "./istio-overlays";
import { istiodsOf } from "./istiod-revisions";
import { descopedValue } from "./istio";
import { heldWhole, renderedServicePorts } from "./agw-backend-refs";
import { staticService } from "./agw-static-hosts";
import { listenerFault, SINGLE_PROVIDER_SECTION } from "./agw-llm-listeners";
import { list, probe } from "./values";

/** Istio's status port, which its deployment controller adds to every Gateway Service it makes. */
const ISTIO_STATUS_PORT = 15021;

/** One LLM provider of an AI backend with its host override, and where it sits in the spec. */
interface Provider {
  shown: string;
  host: unknown;
  port: unknown;
  /** Its sub-backend name, which a policy's `sectionName` names, and its own `policies` (a priority-group provider's). */
  section: string;
  policies: unknown;
}

/** The providers of an AgentgatewayBackend's `spec.ai` that set a host (the single `provider`, or each of `groups[].providers[]`). */
function providersWithHost(ai: Record<string, any>): Provider[] {
  const single = ai.provider ? [{ shown: "spec.ai.provider", section: SINGLE_PROVIDER_SECTION, p: ai.provider }] : [];
  const grouped = list(ai.groups as { providers?: any[] }[]).flatMap((g, i) => list(g?.providers).map((p, j) => ({ shown: `spec.ai.groups[${i}].providers[${j}] (${String(p?.name)})`, section: String(p?.name), p })));
  return [...single, ...grouped].filter(({ p }) => p && p.host !== undefined).map(({ shown, section, p }) => ({ shown, section, host: p.host, port: p.port, policies: p.policies }));
}

/** Whether a Service overlay Istio lays over this Gateway's Service may change its ports: its parametersRef ConfigMap's, its class's defaults ConfigMap's, or istiod's `gatewayClasses.<class>.service` values. */
function servicePortsPatched(gw: PolicyResource, cluster: PolicyResource[]): boolean {
  const { namespace } = meta(gw.props);
  const cls = String(gw.props.spec?.gatewayClassName);
  const ref = gw.props.spec?.infrastructure?.parametersRef;
  const mentionsPorts = (overlay: unknown) => overlay !== undefined && overlay !== null && /(^|[\s{,"])ports["']?\s*:/.test(typeof overlay === "string" ? overlay : JSON.stringify(overlay));
  const configMaps = cluster.filter((r) => isKind(r.type, "core", "ConfigMap"));
  const own = ref?.kind === "ConfigMap" && configMaps.some((cm) => meta(cm.props).namespace === namespace && meta(cm.props).name === ref.name && mentionsPorts(cm.props.data?.service));
  const classDefaults = configMaps.some((cm) => meta(cm.props).labels?.[GATEWAY_CLASS_DEFAULTS_LABEL] === cls && mentionsPorts(cm.props.data?.service));
  const values = istiodsOf(cluster).some((istiod) => mentionsPorts(descopedValue(istiod.props.values, "gatewayClasses", cls, "service")));
  return own || classDefaults || values;
}

/** A Gateway's listeners and its attached ListenerSets' (undefined while a ListenerSet may attach, not known yet). */
function gatewayListeners(gw: PolicyResource, cluster: PolicyResource[]): Record<string, any>[] | undefined {
  const sets = listenerSetsOf(gw, cluster);
  if (sets.some((s) => s.attaches !== true)) return undefined;
  return [gw, ...sets.map((s) => s.set)].flatMap((r) => list(r.props.spec?.listeners as Record<string, any>[]));
}

/** The Service a Gateway's controller makes for it. */
interface MadeService {
  name: string;
  what: string;
  /** Its ports, where known (Istio's kinds, no overlay touching them). */
  ports?: unknown[];
  /** The Gateway (`ns/name`) and the listeners behind those ports, where the ports are known. */
  gateway?: string;
  listeners?: Record<string, any>[];
}

/** The Service a Gateway's controller makes for it: its name, and its ports and listeners where known (Istio's kinds); "any" where its controller is not known to this review (the name may be any). */
function gatewayService(gw: PolicyResource, cluster: PolicyResource[]): MadeService | undefined | "any" {
  const { namespace, name } = meta(gw.props);
  const cls = String(gw.props.spec?.gatewayClassName);
  const what = `the Service of Gateway ${namespace}/${name}`;
  const kind = istioGatewayKind(gw, cluster);
  if (kind === "remote") return undefined;
  if (kind !== undefined) {
    const svc = istioNameOverride(gw) ?? istioDefaultName(kind, name, cls);
    const listeners = servicePortsPatched(gw, cluster) ? undefined : gatewayListeners(gw, cluster);
    return { name: svc, what, ports: listeners && [ISTIO_STATUS_PORT, ...listeners.map((l) => l?.port)], gateway: `${namespace}/${name}`, listeners };
  }
  const agw = isOwnAgentgatewayClass(cls, cluster);
  if (!agw.known) throw unknownValueError([`<whether class ${cls} is agentgateway's>`]);
  return agw.value ? { name: agentgatewayProxyName(name), what } : "any";
}

/** What is wrong with one provider's host and port (and, on an Istio Gateway's Service, what its listeners there take: agw-llm-listeners.ts), or undefined where right or not judged. Throws the SDK's unknown-value error while a value it reads is not known yet. */
function providerFault(cluster: PolicyResource[], backend: PolicyResource, p: Provider): string | undefined {
  const { namespace } = meta(backend.props);
  if (typeof p.host !== "string") return undefined;
  const service = staticService({ host: p.host }, namespace);
  if (!service) return undefined;
  const [ns, name] = service.split("/");
  const at = `${p.shown} host ${p.host} (Service ${service})`;
  const wrongPort = (ports: unknown[], what: string) =>
    typeof p.port === "number" && !ports.includes(p.port)
      ? `${at} on port ${p.port}, which ${what} does not have (it has ${ports.join(", ")}); agentgateway v1.4.1 dials a provider's host and port as written, so each connection its proxy opens there fails and every request routed to this backend fails; set the port to the listener's (or the Service's) port meant`
      : undefined;
  const rendered = renderedServicePorts(cluster, ns, name);
  if (rendered) return wrongPort(rendered, "the Service the stack renders");
  // An ExternalName Service of that name: its ports stand for nothing the cluster serves, and its name resolves.
  if (cluster.some((r) => isKind(r.type, "core", "Service") && meta(r.props).namespace === ns && meta(r.props).name === name)) return undefined;
  const gateways = cluster.filter((r) => isGateway(r.type) && meta(r.props).namespace === ns);
  const made = gateways.map((gw) => gatewayService(gw, cluster));
  const match = made.find((m): m is MadeService => m !== undefined && m !== "any" && m.name === name);
  if (match) {
    if (!match.ports || !match.listeners || typeof p.port !== "number") return undefined;
    return wrongPort(match.ports, match.what) ?? listenerFault(cluster, { backend, section: p.section, policies: p.policies, host: p.host, port: p.port, at }, match.gateway!, match.listeners);
  }
  if (made.includes("any") || !heldWhole(cluster, ns)) return undefined;
  const byGateways = made.filter((m): m is MadeService => m !== undefined && m !== "any").map((m) => m.name);
  return `${at} names a Service the cluster does not have: the stack creates namespace ${ns} there and renders no Service ${name} in it, nor a Gateway whose controller makes one of that name (${byGateways.length ? `its Gateways' Services: ${byGateways.join(", ")}` : "it renders no Gateway there"}), nor a Helm release there; agentgateway v1.4.1 dials a provider's host as written, resolving it by DNS, so every request routed to this backend fails; correct the host (a Service made there outside the stack would resolve it, which this review cannot see)`;
}

/**
 * Reports each LLM provider of an AgentgatewayBackend of the cluster whose host override names a
 * Service the cluster does not have, or a port that Service does not have ({@link providerFault}).
 */
export function reportLlmBackendTargets(g: Graph, cluster: string, report: (message: string, urn?: string) => void, pending: string[]): void {
  for (const r of g.resources.filter((x) => isKind(x.type, "agentgateway.dev", "AgentgatewayBackend"))) {
    const read = probe(() => {
      const { namespace, name } = meta(r.props);
      const ai = r.props.spec?.ai;
      if (!ai || typeof ai !== "object") return [];
      return providersWithHost(ai)
        .map((p) => providerFault(g.resources, r, p))
        .filter((why): why is string => !!why)
        .map((why) => `AgentgatewayBackend ${namespace}/${name} on cluster ${cluster}: its LLM ${why}`);
    });
    if (!read.known) pending.push(`AgentgatewayBackend ${r.name} on cluster ${cluster}, or the Services, Gateways, Namespace and Helm releases of the namespace its LLM provider's host names, which decide whether that host and port reach a Service (and the policies and routes that decide whether its listeners there take what the backend sends)`);
    else for (const why of read.value) report(why, r.urn);
  }
}
