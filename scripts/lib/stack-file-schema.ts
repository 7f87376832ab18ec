/**
 * The YAML schema stack files are read with: js-yaml's, adjusted to read each scalar as the Pulumi
 * CLI's gopkg.in/yaml.v3 v3.0.1 does, or to keep where the two differ a marker the stack reader
 * reports by path. yaml-file.ts reads files with it.
 */
import * as yaml from "js-yaml";
import { GoScalar, goResolve, GoTimestamp, WideInteger } from "./yaml-go-scalars";

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
export const isScalarObject = (value: object): boolean =>
  value instanceof Date || value instanceof LeadingZeroInteger || value instanceof NonUtf8Binary || value instanceof WideInteger || value instanceof GoTimestamp || value instanceof GoFloat;

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

/**
 * `!!int`, `!!float` and `!!timestamp`, implicit and explicit, as yaml.v3 resolves them
 * (yaml-go-scalars.ts) where js-yaml 4.1.0 keeps YAML 1.2's patterns: `1e5_`, `0X1F` and `!!int 0X1F`
 * are numbers to `pulumi up` (js-yaml read text, or refused the tag), `2001-1-2` a time, and
 * `2001-12-14 21:59:43.10 -5`, `1e400` and `0x1FFFFFFFFFFFFFFFF` text (js-yaml read a Date, an
 * infinity, a number). An integer is a number where JavaScript holds it exactly, else a
 * WideInteger; a leading-zero one whose octal reading differs a LeadingZeroInteger.
 */
const goType = (tag: "int" | "float" | "timestamp", construct: (scalar: GoScalar, data: string) => unknown) =>
  new yaml.Type(`tag:yaml.org,2002:${tag}`, {
    kind: "scalar",
    resolve: (data: unknown) => typeof data === "string" && goResolve(data, tag) !== undefined,
    construct: (data: string) => construct(goResolve(data, tag)!, data),
  });
const goTypes = [
  goType("timestamp", (scalar) => (scalar as { time: GoTimestamp }).time),
  goType("int", (scalar, data) => {
    const { int } = scalar as { int: bigint };
    const readings = leadingZeroReadings(data);
    if (readings) return new LeadingZeroInteger(data, readings.octal, readings.decimal);
    return Number.isSafeInteger(Number(int)) ? Number(int) : new WideInteger(data, int);
  }),
];
const goFloat = goType("float", (scalar) => (scalar as { float: number }).float);

/**
 * A scalar yaml.v3 makes a float64 (`1.0`, `1e3`, `!!float 2`), kept apart from an integer by
 * FLOAT_MARKING_SCHEMA for a reader to which Go's type matters (project-file.ts: a short-form
 * config value must be a Go int, workspace/project.go isPrimitiveValue).
 */
export class GoFloat {
  constructor(
    readonly text: string,
    readonly value: number,
  ) {}
}

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

/** js-yaml's default schema, with integers, floats and timestamps resolved as yaml.v3 resolves them (goTypes), `!!binary` read as text and local and unknown global tags dropped. */
const GO_TAGS = ["int", "float", "timestamp"].map((t) => YAML_TAG_PREFIX + t);
const goImplicit = (float: yaml.Type): yaml.Type[] => [...defaultTypes.implicit.filter((t) => !GO_TAGS.includes((t as unknown as { tag: string }).tag)), ...goTypes, float];
const goSchema = (implicit: yaml.Type[]) => new yaml.Schema({
  implicit,
  explicit: [
    ...defaultTypes.explicit.filter((t) => t !== jsYamlBinary && !COLLECTION_TAGS.includes(t.tag)) as unknown as yaml.Type[],
    binaryText,
    ...localTags,
    ...globalTags,
  ],
});
export const STACK_FILE_SCHEMA = goSchema(goImplicit(goFloat));
/** STACK_FILE_SCHEMA with every float a GoFloat. */
export const FLOAT_MARKING_SCHEMA = goSchema(goImplicit(goType("float", (scalar, data) => new GoFloat(data, (scalar as { float: number }).float))));

/** What yaml.v3 makes of a scalar of each tag that is no string, or of a list or mapping, for messages. */
const NON_STRING_KINDS: Record<string, string> = { null: "null", bool: "a boolean", int: "an integer", float: "a float", timestamp: "a timestamp", list: "a list", mapping: "a mapping" };
const KEY_MARK = "\u0000";
/** The text `null` (quoted, tagged) as KEY_MARKING_SCHEMA's reading keeps it, so that a key "null" can only be an empty node's. */
const TEXT_NULL = "\u0001null";

/**
 * A scalar yaml.v3 resolves to no string, as KEY_MARKING_SCHEMA reads it. js-yaml makes every
 * mapping key text with String() (an object of its own class is not turned into "[object Object]"
 * first), so such a key reads as KEY_MARK, its kind and its text, which nonStringKey finds.
 */
class NonStringScalar {
  constructor(
    readonly kind: string,
    readonly text: string,
  ) {}
  get [Symbol.toStringTag]() {
    return "NonStringScalar";
  }
  toString() {
    return `${KEY_MARK}${this.kind}${KEY_MARK}${this.text}`;
  }
}

/** STACK_FILE_SCHEMA with every null, boolean, number and timestamp, explicit or implicit, a NonStringScalar: for finding the keys among them. */
export const KEY_MARKING_SCHEMA = goSchema(
  goImplicit(goFloat).map((type) => {
    const tag = (type as unknown as { tag: string }).tag.slice(YAML_TAG_PREFIX.length);
    if (!(tag in NON_STRING_KINDS)) return type;
    return new yaml.Type(YAML_TAG_PREFIX + tag, { kind: "scalar", resolve: (data: unknown) => type.resolve(data), construct: (data: string | null) => new NonStringScalar(tag, data ?? "") });
  }),
);

/** A key's value shown short, for messages: `[a, 1]`, `{a: 1}`. */
const shown = (value: unknown): string =>
  value instanceof NonStringScalar ? value.text
  : Array.isArray(value) ? `[${value.map(shown).join(", ")}]`
  : value !== null && typeof value === "object" ? `{${Object.entries(value).map(([k, v]) => `${k.startsWith(KEY_MARK) ? k.split(KEY_MARK)[2] : k.replace(TEXT_NULL, "null")}: ${shown(v)}`).join(", ")}}`
  : String(value).replace(TEXT_NULL, "null");
/** js-yaml makes a list or mapping key text by String() (a list's items joined; a mapping "[object Object]"); marked, it reads as KEY_MARK, its kind and its text. */
const markedAs = (kind: string) => ({ [Symbol.toStringTag]: kind, [Symbol.toPrimitive](this: unknown) { return `${KEY_MARK}${kind}${KEY_MARK}${shown(this)}`; } });
class MarkedList extends Array {}
Object.defineProperties(MarkedList.prototype, Object.getOwnPropertyDescriptors(markedAs("list")));
const MARKED_MAPPING = Object.create(Object.prototype, Object.getOwnPropertyDescriptors(markedAs("mapping")));

/**
 * The load listener of a KEY_MARKING_SCHEMA reading: nonSpecificTagListener's, and every list and
 * mapping marked (js-yaml copies a list key with slice, which keeps a subclass), and the text `null`
 * kept apart, so that an empty key (`?` with nothing after it, `{: x}`), which js-yaml made the text
 * "null" by String(null), is told from a quoted 'null'.
 */
export function keyMarkingListener(): NonNullable<yaml.LoadOptions["listener"]> {
  const nonSpecific = nonSpecificTagListener();
  return function (this: yaml.State, event, state) {
    nonSpecific.call(this, event, state);
    if (event !== "close") return;
    const node = state as yaml.State & { anchor: string | null; anchorMap: Record<string, unknown> };
    if (Array.isArray(node.result)) Object.setPrototypeOf(node.result, MarkedList.prototype);
    else if (node.result !== null && typeof node.result === "object" && Object.getPrototypeOf(node.result) === Object.prototype) Object.setPrototypeOf(node.result, MARKED_MAPPING);
    else if (node.result === "null") {
      node.result = TEXT_NULL;
      if (node.anchor !== null) node.anchorMap[node.anchor] = node.result;
    }
  };
}

/**
 * The first mapping key found in a document read with KEY_MARKING_SCHEMA that
 * yaml.v3 resolves to no string (`1`, `true`, `~`, `1.5`, `2001-12-14`, an empty key; a quoted, `!!str`
 * or locally tagged key is text) or refuses (a list or mapping, read with keyMarkingListener), with the path to it (`config.a[0].1`) and what yaml.v3 reads it as.
 * yaml.v3 (v3.0.1 decode.go d.mapping, isStringMap) decodes a mapping holding one into a
 * map[interface{}]interface{}; the Pulumi CLI then refuses the file (workspace/project.go
 * SimplifyMarshalledValue: "expected only string keys"). A shared (aliased) value is looked in once.
 */
export function nonStringKey(document: unknown): { path: string; kind: string; text: string } | undefined {
  const seen = new Set<object>();
  const walk = (value: unknown, at: string): { path: string; kind: string; text: string } | undefined => {
    if (value === null || typeof value !== "object" || value instanceof NonStringScalar || seen.has(value)) return undefined;
    seen.add(value);
    for (const [key, inner] of Object.entries(value)) {
      const list = Array.isArray(value);
      // An empty node's key, String(null): the text null is TEXT_NULL in this reading.
      const marked = list ? undefined : key === "null" ? ["null", ""] : key.startsWith(KEY_MARK) ? key.slice(1).split(KEY_MARK) : undefined;
      const text = marked ? marked.slice(1).join(KEY_MARK) : key.replace(TEXT_NULL, "null");
      const where = list ? `${at}[${key}]` : `${at}${at ? "." : ""}${marked && text === "" ? "(empty key)" : text}`;
      if (marked) return { path: where, kind: NON_STRING_KINDS[marked[0]], text };
      const found = walk(inner, where);
      if (found) return found;
    }
    return undefined;
  };
  return walk(document, "");
}

/** Separation and node properties before a node's content: blanks, line breaks, comments, tags, anchors. */
const NODE_PROPERTIES = /(?:[ \t\r\n]+|#[^\n]*|[!&][^ \t\r\n]*)*/y;

/**
 * A js-yaml load listener reading the non-specific tag `!` as yaml.v3 v3.0.1 does: its scanner
 * makes `!` the tag "!" (scannerc.go yaml_parser_scan_tag), and parser.node (decode.go) then
 * resolves a plain scalar's text as if it were untagged, so `! 5` is the integer 5 and `! ~`
 * null to `pulumi up`; a quoted or block scalar under `!` is text (Node.indicatedString), and a
 * mapping or list is as untagged. js-yaml 4.1.0 leaves every `!` scalar as text (YAML 1.2's
 * reading), so a plain one is resolved here by the schema's implicit types, as js-yaml resolves an
 * untagged one; its anchor is pointed at the result. One listener per load.
 */
export function nonSpecificTagListener(): NonNullable<yaml.LoadOptions["listener"]> {
  const starts: number[] = [];
  return (event, state) => {
    if (event === "open") return void starts.push(state.position);
    const start = starts.pop() ?? 0;
    const node = state as yaml.State & { tag: string | null; anchor: string | null; anchorMap: Record<string, unknown> };
    if (node.tag !== "!" || node.kind !== "scalar" || typeof node.result !== "string") return;
    NODE_PROPERTIES.lastIndex = start;
    NODE_PROPERTIES.exec(node.input);
    if ("'\"|>".includes(node.input[NODE_PROPERTIES.lastIndex])) return;
    const type = node.implicitTypes.find((t) => t.resolve(node.result));
    if (!type) return;
    node.result = type.construct(node.result);
    node.tag = (type as unknown as { tag: string }).tag;
    if (node.anchor !== null) node.anchorMap[node.anchor] = node.result;
  };
}

/** Where a sequence's lead or continuation bytes first break UTF-8's shape (0 if only its values do). */
export function firstNonUtf8Byte(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    const width = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (width === 0) return i;
    for (let k = 1; k < width; k++) if (i + k >= bytes.length || (bytes[i + k] & 0xc0) !== 0x80) return i;
    i += width;
  }
  return 0;
}
