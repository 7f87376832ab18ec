/**
 * gpu-scheduling on GPU settings an API refuses outright: a GPU count that is not a whole number
 * (Kubernetes validates integer resources), a toleration Kubernetes' validateTolerations refuses,
 * and a GCE VM with GPUs set to live-migrate (Compute Engine stops GPU VMs for host maintenance
 * and refuses MIGRATE), and a vLLM server whose `--gpu-memory-utilization` its CacheConfig refuses.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { gpuScheduling } from "../../policy/rules/gpu-scheduling";
import { runResource } from "../support/policy";
import { deployment, gpuToleration, helmRelease } from "./workloads-support";

// Before, "1.5" counted as a GPU workload (tolerating the taint, limit = request) and passed; "500m"
// passed too outside vLLM, whose --tensor-parallel-size alone gave it away.
test("gpu-scheduling: a GPU limit or request that is not a whole number is refused by the API server", async () => {
  const pod = (limits: unknown, requests: unknown = limits) => deployment("worker", { tolerations: [gpuToleration], containers: [{ name: "w", image: "w:v1", resources: { limits: { "nvidia.com/gpu": limits }, requests: { "nvidia.com/gpu": requests } } }] });
  const ok = await runResource(gpuScheduling, [pod("1000m"), pod(2, "2"), pod("1e0")]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(gpuScheduling, [pod("1.5"), pod("500m"), pod(1, 0.5)]);
  assert.deepEqual(bad.violations.map((v) => v.message.split(": the API")[0]), [
    "Deployment inference/worker container w limits nvidia.com/gpu to 1.5 and requests 1.5, which is not a whole number",
    "Deployment inference/worker container w limits nvidia.com/gpu to 500m and requests 500m, which is not a whole number",
    "Deployment inference/worker container w limits nvidia.com/gpu to 1 and requests 0.5, which is not a whole number",
  ]);
  assert.match(bad.violations[0].message, /the API server refuses the pod \(an extended resource takes whole units only\)/);
});

// Before, a GPU pod whose toleration lost its key read as "does not tolerate", and a toleration of the
// GPU key with tolerationSeconds beside NoSchedule, with a key or value Kubernetes does not take as a
// label's, or with operator Lt passed: validateTolerations (Kubernetes 1.33) refuses each, so the pod
// is never created.
test("gpu-scheduling: a toleration validateTolerations refuses (empty key without Exists, tolerationSeconds without NoExecute, a bad key or value, Lt) is reported as refused", async () => {
  const gpuPod = (name: string, tolerations: unknown[]) => deployment(name, { tolerations, containers: [{ name: "vllm", image: "vllm/vllm-openai:v0.21.0", resources: { limits: { "nvidia.com/gpu": 1 } } }] });
  const cpuPod = (name: string, tolerations: unknown[]) => deployment(name, { tolerations, containers: [{ name: "w", image: "w:v1" }] });
  const ok = await runResource(gpuScheduling, [
    gpuPod("evicted-late", [gpuToleration, { key: "nvidia.com/gpu", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }, { operator: "Exists", effect: "NoExecute", tolerationSeconds: null }]),
    gpuPod("equal", [{ key: "nvidia.com/gpu", operator: "Equal", value: "present", effect: "NoSchedule" }]),
    cpuPod("other-key", [{ key: "example.com/zone", value: "not a label value" }, { key: "dedicated", operator: "Equal", effect: "NoSchedule", tolerationSeconds: 5 }]),
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(gpuScheduling, [
    gpuPod("keyless", [{ operator: "Equal", effect: "NoSchedule" }]),
    cpuPod("bare", [{ effect: "NoSchedule" }]),
    gpuPod("seconds", [{ ...gpuToleration, tolerationSeconds: 300 }]),
    gpuPod("seconds-any-effect", [{ key: "nvidia.com/gpu", operator: "Exists", tolerationSeconds: 0 }]),
    gpuPod("taint-as-key", [gpuToleration, { key: "nvidia.com/gpu=present:NoSchedule", operator: "Exists" }]),
    gpuPod("bad-value", [{ key: "nvidia.com/gpu", operator: "Equal", value: "present!", effect: "NoSchedule" }, { key: "nvidia.com/gpu", value: "p".repeat(64) }, gpuToleration]),
    gpuPod("lt", [gpuToleration, { key: "nvidia.com/gpu", operator: "Lt", value: "5" }]),
    helmRelease("ztunnel", { tolerations: [{ operator: "Exists", effect: "NoSchedule", tolerationSeconds: 30 }] }),
  ], null);
  assert.deepEqual(bad.violations.map((v) => v.message.replace(/: the API server refuses the .*$/, "")), [
    "Deployment inference/keyless: tolerations[0] has no key, with operator Equal, which Kubernetes takes only with operator Exists (an empty key matches every key and value)",
    "Deployment inference/bare: tolerations[0] has no key, with no operator (Equal), which Kubernetes takes only with operator Exists (an empty key matches every key and value)",
    "Deployment inference/seconds: tolerations[0] sets tolerationSeconds 300 with effect NoSchedule, which Kubernetes takes only with effect NoExecute",
    "Deployment inference/seconds-any-effect: tolerations[0] sets tolerationSeconds 0 with no effect, which Kubernetes takes only with effect NoExecute",
    'Deployment inference/taint-as-key: tolerations[1] key "nvidia.com/gpu=present:NoSchedule" is not a qualified name, as Kubernetes takes a key (an optional DNS subdomain and /, then at most 63 letters, digits, -, _ or ., beginning and ending with a letter or digit)',
    'Deployment inference/bad-value: tolerations[0] value "present!" is not a label value, as Kubernetes takes one with operator Equal (at most 63 letters, digits, -, _ or ., beginning and ending with a letter or digit)',
    `Deployment inference/bad-value: tolerations[1] value "${"p".repeat(64)}" is not a label value, as Kubernetes takes one with operator Equal (at most 63 letters, digits, -, _ or ., beginning and ending with a letter or digit)`,
    'Deployment inference/lt: tolerations[1] operator "Lt" is not one Kubernetes knows (Equal or Exists)',
    "Helm release istio-system/ztunnel (chart ztunnel): values.tolerations[0] sets tolerationSeconds 30 with effect NoSchedule, which Kubernetes takes only with effect NoExecute",
  ]);
  assert.match(bad.violations[0].message, /: the API server refuses the pod$/, "refused, not \"does not tolerate\"");
});

// Before, only the GPU VM's taint was judged: a template set to MIGRATE (or left to the default,
// MIGRATE for a standard VM) passed, and Compute Engine refuses to create its VMs.
test("gpu-scheduling: a GCE VM with NVIDIA GPUs stops for host maintenance (onHostMaintenance TERMINATE)", async () => {
  const vm = (name: string, scheduling: unknown, props: Record<string, unknown> = {}) => ({ type: "gcp:compute/instanceTemplate:InstanceTemplate", name, props: { machineType: "a2-ultragpu-4g", scheduling, ...props }, provider: null });
  const t4 = { machineType: "n1-standard-8", guestAccelerators: [{ type: "nvidia-tesla-t4", count: 1 }] };
  const ok = await runResource(gpuScheduling, [
    vm("terminate", { onHostMaintenance: "TERMINATE", automaticRestart: true }),
    vm("spot", { provisioningModel: "SPOT", automaticRestart: false, preemptible: true }),
    vm("preemptible", { preemptible: true }),
    vm("cpu", { onHostMaintenance: "MIGRATE" }, { machineType: "e2-standard-8", guestAccelerators: [] }),
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(gpuScheduling, [vm("migrate", { onHostMaintenance: "MIGRATE" }), vm("t4", undefined, t4), vm("zonal", { onHostMaintenance: "MIGRATE" }, { machineType: "zones/us-central1-a/machineTypes/g2-standard-8" })]);
  assert.deepEqual(bad.violations.map((v) => v.message.split(": Compute")[0]), [
    "InstanceTemplate migrate has NVIDIA GPUs (machine type a2-ultragpu-4g) but scheduling.onHostMaintenance is MIGRATE",
    "InstanceTemplate t4 has NVIDIA GPUs (accelerator nvidia-tesla-t4) but scheduling.onHostMaintenance is not set (MIGRATE, the default for a standard VM)",
    "InstanceTemplate zonal has NVIDIA GPUs (machine type g2-standard-8) but scheduling.onHostMaintenance is MIGRATE",
  ]);
  assert.match(bad.violations[0].message, /Compute Engine cannot live-migrate a VM with GPUs and refuses to create it \("Instances with guest accelerators do not support live migration"\); set scheduling\.onHostMaintenance: "TERMINATE"$/);
});

// vLLM v0.21.0 vllm/config/cache.py CacheConfig: gpu_memory_utilization is a pydantic Field(gt=0, le=1),
// validated when EngineArgs builds the engine config at startup. Before, 1.5 and 0 passed.
test("gpu-scheduling: a vLLM server's --gpu-memory-utilization outside (0, 1] is refused by vLLM at startup", async () => {
  const server = (args: string[]) =>
    deployment("vllm", { tolerations: [gpuToleration], containers: [{ name: "vllm", image: "vllm/vllm-openai:v0.21.0", command: ["python3", "-m", "vllm.entrypoints.openai.api_server"], args, resources: { limits: { "nvidia.com/gpu": 1 } } }] });
  for (const args of [["--gpu-memory-utilization", "0.9"], ["--gpu-memory-utilization=1"], ["--gpu_memory_utilization", "0.5"], []]) {
    assert.deepEqual((await runResource(gpuScheduling, server(args))).violations, [], args.join(" "));
  }
  const bad = await runResource(gpuScheduling, [server(["--gpu-memory-utilization", "1.5"]), server(["--gpu_memory_utilization=0"]), server(["--gpu-memory-utilization", "0.9", "--gpu-memory-utilization", "-0.2"])]);
  assert.deepEqual(bad.violations.map((v) => v.message.split(",")[0]), [
    "Deployment inference/vllm container vllm runs vLLM with --gpu-memory-utilization 1.5",
    "Deployment inference/vllm container vllm runs vLLM with --gpu-memory-utilization 0",
    "Deployment inference/vllm container vllm runs vLLM with --gpu-memory-utilization -0.2",
  ]);
  assert.match(bad.violations[0].message, /CrashLoopBackOff/);
  // The simulator's flag of the same name is not vLLM's to judge.
  const sim = deployment("sim", { containers: [{ name: "vllm-sim", image: "ghcr.io/llm-d/llm-d-inference-sim:v0.10.2", args: ["--gpu-memory-utilization", "1.5"] }] });
  assert.deepEqual((await runResource(gpuScheduling, sim)).violations, []);
});
