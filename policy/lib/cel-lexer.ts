/**
 * The tokens of a CEL expression, as cel-spec's doc/langdef.md lexes them (the ANTLR grammar
 * CEL.g4 that cel-go and agentgateway's cel fork share): read by cel-syntax.ts alone.
 */

/** Longest first, so `<=` is read before `<`. */
const PUNCTUATION = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "+", "-", "*", "/", "%", "?", ":", ".", ",", "(", ")", "[", "]", "{", "}"];

export type Token = { kind: "ident" | "literal" | "punct" | "end"; text: string; at: number };

export class SyntaxError extends Error {
  constructor(readonly at: number, message: string) {
    super(message);
  }
}

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);
const isIdentStart = (c: string | undefined) => c !== undefined && /^[_a-zA-Z]$/.test(c);
const isIdentPart = (c: string | undefined) => c !== undefined && /^[_a-zA-Z0-9]$/.test(c);

/** The end of the escape sequence starting at `i` (a backslash) in a quoted, non-raw literal. */
function escapeEnd(src: string, i: number): number {
  const c = src[i + 1];
  const digits = (from: number, n: number, ok: (d: string | undefined) => boolean) => {
    for (let k = 0; k < n; k++) if (!ok(src[from + k])) throw new SyntaxError(i, `invalid escape sequence \\${src.slice(i + 1, from + n)}`);
    return from + n;
  };
  if (c !== undefined && `abfnrtv"'\\?\``.includes(c)) return i + 2;
  if (c === "x" || c === "X") return digits(i + 2, 2, isHex);
  if (c === "u") return digits(i + 2, 4, isHex);
  if (c === "U") return digits(i + 2, 8, isHex);
  if (c !== undefined && c >= "0" && c <= "3") return digits(i + 2, 2, (d) => d !== undefined && d >= "0" && d <= "7");
  throw new SyntaxError(i, `invalid escape sequence \\${c ?? ""}`);
}

/** The end of the string or bytes literal whose prefix starts at `start` and whose quote is at `q`. */
function stringEnd(src: string, start: number, q: number): number {
  const raw = /r/i.test(src.slice(start, q));
  const quote = src[q];
  const triple = src.startsWith(quote.repeat(3), q);
  const close = triple ? quote.repeat(3) : quote;
  let i = q + close.length;
  while (i < src.length) {
    if (src.startsWith(close, i)) return i + close.length;
    const c = src[i];
    if (!triple && (c === "\n" || c === "\r")) break;
    if (c === "\\" && !raw) i = escapeEnd(src, i);
    else i++;
  }
  throw new SyntaxError(start, "unterminated string literal");
}

/** The end of the number starting at `i` (a digit, or a dot before a digit). */
function numberEnd(src: string, i: number): number {
  // NUM_INT and NUM_UINT spell hex with a lower-case `0x` only: `0X1` is `0` then a name.
  if (src[i] === "0" && src[i + 1] === "x") {
    let j = i + 2;
    while (isHex(src[j])) j++;
    if (j === i + 2) throw new SyntaxError(i, "invalid hex literal");
    return src[j] === "u" || src[j] === "U" ? j + 1 : j;
  }
  let j = i;
  while (isDigit(src[j])) j++;
  let float = false;
  if (src[j] === "." && isDigit(src[j + 1])) {
    float = true;
    j++;
    while (isDigit(src[j])) j++;
  }
  if ((src[j] === "e" || src[j] === "E") && (isDigit(src[j + 1]) || ((src[j + 1] === "+" || src[j + 1] === "-") && isDigit(src[j + 2])))) {
    float = true;
    j += src[j + 1] === "+" || src[j + 1] === "-" ? 2 : 1;
    while (isDigit(src[j])) j++;
  }
  if (!float && (src[j] === "u" || src[j] === "U")) j++;
  return j;
}

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (" \t\n\r\f".includes(c)) {
      i++;
      continue;
    }
    if (src.startsWith("//", i)) {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    const prefix = /^(?:[rR][bB]?|[bB][rR]?)?(?=["'])/.exec(src.slice(i, i + 3));
    if (c === '"' || c === "'" || (prefix && prefix[0] !== "")) {
      const q = i + (prefix?.[0].length ?? 0);
      const end = stringEnd(src, i, q);
      tokens.push({ kind: "literal", text: src.slice(i, end), at: i });
      i = end;
      continue;
    }
    if (isDigit(c) || (c === "." && isDigit(src[i + 1]) && !(tokens.length && isMemberEnd(tokens[tokens.length - 1])))) {
      const end = numberEnd(src, i);
      if (isIdentPart(src[end])) throw new SyntaxError(end, `unexpected ${JSON.stringify(src[end])} after a number`);
      tokens.push({ kind: "literal", text: src.slice(i, end), at: i });
      i = end;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (isIdentPart(src[j])) j++;
      const word = src.slice(i, j);
      tokens.push({ kind: word === "true" || word === "false" || word === "null" ? "literal" : "ident", text: word, at: i });
      i = j;
      continue;
    }
    if (c === "`") {
      // A backquoted field name (an extension cel-go and cel-spec's newer grammar take): accepted.
      const end = src.indexOf("`", i + 1);
      if (end < 0 || /[\r\n]/.test(src.slice(i, end))) throw new SyntaxError(i, "unterminated quoted identifier");
      tokens.push({ kind: "ident", text: src.slice(i, end + 1), at: i });
      i = end + 1;
      continue;
    }
    const p = PUNCTUATION.find((op) => src.startsWith(op, i));
    if (!p) throw new SyntaxError(i, `unexpected character ${JSON.stringify(c)}`);
    tokens.push({ kind: "punct", text: p, at: i });
    i += p.length;
  }
  tokens.push({ kind: "end", text: "", at: src.length });
  return tokens;
}

/** Whether a token can end an operand, so a following `.5` is a member access, not a number. */
function isMemberEnd(t: Token): boolean {
  return t.kind === "ident" || t.kind === "literal" || t.text === ")" || t.text === "]" || t.text === "}";
}

