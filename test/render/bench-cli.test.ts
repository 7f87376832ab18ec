/**
 * `npm run bench -- --base NAME` finds its stack where render and policy do (Pulumi.yaml's
 * `stackConfigDir`) and checks it before measuring anything: a fork that moved its stack files
 * gets its stack benched, and a stack the bench cannot grow is named, not a child's stack trace.
 * Run in a throwaway fork of the checkout (its own Pulumi.yaml and envs/), never as far as a
 * measurement.
 */
import { mock, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import * as yaml from "js-yaml";
import { repoRoot, shippedPlatform } from "../support/render";
import { tempDir } from "../support/tmp";
import { benchUsage, parseBenchCommand } from "../../scripts/lib/bench-args";

/** A fork whose stack files live in envs/ (stackConfigDir), holding `stacks`' platforms. */
function forkWithStacks(stacks: Record<string, unknown>): string {
  const root = tempDir("im-bench-fork-");
  // scripts/ is copied, so that the bench's repoRoot (its own directory's parent) is the fork.
  fs.cpSync(path.join(repoRoot, "scripts"), path.join(root, "scripts"), { recursive: true });
  for (const dir of ["infra", "components", "policy", "node_modules"]) fs.symlinkSync(path.join(repoRoot, dir), path.join(root, dir));
  for (const file of ["package.json", "tsconfig.json"]) fs.copyFileSync(path.join(repoRoot, file), path.join(root, file));
  const project = fs.readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8").replace(/^stackConfigDir: stacks$/m, "stackConfigDir: envs");
  assert.match(project, /^stackConfigDir: envs$/m);
  fs.writeFileSync(path.join(root, "Pulumi.yaml"), project);
  fs.mkdirSync(path.join(root, "envs"));
  for (const [name, platform] of Object.entries(stacks)) {
    fs.writeFileSync(path.join(root, "envs", `Pulumi.${name}.yaml`), yaml.dump({ config: { "inference-mesh:platform": platform } }));
  }
  return root;
}

function bench(root: string, args: string[]) {
  const res = spawnSync(process.execPath, ["--import", "tsx", path.join(root, "scripts", "bench.ts"), ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "", INIT_CWD: root },
    timeout: 120_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

test("bench reads --base from Pulumi.yaml's stackConfigDir, and names a stack its fleets cannot grow from before measuring", () => {
  const local = shippedPlatform("local");
  // A cluster name at the 40-character limit: its 4× copy, `<name>-r1`, is no cluster name.
  const long = "a".repeat(40);
  const rename = (names: string[]) => names.map((n) => (n === "local" ? long : n));
  const grown = {
    ...local,
    clusters: local.clusters.map((c: { name: string }) => ({ ...c, name: long })),
    models: local.models.map((m: { clusters: string[] }) => ({ ...m, clusters: rename(m.clusters) })),
    agents: (local.agents ?? []).map((a: { clusters?: string[] }) => (a.clusters ? { ...a, clusters: rename(a.clusters) } : a)),
  };
  const root = forkWithStacks({ broken: { ...local, mesh: { ...local.mesh, trustDomain: "" } }, long: grown });

  const broken = bench(root, ["--base", "broken", "--factors", "1"]);
  assert.equal(broken.code, 1, broken.stderr);
  assert.match(broken.stderr, /^bench: stack 'broken': invalid platform config \(1 problem\):\n  inference-mesh:platform\.mesh\.trustDomain: /);
  assert.doesNotMatch(broken.stderr, /\n\s+at /, "no stack trace");

  const growing = bench(root, ["--base", "long", "--factors", "1,4"]);
  assert.equal(growing.code, 1, growing.stderr);
  assert.match(growing.stderr, /^bench: stack 'long' grown to 4× \(scripts\/lib\/fleet\.ts\) is not a valid platform, so that fleet cannot be measured: invalid platform config/);
  assert.match(growing.stderr, new RegExp(`clusters\\[1\\]\\.name: .*`));
  assert.doesNotMatch(growing.stdout, /factor/, "nothing measured");

  const missing = bench(root, ["--base", "prod"]);
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /^bench: --base prod: no stack config envs\/Pulumi\.prod\.yaml; known stacks: broken, long\nusage: npm run bench/);
});

test("bench refuses --factors not written as digits, and fleets too large to grow, before building them (1e9 once ran it out of memory)", () => {
  for (const factors of ["1e9", "0x10", "1,,4", "0"]) {
    const res = bench(repoRoot, ["--factors", factors]);
    assert.equal(res.code, 2, `${factors}: ${res.stderr}`);
    assert.match(res.stderr, /^bench: --factors takes positive integers separated by commas \(e\.g\. 1,4,16\), got '/, factors);
    assert.ok(res.stderr.trimEnd().endsWith(benchUsage), `${factors}: the usage follows`);
  }
  const huge = bench(repoRoot, ["--factors", "1,1000000000"]);
  assert.equal(huge.code, 2, huge.stderr);
  assert.match(huge.stderr, /^bench: --factors 1000000000: a fleet of 1000000000 cluster and 1 model copies; at most 256 copies of each can be grown/);
  assert.ok(huge.stderr.trimEnd().endsWith(benchUsage), "the usage follows");
  assert.doesNotMatch(huge.stderr, /\n\s+at /, "no stack trace");
});

/** What parseBenchCommand prints, and what it returns: the command line alone, no benchmark. */
function parsed(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const log = mock.method(console, "log", (line: string) => out.push(line));
  const error = mock.method(console, "error", (line: string) => err.push(line));
  try {
    return { result: parseBenchCommand(args), stdout: out.join("\n"), stderr: err.join("\n") };
  } finally {
    log.mock.restore();
    error.mock.restore();
  }
}

const optionLines = (usage: string) => usage.split("\n").filter((l) => /^ {2}-/.test(l));

test("bench --help prints the usage with every option and what each takes, and measures nothing", () => {
  const res = bench(repoRoot, ["--help"]);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout.trimEnd(), benchUsage);
  for (const option of ["--base STACK", "--factors LIST", "--pack DIR", "-h, --help"]) {
    assert.ok(optionLines(benchUsage).some((l) => l.startsWith(`  ${option} `)), `${option} has a line of its own`);
  }
  assert.match(benchUsage, /--factors LIST +fleet sizes, positive integers written in digits and separated by commas \(default 1,4,16\)/);
  assert.match(benchUsage, /at most 256 copies of either/);
});

test("bench refuses a bad --factors, an unknown option and the child processes' own options with the usage, exit 2", () => {
  for (const [args, message] of [
    [["--factors", "1e9"], /^bench: --factors takes positive integers separated by commas \(e\.g\. 1,4,16\), got '1e9'\n/],
    [["--factors", "1,65537"], /^bench: --factors 65537: a fleet of 65537 cluster and 1 model copies; at most 256/],
    [["--factors"], /^bench: Option '--factors <value>' argument missing\n/],
    [["--bogus"], /^bench: Unknown option '--bogus'\n/],
    [["--out", "/tmp/x"], /^bench: Unknown option '--out'\n/],
    [["--factor", "4"], /^bench: Unknown option '--factor'\n/],
  ] as const) {
    const res = parsed([...args]);
    assert.equal(res.result, 2, args.join(" "));
    assert.match(res.stderr, message, args.join(" "));
    assert.ok(res.stderr.endsWith(`\n${benchUsage}`), `${args.join(" ")}: the usage follows\n${res.stderr}`);
    assert.equal(res.stdout, "");
  }
});

test("bench's arguments: the defaults, factors as written, and the child processes' command", () => {
  assert.deepEqual(parsed([]).result, { mode: "measure", base: "prod", factors: [1, 4, 16], pack: undefined });
  assert.deepEqual(parsed(["--base", "local", "--factors", "1, 4,65536", "--pack", "p"]).result, { mode: "measure", base: "local", factors: [1, 4, 65536], pack: "p" });
  assert.deepEqual(parsed(["--child", "render", "--base", "dev", "--factor", "4", "--out", "/o"]).result, { mode: "child", base: "dev", factor: 4, out: "/o" });
  const partial = parsed(["--child", "render", "--base", "dev"]);
  assert.equal(partial.result, 2);
  assert.match(partial.stderr, /^bench: --child render --base dev is no child command\n/);
});
