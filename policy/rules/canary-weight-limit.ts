import type { ResourceValidationPolicy } from "@pulumi/policy";
import { cannotJudge, isKind, isRoute, isWeightedRoute, meta } from "../lib/k8s";
import { patchedType } from "../lib/patches";
import { configWithDefaults, list, orUnknown, probe, readApart } from "../lib/values";
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
}
export interface RouteRule {
  matches?: { headers?: { name?: string; value?: string }[] }[];
  backendRefs?: BackendRef[];
  filters?: { type?: string }[];
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
 * The share `weight` of `total` gets, in percent, when it is more than `maxPercent`; undefined when
 * it is not. Compared exactly: rounded to two decimals, 100001 of 1000000 (10.0001%) read as 10%
 * and passed a limit of 10. Shown at two decimals, or as many as tell it from the limit.
 */
export function shareOver(weight: number, total: number, maxPercent: number): number | undefined {
  if (total <= 0 || weight * 100 <= maxPercent * total) return undefined;
  const share = Math.round((weight * 10000) / total) / 100;
  return share > maxPercent ? share : Number(((weight * 100) / total).toFixed(6));
}

/**
 * InferenceModelRewrite (llm-d.ai/v1alpha2, and the legacy inference.networking.x-k8s.io group):
 * the endpoint picker rewrites the requested model to one of a rule's `targets`, picked by weight.
 */
export const isModelRewrite = (type: string) => isKind(type, "llm-d.ai", "InferenceModelRewrite") || isKind(type, "inference.networking.x-k8s.io", "InferenceModelRewrite");

interface RewriteTarget {
  modelRewrite?: string;
  weight?: number;
}

/**
 * Each target model's weight in a rewrite rule, as the picker draws it (llm-d-router v0.10.0
 * requestcontrol/director.go selectWeightedModel): weights are relative, weight / sum of the
 * rule's weights (the CRD: "not a percentage"); when no target has a weight the draw is even; when
 * some have one, a target without a weight is never picked. Entries naming the same model add up.
 */
export function rewriteTargetWeights(targets: RewriteTarget[]): { model: string; weight: number }[] {
  const weighted = targets.some((t) => typeof t.weight === "number");
  const byModel = new Map<string, { model: string; weight: number }>();
  for (const t of targets) {
    const model = String(t.modelRewrite ?? "");
    const entry = byModel.get(model) ?? { model, weight: 0 };
    entry.weight += weighted ? (typeof t.weight === "number" ? t.weight : 0) : 1;
    byModel.set(model, entry);
  }
  return [...byModel.values()];
}

/**
 * A rewrite rule with several targets is a traffic split between model versions: the heaviest
 * target is the primary (on a tie, the first listed) and every other one a canary, held to
 * `maxCanaryWeight` percent of the rule's weight sum. Rules this preview cannot read go to `pending`.
 */
function judgeModelRewrite(props: Record<string, any>, maxCanaryWeight: number, report: (message: string) => void, pending: string[]): void {
  // The name only labels the messages: one not known yet does not stop the judging.
  const what = `InferenceModelRewrite ${orUnknown(() => meta(props).namespace, "?")}/${orUnknown(() => meta(props).name, "?")}`;
  const rules = probe(() => list(props.spec?.rules as { matches?: { model?: { value?: string } }[]; targets?: RewriteTarget[] }[]));
  if (!rules.known) {
    pending.push(`the rules of ${what}`);
    return;
  }
  rules.value.forEach((_, i) => {
    const read = probe(() => {
      const rule = rules.value[i];
      const targets = list(rule.targets).map((t) => ({ modelRewrite: t.modelRewrite, weight: t.weight }));
      const models = list(rule.matches).map((m) => String(m.model?.value ?? ""));
      return { targets, models };
    });
    if (!read.known) {
      pending.push(`the targets of ${what} rule ${i}`);
      return;
    }
    // Read as no weight (never picked), a refused "50" turned a 50/50 split into one that passed.
    const refused = read.value.targets.filter((t) => t.weight !== undefined && t.weight !== null && !(Number.isInteger(t.weight) && t.weight >= 1 && t.weight <= 1_000_000));
    if (refused.length > 0) {
      const shown = refused.map((t) => `${String(t.modelRewrite ?? "?")} weight ${JSON.stringify(t.weight)}`).join(", ");
      report(`${what} rule ${i}: ${refused.length > 1 ? `targets ${shown} are not weights` : `target ${shown} is not a weight`} the CRD takes (an integer from 1 to 1000000): the API server refuses the InferenceModelRewrite`);
      return;
    }
    const weights = rewriteTargetWeights(read.value.targets);
    const total = weights.reduce((a, t) => a + t.weight, 0);
    if (weights.length < 2 || total <= 0) return;
    const heaviest = Math.max(...weights.map((t) => t.weight));
    const primary = weights.findIndex((t) => t.weight === heaviest);
    const requests = read.value.models.length > 0 ? `the requests for ${read.value.models.join(", ")}` : "every request the rule takes";
    weights.forEach((t, j) => {
      if (j === primary) return;
      const share = shareOver(t.weight, total, maxCanaryWeight);
      if (share === undefined) return;
      const listed = read.value.targets.filter((x) => String(x.modelRewrite ?? "") === t.model).length;
      report(
        `${what} rule ${i}: target model ${t.model} gets ${share}% of ${requests} (weight ${t.weight} of ${total}${listed > 1 ? `, listed ${listed} times` : ""}); every target but the heaviest (${weights[primary].model}) is a canary and may get at most ${maxCanaryWeight}% (weights are relative: weight / sum of the rule's weights)`,
      );
    });
  });
}

/**
 * A canary exists to limit the blast radius of a new model or agent version; a split that sends
 * more than the configured share, or weights that are not percentages, defeats that.
 */
export const canaryWeightLimit: ResourceValidationPolicy = {
  name: "canary-weight-limit",
  description:
    "In every HTTPRoute/GRPCRoute/TLSRoute/TCPRoute rule that splits traffic (the x-canary rule too), weights sum to 100 and every backend but the primary gets at most maxCanaryWeight percent (default 10); a backend the x-canary header routes to is a canary even when it is the heaviest or the only one of a rule without the header; no rule gives all its backends weight 0 (its traffic would get 500 errors, its connections refused). In every InferenceModelRewrite rule, every target model but the heaviest gets at most maxCanaryWeight percent of the rule's weight sum (weights are relative).",
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
