/**
 * `npm run bench`'s command line, parsed apart from the measuring: what a user may give (and what
 * `--help` lists) is `--base`, `--factors` and `--pack`; the options the bench gives the fresh
 * process each measurement runs in are taken only after `--child`, its first argument, so a user's
 * `--out DIR` or `--factor 4` is refused naming it rather than ignored while the bench runs.
 */
import { parseCommandLine } from "./cli";
import { fleetSize, MAX_COPIES } from "./fleet";

export const benchUsage = [
  "usage: npm run bench -- [--base STACK] [--factors LIST] [--pack DIR]",
  "  --base STACK    the stack whose fleets are grown, looked for where `npm run render -- --stack` looks (default prod)",
  "  --factors LIST  fleet sizes, positive integers written in digits and separated by commas (default 1,4,16):",
  "                  a square (k×k: 1, 4, 16, …) grows k copies of the clusters and k of the models, any other k",
  `                  grows k copies of the clusters; at most ${MAX_COPIES} copies of either`,
  "  --pack DIR      the policy pack the review runs, a directory with a PulumiPolicy.yaml (default policy/,",
  "                  or $INFERENCE_MESH_POLICY_PACK)",
  "  -h, --help      print this and exit",
].join("\n");

/** The bench measuring `factors` fleets of stack `base`. */
export interface BenchRun {
  mode: "measure";
  base: string;
  factors: number[];
  pack?: string;
}

/** One measured render, in the process the bench started for it (`--child render`). */
export interface BenchChild {
  mode: "child";
  base: string;
  factor: number;
  out: string;
}

/** What the arguments ask for, or the exit code to stop with after the usage or an error is printed. */
export function parseBenchCommand(args: string[]): BenchRun | BenchChild | number {
  if (args[0] === "--child") return parseChildCommand(args);
  const values = parseCommandLine("bench", benchUsage, {
    base: { type: "string", default: "prod" },
    factors: { type: "string", default: "1,4,16" },
    pack: { type: "string" },
  }, args);
  if (typeof values === "number") return values;
  const factors = parseFactors(values.factors!);
  if (typeof factors === "string") {
    console.error(`bench: ${factors}\n${benchUsage}`);
    return 2;
  }
  return { mode: "measure", base: values.base!, factors, pack: values.pack };
}

/**
 * The factors as written, or why they cannot be measured. Digits only: Number() also takes `1e9`
 * and `0x10`, and a factor of 1e9 had the bench build a billion cluster copies before any check
 * (the process ran out of memory instead of answering).
 */
function parseFactors(list: string): number[] | string {
  const written = list.split(",").map((f) => f.trim());
  const factors = written.map(Number);
  if (written.some((f) => !/^[0-9]+$/.test(f)) || factors.some((f) => f < 1)) {
    return `--factors takes positive integers separated by commas (e.g. 1,4,16), got '${list}'`;
  }
  const huge = factors.find((f) => Math.max(fleetSize(f).clusterCopies, fleetSize(f).modelCopies) > MAX_COPIES);
  if (huge === undefined) return factors;
  const size = fleetSize(huge);
  return `--factors ${huge}: a fleet of ${size.clusterCopies} cluster and ${size.modelCopies} model copies; at most ${MAX_COPIES} copies of each can be grown (scripts/lib/fleet.ts moves each copy's networks by its index modulo 256, so a further copy would reuse another's)`;
}

function parseChildCommand(args: string[]): BenchChild | number {
  const childUsage = "usage (the bench's own child processes): bench.ts --child render --base STACK --factor N --out DIR";
  const values = parseCommandLine("bench", childUsage, {
    child: { type: "string" },
    base: { type: "string" },
    factor: { type: "string" },
    out: { type: "string" },
  }, args);
  if (typeof values === "number") return values;
  if (values.child !== "render" || !values.base || !/^[0-9]+$/.test(values.factor ?? "") || !values.out) {
    console.error(`bench: ${args.join(" ")} is no child command\n${childUsage}`);
    return 2;
  }
  return { mode: "child", base: values.base, factor: Number(values.factor), out: values.out };
}
