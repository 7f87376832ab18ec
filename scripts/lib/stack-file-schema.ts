/**
 * The YAML schema stack files are read with: js-yaml's, adjusted to read each scalar as the Pulumi
 * CLI's gopkg.in/yaml.v3 v3.0.1 does, or to keep where the two differ a marker the stack reader
 * reports by path. yaml-file.ts reads files with it.
 */
import * as yaml from "js-yaml";

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
export const isScalarObject = (value: object): boolean => value instanceof Date || value instanceof LeadingZeroInteger || value instanceof NonUtf8Binary;

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
