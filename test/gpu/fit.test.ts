/**
 * Model-fit arithmetic: weights per GPU against usable memory with KV-cache headroom, one
 * max-length sequence against the KV cache, tensor-parallel size against GPUs per node, replicas
 * packed onto the nodes at desired size; the config errors these produce; and the vLLM flags
 * derived from the same numbers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fitInCluster, fitOnNodeGroup, kvCacheBytesPerToken, vllmEngineArgs, weightsGiB } from "../../components/gpu/fit";
import { gpuNodes, packReplicas } from "../../components/gpu/placement";
import { parsePlatform, ConfigError } from "../../infra/config";
import { shippedPlatform } from "../support/render";
import { group, model, opts } from "./support";

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
  // The driver's 23034 MiB, not the marketing 24 GB.
  assert.ok(Math.abs(fit.usableGiBPerGpu - 0.9 * (23034 / 1024)) < 1e-9);
  assert.ok(Math.abs(fit.kvCacheGiBPerGpu - (fit.usableGiBPerGpu - fit.weightsGiBPerGpu)) < 1e-9);
});

test("tensor parallelism splits the weights over the GPUs of a replica", () => {
  const one = fitOnNodeGroup(model({ parametersBillions: 32 }), group("g6e.12xlarge"), opts)!;
  const two = fitOnNodeGroup(model({ parametersBillions: 32, gpusPerReplica: 2 }), group("g6e.12xlarge"), opts)!;
  assert.ok(Math.abs(two.weightsGiBPerGpu * 2 - one.weightsGiBPerGpu) < 1e-9);
  assert.equal(one.problems.length, 1, "32B bf16 leaves no KV cache on one 48 GiB L40S");
  assert.deepEqual(two.problems, []);
});

test("too little KV-cache headroom is a problem naming every number", () => {
  // 12B bf16 = 22.4 GiB on a 22.5 GiB L4 at 0.9 → 20.2 GiB usable, negative KV cache.
  const fit = fitOnNodeGroup(model({ parametersBillions: 12 }), group("g6.xlarge"), opts)!;
  assert.equal(fit.problems.length, 1);
  assert.match(fit.problems[0], /weights need 22\.4 GiB per GPU \(12B × 2 bytes \/ TP 1\)/);
  assert.match(fit.problems[0], /g6\.xlarge offers 20\.2 GiB usable \(0\.9 × 22\.5 GiB L4\)/);
  assert.match(fit.problems[0], /at least 2 GiB is required/);
});

test("the KV-cache floor is a fraction of usable memory", () => {
  // 9B bf16 = 16.8 GiB; usable 20.2 → 3.5 GiB free (17%): fits at 10 %, not at 20 %.
  assert.deepEqual(fitOnNodeGroup(model({ parametersBillions: 9 }), group("g6.xlarge"), { minKvCacheFraction: 0.1 })!.problems, []);
  assert.equal(fitOnNodeGroup(model({ parametersBillions: 9 }), group("g6.xlarge"), { minKvCacheFraction: 0.2 })!.problems.length, 1);
});

test("with the architecture known, one maxModelLen sequence must fit the KV cache (vLLM's own start-up check)", () => {
  // Llama-3.1-8B: 32 layers, 8 KV heads of 128 → 128 KiB per token in bf16.
  const arch = { layers: 32, kvHeads: 8, headDim: 128 };
  assert.equal(kvCacheBytesPerToken(model(), arch), 131072);
  assert.equal(kvCacheBytesPerToken(model({ gpusPerReplica: 4 }), arch), 32768, "tensor parallelism splits the KV heads");
  assert.equal(kvCacheBytesPerToken(model({ gpusPerReplica: 16 }), arch), 16384, "beyond the KV heads they are replicated");
  assert.equal(kvCacheBytesPerToken(model({ dtype: "fp8" }), arch), 131072, "the cache keeps 16-bit activations");
  const short = fitOnNodeGroup(model({ architecture: arch, maxModelLen: 32768 }), group("g6.xlarge"), opts)!;
  assert.deepEqual(short.problems, [], "32k tokens = 4 GiB ≤ 5.3 GiB left on an L4");
  const long = fitOnNodeGroup(model({ architecture: arch, maxModelLen: 131072 }), group("g6.xlarge"), opts)!;
  assert.deepEqual(long.problems.length, 1);
  assert.match(long.problems[0], /one 131072-token sequence needs 16 GiB of KV cache per GPU \(32 layers × 8 KV heads × 128 \/ TP 1\) but g6\.xlarge leaves 5\.3 GiB/);
  assert.deepEqual(fitOnNodeGroup(model({ maxModelLen: 131072 }), group("g6.xlarge"), opts)!.problems, [], "unchecked without the architecture");
  assert.deepEqual(fitOnNodeGroup(model({ architecture: arch, maxModelLen: 131072 }), group("g6e.xlarge"), opts)!.problems, [], "an L40S holds it");
});

test("tensor-parallel size cannot exceed the GPUs of one node", () => {
  const fit = fitOnNodeGroup(model({ gpusPerReplica: 2 }), group("g6.2xlarge"), opts)!;
  assert.ok(fit.problems.some((p) => /tensor-parallel size 2 exceeds the 1 GPUs per node of g6\.2xlarge/.test(p)), fit.problems.join());
});

test("replicas are packed onto the nodes at desired size by GPUs, disk and GPU product", () => {
  const l40s = "NVIDIA-L40S";
  const replica = (gpus: number, storageGiB = 20, products = [l40s]) => ({ model: "m", version: "v1", gpus, storageGiB, products });
  const nodes = gpuNodes([{ ...group("g6e.12xlarge", 2, "on-demand"), diskSizeGiB: 200 }, { ...group("g6e.12xlarge", 2, "spot"), diskSizeGiB: 200 }]);
  assert.equal(nodes.length, 4);
  assert.deepEqual(nodes[0], { nodeGroup: "on-demand", instanceType: "g6e.12xlarge", product: l40s, gpus: 4, storageGiB: 127 });
  assert.deepEqual(packReplicas(nodes, Array.from({ length: 4 }, () => replica(4))), [], "one 4-GPU replica per node, across both groups");
  assert.equal(packReplicas(nodes, Array.from({ length: 5 }, () => replica(4))).length, 1);
  assert.deepEqual(packReplicas(nodes, [replica(2), replica(2), replica(4), replica(4), replica(4), replica(4)]).map((r) => r.gpus), [2, 2], "16 GPUs do not hold 20");
  assert.deepEqual(packReplicas(nodes, [replica(1), replica(1), replica(2), replica(4), replica(4), replica(4)]), [], "largest first: small ones share a node");
  // Disk: two 120 GiB replicas cannot share a node with 127 GiB for pods even with GPUs to spare.
  const big = gpuNodes([{ ...group("g6e.48xlarge", 1), diskSizeGiB: 200 }]);
  assert.equal(packReplicas(big, [replica(4, 120), replica(4, 120)]).length, 1);
  assert.deepEqual(packReplicas(big, [replica(4, 63), replica(4, 63)]), []);
  // Affinity: a replica only goes where its product is.
  assert.equal(packReplicas(nodes, [replica(1, 20, ["NVIDIA-H100-80GB-HBM3"])]).length, 1);
  assert.deepEqual(gpuNodes([group("p5.48xlarge", 0), group("m6i.xlarge", 3)]), [], "desiredSize 0 and CPU groups give no GPU nodes");
});

test("packing finds a placement where one exists: constrained replicas first, then an exhaustive search", () => {
  // A model that runs on either product must not take the only nodes another model may use.
  const l40s = gpuNodes([{ ...group("g6e.12xlarge", 1), diskSizeGiB: 176 }]);
  const l4 = gpuNodes([{ ...group("g6.12xlarge", 1), diskSizeGiB: 200 }]);
  const either = (n: number) => Array.from({ length: n }, () => ({ model: "llama", version: "v1", gpus: 2, storageGiB: 18, products: ["NVIDIA-L40S", "NVIDIA-L4"] }));
  const l40sOnly = Array.from({ length: 3 }, () => ({ model: "qwen-14b", version: "v1", gpus: 1, storageGiB: 30, products: ["NVIDIA-L40S"] }));
  assert.deepEqual(packReplicas([...l40s, ...l4], [...either(2), ...l40sOnly]), []);
  assert.deepEqual(packReplicas([...l4, ...l40s], [...l40sOnly, ...either(2)]), [], "whatever the order");
  // Best fit, largest first, misses 5+3+2 | 4+3+3 on two 10-GPU nodes; the search finds it.
  const nodes = [0, 1].map((i) => ({ nodeGroup: "g", instanceType: "t", product: "P", gpus: 10, storageGiB: Infinity, i }));
  const items = [5, 4, 3, 3, 3, 2].map((gpus) => ({ model: "m", version: "v", gpus, storageGiB: 0, products: ["P"] }));
  assert.deepEqual(packReplicas(nodes, items), []);
  assert.equal(packReplicas(nodes, [...items, { ...items[5], gpus: 1 }]).length, 1, "21 GPUs on 20 never fit");
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
    "--dtype", "bfloat16",
  ]);
  assert.deepEqual(vllmEngineArgs(model({ dtype: "float16" })).slice(-2), ["--dtype", "float16"]);
  // A quantized checkpoint carries its method; vLLM rejects a --quantization flag that disagrees.
  for (const dtype of ["fp8", "int8", "int4"] as const) {
    const args = vllmEngineArgs(model({ dtype }));
    assert.ok(!args.includes("--dtype") && !args.includes("--quantization"), dtype);
  }
});

test("the shipped prod models fit where they are placed, each on one GPU type per cluster that holds them all", () => {
  const spec = parsePlatform(shippedPlatform("prod"), "prod");
  const groupsOf = (model: string) => spec.fits.get(model)!.map((f) => [f.cluster, f.fits.map((g) => g.nodeGroup.name)]);
  // aws-use1 has 8 L40S and 8 H100 GPUs; both models fit on either, but 3 + 6 GPUs do not fit on
  // one type: given both, the scheduler could put llama on the L40S nodes qwen needs.
  assert.deepEqual(groupsOf("qwen3-32b"), [["aws-use1", ["gpu-l40s"]], ["gcp-usc1", ["gpu-a100"]]]);
  assert.deepEqual(groupsOf("llama-3-1-8b"), [["aws-use1", ["gpu-h100"]], ["aws-euw1", ["gpu-a10g", "gpu-a10g-spot"]], ["gcp-usc1", ["gpu-a100"]]]);
});

test("a model that fits two GPU types is pinned to the one that leaves room for the others; a fleet that fits only when spread is refused", () => {
  const p = shippedPlatform("dev");
  const cluster = p.clusters[0];
  cluster.nodeGroups = [
    { name: "l40s", instanceType: "g6e.12xlarge", minSize: 1, desiredSize: 1, maxSize: 1, diskSizeGiB: 176 },
    { name: "l4", instanceType: "g6.12xlarge", minSize: 1, desiredSize: 1, maxSize: 1, diskSizeGiB: 200 },
  ];
  const llama = p.models[0];
  Object.assign(llama, { gpusPerReplica: 2, replicas: 2, versions: [{ name: "v1", weight: 100 }] });
  // A 14B model only an L40S holds (bf16, TP 1), 3 replicas.
  p.models.push({ ...structuredClone(llama), name: "qwen-14b", servedModelName: "Qwen/Qwen3-14B", parametersBillions: 14, gpusPerReplica: 1, replicas: 3, loraAdapters: [], architecture: undefined });
  p.agents = (p.agents ?? []).filter((a: any) => a.model === llama.name);
  const spec = parsePlatform(p, "dev");
  assert.deepEqual(spec.fits.get(llama.name)![0].fits.map((g) => g.nodeGroup.name), ["l4"], "llama goes to the L4 node, leaving the L40S node to the 14B model");
  assert.deepEqual(spec.fits.get("qwen-14b")![0].fits.map((g) => g.nodeGroup.name), ["l40s"]);
  // 3 × 2 GPUs of llama and 2 × 1 of the 14B model fill both 4-GPU nodes only with llama on both types.
  llama.replicas = 3;
  p.models[p.models.length - 1].replicas = 2;
  assert.throws(() => parsePlatform(p, "dev"), /every replica fits only with a model spread over GPU types another model also uses/);
});

test("GPU type pinning only where models compete: a lone model keeps every type it fits; pins do not follow the order of models; large fleets are searched", () => {
  const twoTypes = (p: any) =>
    (p.clusters[0].nodeGroups = [
      { name: "l40s", instanceType: "g6e.12xlarge", minSize: 1, desiredSize: 1, maxSize: 1, diskSizeGiB: 176 },
      { name: "l4", instanceType: "g6.12xlarge", minSize: 1, desiredSize: 1, maxSize: 1, diskSizeGiB: 200 },
    ]);
  // One model needing both nodes: nothing competes with it, so it keeps both types.
  const lone = shippedPlatform("dev");
  twoTypes(lone);
  Object.assign(lone.models[0], { replicas: 3 });
  delete lone.models[0].versions[1].replicas;
  assert.deepEqual(parsePlatform(lone, "dev").fits.get(lone.models[0].name)![0].fits.map((g) => g.nodeGroup.name).sort(), ["l4", "l40s"]);
  // Two small models that both fit both types: the same pins whichever is listed first.
  const pinsOf = (order: string[]) => {
    const p = shippedPlatform("dev");
    twoTypes(p);
    const base = p.models[0];
    p.models = order.map((name) => ({ ...structuredClone(base), name, servedModelName: `org/${name}`, replicas: name === "a" ? 2 : 3, versions: [{ name: "v1", weight: 100 }], loraAdapters: [] }));
    p.agents = [];
    p.gateways.agents = undefined;
    const spec = parsePlatform(p, "dev");
    return Object.fromEntries(["a", "b"].map((m) => [m, spec.fits.get(m)![0].fits.map((g) => g.nodeGroup.name)]));
  };
  assert.deepEqual(pinsOf(["a", "b"]), pinsOf(["b", "a"]));
  // Nine models on three types: a placement exists and is found (a capped enumeration missed it).
  const nine = shippedPlatform("dev");
  nine.clusters[0].nodeGroups = [
    { name: "a10g", instanceType: "g5.12xlarge", minSize: 1, desiredSize: 1, maxSize: 1 },
    { name: "l4", instanceType: "g6.12xlarge", minSize: 2, desiredSize: 2, maxSize: 2 },
    { name: "l40s", instanceType: "g6e.12xlarge", minSize: 2, desiredSize: 2, maxSize: 2 },
  ];
  const base = nine.models[0];
  nine.models = Array.from({ length: 9 }, (_, i) => ({
    ...structuredClone(base), name: `m${i}`, servedModelName: `org/m${i}`, gpusPerReplica: i === 0 ? 4 : 1, replicas: i === 0 ? 2 : 1, versions: [{ name: "v1", weight: 100 }], loraAdapters: [],
  }));
  nine.agents = [];
  nine.gateways.agents = undefined;
  // Nine models' endpoint pickers (2 × 1 vCPU each) need CPU nodes to match (validate-cpu-capacity.ts).
  nine.clusters[0].systemNodeGroup = { instanceType: "m6i.8xlarge", minSize: 2, desiredSize: 2, maxSize: 2 };
  assert.doesNotThrow(() => parsePlatform(nine, "dev"));
  // Many small models and one big one: the big one is placed first (it has the fewest places to go).
  const many = shippedPlatform("dev");
  many.clusters[0].nodeGroups = [
    { name: "l4", instanceType: "g6.12xlarge", minSize: 1, desiredSize: 1, maxSize: 1, diskSizeGiB: 500 },
    { name: "l40s", instanceType: "g6e.48xlarge", minSize: 2, desiredSize: 2, maxSize: 2, diskSizeGiB: 86 },
  ];
  many.models = [
    ...Array.from({ length: 11 }, (_, i) => ({ ...structuredClone(base), name: `m${String(i).padStart(2, "0")}`, servedModelName: `org/m${i}`, parametersBillions: 1, gpusPerReplica: 1, replicas: 1, versions: [{ name: "v1", weight: 100 }], loraAdapters: [], architecture: undefined })),
    { ...structuredClone(base), name: "zz", servedModelName: "org/zz", parametersBillions: 14, gpusPerReplica: 2, replicas: 2, versions: [{ name: "v1", weight: 100 }], loraAdapters: [], architecture: undefined },
  ];
  many.agents = [];
  many.gateways.agents = undefined;
  many.clusters[0].systemNodeGroup = { instanceType: "m6i.8xlarge", minSize: 2, desiredSize: 2, maxSize: 2 };
  const pins = parsePlatform(many, "dev").fits;
  assert.deepEqual(pins.get("zz")![0].fits.map((g) => g.nodeGroup.name), ["l4"]);
  assert.deepEqual(pins.get("m00")![0].fits.map((g) => g.nodeGroup.name), ["l40s"]);
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
      assert.match(err.message, /offers 20\.2 GiB usable/);
      return true;
    },
  );
});

test("a tensor-parallel size larger than any node is a config error", () => {
  const p = shippedPlatform("dev");
  p.models[0].gpusPerReplica = 2;
  assert.throws(() => parsePlatform(p, "dev"), /tensor-parallel size 2 exceeds the 1 GPUs per node of g6\.2xlarge/);
});

test("more replicas than the nodes at desired size hold is a config error naming the pending replicas and the nodes", () => {
  const p = shippedPlatform("dev");
  const groups = p.clusters[0].nodeGroups.filter((g: any) => g.instanceType.startsWith("g6."));
  const gpus = groups.reduce((n: number, g: any) => n + g.desiredSize, 0);
  p.models[0].replicas = gpus + 1;
  delete p.models[0].versions[0].replicas;
  delete p.models[0].versions[1].replicas;
  p.models[0].versions[1].weight = 5;
  assert.throws(
    () => parsePlatform(p, "dev"),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /clusters\[0\]\.nodeGroups: the GPU nodes of cluster 'dev-usw2' at desiredSize cannot hold every model replica placed there/);
      assert.match(err.message, /replica\(s\) of 'llama-3-1-8b' v\d \(1 × NVIDIA-L4, \d+ GiB disk\)/);
      assert.match(err.message, /GPU nodes: 'gpu-l4' \d+ × g6\.2xlarge \(1 GPUs/);
      return true;
    },
  );
});

test("a GPU group at desiredSize 0 adds nothing: a model that only fits there is pending, not placed", () => {
  const p = shippedPlatform("prod");
  const cluster = p.clusters.find((c: any) => c.name === "aws-use1");
  const h100 = cluster.nodeGroups.find((g: any) => g.instanceType === "p5.48xlarge");
  assert.ok(h100, "prod's aws-use1 has an H100 group");
  // Only the H100 group fits a 100B fp8 model at TP 8; at desiredSize 0 there is no node for it.
  p.models.push({ ...structuredClone(p.models.find((m: any) => m.server === "vllm")), name: "big", servedModelName: "org/big", parametersBillions: 100, dtype: "fp8", gpusPerReplica: 8, replicas: 1, loraAdapters: [], clusters: ["aws-use1"], versions: [{ name: "v1", weight: 100 }] });
  h100.minSize = 0;
  h100.desiredSize = 0;
  assert.throws(() => parsePlatform(p, "prod"), /cluster 'aws-use1' at desiredSize cannot hold .*'big' v1 \(8 × NVIDIA-H100-80GB-HBM3/);
});
