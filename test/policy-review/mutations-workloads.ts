/** Policy-review mutations of workloads: GPU scheduling (tolerations, limits, the GPU taint) and pinned images, the infrastructure's (secrets in state, providers, cluster binding, API endpoints) in mutations-infrastructure.ts. */
import { SIG_KEY, ASSET_SIG } from "../../scripts/lib/state-signatures";
import { Mutation, resources, isKind, podSpecs, onFirst, istiod, gpuDeployment, gatewayOptions } from "./mutations-support";

export const workloadsMutations: Mutation[] = [
  {
    name: "a GPU workload without a GPU limit",
    policy: "gpu-scheduling",
    apply: (doc) =>
      onFirst(doc, gpuDeployment, (o) =>
        podSpecs(o).forEach((s: any) =>
          s.containers.forEach((c: any) => {
            delete c.resources?.limits?.["nvidia.com/gpu"];
            delete c.resources?.requests?.["nvidia.com/gpu"];
          }),
        ),
      ),
  },
  {
    name: "a GPU workload tolerating the GPU taint key with the wrong value",
    policy: "gpu-scheduling",
    apply: (doc) =>
      onFirst(doc, gpuDeployment, (o) =>
        podSpecs(o).forEach((s: any) => (s.tolerations = (s.tolerations ?? []).map((t: any) => (t.key === "nvidia.com/gpu" ? { key: t.key, operator: "Equal", value: "absent", effect: "NoSchedule" } : t)))),
      ),
  },
  {
    name: "a CPU workload tolerating the GPU taint",
    policy: "gpu-scheduling",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "Deployment") && !JSON.stringify(r.inputs).includes("nvidia.com/gpu"), (o) =>
        podSpecs(o).forEach((s: any) => (s.tolerations = [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }])),
      ),
  },
  {
    name: "an image without a tag",
    policy: "images-pinned",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "Deployment"), (o) => podSpecs(o).forEach((s: any) => (s.containers[0].image = s.containers[0].image.replace(/[:@][^/]*$/, "")))),
  },
  {
    name: "an init container at :latest",
    policy: "images-pinned",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "Deployment"), (o) => podSpecs(o).forEach((s: any) => (s.initContainers = [{ name: "init", image: "busybox:latest" }]))),
  },
  {
    name: "istiod's image tag at latest through Helm values",
    policy: "images-pinned",
    apply: (doc) => onFirst(doc, (r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.chart === "istiod", (o) => (o.values = { ...o.values, global: { ...o.values?.global, tag: "latest" } })),
  },
  {
    name: "istiod's image tag at latest through a valueYamlFiles StringAsset (merged under values)",
    policy: "images-pinned",
    apply: (doc) =>
      onFirst(doc, (r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.chart === "istiod", (o) => (o.valueYamlFiles = [{ [SIG_KEY]: ASSET_SIG, text: "global:\n  tag: latest\n" }])),
  },
  {
    name: "a Helm release without a chart version",
    policy: "images-pinned",
    apply: (doc) => onFirst(doc, (r) => r.type === "kubernetes:helm.sh/v3:Release", (o) => delete o.version),
  },
  // Found by sweeping mutated exports beyond the cases above.
  {
    name: "a Helm chart version given as a range",
    policy: "images-pinned",
    apply: (doc) => onFirst(doc, (r) => r.type === "kubernetes:helm.sh/v3:Release" && typeof (r.inputs as any)?.version === "string", (o) => (o.version = ">=0.0.1")),
  },
  {
    name: "an AgentgatewayParameters proxy image at tag latest",
    policy: "images-pinned",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "AgentgatewayParameters"), (o) => (o.spec.image = { registry: "cr.agentgateway.dev", repository: "agentgateway", tag: "latest" })),
  },
  {
    name: "an untagged container added through an AgentgatewayParameters deployment overlay",
    policy: "images-pinned",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "AgentgatewayParameters"), (o) => {
        o.spec.deployment = { ...o.spec.deployment, spec: { ...o.spec.deployment?.spec, template: { spec: { containers: [{ name: "log-shipper", image: "ghcr.io/example/log-shipper" }] } } } };
      }),
  },
  {
    name: "an AgentgatewayParameters overlay tolerating every taint (the GPU nodes' too)",
    policy: "gpu-scheduling",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "AgentgatewayParameters"), (o) => {
        o.spec.deployment = { ...o.spec.deployment, spec: { ...o.spec.deployment?.spec, template: { spec: { tolerations: [{ operator: "Exists" }] } } } };
      }),
  },
  {
    name: "the agentgateway controller chart tolerating the GPU taint",
    policy: "gpu-scheduling",
    apply: (doc) =>
      onFirst(doc, (r) => r.type === "kubernetes:helm.sh/v3:Release" && /(^|\/)agentgateway$/.test((r.inputs as any)?.chart ?? ""), (o) => {
        o.values = { ...o.values, tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }] };
      }),
  },
  {
    name: "the NVIDIA device plugin given tolerations: [] (it never runs on the tainted GPU nodes)",
    policy: "gpu-scheduling",
    apply: (doc) => onFirst(doc, (r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.chart === "nvidia-device-plugin", (o) => (o.values = { ...o.values, tolerations: [] })),
  },
  {
    name: "ztunnel given tolerations: [] (GPU nodes' pods outside the ambient data plane)",
    policy: "gpu-scheduling",
    apply: (doc) => onFirst(doc, (r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.chart === "ztunnel", (o) => (o.values = { ...o.values, tolerations: [] })),
  },
  {
    name: "the inference gateway's options ConfigMap tolerating every taint through a deployment overlay",
    policy: "gpu-scheduling",
    apply: (doc) => onFirst(doc, gatewayOptions, (o) => (o.data = { ...o.data, deployment: "spec:\n  template:\n    spec:\n      tolerations:\n      - operator: Exists\n" })),
  },
  {
    name: "istiod's gatewayClasses defaults tolerating the GPU taint for every istio Gateway",
    policy: "gpu-scheduling",
    apply: (doc) =>
      onFirst(doc, istiod, (o) => (o.values = { ...o.values, gatewayClasses: { istio: { deployment: { spec: { template: { spec: { tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }] } } } } } } })),
  },
  {
    name: "the inference gateway's proxy image set to :latest through its options ConfigMap",
    policy: "images-pinned",
    apply: (doc) => onFirst(doc, gatewayOptions, (o) => (o.data = { ...o.data, deployment: "spec:\n  template:\n    spec:\n      containers:\n      - name: istio-proxy\n        image: docker.io/istio/proxyv2:latest\n" })),
  },
  {
    name: "a GPU workload requesting nvidia.com/gpu with no limit",
    policy: "gpu-scheduling",
    apply: (doc) => onFirst(doc, gpuDeployment, (o) => podSpecs(o).forEach((s: any) => s.containers.forEach((c: any) => delete c.resources?.limits?.["nvidia.com/gpu"]))),
  },
  {
    name: "a GPU node group without the GPU taint (every pod can land on its GPUs)",
    policy: "gpu-scheduling",
    apply: (doc) => onFirst(doc, (r) => r.type === "aws:eks/nodeGroup:NodeGroup" && JSON.stringify((r.inputs as any)?.taints ?? []).includes("nvidia.com/gpu"), (o) => (o.taints = [])),
  },
  {
    name: "istiod's values.pilot tolerating the GPU taint (the chart merges pilot over its top-level values)",
    policy: "gpu-scheduling",
    apply: (doc) => onFirst(doc, istiod, (o) => (o.values = { ...o.values, pilot: { ...o.values?.pilot, tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }] } })),
  },
];
