/**
 * k3s on GCP as plain data: GPU agent templates, the startup scripts (CA files before k3s first
 * starts, pinned k3s, join token, GPU labels and taints, NVIDIA driver and toolkit), and the
 * client-certificate kubeconfig. Firewall sources and the server's address: gcp-network.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as yaml from "js-yaml";
import { parsePlatform } from "../../infra/config";
import { renderShipped, shippedPlatform } from "../support/render";
import { tempDir } from "../support/tmp";
import { agentPlan } from "../../components/cloud/gcp/k3s";
import { machineTypesQuery, zoneMachineTypeProblem } from "../../components/cloud/gcp/zones";
import { k3sAgentStartupScript, k3sCaFiles, k3sCaNames, k3sServerStartupScript, k3sTlsDir } from "../../components/cloud/gcp/startup";
import { retryFunction } from "../../components/cloud/gcp/shell";
import { certKubeconfig } from "../../components/cloud/kubeconfig";
import { gceBootDiskType, gceNeedsFabricManager, isArmMachineType, isGpuFamily } from "../../components/cloud/machine-types";
import { devicePluginValues } from "../../components/gpu/device-plugin";
import { prod } from "./gcp-support";

/** The YAML written to /etc/rancher/k3s/config.yaml by a startup script. */
function k3sConfigOf(script: string): Record<string, any> {
  const m = script.match(/cat > \/etc\/rancher\/k3s\/config\.yaml <<'(\w+)'\n([\s\S]*?)\n\1\n/);
  assert.ok(m, "script writes /etc/rancher/k3s/config.yaml");
  return yaml.load(m[2]) as Record<string, any>;
}

test("GPU agent templates attach the catalog's accelerators and stop for host maintenance", () => {
  const { k3s } = prod();
  const gpuGroup = k3s.nodeGroups.find((g) => g.name === "gpu-a100")!;
  const plan = agentPlan(k3s, gpuGroup);
  assert.deepEqual(plan.guestAccelerators, [{ type: "nvidia-a100-80gb", count: 4 }]);
  assert.equal(plan.scheduling.onHostMaintenance, "TERMINATE");
  assert.equal(plan.scheduling.automaticRestart, true);
  assert.equal(plan.targetSize, 3);
  assert.deepEqual(plan.nodeTaints, ["nvidia.com/gpu=present:NoSchedule"]);
  assert.equal(plan.nodeLabels["nvidia.com/gpu.product"], "NVIDIA-A100-SXM4-80GB");
  const spot = agentPlan(k3s, { ...gpuGroup, spot: true });
  assert.deepEqual([spot.scheduling.provisioningModel, spot.scheduling.preemptible, spot.scheduling.automaticRestart], ["SPOT", true, false]);
});

test("a CPU agent group: no accelerators, no GPU taint or labels, live migration, no NVIDIA driver", () => {
  const { k3s } = prod();
  const cpu = { ...k3s.nodeGroups[0], name: "cpu", instanceType: "e2-standard-8" };
  const plan = agentPlan(k3s, cpu);
  assert.equal(plan.gpu, false);
  assert.deepEqual(plan.guestAccelerators, []);
  assert.deepEqual(plan.nodeTaints, []);
  assert.deepEqual(plan.nodeLabels, { "inference-mesh.io/node-group": "cpu" });
  assert.equal(plan.scheduling.onHostMaintenance, "MIGRATE");
  const script = k3sAgentStartupScript({ k3sVersion: "v1.33.5+k3s1", token: "t", serverUrl: "https://10.12.0.10:6443", nodeLabels: plan.nodeLabels, nodeTaints: plan.nodeTaints });
  assert.doesNotMatch(script, /ubuntu-drivers|nvidia-container-toolkit/);
  assert.equal(k3sConfigOf(script)["default-runtime"], undefined);
});

test("boot disks follow the machine series: Hyperdisk-only series (N4, C4, A4, A3 Ultra…) get hyperdisk-balanced", () => {
  const { k3s } = prod();
  assert.equal(agentPlan(k3s, { ...k3s.nodeGroups[0], name: "cpu", instanceType: "e2-standard-8" }).diskType, "pd-balanced");
  assert.equal(agentPlan(k3s, { ...k3s.nodeGroups[0], name: "cpu", instanceType: "n4-standard-8" }).diskType, "hyperdisk-balanced");
  for (const t of ["e2-standard-4", "n2-standard-8", "c3-standard-8", "g2-standard-48", "a2-ultragpu-4g", "a3-highgpu-8g"]) assert.equal(gceBootDiskType(t), "pd-balanced", t);
  for (const t of ["n4-standard-4", "c4-standard-8", "c4d-standard-8", "n4d-standard-8", "x4-960-32t", "a4-highgpu-8g", "a3-ultragpu-8g"]) assert.equal(gceBootDiskType(t), "hyperdisk-balanced", t);
});

test("machine types: Arm families on both clouds, GPU families catalogued or not", () => {
  for (const t of ["m7g.xlarge", "c7gn.2xlarge", "r6gd.large", "t4g.medium", "is4gen.xlarge", "im4gn.large", "x2gd.large", "g5g.xlarge", "a1.large", "hpc7g.4xlarge"]) assert.ok(isArmMachineType("aws", t), t);
  for (const t of ["m6i.2xlarge", "m7i-flex.large", "c5n.large", "g6e.12xlarge", "p5en.48xlarge", "gr6.4xlarge", "mac2-m2.metal", "inf2.xlarge"]) assert.ok(!isArmMachineType("aws", t), t);
  for (const t of ["t2a-standard-4", "c4a-standard-8", "n4a-standard-4", "a4x-highgpu-4g"]) assert.ok(isArmMachineType("gcp", t), t);
  for (const t of ["e2-standard-8", "n4-standard-8", "c4d-standard-8", "a3-highgpu-8g"]) assert.ok(!isArmMachineType("gcp", t), t);
  for (const t of ["g4dn.xlarge", "g6e.12xlarge", "p3.2xlarge", "p6-b200.48xlarge", "gr6.4xlarge"]) assert.ok(isGpuFamily("aws", t), t);
  for (const t of ["m6i.2xlarge", "inf2.xlarge", "trn1.32xlarge"]) assert.ok(!isGpuFamily("aws", t), t);
  for (const t of ["a2-highgpu-1g", "a4-highgpu-8g", "g4-standard-48", "g2-standard-4"]) assert.ok(isGpuFamily("gcp", t), t);
  assert.ok(!isGpuFamily("gcp", "n2-standard-8"));
});

const pem = (what: string) => `-----BEGIN ${what}-----\nAAAA\n-----END ${what}-----\n`;
const cas = Object.fromEntries(k3sCaNames.map((n) => [n, { certPem: pem(`CERTIFICATE ${n}`), keyPem: pem(`EC PRIVATE KEY ${n}`) }])) as any;

test("k3s CA files are the five CA pairs k3s expects plus the service-account key", () => {
  const files = k3sCaFiles(cas, pem("RSA PRIVATE KEY"));
  assert.deepEqual(files.map((f) => f.path).sort(), [
    "client-ca.crt", "client-ca.key", "etcd/peer-ca.crt", "etcd/peer-ca.key", "etcd/server-ca.crt", "etcd/server-ca.key",
    "request-header-ca.crt", "request-header-ca.key", "server-ca.crt", "server-ca.key", "service.key",
  ]);
  assert.ok(files.filter((f) => f.path.endsWith(".key")).every((f) => f.mode === "0600"));
});

test("the server script writes the CAs before k3s first starts, then installs the pinned k3s", () => {
  const script = k3sServerStartupScript({
    k3sVersion: "v1.33.5+k3s1", token: "tok123", internalIp: "10.12.0.10", externalIp: "34.1.2.3",
    caFiles: k3sCaFiles(cas, pem("RSA PRIVATE KEY")), nodeLabels: { "inference-mesh.io/node-group": "server" },
  });
  assert.ok(script.startsWith("#!/bin/bash\n"));
  const caAt = script.indexOf(`cat > ${k3sTlsDir}/client-ca.crt`);
  const installAt = script.indexOf("curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION='v1.33.5+k3s1' sh -s - server");
  assert.ok(caAt > 0 && installAt > caAt, "CA files before the k3s install");
  assert.match(script, new RegExp(`if \\[ ! -f ${k3sTlsDir}/client-ca.crt \\]`), "CAs written only before the first start");
  assert.ok(script.includes(pem("CERTIFICATE etcd/peer")));
  const config = k3sConfigOf(script);
  assert.equal(config.token, "tok123");
  assert.deepEqual(config["tls-san"], ["34.1.2.3", "10.12.0.10"]);
  assert.equal(config["advertise-address"], "10.12.0.10");
  assert.deepEqual(config.disable, ["traefik"]);
});

test("the GPU agent script installs the driver and toolkit before joining with labels, taint and the nvidia runtime", () => {
  const script = k3sAgentStartupScript({
    k3sVersion: "v1.33.5+k3s1", token: "tok123", serverUrl: "https://10.12.0.10:6443",
    nodeLabels: { "nvidia.com/gpu.present": "true", "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB" },
    nodeTaints: ["nvidia.com/gpu=present:NoSchedule"], nvidiaDriverBranch: "580",
  });
  const driver = script.indexOf("ubuntu-drivers install --gpgpu 'nvidia:580-server'");
  const toolkit = script.indexOf("apt-get install -y nvidia-container-toolkit");
  const join = script.indexOf("sh -s - agent");
  assert.ok(driver > 0 && toolkit > driver && join > toolkit, "driver, then toolkit, then k3s agent");
  assert.match(script, /https:\/\/nvidia\.github\.io\/libnvidia-container\/stable\/deb\/nvidia-container-toolkit\.list/);
  const config = k3sConfigOf(script);
  assert.equal(config.server, "https://10.12.0.10:6443");
  assert.equal(config.token, "tok123");
  assert.deepEqual(config["node-taint"], ["nvidia.com/gpu=present:NoSchedule"]);
  assert.ok(config["node-label"].includes("nvidia.com/gpu.product=NVIDIA-A100-SXM4-80GB"));
  assert.equal(config["default-runtime"], "nvidia");
});

test("a heredoc delimiter never collides with the content it writes", () => {
  const script = k3sAgentStartupScript({ k3sVersion: "v1", token: "IM_EOF", serverUrl: "https://x:6443", nodeLabels: {}, nodeTaints: [] });
  assert.equal(k3sConfigOf(script).token, "IM_EOF");
  assert.ok(!script.includes("ubuntu-drivers"), "CPU agents install no driver");
});

test("the k3s kubeconfig authenticates with the admin client certificate and trusts the server CA", () => {
  const doc = yaml.load(certKubeconfig({ name: "gcp-usc1", server: "https://34.1.2.3:6443", serverCaPem: "CA", clientCertPem: "CERT", clientKeyPem: "KEY" })) as any;
  assert.equal(doc.clusters[0].cluster.server, "https://34.1.2.3:6443");
  assert.equal(Buffer.from(doc.clusters[0].cluster["certificate-authority-data"], "base64").toString(), "CA");
  assert.equal(Buffer.from(doc.users[0].user["client-certificate-data"], "base64").toString(), "CERT");
  assert.equal(Buffer.from(doc.users[0].user["client-key-data"], "base64").toString(), "KEY");
  assert.equal(doc["current-context"], "gcp-usc1");
});

test("device plugin values: GPU nodes only, tolerate the GPU taint, nvidia RuntimeClass only where asked", () => {
  const eks = devicePluginValues({});
  assert.deepEqual(eks.nodeSelector, { "nvidia.com/gpu.present": "true" });
  assert.ok((eks.tolerations as any[]).some((t) => t.key === "nvidia.com/gpu" && t.operator === "Exists" && t.effect === "NoSchedule"));
  assert.equal("runtimeClassName" in eks, false);
  assert.equal(devicePluginValues({ runtimeClassName: "nvidia" }).runtimeClassName, "nvidia");
});

/** Runs a shell snippet with fake `k3s` and `curl` first on the PATH; returns what they logged. */
function runWithFakes(script: string, fakes: { installed?: string; metadataVersion?: string }, shell = "sh"): string {
  const fs = require("node:fs") as typeof import("node:fs");
  const path = require("node:path") as typeof import("node:path");
  const { spawnSync } = require("node:child_process") as typeof import("node:child_process");
  const dir = tempDir("im-k3s-");
  const log = path.join(dir, "log");
  const fake = (name: string, body: string) => fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  fake("k3s", fakes.installed ? `echo "k3s version ${fakes.installed} (0123abcd)"; echo "go version go1.24"` : "exit 127");
  // The metadata server answers with the pinned version (or fails); get.k3s.io returns an installer that logs its version.
  fake(
    "curl",
    `case "$*" in
  *computeMetadata*) ${fakes.metadataVersion ? `printf '%s' '${fakes.metadataVersion}'` : "exit 22"} ;;
  *get.k3s.io*) echo 'echo "install $INSTALL_K3S_VERSION $*" >> ${log}' ;;
esac`,
  );
  fake("systemctl", `echo "systemctl $*" >> ${log}`);
  const r = spawnSync(shell, ["-c", script], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "";
}

const heredoc = (script: string, file: string) => new RegExp(`cat > ${file.replace(/[/.]/g, "\\$&")} <<'(IM_EOF_*)'\\n([\\s\\S]*?)\\n\\1\\n`).exec(script)![2];

test("k3s upgrades: the install step runs when the pinned version is not the installed one, and only then", () => {
  const script = k3sAgentStartupScript({ k3sVersion: "v1.33.5+k3s1", token: "t", serverUrl: "https://10.12.0.10:6443", nodeLabels: {}, nodeTaints: [] });
  // The step runs as the startup script runs it: bash, with the script's `retry` defined.
  const step = `${retryFunction}\n${/(if \[ "\$\(k3s --version[\s\S]*?\nfi)\n/.exec(script)![1]}`;
  assert.match(runWithFakes(step, {}, "bash"), /^install v1\.33\.5\+k3s1 agent$/m, "fresh VM");
  assert.match(runWithFakes(step, { installed: "v1.32.9+k3s1" }, "bash"), /^install v1\.33\.5\+k3s1/m, "older k3s is upgraded");
  assert.equal(runWithFakes(step, { installed: "v1.33.5+k3s1" }, "bash"), "", "the pinned version stays");
});

test("k3s upgrades: the server's sync timer installs the version in its instance metadata, between boots", () => {
  const script = k3sServerStartupScript({ k3sVersion: "v1.33.5+k3s1", token: "t", internalIp: "10.12.0.10", externalIp: "34.1.2.3", caFiles: [], nodeLabels: {} });
  assert.match(heredoc(script, "/etc/systemd/system/inference-mesh-k3s-sync.timer"), /OnUnitActiveSec=1min/);
  assert.match(script, /systemctl enable --now inference-mesh-k3s-sync\.timer/);
  const sync = heredoc(script, "/usr/local/sbin/inference-mesh-k3s-sync");
  assert.match(runWithFakes(sync, { installed: "v1.33.5+k3s1", metadataVersion: "v1.34.1+k3s1" }), /^install v1\.34\.1\+k3s1 server$/m);
  assert.equal(runWithFakes(sync, { installed: "v1.34.1+k3s1", metadataVersion: "v1.34.1+k3s1" }), "");
  assert.equal(runWithFakes(sync, { installed: "v1.34.1+k3s1" }), "", "no metadata answer: nothing to do");
});

test("prod: the agent groups wait for the server to run the pinned k3s (a gate on /version); the server's metadata pins it", () => {
  const r = renderShipped("prod");
  const version = parsePlatform(shippedPlatform("prod"), "prod").versions.k3s;
  const gate = r.resources.find((x) => x.urn.endsWith("::gcp-usc1-server-version"))!;
  assert.ok(gate, "gate rendered");
  assert.equal((gate.inputs as any).version, version);
  assert.match((gate.inputs as any).url, /^https:\/\/[\d.]+:6443\/version$/);
  for (const g of r.ofType("gcp:compute/instanceGroupManager:InstanceGroupManager")) assert.ok(g.dependencies.includes(gate.urn), g.urn);
  const server = r.ofType("gcp:compute/instance:Instance")[0];
  assert.equal((server.inputs as any).metadata["k3s-version"], version);
});

test("k3s agents join under unique node names, replaced one by one after they had time to join; the server deletes nodes NotReady for 20 minutes", () => {
  const { k3s } = prod();
  const gpu = agentPlan(k3s, k3s.nodeGroups.find((g) => g.instanceType.startsWith("a2-"))!);
  const cpu = agentPlan(k3s, { ...k3s.nodeGroups[0], name: "cpu", instanceType: "e2-standard-8" });
  assert.ok(gpu.minReadySec >= 600 && cpu.minReadySec < gpu.minReadySec, "a GPU agent installs its driver and reboots first");
  const agent = k3sAgentStartupScript({ k3sVersion: "v1.33.5+k3s1", token: "t", serverUrl: "https://10.12.0.10:6443", nodeLabels: {}, nodeTaints: [] });
  assert.equal(k3sConfigOf(agent)["with-node-id"], true, "a recreated VM keeps its hostname; k3s would refuse the duplicate node name");
  const server = k3sServerStartupScript({ k3sVersion: "v1.33.5+k3s1", token: "t", internalIp: "10.12.0.10", externalIp: "34.1.2.3", caFiles: [], nodeLabels: {} });
  assert.match(server, /systemctl enable --now inference-mesh-stale-nodes\.timer/);
  const cleanup = heredoc(server, "/usr/local/sbin/inference-mesh-stale-nodes");
  // Run it against a fake k3s: nodes as `kubectl get nodes -o jsonpath=…` prints them.
  const fs = require("node:fs") as typeof import("node:fs");
  const path = require("node:path") as typeof import("node:path");
  const { spawnSync } = require("node:child_process") as typeof import("node:child_process");
  const dir = tempDir("im-stale-");
  const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString().replace(/\.\d+Z$/, "Z");
  const nodes = [
    ["gone-agent-abc123", "Unknown", ago(45)],
    ["rebooting-agent-def456", "Unknown", ago(5)],
    ["healthy-agent-0a1b2c", "True", ago(300)],
    ["the-server", "False", ago(60)],
  ].map((n) => n.join("\t")).join("\n");
  fs.writeFileSync(path.join(dir, "nodes"), `${nodes}\n`);
  fs.writeFileSync(path.join(dir, "k3s"), `#!/bin/sh\nif [ "$2" = get ]; then cat ${dir}/nodes; else echo "$*" >> ${dir}/log; fi\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, "hostname"), "#!/bin/sh\necho the-server\n", { mode: 0o755 });
  fs.writeFileSync(path.join(dir, "cleanup"), cleanup, { mode: 0o755 });
  const r = spawnSync("bash", [path.join(dir, "cleanup")], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fs.readFileSync(path.join(dir, "log"), "utf8"), "kubectl delete node gone-agent-abc123 --wait=false\n");
});

test("NVSwitch boards: full-board A2/A3 GPU agents get NVIDIA fabric manager; partial shapes, G2 and CPU agents do not", () => {
  const { k3s } = prod();
  const gpuGroup = k3s.nodeGroups.find((g) => g.name === "gpu-a100")!;
  for (const t of ["a2-highgpu-8g", "a2-megagpu-16g", "a2-ultragpu-8g", "a3-highgpu-8g"]) assert.equal(agentPlan(k3s, { ...gpuGroup, instanceType: t }).fabricManager, true, t);
  for (const t of ["a2-ultragpu-4g", "a2-highgpu-1g", "a3-highgpu-4g", "g2-standard-96"]) assert.equal(agentPlan(k3s, { ...gpuGroup, instanceType: t }).fabricManager, false, t);
  assert.equal(agentPlan(k3s, { ...gpuGroup, name: "cpu", instanceType: "e2-standard-8" }).fabricManager, false);
  assert.ok(gceNeedsFabricManager("a3-ultragpu-8g") && !gceNeedsFabricManager("n2-standard-8"));
});

test("the fabric manager of the driver branch is installed with the driver and started before k3s, only where the guest sees NVSwitch devices", () => {
  const args = { k3sVersion: "v1.33.5+k3s1", token: "t", serverUrl: "https://10.12.0.10:6443", nodeLabels: {}, nodeTaints: [], nvidiaDriverBranch: "570" };
  const script = k3sAgentStartupScript({ ...args, fabricManager: true });
  const at = (text: string) => {
    const i = script.indexOf(text);
    assert.ok(i >= 0, `script contains ${text}`);
    return i;
  };
  const dropIn = at("ConditionDirectoryNotEmpty=/proc/driver/nvidia-nvswitch/devices");
  const driver = at("ubuntu-drivers install --gpgpu 'nvidia:570-server'");
  const fm = at("apt-get install -y 'nvidia-fabricmanager-570'");
  const reboot = at("\n  reboot\n");
  const start = at("\nsystemctl enable --now nvidia-fabricmanager.service\n");
  const toolkit = at("apt-get install -y nvidia-container-toolkit");
  const join = at("sh -s - agent");
  assert.ok(dropIn < driver && driver < fm && fm < reboot, "drop-ins, then the driver and the fabric manager in one pass before the reboot");
  assert.ok(reboot < start && start < toolkit && toolkit < join, "fabric manager started after the reboot, before k3s joins");
  assert.match(script, /cat > \/etc\/systemd\/system\/k3s-agent\.service\.d\/10-inference-mesh-fabricmanager\.conf <<'IM_EOF'\n\[Unit\]\nWants=nvidia-fabricmanager\.service\nAfter=nvidia-fabricmanager\.service\n/);
  assert.match(script, /cat > \/etc\/systemd\/system\/nvidia-fabricmanager\.service\.d\/10-inference-mesh-nvswitch\.conf <<'IM_EOF'\n\[Unit\]\nConditionDirectoryNotEmpty=\/proc\/driver\/nvidia-nvswitch\/devices\n/);
  // Without NVSwitch (or on CPU agents) nothing about fabric manager is written.
  assert.doesNotMatch(k3sAgentStartupScript(args), /fabricmanager|nvswitch/);
  assert.doesNotMatch(k3sAgentStartupScript({ ...args, nvidiaDriverBranch: undefined, fabricManager: true }), /fabricmanager|ubuntu-drivers/);
});

test("zonal machine types: machineTypes.list is asked for the one name; a zone not listing it names the group or the server", () => {
  assert.deepEqual(machineTypesQuery("us-central1-a", "a2-ultragpu-4g"), { zone: "us-central1-a", filter: 'name = "a2-ultragpu-4g"' });
  const group = { cluster: "gcp-usc1", group: "gpu-a100", zone: "us-central1-b", machineType: "a2-ultragpu-4g" };
  assert.equal(zoneMachineTypeProblem(group, ["a2-ultragpu-4g"]), undefined);
  assert.match(zoneMachineTypeProblem(group, [])!, /^cluster 'gcp-usc1' node group 'gpu-a100': zone us-central1-b does not offer a2-ultragpu-4g .*its instance group could create no VM/);
  const server = { cluster: "gcp-usc1", zone: "us-central1-b", machineType: "c4-standard-4" };
  assert.match(zoneMachineTypeProblem(server, [])!, /^cluster 'gcp-usc1' k3s server \(serverMachineType\): zone us-central1-b does not offer c4-standard-4 .*the server VM cannot be created/);
});
