/**
 * A shell word as bash 5.2 gives it: its quotes taken off, a double-quoted string's escapes and an
 * ANSI-C quoted one's taken off as the shell takes them. Apart from shell-values.ts so that the
 * structure and output readers (shell-structure.ts, shell-output.ts), which shell-values.ts reads
 * through, take words without importing it back.
 */
import { LITERAL_DOLLAR, literalDollars, segments, walk, words } from "./shell-scan";
import { unescaped } from "./shell-printf";

/**
 * A value without its quotes; an ANSI-C quoted one (`$'…'`) with its escapes taken off too. A `$`
 * in single quotes is no expansion (Bash Reference Manual 3.1.2.2): it is a LITERAL_DOLLAR.
 */
export const unquote = (v: string) =>
  /^\$'[\s\S]*'$/.test(v) ? literalDollars(unescaped(v.slice(2, -1)).text) : /^'[\s\S]*'$/.test(v) ? literalDollars(v.slice(1, -1)) : v.replace(/^"([\s\S]*)"$/, "$1");

/**
 * The text with the backslash escapes of a double-quoted shell string taken off, as the shell
 * takes them off there (POSIX sh, Shell Command Language 2.2.3 Double-Quotes): the backslash before
 * `$`, a backquote, `"` or `\` removed, a backslash-newline removed with its newline; before any
 * other character (`\n` of a printf format) it stays. So `echo "{\"auth\":\"…\"}"` reads as the
 * JSON it writes. Taken off everywhere, not only between double quotes: outside quotes the shell
 * removes them too, and inside single quotes or a heredoc (where `\"` keeps its backslash, 2.7.4)
 * the file written keeps them and may not parse, yet the value is in the script all the same,
 * which is what a boot script is judged on. An escaped `$` is written as is: a LITERAL_DOLLAR.
 */
export const doubleQuoteUnescaped = (text: string) => text.replace(/\\(?:\n|([\\"$`]))/g, (_escape, char: string | undefined) => (char === "$" ? LITERAL_DOLLAR : (char ?? "")));

/** A word as the shell gives it: each quoted part unquoted (a double-quoted one's escapes and an ANSI-C one's taken off too), an escaped character without its backslash. */
export const wordValue = (word: string) =>
  segments(word)
    .map((part) => {
      if (part.startsWith("'") || part.startsWith("$'")) return unquote(part);
      if (part.startsWith('"')) return doubleQuoteUnescaped(part.slice(1, part.endsWith('"') && part.length > 1 ? -1 : undefined));
      // An escaped character stands for itself (`\$` as LITERAL_DOLLAR); a backslash-newline is a line continuation, nothing.
      return part === "\\\n" ? "" : part.startsWith("\\") ? doubleQuoteUnescaped(part).replace(/^\\/, "") : part;
    })
    .join("");

/**
 * The words of a `for NAME in` list starting at `from` (quotes kept), as bash reads them (Bash
 * Reference Manual 3.2.5.1; parse.y for_command: `in word_list list_terminator`): up to the first
 * `;` or newline outside quotes, expansions and escapes, a backslash-newline going on with the next
 * line (3.1.2.1), a comment (3.1.3) ending the list at its `#`.
 */
export function loopList(text: string, from: number): string[] {
  let end = text.length;
  for (const x of walk(text, { from, comments: true, unclosed: "rest" })) {
    if (typeof x === "number" ? text[x] === ";" || text[x] === "\n" : x.kind === "comment") {
      end = typeof x === "number" ? x : x.from;
      break;
    }
  }
  return words(text.slice(from, end));
}
