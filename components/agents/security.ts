/**
 * Security at agentgateway (the mesh side is authz.ts):
 * - `agent-gateway`: JWT authentication of external A2A callers (issuer, audiences, JWKS from
 *   `gateways.agents.jwt`), Strict mode. In v1.4.1 a remote JWKS is reached through a backendRef,
 *   so the JWKS URI becomes a static AgentgatewayBackend with TLS.
 * - `mcp-gateway`: HTTP authorization admitting only agent identities, and MCP authorization per
 *   tool: an agent may list and call a tool only if the config's `agents[].tools` names it. MCP
 *   authorization filters `tools/list` and rejects `tools/call` (CRD description), so an agent
 *   never even sees tools it may not use.
 *
 * The rules match `source.identity` (the caller's Istio workload identity, available because
 * mcp-gateway terminates HBONE). Each policy carries ONE CEL expression, a disjunction of
 * clauses, so its meaning does not depend on how a list of expressions combines.
 */
import type * as pulumi from "@pulumi/pulumi";
import { createHash, createPublicKey } from "node:crypto";
import type { AgentSpec, PlatformSpec } from "../../infra/config";
import type { Identity } from "../mesh/authz";
import type { Manifest } from "../k8s/apply";
import { appLabels } from "../k8s/apply";
import { agentGateway, agentVersionIdentity, mcpBackendName, mcpGateway } from "./names";

/** One CEL clause: callers (same namespace) and, for MCP rules, the tool target they may use. */
export interface IdentityClause {
  trustDomain: string;
  namespace: string;
  serviceAccounts: string[];
  toolTarget?: string;
}

const q = (s: string) => JSON.stringify(s);

export function celClause(c: IdentityClause): string {
  const parts = [
    `source.identity.trustDomain == ${q(c.trustDomain)}`,
    `source.identity.namespace == ${q(c.namespace)}`,
    `source.identity.serviceAccount in [${[...c.serviceAccounts].sort().map(q).join(", ")}]`,
    ...(c.toolTarget ? [`mcp.tool.target == ${q(c.toolTarget)}`] : []),
  ];
  return `(${parts.join(" && ")})`;
}

export function celExpression(clauses: IdentityClause[]): string {
  if (clauses.length === 0) throw new Error("an allow expression needs at least one clause");
  return clauses.map(celClause).join(" || ");
}

const clausePattern =
  /\(source\.identity\.trustDomain == "([^"]+)" && source\.identity\.namespace == "([^"]+)" && source\.identity\.serviceAccount in \[([^\]]*)\](?: && mcp\.tool\.target == "([^"]+)")?\)/g;

/** Reads back expressions `celExpression` wrote; anything else is reported, never guessed at. */
export function parseCelExpression(expr: string): IdentityClause[] {
  const clauses = [...expr.matchAll(clausePattern)].map((m) => ({
    trustDomain: m[1],
    namespace: m[2],
    serviceAccounts: m[3].split(",").map((s) => s.trim()).filter(Boolean).map((s) => JSON.parse(s) as string),
    ...(m[4] ? { toolTarget: m[4] } : {}),
  }));
  const rebuilt = clauses.length ? celExpression(clauses) : "";
  if (rebuilt !== expr) throw new Error(`not an expression of the shape celExpression writes: ${expr}`);
  return clauses;
}

function groupByNamespace(ids: Identity[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const id of ids) out.set(id.namespace, [...new Set([...(out.get(id.namespace) ?? []), id.serviceAccount])]);
  return out;
}

/** Agent identities allowed to use each tool, from the config's agent → tools lists. */
export function toolCallers(agents: AgentSpec[]): Map<string, Identity[]> {
  const out = new Map<string, Identity[]>();
  for (const a of agents) {
    for (const t of a.tools) out.set(t, [...(out.get(t) ?? []), ...a.versions.map((v) => agentVersionIdentity(a, v.name))]);
  }
  return out;
}

/**
 * agentgateway v1.4.1 takes a CEL expression of at most 16384 characters (AgentgatewayPolicy
 * `CELExpression`, kubebuilder MaxLength): a longer one is refused by the API server in `pulumi up`.
 */
export const MAX_CEL_EXPRESSION_LENGTH = 16384;

/** The one expression of `mcp-tool-access`: which agent identities may list and call which tool. */
export function mcpToolAccessExpression(trustDomain: string, agents: AgentSpec[]): string {
  const clauses = [...toolCallers(agents)]
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([tool, ids]) => [...groupByNamespace(ids)].map(([namespace, sas]) => ({ trustDomain, namespace, serviceAccounts: sas, toolTarget: tool })));
  return celExpression(clauses);
}

/** The one expression of `mcp-gateway-callers`: every agent identity (that has tools). */
export function mcpCallersExpression(trustDomain: string, agents: AgentSpec[]): string {
  const ids = agents.flatMap((a) => a.versions.map((v) => agentVersionIdentity(a, v.name)));
  return celExpression([...groupByNamespace(ids)].map(([namespace, sas]) => ({ trustDomain, namespace, serviceAccounts: sas })));
}

export function mcpAuthorizationManifest(spec: PlatformSpec, agents: AgentSpec[]): Manifest {
  return {
    apiVersion: "agentgateway.dev/v1alpha1",
    kind: "AgentgatewayPolicy",
    metadata: { name: "mcp-tool-access", namespace: mcpGateway.namespace, labels: appLabels({ name: "mcp-tool-access", instance: "mcp-tool-access", component: "policy" }) },
    spec: {
      targetRefs: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: mcpBackendName }],
      backend: { mcp: { authorization: { action: "Allow", policy: { matchExpressions: [mcpToolAccessExpression(spec.mesh.trustDomain, agents)] } } } },
    },
  };
}

/** Only agents may use mcp-gateway at all (HTTP level, before any MCP method is parsed). */
export function mcpGatewayAccessManifest(spec: PlatformSpec, agents: AgentSpec[]): Manifest {
  return {
    apiVersion: "agentgateway.dev/v1alpha1",
    kind: "AgentgatewayPolicy",
    metadata: { name: "mcp-gateway-callers", namespace: mcpGateway.namespace, labels: appLabels({ name: "mcp-gateway-callers", instance: "mcp-gateway-callers", component: "policy" }) },
    spec: {
      targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: mcpGateway.name }],
      traffic: { authorization: { action: "Allow", policy: { matchExpressions: [mcpCallersExpression(spec.mesh.trustDomain, agents)] } } },
    },
  };
}

/** `https://auth.example.com/.well-known/jwks.json` → the static backend and path agentgateway needs. */
export function jwksSource(jwksUri: string): { host: string; port: number; path: string; tls: boolean } {
  const url = new URL(jwksUri);
  const tls = url.protocol === "https:";
  return { host: url.hostname, port: url.port ? Number(url.port) : tls ? 443 : 80, path: url.pathname.replace(/^\//, "") + url.search, tls };
}

export const jwksBackendName = "agent-gateway-jwks";

/** Stands for the self-signed key's JWKS in pure manifests; the component passes the real one. */
export const selfSignedJwksPlaceholder = '{"keys":[]}';

/**
 * Key id of the self-signed key in its JWKS. agentgateway v1.4.1 looks a token's key up by the
 * `kid` of its header and refuses a token without one (crates/agentgateway/src/http/jwt.rs,
 * `validate_claims`: MissingKeyId / UnknownKeyId), so token signers need it: it is the stack
 * output `agentJwtKeyId`.
 */
export function jwtKeyIdFromPublicKeyPem(pem: string): string {
  return createHash("sha256").update(pem).digest("base64url").slice(0, 16);
}

/** A JWKS (RFC 7517) with the RS256 public key of a PEM, as agentgateway's inline JWKS takes it. */
export function jwksFromPublicKeyPem(pem: string): string {
  const jwk = createPublicKey(pem).export({ format: "jwk" }) as { kty: string; n: string; e: string };
  return JSON.stringify({ keys: [{ kty: jwk.kty, n: jwk.n, e: jwk.e, alg: "RS256", use: "sig", kid: jwtKeyIdFromPublicKeyPem(pem) }] });
}

/**
 * JWT authentication on agent-gateway (none when the stack configures no issuer): keys from the
 * identity provider's JWKS URI, or, with `selfSigned`, the inline JWKS of a key Pulumi made.
 */
export function jwtManifests(spec: PlatformSpec, inlineJwks: pulumi.Input<string> = selfSignedJwksPlaceholder): Manifest[] {
  const jwt = spec.gateways.agents?.jwt;
  if (!jwt) return [];
  const labels = appLabels({ name: agentGateway.name, instance: agentGateway.name, component: "policy" });
  const src = jwt.jwksUri ? jwksSource(jwt.jwksUri) : undefined;
  const jwks = src
    ? { remote: { backendRef: { group: "agentgateway.dev", kind: "AgentgatewayBackend", name: jwksBackendName }, jwksPath: src.path, cacheDuration: "5m" } }
    : { inline: inlineJwks };
  return [
    ...(src
      ? [
          {
            apiVersion: "agentgateway.dev/v1alpha1",
            kind: "AgentgatewayBackend",
            metadata: { name: jwksBackendName, namespace: agentGateway.namespace, labels },
            spec: { static: { host: src.host, port: src.port }, ...(src.tls ? { policies: { tls: { sni: src.host } } } : {}) },
          },
        ]
      : []),
    {
      apiVersion: "agentgateway.dev/v1alpha1",
      kind: "AgentgatewayPolicy",
      metadata: { name: "agent-gateway-jwt", namespace: agentGateway.namespace, labels },
      spec: {
        targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: agentGateway.name }],
        traffic: {
          jwtAuthentication: {
            mode: "Strict",
            providers: [
              { issuer: jwt.issuer, audiences: jwt.audiences, jwks },
            ],
          },
        },
      },
    },
  ];
}

export function securityManifests(spec: PlatformSpec, agents: AgentSpec[], inlineJwks?: pulumi.Input<string>): Manifest[] {
  const withTools = agents.filter((a) => a.tools.length > 0);
  return [...jwtManifests(spec, inlineJwks), ...(withTools.length ? [mcpGatewayAccessManifest(spec, withTools), mcpAuthorizationManifest(spec, withTools)] : [])];
}
