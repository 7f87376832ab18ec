/**
 * images-pinned on floating tags (policy/lib/image-tags.ts): the moving names upstream re-pushes
 * (`latest`, `nightly`, `main`, `latest-dev`…) alone or prefixed/suffixed, a bare major, and any
 * tag that is no release version float unless a digest pins them; in containers, Helm values,
 * AgentgatewayParameters and chart versions alike.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { imagesPinned, unpinned, unpinnedHelmValues } from "../../policy/rules/images-pinned";
import { runResource } from "../support/policy";
import { deployment, agwParams } from "./workloads-support";

const digest = "sha256:" + "e".repeat(64);

test("images-pinned: moving tags upstream publishes float, prefixed or suffixed too; release versions do not", () => {
  for (const image of [
    "vllm/vllm-openai:nightly", // vLLM's nightly build
    "vllm/vllm-openai:nightly-aarch64",
    "vllm/vllm-openai:latest-rocm",
    "ghcr.io/llm-d/llm-d-router-endpoint-picker:main",
    "ghcr.io/llm-d/llm-d-inference-sim:dev",
    "cr.agentgateway.dev/agentgateway:latest-dev", // agentgateway v1.4.1 nightly.yml extra_tag
    "gcr.io/istio-testing/pilot:1.30-dev",
    "ghcr.io/x/model-server:latest-gpu",
    "ghcr.io/x/model-server:gpu-latest",
    "ghcr.io/x/model-server:v0.21.0-latest",
    "ghcr.io/x/model-server:Stable",
    "ghcr.io/x/model-server:edge",
    "ghcr.io/x/model-server:master",
  ]) {
    assert.match(unpinned(image) ?? "", /is a moving tag/, image);
  }
  // No release version names the build: a bare major, a branch or commit name.
  assert.match(unpinned("postgres:16")!, /'16' names a release line/);
  assert.match(unpinned("ghcr.io/x/agent:v1")!, /'v1' names a release line/);
  assert.match(unpinned("ghcr.io/x/agent:slim")!, /'slim' is not a release version/);
  assert.match(unpinned("ghcr.io/x/agent:deadbeef")!, /'deadbeef' is not a release version/); // hex, but no digit
  assert.match(unpinned("vllm/vllm-openai:nightly-abc")!, /moving tag/);
  for (const image of [
    "vllm/vllm-openai:v0.21.0",
    "registry.k8s.io/pause:3.10",
    "nvcr.io/nvidia/cuda:12.4.1-devel-ubuntu22.04", // a flavour, not the develop branch
    "cr.agentgateway.dev/agentgateway:v0.0.0-alpha.1a2b3c4", // a nightly pinned to its commit
    "ghcr.io/x/model-server:0.11.1.dev0",
    `vllm/vllm-openai:nightly@${digest}`, // a digest pins whatever tag stands beside it
    `ghcr.io/x/agent:sha-1a2b3c4@${digest}`,
    // One build named by its commit or build number is never re-pushed.
    "ghcr.io/x/agent:sha-1a2b3c4",
    "ghcr.io/x/agent:git-1a2b3c4d5e6f",
    "vllm/vllm-openai:nightly-d223c90", // vLLM's per-commit nightly
    "ghcr.io/x/agent:1.2.0-canary.3",
  ]) {
    assert.equal(unpinned(image), undefined, image);
  }
});

test("images-pinned: a container on a floating tag is a violation naming the resource and image", async () => {
  const bad = await runResource(imagesPinned, deployment("vllm", { containers: [{ name: "vllm", image: "vllm/vllm-openai:nightly" }], initContainers: [{ name: "fetch", image: "curlimages/curl:8" }] }));
  assert.deepEqual(
    bad.violations.map((v) => v.message).sort(),
    [
      "Deployment inference/vllm container fetch: curlimages/curl:8 has a floating tag: '8' names a release line, not a release (it moves to each newer 8.x); pin a version tag or digest",
      "Deployment inference/vllm container vllm: vllm/vllm-openai:nightly has a floating tag: 'nightly' is a moving tag ('nightly' is re-pushed to newer builds); pin a version tag or digest",
    ],
  );
  assert.deepEqual((await runResource(imagesPinned, deployment("vllm", { containers: [{ name: "vllm", image: `vllm/vllm-openai:nightly@${digest}` }] }))).violations, []);
});

test("images-pinned: Helm value tags, AgentgatewayParameters tags and chart versions that float", async () => {
  assert.deepEqual(unpinnedHelmValues({ epp: { image: { repository: "ghcr.io/llm-d/llm-d-router-endpoint-picker", tag: "main" } }, sim: { image: "ghcr.io/x/sim", version: "latest-dev" } }), [
    "values.epp.image.tag is 'main': 'main' is a moving tag ('main' is re-pushed to newer builds)",
    "values.sim.version is 'latest-dev': 'latest-dev' is a moving tag ('latest' is re-pushed to newer builds)",
  ]);
  // An image string on a moving tag, not re-pinned by a sibling.
  assert.deepEqual(unpinnedHelmValues({ proxy: { image: "cr.agentgateway.dev/agentgateway:latest-dev" } }), [
    "values.proxy.image: cr.agentgateway.dev/agentgateway:latest-dev has a floating tag: 'latest-dev' is a moving tag ('latest' is re-pushed to newer builds)",
  ]);
  assert.deepEqual(unpinnedHelmValues({ image: { tag: "v1.4.1" }, global: { tag: "1.30.3-distroless" } }), []);
  const agw = await runResource(imagesPinned, [agwParams({ image: { tag: "latest-dev" } }, "nightly"), agwParams({ image: { tag: "latest-dev", digest } }, "pinned")]);
  assert.deepEqual(agw.violations.map((v) => v.message), [
    "AgentgatewayParameters agents/nightly: spec.image.tag 'latest-dev' is a moving tag ('latest' is re-pushed to newer builds); pin a version tag or digest (or leave tag unset for the controller's own release)",
  ]);
  // agentgateway's nightly pushes its chart as 0.0.0-latest-dev over and over (nightly.yml extra_helm_tag).
  const release = (version: string) => ({ type: "kubernetes:helm.sh/v3:Release", props: { name: "agentgateway", chart: "oci://cr.agentgateway.dev/charts/agentgateway", version, values: {} } });
  const charts = await runResource(imagesPinned, [release("0.0.0-latest-dev"), release("v1.4.1"), release("v0.0.0-alpha.1a2b3c4")]);
  assert.deepEqual(charts.violations.map((v) => v.message), [
    "Helm release agentgateway (oci://cr.agentgateway.dev/charts/agentgateway) chart version '0.0.0-latest-dev' is a moving version ('latest' is re-pushed to newer charts); pin one release (e.g. 1.4.1)",
  ]);
});
