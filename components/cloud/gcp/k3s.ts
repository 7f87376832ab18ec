import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { K3sClusterSpec } from "../../../infra/schema";
import type { PlatformSpec } from "../../../infra/config";
import { ClusterHandle } from "../cluster";

export interface K3sClusterArgs {
  spec: K3sClusterSpec;
  platform: PlatformSpec;
  k3sVersion: string;
}

export class K3sCluster extends pulumi.ComponentResource implements ClusterHandle {
  readonly spec!: K3sClusterSpec;
  readonly provider!: k8s.Provider;
  readonly kubeconfig!: pulumi.Output<string>;
  readonly endpoint!: pulumi.Output<string>;
  readonly certificateAuthorityData!: pulumi.Output<string>;
  readonly hasGpus = true;
  readonly readiness: pulumi.Resource[] = [];
  constructor(name: string, args: K3sClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-mesh:cloud:K3sCluster", name, {}, opts);
    throw new Error(`cluster '${name}': cloud 'gcp' is not wired yet (${args.platform.stack})`);
  }
}
