/**
 * The shape of `inference-mesh:platform`: one zod schema for the whole platform.
 *
 * Field-level rules live here; rules that relate fields to each other (unique names, references,
 * weights, canaries, GPU placement, model fit) live in `validate.ts`. Defaults are applied here so
 * that components always receive a complete, typed `PlatformSpec`.
 */
import { z } from "zod";
import { parseCidr } from "./net";
import { imageReferenceProblem } from "./image-ref";
import { mcpPathProblem } from "./mcp-path";
import { defaultVersions } from "./versions";
import { pinnedVersion, versionRules } from "./version-rules";
import { awsRegions, gcpRegions } from "./regions";
import { bytesPerParameter } from "../components/gpu/fit";
import { gpuPinsSchema } from "./gpu-type";
import { kubeconfigPath } from "./kubeconfig-path";
import { decimalAsText, numberOrDecimalText, textOrDigits } from "./cli-values";
import { loraAdapterSchema } from "./schema-lora";

/** Dot-separated RFC 1123 labels of a-z, 0-9 and inner '-' (a DNS subdomain, without its length limits). */
const DNS_SUBDOMAIN = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const dnsSubdomain = new RegExp(`^${DNS_SUBDOMAIN}$`);
export const isDnsSubdomain = (s: string): boolean => dnsSubdomain.test(s);

const dnsLabelMessage = "must be a DNS-1123 label of at most 40 characters: lowercase letters, digits and '-', starting with a letter";
/**
 * DNS-1123 label: what Kubernetes names, Istio cluster names and Helm release names accept. The
 * pattern alone refuses an empty name (one message, not a second "too small").
 */
export const dnsLabel = z.string().max(40, { message: dnsLabelMessage, abort: true }).regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, dnsLabelMessage);

/**
 * Kubernetes stores replica counts and InferenceObjective priorities as 32-bit integers
 * (`*int32`); a larger number is refused by the API server, late, inside `pulumi up`.
 */
export const INT32_MAX = 2_147_483_647;
const int32 = (what: string) => z.number().int().max(INT32_MAX, `must be at most ${INT32_MAX}: ${what} is a 32-bit integer in Kubernetes`);
const replicaCount = (min: number) => int32("a replica count").min(min);

/**
 * Nodes per group: a GCE zonal managed instance group holds at most 1000 VMs, and EKS allows 450
 * nodes per managed node group unless the account's quota is raised.
 */
const MAX_GROUP_SIZE = 1000;
const groupSize = (min: number) =>
  z.number().int().min(min).max(MAX_GROUP_SIZE, `must be at most ${MAX_GROUP_SIZE} (a GCE zonal instance group holds 1000 VMs; EKS allows 450 nodes per managed node group by default)`);

const image = z
  .string()
  .superRefine((ref, ctx) => {
    const problem = imageReferenceProblem(ref);
    if (problem) ctx.addIssue({ code: "custom", message: `'${ref}' is not an image reference: it ${problem}` });
  })
  .refine((s) => /@sha256:[a-f0-9]{64}$/.test(s) || /:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(s.split("/").pop() ?? ""), {
    message: "must pin a tag or a digest (registry/repo:tag or repo@sha256:…)",
  })
  .refine((s) => s.includes("@") || !/:latest$/i.test(s), { message: "must not use the 'latest' tag: pin a version or a digest" });


const cidr = z.string().superRefine((text, ctx) => {
  const parsed = parseCidr(text);
  if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: `'${text}' ${parsed}` });
});
const weight = z.number().int().min(0).max(100);

/** Hours a Go time.Duration (int64 nanoseconds) holds: floor((2^63 - 1) / 3.6e12). */
export const MAX_CERT_VALIDITY_HOURS = 2_562_047;

/** The largest boot disk a node can get: GCE Persistent Disk and Hyperdisk Balanced take 64 TiB (EBS 16 TiB, checked per cloud). */
export const MAX_DISK_GIB = 65_536;

/**
 * Ports Istio's proxies own inside a pod's network namespace (Istio "Ports used by Istio":
 * Envoy admin/outbound/debug/inbound, HBONE 15008/15009, telemetry, health, DNS capture);
 * ztunnel redirects 15001/15006/15008 in every ambient pod, so an app listening there breaks.
 */
export const ISTIO_RESERVED_PORTS = [15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090] as const;
const appPort = (fallback: number) =>
  z
    .number()
    .int()
    .min(1)
    .max(65535)
    .refine((p) => !(ISTIO_RESERVED_PORTS as readonly number[]).includes(p), {
      message: `is reserved by Istio (${ISTIO_RESERVED_PORTS.join(", ")}); pick another port`,
    })
    .default(fallback);

const nodeGroup = z.strictObject({
  /** Node group name, unique within its cluster. */
  name: dnsLabel,
  /** Cloud instance/machine type; GPU types must be in the GPU catalog. */
  instanceType: z.string().min(1),
  /** GPUs per node; checked against the catalog when given. */
  gpuCount: z.number().int().min(0).optional(),
  minSize: groupSize(0),
  desiredSize: groupSize(0),
  maxSize: groupSize(1),
  /** Spot (AWS) / Spot VMs (GCP) instead of on-demand. */
  spot: z.boolean().default(false),
  diskSizeGiB: z.number().int().min(20).max(MAX_DISK_GIB, `must be at most ${MAX_DISK_GIB} (64 TiB, the largest GCE boot disk; EBS volumes take at most 16384)`).default(200),
});

const systemNodeGroup = z.strictObject({
  instanceType: z.string().min(1),
  minSize: groupSize(1).default(2),
  desiredSize: groupSize(1).default(2),
  maxSize: groupSize(1).default(4),
});

const clusterBase = {
  /** Cluster name: also Istio's `clusterName` and the remote-secret name. */
  name: dnsLabel,
  /** Istio network this cluster sits in (`topology.istio.io/network`). */
  network: dnsLabel,
  nodeGroups: z.array(nodeGroup).default([]),
};

const eksCluster = z.strictObject({
  ...clusterBase,
  cloud: z.literal("aws"),
  kind: z.literal("eks", { error: "must be 'eks' when cloud is 'aws'" }),
  region: z.string().refine((r) => awsRegions.includes(r), {
    error: `must be an AWS commercial region: ${awsRegions.join(", ")} (the table is infra/regions.ts; add a region there if yours is newer)`,
  }),
  vpcCidr: cidr.default("10.0.0.0/16"),
  availabilityZones: z.number().int().min(2).max(6).default(3),
  /** Whether the EKS API endpoint is reachable from the internet. */
  endpointPublicAccess: z.boolean().default(false),
  /** CIDRs allowed to reach a public endpoint: EKS takes at most 40 per cluster (a service quota it does not raise). */
  publicAccessCidrs: z.array(cidr).max(40, "lists at most 40 CIDRs: EKS allows 40 public endpoint access CIDR ranges per cluster, a quota it does not raise").default([]),
  systemNodeGroup: systemNodeGroup.default({ instanceType: "m6i.xlarge", minSize: 2, desiredSize: 2, maxSize: 4 }),
  /** NAT gateways for the private subnets: one per AZ (survives an AZ outage) or a single cheaper one. */
  natGateways: z.enum(["OnePerAz", "Single"]).default("OnePerAz"),
});

const k3sCluster = z.strictObject({
  ...clusterBase,
  cloud: z.literal("gcp"),
  kind: z.literal("k3s", { error: "must be 'k3s' when cloud is 'gcp'" }),
  region: z.string().refine((r) => gcpRegions.includes(r), {
    error: `must be a GCP region: ${gcpRegions.join(", ")} (the table is infra/regions.ts; add a region there if yours is newer)`,
  }),
  // The region's number has one or two digits (europe-west10-a, europe-west12-b); checkPlacement
  // then holds the zone to the region's own zones (infra/regions.ts).
  zone: z.string().regex(/^[a-z]+-[a-z]+\d+-[a-z]$/, "must be a GCP zone such as us-central1-a or europe-west10-a: <region>-<letter>"),
  project: z
    .string()
    .regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, "must be a GCP project ID: 6 to 30 lowercase letters, digits or '-', starting with a letter, not ending with '-'"),
  subnetCidr: cidr.default("10.128.0.0/20"),
  /** CIDRs allowed to reach the k3s API on 6443. */
  apiAllowedCidrs: z.array(cidr).min(1),
  serverMachineType: z.string().default("e2-standard-4"),
  /** OS image for the server and agents. */
  image: z.string().default("ubuntu-os-cloud/ubuntu-2204-lts"),
  /** Extra sources allowed to reach HBONE (15008), e.g. the other clouds' NAT egress IPs when the networks are not peered. */
  hbonePeerCidrs: z.array(cidr).default([]),
  /** Sources allowed to reach the public gateway listeners (ServiceLB binds them on the server's external address). */
  gatewayAllowedCidrs: z.array(cidr).min(1).default(["0.0.0.0/0"]),
});

const existingCluster = z.strictObject({
  ...clusterBase,
  cloud: z.literal("existing"),
  kind: z.literal("existing", { error: "must be 'existing' when cloud is 'existing'" }),
  /** Path to the kubeconfig file: absolute, or `~/…` (the home directory, as pulumi-kubernetes expands it). */
  kubeconfig: kubeconfigPath,
  /** Kubeconfig context; the file's current context when omitted. */
  context: textOrDigits(z.string().min(1)).optional(),
  /** Istio platform value (e.g. `k3s`, `k3d`, `minikube`) when the distribution needs one. */
  platform: z.enum(["k3s", "k3d", "minikube", "microk8s", "gke", "openshift"]).optional(),
  region: textOrDigits(z.string()).default("local"),
  /**
   * The API server URL the other clusters' istiod reach this cluster at (their remote secret for
   * it); the kubeconfig's server when omitted. Set it in a multi-cluster mesh when that server is
   * not reachable from the other clusters (a laptop's `https://127.0.0.1:6443`).
   */
  apiServer: z.url({ protocol: /^https$/, error: "must be an https:// URL such as https://k3s.example.internal:6443" }).optional(),
});

export const clusterSchema = z.discriminatedUnion("cloud", [eksCluster, k3sCluster, existingCluster]);

const modelVersion = z.strictObject({
  /** Version name, e.g. `v1`; part of Kubernetes names. */
  name: textOrDigits(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be lowercase letters, digits and '-'").max(12)),
  /** Server image; defaults to the pinned vLLM or simulator image. */
  image: image.optional(),
  /** Share of traffic in percent; the versions of a model sum to 100. */
  weight,
  /** The canary receives `x-canary: true` traffic and its weight share. */
  canary: z.boolean().default(false),
  /** Replicas of this version per placement cluster; defaults to the model's. */
  replicas: replicaCount(0).optional(),
  /**
   * Hugging Face revision of the weights (a branch, tag or commit), when versions differ by
   * revision. vLLM reads an empty `--revision` as none (vllm/engine/arg_utils.py `optional_type`),
   * silently serving the default branch, and argparse takes a value starting with '-' for a flag
   * and exits; a git ref holds no whitespace or control characters (git check-ref-format).
   */
  revision: textOrDigits(
    z
      .string()
      .min(1, "must not be empty: vLLM reads an empty --revision as none and serves the repo's default branch")
      .refine((s) => !s.startsWith("-"), "must not start with '-': vLLM's argument parser would read it as a flag and exit")
      .refine((s) => !/[\s\u0000-\u001f\u007f]/.test(s), "must not contain whitespace or control characters: a Hugging Face revision is a branch, tag or commit, which hold none"),
  ).optional(),
});

const eppConfig = z.strictObject({
  failureMode: z.enum(["FailOpen", "FailClose"]).default("FailOpen"),
  replicas: replicaCount(1).optional(),
  // The picker reads weights as float64 (llm-d-router SchedulingPlugin.Weight); they are relative,
  // so the int32 bound only keeps them sane.
  scorerWeights: z
    .strictObject({
      queue: int32("a scorer weight").min(0).default(2),
      kvCacheUtilization: int32("a scorer weight").min(0).default(2),
      prefixCache: int32("a scorer weight").min(0).default(3),
    })
    .default({ queue: 2, kvCacheUtilization: 2, prefixCache: 3 }),
});

export const modelSchema = z.strictObject({
  name: dnsLabel,
  /** The OpenAI `model` name clients send. */
  servedModelName: z
    .string()
    .min(1)
    // The HTTPRoute matches it as the X-Gateway-Base-Model-Name header value (Gateway API: at most 4096).
    .max(4096, "must be at most 4096 characters: the HTTPRoute matches it as a header value (Gateway API HTTPHeaderMatch)")
    // The body-based router trims the request's `model` and the ConfigMap's baseModel before it sets
    // the header (GIE v1.5.0 bbr adapters_store.go), so a padded name would never match its route.
    .refine((s) => s.trim() === s, "must not start or end with whitespace: the body-based router trims the name it writes into X-Gateway-Base-Model-Name, so the route's exact match on it would never hit")
    // HTTP field values carry no control characters (RFC 9110 5.5), so no request could reach a name holding one.
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "must not contain control characters (line breaks, tabs, …): the body-based router writes it into the X-Gateway-Base-Model-Name header, where HTTP allows none")
    // Both servers take it as a flag value; llm-d-inference-sim ends --served-model-name's values at an argument starting with '--'.
    .refine((s) => !s.startsWith("-"), "must not start with '-': the server would read it as a flag"),
  server: z.enum(["vllm", "simulator"]),
  parametersBillions: numberOrDecimalText(z.number().positive()),
  /**
   * The checkpoint's weight format. 16/32-bit become vLLM's `--dtype`; fp8, int8 and int4 mean a
   * quantized checkpoint (vLLM detects its method from config.json): they size the weights, they
   * do not quantize a 16-bit checkpoint.
   */
  dtype: z.enum(Object.keys(bytesPerParameter) as [keyof typeof bytesPerParameter]).default("bfloat16"),
  maxModelLen: z.number().int().min(256),
  /** KV-cache shape from the checkpoint's config.json; when set, one maxModelLen sequence must fit the KV cache. */
  architecture: z
    .strictObject({
      layers: z.number().int().min(1),
      kvHeads: z.number().int().min(1),
      headDim: z.number().int().min(1),
    })
    .optional(),
  gpusPerReplica: z.number().int().min(1).default(1),
  gpuMemoryUtilization: numberOrDecimalText(z.number().gt(0).max(0.98)).default(0.9),
  replicas: replicaCount(1).default(1),
  /** InferenceObjective priority (int32; negative values allowed, higher is served first). */
  priority: int32("an InferenceObjective priority").min(-INT32_MAX - 1, `must be at least ${-INT32_MAX - 1}: an InferenceObjective priority is a 32-bit integer in Kubernetes`).default(0),
  loraAdapters: z.array(loraAdapterSchema).default([]),
  /** Clusters that serve this model. */
  clusters: z.array(dnsLabel).min(1),
  /**
   * Per cluster of `clusters`, the GPU types (catalog names) the model's vLLM replicas run on
   * there: only that cluster's node groups of these types hold the model (its pods' node
   * affinity), and the GPU capacity check keeps it there rather than choosing a type for it. A
   * cluster left out is the check's to choose for: where the model shares GPU types with another,
   * it gets one chosen from the whole fleet's demand, which a change to any model's demand can
   * move, rolling the fleet (and its weight downloads) onto other nodes.
   */
  gpuTypes: gpuPinsSchema.optional(),
  versions: z.array(modelVersion).min(1).max(4),
  epp: eppConfig.default({ failureMode: "FailOpen", scorerWeights: { queue: 2, kvCacheUtilization: 2, prefixCache: 3 } }),
});

const agentVersion = z.strictObject({
  name: textOrDigits(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be lowercase letters, digits and '-'").max(12)),
  image,
  weight,
  canary: z.boolean().default(false),
  replicas: replicaCount(0).default(1),
});

export const agentSchema = z.strictObject({
  name: dnsLabel,
  /** Model (by `models[].name`) the agent calls through the inference gateway. */
  model: dnsLabel,
  /** MCP tools (by `tools[].name`) this agent may call. */
  tools: z.array(dnsLabel).default([]),
  port: appPort(8080),
  versions: z.array(agentVersion).min(1).max(4),
  clusters: z.array(dnsLabel).min(1, "lists the clusters the agent runs on; omit it to follow its model's clusters").optional(),
});

export const toolSchema = z.strictObject({
  name: dnsLabel,
  image,
  port: appPort(8000),
  path: z
    .string()
    .superRefine((path, ctx) => {
      const problem = mcpPathProblem(path);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .default("/mcp"),
  replicas: replicaCount(1).default(1),
  description: textOrDigits(z.string()).optional(),
});

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

const jwtSchema = z
  .strictObject({
    // agentgateway v1.4.1's AgentgatewayPolicy takes an issuer of at most 256 characters and at
    // most 64 audiences (jwtAuthentication.providers[], CRD maxLength/maxItems).
    issuer: textOrDigits(z.string().min(1).max(256, "must be at most 256 characters (agentgateway's JWT provider issuer)")),
    audiences: z.array(textOrDigits(z.string().min(1))).min(1).max(64, "lists at most 64 audiences (agentgateway's JWT provider takes 64)"),
    jwksUri: z
      .string()
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
  gateways: z.strictObject({
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
  }).default({}),
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
export type ClusterSpec = z.output<typeof clusterSchema>;
export type EksClusterSpec = Extract<ClusterSpec, { cloud: "aws" }>;
export type K3sClusterSpec = Extract<ClusterSpec, { cloud: "gcp" }>;
export type ExistingClusterSpec = Extract<ClusterSpec, { cloud: "existing" }>;
export type NodeGroupSpec = z.output<typeof nodeGroup>;
export type ModelSpec = z.output<typeof modelSchema>;
export type ModelVersionSpec = z.output<typeof modelVersion>;
export type AgentSpec = z.output<typeof agentSchema>;
export type ToolSpec = z.output<typeof toolSchema>;
export type GatewaySpec = z.output<typeof gatewaySchema>;
