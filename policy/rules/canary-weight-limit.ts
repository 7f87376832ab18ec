import type { ResourceValidationPolicy } from "@pulumi/policy";
import { cannotJudge, meta } from "../lib/k8s";
import { isRoute, isWeightedRoute } from "../lib/gateways";
import { isModelRewrite, judgeModelRewrite } from "../lib/model-rewrite";
import { mirroredShares, shareOver, type MirrorFilter } from "../lib/canary-shares";
import { patchedType } from "../lib/patches";
import { configWithDefaults, list, probe, readApart } from "../lib/values";
import { httpHeaderName } from "../lib/config-schema";

export interface Config {
  /** Largest share, in percent, any backend (or model rewrite target) other than the primary may receive. */
  maxCanaryWeight: number;
  /** Header that pins a request to the canary; a backend a rule matching it routes to is a canary. */
  canaryHeader: string;
}
export const defaults: Config = { maxCanaryWeight: 10, canaryHeader: "x-canary" };

export interface BackendRef {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  weight?: number;
  filters?: MirrorFilter[];
}
export interface RouteRule {
  matches?: { headers?: { name?: string; value?: string }[] }[];
  backendRefs?: BackendRef[];
  filters?: MirrorFilter[];
}

/** A backend as Gateway API resolves it: group, kind, namespace (the route's by default), name. */
export const refKeyIn = (routeNamespace: string) => (b: BackendRef) => `${b.group ?? ""}/${b.kind ?? "Service"}/${b.namespace ?? routeNamespace}/${b.name}`;

/**
 * Whether a rule is the canary's own door: every one of its matches requires the canary header
 * (with a value other than "false"). Matches are ORed, so a rule with one match without the header
 * (or with no matches: everything) takes ordinary traffic too.
 */
const asksForCanary = (match: { headers?: { name?: string; value?: string }[] }, header: string) =>
  list(match.headers).some((h) => h.name?.toLowerCase() === header.toLowerCase() && String(h.value ?? "").toLowerCase() !== "false");

export const isCanaryDoor = (rule: RouteRule, header: string) => {
  const matches = list(rule.matches);
  return matches.length > 0 && matches.every((m) => asksForCanary(m, header));
};

/**
 * Where the rules asking for the canary header declare each canary: the indexes of those rules
 * and the other backends they route to beside it (weight 0 gets nothing). A header rule naming
 * several backends makes each of them a "canary", the stable one included. Its keys are the
 * route's declared canaries, wherever else they appear.
 */
export function canaryDeclarations(rules: RouteRule[], header: string, routeNamespace: string): Map<string, { rules: number[]; beside: string[] }> {
  const key = refKeyIn(routeNamespace);
  const out = new Map<string, { rules: number[]; beside: string[] }>();
  rules.forEach((rule, i) => {
    if (!list(rule.matches).some((m) => asksForCanary(m, header))) return;
    const routed = list(rule.backendRefs).filter((b) => b.weight !== 0);
    for (const b of routed) {
      const entry = out.get(key(b)) ?? { rules: [], beside: [] };
      if (!entry.rules.includes(i)) entry.rules.push(i);
      for (const other of routed) if (key(other) !== key(b) && !entry.beside.includes(other.name)) entry.beside.push(other.name);
      out.set(key(b), entry);
    }
  });
  return out;
}

/**
 * The backendRefs whose weight Gateway API refuses: v1.5.1's route CRDs (all kinds) take a weight
 * only as an integer from 0 to 1000000 (a null one is pruned and defaults to 1), so no share can be
 * computed from any other (a string "95" is not 95 to anyone but YAML).
 */
export const invalidWeightRefs = (refs: BackendRef[]): BackendRef[] =>
  refs.filter((b) => b?.weight !== undefined && b?.weight !== null && !(Number.isInteger(b.weight) && b.weight >= 0 && b.weight <= 1_000_000));

/**
 * Each backend's weight in a rule, the entries naming the same backend added up: Gateway API
 * gives every entry weight / sum, so a backend listed twice gets both shares. An omitted weight is 1.
 */
export function backendWeights(refs: BackendRef[], routeNamespace = ""): { key: string; name: string; weight: number }[] {
  const byKey = new Map<string, { key: string; name: string; weight: number }>();
  for (const b of refs) {
    const key = refKeyIn(routeNamespace)(b);
    const entry = byKey.get(key) ?? { key, name: b.name, weight: 0 };
    entry.weight += typeof b.weight === "number" ? b.weight : 1;
    byKey.set(key, entry);
  }
  return [...byKey.values()];
}

/**
 * The backends a route's own splits name as canaries: in every rule that is not the canary's door
 * and splits among backends of different weights, each backend lighter than the rule's heaviest
 * (weight 0 included). A canary stays one wherever it appears, so another rule of the route (one
 * that catches everything before the split, a path of its own) may not give it more than the
 * limit either, even once the header rule that declared it is gone or reworded. Keys map to the
 * first rule whose split makes them light.
 */
export function lighterInSplits(rules: RouteRule[], header: string, routeNamespace: string): Map<string, number> {
  const out = new Map<string, number>();
  rules.forEach((rule, i) => {
    const refs = list(rule.backendRefs);
    if (isCanaryDoor(rule, header) || invalidWeightRefs(refs).length > 0) return;
    const backends = backendWeights(refs, routeNamespace);
    const heaviest = Math.max(...backends.map((b) => b.weight));
    if (backends.length < 2 || heaviest <= 0) return;
    for (const b of backends) if (b.weight < heaviest && !out.has(b.key)) out.set(b.key, i);
  });
  return out;
}

/**
 * Reports each canary a rule's RequestMirror filters send copies to beyond the limit, counting the
 * share it gets by weight too (one already over by weight alone is reported as a split).
 */
export function reportMirrors(rule: RouteRule, backends: { key: string; weight: number }[], canaries: Set<string>, max: number, report: (what: string, key: string) => void, routeNamespace: string): void {
  const total = backends.reduce((a, b) => a + b.weight, 0);
  const mirrored = mirroredShares(rule, refKeyIn(routeNamespace), (ref) => (total > 0 ? (typeof ref.weight === "number" ? ref.weight : 1) / total : 0));
  const pct = (x: number) => Math.round(x * 10000) / 100;
  for (const [key, m] of mirrored) {
    const own = backends.find((b) => b.key === key)?.weight ?? 0;
    if (!canaries.has(key) || shareOver(own, total, max) !== undefined) continue;
    // Float sums of at most a few shares: a margin far below any share a weight can state.
    const load = (total > 0 ? own / total : 0) + m.share;
    if (load * 100 <= max + 1e-9) continue;
    const byWeight = own > 0 ? ` on top of its ${pct(own / total)}% by weight, ${pct(load)}% in all` : "";
    report(`canary ${m.name} receives a copy of ${pct(m.share)}% of the rule's requests through ${m.via.join(", ")}${byWeight}; a mirrored request is served in full (only its response is dropped), so a canary may receive at most ${max}% this way too`, key);
  }
}

/**
 * A canary exists to limit the blast radius of a new model or agent version; a split that sends
 * more than the configured share, or weights that are not percentages, defeats that.
 */
export const canaryWeightLimit: ResourceValidationPolicy = {
  name: "canary-weight-limit",
  description:
    "In every HTTPRoute/GRPCRoute/TLSRoute/TCPRoute rule that splits traffic (the x-canary rule too), weights sum to 100 and every backend but the primary gets at most maxCanaryWeight percent (default 10); a backend the x-canary header routes to is a canary even when it is the heaviest or the only one of a rule without the header; no rule gives all its backends weight 0 (its traffic would get 500 errors, its connections refused); RequestMirror copies to a canary (a rule's filter, or a backendRef's times its share) count with its weight, since a mirrored request is served in full. In every InferenceModelRewrite rule, every target model but the heaviest gets at most maxCanaryWeight percent of the rule's weight sum (weights are relative).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      maxCanaryWeight: { type: "integer", minimum: 0, maximum: 100, default: defaults.maxCanaryWeight, description: "Largest canary share in percent (of a route split, or of an InferenceModelRewrite rule's weight sum)." },
      canaryHeader: { ...httpHeaderName, default: defaults.canaryHeader, description: "Header whose rule routes to the canary; its backends are canaries wherever they appear in a split." },
    },
  },
  validateResource: (args, report) => {
    if (isModelRewrite(args.type)) {
      const pending: string[] = [];
      judgeModelRewrite(args.props, configWithDefaults(args, defaults).maxCanaryWeight, report, pending);
      if (pending.length > 0) cannotJudge(pending);
      return;
    }
    if (!isWeightedRoute(patchedType(args.type))) return;
    // A TLSRoute or TCPRoute rule has no matches (no canary door) and a rule with no backend
    // weighted above 0 has its connections rejected (Gateway API), not answered with a 500.
    const refused = isRoute(patchedType(args.type)) ? "gets a 500 error" : "has its connections rejected";
    const { maxCanaryWeight, canaryHeader } = configWithDefaults(args, defaults);
    const { namespace, name } = meta(args.props);
    const listed = probe(() => list(args.props.spec?.rules as RouteRule[]));
    if (!listed.known) cannotJudge([`the rules of ${namespace}/${name}`]);
    // Each rule read apart: one weight not known in a preview must not hide a known 50/50 in
    // another rule. A rule not known yet stands in as an empty one (it declares no canary here),
    // which can only move which backend of a violating split is named, never clear the violation.
    const { items: rules, unknown: unknownRules } = readApart(listed.value, {} as RouteRule);
    const declarations = canaryDeclarations(rules, canaryHeader, namespace);
    // Declared by the header rule, or the lighter side of one of the route's own splits.
    const lighter = lighterInSplits(rules, canaryHeader, namespace);
    const canaries = new Set([...declarations.keys(), ...lighter.keys()]);
    rules.forEach((rule, i) => {
      if (unknownRules.includes(i)) return;
      const refs = list(rule.backendRefs);
      const invalid = invalidWeightRefs(refs);
      if (invalid.length > 0) {
        report(`${namespace}/${name} rule ${i}: backendRef weight ${invalid.map((b) => `${JSON.stringify(b.weight)} (${b.name})`).join(", ")} is not an integer from 0 to 1000000, the only weights Gateway API takes (the API server refuses the route); write each weight as a number`);
        return;
      }
      // Weights are shares of their sum: when every backend has weight 0 there is nowhere to send
      // the rule's traffic, and Gateway API implementations answer it with 500 (Istio converts
      // such a rule to a direct 500 response). A redirect rule sends no traffic to backends.
      const redirects = list(rule.filters).some((f) => f?.type === "RequestRedirect");
      if (refs.length > 0 && !redirects && refs.every((b) => b.weight === 0)) {
        report(`${namespace}/${name} rule ${i}: every backendRef has weight 0 (${refs.map((b) => b.name).join(", ")}), so all traffic the rule matches ${refused}; give the backend meant to serve it a weight above 0, or remove the rule`);
        return;
      }
      const backends = backendWeights(refs, namespace);
      const total = backends.reduce((a, b) => a + b.weight, 0);
      const sumMessage = (what: string) => `${namespace}/${name} rule ${i}${what}: split weights ${refs.map((b) => (typeof b.weight === "number" ? b.weight : 1)).join("/")} sum to ${total}, not 100`;
      // The header rule is the canary's own door; everything else must keep the canary small. A
      // door that splits among several backends still states its weights as percentages (entries
      // at weight 0 only pin a backend out, as the compliant "stable at 0" door does).
      if (isCanaryDoor(rule, canaryHeader)) {
        if (refs.filter((b) => b.weight !== 0).length > 1 && total !== 100) report(sumMessage(` (the ${canaryHeader} rule)`));
        return;
      }
      reportMirrors(rule, backends, canaries, maxCanaryWeight, (what) => report(`${namespace}/${name} rule ${i}: ${what}`), namespace);
      if (backends.length === 0 || (backends.length === 1 && !canaries.has(backends[0].key))) return;
      if (refs.length > 1 && total !== 100) report(sumMessage(""));
      // The primary is the heaviest backend that is not a declared canary.
      const candidates = backends.map((b) => (canaries.has(b.key) ? -1 : b.weight));
      const primary = candidates.indexOf(Math.max(...candidates));
      const heaviest = Math.max(...backends.map((b) => b.weight));
      backends.forEach((b, j) => {
        if (j === primary && !canaries.has(b.key)) return;
        const share = shareOver(b.weight, total, maxCanaryWeight);
        if (share !== undefined) {
          const listed = refs.filter((r) => refKeyIn(namespace)(r) === b.key).length;
          const gets = `${b.name} gets ${share}% of the ${backends.length > 1 ? "split" : "rule's traffic"}${listed > 1 ? ` (listed ${listed} times)` : ""}`;
          const declared = declarations.get(b.key);
          if (declared && declared.beside.length > 0 && b.weight === heaviest) {
            // The heaviest backend here is a "canary" only because the header rule lists it beside
            // others: that rule sends canary requests to the stable version too (or this split is
            // swapped), and which one is the canary cannot be told.
            const doors = declared.rules.map((r) => `rule ${r}`).join(", ");
            report(
              `${namespace}/${name} rule ${i}: ${gets}, but the ${canaryHeader} rule (${doors}) also routes to it (beside ${declared.beside.join(", ")}), which makes it a canary: the header must send requests to the canary alone, so route the ${canaryHeader} rule only to the canary (give the others weight 0), or, if ${b.name} is the canary, give it at most ${maxCanaryWeight}%`,
            );
          } else {
            const splitRule = lighter.get(b.key);
            const what = declarations.has(b.key)
              ? `canary (${canaryHeader} routes to it)`
              : splitRule !== undefined && splitRule !== i
                ? `canary (the lighter side of rule ${splitRule}'s split)`
                : "non-primary backend";
            report(`${namespace}/${name} rule ${i}: ${what} ${gets}; a canary may get at most ${maxCanaryWeight}%`);
          }
        }
      });
    });
    // A rule not known yet may split too, or declare a canary a known rule routes to.
    if (unknownRules.length > 0) cannotJudge(unknownRules.map((i) => `rule ${i} of ${namespace}/${name}`));
  },
};
