/**
 * Where a boot script sets a shell variable (`NAME=`, `export NAME=`, `${NAME:=…}`, a `read`, a
 * `for` loop), and the value it holds at a place of the script when that is plain (plainValue).
 * Apart from shell-values.ts, which reads it, to keep each file to one concern.
 */
import { ANSI_C_QUOTED, commandEnd, DOUBLE_QUOTED, words } from "./shell-scan";
import { loopList, unquote, wordValue } from "./shell-words";
import { fedToStdin, pipedInput, redirectedInput, VALUE } from "./shell-input";
import { DEFAULT_IFS, readCommand, readFields, readLines } from "./shell-read";
import { shellOptions } from "./shell-output";
import { Flow, flows, lastpipeOn, SCRIPT_OPTIONS } from "./shell-flow";
import { CALL_DEPTH, enclosing, shellFunctions, structure, Structure } from "./shell-structure";

/**
 * One place setting a variable: the text after its `=` (or the value itself, for a read's or a
 * loop's), the value it starts with (quotes kept) when that is one shell word, where it stands,
 * and whether it is written as such (`NAME=word`), the one kind plainValue takes.
 */
export interface Assignment {
  rest: string;
  value?: string;
  at: number;
  plain: boolean;
}

const LEADING_VALUE = new RegExp(`^(?:${VALUE})`);

/**
 * Where the script sets shell variable `name` (`NAME=`, `export NAME=`, `local NAME=`, `${NAME:=…}`, `read … NAME … <<< …`,
 * `… | read … NAME …` under lastpipe, `for NAME in …`, `select NAME in …`): the text after each `=`, and the value it starts with (quotes kept) when it is one shell word.
 */
export function assignments(text: string, name: string): Assignment[] {
  return [...ownAssignments(text, name), ...reads(text, name), ...loopWords(text, name)];
}

/**
 * `for NAME in WORDS; do`: the loop assigns NAME each word in turn (Bash Reference Manual 3.2.5.1),
 * so each is a value NAME may hold, as each assignment of it is; `in` may stand on a line of its own
 * (parse.y for_command: `FOR WORD newline_list IN`), the list read by loopList. `for NAME; do` takes
 * the positional parameters: a script's are none, a function's are its call's (bindPositional).
 * `select NAME in WORDS` (3.2.5.2) sets NAME to the word its input's line numbers, or empty for
 * any other line, and leaves it as it was at the end of input (bash 5.2.15): one of its words or
 * nothing, never a plain value.
 */
function loopWords(text: string, name: string): Assignment[] {
  const loops = text.matchAll(new RegExp(`(?:^|[\\s;&|(])(for|select)[ \\t]+${name}\\s+in(?=[ \\t;\\n])`, "gm"));
  return [...loops].flatMap((m) => {
    const list = loopList(text, m.index! + m[0].length);
    // `select` sets NAME to the word whose number its input gives, empty for another line (3.2.5.2).
    return (m[1] === "select" ? [...list, '""'] : list).map((value) => ({ rest: value, value, at: m.index!, plain: false }));
  });
}

/** The assignments `IFS=…` and others written before a command (3.7.4): a word each, quoted or not. */
const PREFIX = `(?:\\w+=(?:${DOUBLE_QUOTED}|${ANSI_C_QUOTED}|'[^'\\n]*'|[^\\s"';&|<>()$]|\\$(?!'))*[ \\t]+)*`;

/**
 * `read NAME…` given its input in the script: by a here-string or heredoc (Bash Reference Manual
 * 3.6.6, 3.6.7), or ending a pipeline where lastpipe may be on (job control off), when bash 5.2 runs
 * the read in the shell itself (3.2.3 Pipelines, 4.3.2 lastpipe; execute_cmd.c execute_pipeline), the
 * stage before printing it (fedToStdin); elsewhere a piped read runs in a subshell and NAME stays as
 * it was. NAME takes its field of the first line as read splits it (shell-read.ts readFields), on
 * its prefix `IFS=…`, else on the IFS the script plainly holds there (unset: space, tab, newline).
 * A read in a `while`/`until` loop's test takes each line of what the loop's redirection after its
 * `done` gives (3.2.5), or, the loop ending a pipeline (`… | while read …`), what the stage before
 * it prints, then nothing at its end; a read of a file, a command's output or the terminal
 * (`read V < file`, `done < file`) sets NAME to a value the script does not hold (value undefined).
 */
function reads(text: string, name: string): Assignment[] {
  const found = [...text.matchAll(new RegExp(`(?:^|[\\s;&|(])(${PREFIX})read(?=[ \\t])`, "gm"))].filter((m) => new RegExp(`\\b${name}\\b`).test(text.slice(m.index!, commandEnd(text, m.index! + m[0].length))));
  if (found.length === 0) return [];
  const s = structure(text);
  const all = flows(text, s);
  const options = shellOptions(text, s, all, SCRIPT_OPTIONS);
  return found.flatMap((m): Assignment[] => {
    // Where its words start (past `read`), and where the command (its prefix first) starts.
    const from = m.index! + m[0].length;
    const at = from - "read".length - m[1].length;
    const end = commandEnd(text, from);
    const args = text.slice(from, end).replace(/\s#[\s\S]*$/, "");
    const prefixed = words(m[1]).some((w) => w.startsWith("IFS="));
    // The shell's IFS where the read runs (a read of IFS itself is not followed through it).
    const ifs = prefixed ? DEFAULT_IFS : name === "IFS" ? undefined : plainValue(text, "IFS", at, DEFAULT_IFS);
    const command = ifs === undefined ? undefined : readCommand(args, m[1], ifs);
    const index = command?.names.indexOf(name) ?? -1;
    if (!command || index < 0) return [];
    const piped = /(?<!\|)\|[ \t]*$/.test(text.slice(text.lastIndexOf("\n", at - 1) + 1, at));
    // A piped read: the pipeline's last element (not piped on), under lastpipe.
    if (piped && (/^\|(?!\|)/.test(text.slice(end)) || lastpipeOn(options(at)) === false)) return [];
    const own = fedToStdin(text, at).map((fed) => readFields(piped ? fed : unquote(fed), command)[index]);
    // In a `while`/`until` loop's test: each line of the input the loop's own redirection gives, or,
    // the loop ending a pipeline, of what the stage before it prints (quotes already taken), which it
    // reads wherever it runs: in a subshell (bash without lastpipe, dash) or the shell (3.2.3).
    const loop = all.filter((f) => f.loop && f.compound && f.at < at && at < f.end && /^(?:while|until)\s/.test(text.slice(f.at)) && !/(?:^|[\s;&|])do(?=[\s;&|]|$)/.test(text.slice(f.at + 5, at))).pop();
    const lines = (fed: string) => readLines(fed, command).map((fields) => fields[index]);
    const looped = own.length > 0 || !loop ? [] : [...redirectedInput(text, loop.end).flatMap((fed) => lines(unquote(fed))), ...pipedInput(text, loop.at).flatMap(lines)];
    const values = [...own, ...looped];
    // Input from a file, a command or the terminal: a value the script does not hold.
    if (values.length === 0) return [{ rest: "", value: undefined, at, plain: false }];
    return values.map((value) => ({ rest: value, value, at, plain: false }));
  });
}

/**
 * Whether the assignment whose name starts at `at` is a prefix of a command (`IFS=: read …`, `K=v cmd`):
 * bash 5.2 (not in POSIX mode) sets it for that command alone (Bash Reference Manual 3.7.4; bash
 * 5.2.15: `K=v :; echo "$K"` prints nothing), while one followed only by other assignments or
 * redirections sets it in the shell.
 */
function prefixOnly(text: string, at: number): boolean {
  return words(text.slice(at, commandEnd(text, at))).some((w) => !/^\w+=/.test(w));
}

/** Where an assignment's name may stand, and the declaration word it may follow (`export`, `local`…), captured. */
const ASSIGNMENT_START = `(?:^|[\\s;&|("'])((?:(?:export|local|readonly|declare(?:\\s+-\\w+)*)\\s+)?)`;

/** The assignments written as such: `NAME=`, `export NAME=`, `local NAME=`, `${NAME:=…}`; not one prefixing a command. */
function ownAssignments(text: string, name: string): Assignment[] {
  const assignment = new RegExp(`${ASSIGNMENT_START}${name}=|\\$\\{${name}:?=`, "gm");
  return [...text.matchAll(assignment)].flatMap((m) => {
    const at = m.index! + m[0].length;
    const rest = text.slice(at);
    // `${NAME:=word}` assigns its word, up to the closing brace.
    if (m[0].includes("${")) return [{ rest, value: /^[^}\n]*/.exec(rest)![0], at, plain: true }];
    if (m[1] === "" && prefixOnly(text, at - name.length - 1)) return [];
    // `NAME=` with nothing after it sets NAME empty.
    const value = /^(?:[ \t;&|)\n]|$)/.test(rest) ? "" : LEADING_VALUE.exec(rest)?.[0];
    return [{ rest, value, at, plain: true }];
  });
}

/** Whether `i` is in a branch, a loop's body, an `&&`/`||` arm or a subshell that does not hold `at` too (where i may not run before `at`). */
const apart = (all: Flow[], s: Structure, i: number, at: number) =>
  all.some((f) => f.arms.some(([from, to]) => from <= i && i < to && !(from <= at && at < to))) || enclosing(s, i).some((g) => g.subshell && !(g.open < at && at < g.close));

/** An assignment's value when it is a word with no expansion of its own. */
function word(a: Assignment): string | undefined {
  if (!a.plain || a.value === undefined) return undefined;
  const value = wordValue(a.value);
  return /[$`]/.test(value) ? undefined : value;
}

/**
 * The value shell variable `name` holds where the script reads it, when that is plain. Without
 * `at` (wherever it is read): the script sets it once, as such (`NAME=`, `export NAME=`…), outside
 * every branch, loop, subshell and function body (shell-flow.ts flows, shell-structure.ts enclosing), to a word
 * with no expansion of its own. At `at`: the last assignment before it, written as such, that surely
 * ran there (not in a branch or subshell apart from `at`), none after it in a loop that runs `at`
 * again, `unset` when none precedes it (bash expands a variable as it is at that point); in a
 * function's body, the same value at each of its calls (3.3). Undefined when the value cannot be
 * known so: set by a command substitution, a `read`, a loop, in a branch, more than once, or not at all.
 */
export function plainValue(text: string, name: string, at?: number, unset?: string): string | undefined {
  const found = assignments(text, name);
  const s = structure(text);
  const all = flows(text, s);
  // Without a place: not one in a function's body either, which runs only at the function's calls (3.3).
  if (at === undefined) return found.length === 1 && !apart(all, s, found[0].at, -1) && !shellFunctions(text, s).some((f) => f.body.open < found[0].at && found[0].at < f.body.close) ? word(found[0]) : undefined;
  return valueAt(text, s, all, found, at, unset, 0);
}

/** plainValue at `at` (depth: calls followed to get there). */
function valueAt(text: string, s: Structure, all: Flow[], found: Assignment[], at: number, unset: string | undefined, depth: number): string | undefined {
  const functions = shellFunctions(text, s);
  const body = functions.filter((f) => f.body.open < at && at < f.body.close).sort((a, b) => b.body.open - a.body.open)[0];
  const inBody = (i: number, f = body) => f !== undefined && f.body.open < i && i < f.body.close;
  // An assignment in another function's body runs at that function's calls: not followed.
  if (found.some((a) => functions.some((f) => inBody(a.at, f) && !inBody(at, f)))) return undefined;
  if (found.some((a) => a.at > at && all.some((f) => f.loop && f.arms.some(([from, to]) => from <= at && at < to && from <= a.at && a.at < to)))) return undefined;
  const last = found.filter((a) => a.at < at && (!body || inBody(a.at))).sort((a, b) => b.at - a.at)[0];
  if (last) return apart(all, s, last.at, at) ? undefined : word(last);
  if (!body) return unset;
  // Set nowhere in the body before `at`: as it is at each call.
  if (depth >= CALL_DEPTH || body.calls.length === 0) return undefined;
  const values = body.calls.map((c) => valueAt(text, s, all, found, c.at, unset, depth + 1));
  return values.every((v) => v !== undefined && v === values[0]) ? values[0] : undefined;
}

/**
 * The variable whose assignment's value starts at `at` (`T=<at>…`, `T="<at>…`) when the script never
 * expands it (no `$T`, `${T…}`, and no `${!…}` or `eval` that might), so that what it holds is given
 * to no command; undefined otherwise, and for one exported or prefixing a command, which a program
 * the script runs may read from its environment.
 */
export function unusedAssignment(text: string, at: number): string | undefined {
  const lineStart = text.lastIndexOf("\n", at - 1) + 1;
  const m = new RegExp(`${ASSIGNMENT_START}([A-Za-z_]\\w*)=["']?$`).exec(text.slice(lineStart, at));
  if (!m || m[1] !== "" || prefixOnly(text, at - m[0].length + m[0].indexOf(m[2])) || /\$\{!|(?:^|[\s;&|(])eval\s|\ballexport\b|(?:^|\s)set\s+-\w*a/m.test(text)) return undefined;
  return new RegExp(`\\$(?:${m[2]}\\b|\\{${m[2]}\\b)`).test(text) ? undefined : m[2];
}
