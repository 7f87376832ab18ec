/**
 * Which Service an AgentgatewayBackend's static host stands for, as agentgateway v1.4.1 dials it: a
 * Service name (`svc`, `svc.ns`, `svc.ns.svc…`), a static MCP target's `backendRef` Service, or an IP
 * literal that is a Service's ClusterIP. Read by mcp-targets.ts (the MCP targets, the plain routes
 * to tools) and agw-tcp-routes.ts (the stream routes' backends).
 */
import type { PolicyResource } from "@pulumi/policy";
import { isIP } from "net";
import { isKind, meta, unknownValueError } from "./k8s";
import { list, probe } from "./values";

/**
 * An IP literal as agentgateway v1.4.1 reads a static host (types/agent.rs `From<(&str, u16)> for
 * Target`: Rust's IpAddr parse, else a hostname, so no zone index or brackets), canonical (IPv6
 * compressed, lower case); undefined for a name.
 */
function ipLiteral(host: string): string | undefined {
  if (host.includes("%") || isIP(host) === 0) return undefined;
  return isIP(host) === 4 ? host : new URL(`http://[${host}]`).hostname.slice(1, -1);
}

/** Addresses no pod or Service of a cluster takes: unspecified, loopback (the proxy's own pod), link-local, multicast, broadcast. */
const NOT_IN_CLUSTER = [/^0\./, /^127\./, /^169\.254\./, /^2(2[4-9]|3\d)\./, /^255\.255\.255\.255$/, /^::1?$/, /^fe[89ab][0-9a-f]?:/, /^ff/];

/**
 * The Service (`namespace/name`) whose ClusterIP (`spec.clusterIP`, `spec.clusterIPs`: what a live
 * export shows, or what the program pins) is `ip`: agentgateway dials an IP host as it dials the
 * address a Service name resolves to, and the cluster sends it to that Service's pods. Undefined
 * for an address no pod or Service takes; throws the SDK's unknown-value error for any other
 * address no Service shows, which may be a pod's or a Service's this run does not see (pod and
 * Service ranges are the cluster's, not the stack's).
 */
function clusterIpService(resources: PolicyResource[], ip: string, backend: string): string | undefined {
  for (const svc of resources.filter((x) => isKind(x.type, "core", "Service"))) {
    const named = probe(() => {
      const spec = svc.props.spec ?? {};
      const ips = [spec.clusterIP, ...list(spec.clusterIPs as unknown[])].filter((x): x is string => typeof x === "string").map(ipLiteral);
      return ips.includes(ip) ? `${meta(svc.props).namespace}/${meta(svc.props).name}` : undefined;
    });
    if (named.known && named.value) return named.value;
  }
  if (NOT_IN_CLUSTER.some((re) => re.test(ip))) return undefined;
  throw unknownValueError([`<whether ${ip}, the host of ${backend}, is a pod's or a Service's: it is no ClusterIP this run shows>`]);
}

/**
 * The Service (`namespace/name`) a static target's host names, if it is a Service name (or, with
 * `resources`, a Service's ClusterIP: clusterIpService).
 */
export function staticService(target: Record<string, any>, namespace: string, resources?: { all: PolicyResource[]; backend: string }): string | undefined {
  if (typeof target.backendRef?.name === "string") return `${namespace}/${target.backendRef.name}`;
  const host = typeof target.host === "string" ? target.host.replace(/\.$/, "") : "";
  const ip = ipLiteral(host);
  if (ip) return resources ? clusterIpService(resources.all, ip, resources.backend) : undefined;
  const [svc, ns, ...rest] = host.split(".");
  if (!svc || (rest.length > 0 && rest[0] !== "svc")) return undefined;
  return `${ns ?? namespace}/${svc}`;
}

/**
 * The AgentgatewayBackend `namespace/name` of the stack and the Service (`namespace/name`) its
 * `static` or `a2a` host names, which agentgateway v1.4.1 dials as a plain host (controller
 * syncer/backend/backend_plugin.go BuildAgwBackend: both a static backend), with what names it
 * (`static host …`); undefined for one the stack lacks, another kind of backend or a host that is no
 * Service name or ClusterIP. An IP host no Service shows is unknown (clusterIpService).
 */
export function hostBackendService(resources: PolicyResource[], namespace: string, name: unknown): { service: string; shown: string } | undefined {
  const be = resources.find((x) => isKind(x.type, "agentgateway.dev", "AgentgatewayBackend") && meta(x.props).namespace === namespace && meta(x.props).name === name);
  const field = be?.props.spec?.static ? "static" : be?.props.spec?.a2a ? "a2a" : undefined;
  const service = field ? staticService(be!.props.spec[field], namespace, { all: resources, backend: `AgentgatewayBackend ${namespace}/${String(name)}` }) : undefined;
  return field && service ? { service, shown: `${field} host ${be!.props.spec[field].host}` } : undefined;
}
