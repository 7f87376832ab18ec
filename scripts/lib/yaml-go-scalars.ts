/**
 * Numbers and timestamps of a YAML file as the Pulumi CLI's gopkg.in/yaml.v3 v3.0.1 reads them
 * (resolve.go resolve and parseTimestamp), where js-yaml 4.1.0 follows YAML 1.2's own patterns:
 * yaml.v3 strips every `_` of a scalar starting with a digit or sign and hands it to Go's
 * strconv.ParseInt(s, 0, 64), then ParseUint, then ParseFloat where it has YAML's float shape; it
 * takes a timestamp by Go's time.Parse with four layouts. stack-file-schema.ts builds its int,
 * float and timestamp types on these.
 */

/** An integer yaml.v3 reads exactly (int64 or uint64) that a JavaScript number cannot hold. */
export class WideInteger {
  constructor(
    readonly text: string,
    readonly value: bigint,
  ) {}
}

/**
 * A scalar yaml.v3 makes a Go time.Time: `goText` is the time's String(), undefined where it depends
 * on the machine's zone; `rfc3339` its time.RFC3339Nano text (encode.go timev, Time.MarshalJSON),
 * which depends on the offset alone, undefined where Time.MarshalJSON refuses the time (an offset of
 * 24 hours or more: "timezone hour outside of range [0,23]").
 */
export class GoTimestamp {
  constructor(
    readonly text: string,
    readonly goText: string | undefined,
    readonly rfc3339?: string,
  ) {}
}

export type GoScalar = { int: bigint } | { float: number } | { time: GoTimestamp };

/** resolve.go's resolveMap floats. */
const SPECIAL_FLOATS = new Map<string, number>([
  ...[".nan", ".NaN", ".NAN"].map((s) => [s, NaN] as const),
  ...[".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"].map((s) => [s, Infinity] as const),
  ...["-.inf", "-.Inf", "-.INF"].map((s) => [s, -Infinity] as const),
]);

/** resolve.go yamlStyleFloat. */
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
/** What strconv.ParseFloat takes of a text starting with `.`: digits, an exponent, `_` only between digits (underscoreOK). */
const DOT_FLOAT = /^\.[0-9]+(_[0-9]+)*([eE][-+]?[0-9]+(_[0-9]+)*)?$/;

/**
 * strconv.ParseInt (signed) or ParseUint of `s` in `base`, 0 reading Go's prefixes (0x, 0b, 0o in
 * either case, or a leading 0 for octal); undefined where Go returns an error (syntax or range).
 */
function goParseInt(s: string, base: 0 | 2 | 8, signed: boolean): bigint | undefined {
  let neg = false;
  if (signed && (s.startsWith("+") || s.startsWith("-"))) {
    neg = s.startsWith("-");
    s = s.slice(1);
  }
  if (s === "") return undefined;
  let radix: number = base;
  if (base === 0) {
    radix = 10;
    if (s[0] === "0") {
      const prefix = s.length >= 3 ? ({ b: 2, o: 8, x: 16 } as Record<string, number>)[s[1].toLowerCase()] : undefined;
      radix = prefix ?? 8;
      s = s.slice(prefix ? 2 : 1);
    }
  }
  let n = 0n;
  for (const c of s.toLowerCase()) {
    const digit = c >= "0" && c <= "9" ? c.charCodeAt(0) - 48 : c >= "a" && c <= "z" ? c.charCodeAt(0) - 87 : 99;
    if (digit >= radix) return undefined;
    n = n * BigInt(radix) + BigInt(digit);
  }
  if (!signed) return n < 2n ** 64n ? n : undefined;
  if (neg ? n > 2n ** 63n : n >= 2n ** 63n) return undefined;
  return neg ? -n : n;
}

/** ParseInt, else ParseUint (resolve.go keeps the first that succeeds). */
const goInt = (s: string, base: 0 | 2 | 8) => goParseInt(s, base, true) ?? goParseInt(s, base, false);

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const pad = (n: number) => String(n).padStart(2, "0");

/**
 * parseTimestamp: four digits and `-`, then Go's time.Parse with "2006-1-2T15:4:5.999999999Z07:00",
 * the same with `t`, "2006-1-2 15:4:5.999999999" (a run of spaces between) and "2006-1-2". Month,
 * day, hour, minute and second take one or two digits (getnum), the fraction `.` or `,` and any
 * digits (nanoseconds: the first nine), a zone only `Z` or ±hh:mm; fields out of range fail.
 */
export function goTimestamp(s: string): GoTimestamp | undefined {
  const m = /^([0-9]{4})-([0-9][0-9]?)-([0-9][0-9]?)(?:([Tt])|( +)|$)/.exec(s);
  if (!m) return undefined;
  const [year, month, day] = [m[1], m[2], m[3]].map(Number);
  let rest = s.slice(m[0].length);
  let clock = [0, 0, 0];
  let fraction = "";
  let zone: string | undefined;
  if (m[4] !== undefined || m[5] !== undefined) {
    const t = /^([0-9][0-9]?):([0-9][0-9]?):([0-9][0-9]?)(?:[.,]([0-9]+))?/.exec(rest);
    if (!t) return undefined;
    clock = [t[1], t[2], t[3]].map(Number);
    fraction = (t[4] ?? "").slice(0, 9).replace(/0+$/, "");
    rest = rest.slice(t[0].length);
    if (m[4] !== undefined) {
      const z = /^(Z|[-+]([0-9]{2}):([0-9]{2}))$/.exec(rest);
      if (!z || Number(z[2] ?? 0) > 24 || Number(z[3] ?? 0) > 60) return undefined;
      zone = z[1];
      rest = "";
    }
  }
  if (rest !== "") return undefined;
  const [hour, minute, second] = clock;
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  if (day < 1 || day > (month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1])) return undefined;
  // No zone or Z is UTC; an offset is the machine's Local zone where that has the offset then, else a zone of no name.
  const utc = zone === undefined || zone === "Z";
  const date = `${m[1]}-${pad(month)}-${pad(day)}`;
  const clockText = `${pad(hour)}:${pad(minute)}:${pad(second)}${fraction ? `.${fraction}` : ""}`;
  const goText = `${date} ${clockText} +0000 UTC`;
  // Go keeps a parsed offset as seconds (time.Parse takes up to 24:60) and writes it back as ±hh:mm, Z for none.
  const offset = utc ? 0 : (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4, 6))) * (zone![0] === "-" ? -1 : 1);
  const offsetText = offset === 0 ? "Z" : `${offset < 0 ? "-" : "+"}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return new GoTimestamp(s, utc ? goText : undefined, Math.abs(offset) < 24 * 60 ? `${date}T${clockText}${offsetText}` : undefined);
}

/**
 * What yaml.v3's resolve makes of a plain scalar (tag ""), or of one tagged `!!int`, `!!float` or
 * `!!timestamp`: undefined where it is text (untagged) or refused (tagged). A timestamp is tried
 * only untagged or under `!!timestamp`; `!!float` takes an integer as a float.
 */
export function goResolve(text: string, tag: "" | "int" | "float" | "timestamp"): GoScalar | undefined {
  const scalar = resolveUntagged(text, tag === "" || tag === "timestamp");
  if (!scalar || tag === "") return scalar;
  if (tag === "float" && "int" in scalar) return { float: Number(scalar.int) };
  return ({ int: "int", float: "float", timestamp: "time" } as const)[tag] in scalar ? scalar : undefined;
}

function resolveUntagged(text: string, timestamps: boolean): GoScalar | undefined {
  const special = SPECIAL_FLOATS.get(text);
  if (special !== undefined) return { float: special };
  if (text.startsWith(".")) {
    const f = DOT_FLOAT.test(text) ? Number(text.replace(/_/g, "")) : NaN;
    return Number.isFinite(f) ? { float: f } : undefined;
  }
  if (!/^[-+0-9]/.test(text)) return undefined;
  if (timestamps) {
    const time = goTimestamp(text);
    if (time) return { time };
  }
  const plain = text.replace(/_/g, "");
  const int = goInt(plain, 0);
  if (int !== undefined) return { int };
  if (YAML_STYLE_FLOAT.test(plain) && Number.isFinite(Number(plain))) return { float: Number(plain) };
  // resolve's own 0b/0o fallbacks, which give ParseInt a base (and so take a sign after the prefix).
  for (const [prefix, base] of [["0b", 2], ["0o", 8]] as const) {
    const fallback = plain.startsWith(prefix) ? goInt(plain.slice(2), base) : plain.startsWith(`-${prefix}`) ? goParseInt(`-${plain.slice(3)}`, base, true) : undefined;
    if (fallback !== undefined) return { int: fallback };
  }
  return undefined;
}
