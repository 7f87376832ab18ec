/**
 * A boot script's here-documents as bash 5.2 reads them (Bash Reference Manual 3.6.6 Here
 * Documents): after `<<word` (or `<<-word`) the lines from the next newline on, up to a line that
 * is the delimiter alone, with no blanks around it (`<<-` strips leading tabs, not spaces, from
 * each line and the delimiter's first). The delimiter is the word with its quotes removed; when any
 * part of the word is quoted (`'EOF'`, `"EOF"`, `E"OF"`, `\EOF`) the body is not expanded, so a `$`
 * there is written as is. Read by shell-values.ts and boot-scripts.ts.
 */
import { literalDollars, walk } from "./shell-scan";

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

/** The heredocs of a script, in order, each body read up to its delimiter line (walk in shell-scan.ts finds them). */
export function heredocs(text: string): Heredoc[] {
  const out: Heredoc[] = [];
  for (const span of walk(text, { comments: true, heredocs: true, unclosed: "char" })) {
    if (typeof span === "number" || !span.heredoc) continue;
    const { operator, wordEnd, word, strip } = span.heredoc;
    const raw = text.slice(span.from, span.to);
    const lines = raw === "" ? [] : raw.replace(/\n$/, "").split("\n");
    const body = lines.map((l) => `${strip ? l.replace(/^\t+/, "") : l}\n`).join("");
    const quoted = /['"\\]/.test(word);
    out.push({ operator, wordEnd, quoted, bodyStart: span.from, bodyEnd: span.to, body: quoted ? literalDollars(body) : body });
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
