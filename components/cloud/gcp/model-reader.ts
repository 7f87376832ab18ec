/**
 * Read access to GCS for the k3s GPU agents that serve a model streamed from `gs://`: a service
 * account of the cluster's own, granted `roles/storage.objectViewer` on exactly those models'
 * buckets, that the instance templates of the node groups their replicas may land on run as, with
 * the cloud-platform scope (what IAM then allows is the account's bucket grants only).
 *
 * The streamer reads GCS with Google's default credentials: without RUNAI_STREAMER_GCS_CREDENTIAL_FILE
 * or GOOGLE_APPLICATION_CREDENTIALS, google-cloud-cpp fetches a token from the GCE metadata server
 * (runai-model-streamer 0.15.7 docs/src/usage.md, "Streaming from Google cloud storage"), which
 * a pod on a k3s agent reaches as the VM does, and which hands out the VM's service account's
 * token. So every pod on those VMs may read the buckets, not only vLLM: plain GCE has no per-pod
 * identity (GKE's Workload Identity Federation is GKE's). The grant is read-only, on the model
 * buckets only.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import type { K3sClusterSpec } from "../../../infra/schema";
import type { PlatformSpec } from "../../../infra/config";
import { objectStoreLocation } from "../../../infra/object-store-model";
import { gpuProducts } from "../../gpu/fit";
import { servingNodeGroups } from "../../gpu/placement";

/** What the GPU agents of one k3s cluster read from GCS. */
export interface GcsModelReads {
  /** Buckets of the `gs://` models placed on the cluster, each once, sorted. */
  buckets: string[];
  /** Node groups those models' replicas may land on, in config order: their VMs run as the reader. */
  nodeGroups: string[];
}

/** The GCS reads of the cluster's vLLM models streamed from `gs://`; none when no such model is placed there. */
export function gcsModelReads(platform: Pick<PlatformSpec, "models" | "fits">, cluster: K3sClusterSpec): GcsModelReads {
  const streamed = platform.models.filter((m) => m.server === "vllm" && m.servedModelName.startsWith("gs://") && m.clusters.includes(cluster.name));
  const serving = new Set(
    streamed.flatMap((m) => {
      const fit = platform.fits.get(m.name)?.find((f) => f.cluster === cluster.name);
      return servingNodeGroups(cluster.nodeGroups, gpuProducts(fit), fit?.rejected.map((r) => r.nodeGroup.name)).map((g) => g.name);
    }),
  );
  return {
    buckets: [...new Set(streamed.map((m) => objectStoreLocation(m.servedModelName).bucket))].sort(),
    nodeGroups: cluster.nodeGroups.map((g) => g.name).filter((g) => serving.has(g)),
  };
}

/**
 * The reader's account ID: the cluster's name (cut to 18 characters) and a hash of environment and
 * cluster, so stacks sharing a project do not collide; IAM takes 6 to 30 lowercase letters, digits
 * and hyphens, starting with a letter and not ending with a hyphen.
 */
export function modelReaderAccountId(environment: string, cluster: string): string {
  const hash = createHash("sha256").update(`${environment}/${cluster}`).digest("hex").slice(0, 4);
  return `${cluster.slice(0, 18).replace(/-+$/, "")}-models-${hash}`;
}

/** IAM's limit on a service account's display name, in UTF-8 bytes (ServiceAccount.displayName). */
const DISPLAY_NAME_MAX_BYTES = 100;

/**
 * The reader's display name, naming its environment and cluster. The environment defaults to the
 * stack name, which Pulumi allows up to 100 characters, and IAM refuses a display name over 100
 * bytes when the account is created: a long one is cut (marked `...`), the cluster's name (at most
 * 31 characters, config validation) kept whole. Only people read it; the account ID is the key.
 */
export function modelReaderDisplayName(environment: string, cluster: string): string {
  const full = `inference-mesh ${environment}/${cluster} model reader`;
  if (Buffer.byteLength(full) <= DISPLAY_NAME_MAX_BYTES) return full;
  const room = Math.max(0, DISPLAY_NAME_MAX_BYTES - Buffer.byteLength(`inference-mesh .../${cluster} model reader`));
  let cut = environment;
  while (Buffer.byteLength(cut) > room) cut = cut.slice(0, -1);
  return `inference-mesh ${cut}.../${cluster} model reader`;
}

/** GCE's scope for every Google API: what the token may do is then IAM's (the bucket grants) alone. */
export const cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform";

/** The role granted on each model bucket: get and list objects, nothing else. */
export const modelBucketRole = "roles/storage.objectViewer";

export interface GcsModelReader {
  /** The instance templates' `serviceAccount` block of the serving node groups. */
  serviceAccount: { email: pulumi.Output<string>; scopes: string[] };
  /** The bucket grants: the model servers wait for them. */
  grants: pulumi.Resource[];
}

/** The reader account and its bucket grants; undefined when the cluster reads no bucket. */
export function createGcsModelReader(name: string, environment: string, reads: GcsModelReads, onGcp: pulumi.CustomResourceOptions): GcsModelReader | undefined {
  if (reads.buckets.length === 0) return undefined;
  const account = new gcp.serviceaccount.Account(
    `${name}-model-reader`,
    { accountId: modelReaderAccountId(environment, name), displayName: modelReaderDisplayName(environment, name), description: "k3s GPU agents streaming model weights from GCS" },
    onGcp,
  );
  const grants = reads.buckets.map(
    (bucket) => new gcp.storage.BucketIAMMember(`${name}-model-reader-${bucket}`, { bucket, role: modelBucketRole, member: account.member }, onGcp),
  );
  return { serviceAccount: { email: account.email, scopes: [cloudPlatformScope] }, grants };
}
