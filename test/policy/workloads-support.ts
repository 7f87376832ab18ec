/** Fixtures shared by the workloads-*.test.ts policy tests. */

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
