/**
 * The picker args llm-d-router v0.10.0's charts render from router.epp.flags, and what either chart
 * family makes of flags given as a list. routerlib/templates/_deployment.yaml passes `--config-file
 * "/config/<router.epp.pluginsConfigFile>"` first, then each flag (Go's sorted key order) as one
 * argument `{{ printf "--%s=%v" $key $value | quote }}`; pflag keeps the last value a string flag is
 * given, so a flag's `config-file` replaces the chart's. GIE v1.5.0's epplib writes its flags
 * otherwise (picker-release-gie.ts giePickerArgs).
 */
import { dig } from "./k8s";
import { goTruthy, isObject } from "./values";
import { flagValue, pflagBool } from "./picker-service";

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
 * `--config-file`, then each of router.epp.flags as `--<key>=<%v value>`. A null entry is kept, as
 * Helm keeps it (see {@link flagsNullProblem}), and rendered `--<key>=<nil>`: a string flag takes
 * the text "<nil>" as its value (a config-file null reads a file named `<nil>`), a typed flag's is
 * reported by flagsNullProblem. Flags that are not a map render nothing here (see {@link flagsListProblem}).
 */
export function llmdPickerArgs(values: unknown): string[] {
  const file = dig(values, "router.epp.pluginsConfigFile");
  const flags = Object.entries(givenFlags(values, "router.epp"));
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

/**
 * The picker flags both builds judged here type, by pflag type: pkg/epp/server/options.go AddFlags
 * of llm-d-router v0.10.0 and of GIE v1.5.0, their logging options' `v` (IntVarP), and
 * controller-runtime v0.23.3's zap flags (pkg/log/zap: BindFlags, added by AddGoFlagSet), whose
 * Set refuses a value that names no encoder or level. A value their Set cannot parse stops
 * pflag.CommandLine (ExitOnError, cmd/epp/runner runner.go pflag.Parse), and the picker exits.
 */
const names = (type: string, flags: string[]) => Object.fromEntries(flags.map((f) => [f, type]));
const SHARED_TYPED: Record<string, string> = {
  ...names("an int", ["grpc-port", "metrics-port", "grpc-health-port", "v"]),
  ...names("a duration", ["refresh-metrics-interval", "refresh-prometheus-metrics-interval", "metrics-staleness-threshold"]),
  ...names("a bool", ["ha-enable-leader-election", "disable-endpoint-subset-filter", "tracing", "health-checking", "enable-pprof", "enable-cert-reload", "secure-serving", "metrics-endpoint-auth", "zap-devel"]),
  "endpoint-target-ports": "an int list",
  "zap-encoder": "an encoder (json or console)",
  ...names("a log level", ["zap-log-level", "zap-stacktrace-level"]),
  "zap-time-encoding": "a time encoding",
};

/** The typed flags of each picker build: llm-d-router v0.10.0's, and GIE v1.5.0's own (image gateway-api-inference-extension/epp). */
const TYPED_FLAGS: Record<PickerBuild, Record<string, string>> = {
  "llm-d-router": { ...SHARED_TYPED, "drain-timeout": "a duration", ...names("a bool", ["emit-endpoint-scores", "enable-grpc-stream-metrics", "allow-experimental-plugins"]) },
  gie: { ...SHARED_TYPED, "model-server-metrics-port": "an int", "model-server-metrics-https-insecure-skip-verify": "a bool" },
};

/** The metric flags llm-d-router v0.10.0 and GIE v1.5.0's picker still define but refuse when given (pkg/epp/server/options.go Validate). */
export const DEPRECATED_METRIC_FLAGS = ["total-queued-requests-metric", "total-running-requests-metric", "kv-cache-usage-percentage-metric", "lora-info-metric", "cache-info-metric"];

/**
 * The string (and string list) flags each build defines besides: with {@link TYPED_FLAGS}, every flag
 * of its pflag.CommandLine (cmd/epp/runner runner.go Run: opts.AddFlags, then pflag.Parse), which is
 * options.go AddFlags's and its LoggingOptions.AddFlags's (`v` and the zap flags); nothing else adds
 * to that FlagSet, Go's flag.CommandLine (controller-runtime's kubeconfig) included.
 */
const SHARED_STRING = ["pool-group", "pool-namespace", "pool-name", "endpoint-selector", ...DEPRECATED_METRIC_FLAGS, "cert-path", "config-file", "config-text"];
const STRING_FLAGS: Record<PickerBuild, string[]> = {
  "llm-d-router": [...SHARED_STRING, "grpc-max-recv-msg-size", "grpc-max-send-msg-size", "tls-min-version", "tls-cipher-suites", "metrics-client-ca-file", "metrics-cert-dir"],
  gie: [...SHARED_STRING, "model-server-metrics-scheme", "model-server-metrics-path"],
};

/**
 * A flag entry the picker does not define: routerlib passes each key of router.epp.flags as
 * `--<key>=<value>`, epplib each of inferenceExtension.flags as `--<key>` and its value, and pflag
 * (ExitOnError) stops at a name its FlagSet lacks ("unknown flag: --<key>"). Read against `build`'s
 * flags (router.epp.flags: llm-d-router's). Undefined where every key is defined.
 */
export function flagsUnknownProblem(values: unknown, gie?: PickerBuild): string | undefined {
  const epp = gie ? "inferenceExtension" : "router.epp";
  const given = dig(values, `${epp}.flags`);
  if (!isObject(given)) return undefined;
  const build = gie ?? "llm-d-router";
  // pflag's parseLongArg takes the name up to the first "=" (a key `secure-serving=false` sets secure-serving).
  const name = (k: string) => k.split("=")[0];
  const key = Object.keys(given).sort().find((k) => given[k] !== undefined && !(name(k) in TYPED_FLAGS[build]) && !STRING_FLAGS[build].includes(name(k)));
  if (key === undefined) return undefined;
  const rendered = gie ? `"--${key}" and its value` : `"--${key}=${goPrintV(given[key])}"`;
  const refused = name(key) === "" || name(key).startsWith("-") ? `bad flag syntax: --${key}` : `unknown flag: --${name(key)}`;
  return `${epp}.flags.${key} is no flag ${BUILD_NAME[build]} defines (its pkg/epp/server/options.go AddFlags, the logging options' v and controller-runtime's zap flags), but ${gie ? "epplib" : "routerlib"} _deployment.yaml passes every key of ${epp}.flags as a flag (${rendered}), and pflag stops at it (${refused})`;
}

export type PickerBuild = "llm-d-router" | "gie";
const BUILD_NAME: Record<PickerBuild, string> = { "llm-d-router": "llm-d-router v0.10.0's picker", gie: "GIE v1.5.0's own picker" };

/**
 * A null flag entry of a typed flag, which the picker refuses at start. router.epp.flags: Helm
 * v3.20.2 chartutil coalesce drops a user's null only over a default of the chart's values, and
 * neither llm-d-router chart has one under router.epp.flags, so routerlib _deployment.yaml ranges
 * over it and prints `--<key>=<nil>` (printf %v of a nil), which pflag refuses for any typed flag.
 * inferenceExtension.flags (`gie`, the build its image runs): Helm keeps the null, the flags sitting
 * under the subchart's key (coalesced merging: childChartMergeTrue, helm#31919), even over the
 * inferencepool chart's `v: 1`, and epplib renders `--<key>` and an empty value (picker-release-gie.ts
 * giePickerArgs): pflag takes that as the value of any flag but a bool (which it sets true alone,
 * leaving the empty argument over) and refuses it. Undefined where there is none (a string flag
 * takes "<nil>" or "" as its value; a flag the build does not define is not read here).
 */
export function flagsNullProblem(values: unknown, gie?: PickerBuild): string | undefined {
  const epp = gie ? "inferenceExtension" : "router.epp";
  const given = dig(values, `${epp}.flags`);
  if (!isObject(given)) return undefined;
  const types = TYPED_FLAGS[gie ?? "llm-d-router"];
  const key = Object.keys(given).sort().find((k) => given[k] === null && k in types && !(gie && types[k] === "a bool"));
  if (key === undefined) return undefined;
  if (!gie) {
    return `router.epp.flags.${key} is null, which Helm v3 keeps (neither chart's values have a default under router.epp.flags, and chartutil coalesce drops a null only over one), so routerlib _deployment.yaml renders it as "--${key}=<nil>" (printf %v of a nil), which pflag refuses for ${types[key]} flag (invalid argument "<nil>" for "--${key}" flag)`;
  }
  return `inferenceExtension.flags.${key} is null, which Helm v3 keeps (the flags sit under the subchart's key inferenceExtension, which chartutil coalesces merging: childChartMergeTrue, helm#31919; even over the inferencepool chart's v: 1), so epplib _deployment.yaml renders it as "--${key}" and an empty value ("{{ $value }}" of a nil prints <no value>, which Helm's engine empties), which pflag takes as the flag's value and refuses for ${types[key]} flag of ${BUILD_NAME[gie]} (invalid argument "" for "--${key}" flag)`;
}

/**
 * The picker flags a chart renders from `<epp>.flags`, a map's entries: routerlib prints a null one
 * (router.epp.flags) as "<nil>", kept here as that text; epplib's (inferenceExtension.flags), which it
 * renders as an empty value (picker-release-gie.ts giePickerArgs), are left out unless `gieNulls`
 * (then kept as ""), as is an undefined one.
 */
export function givenFlags(values: unknown, epp: string, gieNulls = false): Record<string, unknown> {
  const given = dig(values, `${epp}.flags`);
  if (!isObject(given)) return {};
  const nil = epp === "router.epp" ? goPrintV(null) : gieNulls ? "" : undefined;
  return Object.fromEntries(Object.entries(given).flatMap(([k, v]) => (v !== null && v !== undefined ? [[k, v]] : v === null && nil !== undefined ? [[k, nil]] : [])));
}

/**
 * GIE v1.5.0's own picker's --model-server-metrics-scheme as the chart renders it (`args`, epplib's):
 * its options.go Validate refuses at start any value but exactly `http` or `https`, the empty one a
 * null entry renders included. `given` is inferenceExtension.flags' entry. Undefined where accepted or unset.
 */
export function gieSchemeProblem(args: string[], given: unknown): string | undefined {
  const scheme = flagValue({ args }, "model-server-metrics-scheme");
  if (scheme === undefined || scheme === "http" || scheme === "https") return undefined;
  const why = given === null ? "null, which Helm v3 keeps and epplib _deployment.yaml renders as an empty value" : `rendered ${JSON.stringify(scheme)}`;
  return `inferenceExtension.flags.model-server-metrics-scheme is ${why}, which GIE v1.5.0's own picker refuses at start: its Validate (pkg/epp/server/options.go) takes only http or https (unexpected ${JSON.stringify(scheme)} value for "model-server-metrics-scheme" flag)`;
}

/**
 * sprig `int` (cast.ToInt) of `<epp>.replicas`, as the charts' `gt (<epp>.replicas | int) 1` reads it:
 * undefined is the charts' values.yaml 1, a null 0, a number truncated. Undefined where not read here.
 */
function replicasInt(v: unknown): number | undefined {
  if (v === undefined) return 1;
  if (v === null) return 0;
  if (typeof v === "number" && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === "string" && /^[0-9]+$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

/**
 * Leader election turned on by `<epp>.flags` in a single picker pod. Both picker builds' health
 * servers (cmd/epp/runner/health.go Check, GIE v1.5.0 and llm-d-router v0.10.0) answer, once
 * --ha-enable-leader-election is on, only the services liveness, readiness, "" and the ext_proc
 * one, and SERVICE_UNKNOWN to any other; epplib and routerlib _deployment.yaml probe `liveness` and
 * `readiness` (and pass the flag themselves; _leader-election-rbac.yaml renders the leases Role) only
 * for `gt (replicas | int) 1`, else the service `inference-extension`, which the kubelet's gRPC probe
 * then fails. epplib writes a flag as `--<key>` and its value as the next argument, so pflag sets a
 * bool given without `=` true (its NoOptDefVal) whatever the value, null or false included, and
 * leaves the value over as an argument, which the runner never reads; routerlib's `--<key>=<value>`
 * turns it on where strconv.ParseBool reads true. `args` are the flags as the
 * chart renders them (giePickerArgs or llmdPickerArgs). Undefined where the flag is off or not given.
 */
export function singlePodLeaderElection(args: string[], values: unknown, gie: boolean): string | undefined {
  const epp = gie ? "inferenceExtension" : "router.epp";
  const given = dig(values, `${epp}.flags`);
  const flag = "ha-enable-leader-election";
  const key = isObject(given) ? Object.keys(given).sort().find((k) => k === flag || k.startsWith(`${flag}=`)) : undefined;
  if (key === undefined || !isObject(given) || pflagBool({ args }, flag) !== true) return undefined;
  // routerlib runs GKE preferredBackends' pickers as a StatefulSet of its own count: not read here.
  if (!gie && goTruthy(dig(values, "provider.gke.preferredBackends.enabled"))) return undefined;
  const replicas = replicasInt(dig(values, `${epp}.replicas`));
  if (replicas === undefined || replicas < 0 || replicas > 1) return undefined;
  const value = given[key];
  const how = !gie
    ? `is ${JSON.stringify(value)}, which routerlib _deployment.yaml renders as "--${key}=${goPrintV(value)}", so leader election is on`
    : key !== flag
      ? `is given, rendered as "--${key}", so leader election is on`
      : `is ${value === null ? "null, which Helm v3 keeps and" : `${JSON.stringify(value)}, which`} epplib _deployment.yaml renders as "--${flag}" and ${value === null ? "an empty value" : `"${goPrintV(value)}"`}: pflag sets a bool flag given without "=" true (its NoOptDefVal) and leaves the value over as an argument the picker never reads, so leader election is on`;
  const chart = gie ? "epplib" : "routerlib";
  return `${epp}.flags.${key} ${how}, while ${epp}.replicas ${replicas} leaves the chart's Deployment one pod (${chart} _deployment.yaml passes the flag itself and probes the health services liveness and readiness, and _leader-election-rbac.yaml renders the leases Role, only where replicas | int is above 1): its liveness and readiness probes ask gRPC health service inference-extension, which the picker's health server (cmd/epp/runner/health.go Check) answers SERVICE_UNKNOWN once leader election is on, and no Role of the chart lets it take the lease, so the kubelet restarts it and it is never Ready, its Service has no endpoint, and every request to the pool fails (FailClose) or skips the picker (FailOpen); drop the entry, or set ${epp}.replicas 2 or more (the chart then turns leader election on itself)`;
}
