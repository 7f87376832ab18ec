/**
 * The endpoint picker (llm-d-router EPP) of one InferencePool: its EndpointPickerConfig, RBAC
 * for everything it watches (it crash-loops when a watched kind is forbidden), the Deployment
 * with gRPC health probes (leader election when replicated), the Service the pool references,
 * and the Istio DestinationRule that lets the gateway speak TLS to its self-signed ext-proc.
 */
import { createHash } from "node:crypto";
import * as yaml from "js-yaml";
import type { ModelSpec } from "../../infra/schema";
import type { Versions } from "../../infra/versions";
import { Manifest, imageVersionLabel } from "../k8s/apply";
import { eppLabels, eppName, eppSelector, inferenceNamespace, ports } from "./names";

export const eppConfigFile = "default-plugins.yaml";

/** Replicas of a pool's EPP: config, else two (HA with leader election) in front of GPUs. */
export function eppReplicas(model: ModelSpec): number {
  return model.epp.replicas ?? (model.server === "vllm" ? 2 : 1);
}

/**
 * EndpointPickerConfig (llm-d.ai/v1alpha1): the default profile scores queue depth, KV-cache
 * utilization and prefix-cache hits with the configured weights; metrics come from each pod's
 * `/metrics` on its target port (vLLM names, `vllm:kv_cache_usage_perc`).
 */
export function endpointPickerConfig(weights: ModelSpec["epp"]["scorerWeights"]): Record<string, unknown> {
  const scorers = [
    { type: "queue-scorer", weight: weights.queue },
    { type: "kv-cache-utilization-scorer", weight: weights.kvCacheUtilization },
    { type: "prefix-cache-scorer", weight: weights.prefixCache },
  ].filter((s) => s.weight > 0);
  return {
    apiVersion: "llm-d.ai/v1alpha1",
    kind: "EndpointPickerConfig",
    plugins: [
      ...scorers.map((s) => ({ type: s.type })),
      { type: "metrics-data-source", parameters: { scheme: "http", path: "/metrics", insecureSkipVerify: true } },
      { type: "core-metrics-extractor" },
    ],
    schedulingProfiles: [{ name: "default", plugins: scorers.map((s) => ({ pluginRef: s.type, weight: s.weight })) }],
  };
}

/** EPP container arguments: its pool, config, ports, and leader election when replicated. */
export function eppArgs(pool: string, replicas: number): string[] {
  return [
    "--pool-name", pool,
    "--pool-namespace", inferenceNamespace,
    "--pool-group", "inference.networking.k8s.io",
    "--zap-encoder", "json",
    "--config-file", `/config/${eppConfigFile}`,
    "--grpc-port", String(ports.eppExtProc),
    "--grpc-health-port", String(ports.eppHealth),
    "--metrics-port", String(ports.eppMetrics),
    ...(replicas > 1 ? ["--ha-enable-leader-election"] : []),
    "--tracing=false",
    // Scrapers reach /metrics through the mesh, which authorizes callers; no TokenReview RBAC.
    "--metrics-endpoint-auth=false",
  ];
}

/** What the EPP reads and, when replicated, the lease it elects a leader with. */
export function eppRoleRules(replicas: number): Record<string, unknown>[] {
  const read = ["get", "watch", "list"];
  return [
    { apiGroups: [""], resources: ["pods"], verbs: read },
    { apiGroups: ["inference.networking.k8s.io"], resources: ["inferencepools"], verbs: read },
    { apiGroups: ["llm-d.ai"], resources: ["inferenceobjectives", "inferencemodelrewrites"], verbs: read },
    // The legacy group: the EPP probes it and logs a deprecation when present.
    { apiGroups: ["inference.networking.x-k8s.io"], resources: ["inferenceobjectives", "inferencemodelrewrites"], verbs: read },
    ...(replicas > 1
      ? [
          { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
          { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
        ]
      : []),
  ];
}

export interface EppArgs {
  model: ModelSpec;
  pool: string;
  versions: Versions;
}

/** gRPC health service names the EPP answers: per role when replicated (only the leader is ready). */
function probeService(replicas: number, kind: "liveness" | "readiness"): string {
  return replicas > 1 ? kind : "inference-extension";
}

/** Pulumi's wait for a replicated picker (conditions ANDed): every replica updated, one (the leader) Ready. */
export function leaderElectedWaitFor(replicas: number): string[] {
  return [`jsonpath={.status.updatedReplicas}=${replicas}`, `jsonpath={.status.replicas}=${replicas}`, "jsonpath={.status.readyReplicas}=1"];
}

export function eppManifests(args: EppArgs): Manifest[] {
  const { model, pool, versions } = args;
  const name = eppName(pool);
  const replicas = eppReplicas(model);
  const labels = eppLabels(pool, imageVersionLabel(versions.eppImage));
  const metadata = { name, namespace: inferenceNamespace, labels };
  const small = model.server === "simulator";
  const config = yaml.dump(endpointPickerConfig(model.epp.scorerWeights), { lineWidth: 200 });
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata,
      data: { [eppConfigFile]: config },
    },
    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata, rules: eppRoleRules(replicas) },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata,
      subjects: [{ kind: "ServiceAccount", name, namespace: inferenceNamespace }],
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      // Replicated, only the leader is ever Ready (the standby fails its readiness check by
      // design): Pulumi's default wait for every replica would time out every `pulumi up`, so it
      // waits for all replicas updated and one Ready. A rolling update that keeps any old pod
      // available never finishes either (the old leader keeps the lease, so no new pod becomes
      // Ready to let it go): all are replaced at once and a new leader is elected, as
      // llm-d-router's own chart does with Recreate (a strategy an existing Deployment cannot
      // switch to while its rollingUpdate defaults remain).
      metadata: replicas > 1 ? { ...metadata, annotations: { "pulumi.com/waitFor": JSON.stringify(leaderElectedWaitFor(replicas)) } } : metadata,
      spec: {
        replicas,
        ...(replicas > 1 ? { strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: "100%" } } } : {}),
        selector: { matchLabels: eppSelector(pool) },
        template: {
          // The picker reads its config file once at start: a changed config must restart it.
          metadata: { labels, annotations: { "inference-mesh.io/config-sha256": createHash("sha256").update(config).digest("hex") } },
          spec: {
            serviceAccountName: name,
            // Replicas on different nodes, so losing one node does not lose the picker.
            ...(replicas > 1
              ? { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: eppSelector(pool) } }] }
              : {}),
            // Mirrors the model servers' grace period so in-flight picks drain with them.
            terminationGracePeriodSeconds: 130,
            containers: [
              {
                name: "epp",
                image: versions.eppImage,
                imagePullPolicy: "IfNotPresent",
                args: eppArgs(pool, replicas),
                ports: [
                  { name: "grpc", containerPort: ports.eppExtProc },
                  { name: "grpc-health", containerPort: ports.eppHealth },
                  { name: "metrics", containerPort: ports.eppMetrics },
                ],
                livenessProbe: { grpc: { port: ports.eppHealth, service: probeService(replicas, "liveness") }, initialDelaySeconds: 5, periodSeconds: 10 },
                readinessProbe: { grpc: { port: ports.eppHealth, service: probeService(replicas, "readiness") }, periodSeconds: 2 },
                env: [
                  { name: "NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                  { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                ],
                resources: small
                  ? { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } }
                  : { requests: { cpu: "1", memory: "2Gi" }, limits: { memory: "8Gi" } },
                volumeMounts: [{ name: "config", mountPath: "/config", readOnly: true }],
              },
            ],
            volumes: [{ name: "config", configMap: { name } }],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      // Pulumi waits for a Service's endpoints to be ready; the standby picker never is.
      metadata: replicas > 1 ? { ...metadata, annotations: { "pulumi.com/skipAwait": "true" } } : metadata,
      spec: {
        type: "ClusterIP",
        selector: eppSelector(pool),
        ports: [
          { name: "grpc-ext-proc", protocol: "TCP", port: ports.eppExtProc, targetPort: ports.eppExtProc, appProtocol: "kubernetes.io/h2c" },
          { name: "http-metrics", protocol: "TCP", port: ports.eppMetrics, targetPort: ports.eppMetrics },
        ],
      },
    },
    {
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata,
      spec: {
        host: `${name}.${inferenceNamespace}.svc.cluster.local`,
        // The EPP serves ext-proc over TLS with a self-signed certificate (--secure-serving).
        trafficPolicy: { tls: { mode: "SIMPLE", insecureSkipVerify: true } },
      },
    },
  ];
}
