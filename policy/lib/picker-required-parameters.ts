/**
 * What llm-d-router v0.10.0 makes of the parameters of the plugins that cannot start without them:
 * k8s-notification-source (datalayer/source/notifications/factory.go NotificationSourceFactory),
 * header-label-affinity-scorer (scheduling/scorer/headerlabelaffinity/plugin.go Factory),
 * request-attribute-reporter (requestcontrol/requestattributereporter/plugin.go
 * RequestAttributeReporterPluginFactory, New) and disaggregatedset-rollout-screener
 * (requestcontrol/screener/disaggregatedsetrollout/plugin.go Factory, config.go Validate). The
 * loader hands a factory no decoder at all when a plugin has no parameters (registry.go
 * StrictDecoder returns nil for empty raw parameters): three of them refuse that, and the reporter
 * calls Decode on the nil decoder and panics. The reporter's factory also compiles its expression
 * and condition with cel-go and refuses one that does not compile (only their syntax is read here). Pure: a plugin's parameters in, problems out.
 */
import type { Field } from "./go-json-decode";
import { param } from "./go-json-decode";
import { isObject, list } from "./values";
import { labelSelectorError } from "./label-selector-text";
import { celSyntaxError } from "./cel-syntax";

/** Each type's parameter struct, as its factory decodes it (the screener's header selectors through their own strict decoder). */
export const REQUIRED_PARAMETER_FIELDS: Record<string, Record<string, Field>> = {
  "k8s-notification-source": { group: "string", version: "string", kind: "string" },
  "header-label-affinity-scorer": { headerName: "string", labelKey: "string" },
  "request-attribute-reporter": {
    attributes: { list: { fields: { key: { fields: { namespace: "string", name: "string" } }, expression: "string", condition: "string" } } },
  },
  "disaggregatedset-rollout-screener": {
    scope: { fields: { labelSelector: "string" } },
    headerSelectors: { list: { fields: { name: "string", headerName: "string", labelKey: "string", mode: "string" } } },
    revisionGating: {
      fields: { revisionLabelKey: "string", roleLabelKey: "string", mode: "string", requireRoles: { fields: { values: { list: "string" } } } },
    },
  },
};

/** What each factory does with no parameters (or null ones, which the loader takes as none). */
export function missingParametersProblem(type: string, at: string): string {
  return type === "request-attribute-reporter"
    ? `${at} is not given to ${type}, whose factory decodes from the loader's decoder, which is nil without parameters: the picker panics at start`
    : `${at} is not given to ${type}, whose factory refuses to start without them ("requires parameters")`;
}

/** A decoded string (JSON null and absence leave Go's zero value ""). */
const text = (o: unknown, name: string): string => {
  const v = isObject(o) ? param(o as Record<string, unknown>, name) : undefined;
  return typeof v === "string" ? v : "";
};
const section = (o: unknown, name: string): Record<string, unknown> | undefined => {
  const v = isObject(o) ? param(o as Record<string, unknown>, name) : undefined;
  return isObject(v) ? (v as Record<string, unknown>) : undefined;
};

/** The disaggregatedset-rollout-screener's Validate (each problem, where Validate stops at the first). */
function screenerProblems(p: Record<string, unknown>, at: string, factory: string, out: string[]): void {
  const selector = text(section(p, "scope"), "labelSelector");
  if (selector === "") out.push(`${at}.scope.labelSelector is empty or unset, which ${factory} refuses ("scope.labelSelector is required")`);
  else {
    const error = labelSelectorError(selector);
    if (error) out.push(`${at}.scope.labelSelector ${JSON.stringify(selector)} is not a Kubernetes label selector (${error}), which ${factory} refuses`);
  }
  const names = new Set<string>();
  const headers = new Set<string>();
  list(param(p, "headerSelectors") as unknown[]).forEach((s, i) => {
    const where = `${at}.headerSelectors[${i}]`;
    for (const key of ["name", "headerName", "labelKey"]) if (text(s, key) === "") out.push(`${where}.${key} is empty or unset, which ${factory} refuses ("${key} is required")`);
    const mode = text(s, "mode");
    if (mode !== "strict" && mode !== "prefer") out.push(`${where}.mode ${JSON.stringify(mode)} is neither strict nor prefer, which ${factory} refuses (there is no default)`);
    const name = text(s, "name");
    // Header names are compared lower-cased: the selector's decoder lower-cases them.
    const header = text(s, "headerName").toLowerCase();
    if (name !== "" && names.has(name)) out.push(`${where}.name ${JSON.stringify(name)} is another selector's name too, which ${factory} refuses`);
    if (header !== "" && headers.has(header)) out.push(`${where}.headerName ${JSON.stringify(header)} is another selector's header too, which ${factory} refuses`);
    names.add(name);
    headers.add(header);
  });
  const gating = section(p, "revisionGating");
  if (!gating) return void out.push(`${at}.revisionGating is unset, which ${factory} refuses ("revisionGating is required"; mode disabled turns gating off)`);
  const mode = text(gating, "mode");
  const roles = section(gating, "requireRoles");
  if (mode === "disabled") {
    if (roles) out.push(`${at}.revisionGating.requireRoles is never read under mode disabled, so it gates nothing`);
    return;
  }
  if (mode !== "sum" && mode !== "max-role") return void out.push(`${at}.revisionGating.mode ${JSON.stringify(mode)} is none of sum, max-role, disabled, which ${factory} refuses (there is no default)`);
  if (!roles) return void out.push(`${at}.revisionGating.requireRoles is unset under mode ${mode}, which ${factory} refuses`);
  const values = list(param(roles, "values") as unknown[]).map((v) => (typeof v === "string" ? v : ""));
  if (values.length === 0) out.push(`${at}.revisionGating.requireRoles.values is empty, which ${factory} refuses ("must contain at least one role")`);
  values.forEach((role, i) => {
    if (role === "") out.push(`${at}.revisionGating.requireRoles.values[${i}] is empty, which ${factory} refuses`);
    else if (values.indexOf(role) !== i) out.push(`${at}.revisionGating.requireRoles.values[${i}] ${JSON.stringify(role)} is listed twice, which ${factory} refuses`);
  });
}

/** Each factory's checks after a clean decode (`at` is plugins[i].parameters). */
export function requiredParameterProblems(type: string, p: Record<string, unknown>, at: string): string[] {
  const out: string[] = [];
  const factory = `${type}'s factory`;
  if (type === "k8s-notification-source") {
    for (const key of ["version", "kind"]) if (text(p, key) === "") out.push(`${at}.${key} is empty or unset, which ${factory} refuses ("version and kind are required")`);
  } else if (type === "header-label-affinity-scorer") {
    for (const key of ["headerName", "labelKey"]) if (text(p, key) === "") out.push(`${at}.${key} is empty or unset, which ${factory} refuses ("${key} is required")`);
  } else if (type === "request-attribute-reporter") {
    const attributes = list(param(p, "attributes") as unknown[]);
    if (attributes.length !== 1) return [`${at}.attributes holds ${attributes.length} entries, which ${factory} refuses ("attributes must contain exactly one entry")`];
    if (text(section(attributes[0], "key"), "name") === "") out.push(`${at}.attributes[0].key.name is empty or unset, which ${factory} refuses ("attributeKey.name cannot be empty")`);
    if (text(attributes[0], "expression") === "") out.push(`${at}.attributes[0].expression is empty or unset, which ${factory} refuses ("expression cannot be empty")`);
    // New compiles both with cel-go (env.Compile) and returns the first failure: each is reported here, syntax only.
    for (const key of ["expression", "condition"]) {
      const expr = text(attributes[0], key);
      const error = expr === "" ? undefined : celSyntaxError(expr, "cel-go");
      if (error) out.push(`${at}.attributes[0].${key} ${JSON.stringify(expr)} ${error}, which ${factory} refuses ("failed to compile ${key}"): the picker exits at start`);
    }
  } else if (type === "disaggregatedset-rollout-screener") {
    screenerProblems(p, at, factory, out);
  }
  return out;
}

/**
 * A screener's `prefer` header selector only stamps its label on the response: the preference is
 * applied by a header-label-affinity-scorer repeating its headerName and labelKey (the screener's
 * README at v0.10.0, "Header selectors"). Without one the screener picks as if it were not there.
 */
export function preferSelectorProblems(plugins: unknown[]): string[] {
  const out: string[] = [];
  const parameters = (p: unknown) => (isObject(p) && isObject(p.parameters) ? (p.parameters as Record<string, unknown>) : undefined);
  const scorers = plugins.filter((p) => isObject(p) && p.type === "header-label-affinity-scorer").map(parameters);
  const mapping = (o: unknown) => `${text(o, "headerName").toLowerCase()}\u0000${text(o, "labelKey")}`;
  const applied = new Set(scorers.map(mapping));
  plugins.forEach((p, i) => {
    if (!isObject(p) || p.type !== "disaggregatedset-rollout-screener") return;
    list(param(parameters(p) ?? {}, "headerSelectors") as unknown[]).forEach((s, j) => {
      if (text(s, "mode") !== "prefer" || text(s, "headerName") === "" || text(s, "labelKey") === "" || applied.has(mapping(s))) return;
      out.push(`plugins[${i}].parameters.headerSelectors[${j}] prefers label ${JSON.stringify(text(s, "labelKey"))} by header ${JSON.stringify(text(s, "headerName"))}, but no header-label-affinity-scorer of plugins[] repeats that header and label, so nothing applies the preference (picks otherwise than the config reads)`);
    });
  });
  return out;
}

/**
 * The data layer takes one notification source per GVK: two `dataLayer.sources` naming
 * k8s-notification-source plugins of one group, version and kind are refused when the runtime
 * registers them (datalayer/runtime.go registerSource, gvk.Check: "duplicate notification source GVK").
 */
export function duplicateNotificationGvkProblems(plugins: unknown[], sources: unknown[]): string[] {
  const out: string[] = [];
  const gvkByName = new Map<string, string>();
  for (const p of plugins) {
    if (!isObject(p) || p.type !== "k8s-notification-source" || !isObject(p.parameters)) continue;
    const name = typeof p.name === "string" && p.name !== "" ? p.name : p.type;
    gvkByName.set(name, `${text(p.parameters, "group")}/${text(p.parameters, "version")}, Kind=${text(p.parameters, "kind")}`);
  }
  const seen = new Map<string, string>();
  sources.forEach((s, i) => {
    const ref = isObject(s) && typeof s.pluginRef === "string" ? s.pluginRef : "";
    const gvk = gvkByName.get(ref);
    if (gvk === undefined) return;
    const first = seen.get(gvk);
    if (first !== undefined && first !== ref) out.push(`dataLayer.sources[${i}] references k8s-notification-source ${JSON.stringify(ref)}, watching ${gvk} like ${JSON.stringify(first)}, which the picker's data layer refuses ("duplicate notification source GVK"): one source per GVK`);
    if (first === undefined) seen.set(gvk, ref);
  });
  return out;
}
