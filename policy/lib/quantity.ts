/**
 * Kubernetes resource quantities (k8s.io/apimachinery pkg/api/resource quantity.go): a signed
 * decimal number with a binary (Ki…Ei) or decimal (n, u, m, k, M…E) suffix, or a decimal
 * exponent (e3). A resource limit written `"1000m"` is one unit: the API server accepts it for an
 * integer resource such as nvidia.com/gpu, since only the quantity's value must be whole
 * (pkg/apis/core/validation ValidateResourceQuantityValue: MilliValue() % 1000 == 0).
 */
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

/** `n` × 10^`exp`, dividing for a negative exponent so that `7000m` is exactly 7. */
const scaled = (n: number, exp: number) => (exp < 0 ? n / 10 ** -exp : n * 10 ** exp);

// The suffix is tried before the exponent, as the parser does: `1E` is one exa, `1E3` a thousand.
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$/;

/** The value of a quantity (a string, or a number as YAML or JSON gives one); undefined when it is none. */
export function quantityValue(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v !== "string") return undefined;
  const m = QUANTITY.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  const suffix = m[2] ?? "";
  const value = m[3] !== undefined ? scaled(n, Number(m[3])) : suffix in BINARY ? n * 2 ** BINARY[suffix] : scaled(n, DECIMAL[suffix]);
  return Number.isFinite(value) ? value : undefined;
}
