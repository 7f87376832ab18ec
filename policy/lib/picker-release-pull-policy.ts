/**
 * The imagePullPolicy a picker chart release writes unquoted into its picker's pod (GIE v1.5.0 epplib,
 * llm-d-router v0.10.0 routerlib: _deployment.yaml `imagePullPolicy: {{ <value> | default "IfNotPresent" }}`
 * for the GIE Envoy sidecar, the picker and llm-d's vllm-render tokenizer; _latency-predictor.tpl
 * `imagePullPolicy: {{ <value> }}`, no default, for the training and prediction servers), as go-yaml v2
 * reads it (./go-yaml-scalar.ts) and the API server takes it (k8s pkg/apis/core/validation
 * validatePullPolicy: Always, IfNotPresent or Never; an absent or empty one is defaulted first,
 * SetDefaults_Container). Read by picker-release-serving.ts for inference-pool-epp.
 */
import { dig } from "./k8s";
import { blockValue } from "./go-yaml-scalar";
import { predictionServerIndices } from "./picker-release-names";
import type { Report } from "./picker-service";
import { goTruthy, isObject } from "./values";
import type { ChartRelease } from "./picker-release-serving";
import { gieSidecarOn, unreadable } from "./picker-release-sidecar";

const POLICIES = ["Always", "IfNotPresent", "Never"];
const READER = "go-yaml v2, as Helm's kube client reads the rendered Deployment";

/** The pull policies the chart writes into the picker's pod: the values path, the container, the template, whether `| default "IfNotPresent"` guards it. */
function pullPolicies(rel: ChartRelease): { at: string; container: string; template: string; defaulted: boolean }[] {
  const v = rel.values;
  const root = rel.gie ? "inferenceExtension" : "router";
  const lib = rel.gie ? "epplib" : "routerlib";
  const out = [];
  const sidecar = dig(v, "inferenceExtension.sidecar");
  if (rel.gie && isObject(sidecar) && gieSidecarOn(rel, sidecar)) out.push({ at: "inferenceExtension.sidecar.imagePullPolicy", container: "Envoy sidecar", template: "_deployment.yaml", defaulted: true });
  out.push({ at: `${rel.epp}.image.pullPolicy`, container: "picker", template: "_deployment.yaml", defaulted: true });
  if (!rel.gie && goTruthy(dig(v, "router.tokenizer.enabled"))) out.push({ at: "router.tokenizer.image.pullPolicy", container: "vllm-render", template: "_deployment.yaml", defaulted: true });
  if (goTruthy(dig(v, `${root}.latencyPredictor.enabled`))) {
    out.push({ at: `${root}.latencyPredictor.trainingServer.image.pullPolicy`, container: "training-server", template: "_latency-predictor.tpl", defaulted: false });
    const servers = predictionServerIndices(v, root);
    if (servers && servers.length > 0) {
      const names = servers.map((i) => `prediction-server-${i + 1}`).join(", ");
      out.push({ at: `${root}.latencyPredictor.predictionServers.image.pullPolicy`, container: names, template: "_latency-predictor.tpl", defaulted: false });
    }
  }
  return out.map((p) => ({ ...p, template: `${lib} ${p.template}` }));
}

/**
 * Why the value as the chart writes it stops the Deployment; undefined where the API server takes it.
 * Go-empty under `| default` is IfNotPresent; with no default a nil or "" renders an empty value,
 * which the API server defaults, while false and 0 are printed. Text is read as go-yaml v2 reads it
 * there (./go-yaml-scalar.ts blockValue): null is absent (defaulted), a number or bool no string, a
 * YAML error or a flow collection no Deployment ({@link unreadable}); a list, a map, or text not read
 * there (a tag, a quoted or block scalar) is not judged.
 */
function refused(value: unknown, defaulted: boolean, values: unknown): string | undefined {
  if (defaulted ? !goTruthy(value) : value === null || value === "") return undefined;
  const decode = (json: string) => `which the API server refuses (json: cannot unmarshal ${json} into Go struct field Container.spec.template.spec.containers.imagePullPolicy of type v1.PullPolicy)`;
  if (typeof value === "number") return `a number, ${decode("number")}`;
  if (typeof value === "boolean") return `a bool, ${decode("bool")}`;
  if (typeof value !== "string") return undefined;
  const read = blockValue(value);
  const problem = unreadable(read, values);
  if (problem) return problem;
  if (read?.read !== "scalar" || read.type === "null") return undefined;
  if (read.type !== "string") return `which YAML reads as ${read.type === "bool" ? "a bool" : "a number"}, not a string (${READER}), ${decode(read.type === "bool" ? "bool" : "number")}`;
  if (POLICIES.includes(read.text)) return undefined;
  return `which the API server refuses (imagePullPolicy: Unsupported value: ${JSON.stringify(read.text)}: supported values: ${POLICIES.map((p) => JSON.stringify(p)).join(", ")})`;
}

/** Each pull policy of the release's picker pod the API server refuses: the Deployment, and so the release, fails to install. */
export function checkPullPolicies(rel: ChartRelease, report: Report): void {
  for (const { at, container, template, defaulted } of pullPolicies(rel)) {
    const value = dig(rel.values, at);
    const why = refused(value, defaulted, rel.values);
    if (!why) continue;
    const given = typeof value === "string" ? JSON.stringify(value) : String(value);
    report(
      `${rel.lead}: ${at} ${given} is written unquoted as the ${container} container's imagePullPolicy (${template}), ${why}: the release fails to install (pulumi up fails) and no picker runs; give Always, IfNotPresent or Never`,
      rel.resource.urn,
    );
  }
}
