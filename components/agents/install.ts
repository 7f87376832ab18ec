/**
 * agentgateway from its official OCI charts (controller/install/helm/* at the pinned tag, pushed to
 * `oci://cr.agentgateway.dev/charts`): the CRD chart first, then the controller, which creates the
 * GatewayClass `agentgateway` and deploys one proxy per Gateway of that class.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { ClusterSpec, PlatformSpec } from "../../infra/config";
import { upstreamSources } from "../../infra/versions";
import { controllerNamespace } from "./names";
import { applyManifest, Manifest } from "../k8s/apply";

/** A Helm release as the pure core describes it; the shell turns it into a `helm.v3.Release`. */
export interface ReleaseSpec {
  /** Helm release name. */
  name: string;
  /** Full OCI reference of the chart (`oci://registry/path/chart`). */
  chart: string;
  version: string;
  namespace: string;
  createNamespace: boolean;
  values: Record<string, unknown>;
}

export function chartRef(chart: "agentgateway-crds" | "agentgateway"): string {
  return `${upstreamSources.agentgatewayChartRepo}/${chart}`;
}

/**
 * The controller's namespace, made by the stack rather than by Helm's `--create-namespace`: Helm
 * creates that namespace outside the release (helm v3.20.2 `pkg/action/install.go`) and
 * pulumi-kubernetes deletes a Release with a plain `helm uninstall`, so it would outlive
 * `pulumi destroy` (with the controller's leader-election Lease and JWKS ConfigMaps in it). As a
 * resource the releases depend on, it is deleted after them; nothing there carries a finalizer
 * (agentgateway v1.4.1's controller sets none), so its deletion does not hang.
 */
export function controllerNamespaceManifest(): Manifest {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: controllerNamespace, labels: { "app.kubernetes.io/part-of": "inference-mesh", "app.kubernetes.io/managed-by": "pulumi" } },
  };
}

/** The `agentgateway-crds` release: AgentgatewayBackend/Policy/Parameters/Model. */
export function crdRelease(spec: PlatformSpec): ReleaseSpec {
  return {
    name: "agentgateway-crds",
    chart: chartRef("agentgateway-crds"),
    version: spec.versions.agentgateway,
    namespace: controllerNamespace,
    createNamespace: false,
    values: {},
  };
}

/**
 * CPU and memory agentgateway v1.4.1 requests: its controller (chart values.yaml `resources`) and
 * each proxy it deploys for a Gateway (controller/pkg/deployer defaultResourceRequests, where the
 * AgentgatewayParameters set none). The CPU capacity check counts them on the non-GPU nodes.
 */
export const agentgatewayRequests = {
  controller: { cpuMilli: 100, memoryMiB: 128 },
  proxy: { cpuMilli: 100, memoryMiB: 128 },
} as const;

/**
 * Values of the controller chart (`controller/install/helm/agentgateway/values.yaml` at the tag).
 * `istio.autoEnabled` turns the ambient integration on for every Gateway of the built-in class:
 * the proxies get workload certificates from istiod (`caAddress` defaults to
 * istiod.istio-system.svc:15012) and reach ambient pods over HBONE with their own identity.
 * `clusterId`/`network` must equal what istiod and ztunnel use in this cluster (cluster name and
 * network), or multi-network routing treats the proxies as foreign.
 */
export function controllerValues(spec: PlatformSpec, cluster: ClusterSpec): Record<string, unknown> {
  const tag = spec.versions.agentgateway;
  return {
    image: { registry: "cr.agentgateway.dev", tag },
    controller: {
      replicaCount: spec.multiCluster ? 2 : 1,
      image: { repository: "controller", tag },
      xds: { mode: "tls" },
    },
    proxy: { image: { repository: "agentgateway", tag } },
    istio: {
      autoEnabled: true,
      namespace: "istio-system",
      clusterId: cluster.name,
      network: cluster.network,
    },
  };
}

export function controllerRelease(spec: PlatformSpec, cluster: ClusterSpec): ReleaseSpec {
  return {
    name: "agentgateway",
    chart: chartRef("agentgateway"),
    version: spec.versions.agentgateway,
    namespace: controllerNamespace,
    createNamespace: false,
    values: controllerValues(spec, cluster),
  };
}

export interface AgentgatewayInstallArgs {
  spec: PlatformSpec;
  cluster: ClusterSpec;
  provider: k8s.Provider;
  /** Gateway API CRDs and the mesh (istiod must issue the proxies' certificates). */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** The two releases on one cluster; `ready` gates every object that uses agentgateway's CRDs. */
export class AgentgatewayInstall extends pulumi.ComponentResource {
  readonly crds: k8s.helm.v3.Release;
  readonly controller: k8s.helm.v3.Release;
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: AgentgatewayInstallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-mesh:agents:AgentgatewayInstall", name, {}, opts);
    const release = (logical: string, r: ReleaseSpec, dependsOn: pulumi.Input<pulumi.Resource>[]) =>
      new k8s.helm.v3.Release(
        `${args.cluster.name}-${logical}`,
        {
          name: r.name,
          chart: r.chart,
          version: r.version,
          namespace: r.namespace,
          createNamespace: r.createNamespace,
          values: r.values,
          atomic: true,
          timeout: 600,
        },
        { provider: args.provider, parent: this, dependsOn },
      );
    const namespace = applyManifest(args.cluster.name, controllerNamespaceManifest(), { provider: args.provider, parent: this, dependsOn: args.dependsOn });
    this.crds = release("agentgateway-crds", crdRelease(args.spec), [...args.dependsOn, namespace]);
    this.controller = release("agentgateway", controllerRelease(args.spec, args.cluster), [...args.dependsOn, namespace, this.crds]);
    this.ready = [this.crds, this.controller];
    this.registerOutputs({ crds: this.crds.status, controller: this.controller.status });
  }
}
