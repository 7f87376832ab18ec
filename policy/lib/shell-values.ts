/**
 * How a boot script's shell gives a value: a literal, a variable the script sets, or what a command
 * prints when the script runs; and whether a registry login's `auth` (or a Basic Authorization
 * header) carries a login the script holds, base64-encoded by it or in base64 already; and the
 * script as the shell unescapes a double-quoted string and as its printf commands print. Read by
 * boot-scripts.ts.
 */
import { namesNoCredential, registryAuth } from "./credentials";
import { ANSI_C_QUOTED, commandEnd, DOUBLE_QUOTED, LITERAL_DOLLAR, pipeline, substitution, words } from "./shell-scan";
import { printfCommand, unescaped } from "./shell-printf";
import { doubleQuoteUnescaped, loopList, unquote, wordValue } from "./shell-words";
import { heredocs } from "./shell-heredoc";
import { readCommand, readFields } from "./shell-read";
import { shellOptions } from "./shell-output";
import { flows, lastpipeOn, SCRIPT_OPTIONS } from "./shell-flow";
import { enclosing, structure } from "./shell-structure";

export { doubleQuoteUnescaped, unquote, wordValue, words };

/** A shell or YAML value: a quoted string, or a word up to whitespace or a shell operator. */
export const VALUE = `${DOUBLE_QUOTED}|${ANSI_C_QUOTED}|'[^'\\n]*'|[^\\s"';|&<>)-][^\\s"';|&<>)]*`;

/**
 * A parameter expansion with a word (Bash Reference Manual 3.5.3): `${NAME:-word}` and
 * `${NAME-word}` give the word when NAME is unset (as it is on a fresh VM), `${NAME:=word}` assigns
 * it too; `${NAME:+word}` gives it only when NAME is set, `${NAME:?word}` stops the script instead.
 */
const PARAMETER_WORD = /^\$\{(\w+)(:?[-=+?])([\s\S]*)\}$/;

/** A reference to one shell variable, `$NAME` or `${NAME}`, as the whole value. */
const VARIABLE = /^\$(?:\{(\w+)\}|(\w+))$/;

const LEADING_VALUE = new RegExp(`^(?:${VALUE})`);

/**
 * Where the script sets shell variable `name` (`NAME=`, `export NAME=`, `local NAME=`, `${NAME:=…}`, `read … NAME … <<< …`,
 * `… | read … NAME …` under lastpipe, `for NAME in …`): the text after each `=`, and the value it starts with (quotes kept) when it is one shell word.
 */
function assignments(text: string, name: string): { rest: string; value?: string }[] {
  return [...ownAssignments(text, name), ...reads(text, name), ...loopWords(text, name)];
}

/**
 * `for NAME in WORDS; do`: the loop assigns NAME each word in turn (Bash Reference Manual 3.2.5.1),
 * so each is a value NAME may hold, as each assignment of it is; `in` may stand on a line of its own
 * (parse.y for_command: `FOR WORD newline_list IN`), the list read by loopList. `for NAME; do` takes
 * the positional parameters: a script's are none, a function's are its call's (bindPositional).
 */
function loopWords(text: string, name: string): { rest: string; value?: string }[] {
  const loops = text.matchAll(new RegExp(`(?:^|[\\s;&|(])for[ \\t]+${name}\\s+in(?=[ \\t;\\n])`, "gm"));
  return [...loops].flatMap((m) => loopList(text, m.index! + m[0].length).map((value) => ({ rest: value, value })));
}

/** The assignments `IFS=…` and others written before a command (3.7.4): a word each, quoted or not. */
const PREFIX = `(?:\\w+=(?:${DOUBLE_QUOTED}|${ANSI_C_QUOTED}|'[^'\\n]*'|[^\\s"';&|<>()$]|\\$(?!'))*[ \\t]+)*`;

/**
 * `read NAME…` given its input in the script: by a here-string or heredoc (Bash Reference Manual
 * 3.6.6, 3.6.7), or ending a pipeline where lastpipe may be on (job control off), when bash 5.2 runs
 * the read in the shell itself (3.2.3 Pipelines, 4.3.2 lastpipe; execute_cmd.c execute_pipeline), the
 * stage before printing it (fedToStdin); elsewhere a piped read runs in a subshell and NAME stays as
 * it was. NAME takes its field of the first line as read splits it (shell-read.ts readFields).
 */
function reads(text: string, name: string): { rest: string; value?: string }[] {
  const found = [...text.matchAll(new RegExp(`(?:^|[\\s;&|(])(${PREFIX})read(?=[ \\t])`, "gm"))].filter((m) => new RegExp(`\\b${name}\\b`).test(text.slice(m.index!, commandEnd(text, m.index! + m[0].length))));
  if (found.length === 0) return [];
  const s = structure(text);
  const options = shellOptions(text, s, flows(text, s), SCRIPT_OPTIONS);
  return found.flatMap((m) => {
    // Where its words start (past `read`), and where the command (its prefix first) starts.
    const from = m.index! + m[0].length;
    const at = from - "read".length - m[1].length;
    const end = commandEnd(text, from);
    const command = readCommand(text.slice(from, end).replace(/\s#[\s\S]*$/, ""), m[1]);
    const index = command?.names.indexOf(name) ?? -1;
    if (!command || index < 0) return [];
    const piped = /(?<!\|)\|[ \t]*$/.test(text.slice(text.lastIndexOf("\n", at - 1) + 1, at));
    // A piped read: the pipeline's last element (not piped on), under lastpipe.
    if (piped && (/^\|(?!\|)/.test(text.slice(end)) || lastpipeOn(options(at)) === false)) return [];
    return fedToStdin(text, at).map((fed) => readFields(piped ? fed : unquote(fed), command)[index]).map((value) => ({ rest: value, value }));
  });
}

/**
 * The value shell variable `name` holds wherever the script reads it, when that is plain: the script
 * sets it once, as such (`NAME=`, `export NAME=`…), outside every branch, loop and subshell (shell-flow.ts
 * flows, shell-structure.ts enclosing), to a word with no expansion of its own. Undefined when the value
 * cannot be known so: set by a command substitution, a `read`, a loop, in a branch, more than once, or not at all.
 */
export function plainValue(text: string, name: string): string | undefined {
  const found = assignments(text, name);
  if (found.length !== 1 || found[0].value === undefined || !text.endsWith(found[0].rest)) return undefined;
  const at = text.length - found[0].rest.length;
  const s = structure(text);
  if (flows(text, s).some((f) => f.arms.some(([from, to]) => from <= at && at < to)) || enclosing(s, at).some((g) => g.subshell)) return undefined;
  const value = wordValue(found[0].value);
  return /[$`]/.test(value) ? undefined : value;
}

/** The assignments written as such: `NAME=`, `export NAME=`, `local NAME=`, `${NAME:=…}`. */
function ownAssignments(text: string, name: string): { rest: string; value?: string }[] {
  const assignment = new RegExp(`(?:^|[\\s;&|("'])(?:(?:export|local|readonly|declare(?:\\s+-\\w+)*)\\s+)?${name}=|\\$\\{${name}:?=`, "gm");
  return [...text.matchAll(assignment)].map((m) => {
    const rest = text.slice(m.index! + m[0].length);
    // `${NAME:=word}` assigns its word, up to the closing brace.
    return { rest, value: m[0].includes("${") ? /^[^}\n]*/.exec(rest)![0] : LEADING_VALUE.exec(rest)?.[0] };
  });
}

/**
 * Whether a value given under a credential's name is one: a literal (not a switch, path or
 * Secret's name), or a shell variable the script sets to one. What the script reads when it runs
 * (`$(gcloud secrets versions access …)`, a variable set so) holds no credential here.
 */
export function literalCredential(raw: string, key: string, text: string, depth = 0): boolean {
  const v = unquote(raw.trim()).trim();
  // A `$` written as is (`'$T'`, `\$T`, a quoted heredoc's `$T`) starts a placeholder, not a credential.
  if (v === "" || v.startsWith(LITERAL_DOLLAR) || v.startsWith("\\$")) return false;
  const ref = VARIABLE.exec(v);
  if (ref) return depth < 3 && assignedLiterally(text, ref[1] ?? ref[2], key, depth + 1);
  const expansion = PARAMETER_WORD.exec(v);
  if (expansion) {
    const [, name, operator, word] = expansion;
    if (/[+?]/.test(operator) || depth >= 3) return false;
    return literalCredential(word, key, text, depth + 1) || assignedLiterally(text, name, key, depth + 1);
  }
  // A printf conversion is filled from printf's arguments, which printedOutputs reads.
  if (v.startsWith("$") || PRINTF_CONVERSION.test(v)) return false;
  return !namesNoCredential(v, key);
}

/** Whether the script sets shell variable `name` to a literal credential anywhere. */
function assignedLiterally(text: string, name: string, key: string, depth: number): boolean {
  return assignments(text, name).some(({ value }) => value !== undefined && literalCredential(value, key, text, depth));
}

/** A command that base64-encodes its input (not one decoding it: `base64 -d`). */
const ENCODER = /^(?:sudo\s+)?(?:base64|openssl\s+(?:base64|enc\s+-(?:base64|a)))\b(?![^|]*\s(?:-d|--decode|-D)\b)/;

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
function printed(command: string): string | undefined {
  const m = /^(echo|printf)\s+([\s\S]*)$/.exec(command);
  const run = m ? printedBy(m[1], m[2]) : undefined;
  return run && run.variable === undefined ? run.output : undefined;
}

/**
 * A whole value that is one printf conversion (`%s`, `%-20s`, `%b`, `%d`), which printf fills from
 * its arguments, before the `\n` escapes ending the format's line.
 */
const PRINTF_CONVERSION = /^%[-+ #0]*\d*(?:\.\d+)?[sbdiouxXc](?:\\n)*$/;

/**
 * What the script's printf and `echo -e` commands print, a line each: `printf '{"auths":{"ghcr.io":{"auth":"%s"}}}'
 * <login>` prints the login under `auth`, while the format alone holds only `%s` there, and `echo -e`
 * takes `\x22` as `"` (Bash Reference Manual 4.2, echo). What `printf -v VAR` assigns is read as
 * well, as an assignment `VAR='…'` when it is one line (so a later `$VAR` finds it), else as the
 * text: a later `echo "$VAR" > config.json` writes it.
 */
export function printedOutputs(text: string): string {
  return printCommands(text)
    .filter((run) => run.escapes && run.output.trim() !== "")
    .map(({ output, variable }) => (variable !== undefined && !/[\n']/.test(output) ? `${variable}='${output}'` : output))
    .join("\n");
}

/**
 * What the shell feeds the standard input of the command starting at `start` (Bash Reference
 * Manual 3.2.3 Pipelines, 3.6.6 Here Documents, 3.6.7 Here Strings): what an echo/printf piped into
 * it prints, or the heredoc of a `cat` piped into it, its here-string's word (quotes kept), its
 * heredoc's body. A file or another command's output is nothing the script holds.
 */
export function fedToStdin(text: string, start: number): string[] {
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
  const end = commandEnd(text, start);
  const after = text.slice(end);
  const here = new RegExp(`^[ \\t]*<<<[ \\t]*(${VALUE})`).exec(after);
  if (here) fed.push(here[1]);
  // Its heredoc: one opened on its line after the command, before any other command there.
  const doc = heredocs(text).find((h) => h.operator >= end && !/[\n;&|]/.test(text.slice(end, h.operator)));
  if (doc) fed.push(doc.body);
  return fed;
}

/** The `user:password` a command substitution base64-encodes (`echo -n u:p | base64`, `base64 <<< u:p`), or undefined. */
function encodedText(command: string): string | undefined {
  const parts = pipeline(command);
  if (parts.length === 1) {
    const here = /^(?:base64|openssl\s+base64)\b[^<|]*<<<\s*(\S[\s\S]*)$/.exec(parts[0]);
    return here ? unquote(words(here[1])[0] ?? "") : undefined;
  }
  if (parts.length !== 2 || !ENCODER.test(parts[1])) return undefined;
  return printed(parts[0]);
}

/**
 * How `value` (the text where a registry login's `auth` or a Basic header's credential starts:
 * `"$AUTH"…`, `${AUTH}`, `$(echo -n user:pass | base64)`) carries a `user:password` the script
 * holds: "encoded" when the script base64-encodes one whose password is a literal or a variable
 * the script sets to one (`PASS=hunter2`), "literal" when it names a variable set to such a login
 * already in base64. A password read when the script runs (`$(cat /run/secrets/pw)`, a metadata
 * server's answer, a variable set so) is neither.
 */
export function loginInScript(value: string, text: string, depth = 0): "encoded" | "literal" | undefined {
  if (depth > 3) return undefined;
  const v = value.replace(/^["']+/, "");
  // A default (`${AUTH:-…}`, `${AUTH:=…}`): the variable as set in the script, else its word.
  const defaulted = /^\$\{(\w+):?[-=]/.exec(v);
  if (defaulted) {
    const rest = v.slice(defaulted[0].length);
    if (registryAuth(unquote(/^[^}\s]*/.exec(rest)![0]), "auth")) return "literal";
    return loginInScript(`$${defaulted[1]}`, text, depth + 1) ?? loginInScript(rest, text, depth + 1);
  }
  const ref = /^\$(?:\{(\w+)\}|(\w+))/.exec(v);
  if (ref) {
    for (const { rest, value: literal } of assignments(text, ref[1] ?? ref[2])) {
      if (literal !== undefined && registryAuth(unquote(literal), "auth")) return "literal";
      const found = loginInScript(rest, text, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  const command = substitution(v);
  const printed = command === undefined ? undefined : encodedText(command.trim());
  // The login may sit in a variable of its own (`LOGIN="$USER:$PASS"`, then `echo -n $LOGIN | base64`).
  const held = printed === undefined ? undefined : VARIABLE.exec(printed);
  const login = held ? assignments(text, held[1] ?? held[2]).map(({ value }) => unquote(value ?? "")).find((l) => l.includes(":")) : printed;
  if (login === undefined || !login.includes(":")) return undefined;
  const password = login.slice(login.indexOf(":") + 1);
  if (password === "" || password.startsWith(LITERAL_DOLLAR) || password.includes("$(") || password.includes("`")) return undefined;
  if (VARIABLE.test(password)) return literalCredential(password, "password", text, depth) ? "encoded" : undefined;
  return !password.includes("$") && !namesNoCredential(password, "password") ? "encoded" : undefined;
}
