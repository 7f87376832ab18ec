/**
 * Where a boot script's commands start, as bash 5.2 reads them, and its `case` commands (Bash
 * Reference Manual 3.2.5.2 Conditional Constructs: `case word in [(]pattern [| pattern]…) list ;;
 * … esac`, each clause ended by `;;`, `;&` or `;;&`), whose patterns' parentheses open and close no
 * group or command substitution. Read by shell-scan.ts (quotedEnd), shell-structure.ts,
 * shell-flow.ts and shell-output.ts.
 */

/** A redirection's target word: quoted, or up to a blank or an operator. */
export const TARGET = String.raw`"[^"\n]*"|'[^'\n]*'|[^\s;&|<>()]+`;

/** One redirection (3.6 Redirections): its descriptor (or `&`), its operator and its target, each captured. */
export const OPERATOR = String.raw`(\d+|&)?(<>|>>|>\||>&|<&|>|<)[ \t]*(${TARGET})`;

/** A command's own redirections, at the start of what follows its words (a function definition's, after its body). */
export const OWN = new RegExp(String.raw`^(?:[ \t]*(?:\d+|&)?(?:<>|>>|>\||>&|<&|>|<)[ \t]*(?:${TARGET}))+`);

/** Whether `i` stands where a command starts: after a line's start, an operator, `{`, `(` or a reserved word taking a list. */
export function atCommandStart(text: string, i: number): boolean {
  const before = text.slice(text.lastIndexOf("\n", i - 1) + 1, i);
  // `)` ends a function's `()` or a case pattern; `function fname` comes before a body too.
  return /(?:^|[;&|{()]|(?:^|[\s;&|])(?:then|do|else|elif|!|function[ \t]+[\w.:-]+))[ \t]*$/.test(before) && !/(?:\$\(|\$\(\()[ \t]*$/.test(before);
}

/** Whether the reserved word `word` stands at `i`, a word of its own. */
export const reserved = (text: string, i: number, word: string) => text.startsWith(word, i) && /^(?:[\s;&|()]|$)/.test(text[i + word.length] ?? "") && (i === 0 || /[\s;&|()]/.test(text[i - 1]));

/** An open `case` (3.2.5.2 Conditional Constructs): whether its `in` is read, and whether a pattern is (after `in`, `;;`, `;&`, `;;&`, up to its `)`). */
export interface CaseFrame {
  at: number;
  kind: "case";
  in: boolean;
  pattern: boolean;
}

/**
 * Reads the character at `i` for the case on top of `stack`, opening one at a `case` where a
 * command starts (`start`): whether the case takes it — a pattern's characters and parentheses,
 * its `esac`, a `)` no group can take there — so that no group opens or closes at it.
 */
export function caseReads(text: string, i: number, stack: { kind: string }[], start: (i: number) => boolean): boolean {
  const c = text[i];
  const top = stack[stack.length - 1] as CaseFrame | undefined;
  if (top?.kind === "case") {
    if ((top.pattern || start(i)) && reserved(text, i, "esac")) stack.pop();
    else if (!top.in && reserved(text, i, "in")) top.in = top.pattern = true;
    else if (top.pattern && (c === "(" || c === ")")) top.pattern = c === "(";
    else if (top.in && !top.pattern && c === ";" && /[;&]/.test(text[i + 1] ?? "")) top.pattern = true;
    if (top !== stack[stack.length - 1] || top.pattern || c === ")" || (c === "(" && !start(i))) return true;
  }
  if (!reserved(text, i, "case") || !start(i)) return false;
  stack.push({ at: i, kind: "case", in: false, pattern: false } as CaseFrame);
  return true;
}
