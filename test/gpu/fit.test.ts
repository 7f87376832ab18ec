/**
 * Model-fit arithmetic: weights per GPU against usable memory with KV-cache headroom,
 * tensor-parallel size against GPUs per node, replicas against node-group capacity; the config
 * errors a model that does not fit produces; and the vLLM flags derived from the same numbers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { FitModel, fitInCluster, fitOnNodeGroup, modelStorageGiB, vllmEngineArgs, weightsGiB } from "../../components/gpu/fit";
import { parsePlatform, ConfigError } from "../../infra/config";
import { shippedPlatform } from "../support/render";

const model = (over: Partial<FitModel> = {}): FitModel => ({
  name: "m",
  parametersBillions: 8,
  dtype: "bfloat16",
  gpusPerReplica: 1,
  replicas: 1,
  gpuMemoryUtilization: 0.9,
  maxModelLen: 8192,
  ...over,
});
const group = (instanceType: string, maxSize = 2, name = "g") => ({ cluster: "c", name, instanceType, maxSize });
const opts = { minKvCacheFraction: 0.1 };

test("weights are parameters × bytes per parameter", () => {
  assert.equal(weightsGiB(8, "bfloat16"), (8e9 * 2) / 1024 ** 3);
  assert.equal(weightsGiB(70, "fp8"), 70e9 / 1024 ** 3);
  assert.equal(weightsGiB(70, "int4"), 35e9 / 1024 ** 3);
  assert.equal(weightsGiB(1, "float32"), 4e9 / 1024 ** 3);
});

test("an 8B bf16 model fits one L4 with room for the KV cache", () => {
  const fit = fitOnNodeGroup(model(), group("g6.2xlarge"), opts)!;
  assert.deepEqual(fit.problems, []);
  assert.ok(Math.abs(fit.weightsGiBPerGpu - 14.9) < 0.1);
  assert.ok(Math.abs(fit.usableGiBPerGpu - 21.6) < 1e-9);
  assert.ok(Math.abs(fit.kvCacheGiBPerGpu - (21.6 - fit.weightsGiBPerGpu)) < 1e-9);
  assert.equal(fit.gpuCapacity, 2);
});

test("tensor parallelism splits the weights over the GPUs of a replica", () => {
  const one = fitOnNodeGroup(model({ parametersBillions: 32 }), group("g6e.12xlarge"), opts)!;
  const two = fitOnNodeGroup(model({ parametersBillions: 32, gpusPerReplica: 2 }), group("g6e.12xlarge"), opts)!;
  assert.ok(Math.abs(two.weightsGiBPerGpu * 2 - one.weightsGiBPerGpu) < 1e-9);
  assert.equal(one.problems.length, 1, "32B bf16 leaves no KV cache on one 48 GiB L40S");
  assert.deepEqual(two.problems, []);
});

test("too little KV-cache headroom is a problem naming every number", () => {
  // 12B bf16 = 22.4 GiB on a 24 GiB L4 at 0.9 → 21.6 GiB usable, negative KV cache.
  const fit = fitOnNodeGroup(model({ parametersBillions: 12 }), group("g6.xlarge"), opts)!;
  assert.equal(fit.problems.length, 1);
  assert.match(fit.problems[0], /weights need 22\.4 GiB per GPU \(12B × 2 bytes \/ TP 1\)/);
  assert.match(fit.problems[0], /g6\.xlarge offers 21\.6 GiB usable \(0\.9 × 24 GiB L4\)/);
  assert.match(fit.problems[0], /at least 2\.2 GiB is required/);
});

test("the KV-cache floor is a fraction of usable memory", () => {
  // 10B bf16 = 18.6 GiB; usable 21.6 → 3.0 GiB free: fits at 10 %, not at 20 %.
  assert.deepEqual(fitOnNodeGroup(model({ parametersBillions: 10 }), group("g6.xlarge"), { minKvCacheFraction: 0.1 })!.problems, []);
  assert.equal(fitOnNodeGroup(model({ parametersBillions: 10 }), group("g6.xlarge"), { minKvCacheFraction: 0.2 })!.problems.length, 1);
});

test("tensor-parallel size cannot exceed the GPUs of one node", () => {
  const fit = fitOnNodeGroup(model({ gpusPerReplica: 2 }), group("g6.2xlarge"), opts)!;
  assert.ok(fit.problems.some((p) => /tensor-parallel size 2 exceeds the 1 GPUs per node of g6\.2xlarge/.test(p)), fit.problems.join());
});

test("replicas × GPUs per replica cannot exceed the node group's capacity at max size", () => {
  const fits = fitOnNodeGroup(model({ replicas: 8, gpusPerReplica: 2 }), group("g6e.12xlarge", 4), opts)!;
  assert.deepEqual(fits.problems, [], "8 × 2 = 16 ≤ 4 nodes × 4 GPUs");
  const tooMany = fitOnNodeGroup(model({ replicas: 9, gpusPerReplica: 2 }), group("g6e.12xlarge", 4), opts)!;
  assert.deepEqual(tooMany.problems, ["9 replicas × 2 GPUs = 18 GPUs exceed the node group's 16 (max 4 nodes × 4 GPUs)"]);
});

test("a replica's weights must fit the node disk after the OS and images", () => {
  // 70B bf16 = 130.4 GiB of weights → 145 GiB of ephemeral storage per replica.
  const big = model({ parametersBillions: 70, gpusPerReplica: 8 });
  assert.equal(modelStorageGiB(big), 145);
  assert.deepEqual(fitOnNodeGroup(big, { ...group("p5.48xlarge"), diskSizeGiB: 200 }, opts)!.problems, []);
  assert.deepEqual(fitOnNodeGroup(big, { ...group("p5.48xlarge"), diskSizeGiB: 150 }, opts)!.problems, [
    "a replica downloads 145 GiB of weights into ephemeral storage but a 150 GiB node disk (diskSizeGiB) leaves 120 GiB after 30 GiB for the OS and images (raise diskSizeGiB)",
  ]);
});

test("CPU node groups are not candidates; a cluster fit lists the groups that fit and why others do not", () => {
  assert.equal(fitOnNodeGroup(model(), group("m6i.xlarge"), opts), undefined);
  const groups = [group("g6.xlarge", 2, "small"), group("p5.48xlarge", 1, "big"), { ...group("g6.xlarge"), cluster: "other" }];
  const fit = fitInCluster(model({ parametersBillions: 32, gpusPerReplica: 2 }), "c", groups, opts);
  assert.deepEqual(fit.fits.map((f) => f.nodeGroup.name), ["big"]);
  assert.deepEqual(fit.rejected.map((f) => f.nodeGroup.name), ["small"]);
});

test("vLLM engine flags come from the same numbers", () => {
  assert.deepEqual(vllmEngineArgs(model({ gpusPerReplica: 4, gpuMemoryUtilization: 0.92, maxModelLen: 16000 })), [
    "--tensor-parallel-size", "4",
    "--gpu-memory-utilization", "0.92",
    "--max-model-len", "16000",
  ]);
});

test("the shipped prod models fit where they are placed", () => {
  const spec = parsePlatform(shippedPlatform("prod"), "prod");
  const qwen = spec.fits.get("qwen3-32b")!;
  assert.deepEqual(qwen.map((f) => [f.cluster, f.fits.map((g) => g.nodeGroup.name)]), [
    ["aws-use1", ["gpu-l40s", "gpu-h100"]],
    ["gcp-usc1", ["gpu-a100"]],
  ]);
});

test("a model that does not fit is a config error naming the model, the node group and the numbers", () => {
  const p = shippedPlatform("dev");
  p.models[0].parametersBillions = 70;
  assert.throws(
    () => parsePlatform(p, "dev"),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /inference-mesh:platform\.models\[0\]\.clusters\[0\]: model 'llama-3-1-8b' does not fit cluster 'dev-usw2'/);
      assert.match(err.message, /node group 'gpu-l4' \(g6\.2xlarge\): weights need 130\.4 GiB per GPU \(70B × 2 bytes \/ TP 1\)/);
      assert.match(err.message, /offers 21\.6 GiB usable/);
      return true;
    },
  );
});

test("a tensor-parallel size larger than any node is a config error", () => {
  const p = shippedPlatform("dev");
  p.models[0].gpusPerReplica = 2;
  assert.throws(() => parsePlatform(p, "dev"), /tensor-parallel size 2 exceeds the 1 GPUs per node of g6\.2xlarge/);
});

test("more replicas than the node groups can hold is a config error", () => {
  const p = shippedPlatform("dev");
  p.models[0].replicas = 4;
  assert.throws(() => parsePlatform(p, "dev"), /4 replicas × 1 GPUs = 4 GPUs exceed the node group's 3 \(max 3 nodes × 1 GPUs\)/);
});
