/**
 * Sprig's `int` and `until` as Helm v3.20.2 runs them (Masterminds/sprig v3.3.0 numeric.go: toInt is
 * spf13/cast v1.7.0 ToInt, until is untilStep(0, n, ±1)). Pure: a Helm value in, what a template gets out.
 */

/** A Go integer literal strconv.ParseInt(s, 0, 64) takes: sign, base prefix, underscores only between digits (or after the prefix). */
const GO_INT_LITERAL = /^[-+]?(0[xX](_?[0-9a-fA-F])+|0[bB](_?[01])+|0[oO](_?[0-7])+|0(_?[0-7])*|[1-9](_?[0-9])*)$/;

/** cast v1.7.0 trimZeroDecimal: "1.0" and "1.00" lose their all-zero decimals ("1"); anything else stays as it is. */
function trimZeroDecimal(s: string): string {
  const m = /^(.*)\.0+$/.exec(s);
  return m && m[1] !== undefined ? m[1] : s;
}

/** strconv.ParseInt(s, 0, 64); undefined where it errs (syntax, or out of int64's range). */
function parseGoInt(s: string): number | undefined {
  if (!GO_INT_LITERAL.test(s)) return undefined;
  const sign = s.startsWith("-") ? -1n : 1n;
  let body = s.replace(/^[-+]/, "").replace(/_/g, "");
  // A leading 0 alone is octal under base 0; BigInt reads 0x, 0o and 0b itself.
  if (/^0[0-7]+$/.test(body)) body = `0o${body.slice(1)}`;
  const n = sign * BigInt(body);
  return n >= -(2n ** 63n) && n < 2n ** 63n ? Number(n) : undefined;
}

/**
 * cast.ToInt of a value as Helm holds it: a number truncated toward zero (int(float64)), true 1,
 * false and nil 0, a string strconv.ParseInt(trimZeroDecimal(s), 0, 0) takes as such and any other
 * 0 (ToInt drops ToIntE's error: "two", "1.5", " 2" are 0; "0x2" 2, "010" 8, "1.0" 1). Undefined for
 * what is not read here (a list or map, which ToIntE also refuses: 0 too, but not claimed here).
 */
export function sprigInt(v: unknown): number | undefined {
  if (v === null || v === false) return 0;
  if (v === true) return 1;
  if (typeof v === "number") return Number.isFinite(v) ? Math.trunc(v) : undefined;
  if (typeof v === "string") return parseGoInt(trimZeroDecimal(v)) ?? 0;
  return undefined;
}

/** sprig until(n): 0, 1, … n-1; for a negative n, 0, -1, … n+1 (untilStep with step -1). */
export const sprigUntil = (n: number): number[] => Array.from({ length: Math.abs(n) }, (_, i) => (n < 0 ? -i : i));
