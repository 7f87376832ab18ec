/** Fixtures shared by the traffic-inference-pool*.test.ts policy tests: an InferencePool, its model servers and its endpoint picker (Service, pods, RBAC, TLS DestinationRule). */
import { on } from "./traffic-support";

export const servers = { matchLabels: { "app.kubernetes.io/instance": "llama-v1" } };

export const pool = (failureMode: string | undefined, port = 9002, selector: unknown = servers, targetPort = 8000) =>
  on("kubernetes:inference.networking.k8s.io/v1:InferencePool", "pool", {
    metadata: { name: "llama-v1", namespace: "inference" },
    spec: { selector, targetPorts: [{ number: targetPort }], endpointPickerRef: { kind: "Service", name: "llama-v1-epp", port: { number: port }, ...(failureMode ? { failureMode } : {}) } },
  });

export const modelServer = (namespace = "inference") =>
  on("kubernetes:apps/v1:Deployment", `vllm-${namespace}`, {
    metadata: { name: "llama-v1", namespace },
    spec: { template: { metadata: { labels: { ...servers.matchLabels, "app.kubernetes.io/part-of": "x" } }, spec: { containers: [{ name: "vllm", image: "v:1", ports: [{ containerPort: 8000 }] }] } } },
  });

export const eppLabels = { "app.kubernetes.io/instance": "llama-v1-epp" };

export const eppService = (cluster = "a", port: Record<string, unknown> = { targetPort: 9002 }, selector: Record<string, string> | null = eppLabels) =>
  on("kubernetes:core/v1:Service", "epp-svc", { metadata: { name: "llama-v1-epp", namespace: "inference" }, spec: { ...(selector ? { selector } : {}), ports: [{ name: "grpc-ext-proc", port: 9002, ...port }] } }, cluster);

/** The endpoint picker's pods: ext-proc on 9002 (named grpc), health on 9003. */
export const eppPods = (cluster = "a") =>
  on("kubernetes:apps/v1:Deployment", "epp", {
    metadata: { name: "llama-v1-epp", namespace: "inference" },
    spec: { template: { metadata: { labels: eppLabels }, spec: { containers: [{ name: "epp", image: "e:1", ports: [{ name: "grpc", containerPort: 9002 }, { name: "grpc-health", containerPort: 9003 }] }] } } },
  }, cluster);

/** What the picker's default ServiceAccount may watch (its pods, its pool): without it the picker crash-loops. */
export const eppRbac = (cluster = "a") => [
  on("kubernetes:rbac.authorization.k8s.io/v1:Role", "epp-role", { metadata: { name: "llama-v1-epp", namespace: "inference" }, rules: [{ apiGroups: ["", "inference.networking.k8s.io", "inference.networking.x-k8s.io"], resources: ["pods", "inferencepools"], verbs: ["get", "list", "watch"] }] }, cluster),
  on("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "epp-rb", { metadata: { name: "llama-v1-epp", namespace: "inference" }, subjects: [{ kind: "ServiceAccount", name: "default", namespace: "inference" }], roleRef: { kind: "Role", name: "llama-v1-epp" } }, cluster),
];

export const eppRule = (mode: string) =>
  on("kubernetes:networking.istio.io/v1:DestinationRule", "epp-dr", { metadata: { name: "llama-v1-epp", namespace: "inference" }, spec: { host: "llama-v1-epp.inference.svc.cluster.local", trafficPolicy: { tls: { mode, insecureSkipVerify: true } } } });

export const eppStack = (...rules: ReturnType<typeof on>[]) => [pool("FailOpen"), modelServer(), eppService(), eppPods(), ...eppRbac(), ...rules];
