/**
 * Parameters that name the producer of the data a plugin requires, as llm-d-router v0.10.0 wires
 * them: a plugin requiring a data key under a producer's name (DataKey.WithNonEmptyProducerName)
 * gets it only from a plugin of that name producing it, or from the key's default producer,
 * which the loader adds under its type's name where nothing produces the key
 * (datalayer/data_graph.go CreateMissingDataProducers; cmd/epp/runner RegisterAsDefaultProducer).
 * Any other name leaves the key with no producer, and the picker exits at start
 * ("no default producer found for missing data key"). Pure: a plugin's parameters in, problems out.
 */
import { param } from "./go-json-decode";

interface Produced {
  /** The parameter naming the producer. */
  field: string;
  /** What the key holds, for messages. */
  what: string;
  /** Plugin types producing it under their own name. */
  producers: string[];
  /** The default producer's type (and name). */
  fallback: string;
}

/** Prefix-cache match info: requestcontrol/dataproducer approximateprefix, burstprefix, preciseprefixcache. */
export const PREFIX_MATCH: Produced = {
  field: "prefixMatchInfoProducerName",
  what: "prefix-cache match info",
  producers: ["approx-prefix-cache-producer", "burst-prefix-cache-producer", "precise-prefix-cache-producer", "multicluster-approx-prefix-cache-producer"],
  fallback: "approx-prefix-cache-producer",
};

/** Latency predictions: only dataproducer/predictedlatency produces them (attribute/latency LatencyPredictionInfoDataKey). */
export const LATENCY_PREDICTION: Produced = {
  field: "latencyPredictionInfoProducerName",
  what: "latency predictions",
  producers: ["predicted-latency-producer"],
  fallback: "predicted-latency-producer",
};

/** A producer name that names neither a plugin of the config producing the key nor its default producer. */
export function producerProblem(key: Produced, p: Record<string, unknown>, at: string, declared: ReadonlyMap<string, string>, consumer: string, out: string[]): void {
  const producer = param(p, key.field);
  if (typeof producer !== "string" || producer === "" || producer === key.fallback || key.producers.includes(declared.get(producer) ?? "")) return;
  const of = declared.has(producer) ? `a ${declared.get(producer)}, which produces no ${key.what}` : "no plugin of plugins[]";
  out.push(`${at}.${key.field} ${JSON.stringify(producer)} names ${of} (a plugin of type ${key.producers.join(", ")}, or ${key.fallback}, which the loader adds): nothing produces what the ${consumer} requires, so the picker exits at start`);
}
