/** Pod tolerations as the scheduler matches them and the API server validates them (core/v1). */

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

/**
 * Whether a toleration lets a pod onto nodes tainted `<key>=<value>:NoSchedule`, as the
 * scheduler matches it: same effect (or none), and `Exists` on the key (an empty key with
 * `Exists` tolerates every taint) or `Equal` (the default operator) with the taint's value.
 */
export function tolerates(t: Toleration, key: string, value: string): boolean {
  return toleratesTaint(t, { key, value, effect: "NoSchedule" });
}

/** Whether a toleration matches a taint (core/v1 Toleration.ToleratesTaint): effect, then key and operator. */
export function toleratesTaint(t: Toleration, taint: { key: string; value?: string; effect: string }): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  const operator = t.operator ?? "Equal";
  if (!t.key) return operator === "Exists";
  if (t.key !== taint.key) return false;
  return operator === "Exists" || (operator === "Equal" && (t.value ?? "") === (taint.value ?? ""));
}

/**
 * Kubernetes' validateTolerations (pkg/apis/core/validation) takes these, matched exactly, and an
 * empty operator (Equal) or effect (every effect); with Exists, only an empty value. Lt and Gt, behind a feature gate in recent
 * releases, compare integers and never match a taint value such as `present`: not listed, not reported.
 */
const OPERATORS = ["Equal", "Exists", "Lt", "Gt"];
const EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

/**
 * Why the API server refuses a toleration of the taint `key` (or of every key), one reason per
 * field; [] for a valid one or one of another key, which cannot change a verdict on `key`.
 */
export function refusedToleration(t: Toleration | null | undefined, key: string): string[] {
  if (!t || typeof t !== "object" || (t.key && t.key !== key)) return [];
  const out: string[] = [];
  const set = (v: unknown) => v !== undefined && v !== null && v !== "";
  if (set(t.operator) && !OPERATORS.includes(t.operator as string)) out.push(`operator ${JSON.stringify(t.operator)} is not one Kubernetes knows (Equal or Exists)`);
  // validateTolerations refuses a value beside Exists, which the scheduler would otherwise read as tolerating.
  if (t.operator === "Exists" && set(t.value)) out.push(`value ${JSON.stringify(t.value)} is set with operator Exists, which Kubernetes takes only without a value`);
  if (set(t.effect) && !EFFECTS.includes(t.effect as string)) out.push(`effect ${JSON.stringify(t.effect)} is not one Kubernetes knows (NoSchedule, PreferNoSchedule or NoExecute)`);
  return out;
}
