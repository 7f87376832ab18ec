/**
 * The Envoy sidecar container GIE v1.5.0's epplib writes into the picker's Deployment (its
 * inferencepool and standalone charts; config/charts/epplib/templates/_deployment.yaml), as far as the
 * values can stop the release installing: `name` and `image` written with no default, `env` and
 * `volumeMounts` (toYaml, inside the sidecar's `if`) and `volumes` (tpl of toYaml, whether the sidecar
 * is on or not) where Kubernetes takes a list. Read by picker-release-pod.ts checkGieSidecarCalls.
 */
import { dig } from "./k8s";
import type { Report } from "./picker-service";
import { goTruthy, isObject } from "./values";
import type { ChartRelease } from "./picker-release-serving";

/** What a value is, as a verdict names it. */
const kindOf = (v: unknown) => (Array.isArray(v) ? "a list" : isObject(v) ? "a map" : `a ${typeof v}`);

/** What encoding/json says decoding a value of that kind into a Go slice. */
const jsonKind = (v: unknown) => (isObject(v) ? "object" : typeof v === "boolean" ? "bool" : typeof v);

/** Whether a GIE chart's sidecar is on: the standalone chart's unless enabled is Go-false, the inferencepool chart's where it is Go-true. */
export const gieSidecarOn = (rel: ChartRelease, sidecar: Record<string, unknown>): boolean =>
  sidecar.enabled === undefined ? rel.chart === "standalone" : goTruthy(sidecar.enabled);

const KEPT = "which Helm v3 keeps (chartutil coalesces the subchart key inferenceExtension merging: childChartMergeTrue, helm#31919)";

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
    else if (v === undefined && !standalone) out.push(`inferenceExtension.sidecar.${key} is not given (the inferencepool chart's values.yaml has none)`);
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
 * - sidecar on, its env a Go-true scalar: `toYaml | nindent 10` indents it as the container's own keys,
 *   where a scalar is no key: not YAML. An env map lands there as keys of the container, which the API
 *   server drops as unknown fields: not judged;
 * - sidecar on, its volumeMounts Go-true and no list (`toYaml | nindent 12`): a map or scalar where
 *   Container.volumeMounts is a list, which the API server cannot decode.
 * Returns whether it reported.
 */
export function checkGieSidecarValues(rel: ChartRelease, report: Report): boolean {
  const sidecar = dig(rel.values, "inferenceExtension.sidecar");
  if (!rel.gie || !isObject(sidecar)) return false;
  const fails = "the release fails to install (pulumi up fails) and no picker runs";
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
  const { env, volumeMounts } = sidecar;
  if (goTruthy(env) && !Array.isArray(env) && !isObject(env)) {
    report(
      `${rel.lead}: inferenceExtension.sidecar.env is ${kindOf(env)}, not a list, and epplib _deployment.yaml writes it (toYaml, indented as the sidecar container's own keys) under env:, where a ${typeof env} is no key, so the rendered Deployment is not YAML and Helm cannot parse it (YAML parse error on the chart's Deployment): ${fails}; give it as a list of name/value entries`,
      rel.resource.urn,
    );
    reported = true;
  }
  if (goTruthy(volumeMounts) && !Array.isArray(volumeMounts)) {
    report(
      `${rel.lead}: inferenceExtension.sidecar.volumeMounts is ${kindOf(volumeMounts)}, not a list, and epplib _deployment.yaml writes it (toYaml) as the Envoy sidecar container's volumeMounts, which Kubernetes takes as a list, so the API server cannot decode the picker's Deployment (json: cannot unmarshal ${jsonKind(volumeMounts)} into Go struct field Container.spec.template.spec.containers.volumeMounts of type []v1.VolumeMount) and refuses it: ${fails}; give it as a list of mounts (name, mountPath)`,
      rel.resource.urn,
    );
    reported = true;
  }
  return reported;
}
