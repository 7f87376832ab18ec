/**
 * Models vLLM streams from object storage: `s3://bucket/path` or `gs://bucket/path` as a vLLM
 * model's `servedModelName`. vLLM loads such a path only with `--load-format runai_streamer`
 * (docs.vllm.ai, "Loading models with Run:ai Model Streamer"), which needs the
 * runai-model-streamer package with its s3/gcs extras: the vllm-openai image installs
 * `runai-model-streamer[s3,gcs,azure]` (docker/Dockerfile, vllm-base stage, in the CUDA 13 releases
 * the pinned v0.21.0 is one of). Pure.
 */

/** The object stores a vLLM model may be streamed from, by URI scheme. */
export const OBJECT_STORE_SCHEMES = ["s3", "gs"] as const;

const URI = /^(s3|gs):\/\/([^/]*)(\/.*)?$/;

/** Whether `text` names a model in an object store (`s3://…`, `gs://…`), whatever else is wrong with it. */
export const isObjectStoreUri = (text: string): boolean => /^(s3|gs):\/\//.test(text);

/**
 * Why `uri` is no object-store model path vLLM can stream, or undefined where it is one. Bucket
 * names as both stores create them: 3 to 63 lowercase letters, digits, '.' and '-' (GCS also '_'),
 * starting and ending with a letter or digit.
 */
export function objectStoreUriProblem(uri: string): string | undefined {
  const match = URI.exec(uri);
  if (!match) return "is not an object-store path: s3://<bucket>/<path> or gs://<bucket>/<path>";
  const [, scheme, bucket] = match;
  const bucketChars = scheme === "gs" ? /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/ : /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
  if (!bucketChars.test(bucket)) {
    return `has bucket '${bucket}', which is no ${scheme === "gs" ? "GCS" : "S3"} bucket name: 3 to 63 lowercase letters, digits, '.' and '-'${scheme === "gs" ? " or '_'" : ""}, starting and ending with a letter or digit`;
  }
  return undefined;
}

/**
 * Why a model streamed from `uri` can never load on a cluster of `cloud`, or undefined where it
 * may. The streamer signs its reads with the cloud SDKs' default credentials and the program
 * injects none. Our k3s GCE VMs have no service account attached, so the GCE metadata server hands
 * out no Google token, and they hold no AWS credentials. Our EKS managed node groups run AL2023
 * with EKS's default launch template: IMDSv2 only, PUT response hop limit 1, so a pod (one hop
 * further) gets no IMDS token and never reaches the node role; they hold no Google credentials.
 * An existing cluster's nodes and pods carry whatever the operator gave them.
 */
export function objectStorePlacementProblem(uri: string, cloud: "aws" | "gcp" | "existing"): string | undefined {
  if (cloud === "existing") return undefined;
  const scheme = uri.startsWith("gs://") ? "gs" : "s3";
  const why =
    cloud === "aws"
      ? scheme === "s3"
        ? "its EKS nodes require IMDSv2 with a hop limit of 1 (EKS's default launch template for AL2023), so a pod gets no node-role credentials, and the program injects none"
        : "its EKS nodes hold AWS credentials only, and the streamer reads gs:// with Google default credentials"
      : scheme === "gs"
        ? "its k3s VMs are created without a service account, so the GCE metadata server gives the streamer no Google credentials"
        : "its k3s VMs hold no AWS credentials and the program injects none";
  return `streams '${uri}' but the cluster is on ${cloud}: ${why}; on aws and gcp clusters serve the model by Hugging Face repo id or as an absolute path in the image (object-store paths are allowed on clusters with cloud 'existing' only, whose nodes carry the operator's credentials)`;
}
