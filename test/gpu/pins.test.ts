/**
 * Per-model GPU pins (`models[].gpuTypes`, per cluster). The capacity check chooses one GPU type
 * per cluster for each model sharing types with another, from the whole fleet's demand on every
 * run, so a change to one model can move another model's fleet; a pinned model stays where its pin
 * puts it, its pods' node affinity follows the pin, and broken pins are refused with what to write.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform, PlatformSpec } from "../../infra/config";
import { clusterInferenceManifests } from "../../components/inference";
import { problemsOf } from "../support/config";
import { shippedPlatform } from "../support/render";

/** Per model, per cluster, the node groups its replicas may use (what the node affinity is made of). */
const placement = (spec: PlatformSpec) =>
  Object.fromEntries([...spec.fits].map(([model, perCluster]) => [model, Object.fromEntries(perCluster.map((f) => [f.cluster, f.fits.map((g) => g.nodeGroup.name)]))]));

/** qwen3-32b's canary scaled to 0, as the day-2 sweep did: only its demand changes. */
function scaleQwenCanaryToZero(platform: any): any {
  const qwen = platform.models.find((m: any) => m.name === "qwen3-32b");
  qwen.versions = [{ name: "v1", weight: 100 }, { name: "v2", weight: 0, canary: true, replicas: 0 }];
  return platform;
}

const unpinned = (platform: any): any => {
  for (const m of platform.models) delete m.gpuTypes;
  return platform;
};

const prodPlacement = {
  "llama-3-1-8b": { "aws-use1": ["gpu-h100"], "aws-euw1": ["gpu-a10g", "gpu-a10g-spot"], "gcp-usc1": ["gpu-a100"] },
  "qwen3-32b": { "aws-use1": ["gpu-l40s"], "gcp-usc1": ["gpu-a100"] },
};

test("prod's pins keep both fleets in place when qwen's canary is scaled to 0; unpinned, the same edit swaps them", () => {
  assert.deepEqual(placement(parsePlatform(shippedPlatform("prod"), "prod")), prodPlacement);
  assert.deepEqual(placement(parsePlatform(scaleQwenCanaryToZero(shippedPlatform("prod")), "prod")), prodPlacement);
  // Without gpuTypes the search chooses as it always did: the same placement for prod as it ships
  // (so the pins changed nothing there), and the swap the pins exist to prevent after the edit.
  assert.deepEqual(placement(parsePlatform(unpinned(shippedPlatform("prod")), "prod")), prodPlacement);
  const emptyPins = shippedPlatform("prod");
  for (const m of emptyPins.models) m.gpuTypes = {};
  assert.deepEqual(placement(parsePlatform(scaleQwenCanaryToZero(emptyPins), "prod")), placement(parsePlatform(unpinned(scaleQwenCanaryToZero(shippedPlatform("prod"))), "prod")), "no cluster pinned is no pin");
  const swapped = placement(parsePlatform(unpinned(scaleQwenCanaryToZero(shippedPlatform("prod"))), "prod"));
  assert.deepEqual([swapped["llama-3-1-8b"]["aws-use1"], swapped["qwen3-32b"]["aws-use1"]], [["gpu-l40s"], ["gpu-h100"]]);
});

test("the rendered node affinity of a pinned model is its pinned type, whatever the other model's demand", () => {
  const affinity = (spec: PlatformSpec, deployment: string) => {
    const d = (clusterInferenceManifests(spec, "aws-use1") as any[]).find((o) => o.kind === "Deployment" && o.metadata.name === deployment);
    return d.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
  };
  const h100 = [{ matchExpressions: [{ key: "nvidia.com/gpu.product", operator: "In", values: ["NVIDIA-H100-80GB-HBM3"] }] }];
  for (const platform of [shippedPlatform("prod"), scaleQwenCanaryToZero(shippedPlatform("prod"))]) {
    const spec = parsePlatform(platform, "prod");
    assert.deepEqual(affinity(spec, "llama-3-1-8b-v1"), h100);
    assert.deepEqual(affinity(spec, "qwen3-32b-v1"), [{ matchExpressions: [{ key: "nvidia.com/gpu.product", operator: "In", values: ["NVIDIA-L40S"] }] }]);
  }
});

/** dev's cluster with one 4-GPU L40S node and one 4-GPU L4 node, and two small models that fit either. */
function twoModelsTwoTypes(): any {
  const p = shippedPlatform("dev");
  p.clusters[0].nodeGroups = [
    { name: "l40s", instanceType: "g6e.12xlarge", minSize: 1, desiredSize: 1, maxSize: 1, diskSizeGiB: 176 },
    { name: "l4", instanceType: "g6.12xlarge", minSize: 1, desiredSize: 1, maxSize: 1, diskSizeGiB: 200 },
  ];
  const base = p.models[0];
  p.models = ["a", "b"].map((name) => ({ ...structuredClone(base), name, servedModelName: `org/${name}`, replicas: 3, versions: [{ name: "v1", weight: 100 }], loraAdapters: [] }));
  p.agents = [];
  p.gateways.agents = undefined;
  return p;
}

test("the search chooses around a pinned model: the unpinned one takes the type the pin leaves", () => {
  const free = placement(parsePlatform(twoModelsTwoTypes(), "dev"));
  assert.deepEqual(free, { a: { "dev-usw2": ["l4"] }, b: { "dev-usw2": ["l40s"] } }, "unpinned: the first product that fits, a (by name) first");
  const p = twoModelsTwoTypes();
  p.models[0].gpuTypes = { "dev-usw2": ["L40S"] };
  assert.deepEqual(placement(parsePlatform(p, "dev")), { a: { "dev-usw2": ["l40s"] }, b: { "dev-usw2": ["l4"] } });
  // A pin to several types no other model there may use keeps them all, as an unshared model does.
  const lone = twoModelsTwoTypes();
  lone.models = [{ ...lone.models[0], replicas: 6, gpuTypes: { "dev-usw2": ["L40S", "L4"] } }];
  assert.deepEqual(placement(parsePlatform(lone, "dev")), { a: { "dev-usw2": ["l40s", "l4"] } });
});

test("an unknown GPU type is refused with the catalog's names, and a product label or a lowercase name with the one meant", () => {
  const p = shippedPlatform("prod");
  p.models[0].gpuTypes = { "aws-use1": ["B200", "NVIDIA-L40S", "a10g"] };
  const known = "known: H100 (NVIDIA-H100-80GB-HBM3), H200 (NVIDIA-H200), A100_40 (NVIDIA-A100-SXM4-40GB), A100_80 (NVIDIA-A100-SXM4-80GB), L40S (NVIDIA-L40S), L4 (NVIDIA-L4), A10G (NVIDIA-A10G)";
  // The broken pin is the one problem: no capacity verdict computed without the model.
  assert.deepEqual(problemsOf(p), [
    `inference-mesh:platform.models[0].gpuTypes.aws-use1[0]: unknown GPU type 'B200'; ${known}`,
    `inference-mesh:platform.models[0].gpuTypes.aws-use1[1]: unknown GPU type 'NVIDIA-L40S' (write 'L40S'); ${known}`,
    `inference-mesh:platform.models[0].gpuTypes.aws-use1[2]: unknown GPU type 'a10g' (write 'A10G'); ${known}`,
  ]);
  const shapes = shippedPlatform("prod");
  shapes.models[0].gpuTypes = { "aws-use1": [] };
  shapes.models[1].gpuTypes = ["H100"]; // one list for the model: pins are per cluster
  assert.deepEqual(problemsOf(shapes), [
    "inference-mesh:platform.models[0].gpuTypes.aws-use1: lists at least one GPU type; leave the cluster out to let the GPU capacity check choose",
    "inference-mesh:platform.models[1].gpuTypes: must map clusters of the model to the GPU types it runs on there, such as { aws-use1: [H100] }, not a list",
  ]);
});

test("a pinned type a placement cluster does not run is refused naming the model, the cluster and the types it runs; a pin names the model's clusters", () => {
  const p = shippedPlatform("prod");
  p.models[1].gpuTypes = { "aws-use1": ["L40S"], "gcp-usc1": ["L40S", "H100"], "aws-euw1": ["A10G"] };
  assert.deepEqual(problemsOf(p), [
    "inference-mesh:platform.models[1].gpuTypes.aws-euw1: 'aws-euw1' is not among the clusters of model 'qwen3-32b' (aws-use1, gcp-usc1); pin GPU types on those",
    "inference-mesh:platform.models[1].gpuTypes.gcp-usc1: model 'qwen3-32b' is pinned to L40S, H100 on cluster 'gcp-usc1', which has no node group of those types: " +
      "its GPU node groups run A100_80; pin one of those, or add a node group of a pinned type",
  ]);
});

test("a pin on a type the cluster lacks is reported beside a field error of the model's size, which skips its fit", () => {
  const p = shippedPlatform("prod");
  p.models[0].gpusPerReplica = "one";
  p.models[0].gpuTypes = { "aws-use1": ["L4"] };
  assert.deepEqual(problemsOf(p), [
    "inference-mesh:platform.models[0].gpusPerReplica: must be a number, not the string 'one'",
    "inference-mesh:platform.models[0].gpuTypes.aws-use1: model 'llama-3-1-8b' is pinned to L4 on cluster 'aws-use1', which has no node group of that type: " +
      "its GPU node groups run H100, L40S; pin one of those, or add a node group of a pinned type",
  ]);
});

test("pins are per cluster: a GPU type added to another cluster gives a pinned model no choice there", () => {
  // A100_80 runs on gcp-usc1, where both prod models are placed; an A100 group on aws-use1 as well
  // leaves the aws-use1 pins as they are (one list for the model would have both allow it there).
  const p = shippedPlatform("prod");
  p.clusters.find((c: any) => c.name === "aws-use1").nodeGroups.push({ name: "gpu-a100", instanceType: "p4de.24xlarge", minSize: 0, desiredSize: 1, maxSize: 1 });
  assert.deepEqual(placement(parsePlatform(p, "prod")), prodPlacement);
});

test("pinned types that cannot hold the replicas are a capacity error naming the pinned model", () => {
  const p = shippedPlatform("prod");
  // Both on aws-use1's one H100 node: 3 × 1 + 3 × 2 GPUs of 8, 3 × 18 + 3 × 67 GiB of its 172.
  p.models[1].gpuTypes = { "aws-use1": ["H100"] };
  assert.deepEqual(problemsOf(p), [
    "inference-mesh:platform.clusters[0].nodeGroups: the GPU nodes of cluster 'aws-use1' at desiredSize cannot hold every model replica placed there (no autoscaler adds nodes): " +
      "1 of 1 replica(s) of 'qwen3-32b' v2 (2 × NVIDIA-H100-80GB-HBM3, 67 GiB disk); " +
      "1 of 1 replica(s) of 'llama-3-1-8b' v2 (1 × NVIDIA-H100-80GB-HBM3, 18 GiB disk) would stay Pending " +
      "('qwen3-32b' is pinned by its gpuTypes to H100 here; 'llama-3-1-8b' is pinned by its gpuTypes to H100 here); " +
      "GPU nodes: 'gpu-l40s' 2 × g6e.12xlarge (4 GPUs, 250 GiB disk), 'gpu-h100' 1 × p5.48xlarge (8 GPUs, 250 GiB disk). " +
      "Raise desiredSize (or diskSizeGiB) of a node group the model fits, or lower replicas, or pin another GPU type of this cluster in the pinned model's gpuTypes",
  ]);
  // A pin to a type the model does not fit says so with the pin.
  const small = shippedPlatform("prod");
  small.models[1].gpusPerReplica = 1;
  assert.match(problemsOf(small).join("\n"), /models\[1\]\.clusters\[0\]: model 'qwen3-32b' does not fit cluster 'aws-use1' \(its gpuTypes pin it to L40S there\): node group 'gpu-l40s' \(g6e\.12xlarge\): weights need 59\.6 GiB per GPU/);
});

test("a pin leaving a choice of types another model may use is refused; a simulator takes no pin; a type is listed once", () => {
  const p = shippedPlatform("prod");
  p.models[0].gpuTypes = { "aws-use1": ["H100", "L40S", "H100"] };
  assert.deepEqual(problemsOf(p), [
    "inference-mesh:platform.models[0].gpuTypes.aws-use1[2]: GPU type 'H100' listed twice",
    "inference-mesh:platform.models[0].gpuTypes.aws-use1: model 'llama-3-1-8b' is pinned to a choice of GPU types on cluster 'aws-use1' (H100, L40S), " +
      "and model 'qwen3-32b' (L40S) may also use them: the scheduler, placing pods in its own order, could give 'llama-3-1-8b' the nodes the other model needs; " +
      "pin one type there, or keep the other model off them with its own gpuTypes",
  ]);
  const local = shippedPlatform("local");
  local.models[0].gpuTypes = { [local.models[0].clusters[0]]: ["L4"] };
  assert.deepEqual(problemsOf(local), [
    `inference-mesh:platform.models[0].gpuTypes: pins vLLM replicas to GPU types, but model '${local.models[0].name}' runs server 'simulator', which takes no GPUs; remove gpuTypes`,
  ]);
});
