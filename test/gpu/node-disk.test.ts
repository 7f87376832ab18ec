/**
 * Node disk: a replica's weights (its ephemeral-storage request) must fit what the node's disk
 * leaves pods after the share the kubelet keeps free and the OS, logs and images, which hold the
 * vLLM image as the cloud's containerd stores it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fitOnNodeGroup, modelStorageGiB, nodeDiskReserveGiB, osDiskGiB, vllmImageGiB } from "../../components/gpu/fit";
import { gpuNodes } from "../../components/gpu/placement";
import { parsePlatform } from "../../infra/config";
import { defaultVersions } from "../../infra/versions";
import { problemsOf } from "../support/config";
import { shippedPlatform } from "../support/render";
import { group, model, opts } from "./support";

test("a replica's weights must fit the node disk after the OS and images", () => {
  // 70B bf16 = 130.4 GiB of weights → 145 GiB of ephemeral storage per replica.
  const big = model({ parametersBillions: 70, gpusPerReplica: 8 });
  assert.equal(modelStorageGiB(big), 145);
  assert.deepEqual(fitOnNodeGroup(big, { ...group("p5.48xlarge"), diskSizeGiB: 220 }, opts)!.problems, []);
  assert.deepEqual(fitOnNodeGroup(big, { ...group("p5.48xlarge"), diskSizeGiB: 200 }, opts)!.problems, [
    "a replica downloads 145 GiB of weights into ephemeral storage but a 200 GiB node disk (diskSizeGiB) leaves 127 GiB after the 10% the kubelet keeps free (it evicts pods below that) and 53 GiB for the OS, logs and images (the vLLM image alone takes 26.6 GiB unpacked; raise diskSizeGiB)",
  ]);
});

test("the OS and images take the vLLM image as containerd stores it: unpacked, and on k3s its compressed blobs too", () => {
  // ~10 GiB is the image's compressed size; unpacked it is about 2.4 times that.
  assert.ok(vllmImageGiB.unpacked > 2 * vllmImageGiB.compressed && vllmImageGiB.compressed > 10);
  // EKS discards the blobs after unpacking (nodeadm's discard_unpacked_layers); k3s keeps them.
  assert.ok(nodeDiskReserveGiB("aws") >= osDiskGiB.aws + vllmImageGiB.unpacked);
  assert.ok(nodeDiskReserveGiB("gcp") >= osDiskGiB.gcp + vllmImageGiB.unpacked + vllmImageGiB.compressed);
  // An 8B bf16 replica (18 GiB) on a 60 GiB EKS disk: 54 − 30 = 24 GiB passed, but the 20 GiB AMI
  // root and the unpacked image leave under 8 GiB of the 54 before eviction: the pod is evicted.
  const small = model();
  assert.equal(modelStorageGiB(small), 18);
  assert.match(fitOnNodeGroup(small, { ...group("g6.2xlarge"), diskSizeGiB: 60 }, opts)!.problems.join(), /leaves 1 GiB after the 10% .* 53 GiB for the OS, logs and images/);
  assert.deepEqual(fitOnNodeGroup(small, { ...group("g6.2xlarge"), diskSizeGiB: 80 }, opts)!.problems, []);
  // On k3s, where the compressed blobs stay as well, 70 GiB (66 before eviction) is too little.
  assert.match(fitOnNodeGroup(small, { ...group("g2-standard-4"), diskSizeGiB: 70 }, opts)!.problems.join(), /leaves 10 GiB after the 5% .* 56 GiB for the OS/);
});

test("the disk the kubelet keeps free (nodefs.available) is not room for weights: 10% on EKS, 5% on k3s", () => {
  // EKS AL2023 (nodeadm): evictionHard nodefs.available 10%, kubeReserved ephemeral-storage 1Gi.
  // Llama 3.1 405B bf16 on p5e (H200) with a 900 GiB disk: 831 GiB of weights. 900 − 30 = 870
  // once passed, but the node's allocatable ephemeral-storage is 0.9 × 900 − 1 = 809 GiB, so the
  // pod stayed Pending (and the weights would leave the disk under 10% free: eviction).
  const huge = model({ parametersBillions: 405, gpusPerReplica: 8, maxModelLen: 8192 });
  assert.equal(modelStorageGiB(huge), 831);
  assert.deepEqual(fitOnNodeGroup(huge, { ...group("p5e.48xlarge"), diskSizeGiB: 900 }, opts)!.problems, [
    "a replica downloads 831 GiB of weights into ephemeral storage but a 900 GiB node disk (diskSizeGiB) leaves 757 GiB after the 10% the kubelet keeps free (it evicts pods below that) and 53 GiB for the OS, logs and images (the vLLM image alone takes 26.6 GiB unpacked; raise diskSizeGiB)",
  ]);
  assert.deepEqual(fitOnNodeGroup(huge, { ...group("p5e.48xlarge"), diskSizeGiB: 990 }, opts)!.problems, []);
  assert.equal(gpuNodes([{ ...group("p5e.48xlarge", 1), diskSizeGiB: 900 }])[0].storageGiB, 757);
  // k3s agents (GCP) evict below 5% free.
  const big = model({ parametersBillions: 70, gpusPerReplica: 8 });
  assert.match(fitOnNodeGroup(big, { ...group("a2-ultragpu-8g"), diskSizeGiB: 200 }, opts)!.problems.join(), /leaves 134 GiB after the 5% the kubelet keeps free .* and 56 GiB for the OS/);
  assert.deepEqual(fitOnNodeGroup(big, { ...group("a2-ultragpu-8g"), diskSizeGiB: 212 }, opts)!.problems, []);
  assert.equal(gpuNodes([{ ...group("a2-ultragpu-8g", 1), diskSizeGiB: 200 }])[0].storageGiB, 134);
});

test("a canary on a vLLM image of its own puts a second image on the nodes it shares with the stable version", () => {
  // dev's model on one 4-GPU L40S node: 2 stable replicas and a canary, 3 × 18 GiB of weights.
  const dev = (canaryImage: string | undefined, nodeGroup: object) => {
    const p = shippedPlatform("dev");
    p.clusters[0].nodeGroups = [{ name: "gpu", minSize: 1, maxSize: 3, ...nodeGroup }];
    Object.assign(p.models[0], { replicas: 2 });
    p.models[0].versions[1] = { ...p.models[0].versions[1], replicas: 1, ...(canaryImage ? { image: canaryImage } : {}) };
    return p;
  };
  const l40s = { instanceType: "g6e.12xlarge", desiredSize: 1, diskSizeGiB: 130 };
  // 130 GiB leaves 64 for pods under one image (53 GiB reserved), 37 under two (80).
  assert.doesNotThrow(() => parsePlatform(dev(undefined, l40s), "dev"));
  assert.doesNotThrow(() => parsePlatform(dev(defaultVersions.vllmImage, l40s), "dev"), "the default image named again is one image");
  const problems = problemsOf(dev("vllm/vllm-openai:v0.20.0", l40s));
  assert.equal(problems.length, 1);
  assert.match(problems[0], /replica\(s\) of 'llama-3-1-8b' v2 .* would stay Pending; GPU nodes: 'gpu' 1 × g6e\.12xlarge \(4 GPUs, 130 GiB disk holding 2 vLLM images\)/);
  assert.equal(nodeDiskReserveGiB("aws", 2), 80);
  // One-GPU nodes run one replica, so one image, each.
  assert.doesNotThrow(() => parsePlatform(dev("vllm/vllm-openai:v0.20.0", { instanceType: "g6.2xlarge", desiredSize: 3, diskSizeGiB: 90 }), "dev"));
});
