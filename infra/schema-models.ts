/**
 * `models[]` of the platform config: what is served, on which clusters, in which versions, and
 * the endpoint picker's settings. Rules across models (weights, canaries, GPU fit) live in the
 * validate*.ts files.
 */
import { z } from "zod";
import { bytesPerParameter } from "../components/gpu/fit";
import { gpuPinsSchema } from "./gpu-type";
import { numberOrDecimalText, textOrDigits } from "./cli-values";
import { loraAdapterSchema } from "./schema-lora";
import { dnsLabel, image, INT32_MAX, int32, replicaCount, weight } from "./schema-fields";

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
    .refine((s) => !s.startsWith("-"), "must not start with '-': the server would read it as a flag")
    .meta({ examples: ["Qwen/Qwen3-32B"] }),
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

export type ModelSpec = z.output<typeof modelSchema>;
export type ModelVersionSpec = z.output<typeof modelVersion>;
