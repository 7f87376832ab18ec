import { test } from "node:test";
import * as assert from "node:assert/strict";
import { tolerates, gpuScheduling } from "../../policy/rules/gpu-scheduling";
import { imagesPinned, unpinned, unpinnedHelmValues } from "../../policy/rules/images-pinned";
import { explicitKubernetesProvider } from "../../policy/rules/explicit-kubernetes-provider";
import { kubeconfigCredentials, sensitiveValuesSecret, scriptHasCredentials } from "../../policy/rules/sensitive-values-secret";
import { eksEndpointPrivate } from "../../policy/rules/eks-endpoint-private";
import { workloadNamespacesAuthorized } from "../../policy/rules/workload-namespaces-authorized";
import { ambientNoSidecarInjection } from "../../policy/rules/ambient-no-sidecar-injection";
import { kubernetesClusterBinding } from "../../policy/rules/kubernetes-cluster-binding";
import { k8sProvider, resourceArgs, runResource, runStack, stackResource, UNKNOWN } from "../support/policy";
import { Secret } from "@pulumi/policy";

const DEPLOY = "kubernetes:apps/v1:Deployment";
const deployment = (name: string, podSpec: Record<string, unknown>) => ({ type: DEPLOY, props: { metadata: { name, namespace: "inference" }, spec: { template: { spec: podSpec } } } });
const gpuToleration = { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" };
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

test("images-pinned: a tag other than latest, or a digest", async () => {
  assert.equal(unpinned("ghcr.io/llm-d/llm-d-inference-sim:v0.10.2"), undefined);
  assert.equal(unpinned("localhost:5000/vllm@sha256:" + "a".repeat(64)), undefined);
  assert.match(unpinned("localhost:5000/vllm")!, /no tag or digest/);
  assert.match(unpinned("vllm/vllm-openai:latest")!, /latest/);
  // A digest pins only when whole; a short one is not a digest at all.
  assert.equal(unpinned("vllm/vllm-openai:v0.21.0@sha256:" + "b".repeat(64)), undefined);
  assert.match(unpinned("repo@sha256:abc123")!, /malformed digest 'sha256:abc123'/);
  assert.match(unpinned("repo:0.1.0@sha256:abc")!, /malformed digest/);
  const ok = await runResource(imagesPinned, deployment("vllm", { initContainers: [{ name: "init", image: "busybox:1.37" }], containers: [{ name: "vllm", image: "vllm/vllm-openai:v0.21.0" }] }));
  assert.deepEqual(ok.violations, []);
  const job = { type: "kubernetes:batch/v1:CronJob", props: { metadata: { name: "warm", namespace: "inference" }, spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: "w", image: "curl" }] } } } } } } };
  const bad = await runResource(imagesPinned, [deployment("vllm", { containers: [{ name: "vllm", image: "vllm/vllm-openai:latest" }] }), job]);
  assert.equal(bad.violations.length, 2);
});

test("images-pinned: Helm releases pin their chart version and set no image tag to latest", async () => {
  const release = (props: Record<string, unknown>) => ({ type: "kubernetes:helm.sh/v3:Release", props: { name: "istiod", chart: "istiod", ...props } });
  const ok = await runResource(imagesPinned, [
    release({ version: "1.30.3", values: { global: { hub: "docker.io/istio" }, pilot: { replicaCount: 2 } } }),
    release({ name: "agentgateway", version: "v1.4.1", values: { controller: { image: { repository: "controller", tag: "v1.4.1" } } } }),
    // An empty tag is the charts' "use appVersion": pinned by the chart version.
    release({ name: "device-plugin", version: "0.20.0", values: { image: { tag: "" } } }),
    // A chart from the repository's own files has no registry version to pin.
    release({ name: "local", chart: "./charts/model-server", values: {} }),
  ]);
  assert.deepEqual(ok.violations, []);
  // A bare name (Istio's `pilot.image: pilot`) takes its tag from elsewhere (`global.tag`).
  assert.deepEqual(unpinnedHelmValues({ a: [{ image: "docker.io/library/busybox" }], pilot: { image: "pilot" }, global: { tag: "latest" } }), [
    "values.a[0].image: docker.io/library/busybox has no tag or digest (resolves to latest)",
    "values.global.tag is 'latest' (the newest image, not a reviewed one)",
  ]);
  const bad = await runResource(imagesPinned, [
    release({ values: {} }),
    release({ version: "1.30.3", values: { global: { tag: "latest" } } }),
    { type: "kubernetes:helm.sh/v4:Chart", props: { chart: "oci://cr.agentgateway.dev/charts/agentgateway", version: "v1.4.1", values: { proxy: { image: { tag: "LATEST" } } } } },
  ]);
  assert.equal(bad.violations.length, 3);
  assert.match(bad.violations[0].message, /no chart version/);
  // Helm reads the version as a constraint: a range installs whatever is newest.
  const ranges = await runResource(imagesPinned, ["*", ">=0.17.0", "^1.4", "~1.4.0", "1.4", "1.x", "=1.4"].map((version) => release({ version, values: {} })));
  assert.equal(ranges.violations.length, 7);
  assert.match(ranges.violations[1].message, /chart version '>=0\.17\.0' is a range/);
  assert.deepEqual((await runResource(imagesPinned, ["1.30.3", "v1.4.1", "2.0.0-rc.1", "1.0.0+build.5", "=1.30.3", "= v1.4.1"].map((version) => release({ version, values: {} })))).violations, []);
});

test("explicit-kubernetes-provider: every Kubernetes resource on an explicit provider", async () => {
  const ns = { type: "kubernetes:core/v1:Namespace", props: { metadata: { name: "inference" } } };
  const ok = await runResource(explicitKubernetesProvider, [
    ns,
    { type: "kubernetes:yaml/v2:ConfigFile", props: {}, provider: null },
    { type: "kubernetes:helm.sh/v3:Chart", props: {}, provider: null },
    { type: "aws:s3/bucket:Bucket", props: {}, provider: null },
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(explicitKubernetesProvider, [
    { ...ns, name: "none", provider: null },
    { ...ns, name: "default", provider: { name: "default_4_34_2" } },
  ]);
  assert.equal(bad.violations.length, 2);
  assert.match(bad.violations[1].message, /uses the default kubernetes provider/);
});

const SECRET = "kubernetes:core/v1:Secret";
const kubeconfig = "apiVersion: v1\nkind: Config\nclusters:\n- name: c\nusers:\n- name: admin\n  user:\n    client-key-data: S0VZ\n";
const execKubeconfig = JSON.stringify({ apiVersion: "v1", kind: "Config", users: [{ name: "aws", user: { exec: { command: "aws", args: ["eks", "get-token", "--cluster-name", "c"] } } }] });

test("sensitive-values-secret: VM startup scripts carrying a join token or private key stay secret", async () => {
  assert.ok(scriptHasCredentials("cat > /etc/rancher/k3s/config.yaml <<'EOF'\ntoken: abc123\nEOF"));
  assert.ok(scriptHasCredentials("-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----"));
  assert.ok(scriptHasCredentials("curl -sfL https://get.k3s.io | K3S_TOKEN=s3cr3t sh -"));
  assert.ok(scriptHasCredentials("#cloud-config\nwrite_files:\n- content: |\n    agent-token: abc\n"), "k3s's agent-token is a join credential too");
  assert.ok(!scriptHasCredentials("#!/bin/sh\napt-get install -y nvidia-driver-580\n# tokens are fetched later\n"));
  const script = "#!/bin/sh\ncat > /etc/rancher/k3s/config.yaml <<'EOF'\ntoken: abc123\nEOF\n";
  const vm = (type: string, extra: Record<string, unknown> = {}) => ({ type, name: "k3s-server", props: { metadataStartupScript: script }, ...extra });
  const ok = await runResource(sensitiveValuesSecret, [
    vm("gcp:compute/instance:Instance", { additionalSecretOutputs: ["metadataStartupScript"] }),
    { type: "gcp:compute/instanceTemplate:InstanceTemplate", name: "agents", props: { metadataStartupScript: UNKNOWN }, additionalSecretOutputs: ["metadataStartupScript"] },
    { type: "gcp:compute/instance:Instance", name: "web", props: { metadataStartupScript: "#!/bin/sh\necho hello\n" } },
  ]);
  assert.deepEqual(ok.violations, []);
  // Encrypted in the export under review (or computed): unreadable, so only additionalSecretOutputs can clear it.
  const hidden = await runResource(sensitiveValuesSecret, { type: "gcp:compute/instanceTemplate:InstanceTemplate", name: "agents", props: { metadataStartupScript: UNKNOWN } });
  assert.match(hidden.violations[0].message, /InstanceTemplate agents: metadataStartupScript cannot be read here .* not in additionalSecretOutputs/);
  const bad = await runResource(sensitiveValuesSecret, [
    vm("gcp:compute/instance:Instance"),
    vm("gcp:compute/instanceTemplate:InstanceTemplate", { props: { metadata: { "startup-script": script } } }),
  ]);
  assert.equal(bad.violations.length, 2);
  assert.match(bad.violations[0].message, /Instance k3s-server: metadataStartupScript carries a join token or private key but metadataStartupScript is not declared secret \(not in the resource's additionalSecretOutputs\)/);
  assert.match(bad.violations[1].message, /metadata\.startup-script carries a join token/);
  // Any metadata value the VM hands to cloud-init counts, not only startup-script.
  const userData = await runResource(sensitiveValuesSecret, vm("gcp:compute/instance:Instance", { props: { metadata: { "user-data": "#cloud-config\n  token: abc\n" } } }));
  assert.match(userData.violations[0].message, /metadata\.user-data carries a join token/);
});

test("sensitive-values-secret: kubeconfigs, tokens and CA keys stay secret", async () => {
  const ok = await runResource(sensitiveValuesSecret, [
    { type: "pulumi:providers:kubernetes", name: "local-k8s", props: { kubeconfig: "/home/me/.kube/config" }, provider: null },
    { type: "pulumi:providers:kubernetes", name: "eks-k8s", props: { kubeconfig: UNKNOWN }, additionalSecretOutputs: ["kubeconfig"], provider: null },
    { type: "pulumi:providers:kubernetes", name: "gke-k8s", props: { kubeconfig }, additionalSecretOutputs: ["kubeconfig"], provider: null },
    // An exec-plugin kubeconfig (EKS) holds no credential; a real preview sees it unwrapped.
    { type: "pulumi:providers:kubernetes", name: "eks-plain-k8s", props: { kubeconfig: execKubeconfig }, provider: null },
    { type: SECRET, props: { metadata: { name: "cacerts", namespace: "istio-system" }, stringData: { "ca-key.pem": "k" } }, additionalSecretOutputs: ["data", "stringData"] },
    { type: SECRET, props: { metadata: { name: "reader-token", namespace: "istio-system" }, type: "kubernetes.io/service-account-token" }, additionalSecretOutputs: ["data", "stringData"] },
    { type: SECRET, props: { metadata: { name: "plain-config" }, stringData: { a: "b" } } },
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(sensitiveValuesSecret, [
    { type: "pulumi:providers:kubernetes", name: "gke-k8s", props: { kubeconfig }, provider: null },
    // `pulumi preview` decrypts a secret kubeconfig before the pack sees it: ciphertext offline is no excuse.
    { type: "pulumi:providers:kubernetes", name: "k3s-k8s", props: { kubeconfig: UNKNOWN }, provider: null },
    { type: SECRET, props: { metadata: { name: "cacerts", namespace: "istio-system" }, stringData: { "ca-key.pem": "k" } } },
    { type: SECRET, props: { metadata: { name: "reader-token", namespace: "istio-system" }, type: "kubernetes.io/service-account-token" } },
    { type: SECRET, props: { metadata: { name: "istio-remote-secret-b", namespace: "istio-system", labels: { "istio/multiCluster": "true" } }, data: { b: kubeconfig } } },
  ]);
  assert.equal(bad.violations.length, 5, JSON.stringify(bad.violations, null, 1));
  const fixed = await sensitiveValuesSecret.remediateResource!(resourceArgs({ type: "pulumi:providers:kubernetes", props: { kubeconfig }, provider: null }));
  assert.ok((fixed as any).kubeconfig instanceof Secret);
});

// A ConfigMap has no secret fields (pulumi-kubernetes declares none; the API server serves it to
// every reader of ConfigMaps): a CA key or credential kubeconfig there is plaintext everywhere.
test("sensitive-values-secret: no ConfigMap holds a private key or a kubeconfig carrying credentials", async () => {
  const CM = "kubernetes:core/v1:ConfigMap";
  const cm = (name: string, data: Record<string, string>, field = "data") => ({ type: CM, name, props: { metadata: { name, namespace: "istio-system" }, [field]: data } });
  const ok = await runResource(sensitiveValuesSecret, [
    cm("root-cert", { "root-cert.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" }),
    cm("exec-kubeconfig", { config: execKubeconfig }),
    cm("epp", { "default-plugins.yaml": "plugins:\n- type: max-score-picker\n  parameters:\n    maxTokens: 10\n" }),
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(sensitiveValuesSecret, [
    cm("ca", { "ca-key.pem": "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n" }),
    cm("admin", { kubeconfig }),
    cm("json", { config: JSON.stringify({ apiVersion: "v1", kind: "Config", users: [{ name: "ci", user: { token: "t0k3n" } }] }) }),
    cm("bin", { "key.pem": Buffer.from("-----BEGIN EC PRIVATE KEY-----\nx\n").toString("base64") }, "binaryData"),
  ]);
  assert.deepEqual(bad.violations.map((v) => v.message), [
    "ConfigMap istio-system/ca data.ca-key.pem holds a private key: a ConfigMap is never secret (plaintext in state, exports and to every reader of ConfigMaps); move it to a Secret",
    "ConfigMap istio-system/admin data.kubeconfig holds a kubeconfig carrying credentials (client-key-data): a ConfigMap is never secret (plaintext in state, exports and to every reader of ConfigMaps); move it to a Secret",
    "ConfigMap istio-system/json data.config holds a kubeconfig carrying credentials (token): a ConfigMap is never secret (plaintext in state, exports and to every reader of ConfigMaps); move it to a Secret",
    "ConfigMap istio-system/bin binaryData.key.pem holds a private key: a ConfigMap is never secret (plaintext in state, exports and to every reader of ConfigMaps); move it to a Secret",
  ]);
});

test("eks-endpoint-private: public EKS endpoints only where the stack allows them, never open to the world", async () => {
  const eks = (props: Record<string, unknown>) => ({ type: "eks:index:Cluster", name: "use1-eks", props, provider: null });
  const aws = (vpcConfig: Record<string, unknown>) => ({ type: "aws:eks/cluster:Cluster", name: "raw", props: { vpcConfig }, provider: null });
  assert.deepEqual((await runResource(eksEndpointPrivate, [eks({ endpointPublicAccess: false }), aws({ endpointPublicAccess: false })])).violations, []);
  const publicByDefault = await runResource(eksEndpointPrivate, [eks({}), aws({ subnetIds: [] })], null);
  assert.equal(publicByDefault.violations.length, 2);
  assert.match(publicByDefault.violations[0].message, /public API endpoint but the stack forbids them/);
  const allowed = await runResource(eksEndpointPrivate, eks({ endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24"] }), { allowPublicApiEndpoints: true });
  assert.deepEqual(allowed.violations, []);
  const world = await runResource(eksEndpointPrivate, eks({ endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/0"] }), { allowPublicApiEndpoints: true });
  assert.match(world.violations[0].message, /open to 0\.0\.0\.0\/0/);
});

test("eks-endpoint-private: ranges that together cover the internet are as open as 0.0.0.0/0", async () => {
  const eks = (publicAccessCidrs: string[]) => ({ type: "eks:index:Cluster", name: "use1-eks", props: { endpointPublicAccess: true, publicAccessCidrs }, provider: null });
  const halves = await runResource(eksEndpointPrivate, eks(["0.0.0.0/1", "128.0.0.0/1"]), { allowPublicApiEndpoints: true });
  assert.equal(halves.violations.length, 1);
  assert.deepEqual((await runResource(eksEndpointPrivate, eks(["0.0.0.0/1", "203.0.113.0/24"]), { allowPublicApiEndpoints: true })).violations, []);
});

test("explicit-kubernetes-provider: every explicit provider names its cluster's kubeconfig", async () => {
  const provider = (name: string, props: Record<string, unknown>) => ({ type: "pulumi:providers:kubernetes", name, props: { enableServerSideApply: true, ...props }, provider: null });
  const ok = await runResource(explicitKubernetesProvider, [
    // An existing cluster's kubeconfig file (the local stack), inline content, and a cluster's
    // kubeconfig still being computed in its first preview (or encrypted in an export).
    provider("local-k8s", { kubeconfig: "/root/.kube/config", context: "k3d-local" }),
    provider("gke-k8s", { kubeconfig: "apiVersion: v1\nkind: Config\nclusters: []\n" }),
    provider("eks-k8s", { kubeconfig: UNKNOWN }),
    // Render mode writes manifests and applies nothing.
    provider("yaml-k8s", { renderYamlToDirectory: "out/yaml" }),
    // The engine's default provider is reported on the resources that use it.
    provider("default_4_34_2", {}),
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(explicitKubernetesProvider, [
    provider("aws-use1-k8s", {}),
    provider("aws-euw1-k8s", { kubeconfig: "  " }),
    provider("gcp-usc1-k8s", { context: "prod" }),
  ]);
  assert.equal(bad.violations.length, 3, JSON.stringify(bad.violations, null, 1));
  assert.match(bad.violations[0].message, /^provider aws-use1-k8s sets no kubeconfig: pulumi-kubernetes then loads \$KUBECONFIG, ~\/\.kube\/config or the in-cluster account of whoever runs Pulumi, and deploys/);
  assert.match(bad.violations[2].message, /\(context prod is looked up there too\)/);
});

const AGWP = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayParameters";
const agwParams = (spec: Record<string, unknown>, name = "agent-gateway") => ({ type: AGWP, props: { metadata: { name, namespace: "agents" }, spec } });

test("images-pinned: AgentgatewayParameters pin the proxy image and their overlays' containers", async () => {
  const digest = "sha256:" + "c".repeat(64);
  const ok = await runResource(imagesPinned, [
    // The shipped parameters set no image: the controller's own release is the tag.
    agwParams({ deployment: { spec: { replicas: 2 } }, istio: { enabled: true } }),
    agwParams({ image: { registry: "cr.agentgateway.dev", repository: "agentgateway", tag: "v1.4.1" } }),
    agwParams({ image: { repository: "agentgateway" } }),
    agwParams({ image: { tag: "latest", digest } }),
    agwParams({ image: { tag: UNKNOWN } }),
    // Overlay containers without an image only patch the generated container.
    agwParams({ deployment: { spec: { template: { spec: { containers: [{ name: "agentgateway", resources: { limits: { memory: "1Gi" } } }], initContainers: [{ name: "init", image: "busybox:1.37" }] } } } } }),
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(imagesPinned, [
    agwParams({ image: { tag: "latest" } }, "latest"),
    agwParams({ image: { repository: "agentgateway", tag: "" } }, "untagged"),
    agwParams({ image: { digest: "sha256:abc" } }, "short-digest"),
    agwParams({ deployment: { spec: { template: { spec: { containers: [{ name: "sidecar", image: "ghcr.io/x/log-shipper" }] } } } } }, "overlay"),
    agwParams({ daemonSet: { spec: { template: { spec: { containers: [{ name: "agentgateway", image: "cr.agentgateway.dev/agentgateway:latest" }] } } } } }, "ds-overlay"),
  ]);
  assert.equal(bad.violations.length, 5, JSON.stringify(bad.violations, null, 1));
  assert.match(bad.violations[0].message, /^AgentgatewayParameters agents\/latest: spec\.image\.tag is 'latest'/);
  assert.match(bad.violations[1].message, /agents\/untagged: spec\.image\.tag is empty: the proxy image is pulled without a tag/);
  assert.match(bad.violations[2].message, /spec\.image\.digest 'sha256:abc' is malformed/);
  assert.match(bad.violations[3].message, /agents\/overlay deployment overlay container sidecar: ghcr\.io\/x\/log-shipper has no tag or digest/);
  assert.match(bad.violations[4].message, /agents\/ds-overlay daemonSet overlay container agentgateway: .* uses the latest tag/);
});

test("images-pinned: a Helm image string is pinned by a sibling tag, version or digest (never latest)", async () => {
  assert.deepEqual(unpinnedHelmValues({ image: "ghcr.io/x/app", tag: "1.2.3" }), []);
  assert.deepEqual(unpinnedHelmValues({ sim: { image: "ghcr.io/x/app", version: 1.2 } }), []);
  assert.deepEqual(unpinnedHelmValues({ image: "ghcr.io/x/app", digest: "sha256:" + "d".repeat(64) }), []);
  assert.deepEqual(unpinnedHelmValues({ image: "ghcr.io/x/app", tag: "latest" }), ["values.tag is 'latest' (the newest image, not a reviewed one)"]);
  assert.deepEqual(unpinnedHelmValues({ image: "ghcr.io/x/app", version: "Latest" }), ["values.version is 'Latest' (the newest image, not a reviewed one)"]);
  assert.deepEqual(unpinnedHelmValues({ image: "ghcr.io/x/app", digest: "sha256:abc" }), ["values.image: ghcr.io/x/app: the digest 'sha256:abc' beside it is malformed (sha256: and 64 hex digits)"]);
  // An empty sibling sets nothing: the bare image string stands alone.
  assert.deepEqual(unpinnedHelmValues({ image: "ghcr.io/x/app", tag: "" }), ["values.image: ghcr.io/x/app has no tag or digest (resolves to latest)"]);
  // A `version` key away from an image string is not an image version.
  assert.deepEqual(unpinnedHelmValues({ schema: { version: "latest" } }), []);
  const release = (values: Record<string, unknown>) => ({ type: "kubernetes:helm.sh/v3:Release", props: { name: "app", chart: "app", version: "1.0.0", values } });
  assert.deepEqual((await runResource(imagesPinned, release({ image: "ghcr.io/x/app", tag: "1.2.3" }))).violations, []);
  assert.equal((await runResource(imagesPinned, release({ image: "ghcr.io/x/app" }))).violations.length, 1);
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

test("sensitive-values-secret: auth-provider tokens and secrets, and secret exec env vars, are kubeconfig credentials", async () => {
  const authProvider = "apiVersion: v1\nkind: Config\nusers:\n- name: oidc\n  user:\n    auth-provider:\n      name: oidc\n      config:\n        client-id: kube\n        client-secret: s3cr3t\n        refresh-token: r1\n        idp-issuer-url: https://idp.example\n";
  const execEnv = "apiVersion: v1\nkind: Config\nusers:\n- name: aws\n  user:\n    exec:\n      command: aws\n      args:\n      - eks\n      - get-token\n      env:\n      - name: AWS_PROFILE\n        value: prod\n      - name: AWS_SECRET_ACCESS_KEY\n        value: wJalrXUtnFEMI\n";
  assert.deepEqual(kubeconfigCredentials(authProvider), ["client-secret", "refresh-token"]);
  assert.deepEqual(kubeconfigCredentials(execEnv), ["exec env AWS_SECRET_ACCESS_KEY"]);
  assert.deepEqual(kubeconfigCredentials("users:\n- name: gke\n  user:\n    auth-provider:\n      name: gcp\n      config:\n        access-token: ya29.x\n        token-key: '{.credential.access_token}'\n"), ["access-token"]);
  assert.deepEqual(kubeconfigCredentials("users:\n- name: aws\n  user:\n    exec:\n      command: aws\n      env: [{name: AWS_SESSION_TOKEN, value: FwoG}]\n"), ["exec env AWS_SESSION_TOKEN"]);
  assert.deepEqual(kubeconfigCredentials(JSON.stringify({ users: [{ name: "a", user: { "auth-provider": { name: "azure", config: { "access-token": "x", "tenant-id": "t" } } } }] })), ["access-token"]);
  // Settings that name no secret: a profile, a token file path, gcp's JSONPath keys, an exec-only user.
  assert.deepEqual(kubeconfigCredentials(execEnv.replace(/      - name: AWS_SECRET_ACCESS_KEY\n        value: wJalrXUtnFEMI\n/, "      - name: AWS_WEB_IDENTITY_TOKEN_FILE\n        value: /var/run/secrets/token\n")), []);
  assert.deepEqual(kubeconfigCredentials("users:\n- name: gke\n  user:\n    auth-provider:\n      name: gcp\n      config:\n        cmd-path: /usr/bin/gcloud\n        token-key: '{.credential.access_token}'\n"), []);
  assert.deepEqual(kubeconfigCredentials(execKubeconfig), []);
  // Read as YAML is read: anchors, block scalars, numbers and quoted keys set credentials too.
  assert.deepEqual(kubeconfigCredentials("users:\n- name: a\n  user: &u\n    token: |\n      eyJhbGci\n- name: b\n  user: *u\n"), ["token"]);
  assert.deepEqual(kubeconfigCredentials("users:\n- name: a\n  user:\n    exec:\n      env:\n      - {name: VAULT_TOKEN, value: 12345}\n"), ["exec env VAULT_TOKEN"]);
  assert.deepEqual(kubeconfigCredentials('users:\n- name: a\n  user: {"password": 0}\n'), ["password"]);
  assert.deepEqual(kubeconfigCredentials("users:\n- name: a\n  user:\n    token: ''\n    password: ~\n"), []);
  assert.deepEqual(kubeconfigCredentials("users:\n- name: a\n  user:\n    token: abc\n---\n"), ["token"]);
  assert.deepEqual(kubeconfigCredentials("users:\n- name: a\n  user:\n    exec:\n      command: aws\n---\n"), []);
  // Text no YAML reader takes (a tab indent) may hold anything: it counts as credentials.
  assert.match(kubeconfigCredentials("users:\n- name: a\n  user:\n\ttoken: x\n").join(), /not YAML this pack can read/);
  const provider = (name: string, kc: string, extra: Record<string, unknown> = {}) => ({ type: "pulumi:providers:kubernetes", name, props: { kubeconfig: kc }, provider: null, ...extra });
  const ok = await runResource(sensitiveValuesSecret, [
    provider("oidc-k8s", authProvider, { additionalSecretOutputs: ["kubeconfig"] }),
    provider("aws-k8s", execEnv, { additionalSecretOutputs: ["kubeconfig"] }),
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(sensitiveValuesSecret, [provider("oidc-k8s", authProvider), provider("aws-k8s", execEnv)]);
  assert.equal(bad.violations.length, 2, JSON.stringify(bad.violations, null, 1));
  // Policies see secrets unwrapped: the message says what is known, that the output is not declared secret.
  assert.match(bad.violations[0].message, /^provider oidc-k8s: the inline kubeconfig carries credentials \(client-secret, refresh-token\) and its kubeconfig is not declared secret \(not in the resource's additionalSecretOutputs\), so its output may sit in state in plaintext; list "kubeconfig"/);
  assert.match(bad.violations[1].message, /carries credentials \(exec env AWS_SECRET_ACCESS_KEY\)/);
  const fixed = await sensitiveValuesSecret.remediateResource!(resourceArgs({ type: "pulumi:providers:kubernetes", props: { kubeconfig: execEnv }, provider: null }));
  assert.ok((fixed as any).kubeconfig instanceof Secret);
});

test("eks-endpoint-private: an endpoint setting or range unknown in a preview is can't judge, not private nor open", async () => {
  const eks = (props: Record<string, unknown>) => ({ type: "eks:index:Cluster", name: "use1-eks", props, provider: null });
  const aws = (vpcConfig: Record<string, unknown>) => ({ type: "aws:eks/cluster:Cluster", name: "raw", props: { vpcConfig }, provider: null });
  // Publicness not known yet (before: taken as private, a silent pass).
  const publicness = await runResource(eksEndpointPrivate, [eks({ endpointPublicAccess: UNKNOWN }), aws({ endpointPublicAccess: UNKNOWN })], null);
  assert.deepEqual(publicness.violations, []);
  assert.equal(publicness.unknown.length, 2);
  assert.match(publicness.unknown[0], /endpointPublicAccess of EKS cluster use1-eks, which decides: .*public API endpoint but the stack forbids them/);
  // Ranges not known yet (before: taken as none, "open to 0.0.0.0/0 (the default)", a violation).
  const allowed = { allowPublicApiEndpoints: true };
  const ranges = await runResource(eksEndpointPrivate, [eks({ endpointPublicAccess: true, publicAccessCidrs: UNKNOWN }), eks({ endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24", UNKNOWN] })], allowed);
  assert.deepEqual(ranges.violations, []);
  assert.equal(ranges.unknown.length, 2);
  assert.match(ranges.unknown[0], /publicAccessCidrs of EKS cluster use1-eks/);
  // Unknowns that cannot change the verdict block nothing: a known open range fails beside an unknown one,
  // a known private endpoint passes whatever its ranges.
  const open = await runResource(eksEndpointPrivate, [eks({ endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/0", UNKNOWN] }), eks({ endpointPublicAccess: false, publicAccessCidrs: UNKNOWN })], allowed);
  assert.deepEqual(open.unknown, []);
  assert.equal(open.violations.length, 1);
  assert.match(open.violations[0].message, /open to 0\.0\.0\.0\/0; restrict publicAccessCidrs/);
  // Known: a public endpoint the stack forbids is still reported.
  assert.match((await runResource(eksEndpointPrivate, eks({ endpointPublicAccess: true, publicAccessCidrs: UNKNOWN }), null)).violations[0].message, /public API endpoint but the stack forbids them/);
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

test("images-pinned: an image, chart version or Helm value unknown in a preview is can't judge, and hides no known finding", async () => {
  const release = (props: Record<string, unknown>) => ({ type: "kubernetes:helm.sh/v3:Release", props: { name: "istiod", chart: "istiod", version: "1.30.3", ...props } });
  // AgentgatewayParameters: the image or an overlay container's image not known yet (before: silent passes).
  const agw = await runResource(imagesPinned, [
    agwParams({ image: { tag: UNKNOWN } }, "tag"),
    agwParams({ deployment: { spec: { template: { spec: { containers: [{ name: "sidecar", image: UNKNOWN }] } } } } }, "overlay"),
    agwParams({ daemonSet: UNKNOWN }, "ds"),
    agwParams({ image: { tag: UNKNOWN, digest: "sha256:" + "c".repeat(64) } }, "digest"),
  ]);
  assert.deepEqual(agw.violations, []);
  assert.deepEqual(agw.unknown.map((u) => u.replace(/^.*<|>.*$/g, "")), [
    "spec.image of AgentgatewayParameters agents/tag",
    "the image of AgentgatewayParameters agents/overlay deployment overlay container sidecar",
    "its daemonSet overlay of AgentgatewayParameters agents/ds",
  ]);
  // Helm values: a known latest tag is reported beside a value not known yet (before: the unknown value hid it).
  const values = await runResource(imagesPinned, release({ values: { global: { tag: "latest", remotePilotAddress: UNKNOWN } } }));
  assert.deepEqual(values.violations.map((v) => v.message), ["Helm release istiod (istiod): values.global.tag is 'latest' (the newest image, not a reviewed one); pin a version tag or digest"]);
  assert.match(values.unknown[0], /values\.global\.remotePilotAddress of Helm release istiod/);
  // An image whose sibling tag is not known yet may be pinned by it.
  const sibling = await runResource(imagesPinned, release({ values: { sim: { image: "ghcr.io/x/app", tag: UNKNOWN } } }));
  assert.deepEqual(sibling.violations, []);
  assert.match(sibling.unknown[0], /values\.sim\.tag/);
  // A chart version, or the chart deciding whether a range matters, not known yet.
  const version = await runResource(imagesPinned, [release({ version: UNKNOWN, values: {} }), release({ chart: UNKNOWN, version: "^1.4", values: {} })]);
  assert.deepEqual(version.violations, []);
  assert.equal(version.unknown.length, 2);
  assert.match(version.unknown[1], /the chart of Helm release istiod \(chart not known yet\) \(a local chart carries its own version\), which decides: .* is a range/);
  // Workloads: one container's image not known yet hides no other's (before: judged up to the unknown one).
  const workload = await runResource(imagesPinned, deployment("vllm", { initContainers: [{ name: "init", image: UNKNOWN }], containers: [{ name: "vllm", image: "vllm/vllm-openai:latest" }] }));
  assert.deepEqual(workload.violations.map((v) => v.message), ["Deployment inference/vllm container vllm: vllm/vllm-openai:latest uses the latest tag; pin a version tag or digest"]);
  assert.match(workload.unknown[0], /the image of Deployment inference\/vllm container init/);
});

test("sensitive-values-secret: Secret data unknown in a preview is still data to keep secret, and one unknown VM metadata entry hides no other", async () => {
  const cacerts = (extra: Record<string, unknown> = {}) => ({ type: SECRET, props: { metadata: { name: "cacerts", namespace: "istio-system" }, stringData: UNKNOWN }, ...extra });
  // Whether it is set is all that matters (the Secret's kind says what it holds): before, an unknown value passed unchecked.
  const hidden = await runResource(sensitiveValuesSecret, cacerts());
  assert.deepEqual(hidden.violations.map((v) => v.message), [
    "Secret istio-system/cacerts holds the mesh CA key (ca-key.pem) but its stringData is not declared secret (not in the resource's additionalSecretOutputs); create it with k8s.core.v1.Secret (which declares data and stringData secret) or list them in additionalSecretOutputs",
  ]);
  assert.deepEqual((await runResource(sensitiveValuesSecret, cacerts({ additionalSecretOutputs: ["data", "stringData"] }))).violations, []);
  // VM metadata read entry by entry (before: one unknown entry crashed the check, hiding the token beside it).
  const vm = await runResource(sensitiveValuesSecret, { type: "gcp:compute/instance:Instance", name: "agent", props: { metadata: { "startup-script": UNKNOWN, "user-data": "#cloud-config\n  token: abc\n" } } });
  assert.deepEqual(vm.unknown, []);
  assert.equal(vm.violations.length, 2);
  assert.match(vm.violations[0].message, /metadata\.startup-script cannot be read here/);
  assert.match(vm.violations[1].message, /metadata\.user-data carries a join token or private key/);
});

const HELM = "kubernetes:helm.sh/v3:Release";
const helmRelease = (chart: string, values: Record<string, unknown>, name = chart, namespace = "istio-system") => ({ type: HELM, props: { name, chart, namespace, version: "1.0.0", values } });
const CONFIGMAP = "kubernetes:core/v1:ConfigMap";
const configMap = (name: string, data: Record<string, unknown>, labels: Record<string, string> = {}) => ({ type: CONFIGMAP, props: { metadata: { name, namespace: "inference", labels }, data } });

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

test("gpu-scheduling: Istio gateway deployment overlays (parametersRef/GatewayClass ConfigMaps, istiod gatewayClasses) keep off the GPU taint", async () => {
  const yamlOverlay = (podSpec: string) => `spec:\n  template:\n    spec:\n${podSpec}`;
  const ok = await runResource(gpuScheduling, [
    // The shipped options: a Service patch only.
    configMap("inference-gateway-options", { service: "spec:\n  externalTrafficPolicy: Local\n" }),
    configMap("gw-options", { deployment: yamlOverlay("      tolerations:\n      - key: dedicated\n        operator: Equal\n        value: gateways\n        effect: NoSchedule\n"), service: "spec: {}\n" }),
    // Not shaped as gateway parameters (a key Istio refuses): not an overlay.
    configMap("app-config", { deployment: yamlOverlay("      tolerations:\n      - operator: Exists\n"), "settings.json": "{}" }),
    // Allow-listed by the ConfigMap's namespace/name.
    configMap("gpu-gateway-options", { deployment: yamlOverlay("      tolerations:\n      - operator: Exists\n") }),
    helmRelease("istiod", { gatewayClasses: { istio: { service: { spec: { type: "ClusterIP" } }, deployment: { spec: { replicas: 2 } } } } }),
  ], { allowedTolerators: ["inference/gpu-gateway-options"] });
  assert.deepEqual(ok.violations, []);
  // Before: no ConfigMap and no gatewayClasses value was judged.
  const bad = await runResource(gpuScheduling, [
    configMap("inference-gateway-options", { deployment: yamlOverlay("      tolerations:\n      - operator: Exists\n"), service: "spec:\n  externalTrafficPolicy: Local\n" }),
    configMap("json-options", { deployment: JSON.stringify({ spec: { template: { spec: { nodeSelector: { "nvidia.com/gpu.present": "true" } } } } }) }),
    configMap("istio-default-gatewayclass-istio", { deployment: "spec: {template: {spec: {tolerations: [{key: nvidia.com/gpu, operator: Exists}]}}}", "other": "x" }, { "gateway.istio.io/defaults-for-class": "istio" }),
    helmRelease("istiod", { gatewayClasses: { istio: { deployment: { spec: { template: { spec: { tolerations: [gpuToleration] } } } } } } }),
  ]);
  assert.equal(bad.violations.length, 4, JSON.stringify(bad.violations, null, 1));
  assert.match(bad.violations[0].message, /^ConfigMap inference\/inference-gateway-options \(Istio gateway overlay\) data\.deployment requests no GPU but tolerates the nvidia\.com\/gpu taint/);
  assert.match(bad.violations[1].message, /^ConfigMap inference\/json-options \(Istio gateway overlay\) data\.deployment selects GPU nodes \(nodeSelector nvidia\.com\/gpu\.present\)/);
  assert.match(bad.violations[2].message, /^ConfigMap inference\/istio-default-gatewayclass-istio .* requests no GPU but tolerates/);
  assert.match(bad.violations[3].message, /^Helm release istio-system\/istiod \(chart istiod\) gateway deployment overlay \(values\.gatewayClasses\.istio\.deployment\) requests no GPU but tolerates/);
  // An overlay not known yet is can't judge, not a pass; any YAML Istio reads is read (anchors too).
  const unread = await runResource(gpuScheduling, [
    configMap("later", { deployment: UNKNOWN }),
    configMap("anchored", { deployment: "spec:\n  template: &t\n    spec: {tolerations: [{operator: Exists}]}\n" }),
  ]);
  assert.equal(unread.violations.length, 1);
  assert.match(unread.violations[0].message, /^ConfigMap inference\/anchored \(Istio gateway overlay\) data\.deployment requests no GPU but tolerates/);
  assert.match(unread.unknown[0], /its deployment overlay \(data\.deployment\) of ConfigMap inference\/later/);
});

test("images-pinned: containers of Istio gateway deployment overlays (ConfigMaps, istiod gatewayClasses) are pinned", async () => {
  const containers = (image: string) => `spec:\n  template:\n    spec:\n      containers:\n      - name: istio-proxy\n        image: ${image}\n      - name: istio-proxy-resources\n`;
  const ok = await runResource(imagesPinned, [
    configMap("inference-gateway-options", { service: "spec:\n  externalTrafficPolicy: Local\n" }),
    configMap("gw-options", { deployment: containers("docker.io/istio/proxyv2:1.30.3") }),
    helmRelease("istiod", { gatewayClasses: { istio: { deployment: { spec: { template: { spec: { containers: [{ name: "istio-proxy", resources: { limits: { cpu: "2" } } }] } } } } } } }),
  ]);
  assert.deepEqual(ok.violations, []);
  // Before: neither overlay was judged (a bare `image: busybox` in gatewayClasses was read as a chart repository name).
  const bad = await runResource(imagesPinned, [
    configMap("gw-options", { deployment: containers("docker.io/istio/proxyv2:latest") }),
    helmRelease("istiod", {
      gatewayClasses: { istio: { deployment: { spec: { template: { spec: { initContainers: [{ name: "init", image: "busybox" }], containers: [{ name: "istio-proxy", image: "docker.io/istio/proxyv2:latest" }] } } } } } },
    }),
  ]);
  // Each image once: the overlay is judged as containers, not also as chart image values.
  assert.deepEqual(bad.violations.map((v) => v.message), [
    "ConfigMap inference/gw-options (Istio gateway overlay) data.deployment container istio-proxy: docker.io/istio/proxyv2:latest uses the latest tag; pin a version tag or digest",
    "Helm release istiod (istiod) gateway deployment overlay (values.gatewayClasses.istio.deployment) container init: busybox has no tag or digest (resolves to latest); pin a version tag or digest",
    "Helm release istiod (istiod) gateway deployment overlay (values.gatewayClasses.istio.deployment) container istio-proxy: docker.io/istio/proxyv2:latest uses the latest tag; pin a version tag or digest",
  ]);
});

test("ReplicationController is a workload kind: its pod template is judged by every workload check", async () => {
  const rc = (podSpec: Record<string, unknown>, namespace = "tools", labels: Record<string, string> = {}) => ({
    type: "kubernetes:core/v1:ReplicationController",
    props: { metadata: { name: "legacy", namespace }, spec: { replicas: 1, template: { metadata: { labels }, spec: podSpec } } },
  });
  const ok = [
    await runResource(imagesPinned, rc({ containers: [{ name: "a", image: "a:1.0" }] })),
    await runResource(gpuScheduling, rc({ tolerations: [gpuToleration], containers: [{ name: "a", image: "a:1.0", resources: { limits: { "nvidia.com/gpu": 1 } } }] })),
  ];
  for (const outcome of ok) assert.deepEqual(outcome.violations, []);
  // Before: a ReplicationController was no workload, so none of these was seen.
  assert.match((await runResource(imagesPinned, rc({ containers: [{ name: "a", image: "a:latest" }] }))).violations[0].message, /^ReplicationController tools\/legacy container a: a:latest uses the latest tag/);
  assert.match((await runResource(gpuScheduling, rc({ containers: [{ name: "a", image: "a:1", resources: { limits: { "nvidia.com/gpu": 1 } } }] }))).violations[0].message, /^ReplicationController tools\/legacy uses GPUs but does not tolerate/);
  assert.match((await runResource(gpuScheduling, rc({ tolerations: [gpuToleration], containers: [{ name: "a", image: "a:1" }] }))).violations[0].message, /^ReplicationController tools\/legacy requests no GPU but tolerates/);
  const injected = await runResource(ambientNoSidecarInjection, rc({ containers: [{ name: "a", image: "a:1" }] }, "agents", { "sidecar.istio.io/inject": "true" }));
  assert.equal(injected.violations.length, 1);
  assert.match(injected.violations[0].message, /^ReplicationController agents\/legacy asks for a sidecar/);
  // ALLOW coverage: a namespace running only a ReplicationController runs a workload.
  const on = (type: string, name: string, props: Record<string, unknown>) => stackResource({ type, name: `a-${name}`, props, provider: k8sProvider("a") });
  const tools = on("kubernetes:core/v1:Namespace", "ns-tools", { metadata: { name: "tools", labels: { "istio.io/dataplane-mode": "ambient" } } });
  const legacy = on("kubernetes:core/v1:ReplicationController", "tools-legacy", rc({ containers: [{ name: "a", image: "a:1" }] }, "tools", { app: "legacy" }).props);
  const allow = on("kubernetes:security.istio.io/v1:AuthorizationPolicy", "tools-ap", { metadata: { name: "legacy", namespace: "tools" }, spec: { selector: { matchLabels: { app: "legacy" } }, action: "ALLOW", rules: [{ from: [{ source: { principals: ["cluster.local/ns/agents/sa/bot"] } }] }] } });
  assert.deepEqual((await runStack(workloadNamespacesAuthorized, [tools, legacy, allow])).violations, []);
  const uncovered = await runStack(workloadNamespacesAuthorized, [tools, legacy]);
  assert.equal(uncovered.violations.length, 1);
  assert.match(uncovered.violations[0].message, /^namespace tools on cluster a runs 1 workload\(s\) but has no ALLOW AuthorizationPolicy/);
});

// <Kind>Patch resources: a field the patch sets is judged, a field it leaves out keeps the object's own.
const deploymentPatch = (template: Record<string, unknown>) => ({ type: "kubernetes:apps/v1:DeploymentPatch", name: "vllm-patch", props: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "vllm", namespace: "inference" }, spec: { template } } });

test("images-pinned: a DeploymentPatch's images are judged; its containers without one patch other fields", async () => {
  // Before: no policy judged a patch, so :latest reached the model server unseen.
  const latest = await runResource(imagesPinned, deploymentPatch({ spec: { containers: [{ name: "vllm", image: "vllm/vllm-openai:latest" }] } }));
  assert.deepEqual(latest.violations.map((v) => v.message), ["DeploymentPatch inference/vllm container vllm: vllm/vllm-openai:latest uses the latest tag; pin a version tag or digest"]);
  const fine = await runResource(imagesPinned, [
    deploymentPatch({ spec: { containers: [{ name: "vllm", image: "vllm/vllm-openai:v0.21.0" }] } }),
    // Merged by name: resources only, the image stays the Deployment's.
    deploymentPatch({ spec: { containers: [{ name: "vllm", resources: { limits: { cpu: "4" } } }] } }),
    deploymentPatch({ metadata: { labels: { team: "ml" } } }),
  ]);
  assert.deepEqual(fine.violations, []);
});

test("gpu-scheduling: a DeploymentPatch is not judged for what it leaves out (tolerations, limits of the patched object)", async () => {
  const patch = deploymentPatch({ spec: { containers: [{ name: "vllm", image: "vllm/vllm-openai:v0.21.0" }] } });
  assert.deepEqual((await runResource(gpuScheduling, patch)).violations, []);
  // The same fields on a Deployment that requests GPUs without the toleration are a finding.
  const whole = await runResource(gpuScheduling, vllm({ limits: { "nvidia.com/gpu": 1 } }, []));
  assert.equal(whole.violations.length, 1);
});


test("kubernetes-cluster-binding: one resource per object per cluster, and a `<cluster>-` name on its own cluster's provider", async () => {
  const provider = (cluster: string) => stackResource({ type: "pulumi:providers:kubernetes", name: `${cluster}-k8s`, props: { kubeconfig: "x" }, provider: null });
  const obj = (cluster: string, logical: string, type: string, metadata: Record<string, unknown>, on = cluster) =>
    stackResource({ type, name: `${cluster}-${logical}`, props: { metadata }, provider: k8sProvider(on) });
  const calc = (cluster: string, on = cluster) => obj(cluster, "tools-deployment-calculator", "kubernetes:apps/v1:Deployment", { name: "calculator", namespace: "tools" }, on);
  const base = [provider("aws-euw1"), provider("aws-use1"), calc("aws-euw1"), calc("aws-use1")];
  assert.deepEqual((await runStack(kubernetesClusterBinding, base)).violations, []);
  // Before: aws-euw1's calculator bound to aws-use1's provider passed every policy.
  const moved = await runStack(kubernetesClusterBinding, [provider("aws-euw1"), provider("aws-use1"), obj("aws-euw1", "ns-tools", "kubernetes:core/v1:Namespace", { name: "tools" }), calc("aws-euw1", "aws-use1"), calc("aws-use1")]);
  assert.deepEqual(moved.violations.map((v) => v.message), [
    "aws-euw1-tools-deployment-calculator manages apps/Deployment tools/calculator on cluster aws-use1, and so does aws-use1-tools-deployment-calculator: each pulumi up applies its own copy over the other and deleting either deletes the object; keep one (if one of them was meant for another cluster, bind it to that cluster's provider)",
    "aws-use1-tools-deployment-calculator manages apps/Deployment tools/calculator on cluster aws-use1, and so does aws-euw1-tools-deployment-calculator: each pulumi up applies its own copy over the other and deleting either deletes the object; keep one (if one of them was meant for another cluster, bind it to that cluster's provider)",
    "aws-euw1-tools-deployment-calculator (Deployment tools/calculator) is named for cluster aws-euw1 but bound to provider aws-use1-k8s of cluster aws-use1: it is applied to aws-use1, and aws-euw1 does not get it; pass aws-euw1's provider (if it belongs on aws-use1, name it aws-use1-…, or list aws-euw1-tools-deployment-calculator in allowedCrossClusterNames)",
  ]);
  // The same group/kind/namespace/name twice on one cluster, under any version (Istio serves v1 and v1beta1).
  const twice = await runStack(kubernetesClusterBinding, [
    provider("a"),
    obj("a", "pa", "kubernetes:security.istio.io/v1:PeerAuthentication", { name: "default", namespace: "istio-system" }),
    obj("a", "pa-legacy", "kubernetes:security.istio.io/v1beta1:PeerAuthentication", { name: "default", namespace: "istio-system" }),
  ]);
  assert.equal(twice.violations.length, 2);
  assert.match(twice.violations[0].message, /^a-pa manages security\.istio\.io\/PeerAuthentication istio-system\/default on cluster a, and so does a-pa-legacy/);
  const fine = await runStack(kubernetesClusterBinding, [
    provider("eu"),
    provider("eu-west"),
    // A patch of an object the stack creates is not a second owner; nor are auto-named objects, or the same name in another namespace or kind.
    obj("eu", "ns", "kubernetes:core/v1:Namespace", { name: "inference" }),
    stackResource({ type: "kubernetes:core/v1:NamespacePatch", name: "eu-ns-patch", props: { kind: "Namespace", metadata: { name: "inference", labels: { a: "b" } } }, provider: k8sProvider("eu") }),
    obj("eu", "cm-1", "kubernetes:core/v1:ConfigMap", {}),
    obj("eu", "cm-2", "kubernetes:core/v1:ConfigMap", {}),
    obj("eu", "svc", "kubernetes:core/v1:Service", { name: "inference", namespace: "tools" }),
    // Cluster names that prefix each other: `eu-west-…` on eu-west starts with its own cluster's name.
    obj("eu-west", "ns", "kubernetes:core/v1:Namespace", { name: "inference" }),
    // A cluster whose resources do not follow `<cluster>-<thing>` is left alone, and so is a listed name.
    stackResource({ type: "kubernetes:core/v1:Namespace", name: "eu-shared-namespace", props: { metadata: { name: "shared" } }, provider: k8sProvider("other") }),
    obj("eu", "remote-secret-for-west", "kubernetes:core/v1:Secret", { name: "istio-remote-secret-eu", namespace: "istio-system" }, "eu-west"),
  ], { allowedCrossClusterNames: ["eu-remote-secret-for-west"] });
  assert.deepEqual(fine.violations, []);
  // Two Helm releases of one name in one namespace share Helm's release record.
  const helm = (logical: string) => stackResource({ type: "kubernetes:helm.sh/v3:Release", name: logical, props: { name: "istiod", namespace: "istio-system", chart: "istiod" }, provider: k8sProvider("a") });
  assert.equal((await runStack(kubernetesClusterBinding, [provider("a"), helm("a-istiod"), helm("a-istiod-again")])).violations.length, 2);
});

test("kubernetes-cluster-binding: in a cluster's first preview (its objects without outputs) the names still decide; collisions wait where no cluster is known", async () => {
  const provider = (cluster: string) => stackResource({ type: "pulumi:providers:kubernetes", name: `${cluster}-k8s`, props: { kubeconfig: UNKNOWN }, provider: null });
  const empty = (logical: string, on: string) => stackResource({ type: "kubernetes:apps/v1:Deployment", name: logical, props: {}, provider: k8sProvider(on) });
  const known = (logical: string, on: string) => stackResource({ type: "kubernetes:apps/v1:Deployment", name: logical, props: { metadata: { name: "calc", namespace: "tools" } }, provider: k8sProvider(on) });
  // A cluster added to a running stack: left out, the others judged, nothing to wait for.
  const added = await runStack(kubernetesClusterBinding, [provider("a"), provider("b"), known("a-calc", "a"), empty("b-calc", "b"), empty("b-ns", "b")]);
  assert.deepEqual(added, { violations: [], unknown: [], notApplicable: [] });
  // A new stack: the misbound name is reported from names alone; collisions cannot be judged yet.
  const fresh = await runStack(kubernetesClusterBinding, [provider("a"), provider("b"), empty("a-calc", "b"), empty("a-ns", "a"), empty("b-ns", "b")]);
  assert.equal(fresh.violations.length, 1);
  assert.match(fresh.violations[0].message, /^a-calc is named for cluster a but bound to provider b-k8s of cluster b/);
  assert.match(fresh.unknown[0], /whether two resources manage the same object on a, b/);
});

test("Istio gateway overlay text: YAML and JSON are read as Istio reads them; text that is not one YAML document cannot be judged", async () => {
  const options = (deployment: string) => ({ type: "kubernetes:core/v1:ConfigMap", props: { metadata: { name: "gateway-options", namespace: "inference" }, data: { deployment } } });
  const tolerating = "# GPU nodes too\nspec:\n  template: {spec: {tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]}}\n";
  assert.equal((await runResource(gpuScheduling, options(tolerating))).violations.length, 1);
  const asJson = JSON.stringify({ spec: { template: { spec: { tolerations: [{ operator: "Exists" }] } } } });
  assert.equal((await runResource(gpuScheduling, options(asJson))).violations.length, 1);
  const twoDocuments = await runResource(gpuScheduling, options("spec: {}\n---\nspec: {}\n"));
  assert.deepEqual(twoDocuments.violations, []);
  assert.equal(twoDocuments.unknown.length, 1);
});
