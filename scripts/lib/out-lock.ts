/**
 * The per-stack lock a render holds while it sweeps and swaps `out/<stack>` (out-swap.ts):
 * `.<stack>+lock`, created with O_EXCL and holding the holder's pid.
 *
 * A lock whose holder is dead (or, its pid reused, older than STALE_LOCK_MS) is taken over. Judging
 * it stale and removing it are two steps, and a second render judging the same stale lock could
 * remove the first one's new lock in between, both then holding it. So a takeover runs under
 * `.<stack>+lock-takeover`, also created with O_EXCL: its holder judges the lock again and removes
 * it only if it is still stale; a fresh lock cannot appear meanwhile, since O_EXCL fails while the
 * stale one stands and only a takeover removes it.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** A swap takes milliseconds: a lock this old was left by a process whose pid was reused. */
const STALE_LOCK_MS = 60_000;
/** How long to wait for another render's swap of the same stack. */
const LOCK_WAIT_MS = 30_000;

export class OutputBusyError extends Error {}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Creates `file` holding this process's pid; false where it exists. */
function createExclusive(file: string): boolean {
  try {
    fs.writeFileSync(file, String(process.pid), { flag: "wx" });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return false;
  }
}

/** The holder of a lock file and whether it is stale; undefined when the file is gone. */
function judge(file: string): { holder: number; stale: boolean } | undefined {
  try {
    const text = fs.readFileSync(file, "utf8");
    const holder = Number(text);
    const age = Date.now() - fs.statSync(file).mtimeMs;
    // Empty between its holder's O_EXCL create and the write of its pid: held, unless that long ago.
    if (text === "") return { holder: NaN, stale: age > STALE_LOCK_MS };
    return { holder, stale: !Number.isInteger(holder) || holder <= 0 || !processAlive(holder) || age > STALE_LOCK_MS };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    // Made by hand or by another tool: no render holds it, and none can take it over by removing it.
    if (code === "EISDIR") throw new Error(`${file} is a directory where renders keep a lock file; remove it (no render made it) and render again`);
    throw err;
  }
}

/**
 * Removes `lock` if it is still stale, under the takeover lock; a takeover lock left by a render
 * killed inside its own takeover (microseconds) is removed once its holder is dead.
 */
function takeOver(lock: string): void {
  const takeover = `${lock}-takeover`;
  if (!createExclusive(takeover)) {
    const other = judge(takeover);
    if (other?.stale) fs.rmSync(takeover, { force: true });
    else sleep(10);
    return;
  }
  try {
    if (judge(lock)?.stale) fs.rmSync(lock, { force: true });
  } finally {
    fs.rmSync(takeover, { force: true });
  }
}

/** Takes `.<stack>+lock`, waiting for a live holder; a dead or stale holder's lock is taken over. */
export function acquireLock(outRoot: string, stack: string): string {
  const lock = path.join(outRoot, `.${stack}+lock`);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    if (createExclusive(lock)) return lock;
    const held = judge(lock);
    if (!held) continue; // released meanwhile
    if (held.stale) {
      takeOver(lock);
      continue;
    }
    if (Date.now() > deadline) {
      throw new OutputBusyError(`another render of stack '${stack}' (pid ${held.holder}) is replacing ${path.join(outRoot, stack)}; run again when it is done`);
    }
    sleep(50);
  }
}

