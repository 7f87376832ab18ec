/**
 * A pairwise (all-pairs) covering set over a few dimensions: every pair of levels of two
 * dimensions that some valid row can hold, both of them in use, is held by at least one chosen
 * row. The full product of the dimensions is small enough to enumerate, so the rows are picked
 * greedily from it (each the valid row covering the most pairs still uncovered): deterministic,
 * and a dozen or two rows where the product has thousands.
 */

export type Dimensions = Record<string, readonly string[]>;
export type Row<D extends Dimensions> = { [K in keyof D]: D[K][number] };

export interface PairwiseRules<D extends Dimensions> {
  /** Whether a row is a platform the generator can build at all. */
  valid: (row: Row<D>) => boolean;
  /** Whether a dimension's level means anything in this row (no JWT choice without agents). */
  active?: (row: Row<D>, dimension: keyof D) => boolean;
}

function product<D extends Dimensions>(dims: D): Row<D>[] {
  return Object.entries(dims).reduce<Record<string, string>[]>(
    (rows, [name, levels]) => rows.flatMap((row) => levels.map((level) => ({ ...row, [name]: level }))),
    [{}],
  ) as Row<D>[];
}

/** The pairs a row covers, as `dimA=levelA|dimB=levelB` keys over the dimensions active in it. */
function pairsOf<D extends Dimensions>(row: Row<D>, names: (keyof D & string)[], active: (row: Row<D>, d: keyof D) => boolean): string[] {
  const on = names.filter((n) => active(row, n));
  return on.flatMap((a, i) => on.slice(i + 1).map((b) => `${a}=${row[a]}|${b}=${row[b]}`));
}

/** mulberry32: a small seeded generator, so that the chosen rows are the same on every run. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Greedy picks from the same start can end with many rows that cover one pair each; a few
 * restarts that break ties between equally good rows at random (seeded) find a smaller set.
 */
export function pairwise<D extends Dimensions>(dims: D, rules: PairwiseRules<D>, restarts = 20): Row<D>[] {
  const active = rules.active ?? (() => true);
  const names = Object.keys(dims) as (keyof D & string)[];
  const rows = product(dims).filter(rules.valid);
  const ids = new Map<string, number>();
  const pairs = rows.map((row) => pairsOf(row, names, active).map((p) => ids.get(p) ?? (ids.set(p, ids.size), ids.size - 1)));
  // A pair few rows can hold (a JWT level beside an existing cluster) weighs more than one most
  // rows hold, so that the rows able to take it are not spent on common pairs first.
  const holders = new Float64Array(ids.size);
  for (const ps of pairs) for (const p of ps) holders[p]++;
  const weight = Float64Array.from(holders, (n) => 1 / n);
  let best: number[] | undefined;
  for (let attempt = 0; attempt < restarts; attempt++) {
    const random = seeded(attempt);
    const uncovered = new Uint8Array(ids.size).fill(1);
    let left = ids.size;
    const chosen: number[] = [];
    while (left > 0) {
      let top: number[] = [];
      let topGain = 0;
      pairs.forEach((ps, i) => {
        let gain = 0;
        for (const p of ps) gain += uncovered[p] * weight[p];
        if (gain > topGain) [top, topGain] = [[i], gain];
        else if (gain === topGain && gain > 0) top.push(i);
      });
      const pick = attempt === 0 ? top[0] : top[Math.floor(random() * top.length)];
      chosen.push(pick);
      for (const p of pairs[pick]) left -= uncovered[p], (uncovered[p] = 0);
    }
    if (!best || chosen.length < best.length) best = chosen;
  }
  return (best ?? []).map((i) => rows[i]);
}

/** Every pair some valid row holds with both dimensions active: what `pairwise` must cover. */
export function requiredPairs<D extends Dimensions>(dims: D, rules: PairwiseRules<D>): Set<string> {
  const names = Object.keys(dims) as (keyof D & string)[];
  return new Set(product(dims).filter(rules.valid).flatMap((row) => pairsOf(row, names, rules.active ?? (() => true))));
}

/** The pairs the given rows cover. */
export function coveredPairs<D extends Dimensions>(dims: D, rules: PairwiseRules<D>, rows: Row<D>[]): Set<string> {
  const names = Object.keys(dims) as (keyof D & string)[];
  return new Set(rows.flatMap((row) => pairsOf(row, names, rules.active ?? (() => true))));
}
