/**
 * Kubernetes label selectors (`matchLabels` and `matchExpressions`) evaluated the way the API
 * server does: every requirement must hold, and an empty selector selects everything.
 */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export function labelSelectorMatches(selector: LabelSelector | undefined, labels: Record<string, string> = {}): boolean {
  if (!selector) return true;
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return (
    byLabel &&
    (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      const has = Object.prototype.hasOwnProperty.call(labels, key);
      switch (operator) {
        case "In":
          return has && values.includes(labels[key]);
        case "NotIn":
          return !has || !values.includes(labels[key]);
        case "Exists":
          return has;
        case "DoesNotExist":
          return !has;
        default:
          return false;
      }
    })
  );
}
