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

/** A Go field as encoding/json decodes into it. */
type Field = "string" | "int" | "float" | "bool" | { list: Field } | { fields: Record<string, Field> };

const PICKER = { maxNumOfEndpoints: "int" } as const; // framework/plugins/scheduling/picker/common.go PickerParameters
const ENGINE: Record<string, Field> = {
  // framework/plugins/datalayer/extractor/metrics/factories.go engineConfigParams
  name: "string", queuedRequestsSpec: "string", runningRequestsSpec: "string", kvUsageSpec: "string", loraSpec: "string", cacheInfoSpec: "string",
  cacheBlockSizeLabelName: "string", cacheNumBlocksLabelName: "string", cacheBlockSizeSpec: "string", cacheNumBlocksSpec: "string",
  customMetrics: { list: { fields: { attributeKey: "string", metricSpec: "string" } } },
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
};

/** Factories that take no parameters (`_ *json.Decoder`): whatever is given is never read. */
const IGNORED = new Set(["queue-scorer", "kv-cache-utilization-scorer"]);

/** The engines core-metrics-extractor always knows (factories.go defaultEngineConfigs). */
const BUILT_IN_ENGINES = ["vllm", "sglang", "trtllm-serve", "triton-tensorrt-llm", "triton"];

/**
 * The producers of the prefix-cache match info prefix-cache-scorer reads, each under its own
 * plugin name (requestcontrol/dataproducer: approximateprefix, burstprefix, preciseprefixcache).
 * Only approx-prefix-cache-producer is the loader's default producer, added when no plugin
 * produces the key (datalayer/data_graph.go CreateMissingDataProducers); a key under any other
 * name without its producer fails start ("no default producer").
 */
const PREFIX_PRODUCERS = new Set(["approx-prefix-cache-producer", "burst-prefix-cache-producer", "precise-prefix-cache-producer", "multicluster-approx-prefix-cache-producer"]);
const DEFAULT_PREFIX_PRODUCER = "approx-prefix-cache-producer";

/** YAML 1.1 booleans, which the picker's YAML reader (sigs.k8s.io/yaml, go-yaml v2) takes as bools and js-yaml as strings. */
const YAML11_BOOLS = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;

function describe(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (isObject(v)) return "an object";
  return typeof v === "string" ? `the string ${JSON.stringify(v)}` : `${typeof v} ${JSON.stringify(v)}`;
}

function goType(f: Field): string {
  if (typeof f === "string") return f === "float" ? "a number" : f === "int" ? "a whole number" : f === "bool" ? "true or false" : "a string";
  return "list" in f ? "a list" : "an object";
}

/** Go's encoding/json into `field`, strict: each unknown field or mistyped value, by path. JSON null leaves a field as it is. */
function decode(value: unknown, field: Field, at: string, factory: string, out: string[]): void {
  if (value === null || value === undefined) return;
  const wrong = () => out.push(`${at} is ${describe(value)}, where ${factory} decodes ${goType(field)}`);
  if (field === "string") return void (typeof value !== "string" && wrong());
  if (field === "bool") return void (typeof value !== "boolean" && !(typeof value === "string" && YAML11_BOOLS.test(value)) && wrong());
  if (field === "float") return void (typeof value !== "number" && wrong());
  if (field === "int") return void ((typeof value !== "number" || !Number.isInteger(value)) && wrong());
  if ("list" in field) {
    if (!Array.isArray(value)) return void wrong();
    value.forEach((v, i) => decode(v, field.list, `${at}[${i}]`, factory, out));
    return;
  }
  if (!isObject(value)) return void wrong();
  for (const [key, v] of Object.entries(value)) {
    // encoding/json matches a key to a field case-insensitively.
    const name = Object.keys(field.fields).find((f) => f.toLowerCase() === key.toLowerCase());
    if (name === undefined) out.push(`${at}.${key} is not a parameter ${factory} decodes (${Object.keys(field.fields).join(", ")}); the decoder is strict and refuses it`);
    else decode(v, field.fields[name], `${at}.${key}`, factory, out);
  }
}

/** A decoded value by its Go field name, matched as encoding/json matches keys; the last key wins. */
function param(params: Record<string, unknown>, name: string): unknown {
  return Object.entries(params).filter(([k]) => k.toLowerCase() === name.toLowerCase()).pop()?.[1] ?? undefined;
}

/** Go's time.ParseDuration: a sign, then decimal numbers each with a unit, or a bare 0. Negative where the sign is -. */
function goDuration(text: string): { ok: boolean; negative: boolean } {
  const ok = /^[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$/.test(text);
  return { ok, negative: ok && text.startsWith("-") && /[1-9]/.test(text) };
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
    const producer = param(p, "prefixMatchInfoProducerName");
    if (typeof producer === "string" && producer !== "" && producer !== DEFAULT_PREFIX_PRODUCER && !PREFIX_PRODUCERS.has(declared.get(producer) ?? "")) {
      const of = declared.has(producer) ? `a ${declared.get(producer)}, which produces no prefix-cache match info` : "no plugin of plugins[]";
      out.push(`${at}.prefixMatchInfoProducerName ${JSON.stringify(producer)} names ${of} (a plugin of type ${[...PREFIX_PRODUCERS].join(", ")}, or ${DEFAULT_PREFIX_PRODUCER}, which the loader adds): nothing produces what the scorer requires, so the picker exits at start`);
    }
    if (weight < 0 || weight > 1) out.push(`${at}.matchLengthWeight ${weight} is outside 0.0 to 1.0, which ${factory} refuses`);
    else if (weight > 0 && scale <= 0) out.push(`${at}.matchLengthScaleTokens ${scale} is not positive while matchLengthWeight is ${weight}, which ${factory} refuses (it must be greater than 0 when matchLengthWeight is)`);
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
  if (parameters === undefined || parameters === null) return [];
  if (IGNORED.has(type)) {
    return isObject(parameters) && Object.keys(parameters).length === 0
      ? []
      : [`${where} is given to ${type}, whose factory takes no parameters and never reads them (scores otherwise than the config reads)`];
  }
  const fields = DECODED[type];
  if (!fields) return [];
  const out: string[] = [];
  decode(parameters, { fields }, where, `${type}'s factory`, out);
  // The factory returns at the decoder's error, before its own checks.
  if (out.length > 0) return out;
  return isObject(parameters) ? ranges(type, parameters, where, declared) : [];
}
