/**
 * Whether the listeners of an Istio Gateway take what an LLM provider's host override sends them,
 * once its host and port reach that Gateway's Service (agw-llm-backends.ts). Facts from
 * agentgateway v1.4.1:
 * - with a host override the proxy sets neither the provider's default TLS nor its default
 *   authority (proxy/httpproxy.rs: the provider's default_connector_policies are skipped when
 *   host_override is set; llm/mod.rs setup_request skips set_default_authority), so the backend
 *   speaks TLS only where backend TLS is configured for it: the AgentgatewayBackend's
 *   `spec.policies.tls`, a priority-group provider's own `policies.tls`
 *   (syncer/backend/backend_plugin.go translateAIBackends), or an AgentgatewayPolicy's
 *   `backend.tls` targeting the backend (its provider by `sectionName`, the single provider's
 *   sub-backend being `backend`: utils.SingularLLMProviderSubBackendName) or a Gateway, listener,
 *   ListenerSet or route on its way. Plain HTTP to an HTTPS listener, or TLS to a plain-HTTP one,
 *   fails every request.
 * - the request's authority is the override host as written (proxy/httpproxy.rs
 *   apply_auto_hostname, on by default: AutoHostname), unless a traffic `hostRewrite`, a URL
 *   rewrite with a hostname (http/filters.rs UrlRewrite::apply removes AutoHostname) or a header
 *   change sets another. A Gateway answers a Host that no listener on the port takes with a 404
 *   (Gateway API v1.5.1 HTTPRoute rules: "When no rules matching a request have been successfully
 *   attached to the parent a request is coming from, a HTTP 404 status code MUST be returned"; a
 *   listener's hostname matched as listener-routes.ts hostnamesOverlap reads it).
 * Only HTTP and HTTPS listeners are judged; a backend TLS policy of a Gateway or route, a selector or
 * an AgentgatewayPolicyPatch is can't judge for TLS, and any policy or route filter that may change
 * the Host leaves the Host unjudged.
 */
import type { PolicyResource } from "@pulumi/policy";
import { isKind, meta } from "./k8s";
import { isRoute } from "./gateways";
import { backendRefTarget } from "./agw-backend-refs";
import { hostnamesOverlap } from "./listener-routes";
import { list } from "./values";

const GROUP = "agentgateway.dev";
/** The sub-backend name agentgateway v1.4.1 gives a backend's single `spec.ai.provider` (utils.SingularLLMProviderSubBackendName). */
export const SINGLE_PROVIDER_SECTION = "backend";

/** One provider's host override as it reaches a Gateway's Service. */
export interface LlmTarget {
  backend: PolicyResource;
  /** The provider's sub-backend name (`backend` for the single provider, else its name). */
  section: string;
  /** The provider's own `policies` (a priority-group provider's), if any. */
  policies: unknown;
  host: string;
  port: number;
  /** The provider as the message names it: `spec.ai.provider host … (Service …)`. */
  at: string;
}

const present = (v: unknown) => v !== undefined && v !== null;
const isAgwPolicy = (r: PolicyResource) => isKind(r.type, GROUP, "AgentgatewayPolicy");
const isAgwPolicyPatch = (r: PolicyResource) => isKind(r.type, GROUP, "AgentgatewayPolicyPatch");

/** Where backend TLS for the target comes from (`yes`, with where), none (`no`), or "unknown" where a policy the review cannot place may give it. */
function backendTls(cluster: PolicyResource[], t: LlmTarget): { tls: "yes"; from: string } | { tls: "no" | "unknown" } {
  const { namespace, name } = meta(t.backend.props);
  if (present(t.backend.props.spec?.policies?.tls)) return { tls: "yes", from: "its spec.policies.tls" };
  if (present((t.policies as { tls?: unknown } | undefined)?.tls)) return { tls: "yes", from: "the provider's policies.tls" };
  let unsure = false;
  for (const r of cluster.filter((x) => isAgwPolicy(x) || isAgwPolicyPatch(x))) {
    if (!present(r.props.spec?.backend?.tls)) continue;
    if (isAgwPolicyPatch(r) || list(r.props.spec?.targetSelectors as unknown[]).length > 0) unsure = true;
    for (const ref of list(r.props.spec?.targetRefs as { group?: string; kind?: string; name?: string; sectionName?: string }[])) {
      if (ref?.kind === "AgentgatewayBackend" && ref.group === GROUP) {
        const mine = meta(r.props).namespace === namespace && ref.name === name && (!present(ref.sectionName) || ref.sectionName === t.section);
        if (mine) return { tls: "yes", from: `AgentgatewayPolicy ${meta(r.props).namespace}/${meta(r.props).name}'s backend.tls` };
      } else if (ref?.kind !== "Service" && ref?.kind !== "InferencePool") unsure = true;
    }
  }
  return { tls: unsure ? "unknown" : "no" };
}

/** Whether a header change of `headers` (a header filter or modifier) may set the Host. */
const touchesHost = (headers: unknown) => present(headers) && /"(host|:authority)"/i.test(JSON.stringify(headers));

/** Whether a route filter may set another Host: a URL rewrite with a hostname, a request header change naming it, an extension filter. */
const filterRewritesHost = (f: Record<string, any>) =>
  (f?.type === "URLRewrite" && present(f.urlRewrite?.hostname)) || (f?.type === "RequestHeaderModifier" && touchesHost(f.requestHeaderModifier)) || f?.type === "ExtensionRef";

/** Whether anything may send the target's requests with a Host other than the override: any AgentgatewayPolicy (or patch) with a hostRewrite, transformation, ext processing or Host header change, the backend's or provider's transformation, or a route filter toward this backend. */
function hostMayBeRewritten(cluster: PolicyResource[], t: LlmTarget): boolean {
  const policies = cluster.filter((x) => isAgwPolicy(x) || isAgwPolicyPatch(x));
  const traffic = policies.some(({ props }) => {
    const tr = props.spec?.traffic;
    return present(tr?.hostRewrite) || present(tr?.transformation) || present(tr?.extProc) || touchesHost(tr?.headerModifiers?.request) || present(props.spec?.backend?.transformation);
  });
  if (traffic || present(t.backend.props.spec?.policies?.transformation) || present((t.policies as { transformation?: unknown } | undefined)?.transformation)) return true;
  const { namespace, name } = meta(t.backend.props);
  return cluster
    .filter((r) => isRoute(r.type))
    .some((route) =>
      list(route.props.spec?.rules as Record<string, any>[]).some((rule) => {
        const refs = list(rule?.backendRefs as Record<string, any>[]).filter((b) => {
          const to = backendRefTarget(route, b);
          return to.group === GROUP && to.kind === "AgentgatewayBackend" && to.namespace === namespace && to.name === name;
        });
        return refs.length > 0 && [...list(rule?.filters as Record<string, any>[]), ...refs.flatMap((b) => list(b.filters as Record<string, any>[]))].some(filterRewritesHost);
      }),
    );
}

/**
 * What is wrong with what the target sends to the listeners of `gateway` (`ns/name`) on its port,
 * or undefined where they take it or it is not judged. Throws the SDK's unknown-value error while a
 * value it reads is not known yet.
 */
export function listenerFault(cluster: PolicyResource[], t: LlmTarget, gateway: string, listeners: Record<string, any>[]): string | undefined {
  const onPort = listeners.filter((l) => l?.port === t.port);
  const protocols = new Set(onPort.map((l) => l?.protocol));
  if (onPort.length === 0 || protocols.size !== 1 || !(protocols.has("HTTP") || protocols.has("HTTPS"))) return undefined;
  const names = onPort.map((l) => String(l.name)).join(", ");
  const at = `${t.at} on port ${t.port}`;
  const tls = backendTls(cluster, t);
  if (protocols.has("HTTPS") && tls.tls === "no")
    return `${at}, where Gateway ${gateway} listens for HTTPS (${names}), with no backend TLS configured for it (no spec.policies.tls, provider policies.tls or AgentgatewayPolicy backend.tls): agentgateway v1.4.1 adds none of the provider's default TLS with a host override, so it speaks plain HTTP to a TLS listener and every request routed to this backend fails; use the Gateway's plain-HTTP listener's port, or configure backend TLS`;
  if (protocols.has("HTTP") && tls.tls === "yes")
    return `${at}, where Gateway ${gateway} listens for plain HTTP (${names}), with backend TLS configured for it (${tls.from}): agentgateway v1.4.1 opens TLS to a listener that does not speak it, so every request routed to this backend fails; use the Gateway's HTTPS listener's port, or drop the backend TLS`;
  if (hostMayBeRewritten(cluster, t)) return undefined;
  const hostnames = onPort.map((l) => l.hostname);
  if (hostnames.some((h) => !present(h) || h === "")) return undefined;
  const sent = t.host.toLowerCase().replace(/\.$/, "");
  if (hostnames.some((h) => hostnamesOverlap(String(h).toLowerCase(), sent))) return undefined;
  const shown = onPort.map((l) => `${String(l.name)}: ${String(l.hostname)}`).join(", ");
  return `${at} is sent as the request's Host, which no listener of Gateway ${gateway} on that port takes (${shown}): agentgateway v1.4.1 sends a provider's host override as written as the authority (proxy/httpproxy.rs apply_auto_hostname; no hostRewrite, URL rewrite or Host header change applies here), so the Gateway answers every request routed to this backend with 404; write the host as the listener names it`;
}
