/** Pod tolerations as the scheduler matches them and the API server validates them (core/v1). */

import { isLabelKey, isLabelValue } from "./label-selector-text";

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number | null;
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
 * What Kubernetes 1.33's ValidateTolerations (pkg/apis/core/validation/validation.go) takes: these
 * operators and effects matched exactly, an empty operator (Equal) or effect (every effect). Lt and
 * Gt compare integers only behind the TaintTolerationComparisonOperators gate (alpha, off by
 * default, from 1.35); 1.33 refuses them as any other operator.
 */
const OPERATORS = ["Equal", "Exists"];
const EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"];
const NAME_RULE = "at most 63 letters, digits, -, _ or ., beginning and ending with a letter or digit";

/**
 * Why the API server refuses a toleration that may be the GPU one: of the taint `key`, of every
 * key (none), or with a key that is no taint's (not a qualified name, e.g. a taint written as
 * `key=value:Effect`); one reason per rule ValidateTolerations applies. [] for a valid one or one
 * of another valid key, which cannot change a verdict on `key`.
 */
export function refusedToleration(t: Toleration | null | undefined, key: string): string[] {
  if (!t || typeof t !== "object") return [];
  const set = (v: unknown) => v !== undefined && v !== null && v !== "";
  // ValidateLabelName: the key, when given, is a qualified name.
  const badKey = set(t.key) && !isLabelKey(String(t.key));
  if (set(t.key) && t.key !== key && !badKey) return [];
  const out: string[] = [];
  if (badKey) out.push(`key ${JSON.stringify(t.key)} is not a qualified name, as Kubernetes takes a key (an optional DNS subdomain and /, then ${NAME_RULE})`);
  const knownOperator = !set(t.operator) || OPERATORS.includes(t.operator as string);
  if (!knownOperator) out.push(`operator ${JSON.stringify(t.operator)} is not one Kubernetes knows (Equal or Exists)`);
  // An empty key matches every taint only with Exists; Equal (or no operator) there is refused.
  else if (!set(t.key) && t.operator !== "Exists") out.push(`has no key, with ${set(t.operator) ? `operator ${t.operator}` : "no operator (Equal)"}, which Kubernetes takes only with operator Exists (an empty key matches every key and value)`);
  // validateTolerations refuses a value beside Exists, which the scheduler would otherwise read as tolerating.
  if (t.operator === "Exists" && set(t.value)) out.push(`value ${JSON.stringify(t.value)} is set with operator Exists, which Kubernetes takes only without a value`);
  // With Equal (or no operator) the value is a label value (IsValidLabelValue).
  if (knownOperator && t.operator !== "Exists" && typeof t.value === "string" && !isLabelValue(t.value)) out.push(`value ${JSON.stringify(t.value)} is not a label value, as Kubernetes takes one with operator Equal (${NAME_RULE})`);
  if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== "NoExecute") out.push(`sets tolerationSeconds ${String(t.tolerationSeconds)} with ${set(t.effect) ? `effect ${t.effect}` : "no effect"}, which Kubernetes takes only with effect NoExecute`);
  if (set(t.effect) && !EFFECTS.includes(t.effect as string)) out.push(`effect ${JSON.stringify(t.effect)} is not one Kubernetes knows (NoSchedule, PreferNoSchedule or NoExecute)`);
  return out;
}
