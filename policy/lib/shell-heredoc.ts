/**
 * A boot script's here-documents as bash 5.2 reads them (Bash Reference Manual 3.6.6 Here
 * Documents): after `<<word` (or `<<-word`) the lines from the next newline on, up to a line that
 * is the delimiter alone, with no blanks around it (`<<-` strips leading tabs, not spaces, from
 * each line and the delimiter's first). The delimiter is the word with its quotes removed; when any
 * part of the word is quoted (`'EOF'`, `"EOF"`, `E"OF"`, `\EOF`) the body is not expanded, so a `$`
 * there is written as is. Read by shell-values.ts and boot-scripts.ts.
 */
import { literalDollars, quotedEnd, segments } from "./shell-scan";

export interface Heredoc {
  /** Where its `<<` stands, and the index just past its word. */
  operator: number;
  wordEnd: number;
  /** Whether any part of the word is quoted: then the body is not expanded. */
  quoted: boolean;
  /** Where the body starts, and where its delimiter line starts (the text's end when none ends it). */
  bodyStart: number;
  bodyEnd: number;
  /** The body as the command reads it: leading tabs stripped for `<<-`, each `$` a LITERAL_DOLLAR when quoted. */
  body: string;
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

/** Whether `i` starts a word (a `#` there opens a comment). */
const wordStart = (s: string, i: number) => i === 0 || /[\s;&|()]/.test(s[i - 1]);

/** The heredoc word after the operator ending at `from`: blanks skipped, up to a blank or an operator. */
function heredocWord(text: string, from: number): { word: string; end: number } {
  let i = from;
  while (text[i] === " " || text[i] === "\t") i++;
  const start = i;
  while (i < text.length && !/[\s;&|<>()]/.test(text[i])) {
    const end = text[i] === "\\" ? i + 2 : quotedEnd(text, i);
    i = end < 0 ? text.length : end;
  }
  return { word: text.slice(start, i), end: i };
}

/** The heredocs of a script, in order, each body read up to its delimiter line. */
export function heredocs(text: string): Heredoc[] {
  const out: Heredoc[] = [];
  let pending: { operator: number; wordEnd: number; word: string; strip: boolean }[] = [];
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    if (c === "\n" && pending.length) {
      let at = i + 1;
      for (const p of pending) {
        const delimiter = quoteRemoved(p.word);
        const quoted = /['"\\]/.test(p.word);
        const bodyStart = at;
        const lines: string[] = [];
        let bodyEnd = text.length;
        let next = text.length;
        while (at < text.length) {
          const eol = text.indexOf("\n", at);
          const raw = text.slice(at, eol < 0 ? text.length : eol);
          const line = p.strip ? raw.replace(/^\t+/, "") : raw;
          if (line === delimiter) {
            bodyEnd = at;
            next = eol < 0 ? text.length : eol + 1;
            break;
          }
          lines.push(line);
          at = eol < 0 ? text.length : eol + 1;
        }
        const body = lines.map((l) => `${l}\n`).join("");
        out.push({ operator: p.operator, wordEnd: p.wordEnd, quoted, bodyStart, bodyEnd, body: quoted ? literalDollars(body) : body });
        at = next;
      }
      pending = [];
      i = at;
      continue;
    }
    if (c === "\\") i += 2;
    else if (c === "#" && wordStart(text, i)) {
      const eol = text.indexOf("\n", i);
      i = eol < 0 ? text.length : eol;
    } else if (c === "'" || c === '"' || c === "`" || (c === "$" && /['({]/.test(text[i + 1] ?? ""))) {
      const end = quotedEnd(text, i);
      i = end < 0 ? i + 1 : end;
    } else if (text.startsWith("<<<", i)) i += 3;
    else if (text.startsWith("<<", i)) {
      const strip = text[i + 2] === "-";
      const { word, end } = heredocWord(text, i + (strip ? 3 : 2));
      if (word !== "") pending.push({ operator: i, wordEnd: end, word, strip });
      i = Math.max(end, i + 2);
    } else i++;
  }
  return out;
}

/** The text with each `$` in a quoted heredoc's body a LITERAL_DOLLAR: bash writes those bodies as they are. */
export function literalBodies(text: string): string {
  let out = "";
  let from = 0;
  for (const h of heredocs(text).filter((d) => d.quoted)) {
    out += text.slice(from, h.bodyStart) + literalDollars(text.slice(h.bodyStart, h.bodyEnd));
    from = h.bodyEnd;
  }
  return out + text.slice(from);
}
