/**
 * versions.nvidiaDriver, the branch the GCP GPU agents install, must run the CUDA the vLLM image
 * is built on (the pinned vllm/vllm-openai:v0.21.0 is CUDA 13.0, which needs branch 580).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { problemsOf } from "../support/config";
import { shippedPlatform } from "../support/render";
import { vllmImageCuda } from "../../infra/validate-driver-cuda";

test("the CUDA of a vLLM image is read from its tag: -cuNNN, or CUDA 13.0 for an unsuffixed release from v0.20.0", () => {
  assert.equal(vllmImageCuda("vllm/vllm-openai:v0.21.0"), "13.0");
  assert.equal(vllmImageCuda("mirror.example.com/vllm/vllm-openai:v0.20.0@sha256:" + "a".repeat(64)), "13.0");
  assert.equal(vllmImageCuda("vllm/vllm-openai:v0.21.0-cu129"), "12.9");
  assert.equal(vllmImageCuda("vllm/vllm-openai:v0.21.0-cu130-ubuntu2404"), "13.0");
  assert.equal(vllmImageCuda("vllm/vllm-openai:v0.19.1"), undefined);
  assert.equal(vllmImageCuda("vllm/vllm-openai@sha256:" + "a".repeat(64)), undefined);
  assert.equal(vllmImageCuda("example.com/own-vllm:v0.21.0"), undefined);
});

test("a driver branch below 580 under the pinned CUDA 13 vLLM image on a GCP GPU cluster is refused, naming the minimum", () => {
  const p = shippedPlatform("prod");
  p.versions = { nvidiaDriver: "570" };
  const problems = problemsOf(p);
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(
    problems[0],
    /^inference-mesh:platform\.versions\.nvidiaDriver: driver branch 570 is too old for 'vllm\/vllm-openai:v0\.21\.0' \(the pinned versions\.vllmImage\), which model 'llama-3-1-8b' .* GCP cluster 'gcp-usc1': that image is built on CUDA 13\.0, and CUDA 13\.x runs only on NVIDIA driver branch 580 or later.*set versions\.nvidiaDriver to 580 or later, or run a CUDA 12\.9 image/,
  );
});

test("a CUDA 12.9 image runs on 570; 580 runs the pinned image; no GCP GPU cluster, no vLLM there: nothing to refuse", () => {
  const accepted = (versions: Record<string, string>, mutate: (p: any) => void = () => {}) => {
    const p = shippedPlatform("prod");
    p.versions = versions;
    mutate(p);
    assert.doesNotThrow(() => parsePlatform(p, "prod"));
  };
  accepted({ nvidiaDriver: "570", vllmImage: "vllm/vllm-openai:v0.21.0-cu129" });
  accepted({ nvidiaDriver: "580" });
  accepted({ nvidiaDriver: "590" });
  // Without the GCP cluster's models, no VM installs the branch under vLLM.
  accepted({ nvidiaDriver: "570" }, (p) => {
    for (const m of p.models) m.clusters = m.clusters.filter((c: string) => c !== "gcp-usc1");
    for (const m of p.models) if (m.gpuTypes) delete m.gpuTypes["gcp-usc1"];
  });
});

test("a model version's own CUDA 13 image under branch 570 is refused at that image", () => {
  const p = shippedPlatform("prod");
  p.versions = { vllmImage: "vllm/vllm-openai:v0.21.0-cu129", nvidiaDriver: "570" };
  p.models[0].versions[1].image = "vllm/vllm-openai:v0.21.0";
  const problems = problemsOf(p);
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(problems[0], /^inference-mesh:platform\.versions\.nvidiaDriver: driver branch 570 is too old for 'vllm\/vllm-openai:v0\.21\.0' \(models\[0\]\.versions\[1\]\.image\)/);
});
