/**
 * What llm-d-router v0.10.0 makes of precise-prefix-cache-producer's and (deprecated)
 * precise-prefix-cache-scorer's parameters. Both decode the same nested structs, which v0.10.0 keeps
 * in-tree (pkg/kvcache, pkg/kvcache/kvblock, pkg/kvevents: "Internalize kvcache/kvevents", b276744)
 * rather than in the llm-d-kv-cache module its go.mod pins (v0.9.0), whose type only
 * indexerConfig.tokenizersPoolConfig still is. Each factory decodes over its defaults
 * (kvcache.NewDefaultConfig, kvevents.DefaultConfig), so a nested object merges into a default
 * where there is one and starts from Go zero values where there is none (tokenProcessorConfig,
 * costAwareMemoryConfig, redisConfig). Pure: a plugin's parameters in, problems out.
 */
import { isObject } from "./values";
import { Field, explicitNull, goDuration, param } from "./go-json-decode";

const BACKENDS: Field = { list: { fields: { name: "string", weight: "float" } } }; // kvcache/backend.go KVCacheBackendConfig

/** precise-prefix-cache-producer's PluginConfig (dataproducer/preciseprefixcache/producer.go); the scorer's PluginConfig is the same shape. */
export const PRECISE_PREFIX_FIELDS: Record<string, Field> = {
  // kvblock/token_processor.go TokenProcessorConfig
  tokenProcessorConfig: { fields: { blockSize: "int", blockSizeTokens: "int", hashSeed: "string" } },
  // kvcache/indexer.go Config
  indexerConfig: {
    fields: {
      // kvblock/index.go IndexConfig; metricsLoggingInterval is a time.Duration, which encoding/json reads as nanoseconds (a number, not "30s").
      kvBlockIndexConfig: {
        fields: {
          inMemoryConfig: { fields: { size: "int", podCacheSize: "int" } },
          redisConfig: { fields: { address: "string" } },
          costAwareMemoryConfig: { fields: { size: "string" } },
          enableMetrics: "bool",
          metricsLoggingInterval: "int",
        },
      },
      // kvcache/kvblock_scorer.go KVBlockScorerConfig: exported without a JSON tag, so read under its Go names.
      KVBlockScorerConfig: { fields: { ScoringStrategy: "string", backendConfigs: BACKENDS } },
      kvCacheBackendConfigs: BACKENDS,
      // llm-d-kv-cache v0.9.0 tokenization.Config: that module version is not in reach here, so its fields are not judged.
      tokenizersPoolConfig: "any",
    },
  },
  // kvevents/pool.go Config and PodDiscoveryConfig
  kvEventsConfig: {
    fields: {
      zmqEndpoint: "string", topicFilter: "string", concurrency: "int", engineType: "string", discoverPods: "bool",
      podDiscoveryConfig: { fields: { podLabelSelector: "string", podNamespace: "string", socketPort: "int", replaySocketPort: "int" } },
    },
  },
  speculativeIndexing: "bool",
  speculativeTTL: "string",
};

const obj = (v: unknown): Record<string, unknown> | undefined => (isObject(v) ? (v as Record<string, unknown>) : undefined);
const num = (o: Record<string, unknown> | undefined, name: string) => (o && typeof param(o, name) === "number" ? (param(o, name) as number) : undefined);
const falsy = (v: unknown) => v === false || (typeof v === "string" && /^(n|no|off)$/i.test(v));
const truthy = (v: unknown) => v === true || (typeof v === "string" && /^(y|yes|on)$/i.test(v));

/** go-humanize v1.0.1 ParseBytes: a decimal number (commas allowed), then a unit it knows, or none. */
function humanBytes(text: string): boolean {
  const digits = /^[\d.,]*/.exec(text)![0];
  const unit = text.slice(digits.length).trim().toLowerCase();
  return /^(\d+(\.\d*)?|\.\d+)$/.test(digits.replace(/,/g, "")) && /^(b|[kmgtpe]i?b?|)$/.test(unit);
}

/**
 * Sections written as null: JSON null sets a pointer to nil over the factory's non-nil default
 * (indexerConfig, kvEventsConfig, and within them the scorer config and the index's in-memory and
 * pod-discovery configs), which the producer (dataproducer/preciseprefixcache/producer.go
 * PluginFactory, New), the indexer (kvcache/indexer.go NewKVCacheIndexer), the index
 * (kvblock/index.go NewIndex) and the KV-events extractor (extractor.go) read. A null
 * tokenProcessorConfig or kvBlockIndexConfig is tolerated: both fall back to their defaults.
 */
function nullSectionProblems(type: string, p: Record<string, unknown>, at: string, out: string[]): void {
  const factory = `${type}'s factory`;
  if (explicitNull(p, "indexerConfig")) out.push(`${at}.indexerConfig is null, which ${factory} refuses (${type === "precise-prefix-cache-producer" ? '"indexerConfig is required"' : 'the indexer\'s "config cannot be nil"'}): null replaces the default indexer config`);
  const indexer = obj(param(p, "indexerConfig"));
  if (indexer && explicitNull(indexer, "KVBlockScorerConfig")) out.push(`${at}.indexerConfig.KVBlockScorerConfig is null: the indexer sets the scorer's backends through it (NewKVCacheIndexer) and panics on the nil config at start`);
  const index = obj(indexer && param(indexer, "kvBlockIndexConfig"));
  if (index && explicitNull(index, "inMemoryConfig") && !["costAwareMemoryConfig", "redisConfig"].some((b) => isObject(param(index, b)))) {
    out.push(`${at}.indexerConfig.kvBlockIndexConfig.inMemoryConfig is null and no other index backend is set (costAwareMemoryConfig, redisConfig), which ${factory} refuses ("no valid index configuration provided")`);
  }
  if (explicitNull(p, "kvEventsConfig")) out.push(`${at}.kvEventsConfig is null: the producer reads its engineType at start and panics on the nil config (leave it out for the defaults)`);
  const events = obj(param(p, "kvEventsConfig"));
  const endpoint = events && param(events, "zmqEndpoint");
  if (events && explicitNull(events, "podDiscoveryConfig") && !falsy(param(events, "discoverPods")) && (typeof endpoint !== "string" || endpoint === "")) {
    out.push(`${at}.kvEventsConfig.podDiscoveryConfig is null and zmqEndpoint is unset, so no KV-events subscriber is ever made (the extractor subscribes to endpoints only with a pod discovery config): the index never learns what the engines cache and scores every endpoint as a miss`);
  }
}

/** The range checks and silent fallbacks of the two factories, after a clean decode (`at` is plugins[i].parameters). */
export function precisePrefixProblems(type: string, p: Record<string, unknown>, at: string): string[] {
  const out: string[] = [];
  const factory = `${type}'s factory`;
  nullSectionProblems(type, p, at, out);
  const indexer = obj(param(p, "indexerConfig"));
  if (type === "precise-prefix-cache-producer" && indexer && ![undefined, null].includes(param(indexer, "tokenizersPoolConfig") as null)) {
    out.push(`${at}.indexerConfig.tokenizersPoolConfig is set, which ${factory} refuses ("tokenizersPoolConfig is not supported; configure a token-producer plugin instead"): the producer takes tokens only from a token-producer, so the picker exits at start`);
  }
  const tokens = obj(param(p, "tokenProcessorConfig"));
  if (tokens) {
    // NewChunkedTokenDatabase: blockSizeTokens 0 takes the deprecated blockSize, else 16; not positive is refused.
    const given = num(tokens, "blockSizeTokens") ?? 0;
    const legacy = num(tokens, "blockSize") ?? 0;
    const size = given !== 0 ? given : legacy !== 0 ? legacy : 16;
    if (size <= 0) out.push(`${at}.tokenProcessorConfig.${given !== 0 ? "blockSizeTokens" : "blockSize"} ${size} is not positive, which ${factory} refuses ("blockSizeTokens must be greater than 0")`);
    else if (given > 0 && legacy !== 0) out.push(`${at}.tokenProcessorConfig.blockSize ${legacy} (deprecated) is never read beside blockSizeTokens ${given} (hashes otherwise than the config reads)`);
  }
  const index = obj(indexer && param(indexer, "kvBlockIndexConfig"));
  if (index) {
    const memSize = num(obj(param(index, "inMemoryConfig")), "size");
    if (memSize !== undefined && memSize <= 0) out.push(`${at}.indexerConfig.kvBlockIndexConfig.inMemoryConfig.size ${memSize} is not positive, which ${factory} refuses (golang-lru v2.0.7: "must provide a positive size")`);
    const costAware = obj(param(index, "costAwareMemoryConfig"));
    const costSize = costAware ? param(costAware, "size") : undefined;
    // A costAwareMemoryConfig starts from Go zero values: no size is "", which ParseBytes refuses.
    if (costAware && !humanBytes(typeof costSize === "string" ? costSize : "")) out.push(`${at}.indexerConfig.kvBlockIndexConfig.costAwareMemoryConfig.size ${JSON.stringify(costSize ?? "")} is not a byte size (a number and a unit, like "2GiB"), which ${factory} refuses`);
    // NewIndex takes the first of costAwareMemoryConfig, redisConfig, inMemoryConfig (the default's); the rest are never read.
    const backends = ["costAwareMemoryConfig", "redisConfig", "inMemoryConfig"].filter((b) => isObject(param(index, b)));
    if (backends.length > 1) out.push(`${at}.indexerConfig.kvBlockIndexConfig sets ${backends.join(" and ")}, of which the index uses only ${backends[0]}: ${backends.slice(1).join(", ")} never read (indexes otherwise than the config reads)`);
  }
  const strategy = obj(indexer && param(indexer, "KVBlockScorerConfig"));
  if (strategy && param(strategy, "ScoringStrategy") !== undefined && param(strategy, "ScoringStrategy") !== null && param(strategy, "ScoringStrategy") !== "LongestPrefix") {
    out.push(`${at}.indexerConfig.KVBlockScorerConfig.ScoringStrategy ${JSON.stringify(param(strategy, "ScoringStrategy"))} is not LongestPrefix, the only strategy, which ${factory} refuses ("unsupported scoring strategy")`);
  }
  const events = obj(param(p, "kvEventsConfig"));
  if (events) {
    const engine = param(events, "engineType");
    if (typeof engine === "string" && !["", "vllm", "sglang"].includes(engine)) out.push(`${at}.kvEventsConfig.engineType ${JSON.stringify(engine)} is neither vllm nor sglang, which ${factory} refuses ("unsupported engine type")`);
    const workers = num(events, "concurrency");
    if (workers !== undefined && workers <= 0) out.push(`${at}.kvEventsConfig.concurrency ${workers} is not positive: the KV-events pool ${workers < 0 ? "panics making its queues at start" : "divides by it sharding the first event and panics"}`);
    const endpoint = param(events, "zmqEndpoint");
    if (falsy(param(events, "discoverPods")) && (typeof endpoint !== "string" || endpoint === "")) out.push(`${at}.kvEventsConfig.discoverPods is false and zmqEndpoint is unset, so no KV-events subscriber is ever made: the index never learns what the engines cache and scores every endpoint as a miss`);
    const discovery = obj(param(events, "podDiscoveryConfig"));
    const port = num(discovery, "socketPort");
    if (port !== undefined && (port < 1 || port > 65535)) out.push(`${at}.kvEventsConfig.podDiscoveryConfig.socketPort ${port} is outside 1 to 65535: each subscriber dials a port no engine publishes on, so the index never fills`);
    for (const unread of ["podLabelSelector", "podNamespace"]) {
      if (discovery && typeof param(discovery, unread) === "string" && param(discovery, unread) !== "") out.push(`${at}.kvEventsConfig.podDiscoveryConfig.${unread} is never read (subscribers follow the picker's endpoints, extractor.go), so it selects nothing`);
    }
  }
  const ttl = param(p, "speculativeTTL");
  if (typeof ttl === "string" && ttl !== "") {
    const d = goDuration(ttl);
    if (!truthy(param(p, "speculativeIndexing"))) out.push(`${at}.speculativeTTL is never read while speculativeIndexing is not true, so it bounds nothing`);
    else if (!d.ok) out.push(`${at}.speculativeTTL ${JSON.stringify(ttl)} is not a Go duration (a number with a unit: ms, s, m, h, like "2s"), which ${factory} refuses`);
    else if (d.negative || !/[1-9]/.test(ttl)) out.push(`${at}.speculativeTTL ${JSON.stringify(ttl)} is not positive, so the producer silently keeps speculative entries 2s instead (caches otherwise than the config reads)`);
  }
  return out;
}
