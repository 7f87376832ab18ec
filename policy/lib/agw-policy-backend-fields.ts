/**
 * The backendRef fields agentgateway v1.4.1's controller resolves inside an AgentgatewayPolicy and
 * an AgentgatewayBackend, field by field, and no other: a backendRef anywhere else (a field the CRD
 * does not have, or one the controller never reads) calls nothing and attaches nothing.
 *
 * - An AgentgatewayPolicy (plugins/traffic_plugin.go referencedBackendRefsFromPolicy, what
 *   BackendReferencesFromPolicy attaches by): traffic.extAuth, traffic.extProc and
 *   traffic.rateLimit's global (each the concrete policy, or its conditional entries' policies
 *   where there are any: PolicyOrConditionalSeq, ConditionalPolicy), every
 *   traffic.jwtAuthentication provider's jwks.remote, frontend.tracing, frontend.accessLog.otlp, and
 *   spec.backend as {@link backendPolicyRefs} reads it.
 * - A backend policy (BackendReferencesFromBackendPolicy): tunnel, extAuth, auth.oauthTokenExchange,
 *   auth.crossAppAccess's identityProvider and resourceAuthorizationServer,
 *   mcp.authentication.jwks, mcp.guardrails.processors[].remote, and ai.promptGuard's request and
 *   response guards: a webhook's backendRef, and the tunnel of an openAIModeration (request only),
 *   googleModelArmor or bedrockGuardrails guard's policies.
 * - An AgentgatewayBackend (syncer/backend/backend_plugin.go BuildAgwBackendReferences): its
 *   spec.policies as a backend policy; spec.ai.provider.custom and each spec.ai.groups[].providers[]
 *   custom backendRef, with the provider's policies read without mcp or extAuth (BackendFull built
 *   of BackendSimple, AI, Transformation, Health); each static MCP target's policies as BackendSimple
 *   alone (tunnel, auth).
 */
import { list } from "./values";

/** A backendRef agentgateway resolves, and the field it sits in. */
export interface RefField {
  field: string;
  ref: unknown;
}

/** The concrete policy, or its conditional entries' policies where it has any (PolicyOrConditionalSeq), each with its field path. */
export const conditionalEntries = (field: string, p: any): { field: string; p: any }[] => {
  if (p === null || typeof p !== "object") return [];
  const conditional = list(p.conditional as any[]);
  return conditional.length > 0 ? conditional.map((c, i) => ({ field: `${field}.conditional[${i}].policy`, p: c?.policy })) : [{ field, p }];
};

/** What of a backend policy BackendReferencesFromBackendPolicy finds there: an AgentgatewayBackend's AI provider's policies carry no mcp or extAuth, a static MCP target's only BackendSimple. */
type Parts = { extAuth: boolean; mcp: boolean; ai: boolean };
const FULL: Parts = { extAuth: true, mcp: true, ai: true };

/** The backendRefs of backend policy `s` under `field` (BackendReferencesFromBackendPolicy). */
export function backendPolicyRefs(field: string, s: any, parts: Parts = FULL): RefField[] {
  if (s === null || typeof s !== "object") return [];
  const out: RefField[] = [];
  const add = (path: string, holder: any) => {
    if (holder !== null && typeof holder === "object" && "backendRef" in holder) out.push({ field: `${field}.${path}.backendRef`, ref: holder.backendRef });
  };
  add("tunnel", s.tunnel);
  if (parts.extAuth) add("extAuth", s.extAuth);
  add("auth.oauthTokenExchange", s.auth?.oauthTokenExchange);
  const xaa = s.auth?.crossAppAccess;
  if (xaa) {
    add("auth.crossAppAccess.identityProvider", xaa.identityProvider);
    add("auth.crossAppAccess.resourceAuthorizationServer", xaa.resourceAuthorizationServer);
  }
  if (parts.mcp) {
    if (s.mcp?.authentication) add("mcp.authentication.jwks", s.mcp.authentication.jwks);
    list(s.mcp?.guardrails?.processors as any[]).forEach((p, i) => add(`mcp.guardrails.processors[${i}].remote`, p?.remote));
  }
  if (parts.ai) {
    const guard = s.ai?.promptGuard;
    for (const [phase, tunnelled] of [
      ["request", ["openAIModeration", "googleModelArmor", "bedrockGuardrails"]],
      ["response", ["googleModelArmor", "bedrockGuardrails"]],
    ] as const) {
      list(guard?.[phase] as any[]).forEach((p, i) => {
        add(`ai.promptGuard.${phase}[${i}].webhook`, p?.webhook);
        for (const k of tunnelled) add(`ai.promptGuard.${phase}[${i}].${k}.policies.tunnel`, p?.[k]?.policies?.tunnel);
      });
    }
  }
  return out;
}

/** The backendRefs of an AgentgatewayPolicy's spec agentgateway resolves (referencedBackendRefsFromPolicy). */
export function policyRefFields(spec: any): RefField[] {
  const out: RefField[] = [];
  const traffic = spec?.traffic;
  for (const k of ["extAuth", "extProc"]) for (const { field, p } of conditionalEntries(`traffic.${k}`, traffic?.[k])) if (p?.backendRef) out.push({ field: `${field}.backendRef`, ref: p.backendRef });
  for (const { field, p } of conditionalEntries("traffic.rateLimit", traffic?.rateLimit)) if (p?.global) out.push({ field: `${field}.global.backendRef`, ref: p.global.backendRef });
  list(traffic?.jwtAuthentication?.providers as any[]).forEach((provider, i) => {
    const remote = provider?.jwks?.remote;
    if (remote) out.push({ field: `traffic.jwtAuthentication.providers[${i}].jwks.remote.backendRef`, ref: remote.backendRef });
  });
  const frontend = spec?.frontend;
  if (frontend?.tracing) out.push({ field: "frontend.tracing.backendRef", ref: frontend.tracing.backendRef });
  if (frontend?.accessLog?.otlp) out.push({ field: "frontend.accessLog.otlp.backendRef", ref: frontend.accessLog.otlp.backendRef });
  out.push(...backendPolicyRefs("backend", spec?.backend));
  return out;
}

/** The backendRefs of an AgentgatewayBackend's spec by which it attaches what they name (BuildAgwBackendReferences). */
export function backendRefFields(spec: any): RefField[] {
  const out = backendPolicyRefs("spec.policies", spec?.policies);
  const custom = (field: string, provider: any) => {
    if (provider?.custom?.backendRef) out.push({ field: `${field}.custom.backendRef`, ref: provider.custom.backendRef });
  };
  custom("spec.ai.provider", spec?.ai?.provider);
  list(spec?.ai?.groups as any[]).forEach((group, i) =>
    list(group?.providers as any[]).forEach((provider, j) => {
      const field = `spec.ai.groups[${i}].providers[${j}]`;
      custom(field, provider);
      out.push(...backendPolicyRefs(`${field}.policies`, provider?.policies, { extAuth: false, mcp: false, ai: true }));
    }),
  );
  list(spec?.mcp?.targets as any[]).forEach((t, i) => out.push(...backendPolicyRefs(`spec.mcp.targets[${i}].static.policies`, t?.static?.policies, { extAuth: false, mcp: false, ai: false })));
  return out;
}
