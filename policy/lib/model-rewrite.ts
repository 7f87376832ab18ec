/**
 * InferenceModelRewrite as a traffic split between model versions (canary-weight-limit judges it).
 */
import { isKind, meta } from "./k8s";
import { shareOver } from "./canary-shares";
import { list, orUnknown, probe } from "./values";

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
export function judgeModelRewrite(props: Record<string, any>, maxCanaryWeight: number, report: (message: string) => void, pending: string[]): void {
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
