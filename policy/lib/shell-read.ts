/**
 * What bash 5.2's `read` builtin assigns its names from one input (Bash Reference Manual 4.2 read,
 * 3.5.7 Word Splitting): the first line (without `-r` a backslash escapes the next character, which
 * then splits nothing, and a backslash-newline goes on with the next line), split on IFS, each
 * name but the last taking one field and the last the rest of the line; and where a `read` command
 * names its options, names and a prefix `IFS=` assignment. Read by shell-assignments.ts.
 */
import { words } from "./shell-scan";
import { unquote, wordValue } from "./shell-words";

/** IFS unset, as on a fresh VM: space, tab and newline (3.5.7). */
export const DEFAULT_IFS = " \t\n";

/** A `read` command as written: the names it assigns, whether `-r` keeps backslashes, the IFS it splits on. */
export interface ReadCommand {
  names: string[];
  raw: boolean;
  ifs: string;
}

/** `read`'s options that take an argument (`-p prompt`, `-t 5`); `-a`, `-d`, `-n`, `-N`, `-u` change what is read, so such a read is not followed. */
const WITH_ARGUMENT = /[aAdinNptu]/;
const NOT_FOLLOWED = /[adnNu]/;

/**
 * The `read` command whose words (after `read`) are `args`, run with the `prefix` assignments
 * written before it (`IFS=: read …`), else on the shell's IFS there (`shellIfs`); undefined when it
 * reads otherwise than a line into names (an array, another delimiter or descriptor, a count of
 * characters).
 */
export function readCommand(args: string, prefix = "", shellIfs = DEFAULT_IFS): ReadCommand | undefined {
  const ws = words(args);
  let raw = false;
  let i = 0;
  for (; i < ws.length && /^-\w/.test(ws[i]); i++) {
    if (ws[i] === "--") {
      i++;
      break;
    }
    for (let j = 1; j < ws[i].length; j++) {
      const option = ws[i][j];
      if (NOT_FOLLOWED.test(option)) return undefined;
      if (option === "r") raw = true;
      // Its argument is the rest of the word, else the next word.
      if (WITH_ARGUMENT.test(option)) {
        if (j === ws[i].length - 1) i++;
        break;
      }
    }
  }
  const names: string[] = [];
  for (; i < ws.length && /^[A-Za-z_]\w*$/.test(ws[i]); i++) names.push(ws[i]);
  if (names.length === 0) names.push("REPLY");
  // A prefix `IFS=…` holds for the read alone (3.7.4); a simple word only (no expansion in it).
  const assigned = words(prefix).map((w) => /^IFS=([\s\S]*)$/.exec(w)?.[1]).filter((v) => v !== undefined).pop();
  const ifs = assigned === undefined ? shellIfs : /^\$'/.test(assigned) ? unquote(assigned) : wordValue(assigned);
  return ifs.includes("$") || ifs.includes("`") ? undefined : { names, raw, ifs };
}

/** One character of the line read, and whether a backslash escaped it. */
interface Char {
  c: string;
  escaped: boolean;
}

/**
 * The first line of `input` as read reads it (without `raw`, a backslash escapes the next character
 * and a backslash-newline is dropped), and how much of the input it takes, its newline with it.
 */
function firstLine(input: string, raw: boolean): { line: Char[]; taken: number } {
  const line: Char[] = [];
  let i = 0;
  for (; i < input.length && input[i] !== "\n"; i++) {
    if (raw || input[i] !== "\\") line.push({ c: input[i], escaped: false });
    else if (input[++i] !== "\n" && i < input.length) line.push({ c: input[i], escaped: true });
  }
  return { line, taken: i + 1 };
}

/**
 * What `read` assigns its names at each run of a loop reading all of `input` (`while read …; do …;
 * done <<< …`): each line's fields, then, at the end of the input, every name empty (bash 5.2.15:
 * `while read -r a; do :; done <<< x` leaves a empty).
 */
export function readLines(input: string, command: ReadCommand): string[][] {
  const out: string[][] = [];
  for (let at = 0; at < input.length; ) {
    out.push(readFields(input.slice(at), command));
    at += firstLine(input.slice(at), command.raw).taken;
  }
  return [...out, command.names.map(() => "")];
}

/**
 * What each of `read`'s names holds after it reads `input`: IFS whitespace (space, tab, newline in
 * IFS) stripped at the line's ends, each name but the last taking one field (up to an IFS character
 * not escaped, a run of IFS whitespace around one other IFS character ending it), the last the rest
 * of the line, or its one field alone when that is all the rest holds (`IFS=: read a b <<< x:y:`
 * gives b `y`, `<<< x:y:z:` gives `y:z:`, as bash 5.2.15 here); an empty IFS splits nothing.
 */
export function readFields(input: string, { names, raw, ifs }: ReadCommand): string[] {
  const { line } = firstLine(input, raw);
  const text = (cs: Char[]) => cs.map((x) => x.c).join("");
  if (ifs === "") return names.map((_, i) => (i === 0 ? text(line) : ""));
  const white = (x: Char | undefined) => x !== undefined && !x.escaped && ifs.includes(x.c) && DEFAULT_IFS.includes(x.c);
  const delimiter = (x: Char | undefined) => x !== undefined && !x.escaped && ifs.includes(x.c);
  // A field from `at`, and where the next starts: past the whitespace, one other IFS character, and the whitespace after it.
  const field = (cs: Char[], at: number): [string, number] => {
    let end = at;
    while (end < cs.length && !delimiter(cs[end])) end++;
    let next = end;
    while (white(cs[next])) next++;
    if (delimiter(cs[next]) && !white(cs[next])) next++;
    while (white(cs[next])) next++;
    return [text(cs.slice(at, end)), next];
  };
  let at = 0;
  while (white(line[at])) at++;
  return names.map((_, i) => {
    if (i < names.length - 1) {
      if (at >= line.length) return "";
      const [value, next] = field(line, at);
      at = next;
      return value;
    }
    let end = line.length;
    while (end > at && white(line[end - 1])) end--;
    const rest = line.slice(at, end);
    const [one, next] = field(rest, 0);
    return next >= rest.length ? one : text(rest);
  });
}
