/**
 * What go-yaml v2 makes of a plain (unquoted) scalar: the YAML reader behind sigs.k8s.io/yaml v1.6.0
 * (go.yaml.in/yaml/v2 v2.4.2, resolve.go `resolve`), which Helm v3.20.2's kube client reads a chart's
 * rendered manifests with (cli-runtime StreamVisitor → apimachinery YAMLToJSONDecoder → yaml.Unmarshal
 * into a RawExtension, so no field type coerces a value back into a string) before sending them on as
 * JSON. YAML 1.1's resolution, not js-yaml's: `yes`, `on`, `y` are bools there. Pure: text in, type out.
 */

/** YAML 1.1 booleans besides true/false, which go-yaml v2 takes as bools and js-yaml as strings. */
export const YAML11_BOOLS = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;

const BOOLS = /^(true|True|TRUE|false|False|FALSE)$/;
const NULLS = /^(~|null|Null|NULL)$/;
const SPECIAL_FLOATS = /^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$/;
/** resolve.go yamlStyleFloat. */
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
/** strconv.ParseInt/ParseUint with base 0 (sign, then 0x, 0o, 0b, a leading 0 for octal, or decimal). */
const GO_INT = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;

/** A plain scalar's text as YAML reads it: without its leading and trailing blanks. */
export const plainScalarText = (text: string) => text.replace(/^[ \t]+|[ \t]+$/g, "");

export type PlainScalarType = "string" | "int" | "float" | "bool" | "null";

/** Whether Go's strconv.ParseInt(text, 0, 64) or ParseUint(text, 0, 64) takes it (in range). */
function goInt(text: string): boolean {
  const m = GO_INT.exec(text);
  if (!m) return false;
  const body = m[2];
  const digits = /^0[oO]/.test(body) ? `0o${body.slice(2)}` : /^0[0-7]+$/.test(body) ? `0o${body.slice(1)}` : body.toLowerCase();
  const n = BigInt(digits);
  if (m[1] === "-") return n <= 2n ** 63n;
  // ParseUint takes no sign: a "+" one must fit ParseInt.
  return m[1] === "+" ? n < 2n ** 63n : n < 2n ** 64n;
}

/**
 * The type go-yaml v2 resolves `text`, written as a plain scalar on one line, to; undefined where
 * it is no simple plain scalar (a quote, an indicator, `: ` or ` #`, a line break), not read here.
 * Leading and trailing blanks are not part of a plain scalar. A timestamp (`2001-12-14`) is kept as
 * its text where the target is an interface (decode.go), so it stays a string.
 */
export function plainScalarType(text: string): PlainScalarType | undefined {
  const s = plainScalarText(text);
  if (s === "") return "null";
  if (!/^[-+.0-9A-Za-z_~]+$/.test(s) || s === "-") return undefined;
  if (NULLS.test(s)) return "null";
  if (BOOLS.test(s) || YAML11_BOOLS.test(s)) return "bool";
  if (SPECIAL_FLOATS.test(s)) return "float";
  if (s.startsWith(".")) return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s) ? "float" : "string";
  if (!/^[-+0-9]/.test(s)) return "string";
  // Digits or a sign: go-yaml drops underscores, then tries ParseInt, ParseUint (base 0: 0b too), its float pattern.
  const plain = s.replace(/_/g, "");
  if (goInt(plain)) return "int";
  // ParseFloat refuses a value past float64's range (ErrRange), which then stays a string.
  if (YAML_FLOAT.test(plain) && Number.isFinite(Number(plain))) return "float";
  return "string";
}

/** What go-yaml v2 reads as the value of `key: <text>`, a simple key's value on one line of a block mapping. */
export type BlockValue =
  | { read: "scalar"; text: string; type: PlainScalarType }
  | { read: "flow"; what: "mapping" | "sequence" }
  | { read: "alias"; anchor: string }
  | { read: "error"; error: string };

/** scannerc.go is_alpha: an anchor's or alias's name. */
const ANCHOR_NAME = /^[0-9A-Za-z_-]+/;
/** scan_anchor: what may follow the name (a blank or the end, or one of these). */
const AFTER_ANCHOR = /^([ \t]|$|[?:,\]}%@`])/;

/**
 * How go-yaml v2 (go.yaml.in/yaml/v2 v2.4.3, Helm v3.20.2's; scannerc.go) reads `text` written as the
 * value after `key: ` on one line of a block mapping, the way a chart template writes `{{ .Values.x }}`
 * unquoted. After a simple key's `:` the scanner allows no other simple key (fetch_value:
 * simple_key_allowed false), so, by yaml_parser_fetch_next_token's first character: `-` or `?` or
 * `:` before a blank is an error (fetch_block_entry, fetch_key, fetch_value: "... not allowed in this
 * context"); `[` and `{` open a flow collection; `]`, `}` and `,` are no node (parserc.go "did not find
 * expected node content"); `%`, `@` and a backtick start no token; `*` is an alias (decode.go: an
 * "unknown anchor" unless one is defined before); `&` an anchor, the value being what follows it; `#`
 * a comment (nothing: null). Otherwise a plain scalar (scan_plain_scalar), ended by a blank then `#`
 * (a comment) and refused at a `:` before a blank or the line's end ("mapping values are not allowed
 * in this context"). Undefined where not read here: a tag (`!`), a quoted or block scalar, a line
 * break or control character.
 */
export function blockValue(text: string): BlockValue | undefined {
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(text)) return undefined;
  const s = text.replace(/^[ \t]+/, "");
  const c = s.charAt(0);
  const beforeBlank = s.length === 1 || /^.[ \t]/.test(s);
  if (s === "" || c === "#") return { read: "scalar", text: "", type: "null" };
  if (c === "[" || c === "{") return { read: "flow", what: c === "[" ? "sequence" : "mapping" };
  if ("]},".includes(c)) return { read: "error", error: "did not find expected node content" };
  if (c === "-" && beforeBlank) return { read: "error", error: "block sequence entries are not allowed in this context" };
  if (c === "?" && beforeBlank) return { read: "error", error: "mapping keys are not allowed in this context" };
  if (c === ":" && beforeBlank) return { read: "error", error: "mapping values are not allowed in this context" };
  if ("%@`".includes(c)) return { read: "error", error: "found character that cannot start any token" };
  if (c === "*" || c === "&") {
    const name = ANCHOR_NAME.exec(s.slice(1))?.[0];
    const rest = s.slice(1 + (name?.length ?? 0));
    if (!name || !AFTER_ANCHOR.test(rest)) return { read: "error", error: "did not find expected alphabetic or numeric character" };
    return c === "*" ? { read: "alias", anchor: name } : blockValue(rest);
  }
  if ("!|>'\"".includes(c)) return undefined;
  // A plain scalar: up to a blank then `#`; a `:` before a blank (or the end) is a mapping value here.
  const comment = /[ \t]#/.exec(s);
  const scalar = comment ? s.slice(0, comment.index) : s;
  if (/:([ \t]|$)/.test(scalar)) return { read: "error", error: "mapping values are not allowed in this context" };
  const value = plainScalarText(scalar);
  return { read: "scalar", text: value, type: plainScalarType(value) ?? "string" };
}
