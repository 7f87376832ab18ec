/**
 * backendRefs inside an AgentgatewayPolicy (a remote service the proxy or its controller calls for
 * the policy, not a route's destination) that name a Service or AgentgatewayBackend the cluster does
 * not have, or an object of another group and kind, where agentgateway v1.4.1's effect breaks
 * traffic or security. It takes only a core Service or an agentgateway.dev AgentgatewayBackend
 * (plugins/reference_indexes.go PolicyBackend, through BuildBackendRef; for a JWKS,
 * remotehttp/connection_resolver.go resolveConnection, the controller's resolvers knowing only
 * AgentgatewayBackends: "unsupported backend kind"), and refuses any other (InvalidKind) the way it
 * fails a missing one: the section is kept without a target (not the policy dropped), the JWT
 * provider dropped, the MCP authentication sent without keys, the AgentgatewayBackend refused. So:
 *
 * - `traffic.extAuth` (or a `conditional[].policy`): the controller keeps the policy with no target
 *   (plugins/traffic_plugin.go buildExtAuthSpec → BuildBackendRef → reference_indexes.go
 *   PolicyBackend, BackendNotFound; Accepted PartiallyValid), and the proxy's call to it fails
 *   (types/agent_xds.rs resolve_simple_reference: Invalid), which http/ext_authz.rs
 *   handle_auth_failure answers by its failureMode: FailClosed (the default) denies every request
 *   it checks with a 403, FailOpen lets every one through never authorized.
 * - `traffic.extProc` and `traffic.rateLimit.global` (or their `conditional[].policy`), built alike
 *   (processExtProcTraffic, processGlobalRateLimitTraffic): FailClosed (the default) fails each request
 *   they check (http/ext_proc.rs, http/remoteratelimit.rs check); FailOpen skips them, which leaves
 *   the traffic flowing unprocessed or unlimited, so it is not reported.
 * - `traffic.jwtAuthentication.providers[].jwks.remote`: the controller fetches the keys itself and
 *   never gets them (jwks/resolver.go ResolveOwner, remotehttp resolveBackendConnection for an
 *   AgentgatewayBackend; a Service's hostname does not resolve), so jwks/lookup.go InlineForOwner
 *   fails and processJWTAuthenticationPolicy drops the provider: the proxy rejects every token of
 *   that issuer with a 401 (http/jwt.rs validate_claims, UnknownKeyId) in mode Strict or Optional
 *   (Permissive lets it through, so it is not reported).
 *
 * - `backend.extAuth` and `backend.tunnel` (translated by plugins/backend_policies.go
 *   translateBackendExtAuth, translateBackendTunnel through the same BuildBackendRef): ext
 *   authorization as above for the requests to the backends the policy targets; a tunnel with no
 *   proxy fails every one of them (proxy/httpproxy.rs build_transport: BackendDoesNotExist).
 * - `backend.mcp.authentication.jwks` (mode Strict or Optional): the JWKS is fetched as above, but
 *   the controller sends the policy all the same with no keys (plugins/backend_policies.go
 *   translateMCPAuthenticationSpec), which the proxy rejects (types/agent_xds.rs
 *   mcp_authentication_from_proto; store/binds.rs insert_xds_policy, a RejectedConfig): the backends
 *   it targets run with no MCP authentication at all.
 * - An AgentgatewayBackend's own `spec.policies.extAuth`, `spec.policies.tunnel`, MCP guardrails or
 *   `spec.policies.mcp.authentication.jwks` (translated by plugins/backend_policies.go
 *   TranslateInlineBackendPolicy as a policy of the backend's namespace; the JWKS fetched as above,
 *   its failure an error of translateMCPAuthenticationSpec in any mode): any error in its inline
 *   policies makes the controller refuse the whole backend (syncer/backend/backend_plugin.go
 *   BuildAgwBackend, TranslateAgwBackend: Accepted False, TranslationError) and send the proxies
 *   none, so every request routed to it fails (proxy/mod.rs resolve_simple_backend_with_policies:
 *   ServiceNotFound), whatever the failureMode or mode.
 *
 * Only a policy attached to something counts: agentgateway v1.4.1 sends a policy to the proxies of
 * the Gateways its targets reach and to none where they reach nothing (plugins/traffic_plugin.go
 * TranslateAgentgatewayPolicy, resolvePolicyAncestorRefs: Attached False, "not found" or "not
 * attached to any Gateway"), so there its missing backend changes nothing (agw-policy-attachment.ts
 * attaches: a backend target only where a Gateway's route, or an attached object's backendRef,
 * reaches it; a traffic section on a backend never, the proxy applying one only where it runs as
 * that Service's waypoint). An AgentgatewayBackend's own policies count only where a Gateway
 * reaches it: a refused backend nothing routes to fails nothing.
 *
 * - `backend.mcp.guardrails.processors[].remote` (plugins/backend_policies.go
 *   translateBackendMCPGuardrails keeps the processor with no target; types/agent_xds.rs
 *   convert_mcp_guardrails resolve_simple_reference: Invalid): the proxy's gRPC call to it fails, which
 *   mcp/guardrails/client.rs on_grpc_error answers by its failureMode: FailClosed (the default) rejects
 *   every MCP call of the methods the processor runs on, FailOpen passes every one unchecked. A
 *   processor whose methods are all Off never runs. On an AgentgatewayBackend's own policies, the
 *   error refuses the backend, as above.
 *
 * - `backend.ai.promptGuard.request[]` or `response[]` `webhook.backendRef`: plugins/ai_policies.go
 *   processRequestGuard (processResponseGuard) fails on processWebhook's BuildBackendRef error, and
 *   translateBackendAI then drops that whole list, every guard in it, keeping the AI policy: the
 *   backends it targets take LLM requests (responses) unguarded, whatever the webhook's failureMode.
 *   On an AgentgatewayBackend's own policies, the error refuses the backend, as above.
 *
 * Tracing and access-log backends (frontend) only lose telemetry; other backend refs (AI prompt
 * guards' tunnels, token exchange, cross-app access, AI providers' custom backends,
 * static MCP targets' policies) are not judged here (agw-policy-backend-fields.ts lists them for
 * the attachment chain). A policy's backendRef into another namespace
 * needs no ReferenceGrant unless the controller runs with AGW_BACKEND_REF_GRANT_MODE
 * route-and-policy (api/settings/settings.go RequirePolicyBackendGrant; read from every agentgateway
 * release's controller.extraEnv, the chart setting it no other way: agw-backend-refs.ts
 * agwPolicyRefAllowed); then one no grant opens is refused as a missing one is (BuildBackendRef,
 * jwks/resolver.go checkBackendRefGrant), with the same effect.
 */
import type { PolicyResource } from "@pulumi/policy";
import type { Graph } from "./call-graph";
import { isKind, meta } from "./k8s";
import { agwGatewaysOfFleet, agwPolicyRefAllowed, backendRefTarget, unrenderedBackend } from "./agw-backend-refs";
import { patchedNote } from "./agw-policy-patches";
import { policyTargets } from "./agw-route-bindings";
import { attachContext, attaches, type AttachContext } from "./agw-policy-attachment";
import { conditionalEntries } from "./agw-policy-backend-fields";
import { list, probe } from "./values";

const GROUP = "agentgateway.dev";

/** A backendRef of a policy, where it sits and what its backend missing does to traffic. */
interface PolicyRef {
  field: string;
  ref: unknown;
  effect: string;
}

const failClosed = (p: any) => p?.failureMode !== "FailOpen";

/** What ext authorization that cannot reach its service does to the requests it checks (http/ext_authz.rs handle_auth_failure). */
const extAuthEffect = (p: any) =>
  failClosed(p)
    ? "the proxy denies every request the policy checks with a 403 (failureMode FailClosed, the default; http/ext_authz.rs handle_auth_failure)"
    : "the proxy lets every request the policy checks through without authorizing it (failureMode FailOpen; http/ext_authz.rs handle_auth_failure), so the external authorization guards nothing";

/** What MCP guardrails that cannot reach their policy server do to the MCP calls they run on (mcp/guardrails/client.rs on_grpc_error). */
const guardrailEffect = (failureMode: unknown, whose: string) =>
  failureMode === "FailOpen"
    ? `the proxy passes every MCP call the processor runs on unchecked ${whose} (failureMode FailOpen; mcp/guardrails/client.rs on_grpc_error), so the guardrails guard nothing`
    : `the proxy rejects every MCP call the processor runs on ${whose} with an internal error (failureMode FailClosed, the default; mcp/guardrails/client.rs on_grpc_error)`;

/** The remote processors of MCP guardrails `mcp.guardrails` under `prefix` (with `running`, only those that run on some method: a phase other than Off), each with `effect` of its failureMode. */
const guardrailRefs = (prefix: string, mcp: any, effect: (failureMode: unknown) => string, running = true): PolicyRef[] =>
  list(mcp?.guardrails?.processors as any[]).flatMap((p, i) =>
    p?.remote && (!running || Object.values(p.methods ?? {}).some((phase) => phase !== "Off")) ? [{ field: `${prefix}.mcp.guardrails.processors[${i}].remote.backendRef`, ref: p.remote.backendRef, effect: effect(p.remote.failureMode) }] : [],
  );

/** The webhook backendRefs of prompt guards `ai.promptGuard` under `prefix`, each with `effect` of its phase. */
const webhookRefs = (prefix: string, ai: any, effect: (phase: "request" | "response") => string): PolicyRef[] =>
  (["request", "response"] as const).flatMap((phase) =>
    list(ai?.promptGuard?.[phase] as any[]).flatMap((g, i) => (g?.webhook ? [{ field: `${prefix}.ai.promptGuard.${phase}[${i}].webhook.backendRef`, ref: g.webhook.backendRef, effect: effect(phase) }] : [])),
  );

/** The backendRefs of an AgentgatewayPolicy's spec whose missing backend breaks traffic or security, as read above. */
function policyRefs(spec: any): PolicyRef[] {
  const out: PolicyRef[] = [];
  const backend = spec?.backend;
  if (backend?.extAuth) out.push({ field: "backend.extAuth.backendRef", ref: backend.extAuth.backendRef, effect: extAuthEffect(backend.extAuth) });
  if (backend?.tunnel) out.push({ field: "backend.tunnel.backendRef", ref: backend.tunnel.backendRef, effect: "the proxy fails every request to the backends the policy targets, having no tunnel proxy to dial (proxy/httpproxy.rs build_transport: BackendDoesNotExist)" });
  const authn = backend?.mcp?.authentication;
  const authnMode = authn?.mode ?? "Strict";
  if (authn?.jwks && authnMode !== "Permissive") {
    const effect = `the controller never fetches the keys and sends the MCP authentication with none (plugins/backend_policies.go translateMCPAuthenticationSpec), so the proxy rejects the MCP authentication policy (types/agent_xds.rs mcp_authentication_from_proto: jwks_inline required; store/binds.rs insert_xds_policy) and the backends it targets take MCP requests without a valid token (mode ${authnMode})`;
    out.push({ field: "backend.mcp.authentication.jwks.backendRef", ref: authn.jwks.backendRef, effect });
  }
  out.push(...guardrailRefs("backend", backend?.mcp, (mode) => guardrailEffect(mode, "for the backends the policy targets")));
  out.push(...webhookRefs("backend", backend?.ai, (phase) => `the controller drops the policy's whole ${phase} prompt guard list, every guard in it and not only this webhook, whatever its failureMode (plugins/backend_policies.go translateBackendAI: plugins/ai_policies.go process${phase === "request" ? "Request" : "Response"}Guard fails on processWebhook), so the backends the policy targets take LLM ${phase}s unguarded`));
  const traffic = spec?.traffic;
  if (!traffic) return out;
  for (const { field, p } of conditionalEntries("traffic.extAuth", traffic.extAuth)) out.push({ field: `${field}.backendRef`, ref: p?.backendRef, effect: extAuthEffect(p) });
  for (const { field, p } of conditionalEntries("traffic.extProc", traffic.extProc)) {
    if (failClosed(p)) out.push({ field: `${field}.backendRef`, ref: p?.backendRef, effect: "the proxy fails every request the policy processes (failureMode FailClosed, the default; http/ext_proc.rs)" });
  }
  const rateLimit = traffic.rateLimit;
  const globals = conditionalEntries("traffic.rateLimit", rateLimit).filter((x) => x.p?.global).map((x) => ({ field: `${x.field}.global`, p: x.p.global }));
  for (const { field, p } of globals) {
    if (failClosed(p)) out.push({ field: `${field}.backendRef`, ref: p?.backendRef, effect: "the proxy rejects every request the limit checks (failureMode FailClosed, the default; http/remoteratelimit.rs check)" });
  }
  const jwt = traffic.jwtAuthentication;
  const mode = jwt?.mode ?? "Strict";
  if (jwt && mode !== "Permissive") {
    list(jwt.providers as any[]).forEach((provider, i) => {
      const remote = provider?.jwks?.remote;
      if (!remote) return;
      const effect = `the controller never fetches the keys (jwks/lookup.go InlineForOwner: keyset not available) and drops the provider (plugins/traffic_plugin.go processJWTAuthenticationPolicy), so the proxy rejects every token of issuer ${JSON.stringify(provider.issuer)} with a 401 (http/jwt.rs validate_claims, UnknownKeyId; mode ${mode})`;
      out.push({ field: `traffic.jwtAuthentication.providers[${i}].jwks.remote.backendRef`, ref: remote.backendRef, effect });
    });
  }
  return out;
}

/** The backendRefs of an AgentgatewayBackend's own policies whose missing backend makes the controller refuse the backend, as read above. */
function backendRefs(spec: any): PolicyRef[] {
  const effect =
    "the controller refuses the whole AgentgatewayBackend (syncer/backend/backend_plugin.go TranslateAgwBackend: Accepted False, TranslationError, whatever the failureMode) and sends the proxies none, so every request routed to it fails (proxy/mod.rs resolve_simple_backend_with_policies: ServiceNotFound)";
  const out = ["extAuth", "tunnel"].filter((k) => spec?.policies?.[k]).map((k) => ({ field: `spec.policies.${k}.backendRef`, ref: spec.policies[k].backendRef, effect }));
  // Its MCP authentication's keys are never fetched, so the inline policy fails to translate, whatever its mode.
  const jwks = spec?.policies?.mcp?.authentication?.jwks;
  // Its guardrails' missing server is a translation error too, whether or not the processor runs on any method.
  out.push(...guardrailRefs("spec.policies", spec?.policies?.mcp, () => effect, false));
  out.push(...webhookRefs("spec.policies", spec?.policies?.ai, () => effect));
  if (jwks) out.push({ field: "spec.policies.mcp.authentication.jwks.backendRef", ref: jwks.backendRef, effect: `the controller never fetches the keys (plugins/backend_policies.go translateMCPAuthenticationSpec: resolveJWKSInlineForOwner fails, whatever the mode), so ${effect.replace("the controller ", "it ")}` });
  return out;
}

/**
 * AgentgatewayPolicies and AgentgatewayBackends of the namespaces of the agent and MCP gateways
 * (agentgateway Gateways of the agents or tools namespace; a policy binds objects of its own
 * namespace only) whose backendRef, as
 * agentgateway v1.4.1 reads it (backendRefTarget), names a Service or AgentgatewayBackend the
 * cluster surely does not have (unrenderedBackend), or an object of a kind it refuses (InvalidKind),
 * where that breaks traffic or security (above);
 * a policy only where it attaches to something, and an AgentgatewayBackend only where a Gateway
 * reaches it (agw-policy-attachment.ts attaches: where none does, nothing is routed there to fail).
 */
export function reportUnresolvedPolicyBackends(g: Graph, cluster: string, report: (message: string, urn?: string) => void, pending: string[]): void {
  const namespaces = new Set(agwGatewaysOfFleet(g).map((p) => p.namespace));
  if (namespaces.size === 0) return;
  const isPolicy = (type: string) => isKind(type, GROUP, "AgentgatewayPolicy");
  let on: AttachContext | undefined;
  for (const r of g.resources.filter((x: PolicyResource) => isPolicy(x.type) || isKind(x.type, GROUP, "AgentgatewayBackend"))) {
    const kind = isPolicy(r.type) ? "AgentgatewayPolicy" : "AgentgatewayBackend";
    const read = probe(() => {
      const { namespace, name } = meta(r.props);
      if (!namespaces.has(namespace)) return [];
      const found: { message: string; traffic: boolean }[] = [];
      for (const { field, ref, effect } of kind === "AgentgatewayPolicy" ? policyRefs(r.props.spec) : backendRefs(r.props.spec)) {
        if (ref === null || typeof ref !== "object") continue;
        const to = backendRefTarget(r, ref);
        const traffic = field.startsWith("traffic.");
        // Checked first (BuildBackendRef): into another namespace, where the controller requires a grant for it, one opening it.
        if (!agwPolicyRefAllowed(r, ref, g.resources)) {
          found.push({
            traffic,
            message: `${kind} ${namespace}/${name}${patchedNote(r)} on cluster ${cluster}: its ${field} names ${to.kind} ${to.namespace}/${to.name} in another namespace, and the cluster's agentgateway controller runs with AGW_BACKEND_REF_GRANT_MODE route-and-policy (controller.extraEnv), which requires a ReferenceGrant for a policy's backendRef there (api/settings/settings.go RequirePolicyBackendGrant; plugins/traffic_plugin.go checkBackendRefGrant: "missing a ReferenceGrant?"), and no ReferenceGrant in ${to.namespace} opens it to ${kind}s of ${namespace}, so agentgateway v1.4.1 refuses the reference: ${effect}; add the ReferenceGrant in ${to.namespace}, or call a backend of the ${kind}'s own namespace`,
          });
          continue;
        }
        // The kinds a policy's backendRef takes; any other is refused (InvalidKind) with the same effect as a missing one, wherever it points.
        if (!((to.group === "" && to.kind === "Service") || (to.group === GROUP && to.kind === "AgentgatewayBackend"))) {
          found.push({
            traffic,
            message: `${kind} ${namespace}/${name}${patchedNote(r)} on cluster ${cluster}: its ${field} names ${to.kind} ${to.namespace}/${to.name} (group ${JSON.stringify(to.group)}), of a group and kind agentgateway v1.4.1 does not take for a policy's backendRef (a core Service or an agentgateway.dev AgentgatewayBackend, an unset group read as the core group: plugins/reference_indexes.go PolicyBackend, remotehttp/connection_resolver.go for a JWKS), so it refuses the reference (InvalidKind): ${effect}; set the group and kind of the object meant`,
          });
          continue;
        }
        const missing = unrenderedBackend(g.resources, to);
        if (!missing) continue;
        const an = to.kind === "Service" ? "a" : "an";
        found.push({
          traffic,
          message: `${kind} ${namespace}/${name}${patchedNote(r)} on cluster ${cluster}: its ${field} names ${an} ${to.kind} ${to.namespace}/${to.name} the cluster does not have (${missing}), so agentgateway v1.4.1 cannot reach it (BackendNotFound): ${effect}; render the ${to.kind}, or correct the name (${an} ${to.kind} made outside the stack, by hand or another tool, would resolve it, which this review cannot see)`,
        });
      }
      return found;
    });
    if (!read.known) {
      pending.push(`${kind} ${r.name} on cluster ${cluster}, its backendRefs and the Namespace, Services, AgentgatewayBackends, Gateways and Helm releases they name, which decide whether agentgateway reaches the services the policy calls`);
      continue;
    }
    if (read.value.length === 0) continue;
    const { namespace, name } = meta(r.props);
    // An AgentgatewayBackend's own policies are its own: they reach where it does. A traffic section on a backend-like target never reaches a Gateway's callers.
    const t = kind === "AgentgatewayBackend" ? { refs: [{ group: GROUP, kind, name }], selectors: [] } : policyTargets(r.props.spec?.targetRefs, r.props.spec?.targetSelectors);
    for (const traffic of [false, true]) {
      const messages = read.value.filter((x) => x.traffic === traffic).map((x) => x.message);
      if (messages.length === 0) continue;
      const attached = probe(() => attaches((on ??= attachContext(g)), t, namespace, !traffic));
      const attach = attached.known ? attached.value : "unknown";
      if (attach === "unknown") pending.push(`${kind} ${namespace}/${name} on cluster ${cluster}, what it targets (a selected object's labels, a route's parents or backendRefs, a Gateway's class, an object made outside the stack), which decides whether the policy attaches to anything and its backendRefs matter`);
      else if (attach) for (const message of messages) report(message, r.urn);
    }
  }
}
