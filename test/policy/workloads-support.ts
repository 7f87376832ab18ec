/** Fixtures shared by the workloads-*.test.ts policy tests. */
import * as assert from "node:assert/strict";
import { scriptCredential } from "../../policy/lib/boot-scripts";
import { TOKEN_FILE } from "../support/join-token";

export const DEPLOY = "kubernetes:apps/v1:Deployment";

export const deployment = (name: string, podSpec: Record<string, unknown>) => ({ type: DEPLOY, props: { metadata: { name, namespace: "inference" }, spec: { template: { spec: podSpec } } } });

export const gpuToleration = { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" };

export const AGWP = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayParameters";

export const agwParams = (spec: Record<string, unknown>, name = "agent-gateway") => ({ type: AGWP, props: { metadata: { name, namespace: "agents" }, spec } });

export const HELM = "kubernetes:helm.sh/v3:Release";

export const helmRelease = (chart: string, values: Record<string, unknown>, name = chart, namespace = "istio-system") => ({ type: HELM, props: { name, chart, namespace, version: "1.0.0", values } });

export const CONFIGMAP = "kubernetes:core/v1:ConfigMap";

export const configMap = (name: string, data: Record<string, unknown>, labels: Record<string, string> = {}) => ({ type: CONFIGMAP, props: { metadata: { name, namespace: "inference", labels }, data } });

// <Kind>Patch resources: a field the patch sets is judged, a field it leaves out keeps the object's own.
export const deploymentPatch = (template: Record<string, unknown>) => ({ type: "kubernetes:apps/v1:DeploymentPatch", name: "vllm-patch", props: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "vllm", namespace: "inference" }, spec: { template } } });

/** A GCE VM of cluster a (an Instance, or an InstanceTemplate's) whose startup script writes `config` to k3s's config.yaml and installs k3s v1.33.5+k3s1 as `role`. */
const k3sVm = (type: string, name: string, role: "server" | "agent", config: string, machineType = "e2-standard-4") => ({
  type,
  name,
  props: { machineType, metadataStartupScript: `#!/bin/bash\nmkdir -p /etc/rancher/k3s\ncat > /etc/rancher/k3s/config.yaml <<'EOF'\n${config}EOF\ncurl -sfL https://get.k3s.io | INSTALL_K3S_VERSION='v1.33.5+k3s1' sh -s - ${role}\n` },
});

/** Cluster a's k3s server VM (`config`: more of its config.yaml) and a GPU agent template registering `labels` and the GPU taint. */
export const k3sServer = (config = "") => k3sVm("gcp:compute/instance:Instance", "a-server", "server", `${config}node-label: ["inference-mesh.io/node-group=server"]\n`);
export const k3sGpuAgent = (labels: string[]) => k3sVm("gcp:compute/instanceTemplate:InstanceTemplate", "a-gpu-a100-template", "agent", `node-label: ${JSON.stringify(labels)}\nnode-taint: ["nvidia.com/gpu=present:NoSchedule"]\n`, "a2-ultragpu-4g");

/** What sensitive-values-secret says of a join token written into that file. */
export const WRITTEN = /^a join token \(written to \/etc\/rancher\/k3s\/token/;
/** Each script, after TOKEN_FILE (test/support/join-token.ts), writes the join token into the token file / does not. */
export const writes = (scripts: string[]) => scripts.forEach((s) => assert.match(scriptCredential(`${TOKEN_FILE}${s}`) ?? "", WRITTEN, s));
export const clean = (scripts: string[]) => scripts.forEach((s) => assert.equal(scriptCredential(`${TOKEN_FILE}${s}`), undefined, s));
