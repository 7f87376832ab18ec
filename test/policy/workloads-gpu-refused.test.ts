/**
 * gpu-scheduling on GPU settings an API refuses outright: a GPU count that is not a whole number
 * (Kubernetes validates integer resources), and a GCE VM with GPUs set to live-migrate (Compute
 * Engine stops GPU VMs for host maintenance and refuses MIGRATE).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { gpuScheduling } from "../../policy/rules/gpu-scheduling";
import { runResource } from "../support/policy";
import { deployment, gpuToleration } from "./workloads-support";

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
