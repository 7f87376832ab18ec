/**
 * Floating image tags and moving versions in the config (policy/lib/image-tags.ts, the rule the
 * policy pack's images-pinned applies too): every image of the config and every version override
 * is refused, naming its config path, when a registry can move it to another build.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { shippedPlatform } from "../support/render";
import { RejectCase, testRejections } from "./support";

const digest = "sha256:" + "f".repeat(64);

const cases: RejectCase[] = [
  {
    name: "a model server image on vLLM's nightly tag",
    mutate: (p) => (p.versions = { vllmImage: "vllm/vllm-openai:nightly" }),
    path: "inference-mesh:platform.versions.vllmImage",
    message: /must pin a release tag or a digest: 'nightly' is a moving tag .*; a release tag is a version of at least major\.minor .*; a digest is repo@sha256:/,
  },
  {
    name: "the picker image on llm-d's main tag",
    mutate: (p) => (p.versions = { eppImage: "ghcr.io/llm-d/llm-d-router-endpoint-picker:main" }),
    path: "inference-mesh:platform.versions.eppImage",
    message: /'main' is a moving tag/,
  },
  {
    name: "a model's image on a suffixed moving tag (latest-gpu)",
    mutate: (p) => (p.models[0].versions[0].image = "ghcr.io/example/vllm:latest-gpu"),
    path: "inference-mesh:platform.models[0].versions[0].image",
    message: /'latest-gpu' is a moving tag \('latest'/,
  },
  {
    name: "an agent image on agentgateway-style latest-dev",
    mutate: (p) => (p.agents[0].versions[0].image = "ghcr.io/example/agent:latest-dev"),
    path: "inference-mesh:platform.agents[0].versions[0].image",
    message: /'latest-dev' is a moving tag/,
  },
  {
    name: "a tool image on a version suffixed -latest",
    mutate: (p) => (p.tools[0].image = "ghcr.io/example/tool:v0.1.0-latest"),
    path: "inference-mesh:platform.tools[0].image",
    message: /'v0\.1\.0-latest' is a moving tag/,
  },
  {
    name: "a tool image on a channel name (stable)",
    mutate: (p) => (p.tools[0].image = "ghcr.io/example/tool:stable"),
    path: "inference-mesh:platform.tools[0].image",
    message: /'stable' is a moving tag/,
  },
  {
    name: "a tool image on a bare major",
    mutate: (p) => (p.tools[0].image = "ghcr.io/example/tool:1"),
    path: "inference-mesh:platform.tools[0].image",
    message: /'1' names a release line, not a release/,
  },
  {
    name: "a tool image on a flavour name",
    mutate: (p) => (p.tools[0].image = "ghcr.io/example/tool:slim"),
    path: "inference-mesh:platform.tools[0].image",
    message: /'slim' is not a release version/,
  },
  {
    name: "a tool image on a moving name followed by a word that names no build",
    mutate: (p) => (p.tools[0].image = "ghcr.io/example/tool:nightly-cafebabe-x"),
    path: "inference-mesh:platform.tools[0].image",
    message: /'nightly-cafebabe-x' is a moving tag/,
  },
  {
    // agentgateway v1.4.1 .github/workflows/nightly.yml pushes its chart as 0.0.0-latest-dev every night.
    name: "an agentgateway version on its nightly chart",
    mutate: (p) => (p.versions = { agentgateway: "v0.0.0-latest-dev" }),
    path: "inference-mesh:platform.versions.agentgateway",
    message: /'v0\.0\.0-latest-dev' carries the moving name 'latest'/,
  },
  {
    name: "an Istio version on a dev build",
    mutate: (p) => (p.versions = { istio: "1.30.0-dev" }),
    path: "inference-mesh:platform.versions.istio",
    message: /'1\.30\.0-dev' carries the moving name 'dev'/,
  },
];

testRejections(cases);

test("release tags and digest-pinned moving tags are accepted", () => {
  for (const image of ["nvcr.io/nvidia/cuda:12.4.1-devel-ubuntu22.04", "registry.k8s.io/pause:3.10", "ghcr.io/x/t:0.11.1.dev0", `vllm/vllm-openai:nightly@${digest}`, `ghcr.io/x/t:sha-1a2b3c4@${digest}`,
    // One build, named by its commit (docker/metadata-action's type=sha) or build number.
    "ghcr.io/x/t:sha-1a2b3c4", "ghcr.io/x/t:1a2b3c4d", "vllm/vllm-openai:nightly-d223c90", "ghcr.io/x/t:1.2.0-canary.3"]) {
    const p = shippedPlatform("prod");
    p.tools[0].image = image;
    assert.doesNotThrow(() => parsePlatform(p, "test"), image);
  }
  const p = shippedPlatform("prod");
  p.versions = { agentgateway: "v1.5.0-rc.1", istio: "1.30.0-rc.1" };
  assert.doesNotThrow(() => parsePlatform(p, "test"));
});
