/**
 * `gateways` of the platform config: the inference gateway and the public agent gateway, their
 * hostnames, TLS, JWT authentication and LLM routes. Rules across them (ports on k3s, hostnames
 * of the agents) live in validate-agents.ts and gateway-ports.ts.
 */
import { z } from "zod";
import { textOrDigits } from "./cli-values";
import { DNS_SUBDOMAIN, dnsLabel, dnsSubdomain, int32, ISTIO_RESERVED_PORTS, urlText } from "./schema-fields";

/**
 * The user's own TLS Secret: any Kubernetes Secret name, a DNS-1123 subdomain of at most 253
 * characters (what the API server takes, and Gateway API's certificateRefs name, 1 to 253), such as
 * cert-manager's `inference.example.com-tls`. Nothing is derived from it, so the 40-character
 * label rule of the names the program builds on does not apply.
 */
const secretName = z
  .string()
  .max(253, { message: "is over 253 characters: a Kubernetes Secret name is a DNS subdomain of at most 253", abort: true })
  .regex(dnsSubdomain, "must be a Kubernetes Secret name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (a DNS-1123 subdomain)");

const tlsSchema = z.discriminatedUnion("mode", [
  z.strictObject({ mode: z.literal("selfSigned") }),
  z.strictObject({ mode: z.literal("secret"), secretName }),
  z.strictObject({ mode: z.literal("none") }),
]);

const gatewaySchema = z.strictObject({
  // Gateway API's listener hostname pattern (standard-install.yaml, Listener.hostname): dot-separated
  // DNS labels, an optional leading `*.`. The pattern lets through what the type's rules forbid:
  // an IP address ("IPs are not allowed", HTTPRoute.spec.hostnames, where the agents' hostnames
  // go too) and labels over RFC 1123's 63 characters.
  hostname: z
    .string()
    .max(253)
    .regex(new RegExp(`^(\\*\\.)?${DNS_SUBDOMAIN}$`), {
      message: "must be a lowercase DNS hostname (labels of a-z, 0-9 and inner '-', separated by single dots; optionally starting with '*.')",
      abort: true,
    })
    .refine((h) => !/^\d+\.\d+\.\d+\.\d+$/.test(h), "must be a DNS name, not an IP address (Gateway API listener and route hostnames exclude IPs); use a name that resolves to the gateway")
    .refine((h) => h.split(".").every((label) => label.length <= 63), "has a label over 63 characters; DNS labels (between the dots) are at most 63 (RFC 1123)"),
  tls: tlsSchema.default({ mode: "selfSigned" }),
});

/**
 * A value a token's claim is compared with: RFC 7519 makes `iss` and `aud` case-sensitive
 * StringOrURI values, compared as written, so a blank value, one padded with whitespace (a quoted
 * YAML string keeps it) or one holding a line break or tab matches no token an identity provider issues.
 */
const claimValue = (claim: "iss" | "aud") =>
  z
    .string()
    .min(1)
    .refine((s) => s.trim() !== "", { message: `must not be blank: the token's ${claim} claim is compared with it`, abort: true })
    .refine((s) => s.trim() === s && !/[\u0000-\u001f\u007f]/.test(s), `must not start or end with whitespace nor contain control characters (line breaks, tabs): the token's ${claim} claim is compared with it as written (RFC 7519), so no token would match`);

const jwtSchema = z
  .strictObject({
    // agentgateway v1.4.1's AgentgatewayPolicy takes an issuer of at most 256 characters and at
    // most 64 audiences (jwtAuthentication.providers[], CRD maxLength/maxItems).
    issuer: textOrDigits(claimValue("iss").max(256, "must be at most 256 characters (agentgateway's JWT provider issuer)")),
    audiences: z.array(textOrDigits(claimValue("aud"))).min(1).max(64, "lists at most 64 audiences (agentgateway's JWT provider takes 64)"),
    jwksUri: urlText
      // zod's own message is a bare "Invalid URL", which says nothing of what the field takes.
      .url({ error: "must be an https:// URL of your identity provider's JWKS document, such as https://auth.example.com/.well-known/jwks.json" })
      // agentgateway fetches `<backend>/<jwksPath>` and requires the path (AgentgatewayPolicy jwksPath minLength 1).
      .refine((u) => !/^[a-z]+:\/\/[^/]+\/?$/i.test(u), "must include the JWKS document's path, such as https://auth.example.com/.well-known/jwks.json")
      .optional(),
    /**
     * No identity provider (a laptop): Pulumi makes an RS256 signing key, the policy carries its
     * public JWKS inline, and the stack output `agentJwtSigningKeyPem` (secret) signs test tokens.
     */
    selfSigned: z.boolean().optional(),
  })
  .refine((j) => (j.jwksUri !== undefined) !== (j.selfSigned === true), { message: "set exactly one of jwksUri (your identity provider's JWKS) and selfSigned: true" });


export const gatewaysSchema = z.strictObject({
  /**
   * Only models are served through it (agents call it for their model, the agent gateway's LLM
   * routes forward to it): required once a model is configured (validate-agents.ts).
   */
  inference: gatewaySchema.optional(),
  agents: gatewaySchema
    .extend({
      jwt: jwtSchema.optional(),
      /**
       * Port of the public listener (default 443 with TLS, 80 without). On k3s, ServiceLB binds
       * every LoadBalancer port on the node, so it must differ from the inference gateway's.
       */
      port: z
        .number()
        .int()
        .min(1)
        .max(65535)
        // On k3s, ServiceLB binds it on the nodes, beside the API server, kubelet, etcd and Istio's ports.
        .refine((p) => ![...ISTIO_RESERVED_PORTS, 6443, 9345, 10250, 2379, 2380].includes(p), {
          message: `is taken on the nodes (Istio ${ISTIO_RESERVED_PORTS.join(", ")}; k3s/Kubernetes 6443, 9345, 10250, 2379, 2380); pick another port such as 8443`,
        })
        .optional(),
      /**
       * OpenAI-compatible LLM routes on the agent gateway: `<subdomain>.<hostname>` forwards
       * `/v1/chat/completions` and `/v1/completions` to the cluster's inference gateway, behind
       * the gateway's JWT authentication (for callers outside; agents call the inference gateway directly).
       */
      llm: z
        .strictObject({
          enabled: z.boolean().default(true),
          subdomain: dnsLabel.default("llm"),
          /** Tokens (prompt + completion) per minute each agent-gateway replica lets through; absent: no limit. */
          tokensPerMinute: int32("a token budget").min(1).optional(),
        })
        .default({ enabled: true, subdomain: "llm" }),
    })
    .optional(),
});

export type GatewaySpec = z.output<typeof gatewaySchema>;
