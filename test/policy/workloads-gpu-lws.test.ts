/**
 * Policy tests for LeaderWorkerSets (multi-node vLLM over Ray, kubernetes-sigs/lws v0.10.0
 * leaderworkerset.x-k8s.io/v1): their leader and worker templates are held to gpu-scheduling as a
 * Deployment's pod template is, and their GPU requests make gpu-device-plugin judge the cluster.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { gpuScheduling } from "../../policy/rules/gpu-scheduling";
import { gpuDevicePlugin } from "../../policy/rules/gpu-device-plugin";
import { k8sProvider, runResource, runStack, stackResource, UNKNOWN } from "../support/policy";
import { messages, provider } from "./mesh-support";
import { gpuToleration } from "./workloads-support";

const LWS = "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet";
const pod = (gpus: number, tolerations: unknown[] = [gpuToleration], args: string[] = []) => ({
  spec: { tolerations, containers: [{ name: "vllm", image: "vllm/vllm-openai:v0.21.0", args, resources: { limits: { "nvidia.com/gpu": gpus } } }] },
});
/** The shape of lws's docs/examples/vllm/GPU/lws.yaml: a leader running vLLM over Ray, size − 1 workers. */
const lws = (template: Record<string, unknown>) => ({ type: LWS, props: { metadata: { name: "vllm-405b", namespace: "inference" }, spec: { replicas: 1, leaderWorkerTemplate: template } } });
const serve = ["vllm", "serve", "meta-llama/Llama-3.1-405B-Instruct", "--tensor-parallel-size", "8", "--pipeline-parallel-size", "2"];

test("gpu-scheduling: a LeaderWorkerSet's leader and worker templates are judged as a Deployment's pod template", async () => {
  // Before: a LeaderWorkerSet was no workload, so each of these passed.
  const untolerated = await runResource(gpuScheduling, lws({ size: 2, leaderTemplate: pod(8, [], serve), workerTemplate: pod(8, []) }), null);
  assert.deepEqual(untolerated.violations.map((v) => v.message), [
    "LeaderWorkerSet inference/vllm-405b leaderTemplate uses GPUs but does not tolerate the nvidia.com/gpu=present:NoSchedule taint, so it cannot schedule on GPU nodes",
    "LeaderWorkerSet inference/vllm-405b workerTemplate uses GPUs but does not tolerate the nvidia.com/gpu=present:NoSchedule taint, so it cannot schedule on GPU nodes",
  ]);
  // Without a leader template the leader is made from the worker's: one template to judge.
  const requestOnly = { spec: { tolerations: [gpuToleration], containers: [{ name: "w", image: "vllm/vllm-openai:v0.21.0", resources: { requests: { "nvidia.com/gpu": 8 } } }] } };
  assert.deepEqual((await runResource(gpuScheduling, lws({ size: 2, workerTemplate: requestOnly }))).violations.map((v) => v.message), [
    'LeaderWorkerSet inference/vllm-405b workerTemplate container w requests nvidia.com/gpu without a limit; set resources.limits["nvidia.com/gpu"]',
  ]);
  const squatter = { spec: { tolerations: [gpuToleration], containers: [{ name: "proxy", image: "envoy:v1" }] } };
  assert.match((await runResource(gpuScheduling, lws({ size: 2, leaderTemplate: squatter, workerTemplate: pod(8) }))).violations[0]?.message ?? "", /leaderTemplate requests no GPU but tolerates the nvidia\.com\/gpu taint/);
});

test("gpu-scheduling: vLLM in a LeaderWorkerSet is held to its group's GPUs (Ray spans the pods), not its own pod's", async () => {
  // tp 8 × pp 2 over a leader and a worker of 8 GPUs each: 16, correct (a Deployment of 8 would fail).
  assert.deepEqual((await runResource(gpuScheduling, lws({ size: 2, leaderTemplate: pod(8, [gpuToleration], serve), workerTemplate: pod(8) }))).violations, []);
  assert.deepEqual((await runResource(gpuScheduling, lws({ size: 2, workerTemplate: pod(8, [gpuToleration], serve) }))).violations, []);
  // size left to its default of 1: the group is the leader alone.
  const alone = await runResource(gpuScheduling, lws({ leaderTemplate: pod(8, [gpuToleration], serve), workerTemplate: pod(8) }));
  assert.deepEqual(alone.violations.map((v) => v.message), [
    "LeaderWorkerSet inference/vllm-405b leaderTemplate container vllm runs vLLM with tensor-parallel size 8 × pipeline-parallel size 2, which takes 16 GPUs, but its LeaderWorkerSet's group of 1 pod holds 8 nvidia.com/gpu: vLLM waits for Ray to find the other GPUs and never starts; raise leaderWorkerTemplate.size or the pods' GPU limits, or lower the parallel sizes",
  ]);
  const unknownSize = await runResource(gpuScheduling, lws({ size: UNKNOWN, leaderTemplate: pod(8, [gpuToleration], serve), workerTemplate: pod(8) }));
  assert.deepEqual(unknownSize.violations, []);
  assert.match(unknownSize.unknown.join("\n"), /the GPUs of the group LeaderWorkerSet inference\/vllm-405b leaderTemplate runs vLLM in/);
});

test("gpu-device-plugin: a LeaderWorkerSet requesting GPUs makes the cluster need the device plugin", async () => {
  const gpuGroup = stackResource({ type: "aws:eks/nodeGroup:NodeGroup", name: "a-gpu", provider: null, props: { labels: { "nvidia.com/gpu.present": "true" }, instanceTypes: ["p5.48xlarge"], taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }] } });
  const set = lws({ size: 2, leaderTemplate: pod(8, [gpuToleration], serve), workerTemplate: pod(8) });
  const onA = stackResource({ type: set.type, name: "a-vllm-405b", props: set.props, provider: k8sProvider("a") });
  // Before: its GPU requests went unseen, so a GPU cluster with no device plugin passed.
  const missing = await runStack(gpuDevicePlugin, [provider("a"), gpuGroup, onA]);
  assert.equal(missing.violations.length, 1);
  assert.match(messages(missing)[0], /^cluster a: LeaderWorkerSet inference\/vllm-405b requests nvidia\.com\/gpu, but it installs no NVIDIA device plugin/);
  const plugin = stackResource({ type: "kubernetes:helm.sh/v3:Release", name: "a-nvidia-device-plugin", provider: k8sProvider("a"), props: { name: "nvidia-device-plugin", chart: "nvidia-device-plugin", namespace: "kube-system", values: {} } });
  assert.deepEqual((await runStack(gpuDevicePlugin, [provider("a"), gpuGroup, onA, plugin])).violations, []);
});
