/**
 * Ordering of the versions the config's floors compare (validate-versions.ts: chart and release
 * overrides; validate-kubernetes.ts: the Istio and Gateway API releases behind a Kubernetes floor).
 */

/** A SemVer version: major.minor.patch and its pre-release identifiers (none for a release). */
export interface Version {
  release: [number, number, number];
  pre: string[];
}

/** `v1.2.3`, `1.2.3-rc.1`, `v1.33.5+k3s1` → the version; undefined for another form. */
export function parseVersion(version: string): Version | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+.*)?$/.exec(version);
  return m ? { release: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] ? m[4].split(".") : [] } : undefined;
}

/** Whether a's major.minor.patch is below b's, pre-release identifiers aside (1.28.0-rc.0 is not below 1.28.0). */
export function releaseBelow(a: Version, b: Version): boolean {
  for (let i = 0; i < 3; i++) if (a.release[i] !== b.release[i]) return a.release[i] < b.release[i];
  return false;
}

/**
 * SemVer precedence, a ≥ b: a pre-release comes before its release (1.30.0-rc.0 < 1.30.0),
 * numeric identifiers compare as numbers and below alphanumeric ones.
 */
export function atLeast(a: Version, b: Version): boolean {
  if (releaseBelow(a, b)) return false;
  if (releaseBelow(b, a)) return true;
  if (a.pre.length === 0 || b.pre.length === 0) return a.pre.length === 0;
  for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i++) {
    const [x, y] = [a.pre[i], b.pre[i]];
    if (x === y) continue;
    const [xn, yn] = [/^\d+$/.test(x), /^\d+$/.test(y)];
    if (xn && yn) return Number(x) > Number(y);
    if (xn !== yn) return yn;
    return x > y;
  }
  return a.pre.length >= b.pre.length;
}
