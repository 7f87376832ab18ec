/**
 * Where a shell word's quoting ends, as bash reads it (Bash Reference Manual 3.1.2 Quoting, 3.5.4
 * Command Substitution): the one scanner every reader of a boot script's quoted strings, command
 * substitutions, pipelines, words and commands goes through, so none ends a double-quoted string at
 * an escaped `\"` or a `$(…)` at a `)` inside its quotes. Read by shell-values.ts and shell-printf.ts.
 */

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
  let depth = 0;
  for (let j = i + 1; j < s.length; ) {
    const d = s[j];
    if (d === "\\") j += 2;
    else if (d === "'" || d === '"' || d === "`" || opensExpansion(s, j)) {
      j = quotedEnd(s, j);
      if (j < 0) return -1;
    } else {
      if (d === open) depth++;
      else if (d === close && --depth === 0) return j + 1;
      j++;
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

/**
 * Scans `s` from `from`, stepping over quoted strings, expansions and escaped characters, and
 * returns the index of the first character outside them `stop` accepts (given the depth of plain
 * parentheses there), or `s.length`.
 */
function scanTo(s: string, from: number, stop: (i: number, depth: number) => boolean): number {
  let depth = 0;
  for (let i = from; i < s.length; ) {
    const c = s[i];
    if (c === "\\") {
      i += 2;
      continue;
    }
    if (c === "'" || c === '"' || c === "`" || opensExpansion(s, i) || (c === "$" && s[i + 1] === "'")) {
      const end = quotedEnd(s, i);
      if (end < 0) return s.length;
      i = end;
      continue;
    }
    if (stop(i, depth)) return i;
    if (c === "(") depth++;
    else if (c === ")") depth--;
    i++;
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
  for (let i = 0; i < word.length; ) {
    const c = word[i];
    const quoted = c === "'" || c === '"' || c === "`" || opensExpansion(word, i) || (c === "$" && word[i + 1] === "'");
    const end = c === "\\" ? Math.min(i + 2, word.length) : quoted ? quotedEnd(word, i) : i + 1;
    if (!quoted && c !== "\\") {
      plain += c;
      i++;
      continue;
    }
    if (plain) out.push(plain);
    plain = "";
    const to = end < 0 ? word.length : end;
    out.push(word.slice(i, to));
    i = to;
  }
  return plain ? [...out, plain] : out;
}
