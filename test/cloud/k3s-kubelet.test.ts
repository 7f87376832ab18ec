/**
 * The k3s nodes' kubelet flags: k3s keeps no memory eviction threshold and reserves nothing, so the
 * startup scripts pass `kubelet-arg` entries that restore `memory.available<100Mi` (keeping k3s's
 * disk thresholds) and, on GPU agents, reserve the kube-reserved the vLLM pod budget assumes.
 * Checked on the prod render's own scripts: the config step is run by bash into a temp dir, and
 * the file it writes goes through what k3s and the kubelet make of it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import * as yaml from "js-yaml";
import { renderShipped } from "../support/render";
import { reveal } from "../support/secrets";
import { tempDir } from "../support/tmp";
import { gpuInstanceTypes, lookupGpuInstance, GpuCapacity } from "../../components/gpu/catalog";
import { evictionHardMemoryMiB, kubeReservedCpuMilli, kubeReservedMemoryMiB, memTotalEstimateMiB, nodeAgentsReserve, podBudget } from "../../components/gpu/host";
import { k3sKubeletArgs } from "../../components/cloud/gcp/kubelet";
import { k3sAgentStartupScript, k3sServerStartupScript } from "../../components/cloud/gcp/startup";

/** k3s's kubelet drop-in (pkg/daemons/agent defaultKubeletConfig): disk thresholds only, nothing reserved. */
const k3sDropIn = { evictionHard: { "imagefs.available": "5%", "nodefs.available": "5%" }, kubeReserved: {}, systemReserved: {} };

/**
 * The kubelet's maps once k3s has passed the config file's `kubelet-arg` entries as flags: each
 * entry becomes `--<entry>`, repeated keys repeated (k3s pkg/util GetArgs); a map flag's first value
 * on the command line clears the map the config drop-ins set and later values add to it
 * (component-base cli/flag MapStringString, LangleSeparatedMapStringString), and flags override
 * the drop-ins.
 */
function kubeletMaps(kubeletArgs: string[]) {
  const maps: Record<string, Record<string, string>> = structuredClone(k3sDropIn);
  const flagMaps: Record<string, [keyof typeof k3sDropIn, string]> = { "eviction-hard": ["evictionHard", "<"], "kube-reserved": ["kubeReserved", "="], "system-reserved": ["systemReserved", "="] };
  const cleared = new Set<string>();
  for (const arg of kubeletArgs) {
    const [flag, value] = [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)];
    const [field, sep] = flagMaps[flag] ?? assert.fail(`unexpected kubelet flag ${flag}`);
    if (!cleared.has(field)) (maps[field] = {}), cleared.add(field);
    for (const pair of value.split(",")) maps[field][pair.slice(0, pair.indexOf(sep))] = pair.slice(pair.indexOf(sep) + 1);
  }
  return maps;
}

const quantity = (q: string, unit: "m" | "Mi") => (q.endsWith(unit) ? Number(q.slice(0, -unit.length)) : assert.fail(`${q} is not in ${unit}`));

/** Node allocatable as the kubelet computes it (capacity less kube-reserved, system-reserved and the memory threshold), with MemTotal as host.ts estimates it. */
function allocatable(capacity: GpuCapacity, kubeletArgs: string[]) {
  const m = kubeletMaps(kubeletArgs);
  const sum = (quantities: (string | undefined)[], unit: "m" | "Mi") => quantities.reduce((s, q) => s + (q ? quantity(q, unit) : 0), 0);
  return {
    cpuMilli: capacity.vcpus * 1000 - sum([m.kubeReserved.cpu, m.systemReserved.cpu], "m"),
    memoryMiB: memTotalEstimateMiB(capacity) - sum([m.kubeReserved.memory, m.systemReserved.memory, m.evictionHard["memory.available"]], "Mi"),
  };
}

/** Runs a startup script's config step with bash, /etc/rancher/k3s moved into a temp dir; the config.yaml it wrote. */
function writtenConfig(script: string): Record<string, any> {
  const step = /install -d -m 0755 \/etc\/rancher\/k3s\n[\s\S]*?\n(IM_EOF_*)\n/.exec(script);
  assert.ok(step, "the script writes /etc/rancher/k3s/config.yaml");
  const dir = tempDir("im-k3s-config-");
  const r = spawnSync("bash", ["-euo", "pipefail", "-c", step[0].replaceAll("/etc/rancher/k3s", dir)], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return yaml.load(fs.readFileSync(path.join(dir, "config.yaml"), "utf8")) as Record<string, any>;
}

test("k3s kubelet args: every node keeps k3s's disk thresholds and gets memory.available<100Mi back; only GPU agents reserve", () => {
  const a100 = lookupGpuInstance("a2-ultragpu-4g")!;
  assert.deepEqual(kubeletMaps(k3sKubeletArgs()), { ...k3sDropIn, evictionHard: { ...k3sDropIn.evictionHard, "memory.available": "100Mi" } });
  assert.deepEqual(kubeletMaps(k3sKubeletArgs(a100)).kubeReserved, { cpu: `${kubeReservedCpuMilli(48)}m`, memory: `${kubeReservedMemoryMiB(110)}Mi` });
  assert.deepEqual(kubeletMaps(k3sKubeletArgs(a100)).evictionHard, kubeletMaps(k3sKubeletArgs()).evictionHard);
  // One key an entry: nothing for a comma-splitting CLI layer to cut.
  assert.ok(k3sKubeletArgs(a100).every((a) => !a.includes(",")));
  // The flag's first value replaces k3s's map: restating only memory would drop the disk thresholds.
  assert.deepEqual(kubeletMaps(["eviction-hard=memory.available<100Mi"]).evictionHard, { "memory.available": "100Mi" });
});

test("k3s GPU agents: allocatable is the vLLM pod budget plus the node agents' allowance, on every GCE GPU type", () => {
  for (const type of Object.keys(gpuInstanceTypes).filter((t) => gpuInstanceTypes[t].cloud === "gcp")) {
    const c = lookupGpuInstance(type)!;
    const budget = podBudget(c);
    const a = allocatable(c, k3sKubeletArgs(c));
    // Replicas fill at most the budget; the node agents' allowance is left; nothing beyond it.
    assert.deepEqual([a.cpuMilli - budget.cpuMilli, a.memoryMiB - budget.memoryMiB], [nodeAgentsReserve.cpuMilli, nodeAgentsReserve.memoryMiB], type);
  }
  // Without the flags the kubelet would advertise the whole host: the room the budget keeps for
  // the kubelet, containerd and the OS would be open to pods.
  const c = lookupGpuInstance("a2-ultragpu-4g")!;
  assert.equal(allocatable(c, []).cpuMilli, 48000);
  assert.ok(allocatable(c, k3sKubeletArgs(c)).memoryMiB < allocatable(c, []).memoryMiB - evictionHardMemoryMiB);
});

test("prod: the rendered k3s scripts write the kubelet args, and a full GPU agent of vLLM replicas fits its allocatable", () => {
  const r = renderShipped("prod");
  const templates = r.ofType("gcp:compute/instanceTemplate:InstanceTemplate");
  const script = (group: string) => String(reveal((templates.find((t) => t.urn.endsWith(`::gcp-usc1-${group}-template`))!.inputs as any).metadataStartupScript));
  const gpu = writtenConfig(script("gpu-a100"));
  const a100 = lookupGpuInstance("a2-ultragpu-4g")!;
  assert.deepEqual(gpu["kubelet-arg"], k3sKubeletArgs(a100));
  const alloc = allocatable(a100, gpu["kubelet-arg"]);
  const servers = (r.objects("gcp-usc1") as any[]).filter((o) => o.kind === "Deployment" && o.spec.template.spec.containers[0].name === "vllm");
  assert.ok(servers.length > 0);
  for (const d of servers) {
    const { requests } = d.spec.template.spec.containers[0].resources;
    const perNode = a100.gpusPerNode / Number(requests["nvidia.com/gpu"]);
    // Whatever replicas the capacity check packs onto one node, with the node agents beside them.
    assert.ok(perNode * quantity(requests.cpu, "m") + nodeAgentsReserve.cpuMilli <= alloc.cpuMilli, `${d.metadata.name}: cpu`);
    assert.ok(perNode * quantity(requests.memory, "Mi") + nodeAgentsReserve.memoryMiB <= alloc.memoryMiB, `${d.metadata.name}: memory`);
  }
  // The CPU agents and the untainted server run workloads too: the memory threshold, no reservation.
  const server = String(reveal((r.ofType("gcp:compute/instance:Instance")[0].inputs as any).metadata["startup-script"]));
  for (const config of [writtenConfig(script("cpu")), writtenConfig(server)]) assert.deepEqual(config["kubelet-arg"], k3sKubeletArgs());
});

test("the scripts' kubelet args default to the eviction thresholds, and are written as given", () => {
  const agent = { k3sVersion: "v1.33.5+k3s1", token: "t", serverUrl: "https://10.12.0.10:6443", nodeLabels: {}, nodeTaints: [] };
  assert.deepEqual(writtenConfig(k3sAgentStartupScript(agent))["kubelet-arg"], k3sKubeletArgs());
  assert.deepEqual(writtenConfig(k3sAgentStartupScript({ ...agent, kubeletArgs: ["kube-reserved=cpu=1m"] }))["kubelet-arg"], ["kube-reserved=cpu=1m"]);
  const server = k3sServerStartupScript({ k3sVersion: "v1.33.5+k3s1", token: "t", internalIp: "10.12.0.10", externalIp: "34.1.2.3", caFiles: [], nodeLabels: {} });
  assert.deepEqual(writtenConfig(server)["kubelet-arg"], k3sKubeletArgs());
});
