/**
 * What llm-d-router v0.10.0's config loader makes of an EndpointPickerConfig
 * (pkg/epp/config/loader: configloader.go, validation.go, defaults.go), read without running it:
 * each problem here makes the picker exit at start (so it crash-loops and every request to its
 * pool fails, or skips it under FailOpen), or silently changes what it picks. Pure: text in,
 * problems out; where the text comes from is picker-config-source.ts.
 */
import * as yaml from "js-yaml";
import { isObject, list } from "./values";
import { PICKER_FEATURE_GATES, PICKER_PLUGIN_STABILITY, PICKER_TYPES, PROFILE_HANDLER_TYPES } from "./picker-plugins";
import { pluginParameterProblems } from "./picker-parameters";
import { duplicateNotificationGvkProblems, preferSelectorProblems } from "./picker-required-parameters";

/** The config's apiVersions: llm-d.ai, and the deprecated GIE group the loader still registers (configloader.go init). */
const API_VERSIONS = ["llm-d.ai/v1alpha1", "inference.networking.x-k8s.io/v1alpha1"];

/** The fields of EndpointPickerConfig and its parts (apix/config/v1alpha1): the decoder is strict, so any other field is refused. */
const FIELDS = {
  "": ["apiVersion", "kind", "featureGates", "plugins", "schedulingProfiles", "dataLayer", "flowControl", "requestHandler", "saturationDetector", "parser"],
  plugin: ["name", "type", "parameters"],
  profile: ["name", "plugins"],
  profilePlugin: ["pluginRef", "weight"],
};

/** A registered type close to an unknown one: those of its kind (its last word: scorer, filter, picker…), else all. */
function allowedLike(type: string): string {
  const kind = /-([a-z]+)$/.exec(type)?.[1];
  const all = [...PICKER_PLUGIN_STABILITY.keys()].sort();
  const like = kind ? all.filter((t) => t.endsWith(`-${kind}`)) : [];
  return like.length > 0 ? `the ${kind} types it registers: ${like.join(", ")}` : `the types it registers: ${all.join(", ")}`;
}

function unknownFields(obj: unknown, allowed: string[], at: string): string[] {
  if (!isObject(obj)) return [];
  return Object.keys(obj)
    .filter((k) => !allowed.includes(k))
    .map((k) => `${at}${at ? "." : ""}${k} is not a field of EndpointPickerConfig (allowed: ${allowed.join(", ")}); the loader decodes strictly and refuses it`);
}

const saturationDetector = (doc: Record<string, unknown>): Record<string, unknown> => {
  const flow = isObject(doc.flowControl) ? doc.flowControl : {};
  // The deprecated top-level field counts where flowControl sets none (LoadRawConfig).
  return (isObject(flow.saturationDetector) ? flow.saturationDetector : isObject(doc.saturationDetector) ? doc.saturationDetector : {}) as Record<string, unknown>;
};

const parsers = (doc: Record<string, unknown>): unknown[] => {
  const handler = list((isObject(doc.requestHandler) ? doc.requestHandler : {}).parsers as unknown[]);
  return handler.length > 0 ? handler : doc.parser !== undefined && doc.parser !== null ? [doc.parser] : [];
};

/**
 * The plugins the loader adds where the config leaves them out, named by their type
 * (defaults.go applySystemDefaults): a single-profile-handler for one profile, a max-score-picker
 * when no picker is defined, the flow control policies, the parsers (the three defaults, or those
 * named by a registered type), the utilization-detector, and the metrics source and extractor
 * unless the data layer opts out or already names a metrics-data-source.
 */
function injected(doc: Record<string, unknown>, profiles: number, hasPicker: boolean, hasHandler: boolean): string[] {
  const out = ["fcfs-ordering-policy", "global-strict-fairness-policy", "static-usage-limit-policy"];
  if (profiles <= 1 && !hasHandler) out.push("single-profile-handler");
  if (!hasPicker) out.push("max-score-picker");
  const named = parsers(doc).map((p) => (isObject(p) ? String(p.pluginRef ?? "") : ""));
  out.push(...(named.length > 0 ? named.filter((n) => PICKER_PLUGIN_STABILITY.has(n)) : ["openai-parser", "anthropic-parser", "vllmhttp-parser"]));
  const detector = saturationDetector(doc).pluginRef;
  if (detector === undefined || detector === "" || detector === "utilization-detector") out.push("utilization-detector");
  const dataLayer = isObject(doc.dataLayer) ? doc.dataLayer : {};
  const sources = list(dataLayer.sources as unknown[]);
  if (dataLayer.injectDefaults !== false && !sources.some((s) => isObject(s) && s.pluginRef === "metrics-data-source")) out.push("metrics-data-source", "core-metrics-extractor");
  return out;
}

/**
 * The loader's verdict on one config: problems that make the picker exit (or, marked so, pick
 * otherwise than the config reads), each naming the field and what is allowed.
 * `allowExperimental`: the picker runs with --allow-experimental-plugins.
 */
export function pickerConfigProblems(text: string, allowExperimental: boolean): string[] {
  // No bytes at all: the loader takes its built-in default config (LoadRawConfig, loadDefaultConfig); only whitespace is decoded, and refused.
  if (text === "") return [];
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (err) {
    return [`it is not YAML (${(err as Error).message.split("\n")[0]}), so the loader cannot decode it`];
  }
  if (!isObject(doc)) return ["it is not a YAML mapping (an EndpointPickerConfig object), so the loader cannot decode it"];
  const out: string[] = [];
  if (!API_VERSIONS.includes(String(doc.apiVersion)) || doc.kind !== "EndpointPickerConfig") {
    out.push(`apiVersion ${JSON.stringify(doc.apiVersion ?? null)} kind ${JSON.stringify(doc.kind ?? null)} is not what the loader decodes (kind EndpointPickerConfig, apiVersion ${API_VERSIONS.join(" or the deprecated ")})`);
  }
  out.push(...unknownFields(doc, FIELDS[""], ""));
  for (const gate of list(doc.featureGates as unknown[])) {
    const [name, value] = String(gate).split("=");
    if (!PICKER_FEATURE_GATES.has(name)) out.push(`featureGates entry ${JSON.stringify(gate)} names no feature gate the picker registers (${[...PICKER_FEATURE_GATES].join(", ")})`);
    // strconv.ParseBool of the lower-cased, trimmed value (validateFeatureGates).
    else if (value !== undefined && !["1", "t", "true", "0", "f", "false"].includes(value.trim().toLowerCase())) out.push(`featureGates entry ${JSON.stringify(gate)} gives ${name} a value that is not a bool (true or false)`);
  }

  // Plugins: a type, a name unique among them (the type when left out), a registered type (validatePlugins).
  const types = new Map<string, string>();
  // Every plugin by name, for parameters naming another plugin (a producer declared after its consumer counts).
  const declared = new Map(list(doc.plugins as unknown[]).filter(isObject).map((p) => [String(p.name || p.type), String(p.type)] as [string, string]));
  list(doc.plugins as unknown[]).forEach((p, i) => {
    const at = `plugins[${i}]`;
    if (!isObject(p)) return void out.push(`${at} is not an object with a type`);
    out.push(...unknownFields(p, FIELDS.plugin, at));
    const type = typeof p.type === "string" ? p.type : "";
    const name = typeof p.name === "string" && p.name !== "" ? p.name : type;
    if (type === "") return void out.push(`${at} has no type; every plugin names one of the types the picker registers`);
    if (types.has(name)) out.push(`${at} is named ${JSON.stringify(name)}${p.name ? "" : " (its type, as it sets no name)"}, like another plugin; plugin names must be unique (give each a name)`);
    types.set(name, type);
    const stability = PICKER_PLUGIN_STABILITY.get(type);
    if (!stability) out.push(`${at}.type ${JSON.stringify(type)} is not a plugin type llm-d-router v0.10.0 registers (${allowedLike(type)})`);
    else if (stability === "Alpha" && !allowExperimental) out.push(`${at}.type ${JSON.stringify(type)} is an Alpha plugin, which the picker loads only when run with --allow-experimental-plugins (it is not)`);
    // Each factory decodes its parameters strictly, and some refuse values out of range (picker-parameters.ts).
    out.push(...pluginParameterProblems(type, p.parameters, at, declared));
  });
  // A rollout screener's prefer selectors rely on another plugin to apply them.
  out.push(...preferSelectorProblems(list(doc.plugins as unknown[])));

  const profiles = list(doc.schedulingProfiles as unknown[]);
  const pickers = [...types].filter(([, t]) => PICKER_TYPES.has(t)).map(([n]) => n);
  const handlers = [...types].filter(([, t]) => PROFILE_HANDLER_TYPES.has(t));
  const defined = new Set([...types.keys(), ...injected(doc, profiles.length, pickers.length > 0, handlers.length > 0)]);
  const undefinedRef = `names no plugin of plugins[] (defined: ${[...types.keys()].join(", ") || "none"}) nor one the loader adds`;

  // Scheduling profiles: named, unique, referencing defined plugins, at most one picker each (validateSchedulingProfiles, AddPlugins).
  const seen = new Set<string>();
  profiles.forEach((prof, i) => {
    const at = `schedulingProfiles[${i}]`;
    if (!isObject(prof)) return void out.push(`${at} is not an object with a name`);
    out.push(...unknownFields(prof, FIELDS.profile, at));
    if (typeof prof.name !== "string" || prof.name === "") out.push(`${at} has no name`);
    else if (seen.has(prof.name)) out.push(`${at} is named ${JSON.stringify(prof.name)} like another profile; profile names must be unique`);
    else seen.add(prof.name);
    const own: string[] = [];
    list(prof.plugins as unknown[]).forEach((ref, j) => {
      const refAt = `${at}.plugins[${j}]`;
      if (!isObject(ref)) return void out.push(`${refAt} is not an object with a pluginRef`);
      out.push(...unknownFields(ref, FIELDS.profilePlugin, refAt));
      if (ref.weight !== undefined && ref.weight !== null && typeof ref.weight !== "number") out.push(`${refAt}.weight ${JSON.stringify(ref.weight)} is not a number, which the loader decodes it as (float64)`);
      const name = typeof ref.pluginRef === "string" ? ref.pluginRef : "";
      if (name === "") return void out.push(`${refAt} has no pluginRef`);
      if (!defined.has(name)) return void out.push(`${refAt}.pluginRef ${JSON.stringify(name)} ${undefinedRef}; a profile references plugins by name (their type when unnamed)`);
      if (PICKER_TYPES.has(types.get(name) ?? name)) own.push(name);
    });
    if (own.length > 1) out.push(`${at} references ${own.length} pickers (${own.join(", ")}); a profile takes one picker`);
    // Without one, the loader adds the first picker it finds among all plugins: with several defined, which one is Go's map order, at each start.
    if (own.length === 0 && pickers.length > 1) {
      out.push(`${at} references no picker while plugins[] defines ${pickers.length} (${pickers.join(", ")}): the loader gives it whichever it meets first in a Go map, a different one from start to start; reference the one it should use`);
    }
  });
  // No profile: the loader makes one of every filter, scorer and picker, which holds only one picker.
  if (profiles.length === 0 && pickers.length > 1) out.push(`schedulingProfiles is empty, so the loader makes a default profile of every filter, scorer and picker, but plugins[] defines ${pickers.length} pickers (${pickers.join(", ")}) and a profile takes one; write the profile`);

  // One profile handler: the loader adds single-profile-handler for one profile only (ensureSchedulingLayer, buildSchedulerConfig).
  const choosers = [...PROFILE_HANDLER_TYPES].filter((t) => t !== "single-profile-handler").join(", ");
  if (handlers.length > 1) out.push(`plugins[] defines ${handlers.length} profile handlers (${handlers.map(([n]) => n).join(", ")}); only one is allowed`);
  else if (handlers.length === 0 && profiles.length > 1) out.push(`schedulingProfiles holds ${profiles.length} profiles but plugins[] defines no profile handler, which the loader adds only for a single profile ("no profile handler configured"); define one that chooses between them (${choosers})`);
  else if (handlers.length === 1 && handlers[0][1] === "single-profile-handler" && profiles.length > 1) out.push(`plugins[] defines single-profile-handler, which cannot choose between the ${profiles.length} profiles of schedulingProfiles; use a handler that can (${choosers}) or keep one profile`);

  // References from flow control, the request handler and the data layer (validateSaturationDetector, validateParsers, buildDataLayerConfig).
  const detector = saturationDetector(doc);
  if (typeof detector.pluginRef === "string" && detector.pluginRef !== "" && !defined.has(detector.pluginRef)) out.push(`the saturation detector's pluginRef ${JSON.stringify(detector.pluginRef)} ${undefinedRef}`);
  for (const parser of parsers(doc)) {
    const ref = isObject(parser) ? String(parser.pluginRef ?? "") : "";
    if (!defined.has(ref)) out.push(`requestHandler.parsers pluginRef ${JSON.stringify(ref)} ${undefinedRef} (a parser type it registers, added by that name)`);
  }
  list((isObject(doc.dataLayer) ? doc.dataLayer : {}).sources as unknown[]).forEach((src, i) => {
    const refs = isObject(src) ? [String(src.pluginRef ?? ""), ...list(src.extractors as unknown[]).map((e) => (isObject(e) ? String(e.pluginRef ?? "") : ""))] : [""];
    for (const ref of refs.filter((r) => !defined.has(r))) out.push(`dataLayer.sources[${i}] references ${JSON.stringify(ref)}, which ${undefinedRef}`);
  });
  out.push(...duplicateNotificationGvkProblems(list(doc.plugins as unknown[]), list((isObject(doc.dataLayer) ? doc.dataLayer : {}).sources as unknown[])));
  return out;
}
