/**
 * Fixtures shared by the gpu-device-plugin tests (workloads-device-plugin*.test.ts): an EKS
 * cluster "a" with a system and a tainted GPU node group, a vLLM Deployment requesting
 * nvidia.com/gpu, and the nvidia-device-plugin release (chart v0.20.0) our stacks render.
 */
import type { PolicyResource } from "@pulumi/policy";
import { k8sProvider, stackResource } from "../support/policy";
import { provider } from "./mesh-support";
import { gpuToleration } from "./workloads-support";

export const gpuLabels = { "inference-mesh.io/node-group": "gpu-a10g", "nvidia.com/gpu.present": "true" };
export const nodeGroup = (name: string, props: Record<string, unknown>) => stackResource({ type: "aws:eks/nodeGroup:NodeGroup", name, props, provider: null });
export const gpuGroup = nodeGroup("a-gpu", { labels: gpuLabels, instanceTypes: ["g5.12xlarge"], taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }] });
export const systemGroup = nodeGroup("a-system", { labels: { "inference-mesh.io/node-group": "system" }, instanceTypes: ["m6i.xlarge"] });
export const on = (type: string, name: string, props: Record<string, unknown>) => stackResource({ type, name, props, provider: k8sProvider("a") });
export const vllm = on("kubernetes:apps/v1:Deployment", "a-vllm", {
  metadata: { name: "vllm", namespace: "inference" },
  spec: { template: { spec: { tolerations: [gpuToleration], containers: [{ name: "vllm", image: "vllm/vllm-openai:v0.21.0", resources: { limits: { "nvidia.com/gpu": "1" } } }] } } },
});
export const release = (values: Record<string, unknown>) => on("kubernetes:helm.sh/v3:Release", "a-nvidia-device-plugin", { name: "nvidia-device-plugin", chart: "nvidia-device-plugin", namespace: "kube-system", values });
/** NVIDIA's static deployments/static/nvidia-device-plugin.yml (v0.20.0), applied by hand. */
export const daemonSet = (podSpec: Record<string, unknown>) =>
  on("kubernetes:apps/v1:DaemonSet", "a-dp", { metadata: { name: "nvidia-device-plugin-daemonset", namespace: "kube-system" }, spec: { template: { spec: { containers: [{ name: "nvidia-device-plugin-ctr", image: "nvcr.io/nvidia/k8s-device-plugin:v0.20.0" }], ...podSpec } } } });
export const ours = { nodeSelector: { "nvidia.com/gpu.present": "true" }, tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }, gpuToleration], gfd: { enabled: false }, nfd: { enabled: false } };
export const required = (...matchExpressions: object[]) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions }] } } });
/** An inline kubeconfig for cluster a whose context names `namespace` (none when undefined). */
export const kubeconfig = (namespace?: string) =>
  `apiVersion: v1\ncurrent-context: a\ncontexts:\n- name: a\n  context: {cluster: a, user: a${namespace ? `, namespace: ${namespace}` : ""}}\nclusters:\n- name: a\n  cluster: {server: "https://a:6443"}\nusers:\n- name: a\n  user: {token: t}\n`;
export const cluster = (...extra: PolicyResource[]) => [provider("a"), systemGroup, gpuGroup, vllm, ...extra];
