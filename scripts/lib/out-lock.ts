/**
 * The per-stack lock a render holds while it sweeps and swaps `out/<stack>` (out-swap.ts):
 * `.<stack>+lock`, created with O_EXCL and holding the holder's pid.
 *
 * A lock whose holder is dead (or, its pid reused, older than STALE_LOCK_MS) is taken over. Judging
 * it stale and removing it are two steps, so whoever removes it must be the only one doing so, and
 * must remove that very file, not a fresh lock made since by another render. A takeover is therefore
 * a round of its own for one stale lock, named by that lock's identity (device, inode, mtime in ns):
 * `.<stack>+lock-takeover-<identity>-<n>`, created with O_EXCL. Its holder judges the lock again
 * and removes it only if it is still that stale file. A takeover file is never removed while its
 * round may still be played: if its holder dies inside the round, the next render takes the round
 * over by creating generation n+1, so two live renders never both hold one round, whatever order
 * they judge and act in (removing a dead holder's takeover file, as before, let a second render
 * remove the one a first had just made, both then taking over, one removing the other's new lock).
 * A round's files go once its stale lock is gone, and a render that takes the lock sweeps any left
 * by a render killed between the two.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** A swap takes milliseconds: a lock this old was left by a process whose pid was reused. */
const STALE_LOCK_MS = 60_000;
/** How long to wait for another render's swap of the same stack. */
const LOCK_WAIT_MS = 30_000;

export class OutputBusyError extends Error {}

/** Where a test stops a render to play out an interleaving of several (test/render/lock-takeover.test.ts). */
export interface LockHooks {
  /** Before a file judged stale is removed, or before waiting for another render's takeover. */
  pause?(point: "remove" | "wait", file: string): void;
  /** Before waiting for a live render holding the lock. */
  busy?(holder: number): void;
}

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

/** A lock file as judged: its holder, whether it is stale, and which file it is (never reused). */
interface Judged {
  holder: number;
  stale: boolean;
  identity: string;
}

/**
 * Judges a lock file; undefined when it is gone. Content and identity are read through one
 * descriptor, so they are of the same file even if it is replaced meanwhile.
 */
function judge(file: string): Judged | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    const st = fs.fstatSync(fd, { bigint: true });
    // Made by hand or by another tool: no render holds it, and none can take it over by removing it.
    if (st.isDirectory()) throw new Error(`${file} is a directory where renders keep a lock file; remove it (no render made it) and render again`);
    const text = fs.readFileSync(fd, "utf8");
    const identity = `${st.dev}.${st.ino}.${st.mtimeNs}`;
    const age = Date.now() - Number(st.mtimeMs);
    // Empty between its holder's O_EXCL create and the write of its pid: held, unless that long ago.
    if (text === "") return { holder: NaN, stale: age > STALE_LOCK_MS, identity };
    const holder = Number(text);
    return { holder, stale: !Number.isInteger(holder) || holder <= 0 || !processAlive(holder) || age > STALE_LOCK_MS, identity };
  } finally {
    fs.closeSync(fd);
  }
}

/** The takeover files of a lock (`<lock>-takeover…`), of every round or of one. */
function takeoverFiles(lock: string, identity = ""): string[] {
  const prefix = `${path.basename(lock)}-takeover${identity && `-${identity}-`}`;
  return fs
    .readdirSync(path.dirname(lock))
    .filter((e) => e.startsWith(prefix))
    .map((e) => path.join(path.dirname(lock), e));
}

function removeAll(files: string[]): void {
  for (const f of files) fs.rmSync(f, { force: true });
}

/**
 * Plays the takeover round of the stale lock `stale`: the render that creates the round's first
 * free generation whose predecessors' holders are all dead judges the lock again and removes it if
 * it is still that stale file. A round whose live holder is at work is waited for.
 */
function takeOver(lock: string, stale: Judged, hooks: LockHooks): void {
  for (let generation = 1; ; generation++) {
    const takeover = `${lock}-takeover-${stale.identity}-${generation}`;
    if (createExclusive(takeover)) {
      const now = judge(lock);
      if (now?.stale && now.identity === stale.identity) {
        hooks.pause?.("remove", lock);
        fs.rmSync(lock, { force: true });
      }
      // Gone, or another file now: either way the round is over.
      if (now?.identity !== stale.identity || now.stale) removeAll(takeoverFiles(lock, stale.identity));
      return;
    }
    const other = judge(takeover);
    if (!other) return; // the round is over: judge the lock again
    if (!other.stale) {
      hooks.pause?.("wait", takeover);
      sleep(10);
      return;
    }
    // Its holder died inside the round: the next generation takes the round over, nothing removed.
  }
}

/** Takes `.<stack>+lock`, waiting for a live holder; a dead or stale holder's lock is taken over. */
export function acquireLock(outRoot: string, stack: string, hooks: LockHooks = {}): string {
  const lock = path.join(outRoot, `.${stack}+lock`);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    if (createExclusive(lock)) {
      // No round can be under way on a lock just made: what is left is a killed round's.
      removeAll(takeoverFiles(lock));
      return lock;
    }
    const held = judge(lock);
    if (!held) continue; // released meanwhile
    if (held.stale) {
      takeOver(lock, held, hooks);
      continue;
    }
    if (Date.now() > deadline) {
      throw new OutputBusyError(`another render of stack '${stack}' (pid ${held.holder}) is replacing ${path.join(outRoot, stack)}; run again when it is done`);
    }
    hooks.busy?.(held.holder);
    sleep(50);
  }
}
