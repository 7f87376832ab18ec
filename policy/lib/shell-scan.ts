/**
 * Where a shell word's quoting ends, as bash reads it (Bash Reference Manual 3.1.2 Quoting, 3.5.4
 * Command Substitution): the one scanner every reader of a boot script's quoted strings, command
 * substitutions, pipelines, words and commands goes through, so none ends a double-quoted string at
 * an escaped `\"` or a `$(…)` at a `)` inside its quotes or closing a case pattern in it (bash 5.2
 * parses a `$(…)` as commands, its NEWS 1c); and walk, the one pass over a script that
 * steps over its escapes, strings, substitutions, comments and heredoc bodies (3.1.3 Comments, 3.6.6
 * Here Documents), from which the heredoc and structure readers take them. Read by shell-values.ts,
 * shell-printf.ts, shell-heredoc.ts and shell-structure.ts.
 */
import { atCommandStart, CaseFrame, caseReads } from "./shell-commands";

/**
 * A double-quoted string as a regular expression, for readers matching a value inside a larger
 * pattern: a backslash there escapes the character after it, so `\"` does not end the string while
 * `\\"` does (3.1.2.3 Double Quotes). It agrees with quotedEnd but for a `$(…)` holding a `"`.
 */
export const DOUBLE_QUOTED = String.raw`"(?:[^"\\\n]|\\[\s\S])*"`;

/** An ANSI-C quoted string, `$'…'`, where `\'` does not end it (3.1.2.4 ANSI-C Quoting). */
export const ANSI_C_QUOTED = String.raw`\$'(?:[^'\\\n]|\\[\s\S])*'`;

/**
 * A `$` the shell writes as is, never expanding it: one inside single quotes, escaped (`\$`), given
 * by an escape (`\x24` in `$'…'`, printf's format, `%b`, `echo -e`) or in a quoted heredoc's body.
 * The readers put this character in its place, so `$VAR` written literally is not taken for VAR's value.
 */
export const LITERAL_DOLLAR = "\uFF04";

/** The text with each `$` a LITERAL_DOLLAR, for text the shell writes as is. */
export const literalDollars = (text: string) => text.replace(/\$/g, LITERAL_DOLLAR);

const opensExpansion = (s: string, i: number) => s[i] === "$" && (s[i + 1] === "(" || s[i + 1] === "{");

/**
 * The index just past the quoted string or expansion opening `s` at `i` (`'…'`, `"…"`, `$'…'`, a
 * backquoted command, `$(…)`, `${…}`), or -1 when it is not closed; `i + 1` for any other character.
 * Single quotes escape nothing; in double quotes a backslash escapes the next character and a
 * `$(…)`, `${…}` or backquoted command nests with quotes of its own.
 */
export function quotedEnd(s: string, i: number): number {
  const c = s[i];
  if (c === "'") {
    const end = s.indexOf("'", i + 1);
    return end < 0 ? -1 : end + 1;
  }
  if (c === "$" && s[i + 1] === "'") return closing(s, i + 2, "'", false);
  if (c === "`") return closing(s, i + 1, "`", false);
  if (c === '"') return closing(s, i + 1, '"', true);
  if (!opensExpansion(s, i)) return i + 1;
  const [open, close] = s[i + 1] === "(" ? ["(", ")"] : ["{", "}"];
  // A `$(…)` is parsed as commands (bash 5.2 NEWS 1c): a case pattern's `)` does not close it.
  const stack: ({ kind: string } | CaseFrame)[] = [];
  const start = (j: number) => atCommandStart(s, j) || /^\$\([ \t]*$/.test(s.slice(i, j));
  for (let j = i + 1; j < s.length; ) {
    const d = s[j];
    if (d === "\\") j += 2;
    else if (d === "'" || d === '"' || d === "`" || opensExpansion(s, j)) {
      j = quotedEnd(s, j);
      if (j < 0) return -1;
    } else {
      if (open === "(" && caseReads(s, j, stack, start)) j++;
      else if (d === open) stack.push({ kind: open }), j++;
      else if (d === close && stack[stack.length - 1]?.kind === open && (stack.pop(), stack.length === 0)) return j + 1;
      else j++;
    }
  }
  return -1;
}

/** The index past the `end` character closing a string from `from`, backslashes escaping, expansions nested when `nested`. */
function closing(s: string, from: number, end: string, nested: boolean): number {
  for (let j = from; j < s.length; ) {
    const d = s[j];
    if (d === "\\") j += 2;
    else if (d === end) return j + 1;
    else if (nested && (d === "`" || opensExpansion(s, j))) {
      j = quotedEnd(s, j);
      if (j < 0) return -1;
    } else j++;
  }
  return -1;
}

/** The text of a `$(…)` or backquoted command substitution opening `s`, or undefined. */
export function substitution(s: string): string | undefined {
  if (!s.startsWith("`") && !s.startsWith("$(")) return undefined;
  const end = quotedEnd(s, 0);
  return end < 0 ? undefined : s.slice(s[0] === "`" ? 1 : 2, end - 1);
}

/** Whether `i` opens a quoted string or an expansion quotedEnd reads: `'`, `"`, a backquote, `$'`, `$(`, `${`. */
const opensQuoted = (s: string, i: number) => s[i] === "'" || s[i] === '"' || s[i] === "`" || (s[i] === "$" && /['({]/.test(s[i + 1] ?? ""));

/** Whether `i` starts a word, where a `#` opens a comment (Bash Reference Manual 3.1.3 Comments). */
const wordStart = (s: string, i: number) => i === 0 || /[\s;&|()]/.test(s[i - 1]);

/**
 * A span of a script no command starts in: an escaped character (`\c`), a quoted string or
 * expansion (`'…'`, `"…"`, `$'…'`, a backquoted command, `$(…)`, `${…}`), a comment (up to its
 * line's end) or a heredoc's body (from the line after its operator up to its delimiter line).
 */
export interface Span {
  kind: "escape" | "quoted" | "comment" | "heredoc";
  from: number;
  to: number;
  /** For a heredoc body: where its `<<` stands, the index past its word, the word as written, and whether it is `<<-`. */
  heredoc?: { operator: number; wordEnd: number; word: string; strip: boolean };
}

export interface WalkOptions {
  /** Where to start (0). */
  from?: number;
  /** Whether a `#` starting a word opens a comment (false: a word's `#` is a character). */
  comments?: boolean;
  /** Whether `<<word` opens a heredoc whose body is a span (3.6.6 Here Documents). */
  heredocs?: boolean;
  /**
   * An unclosed quote: "rest" makes it run to the text's end, as bash reads a script up to its end
   * looking for the close; "char" takes the quote as a character and reads on (for readings of a
   * script whose quotes may no longer pair up).
   */
  unclosed: "rest" | "char";
}

/** The word with its quotes removed, as bash takes a heredoc's delimiter. */
function quoteRemoved(word: string): string {
  return segments(word)
    .map((part) => {
      if (part.startsWith("$'")) return part.slice(2, -1);
      if (part.startsWith("'")) return part.slice(1, -1);
      if (part.startsWith('"')) return part.slice(1, -1).replace(/\\([\\"$`])/g, "$1");
      return part.startsWith("\\") ? part.slice(1) : part;
    })
    .join("");
}

/** The heredoc word after the operator ending at `from`: blanks skipped, up to a blank or an operator. */
function heredocWord(s: string, from: number): { word: string; end: number } {
  let i = from;
  while (s[i] === " " || s[i] === "\t") i++;
  const start = i;
  while (i < s.length && !/[\s;&|<>()]/.test(s[i])) {
    const end = s[i] === "\\" ? i + 2 : quotedEnd(s, i);
    i = end < 0 ? s.length : end;
  }
  return { word: s.slice(start, i), end: i };
}

/**
 * Reads `s` once, as bash's reader steps over what it does not split into commands: yields, in
 * order, the index of each character outside every span, and each Span. A heredoc's body starts on
 * the line after its operator, each pending body in turn, and ends at a line that is the delimiter
 * alone (`<<-` strips leading tabs first); reading goes on past that line.
 */
export function* walk(s: string, o: WalkOptions): Generator<number | Span> {
  let pending: { operator: number; wordEnd: number; word: string; strip: boolean }[] = [];
  // A quote left open in a heredoc's word runs to the text's end in either mode: the word takes it all.
  let word = -1;
  for (let i = o.from ?? 0; i < s.length; ) {
    const c = s[i];
    if (c === "\n" && pending.length) {
      yield i;
      let at = i + 1;
      for (const p of pending) {
        const delimiter = quoteRemoved(p.word);
        const from = at;
        let to = s.length;
        while (at < s.length) {
          const eol = s.indexOf("\n", at);
          const line = s.slice(at, eol < 0 ? s.length : eol);
          const next = eol < 0 ? s.length : eol + 1;
          if ((p.strip ? line.replace(/^\t+/, "") : line) === delimiter) {
            to = at;
            at = next;
            break;
          }
          at = next;
        }
        yield { kind: "heredoc", from, to, heredoc: p };
      }
      pending = [];
      i = at;
      continue;
    }
    let end = -1;
    let kind: Span["kind"] = "quoted";
    if (c === "\\") [end, kind] = [Math.min(i + 2, s.length), "escape"];
    else if (o.comments && c === "#" && wordStart(s, i)) {
      const eol = s.indexOf("\n", i);
      [end, kind] = [eol < 0 ? s.length : eol, "comment"];
    } else if (opensQuoted(s, i)) {
      end = quotedEnd(s, i);
      if (end < 0 && (o.unclosed === "rest" || i < word)) end = s.length;
    } else if (o.heredocs && s.startsWith("<<", i) && s[i + 2] !== "<") {
      const strip = s[i + 2] === "-";
      const { word: w, end: wordEnd } = heredocWord(s, i + (strip ? 3 : 2));
      if (w !== "") pending.push({ operator: i, wordEnd, word: w, strip });
      word = wordEnd;
    } else if (o.heredocs && s.startsWith("<<<", i)) {
      // A here-string's operator, no heredoc's: its three characters are plain.
      yield i++;
      yield i++;
    }
    if (end < 0) yield i++;
    else {
      yield { kind, from: i, to: end };
      i = end;
    }
  }
}

/**
 * Scans `s` from `from`, stepping over quoted strings, expansions and escaped characters, and
 * returns the index of the first character outside them `stop` accepts (given the depth of plain
 * parentheses there), or `s.length`.
 */
function scanTo(s: string, from: number, stop: (i: number, depth: number) => boolean): number {
  let depth = 0;
  for (const i of walk(s, { from, unclosed: "rest" })) {
    if (typeof i !== "number") continue;
    if (stop(i, depth)) return i;
    if (s[i] === "(") depth++;
    else if (s[i] === ")") depth--;
  }
  return s.length;
}

/** The parts of a pipeline, split on `|` outside quotes, substitutions and subshells (`||` is no pipe). */
export function pipeline(command: string): string[] {
  const parts: string[] = [];
  let from = 0;
  const pipe = (i: number, depth: number) => command[i] === "|" && depth === 0 && command[i + 1] !== "|" && command[i - 1] !== "|";
  for (let i = scanTo(command, 0, pipe); i < command.length; i = scanTo(command, from, pipe)) {
    parts.push(command.slice(from, i));
    from = i + 1;
  }
  return [...parts, command.slice(from)].map((p) => p.trim());
}

/**
 * Where the simple command starting at `from` ends: the first newline, `|`, `&`, `;`, redirection or
 * unmatched `)` outside quotes (a redirection's file descriptor, `2>`, left out too).
 */
export function commandEnd(s: string, from: number): number {
  const end = scanTo(s, from, (i, depth) => /[\n|&;<>]/.test(s[i]) || (s[i] === ")" && depth === 0));
  const fd = /[ \t]\d+$/.exec(s.slice(from, end));
  return fd && /[<>]/.test(s[end] ?? "") ? end - fd[0].length + 1 : end;
}

/** The words of a command line as the shell splits them, each with its quotes (`'a'"b"c` is one word). */
export function words(args: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; ) {
    // A backslash-newline is a line continuation, removed before words are split (3.1.2.1).
    if (/\s/.test(args[i]) || (args[i] === "\\" && args[i + 1] === "\n")) {
      i += args[i] === "\\" ? 2 : 1;
      continue;
    }
    const end = scanTo(args, i, (j) => /\s/.test(args[j]));
    out.push(args.slice(i, end));
    i = end;
  }
  return out;
}

/**
 * The segments of one word: each quoted string or expansion as written, each run of plain
 * characters, an escaped character as `\c`. wordValue in shell-values.ts reads each as the shell does.
 */
export function segments(word: string): string[] {
  const out: string[] = [];
  let plain = "";
  for (const x of walk(word, { unclosed: "rest" })) {
    if (typeof x === "number") plain += word[x];
    else {
      if (plain) out.push(plain);
      plain = "";
      out.push(word.slice(x.from, x.to));
    }
  }
  return plain ? [...out, plain] : out;
}
