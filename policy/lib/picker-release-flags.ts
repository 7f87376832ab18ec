/**
 * The picker args llm-d-router v0.10.0's charts render from router.epp.flags, and what either chart
 * family makes of flags given as a list. routerlib/templates/_deployment.yaml passes `--config-file
 * "/config/<router.epp.pluginsConfigFile>"` first, then each flag (Go's sorted key order) as one
 * argument `{{ printf "--%s=%v" $key $value | quote }}`; pflag keeps the last value a string flag is
 * given, so a flag's `config-file` replaces the chart's. GIE v1.5.0's epplib writes its flags
 * otherwise (picker-release-gie.ts giePickerArgs).
 */
import { dig } from "./k8s";
import { isObject } from "./values";

/** Go's `%v` of a value Helm decoded from JSON/YAML, whose numbers are all float64 (so 10485760 prints as 1.048576e+07). */
export function goPrintV(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return String(v);
  if (typeof v === "number") return goFloat(v);
  if (Array.isArray(v)) return `[${v.map(goPrintV).join(" ")}]`;
  if (isObject(v)) return `map[${Object.keys(v).sort().map((k) => `${k}:${goPrintV(v[k])}`).join(" ")}]`;
  return String(v);
}

/** strconv.FormatFloat(f, 'g', -1, 64), which fmt's %v uses for a float64: the shortest digits, in exponent form where the exponent is below -4 or 6 and above. */
function goFloat(f: number): string {
  if (!Number.isFinite(f)) return f > 0 ? "+Inf" : f < 0 ? "-Inf" : "NaN";
  if (f === 0) return Object.is(f, -0) ? "-0" : "0";
  const [mant, e] = f.toExponential().split("e");
  const exp = Number(e);
  // strconv/ftoa.go: with the shortest precision, %e where exp < -4 || exp >= 6.
  if (exp < -4 || exp >= 6) return `${mant}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  return String(f);
}

/**
 * The picker args that choose its config, as routerlib _deployment.yaml renders them: the chart's
 * `--config-file`, then each of router.epp.flags as `--<key>=<%v value>` (a null drops a key, as
 * Helm does). Flags that are not a map render nothing here (see {@link flagsListProblem}).
 */
export function llmdPickerArgs(values: unknown): string[] {
  const file = dig(values, "router.epp.pluginsConfigFile");
  const given = dig(values, "router.epp.flags");
  const flags = Object.entries(isObject(given) ? given : {}).filter(([, v]) => v !== null && v !== undefined);
  return [
    "--config-file",
    `/config/${typeof file === "string" ? file : "default-plugins.yaml"}`,
    ...flags.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `--${k}=${goPrintV(v)}`),
  ];
}

/**
 * Flags given as a list: both charts range over them as over a map (`range $key, $value`), whose
 * keys are then the items' indexes, so the first item is rendered as flag `--0`, which no picker
 * defines: pflag (ExitOnError) stops there and the picker exits at start. Undefined for a map or an
 * empty list.
 */
export function flagsListProblem(values: unknown, epp: string, gie: boolean): string | undefined {
  const given = dig(values, `${epp}.flags`);
  if (!Array.isArray(given) || given.length === 0) return undefined;
  const first = gie ? `"--0", "${goPrintV(given[0])}"` : `"--0=${goPrintV(given[0])}"`;
  return `${epp}.flags is a list, but ${gie ? "epplib" : "routerlib"} _deployment.yaml ranges over it as over a map, so each item is rendered with its index as the flag's name (${first}), a flag the picker does not define: pflag stops at it (unknown flag: --0)`;
}

/**
 * Flags given as a scalar: routerlib reads `router.epp.flags | default dict`, so only a Go-empty one
 * (`""`, false, 0) becomes a map; epplib ranges over inferenceExtension.flags as given (Helm keeps a
 * scalar over the chart's `v: 1` table, warning only). Go's text/template refuses to range over a
 * string, bool or number, so the chart does not render. Undefined for a map, list or null.
 */
export function flagsScalarProblem(values: unknown, epp: string, gie: boolean): string | undefined {
  const given = dig(values, `${epp}.flags`);
  if (given === null || given === undefined || typeof given === "object") return undefined;
  if (!gie && (given === "" || given === false || given === 0)) return undefined;
  const kind = typeof given === "string" ? "a string" : typeof given === "boolean" ? "a boolean" : typeof given === "number" ? "a number" : typeof given;
  return `${epp}.flags is ${kind} (${JSON.stringify(given)}), not a map of flag names to values: ${gie ? "epplib" : "routerlib"} _deployment.yaml ranges over it (range $key, $value), which Go templates refuse for ${kind} (range can't iterate over ${goPrintV(given)}), so Helm cannot render the chart and the release fails to install (pulumi up fails)`;
}

/** The picker flags a chart renders from `<epp>.flags`: a map's entries but those Helm drops (null). */
export function givenFlags(values: unknown, epp: string): Record<string, unknown> {
  const given = dig(values, `${epp}.flags`);
  return isObject(given) ? Object.fromEntries(Object.entries(given).filter(([, v]) => v !== null && v !== undefined)) : {};
}
