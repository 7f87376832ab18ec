/**
 * The Envoy sidecar container GIE v1.5.0's epplib writes into the picker's Deployment (its
 * inferencepool and standalone charts; config/charts/epplib/templates/_deployment.yaml), as far as the
 * values can stop the release installing: the sidecar values no map, `name` and `image` written with no
 * default and unquoted, `env`, `ports` and `volumeMounts` (toYaml, inside the sidecar's `if`) and `volumes` (tpl of toYaml, whether the sidecar
 * is on or not) where Kubernetes takes a list. Read by picker-release-pod.ts checkGieSidecarCalls.
 */
import { dig } from "./k8s";
import { isDns1123Label } from "./label-selector-text";
import { blockValue, plainScalarText, type BlockValue } from "./go-yaml-scalar";
import { predictorContainerAt } from "./picker-release-names";
import type { Report } from "./picker-service";
import { goTruthy, isObject } from "./values";
import type { ChartRelease } from "./picker-release-serving";

/** What a value is, as a verdict names it. */
const kindOf = (v: unknown) => (Array.isArray(v) ? "a list" : isObject(v) ? "a map" : `a ${typeof v}`);

/** What encoding/json says decoding a value of that kind into a Go slice or string. */
const jsonKind = (v: unknown) => (Array.isArray(v) ? "array" : isObject(v) ? "object" : typeof v === "boolean" ? "bool" : typeof v);

/** The name epplib gives the picker's own container, beside the sidecar in the pod. */
const EPP_CONTAINER = "epp";

/** Whether a GIE chart's sidecar is on: the standalone chart's unless enabled is Go-false, the inferencepool chart's where it is Go-true. */
export const gieSidecarOn = (rel: ChartRelease, sidecar: Record<string, unknown>): boolean =>
  sidecar.enabled === undefined ? rel.chart === "standalone" : goTruthy(sidecar.enabled);

/** Who reads the rendered Deployment's YAML, and how (./go-yaml-scalar.ts). */
const READER = "go-yaml v2, as Helm's kube client reads the rendered Deployment";

const KEPT = "which Helm v3 keeps (chartutil coalesces the subchart key inferenceExtension merging: childChartMergeTrue, helm#31919)";

/** Whether go-yaml v2 reads the text, written unquoted as a block mapping's value, as a plain scalar of that type (./go-yaml-scalar.ts blockValue). */
const readsAs = (text: string, ...types: string[]): boolean => {
  const read = blockValue(text);
  return read?.read === "scalar" && types.includes(read.type);
};

/**
 * Why the text, written unquoted (`key: <text>`), reads as no string or makes the Deployment no YAML:
 * a YAML error (Helm cannot parse the rendered manifest), a flow collection (a list or map, or no YAML
 * where it is not closed), an alias of an anchor the release's values define nowhere (decode.go:
 * unknown anchor). Undefined where it reads as a plain scalar, or is not read here.
 */
export function unreadable(read: BlockValue | undefined, values: unknown): string | undefined {
  if (read?.read === "error") return `which YAML cannot parse there (yaml: ${read.error}; ${READER}), so Helm cannot parse the chart's Deployment (YAML parse error)`;
  if (read?.read === "flow") return `which YAML reads as a flow ${read.what} (a ${read.what === "mapping" ? "map" : "list"}, or no YAML at all where it is not closed; ${READER}), no string the API server can decode into the container's field, or no Deployment Helm can parse`;
  if (read?.read === "alias" && !JSON.stringify(values ?? null).includes(`&${read.anchor}`)) return `which YAML reads as an alias of an anchor the Deployment does not define (yaml: unknown anchor '${read.anchor}' referenced; ${READER}), so Helm cannot parse the chart's Deployment`;
  return undefined;
}

/**
 * The sidecar's container fields epplib writes with no default and the API server requires
 * (k8s pkg/apis/core/validation validateContainerCommon: name and image Required): null or "" (the
 * standalone chart's values.yaml gives envoy-sidecar and docker.io/envoyproxy/envoy:distroless-v1.33.2),
 * or missing in the inferencepool chart, whose values.yaml gives neither. Helm prints a nil as "".
 */
function emptyFields(rel: ChartRelease, sidecar: Record<string, unknown>): string[] {
  const standalone = rel.chart === "standalone";
  const out: string[] = [];
  for (const key of ["name", "image"]) {
    const v = sidecar[key];
    if (v === null) out.push(`inferenceExtension.sidecar.${key} is null, ${KEPT}`);
    else if (v === "") out.push(`inferenceExtension.sidecar.${key} is ""`);
    else if (typeof v === "string" && readsAs(v, "null")) out.push(`inferenceExtension.sidecar.${key} ${JSON.stringify(v)} is written unquoted (${key}: ${plainScalarText(v)}), which YAML reads as null (${READER})`);
    else if (v === undefined && !standalone) out.push(`inferenceExtension.sidecar.${key} is not given (the inferencepool chart's values.yaml has none)`);
  }
  return out;
}

/**
 * Why the API server refuses the sidecar's name or image as epplib writes it (`{{ ... }}`, unquoted, so
 * Helm prints a value with Go's %v): a number, a bool or a list reads back as no string, which the API
 * server cannot decode (json: cannot unmarshal ... of type string); a name that is not a DNS-1123
 * label of at most 63 characters (a map printed as `map[...]` included) is refused (validateContainers,
 * ValidateContainerName: Invalid value), and one equal to another container's of the pod (Duplicate
 * value): the picker's, epp, or, with inferenceExtension.latencyPredictor.enabled, training-server or
 * prediction-server-<i> (epplib _latency-predictor.tpl). A string is written as it is, so one YAML reads as
 * a number or bool (`123`, `1e3`, `true`, `yes`: ./go-yaml-scalar.ts) is no string either.
 * A map image is printed as text the API server takes: not judged. Null and "" are emptyFields'.
 */
function badFields(rel: ChartRelease, sidecar: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const key of ["name", "image"]) {
    const v = sidecar[key];
    const at = `inferenceExtension.sidecar.${key}`;
    const read = typeof v === "string" && v !== "" ? blockValue(v) : undefined;
    // One YAML reads as null renders no name or image: emptyFields'. Text not read here (a tag, a quoted or block scalar) is not judged.
    if (read?.read === "scalar" && read.type === "null") continue;
    if (typeof v === "string" && v !== "" && read === undefined) continue;
    // The name YAML reads: a comment (` #...`) or an anchor (`&a `) is no part of it.
    const text = read?.read === "scalar" ? read.text : undefined;
    const problem = typeof v === "string" ? unreadable(read, rel.values) : undefined;
    if (problem) {
      out.push(`${at} ${JSON.stringify(v)} is written unquoted (${key}: ${plainScalarText(String(v))}), ${problem}`);
    } else if (typeof v === "number" || typeof v === "boolean" || Array.isArray(v)) {
      out.push(`${at} is ${kindOf(v)} (${JSON.stringify(v)}), which Helm prints unquoted and the API server cannot decode into the container's ${key} (json: cannot unmarshal ${jsonKind(v)} into Go struct field Container.spec.template.spec.containers.${key} of type string)`);
    } else if (read?.read === "scalar" && ["int", "float", "bool"].includes(read.type)) {
      const as = read.type === "bool" ? { what: "a bool", json: "bool" } : { what: "a number", json: "number" };
      out.push(`${at} ${JSON.stringify(v)} is written unquoted (${key}: ${plainScalarText(String(v))}), which YAML reads as ${as.what}, not a string (${READER}), so the API server cannot decode it into the container's ${key} (json: cannot unmarshal ${as.json} into Go struct field Container.spec.template.spec.containers.${key} of type string)`);
    } else if (key === "name" && text === EPP_CONTAINER) {
      out.push(`${at} ${JSON.stringify(v)} is the name of the picker's own container in that pod, which the API server refuses (spec.template.spec.containers[1].name: Duplicate value: "${EPP_CONTAINER}")`);
    } else if (key === "name" && text !== undefined && typeof predictorContainerAt(rel.values, "inferenceExtension", text) === "number") {
      const name = text;
      // The sidecar is containers[0], the picker [1], then the predictor's training server and prediction servers.
      const index = 2 + (predictorContainerAt(rel.values, "inferenceExtension", name) as number);
      const whose = name === "training-server" ? "the latency predictor's training server" : `the latency predictor's prediction server ${name.slice("prediction-server-".length)}`;
      out.push(`${at} ${JSON.stringify(v)} is the name of ${whose}, a container epplib _latency-predictor.tpl adds to that pod (inferenceExtension.latencyPredictor.enabled), which the API server refuses (spec.template.spec.containers[${index}].name: Duplicate value: "${name}")`);
    } else if (key === "name" && ((text !== undefined && v !== "") || isObject(v))) {
      const label = text ?? "map[...]";
      if (!isDns1123Label(label)) {
        out.push(`${at} ${typeof v === "string" ? JSON.stringify(v) : "(a map, printed as map[...])"} is no DNS-1123 label, which the API server refuses as a container name (spec.template.spec.containers[0].name: Invalid value: a lowercase RFC 1123 label)`);
      }
    }
  }
  return out;
}

/**
 * A GIE chart's Envoy sidecar values that make the picker's Deployment one Helm cannot parse or the
 * API server refuses, so the release fails to install and no picker runs:
 * - sidecar on with no name or image (see {@link emptyFields}): `containers[0].name` / `image`
 *   Required value;
 * - sidecar.volumes Go-true and no list: `tpl (toYaml ...) | nindent 8` sets a map or a scalar among
 *   the pod's volume list entries (the plugins-config-volume entry follows it), which is not YAML,
 *   whether the sidecar is on or not;
 * - inferenceExtension.sidecar given but no map (null, a scalar, a list): the template's
 *   `.Values.inferenceExtension.sidecar.enabled` fails, whether the sidecar is wanted or not;
 * - sidecar on, its name or image no string, or its name no DNS-1123 label or epp (see {@link badFields});
 * - sidecar on, its env or ports a Go-true scalar: `toYaml | nindent 10` indents it as the container's own
 *   keys, where a scalar is no key: not YAML. A map lands there as keys of the container, which the API
 *   server drops as unknown fields: not judged;
 * - sidecar on, its volumeMounts Go-true and no list (`toYaml | nindent 12`): a map or scalar where
 *   Container.volumeMounts is a list, which the API server cannot decode.
 * Returns whether it reported.
 */
export function checkGieSidecarValues(rel: ChartRelease, report: Report): boolean {
  const sidecar = dig(rel.values, "inferenceExtension.sidecar");
  if (!rel.gie || sidecar === undefined) return false;
  const fails = "the release fails to install (pulumi up fails) and no picker runs";
  if (!isObject(sidecar)) {
    const what = sidecar === null ? "null" : kindOf(sidecar);
    report(
      `${rel.lead}: inferenceExtension.sidecar is ${what}, not a map, and epplib _deployment.yaml reads .Values.inferenceExtension.sidecar.enabled (and .volumes) whether the sidecar is wanted or not, which Helm's template engine cannot read from ${sidecar === null ? "a nil (nil pointer evaluating interface {}.enabled)" : `${what} (can't evaluate field enabled)`}, so Helm cannot render the chart: ${fails}; give it as a map (enabled: false turns the sidecar off)`,
      rel.resource.urn,
    );
    return true;
  }
  let reported = false;
  const { volumes } = sidecar;
  if (goTruthy(volumes) && !Array.isArray(volumes)) {
    report(
      `${rel.lead}: inferenceExtension.sidecar.volumes is ${kindOf(volumes)}, not a list, and epplib _deployment.yaml renders it (tpl of toYaml, whether the sidecar is on or not) among the entries of the picker pod's volume list, so the rendered Deployment is not YAML and Helm cannot parse it (YAML parse error on the chart's Deployment): ${fails}; give it as a list of volumes (or [])`,
      rel.resource.urn,
    );
    reported = true;
  }
  if (!gieSidecarOn(rel, sidecar)) return reported;
  const on = sidecar.enabled === undefined ? "on by default in the standalone chart" : `turned on by inferenceExtension.sidecar.enabled ${JSON.stringify(sidecar.enabled)}`;
  const empty = emptyFields(rel, sidecar);
  if (empty.length > 0) {
    const fields = ["name", "image"].filter((k) => empty.some((e) => e.startsWith(`inferenceExtension.sidecar.${k} `)));
    report(
      `${rel.lead}: ${empty.join(", and ")}, while the Envoy sidecar is ${on}, and epplib _deployment.yaml writes them with no default (${fields.map((k) => `${k}: {{ .Values.inferenceExtension.sidecar.${k} }}`).join(", ")}; Helm v3 prints a nil as ""), so the picker's Deployment has a sidecar container with no ${fields.join(" and no ")}, which the API server refuses (${fields.map((k) => `spec.template.spec.containers[0].${k}: Required value`).join("; ")}): ${fails}; give the sidecar ${fields.map((k) => (k === "image" ? "an image" : "a name")).join(" and ")}, or turn it off`,
      rel.resource.urn,
    );
    reported = true;
  }
  const bad = badFields(rel, sidecar);
  if (bad.length > 0) {
    report(`${rel.lead}: ${bad.join(", and ")}, while the Envoy sidecar is ${on} and epplib _deployment.yaml writes it as the sidecar container's: ${fails}; give the sidecar a name (a DNS-1123 label no other container of the pod has) and an image as strings YAML still reads as strings unquoted (no number, bool or null)`, rel.resource.urn);
    reported = true;
  }
  // env and ports are both written `toYaml | nindent 10`, the indent of the container's own keys.
  for (const [key, entries] of [["env", "name/value entries"], ["ports", "container ports (containerPort, name)"]] as const) {
    const v = sidecar[key];
    if (!goTruthy(v) || Array.isArray(v) || isObject(v)) continue;
    report(
      `${rel.lead}: inferenceExtension.sidecar.${key} is ${kindOf(v)}, not a list, and epplib _deployment.yaml writes it (toYaml, indented as the sidecar container's own keys) under ${key}:, where a ${typeof v} is no key, so the rendered Deployment is not YAML and Helm cannot parse it (YAML parse error on the chart's Deployment): ${fails}; give it as a list of ${entries}`,
      rel.resource.urn,
    );
    reported = true;
  }
  const { volumeMounts } = sidecar;
  if (goTruthy(volumeMounts) && !Array.isArray(volumeMounts)) {
    report(
      `${rel.lead}: inferenceExtension.sidecar.volumeMounts is ${kindOf(volumeMounts)}, not a list, and epplib _deployment.yaml writes it (toYaml) as the Envoy sidecar container's volumeMounts, which Kubernetes takes as a list, so the API server cannot decode the picker's Deployment (json: cannot unmarshal ${jsonKind(volumeMounts)} into Go struct field Container.spec.template.spec.containers.volumeMounts of type []v1.VolumeMount) and refuses it: ${fails}; give it as a list of mounts (name, mountPath)`,
      rel.resource.urn,
    );
    reported = true;
  }
  return reported;
}
