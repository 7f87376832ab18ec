/**
 * A syntax-only CEL reader, written from the grammar of cel-spec's doc/langdef.md: it answers
 * whether an expression parses and, if not, where it first fails. It never type-checks (a
 * misspelt variable or function parses fine). A false alarm costs more than a miss, so where the
 * grammar and the implementations part ways it accepts: the optional-field syntax (`a.?b`, `[?x]`,
 * `{?k: v}`) and backquoted field names, which cel-go and others take as extensions, parse here.
 */

export type CelSyntax = { ok: true } | { ok: false; at: number; message: string };

/** Language keywords: never a field name nor an identifier. */
const KEYWORDS = new Set(["true", "false", "null", "in"]);
/** Reserved for future use: a field name may be one, an identifier may not. */
const RESERVED = new Set(["as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while"]);
/** Longest first, so `<=` is read before `<`. */
const PUNCTUATION = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "+", "-", "*", "/", "%", "?", ":", ".", ",", "(", ")", "[", "]", "{", "}"];
const RELATIONS = new Set(["<", "<=", ">", ">=", "==", "!=", "in"]);

type Token = { kind: "ident" | "literal" | "punct" | "end"; text: string; at: number };

class SyntaxError extends Error {
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
  if (src[i] === "0" && (src[i + 1] === "x" || src[i + 1] === "X")) {
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

function tokenize(src: string): Token[] {
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

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.pos];
  }
  private is(text: string): boolean {
    const t = this.peek();
    return (t.kind === "punct" || (t.kind === "ident" && text === "in")) && t.text === text;
  }
  private accept(text: string): boolean {
    if (!this.is(text)) return false;
    this.pos++;
    return true;
  }
  private expect(text: string): void {
    if (!this.accept(text)) this.fail(`expected ${JSON.stringify(text)}`);
  }
  private fail(message: string): never {
    const t = this.peek();
    throw new SyntaxError(t.at, `${message}, found ${t.kind === "end" ? "the end of the expression" : JSON.stringify(t.text)}`);
  }

  whole(): void {
    this.expr();
    if (this.peek().kind !== "end") this.fail("expected an operator or the end of the expression");
  }

  /** Expr = ConditionalOr ["?" ConditionalOr ":" Expr] */
  private expr(): void {
    this.binary(0);
    if (this.accept("?")) {
      this.binary(0);
      this.expect(":");
      this.expr();
    }
  }

  /** The left-associative levels, loosest first: ||, &&, relations, + -, * / %. */
  private binary(level: number): void {
    const levels: ((t: Token) => boolean)[] = [
      (t) => t.kind === "punct" && t.text === "||",
      (t) => t.kind === "punct" && t.text === "&&",
      (t) => (t.kind === "punct" || t.kind === "ident") && RELATIONS.has(t.text),
      (t) => t.kind === "punct" && (t.text === "+" || t.text === "-"),
      (t) => t.kind === "punct" && (t.text === "*" || t.text === "/" || t.text === "%"),
    ];
    const operand = () => (level + 1 < levels.length ? this.binary(level + 1) : this.unary());
    operand();
    while (levels[level](this.peek())) {
      this.pos++;
      operand();
    }
  }

  private unary(): void {
    while (this.is("!") || this.is("-")) this.pos++;
    this.member();
  }

  private member(): void {
    let qualified = this.primary();
    for (;;) {
      if (this.accept(".")) {
        this.accept("?");
        this.selector();
        if (this.accept("(")) {
          this.list(")", () => this.expr());
          qualified = false;
        }
      } else if (this.accept("[")) {
        this.accept("?");
        this.expr();
        this.expect("]");
        qualified = false;
      } else if (qualified && this.accept("{")) {
        this.list("}", () => {
          this.accept("?");
          this.selector();
          this.expect(":");
          this.expr();
        });
        qualified = false;
      } else return;
    }
  }

  /** A field or function name after a dot (reserved words allowed, keywords not). */
  private selector(): void {
    const t = this.peek();
    if (t.kind !== "ident" || KEYWORDS.has(t.text)) this.fail("expected a field name");
    this.pos++;
  }

  /** Returns whether what was read is a (possibly dotted) name a message construction may follow. */
  private primary(): boolean {
    const t = this.peek();
    if (this.accept(".")) {
      const id = this.peek();
      if (id.kind !== "ident" || id.text.startsWith("`")) this.fail("expected an identifier after a leading dot");
      return this.identifier();
    }
    if (t.kind === "literal") {
      this.pos++;
      return false;
    }
    if (t.kind === "ident" && !t.text.startsWith("`")) return this.identifier();
    if (this.accept("(")) {
      this.expr();
      this.expect(")");
      return false;
    }
    if (this.accept("[")) {
      this.list("]", () => {
        this.accept("?");
        this.expr();
      });
      return false;
    }
    if (this.accept("{")) {
      this.list("}", () => {
        this.accept("?");
        this.expr();
        this.expect(":");
        this.expr();
      });
      return false;
    }
    return this.fail("expected an operand");
  }

  private identifier(): boolean {
    const t = this.peek();
    if (KEYWORDS.has(t.text) || RESERVED.has(t.text)) this.fail(`${JSON.stringify(t.text)} is a reserved word, not an identifier`);
    this.pos++;
    if (this.accept("(")) {
      this.list(")", () => this.expr());
      return false;
    }
    return true;
  }

  /** Items up to `close`, comma-separated, a trailing comma allowed except in call arguments. */
  private list(close: string, item: () => void): void {
    if (this.accept(close)) return;
    for (;;) {
      item();
      if (this.accept(close)) return;
      this.expect(",");
      if (close !== ")" && this.accept(close)) return;
    }
  }
}

/** Whether `expression` is CEL by the grammar, or where (a character offset) and why it first fails. */
export function celSyntax(expression: string): CelSyntax {
  try {
    new Parser(tokenize(expression)).whole();
    return { ok: true };
  } catch (e) {
    if (e instanceof SyntaxError) return { ok: false, at: e.at, message: e.message };
    throw e;
  }
}

/** `"… at character N: why"`, or undefined when the expression parses. */
export function celSyntaxError(expression: string): string | undefined {
  const r = celSyntax(expression);
  return r.ok ? undefined : `does not parse as CEL at character ${r.at + 1}: ${r.message}`;
}
