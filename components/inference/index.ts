/**
 * Inference on the mesh: GIE and llm-d CRDs, model servers (vLLM or the simulator), one
 * InferencePool with its endpoint picker per model version, InferenceObjectives, the body-based
 * router and the inference gateway with per-model canary routes. Each cluster serves the model
 * versions placed on it and routes only to its own pools (Istio does not support
 * InferencePoolImport yet).
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlatformSpec, ModelSpec } from "../../infra/config";
import type { ClusterMesh } from "../mesh";
import { applyManifest, applyManifests, Manifest, manifestKey } from "../k8s/apply";
import { applyInferenceCrds } from "./crds";
import { modelServerManifests, requestsGpus } from "./model-server";
import { inferencePoolManifest } from "./pool";
import { eppManifests } from "./epp";
import { inferenceObjectiveManifest } from "./objective";
import { modelRouteManifest } from "./routes";
import { gatewayManifest, gatewayOptionsManifest, gatewayOptionsName, selfSignedCertificateSecret } from "./gateway";
import { bbrManifests } from "./bbr";
import { bbrAuthorizationPolicy, poolAuthorizationPolicies } from "./authz";
import { gatewayAccessAliases, gatewayAccessOwners, inferenceGatewayAccess } from "./gateway-access";
import { agentsOn } from "../agents/names";
import { replicasOf } from "../../infra/validate-capacity";
import { routeWaitsFor } from "../k8s/route-waits";
import { workloadRbacKeys } from "../k8s/workload-rbac";
import type { ClusterSpec } from "../../infra/schema";
import { inMeshOpenAiBaseUrl, gatewayName, inferenceNamespace, poolName } from "./names";

/** What the agent layer needs from inference on one cluster. */
export interface ClusterInference {
  /** In-cluster OpenAI-compatible base URL of the inference gateway. */
  openAiBaseUrl: string;
  /** Models served on this cluster (by `models[].name`). */
  models: string[];
  /** InferencePools on this cluster, `<model>-<version>`. */
  pools: string[];
  /** Resources that exist once the gateway is declared (empty where no model is served). */
  ready: pulumi.Resource[];
}

export interface InferenceArgs {
  spec: PlatformSpec;
  mesh: Map<string, ClusterMesh>;
}

/** Models placed on a cluster. */
export function modelsOnCluster(spec: Pick<PlatformSpec, "models">, cluster: string): ModelSpec[] {
  return spec.models.filter((m) => m.clusters.includes(cluster));
}

/** One model version's objects on a cluster: its servers, pool, picker, objective and their policies. */
function versionManifests(spec: PlatformSpec, cluster: ClusterSpec, model: ModelSpec, version: ModelSpec["versions"][number]): Manifest[] {
  const pool = poolName(model, version);
  const fit = spec.fits.get(model.name)?.find((f) => f.cluster === cluster.name);
  return [
    ...modelServerManifests({ model, version, cluster, fit, versions: spec.versions }),
    inferencePoolManifest(model, version),
    ...eppManifests({ model, pool, versions: spec.versions }),
    inferenceObjectiveManifest(model, version),
    ...poolAuthorizationPolicies(spec.mesh.trustDomain, model, version),
  ];
}

/** What inference applies on one cluster. */
export interface ClusterInferencePlan {
  /** Every object, pure (the self-signed certificate Secret aside). */
  manifests: Manifest[];
  /** By `manifestKey`, each model's route with the keys of the objects it waits for (routeWaitsFor). */
  waits: Map<string, string[]>;
}

export function clusterInferencePlan(spec: PlatformSpec, cluster: string): ClusterInferencePlan {
  const clusterSpec = spec.clusters.find((c) => c.name === cluster);
  if (!clusterSpec) throw new Error(`unknown cluster '${cluster}'`);
  const models = modelsOnCluster(spec, cluster);
  if (models.length === 0) return { manifests: [], waits: new Map() };
  const perVersion = models.flatMap((model) => model.versions.map((version) => ({ model, version, manifests: versionManifests(spec, clusterSpec, model, version) })));
  const routes = models.map(modelRouteManifest);
  const waits = new Map(
    models.map((model, i) => {
      const waited = routeWaitsFor(model.versions, (v) => replicasOf(model, v));
      return [manifestKey(routes[i]), perVersion.filter((p) => p.model === model && waited.includes(p.version)).flatMap((p) => p.manifests.map(manifestKey))];
    }),
  );
  // Where agents run, the agent layer renders the gateway's access with them as callers.
  const gatewayAccess = agentsOn(spec, cluster).length === 0 ? inferenceGatewayAccess(spec, []) : [];
  const manifests = [
    gatewayOptionsManifest(clusterSpec),
    gatewayManifest(spec.gateways.inference!, clusterSpec),
    ...gatewayAccess,
    ...bbrManifests(models, spec.versions),
    bbrAuthorizationPolicy(spec.mesh.trustDomain),
    ...perVersion.flatMap((p) => p.manifests),
    ...routes,
  ];
  return { manifests, waits };
}

/** Every object inference applies on one cluster, pure (the self-signed certificate Secret aside). */
export function clusterInferenceManifests(spec: PlatformSpec, cluster: string): Manifest[] {
  return clusterInferencePlan(spec, cluster).manifests;
}

export interface ClusterInferenceArgs {
  spec: PlatformSpec;
  mesh: ClusterMesh;
}

/** Inference on one cluster. */
export class ClusterInferenceStack extends pulumi.ComponentResource {
  readonly inference: ClusterInference;
  constructor(name: string, args: ClusterInferenceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(gatewayAccessOwners.inference.type, name, {}, opts);
    const { spec, mesh } = args;
    const cluster = mesh.cluster.spec.name;
    const provider = mesh.cluster.provider;
    const models = modelsOnCluster(spec, cluster);
    let ready: pulumi.Resource[] = [];
    if (models.length > 0) {
      const crds = applyInferenceCrds({ cluster, versions: spec.versions, provider, parent: this, dependsOn: mesh.gatewayApiReady });
      const namespace = mesh.namespaces.get(inferenceNamespace);
      const dependsOn = [...crds, ...mesh.gatewayApiReady, ...mesh.meshReady, ...(namespace ? [namespace] : [])];
      const { manifests, waits } = clusterInferencePlan(spec, cluster);
      const gateway = spec.gateways.inference!;
      if (gateway.tls.mode === "selfSigned") manifests.unshift(selfSignedCertificateSecret(cluster, gateway.hostname, this));
      // The Gateway's options exist before the Gateway, so Istio creates its Service with them.
      const optionsKey = manifestKey({ kind: "ConfigMap", metadata: { namespace: inferenceNamespace, name: gatewayOptionsName } });
      const isOptions = (m: Manifest) => manifestKey(m) === optionsKey;
      const options = applyManifests(cluster, manifests.filter(isOptions), { provider, parent: this, dependsOn });
      const opts = { provider, parent: this, aliases: gatewayAccessAliases(cluster, "inference") };
      const base = [...dependsOn, ...options.values()];
      // Policies first: Istio lets any caller reach a workload no ALLOW policy selects, so a new
      // version's servers and picker would be open to the whole mesh until theirs arrived.
      const isPolicy = (m: Manifest) => m.kind === "AuthorizationPolicy" || m.kind === "NetworkPolicy";
      const policies = applyManifests(cluster, manifests.filter(isPolicy), { ...opts, dependsOn: base });
      const rest = manifests.filter((m) => !isOptions(m) && !isPolicy(m) && !waits.has(manifestKey(m)));
      const restDependsOn = [...base, ...policies.values()];
      const gpuDependsOn = [...restDependsOn, ...(mesh.cluster.devicePlugin ? [mesh.cluster.devicePlugin] : [])];
      const applied = new Map<string, pulumi.CustomResource>(policies);
      for (const m of rest) {
        // A picker (or router) started before its ServiceAccount, Role and RoleBinding is refused or crash-loops on 403s.
        const rbac = m.kind === "Deployment" ? workloadRbacKeys(m, rest).map((k) => appliedBefore(applied, k, m)) : [];
        applied.set(manifestKey(m), applyManifest(cluster, m, { ...opts, dependsOn: [...(requestsGpus(m) ? gpuDependsOn : restDependsOn), ...rbac] }));
      }
      for (const [key, waited] of waits) {
        const route = manifests.filter((m) => manifestKey(m) === key);
        applyManifests(cluster, route, { ...opts, dependsOn: [...base, ...waited.map((k) => applied.get(k)!)] });
      }
      ready = [applied.get(manifestKey({ kind: "Gateway", metadata: { namespace: inferenceNamespace, name: gatewayName } }))!];
    }
    this.inference = {
      openAiBaseUrl: inMeshOpenAiBaseUrl,
      models: models.map((m) => m.name),
      pools: models.flatMap((m) => m.versions.map((v) => poolName(m, v))),
      ready,
    };
    this.registerOutputs({ gateway: gatewayName, pools: this.inference.pools });
  }
}

/** The resource of an object a workload waits for, which the plans list before the workload. */
function appliedBefore(applied: Map<string, pulumi.CustomResource>, key: string, workload: Manifest): pulumi.CustomResource {
  const resource = applied.get(key);
  if (!resource) throw new Error(`${manifestKey(workload)} runs as ${key}, which the inference plan lists after it; list RBAC objects before their workloads`);
  return resource;
}

export function buildInference(args: InferenceArgs): Map<string, ClusterInference> {
  return new Map(
    [...args.mesh].map(([name, mesh]) => [name, new ClusterInferenceStack(gatewayAccessOwners.inference.name(name), { spec: args.spec, mesh }).inference]),
  );
}
