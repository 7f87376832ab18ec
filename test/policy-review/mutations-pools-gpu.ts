/**
 * Policy-review mutations of objects the endpoint pickers silently never read, of GPU
 * tolerations set where the pack did not look (Istio's gateway chart), and of an NVIDIA device
 * plugin removed or kept off the GPU nodes, or a GPU node group without the NVIDIA driver (every
 * vLLM pod Pending), a plugin config renaming the GPUs to nvidia.com/gpu.shared, a GPU Operator without Node Feature Discovery or, on k3s, with its toolkit at containerd's defaults or on a socket k3s does not listen on, a multi-node vLLM LeaderWorkerSet off the GPU nodes, a GPU node group the mesh's node agents no longer reach, and of a picker
 * config its loader refuses (a plugin type, a plugin's parameters, a chart release's values).
 */
import { SIG_KEY, ASSET_SIG } from "../../scripts/lib/state-signatures";
import type { ExportedResource } from "../../scripts/lib/review-wire";
import { Mutation, resources, isKind, edit, istiod, addLike, onFirst, removeAll, eppService, withSpec } from "./mutations-support";

/** A Helm release turned into NVIDIA's GPU Operator at its pinned chart (the mutation then sets its values). */
const asGpuOperator = (o: Record<string, any>) => {
  o.chart = "gpu-operator";
  o.repositoryOpts = { repo: "https://helm.ngc.nvidia.com/nvidia" };
  o.version = "v26.7.0";
};

/** A vLLM Deployment (GPU clusters only: the local stack runs the simulator). */
const vllmServer = (r: ExportedResource) => isKind(r, "Deployment") && (r.inputs as any)?.spec?.template?.spec?.containers?.[0]?.name === "vllm";
const devicePlugin = (r: ExportedResource) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.chart === "nvidia-device-plugin";
/** The device plugin of a cluster with EKS node groups (`<cluster>-nvidia-device-plugin` beside `<cluster>-<group>`), whose labels the pack reads. */
export function onEksDevicePlugin(doc: Parameters<Mutation["apply"]>[0], fn: (values: any) => void): string | undefined {
  const groups = resources(doc).filter((r) => r.type === "aws:eks/nodeGroup:NodeGroup").map((r) => r.urn.split("::").pop()!);
  const onEks = (r: ExportedResource) => groups.some((g) => g.startsWith(r.urn.split("::").pop()!.replace(/nvidia-device-plugin$/, "")));
  return onFirst(doc, (r) => devicePlugin(r) && onEks(r), (o) => fn(o.values));
}

/**
 * The k3s cluster's device plugin release (the one the program gives runtimeClassName nvidia, as
 * it does on gcp only) swapped for NVIDIA's GPU Operator with the driver off, since the VMs' boot
 * script installs it, and `values` beside that; the operator's toolkit is left on.
 */
const k3sGpuOperator = (doc: Parameters<Mutation["apply"]>[0], values: Record<string, unknown>): string | undefined =>
  onFirst(
    doc,
    (r) => devicePlugin(r) && (r.inputs as any)?.values?.runtimeClassName === "nvidia",
    (o) => {
      asGpuOperator(o);
      o.values = { driver: { enabled: false }, ...values };
    },
  );

export const poolsGpuMutations: Mutation[] = [
  {
    // agentgateway v1.4.1 watches no InferencePool without the chart's inferenceExtension.enabled: the route's pool backendRef is "not found".
    name: "the inference Gateway moved to class agentgateway, whose release leaves inferenceExtension off",
    policy: "inference-pool-epp",
    apply: (doc) => {
      const release = resources(doc).find((r) => r.type === "kubernetes:helm.sh/v3:Release" && /\/agentgateway$/.test((r.inputs as any)?.chart ?? ""));
      const gw = release && resources(doc).find((r) => isKind(r, "Gateway") && r.provider === release.provider && (r.inputs as any)?.metadata?.namespace === "inference" && withSpec(r).gatewayClassName === "istio");
      if (!release || !gw) return undefined;
      edit(gw, (o) => (o.spec.gatewayClassName = "agentgateway"));
      return release.urn;
    },
  },
  {
    // No picker reads it (llm-d-router takes only objectives naming its own pool): the priority silently never applies.
    name: "an InferenceObjective whose poolRef names a pool that does not exist",
    policy: "inference-pool-epp",
    apply: (doc) => {
      const objective = resources(doc).find((r) => isKind(r, "InferenceObjective") && (r.inputs as any)?.spec?.poolRef?.name);
      return objective && edit(objective, (o) => (o.spec.poolRef.name = `${o.spec.poolRef.name}-gone`));
    },
  },
  {
    // Istio's gateway chart takes its pods' tolerations from the top level of its values.
    name: "an Istio ingress gateway installed by Helm (chart gateway) tolerating the GPU taint",
    policy: "gpu-scheduling",
    apply: (doc) => {
      const like = resources(doc).find(istiod);
      if (!like) return undefined;
      const release = { ...(like.inputs as any), name: "istio-ingressgateway", chart: "gateway", namespace: "istio-ingress", values: { tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }] } };
      return addLike(doc, like, "ingress-gateway", like.type, release);
    },
  },
  {
    name: "the NVIDIA device plugin's Helm release removed from a GPU cluster",
    policy: "gpu-device-plugin",
    apply: (doc) => {
      const first = resources(doc).find(devicePlugin);
      return first && removeAll(doc, (r) => r.urn === first.urn);
    },
  },
  {
    name: "the NVIDIA device plugin pinned by nodeSelector to the system node group (no GPU node advertises nvidia.com/gpu)",
    policy: "gpu-device-plugin",
    apply: (doc) => onEksDevicePlugin(doc, (values) => (values.nodeSelector = { "inference-mesh.io/node-group": "system" })),
  },
  {
    name: "the NVIDIA device plugin's nodeSelector replaced by a node affinity no GPU node group matches",
    policy: "gpu-device-plugin",
    apply: (doc) =>
      onEksDevicePlugin(doc, (values) => {
        values.nodeSelector = null;
        values.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "nvidia.com/gpu.product", operator: "In", values: ["NVIDIA-B200"] }] }] } } };
      }),
  },
  {
    // Chart 0.20.0 validation.yml fails the install there unless allowDefaultNamespace is true.
    name: "the NVIDIA device plugin's release moved to namespace default (the chart refuses to install)",
    policy: "gpu-device-plugin",
    apply: (doc) => onFirst(doc, devicePlugin, (o) => (o.namespace = "default")),
  },
  {
    name: "the NVIDIA device plugin chart's DaemonSet turned off (devicePlugin.enabled: false)",
    policy: "gpu-device-plugin",
    apply: (doc) => onFirst(doc, devicePlugin, (o) => (o.values = { ...o.values, devicePlugin: { enabled: false } })),
  },
  {
    // The chart reads its valueYamlFiles under its values (lib/helm-values.ts): off there is off.
    name: "the NVIDIA device plugin chart's DaemonSet turned off in a valueYamlFiles StringAsset",
    policy: "gpu-device-plugin",
    apply: (doc) => onFirst(doc, devicePlugin, (o) => (o.valueYamlFiles = [{ [SIG_KEY]: ASSET_SIG, text: "devicePlugin:\n  enabled: false\n" }])),
  },
  {
    // The Service exposes 9090 (the picker's metrics): the gateway's ext-proc calls land on an HTTP metrics server.
    name: "an InferencePool pointing at its picker's metrics port",
    policy: "inference-pool-epp",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "InferencePool"), (o) => (o.spec.endpointPickerRef.port = { number: 9090 })),
  },
  {
    // Copied from the model servers' hardening: the picker then has no token to watch its pool with.
    name: "an endpoint picker's pods with automountServiceAccountToken: false",
    policy: "inference-pool-epp",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "Deployment") && /-epp$/.test((r.inputs as any)?.metadata?.name ?? ""), (o) => (o.spec.template.spec.automountServiceAccountToken = false)),
  },
  {
    // Istio 1.30.3 then refuses every InferencePool backendRef ("InferencePool is not enabled"): each request to a pool gets a 500.
    name: "an istiod without ENABLE_GATEWAY_API_INFERENCE_EXTENSION",
    policy: "inference-pool-epp",
    apply: (doc) => onFirst(doc, istiod, (o) => delete o.values.env.ENABLE_GATEWAY_API_INFERENCE_EXTENSION),
  },
  {
    // istiod then watches no Gateway API resource: the inference Gateway is never programmed or deployed.
    name: "an istiod with PILOT_ENABLE_GATEWAY_API false",
    policy: "inference-pool-epp",
    apply: (doc) => onFirst(doc, istiod, (o) => (o.values.env.PILOT_ENABLE_GATEWAY_API = "false")),
  },
  {
    // Only EKS's accelerated AMIs carry the NVIDIA driver: the group's GPUs are never advertised.
    name: "a GPU node group's AMI type switched to the standard AL2023 AMI (no NVIDIA driver)",
    policy: "gpu-scheduling",
    apply: (doc) => onFirst(doc, (r) => r.type === "aws:eks/nodeGroup:NodeGroup" && (r.inputs as any)?.amiType === "AL2023_x86_64_NVIDIA", (o) => (o.amiType = "AL2023_x86_64_STANDARD")),
  },
  {
    // istiod builds no outbound cluster for a UDP Service port: the gateway's gRPC calls to the picker find none.
    name: "the EPP Service's picker port declared UDP",
    policy: "inference-pool-epp",
    apply: (doc) => onFirst(doc, eppService, (o) => (o.spec.ports.find((p: any) => p.port === 9002).protocol = "UDP")),
  },
  {
    // Istio then gives the gateway's picker cluster HTTP/1.1, which the picker's gRPC server refuses.
    name: "the EPP Service's picker port renamed ext-proc without appProtocol",
    policy: "inference-pool-epp",
    apply: (doc) =>
      onFirst(doc, eppService, (o) => {
        const port = o.spec.ports.find((p: any) => p.port === 9002);
        port.name = "ext-proc";
        delete port.appProtocol;
      }),
  },
  {
    // Istio 1.30.3's ztunnel DaemonSet takes values.tolerations (daemonset.yaml): a GPU group also
    // tainted dedicated=inference, which its model servers tolerate, gets no ztunnel when the
    // release tolerates only the GPU taint, so the model servers there are outside ambient.
    name: "a GPU node group also tainted dedicated=inference (its vLLM servers tolerating it) that ztunnel's tolerations leave out",
    policy: "mesh-mtls-strict",
    apply: (doc) => {
      const group = resources(doc).find((r) => r.type === "aws:eks/nodeGroup:NodeGroup" && ((r.inputs as any)?.taints ?? []).some((t: any) => t.key === "nvidia.com/gpu"));
      if (!group) return undefined;
      const cluster = group.urn.split("::").pop()!;
      const ztunnel = resources(doc).find((r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.chart === "ztunnel" && cluster.startsWith(r.urn.split("::").pop()!.replace(/ztunnel$/, "")));
      if (!ztunnel) return undefined;
      const dedicated = { key: "dedicated", value: "inference" };
      edit(group, (o) => o.taints.push({ ...dedicated, effect: "NO_SCHEDULE" }));
      for (const r of resources(doc).filter(vllmServer)) edit(r, (o) => o.spec.template.spec.tolerations.push({ ...dedicated, operator: "Equal", effect: "NoSchedule" }));
      return edit(ztunnel, (o) => (o.values.tolerations = [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]));
    },
  },
  {
    // lws v0.10.0 (leaderworkerset.x-k8s.io/v1) makes the leader and worker pods from these
    // templates: without the GPU toleration they never schedule on the tainted GPU nodes.
    name: "a multi-node vLLM LeaderWorkerSet beside a vLLM Deployment, its leader and worker templates without the GPU toleration",
    policy: "gpu-scheduling",
    apply: (doc) => {
      const server = resources(doc).find(vllmServer);
      if (!server) return undefined;
      const template = JSON.parse(JSON.stringify((server.inputs as any).spec.template));
      delete template.spec.tolerations;
      const { name, namespace } = (server.inputs as any).metadata;
      return addLike(doc, server, "lws", "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet", {
        apiVersion: "leaderworkerset.x-k8s.io/v1",
        kind: "LeaderWorkerSet",
        metadata: { name: `${name}-multinode`, namespace },
        spec: { replicas: 1, leaderWorkerTemplate: { size: 2, leaderTemplate: template, workerTemplate: template } },
      });
    },
  },
  {
    // gpu-operator v26.7.0 deploys the plugin only on nodes NFD labelled with an NVIDIA PCI device
    // (state_manager.go hasGPULabels): with NFD off and none installed, no node gets it.
    name: "a GPU cluster's device plugin release swapped for NVIDIA's GPU Operator with nfd.enabled false and no NFD of its own",
    policy: "gpu-device-plugin",
    apply: (doc) =>
      onFirst(doc, devicePlugin, (o) => {
        asGpuOperator(o);
        o.values = { nfd: { enabled: false } };
      }),
  },
  {
    // gpu-operator v26.7.0 points its toolkit at /etc/containerd/config.toml and /run/containerd/containerd.sock
    // (object_controls.go), which k3s's containerd (/run/k3s/containerd/containerd.sock) never uses.
    name: "the k3s cluster's device plugin release swapped for NVIDIA's GPU Operator whose container toolkit keeps containerd's default config and socket",
    policy: "gpu-device-plugin",
    apply: (doc) => k3sGpuOperator(doc, {}),
  },
  {
    // k3s v1.33.5 keeps its containerd socket at /run/k3s/containerd/containerd.sock whatever its data-dir
    // (pkg/agent/config applyContainerdStateAndAddress): the toolkit signals a socket that is not there.
    name: "the k3s cluster's device plugin release swapped for NVIDIA's GPU Operator whose container toolkit is given a socket k3s does not listen on",
    policy: "gpu-device-plugin",
    apply: (doc) => {
      const env = [
        { name: "CONTAINERD_CONFIG", value: "/var/lib/rancher/k3s/agent/etc/containerd/config.toml" },
        { name: "CONTAINERD_SOCKET", value: "/run/k3s/containerd.sock" },
      ];
      return k3sGpuOperator(doc, { toolkit: { env } });
    },
  },
  {
    // gpu-operator v26.7.0 gives the plugin's config-manager DEFAULT_CONFIG = devicePlugin.config.default (object_controls.go).
    name: "a GPU cluster's device plugin release swapped for NVIDIA's GPU Operator whose default plugin config time-slices under renameByDefault",
    policy: "gpu-device-plugin",
    apply: (doc) =>
      onFirst(doc, devicePlugin, (o) => {
        asGpuOperator(o);
        const shared = "version: v1\nsharing:\n  timeSlicing:\n    renameByDefault: true\n    resources:\n    - name: nvidia.com/gpu\n      replicas: 4\n";
        o.values = { devicePlugin: { config: { name: "time-slicing", create: true, default: "any", data: { any: shared } } } };
      }),
  },
  {
    // k8s-device-plugin v0.20.0 replicas.go: renameByDefault advertises nvidia.com/gpu.shared, which no vLLM pod limits.
    name: "the NVIDIA device plugin given a time-slicing config with renameByDefault (it advertises nvidia.com/gpu.shared)",
    policy: "gpu-device-plugin",
    apply: (doc) =>
      onEksDevicePlugin(doc, (values) => {
        values.config = { map: { default: "version: v1\nsharing:\n  timeSlicing:\n    renameByDefault: true\n    resources:\n    - name: nvidia.com/gpu\n      replicas: 4\n" } };
      }),
  },
  {
    // k8s-device-plugin v0.20.0 config-manager updateConfigName: a DEFAULT_CONFIG naming no file exits, and the plugin never starts.
    name: "the NVIDIA device plugin given a config map whose config.default names no key of it",
    policy: "gpu-device-plugin",
    apply: (doc) => onEksDevicePlugin(doc, (values) => (values.config = { map: { exclusive: "version: v1\n" }, default: "shared" })),
  },
  {
    // Istio 1.30.3 gives waypoints and sidecars no ext_proc filter (listener_builder.go): the picker is never asked.
    name: "a mesh HTTPRoute on an inference Service sending to an InferencePool (its waypoint bypasses the picker)",
    policy: "inference-pool-epp",
    apply: (doc) => {
      const pool = resources(doc).find((r) => isKind(r, "InferencePool"));
      const svc = pool && resources(doc).find((r) => isKind(r, "Service") && r.provider === pool.provider && (r.inputs as any)?.metadata?.namespace === (pool.inputs as any).metadata.namespace);
      if (!pool || !svc) return undefined;
      const { name, namespace } = (pool.inputs as any).metadata;
      return addLike(doc, pool, "mesh-route", "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name: "llm-mesh", namespace },
        spec: { parentRefs: [{ group: "", kind: "Service", name: (svc.inputs as any).metadata.name }], rules: [{ backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name }] }] },
      });
    },
  },
];
