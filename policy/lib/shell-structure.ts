/**
 * A boot script's compound structure as bash 5.2 reads it: `{ …; }` groups and `( … )` subshells,
 * whose redirections apply to every command of their list (Bash Reference Manual 3.2.5.3 Grouping
 * Commands); shell functions, whose arguments become the positional parameters while they run
 * (3.3 Shell Functions: `fname () compound-command [redirections]`, `function fname [()] …`); and
 * `case word in [(]pattern) list ;; … esac`, whose patterns' parentheses open and close no group
 * (3.2.5.2 Conditional Constructs). Read by shell-output.ts and boot-scripts.ts.
 */
import { heredocs } from "./shell-heredoc";
import { atCommandStart, CaseFrame, caseReads, OWN } from "./shell-commands";
import { commandEnd, quotedEnd, walk, words } from "./shell-scan";
import { wordValue } from "./shell-words";

/** A group or subshell: where its `{` or `(` and its closing `}` or `)` stand, and whether it is a subshell. */
export interface Group {
  open: number;
  close: number;
  subshell: boolean;
}

/** The structure of a script: its groups, and the spans no command starts in (strings, substitutions, comments, heredoc bodies). */
export interface Structure {
  groups: Group[];
  opaque: [number, number][];
}

/** An open `{` or `(`. */
type Open = { at: number; kind: "{" | "(" };

/** The groups of a script and the spans no command starts in, read in one walk. */
export function structure(text: string): Structure {
  const opaque: [number, number][] = [];
  const groups: Group[] = [];
  const stack: (Open | CaseFrame)[] = [];
  for (const i of walk(text, { comments: true, heredocs: true, unclosed: "rest" })) {
    if (typeof i !== "number") {
      if (i.kind !== "escape") opaque.push([i.from, i.to]);
      continue;
    }
    const c = text[i];
    if (caseReads(text, i, stack, (j) => atCommandStart(text, j))) continue;
    // `{` and `}` are reserved words: a word of their own where a command starts (3.2.5.3).
    const brace = (c === "{" && /\s/.test(text[i + 1] ?? "")) || c === "}";
    if ((c === "(" || (brace && c === "{")) && (c === "(" || atCommandStart(text, i))) stack.push({ at: i, kind: c });
    else if ((c === ")" || (c === "}" && atCommandStart(text, i))) && stack[stack.length - 1]?.kind === (c === "}" ? "{" : "(")) {
      groups.push({ open: stack.pop()!.at, close: i, subshell: c === ")" });
    }
  }
  return { groups, opaque };
}

/** Whether `i` is outside every string, substitution, comment and heredoc body (the spans are in order, apart). */
export function topLevel(s: Structure, i: number): boolean {
  let [lo, hi] = [0, s.opaque.length];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s.opaque[mid][1] <= i) lo = mid + 1;
    else hi = mid;
  }
  return lo === s.opaque.length || i < s.opaque[lo][0];
}

/** The groups holding `i`, innermost first. */
export const enclosing = (s: Structure, i: number) => s.groups.filter((g) => g.open < i && i < g.close).sort((a, b) => b.open - a.open);

/**
 * A `for NAME; do` or `for NAME do` (no `in`, NAME and `do` on one line or not) loops over the
 * positional parameters (Bash Reference Manual 3.2.5.1; parse.y for_command): written as `in $@` so
 * that bindPositional binds them to the call's arguments.
 */
const positionalLoops = (body: string) => body.replace(/((?:^|[\s;&|({])for[ \t]+\w+)(?=\s*(?:;\s*)?(?:do|\{)(?![\w-]))/g, "$1 in $@");

/** The positional parameters of a body bound to `args` (each a word as written): `$1`, `${10}`, `$@`, `$*`; not in single quotes or a quoted heredoc. */
function bindPositional(run: string, args: string[]): string {
  const body = positionalLoops(run);
  // A literal argument stands for itself; one the shell expands (`"$T"`, `"$(…)"`) keeps its expansion.
  const given = args.map((a) => (wordValue(a).includes("$") ? a.replace(/^"([\s\S]*)"$/, "$1") : wordValue(a)));
  const value = (n: string) => (n === "@" || n === "*" ? given.join(" ") : (given[Number(n) - 1] ?? ""));
  const docs = new Map(heredocs(body).filter((d) => d.bodyEnd > d.bodyStart).map((d) => [d.bodyStart, d]));
  let out = "";
  let double = false;
  for (let i = 0; i < body.length; ) {
    const doc = docs.get(i);
    const positional = /^\$(?:\{([1-9]\d*|[@*])\}|([1-9@*]))/.exec(body.slice(i, i + 16));
    let end = i + 1;
    if (doc) end = doc.bodyEnd;
    else if (body[i] === "\\") end = i + 2;
    else if (body[i] === "'" && !double) end = Math.max(quotedEnd(body, i), i + 1);
    else if (body[i] === '"') double = !double;
    // An unquoted heredoc's body expands its parameters; its quotes are characters (3.6.6).
    if (doc && !doc.quoted) out += body.slice(i, end).replace(/\\[\s\S]|\$(?:\{([1-9]\d*|[@*])\}|([1-9@*]))/g, (m, a, b) => (m.startsWith("\\") ? m : value(a ?? b)));
    else if (positional && !doc) {
      out += value(positional[1] ?? positional[2]);
      end = i + positional[0].length;
    } else out += body.slice(i, end);
    i = end;
  }
  return out;
}

/**
 * A function known where a text is read, defined there or in the script around it (a body calling
 * another function of the script): its name and what a call of it runs, its body with the
 * redirections written after it, which apply to it at each call (3.3), `$1`… unbound.
 */
export interface Known {
  name: string;
  run: string;
}

/** A shell function a text defines: its body's group, and each call of it (at a command's start, outside strings and its body): where it stands and where its words end. */
export interface ShellFunction extends Known {
  body: Group;
  calls: { at: number; end: number }[];
}

/** The calls of the function `name` in `text` (at a command's start, outside strings), but inside `body`: where each stands and where its words end. */
function callsOf(text: string, s: Structure, name: string, body?: Group): { at: number; end: number }[] {
  const calls: { at: number; end: number }[] = [];
  for (const call of text.matchAll(new RegExp(`(?<![\\w.:-])${name.replace(/[.]/g, "\\.")}(?![\\w.:-]|[ \\t]*\\()`, "g"))) {
    if (!atCommandStart(text, call.index!) || !topLevel(s, call.index!) || (body && call.index! > body.open && call.index! < body.close)) continue;
    calls.push({ at: call.index!, end: commandEnd(text, call.index! + name.length) });
  }
  return calls;
}

/** The shell functions a script defines (`fname () compound-command`, `function fname [()] …`), with their calls. */
export function shellFunctions(text: string, s: Structure = structure(text)): ShellFunction[] {
  const out: ShellFunction[] = [];
  const definition = /(?:^|[\s;&|])(?:function[ \t]+([\w.:-]+)(?:[ \t]*\([ \t]*\))?|([\w.:-]+)[ \t]*\([ \t]*\))\s*(?=[{(])/g;
  for (const m of text.matchAll(definition)) {
    const name = m[1] ?? m[2];
    const at = m.index! + m[0].length;
    const body = s.groups.find((g) => g.open === at);
    if (!body || !topLevel(s, m.index! + m[0].indexOf(name))) continue;
    const run = text.slice(body.open, body.close + 1 + (OWN.exec(text.slice(body.close + 1))?.[0].length ?? 0));
    out.push({ name, run, body, calls: callsOf(text, s, name, body) });
  }
  return out;
}

/** The functions known in `text`: those it defines, over the `outer` ones of the same name. */
export function knownFunctions(text: string, s: Structure = structure(text), outer: Known[] = []): Known[] {
  const own = shellFunctions(text, s).map(({ name, run }) => ({ name, run }));
  return [...outer.filter((o) => !own.some((f) => f.name === o.name)), ...own];
}

/** How deep calls inside function bodies are followed. */
export const CALL_DEPTH = 8;

/**
 * Each call of a shell function the text defines or of an `outer` one (the text a body another
 * function calls): the function's name, where the call stands, where its words end (its
 * redirections follow), and the function's run bound to its arguments: what it runs. Calls of the
 * functions being called already (`seen`, the text read inside their calls) are left out: the
 * recursion guard.
 */
export function functionCalls(text: string, s: Structure = structure(text), outer: Known[] = [], seen: string[] = []): { name: string; at: number; end: number; run: string }[] {
  if (seen.length >= CALL_DEPTH) return [];
  const own = shellFunctions(text, s).filter((f) => !seen.includes(f.name));
  const others = outer.filter((o) => !own.some((f) => f.name === o.name) && !seen.includes(o.name)).map((o) => ({ ...o, calls: callsOf(text, s, o.name) }));
  return [...own, ...others].flatMap(({ name, run, calls }) =>
    calls.map(({ at, end }) => ({ name, at, end, run: bindPositional(run, words(text.slice(at + name.length, end))) })),
  );
}

/** What each call of a shell function runs (functionCalls). */
export const boundFunctionCalls = (text: string, s?: Structure): string[] => functionCalls(text, s).map((c) => c.run);
