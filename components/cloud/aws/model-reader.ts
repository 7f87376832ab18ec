/**
 * Read access to S3 for the vLLM servers of an EKS cluster that stream a model from `s3://`, by
 * EKS Pod Identity: one IAM role per cluster that may read exactly those models' buckets and key
 * prefixes, associated with exactly those model versions' ServiceAccounts, and the
 * `eks-pod-identity-agent` add-on that hands the role's credentials to their pods.
 *
 * Why Pod Identity and not the node role: the streamer reads S3 with boto3's default credential
 * chain (runai-model-streamer docs/src/usage.md, "S3 authentication";
 * runai_model_streamer_s3/credentials/credentials.py), which takes EKS Pod Identity's container
 * credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, set by
 * EKS on pods whose ServiceAccount has an association). The node role would need IMDSv2's hop limit
 * raised to 2 through a launch template on every GPU node group (moving its disk size there too),
 * and would then hand the bucket, and the node role's own ECR and CNI permissions, to every pod on
 * those nodes. Pod Identity needs no change to the node groups, keeps IMDS out of the pods' reach,
 * and grants the read to the model servers only. The node role's AmazonEKSWorkerNodePolicy already
 * allows the agent's eks-auth:AssumeRoleForPodIdentity (EKS User Guide, "Set up the Amazon EKS Pod
 * Identity Agent"); the nodes reach the EKS Auth API through the VPC's NAT gateways.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { ModelSpec } from "../../../infra/schema";
import { objectStoreLocation, ObjectStoreLocation } from "../../../infra/object-store-model";
import { inferenceNamespace, modelServerServiceAccount, poolName } from "../../inference/names";

/** The EKS add-on that runs the Pod Identity agent on every node (a DaemonSet on 169.254.170.23). */
export const podIdentityAgentAddon = "eks-pod-identity-agent";

/** What the vLLM servers of one cluster read from S3, and under which ServiceAccounts. */
export interface S3ModelReads {
  /** The model versions' vLLM ServiceAccounts (namespace `inference`), sorted. */
  serviceAccounts: string[];
  /** Each bucket and key prefix once, sorted. */
  locations: Pick<ObjectStoreLocation, "bucket" | "prefix">[];
}

/** The S3 reads of the vLLM models among `models` (those placed on the cluster); none when no model streams from S3. */
export function s3ModelReads(models: ModelSpec[]): S3ModelReads {
  const streamed = models.filter((m) => m.server === "vllm" && m.servedModelName.startsWith("s3://"));
  const serviceAccounts = streamed.flatMap((m) => m.versions.map((v) => modelServerServiceAccount(poolName(m, v))));
  const locations = new Map(streamed.map((m) => objectStoreLocation(m.servedModelName)).map(({ bucket, prefix }) => [`${bucket}/${prefix}`, { bucket, prefix }]));
  return {
    serviceAccounts: [...new Set(serviceAccounts)].sort(),
    locations: [...locations.keys()].sort().map((key) => locations.get(key)!),
  };
}

/** `arn:aws:s3:::bucket`: the clusters run in AWS commercial regions only (infra/regions.ts). */
const bucketArn = (bucket: string) => `arn:aws:s3:::${bucket}`;

/**
 * A key prefix as IAM reads it literally. S3 keys may hold '*', '?' and '$', which in a policy's
 * Resource are wildcards and the start of a policy variable; IAM's fixed variables ${*}, ${?} and
 * ${$} stand for the characters themselves (IAM User Guide, "IAM policy elements: Variables and
 * tags", special characters), so a prefix `runs/*` grants that prefix, not every key under runs/.
 */
const iamLiteral = (text: string) => text.replace(/[*?$]/g, (c) => `\${${c}}`);

/**
 * The role's permissions: GetObject on each model's key prefix (the whole bucket for a model at its
 * root) and ListBucket on its buckets, which vLLM needs to find the model's files under the prefix.
 * Nothing else: no write, no other bucket.
 */
export function s3ReadPolicy(locations: S3ModelReads["locations"]): string {
  const objects = locations.map(({ bucket, prefix }) => `${bucketArn(bucket)}/${prefix ? `${iamLiteral(prefix)}/` : ""}*`);
  const buckets = [...new Set(locations.map((l) => bucketArn(l.bucket)))];
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "ReadModelFiles", Effect: "Allow", Action: ["s3:GetObject"], Resource: objects },
      { Sid: "ListModelBuckets", Effect: "Allow", Action: ["s3:ListBucket"], Resource: buckets },
    ],
  });
}

/**
 * Who may assume the role: EKS Pod Identity (principal pods.eks.amazonaws.com, sts:AssumeRole and
 * sts:TagSession, as the EKS User Guide's "Create IAM role with trust policy required by EKS Pod
 * Identity" gives it), and only for the model servers' ServiceAccounts, by the session tags Pod
 * Identity sets (`kubernetes-namespace`, `kubernetes-service-account`), so that a later association
 * of another ServiceAccount with this role gets no credentials.
 */
export function podIdentityTrustPolicy(serviceAccounts: string[]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "pods.eks.amazonaws.com" },
        Action: ["sts:AssumeRole", "sts:TagSession"],
        Condition: {
          StringEquals: {
            "aws:RequestTag/kubernetes-namespace": [inferenceNamespace],
            "aws:RequestTag/kubernetes-service-account": serviceAccounts,
          },
        },
      },
    ],
  });
}

export interface S3ModelReaderArgs {
  /** Physical EKS cluster name. */
  clusterName: pulumi.Input<string>;
  reads: S3ModelReads;
  /** The node groups: the agent add-on's DaemonSet becomes active only once nodes run it. */
  nodeGroups: pulumi.Resource[];
}

/**
 * The role, its inline read policy, the agent add-on and one association per ServiceAccount; what
 * the model servers must wait for (their pods get the credentials' environment only when the
 * association exists as they are created). Empty without S3 reads.
 */
export function createS3ModelReader(name: string, args: S3ModelReaderArgs, onAws: pulumi.CustomResourceOptions): pulumi.Resource[] {
  const { reads } = args;
  if (reads.serviceAccounts.length === 0) return [];
  const role = new aws.iam.Role(
    `${name}-model-reader`,
    { assumeRolePolicy: podIdentityTrustPolicy(reads.serviceAccounts), description: "vLLM model servers streaming their weights from S3 (EKS Pod Identity)" },
    onAws,
  );
  const policy = new aws.iam.RolePolicy(`${name}-model-reader-s3`, { role: role.name, policy: s3ReadPolicy(reads.locations) }, onAws);
  const agent = new aws.eks.Addon(`${name}-pod-identity-agent`, { clusterName: args.clusterName, addonName: podIdentityAgentAddon }, { ...onAws, dependsOn: args.nodeGroups });
  const associations = reads.serviceAccounts.map(
    (serviceAccount) =>
      new aws.eks.PodIdentityAssociation(
        `${name}-${serviceAccount}-identity`,
        { clusterName: args.clusterName, namespace: inferenceNamespace, serviceAccount, roleArn: role.arn },
        { ...onAws, dependsOn: [policy] },
      ),
  );
  return [agent, policy, ...associations];
}
