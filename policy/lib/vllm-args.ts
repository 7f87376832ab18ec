/**
 * A vLLM server's command line as vLLM v0.21.0 reads it: FlexibleArgumentParser.parse_args
 * (vllm/utils/argparse_utils.py) reads a long option's name with `_` as `-` (the part before `=`,
 * up to its first `.`), then Python's argparse takes the options: `--name v` or `--name=v`, the
 * last one given winning, and an option of several values (nargs +) takes the words after it up
 * to the next option, its `=` form one value alone. Read by vllm-gpus.ts, pool-membership.ts and
 * pool-model-names.ts, so every policy judges one server's flags the same way.
 */
import { list } from "./values";

export type VllmContainer = { image?: unknown; command?: unknown; args?: unknown };

/** A container's command and args, its long options' names folded as FlexibleArgumentParser folds them. */
export function vllmArgv(container: VllmContainer): string[] {
  return [...list(container.command as unknown[]), ...list(container.args as unknown[])]
    .map(String)
    .map((a) => (a.startsWith("--") ? a.replace(/^--[^=.]*/, (name) => name.replace(/_/g, "-")) : a));
}

/** Whether a container runs vLLM, by its image or command line (not llm-d's inference simulator). */
export const runsVllm = (container: VllmContainer) => [String(container.image ?? ""), ...vllmArgv(container)].some((s) => /vllm/i.test(s) && !/inference-sim/i.test(s));

/** Whether a container runs vLLM's OpenAI HTTP server (`python3 -m vllm.entrypoints.openai.api_server`, or `vllm serve` without gRPC). */
export function runsVllmHttp(container: VllmContainer): boolean {
  const argv = vllmArgv(container);
  return argv.includes("vllm.entrypoints.openai.api_server") || (argv.some((a, i) => /(^|\/)vllm$/.test(a) && argv[i + 1] === "serve") && !argv.some((a) => /grpc/i.test(a)));
}

/** An option's value: `--name v`, `--name=v`, for any of its spellings; the last one given wins. */
export function vllmOption(argv: string[], names: string[]): string | undefined {
  let value: string | undefined;
  argv.forEach((arg, i) => {
    for (const name of names) {
      if (arg === name && i + 1 < argv.length) value = argv[i + 1];
      else if (arg.startsWith(`${name}=`)) value = arg.slice(name.length + 1);
    }
  });
  return value;
}

/**
 * Whether argparse takes a word for an option, which ends the values before it (argparse
 * _parse_optional): one starting with `-`, but not `-` alone, a negative number (the parser has
 * no option that looks like one), or a word with a space and no `=` (that of `--name=a b` names
 * the option).
 */
const takenForOption = (arg: string) => arg.length > 1 && arg.startsWith("-") && !/^-\d+$|^-\d*\.\d+$/.test(arg) && !(arg.includes(" ") && !/^-[^ =]*=/.test(arg));

/** The values of an option of several (nargs +): those of the last one given; undefined when it is not given. */
export function vllmOptionValues(argv: string[], name: string): string[] | undefined {
  let values: string[] | undefined;
  argv.forEach((arg, i) => {
    if (arg.startsWith(`${name}=`)) values = [arg.slice(name.length + 1)];
    else if (arg === name) {
      values = [];
      for (let j = i + 1; j < argv.length && argv[j] !== "--" && !takenForOption(argv[j]); j++) values.push(argv[j]);
    }
  });
  return values;
}

/**
 * Whether a `--config` YAML file gives options too: vLLM reads its keys as options placed before
 * the command line's (FlexibleArgumentParser._pull_args_from_config), so an option the command
 * line does not give may come from there.
 */
export const readsConfigFile = (argv: string[]) => argv.includes("--config");
