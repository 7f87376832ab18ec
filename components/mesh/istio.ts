/**
 * Istio ambient from the official charts, in the documented order base → istiod → cni → ztunnel.
 * Chart values are pure functions of the spec (tested); `installIstio` only wraps them in
 * `helm.v3.Release`s so that policies and reviewers see the values.
 *
 * Sources: istio/istio@1.30.3 manifests/charts/*, istio.io ambient multi-primary multi-network
 * install guide; ../shared/upstream/mesh.md §1.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { PlatformSpec } from "../../infra/config";
import type { ClusterSpec } from "../../infra/schema";
import { upstreamSources } from "../../infra/versions";

export const istioNamespace = "istio-system";

/** Istio's `platform` profile for a cluster: k3s on GCP VMs, or what an existing cluster declares. */
export function istioPlatform(cluster: ClusterSpec): string | undefined {
  if (cluster.cloud === "gcp") return "k3s";
  if (cluster.cloud === "existing") return cluster.platform;
  return undefined;
}

const platformValue = (cluster: ClusterSpec) => {
  const platform = istioPlatform(cluster);
  return platform ? { platform } : {};
};

/** The reader ServiceAccount and its RBAC only exist where remote secrets need them. */
const readerRbac = (spec: PlatformSpec) => ({ enableReaderRBAC: spec.multiCluster });

export function baseValues(spec: PlatformSpec, cluster: ClusterSpec): Record<string, unknown> {
  return { defaultRevision: "default", global: { ...platformValue(cluster), ...readerRbac(spec) } };
}

/**
 * Where istio-cni and ztunnel run. OpenShift admits their privileged pods only in kube-system, and
 * the istiod chart's openshift profile trusts ztunnel only there (CA_TRUSTED_NODE_ACCOUNTS
 * kube-system/ztunnel); elsewhere they live beside istiod.
 */
export function dataPlaneNamespace(cluster: ClusterSpec): string {
  return istioPlatform(cluster) === "openshift" ? "kube-system" : istioNamespace;
}

/** istiod feature flags; every one is explicit, since some documented defaults are wrong. */
export function istiodEnv(spec: PlatformSpec): Record<string, string> {
  const multi = String(spec.multiCluster);
  return {
    // The ambient profile sets it too; the multi-network flags below are ignored without it.
    PILOT_ENABLE_AMBIENT: "true",
    AMBIENT_ENABLE_MULTI_NETWORK: multi,
    // Documented default "true" in the 1.29 notes, but "false" in code (1.29.6, 1.30.3).
    AMBIENT_ENABLE_MULTI_NETWORK_INGRESS: multi,
    // Baggage-based peer metadata, so cross-network telemetry does not read "unknown".
    AMBIENT_ENABLE_BAGGAGE: multi,
    ENABLE_GATEWAY_API_INFERENCE_EXTENSION: "true",
  };
}

/**
 * CPU and memory the pinned charts request for what istiod runs (1.30.3): istiod's container
 * (istio-discovery values.yaml `resources`), and the proxy it deploys for each Gateway, one replica
 * with no HPA: class `istio` from kube-gateway.yaml (`global.proxy.resources`), `istio-waypoint`
 * and `istio-east-west` from waypoint.yaml (`global.waypoint.resources`), 100m / 128Mi alike. The
 * values below set none of them; the CPU capacity check counts them on the non-GPU nodes.
 */
export const istioChartRequests = {
  istiod: { cpuMilli: 500, memoryMiB: 2048 },
  gatewayProxy: { cpuMilli: 100, memoryMiB: 128 },
} as const;

export function istiodValues(spec: PlatformSpec, cluster: ClusterSpec): Record<string, unknown> {
  const replicas = spec.mesh.istiodReplicas;
  return {
    profile: "ambient",
    global: {
      meshID: spec.mesh.meshId,
      multiCluster: { clusterName: cluster.name },
      network: cluster.network,
      ...platformValue(cluster),
      ...readerRbac(spec),
      // The chart renders its PDB (minAvailable 1) only when more than one replica runs.
      defaultPodDisruptionBudget: { enabled: replicas > 1 },
    },
    meshConfig: { trustDomain: spec.mesh.trustDomain },
    env: istiodEnv(spec),
    replicaCount: replicas,
    // The HPA (on by default) owns the replica count; its floor is the configured replicas.
    autoscaleMin: replicas,
    autoscaleMax: Math.max(5, replicas),
    pdb: { minAvailable: 1 },
  };
}

export function cniValues(_spec: PlatformSpec, cluster: ClusterSpec): Record<string, unknown> {
  return { profile: "ambient", global: platformValue(cluster) };
}

export function ztunnelValues(spec: PlatformSpec, cluster: ClusterSpec): Record<string, unknown> {
  return {
    profile: "ambient",
    multiCluster: { clusterName: cluster.name },
    global: { network: cluster.network, ...platformValue(cluster) },
  };
}

export interface IstioReleaseSpec {
  /** Helm release name (as in the install guide). */
  name: "istio-base" | "istiod" | "istio-cni" | "ztunnel";
  chart: "base" | "istiod" | "cni" | "ztunnel";
  version: string;
  repository: string;
  namespace: string;
  values: Record<string, unknown>;
}

/** The four releases of one cluster, in install order. */
export function istioReleases(spec: PlatformSpec, cluster: ClusterSpec): IstioReleaseSpec[] {
  const common = { version: spec.versions.istio, repository: upstreamSources.istioChartRepo, namespace: istioNamespace };
  return [
    { name: "istio-base", chart: "base", ...common, values: baseValues(spec, cluster) },
    { name: "istiod", chart: "istiod", ...common, values: istiodValues(spec, cluster) },
    { name: "istio-cni", chart: "cni", ...common, namespace: dataPlaneNamespace(cluster), values: cniValues(spec, cluster) },
    { name: "ztunnel", chart: "ztunnel", ...common, namespace: dataPlaneNamespace(cluster), values: ztunnelValues(spec, cluster) },
  ];
}

export interface InstallIstioArgs {
  spec: PlatformSpec;
  cluster: ClusterSpec;
  provider: k8s.Provider;
  parent: pulumi.Resource;
  /** Must exist before the first release: Gateway API CRDs and the istio-system namespace. */
  before: pulumi.Input<pulumi.Resource>[];
  /** Must exist before istiod starts: the `cacerts` Secret. */
  beforeIstiod: pulumi.Input<pulumi.Resource>[];
}

export type IstioInstall = Record<IstioReleaseSpec["name"], k8s.helm.v3.Release>;

/** Installs the releases, each depending on the one before it. */
export function installIstio(args: InstallIstioArgs): IstioInstall {
  const out: Partial<IstioInstall> = {};
  let previous: pulumi.Resource | undefined;
  for (const r of istioReleases(args.spec, args.cluster)) {
    const dependsOn = [...args.before, ...(previous ? [previous] : []), ...(r.name === "istiod" ? args.beforeIstiod : [])];
    const release = new k8s.helm.v3.Release(
      `${args.cluster.name}-${r.name}`,
      {
        name: r.name,
        chart: r.chart,
        version: r.version,
        repositoryOpts: { repo: r.repository },
        namespace: r.namespace,
        createNamespace: false,
        values: r.values,
      },
      // Delete before replace: a release is replaced only when its name or namespace changes (the
      // data plane's namespace follows `platform`), and each of these charts owns cluster-scoped
      // objects (CRDs, webhooks, ClusterRoles). Created first, the new release would find them
      // owned by the old one and Helm would refuse the install ("invalid ownership metadata").
      { provider: args.provider, parent: args.parent, dependsOn, deleteBeforeReplace: true },
    );
    out[r.name] = release;
    previous = release;
  }
  return out as IstioInstall;
}
