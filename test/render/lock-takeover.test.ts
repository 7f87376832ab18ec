/**
 * The per-stack output lock's takeover of a dead render's lock (scripts/lib/out-lock.ts), played
 * out step by step: each render is a process of its own (test/render/fixtures/lock-steps.ts) that
 * stops wherever it removes a file it judged stale or waits for another's takeover, and goes on
 * only when the test lets it, so an interleaving is replayed exactly, not hoped for by timing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { repoRoot } from "../support/render";
import { tempDir } from "../support/tmp";

const fixture = path.join(__dirname, "fixtures", "lock-steps.ts");

/** A render stopped at its steps: `next()` lets it go on from where it stands to its next event. */
class Render {
  private readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private readonly waiting: Array<() => void> = [];
  private stderr = "";
  private seen = 0;
  private closed = false;
  last = "";

  constructor(
    readonly out: string,
    readonly ctl: string,
    readonly name: string,
  ) {
    this.child = spawn(process.execPath, ["--import", "tsx", fixture, out, "local", ctl, name], { cwd: repoRoot, env: { ...process.env, NODE_OPTIONS: "" } });
    let buffered = "";
    this.child.stdout!.on("data", (d) => {
      buffered += d;
      const parts = buffered.split("\n");
      buffered = parts.pop()!;
      this.lines.push(...parts);
      this.waiting.splice(0).forEach((wake) => wake());
    });
    this.child.stderr!.on("data", (d) => (this.stderr += d));
    // `close`, not `exit`: it comes after the last of its output has been read.
    this.child.on("close", () => {
      this.closed = true;
      this.waiting.splice(0).forEach((wake) => wake());
    });
  }

  get done(): boolean {
    return this.last === "held" || this.last.startsWith("busy");
  }

  /** Lets the render past the pause it stands at (if any) and waits for what it reports next. */
  async next(): Promise<string> {
    if (this.done) return this.last;
    const paused = this.last.match(/^pause (\d+) /);
    if (paused) fs.writeFileSync(path.join(this.ctl, `${this.name}-${paused[1]}`), "");
    while (this.lines.length <= this.seen) {
      assert.ok(!this.closed, `render ${this.name} exited before reporting: ${this.stderr}`);
      await new Promise<void>((wake) => this.waiting.push(wake));
    }
    this.last = this.lines[this.seen++];
    return this.last;
  }

  async finish(): Promise<string> {
    while (!this.done) await this.next();
    return this.last;
  }

  /** Kills the render and waits until it is dead. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGKILL");
    await exited;
  }
}

test("a killed takeover and two renders taking over after it: one holds the lock, the other finds it held", async (t) => {
  const out = tempDir("im-lock-steps-");
  const ctl = tempDir("im-lock-ctl-");
  fs.writeFileSync(path.join(out, ".local+lock"), String(spawnSync(process.execPath, ["-e", ""]).pid));
  const renders: Render[] = [];
  t.after(() => Promise.all(renders.map((r) => r.kill())));
  const render = (name: string) => {
    const r = new Render(out, ctl, name);
    renders.push(r);
    return r;
  };
  // A render killed inside its takeover of the dead render's lock, just before removing it.
  const killed = render("killed");
  assert.match(await killed.next(), /^pause 1 remove \.local\+lock$/);
  await killed.kill();
  // Two renders arrive: each stops at its first step, then b goes one step further before a runs to the end.
  const a = render("a");
  const b = render("b");
  await a.next();
  await b.next();
  await b.next();
  await a.finish();
  await b.finish();
  assert.equal([a, b].filter((r) => r.last === "held").length, 1, `exactly one render holds the lock: a ${a.last}, b ${b.last}`);
  const other = [a, b].find((r) => r.last !== "held")!;
  assert.match(other.last, /^busy \d+$/, "the other finds it held by a live render");
});
