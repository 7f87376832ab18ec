/**
 * The syntax-only CEL reader (policy/lib/cel-syntax.ts) against cel-spec doc/langdef.md: what the
 * grammar admits must parse (a false alarm costs more than a miss), what it refuses must not.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { celSyntax, celSyntaxError } from "../../policy/lib/cel-syntax";
import { celExpression, mcpCallersExpression, mcpToolAccessExpression } from "../../components/agents/security";

const VALID = [
  // literals
  "1", "-1", "0x1F", "0xaB", "42u", "0x10U", "1.5", ".5", "1e3", "1.5E-3", "2e+10", "true", "false", "null",
  `"a"`, `'a'`, `""`, `''`, `"""multi\nline "quoted" """`, `'''it's'''`, String.raw`r"\d+\."`, String.raw`R'\w'`, String.raw`b"\xff\000"`, `B'abc'`, String.raw`rb"\x"`, String.raw`bR'\\'`, `Br"a"`,
  '"\\a\\b\\f\\n\\r\\t\\v\\\\\\?\\"\\\'\\`"', String.raw`"\x41\X42\u00e9\U0001F600\101"`, `"é ü 😀"`,
  // operators and precedence
  "1 + 2 * 3 - 4 / 5 % 6", "!true", "!!false", "--1", "-(-1)", "a < b", "a <= b && b >= c || c != d", "x == y", "1 in [1, 2]", `"k" in {"k": 1}`,
  "a ? b : c", "a ? b : c ? d : e", "(a ? b : c) ? d : e", "a || b ? c && d : e", "a < b < c",
  // members, indexes, calls
  "a.b.c", ".a.b", "a[0]", "a['k'][1].c", "f()", "f(1, 2)", "a.f(x)", "a.b.f(1)[2].g()", `request.headers["x-user"]`, "size(x) > 0", "has(a.b)",
  "x.all(e, e > 0)", "x.exists_one(e, e == 1)", "[1, 2].map(x, x * 2)", "m.filter(k, k.startsWith('a'))", "int(x) + uint(y) + double(z)", "type(x) == int",
  "a.namespace", "a.if.else", "msg{namespace: 1}",
  // list, map, message construction (trailing commas allowed)
  "[]", "[1, 2, 3,]", "{}", "{1: 'a', 'b': 2,}", "{'a': [1, {'b': true}]}", "google.protobuf.Struct{}", "TestAllTypes{single_int64: 1, repeated_string: ['a'],}", ".pkg.Msg{f: 1}",
  // whitespace and comments
  "a // trailing comment", "a\n&& // c\n b", "\t1\r\n+\f2",
  // extensions: quoted fields (the optional forms are refused by both parsers read here, below)
  "a.`b-c`",
  // what the policies read
  "usage.completion_tokens", "has(usage.completion_tokens)", "source.address", "jwt.sub", "llm.inputTokens + llm.outputTokens", `request.path.startsWith("/v1") ? 1 : 0`,
];

const INVALID: [string, number][] = [
  ["", 0],
  ["a +", 3],
  ["a = b", 2],
  ["a & b", 2],
  ["(a", 2],
  ["a)", 1],
  ["[1, 2", 5],
  ["{1: }", 4],
  ["f(1,)", 4],
  ['"unterminated', 0],
  ["'new\nline'", 0],
  ['"\\q"', 1],
  ['"\\x4"', 1],
  ["0x", 0],
  ["1abc", 1],
  ["a ? b", 5],
  ["a.in", 2],
  ["a.true", 2],
  ["if", 0],
  ["let + 1", 0],
  ["namespace.x", 0],
  ["in", 0],
  ["a b", 2],
  ["a..b", 2],
  ["a.(b)", 2],
  ["#", 0],
  ["a $ b", 2],
  ["f(a)(b)", 4],
  ["[1]{}", 3],
  ['foolen_{{request.headers["user-agent"]}}', 8],
  ["`b`", 0],
];

test("cel-syntax: every form the grammar admits parses", () => {
  for (const expr of VALID) assert.deepEqual(celSyntax(expr), { ok: true }, expr);
});

test("cel-syntax: what the grammar refuses fails at its first error", () => {
  for (const [expr, at] of INVALID) {
    const r = celSyntax(expr);
    assert.equal(r.ok, false, expr);
    if (!r.ok) assert.equal(r.at, at, `${expr}: ${r.message}`);
  }
  assert.match(celSyntaxError("a = b")!, /^does not parse as CEL at character 3: unexpected character "="/);
  assert.equal(celSyntaxError("a == b"), undefined);
});

test("cel-syntax: the authorization expressions the platform renders parse", () => {
  const agents = [
    { name: "planner", namespace: "agents", tools: ["search", "calc"], versions: [{ name: "v1" }, { name: "v2" }] },
    { name: "coder", namespace: "agents-b", tools: ["search"], versions: [{ name: "stable" }] },
  ];
  const clause = { trustDomain: "cluster.local", namespace: "agents", serviceAccounts: ["a", "b"], toolTarget: "tools" };
  for (const expr of [celExpression([clause]), mcpToolAccessExpression("cluster.local", agents as any), mcpCallersExpression("cluster.local", agents as any)]) {
    assert.deepEqual(celSyntax(expr), { ok: true }, expr);
  }
});

// cel-go (the picker's reporters; llm-d-router v0.10.0 pins cel-go v0.29.2) refuses reserved words
// as identifiers (parser.go reservedIds) and integer literals past 64 bits (VisitInt/VisitUint:
// strconv.ParseInt with the sign, ParseUint). agentgateway v1.4.1 compiles with its cel fork
// (crates/cel-fork/cel 0.13.0, Parser::default()): no reserved-word check, the same ranges, but
// its visit_Int parses the literal's text with the sign, so a signed hex literal fails, and
// optional syntax is off (enable_optional_syntax false).
test("cel-syntax: integer literals past 64 bits fail for both parsers; -2^63 parses", () => {
  for (const dialect of ["cel-go", "agentgateway"] as const) {
    for (const expr of ["9223372036854775807", "-9223372036854775808", "- 9223372036854775808", "18446744073709551615u", "0xFFFFFFFFFFFFFFFFu", "0x7FFFFFFFFFFFFFFF", "a - 9223372036854775807", "4--4"]) {
      assert.deepEqual(celSyntax(expr, dialect), { ok: true }, `${dialect}: ${expr}`);
    }
    for (const [expr, at] of [["9223372036854775808", 0], ["x + 9223372036854775808", 4], ["18446744073709551616u", 0], ["0x8000000000000000", 0], ["0x10000000000000000u", 0], ["[1, 99999999999999999999]", 4]] as const) {
      const r = celSyntax(expr, dialect);
      assert.equal(r.ok, false, `${dialect}: ${expr}`);
      if (!r.ok) assert.equal(r.at, at, `${dialect}: ${expr}: ${r.message}`);
    }
  }
  assert.match(celSyntaxError("9223372036854775808", "agentgateway")!, /invalid int literal/);
  // cel-go reports at the literal's sign, agentgateway's parser at its number token.
  assert.deepEqual(celSyntax("-9223372036854775809", "cel-go"), { ok: false, at: 0, message: "invalid int literal: -9223372036854775809 does not fit a 64-bit int" });
  assert.equal((celSyntax("-9223372036854775809", "agentgateway") as { at: number }).at, 1);
  assert.match(celSyntaxError("18446744073709551616u", "cel-go")!, /invalid uint literal/);
  // A hex digit run is lower-case 0x only in the grammar (NUM_INT: '0x' HEXDIGIT+).
  assert.equal(celSyntax("0XaB").ok, false);
});

test("cel-syntax: agentgateway's parser takes reserved words as identifiers and refuses signed hex; both refuse optional syntax", () => {
  for (const expr of ["if", "let + 1", "namespace.x", "as(1)", "while && void"]) {
    assert.equal(celSyntax(expr, "cel-go").ok, false, `cel-go: ${expr}`);
  }
  for (const expr of ["if", "let + 1", "namespace.x", "as(1)", "while && void"]) assert.deepEqual(celSyntax(expr, "agentgateway"), { ok: true }, expr);
  assert.deepEqual(celSyntax("-0x10", "cel-go"), { ok: true });
  assert.deepEqual(celSyntax("-0x8000000000000000", "cel-go"), { ok: true });
  assert.match(celSyntaxError("-0x10", "agentgateway")!, /at character 2: .*invalid int literal/);
  // Keywords stay keywords in both (the lexer's tokens).
  for (const expr of ["in", "a.in", "a.true"]) assert.equal(celSyntax(expr, "agentgateway").ok, false, expr);
  // The grammar admits the optional forms, but cel-go parses them only with parser.EnableOptionalSyntax, which
  // cel.OptionalTypes() alone sets (cel/library.go) and the picker's cel.NewEnv never takes (llm-d-router v0.10.0
  // requestattributereporter/plugin.go); agentgateway's fork has enable_optional_syntax false.
  for (const [expr, at] of [["a.?b", 1], ["a[?0]", 1], ["[?a, b]", 1], ["{?'k': v}", 1], ["Msg{?f: x}", 4]] as const) {
    for (const dialect of ["cel-go", "agentgateway"] as const) {
      const r = celSyntax(expr, dialect);
      assert.equal(r.ok, false, `${dialect}: ${expr}`);
      if (!r.ok) assert.match(r.message, /unsupported syntax/, expr);
      if (!r.ok) assert.equal(r.at, at, expr);
    }
  }
});
