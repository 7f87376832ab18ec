/**
 * The mesh across every cluster: Gateway API CRDs, one root of trust, Istio ambient
 * (base → istiod → cni → ztunnel), mesh-wide STRICT mTLS and waypoints on every cluster; in
 * multi-cluster stacks also the east-west gateways and a remote secret for every ordered pair.
 * Cross-cluster wiring is computed here once from the whole cluster list.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { PlatformSpec } from "../../infra/config";
import type { ClusterHandle } from "../cloud/cluster";
import { applyManifest } from "../k8s/apply";
import { gatewayApiCrds } from "./crds";
import { MeshTrust, IntermediateCa, cacertsManifest } from "./trust";
import { installIstio, IstioInstall, istioNamespace } from "./istio";
import { eastWestGatewayManifest, eastWestOptionsManifest } from "./eastwest";
import { meshWidePeerAuthentication } from "./peer-authn";
import { waypointManifest, waypointName, waypointNamespaces } from "./waypoints";
import { readerTokenSecretManifest, remoteKubeconfig, remoteSecretManifest, remoteSecretPairs } from "./remote-secrets";

import type { Identity } from "./authz";
export { principal } from "./authz";
export { globalServiceLabel, waypointName } from "./waypoints";

/** A waypoint Gateway, for policies and routes that target it (`targetRefs`). */
export interface MeshWaypoint {
  /** The Gateway's name (the same in every cluster). */
  name: string;
  resource: pulumi.Resource;
  /**
   * The identity the waypoint forwards with (istiod names its ServiceAccount after the Gateway).
   * Traffic through a waypoint reaches the destination ztunnel as this principal, so L4 ALLOW
   * policies on pods behind a waypoint must admit it (istio/istio#54696).
   */
  identity: Identity;
}

/** What later layers need from the mesh on one cluster. */
export interface ClusterMesh {
  cluster: ClusterHandle;
  /** Namespaces (istio-system, inference, agents, tools) by name. */
  namespaces: Map<string, pulumi.Resource>;
  /** Resources that must exist before Gateway API objects are created (the Gateway API CRDs). */
  gatewayApiReady: pulumi.Resource[];
  /** Resources that must exist before mesh-aware workloads and policies (istiod, ztunnel). */
  meshReady: pulumi.Resource[];
  /** The mesh's trust domain, for principals `<trustDomain>/ns/<ns>/sa/<sa>`. */
  trustDomain: string;
  /** The cluster's Istio network. */
  network: string;
  /** Waypoints by namespace (agents, tools); namespaces without one are absent. */
  waypoints: Map<string, MeshWaypoint>;
  /** The east-west gateway, in multi-cluster stacks. */
  eastWestGateway?: pulumi.Resource;
}

export interface MeshArgs {
  spec: PlatformSpec;
  clusters: ClusterHandle[];
  namespaces: Map<string, Map<string, pulumi.Resource>>;
}

export interface ClusterMeshArgs {
  spec: PlatformSpec;
  cluster: ClusterHandle;
  /** The cluster's platform namespaces by name. */
  namespaces: Map<string, pulumi.Resource>;
  /** This cluster's intermediate CA. */
  intermediate: IntermediateCa;
  rootCertPem: pulumi.Output<string>;
}

/** The mesh on one cluster. */
export class ClusterMeshComponent extends pulumi.ComponentResource {
  readonly gatewayApiCrds: k8s.yaml.v2.ConfigFile;
  readonly istio: IstioInstall;
  readonly waypoints = new Map<string, MeshWaypoint>();
  readonly eastWestGateway?: pulumi.CustomResource;
  /** The reader token Secret other clusters' remote secrets use (multi-cluster only). */
  readonly readerToken?: k8s.core.v1.Secret;

  constructor(name: string, args: ClusterMeshArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-mesh:mesh:ClusterMesh", name, {}, opts);
    const { spec, cluster } = args;
    const c = cluster.spec.name;
    const ns = (n: string) => {
      const r = args.namespaces.get(n);
      if (!r) throw new Error(`mesh on cluster '${c}': namespace '${n}' was not created`);
      return r;
    };
    const apply = (m: Parameters<typeof applyManifest>[1], dependsOn: pulumi.Input<pulumi.Resource>[]) =>
      applyManifest(c, m, { provider: cluster.provider, parent: this, dependsOn });

    this.gatewayApiCrds = gatewayApiCrds({
      cluster: c,
      version: spec.versions.gatewayApi,
      provider: cluster.provider,
      parent: this,
      dependsOn: cluster.readiness,
    });
    const cacerts = apply(
      cacertsManifest(c, {
        intermediateCertPem: args.intermediate.certPem,
        intermediateKeyPem: args.intermediate.keyPem,
        rootCertPem: args.rootCertPem,
      }),
      [ns(istioNamespace)],
    );
    this.istio = installIstio({
      spec,
      cluster: cluster.spec,
      provider: cluster.provider,
      parent: this,
      before: [this.gatewayApiCrds, ns(istioNamespace)],
      beforeIstiod: [cacerts],
    });
    // Istio objects go through istiod's validating webhook; Gateways need istiod's classes.
    const afterIstiod = [this.gatewayApiCrds, this.istio.istiod];
    apply(meshWidePeerAuthentication(), afterIstiod);
    for (const n of waypointNamespaces) {
      const resource = apply(waypointManifest(n, spec.versions.istio), [...afterIstiod, ns(n)]);
      this.waypoints.set(n, { name: waypointName, resource, identity: { namespace: n, serviceAccount: waypointName } });
    }
    if (spec.multiCluster) {
      const options = eastWestOptionsManifest(cluster.spec, spec.versions.istio);
      const optionsResource = options ? [apply(options, [ns(istioNamespace)])] : [];
      this.eastWestGateway = apply(eastWestGatewayManifest(cluster.spec, spec.versions.istio), [...afterIstiod, ...optionsResource]);
      // The base chart creates the reader ServiceAccount; a token for a missing account fails.
      this.readerToken = apply(readerTokenSecretManifest(), [this.istio["istio-base"]]) as k8s.core.v1.Secret;
    }
    this.registerOutputs({});
  }
}

const decodeBase64 = (s: string) => Buffer.from(s, "base64").toString("utf8");

export interface RemoteSecretsArgs {
  /** The cluster whose istiod reads the others. */
  reader: ClusterMeshComponent;
  readerCluster: ClusterHandle;
  /** The clusters it reads, with their mesh (for the reader token). */
  reads: { cluster: ClusterHandle; mesh: ClusterMeshComponent }[];
}

/** The remote secrets on one cluster: one per other cluster. */
export class RemoteSecrets extends pulumi.ComponentResource {
  constructor(name: string, args: RemoteSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-mesh:mesh:RemoteSecrets", name, {}, opts);
    for (const { cluster, mesh } of args.reads) {
      const read = cluster.spec.name;
      const token = mesh.readerToken;
      if (!token) throw new Error(`remote secret for '${read}': no reader token (single-cluster stack?)`);
      const kubeconfig = pulumi
        .all([cluster.endpoint, cluster.certificateAuthorityData, token.data])
        .apply(([server, caData, data]) =>
          remoteKubeconfig({
            name: read,
            server,
            // The token Secret's ca.crt is the same API server CA (what istioctl uses).
            certificateAuthorityData: caData || data["ca.crt"],
            token: decodeBase64(data.token),
          }),
        );
      applyManifest(args.readerCluster.spec.name, remoteSecretManifest(read, kubeconfig), {
        provider: args.readerCluster.provider,
        parent: this,
        // Remote endpoints are only reachable once both east-west gateways exist.
        dependsOn: [args.reader.eastWestGateway!, mesh.eastWestGateway!],
      });
    }
    this.registerOutputs({});
  }
}

export function buildMesh(args: MeshArgs): Map<string, ClusterMesh> {
  const { spec } = args;
  const names = args.clusters.map((c) => c.spec.name);
  const trust = new MeshTrust("mesh-trust", { clusters: names, ca: spec.mesh.ca });
  const components = new Map(
    args.clusters.map((cluster) => {
      const name = cluster.spec.name;
      const component = new ClusterMeshComponent(`${name}-mesh`, {
        spec,
        cluster,
        namespaces: args.namespaces.get(name) ?? new Map(),
        intermediate: trust.intermediates.get(name)!,
        rootCertPem: trust.rootCertPem,
      });
      return [name, { cluster, component }];
    }),
  );
  const pairs = remoteSecretPairs(names);
  for (const reader of names) {
    const reads = pairs.filter((p) => p.reader === reader).map((p) => components.get(p.read)!);
    if (reads.length === 0) continue;
    const r = components.get(reader)!;
    new RemoteSecrets(`${reader}-remote-secrets`, {
      reader: r.component,
      readerCluster: r.cluster,
      reads: reads.map((x) => ({ cluster: x.cluster, mesh: x.component })),
    });
  }
  return new Map(
    [...components].map(([name, { cluster, component }]) => [
      name,
      {
        cluster,
        namespaces: args.namespaces.get(name) ?? new Map(),
        gatewayApiReady: [component.gatewayApiCrds],
        meshReady: [component.istio.istiod, component.istio.ztunnel],
        trustDomain: spec.mesh.trustDomain,
        network: cluster.spec.network,
        waypoints: component.waypoints,
        eastWestGateway: component.eastWestGateway,
      },
    ]),
  );
}
