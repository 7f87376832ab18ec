/**
 * How a boot script's shell gives a value: a literal, a variable the script sets, or what a command
 * prints when the script runs; and whether a registry login's `auth` (or a Basic Authorization
 * header) carries a login the script holds, base64-encoded by it or in base64 already; and the
 * script as the shell unescapes a double-quoted string and as its printf commands print. Read by
 * boot-scripts.ts.
 */
import { namesNoCredential, registryAuth } from "./credentials";
import { LITERAL_DOLLAR, pipeline, substitution, words } from "./shell-scan";
import { doubleQuoteUnescaped, unquote, wordValue } from "./shell-words";
import { fedToStdin, printCommands, printed, VALUE } from "./shell-input";
import { assignments, plainValue } from "./shell-assignments";

export { doubleQuoteUnescaped, fedToStdin, plainValue, printCommands, unquote, VALUE, wordValue, words };
export type { Printed } from "./shell-input";

/**
 * A parameter expansion with a word (Bash Reference Manual 3.5.3): `${NAME:-word}` and
 * `${NAME-word}` give the word when NAME is unset (as it is on a fresh VM), `${NAME:=word}` assigns
 * it too; `${NAME:+word}` gives it only when NAME is set, `${NAME:?word}` stops the script instead.
 */
const PARAMETER_WORD = /^\$\{(\w+)(:?[-=+?])([\s\S]*)\}$/;

/** A reference to one shell variable, `$NAME` or `${NAME}`, as the whole value. */
const VARIABLE = /^\$(?:\{(\w+)\}|(\w+))$/;

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
