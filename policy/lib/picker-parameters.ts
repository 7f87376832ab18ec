/**
 * What llm-d-router v0.10.0 makes of a plugin's `parameters`, for the plugins the platform renders
 * and the common ones. The loader hands each factory a strict JSON decoder over them
 * (framework/interface/plugin/registry.go StrictDecoder: DisallowUnknownFields;
 * config/loader/configloader.go instantiatePlugins), so a factory that decodes refuses an unknown
 * field or a value of the wrong type, and some refuse values out of range: any error makes the
 * loader fail and the picker exit at start. Some instead fall back to a default, or take no
 * parameters at all, and so pick otherwise than the config reads. Pure: a plugin in, problems out.
 */
import { isObject, list } from "./values";
import { Field, decode, goDuration, param } from "./go-json-decode";
import { PRECISE_PREFIX_FIELDS, precisePrefixProblems } from "./picker-precise-prefix";
import { LATENCY_PREDICTION, PREFIX_MATCH, producerProblem } from "./picker-producers";
import { LATENCY_FIELDS, latencyProblems } from "./picker-latency-parameters";
import { TOKEN_PRODUCER_FIELDS, tokenProducerProblems } from "./picker-token-producer";
import { REQUIRED_PARAMETER_FIELDS, missingParametersProblem, requiredParameterProblems } from "./picker-required-parameters";

const PICKER = { maxNumOfEndpoints: "int" } as const; // framework/plugins/scheduling/picker/common.go PickerParameters
const ENGINE: Record<string, Field> = {
  // framework/plugins/datalayer/extractor/metrics/factories.go engineConfigParams
  name: "string", queuedRequestsSpec: "string", runningRequestsSpec: "string", kvUsageSpec: "string", loraSpec: "string", cacheInfoSpec: "string",
  cacheBlockSizeLabelName: "string", cacheNumBlocksLabelName: "string", cacheBlockSizeSpec: "string", cacheNumBlocksSpec: "string",
  customMetrics: { list: { fields: { attributeKey: "string", metricSpec: "string" } } },
};

const SESSION_AFFINITY: Record<string, Field> = {
  strategy: "string",
  encodedEndpointHeaderConfig: { fields: { header: "string" } },
  sessionIdConfig: { fields: { sources: { list: { fields: { header: "string", attribute: "string" } } }, evictionTtlSeconds: "float", evictionSweepSeconds: "float" } },
  profileName: "string",
};

/** The parameter structs the factories decode (each type's factory, at v0.10.0). */
const DECODED: Record<string, Record<string, Field>> = {
  "max-score-picker": PICKER,
  "random-picker": PICKER,
  "weighted-random-picker": PICKER,
  // scheduling/scorer/prefix/plugin.go Config
  "prefix-cache-scorer": { prefixMatchInfoProducerName: "string", matchLengthWeight: "float", matchLengthScaleTokens: "int" },
  // scheduling/scorer/loadaware/load_aware.go loadAwareParameters
  "load-aware-scorer": { threshold: "int" },
  // datalayer/source/metrics/datasource.go metricsDatasourceParams
  "metrics-data-source": { scheme: "string", path: "string", port: "int", insecureSkipVerify: "bool", caCertPath: "string", clientCertPath: "string", clientKeyPath: "string", interval: "string" },
  // datalayer/extractor/metrics/factories.go modelServerExtractorParams
  "core-metrics-extractor": { engineLabelKey: "string", defaultEngine: "string", engineConfigs: { list: { fields: ENGINE } } },
  // scheduling/filter/prefixcacheaffinity/plugin.go Config
  "prefix-cache-affinity-filter": {
    affinityThreshold: "float", explorationProbability: "float", maxTTFTPenaltyMs: "float", ttftSource: "string", peakPrefillThroughput: "float",
    prefixMatchInfoProducerName: "string", latencyPredictionInfoProducerName: "string", inFlightLoadProducerName: "string",
  },
  // requestcontrol/dataproducer/approximateprefix/types.go config
  "approx-prefix-cache-producer": { autoTune: "bool", blockSizeTokens: "int", blockSize: "int", maxPrefixBlocksToMatch: "int", maxPrefixTokensToMatch: "int", lruCapacityPerServer: "int" },
  // scheduling/scorer/activerequest/active_request.go Parameters
  "active-request-scorer": { requestTimeout: "string", idleThreshold: "int", maxBusyScore: "float", inFlightLoadProducerName: "string" },
  // scheduling/{scorer,filter}/sessionaffinity/session_affinity.go parameters (util/sessionaffinity header.go, session_id.go)
  "session-affinity-scorer": SESSION_AFFINITY,
  "session-affinity-filter": SESSION_AFFINITY,
  // scheduling/scorer/nohitlru/no_hit_lru.go Parameters (prefixPluginType/-Name deprecated, never read)
  "no-hit-lru-scorer": { prefixPluginType: "string", prefixPluginName: "string", lruSize: "int", prefixMatchInfoProducerName: "string" },
  // scheduling/scorer/tokenload/token_load.go Config (queueThresholdTokens an int64)
  "token-load-scorer": { queueThresholdTokens: "int", inFlightLoadProducerName: "string" },
  // scheduling/filter/utilization/filter.go parameters and condition (maxValue a *float64)
  "utilization-filter": { conditions: { list: { fields: { metric: "string", maxValue: "float" } } }, fallbackOnEmpty: "bool", inFlightLoadProducerName: "string" },
  // dataproducer/preciseprefixcache/producer.go PluginConfig; scorer/preciseprefixcache/precise_prefix_cache.go PluginConfig (picker-precise-prefix.ts)
  "precise-prefix-cache-producer": PRECISE_PREFIX_FIELDS,
  "precise-prefix-cache-scorer": PRECISE_PREFIX_FIELDS,
  // latency-scorer, slo-headroom-tier-filter, latency-slo-admitter (picker-latency-parameters.ts)
  ...LATENCY_FIELDS,
  // dataproducer/tokenizer/tokenizer.go tokenizerPluginConfig, under the current and the deprecated type (picker-token-producer.ts)
  "token-producer": TOKEN_PRODUCER_FIELDS,
  tokenizer: TOKEN_PRODUCER_FIELDS,
  // k8s-notification-source, header-label-affinity-scorer, request-attribute-reporter, disaggregatedset-rollout-screener (picker-required-parameters.ts)
  ...REQUIRED_PARAMETER_FIELDS,
};

/** Factories that take no parameters (`_ *json.Decoder`, each registered type's factory at v0.10.0): whatever is given is never read. */
const IGNORED = new Set([
  "queue-scorer", "kv-cache-utilization-scorer", "lora-affinity-scorer", "running-requests-size-scorer",
  "decode-filter", "prefill-filter", "encode-filter", "single-profile-handler", "always-disagg-pd-decider", "always-disagg-multimodal-decider",
  "openai-parser", "anthropic-parser", "passthrough-parser", "vllmgrpc-parser", "vllmhttp-parser", "vertexai-parser",
  "global-strict-fairness-policy", "round-robin-fairness-policy", "fcfs-ordering-policy", "edf-ordering-policy", "slo-deadline-ordering-policy",
  "sheddable-eviction-filter", "priority-then-time-eviction-order-policy", "models-data-extractor", "endpoint-notification-source", "dcgm-extractor",
]);

/** approximateprefix/plugin.go minBlockSizeTokens: a block size below it is raised to it at request time (GetBlockSize). */
const MIN_BLOCK_SIZE_TOKENS = 64;

/** utilization-filter's metrics (filter/utilization/filter.go). */
const UTILIZATION_METRICS = ["active-requests", "running-requests", "waiting-queue", "kv-cache-utilization"];

/** The engines core-metrics-extractor always knows (factories.go defaultEngineConfigs). */
const BUILT_IN_ENGINES = ["vllm", "sglang", "trtllm-serve", "triton-tensorrt-llm", "triton"];

/**
 * prefix-cache-affinity-filter's validate (filter/prefixcacheaffinity/plugin.go), over its defaults
 * (affinityThreshold 0.80, maxTTFTPenaltyMs 18000, ttftSource prefillThroughput, peakPrefillThroughput 15928).
 */
function affinityFilterProblems(p: Record<string, unknown>, at: string, factory: string, declared: ReadonlyMap<string, string>, out: string[]): void {
  const num = (name: string, d: number) => (typeof param(p, name) === "number" ? (param(p, name) as number) : d);
  const threshold = num("affinityThreshold", 0.8);
  if (threshold > 1) out.push(`${at}.affinityThreshold ${threshold} is above 1.0, which ${factory} refuses`);
  const exploration = num("explorationProbability", 0);
  if (exploration < 0 || exploration > 1) out.push(`${at}.explorationProbability ${exploration} is outside 0 to 1, which ${factory} refuses`);
  const penalty = num("maxTTFTPenaltyMs", 18000);
  if (penalty < 0) out.push(`${at}.maxTTFTPenaltyMs ${penalty} is negative, which ${factory} refuses`);
  const peak = num("peakPrefillThroughput", 15928);
  if (peak < 0) out.push(`${at}.peakPrefillThroughput ${peak} is negative, which ${factory} refuses`);
  const source = param(p, "ttftSource");
  // An explicit "" replaces the default as well (the field's omitempty only affects encoding).
  const ttft = typeof source === "string" ? source : "prefillThroughput";
  if (ttft !== "latencyPredictor" && ttft !== "prefillThroughput") out.push(`${at}.ttftSource ${JSON.stringify(ttft)} is neither latencyPredictor nor prefillThroughput, which ${factory} refuses`);
  else if (ttft === "prefillThroughput" && penalty > 0 && peak === 0) out.push(`${at}.peakPrefillThroughput is 0 while ttftSource is prefillThroughput and maxTTFTPenaltyMs ${penalty} is positive, which ${factory} refuses (it estimates TTFT from it)`);
  producerProblem(PREFIX_MATCH, p, at, declared, "filter", out);
  if (ttft === "latencyPredictor" && penalty > 0) producerProblem(LATENCY_PREDICTION, p, at, declared, "filter", out);
}

/** The session-affinity scorer's and filter's validate, after applyDefaults: a known strategy, and for session_id sources and a schedule it can use. */
function sessionAffinityProblems(p: Record<string, unknown>, at: string, factory: string, out: string[]): void {
  // The default strategy is set before decoding, so an explicit "" replaces it.
  const strategy = typeof param(p, "strategy") === "string" ? (param(p, "strategy") as string) : "encoded_endpoint_header";
  if (strategy !== "encoded_endpoint_header" && strategy !== "session_id") return void out.push(`${at}.strategy ${JSON.stringify(strategy)} is neither encoded_endpoint_header nor session_id, which ${factory} refuses`);
  const unused = strategy === "session_id" ? "encodedEndpointHeaderConfig" : "sessionIdConfig";
  if (isObject(param(p, unused))) out.push(`${at}.${unused} is never read under strategy ${strategy} (only the selected strategy's config is used)`);
  if (strategy !== "session_id" || !isObject(param(p, "sessionIdConfig"))) return;
  const config = param(p, "sessionIdConfig") as Record<string, unknown>;
  list(param(config, "sources") as unknown[]).forEach((source, i) => {
    const set = ["header", "attribute"].filter((k) => isObject(source) && typeof param(source, k) === "string" && param(source, k) !== "");
    if (set.length !== 1) out.push(`${at}.sessionIdConfig.sources[${i}] sets ${set.length === 0 ? "neither header nor attribute" : "both header and attribute"}, which ${factory} refuses ("exactly one of header or attribute must be set")`);
  });
  for (const key of ["evictionTtlSeconds", "evictionSweepSeconds"]) {
    const v = param(config, key);
    if (typeof v === "number" && v < 0) out.push(`${at}.sessionIdConfig.${key} ${v} is negative, which ${factory} refuses (0 is the default)`);
  }
}

/** The range checks each factory makes after decoding, and its silent fallbacks. */
function ranges(type: string, p: Record<string, unknown>, at: string, declared: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  const factory = `${type}'s factory`;
  const num = (name: string) => (typeof param(p, name) === "number" ? (param(p, name) as number) : undefined);
  if (DECODED[type] === PICKER) {
    const n = num("maxNumOfEndpoints");
    if (n !== undefined && n <= 0) out.push(`${at}.maxNumOfEndpoints ${n} is not positive, so the picker silently picks 1 endpoint instead (picks otherwise than the config reads)`);
  } else if (type === "load-aware-scorer") {
    const n = num("threshold");
    if (n !== undefined && n <= 0) out.push(`${at}.threshold ${n} is not positive, so the scorer silently uses its default queue threshold 128 instead (scores otherwise than the config reads)`);
  } else if (type === "prefix-cache-scorer") {
    const weight = num("matchLengthWeight") ?? 0;
    const scale = num("matchLengthScaleTokens") ?? 8192;
    producerProblem(PREFIX_MATCH, p, at, declared, "scorer", out);
    if (weight < 0 || weight > 1) out.push(`${at}.matchLengthWeight ${weight} is outside 0.0 to 1.0, which ${factory} refuses`);
    else if (weight > 0 && scale <= 0) out.push(`${at}.matchLengthScaleTokens ${scale} is not positive while matchLengthWeight is ${weight}, which ${factory} refuses (it must be greater than 0 when matchLengthWeight is)`);
  } else if (type === "prefix-cache-affinity-filter") {
    affinityFilterProblems(p, at, factory, declared, out);
  } else if (type === "approx-prefix-cache-producer") {
    // The factory decodes over its defaults (autoTune true, blockSizeTokens 16), then maps a deprecated blockSize into
    // blockSizeTokens only where blockSizeTokens is still 16; newDataProducer refuses the rest.
    const given = num("blockSizeTokens");
    const legacy = num("blockSize");
    const tokens = legacy !== undefined && legacy > 0 && (given ?? 16) === 16 ? legacy : (given ?? 16);
    const autoTune = param(p, "autoTune");
    if ((autoTune === false || (typeof autoTune === "string" && /^(n|no|off)$/i.test(autoTune))) && tokens <= 0) out.push(`${at}.blockSizeTokens ${tokens} is not positive while autoTune is false, which ${factory} refuses`);
    if (legacy !== undefined && legacy > 0 && given !== undefined && given !== 16) out.push(`${at}.blockSize ${legacy} (deprecated) is never read beside blockSizeTokens ${given}, which the factory keeps (caches otherwise than the config reads)`);
    if (tokens > 0 && tokens < MIN_BLOCK_SIZE_TOKENS && (given !== undefined || (legacy ?? 0) > 0)) out.push(`${at}.${given !== undefined ? "blockSizeTokens" : "blockSize"} ${tokens} is below ${MIN_BLOCK_SIZE_TOKENS}, so the producer silently hashes prompts in blocks of ${MIN_BLOCK_SIZE_TOKENS} tokens instead (caches otherwise than the config reads)`);
    const maxTokens = num("maxPrefixTokensToMatch");
    if (maxTokens !== undefined && maxTokens < 0) out.push(`${at}.maxPrefixTokensToMatch ${maxTokens} is negative, which ${factory} refuses`);
  } else if (type === "active-request-scorer") {
    const busy = num("maxBusyScore");
    if (busy !== undefined && (busy < 0 || busy > 1)) out.push(`${at}.maxBusyScore ${busy} is outside 0.0 to 1.0, so the scorer silently uses 1.0 instead (scores otherwise than the config reads)`);
    const idle = num("idleThreshold");
    if (idle !== undefined && idle < 0) out.push(`${at}.idleThreshold ${idle} is negative, so the scorer silently uses 0 instead (scores otherwise than the config reads)`);
    const timeout = param(p, "requestTimeout");
    if (typeof timeout === "string" && timeout !== "") out.push(`${at}.requestTimeout is deprecated and never read (the inflight-load-producer tracks requests' lifetimes), so it bounds nothing`);
  } else if (type === "session-affinity-scorer" || type === "session-affinity-filter") {
    sessionAffinityProblems(p, at, factory, out);
  } else if (type === "no-hit-lru-scorer") {
    producerProblem(PREFIX_MATCH, p, at, declared, "scorer", out);
    const size = num("lruSize");
    if (size !== undefined && size <= 0) out.push(`${at}.lruSize ${size} is not positive, so the scorer silently tracks 1024 endpoints instead (scores otherwise than the config reads)`);
    for (const unread of ["prefixPluginType", "prefixPluginName"]) {
      if (typeof param(p, unread) === "string" && param(p, unread) !== "") out.push(`${at}.${unread} is deprecated and never read (prefixMatchInfoProducerName names the producer), so it selects nothing`);
    }
  } else if (type === "token-load-scorer") {
    const threshold = num("queueThresholdTokens");
    if (threshold !== undefined && threshold <= 0) out.push(`${at}.queueThresholdTokens ${threshold} is not positive, so the scorer silently uses its default 4194304 tokens instead (scores otherwise than the config reads)`);
  } else if (type === "utilization-filter") {
    // NewUtilizationFilter: at least one condition, each a known metric with a maxValue not negative (a fraction for the KV cache).
    const conditions = list(param(p, "conditions") as unknown[]);
    if (conditions.length === 0) out.push(`${at}.conditions is empty or unset, which ${factory} refuses ("requires at least one condition")`);
    conditions.forEach((c, i) => {
      const metric = isObject(c) ? param(c, "metric") : undefined;
      const max = isObject(c) ? param(c, "maxValue") : undefined;
      const where = `${at}.conditions[${i}]`;
      if (typeof metric !== "string" || !UTILIZATION_METRICS.includes(metric)) out.push(`${where}.metric ${JSON.stringify(metric ?? "")} is none of ${UTILIZATION_METRICS.join(", ")}, which ${factory} refuses`);
      else if (typeof max !== "number") out.push(`${where} has no maxValue, which ${factory} refuses`);
      else if (max < 0) out.push(`${where}.maxValue ${max} is negative, which ${factory} refuses`);
      else if (metric === "kv-cache-utilization" && max > 1) out.push(`${where}.maxValue ${max} is above 1 for kv-cache-utilization, a fraction, which ${factory} refuses`);
    });
  } else if (type === "precise-prefix-cache-producer" || type === "precise-prefix-cache-scorer") {
    out.push(...precisePrefixProblems(type, p, at));
  } else if (type in LATENCY_FIELDS) {
    out.push(...latencyProblems(type, p, at, declared));
  } else if (type === "token-producer" || type === "tokenizer") {
    out.push(...tokenProducerProblems(type, p, at));
  } else if (Object.prototype.hasOwnProperty.call(REQUIRED_PARAMETER_FIELDS, type)) {
    out.push(...requiredParameterProblems(type, p, at));
  } else if (type === "metrics-data-source") {
    const port = num("port");
    if (port !== undefined && (port < 1 || port > 65535)) out.push(`${at}.port ${port} is outside 1 to 65535, which ${factory} refuses`);
    const scheme = param(p, "scheme");
    if (typeof scheme === "string" && scheme !== "http" && scheme !== "https") out.push(`${at}.scheme ${JSON.stringify(scheme)} is neither http nor https, which ${factory} refuses ("unsupported scheme")`);
    const interval = param(p, "interval");
    if (typeof interval === "string" && interval !== "") {
      const d = goDuration(interval);
      if (!d.ok) out.push(`${at}.interval ${JSON.stringify(interval)} is not a Go duration (a number with a unit: ms, s, m, h, like "1s"), which ${factory} refuses`);
      else if (d.negative) out.push(`${at}.interval ${JSON.stringify(interval)} is negative, which ${factory} refuses`);
    }
  } else if (type === "core-metrics-extractor") {
    const engines = list(param(p, "engineConfigs") as unknown[]).map((e) => (isObject(e) ? param(e, "name") : undefined));
    const named = engines.filter((n): n is string => typeof n === "string" && n !== "");
    if (engines.some((n) => n === undefined || n === null || n === "")) out.push(`${at}.engineConfigs holds an entry without a name, which ${factory} refuses`);
    if (named.includes("default")) out.push(`${at}.engineConfigs names an engine "default", a name ${factory} reserves and refuses`);
    const twice = named.filter((n, i) => named.indexOf(n) !== i);
    if (twice.length > 0) out.push(`${at}.engineConfigs names ${JSON.stringify(twice[0])} twice, which ${factory} refuses ("mapping … already exists")`);
    const defaultEngine = param(p, "defaultEngine");
    const known = [...new Set([...named, ...BUILT_IN_ENGINES])];
    if (typeof defaultEngine === "string" && defaultEngine !== "" && !known.includes(defaultEngine)) {
      out.push(`${at}.defaultEngine ${JSON.stringify(defaultEngine)} is none of its engine configs (${known.join(", ")}), which ${factory} refuses`);
    }
  }
  return out;
}

/**
 * The problems llm-d-router v0.10.0 has with one plugin's parameters (`at` is its path in the
 * config, as plugins[i]; `declared`, the config's plugins by name to type); none for a type whose
 * factory is not listed here.
 */
export function pluginParameterProblems(type: string, parameters: unknown, at: string, declared: ReadonlyMap<string, string>): string[] {
  const where = `${at}.parameters`;
  // utilization-filter's factory checks its conditions even when no parameters are given.
  if ((parameters === undefined || parameters === null) && type === "utilization-filter") return ranges(type, {}, where, declared);
  if ((parameters === undefined || parameters === null) && Object.prototype.hasOwnProperty.call(REQUIRED_PARAMETER_FIELDS, type)) return [missingParametersProblem(type, where)];
  if (parameters === undefined || parameters === null) return [];
  if (IGNORED.has(type)) {
    return isObject(parameters) && Object.keys(parameters).length === 0
      ? []
      : [`${where} is given to ${type}, whose factory takes no parameters and never reads them (${type.endsWith("-scorer") ? "scores" : "works"} otherwise than the config reads)`];
  }
  const fields = DECODED[type];
  if (!fields) return [];
  const out: string[] = [];
  decode(parameters, { fields }, where, `${type}'s factory`, out);
  // The factory returns at the decoder's error, before its own checks.
  if (out.length > 0) return out;
  return isObject(parameters) ? ranges(type, parameters, where, declared) : [];
}
