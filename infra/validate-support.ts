/**
 * What every cross-field rule shares: the problem shape and how duplicates are reported.
 */

export interface ConfigProblem {
  /** Path below `inference-mesh:platform`, as segments (strings and array indices). */
  path: (string | number)[];
  message: string;
}

export type Report = (path: (string | number)[], message: string) => void;

export function duplicates(names: string[]): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  names.forEach((n, i) => seen.set(n, [...(seen.get(n) ?? []), i]));
  return new Map([...seen].filter(([, idx]) => idx.length > 1));
}

export function requireUnique(report: Report, list: string, what: string, names: string[], field = "name"): void {
  for (const [name, idx] of duplicates(names)) {
    for (const i of idx.slice(1)) {
      report([list, i, field], `duplicate ${what} '${name}' (also at ${list}[${idx[0]}]); ${what}s must be unique`);
    }
  }
}

/**
 * Items (a model, a cluster…) that failed their own field validation, in a best-effort run: the
 * rules that compute across items (GPU capacity) leave them out rather than compute with their
 * malformed fields and report a knock-on problem somewhere else.
 */
const invalidItems = new WeakSet<object>();
export const markInvalidItem = <T extends object>(item: T): T => (invalidItems.add(item), item);
export const isInvalidItem = (item: object): boolean => invalidItems.has(item);
