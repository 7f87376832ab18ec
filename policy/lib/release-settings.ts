/**
 * A Helm release's string settings as its chart's templates read them, each a Probe (known, or not
 * known in this preview), for the rules that compare releases' settings (mesh-identity-consistent
 * and lib/mesh-identity-agentgateway.ts): a setting, the first set of several, a chart default.
 */
import type { PolicyResource } from "@pulumi/policy";
import { dig } from "./k8s";
import { Probe, probe } from "./values";

/**
 * A string Helm value: known (undefined when unset, empty or not a string) or not known in this
 * preview. An empty string sets nothing in these charts: istiod's and ztunnel's cluster names are
 * `| default "Kubernetes"`, their networks `if`-guarded, agentgateway's `istio.network`/`clusterId`
 * too (and "" is that chart's own default); the ztunnel chart's values keep a global setting under
 * an empty one. An empty `meshConfig.trustDomain` does reach istiod (mergeOverwrite sets it), which
 * refuses that mesh config and runs on Istio's defaults, cluster.local included: reported apart.
 */
export function stringSetting(r: PolicyResource, path: string): Probe<string | undefined> {
  const v = probe(() => dig(r.props.values, path));
  return v.known ? { known: true, value: typeof v.value === "string" && v.value !== "" ? v.value : undefined } : v;
}

/** The first of several settings that is set, as a chart's `a | default b` reads them; unknown when one before it is. */
export function firstSet(...settings: Probe<string | undefined>[]): Probe<string | undefined> {
  for (const s of settings) if (!s.known || s.value !== undefined) return s;
  return { known: true, value: undefined };
}

/** A setting with the chart's default where unset. */
export const orDefault = (s: Probe<string | undefined>, fallback: string): Probe<string> => (s.known ? { known: true, value: s.value ?? fallback } : s);

export const isUnset = (s: Probe<string | undefined>) => s.known && s.value === undefined;

export const shown = (s: Probe<string | undefined>) => (s.known ? (s.value ?? "unset") : "(not known in this preview)");

/** A Helm release's name as the chart sees it: its `name` where known and set, else the resource's name. */
export const releaseName = (r: PolicyResource) => {
  const name = probe(() => r.props.name as unknown);
  return name.known && typeof name.value === "string" && name.value !== "" ? name.value : r.name;
};
