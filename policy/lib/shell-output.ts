/**
 * Where a boot script's commands write their standard output, as bash 5.2 runs it: `exec` without a
 * command applies its redirections to the shell itself from then on (Bash Reference Manual 4.1,
 * exec), left to right (3.6 Redirections); `[n]>&digits` makes n a copy of that descriptor, `-`
 * closes it, `digit-` moves it (3.6.8 Duplicating, 3.6.9 Moving File Descriptors), `[n]<>word`
 * opens the file on n (3.6.10); a `{ …; }` group or `( … )` subshell's redirections apply to every
 * command of its list (3.2.5.3 Grouping Commands), and what an `exec` changes inside a subshell ends
 * with it (3.7.3 Command Execution Environment). The redirections of a compound command or a
 * function call are undone when it ends, each descriptor they set back to what it was (bash 5.2
 * execute_cmd.c: execute_command_internal's my_undo_list, execute_builtin_or_function's
 * saved_undo_list, kept only for `exec`), over whatever an `exec` inside set it to. Read by boot-scripts.ts.
 */
import { atCommandStart, OPERATOR, OWN, TARGET } from "./shell-commands";
import { Known, Structure, functionCalls, knownFunctions, shellFunctions, structure, topLevel } from "./shell-structure";
import { wordValue } from "./shell-values";

/** The descriptors a shell has open, each to the file it writes, or undefined for elsewhere (a terminal, a pipe, a file read). */
export type Descriptors = ReadonlyMap<string, string | undefined>;
type Fds = Map<string, string | undefined>;

/** A script's own descriptors when it starts: standard input, output and error, none a file. */
export const START: Descriptors = new Map([["0", undefined], ["1", undefined], ["2", undefined]]);

/**
 * Applies one redirection to `fds` as bash does, or returns false on a redirection error (which
 * ends the command's redirections); each descriptor it sets or closes goes into `touched`.
 */
function redirect(fds: Fds, fd: string | undefined, op: string, target: string, touched?: Set<string>): boolean {
  const n = fd ?? (op.startsWith("<") ? "0" : "1");
  if (op === ">&" || op === "<&") {
    const dup = /^(\d+)(-?)$/.exec(target);
    if (target === "-") fds.delete(n);
    else if (dup && fds.has(dup[1])) {
      fds.set(n, fds.get(dup[1]));
      // A move closes its source too, which the undo reopens (redir.c: r_move_output's r_close_this).
      if (dup[2]) fds.delete(dup[1]), touched?.add(dup[1]);
    } else if (op === ">&" && fd === undefined && !dup) fd = "&";
    else return false;
    if (fd !== "&") return touched?.add(n), true;
  }
  const file = op === "<" || op === "<&" ? undefined : wordValue(target);
  for (const d of fd === "&" ? ["1", "2"] : [n]) fds.set(d, file), touched?.add(d);
  return true;
}

/** Applies a command's own redirections (at the start of `after`) to `fds`, as bash does; a pipe after them takes its output. */
function applyOwn(fds: Fds, after: string, touched?: Set<string>): void {
  const own = OWN.exec(after)?.[0] ?? "";
  void [...own.matchAll(new RegExp(OPERATOR, "g"))].every(([, fd, op, target]) => redirect(fds, fd, op, target, touched));
  if (/^[ \t]*\|(?!\|)/.test(after.slice(own.length))) fds.set("1", undefined), touched?.add("1");
}

/**
 * Applies the redirections written after a command (`after`, from where its words end) to its
 * standard output: into `path` where `into` matches them, else as bash applies them over `fds`
 * (`>&3` a copy of descriptor 3, wherever an earlier exec opened it); the descriptors set go into `touched`.
 */
export function redirected(fds: Fds, after: string, into: RegExp, path: string, touched?: Set<string>): void {
  if (into.test(after)) fds.set("1", path), touched?.add("1");
  else applyOwn(fds, after, touched);
}

/** Sets each descriptor of `touched` back to what `before` held, as bash's undo list does. */
function restore(fds: Fds, before: Descriptors, touched: Iterable<string>): void {
  for (const n of touched) void (before.has(n) ? fds.set(n, before.get(n)) : fds.delete(n));
}

/** Makes `fds` what `to` holds. */
const replace = (fds: Fds, to: Descriptors) => restore(fds, to, new Set([...fds.keys(), ...to.keys()]));

/**
 * What runs at a place of the script and changes the descriptors after it: a group's redirections
 * where it opens, undone where it closes (a subshell's every change undone); an `exec`'s;
 * a function call's, with what its body leaves changed (`apply`).
 */
type Step = { at: number; close: number; subshell: boolean; after: string } | { at: number; apply: (fds: Fds) => void };

/**
 * Whether the command standing at `at` in `text`, its words ending at `end`, runs in a subshell of
 * its own: an element of a multi-command pipeline (`|`, `|&`; not `||`), or ended by `&` (not
 * `&&`), after its redirections (3.2.3 Pipelines, 3.2.4 Lists; `shopt -s lastpipe` not read).
 */
function apart(text: string, at: number, end: number): boolean {
  const after = text.slice(end);
  return /(?:^|[^|])\|\s*$/.test(text.slice(Math.max(0, at - 256), at)) || /^[ \t]*(?:\|(?!\|)|&(?!&))/.test(after.slice(OWN.exec(after)?.[0].length ?? 0));
}

/**
 * The steps of a text: its groups (one in a pipeline or the background a subshell), and each `exec`
 * without a command and each function call (but one in a pipeline or the background) at a
 * command's start outside every function body (a body runs where its function is called: 3.3 Shell
 * Functions), of a function it defines or an `outer` one. A call runs its body (with the
 * redirections written after it, and the calls in it) over the descriptors there with the call's
 * own redirections applied, then undoes those; a call of a function being called (`seen`) is not followed.
 */
function steps(text: string, s: Structure, into: RegExp, path: string, outer: Known[], seen: string[]): Step[] {
  const functions = shellFunctions(text, s);
  const outside = (i: number) => !functions.some((f) => f.body.open < i && i < f.body.close);
  const only = new RegExp(String.raw`^(?:[ \t]+(?:\d+|&)?(?:<>|>>|>\||>&|<&|>|<)[ \t]*(?:${TARGET}))+[ \t]*(?=$|[\n;&#)])`);
  const out: Step[] = s.groups.map((g) => ({ at: g.open, close: g.close, subshell: g.subshell || apart(text, g.open, g.close + 1), after: text.slice(g.close + 1) }));
  for (const m of text.matchAll(/\bexec\b/g)) {
    if (!atCommandStart(text, m.index!) || !topLevel(s, m.index!) || !outside(m.index!)) continue;
    const redirections = only.exec(text.slice(m.index! + 4));
    if (!redirections) continue;
    const each = [...redirections[0].matchAll(new RegExp(OPERATOR, "g"))];
    out.push({ at: m.index!, apply: (fds) => void each.every(([, fd, op, target]) => redirect(fds, fd, op, target)) });
  }
  const known = knownFunctions(text, s, outer);
  for (const call of functionCalls(text, s, outer, seen).filter((c) => outside(c.at) && !apart(text, c.at, c.end))) {
    let body: ((at: number, start?: Descriptors) => Descriptors) | undefined;
    out.push({
      at: call.at,
      apply: (fds) => {
        const [before, touched] = [new Map(fds), new Set<string>()];
        redirected(fds, text.slice(call.end), into, path, touched);
        body ??= outputAt(call.run, into, path, structure(call.run), known, [...seen, call.name]);
        replace(fds, body(call.run.length, fds));
        restore(fds, before, touched);
      },
    });
  }
  return out.sort((a, b) => a.at - b.at);
}

/**
 * Where the standard output of a command at a position of `text` goes, given the descriptors the
 * text starts with: the steps before it run in order, a group's redirections applied where it
 * opens (into `path` when they match `into`) and undone where it closes.
 */
export function outputAt(text: string, into: RegExp, path: string, s = structure(text), outer: Known[] = [], seen: string[] = []): (at: number, start?: Descriptors) => Descriptors {
  const all = steps(text, s, into, path, outer, seen);
  return (at, start = START) => {
    const fds: Fds = new Map(start);
    const open: { close: number; before: Descriptors; touched?: Set<string> }[] = [];
    const unwind = (to: number) => {
      for (let g = open[open.length - 1]; g && g.close < to; g = open[open.length - 1]) {
        open.pop();
        if (g.touched) restore(fds, g.before, g.touched);
        else replace(fds, g.before);
      }
    };
    for (const step of all.filter((x) => x.at < at)) {
      unwind(step.at);
      if ("apply" in step) step.apply(fds);
      else {
        const [before, touched] = [new Map(fds), new Set<string>()];
        redirected(fds, step.after, into, path, touched);
        open.push({ close: step.close, before, touched: step.subshell ? undefined : touched });
      }
    }
    unwind(at);
    return fds;
  };
}

/**
 * For the echo/printf commands of `text` (`from` where their words start, `end` where the command
 * ends), whether their standard output goes into the file `path` (outputAt, `outer` and `seen` as
 * there), the text starting with the descriptors `start` (a function's body, those of its call),
 * with the command's own redirections applied over them.
 */
export function stdoutTo(text: string, into: RegExp, path: string, start: Descriptors = START, s = structure(text), outer: Known[] = [], seen: string[] = []): (run: { from: number; end: number }) => boolean {
  const at = outputAt(text, into, path, s, outer, seen);
  return ({ from, end }) => {
    const word = /(?:printf|echo)[ \t]+$/.exec(text.slice(Math.max(0, from - 64), from));
    const begin = from - (word?.[0].length ?? 0);
    if (!word || !topLevel(s, begin) || !atCommandStart(text, begin)) return false;
    const fds = new Map(at(begin, start));
    applyOwn(fds, text.slice(end));
    return fds.get("1") === path;
  };
}
