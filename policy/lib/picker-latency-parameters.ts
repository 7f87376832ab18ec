/**
 * What llm-d-router v0.10.0 makes of the parameters of its latency-aware plugins: the
 * latency-scorer (scheduling/scorer/latency/plugin.go), the slo-headroom-tier-filter
 * (scheduling/filter/sloheadroomtier/plugin.go) and the latency-slo-admitter
 * (requestcontrol/admitter/latencyslo/plugin.go). Each factory decodes over its defaults with the
 * loader's strict decoder; each requires the latency predictions of the producer it names.
 * Pure: a plugin's parameters in, problems out.
 */
import type { Field } from "./go-json-decode";
import { param } from "./go-json-decode";
import { LATENCY_PREDICTION, PREFIX_MATCH, producerProblem } from "./picker-producers";

/** Each type's Config, as its factory decodes it. */
export const LATENCY_FIELDS: Record<string, Record<string, Field>> = {
  "latency-scorer": {
    ttftWeight: "float", tpotWeight: "float", headroomSelectionStrategy: "string",
    compositeKVWeight: "float", compositeQueueWeight: "float", compositePrefixWeight: "float",
    latencyPredictionInfoProducerName: "string", prefixMatchInfoProducerName: "string",
  },
  "slo-headroom-tier-filter": { epsilonExploreNeg: "float", latencyPredictionInfoProducerName: "string" },
  "latency-slo-admitter": { latencyPredictionInfoProducerName: "string" },
};

/** The latency-scorer's DefaultConfig. */
const SCORER_DEFAULTS = { ttftWeight: 0.8, tpotWeight: 0.2, compositeKVWeight: 1, compositeQueueWeight: 1, compositePrefixWeight: 1 };

/** The checks and silent fallbacks of the three factories and of what they run, after a clean decode (`at` is plugins[i].parameters). */
export function latencyProblems(type: string, p: Record<string, unknown>, at: string, declared: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  const consumer = type.replace(/^.*-/, "");
  producerProblem(LATENCY_PREDICTION, p, at, declared, consumer, out);
  // An explicit 0 replaces a default (omitempty only affects encoding).
  const num = (name: keyof typeof SCORER_DEFAULTS) => (typeof param(p, name) === "number" ? (param(p, name) as number) : SCORER_DEFAULTS[name]);
  if (type === "slo-headroom-tier-filter") {
    const epsilon = param(p, "epsilonExploreNeg");
    if (typeof epsilon === "number" && (epsilon < 0 || epsilon > 1)) out.push(`${at}.epsilonExploreNeg ${epsilon} is outside 0 to 1, which ${type}'s factory refuses`);
  } else if (type === "latency-scorer") {
    producerProblem(PREFIX_MATCH, p, at, declared, consumer, out);
    const strategy = param(p, "headroomSelectionStrategy");
    // Score() takes any value but "most" as "least" (its default branch); "" is the default anyway.
    if (typeof strategy === "string" && !["", "least", "most"].includes(strategy)) out.push(`${at}.headroomSelectionStrategy ${JSON.stringify(strategy)} is neither least nor most, so the scorer silently scores as least (scores otherwise than the config reads)`);
    // normalizedWeights: a sum not positive falls back to TTFT alone.
    if (num("ttftWeight") + num("tpotWeight") <= 0) out.push(`${at}.ttftWeight ${num("ttftWeight")} and tpotWeight ${num("tpotWeight")} sum to no positive weight, so the scorer silently weighs TTFT headroom alone (scores otherwise than the config reads)`);
    // compositeScores: likewise, the KV cache alone.
    const composite = ["compositeKVWeight", "compositeQueueWeight", "compositePrefixWeight"] as const;
    if (composite.reduce((sum, k) => sum + num(k), 0) <= 0) out.push(`${at}.${composite.map((k) => `${k} ${num(k)}`).join(", ")} sum to no positive weight, so without predictions the scorer silently scores by free KV cache alone (scores otherwise than the config reads)`);
  }
  return out;
}
