/** Fixtures shared by the traffic-*.test.ts policy tests. */
import { k8sProvider, stackResource } from "../support/policy";
import { clusterInferenceManifests } from "../../components/inference";
import { spec } from "../inference/support";

export const on = (type: string, name: string, props: Record<string, unknown>, cluster = "a") => stackResource({ type, name: `${cluster}-${name}`, props, provider: k8sProvider(cluster) });

export const GW = "kubernetes:gateway.networking.k8s.io/v1:Gateway";

export const https = { name: "https", port: 443, protocol: "HTTPS", hostname: "inference.example.com", tls: { mode: "Terminate", certificateRefs: [{ name: "tls" }] } };

/** A Gateway in namespace `inference` of class `gatewayClassName`, with `extra` metadata and spec merged in. */
export const gateway = (name: string, gatewayClassName: string, listeners: unknown[], extra: Record<string, unknown> = {}) =>
  on(GW, `gw-${name}`, { metadata: { name, namespace: "inference", ...((extra.metadata as object) ?? {}) }, spec: { gatewayClassName, listeners, ...((extra.spec as object) ?? {}) } });

export const ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";

/** A manifest object as the inference component renders it. */
export type InferenceObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any };

/** prod's aws-use1 inference objects (edited by `edit`, on a deep copy) as stack resources of cluster "a". */
export function prodInference(edit: (objects: InferenceObject[]) => void = () => {}) {
  const objects = JSON.parse(JSON.stringify(clusterInferenceManifests(spec("prod"), "aws-use1"))) as InferenceObject[];
  edit(objects);
  return objects.map((o) => {
    const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["core", o.apiVersion];
    return on(`kubernetes:${group}/${version}:${o.kind}`, `${o.kind}-${o.metadata.name}`, o);
  });
}

/**
 * Pool `llama-v1` in `inference`, its vLLM Deployment (port 8000) and its picker `llama-v1-epp`
 * (Service 9002 `grpc-ext-proc`, Deployment started with `pickerArgs`, Role and RoleBinding).
 */
export function pickedPool(pickerArgs: string[] = []) {
  const servers = { "app.kubernetes.io/instance": "llama-v1" };
  const eppLabels = { "app.kubernetes.io/instance": "llama-v1-epp" };
  return [
    on("kubernetes:inference.networking.k8s.io/v1:InferencePool", "pool", {
      metadata: { name: "llama-v1", namespace: "inference" },
      spec: { selector: { matchLabels: servers }, targetPorts: [{ number: 8000 }], endpointPickerRef: { kind: "Service", name: "llama-v1-epp", port: { number: 9002 }, failureMode: "FailClose" } },
    }),
    on("kubernetes:apps/v1:Deployment", "vllm", {
      metadata: { name: "llama-v1", namespace: "inference" },
      spec: { template: { metadata: { labels: servers }, spec: { containers: [{ name: "vllm", image: "v:1", ports: [{ containerPort: 8000 }] }] } } },
    }),
    on("kubernetes:core/v1:Service", "epp-svc", { metadata: { name: "llama-v1-epp", namespace: "inference" }, spec: { selector: eppLabels, ports: [{ name: "grpc-ext-proc", port: 9002, targetPort: 9002 }] } }),
    on("kubernetes:apps/v1:Deployment", "epp", {
      metadata: { name: "llama-v1-epp", namespace: "inference" },
      spec: { template: { metadata: { labels: eppLabels }, spec: { containers: [{ name: "epp", image: "e:1", ...(pickerArgs.length ? { args: pickerArgs } : {}), ports: [{ containerPort: 9002 }] }] } } },
    }),
    on("kubernetes:rbac.authorization.k8s.io/v1:Role", "epp-role", { metadata: { name: "llama-v1-epp", namespace: "inference" }, rules: [{ apiGroups: ["", "inference.networking.k8s.io"], resources: ["pods", "inferencepools"], verbs: ["get", "list", "watch"] }] }),
    on("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "epp-rb", { metadata: { name: "llama-v1-epp", namespace: "inference" }, subjects: [{ kind: "ServiceAccount", name: "default", namespace: "inference" }], roleRef: { kind: "Role", name: "llama-v1-epp" } }),
  ];
}
