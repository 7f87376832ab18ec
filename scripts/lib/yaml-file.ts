import * as fs from "node:fs";
import { constants } from "node:buffer";
import * as yaml from "js-yaml";
import { MAX_VALUE_DEPTH, overDeepPath } from "./export-shape";
import { firstNonUtf8Byte, isScalarObject, KEY_MARKING_SCHEMA, keyMarkingListener, nonSpecificTagListener, nonStringKey } from "./stack-file-schema";

/** A line that ends a document: `---` or `...` at its start, alone or before a space (YAML's c-forbidden, never inside a scalar). */
const DOCUMENT_MARKER = /^(---|\.\.\.)(\s|$)/;

/**
 * The text of a YAML file's first document, as yaml.v3's Unmarshal reads it (v3.0.1 yaml.go
 * unmarshal parses one document and nothing after it); undefined where there is only one. What
 * follows may hold comments and markers only (a trailing `---` or `...`); a second document with
 * content is refused naming its line, since the Pulumi CLI would never read it.
 */
function firstDocument(text: string): { text: string; secondAt?: number } | undefined {
  const lines = text.split("\n");
  let started = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, "");
    if (!started) {
      // Directives, comments and blank lines before the first document, then its own `---`.
      started = !/^\s*(#.*)?$/.test(line) && !line.startsWith("%");
      continue;
    }
    if (!DOCUMENT_MARKER.test(line)) continue;
    const rest = lines.slice(i);
    const empty = rest.every((l) => /^\s*(#.*)?$/.test(l.replace(/\r$/, "")) || /^(---|\.\.\.)\s*(#.*)?$/.test(l.replace(/\r$/, "")));
    return { text: lines.slice(0, i).join("\n"), secondAt: empty ? undefined : i + 1 };
  }
  return undefined;
}

/**
 * A YAML file's text as the Pulumi CLI reads it: its workspace loaders strip a UTF-8 byte-order
 * mark (readFileStripUTF8BOM) and gopkg.in/yaml.v3 reads UTF-16 by its byte-order mark (readerc.go
 * yaml_parser_determine_encoding), as Windows tools save text (Notepad's "Unicode", PowerShell's
 * `>`). Read as UTF-8, such a stack file that `pulumi up` runs failed here ("null byte is not
 * allowed in input").
 */
export function readYamlText(file: string): string {
  const bytes = fs.readFileSync(file);
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString("utf16le");
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return Buffer.from(bytes.subarray(2)).swap16().toString("utf16le");
  const text = strictUtf8(bytes);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * UTF-8 text, refusing bytes that are not: yaml.v3's reader stops at them ("invalid leading UTF-8
 * octet", readerc.go yaml_parser_update_buffer), so `pulumi up` refuses such a file (a Latin-1 `é`
 * saved by an editor in Windows-1252), where Buffer's decoding would read U+FFFD and render on.
 */
function strictUtf8(bytes: Buffer): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_STRING_TOO_LONG") {
      throw new Error(`${Math.round(bytes.length / 2 ** 20)} MiB of text, more than Node.js can hold in one string (${Math.floor(constants.MAX_STRING_LENGTH / 2 ** 20)} MiB)`);
    }
    if ((err as NodeJS.ErrnoException).code !== "ERR_ENCODING_INVALID_ENCODED_DATA") throw err;
    const offset = firstNonUtf8Byte(bytes);
    const line = bytes.subarray(0, offset).filter((b) => b === 0x0a).length + 1;
    throw new Error(`line ${line} holds bytes that are not UTF-8 (0x${bytes[offset].toString(16).padStart(2, "0")} at byte ${offset}), which the Pulumi CLI's YAML reader refuses ("invalid leading UTF-8 octet"): save the file as UTF-8`);
  }
}

/**
 * Why the Pulumi CLI's yaml.v3 would refuse a document's aliases, or undefined. js-yaml shares an
 * anchored list or mapping among its aliases, so a "billion laughs" file (anchors of ten aliases
 * of the one before, nine deep) loads at once and expands to 10^9 values only in whoever walks it
 * next. yaml.v3 expands as it decodes and refuses a document where too much comes from aliases
 * (v3.0.1 decode.go: past 100 aliased of 1000 values read, more than 99% aliased, falling to 10%
 * from 400,000 to 4,000,000 values: "document contains excessive aliasing"), and an anchor whose
 * value holds its own alias ("anchor '…' value contains itself"), which js-yaml reads as a cycle.
 * Counted as yaml.v3 counts (the document, every key and value, an alias and what it expands to)
 * and stopped at the first value past the limit. A scalar's alias is not told apart here, nor a
 * merge key's copied entries: counted as written, they can only make the count smaller.
 */
export function aliasProblem(document: unknown): string | undefined {
  const allowedRatio = (n: number) => (n <= 400_000 ? 0.99 : n >= 4_000_000 ? 0.1 : 0.99 - 0.89 * ((n - 400_000) / 3_600_000));
  const seen = new Set<object>();
  const open = new Set<object>();
  let decoded = 1;
  let aliased = 0;
  type Step = { value: unknown; depth: number } | { close: object };
  const stack: Step[] = [{ value: document, depth: 0 }];
  const count = (depth: number) => {
    decoded++;
    if (depth > 0) aliased++;
    return aliased > 100 && decoded > 1000 && aliased / decoded > allowedRatio(decoded);
  };
  const excessive = () =>
    `its anchors and aliases expand to more values than the Pulumi CLI's YAML reader (yaml.v3) takes ("document contains excessive aliasing": ${aliased} of the first ${decoded} values read come from aliases, where it allows at most ${Math.round(allowedRatio(decoded) * 100)}%, a guard against alias bombs); write the values out or alias less`;
  while (stack.length > 0) {
    const step = stack.pop()!;
    if ("close" in step) {
      open.delete(step.close);
      continue;
    }
    const value = step.value;
    let depth = step.depth;
    if (count(depth)) return excessive();
    if (value === null || typeof value !== "object" || isScalarObject(value) || ArrayBuffer.isView(value)) continue;
    if (open.has(value)) return `an anchor's value contains its own alias, which the Pulumi CLI's YAML reader (yaml.v3) refuses ("anchor '…' value contains itself"); alias the anchor only after its value ends`;
    if (seen.has(value)) {
      // An alias: the alias itself is counted above, what it expands to below it.
      depth++;
      if (count(depth)) return excessive();
    }
    seen.add(value);
    open.add(value);
    stack.push({ close: value });
    const entries = Array.isArray(value) ? value.map((v) => [undefined, v] as const) : Object.entries(value);
    for (let i = entries.length - 1; i >= 0; i--) {
      stack.push({ value: entries[i][1], depth });
      if (entries[i][0] !== undefined) stack.push({ value: entries[i][0], depth });
    }
  }
  return undefined;
}

/** What a YAML file read here may nest: the state files' limit, far above a platform config's dozen levels. */
const DEPTH_ALLOWED = `expected at most ${MAX_VALUE_DEPTH} levels of mappings and lists (a platform config nests about a dozen)`;

/**
 * A YAML (or JSON) file's content; a missing or unparsable file is reported by name, as is one
 * nesting more than MAX_VALUE_DEPTH levels: js-yaml reads nesting by recursion and runs out of stack
 * some 1,800 levels down (the Pulumi CLI's yaml.v3 takes 10000: scannerc.go max_flow_level,
 * max_indents), and the readers after it walk values recursively too.
 */
export function readYamlFile(file: string, what: string, schema?: yaml.Schema): unknown {
  if (!fs.existsSync(file)) throw new Error(`${what} ${file}: no such file`);
  if (fs.statSync(file).isDirectory()) throw new Error(`${what} ${file} is a directory, not a file`);
  let document: unknown;
  let secondAt: number | undefined;
  let read = "";
  try {
    const text = readYamlText(file);
    const first = firstDocument(text);
    secondAt = first?.secondAt;
    read = first?.text ?? text;
    if (secondAt === undefined) document = yaml.load(read, schema ? { schema, listener: nonSpecificTagListener() } : undefined);
  } catch (err) {
    if (err instanceof RangeError && /call stack/.test(err.message)) {
      throw new Error(`${what} ${file} nests its values too deeply to read (past the YAML reader's recursion); ${DEPTH_ALLOWED}`);
    }
    throw new Error(`${what} ${file} is not valid YAML/JSON: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`, { cause: err });
  }
  if (secondAt !== undefined) {
    throw new Error(`${what} ${file}: line ${secondAt} starts a second YAML document (---); the Pulumi CLI's YAML reader (yaml.v3 Unmarshal) reads only the first document of a file, so \`pulumi up\` would never read what follows: move it into the first document, or remove the --- line`);
  }
  const aliases = aliasProblem(document);
  if (aliases !== undefined) throw new Error(`${what} ${file}: ${aliases}`);
  const deep = overDeepPath(document, "");
  if (deep !== undefined) throw new Error(`${what} ${file}: ${deep.replace(/^\./, "")}: values nested more than ${MAX_VALUE_DEPTH} levels deep; ${DEPTH_ALLOWED}`);
  // Read with a Go-resolving schema, the file is one the CLI reads with yaml.v3, whose keys are read once more, marked.
  const key = schema ? nonStringKey(yaml.load(read, { schema: KEY_MARKING_SCHEMA, listener: keyMarkingListener() })) : undefined;
  if (key !== undefined) throw new Error(`${what} ${file}: ${key.path}: ${nonStringKeyMessage(key)}`);
  return document;
}

/**
 * Why the CLI refuses a key nonStringKey found: a list or mapping key fails yaml.v3's own decoding
 * (v3.0.1 decode.go d.mapping: "invalid map key"); a scalar one, or an empty key, read as null,
 * workspace/project.go SimplifyMarshalledValue ("expected only string keys").
 */
function nonStringKeyMessage(key: { kind: string; text: string }): string {
  if (key.kind === "a list" || key.kind === "a mapping") {
    return `a mapping key written as ${key.kind} (${key.text}), which the Pulumi CLI's YAML reader (yaml.v3) refuses ("invalid map key"), and the CLI with it; write the key as text`;
  }
  const refused = "not a string, and the CLI refuses a file with one (\"expected only string keys\")";
  if (key.text === "") return `a mapping key left empty (? with nothing after it), which the Pulumi CLI's YAML reader (yaml.v3) reads as null, ${refused}; give the key a name`;
  return `a mapping key the Pulumi CLI's YAML reader (yaml.v3) reads as ${key.kind}, ${refused}; quote it ('${key.text}') to keep it as text`;
}
