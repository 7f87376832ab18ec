/**
 * Errors raised while the program runs: a render fails with the error's message and exit 1
 * (leaving out/ as it was), never a crash on an unhandled rejection. The case users met, existing
 * clusters in a multi-cluster mesh whose API server URL is known neither from config
 * (`apiServer`) nor from a readable kubeconfig, is now refused by config validation for every such
 * cluster at once; the program's own error stays as the last resort the fixtures exercise.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { spawnSync } from "node:child_process";
import { growFleet } from "../../scripts/lib/fleet";
import { parsePlatform } from "../../infra/config";
import { shippedPlatform, repoRoot } from "../support/render";

test("an error inside an apply fails the render with its message instead of crashing", () => {
  const res = spawnSync(process.execPath, ["--import", "tsx", path.join(__dirname, "fixtures", "failing-program.ts")], {
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  assert.equal(res.status, 1, res.stdout + res.stderr);
  assert.match(res.stderr, /^render failed: .*the API server URL is unknown/m);
  assert.doesNotMatch(res.stderr, /triggerUncaughtException/);
});

test("an error thrown while a component is constructed fails the render with its message instead of crashing", () => {
  const res = spawnSync(process.execPath, ["--import", "tsx", path.join(__dirname, "fixtures", "failing-program.ts"), "construct"], {
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  assert.equal(res.status, 1, res.stdout + res.stderr);
  assert.match(res.stderr, /^render failed: .*kubeconfig \/x is not valid YAML/m);
  assert.doesNotMatch(res.stderr, /triggerUncaughtException|Node\.js v/);
});

test("a URN registered twice fails the render, as the engine does, instead of keeping one resource", () => {
  const res = spawnSync(process.execPath, ["--import", "tsx", path.join(__dirname, "fixtures", "failing-program.ts"), "duplicate"], {
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  assert.equal(res.status, 1, res.stdout + res.stderr);
  assert.match(res.stderr, /^render failed: .*Duplicate resource URN '.*fixture:index:Thing::thing-bad'; try giving it a unique name/m);
  assert.doesNotMatch(res.stderr, /triggerUncaughtException|Node\.js v/);
});

test("a review stopped while the policy pack boots takes the pack down with it", async () => {
  const res = spawnSync(process.execPath, ["--import", "tsx", path.join(__dirname, "fixtures", "pack-boot-kill.ts")], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
  assert.equal(res.status, 143, res.stdout + res.stderr);
  const pid = Number(/pack pid (\d+)/.exec(res.stdout)?.[1]);
  assert.ok(pid > 0, res.stdout);
  await new Promise((r) => setTimeout(r, 500));
  // Running, not a zombie waiting for a reaper (where PID 1 reaps late, a killed child lingers as one).
  const alive = (() => {
    try {
      return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    } catch {
      return false;
    }
  })();
  assert.equal(alive, false, `pack ${pid} outlived the process that started it`);
});

test("two existing clusters without a reachable API server: exit 1 naming each clusters[i].apiServer, out/ untouched", () => {
  const dir = fs.mkdtempSync(path.join(repoRoot, ".test-cache", "program-errors-"));
  try {
    const platform = growFleet(shippedPlatform("local"), { clusterCopies: 2, modelCopies: 1 });
    platform.clusters.forEach((c: any) => {
      delete c.apiServer;
      c.kubeconfig = path.join(dir, `no-such-kubeconfig-${c.name}.yaml`);
    });
    // Config validation already knows the URL cannot be found: both clusters are named at once.
    assert.throws(() => parsePlatform(platform, "pair"), (e: Error) => /clusters\[0\]\.apiServer: is required/.test(e.message) && /clusters\[1\]\.apiServer: is required/.test(e.message));
    const stackFile = path.join(dir, "Pulumi.pair.yaml");
    fs.writeFileSync(stackFile, yaml.dump({ config: { "inference-mesh:platform": platform } }));
    const out = path.join(dir, "out");
    fs.mkdirSync(path.join(out, "pair"), { recursive: true });
    fs.writeFileSync(path.join(out, "pair", "marker"), "previous render");
    const res = spawnSync(process.execPath, ["--import", "tsx", path.join(repoRoot, "scripts", "render.ts"), "--stack-file", stackFile, "--out", out], {
      cwd: repoRoot,
      encoding: "utf8",
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    assert.equal(res.status, 1, res.stdout + res.stderr);
    assert.match(res.stderr, /inference-mesh:platform\.clusters\[0\]\.apiServer: is required in a multi-cluster stack/);
    assert.match(res.stderr, /inference-mesh:platform\.clusters\[1\]\.apiServer: is required in a multi-cluster stack/);
    assert.doesNotMatch(res.stderr, /triggerUncaughtException|^\s+at /m);
    assert.deepEqual(fs.readdirSync(path.join(out, "pair")), ["marker"], "the previous output stays");
    const invalid = shippedPlatform("local");
    invalid.clusters[0].apiServer = "http://127.0.0.1:6443";
    assert.throws(() => parsePlatform(invalid, "local"), /clusters\[0\]\.apiServer: must be an https:\/\/ URL/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("an existing cluster whose kubeconfig is not YAML: exit 1 naming the file and its config path, no crash", () => {
  const dir = fs.mkdtempSync(path.join(repoRoot, ".test-cache", "bad-kubeconfig-"));
  try {
    const kubeconfig = path.join(dir, "kubeconfig");
    fs.writeFileSync(kubeconfig, "clusters: [unclosed\n");
    const platform = shippedPlatform("local");
    platform.clusters[0].kubeconfig = kubeconfig;
    const stackFile = path.join(dir, "Pulumi.laptop.yaml");
    fs.writeFileSync(stackFile, yaml.dump({ config: { "inference-mesh:platform": platform } }));
    const res = spawnSync(process.execPath, ["--import", "tsx", path.join(repoRoot, "scripts", "render.ts"), "--stack-file", stackFile, "--out", path.join(dir, "out")], {
      cwd: repoRoot,
      encoding: "utf8",
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    assert.equal(res.status, 1, res.stdout + res.stderr);
    // Read at config validation, so the problem carries its config path.
    assert.match(res.stderr, /inference-mesh:platform\.clusters\[0\]\.kubeconfig: kubeconfig .*kubeconfig is not valid YAML/);
    assert.doesNotMatch(res.stderr, /triggerUncaughtException|Node\.js v/);
    assert.ok(!fs.existsSync(path.join(dir, "out", "laptop")), "nothing rendered");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
