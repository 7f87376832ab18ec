/**
 * Where a key sits in a block-style YAML document, from its line alone: js-yaml reports a
 * duplicated key by line and column only, and a stack file's reader wants the config path
 * (`clusters[1].nodeGroups[0].instanceType`) it is at.
 */

type Step = { col: number; key?: string; index?: number; line: number };

/** `  - - name: x` → the columns of its `-` items and its key with the key's column. */
function tokens(text: string): { items: number[]; key?: { name: string; col: number }; blockScalar: boolean } | undefined {
  const m = /^( *)((?:- +)*)(?:([^\s#'"\-?](?:[^:#]|:(?=\S))*?|"[^"]*"|'[^']*') *:(?: +|$)(.*)|.*)$/.exec(text);
  if (!m) return undefined;
  const items: number[] = [];
  let col = m[1].length;
  for (const dash of m[2].match(/- +/g) ?? []) {
    items.push(col);
    col += dash.length;
  }
  if (m[3] === undefined) return items.length ? { items, blockScalar: false } : undefined;
  const name = /^["']/.test(m[3]) ? m[3].slice(1, -1) : m[3];
  return { items, key: { name, col }, blockScalar: /^[|>][-+0-9]*\s*(#.*)?$/.test(m[4] ?? "") };
}

/**
 * The path of the key starting at `line`:`column` (0-based, as js-yaml marks it) and the line
 * where the same path was first set, or undefined where the document is not plain block style
 * there (a flow mapping, a key the scan does not find at that column).
 */
export function blockKeyPath(text: string, line: number, column: number): { path: (string | number)[]; firstLine?: number } | undefined {
  const lines = text.split(/\r?\n/);
  const stack: Step[] = [];
  const seen = new Map<string, number>();
  let scalarAbove: number | undefined;
  for (let i = 0; i <= line && i < lines.length; i++) {
    const raw = lines[i];
    if (/^\s*(#.*)?$/.test(raw) || /^(---|\.\.\.)\s*$/.test(raw)) continue;
    const indent = raw.length - raw.trimStart().length;
    if (scalarAbove !== undefined && indent > scalarAbove) continue;
    scalarAbove = undefined;
    const t = tokens(raw);
    if (!t) {
      if (i === line) return undefined;
      continue;
    }
    for (const col of t.items) {
      while (stack.length && stack[stack.length - 1].col > col) stack.pop();
      const top = stack[stack.length - 1];
      if (top && top.index !== undefined && top.col === col) top.index += 1;
      else stack.push({ col, index: 0, line: i });
    }
    if (!t.key) continue;
    while (stack.length && stack[stack.length - 1].col >= t.key.col) stack.pop();
    stack.push({ col: t.key.col, key: t.key.name, line: i });
    if (t.blockScalar) scalarAbove = t.key.col;
    const path = stack.map((s) => s.key ?? s.index!);
    const id = JSON.stringify(path);
    if (i === line) return t.key.col === column ? { path, firstLine: seen.get(id) } : undefined;
    if (!seen.has(id)) seen.set(id, i);
  }
  return undefined;
}
