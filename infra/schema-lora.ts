/**
 * The LoRA adapters a vLLM model serves (`models[].loraAdapters[]`), and the `--max-lora-rank`
 * they need. Apart from schema-models.ts, which holds the rest of a model, to keep it readable.
 */
import { z } from "zod";
import { textOrDigits } from "./cli-values";
import { hfRepoIdProblem } from "./hf-repo";

/**
 * A LoRA adapter vLLM can load: a Hugging Face repo (`org/name`, a root-level `name`, or its https://huggingface.co URL)
 * or an absolute path inside the server container. vLLM reads each `--lora-modules` item as
 * `name=path` only when it has an '=' and no ',' (vllm/entrypoints/openai/cli_args.py
 * LoRAParserAction splits on every '='), else as JSON: a path with either character makes vLLM
 * exit before it serves.
 */
const loraSourceSchema = z
  .string()
  .superRefine((s, ctx) => {
    if (/^\/[^\s]*$/.test(s)) return;
    // The Hub form vLLM fetches (infra/hf-repo.ts), given bare or as its https://huggingface.co URL.
    const problem = hfRepoIdProblem(s.replace(/^https:\/\/huggingface\.co\//, "").replace(/\/$/, ""));
    if (problem) ctx.addIssue({ code: "custom", message: `must be a Hugging Face repo (org/name, a root-level name, or https://huggingface.co/org/name) or an absolute path in the server container; as a repo id it ${problem}` });
  })
  .refine((s) => !(s.startsWith("/") && /[,=]/.test(s)), "must not contain ',' or '=': vLLM parses --lora-modules name=path by splitting on '=' and reads an item with ',' as JSON, so it would exit at startup")
  .refine((s) => !/^\/+$/.test(s), "must name the adapter's directory, not '/'");

/**
 * The values vLLM's `--max-lora-rank` takes (vllm/config/lora.py `MaxLoRARanks`, unchanged from
 * before v0.21 to v0.26), and its default. vLLM sizes its LoRA slots by that rank and refuses an
 * adapter of a higher one when it loads it ("LoRA rank 32 is greater than max_lora_rank 16"):
 * for a `--lora-modules` adapter that is at startup, so the server exits.
 */
export const VLLM_MAX_LORA_RANKS = [1, 8, 16, 32, 64, 128, 256, 320, 512] as const;
export const VLLM_DEFAULT_MAX_LORA_RANK = 16;
const MAX_RANK = VLLM_MAX_LORA_RANKS[VLLM_MAX_LORA_RANKS.length - 1];

export const loraAdapterSchema = z.strictObject({
  /** The `model` name clients send to reach the adapter (vLLM `--lora-modules name=source`). */
  name: textOrDigits(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/, "must be letters, digits, '.', '_', '/' or '-' (it becomes a model name in requests)")),
  source: loraSourceSchema,
  /**
   * The adapter's rank (`r` in its adapter_config.json). Unset, the adapter must fit vLLM's
   * default `--max-lora-rank` of 16; set, the model's vLLM gets the smallest rank it takes that
   * holds every adapter.
   */
  rank: z
    .number()
    .int()
    .min(1, "must be at least 1: the adapter's rank, `r` in its adapter_config.json")
    .max(MAX_RANK, `must be at most ${MAX_RANK}: vLLM's --max-lora-rank takes ${VLLM_MAX_LORA_RANKS.join(", ")}, and refuses an adapter of a higher rank at startup`)
    .optional(),
});

export type LoraAdapter = z.infer<typeof loraAdapterSchema>;

/**
 * The `--max-lora-rank` a model's adapters need, or undefined to leave vLLM's default: no adapter
 * states its rank. An adapter without one counts as the default's 16 (what it was served with so
 * far), so stating a small rank for one adapter never shrinks the slots another one needs.
 */
export function maxLoraRank(adapters: readonly Pick<LoraAdapter, "rank">[]): number | undefined {
  if (!adapters.some((a) => a.rank !== undefined)) return undefined;
  const needed = Math.max(...adapters.map((a) => a.rank ?? VLLM_DEFAULT_MAX_LORA_RANK));
  return VLLM_MAX_LORA_RANKS.find((r) => r >= needed);
}
