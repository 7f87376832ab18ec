/**
 * Where a boot script's commands write their standard output, as bash 5.2 runs it: `exec` without a
 * command applies its redirections to the shell itself from then on (Bash Reference Manual 4.1,
 * exec), left to right (3.6 Redirections); `[n]>&digits` makes n a copy of that descriptor, `-`
 * closes it, `digit-` moves it (3.6.8 Duplicating, 3.6.9 Moving File Descriptors), `[n]<>word`
 * opens the file on n (3.6.10); a `{ …; }` group or `( … )` subshell's redirections apply to every
 * command of its list (3.2.5.3 Grouping Commands), those written after an `if`'s `fi`, a `case`'s
 * `esac` or a loop's `done` to all it runs (3.2.5), and what an `exec` changes inside a subshell ends
 * with it (3.7.3 Command Execution Environment). The redirections of a compound command or a
 * function call are undone when it ends, each descriptor they set back to what it was (bash 5.2
 * execute_cmd.c: execute_command_internal's my_undo_list, execute_builtin_or_function's
 * saved_undo_list, kept only for `exec`), over whatever an `exec` inside set it to; an `exec` one of
 * whose redirections fails changes nothing (undo_partial_redirects). Each path the script's control
 * flow may take (shell-flow.ts) is run apart: where output goes is each way it may go. Read by boot-scripts.ts.
 */
import { atCommandStart, OPERATOR, OWN, TARGET } from "./shell-commands";
import { enclosing, Known, Structure, functionCalls, knownFunctions, shellFunctions, structure, topLevel } from "./shell-structure";
import { Flow, flows, lastpipeOn, Options, optionsAt, SCRIPT_OPTIONS } from "./shell-flow";
import { wordValue } from "./shell-words";
import { dashRedirections, dashRuns } from "./shell-dialect";

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

/** A command's own redirections at the start of `after`, as bash reads them or, `dash`, dash (up to an `&>`: shell-dialect.ts). */
const ownRedirections = (after: string, dash = false): string => ((own) => (dash ? dashRedirections(own) : own))(OWN.exec(after)?.[0] ?? "");

/** Applies a command's own redirections (at the start of `after`) to `fds`, as bash (or, `dash`, dash) does; a pipe after them takes its output. */
function applyOwn(fds: Fds, after: string, touched?: Set<string>, dash = false): void {
  const own = ownRedirections(after, dash);
  void [...own.matchAll(new RegExp(OPERATOR, "g"))].every(([, fd, op, target]) => redirect(fds, fd, op, target, touched));
  if (/^[ \t]*\|(?!\|)/.test(after.slice(own.length))) fds.set("1", undefined), touched?.add("1");
}

/**
 * Applies the redirections written after a command (`after`, from where its words end) to its
 * standard output: into `path` where `into` matches them, else as bash applies them over `fds`
 * (`>&3` a copy of descriptor 3, wherever an earlier exec opened it); the descriptors set go into `touched`.
 */
export function redirected(fds: Fds, after: string, into: RegExp, path: string, touched?: Set<string>, dash = false): void {
  if (into.test(after)) fds.set("1", path), touched?.add("1");
  else applyOwn(fds, after, touched, dash);
}

/** Sets each descriptor of `touched` back to what `before` held, as bash's undo list does. */
function restore(fds: Fds, before: Descriptors, touched: Iterable<string>): void {
  for (const n of touched) void (before.has(n) ? fds.set(n, before.get(n)) : fds.delete(n));
}

/** Makes `fds` what `to` holds. */
const replace = (fds: Fds, to: Descriptors) => restore(fds, to, new Set([...fds.keys(), ...to.keys()]));

/**
 * What runs at a place of the script and changes the descriptors after it: a group's redirections
 * where it opens, undone where it closes (a subshell's every change undone); an `exec`'s; a
 * function call's, with what its body leaves changed (`apply`, each way it may leave them). One
 * that may run in a subshell or not (a pipeline's last element, `shopt -s lastpipe` maybe on) is `maybe`.
 */
type Step = { at: number } & ({ close: number; subshell: boolean | "maybe"; after: string; dash: boolean } | { apply: (fds: Fds) => Descriptors[]; maybe: boolean });

/**
 * Whether the command standing at `at` in `text`, its words ending at `end`, runs in a subshell of
 * its own: an element of a multi-command pipeline (`|`, `|&`; not `||`), or ended by `&` (not
 * `&&`), after its redirections (3.2.3 Pipelines, 3.2.4 Lists); the last element of a pipeline
 * runs in the shell where `lastpipe` is on (4.3.2), "maybe" where it may be.
 */
function apart(text: string, at: number, end: number, lastpipe: boolean | "maybe", dash = false): boolean | "maybe" {
  const after = text.slice(end);
  if (/^[ \t]*(?:\|(?!\|)|&(?!&))/.test(after.slice(ownRedirections(after, dash).length))) return true;
  return /(?:^|[^|])\|\s*$/.test(text.slice(Math.max(0, at - 256), at)) && (lastpipe === "maybe" ? "maybe" : !lastpipe);
}

/**
 * The shell options (shell-flow.ts Options) at each place of a text starting with `start`: a
 * `shopt` or `set` reaches a place unless a subshell or function body holding it ends before, and
 * one in a body reaches what follows each call of it run in the shell (not in a pipeline or the background).
 */
export function shellOptions(text: string, s: Structure, all: Flow[], start: Options): (at: number) => Options {
  const functions = shellFunctions(text, s);
  const reaches = (at: number) => (i: number) => enclosing(s, i).every((g) => (!g.subshell && !functions.some((f) => f.body === g)) || (g.open < at && at < g.close));
  const read = optionsAt(text, all, functions.map((f) => ({ body: f.body, calls: f.calls.filter((c) => apart(text, c.at, c.end, false) === false) })), start);
  return (at) => read(at, reaches(at));
}

/**
 * The steps of a text: its groups (one in a pipeline or the background a subshell), and each `exec`
 * without a command and each function call (but one in a pipeline or the background) at a
 * command's start outside every function body (a body runs where its function is called: 3.3 Shell
 * Functions), of a function it defines or an `outer` one. A call runs its body (with the
 * redirections written after it, and the calls in it) over the descriptors there with the call's
 * own redirections applied, then undoes those; a call of a function being called (`seen`) is not
 * followed. An `exec` one of whose redirections fails changes nothing: bash 5.2 undoes those
 * before it (execute_cmd.c execute_builtin_or_function, undo_partial_redirects).
 */
function steps(text: string, s: Structure, all: Flow[], into: RegExp, path: string, outer: Known[], seen: string[], start: Options): Step[] {
  const functions = shellFunctions(text, s);
  const outside = (i: number) => !functions.some((f) => f.body.open < i && i < f.body.close);
  const options = shellOptions(text, s, all, start);
  const away = (at: number, end: number) => apart(text, at, end, lastpipeOn(options(at)), options(at).dash);
  const only = new RegExp(String.raw`^(?:[ \t]+(?:\d+|&)?(?:<>|>>|>\||>&|<&|>|<)[ \t]*(?:${TARGET}))+[ \t]*(?=$|[\n;&#)|])`);
  const dash = (at: number) => options(at).dash === true;
  const out: Step[] = s.groups.map((g) => ({ at: g.open, close: g.close, subshell: g.subshell || away(g.open, g.close + 1), after: text.slice(g.close + 1), dash: dash(g.open) }));
  // A compound command's redirections after its `fi`, `done` or `esac` apply as a group's (3.2.5, 3.6).
  for (const f of all) if (f.compound) out.push({ at: f.at, close: f.end - 1, subshell: away(f.at, f.end), after: text.slice(f.end), dash: dash(f.at) });
  for (const m of text.matchAll(/\bexec\b/g)) {
    if (!atCommandStart(text, m.index!) || !topLevel(s, m.index!) || !outside(m.index!)) continue;
    const redirections = only.exec(text.slice(m.index! + 4));
    const piped = away(m.index!, m.index! + 4);
    // Under dash an `&>` sends the exec to the background, where its redirections end with it.
    if (!redirections || piped === true || (dash(m.index!) && /&>/.test(redirections[0]))) continue;
    const each = [...redirections[0].matchAll(new RegExp(OPERATOR, "g"))];
    out.push({
      at: m.index!,
      maybe: piped === "maybe",
      apply: (fds) => {
        const after = new Map(fds);
        return [each.every(([, fd, op, target]) => redirect(after, fd, op, target)) ? after : fds];
      },
    });
  }
  const known = knownFunctions(text, s, outer);
  for (const call of functionCalls(text, s, outer, seen).filter((c) => outside(c.at))) {
    const piped = away(call.at, call.end);
    if (piped === true) continue;
    let body: ((at: number, start?: Descriptors) => Descriptors[]) | undefined;
    out.push({
      at: call.at,
      maybe: piped === "maybe",
      apply: (fds) => {
        const [entry, touched] = [new Map(fds), new Set<string>()];
        redirected(entry, text.slice(call.end), into, path, touched, dash(call.at));
        body ??= outputAt(call.run, into, path, structure(call.run), known, [...seen, call.name], options(call.at));
        return body(call.run.length, entry).map((left) => {
          const after = new Map(left);
          restore(after, fds, touched);
          return after;
        });
      },
    });
  }
  return out.sort((a, b) => a.at - b.at);
}

/** A group open on a path: where it closes, the descriptors before it, and those its redirections set (none for a subshell: all undone). */
type Open = { close: number; before: Descriptors; touched?: Set<string> };

/** One way the script may have run up to a place: its descriptors and the groups open there. */
type Path = { fds: Fds; open: Open[] };

/** How many ways of running are kept apart; more are merged away (a script branching past this is rare). */
const PATHS = 256;

const key = (p: Path) => JSON.stringify([[...p.fds].sort(), p.open.map((o) => [o.close, [...o.before].sort(), o.touched && [...o.touched].sort()])]);

/** The paths without repeats. */
function distinct(paths: Path[]): Path[] {
  const seen = new Map<string, Path>();
  for (const p of paths) if (!seen.has(key(p))) seen.set(key(p), p);
  return [...seen.values()].slice(0, PATHS);
}

/** Closes, on a path, the groups that end before `to`, each setting back what its redirections (or, a subshell, anything) changed. */
function unwind(p: Path, to: number): void {
  for (let g = p.open[p.open.length - 1]; g && g.close < to; g = p.open[p.open.length - 1]) {
    p.open.pop();
    if (g.touched) restore(p.fds, g.before, g.touched);
    else replace(p.fds, g.before);
  }
}

/** Runs a step on each path: each way it may leave the descriptors. */
function runStep(paths: Path[], step: Step, into: RegExp, path: string): Path[] {
  return paths.flatMap((p) => {
    unwind(p, step.at);
    if ("apply" in step) return [...(step.maybe ? [p] : []), ...step.apply(p.fds).map((fds) => ({ fds: new Map(fds), open: [...p.open] }))];
    const [fds, touched] = [new Map(p.fds), new Set<string>()];
    redirected(fds, step.after, into, path, touched, step.dash);
    const as = (subshell: boolean) => ({ fds: new Map(fds), open: [...p.open, { close: step.close, before: new Map(p.fds), touched: subshell ? undefined : touched }] });
    return step.subshell === "maybe" ? [as(true), as(false)] : [as(step.subshell)];
  });
}

/**
 * Where the standard output of a command at a position of `text` goes, given the descriptors the
 * text starts with: each way it may go (one a path bash may take), the steps before it run in
 * order, a group's redirections applied where it opens (into `path` when they match `into`) and
 * undone where it closes, each conditional part (shell-flow.ts) run one way or another.
 */
export function outputAt(text: string, into: RegExp, path: string, s = structure(text), outer: Known[] = [], seen: string[] = [], options = SCRIPT_OPTIONS): (at: number, start?: Descriptors) => Descriptors[] {
  const all = flows(text, s);
  const list = steps(text, s, all, into, path, outer, seen, options);
  // Runs the steps and flows in [from, to) before `at` over `paths`, leaving out the flows `within` (those being run).
  const run = (paths: Path[], from: number, to: number, at: number, within: Flow[]): Path[] => {
    const stop = Math.min(to, at);
    const top: Flow[] = [];
    for (const f of all) if (f.at >= from && f.at < stop && f.end <= to && !within.includes(f) && !top.some((g) => g.at <= f.at && f.end <= g.end)) top.push(f);
    const events = [...top, ...list.filter((x) => x.at >= from && x.at < stop && !top.some((f) => f.at <= x.at && x.at < f.end))].sort((a, b) => a.at - b.at);
    let cur = paths;
    for (const e of events) cur = "arms" in e ? flow(cur, e, at, [...within, e]) : runStep(cur, e, into, path);
    for (const p of cur) unwind(p, stop);
    return distinct(cur);
  };
  const copy = (paths: Path[]) => paths.map((p) => ({ fds: new Map(p.fds), open: [...p.open] }));
  // A flow over `paths`: its head, then one of its arms or none (a loop's arm any number of times), up to `at`.
  const flow = (paths: Path[], f: Flow, at: number, within: Flow[]): Path[] => {
    const heads = run(paths, f.head[0], f.head[1], at, within);
    if (at <= f.head[1]) return heads;
    const holding = f.arms.filter(([a, b]) => a <= at && at < b);
    if (f.loop) {
      let entry = heads;
      for (let pass = 0; pass < 8; pass++) {
        const next = distinct([...entry, ...run(copy(entry), f.arms[0][0], f.arms[0][1], Infinity, within)]);
        if (next.length === entry.length) break;
        entry = next;
      }
      return holding.length > 0 ? run(copy(entry), f.arms[0][0], f.arms[0][1], at, within) : entry;
    }
    const arms = holding.length > 0 ? holding : f.arms;
    return distinct([...arms.flatMap(([a, b]) => run(copy(heads), a, b, at, within)), ...(holding.length > 0 || f.exhaustive ? [] : heads)]);
  };
  return (at, start = START) => run([{ fds: new Map(start), open: [] }], 0, Infinity, at, []).map((p) => p.fds);
}

/**
 * For the echo/printf commands of `text` (`from` where their words start, `end` where the command
 * ends), whether their standard output goes into the file `path` (outputAt, `outer` and `seen` as
 * there), the text starting with the descriptors `start` (a function's body, those of its call),
 * with the command's own redirections applied over them.
 */
export function stdoutTo(text: string, into: RegExp, path: string, start: Descriptors = START, s = structure(text), outer: Known[] = [], seen: string[] = [], options = SCRIPT_OPTIONS): (run: { from: number; end: number }) => boolean {
  const at = outputAt(text, into, path, s, outer, seen, options);
  const dash = dashRuns(text, options.dash, options.sh);
  return ({ from, end }) => {
    const word = /(?:printf|echo)[ \t]+$/.exec(text.slice(Math.max(0, from - 64), from));
    const begin = from - (word?.[0].length ?? 0);
    if (!word || !topLevel(s, begin) || !atCommandStart(text, begin)) return false;
    return at(begin, start).some((before) => {
      const fds = new Map(before);
      applyOwn(fds, text.slice(end), undefined, dash(begin));
      return fds.get("1") === path;
    });
  };
}
