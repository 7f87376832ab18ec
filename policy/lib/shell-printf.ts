/**
 * What bash's printf builtin prints (Bash Reference Manual 4.2 Bash Builtin Commands, printf; GNU
 * printf(1)): its format's backslash escapes, each conversion filled from the next argument (`%b`
 * with the argument's escapes taken too, a number for `%d`), the format reused while arguments
 * remain, and `-v VAR` assigning the output to VAR. Read by shell-values.ts.
 */

import { LITERAL_DOLLAR } from "./shell-scan";

const SIMPLE: Record<string, string> = { a: "\x07", b: "\b", e: "\x1b", E: "\x1b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\", "'": "'", '"': '"', "?": "?" };

/** A character an escape gives, a `$` as LITERAL_DOLLAR. */
const literal = (c: string) => (c === "$" ? LITERAL_DOLLAR : c);

/**
 * `text` with the backslash escapes printf takes off: `\n` and the like, `\xHH`, `\uHHHH`,
 * `\UHHHHHHHH` and octal. In a format an octal escape is `\NNN` (one to three digits); in a `%b`
 * argument it is `\0NNN` (a zero and up to three more) or `\NNN` from 1, and `\c` ends all output,
 * as bash's `echo -e` reads them. An escape it does not know keeps its backslash. A `$` an escape
 * gives is printed as is, nothing expanding it after: it comes out as a LITERAL_DOLLAR.
 */
export function unescaped(text: string, argument = false): { text: string; stop: boolean } {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== "\\" || i + 1 >= text.length) {
      out += text[i];
      continue;
    }
    const rest = text.slice(i + 1);
    const octal = argument ? /^0([0-7]{0,3})|^([1-7][0-7]{0,2})/.exec(rest) : /^([0-7]{1,3})/.exec(rest);
    const hex = /^(?:x([0-9A-Fa-f]{1,2})|u([0-9A-Fa-f]{1,4})|U([0-9A-Fa-f]{1,8}))/.exec(rest);
    if (argument && rest[0] === "c") return { text: out, stop: true };
    if (octal) {
      out += literal(String.fromCharCode(parseInt(octal[1] ?? octal[2] ?? "", 8) & 0xff || 0));
      i += octal[0].length;
    } else if (hex) {
      const code = parseInt(hex[1] ?? hex[2] ?? hex[3], 16);
      out += code <= 0x10ffff ? literal(String.fromCodePoint(code)) : "";
      i += hex[0].length;
    } else if (rest[0] in SIMPLE) {
      out += SIMPLE[rest[0]];
      i++;
    } else out += "\\";
  }
  return { text: out, stop: false };
}

/**
 * A number argument as printf reads it: decimal, `0x` hex, `0` octal, or a leading quote giving
 * the next character's code; anything else (bash complains) as 0. Never a credential.
 */
function numberOf(arg: string | undefined): number {
  if (arg === undefined || arg === "") return 0;
  if (/^['"]/.test(arg)) return arg.codePointAt(1) ?? 0;
  const m = /^\s*[-+]?(?:0[xX][0-9A-Fa-f]+|0[0-7]*|[1-9]\d*)/.exec(arg);
  return m ? Number(m[0].replace(/^(\s*[-+]?)0([0-7]+)$/, (_all, sign: string, digits: string) => `${sign}${parseInt(digits, 8)}`)) || 0 : 0;
}

/** One conversion, `%[flags][width][.precision]<conversion>` (`*` taking an argument for either). */
const CONVERSION = /%([-+ #0]*)(\*|\d*)(?:\.(\*|\d*))?([sbqcdiouxXeEfFgGaA%])?/g;

/**
 * What printf prints with `format` and `args`: the format (its escapes taken off) with each
 * conversion filled from the next argument, then again from the start while arguments remain.
 */
export function printfOutput(format: string, args: string[]): string {
  let out = "";
  let next = 0;
  for (let pass = 0; pass === 0 || (next < args.length && pass < 64); pass++) {
    const before = next;
    let stop = false;
    let last = 0;
    for (const m of format.matchAll(CONVERSION)) {
      out += unescaped(format.slice(last, m.index)).text;
      last = m.index! + m[0].length;
      const [, flags, width, precision, conversion] = m;
      if (conversion === "%" || conversion === undefined) {
        out += conversion === undefined ? m[0] : "%";
        continue;
      }
      const w = width === "*" ? numberOf(args[next++]) : Number(width || 0);
      const p = precision === "*" ? numberOf(args[next++]) : precision === undefined ? undefined : Number(precision || 0);
      const arg = args[next++];
      let text: string;
      if (conversion === "b") {
        const read = unescaped(arg ?? "", true);
        text = read.text;
        stop = read.stop;
      } else if (conversion === "s" || conversion === "q") text = arg ?? "";
      else if (conversion === "c") text = (arg ?? "").slice(0, 1);
      else text = String(Math.trunc(numberOf(arg)));
      if (p !== undefined && /[sbq]/.test(conversion)) text = text.slice(0, p);
      const pad = " ".repeat(Math.max(0, w - text.length));
      out += flags.includes("-") ? text + pad : pad + text;
      if (stop) return out;
    }
    out += unescaped(format.slice(last)).text;
    // A format taking no argument is printed once, whatever follows it.
    if (next === before) break;
  }
  return out;
}

/** A printf command's words (unquoted): what it prints, and the variable `-v` assigns it to instead, if any. */
export function printfCommand(args: string[]): { output: string; variable?: string } | undefined {
  let variable: string | undefined;
  let i = 0;
  if (args[i] === "-v") {
    variable = args[i + 1];
    i += 2;
  }
  if (args[i] === "--") i++;
  if (args[i] === undefined || (variable !== undefined && !/^[A-Za-z_]\w*(?:\[[^\]]*\])?$/.test(variable))) return undefined;
  return { output: printfOutput(args[i], args.slice(i + 1)), variable };
}
