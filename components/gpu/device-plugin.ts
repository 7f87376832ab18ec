/**
 * The NVIDIA device plugin from its official Helm chart on every cluster with GPUs: it advertises
 * `nvidia.com/gpu` on the GPU nodes so that model servers can request GPUs.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { upstreamSources } from "../../infra/versions";
import { gpuToleration } from "./catalog";

export interface DevicePluginValuesArgs {
  /**
   * RuntimeClass the plugin pods run with: `nvidia` on k3s, whose server creates that RuntimeClass
   * always (manifests/runtimes.yaml) and whose agents add its containerd handler where they find
   * the NVIDIA container runtime (the GPU agents, the only nodes the plugin runs on); unset where
   * NVIDIA is containerd's default (EKS AMIs).
   */
  runtimeClassName?: string;
}

/** Chart values: run only on GPU nodes, tolerate the GPU taint, no feature discovery. */
export function devicePluginValues(args: DevicePluginValuesArgs): Record<string, unknown> {
  return {
    nodeSelector: { "nvidia.com/gpu.present": "true" },
    tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }, { ...gpuToleration }],
    priorityClassName: "system-node-critical",
    ...(args.runtimeClassName ? { runtimeClassName: args.runtimeClassName } : {}),
    // Node groups carry their GPU labels already (components/gpu/catalog.ts gpuNodeLabels).
    gfd: { enabled: false },
    nfd: { enabled: false },
  };
}

export interface NvidiaDevicePluginArgs extends DevicePluginValuesArgs {
  /** Platform cluster name (prefix of logical names). */
  cluster: string;
  /** The cluster's Kubernetes provider. */
  provider: k8s.Provider;
  /** Chart version (infra/versions.ts `nvidiaDevicePlugin`). */
  version: string;
  /** Node groups the plugin waits for. */
  dependsOn?: pulumi.Resource[];
}

export const devicePluginNamespace = "kube-system";

export class NvidiaDevicePlugin extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;
  constructor(args: NvidiaDevicePluginArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-mesh:gpu:NvidiaDevicePlugin", `${args.cluster}-nvidia-device-plugin`, {}, opts);
    this.release = new k8s.helm.v3.Release(
      `${args.cluster}-nvidia-device-plugin`,
      {
        name: "nvidia-device-plugin",
        chart: "nvidia-device-plugin",
        version: args.version,
        repositoryOpts: { repo: upstreamSources.nvidiaDevicePluginRepo },
        namespace: devicePluginNamespace,
        values: devicePluginValues(args),
      },
      { parent: this, provider: args.provider, dependsOn: args.dependsOn },
    );
    this.registerOutputs({ status: this.release.status });
  }
}
