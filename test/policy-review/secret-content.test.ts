/**
 * Breakage that only a secret's content shows, reviewed as `npm run policy` reviews a
 * passphrase-encrypted export: with the passphrase (the render's is the empty one) each is caught,
 * naming its policy, as `pulumi preview` (which decrypts the state first) would; without it the
 * report says the secrets could not be read instead of judging them.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { renderShipped } from "../support/render";
import { tempDir } from "../support/tmp";
import { runPolicyCli } from "../support/policy-cli";
import { decrypt } from "../support/secrets";
import { SIG_KEY, SECRET_SIG, type ExportedDeployment, type ExportedResource } from "../../scripts/lib/review-wire";
import { encryptValue } from "../../scripts/lib/export-secrets";

const dir = tempDir("review-secret-content-");
const prod = (): ExportedDeployment => structuredClone(renderShipped("prod").exported) as unknown as ExportedDeployment;
const find = (doc: ExportedDeployment, name: string) => doc.deployment.resources!.find((r) => r.urn.endsWith(`::${name}`))!;

/** Rewrites the secret `key` of a resource (inputs and outputs), re-encrypted under the render's passphrase. */
function editSecret(r: ExportedResource, key: string, fn: (value: any) => any): void {
  for (const side of [r.inputs, r.outputs] as any[]) {
    if (!side?.[key]?.ciphertext) continue;
    side[key] = { [SIG_KEY]: SECRET_SIG, ciphertext: encryptValue(JSON.stringify(fn(decrypt(side[key].ciphertext)))) };
  }
}

/** Reviews `doc` with `npm run policy` in a directory of its own (beside the stack's policy-config.json). */
function review(name: string, doc: ExportedDeployment, env: NodeJS.ProcessEnv) {
  const own = fs.mkdtempSync(path.join(dir, `${name}-`));
  const file = path.join(own, "stack.json");
  fs.writeFileSync(file, JSON.stringify(doc));
  fs.writeFileSync(path.join(own, "policy-config.json"), renderShipped("prod").file("policy-config.json"));
  const base: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: "" };
  delete base.PULUMI_CONFIG_PASSPHRASE;
  delete base.PULUMI_CONFIG_PASSPHRASE_FILE;
  return runPolicyCli(["--state", file, "--out", "-"], { env: { ...base, ...env } });
}

const cases: { name: string; policy: string; message: RegExp; apply: (doc: ExportedDeployment) => void }[] = [
  {
    name: "a cluster's cacerts holding another cluster's CA key",
    policy: "mesh-root-ca-shared",
    message: /cluster gcp-usc1: istio-system\/cacerts ca-key\.pem is not the key of ca-cert\.pem/,
    apply: (doc) => {
      const other = (decrypt((find(doc, "aws-use1-istio-system-secret-cacerts").inputs as any).stringData.ciphertext) as any)["ca-key.pem"];
      editSecret(find(doc, "gcp-usc1-istio-system-secret-cacerts"), "stringData", (files) => ({ ...files, "ca-key.pem": other }));
    },
  },
  {
    name: "a remote secret whose kubeconfig points at another cluster's API server",
    policy: "mesh-multicluster-wiring",
    message: /the kubeconfig for cluster aws-use1 points at \S+, the API server of cluster aws-euw1/,
    apply: (doc) => {
      const euw1 = /server: (\S+)/.exec(decrypt((find(doc, "aws-euw1-k8s").inputs as any).kubeconfig.ciphertext) as string)![1];
      editSecret(find(doc, "gcp-usc1-istio-system-secret-istio-remote-secret-aws-use1"), "stringData", (files) => ({ ...files, "aws-use1": files["aws-use1"].replace(/server: \S+/, `server: ${euw1}`) }));
    },
  },
  {
    name: "a k3s GPU template registering nvidia.com/gpu NoExecute beside the NoSchedule taint",
    policy: "gpu-scheduling",
    message: /gcp-usc1-gpu-a100-template .* does not register the node with the taint nvidia\.com\/gpu=present:NoSchedule alone/,
    apply: (doc) => editSecret(find(doc, "gcp-usc1-gpu-a100-template"), "metadataStartupScript", (s: string) => s.replace("  - nvidia.com/gpu=present:NoSchedule\n", "  - nvidia.com/gpu=present:NoSchedule\n  - nvidia.com/gpu=present:NoExecute\n")),
  },
  {
    // Bash 5.2 expands `"$K=…"` to the value the script sets K to (Bash Reference Manual 3.5.3): k3s registers nvidia.com/gpu NoExecute too.
    name: "a k3s GPU template whose startup script adds a node-taint through a shell variable holding the GPU taint's key, NoExecute",
    policy: "gpu-scheduling",
    message: /gcp-usc1-gpu-a100-template .* does not register the node with the taint nvidia\.com\/gpu=present:NoSchedule alone \(it sets [^)]*nvidia\.com\/gpu=present:NoExecute/,
    apply: (doc) =>
      editSecret(find(doc, "gcp-usc1-gpu-a100-template"), "metadataStartupScript", (s: string) =>
        s.replace(/^(#![^\n]*\n)?/, "$1K=nvidia.com/gpu\n").replace(" sh -s - agent", ' sh -s - agent --node-taint "$K=present:NoExecute"'),
      ),
  },
  {
    name: "a cluster's provider given another cluster's kubeconfig (both clusters' objects land on one)",
    policy: "kubernetes-cluster-binding",
    message: /provider aws-euw1-k8s of cluster aws-euw1 deploys to \S+, and so does aws-use1-k8s \(cluster aws-use1\)/,
    apply: (doc) => {
      const use1 = decrypt((find(doc, "aws-use1-k8s").inputs as any).kubeconfig.ciphertext);
      editSecret(find(doc, "aws-euw1-k8s"), "kubeconfig", () => use1);
    },
  },
  {
    name: "the k3s cluster's NVIDIA device plugin pinned by nodeSelector to its CPU agents (the GPU agents' labels are in their scripts)",
    policy: "gpu-device-plugin",
    message: /cluster gcp-usc1: .* but no NVIDIA device plugin runs on GPU node group gcp-usc1-gpu-a100-template/,
    apply: (doc) => {
      const release = doc.deployment.resources!.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.urn.endsWith("::gcp-usc1-nvidia-device-plugin")) as any;
      for (const side of [release.inputs, release.outputs]) if (side?.values) side.values.nodeSelector = { "inference-mesh.io/node-group": "cpu" };
    },
  },
  {
    // k3s v1.33.5+k3s1's own cloud controller (pkg/cloudprovider/instances.go) labels a node's instance type k3s unless it
    // registers one: the server's script (no disable-cloud-controller) and the agents' node-labels decide it.
    name: "a vLLM Deployment on the k3s cluster pinned by nodeSelector to its GPU VMs' GCE machine type, while k3s labels their instance type k3s",
    policy: "gpu-scheduling",
    message: /Deployment inference\/\S+ on cluster gcp-usc1 limits \d+ nvidia\.com\/gpu per pod, but no GPU node group .*InstanceTemplate gcp-usc1-gpu-a100-template: its nodeSelector or required node affinity excludes its labels \{[^}]*"node\.kubernetes\.io\/instance-type":"k3s"/,
    apply: (doc) => {
      const machineType = (find(doc, "gcp-usc1-gpu-a100-template").inputs as any).machineType;
      const vllm = doc.deployment.resources!.find((r) => r.type === "kubernetes:apps/v1:Deployment" && r.urn.includes("::gcp-usc1-inference-deployment-") && (r.inputs as any).spec.template.spec.containers[0].name === "vllm") as any;
      for (const side of [vllm.inputs, vllm.outputs]) if (side?.spec) side.spec.template.spec.nodeSelector = { "node.kubernetes.io/instance-type": machineType };
    },
  },
  {
    // The same k3s cloud controller labelling: a device plugin pinned to the GCE machine type never lands on the GPU agents.
    name: "the k3s cluster's NVIDIA device plugin pinned by nodeSelector to its GPU VMs' GCE machine type, while k3s labels their instance type k3s",
    policy: "gpu-device-plugin",
    message: /cluster gcp-usc1: .* but no NVIDIA device plugin runs on GPU node group gcp-usc1-gpu-a100-template \(labels \{[^}]*"node\.kubernetes\.io\/instance-type":"k3s"/,
    apply: (doc) => {
      const machineType = (find(doc, "gcp-usc1-gpu-a100-template").inputs as any).machineType;
      const release = doc.deployment.resources!.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.urn.endsWith("::gcp-usc1-nvidia-device-plugin")) as any;
      for (const side of [release.inputs, release.outputs]) if (side?.values) side.values.nodeSelector = { "node.kubernetes.io/instance-type": machineType };
    },
  },
  {
    // And a ztunnel pinned so runs on none of the k3s nodes: their pods are outside the ambient data plane.
    name: "the k3s cluster's ztunnel pinned by nodeSelector to its GPU VMs' GCE machine type, while k3s labels their instance type k3s",
    policy: "mesh-mtls-strict",
    message: /ztunnel release gcp-usc1-ztunnel on cluster gcp-usc1 does not run on node group gcp-usc1-gpu-a100-template: its nodeSelector or required node affinity excludes the group's nodes \(labels \{[^}]*"node\.kubernetes\.io\/instance-type":"k3s"/,
    apply: (doc) => {
      const machineType = (find(doc, "gcp-usc1-gpu-a100-template").inputs as any).machineType;
      const release = find(doc, "gcp-usc1-ztunnel") as any;
      for (const side of [release.inputs, release.outputs]) if (side?.values) side.values.nodeSelector = { "node.kubernetes.io/instance-type": machineType };
    },
  },
  {
    // With the server's disable-cloud-controller k3s hands the kubelets no cloud-provider, so no cloud labels
    // the nodes: the GPU agents carry no instance type, and a device plugin pinned to k3s's `k3s` misses them.
    name: "the k3s server's cloud controller disabled while the k3s cluster's NVIDIA device plugin stays pinned by nodeSelector to instance type k3s",
    policy: "gpu-device-plugin",
    message: /cluster gcp-usc1: .* but no NVIDIA device plugin runs on GPU node group gcp-usc1-gpu-a100-template \(labels \{(?![^}]*instance-type)[^}]*\}\)/,
    apply: (doc) => {
      const config = "cat > /etc/rancher/k3s/config.yaml <<'IM_EOF'\n";
      const disable = (script: string) => {
        assert.ok(script.includes(config), "the server writes its k3s config");
        return script.replace(config, `${config}disable-cloud-controller: true\n`);
      };
      // The server's metadata: a plain map holding the secret script in the inputs, one secret in the outputs.
      const server = find(doc, "gcp-usc1-server") as any;
      editSecret(server, "metadata", (metadata: Record<string, string>) => ({ ...metadata, "startup-script": disable(metadata["startup-script"]) }));
      const script = server.inputs.metadata["startup-script"];
      server.inputs.metadata["startup-script"] = { [SIG_KEY]: SECRET_SIG, ciphertext: encryptValue(JSON.stringify(disable(decrypt(script.ciphertext) as string))) };
      const release = doc.deployment.resources!.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.urn.endsWith("::gcp-usc1-nvidia-device-plugin")) as any;
      for (const side of [release.inputs, release.outputs]) if (side?.values) side.values.nodeSelector = { "node.kubernetes.io/instance-type": "k3s" };
    },
  },
  {
    // Compute Engine's public Ubuntu image carries no NVIDIA driver: without ubuntu-drivers the agent's GPUs are never advertised.
    name: "a k3s GPU template on the stock Ubuntu image whose startup script no longer installs the NVIDIA driver",
    policy: "gpu-device-plugin",
    message: /cluster gcp-usc1: .* but InstanceTemplate gcp-usc1-gpu-a100-template boots \S*ubuntu-os-cloud\S*, a stock image without the NVIDIA driver/,
    apply: (doc) => editSecret(find(doc, "gcp-usc1-gpu-a100-template"), "metadataStartupScript", (s: string) => s.split("\n").filter((line) => !line.includes("ubuntu-drivers")).join("\n")),
  },
  {
    // Without NVIDIA's container toolkit k3s registers no nvidia runtime: no container, the plugin's included, sees the GPUs.
    name: "a k3s GPU template on the stock Ubuntu image whose startup script installs the NVIDIA driver but no longer the container toolkit",
    policy: "gpu-device-plugin",
    message: /cluster gcp-usc1: .* but InstanceTemplate gcp-usc1-gpu-a100-template boots \S*ubuntu-os-cloud\S*, a stock image, and its boot script installs the NVIDIA driver but not the NVIDIA container toolkit/,
    apply: (doc) => editSecret(find(doc, "gcp-usc1-gpu-a100-template"), "metadataStartupScript", (s: string) => s.split("\n").filter((line) => !/install -y nvidia-container-toolkit/.test(line)).join("\n")),
  },
  {
    // Istio 1.30.3 istio-cni values.yaml writes to /etc/cni/net.d unless platform k3s moves it; k3s's
    // containerd reads only /var/lib/rancher/k3s/agent/etc/cni/net.d: its VMs' startup scripts say it is k3s.
    name: "the k3s cluster's Istio releases without global.platform k3s (its VMs' startup scripts still install k3s)",
    policy: "mesh-mtls-strict",
    message: /istio-cni release gcp-usc1-istio-cni on cluster gcp-usc1 writes its CNI config to \/etc\/cni\/net\.d, though \S+ gcp-usc1-\S+ \(its startup script installs k3s\)/,
    apply: (doc) => {
      for (const r of doc.deployment.resources!.filter((x) => x.type === "kubernetes:helm.sh/v3:Release" && x.urn.includes("::gcp-usc1-")) as any[]) {
        for (const side of [r.inputs, r.outputs]) if (side?.values?.global?.platform) delete side.values.global.platform;
      }
    },
  },
  {
    // Istio 1.30.3 files/profile-platform-k3s.yaml assumes /var/lib/rancher/k3s; k3s v1.33.5+k3s1's
    // containerd reads <data-dir>/agent/etc/cni/net.d, which the agents' config.yaml moves here.
    name: "the k3s cluster's CPU agents given another data-dir while its Istio releases declare global.platform k3s",
    policy: "mesh-mtls-strict",
    message: /istio-cni release gcp-usc1-istio-cni on cluster gcp-usc1 writes its CNI config to \/var\/lib\/rancher\/k3s\/agent\/etc\/cni\/net\.d, though InstanceTemplate gcp-usc1-cpu-template \(its startup script installs k3s\), whose containerd reads only \/data\/k3s\/agent\/etc\/cni\/net\.d .*, while Helm release gcp-usc1-\S+ declares the cluster k3s/,
    apply: (doc) => editSecret(find(doc, "gcp-usc1-cpu-template"), "metadataStartupScript", (s: string) => s.replace("cat > /etc/rancher/k3s/config.yaml <<'IM_EOF'\n", "cat > /etc/rancher/k3s/config.yaml <<'IM_EOF'\ndata-dir: /data/k3s\n")),
  },
];

for (const c of cases) {
  test(`secret content: ${c.name} fails ${c.policy} with the export's passphrase, and is reported unreadable without it`, () => {
    const doc = prod();
    c.apply(doc);
    const opened = review(c.policy, doc, { PULUMI_CONFIG_PASSPHRASE: "" });
    assert.equal(opened.status, 1, opened.stdout + opened.stderr);
    assert.match(opened.stdout, new RegExp(`✗ mandatory ${c.policy} \\(`));
    assert.match(opened.stdout, c.message);
    const sealed = review(c.policy, doc, {});
    assert.equal(sealed.status, 0, sealed.stdout + sealed.stderr);
    assert.match(sealed.stdout, /secret value\(s\) are encrypted in this export and reach the pack as unknowns/);
  });
}
