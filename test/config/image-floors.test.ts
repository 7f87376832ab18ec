/**
 * Image overrides older than the flags and config the program runs them with are refused, each
 * naming its config path, the floor and why; tags that name no release are left to the operator.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { problemsOf } from "../support/config";
import { shippedPlatform } from "../support/render";

/** The one problem `versions` (and `mutate`) give the stack, or a failure when it is accepted or gets more. */
function refused(stack: "local" | "prod", versions: Record<string, string>, mutate: (p: any) => void = () => {}): string {
  const p = shippedPlatform(stack);
  p.versions = versions;
  mutate(p);
  const problems = problemsOf(p);
  assert.equal(problems.length, 1, problems.join("\n"));
  return problems[0];
}

function accepted(stack: "local" | "prod", versions: Record<string, string>, mutate: (p: any) => void = () => {}): void {
  const p = shippedPlatform(stack);
  p.versions = versions;
  mutate(p);
  assert.doesNotThrow(() => parsePlatform(p, stack));
}

test("an endpoint picker older than llm-d-router v0.9.0 (no llm-d.ai/v1alpha1 EndpointPickerConfig) is refused on versions.eppImage", () => {
  assert.match(
    refused("prod", { eppImage: "ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.8.0" }),
    /^inference-mesh:platform\.versions\.eppImage: 'ghcr\.io\/llm-d\/llm-d-router-endpoint-picker:v0\.8\.0' is older than v0\.9\.0: .*llm-d\.ai\/v1alpha1.*; use a tag of v0\.9\.0 or later/,
  );
  // Up to v0.8.0 the picker was published as llm-d-inference-scheduler; a mirror keeps the name.
  assert.match(refused("local", { eppImage: "ghcr.io/llm-d/llm-d-inference-scheduler:v0.7.1" }), /versions\.eppImage: .* is older than v0\.9\.0/);
  assert.match(refused("local", { eppImage: "mirror.example.com/llm-d/llm-d-router-endpoint-picker:v0.8.0@sha256:" + "a".repeat(64) }), /versions\.eppImage/);
});

test("an endpoint picker at v0.9.0 or a pre-release of it, by digest only, or on a tag naming no release behind a digest passes", () => {
  for (const eppImage of [
    "ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.9.0",
    "ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.9.0-rc.1",
    "ghcr.io/llm-d/llm-d-router-endpoint-picker@sha256:" + "b".repeat(64),
    // A tag naming no release is refused unless a digest pins it (schema-image-tags.test.ts); then not compared.
    "ghcr.io/llm-d/llm-d-router-endpoint-picker:main@sha256:" + "c".repeat(64),
    "ghcr.io/example/own-picker:v0.1.0",
  ]) {
    accepted("prod", { eppImage });
  }
  // No models: no picker runs.
  accepted("local", { eppImage: "ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.8.0" }, (p) => ((p.models = []), (p.agents = []), delete p.gateways));
});

test("a body-based router older than GIE v1.5.0 (no --tracing flag, no base-model-to-header plugin) is refused on versions.bbrImage", () => {
  assert.match(
    refused("prod", { bbrImage: "registry.k8s.io/gateway-api-inference-extension/bbr:v1.4.0" }),
    /^inference-mesh:platform\.versions\.bbrImage: 'registry\.k8s\.io\/gateway-api-inference-extension\/bbr:v1\.4\.0' is older than v1\.5\.0: .*--tracing.*base-model-to-header.*; use a tag of v1\.5\.0 or later/,
  );
  accepted("prod", { bbrImage: "registry.k8s.io/gateway-api-inference-extension/bbr:v1.5.0-rc.1" });
  // Another project's image that happens to be called bbr is not GIE's.
  accepted("prod", { bbrImage: "ghcr.io/example/bbr:v0.1.0" });
  accepted("local", { bbrImage: "registry.k8s.io/gateway-api-inference-extension/bbr:v1.4.0" }, (p) => ((p.models = []), (p.agents = []), delete p.gateways));
});

test("a simulator older than llm-d-inference-sim v0.9.2 (no --force-dummy-tokenizer) is refused where a simulator model runs it", () => {
  assert.match(
    refused("local", { simulatorImage: "ghcr.io/llm-d/llm-d-inference-sim:v0.9.1" }),
    /^inference-mesh:platform\.versions\.simulatorImage: 'ghcr\.io\/llm-d\/llm-d-inference-sim:v0\.9\.1' is older than v0\.9\.2: .*--force-dummy-tokenizer.* \(model 'qwen3-0-6b' runs it\); use a tag of v0\.9\.2 or later/,
  );
  // A version's own image is held to the same floor, at its own path.
  assert.match(
    refused("local", {}, (p) => (p.models[0].versions[1].image = "ghcr.io/llm-d/llm-d-inference-sim:v0.8.2")),
    /^inference-mesh:platform\.models\[0\]\.versions\[1\]\.image: 'ghcr\.io\/llm-d\/llm-d-inference-sim:v0\.8\.2' is older than v0\.9\.2: .*--force-dummy-tokenizer/,
  );
  accepted("local", { simulatorImage: "ghcr.io/llm-d/llm-d-inference-sim:v0.9.2" });
  // Every version brings its own image: the stack-wide default runs nowhere.
  accepted("local", { simulatorImage: "ghcr.io/llm-d/llm-d-inference-sim:v0.9.1" }, (p) =>
    p.models[0].versions.forEach((v: any) => (v.image = "ghcr.io/llm-d/llm-d-inference-sim:v0.10.2")),
  );
  // vLLM models never run the simulator image.
  accepted("prod", { simulatorImage: "ghcr.io/llm-d/llm-d-inference-sim:v0.9.1" });
});

test("GIE's own endpoint picker (any release) is refused on versions.eppImage: it never reads an llm-d.ai EndpointPickerConfig", () => {
  assert.match(
    refused("prod", { eppImage: "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0" }),
    /^inference-mesh:platform\.versions\.eppImage: 'registry\.k8s\.io\/gateway-api-inference-extension\/epp:v1\.5\.0' is GIE's endpoint picker, .*inference\.networking\.x-k8s\.io\/v1alpha1.*llm-d\.ai\/v1alpha1.*ghcr\.io\/llm-d\/llm-d-router-endpoint-picker/,
  );
  assert.match(refused("local", { eppImage: "registry.k8s.io/gateway-api-inference-extension/epp@sha256:" + "c".repeat(64) }), /versions\.eppImage: .* is GIE's endpoint picker/);
});
