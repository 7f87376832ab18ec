/**
 * `out/<stack>/` is only ever the last good render's tree or the new one's (scripts/lib/out-swap.ts):
 * with a second render of the same stack arriving mid-swap, a render killed or interrupted
 * mid-swap, a stack whose name looks like another stack's leftovers, an output root that cannot be
 * written. The swap is slowed (or killed) by test/render/fixtures/slow-swap.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { renderShipped, runRender, repoRoot, shippedPlatform } from "../support/render";
import { tempDir } from "../support/tmp";
import { checkOutputIsOurs, ForeignOutputError, recoverOutput, swapIntoPlace } from "../../scripts/lib/out-swap";
import { acquireLock } from "../../scripts/lib/out-lock";

const fixture = path.join(__dirname, "fixtures", "slow-swap.ts");

function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name), path.join(rel, e.name));
      else out.set(path.join(rel, e.name), fs.readFileSync(path.join(d, e.name), "utf8"));
    }
  };
  walk(dir, "");
  return out;
}

/** An output root holding a previous render of local (plus a marker file to recognise it by). */
function previousOutput(prefix: string): string {
  const out = tempDir(prefix);
  fs.cpSync(renderShipped("local").run.dir, path.join(out, "local"), { recursive: true });
  fs.writeFileSync(path.join(out, "local", "previous.txt"), "previous render");
  return out;
}

const env = (extra: Record<string, string> = {}) => ({ ...process.env, NODE_OPTIONS: "", ...extra });

test("a second render of the same stack arriving mid-swap waits for it: both exit 0, one complete tree, no debris", async () => {
  const out = previousOutput("im-race-");
  const slow = spawn(process.execPath, ["--import", "tsx", fixture, "--stack", "local", "--out", out], { cwd: repoRoot, env: env({ SLOW_SWAP_MS: "4000" }) });
  let slowErr = "";
  slow.stderr.on("data", (d) => (slowErr += d));
  const slowDone = new Promise<number | null>((resolve) => slow.on("exit", resolve));
  // Until the slow render has moved the previous tree aside.
  const deadline = Date.now() + 120_000;
  while (!fs.readdirSync(out).some((e) => e.startsWith(".local+old-"))) {
    assert.ok(Date.now() < deadline, "the slow render reached its swap");
    await new Promise((r) => setTimeout(r, 50));
  }
  const second = runRender(["--stack", "local"], out);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(await slowDone, 0, slowErr);
  const expected = tree(renderShipped("local").run.dir);
  assert.deepEqual([...tree(path.join(out, "local")).keys()].sort(), [...expected.keys()].sort(), "one render's complete tree, not a mix");
  assert.deepEqual(fs.readdirSync(out), ["local"], "no lock, temporary or old trees left");
});

test("a render killed mid-swap: the next render puts the previous tree back before anything else, even when its config is bad", () => {
  const out = previousOutput("im-kill-");
  const killed = spawnSync(process.execPath, ["--import", "tsx", fixture, "--stack", "local", "--out", out], { cwd: repoRoot, env: env({ SLOW_SWAP_KILL: "1" }), encoding: "utf8" });
  assert.equal(killed.signal, "SIGKILL");
  assert.ok(!fs.existsSync(path.join(out, "local")), "killed between moving the old tree aside and putting the new one in place");
  const p = shippedPlatform("local");
  p.clusters.push({ ...p.clusters[0] });
  const bad = path.join(tempDir("im-kill-bad-"), "Pulumi.bad.yaml");
  fs.writeFileSync(bad, `config:\n  inference-mesh:platform: ${JSON.stringify(p)}\n`);
  const r = runRender(["--stack", "local", "--stack-file", bad], out);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /duplicate cluster name 'local'/);
  assert.equal(fs.readFileSync(path.join(out, "local", "previous.txt"), "utf8"), "previous render", "the previous render is back");
  assert.deepEqual(fs.readdirSync(out), ["local"], "the dead render's lock, temporary tree and old tree are gone");
});

test("Ctrl-C during the swap is held until the swap is over: exit 130, the new tree in place, no debris", async () => {
  const out = previousOutput("im-sigint-");
  const slow = spawn(process.execPath, ["--import", "tsx", fixture, "--stack", "local", "--out", out], { cwd: repoRoot, env: env({ SLOW_SWAP_MS: "1500" }) });
  const done = new Promise<number | null>((resolve) => slow.on("exit", resolve));
  const deadline = Date.now() + 120_000;
  while (!fs.readdirSync(out).some((e) => e.startsWith(".local+old-"))) {
    assert.ok(Date.now() < deadline, "the render reached its swap");
    await new Promise((r) => setTimeout(r, 20));
  }
  slow.kill("SIGINT");
  assert.equal(await done, 130);
  assert.ok(!fs.existsSync(path.join(out, "local", "previous.txt")), "the new render's tree");
  assert.ok(fs.existsSync(path.join(out, "local", "stack.json")));
  assert.deepEqual(fs.readdirSync(out), ["local"]);
});

test("stack names that look like leftovers (local.old-5, .local.tmp-abcdef) are other stacks' outputs, which a render of local leaves alone", () => {
  const out = tempDir("im-names-");
  for (const name of ["local.old-5", ".local.tmp-abcdef"]) {
    fs.mkdirSync(path.join(out, name));
    fs.writeFileSync(path.join(out, name, "stack.json"), "{}");
    fs.utimesSync(path.join(out, name), new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
  }
  const r = runRender(["--stack", "local"], out);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(fs.readdirSync(out).sort(), [".local.tmp-abcdef", "local", "local.old-5"]);
});

test("out/<stack> gets the usual directory mode, not a temporary directory's 0700", () => {
  const out = tempDir("im-mode-");
  const r = runRender(["--stack", "local"], out);
  assert.equal(r.code, 0, r.stderr);
  fs.mkdirSync(path.join(out, "reference"));
  assert.equal(fs.statSync(path.join(out, "local")).mode & 0o777, fs.statSync(path.join(out, "reference")).mode & 0o777);
});

test("an output root that cannot be written is a wrong command (exit 2), found before the program runs", { skip: process.getuid?.() === 0 && "root writes anywhere" }, () => {
  const out = tempDir("im-ro-");
  fs.chmodSync(out, 0o555);
  const r = runRender(["--stack", "local"], path.join(out, "sub"));
  fs.chmodSync(out, 0o755);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--out .*sub: .*im-ro-\w+ is not writable/);
  assert.match(r.stderr, /usage: npm run render/);
});

test("an output root below a file is a wrong command (exit 2)", () => {
  const dir = tempDir("im-file-");
  fs.writeFileSync(path.join(dir, "plain"), "x");
  const r = runRender(["--stack", "local"], path.join(dir, "plain", "out"));
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /plain is a file, not a directory/);
});

test("an output root on a file system that takes no directories (/proc) is a wrong command (exit 2), even for root", { skip: !fs.existsSync("/proc/self") && "no /proc here" }, () => {
  // Permission bits let root through, and Node 20's recursive mkdir spins forever there.
  const r = runRender(["--stack", "local"], "/proc/inference-mesh-out");
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--out \/proc\/inference-mesh-out: \/proc is not writable/);
});

test("an <out>/<stack> that no render wrote (no stack.json), or a file there, is refused (exit 2) and kept: the swap would delete it", () => {
  const out = tempDir("im-foreign-");
  fs.mkdirSync(path.join(out, "local"));
  fs.writeFileSync(path.join(out, "local", "notes.txt"), "the user's");
  fs.writeFileSync(path.join(out, "dev"), "a file");
  for (const [stack, expected] of [["local", /local holds files no render wrote \(no stack\.json\), and a render replaces that directory whole/], ["dev", /dev is a file, which a render would replace/]] as const) {
    const r = runRender(["--stack", stack], out);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, expected);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
  assert.equal(fs.readFileSync(path.join(out, "local", "notes.txt"), "utf8"), "the user's");
  assert.equal(fs.readFileSync(path.join(out, "dev"), "utf8"), "a file");
  assert.deepEqual(fs.readdirSync(out).sort(), ["dev", "local"], "nothing else written");
});

test("an <out>/<stack> that is a symbolic link (dangling, or to a render elsewhere) is refused (exit 2) before the program runs, and kept: the swap would replace the link, not write through it", () => {
  const out = tempDir("im-link-");
  const elsewhere = tempDir("im-link-target-");
  fs.mkdirSync(path.join(elsewhere, "dev"));
  fs.writeFileSync(path.join(elsewhere, "dev", "stack.json"), "{}");
  fs.symlinkSync(path.join(out, "nowhere"), path.join(out, "local"));
  fs.symlinkSync(path.join(elsewhere, "dev"), path.join(out, "dev"));
  for (const [stack, expected] of [
    ["local", /local is a symbolic link \(to .*nowhere\), which a render would replace with its output directory rather than write through; remove the link\n/],
    ["dev", new RegExp(`dev is a symbolic link \\(to .*\\), .*; remove the link, or render into it with --out ${elsewhere.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\n`)],
  ] as const) {
    const r = runRender(["--stack", stack], out);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, expected);
    assert.doesNotMatch(r.stderr, /ENOTDIR|\n\s+at /, "no rename error, no stack trace");
    assert.doesNotMatch(r.stdout, /rendered stack/, "refused before the program ran");
  }
  assert.ok(fs.lstatSync(path.join(out, "local")).isSymbolicLink() && fs.lstatSync(path.join(out, "dev")).isSymbolicLink(), "the links are kept");
  assert.equal(fs.readFileSync(path.join(elsewhere, "dev", "stack.json"), "utf8"), "{}");
  assert.deepEqual(fs.readdirSync(out).sort(), ["dev", "local"], "nothing else written");
});

test("a dangling link at <out>/<stack> beside a killed render's leftovers: refused naming the link and the kept tree, never written through; the tree goes back once the link is gone", () => {
  const out = tempDir("im-link-old-");
  const deadPid = spawnSync(process.execPath, ["-e", ""]).pid!;
  const old = path.join(out, `.local+old-${deadPid}`);
  fs.mkdirSync(old);
  fs.writeFileSync(path.join(old, "stack.json"), "{}");
  fs.mkdirSync(path.join(out, `.local+tmp-${deadPid}-abcd1234`));
  fs.symlinkSync(path.join(out, "nowhere"), path.join(out, "local"));
  const r = runRender(["--stack", "local"], out);
  assert.equal(r.code, 2, r.stderr);
  assert.doesNotMatch(r.stderr, /ENOTDIR|\n\s+at /, "no rename error, no stack trace");
  assert.match(r.stderr, /local is a symbolic link \(to .*nowhere\), which a render would replace .*; remove the link; the last render's tree, moved aside by a render killed mid-swap, is kept as .*\.local\+old-\d+ and goes back into place at the next render once .*local is gone\n/);
  assert.ok(fs.lstatSync(path.join(out, "local")).isSymbolicLink(), "the link is kept");
  assert.ok(!fs.existsSync(path.join(out, "nowhere")), "nothing written through the link");
  assert.equal(fs.readFileSync(path.join(old, "stack.json"), "utf8"), "{}", "the last render's tree is kept");
  assert.deepEqual(fs.readdirSync(out).sort(), [`.local+old-${deadPid}`, "local"], "the dead render's temporary tree is swept");
  fs.unlinkSync(path.join(out, "local"));
  recoverOutput(out, "local");
  assert.equal(fs.readFileSync(path.join(out, "local", "stack.json"), "utf8"), "{}");
  assert.deepEqual(fs.readdirSync(out), ["local"]);
});

test("a link put at <out>/<stack> while the program ran is refused at the swap, under the lock, not renamed onto (ENOTDIR) or replaced", async () => {
  const out = tempDir("im-link-swap-");
  const tmp = path.join(out, `.local+tmp-${process.pid}-0000abcd`);
  fs.mkdirSync(tmp);
  fs.symlinkSync(path.join(out, "nowhere"), path.join(out, "local"));
  await assert.rejects(swapIntoPlace(tmp, out, "local"), (err: Error) => err instanceof ForeignOutputError && /local is a symbolic link \(to .*nowhere\)/.test(err.message));
  assert.ok(fs.lstatSync(path.join(out, "local")).isSymbolicLink());
  assert.deepEqual(fs.readdirSync(out).sort(), [`.local+tmp-${process.pid}-0000abcd`, "local"], "no lock left; the caller removes its tree");
});

test("two renders taking over one stale lock at once: exactly one holds it at a time, the other waits for it", async () => {
  const out = tempDir("im-lock-race-");
  const deadPid = spawnSync(process.execPath, ["-e", ""]).pid!;
  fs.writeFileSync(path.join(out, ".local+lock"), String(deadPid));
  const go = path.join(out, "go");
  const contenders = [0, 1].map(() => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "fixtures", "lock-race.ts"), out, "local", go], { cwd: repoRoot, env: env() });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const done = new Promise<number | null>((resolve) => child.on("exit", resolve));
    return { done, output: () => stdout, errors: () => stderr };
  });
  const deadline = Date.now() + 60_000;
  while (!contenders.every((c) => c.output().includes("ready"))) {
    assert.ok(Date.now() < deadline, "both contenders started");
    await new Promise((r) => setTimeout(r, 20));
  }
  fs.writeFileSync(go, "");
  for (const c of contenders) assert.equal(await c.done, 0, c.errors());
  const held = contenders.map((c) => {
    const at = (what: string) => Number(c.output().match(new RegExp(`^${what} (\\d+)$`, "m"))?.[1]);
    return { from: at("acquired"), to: at("released") };
  });
  for (const h of held) assert.ok(h.from > 0 && h.to >= h.from, `each contender held the lock once: ${JSON.stringify(held)}`);
  const [first, second] = held.sort((a, b) => a.from - b.from);
  assert.ok(second.from >= first.to, `the second took the lock only after the first released it: ${JSON.stringify(held)}`);
  assert.deepEqual(fs.readdirSync(out), ["go"], "no lock or takeover debris left");
});

test("a lock still empty (its holder between the O_EXCL create and the write of its pid) is held, not taken over", async () => {
  const out = tempDir("im-lock-empty-");
  const lock = path.join(out, ".local+lock");
  fs.writeFileSync(lock, "");
  const remover = spawn(process.execPath, ["-e", `setTimeout(() => require("fs").rmSync(${JSON.stringify(lock)}), 1500)`]);
  const removed = new Promise((resolve) => remover.on("exit", resolve));
  const started = Date.now();
  const taken = acquireLock(out, "local");
  const waited = Date.now() - started;
  await removed;
  assert.equal(fs.readFileSync(taken, "utf8"), String(process.pid));
  assert.ok(waited >= 1000, `waited for the holder (${waited} ms), not taken over at once`);
  fs.rmSync(taken);
});

test("a directory where the lock file goes is named, with what to do, rather than failing with read's EISDIR", () => {
  const out = tempDir("im-lock-dir-");
  fs.mkdirSync(path.join(out, ".local+lock"));
  assert.throws(() => recoverOutput(out, "local"), { message: `${path.join(out, ".local+lock")} is a directory where renders keep a lock file; remove it (no render made it) and render again` });
  assert.ok(fs.statSync(path.join(out, ".local+lock")).isDirectory(), "left as it was");
});

test("a file put at <out>/<stack> beside a killed render's moved-aside tree: the tree, the last render, is kept and named, not swept", () => {
  const out = tempDir("im-file-old-");
  const deadPid = spawnSync(process.execPath, ["-e", ""]).pid!;
  const old = path.join(out, `.local+old-${deadPid}`);
  fs.mkdirSync(old);
  fs.writeFileSync(path.join(old, "stack.json"), "{}");
  fs.writeFileSync(path.join(out, "local"), "a file");
  recoverOutput(out, "local");
  assert.equal(fs.readFileSync(path.join(old, "stack.json"), "utf8"), "{}", "the last render's tree is kept");
  assert.throws(() => checkOutputIsOurs(out, "local"), /local is a file, .*; the last render's tree, moved aside by a render killed mid-swap, is kept as .*\.local\+old-\d+ and goes back into place at the next render once .*local is gone$/);
});
