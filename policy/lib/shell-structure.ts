/**
 * A boot script's compound structure as bash 5.2 reads it: `{ …; }` groups and `( … )` subshells,
 * whose redirections apply to every command of their list (Bash Reference Manual 3.2.5.3 Grouping
 * Commands); shell functions, whose arguments become the positional parameters while they run
 * (3.3 Shell Functions: `fname () compound-command [redirections]`, `function fname [()] …`); and
 * `exec` without a command, whose redirections apply to the shell itself from then on (4.1, exec).
 * Read by boot-scripts.ts.
 */
import { heredocs } from "./shell-heredoc";
import { commandEnd, quotedEnd, walk, words } from "./shell-scan";
import { wordValue } from "./shell-values";

/** A group or subshell: where its `{` or `(` and its closing `}` or `)` stand. */
export interface Group {
  open: number;
  close: number;
}

/** The structure of a script: its groups, and the spans no command starts in (strings, substitutions, comments, heredoc bodies). */
export interface Structure {
  groups: Group[];
  opaque: [number, number][];
}

/** Whether `i` stands where a command starts: after a line's start, an operator, `{`, `(` or a reserved word taking a list. */
export function atCommandStart(text: string, i: number): boolean {
  const before = text.slice(text.lastIndexOf("\n", i - 1) + 1, i);
  // `)` ends a function's `()` or a case pattern; `function fname` comes before a body too.
  return /(?:^|[;&|{()]|(?:^|[\s;&|])(?:then|do|else|elif|!|function[ \t]+[\w.:-]+))[ \t]*$/.test(before) && !/(?:\$\(|\$\(\()[ \t]*$/.test(before);
}

/** The groups of a script and the spans no command starts in, read in one walk. */
export function structure(text: string): Structure {
  const opaque: [number, number][] = [];
  const groups: Group[] = [];
  const stack: { at: number; brace: boolean }[] = [];
  for (const i of walk(text, { comments: true, heredocs: true, unclosed: "rest" })) {
    if (typeof i !== "number") {
      if (i.kind !== "escape") opaque.push([i.from, i.to]);
      continue;
    }
    const c = text[i];
    // `{` and `}` are reserved words: a word of their own where a command starts (3.2.5.3).
    const brace = (c === "{" && /\s/.test(text[i + 1] ?? "")) || c === "}";
    if ((c === "(" || (brace && c === "{")) && (c === "(" || atCommandStart(text, i))) stack.push({ at: i, brace: c === "{" });
    else if ((c === ")" || (c === "}" && atCommandStart(text, i))) && stack.length && stack[stack.length - 1].brace === (c === "}")) {
      groups.push({ open: stack.pop()!.at, close: i });
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
 * Where `exec` without a command moves the shell's standard output, in order: the index past its
 * redirections, and the file it now goes to (undefined once it goes to a descriptor or is closed).
 */
export function stdoutExecs(text: string, s: Structure): { at: number; file?: string }[] {
  const out: { at: number; file?: string }[] = [];
  for (const m of text.matchAll(/\bexec\b/g)) {
    if (!atCommandStart(text, m.index!) || !topLevel(s, m.index!)) continue;
    const rest = text.slice(m.index! + 4);
    const redirections = /^(?:[ \t]+(?:\d+|&)?(?:<>|>>|>\||>&|<&|>|<)[ \t]*(?:"[^"\n]*"|'[^'\n]*'|[^\s;&|<>]+))+[ \t]*(?=$|[\n;&#])/.exec(rest);
    if (!redirections) continue;
    for (const r of redirections[0].matchAll(/(\d+|&)?(<>|>>|>\||>&|<&|>|<)[ \t]*("[^"\n]*"|'[^'\n]*'|[^\s;&|<>]+)/g)) {
      const [, fd, op, target] = r;
      if (!op.startsWith(">") || (fd !== undefined && fd !== "1" && fd !== "&")) continue;
      out.push({ at: m.index! + 4 + redirections[0].length, file: op === ">&" && /^(?:\d+|-)$/.test(target) ? undefined : wordValue(target) });
    }
  }
  return out;
}

/** The positional parameters of a body bound to `args` (each a word as written): `$1`, `${10}`, `$@`, `$*`; not in single quotes or a quoted heredoc. */
function bindPositional(body: string, args: string[]): string {
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
 * Each shell function's body bound to the arguments of each call of it (at a command's start,
 * outside strings), with the redirections written after its body: what the call runs.
 */
export function boundFunctionCalls(text: string, s: Structure = structure(text)): string[] {
  const out: string[] = [];
  const definition = /(?:^|[\s;&|])(?:function[ \t]+([\w.:-]+)(?:[ \t]*\([ \t]*\))?|([\w.:-]+)[ \t]*\([ \t]*\))\s*(?=[{(])/g;
  for (const m of text.matchAll(definition)) {
    const name = m[1] ?? m[2];
    const at = m.index! + m[0].length;
    const group = s.groups.find((g) => g.open === at);
    if (!group || !topLevel(s, m.index! + m[0].indexOf(name))) continue;
    const eol = text.indexOf("\n", group.close);
    const body = text.slice(group.open, eol < 0 ? text.length : eol);
    for (const call of text.matchAll(new RegExp(`(?<![\\w.:-])${name.replace(/[.]/g, "\\.")}(?![\\w.:-]|[ \\t]*\\()`, "g"))) {
      const from = call.index! + name.length;
      if (!atCommandStart(text, call.index!) || !topLevel(s, call.index!) || (call.index! > group.open && call.index! < group.close)) continue;
      out.push(bindPositional(body, words(text.slice(from, commandEnd(text, from)))));
    }
  }
  return out;
}

/** A command's own redirection of its standard output, among its redirections, or a pipe taking it. */
const OWN_STDOUT = /^(?:[ \t]*\d*[<>][&>|]?[ \t]*[^\s;&|<>]+)*?[ \t]*(?:[&1]?>|\|(?!\|))/;

/**
 * For the echo/printf commands of `text` (`from` where their words start, `end` where the command
 * ends), whether their standard output goes where `into` (matched after a group's close) or an
 * `exec` before them sends it, into the file `path`: a command redirecting its own output goes
 * there instead, and the innermost group redirecting its output decides over any outside it.
 */
export function stdoutTo(text: string, into: RegExp, path: string): (run: { from: number; end: number }) => boolean {
  const s = structure(text);
  const execs = stdoutExecs(text, s);
  return ({ from, end }) => {
    const word = /(?:printf|echo)[ \t]+$/.exec(text.slice(Math.max(0, from - 64), from));
    const start = from - (word?.[0].length ?? 0);
    if (!word || !topLevel(s, start) || !atCommandStart(text, start) || OWN_STDOUT.test(text.slice(end))) return false;
    for (const g of enclosing(s, start)) {
      const after = text.slice(g.close + 1);
      if (into.test(after)) return true;
      if (OWN_STDOUT.test(after)) return false;
    }
    return execs.filter((e) => e.at <= start).pop()?.file === path;
  };
}
