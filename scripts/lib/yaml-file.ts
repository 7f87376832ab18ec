import * as fs from "node:fs";
import { constants } from "node:buffer";
import * as yaml from "js-yaml";
import { MAX_VALUE_DEPTH, overDeepPath } from "./export-shape";

/**
 * A plain integer written with a leading zero (`010`) in a stack file. The Pulumi CLI reads stack
 * files with gopkg.in/yaml.v3, which parses such a scalar with Go's strconv.ParseInt(s, 0, 64):
 * the leading 0 makes it octal (8), and `pulumi up` runs the program with that. js-yaml reads it
 * as YAML 1.2 decimal (10), so the render would show another config than the one deployed; the
 * value is kept as this marker and reported by path (stack-config.ts).
 */
export class LeadingZeroInteger {
  constructor(
    readonly text: string,
    /** What the Pulumi CLI reads. */
    readonly octal: number,
    /** What js-yaml reads. */
    readonly decimal: number,
  ) {}
}

/**
 * A `!!binary` scalar whose bytes are not UTF-8 text. The Pulumi CLI's yaml.v3 decodes a
 * `!!binary` scalar's base64 into a Go string of its bytes (v3.0.1 decode.go, decoder.scalar), so
 * UTF-8 bytes are the text they spell; any other bytes have no text the program could be handed
 * as written (the CLI passes an object value on as JSON, whose Go encoder replaces them with
 * U+FFFD). Kept as this marker and reported by path (stack-config.ts).
 */
export class NonUtf8Binary {
  constructor(
    readonly bytes: Uint8Array,
    /** Where the first byte that is not UTF-8 is. */
    readonly offset: number,
  ) {}
}

/** Values the YAML readers leave as one scalar although they are objects: a marker, a Date. */
const isScalarObject = (value: object): boolean => value instanceof Date || value instanceof LeadingZeroInteger || value instanceof NonUtf8Binary;

/**
 * The scalars of a parsed YAML document with their paths (mapping keys, sequence indexes), depth
 * first: what the readers of stack and policy config files look through for values JSON cannot
 * carry. A LeadingZeroInteger and a Date count as scalars.
 */
export function yamlScalars(value: unknown, at: (string | number)[] = []): { path: (string | number)[]; value: unknown }[] {
  if (value === null || typeof value !== "object" || isScalarObject(value)) return [{ path: at, value }];
  return Object.entries(value).flatMap(([k, v]) => yamlScalars(v, [...at, Array.isArray(value) ? Number(k) : k]));
}

/** Only where the two readings differ (`010`, not `007` or `089`, which yaml.v3 reads as 89.0). */
function leadingZeroReadings(text: string): { octal: number; decimal: number } | undefined {
  const plain = text.replace(/_/g, "");
  if (!/^[-+]?0[0-7]+$/.test(plain)) return undefined;
  const sign = plain.startsWith("-") ? -1 : 1;
  const digits = plain.replace(/^[-+]/, "");
  const octal = sign * parseInt(digits, 8);
  const decimal = sign * parseInt(digits, 10);
  return octal === decimal ? undefined : { octal, decimal };
}

const leadingZeroInteger = new yaml.Type("tag:inference-mesh,2025:leading-zero-int", {
  kind: "scalar",
  resolve: (data: unknown) => typeof data === "string" && leadingZeroReadings(data) !== undefined,
  construct: (data: string) => {
    const { octal, decimal } = leadingZeroReadings(data)!;
    return new LeadingZeroInteger(data, octal, decimal);
  },
  instanceOf: LeadingZeroInteger,
});

/**
 * Integers yaml.v3 reads that js-yaml 4.1.0 keeps as text: v3.0.1 resolve.go strips every `_` and
 * parses with Go's strconv.ParseInt(s, 0, 64) (ParseUint past int64), whose prefixes take either
 * case (`0X1F`, `0B101`, `0O17`), so a trailing `_` (`0x1F_`, `1_`) or an upper-case prefix is a
 * number to `pulumi up` and was text here. Out of uint64/int64 range a prefixed one stays text.
 */
function goOnlyInteger(data: string): number | undefined {
  const plain = data.replace(/_/g, "");
  const m = /^([-+]?)0([xXbBoO])([0-9a-fA-F]+)$/.exec(plain);
  let big: bigint | undefined;
  if (m) {
    const radix = { x: "0x", b: "0b", o: "0o" }[m[2].toLowerCase() as "x" | "b" | "o"];
    try { big = BigInt(`${radix}${m[3]}`) * (m[1] === "-" ? -1n : 1n); } catch { return undefined; }
    if (big < -(2n ** 63n) || big >= 2n ** 64n || (m[1] !== "" && big >= 2n ** 63n)) return undefined;
  } else if (!/^[-+]?\d+$/.test(plain)) return undefined;
  const jsInt = (defaultTypes.implicit as unknown as { tag: string; resolve(d: string): boolean }[]).find((t) => t.tag === "tag:yaml.org,2002:int")!;
  return jsInt.resolve(data) ? undefined : Number(big ?? plain);
}
// A tag of its own: js-yaml's schema keeps one implicit type per tag, and its int type would replace this one.
const goInteger = new yaml.Type("tag:inference-mesh,2025:go-int", { kind: "scalar", resolve: (data: unknown) => typeof data === "string" && goOnlyInteger(data) !== undefined, construct: (data: string) => goOnlyInteger(data) });

/**
 * `!!binary` as yaml.v3 reads it: the text its base64 decodes to (js-yaml's own type makes a
 * Uint8Array, which JSON turned into a mapping of byte indexes), or a NonUtf8Binary. The base64
 * is checked and decoded by js-yaml's type, which skips line breaks as Go's decoder does.
 */
const BINARY_TAG = "tag:yaml.org,2002:binary";
const defaultTypes = yaml.DEFAULT_SCHEMA as unknown as { implicit: yaml.Type[]; explicit: { tag: string; resolve(data: unknown): boolean; construct(data: string): unknown }[] };
const jsYamlBinary = defaultTypes.explicit.find((t) => t.tag === BINARY_TAG)!;
const binaryText = new yaml.Type(BINARY_TAG, {
  kind: "scalar",
  resolve: (data: unknown) => jsYamlBinary.resolve(data),
  construct: (data: string) => {
    const bytes = jsYamlBinary.construct(data) as Uint8Array;
    try {
      return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      return new NonUtf8Binary(bytes, firstNonUtf8Byte(bytes));
    }
  },
});

/**
 * A local tag (`!Ref x`, `!Platform {…}`) as yaml.v3 reads it: resolve (v3.0.1 resolve.go) leaves a
 * tag it cannot resolve with the scalar's text as written (`!Ref 5` is the text '5'), and a tagged
 * mapping or list decodes as an untagged one. js-yaml refused the file ("unknown tag !<!Ref>").
 */
const untagged = (prefix: string) =>
  (["scalar", "sequence", "mapping"] as const).map(
    (kind) => new yaml.Type(prefix, { kind, multi: true, construct: (data: unknown) => (kind === "scalar" ? (data ?? "") : data) }),
  );
const localTags = untagged("!");

/**
 * A global tag as yaml.v3 reads it where js-yaml has no type of that tag and kind: resolve (v3.0.1
 * resolve.go, resolvableTag) keeps a scalar under a tag it does not know (`!!foo 5`) as its text,
 * and decoder.unmarshal (decode.go) decodes a mapping or list by its kind whatever its tag, so
 * `!!pairs`/`!!omap` lists stay lists of mappings and `!!set` a mapping. js-yaml refused `!!foo`
 * and built `!!pairs` as [key, value] lists; its set, omap and pairs types are left out for these.
 */
const YAML_TAG_PREFIX = "tag:yaml.org,2002:";
const COLLECTION_TAGS = ["set", "omap", "pairs"].map((t) => YAML_TAG_PREFIX + t);
const globalTags = untagged(YAML_TAG_PREFIX);

/** js-yaml's default schema, with leading-zero integers resolved first (before its int type takes them), the integers only yaml.v3 reads (goInteger), `!!binary` read as text and local and unknown global tags dropped. */
export const STACK_FILE_SCHEMA = new yaml.Schema({
  implicit: [leadingZeroInteger, goInteger, ...defaultTypes.implicit],
  explicit: [
    ...defaultTypes.explicit.filter((t) => t !== jsYamlBinary && !COLLECTION_TAGS.includes(t.tag)) as unknown as yaml.Type[],
    binaryText,
    ...localTags,
    ...globalTags,
  ],
});

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

/** Where a sequence's lead or continuation bytes first break UTF-8's shape (0 if only its values do). */
function firstNonUtf8Byte(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    const width = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (width === 0) return i;
    for (let k = 1; k < width; k++) if (i + k >= bytes.length || (bytes[i + k] & 0xc0) !== 0x80) return i;
    i += width;
  }
  return 0;
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
  try {
    const text = readYamlText(file);
    const first = firstDocument(text);
    secondAt = first?.secondAt;
    if (secondAt === undefined) document = yaml.load(first?.text ?? text, schema ? { schema } : undefined);
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
  return document;
}
