/**
 * Policy tests for inference-pool-epp's reading of the imagePullPolicy a picker chart release
 * (GIE v1.5.0's epplib, llm-d-router v0.10.0's routerlib) writes unquoted into its picker's pod: what
 * go-yaml v2 reads there and what the API server's validatePullPolicy takes (Always, IfNotPresent, Never).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { runStack } from "../support/policy";
import { on } from "./traffic-support";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const gie = (inferenceExtension: Record<string, unknown>, chart = "standalone") =>
  on(RELEASE, "gie", { name: "llama", namespace: "inference", chart: `oci://registry.k8s.io/gateway-api-inference-extension/charts/${chart}`, version: "v1.5.0", values: { inferencePool: { modelServers: { matchLabels: { app: "llama" } } }, inferenceExtension } });
const llmd = (r: Record<string, unknown>) =>
  on(RELEASE, "router", { name: "llama", namespace: "inference", chart: "oci://ghcr.io/llm-d/charts/llm-d-router-gateway", version: "v0.10.0", values: { router: { modelServers: { matchLabels: { app: "llama" } }, ...r } } });
const messages = async (release: unknown) => (await runStack(inferencePoolEpp, [release] as any)).violations.map((v) => v.message);
const pulls = async (release: unknown) => (await messages(release)).filter((m) => /imagePullPolicy/.test(m));

test("inference-pool-epp: a picker chart's imagePullPolicy the API server refuses: the release does not install", async () => {
  // epplib writes `imagePullPolicy: {{ .Values.inferenceExtension.sidecar.imagePullPolicy | default "IfNotPresent" }}`.
  const lower = await pulls(gie({ sidecar: { imagePullPolicy: "always" } }));
  assert.equal(lower.length, 1, lower.join("\n"));
  assert.match(lower[0], /^the endpoint picker of Helm release inference\/llama \(chart standalone\) on a: inferenceExtension.sidecar.imagePullPolicy "always" is written unquoted as the Envoy sidecar container's imagePullPolicy \(epplib _deployment.yaml\), which the API server refuses \(imagePullPolicy: Unsupported value: "always": supported values: "Always", "IfNotPresent", "Never"\): the release fails to install/);
  // A text YAML reads as a bool or number, or a number or bool given: no string for the API server to decode.
  assert.match((await pulls(gie({ sidecar: { imagePullPolicy: "yes" } }))).join("\n"), /"yes" is written unquoted .* which YAML reads as a bool, not a string .*\(json: cannot unmarshal bool into Go struct field Container.spec.template.spec.containers.imagePullPolicy of type v1.PullPolicy/);
  assert.match((await pulls(gie({ image: { pullPolicy: 1 } }))).join("\n"), /inferenceExtension.image.pullPolicy 1 .* picker container's imagePullPolicy .* cannot unmarshal number/);
  assert.match((await pulls(llmd({ epp: { image: { pullPolicy: "Never " } }, tokenizer: { enabled: true, modelName: "m", image: { pullPolicy: true } } }))).join("\n"), /router.tokenizer.image.pullPolicy true .* vllm-render container's imagePullPolicy \(routerlib _deployment.yaml\).* cannot unmarshal bool/);
  // The latency predictor's servers get theirs with no default (_latency-predictor.tpl): false is printed, read as a bool.
  assert.match((await pulls(gie({ latencyPredictor: { enabled: true, trainingServer: { image: { pullPolicy: false } } } }, "inferencepool"))).join("\n"), /latencyPredictor.trainingServer.image.pullPolicy false .* training-server container's imagePullPolicy \(epplib _latency-predictor.tpl\)/);
  assert.match((await pulls(llmd({ latencyPredictor: { enabled: true, predictionServers: { image: { pullPolicy: "IfNotPresnt" } } } }))).join("\n"), /router.latencyPredictor.predictionServers.image.pullPolicy "IfNotPresnt" .* prediction-server-1 container's imagePullPolicy \(routerlib _latency-predictor.tpl\)/);
  // Read as go-yaml v2 reads the line (go-yaml-scalar.ts blockValue): `: ` is no YAML there, a flow mapping no string, a comment no part of it.
  assert.match((await pulls(gie({ image: { pullPolicy: "Always: true" } }))).join("\n"), /"Always: true" is written unquoted .* which YAML cannot parse there \(yaml: mapping values are not allowed in this context/);
  assert.match((await pulls(gie({ image: { pullPolicy: "{Always}" } }))).join("\n"), /"\{Always\}" .* which YAML reads as a flow mapping/);
  assert.deepEqual(await pulls(gie({ image: { pullPolicy: "Always # pinned" } })), []);
  // Quiet: the three values (blanks YAML trims), Go-empty ones the template's default replaces, a text YAML reads as null (the API server
  // defaults it), one with no default left empty; a sidecar that is off, a predictor that is off or runs no prediction server.
  for (const imagePullPolicy of ["Always", "IfNotPresent", " Never", "", null, false, 0, "null", "~"]) assert.deepEqual(await pulls(gie({ sidecar: { imagePullPolicy } })), [], JSON.stringify(imagePullPolicy));
  assert.deepEqual(await pulls(gie({ latencyPredictor: { enabled: true, trainingServer: { image: { pullPolicy: null } }, predictionServers: { image: { pullPolicy: "" } } } }, "inferencepool")), []);
  assert.deepEqual(await pulls(gie({ sidecar: { enabled: false, imagePullPolicy: "always" } })), []);
  assert.deepEqual(await pulls(gie({ latencyPredictor: { enabled: false, trainingServer: { image: { pullPolicy: "always" } } } }, "inferencepool")), []);
  assert.deepEqual(await pulls(gie({ latencyPredictor: { enabled: true, predictionServers: { count: 0, image: { pullPolicy: "always" } } } }, "inferencepool")), []);
});
