/**
 * GPU types as users write them in `models[].gpuTypes`: catalog names (components/gpu/catalog.ts),
 * what instance pages call the GPUs ("H100", "L40S"), not the product labels GPU feature discovery
 * puts on nodes ("NVIDIA-H100-80GB-HBM3"), which node affinity matches.
 */
import { z } from "zod";
import { gpuModels, GpuModelName } from "../components/gpu/catalog";

const gpuTypeNames = Object.keys(gpuModels) as [GpuModelName, ...GpuModelName[]];
const knownGpuTypes = gpuTypeNames.map((n) => `${n} (${gpuModels[n].product})`).join(", ");

/** One GPU type; a product label or a name in the wrong case is answered with the name it stands for. */
const gpuType = z.enum(gpuTypeNames, {
  error: (issue) => {
    if (typeof issue.input !== "string") return `must be a GPU type's catalog name; known: ${knownGpuTypes}`;
    const input = issue.input;
    const meant = gpuTypeNames.find((n) => n.toLowerCase() === input.toLowerCase() || gpuModels[n].product.toLowerCase() === input.toLowerCase());
    return `unknown GPU type '${input}'${meant ? ` (write '${meant}')` : ""}; known: ${knownGpuTypes}`;
  },
});

/**
 * A key `__proto__`: JSON (how the stack file reaches the program) keeps it as a key of its own,
 * but zod's record skips it, unchecked, so its pin would vanish without a word. No cluster is so
 * named (cluster names are DNS-1123 labels).
 */
const protoKeyRefused = (pins: unknown, ctx: z.RefinementCtx) => {
  if (pins && typeof pins === "object" && Object.prototype.hasOwnProperty.call(pins, "__proto__")) {
    ctx.addIssue({ code: "custom", path: ["__proto__"], input: pins, message: "is a key no cluster is named (cluster names are DNS-1123 labels), and JavaScript objects drop it: the pin would be read by nothing; remove it, or name one of the model's clusters" });
  }
  return pins;
};

/** Cluster name → the GPU types pinned there (the clusters are checked against the model's in validate-gpu-pins.ts). */
export const gpuPinsSchema = z.preprocess(protoKeyRefused, z
  .record(z.string(), z.array(gpuType).min(1, "lists at least one GPU type; leave the cluster out to let the GPU capacity check choose"), {
    // A list (`gpuTypes: [H100]`) is the likely mistake: say pins are per cluster, and how.
    error: (issue) =>
      issue.code === "invalid_type"
        ? `must map clusters of the model to the GPU types it runs on there, such as { aws-use1: [H100] }, not ${Array.isArray(issue.input) ? "a list" : typeof issue.input === "string" ? `'${issue.input}'` : String(issue.input)}`
        : undefined,
  }));
