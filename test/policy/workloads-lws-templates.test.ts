/**
 * A LeaderWorkerSet (multi-node vLLM, kubernetes-sigs/lws v0.10.0 leaderworkerset.x-k8s.io/v1)
 * makes its leader and worker pods from spec.leaderWorkerTemplate's templates, metadata and spec
 * alike: images-pinned, sensitive-values-secret and ambient-no-sidecar-injection judge both as
 * they judge a Deployment's pod template. Before, a LeaderWorkerSet was no workload to them.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { imagesPinned } from "../../policy/rules/images-pinned";
import { sensitiveValuesSecret } from "../../policy/rules/sensitive-values-secret";
import { ambientNoSidecarInjection } from "../../policy/rules/ambient-no-sidecar-injection";
import { runResource, UNKNOWN } from "../support/policy";

const LWS = "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet";
const template = (container: Record<string, unknown>, labels: Record<string, string> = {}) => ({
  metadata: { labels: { app: "vllm", ...labels } },
  spec: { containers: [{ name: "vllm", image: "vllm/vllm-openai:v0.21.0", ...container }] },
});
const lws = (leaderWorkerTemplate: Record<string, unknown>, namespace = "inference") => ({
  type: LWS,
  props: { metadata: { name: "vllm-405b", namespace }, spec: { replicas: 1, leaderWorkerTemplate: { size: 2, ...leaderWorkerTemplate } } },
});

test("images-pinned: a LeaderWorkerSet's leader and worker images are pinned", async () => {
  assert.deepEqual((await runResource(imagesPinned, lws({ leaderTemplate: template({}), workerTemplate: template({}) }))).violations, []);
  const floating = await runResource(imagesPinned, lws({ leaderTemplate: template({ image: "vllm/vllm-openai:latest" }), workerTemplate: template({ image: "vllm/vllm-openai" }) }));
  const messages = floating.violations.map((v) => v.message);
  assert.equal(messages.length, 2, messages.join("\n"));
  assert.match(messages[0], /^LeaderWorkerSet inference\/vllm-405b spec\.leaderWorkerTemplate\.leaderTemplate .*vllm\/vllm-openai:latest/);
  assert.match(messages[1], /^LeaderWorkerSet inference\/vllm-405b spec\.leaderWorkerTemplate\.workerTemplate .*vllm\/vllm-openai/);
  // An unknown worker image is can't judge, not a pass.
  const unknown = await runResource(imagesPinned, lws({ workerTemplate: template({ image: UNKNOWN }) }));
  assert.deepEqual(unknown.violations, []);
  assert.ok(unknown.unknown, JSON.stringify(unknown));
});

test("sensitive-values-secret: a token in a LeaderWorkerSet template's env is plaintext in state", async () => {
  const token = { env: [{ name: "HF_TOKEN", value: "hf_" + "a".repeat(34) }] };
  const leaked = await runResource(sensitiveValuesSecret, lws({ workerTemplate: template(token) }));
  assert.match(leaked.violations[0]?.message ?? "", /^LeaderWorkerSet inference\/vllm-405b spec\.leaderWorkerTemplate\.workerTemplate: container vllm env HF_TOKEN holds .* in plaintext: a pod spec is never secret/);
  const fromSecret = { env: [{ name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: "hf", key: "token" } } }] };
  assert.deepEqual((await runResource(sensitiveValuesSecret, lws({ leaderTemplate: template(fromSecret), workerTemplate: template(fromSecret) }))).violations, []);
});

test("ambient-no-sidecar-injection: a LeaderWorkerSet template asking for a sidecar in an ambient namespace is reported", async () => {
  const injected = await runResource(ambientNoSidecarInjection, lws({ leaderTemplate: template({}, { "sidecar.istio.io/inject": "true" }), workerTemplate: template({}, { "istio.io/rev": "1-30" }) }));
  assert.deepEqual(injected.violations.map((v) => v.message), [
    "LeaderWorkerSet inference/vllm-405b (spec.leaderWorkerTemplate.leaderTemplate) asks for a sidecar (sidecar.istio.io/inject=true) in ambient namespace inference",
    "LeaderWorkerSet inference/vllm-405b (spec.leaderWorkerTemplate.workerTemplate) is labelled istio.io/rev=1-30, which has the revision's injector add a sidecar, in ambient namespace inference",
  ]);
  assert.deepEqual((await runResource(ambientNoSidecarInjection, lws({ workerTemplate: template({}, { "istio.io/dataplane-mode": "ambient" }) }))).violations, []);
  // An exempt namespace is left to its owner.
  assert.deepEqual((await runResource(ambientNoSidecarInjection, lws({ workerTemplate: template({}, { "sidecar.istio.io/inject": "true" }) }, "kube-system"))).violations, []);
});
