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
