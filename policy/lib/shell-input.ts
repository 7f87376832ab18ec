/**
 * What a boot script's echo and printf commands print (printf as shell-printf.ts reads it), and what
 * the shell feeds a command's standard input from the script itself: a piped echo/printf, a
 * here-string, a heredoc. Apart from shell-values.ts, which reads it (with shell-assignments.ts and
 * boot-scripts.ts), to keep each file to one concern.
 */
import { ANSI_C_QUOTED, commandEnd, DOUBLE_QUOTED, pipeline, words } from "./shell-scan";
import { printfCommand, unescaped } from "./shell-printf";
import { wordValue } from "./shell-words";
import { heredocs } from "./shell-heredoc";

/** A shell or YAML value: a quoted string, or a word up to whitespace or a shell operator. */
export const VALUE = `${DOUBLE_QUOTED}|${ANSI_C_QUOTED}|'[^'\\n]*'|[^\\s"';|&<>)-][^\\s"';|&<>)]*`;

/** An echo or printf command: what it prints, where its words start and end, and whether its escapes are taken. */
export interface Printed {
  from: number;
  end: number;
  output: string;
  /** The variable `printf -v` assigns the output to instead of printing it. */
  variable?: string;
  /** Whether the command takes its escapes (printf, `echo -e`): then what it prints, not its words, is judged. */
  escapes: boolean;
}

/**
 * What `echo`/`printf` with these argument words prints (printf as shell-printf.ts reads it), each
 * word unquoted, its last newlines left out. Echo takes each leading word of `n`, `e` and `E` alone
 * as options, the last `e` or `E` deciding whether it takes escapes (bash 5.2 builtins/echo.def).
 */
function printedBy(command: string, argsText: string): Omit<Printed, "from" | "end"> | undefined {
  const args = words(argsText).map(wordValue);
  if (command === "printf") {
    const run = printfCommand(args);
    return run && { ...run, output: run.output.replace(/\n+$/, ""), escapes: true };
  }
  let escapes = false;
  let i = 0;
  for (; i < args.length && /^-[neE]+$/.test(args[i]); i++) escapes = /e[^E]*$/.test(args[i]) || (escapes && !/E[^e]*$/.test(args[i]));
  const text = args.slice(i).join(" ");
  return { output: (escapes ? unescaped(text, true).text : text).replace(/\n+$/, ""), escapes };
}

/** The script's echo and printf commands, each with what it prints. */
export function printCommands(text: string): Printed[] {
  return [...text.matchAll(/\b(printf|echo)[ \t]+/g)].flatMap((m) => {
    const from = m.index! + m[0].length;
    const end = commandEnd(text, from);
    const run = printedBy(m[1], text.slice(from, end));
    return run ? [{ ...run, from, end }] : [];
  });
}

/** What an echo/printf command line prints on its standard output; undefined for any other command, or a `printf -v`. */
export function printed(command: string): string | undefined {
  const m = /^(echo|printf)\s+([\s\S]*)$/.exec(command);
  const run = m ? printedBy(m[1], m[2]) : undefined;
  return run && run.variable === undefined ? run.output : undefined;
}

/**
 * What the shell feeds the standard input of the command starting at `start` (Bash Reference
 * Manual 3.2.3 Pipelines, 3.6.6 Here Documents, 3.6.7 Here Strings): what an echo/printf piped into
 * it prints, or the heredoc of a `cat` piped into it, its here-string's word (quotes kept), its
 * heredoc's body. A file or another command's output is nothing the script holds.
 */
export function fedToStdin(text: string, start: number): string[] {
  return [...pipedInput(text, start), ...redirectedInput(text, commandEnd(text, start))];
}

/**
 * What the pipeline the command (or compound command: `… | while read …; do …; done`) at `start`
 * ends gives its standard input from the script (3.2.3 Pipelines): what an echo/printf piped into
 * it prints, or the heredoc of a `cat` piped into it.
 */
export function pipedInput(text: string, start: number): string[] {
  const fed: string[] = [];
  const lineStart = text.lastIndexOf("\n", start - 1) + 1;
  const stages = pipeline(text.slice(lineStart, start));
  if (stages.length > 1 && /^(?:sudo(?:\s+-\S+)*)?$/.test(stages[stages.length - 1])) {
    // The stage before the pipe, after any `&&`, `||` or `;` it follows.
    const before = stages[stages.length - 2].split(/&&|\|\||;/).pop()!.trim();
    const out = printed(before);
    if (out !== undefined) fed.push(out);
    // `cat <<EOF | login …`: cat prints its heredoc, the only one on the line before the login.
    const doc = heredocs(text).filter((h) => h.operator >= lineStart && h.operator < start);
    if (/^cat(?:\s+-)?\s*<</.test(before) && doc.length === 1) fed.push(doc[0].body);
  }
  return fed;
}

/**
 * The input a here-string or heredoc written at `end`, past a command's words (or a compound
 * command's `done`, whose redirections feed every command it runs: 3.2.5), gives it: the
 * here-string's word (quotes kept), the heredoc's body (opened on that line, before any other command there).
 */
export function redirectedInput(text: string, end: number): string[] {
  const fed: string[] = [];
  const here = new RegExp(`^[ \\t]*<<<[ \\t]*(${VALUE})`).exec(text.slice(end));
  if (here) fed.push(here[1]);
  const doc = heredocs(text).find((h) => h.operator >= end && !/[\n;&|]/.test(text.slice(end, h.operator)));
  if (doc) fed.push(doc.body);
  return fed;
}
