/**
 * The platform config schema, models: placement, fit, LoRA adapters, served model names and the
 * names derived from versions. Each broken config is rejected with a message naming its config path
 * (expectProblem, ./support).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { shippedPlatform } from "../support/render";
import { problemsOf } from "../support/config";
import { expectProblem, RejectCase, testRejections } from "./support";

const cases: RejectCase[] = [
  {
    name: "a model placed on an unknown cluster",
    mutate: (p) => (p.models[0].clusters[2] = "gcp-euw4"),
    path: "inference-mesh:platform.models[0].clusters[2]",
    message: /unknown cluster 'gcp-euw4'; known: aws-use1, aws-euw1, gcp-usc1/,
  },
  {
    name: "a vLLM model on a cluster without GPUs",
    mutate: (p) => {
      p.clusters[0].nodeGroups = [];
      p.models = p.models.map((m: any) => ({ ...m, clusters: ["aws-use1"] }));
    },
    path: "inference-mesh:platform.models[0].clusters[0]",
    message: /needs GPUs, but cluster 'aws-use1' has no GPU node groups/,
  },
  {
    name: "a model that does not fit its GPUs",
    mutate: (p) => {
      p.models[1].parametersBillions = 405;
    },
    path: "inference-mesh:platform.models[1].clusters[0]",
    message: /model 'qwen3-32b' does not fit cluster 'aws-use1'.*GiB/,
  },
  {
    name: "a LoRA source that is neither a Hugging Face repo nor a path",
    mutate: (p) => (p.models[0].loraAdapters[0].source = "support tone adapter"),
    path: "inference-mesh:platform.models[0].loraAdapters[0].source",
    message: /must be a Hugging Face repo/,
  },
  {
    name: "a LoRA source huggingface_hub refuses ('--')",
    mutate: (p) => (p.models[0].loraAdapters[0].source = "https://huggingface.co/org/tone--v2"),
    path: "inference-mesh:platform.models[0].loraAdapters[0].source",
    message: /must be a Hugging Face repo .*; as a repo id it contains '--' or '\.\.'/,
  },
  {
    // vLLM's --lora-modules reads `name=path` by splitting on '=' (too many values: it exits).
    name: "a LoRA path with '=' that vLLM's name=path parser splits apart",
    mutate: (p) => (p.models[0].loraAdapters[0].source = "/adapters/run=3"),
    path: "inference-mesh:platform.models[0].loraAdapters[0].source",
    message: /must not contain ',' or '=': vLLM parses --lora-modules name=path/,
  },
  {
    name: "a LoRA path with ',' that vLLM would read as JSON",
    mutate: (p) => (p.models[0].loraAdapters[0].source = "/adapters/a,b"),
    path: "inference-mesh:platform.models[0].loraAdapters[0].source",
    message: /must not contain ',' or '='/,
  },
  {
    // BBR (GIE v1.5.0) trims the model name before writing X-Gateway-Base-Model-Name; the route matches it exactly.
    name: "a simulator's served model name padded with whitespace",
    stack: "local",
    mutate: (p) => (p.models[0].servedModelName = " Qwen/Qwen3-0.6B"),
    path: "inference-mesh:platform.models[0].servedModelName",
    message: /must not start or end with whitespace: the body-based router trims/,
  },
  {
    name: "a simulator's served model name that reads as a flag",
    stack: "local",
    mutate: (p) => (p.models[0].servedModelName = "--demo"),
    path: "inference-mesh:platform.models[0].servedModelName",
    message: /must not start with '-'/,
  },
  {
    name: "a served model name longer than an HTTPRoute header match takes",
    stack: "local",
    mutate: (p) => (p.models[0].servedModelName = "m".repeat(4097)),
    path: "inference-mesh:platform.models[0].servedModelName",
    message: /4096/,
  },
  {
    name: "a served model name with a control character (a header value cannot carry it)",
    stack: "local",
    mutate: (p) => (p.models[0].servedModelName = "org/m\n%%{x"),
    path: "inference-mesh:platform.models[0].servedModelName",
    message: /must not contain control characters .*X-Gateway-Base-Model-Name header/,
  },
  {
    name: "a LoRA path that is the root directory",
    mutate: (p) => (p.models[0].loraAdapters[0].source = "/"),
    path: "inference-mesh:platform.models[0].loraAdapters[0].source",
    message: /must name the adapter's directory/,
  },
  {
    name: "a LoRA adapter name used twice",
    mutate: (p) => p.models[0].loraAdapters.push({ ...p.models[0].loraAdapters[0], source: "org/other-adapter" }),
    path: "inference-mesh:platform.models[0].loraAdapters[1].name",
    message: /duplicate adapter name 'support-tone'/,
  },
  {
    name: "a LoRA adapter named like another model",
    mutate: (p) => (p.models[0].loraAdapters[0].name = p.models[1].servedModelName),
    path: "inference-mesh:platform.models[0].loraAdapters[0].name",
    message: /is the servedModelName of models\[1\]/,
  },
  {
    name: "a model version whose endpoint picker is named like another model's pool",
    mutate: (p) => {
      p.models[1].name = "llama-3-1-8b-v1";
      p.models[1].versions[0].name = "epp";
    },
    path: "inference-mesh:platform.models[1].versions[0].name",
    message: /derives the pool 'llama-3-1-8b-v1-epp', which is already the endpoint picker of model 'llama-3-1-8b' version 'v1'/,
  },
  {
    name: "a vLLM servedModelName that vLLM cannot load",
    mutate: (p) => (p.models[0].servedModelName = "Llama 3.1 8B"),
    path: "inference-mesh:platform.models[0].servedModelName",
    message: /is what vLLM loads \(--model\)/,
  },
  {
    // huggingface_hub v1.28.0 validate_repo_id (run before every Hub call vLLM makes) refuses these.
    name: "a vLLM servedModelName huggingface_hub refuses ('..')",
    mutate: (p) => (p.models[0].servedModelName = "meta-llama/Llama..3"),
    path: "inference-mesh:platform.models[0].servedModelName",
    message: /is what vLLM loads \(--model\) and contains '--' or '\.\.', which Hugging Face repo ids may not/,
  },
  {
    name: "a vLLM servedModelName ending in '.git'",
    mutate: (p) => (p.models[0].servedModelName = "meta-llama/Llama-3.1-8B-Instruct.git"),
    path: "inference-mesh:platform.models[0].servedModelName",
    message: /ends in '\.git'/,
  },
  {
    name: "a vLLM servedModelName whose repo name starts with '.'",
    mutate: (p) => (p.models[0].servedModelName = "org/.hidden"),
    path: "inference-mesh:platform.models[0].servedModelName",
    message: /is not a Hugging Face repo id, `namespace\/name` or a root-level `name`/,
  },
  {
    name: "a vLLM servedModelName with a repo name over 96 characters",
    mutate: (p) => (p.models[0].servedModelName = `org/${"m".repeat(97)}`),
    path: "inference-mesh:platform.models[0].servedModelName",
    message: /has a repo name of 97 characters: Hugging Face repo names are at most 96/,
  },
  {
    name: "a vLLM servedModelName with two '/'",
    mutate: (p) => (p.models[0].servedModelName = "org/team/model"),
    path: "inference-mesh:platform.models[0].servedModelName",
    message: /has 2 '\/'/,
  },
  {
    name: "two models serving one servedModelName (requests for it would be ambiguous)",
    mutate: (p) => (p.models[1].servedModelName = p.models[0].servedModelName),
    path: "inference-mesh:platform.models[1].servedModelName",
    message: /: duplicate served model name 'meta-llama\/Llama-3\.1-8B-Instruct' \(also at models\[0\]\) on clusters 'aws-use1', 'gcp-usc1'; each cluster's router maps a requested name to one model, so models sharing a cluster serve distinct names$/,
  },
  {
    name: "a model serving the name of an earlier model's adapter on a shared cluster",
    mutate: (p) => (p.models[1].servedModelName = p.models[0].loraAdapters[0].name),
    path: "inference-mesh:platform.models[0].loraAdapters[0].name",
    message: /adapter name 'support-tone' is the servedModelName of models\[1\] on clusters 'aws-use1', 'gcp-usc1'; requests for it would be ambiguous/,
  },
  {
    // vLLM's --max-lora-rank takes at most 512 (vllm/config/lora.py MaxLoRARanks).
    name: "a LoRA adapter of a rank vLLM cannot serve",
    mutate: (p) => (p.models[0].loraAdapters[0].rank = 1024),
    path: "inference-mesh:platform.models[0].loraAdapters[0].rank",
    message: /must be at most 512: vLLM's --max-lora-rank takes 1, 8, 16, 32, 64, 128, 256, 320, 512/,
  },
  {
    name: "a LoRA adapter of rank 0",
    mutate: (p) => (p.models[0].loraAdapters[0].rank = 0),
    path: "inference-mesh:platform.models[0].loraAdapters[0].rank",
    message: /must be at least 1: the adapter's rank, `r` in its adapter_config.json/,
  },
  {
    // vLLM takes an empty --revision as none and would serve the default branch instead.
    name: "an empty Hugging Face revision",
    mutate: (p) => (p.models[0].versions[1].revision = ""),
    path: "inference-mesh:platform.models[0].versions[1].revision",
    message: /must not be empty: vLLM reads an empty --revision as none/,
  },
  {
    name: "a revision vLLM's argument parser reads as a flag",
    mutate: (p) => (p.models[0].versions[1].revision = "-rc1"),
    path: "inference-mesh:platform.models[0].versions[1].revision",
    message: /must not start with '-': vLLM's argument parser would read it as a flag/,
  },
  {
    name: "a revision with whitespace",
    mutate: (p) => (p.models[0].versions[1].revision = "main "),
    path: "inference-mesh:platform.models[0].versions[1].revision",
    message: /must not contain whitespace or control characters/,
  },
  {
    // The vLLM container runs python3, which the distroless simulator image lacks.
    name: "a vLLM model version on the simulator image",
    mutate: (p) => (p.models[0].versions[1].image = "ghcr.io/llm-d/llm-d-inference-sim:v0.10.2"),
    path: "inference-mesh:platform.models[0].versions[1].image",
    message: /'ghcr\.io\/llm-d\/llm-d-inference-sim:v0\.10\.2' is the llm-d inference simulator, which has no python3 to run vLLM's server.*\(model 'llama-3-1-8b' runs server 'vllm'\)$/,
  },
  {
    // vLLM's CLI exits on the simulator's --force-dummy-tokenizer.
    name: "a simulator model version on a vLLM image",
    stack: "local",
    mutate: (p) => (p.models[0].versions[0].image = "vllm/vllm-openai:v0.21.0"),
    path: "inference-mesh:platform.models[0].versions[0].image",
    message: /is a vLLM image, whose argument parser exits on the simulator's flags/,
  },
  {
    name: "a simulator default image that is vLLM's, where a simulator model uses it",
    stack: "local",
    mutate: (p) => (p.versions = { ...p.versions, simulatorImage: "docker.io/vllm/vllm-openai-cpu:v0.19.1" }),
    path: "inference-mesh:platform.versions.simulatorImage",
    message: /is a vLLM image.*\(model 'qwen3-0-6b' runs server 'simulator' from this default\)$/,
  },
];

testRejections(cases);

test("a server's default image that no model of that server uses is not judged", () => {
  const p = shippedPlatform("local");
  // The local stack runs the simulator only: vllmImage is never deployed there.
  p.versions = { ...p.versions, vllmImage: "ghcr.io/llm-d/llm-d-inference-sim:v0.10.2" };
  assert.doesNotThrow(() => parsePlatform(p, "local"));
});

test("derived names of different kinds may coincide: a version named like another's ServiceAccount suffix is fine", () => {
  const p = shippedPlatform("local");
  // Pool 'qwen3-0-6b-v1-server' (Deployment, InferencePool) vs the v1 server's ServiceAccount of that name.
  p.models[0].versions[1].name = "v1-server";
  assert.doesNotThrow(() => parsePlatform(p, "local"));
});

test("models on different clusters may serve the same name: vLLM on the GPU clusters, the simulator on a CPU-only one", () => {
  const p = shippedPlatform("prod");
  p.models[0].clusters = ["aws-use1", "aws-euw1"];
  p.models.push({
    name: "llama-3-1-8b-sim",
    servedModelName: p.models[0].servedModelName,
    server: "simulator",
    parametersBillions: 8,
    maxModelLen: 4096,
    clusters: ["gcp-usc1"],
    versions: [{ name: "v1", image: "ghcr.io/llm-d/llm-d-inference-sim:v0.10.2", weight: 100 }],
    loraAdapters: [{ name: "support-tone", source: p.models[0].loraAdapters[0].source }],
  });
  for (const a of p.agents) if (a.model === p.models[0].name) a.clusters = ["aws-use1", "aws-euw1"];
  const spec = parsePlatform(p, "test");
  assert.equal(spec.models.filter((m) => m.servedModelName === p.models[0].servedModelName).length, 2);
  // Once they share a cluster, the second is refused, naming the cluster.
  p.models[2].clusters = ["gcp-usc1", "aws-euw1"];
  expectProblem(p, "inference-mesh:platform.models[2].servedModelName", /duplicate served model name .* \(also at models\[0\]\) on cluster 'aws-euw1'/);
  expectProblem(p, "inference-mesh:platform.models[2].loraAdapters[0].name", /duplicate adapter name 'support-tone' \(also at models\[0\]\.loraAdapters\[0\]\) on cluster 'aws-euw1'/);
});

test("a vLLM servedModelName may be a root-level Hugging Face id (gpt2, bert-base-uncased), a namespaced one or an absolute path", () => {
  // The Hub keeps its legacy models under their bare names; huggingface_hub's validate_repo_id takes `name` alone.
  for (const id of ["gpt2", "bert-base-uncased", "t5-small", "openai-community/gpt2", "Qwen/Qwen2.5-0.5B_v1.2", "/models/llama"]) {
    const p = shippedPlatform("prod");
    p.models[0].servedModelName = id;
    assert.doesNotThrow(() => parsePlatform(p, "prod"), `servedModelName ${id}`);
  }
  const p = shippedPlatform("prod");
  p.models[0].loraAdapters[0].source = "https://huggingface.co/org/tone_v2.1/";
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
});

test("a gpuTypes key '__proto__' (YAML and JSON hold it as a key) is refused, not dropped with its pin unread", () => {
  // The stack file reaches the program as JSON, whose parse keeps '__proto__' as a key of its own.
  const withProtoKey = (pins: string) => {
    const p = shippedPlatform("prod");
    p.models[0].gpuTypes = "PINS";
    return JSON.parse(JSON.stringify(p).replace('"PINS"', pins));
  };
  for (const pins of ['{"__proto__": ["H100"]}', '{"aws-use1": ["H100"], "__proto__": "junk"}']) {
    const problems = problemsOf(withProtoKey(pins));
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(problems[0], /^inference-mesh:platform\.models\[0\]\.gpuTypes\.__proto__: is a key no cluster is named \(cluster names are DNS-1123 labels\), and JavaScript objects drop it: the pin would be read by nothing; remove it, or name one of the model's clusters$/, pins);
  }
});
