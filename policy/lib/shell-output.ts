/**
 * Where a boot script's commands write their standard output, as bash 5.2 runs it: `exec` without a
 * command applies its redirections to the shell itself from then on (Bash Reference Manual 4.1,
 * exec), left to right (3.6 Redirections); `[n]>&digits` makes n a copy of that descriptor, `-`
 * closes it, `digit-` moves it (3.6.8 Duplicating, 3.6.9 Moving File Descriptors), `[n]<>word`
 * opens the file on n (3.6.10); a `{ …; }` group or `( … )` subshell's redirections apply to every
 * command of its list (3.2.5.3 Grouping Commands), and what an `exec` changes inside a subshell ends
 * with it (3.7.3 Command Execution Environment). Read by boot-scripts.ts.
 */
import { atCommandStart } from "./shell-commands";
import { Group, Structure, enclosing, shellFunctions, structure, topLevel } from "./shell-structure";
import { wordValue } from "./shell-values";

/** The descriptors a shell has open, each to the file it writes, or undefined for elsewhere (a terminal, a pipe, a file read). */
export type Descriptors = ReadonlyMap<string, string | undefined>;

/** A script's own descriptors when it starts: standard input, output and error, none a file. */
export const START: Descriptors = new Map([["0", undefined], ["1", undefined], ["2", undefined]]);

/** A change to the descriptors from `at` on, for the commands inside `scope` (everywhere after `at` when none). */
interface Change {
  at: number;
  scope?: Group;
  apply: (fds: Map<string, string | undefined>) => void;
}

const TARGET = String.raw`"[^"\n]*"|'[^'\n]*'|[^\s;&|<>()]+`;
const OPERATOR = String.raw`(\d+|&)?(<>|>>|>\||>&|<&|>|<)[ \t]*(${TARGET})`;

/** Applies one redirection to `fds` as bash does, or returns false on a redirection error (which ends the command's redirections). */
function redirect(fds: Map<string, string | undefined>, fd: string | undefined, op: string, target: string): boolean {
  const n = fd ?? (op.startsWith("<") ? "0" : "1");
  if (op === ">&" || op === "<&") {
    const dup = /^(\d+)(-?)$/.exec(target);
    if (target === "-") fds.delete(n);
    else if (dup && fds.has(dup[1])) {
      fds.set(n, fds.get(dup[1]));
      if (dup[2]) fds.delete(dup[1]);
    } else if (op === ">&" && fd === undefined && !dup) fd = "&";
    else return false;
    if (fd !== "&") return true;
  }
  const file = op === "<" || op === "<&" ? undefined : wordValue(target);
  for (const d of fd === "&" ? ["1", "2"] : [n]) fds.set(d, file);
  return true;
}

/**
 * Each `exec` without a command at a command's start: its redirections, scoped to the subshell
 * holding it. One in a function's body takes effect where the function is called, not where it is
 * defined, and stays after the call in the calling shell unless a subshell holds it (3.3 Shell
 * Functions: run in the current shell; 3.7.3); a call inside another body is left to that body's reading.
 */
function execChanges(text: string, s: Structure): Change[] {
  const out: Change[] = [];
  const functions = shellFunctions(text, s);
  const inBody = (i: number) => functions.filter((f) => f.body.open < i && i < f.body.close).sort((a, b) => b.body.open - a.body.open);
  const only = new RegExp(String.raw`^(?:[ \t]+(?:\d+|&)?(?:<>|>>|>\||>&|<&|>|<)[ \t]*(?:${TARGET}))+[ \t]*(?=$|[\n;&#)])`);
  for (const m of text.matchAll(/\bexec\b/g)) {
    if (!atCommandStart(text, m.index!) || !topLevel(s, m.index!)) continue;
    const redirections = only.exec(text.slice(m.index! + 4));
    if (!redirections) continue;
    const scope = enclosing(s, m.index!).find((g) => g.subshell);
    const each = [...redirections[0].matchAll(new RegExp(OPERATOR, "g"))];
    const apply = (fds: Map<string, string | undefined>) => void each.every(([, fd, op, target]) => redirect(fds, fd, op, target));
    const owner = inBody(m.index!)[0];
    if (!owner) out.push({ at: m.index!, scope, apply });
    // Only an exec the body's own shell runs (no subshell between them) reaches the caller.
    else if (!scope || scope.open < owner.body.open) {
      for (const call of owner.calls.filter((c) => !inBody(c.at).length)) out.push({ at: call.at, scope: enclosing(s, call.at).find((g) => g.subshell), apply });
    }
  }
  return out;
}

/** A command's own redirections, at the start of what follows its words. */
const OWN = new RegExp(String.raw`^(?:[ \t]*(?:\d+|&)?(?:<>|>>|>\||>&|<&|>|<)[ \t]*(?:${TARGET}))+`);

/** Applies a command's own redirections (at the start of `after`) to `fds`, as bash does; a pipe after them takes its output. */
function applyOwn(fds: Map<string, string | undefined>, after: string): void {
  const own = OWN.exec(after)?.[0] ?? "";
  void [...own.matchAll(new RegExp(OPERATOR, "g"))].every(([, fd, op, target]) => redirect(fds, fd, op, target));
  if (/^[ \t]*\|(?!\|)/.test(after.slice(own.length))) fds.set("1", undefined);
}

/**
 * Applies the redirections written after a command (`after`, from where its words end) to its
 * standard output: into `path` where `into` matches them, else as bash applies them over `fds`
 * (`>&3` a copy of descriptor 3, wherever an earlier exec opened it).
 */
export function redirected(fds: Map<string, string | undefined>, after: string, into: RegExp, path: string): void {
  if (into.test(after)) fds.set("1", path);
  else applyOwn(fds, after);
}

/**
 * Where the standard output of a command at a position of `text` goes, given the descriptors the
 * text starts with: into `path` when a group holding it is redirected as `into` matches (after the
 * group's close), elsewhere when the group redirects it otherwise, and as each `exec` before it
 * that reaches it leaves it; later changes decide over earlier ones, an inner group over an outer.
 */
export function outputAt(text: string, into: RegExp, path: string, s: Structure = structure(text)): (at: number, start?: Descriptors) => Descriptors {
  const groups: Change[] = s.groups.map((g) => ({ at: g.open, scope: g, apply: (fds) => redirected(fds, text.slice(g.close + 1), into, path) }));
  const changes = [...groups, ...execChanges(text, s)].sort((a, b) => a.at - b.at);
  return (at, start = START) => {
    const fds = new Map(start);
    for (const c of changes) if (c.at < at && (!c.scope || (c.scope.open < at && at < c.scope.close))) c.apply(fds);
    return fds;
  };
}

/**
 * For the echo/printf commands of `text` (`from` where their words start, `end` where the command
 * ends), whether their standard output goes into the file `path` (outputAt), the text starting
 * with the descriptors `start` (a function's body, those of its call), with the command's own
 * redirections applied over them.
 */
export function stdoutTo(text: string, into: RegExp, path: string, start: Descriptors = START, s = structure(text)): (run: { from: number; end: number }) => boolean {
  const at = outputAt(text, into, path, s);
  return ({ from, end }) => {
    const word = /(?:printf|echo)[ \t]+$/.exec(text.slice(Math.max(0, from - 64), from));
    const begin = from - (word?.[0].length ?? 0);
    if (!word || !topLevel(s, begin) || !atCommandStart(text, begin)) return false;
    const fds = new Map(at(begin, start));
    applyOwn(fds, text.slice(end));
    return fds.get("1") === path;
  };
}
