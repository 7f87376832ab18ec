/** Edit distance (Levenshtein), compared without case: `vpcCIDR` is 0 edits from `vpcCidr`. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

/** The known name a misspelt one is closest to, at most `maxEdits` edits away (case aside). */
export function closestName(name: string, known: readonly string[], maxEdits = 3): string | undefined {
  const best = known.map((k) => ({ k, d: editDistance(name.toLowerCase(), k.toLowerCase()) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= maxEdits ? best.k : undefined;
}
