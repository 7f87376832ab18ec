/**
 * A boot script's control flow, as bash 5.2 runs it: which parts of it may run or not, and which
 * run again. `if list; then list; [elif list; then list;]… [else list;] fi` runs one branch or,
 * without `else`, none (Bash Reference Manual 3.2.5.2); `case` runs the clause whose pattern
 * matches, or none without a `*)` clause, `;&` going on into the next clause's list and `;;&`
 * testing the next patterns (read as may go on); `while`/`until`/`for`/`select` run their body
 * none or many times (3.2.5.1, the `while`/`until` test with it); the command after `&&` or `||`
 * runs only as the one before it ends (3.2.4 Lists). And whether `shopt -s lastpipe` is on, under
 * which, job control being off in a script (until `set -m`, one after a `local -` in a function's
 * body lasting only to its return), a pipeline's last element runs in the shell itself (3.2.3
 * Pipelines, 4.3.2 lastpipe). Read by shell-output.ts.
 */
import { atCommandStart, CaseFrame, caseReads, reserved } from "./shell-commands";
import { walk } from "./shell-scan";
import { CALL_DEPTH, Group, Structure } from "./shell-structure";
import { dashRuns } from "./shell-dialect";

/**
 * A part of a script that runs conditionally: from `at` to `end`, its `head` (an `if`'s or `case`'s
 * test, run first), then one of its `arms` or (unless `exhaustive`) none; a `loop` runs its one arm
 * any number of times. The arms are [from, to) spans of the text. A `compound` one is a whole
 * compound command (`if`…`fi`, `case`…`esac`, a loop to its `done`: not an `elif`'s nor an `&&` arm),
 * whose redirections, written after its end, apply to all it runs (3.2.5 Compound Commands).
 */
export interface Flow {
  at: number;
  end: number;
  head: [number, number];
  arms: [number, number][];
  exhaustive: boolean;
  loop: boolean;
  compound: boolean;
}

type Mark = { word: string; at: number };
/** An open `case`, with its clauses read so far (each [from, to), and whether it goes on into the next) and where its current pattern started. */
type Case = CaseFrame & { arms?: [number, number][]; falls?: boolean[]; open?: number; from?: number; star?: boolean };
type Frame = { kind: "if"; at: number; marks: Mark[] } | { kind: "loop"; at: number; body?: number } | Case;

const LOOPS = ["while", "until", "for", "select"];

/** The flow of an `if` from its marks (then, elif, else, fi), its `elif`s each the flow of its own arm. */
function ifFlows(at: number, marks: Mark[], out: Flow[], compound = true): void {
  const then = marks.findIndex((m) => m.word === "then");
  const next = marks.findIndex((m, i) => i > then && m.word !== "then");
  if (then < 0 || next < 0) return;
  const fi = marks[marks.length - 1].at;
  const rest = marks[next];
  const arms: [number, number][] = [[marks[then].at + 4, rest.at]];
  if (rest.word === "elif") ifFlows(rest.at, marks.slice(next + 1), out, false), arms.push([rest.at, fi + 2]);
  else if (rest.word === "else") arms.push([rest.at + 4, fi]);
  out.push({ at, end: fi + 2, head: [at, marks[then].at], arms, exhaustive: rest.word !== "fi", loop: false, compound });
}

/** The conditional parts of a script (Flow), outer ones before those they hold; `s` for its groups (a `&&`'s command may be one). */
export function flows(text: string, s: Structure): Flow[] {
  const out: Flow[] = [];
  const stack: Frame[] = [];
  const start = (j: number) => atCommandStart(text, j);
  for (const i of walk(text, { comments: true, heredocs: true, unclosed: "rest" })) {
    if (typeof i !== "number") continue;
    const top = stack[stack.length - 1];
    const c = top?.kind === "case" ? (top as Case) : undefined;
    const wasPattern = c?.pattern;
    if (caseReads(text, i, stack as { kind: string }[], start)) {
      const now = stack[stack.length - 1] as Case | undefined;
      if (now?.kind === "case" && now !== c && now.arms === undefined) Object.assign(now, { arms: [], falls: [], star: false });
      if (!c || !c.arms || !c.falls) continue;
      if (now !== c) {
        // esac: the clause still open ends here.
        if (c.open !== undefined) c.arms.push([c.open, i]), c.falls.push(false);
        out.push({ at: c.at, end: i + 4, head: [c.at, c.arms[0]?.[0] ?? i], arms: fallThrough(c.arms, c.falls), exhaustive: !!c.star, loop: false, compound: true });
      } else if (!wasPattern && c.pattern) {
        // `in`, or a clause's `;;`, `;&`, `;;&`: a pattern starts.
        if (c.open !== undefined) c.arms.push([c.open, i]), c.falls.push(/^;(?:&|;&)/.test(text.slice(i, i + 3)));
        [c.open, c.from] = [undefined, i];
      } else if (wasPattern && !c.pattern) {
        const words = text.slice(c.from ?? i, i).replace(/^(?:in|;;&|;;|;&)/, "").trim().replace(/^\(/, "").split("|");
        c.star ||= words.some((w) => w.trim() === "*");
        c.open = i + 1;
      }
      continue;
    }
    // A reserved word where a command starts (its own word first: the cheaper test).
    const word = ["if", "then", "elif", "else", "fi", "do", "done", ...LOOPS].find((w) => reserved(text, i, w));
    if (!word || !start(i)) continue;
    if (word === "if") stack.push({ kind: "if", at: i, marks: [] });
    else if (LOOPS.includes(word)) stack.push({ kind: "loop", at: i, body: word === "while" || word === "until" ? i + word.length : undefined });
    else if (top?.kind === "if" && word !== "do" && word !== "done") {
      top.marks.push({ word, at: i });
      if (word === "fi") stack.pop(), ifFlows(top.at, top.marks, out);
    } else if (top?.kind === "loop" && word === "do") top.body ??= i + 2;
    else if (top?.kind === "loop" && word === "done") {
      stack.pop();
      const body = top.body ?? i;
      out.push({ at: top.at, end: i + 4, head: [top.at, body], arms: [[body, i]], exhaustive: false, loop: true, compound: true });
    }
  }
  out.push(...andOr(text, s, out));
  return out.sort((a, b) => a.at - b.at || b.end - a.end);
}

/** A case's arms, a clause ended by `;&` or `;;&` (`falls`) also run on into the next ones (read as may). */
function fallThrough(arms: [number, number][], falls: boolean[]): [number, number][] {
  return arms.flatMap((a, k) => {
    let last = k;
    while (falls[last] && last + 1 < arms.length) last++;
    return last > k ? [a, [a[0], arms[last][1]] as [number, number]] : [a];
  });
}

/** The command after each `&&` and `||` (up to its group's or compound command's end), each an arm that may not run. */
function andOr(text: string, s: Structure, compound: Flow[]): Flow[] {
  const out: Flow[] = [];
  for (const i of walk(text, { comments: true, heredocs: true, unclosed: "rest" })) {
    if (typeof i !== "number" || !/^(?:&&|\|\|)/.test(text.slice(i, i + 2)) || (i > 0 && /[&|]/.test(text[i - 1]))) continue;
    const at = i + 2 + (/^\s*/.exec(text.slice(i + 2))?.[0].length ?? 0);
    const end = s.groups.find((g) => g.open === at)?.close ?? compound.find((f) => f.at === at)?.end ?? at;
    out.push({ at, end: end + 1, head: [at, at], arms: [[at, end + 1]], exhaustive: false, loop: false, compound: false });
  }
  return out;
}

/** A command turning an option on or off (or maybe: in a branch of a function's body called there), where it stands. */
type Change = { at: number; on: boolean | "maybe" };

/** The `shopt -s`/`-u` commands naming `lastpipe` (4.3.2 The Shopt Builtin). */
const lastpipeChanges = (text: string): Change[] =>
  [...text.matchAll(/\bshopt[ \t]+-([su])\b[^\n;&|)]*\blastpipe\b/g)].map((m) => ({ at: m.index!, on: m[1] === "s" }));

/**
 * The `set` commands turning job control on or off (4.3.1 The Set Builtin): `m` in a `-`/`+` option
 * word (`-m`, `-eum`), or `monitor` after one holding `o` (`-o monitor`, `-eo monitor`), the last
 * one written deciding; `--`, `-` or a word that is no option ends the options.
 */
function monitorChanges(text: string): Change[] {
  const out: Change[] = [];
  for (const m of text.matchAll(/\bset[ \t]+([^\n;&|)#]*)/g)) {
    const words = m[1].trim().split(/[ \t]+/);
    let on: boolean | undefined;
    for (let k = 0; k < words.length; k++) {
      const w = /^([-+])([a-zA-Z]+)$/.exec(words[k]);
      if (!w) break;
      if (w[2].includes("m")) on = w[1] === "-";
      if (w[2].includes("o") && words[k + 1] !== undefined) if (words[++k] === "monitor") on = w[1] === "-";
    }
    if (on !== undefined) out.push({ at: m.index!, on });
  }
  return out;
}

/**
 * Where `local -` stands at a command's start: in a function's body it saves the `set` options
 * (job control among them), restored when the function returns (4.2 Bash Builtins, local; bash
 * 5.2.15: `f(){ local -; set -m; }; f; echo $-` shows no m). shopt's options, lastpipe among them, are not saved.
 */
const localDashes = (text: string): number[] =>
  [...text.matchAll(/\blocal[ \t]+-(?=[ \t]*(?:$|[\n;&|)#]))/gm)].map((m) => m.index!).filter((i) => atCommandStart(text, i));

/** A shell function's body and the calls of it that run in the shell itself (not in a pipeline or the background). */
export type Called = { body: Group; calls: { at: number }[] };

/**
 * The changes, each also at every call of the function whose body makes it (the body runs there:
 * 3.3 Shell Functions), as "maybe" where it stands in a branch of the body; a call in another
 * body followed likewise, CALL_DEPTH deep.
 */
function throughCalls(changes: Change[], functions: Called[], all: Flow[], saved: number[] = []): Change[] {
  let out = changes;
  let frontier = changes;
  for (let depth = 0; depth < CALL_DEPTH && frontier.length > 0; depth++) {
    frontier = frontier.flatMap((c) => {
      const f = functions.filter((g) => g.body.open < c.at && c.at < g.body.close).sort((a, b) => b.body.open - a.body.open)[0];
      if (!f) return [];
      const inArm = (i: number) => all.some((x) => x.at > f.body.open && x.arms.some(([from, to]) => from <= i && i < to));
      // A `local -` before it in the same body restores the option at the return: undone, or maybe where that `local -` may not run.
      const restored = saved.filter((s) => f.body.open < s && s < c.at && !functions.some((g) => f.body.open < g.body.open && g.body.open < s && s < g.body.close));
      if (restored.some((s) => !inArm(s))) return [];
      const branch = inArm(c.at) || restored.length > 0;
      return f.calls.map((call) => ({ at: call.at, on: branch ? ("maybe" as const) : c.on }));
    });
    out = [...out, ...frontier];
  }
  return out.sort((a, b) => a.at - b.at);
}

/**
 * Whether an option is on at `at` after its `changes` (in order), from `start` (a function's body:
 * as at its call): "maybe" where one that sets or unsets it may not have run (in a flow's arm not
 * holding `at`); only those whose change `reaches` `at` count (not one in a subshell or a function
 * body that does not hold it).
 */
function optionAt(text: string, changes: Change[], all: Flow[], at: number, reaches: (i: number) => boolean, start: boolean | "maybe"): boolean | "maybe" {
  let on = start;
  for (const c of changes) {
    if (c.at >= at || !atCommandStart(text, c.at) || !reaches(c.at)) continue;
    const sure = !all.some((f) => f.arms.some(([from, to]) => from <= c.at && c.at < to && !(from <= at && at < to)));
    on = sure ? c.on : on === c.on ? on : "maybe";
  }
  return on;
}

/**
 * The shell options deciding where a pipeline's last element runs: `shopt` lastpipe and job control
 * (`set -m`); `dash` where dash runs the text (shell-dialect.ts), which has no shopt; `sh` "bash" where
 * /bin/sh is bash (gce-driver.ts gceBinSh), so a cloud-config's runcmd is bash's too.
 */
export type Options = { lastpipe: boolean | "maybe"; monitor: boolean | "maybe"; dash?: boolean; sh?: "bash" };

/** A script's when it starts: both off (job control is off in a non-interactive shell). */
export const SCRIPT_OPTIONS: Options = { lastpipe: false, monitor: false };

/**
 * The options at each place of a text, from `start` (a function's body: those at its call), a
 * shopt or set in a function's body taking effect from each call of it on (throughCalls). Where
 * dash runs it (a cloud-config's runcmd, or all of it after `start.dash`), lastpipe is off and a
 * `shopt` changes nothing (dash 0.5.12: `shopt: not found`).
 */
export function optionsAt(text: string, all: Flow[], functions: Called[], start: Options = SCRIPT_OPTIONS): (at: number, reaches: (i: number) => boolean) => Options {
  const dash = dashRuns(text, start.dash, start.sh);
  const lastpipes = throughCalls(lastpipeChanges(text).filter((c) => !dash(c.at)), functions, all);
  const monitors = throughCalls(monitorChanges(text), functions, all, localDashes(text));
  return (at, reaches) => {
    const monitor = optionAt(text, monitors, all, at, reaches, start.monitor);
    return dash(at) ? { lastpipe: false, monitor, dash: true } : { lastpipe: optionAt(text, lastpipes, all, at, reaches, start.lastpipe), monitor, sh: start.sh };
  };
}

/**
 * Whether a pipeline's last element runs in the shell itself under these options: lastpipe on and
 * job control off (4.3.2: lastpipe takes effect only when job control is not active; bash 5.2
 * execute_cmd.c execute_pipeline tests `lastpipe_opt && job_control == 0`); "maybe" where either may be so.
 */
export const lastpipeOn = ({ lastpipe, monitor }: Options): boolean | "maybe" => (lastpipe === false || monitor === true ? false : monitor === "maybe" ? "maybe" : lastpipe);
