/**
 * How many GPUs a vLLM server needs in its pod: tensor × pipeline parallel ranks, times the data
 * parallel ranks it runs locally (vLLM engine args `--tensor-parallel-size`/`-tp`,
 * `--pipeline-parallel-size`/`-pp`, `--data-parallel-size`/`-dp` or `--data-parallel-size-local`).
 * With fewer GPUs visible than that, vLLM turns to Ray for the missing ones (docs: "Multiprocessing
 * will be used by default ... if there are sufficient GPUs available on the same node") and never
 * starts in a pod that holds only its own. A server given its data parallel rank
 * (`--data-parallel-rank`/`-dpn`, or `--data-parallel-external-lb`/`-dpe`) is one rank of an
 * externally balanced group, each rank its own pod (docs: "External Load Balancing"), and vLLM
 * (engine/arg_utils.py) then takes its local data parallel size as 1. A server spread over pods
 * with `--nnodes` above 1 holds only its share of the ranks in each (arg_utils.py: world size /
 * nnodes), which is not judged. Read by gpu-scheduling.
 */
import { runsVllm, vllmArgv, vllmOption, type VllmContainer } from "./vllm-args";

/** Whether a BooleanOptionalAction flag is on: its last `--name`, short form or `--no-name` wins. */
function flagOn(argv: string[], name: string, short: string): boolean {
  const last = argv.filter((a) => a === `--${name}` || a === short || a === `--no-${name}`).pop();
  return last !== undefined && last !== `--no-${name}`;
}

/** A vLLM container's argv as vLLM reads it (vllm-args.ts); undefined for any other container. */
const serverArgv = (container: VllmContainer) => (runsVllm(container) ? vllmArgv(container) : undefined);

/**
 * A vLLM container's `--gpu-memory-utilization` when vLLM refuses it: CacheConfig
 * (vllm/config/cache.py, v0.21.0) declares gpu_memory_utilization a pydantic Field(gt=0, le=1),
 * validated when the engine config is built at startup. Undefined for a value in (0, 1], one not
 * written as a number, or any other container.
 */
export function vllmRefusedMemoryUtilization(container: VllmContainer): string | undefined {
  const argv = serverArgv(container);
  const value = argv && vllmOption(argv, ["--gpu-memory-utilization"]);
  if (value === undefined || !/^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/.test(value.trim())) return undefined;
  const n = Number(value);
  return n > 0 && n <= 1 ? undefined : value;
}

/** The GPUs a container running vLLM needs and the flags that say so; undefined for any other container, or a size not written as a number. */
export function vllmGpusNeeded(container: VllmContainer): { gpus: number; flags: string } | undefined {
  const argv = serverArgv(container);
  if (!argv) return undefined;
  const nodes = vllmOption(argv, ["--nnodes", "-n"]);
  if (nodes !== undefined && nodes !== "1") return undefined;
  const external = vllmOption(argv, ["--data-parallel-rank", "-dpn"]) !== undefined || flagOn(argv, "data-parallel-external-lb", "-dpe");
  const sizes = [
    ["tensor-parallel", vllmOption(argv, ["--tensor-parallel-size", "-tp"])],
    ["pipeline-parallel", vllmOption(argv, ["--pipeline-parallel-size", "-pp"])],
    ["local data-parallel", vllmOption(argv, ["--data-parallel-size-local"]) ?? (external ? "1" : vllmOption(argv, ["--data-parallel-size", "-dp"]))],
  ] as const;
  if (sizes.some(([, v]) => v !== undefined && !/^[1-9][0-9]*$/.test(v))) return undefined;
  const set = sizes.filter(([, v]) => v !== undefined);
  return { gpus: set.reduce((n, [, v]) => n * Number(v), 1), flags: set.map(([what, v]) => `${what} size ${v}`).join(" × ") };
}
