/**
 * The inference CRD bundles, applied from their pinned upstream release assets before anything
 * that uses them: GIE's InferencePool v1, and llm-d-router's `llm-d.ai` InferenceObjective and
 * InferenceModelRewrite (the EPP crash-loops when a kind it watches is missing).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { upstreamSources, Versions } from "../../infra/versions";

export interface CrdBundle {
  /** Pulumi logical name suffix. */
  name: string;
  url: string;
}

export function inferenceCrdBundles(versions: Versions): CrdBundle[] {
  const router = upstreamSources.llmdRouterCrds(versions.llmdRouter);
  return [
    { name: "gie-crds", url: upstreamSources.gieCrds(versions.gie) },
    ...router.map((url, i) => ({ name: router.length === 1 ? "llm-d-router-crds" : `llm-d-router-crds-${i}`, url })),
  ];
}

export interface CrdArgs {
  cluster: string;
  versions: Versions;
  provider: k8s.Provider;
  parent: pulumi.Resource;
  /** The Gateway API CRDs: InferencePool status refers to Gateway parents. */
  dependsOn: pulumi.Resource[];
}

export function applyInferenceCrds(args: CrdArgs): pulumi.Resource[] {
  return inferenceCrdBundles(args.versions).map(
    (b) =>
      new k8s.yaml.v2.ConfigFile(`${args.cluster}-${b.name}`, { file: b.url }, {
        provider: args.provider,
        parent: args.parent,
        dependsOn: args.dependsOn,
      }),
  );
}
