/**
 * Replacing `out/<stack>/` so that it is only ever the previous render's tree or the new one's,
 * whatever else happens: another render of the same stack at the same time, a signal, a kill,
 * a rename that fails.
 *
 * The render's own entries under the output root carry a `+`, which no stack name has
 * (Pulumi's rule: letters, digits, `-`, `_`, `.`), so that sweeping one stack's leftovers can
 * never touch another stack's output (`.local.tmp-…` would have matched a stack named
 * `.local.tmp-abc`, and `local.old-…` one named `local.old-5`):
 *   `.<stack>+tmp-<pid>-<random>`  a tree being written
 *   `.<stack>+old-<pid>`           the previous tree, during the swap
 *   `.<stack>+lock`                held (by pid) while a render swaps (out-lock.ts)
 *   `.<stack>+lock-takeover-<id>-<n>`  held while a render takes over the stale lock `<id>`
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { makeDirectories } from "./cli";
import { acquireLock, processAlive } from "./out-lock";

/** A temporary tree younger than this may belong to a render still writing it. */
const TMP_GRACE_MS = 10 * 60_000;

/** `<out>/<stack>` holds something no render wrote, which the swap would delete. */
export class ForeignOutputError extends Error {}

/**
 * Refuses a `<out>/<stack>` that a render did not write (every render writes stack.json; an empty
 * directory is taken too): the swap replaces it whole, so `--out .` with a stack named `policy`, or
 * `--out ~` with one named like a folder of the user's, would delete it.
 */
export function checkOutputIsOurs(outRoot: string, stack: string): void {
  const target = path.join(outRoot, stack);
  // A symbolic link is renamed, not followed: the swap would put the new tree in place of the link
  // (the directory it points to keeping the old render), and one pointing nowhere failed only after
  // the whole render, with rename's ENOTDIR.
  if (fs.lstatSync(target, { throwIfNoEntry: false })?.isSymbolicLink()) {
    const to = fs.readlinkSync(target);
    const resolved = path.resolve(outRoot, to);
    const there = path.basename(resolved) === stack && fs.existsSync(resolved) ? `, or render into it with --out ${path.dirname(resolved)}` : "";
    throw new ForeignOutputError(`${target} is a symbolic link (to ${to}), which a render would replace with its output directory rather than write through; remove the link${there}${keptPreviousTree(outRoot, stack)}`);
  }
  if (!fs.existsSync(target)) return;
  if (!fs.statSync(target).isDirectory()) throw new ForeignOutputError(`${target} is a file, which a render would replace with its output directory; move it away or render elsewhere with --out${keptPreviousTree(outRoot, stack)}`);
  if (fs.readdirSync(target).length === 0 || fs.existsSync(path.join(target, "stack.json"))) return;
  throw new ForeignOutputError(`${target} holds files no render wrote (no stack.json), and a render replaces that directory whole; move them away or render elsewhere with --out`);
}

/** A previous render's tree moved aside by a render killed mid-swap (`.<stack>+old-<pid>`). */
function isOldTree(entry: string, stack: string): boolean {
  const prefix = `.${stack}+old-`;
  return entry.startsWith(prefix) && /^\d+$/.test(entry.slice(prefix.length));
}

/**
 * What the refusal of `<out>/<stack>` leaves of the last good render: the sweep puts a killed
 * render's moved-aside tree back only where nothing stands at `<out>/<stack>`.
 */
function keptPreviousTree(outRoot: string, stack: string): string {
  const old = fs.readdirSync(outRoot).filter((e) => isOldTree(e, stack));
  if (old.length === 0) return "";
  return `; the last render's tree, moved aside by a render killed mid-swap, is kept as ${path.join(outRoot, old[0])} and goes back into place at the next render once ${path.join(outRoot, stack)} is gone`;
}

/** A new, empty temporary tree beside `out/<stack>`, with the usual directory mode (mkdtemp's is 0700). */
export function makeTempTree(outRoot: string, stack: string): string {
  makeDirectories(outRoot);
  const dir = path.join(outRoot, `.${stack}+tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  fs.mkdirSync(dir);
  return dir;
}

/**
 * What killed renders left, swept under the lock: a previous tree moved aside by a render killed
 * before it put its own in place goes back (it is still the current output); other old trees go,
 * and so do temporary trees whose writer is gone (or, its pid reused, older than TMP_GRACE_MS).
 */
function sweep(outRoot: string, stack: string, target: string): void {
  const tmpPrefix = `.${stack}+tmp-`;
  for (const entry of fs.readdirSync(outRoot)) {
    const full = path.join(outRoot, entry);
    if (isOldTree(entry, stack)) {
      // lstat, not exists: a dangling symbolic link put at <out>/<stack> since is no room for the
      // tree (rename fails with ENOTDIR), and a link or file there is not a newer render: the tree
      // stays until checkOutputIsOurs's refusal of it is dealt with.
      const standing = fs.lstatSync(target, { throwIfNoEntry: false });
      if (!standing) fs.renameSync(full, target);
      else if (standing.isDirectory()) fs.rmSync(full, { recursive: true, force: true });
    } else if (entry.startsWith(tmpPrefix)) {
      const pid = Number(entry.slice(tmpPrefix.length).split("-")[0]);
      const writerGone = pid !== process.pid && !(Number.isInteger(pid) && processAlive(pid));
      if (writerGone || Date.now() - fs.statSync(full).mtimeMs > TMP_GRACE_MS) fs.rmSync(full, { recursive: true, force: true });
    }
  }
}

/**
 * Puts back the previous tree of a render killed mid-swap and sweeps other leftovers: run before a
 * render, so that even one that fails (a bad config) leaves `out/<stack>` as the last good render.
 */
export function recoverOutput(outRoot: string, stack: string): void {
  if (!fs.existsSync(outRoot)) return;
  const lock = acquireLock(outRoot, stack);
  try {
    sweep(outRoot, stack, path.join(outRoot, stack));
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/**
 * Puts `tmp` in place of `out/<stack>`, under the stack's lock; if the new tree cannot be put in
 * place, the previous one is put back before the error is thrown. SIGINT/SIGTERM/SIGHUP are held
 * meanwhile: a signal arriving while this (synchronous) swap runs would otherwise kill the process
 * between its two renames when no handler is installed, or, when one is, be seen only after the
 * render had already exited 0. It is delivered once the swap is over.
 */
export async function swapIntoPlace(tmp: string, outRoot: string, stack: string): Promise<string> {
  const target = path.join(outRoot, stack);
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  let received: NodeJS.Signals | undefined;
  const hold = (sig: NodeJS.Signals) => {
    received ??= sig;
  };
  for (const s of signals) process.on(s, hold);
  try {
    const lock = acquireLock(outRoot, stack);
    try {
      sweep(outRoot, stack, target);
      // Checked before the program ran, but a link or file may have been put there since.
      checkOutputIsOurs(outRoot, stack);
      const old = path.join(outRoot, `.${stack}+old-${process.pid}`);
      const hadTarget = fs.existsSync(target);
      if (hadTarget) fs.renameSync(target, old);
      try {
        fs.renameSync(tmp, target);
      } catch (err) {
        if (hadTarget) fs.renameSync(old, target);
        throw err;
      }
      if (hadTarget) fs.rmSync(old, { recursive: true, force: true });
    } finally {
      fs.rmSync(lock, { force: true });
    }
    // Signals that arrived during the swap reach their handlers on the next turns of the event loop.
    for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
    return target;
  } finally {
    for (const s of signals) process.off(s, hold);
    // Delivered now: to the handlers still installed (the policy pack's, which exits 130/143), or
    // with the default action.
    if (received) {
      if (process.listenerCount(received) > 0) process.emit(received, received);
      else process.kill(process.pid, received);
    }
  }
}
