/**
 * Options written before `--` in `npm run render` / `npm run policy` are npm's, not the script's:
 * npm keeps them as npm_config_<name> and runs the script without them. The scripts say so
 * (exit 2) instead of running with their defaults (render rendered `local` for `--stack=prod`).
 * An option given twice is refused too, rather than the last one silently taken.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { repoRoot } from "../support/render";

function npmRun(args: string[]) {
  // A clean npm environment: the suite itself may run under `npm test`.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return spawnSync("npm", ["run", "-s", ...args], { cwd: repoRoot, encoding: "utf8", env: { ...env, NODE_OPTIONS: "" }, timeout: 120_000 });
}

test("npm run render --stack=prod (no --) exits 2 saying where options go, rendering nothing", () => {
  const res = npmRun(["render", "--stack=prod"]);
  assert.equal(res.status, 2, `${res.stdout}${res.stderr}`);
  assert.match(res.stderr, /^render: npm took --stack=prod as its own config \(npm_config_stack\), so render never got it: options go after `--`, as in `npm run render -- --stack prod`$/m);
  assert.doesNotMatch(res.stdout, /rendered stack/);
});

test("npm run policy --state FILE (no --) exits 2 naming the option npm took, not a bare usage line", () => {
  const res = npmRun(["policy", "--state", "out/prod/stack.json"]);
  assert.equal(res.status, 2, `${res.stdout}${res.stderr}`);
  assert.match(res.stderr, /^policy: npm took --state as its own config \(npm_config_state\), so policy never got it: options go after `--`/m);
});

test("an option given twice is refused (exit 2) naming both values, rather than the last one taken", () => {
  for (const [script, args] of [["render", ["--stack", "dev", "--stack", "prod"]], ["policy", ["--state", "a.json", "--out", "-", "--state", "b.json"]]] as const) {
    const res = spawnSync(process.execPath, ["--import", "tsx", path.join(repoRoot, "scripts", `${script}.ts`), ...args], { cwd: repoRoot, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
    assert.equal(res.status, 2, `${script}: ${res.stdout}${res.stderr}`);
    const [first, second] = args.filter((_, i) => args[i - 1] === args[0]);
    assert.match(res.stderr, new RegExp(`^${script}: option '${args[0]}' given 2 times \\(${first.replace(".", "\\.")}, ${second.replace(".", "\\.")}\\); give it once\nusage: npm run ${script}`), script);
    assert.doesNotMatch(res.stdout, /rendered stack|Policy pack/);
  }
});
