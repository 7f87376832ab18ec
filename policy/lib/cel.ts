/**
 * agentgateway authorization (AgentgatewayPolicy `traffic.authorization`): CEL expressions over
 * `source.identity.{namespace,serviceAccount}`, the caller's Istio workload identity. The reader
 * below never guesses: an expression it cannot prove restricted counts as open.
 */

/** Where `op` occurs outside string literals and brackets; undefined when the text does not balance. */
function topLevel(expr: string, op: string): number[] | undefined {
  const at: number[] = [];
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) {
      if (--depth < 0) return undefined;
    } else if (depth === 0 && expr.startsWith(op, i)) {
      at.push(i);
      i += op.length - 1;
    }
  }
  return quote || depth !== 0 ? undefined : at;
}

function splitTopLevel(expr: string, op: string): string[] | undefined {
  const at = topLevel(expr, op);
  if (!at) return undefined;
  const parts: string[] = [];
  let start = 0;
  for (const i of at) {
    parts.push(expr.slice(start, i).trim());
    start = i + op.length;
  }
  parts.push(expr.slice(start).trim());
  return parts;
}

/** `(x)` → `x`, as long as the outer parentheses enclose the whole expression. */
function stripParens(expr: string): string {
  let e = expr.trim();
  while (e.startsWith("(") && e.endsWith(")") && topLevel(e.slice(1, -1), "\u0000") !== undefined) e = e.slice(1, -1).trim();
  return e;
}

const celString = String.raw`(?:"([^"\\]*)"|'([^'\\]*)')`;
const identityField = String.raw`source\.identity\.(namespace|serviceAccount)`;
const equalsAtom = new RegExp(String.raw`^(?:${identityField}\s*==\s*${celString}|${celString}\s*==\s*${identityField})$`);
const inAtom = new RegExp(String.raw`^${identityField}\s+in\s+\[([^\]]*)\]$`);

/** `source.identity.namespace == "agents"`, `… serviceAccount in ["a", "b"]` → the field and the values it allows. */
function identityAtom(expr: string): { field: "namespace" | "serviceAccount"; values: string[] } | undefined {
  const eq = equalsAtom.exec(expr);
  if (eq) return { field: (eq[1] ?? eq[5]) as "namespace" | "serviceAccount", values: [eq[2] ?? eq[3] ?? eq[4] ?? eq[6] ?? ""] };
  const within = inAtom.exec(expr);
  if (!within) return undefined;
  const items = within[2].trim() === "" ? [] : within[2].split(",").map((s) => s.trim());
  const values = items.map((s) => new RegExp(`^${celString}$`).exec(s));
  if (values.some((m) => !m)) return undefined;
  return { field: within[1] as "namespace" | "serviceAccount", values: values.map((m) => m![1] ?? m![2]) };
}

/**
 * The `namespace/serviceAccount` identities an agentgateway CEL expression can match at most, or
 * undefined when it may match a caller outside any such set (`true`, a namespace alone, a ternary,
 * a negation, anything this reader does not know). `||` unites, `&&` intersects: a clause is
 * bounded once it pins both the namespace and the ServiceAccount (or holds a bounded sub-clause);
 * other conjuncts (`mcp.tool.target == …`, the trust domain) only narrow it further.
 */
export function celIdentityBound(expr: string): Set<string> | undefined {
  const e = stripParens(expr);
  const ternary = topLevel(e, "?");
  if (!ternary || ternary.length > 0) return undefined;
  const ors = splitTopLevel(e, "||");
  if (!ors) return undefined;
  if (ors.length > 1) {
    const out = new Set<string>();
    for (const clause of ors) {
      const ids = celIdentityBound(clause);
      if (!ids) return undefined;
      ids.forEach((id) => out.add(id));
    }
    return out;
  }
  const ands = splitTopLevel(e, "&&");
  if (!ands || ands.length < 2) return undefined;
  const pinned: Partial<Record<"namespace" | "serviceAccount", string[]>> = {};
  const bounds: Set<string>[] = [];
  for (const conjunct of ands) {
    const atom = identityAtom(conjunct);
    if (atom) {
      const before = pinned[atom.field];
      pinned[atom.field] = before ? before.filter((v) => atom.values.includes(v)) : atom.values;
      continue;
    }
    const sub = conjunct.startsWith("(") ? celIdentityBound(conjunct) : undefined;
    if (sub) bounds.push(sub);
  }
  if (pinned.namespace && pinned.serviceAccount) bounds.push(new Set(pinned.namespace.flatMap((ns) => pinned.serviceAccount!.map((sa) => `${ns}/${sa}`))));
  if (bounds.length === 0) return undefined;
  return new Set([...bounds[0]].filter((id) => bounds.every((b) => b.has(id))));
}

/** `mcp.tool.target == "x"` (either side), or `mcp.tool.target in ["x", …]`: the MCP targets a conjunct allows. */
function toolAtom(expr: string): string[] | undefined {
  const eq = new RegExp(String.raw`^(?:mcp\.tool\.target\s*==\s*${celString}|${celString}\s*==\s*mcp\.tool\.target)$`).exec(expr);
  if (eq) return [eq[1] ?? eq[2] ?? eq[3] ?? eq[4] ?? ""];
  const within = new RegExp(String.raw`^mcp\.tool\.target\s+in\s+\[([^\]]*)\]$`).exec(expr);
  if (!within) return undefined;
  const items = within[1].trim() === "" ? [] : within[1].split(",").map((s) => new RegExp(`^${celString}$`).exec(s.trim()));
  return items.some((m) => !m) ? undefined : items.map((m) => m![1] ?? m![2]);
}

/** One clause of an MCP authorization: the targets it allows ("*": every one) to callers (`any`: not pinned to identities). */
export interface ToolGrant {
  tools: string[] | "*";
  ids: Set<string> | "any";
}

/**
 * What an agentgateway MCP authorization expression grants: per `||` clause, the MCP targets its
 * `mcp.tool.target` conjunct names (every target without one) and the `namespace/serviceAccount`
 * identities {@link celIdentityBound} pins (`any` when it pins none). Undefined when the text does
 * not balance, or a clause holds a ternary or another `||` this reader cannot split.
 */
export function celToolGrants(expr: string): ToolGrant[] | undefined {
  const ors = splitTopLevel(stripParens(expr), "||");
  if (!ors) return undefined;
  const out: ToolGrant[] = [];
  for (const raw of ors) {
    const clause = stripParens(raw);
    if (ors.length > 1 && (splitTopLevel(clause, "||")?.length ?? 0) > 1) {
      const nested = celToolGrants(clause);
      if (!nested) return undefined;
      out.push(...nested);
      continue;
    }
    const ternary = topLevel(clause, "?");
    const ands = splitTopLevel(clause, "&&");
    if (!ternary || ternary.length > 0 || !ands) return undefined;
    // Two target conjuncts intersect; none leaves every target.
    let tools: string[] | "*" = "*";
    for (const atom of ands.map((a) => toolAtom(stripParens(a))).filter((a): a is string[] => a !== undefined)) tools = tools === "*" ? atom : tools.filter((t) => atom.includes(t));
    out.push({ tools, ids: celIdentityBound(clause) ?? "any" });
  }
  return out;
}
