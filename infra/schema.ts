/**
 * The shape of `inference-mesh:platform`: one zod schema for the whole platform.
 *
 * Field-level rules live here and in the files of its parts (schema-fields.ts for the shared
 * field types, schema-clusters.ts, schema-models.ts with schema-lora.ts, schema-agents.ts,
 * schema-gateways.ts); rules that relate fields to each other (unique names, references,
 * weights, canaries, GPU placement, model fit) live in `validate.ts`. Defaults are applied here so
 * that components always receive a complete, typed `PlatformSpec`.
 */
import { z } from "zod";
import { defaultVersions } from "./versions";
import { pinnedVersion, versionRules } from "./version-rules";
import { decimalAsText, numberOrDecimalText, textOrDigits } from "./cli-values";
import { dnsLabel, dnsSubdomain, image, replicaCount } from "./schema-fields";
import { clusterSchema } from "./schema-clusters";
import { modelSchema } from "./schema-models";
import { agentSchema, toolSchema } from "./schema-agents";
import { gatewaysSchema } from "./schema-gateways";

export { dnsLabel, INT32_MAX, ISTIO_RESERVED_PORTS, isDnsSubdomain } from "./schema-fields";
export { clusterSchema, MAX_DISK_GIB } from "./schema-clusters";
export type { ClusterSpec, EksClusterSpec, ExistingClusterSpec, K3sClusterSpec, NodeGroupSpec } from "./schema-clusters";
export { modelSchema } from "./schema-models";
export type { ModelSpec, ModelVersionSpec } from "./schema-models";
export { agentSchema, toolSchema } from "./schema-agents";
export type { AgentSpec, ToolSpec } from "./schema-agents";
export type { GatewaySpec } from "./schema-gateways";

/** Hours a Go time.Duration (int64 nanoseconds) holds: floor((2^63 - 1) / 3.6e12). */
export const MAX_CERT_VALIDITY_HOURS = 2_562_047;

export const platformSchema = z.strictObject({
  /** Environment label for names and tags; defaults to the stack name. */
  environment: dnsLabel.optional(),
  versions: z.strictObject(
    // A digits-only version (nvidiaDriver 570) arrives as an integer when set with the CLI or unquoted.
    // An unquoted driver version with one dot (570.86) is a YAML float: read as the text it was,
    // so the refusal names the branch to give rather than only asking to quote it.
    Object.fromEntries(Object.keys(defaultVersions).map((k) => [k, (k === "nvidiaDriver" ? decimalAsText : textOrDigits)(k.endsWith("Image") ? image : (versionRules[k] ?? pinnedVersion)).optional()])) as {
      [K in keyof typeof defaultVersions]: z.ZodOptional<ReturnType<typeof textOrDigits<z.ZodString>>>;
    },
  ).default({}),
  mesh: z.strictObject({
    meshId: dnsLabel,
    // Istio 1.30 (ValidateTrustDomain, pkg/config/validation/agent) takes only dot-separated
    // DNS-1123 labels; istiod refuses a mesh config with any other trust domain.
    trustDomain: z
      .string()
      .max(253)
      .regex(dnsSubdomain, {
        message: "must be a DNS-style trust domain such as cluster.local: dot-separated labels of a-z, 0-9 and inner '-' (Istio refuses any other)",
        abort: true,
      })
      .refine((d) => d.split(".").every((label) => label.length <= 63), "has a label over 63 characters; Istio takes DNS-1123 labels (at most 63 between the dots)"),
    ca: z
      .strictObject({
        algorithm: z.enum(["RSA", "ECDSA"]).default("RSA"),
        rsaBits: z.number().int().refine((n) => [2048, 3072, 4096].includes(n), "must be 2048, 3072 or 4096").default(4096),
        ecdsaCurve: z.enum(["P256", "P384"]).default("P256"),
        // The TLS provider sets NotAfter = now + time.Duration(hours) * time.Hour (terraform-provider-tls
        // common_cert.go): a Go Duration is int64 nanoseconds, so beyond 2562047 hours it wraps and
        // the root and intermediates get an arbitrary NotAfter, such as one already past.
        validityHours: z.number().int().min(24).max(MAX_CERT_VALIDITY_HOURS, `must be at most ${MAX_CERT_VALIDITY_HOURS} (about 292 years): the TLS provider adds it to the issue time as Go nanoseconds (int64), which wrap around beyond it to an arbitrary NotAfter, such as one already past`).default(87600),
        /**
         * Pulumi `protect` on the root key and certificate: a change that would replace them (any
         * `mesh.ca` edit) fails instead of re-rooting every cluster at once, which Istio cannot
         * take without a staged rotation. Off for throwaway stacks that `pulumi destroy` often.
         */
        protectRoot: z.boolean().default(true),
      })
      .default({ algorithm: "RSA", rsaBits: 4096, ecdsaCurve: "P256", validityHours: 87600, protectRoot: true }),
    istiodReplicas: replicaCount(1).default(1),
  }),
  clusters: z.array(clusterSchema).min(1),
  models: z.array(modelSchema).default([]),
  agents: z.array(agentSchema).default([]),
  tools: z.array(toolSchema).default([]),
  gateways: gatewaysSchema.default({}),
  policy: z
    .strictObject({
      /** Largest weight a canary may receive, in percent. */
      maxCanaryWeight: z.number().int().min(0).max(100).default(10),
      /** Share of usable GPU memory that must stay free for the KV cache. */
      minKvCacheFraction: numberOrDecimalText(z.number().min(0).max(0.9)).default(0.1),
      /** Whether externally reachable gateway listeners must terminate TLS. */
      requireTls: z.boolean().default(true),
      /** Whether EKS API endpoints may be public. */
      allowPublicApiEndpoints: z.boolean().default(false),
      /** Whether the public agent gateway must authenticate callers (gateways.agents.jwt); off only for a laptop. */
      requireAgentJwt: z.boolean().default(true),
    })
    .default({ maxCanaryWeight: 10, minKvCacheFraction: 0.1, requireTls: true, allowPublicApiEndpoints: false, requireAgentJwt: true }),
});

export type PlatformInput = z.input<typeof platformSchema>;
export type PlatformConfig = z.output<typeof platformSchema>;
