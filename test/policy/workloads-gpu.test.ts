/**
 * Policy tests for gpu-scheduling: GPU containers limit nvidia.com/gpu and tolerate the taint (and
 * nothing else tolerates it), read as the scheduler and the API server read them, in pods, node
 * groups and chart values (Istio's own pods: workloads-gpu-istio.test.ts); patches and
 * values unknown in a preview.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { gpuScheduling } from "../../policy/rules/gpu-scheduling";
import { tolerates } from "../../policy/lib/tolerations";
import { k8sProvider, runResource, UNKNOWN } from "../support/policy";
import { deployment, gpuToleration, agwParams, helmRelease, deploymentPatch } from "./workloads-support";

const vllm = (resources: Record<string, unknown>, tolerations: unknown[] = [gpuToleration]) =>
  deployment("vllm", { tolerations, containers: [{ name: "vllm", image: "vllm/vllm-openai:v0.21.0", resources }] });

test("gpu-scheduling: GPU containers limit nvidia.com/gpu and tolerate the taint; nothing else tolerates it", async () => {
  const ok = await runResource(gpuScheduling, [
    vllm({ limits: { "nvidia.com/gpu": 1 }, requests: { "nvidia.com/gpu": "1" } }),
    deployment("epp", { containers: [{ name: "epp", image: "epp:v1" }] }),
    deployment("device-plugin", { tolerations: [gpuToleration], containers: [{ name: "p", image: "p:v1" }] }),
  ], { allowedTolerators: ["inference/device-plugin"] });
  assert.deepEqual(ok.violations, []);
  const requestOnly = await runResource(gpuScheduling, vllm({ requests: { "nvidia.com/gpu": 1 } }));
  assert.match(requestOnly.violations[0].message, /requests nvidia\.com\/gpu without a limit/);
  const untolerated = await runResource(gpuScheduling, vllm({ limits: { "nvidia.com/gpu": 2 } }, []), null);
  assert.match(untolerated.violations[0].message, /uses GPUs but does not tolerate the nvidia\.com\/gpu=present:NoSchedule taint/);
  const squatter = await runResource(gpuScheduling, [
    deployment("web", { tolerations: [gpuToleration], containers: [{ name: "web", image: "web:v1" }] }),
    deployment("anything", { tolerations: [{ operator: "Exists" }], containers: [{ name: "a", image: "a:v1" }] }),
  ]);
  assert.equal(squatter.violations.length, 2);
  assert.match(squatter.violations[0].message, /requests no GPU but tolerates the nvidia\.com\/gpu taint/);
  // A model server that lost its GPU limits and toleration still gives itself away by pinning GPU nodes.
  const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "nvidia.com/gpu.product", operator: "In", values: ["NVIDIA-L40S"] }] }] } } };
  const pinned = await runResource(gpuScheduling, [
    deployment("vllm", { affinity, containers: [{ name: "vllm", image: "v:1" }] }),
    deployment("vllm2", { nodeSelector: { "nvidia.com/gpu.present": "true" }, containers: [{ name: "vllm", image: "v:1" }] }),
  ]);
  assert.equal(pinned.violations.length, 2);
  assert.match(pinned.violations[0].message, /selects GPU nodes \(node affinity nvidia\.com\/gpu\.product\) but requests no nvidia\.com\/gpu/);
  const away = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "nvidia.com/gpu.present", operator: "DoesNotExist" }] }] } } };
  assert.deepEqual((await runResource(gpuScheduling, deployment("web", { affinity: away, containers: [{ name: "w", image: "w:1" }] }))).violations, []);
});

test("gpu-scheduling: tolerations match the GPU taint as the scheduler does (key, value, effect, operator)", async () => {
  const taint = ["nvidia.com/gpu", "present"] as const;
  assert.ok(tolerates({ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }, ...taint));
  assert.ok(tolerates({ key: "nvidia.com/gpu", operator: "Equal", value: "present" }, ...taint));
  assert.ok(tolerates({ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" }, ...taint), "Equal is the default operator");
  assert.ok(tolerates({ operator: "Exists" }, ...taint), "an empty key with Exists tolerates everything");
  assert.ok(!tolerates({ key: "nvidia.com/gpu", operator: "Equal", value: "absent", effect: "NoSchedule" }, ...taint));
  assert.ok(!tolerates({ key: "nvidia.com/gpu" }, ...taint), "Equal with no value matches only an empty taint value");
  assert.ok(!tolerates({ key: "nvidia.com/gpu", operator: "Exists", effect: "NoExecute" }, ...taint));
  assert.ok(!tolerates({ key: "nvidia.com/mig", operator: "Exists" }, ...taint));
  const wrongValue = await runResource(gpuScheduling, vllm({ limits: { "nvidia.com/gpu": 1 } }, [{ key: "nvidia.com/gpu", operator: "Equal", value: "absent", effect: "NoSchedule" }]), null);
  assert.equal(wrongValue.violations.length, 1);
  const otherTaintValue = await runResource(gpuScheduling, vllm({ limits: { "nvidia.com/gpu": 1 } }, [{ key: "nvidia.com/gpu", operator: "Equal", value: "true" }]), { gpuTaintValue: "true" });
  assert.deepEqual(otherTaintValue.violations, []);
});

test("gpu-scheduling: a toleration of the GPU taint (or of every key) with an operator or effect Kubernetes does not know is reported as refused", async () => {
  // Before, `exists` and `noschedule` tolerated nothing, so a pod without GPUs asking for the GPU nodes passed.
  const odd = await runResource(gpuScheduling, [
    deployment("web", { tolerations: [{ key: "nvidia.com/gpu", operator: "exists", effect: "NoSchedule" }], containers: [{ name: "web", image: "web:v1" }] }),
    deployment("any", { tolerations: [{ operator: "Exists", effect: "noschedule" }, { key: "other", operator: "bogus" }], containers: [{ name: "a", image: "a:v1" }] }),
    helmRelease("ztunnel", { tolerations: [{ operator: "Exists", effect: "NoSchedule" }, { operator: "Exist" }] }),
  ], null);
  assert.deepEqual(odd.violations.map((v) => v.message.replace(/ is not one Kubernetes knows.*$/, "")), [
    'Deployment inference/web: tolerations[0] operator "exists"',
    'Deployment inference/any: tolerations[0] effect "noschedule"',
    'Helm release istio-system/ztunnel (chart ztunnel): values.tolerations[1] operator "Exist"',
  ]);
  assert.match(odd.violations[0].message, /\(Equal or Exists\): the API server refuses the pod$/);
  assert.match(odd.violations[2].message, /the API server refuses the ztunnel pods, so the GPU nodes' pods are outside the ambient data plane/);
  // Exists with a value reads as tolerating, but validateTolerations refuses it: the GPU pod is never created.
  const valued = await runResource(gpuScheduling, vllm({ limits: { "nvidia.com/gpu": 1 } }, [{ ...gpuToleration, value: "present" }]));
  assert.deepEqual(valued.violations.map((v) => v.message), ['Deployment inference/vllm: tolerations[0] value "present" is set with operator Exists, which Kubernetes takes only without a value: the API server refuses the pod']);
});

test("gpu-scheduling: GPU limits are read as Kubernetes quantities (\"1000m\" is one GPU, as the API server accepts it for an integer resource)", async () => {
  const milli = await runResource(gpuScheduling, vllm({ limits: { "nvidia.com/gpu": "1000m" }, requests: { "nvidia.com/gpu": "1000m" } }));
  assert.deepEqual(milli.violations, [], "a GPU workload, tolerating the taint");
  const untolerated = await runResource(gpuScheduling, vllm({ limits: { "nvidia.com/gpu": "2000m" } }, []), null);
  assert.match(untolerated.violations[0]?.message ?? "", /uses GPUs but does not tolerate the nvidia\.com\/gpu=present:NoSchedule taint/);
  const differs = await runResource(gpuScheduling, vllm({ limits: { "nvidia.com/gpu": "7000m" }, requests: { "nvidia.com/gpu": "7" } }));
  assert.deepEqual(differs.violations, [], "7000m and 7 are the same count");
  const zero = await runResource(gpuScheduling, vllm({ limits: { "nvidia.com/gpu": "0" } }), null);
  assert.match(zero.violations[0]?.message ?? "", /requests no GPU but tolerates the nvidia\.com\/gpu taint/);
});

test("gpu-scheduling: EKS node groups with NVIDIA GPUs taint their nodes nvidia.com/gpu=present:NO_SCHEDULE (what keeps other pods off and what GPU pods tolerate)", async () => {
  const NG = "aws:eks/nodeGroup:NodeGroup";
  const group = (name: string, props: Record<string, unknown>) => ({ type: NG, name, props: { instanceTypes: ["g6e.12xlarge"], amiType: "AL2023_x86_64_NVIDIA", ...props }, provider: null });
  const taint = { key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" };
  const ok = await runResource(gpuScheduling, [
    group("gpu", { taints: [taint] }),
    group("system", { instanceTypes: ["m6i.2xlarge"], amiType: "AL2023_x86_64_STANDARD", taints: [] }),
    group("amd", { instanceTypes: ["g4ad.xlarge"], amiType: "AL2023_x86_64_STANDARD" }),
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(gpuScheduling, [
    group("untainted", { taints: [] }),
    group("by-type", { amiType: "CUSTOM", instanceTypes: ["p6-b200.48xlarge"] }),
    group("by-label", { amiType: undefined, instanceTypes: ["m6i.large"], labels: { "nvidia.com/gpu.present": "true" } }),
    group("prefer", { taints: [{ ...taint, effect: "PREFER_NO_SCHEDULE" }] }),
    group("execute", { taints: [{ ...taint, effect: "NO_EXECUTE" }] }),
  ]);
  assert.equal(bad.violations.length, 5, JSON.stringify(bad.violations));
  assert.match(bad.violations[0].message, /^EKS node group untainted has NVIDIA GPUs \(AMI type AL2023_x86_64_NVIDIA\) but does not taint its nodes nvidia\.com\/gpu=present with effect NO_SCHEDULE: /);
  assert.match(bad.violations[1].message, /\(instance type p6-b200\.48xlarge\)/);
  assert.match(bad.violations[2].message, /\(label nvidia\.com\/gpu\.present=true\)/);
  assert.match(bad.violations[4].message, /\(it sets nvidia\.com\/gpu=present:NO_EXECUTE\)/);
  const unknown = await runResource(gpuScheduling, group("later", { taints: UNKNOWN }));
  assert.deepEqual(unknown.violations, []);
  assert.match(unknown.unknown[0] ?? "", /the taints of EKS node group later/);
});

test("gpu-scheduling: GCE VMs with NVIDIA GPUs that join k3s register the taint nvidia.com/gpu=present:NoSchedule in their startup script", async () => {
  const TEMPLATE = "gcp:compute/instanceTemplate:InstanceTemplate";
  const k3sScript = (taints: string[]) => `#!/bin/bash\ncat > /etc/rancher/k3s/config.yaml <<'EOF'\nnode-taint: ${JSON.stringify(taints)}\nEOF\ncurl -sfL https://get.k3s.io | INSTALL_K3S_VERSION=v1.33.5+k3s1 sh -s - agent\n`;
  const vm = (name: string, props: Record<string, unknown>, type = TEMPLATE) => ({ type, name, props: { machineType: "a2-ultragpu-4g", scheduling: { onHostMaintenance: "TERMINATE" }, guestAccelerators: [{ type: "nvidia-a100-80gb", count: 4 }], ...props }, provider: null });
  const ok = await runResource(gpuScheduling, [
    vm("gpu", { metadataStartupScript: k3sScript(["nvidia.com/gpu=present:NoSchedule"]) }),
    vm("cpu", { machineType: "e2-standard-8", guestAccelerators: [], metadataStartupScript: k3sScript([]) }),
    // Bootstrapped without k3s (a fork's own node image): its taints are set elsewhere.
    vm("other", { metadataStartupScript: "#!/bin/bash\nkubeadm join 10.0.0.2:6443\n" }),
    // The script is ciphertext offline, or unknown in a first preview: its content cannot be judged.
    vm("sealed", { metadataStartupScript: UNKNOWN }),
  ]);
  assert.deepEqual(ok.violations, []);
  assert.deepEqual(ok.unknown, []);
  const bad = await runResource(gpuScheduling, [
    vm("untainted", { metadataStartupScript: k3sScript([]) }),
    vm("n1", { machineType: "n1-standard-8", guestAccelerators: [{ type: "nvidia-tesla-t4", count: 1 }], metadataStartupScript: k3sScript(["nvidia.com/gpu=present:NoExecute"]) }),
    vm("zonal", { machineType: "zones/us-central1-a/machineTypes/g2-standard-8", guestAccelerators: undefined, metadataStartupScript: undefined, metadata: { "startup-script": k3sScript([]) } }, "gcp:compute/instance:Instance"),
  ]);
  assert.equal(bad.violations.length, 3, JSON.stringify(bad.violations));
  assert.match(bad.violations[0].message, /^InstanceTemplate untainted has NVIDIA GPUs \(machine type a2-ultragpu-4g\) and joins k3s, but its startup script does not register the node with the taint nvidia\.com\/gpu=present:NoSchedule: /);
  assert.match(bad.violations[1].message, /\(accelerator nvidia-tesla-t4\).*\(it sets nvidia\.com\/gpu=present:NoExecute\)/);
  assert.match(bad.violations[2].message, /^Instance zonal has NVIDIA GPUs \(machine type g2-standard-8\)/);
  const unknown = await runResource(gpuScheduling, vm("later", { machineType: UNKNOWN }));
  assert.deepEqual(unknown.violations, []);
  assert.match(unknown.unknown[0] ?? "", /whether InstanceTemplate later has GPUs/);
});

test("gpu-scheduling: AgentgatewayParameters overlays and the agentgateway/istiod chart values keep off the GPU taint", async () => {
  const overlay = (podSpec: Record<string, unknown>, workload = "deployment") => ({ [workload]: { spec: { template: { spec: podSpec } } } });
  const release = (chart: string, values: Record<string, unknown>, name = chart) => ({ type: "kubernetes:helm.sh/v3:Release", props: { name, chart, namespace: "istio-system", version: "1.0.0", values } });
  const deviceToleration = [{ key: "CriticalAddonsOnly", operator: "Exists" }, gpuToleration];
  const ok = await runResource(gpuScheduling, [
    agwParams({ deployment: { spec: { replicas: 2 } }, istio: { enabled: true } }),
    agwParams(overlay({ tolerations: [{ key: "dedicated", operator: "Equal", value: "gateways", effect: "NoSchedule" }], nodeSelector: { "kubernetes.io/arch": "amd64" } })),
    release("agentgateway", { tolerations: [], nodeSelector: {} }),
    release("istiod", { global: { waypoint: { tolerations: [{ key: "dedicated", operator: "Exists" }] } } }),
    // Node agents and the device plugin must run on GPU nodes: charts we do not judge.
    release("nvidia-device-plugin", { tolerations: deviceToleration, nodeSelector: { "nvidia.com/gpu.present": "true" } }),
    release("ztunnel", { tolerations: [{ operator: "Exists" }] }),
    // Allow-listed: the parameters' own namespace/name, a release's namespace/name.
    agwParams(overlay({ tolerations: [gpuToleration] }), "gpu-gateway"),
    release("agentgateway", { tolerations: [gpuToleration] }, "agw"),
  ], { allowedTolerators: ["agents/gpu-gateway", "istio-system/agw"] });
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(gpuScheduling, [
    agwParams(overlay({ tolerations: [{ operator: "Exists" }] }), "everywhere"),
    agwParams(overlay({ nodeSelector: { "nvidia.com/gpu.present": "true" } }, "daemonSet"), "on-gpus"),
    release("agentgateway", { tolerations: [gpuToleration] }),
    release("oci://cr.agentgateway.dev/charts/istiod", { global: { waypoint: { tolerations: [{ key: "nvidia.com/gpu", operator: "Equal", value: "present" }] } } }),
  ]);
  assert.equal(bad.violations.length, 4, JSON.stringify(bad.violations, null, 1));
  assert.match(bad.violations[0].message, /^AgentgatewayParameters agents\/everywhere deployment overlay requests no GPU but tolerates the nvidia\.com\/gpu taint/);
  assert.match(bad.violations[1].message, /^AgentgatewayParameters agents\/on-gpus daemonSet overlay selects GPU nodes \(nodeSelector nvidia\.com\/gpu\.present\)/);
  assert.match(bad.violations[2].message, /^Helm release istio-system\/agentgateway \(chart agentgateway\) controller pod spec \(values\) requests no GPU but tolerates/);
  assert.match(bad.violations[3].message, /\(chart istiod\) waypoint pod spec \(values\.global\.waypoint\) requests no GPU/);
});

test("gpu-scheduling: resources, tolerations or a release's identity unknown in a preview are can't judge where they decide; known findings stand", async () => {
  const overlay = (podSpec: unknown) => ({ deployment: { spec: { template: { spec: podSpec } } } });
  const release = (props: Record<string, unknown>) => ({ type: "kubernetes:helm.sh/v3:Release", props: { name: "agw", chart: "agentgateway", namespace: "istio-system", version: "1.0.0", ...props } });
  // The proxy's GPU resources not known yet (before: taken as none, "requests no GPU but tolerates", a violation).
  const resources = await runResource(gpuScheduling, agwParams({ resources: UNKNOWN, ...overlay({ tolerations: [gpuToleration] }) }));
  assert.deepEqual(resources.violations, []);
  assert.match(resources.unknown[0], /nvidia\.com\/gpu resources of AgentgatewayParameters agents\/agent-gateway deployment overlay container \(spec\.resources\)/);
  // An overlay not known yet (before: skipped, a silent pass).
  const unread = await runResource(gpuScheduling, agwParams({ deployment: { spec: { template: UNKNOWN } } }));
  assert.match(unread.unknown[0], /its deployment overlay of AgentgatewayParameters agents\/agent-gateway/);
  // A release whose namespace is not known yet may be the allow-listed one (before: "?/agw", a violation).
  const allowed = { allowedTolerators: ["istio-system/agw"] };
  const namespace = await runResource(gpuScheduling, release({ namespace: UNKNOWN, values: { tolerations: [gpuToleration] } }), allowed);
  assert.deepEqual(namespace.violations, []);
  assert.match(namespace.unknown[0], /whether Helm release \?\/agw .* is an allowed tolerator/);
  // ...but with nothing allow-listed it fails whatever its namespace.
  assert.equal((await runResource(gpuScheduling, release({ namespace: UNKNOWN, values: { tolerations: [gpuToleration] } }))).violations.length, 1);
  // A release naming no namespace is in its provider's default namespace (pulumi-kubernetes v4.34.2 helm_release.go
  // setDefaults), so istio-system/agw is allow-listed on a provider defaulting there (before: read as default/agw, a violation).
  const { namespace: _dropped, ...unnamespaced } = release({ values: { tolerations: [gpuToleration] } }).props;
  const onProvider = (props: Record<string, unknown>) => ({ type: "kubernetes:helm.sh/v3:Release", props: unnamespaced, provider: { ...k8sProvider("a"), props } });
  assert.deepEqual((await runResource(gpuScheduling, onProvider({ namespace: "istio-system" }), allowed)).violations, []);
  assert.match((await runResource(gpuScheduling, onProvider({ namespace: "inference" }), allowed)).violations[0]?.message ?? "", /Helm release inference\/agw/);
  // Chart values or a chart not known yet (before: skipped, silent passes).
  const values = await runResource(gpuScheduling, [release({ values: { tolerations: UNKNOWN } }), release({ chart: UNKNOWN, values: { tolerations: [gpuToleration] } })]);
  assert.deepEqual(values.violations, []);
  assert.equal(values.unknown.length, 2);
  // One container's resources not known yet hide no other container's finding (before: the rest was not judged).
  const mixed = await runResource(gpuScheduling, deployment("vllm", { tolerations: [gpuToleration], containers: [{ name: "a", image: "a:1", resources: UNKNOWN }, { name: "b", image: "b:1", resources: { requests: { "nvidia.com/gpu": 1 } } }] }));
  assert.deepEqual(mixed.violations.map((v) => v.message), ['Deployment inference/vllm container b requests nvidia.com/gpu without a limit; set resources.limits["nvidia.com/gpu"]']);
  assert.match(mixed.unknown[0], /the nvidia\.com\/gpu resources of Deployment inference\/vllm container a/);
  // Known: GPU limits with an unknown affinity still pass (the affinity cannot change the verdict).
  const known = await runResource(gpuScheduling, deployment("vllm", { tolerations: [gpuToleration], affinity: UNKNOWN, containers: [{ name: "v", image: "v:1", resources: { limits: { "nvidia.com/gpu": 1 } } }] }));
  assert.deepEqual([known.violations, known.unknown], [[], []]);
});

test("gpu-scheduling: the device plugin, ztunnel and istio-cni releases tolerate the GPU taint (unset keeps the charts' defaults, which do)", async () => {
  const deviceToleration = [{ key: "CriticalAddonsOnly", operator: "Exists" }, gpuToleration];
  const ok = await runResource(gpuScheduling, [
    helmRelease("nvidia-device-plugin", { tolerations: deviceToleration }, "nvidia-device-plugin", "kube-system"),
    // No tolerations key: the chart's default (nvidia.com/gpu Exists NoSchedule; Istio's: NoSchedule Exists without a key).
    helmRelease("nvidia-device-plugin", { nodeSelector: { "nvidia.com/gpu.present": "true" } }, "dp2", "kube-system"),
    helmRelease("ztunnel", { global: { network: "n1" } }),
    helmRelease("cni", { profile: "ambient" }, "istio-cni"),
    helmRelease("oci://registry.example/charts/ztunnel", { tolerations: [{ operator: "Exists" }] }),
    helmRelease("cni", { tolerations: [{ effect: "NoSchedule", operator: "Exists" }] }, "istio-cni"),
  ]);
  assert.deepEqual(ok.violations, []);
  // Before: none of these was judged (node agents were left out of the chart values checked).
  const bad = await runResource(gpuScheduling, [
    helmRelease("nvidia-device-plugin", { tolerations: [] }, "nvidia-device-plugin", "kube-system"),
    helmRelease("nvidia-device-plugin", { tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }] }, "dp2", "kube-system"),
    helmRelease("ztunnel", { tolerations: [] }),
    helmRelease("cni", { tolerations: null }, "istio-cni"),
    // istio-cni lays values.cni over the values: its list wins over a tolerating top-level one.
    helmRelease("cni", { tolerations: [{ operator: "Exists" }], cni: { tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }] } }, "cni-legacy"),
  ]);
  assert.equal(bad.violations.length, 5, JSON.stringify(bad.violations, null, 1));
  assert.match(
    bad.violations[0].message,
    /^Helm release kube-system\/nvidia-device-plugin \(chart nvidia-device-plugin\): values\.tolerations \(\[\]\) does not tolerate the nvidia\.com\/gpu=present:NoSchedule taint, so the device plugin never runs on the GPU nodes and no GPU node advertises nvidia\.com\/gpu/,
  );
  assert.match(bad.violations[1].message, /kube-system\/dp2 .*values\.tolerations \(a list without it\)/);
  assert.match(bad.violations[2].message, /^Helm release istio-system\/ztunnel \(chart ztunnel\): values\.tolerations \(\[\]\) .*the ztunnel never runs on the GPU nodes and the GPU nodes' pods are outside the ambient data plane/);
  assert.match(bad.violations[3].message, /istio-system\/istio-cni \(chart cni\): values\.tolerations \(null\)/);
  assert.match(bad.violations[4].message, /cni-legacy \(chart cni\): values\.cni\.tolerations \(a list without it\)/);
  // Values not known in a preview are can't judge.
  const unknown = await runResource(gpuScheduling, helmRelease("ztunnel", { tolerations: UNKNOWN }));
  assert.deepEqual(unknown.violations, []);
  assert.match(unknown.unknown[0], /the tolerations of Helm release istio-system\/ztunnel \(chart ztunnel\)/);
});

test("gpu-scheduling: a DeploymentPatch is not judged for what it leaves out (tolerations, limits of the patched object)", async () => {
  const patch = deploymentPatch({ spec: { containers: [{ name: "vllm", image: "vllm/vllm-openai:v0.21.0" }] } });
  assert.deepEqual((await runResource(gpuScheduling, patch)).violations, []);
  // The same fields on a Deployment that requests GPUs without the toleration are a finding.
  const whole = await runResource(gpuScheduling, vllm({ limits: { "nvidia.com/gpu": 1 } }, []));
  assert.equal(whole.violations.length, 1);
});

test("gpu-scheduling: a vLLM container's GPU limit holds its tensor × pipeline × local data parallel ranks", async () => {
  const server = (args: string[], gpus: number | string) =>
    deployment("vllm", { tolerations: [gpuToleration], containers: [{ name: "vllm", image: "vllm/vllm-openai:v0.21.0", command: ["python3", "-m", "vllm.entrypoints.openai.api_server"], args, resources: { limits: { "nvidia.com/gpu": gpus } } }] });
  for (const [args, gpus] of [[["--tensor-parallel-size", "2"], 2], [["-tp=2", "-pp", "2"], "4"], [["--tensor_parallel_size=2"], 2], [["--tensor-parallel-size", "2", "--data-parallel-size", "4", "--data-parallel-size-local", "2"], 4], [[], 1]] as const) {
    assert.deepEqual((await runResource(gpuScheduling, server([...args], gpus))).violations, [], args.join(" "));
  }
  // Before: each passed; vLLM cannot start with fewer GPUs than its ranks take.
  const short = await runResource(gpuScheduling, server(["--model", "Qwen/Qwen3-32B", "--tensor_parallel_size", "2"], 1));
  assert.equal(short.violations.length, 1, JSON.stringify(short.violations));
  assert.match(short.violations[0].message, /^Deployment inference\/vllm container vllm runs vLLM with tensor-parallel size 2, which takes 2 GPUs, but limits nvidia\.com\/gpu to 1: vLLM then asks Ray for the other GPUs/);
  const ranks = await runResource(gpuScheduling, server(["-tp", "2", "--pipeline-parallel-size=2", "-dp", "2"], 4));
  assert.match(ranks.violations[0]?.message ?? "", /tensor-parallel size 2 × pipeline-parallel size 2 × local data-parallel size 2, which takes 8 GPUs, but limits nvidia\.com\/gpu to 4/);
  // Another server's flags of the same name are not vLLM's to judge.
  const other = deployment("sglang", { tolerations: [gpuToleration], containers: [{ name: "s", image: "lmsysorg/sglang:v0.5", args: ["-tp", "4"], resources: { limits: { "nvidia.com/gpu": 1 } } }] });
  assert.deepEqual((await runResource(gpuScheduling, other)).violations, []);
});

test("gpu-scheduling: a vLLM data parallel rank served by its own pod (external load balancing) takes one rank's GPUs", async () => {
  const server = (args: string[], gpus: number) =>
    deployment("vllm", { tolerations: [gpuToleration], containers: [{ name: "vllm", image: "vllm/vllm-openai:v0.21.0", args, resources: { limits: { "nvidia.com/gpu": gpus } } }] });
  // vLLM's docs (serving/data_parallel_deployment, External Load Balancing): one `vllm serve` per rank,
  // "separate Kubernetes pods"; --data-parallel-rank (-dpn), or -dpe, makes the local data parallel size 1.
  // Before: each was reported as needing --data-parallel-size × the other ranks' GPUs.
  for (const args of [["--data-parallel-size", "4", "--data-parallel-rank", "1", "-tp", "2"], ["-dp", "4", "-dpn=$(RANK)", "-tp", "2"], ["-dp", "4", "--data-parallel-external-lb", "-tp", "2"]]) {
    assert.deepEqual((await runResource(gpuScheduling, server(args, 2))).violations, [], args.join(" "));
  }
  // A server spread over pods by --nnodes (vLLM's multiprocessing multi-node: world size / nnodes per node)
  // holds only its share here. Before: reported as needing all 16.
  assert.deepEqual((await runResource(gpuScheduling, server(["-tp", "8", "-pp", "2", "--nnodes", "2", "--node-rank", "0"], 8))).violations, []);
  const short = await runResource(gpuScheduling, server(["--data-parallel-size", "4", "--data-parallel-rank", "1", "-tp", "2"], 1));
  assert.match(short.violations[0]?.message ?? "", /tensor-parallel size 2 × local data-parallel size 1, which takes 2 GPUs, but limits nvidia\.com\/gpu to 1/);
});
