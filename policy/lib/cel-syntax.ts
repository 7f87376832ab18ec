/**
 * A syntax-only CEL reader, written from the grammar of cel-spec's doc/langdef.md: it answers
 * whether an expression parses and, if not, where it first fails. It never type-checks (a
 * misspelt variable or function parses fine). A false alarm costs more than a miss, so where the
 * grammar and the implementations part ways it accepts: backquoted field names parse here.
 *
 * Past the grammar it reads as the parser that evaluates the expression (the dialect):
 * - `cel-go` (the picker's reporters: llm-d-router v0.10.0 pins cel-go v0.29.2; parser/parser.go):
 *   a reserved word (`reservedIds`) is no identifier nor function name ("reserved identifier"); an
 *   int literal, its sign included, and a uint literal must fit 64 bits (`VisitInt` strconv.ParseInt
 *   with the sign, `VisitUint` ParseUint: "invalid int literal", "invalid uint literal"). The
 *   optional syntax (`a.?b`, `[?x]`, `{?k: v}`) is "unsupported syntax": only `cel.OptionalTypes()`
 *   turns on `parser.EnableOptionalSyntax` (cel/library.go), and the reporter's `cel.NewEnv` takes
 *   just its `usage` variable (requestattributereporter/plugin.go).
 * - `agentgateway` (v1.4.1's proxy compiles with its own fork of the `cel` crate, 0.13.0,
 *   crates/cel-fork/cel: `Program::compile` with `Parser::default()`; parser/parser.rs): no
 *   reserved-word check, so `if` or `namespace` is a name; the same 64-bit ranges, but `visit_Int`
 *   parses the literal's text sign and all and strips `0x` only from its front, so a signed hex
 *   literal (`-0x10`) is an invalid int literal; `enable_optional_syntax` is false, so every
 *   optional form is "unsupported syntax".
 * A run of two or more minus signs before an int literal may leave it unsigned or signed (the
 * grammar's Negate and signed literal overlap): either reading that parses is taken.
 */
import { SyntaxError, type Token, tokenize } from "./cel-lexer";

export type CelSyntax = { ok: true } | { ok: false; at: number; message: string };
export type CelDialect = "cel-go" | "agentgateway";

const INT_MAX = 2n ** 63n - 1n;
const UINT_MAX = 2n ** 64n - 1n;

/** Language keywords: never a field name nor an identifier. */
const KEYWORDS = new Set(["true", "false", "null", "in"]);
/** Reserved for future use: to cel-go a field name may be one, an identifier may not. */
const RESERVED = new Set(["as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while"]);
const RELATIONS = new Set(["<", "<=", ">", ">=", "==", "!=", "in"]);
class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly dialect: CelDialect,
  ) {}

  /** `?` of the optional syntax (at token `at`), which both parsers have turned off. */
  private optional(at: Token, what: string): void {
    if (!this.accept("?")) return;
    const whose = this.dialect === "agentgateway" ? "agentgateway's CEL parser" : "the picker's CEL environment (no cel.OptionalTypes)";
    throw new SyntaxError(at.at, `unsupported syntax '${what}': ${whose} has optional syntax off`);
  }

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
    const start = this.pos;
    while (this.is("!") || this.is("-")) this.pos++;
    let minuses = 0;
    while (this.pos - minuses > start && this.tokens[this.pos - minuses - 1].text === "-") minuses++;
    this.integerRange(minuses);
    this.member();
  }

  /** An int or uint literal next, `minuses` minus signs before it: within 64 bits, as the dialect's parser reads it. */
  private integerRange(minuses: number): void {
    const t = this.peek();
    const hex = t.text.startsWith("0x");
    if (t.kind !== "literal" || !/^[0-9]/.test(t.text) || (!hex && /[.eE]/.test(t.text))) return;
    if (/[uU]$/.test(t.text)) {
      if (BigInt(t.text.slice(0, -1)) > UINT_MAX) throw new SyntaxError(t.at, `invalid uint literal: ${t.text} does not fit 64 bits`);
      return;
    }
    // One minus is the literal's own sign; with more, either reading may be the parser's.
    const sign = minuses === 1 ? this.tokens[this.pos - 1] : undefined;
    const signedHexFails = hex && this.dialect === "agentgateway";
    // cel-go reports at the literal's start (its sign), agentgateway's parser at the number token.
    const at = this.dialect === "cel-go" ? (sign ?? t).at : t.at;
    if (sign && signedHexFails) throw new SyntaxError(at, `invalid int literal: agentgateway's parser reads -${t.text} as one decimal number`);
    const max = sign || (minuses > 1 && !signedHexFails) ? INT_MAX + 1n : INT_MAX;
    if (BigInt(t.text) > max) throw new SyntaxError(at, `invalid int literal: ${sign ? "-" : ""}${t.text} does not fit a 64-bit int`);
  }

  private member(): void {
    let qualified = this.primary();
    for (;;) {
      if (this.accept(".")) {
        this.optional(this.tokens[this.pos - 1], ".?");
        this.selector();
        if (this.accept("(")) {
          this.list(")", () => this.expr());
          qualified = false;
        }
      } else if (this.accept("[")) {
        this.optional(this.tokens[this.pos - 1], "[?");
        this.expr();
        this.expect("]");
        qualified = false;
      } else if (qualified && this.accept("{")) {
        this.list("}", () => {
          this.optional(this.peek(), "?");
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
        this.optional(this.peek(), "?");
        this.expr();
      });
      return false;
    }
    if (this.accept("{")) {
      this.list("}", () => {
        this.optional(this.peek(), "?");
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
    if (KEYWORDS.has(t.text) || (RESERVED.has(t.text) && this.dialect === "cel-go")) this.fail(`${JSON.stringify(t.text)} is a reserved word, not an identifier`);
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

/**
 * Whether `expression` is CEL to the parser of `dialect` (cel-go unless said), or where (a
 * character offset) and why it first fails.
 */
export function celSyntax(expression: string, dialect: CelDialect = "cel-go"): CelSyntax {
  try {
    new Parser(tokenize(expression), dialect).whole();
    return { ok: true };
  } catch (e) {
    if (e instanceof SyntaxError) return { ok: false, at: e.at, message: e.message };
    throw e;
  }
}

/** `"… at character N: why"`, or undefined when the expression parses. */
export function celSyntaxError(expression: string, dialect: CelDialect = "cel-go"): string | undefined {
  const r = celSyntax(expression, dialect);
  return r.ok ? undefined : `does not parse as CEL at character ${r.at + 1}: ${r.message}`;
}
