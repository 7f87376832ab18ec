/**
 * Hugging Face repo ids as vLLM resolves them: what `--model` (a model's `servedModelName`) and a
 * LoRA adapter's `source` may name besides a path in the server container. Pure.
 *
 * vLLM reads an argument that is no local path as a Hub repo id and fetches it through
 * huggingface_hub, whose calls check the id first (huggingface_hub v1.28.0
 * utils/_validators.py validate_repo_id, run by `@validate_hf_hub_args`): an id it refuses makes
 * the server exit at startup with HFValidationError. The Hub itself keeps its legacy root-level
 * models (`gpt2`, `bert-base-uncased`, `t5-small`) under their bare names, redirected to their
 * organisations, so `name` alone is a valid id as well as `namespace/name`.
 */

/** The longest repo name validate_repo_id takes (its regex's `{1,96}`). */
export const HF_REPO_NAME_MAX = 96;

/** One part of an id: letters, digits, '_', '.', '-', starting and ending with a letter, digit or '_' (the regex's word boundaries). */
const PART = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;

/** The id's form, for messages. */
export const HF_REPO_FORM =
  "a Hugging Face repo id, `namespace/name` or a root-level `name` (letters, digits, '_', '.' and '-', each part starting and ending with a letter, digit or '_')";

/** Why vLLM cannot fetch `id` from the Hub (huggingface_hub refuses it), or undefined where it can. */
export function hfRepoIdProblem(id: string): string | undefined {
  const parts = id.split("/");
  if (parts.length > 2) return `has ${parts.length - 1} '/': ${HF_REPO_FORM}, at most one '/'`;
  if (parts.some((p) => !PART.test(p))) return `is not ${HF_REPO_FORM}`;
  const name = parts[parts.length - 1];
  if (name.length > HF_REPO_NAME_MAX) return `has a repo name of ${name.length} characters: Hugging Face repo names are at most ${HF_REPO_NAME_MAX}`;
  if (id.includes("--") || id.includes("..")) return "contains '--' or '..', which Hugging Face repo ids may not";
  if (id.endsWith(".git")) return "ends in '.git', which Hugging Face repo ids may not";
  return undefined;
}
