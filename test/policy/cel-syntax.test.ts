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
  "1", "-1", "0x1F", "0XaB", "42u", "0x10U", "1.5", ".5", "1e3", "1.5E-3", "2e+10", "true", "false", "null",
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
  // extensions cel-go and agentgateway take: optional selection and construction, quoted fields
  "a.?b", "a[?0]", "[?a, b]", "{?'k': v}", "Msg{?f: x}", "a.`b-c`",
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
