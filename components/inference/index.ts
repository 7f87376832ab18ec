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
import { applyManifests, Manifest, manifestKey } from "../k8s/apply";
import { applyInferenceCrds } from "./crds";
import { modelServerManifests } from "./model-server";
import { inferencePoolManifest } from "./pool";
import { eppManifests } from "./epp";
import { inferenceObjectiveManifest } from "./objective";
import { modelRouteManifest } from "./routes";
import { gatewayManifest, gatewayOptionsManifest, gatewayOptionsName, selfSignedCertificateSecret } from "./gateway";
import { bbrManifests } from "./bbr";
import { bbrAuthorizationPolicy, poolAuthorizationPolicies } from "./authz";
import { gatewayAccessAliases, gatewayAccessOwners, inferenceGatewayAccess } from "./gateway-access";
import { agentsOn } from "../agents/names";
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

/** Every object inference applies on one cluster, pure (the self-signed certificate Secret aside). */
export function clusterInferenceManifests(spec: PlatformSpec, cluster: string): Manifest[] {
  const clusterSpec = spec.clusters.find((c) => c.name === cluster);
  if (!clusterSpec) throw new Error(`unknown cluster '${cluster}'`);
  const models = modelsOnCluster(spec, cluster);
  if (models.length === 0) return [];
  const trustDomain = spec.mesh.trustDomain;
  const perVersion = models.flatMap((model) =>
    model.versions.flatMap((version) => {
      const pool = poolName(model, version);
      const fit = spec.fits.get(model.name)?.find((f) => f.cluster === cluster);
      return [
        ...modelServerManifests({ model, version, cluster: clusterSpec, fit, versions: spec.versions }),
        inferencePoolManifest(model, version),
        ...eppManifests({ model, pool, versions: spec.versions }),
        inferenceObjectiveManifest(model, version),
        ...poolAuthorizationPolicies(trustDomain, model, version),
      ];
    }),
  );
  // Where agents run, the agent layer renders the gateway's access with them as callers.
  const gatewayAccess = agentsOn(spec, cluster).length === 0 ? inferenceGatewayAccess(spec, []) : [];
  return [
    gatewayOptionsManifest(),
    gatewayManifest(spec.gateways.inference, clusterSpec),
    ...gatewayAccess,
    ...bbrManifests(models, spec.versions),
    bbrAuthorizationPolicy(trustDomain),
    ...perVersion,
    ...models.map(modelRouteManifest),
  ];
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
      const manifests = clusterInferenceManifests(spec, cluster);
      const tls = spec.gateways.inference.tls;
      if (tls.mode === "selfSigned") manifests.unshift(selfSignedCertificateSecret(cluster, spec.gateways.inference.hostname, this));
      // The Gateway's options exist before the Gateway, so Istio creates its Service with them.
      const optionsKey = manifestKey({ kind: "ConfigMap", metadata: { namespace: inferenceNamespace, name: gatewayOptionsName } });
      const isOptions = (m: Manifest) => manifestKey(m) === optionsKey;
      const options = applyManifests(cluster, manifests.filter(isOptions), { provider, parent: this, dependsOn });
      const aliases = gatewayAccessAliases(cluster, "inference");
      // Policies first, as the agent layer does: a pod no ALLOW policy selects admits any caller,
      // so servers, pickers and the router start behind theirs, and a policy the Istio webhook
      // refuses stops the Deployments it guards instead of leaving them open until the next `up`.
      const isAccess = (m: Manifest) => m.kind === "AuthorizationPolicy" || m.kind === "NetworkPolicy";
      const access = applyManifests(cluster, manifests.filter(isAccess), { provider, parent: this, dependsOn, aliases });
      const rest = applyManifests(cluster, manifests.filter((m) => !isOptions(m) && !isAccess(m)), {
        provider,
        parent: this,
        dependsOn: [...dependsOn, ...options.values(), ...access.values()],
        aliases,
      });
      ready = [rest.get(manifestKey({ kind: "Gateway", metadata: { namespace: inferenceNamespace, name: gatewayName } }))!];
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

export function buildInference(args: InferenceArgs): Map<string, ClusterInference> {
  return new Map(
    [...args.mesh].map(([name, mesh]) => [name, new ClusterInferenceStack(gatewayAccessOwners.inference.name(name), { spec: args.spec, mesh }).inference]),
  );
}
