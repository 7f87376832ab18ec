/**
 * The body-based router: an ext-proc on the inference gateway that copies the OpenAI `model`
 * field into headers, mapping LoRA adapters to their base model (`X-Gateway-Base-Model-Name`),
 * so HTTPRoutes can pick a model's pools. Wired into Istio as upstream's chart does it: an
 * EnvoyFilter inserting the ext_proc filter first on the Gateway, and a TLS DestinationRule for
 * its self-signed gRPC server. Model → base-model mappings are ConfigMaps it watches.
 */
import * as yaml from "js-yaml";
import type { ModelSpec } from "../../infra/schema";
import type { Versions } from "../../infra/versions";
import { Manifest, appLabels, imageVersionLabel } from "../k8s/apply";
import { gatewayName, inferenceNamespace, ports } from "./names";

export const bbrName = "body-based-router";
export const bbrHost = `${bbrName}.${inferenceNamespace}.svc.cluster.local`;
/** ConfigMaps with this label feed the base-model mapper. */
export const bbrManagedLabel = { "inference.networking.k8s.io/bbr-managed": "true" } as const;

const labels = (version?: string) => appLabels({ name: bbrName, instance: bbrName, version, component: "body-based-router" });
export const bbrSelector = { "app.kubernetes.io/name": bbrName, "app.kubernetes.io/component": "body-based-router" };

/** BBR arguments: full-duplex streaming (what Istio programs) and the two header plugins. */
export function bbrArgs(): string[] {
  return [
    "--streaming",
    "--grpc-port", String(ports.bbrExtProc),
    "--grpc-health-port", String(ports.bbrHealth),
    "--metrics-port", String(ports.bbrMetrics),
    "--plugin", `body-field-to-header:model-extractor:${JSON.stringify({ fieldName: "model", headerName: "X-Gateway-Model-Name" })}`,
    "--plugin", "base-model-to-header:base-model-mapper",
    "--tracing=false",
    "--metrics-endpoint-auth=false",
  ];
}

/** The base model and adapters a model's requests may name. */
export function baseModelConfigMap(model: ModelSpec): Manifest {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: `${model.name}-base-model`,
      namespace: inferenceNamespace,
      labels: { ...appLabels({ name: model.name, instance: model.name, component: "base-model-mapping" }), ...bbrManagedLabel },
    },
    data: {
      baseModel: model.servedModelName,
      ...(model.loraAdapters.length > 0 ? { adapters: yaml.dump(model.loraAdapters.map((a) => a.name)) } : {}),
    },
  };
}

export function envoyFilterManifest(): Manifest {
  return {
    apiVersion: "networking.istio.io/v1alpha3",
    kind: "EnvoyFilter",
    metadata: { name: bbrName, namespace: inferenceNamespace, labels: labels() },
    spec: {
      targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: gatewayName }],
      configPatches: [
        {
          applyTo: "HTTP_FILTER",
          match: { context: "GATEWAY", listener: { filterChain: { filter: { name: "envoy.filters.network.http_connection_manager" } } } },
          patch: {
            // First, so that route selection (and the EPP) see the model header.
            operation: "INSERT_FIRST",
            value: {
              name: "envoy.filters.http.ext_proc.bbr",
              typed_config: {
                "@type": "type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor",
                failure_mode_allow: false,
                allow_mode_override: true,
                processing_mode: {
                  request_header_mode: "SEND",
                  response_header_mode: "SEND",
                  request_body_mode: "FULL_DUPLEX_STREAMED",
                  response_body_mode: "FULL_DUPLEX_STREAMED",
                  request_trailer_mode: "SEND",
                  response_trailer_mode: "SEND",
                },
                grpc_service: { envoy_grpc: { cluster_name: `outbound|${ports.bbrExtProc}||${bbrHost}` } },
              },
            },
          },
        },
      ],
    },
  };
}

/**
 * Every request to every model passes through BBR first, and its ext_proc fails closed: where real
 * model servers run (any vLLM model on the cluster) it runs two replicas behind a
 * PodDisruptionBudget, so a node drain or a rollout never stops a cluster's inference traffic.
 * It is stateless (the mapping comes from ConfigMaps), so replicas need no coordination.
 */
export function bbrReplicas(models: ModelSpec[]): number {
  return models.some((m) => m.server === "vllm") ? 2 : 1;
}

export function bbrManifests(models: ModelSpec[], versions: Versions): Manifest[] {
  const version = imageVersionLabel(versions.bbrImage);
  const metadata = { name: bbrName, namespace: inferenceNamespace, labels: labels(version) };
  const replicas = bbrReplicas(models);
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata,
      rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata,
      subjects: [{ kind: "ServiceAccount", name: bbrName, namespace: inferenceNamespace }],
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: bbrName },
    },
    ...models.map(baseModelConfigMap),
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata,
      spec: {
        replicas,
        selector: { matchLabels: bbrSelector },
        template: {
          metadata: { labels: labels(version) },
          spec: {
            serviceAccountName: bbrName,
            containers: [
              {
                name: "bbr",
                image: versions.bbrImage,
                imagePullPolicy: "IfNotPresent",
                args: bbrArgs(),
                env: [{ name: "NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } }],
                ports: [
                  { name: "grpc", containerPort: ports.bbrExtProc },
                  { name: "grpc-health", containerPort: ports.bbrHealth },
                  { name: "metrics", containerPort: ports.bbrMetrics },
                ],
                livenessProbe: { grpc: { port: ports.bbrHealth }, initialDelaySeconds: 5, periodSeconds: 10 },
                readinessProbe: { grpc: { port: ports.bbrHealth }, periodSeconds: 2 },
                resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata,
      spec: {
        type: "ClusterIP",
        selector: bbrSelector,
        ports: [{ name: "grpc-ext-proc", protocol: "TCP", port: ports.bbrExtProc, targetPort: ports.bbrExtProc, appProtocol: "kubernetes.io/h2c" }],
      },
    },
    ...(replicas > 1
      ? [{ apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata, spec: { minAvailable: 1, selector: { matchLabels: bbrSelector } } }]
      : []),
    envoyFilterManifest(),
    {
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name: bbrName, namespace: inferenceNamespace, labels: labels() },
      spec: { host: bbrHost, trafficPolicy: { tls: { mode: "SIMPLE", insecureSkipVerify: true } } },
    },
  ];
}

