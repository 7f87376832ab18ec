/**
 * `npm run bench [-- --base prod --factors 1,4,16 --pack DIR]`
 *
 * Renders and reviews generated fleets at 1×, 4× and 16× a stack (clusters × models; see
 * scripts/lib/fleet.ts) and compares each with the mock engine's floor: the same number of bare
 * resources registered in one process under `setMocks`. Every measurement runs in a fresh child
 * process (node start included, on both sides), after an untimed render of the same fleet that
 * fills the mock engine's key and certificate caches. The render's review runs the policy pack in a
 * process of its own, side by side with the render: CPU seconds count both processes, and memory
 * is the largest sum of their resident memory at one time (sampled from /proc every 20 ms; the
 * floor is one process). Targets, printed as pass/fail: at most 1.5× the floor in CPU time and
 * memory, and CPU time per resource at the largest fleet no worse than at the smallest (linear).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fleetSize } from "./lib/fleet";
import { childPids, statusKb } from "./lib/proc";
import { fromCaller } from "./lib/cli";
import { benchUsage, parseBenchCommand } from "./lib/bench-args";
import { knownStacksText, loadProject, Project, repoRoot, stackFile } from "./lib/stack-config";

interface Measurement {
  resources: number;
  /** Wall-clock seconds of the process. */
  seconds: number;
  /** CPU seconds (user + system) of the process and the children it waited for (the pack). */
  cpuSeconds: number;
  /** Peak resident memory of the process and its children (the pack) together. */
  peakRssMb: number;
  /** The policy pack process's share, when the platform reports it. */
  pack?: { cpuSeconds: number; peakRssMb: number };
  mandatory?: number;
  policy?: string;
}

const RATIO_TARGET = 1.5;
const LINEAR_TOLERANCE = 1.1;

/** Child: render + review one fleet; prints one JSON line. */
async function childRender(base: string, factor: number, outDir: string): Promise<void> {
  const { renderStack } = await import("./lib/render");
  const { loadStackConfig } = await import("./lib/stack-config");
  const { CONFIG_ROOT } = await import("../infra/config");
  const { growFleet } = await import("./lib/fleet");
  const project = loadProject();
  const platform = JSON.parse(loadStackConfig(base, undefined, project).config[CONFIG_ROOT]);
  const result = await renderStack({ stack: base, project, outDir: path.join(outDir, `x${factor}`), platformOverride: growFleet(platform, fleetSize(factor)) });
  const report = result.review.report as { summary?: { mandatory: number }; status?: string };
  console.log(
    JSON.stringify({
      resources: result.export.deployment.resources.length,
      mandatory: report.summary?.mandatory,
      policy: report.summary ? "reviewed" : report.status,
      pack: result.packUsage,
    }),
  );
}

/** Resident memory (KiB) of a process's descendants right now, from /proc. */
function descendantsRssKb(pid: number): number {
  return childPids(pid).reduce((kb, child) => kb + (statusKb(child, "VmRSS") ?? 0) + descendantsRssKb(child), 0);
}

/**
 * Runs `script` under GNU time in a fresh node process. CPU: user + system of the process and
 * the children it waited for. Memory: the largest sum of resident memory over the process tree
 * (sampled every 20 ms), or GNU time's largest single process if that is more.
 */
async function measure(script: string, args: string[]): Promise<Measurement> {
  const started = process.hrtime.bigint();
  const child = spawn("/usr/bin/time", ["-f", "__PEAK_RSS_KB__ %M %U %S", process.execPath, "--import", "tsx", script, ...args], {
    env: { ...process.env, NODE_OPTIONS: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  let sampledPeakKb = 0;
  const sampler = setInterval(() => {
    sampledPeakKb = Math.max(sampledPeakKb, descendantsRssKb(child.pid!));
  }, 20);
  const status = await new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  clearInterval(sampler);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (status !== 0) throw new Error(`bench child ${args.join(" ")} failed (exit ${status}):\n${stderr}\n${stdout}`);
  const rss = /__PEAK_RSS_KB__ (\d+) ([\d.]+) ([\d.]+)/.exec(stderr);
  const line = stdout.trim().split("\n").filter((l) => l.startsWith("{")).pop();
  if (!line || !rss) throw new Error(`bench child ${args.join(" ")} printed no result:\n${stdout}\n${stderr}`);
  const reported = JSON.parse(line) as { resources: number; pack?: Measurement["pack"] };
  const peakRssMb = Math.max(sampledPeakKb, Number(rss[1])) / 1024;
  return { ...reported, seconds, cpuSeconds: Number(rss[2]) + Number(rss[3]), peakRssMb };
}

const fmt = (n: number, d = 2) => n.toFixed(d);
const verdict = (ok: boolean) => (ok ? "pass" : "FAIL");

/**
 * Why the bench cannot measure `base` at these factors, found before any child runs (a child's
 * failure would surface as its stderr inside "bench child … failed"): a stack the render could
 * not find either (exit 2; looked for where render and policy look, Pulumi.yaml's
 * `stackConfigDir`), or a config that is no platform, as the base or grown to a factor (exit 1).
 */
async function baseProblem(base: string, factors: number[], project: Project): Promise<{ code: number; message: string } | undefined> {
  const { checkStackName, validateStack } = await import("./lib/render");
  const { CONFIG_ROOT, ConfigError, parsePlatform } = await import("../infra/config");
  const { growFleet } = await import("./lib/fleet");
  try {
    checkStackName(base);
  } catch (err) {
    return { code: 2, message: `bench: --base ${(err as Error).message}\n${benchUsage}` };
  }
  const file = stackFile(base, project);
  if (!fs.existsSync(file)) {
    return { code: 2, message: `bench: --base ${base}: no stack config ${path.relative(repoRoot, file)}; ${knownStacksText(project)}\n${benchUsage}` };
  }
  let platform: unknown;
  try {
    platform = JSON.parse(validateStack({ stack: base, project }).stackConfig.config[CONFIG_ROOT]);
  } catch (err) {
    return { code: 1, message: `bench: stack '${base}': ${err instanceof Error ? err.message : String(err)}` };
  }
  for (const factor of factors) {
    try {
      parsePlatform(growFleet(platform, fleetSize(factor)), base);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return { code: 1, message: `bench: stack '${base}' grown to ${factor}× (scripts/lib/fleet.ts) is not a valid platform, so that fleet cannot be measured: ${err.message}` };
    }
  }
  return undefined;
}

async function main(): Promise<number> {
  const command = parseBenchCommand(process.argv.slice(2));
  if (typeof command === "number") return command;
  if (command.mode === "child") {
    // The parent checked the stack before starting any child: what fails here is said by its message.
    childRender(command.base, command.factor, command.out).then(() => process.exit(0), (e) => { console.error(e instanceof Error ? e.message : String(e)); process.exit(1); });
    return -1;
  }
  const { base, factors } = command;
  // Another pack for the review (e.g. before policy/ exists); children inherit it.
  if (command.pack) {
    const pack = fromCaller(command.pack);
    if (!fs.existsSync(path.join(pack, "PulumiPolicy.yaml"))) {
      console.error(`bench: --pack ${command.pack} is not a policy pack (no PulumiPolicy.yaml)\n${benchUsage}`);
      return 2;
    }
    process.env.INFERENCE_MESH_POLICY_PACK = pack;
  }
  const problem = await baseProblem(base, factors, loadProject());
  if (problem) {
    console.error(problem.message);
    return problem.code;
  }
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "inference-mesh-bench-"));
  try {
    return await measureFleets(base, factors, outDir);
  } finally {
    // Renders of every fleet, several hundred MB at 16×: removed on a failed measurement too.
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}

async function measureFleets(base: string, factors: number[], outDir: string): Promise<number> {
  console.log(`bench: fleets of stack '${base}' at ${factors.map((f) => `${f}×`).join(", ")} (clusters × models), each measurement in a fresh process`);
  console.log("factor  clusters×models  resources │ render+review: wall s  cpu s  peak MB │ floor: wall s  cpu s  peak MB │ ×floor: cpu  wall  mem │ cpu ms/res");
  const rows: { factor: number; run: Measurement; floor: Measurement }[] = [];
  for (const factor of factors) {
    const renderArgs = ["--child", "render", "--base", base, "--factor", String(factor), "--out", outDir];
    // Untimed first: the mock engine caches keys and certificates per resource (generating an RSA
    // 4096 key costs about a second), and a fleet's first render on a machine would time that.
    await measure(__filename, renderArgs);
    const run = await measure(__filename, renderArgs);
    const floor = await measure(path.join(__dirname, "lib", "bench-floor.ts"), [String(run.resources)]);
    rows.push({ factor, run, floor });
    const size = fleetSize(factor);
    console.log(
      [
        `${factor}×`.padEnd(7),
        `${size.clusterCopies}×${size.modelCopies}`.padEnd(16),
        String(run.resources).padStart(9),
        "│",
        fmt(run.seconds).padStart(21),
        fmt(run.cpuSeconds).padStart(6),
        fmt(run.peakRssMb, 0).padStart(8),
        "│",
        fmt(floor.seconds).padStart(13),
        fmt(floor.cpuSeconds).padStart(6),
        fmt(floor.peakRssMb, 0).padStart(8),
        "│",
        fmt(run.cpuSeconds / floor.cpuSeconds).padStart(11),
        fmt(run.seconds / floor.seconds).padStart(5),
        fmt(run.peakRssMb / floor.peakRssMb).padStart(4),
        "│",
        fmt((run.cpuSeconds / run.resources) * 1000).padStart(10),
      ].join(" "),
    );
    if (run.pack) console.log(`        (of which the policy pack process: cpu ${fmt(run.pack.cpuSeconds)} s, peak ${fmt(run.pack.peakRssMb, 0)} MB)`);
    if (run.policy !== "reviewed") console.log(`        (policy review: ${run.policy ?? "?"})`);
    else if (run.mandatory) console.log(`        (${run.mandatory} mandatory policy violation(s) in the generated fleet)`);
  }
  console.log("");
  console.log("Targets use CPU seconds (robust when other processes share the cores); wall seconds are shown for reference.");
  console.log("Memory of render+review is the peak of the render's and the pack's resident memory together: both processes are alive during the review.");
  let ok = true;
  for (const r of rows) {
    const t = r.run.cpuSeconds / r.floor.cpuSeconds <= RATIO_TARGET;
    const m = r.run.peakRssMb / r.floor.peakRssMb <= RATIO_TARGET;
    ok &&= t && m;
    console.log(`target ${r.factor}×: time ≤ ${RATIO_TARGET}× floor ${verdict(t)}, memory ≤ ${RATIO_TARGET}× floor ${verdict(m)}`);
  }
  if (rows.length > 1) {
    const first = rows[0];
    const last = rows[rows.length - 1];
    const perResource = (r: Measurement) => r.cpuSeconds / r.resources;
    const growth = perResource(last.run) / perResource(first.run);
    const floorGrowth = perResource(last.floor) / perResource(first.floor);
    const linear = growth <= LINEAR_TOLERANCE;
    ok &&= linear;
    console.log(
      `target growth ${first.factor}×→${last.factor}×: CPU per resource ×${fmt(growth)} (floor ×${fmt(floorGrowth)}; ≤ ${LINEAR_TOLERANCE} is linear or better) ${verdict(linear)}`,
    );
  }
  console.log(ok ? "bench: all targets met" : "bench: some targets missed (see above)");
  return 0;
}

main().then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err) => {
    console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
