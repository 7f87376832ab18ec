/**
 * Gateway API standard-channel CRDs, from the pinned upstream release manifest, on every
 * cluster before Istio (istiod watches them at start) and before any Gateway or route.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { upstreamSources } from "../../infra/versions";

export function gatewayApiCrdsUrl(version: string): string {
  return upstreamSources.gatewayApiCrds(version);
}

export interface GatewayApiCrdsArgs {
  cluster: string;
  version: string;
  provider: k8s.Provider;
  parent: pulumi.Resource;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export function gatewayApiCrds(args: GatewayApiCrdsArgs): k8s.yaml.v2.ConfigFile {
  return new k8s.yaml.v2.ConfigFile(
    `${args.cluster}-gateway-api-crds`,
    { file: gatewayApiCrdsUrl(args.version) },
    { provider: args.provider, parent: args.parent, dependsOn: args.dependsOn },
  );
}
