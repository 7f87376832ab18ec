/**
 * The split a model or agent gets when its config names no weight: 95 to the stable version and 5
 * to the canary, or 100 to a lone version (the routes' "95/5 unless configured"). A split that
 * writes any weight is configured, and then every version states its own: which of the others
 * would take the rest is a guess the config should not make for the user.
 */
import { z } from "zod";
import { isRecord } from "./record";

export const DEFAULT_STABLE_WEIGHT = 95;
export const DEFAULT_CANARY_WEIGHT = 100 - DEFAULT_STABLE_WEIGHT;


/** The weights an unweighted split gets, or undefined where no default applies (its weights stay required). */
function defaultWeights(versions: Record<string, unknown>[]): number[] | undefined {
  if (versions.some((v) => "weight" in v)) return undefined;
  // A lone canary has no stable version to share with: its own problem, reported by checkSplit once a weight is written.
  if (versions.length === 1) return versions[0].canary === true ? undefined : [100];
  const canaries = versions.filter((v) => v.canary === true).length;
  if (versions.length !== 2 || canaries !== 1) return undefined;
  return versions.map((v) => (v.canary === true ? DEFAULT_CANARY_WEIGHT : DEFAULT_STABLE_WEIGHT));
}

function withWeights(item: unknown): unknown {
  if (!isRecord(item) || !Array.isArray(item.versions) || !item.versions.every(isRecord)) return item;
  const weights = defaultWeights(item.versions);
  if (!weights) return item;
  return { ...item, versions: item.versions.map((v, i) => ({ ...v, weight: weights[i] })) };
}

/** The raw platform config with the default weights filled in (a copy; the input is left as it is). */
export function withDefaultSplitWeights(raw: unknown): unknown {
  if (!isRecord(raw)) return raw;
  const out = { ...raw };
  for (const list of ["models", "agents"] as const) {
    const items = raw[list];
    if (Array.isArray(items)) out[list] = items.map(withWeights);
  }
  return out;
}

/** Whether a zod issue is a version's weight left out where no default applies. */
export function isMissingSplitWeight(issue: z.core.$ZodIssue): boolean {
  const p = issue.path;
  return issue.code === "invalid_type" && p.length === 5 && (p[0] === "models" || p[0] === "agents") && p[2] === "versions" && p[4] === "weight" && /received undefined$/.test(issue.message);
}

const DEFAULTS = `100 for one stable version, ${DEFAULT_STABLE_WEIGHT}/${DEFAULT_CANARY_WEIGHT} for one stable version and one canary`;

export const missingSplitWeightNote = `a split gets default weights only when it writes none and is one of two shapes (${DEFAULTS})`;

/**
 * A problem about a weight the config does not hold (the canary's default 5 over a lower
 * policy.maxCanaryWeight, or over a version parked at 0 replicas, reported at its replicas) says
 * where the number came from, or its path would point at nothing or its number at no written value.
 */
export function noteDefaultedWeights<P extends { path: (string | number)[]; message: string }>(written: unknown, problems: P[]): P[] {
  return problems.map((p) => {
    const [list, item, versions, version, field] = p.path;
    // checkSplit's is the only problem at a version's replicas: 0 replicas given a share of the traffic.
    if (p.path.length !== 5 || (list !== "models" && list !== "agents") || versions !== "versions" || (field !== "weight" && field !== "replicas")) return p;
    const v = isRecord(written) && Array.isArray(written[list]) ? (written[list] as unknown[])[item as number] : undefined;
    const entry = isRecord(v) && Array.isArray(v.versions) ? v.versions[version as number] : undefined;
    if (!isRecord(entry) || "weight" in entry) return p;
    return { ...p, message: `${p.message} (no weight is written in this split, so it got the default, ${DEFAULTS}: write its weights)` };
  });
}
