/**
 * A small YAML reader for the overlays Istio reads from ConfigMap strings (a Gateway's
 * `infrastructure.parametersRef`, a GatewayClass's defaults). The pack carries no YAML library,
 * and those overlays are short Kubernetes patches: block mappings and sequences, plain and quoted
 * scalars, flow collections (JSON included), comments and block scalars. What it does not read
 * (anchors, aliases, tags, complex keys, several documents, tabs in indentation, plain scalars
 * over several lines) throws {@link YamlSubsetError}, so a rule says it cannot judge the overlay
 * instead of misreading it.
 */

export class YamlSubsetError extends Error {}

interface Line {
  indent: number;
  text: string;
  /** Index in the raw lines (block scalars read the raw text after it). */
  raw: number;
}

const fail = (why: string): never => {
  throw new YamlSubsetError(why);
};

/** The line without its comment: `#` at the start or after a blank, outside quotes. */
function stripComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      // A quote opens a quoted scalar only at a token's start (`it's` is plain).
      if (i === 0 || /[\s\[{,:-]/.test(text[i - 1])) quote = c;
    } else if (c === "#" && (i === 0 || /\s/.test(text[i - 1]))) {
      return text.slice(0, i).trimEnd();
    }
  }
  return text.trimEnd();
}

/** A plain scalar resolved as Kubernetes' YAML reader types it: null, booleans, numbers, else a string. */
function plainScalar(text: string): unknown {
  if (/^[&*!]/.test(text)) fail(`anchors, aliases and tags are not read (${text})`);
  if (/^[-?:](\s|$)/.test(text) && text !== "-") fail(`a plain scalar cannot start with an indicator (${text})`);
  if (["", "~", "null", "Null", "NULL"].includes(text)) return null;
  if (["true", "True", "TRUE"].includes(text)) return true;
  if (["false", "False", "FALSE"].includes(text)) return false;
  if (/^[-+]?(0|[1-9][0-9]*)$/.test(text)) return Number(text);
  if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(text)) return Number(text);
  return text;
}

function doubleQuoted(text: string): string {
  try {
    return JSON.parse(text.replace(/\\\//g, "/")) as string;
  } catch {
    return fail(`a double-quoted scalar with escapes this reader does not know (${text})`);
  }
}

/** Flow collections and scalars on one logical line: `[a, {k: v}]`, `"x"`, `plain`. */
function parseFlow(text: string): unknown {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const quoted = (): string => {
    const q = text[i];
    let j = i + 1;
    for (; j < text.length; j++) {
      if (q === '"' && text[j] === "\\") j++;
      else if (text[j] === q) {
        if (q === "'" && text[j + 1] === "'") j++;
        else break;
      }
    }
    if (j >= text.length) fail(`an unterminated quoted scalar (${text})`);
    const body = text.slice(i, j + 1);
    i = j + 1;
    return q === '"' ? doubleQuoted(body) : body.slice(1, -1).replace(/''/g, "'");
  };
  const plain = (inFlow: boolean): unknown => {
    const start = i;
    while (i < text.length) {
      const c = text[i];
      if (inFlow && (c === "," || c === "]" || c === "}")) break;
      if (inFlow && c === ":" && (i + 1 >= text.length || /[\s,\]}]/.test(text[i + 1]))) break;
      i++;
    }
    return plainScalar(text.slice(start, i).trim());
  };
  const value = (inFlow: boolean): unknown => {
    ws();
    const c = text[i];
    if (c === "[") {
      i++;
      const out: unknown[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return out;
      }
      for (;;) {
        out.push(value(true));
        ws();
        if (text[i] === ",") {
          i++;
          ws();
          if (text[i] === "]") {
            i++;
            return out;
          }
          continue;
        }
        if (text[i] === "]") {
          i++;
          return out;
        }
        return fail(`a flow sequence this reader cannot follow (${text})`);
      }
    }
    if (c === "{") {
      i++;
      const out: Record<string, unknown> = {};
      ws();
      if (text[i] === "}") {
        i++;
        return out;
      }
      for (;;) {
        ws();
        const key = text[i] === '"' || text[i] === "'" ? quoted() : plain(true);
        ws();
        if (text[i] !== ":") fail(`a flow mapping entry without a value (${text})`);
        i++;
        out[String(key)] = value(true);
        ws();
        if (text[i] === ",") {
          i++;
          ws();
          if (text[i] === "}") {
            i++;
            return out;
          }
          continue;
        }
        if (text[i] === "}") {
          i++;
          return out;
        }
        return fail(`a flow mapping this reader cannot follow (${text})`);
      }
    }
    if (c === '"' || c === "'") return quoted();
    return plain(inFlow);
  };
  const result = value(false);
  ws();
  if (i < text.length) fail(`text after a value (${text})`);
  return result;
}

/** Whether brackets and quotes of a flow value are closed (a flow value may span lines). */
function flowClosed(text: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "[" || c === "{") depth++;
    else if (c === "]" || c === "}") depth--;
  }
  return depth <= 0 && !quote;
}

const KEY = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s"'#\[\]{},&*!|>?%@`-][^#]*?|-[^\s#][^#]*?)\s*:(?:\s+(.*))?$/;
const isItem = (text: string) => text === "-" || text.startsWith("- ");

/** Parses one YAML document into plain JSON values. */
export function parseYaml(source: string): unknown {
  const rawLines = source.replace(/\r\n?/g, "\n").split("\n");
  const lines: Line[] = [];
  let started = false;
  for (let r = 0; r < rawLines.length; r++) {
    const raw = rawLines[r];
    const indent = raw.length - raw.trimStart().length;
    if (/^[ ]*\t/.test(raw) && raw.trim() !== "") fail("tabs in indentation");
    const text = stripComment(raw.slice(indent));
    if (text === "") continue;
    if (indent === 0 && (text === "---" || text.startsWith("--- "))) {
      if (started || lines.length > 0) fail("several documents");
      started = true;
      if (text !== "---") lines.push({ indent: 0, text: text.slice(4).trim(), raw: r });
      continue;
    }
    if (indent === 0 && text === "...") break;
    if (indent === 0 && text.startsWith("%")) fail("directives are not read");
    lines.push({ indent, text, raw: r });
  }
  let pos = 0;

  /** A block scalar (`|`, `>`, with chomping/indent indicators) after line `at`, which holds its header. */
  const blockScalar = (header: string, parentIndent: number, at: Line): string => {
    const m = /^([|>])([-+]?)([1-9]?)([-+]?)$/.exec(header);
    if (!m) fail(`a block scalar header this reader does not know (${header})`);
    const [, style, chomp1, explicit, chomp2] = m!;
    const chomp = chomp1 || chomp2;
    const body: string[] = [];
    let r = at.raw + 1;
    let contentIndent = explicit ? parentIndent + Number(explicit) : -1;
    for (; r < rawLines.length; r++) {
      const raw = rawLines[r];
      if (raw.trim() === "") {
        body.push("");
        continue;
      }
      const indent = raw.length - raw.trimStart().length;
      if (indent <= parentIndent) break;
      if (contentIndent < 0) contentIndent = indent;
      if (indent < contentIndent) break;
      body.push(raw.slice(contentIndent));
    }
    while (pos < lines.length && lines[pos].raw < r) pos++;
    let trailing = 0;
    while (body.length > 0 && body[body.length - 1] === "") {
      body.pop();
      trailing++;
    }
    let text = style === "|" ? body.join("\n") : body.reduce((acc, l, k) => (k === 0 ? l : acc + (l === "" || body[k - 1] === "" ? "\n" : " ") + l), "");
    if (chomp === "+") text += "\n".repeat(trailing + 1);
    else if (chomp !== "-" && body.length > 0) text += "\n";
    return text;
  };

  /** The value written after `key:` or `- ` on line `at`, or on the lines below it. */
  const inlineValue = (text: string, parentIndent: number, at: Line): unknown => {
    if (/^[|>]/.test(text)) return blockScalar(text, parentIndent, at);
    if (/^[&*!]/.test(text)) fail(`anchors, aliases and tags are not read (${text})`);
    if (text.startsWith("[") || text.startsWith("{")) {
      let flow = text;
      while (!flowClosed(flow) && pos < lines.length) flow += " " + lines[pos++].text;
      return parseFlow(flow);
    }
    if (text.startsWith('"') || text.startsWith("'")) return parseFlow(text);
    return plainScalar(text);
  };

  const node = (indent: number): unknown => {
    const line = lines[pos];
    if (isItem(line.text)) return sequence(line.indent);
    if (KEY.test(line.text)) return mapping(line.indent);
    pos++;
    return inlineValue(line.text, indent - 1, line);
  };

  const sequence = (indent: number): unknown[] => {
    const out: unknown[] = [];
    while (pos < lines.length && lines[pos].indent === indent && isItem(lines[pos].text)) {
      const line = lines[pos];
      const rest = line.text === "-" ? "" : line.text.slice(2).trimStart();
      if (rest === "") {
        pos++;
        out.push(pos < lines.length && lines[pos].indent > indent ? node(lines[pos].indent) : null);
        continue;
      }
      // `- key: value` or `- - x`: the item is a node starting at the column after the dash.
      const column = indent + (line.text.length - rest.length);
      if (isItem(rest) || KEY.test(rest)) {
        lines[pos] = { indent: column, text: rest, raw: line.raw };
        out.push(node(column));
      } else {
        pos++;
        out.push(inlineValue(rest, indent, line));
      }
    }
    if (pos < lines.length && lines[pos].indent > indent) fail(`unexpected indentation at line ${lines[pos].raw + 1}`);
    return out;
  };

  const mapping = (indent: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    while (pos < lines.length && lines[pos].indent === indent && !isItem(lines[pos].text)) {
      const line = lines[pos];
      const m = KEY.exec(line.text);
      if (!m) return fail(`a line that is neither a key nor an item (line ${line.raw + 1})`);
      const rawKey = m[1];
      if (rawKey === "<<") fail("merge keys are not read");
      const key = rawKey.startsWith('"') || rawKey.startsWith("'") ? String(parseFlow(rawKey)) : rawKey.trim();
      const rest = (m[2] ?? "").trim();
      pos++;
      if (rest === "") {
        const next = lines[pos];
        // The value is the block below: more indented, or a sequence at the key's own column.
        out[key] = next && (next.indent > indent || (next.indent === indent && isItem(next.text))) ? node(next.indent) : null;
      } else {
        out[key] = inlineValue(rest, indent, line);
      }
      if (pos < lines.length && lines[pos].indent > indent) fail(`unexpected indentation at line ${lines[pos].raw + 1}`);
    }
    return out;
  };

  if (lines.length === 0) return null;
  const doc = node(lines[0].indent);
  if (pos < lines.length) fail(`unexpected text at line ${lines[pos].raw + 1}`);
  return doc;
}
