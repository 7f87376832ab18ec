/**
 * Every upstream version the platform installs, pinned in one place.
 *
 * Stacks override any of these under `inference-mesh:platform.versions`. The defaults are the
 * versions recorded in ../shared/ARCHITECTURE.md; bump them together with the CRD bundles the
 * schema tests read (see README, "Upstream CRDs").
 */
export const defaultVersions = {
  /** Istio charts (base, istiod, cni, ztunnel) from the official chart repository. */
  istio: "1.30.3",
  /** Gateway API standard-channel CRDs: what Istio 1.30 is built against. */
  gatewayApi: "v1.5.1",
  /** Gateway API Inference Extension release providing the InferencePool v1 CRD. */
  gie: "v1.6.0",
  /** llm-d-router release of the InferenceObjective/ModelRewrite CRDs (llm-d.ai); bump eppImage with it (the picker runs that image). */
  llmdRouter: "v0.10.0",
  /** Endpoint picker image (llm-d-router). */
  eppImage: "ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.10.0",
  /** Body-based router (payload processor) image: copies the OpenAI `model` field into a header. */
  bbrImage: "registry.k8s.io/gateway-api-inference-extension/bbr:v1.5.0",
  /** vLLM OpenAI-compatible server image. */
  vllmImage: "vllm/vllm-openai:v0.21.0",
  /** vLLM simulator image for CPU-only clusters. */
  simulatorImage: "ghcr.io/llm-d/llm-d-inference-sim:v0.10.2",
  /** agentgateway charts (agentgateway-crds, agentgateway). */
  agentgateway: "v1.4.1",
  /** NVIDIA device plugin Helm chart. */
  nvidiaDevicePlugin: "0.20.0",
  /** NVIDIA datacenter driver branch installed on GCP GPU VMs (`ubuntu-drivers install --gpgpu nvidia:<branch>-server`). */
  nvidiaDriver: "580",
  /** k3s release installed on GCP VMs. */
  k3s: "v1.33.5+k3s1",
  /** EKS control-plane Kubernetes version. */
  eksKubernetes: "1.33",
};

export type Versions = typeof defaultVersions;

/** Where the pinned upstream artifacts live; derived from the versions so one bump moves both. */
export const upstreamSources = {
  istioChartRepo: "https://istio-release.storage.googleapis.com/charts",
  nvidiaDevicePluginRepo: "https://nvidia.github.io/k8s-device-plugin",
  agentgatewayChartRepo: "oci://cr.agentgateway.dev/charts",
  gatewayApiCrds: (v: string) =>
    `https://github.com/kubernetes-sigs/gateway-api/releases/download/${v}/standard-install.yaml`,
  /** GIE release asset with the GA CRDs only (InferencePool v1); `manifests.yaml` adds experimental kinds. */
  gieCrds: (v: string) =>
    `https://github.com/kubernetes-sigs/gateway-api-inference-extension/releases/download/${v}/v1-manifests.yaml`,
  istioCrds: (v: string) => `https://raw.githubusercontent.com/istio/istio/${v}/manifests/charts/base/files/crd-all.gen.yaml`,
  agentgatewayCrds: (v: string) =>
    ["agentgatewaybackends", "agentgatewaymodels", "agentgatewayparameters", "agentgatewaypolicies"].map(
      (crd) =>
        `https://raw.githubusercontent.com/agentgateway/agentgateway/${v}/controller/install/helm/agentgateway-crds/templates/agentgateway.dev_${crd}.yaml`,
    ),
  /** llm-d-router release asset: the `llm-d.ai` InferenceObjective and InferenceModelRewrite CRDs, version-stamped. */
  llmdRouterCrds: (v: string) => [`https://github.com/llm-d/llm-d-router/releases/download/${v}/manifests.yaml`],
};
