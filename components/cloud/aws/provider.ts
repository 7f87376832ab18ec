/**
 * One explicit AWS provider per cluster, so that no AWS resource ever falls back to the ambient
 * `aws:region` or default provider. Per cluster, not per region: a provider shared by the clusters
 * of a region would carry the first one's tags on all of them, and adding, removing or reordering
 * clusters would retag the others.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/** The AWS provider of one cluster: its region, and default tags naming the environment and the cluster. */
export function clusterAwsProvider(cluster: string, region: string, defaultTags: Record<string, string>, opts: pulumi.CustomResourceOptions): aws.Provider {
  return new aws.Provider(`${cluster}-aws`, { region, defaultTags: { tags: defaultTags } }, opts);
}
