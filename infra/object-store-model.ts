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
 * Why `uri` is no object-store model path vLLM can stream, or undefined where it is one: its
 * bucket must be a name its store creates (s3BucketNameProblem, gcsBucketNameProblem).
 */
export function objectStoreUriProblem(uri: string): string | undefined {
  const match = URI.exec(uri);
  if (!match) return "is not an object-store path: s3://<bucket>/<path> or gs://<bucket>/<path>";
  const [, scheme, bucket] = match;
  const problem = scheme === "gs" ? gcsBucketNameProblem(bucket) : s3BucketNameProblem(bucket);
  return problem && `has bucket '${bucket}', which is no ${scheme === "gs" ? "GCS" : "S3"} bucket name: ${problem}`;
}

/**
 * 'google' and its misspellings with a zero for an 'o', the one kind of "close misspelling" the
 * guidelines name by example ('g00gle'); which other misspellings GCS refuses is not published.
 */
const GOOGLE_OR_ZERO_MISSPELLING = /g[o0][o0]gle/;

/**
 * Why a name is no bucket Cloud Storage creates (Cloud Storage docs, "Bucket naming guidelines",
 * cloud.google.com/storage/docs/naming-buckets): its characters and lengths, no IP address form, no
 * 'goog' prefix, no 'google' or close misspelling; or undefined. The bucket of a gs:// model must
 * exist for the streamer to read it and for the program's IAM grant on it. A name with dots is
 * created only for a domain verified as the creator's, which config cannot know: it is accepted.
 */
function gcsBucketNameProblem(bucket: string): string | undefined {
  if (!/^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/.test(bucket) || bucket.length < 3) {
    return "3 to 63 lowercase letters, digits, '.', '-' or '_', starting and ending with a letter or digit (with dots up to 222, each dot-separated component at most 63, for a domain verified as the creator's)";
  }
  if (!bucket.includes(".") && bucket.length > 63) return `it is ${bucket.length} characters long, above the 63 GCS allows a name without dots`;
  if (bucket.length > 222) return `it is ${bucket.length} characters long, above the 222 GCS allows a name with dots`;
  const longComponent = bucket.split(".").find((component) => component.length > 63);
  if (longComponent) return `its dot-separated component '${longComponent}' is ${longComponent.length} characters long, above the 63 GCS allows`;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(bucket)) return "it is an IP address in dotted-decimal notation, which GCS refuses";
  if (bucket.startsWith("goog")) return "it starts with 'goog', a prefix GCS reserves";
  const google = GOOGLE_OR_ZERO_MISSPELLING.exec(bucket);
  if (google) return `it contains '${google[0]}', which GCS refuses ('google' or a close misspelling such as 'g00gle')`;
  return undefined;
}

/** Prefixes and suffixes S3 keeps for its own names (punycode, its internal buckets, examples, access point and directory/table bucket aliases). */
const S3_RESERVED_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"] as const;
const S3_RESERVED_SUFFIXES = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] as const;

/**
 * Why a name is no general purpose bucket S3 creates
 * (Amazon S3 User Guide, "General purpose bucket naming rules"), or undefined: CreateBucket refuses
 * it, so no model can be stored there, and an IAM grant on it reads nothing.
 */
function s3BucketNameProblem(bucket: string): string | undefined {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) return "3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit";
  if (bucket.includes("..")) return "it holds two adjacent periods, which S3 refuses";
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(bucket)) return "it is formatted as an IP address, which S3 refuses";
  const prefix = S3_RESERVED_PREFIXES.find((p) => bucket.startsWith(p));
  if (prefix) return `it starts with '${prefix}', a prefix S3 reserves (${S3_RESERVED_PREFIXES.map((p) => `'${p}'`).join(", ")})`;
  const suffix = S3_RESERVED_SUFFIXES.find((s) => bucket.endsWith(s));
  if (suffix) return `it ends with '${suffix}', a suffix S3 reserves for access point, Multi-Region Access Point, directory and table bucket names (${S3_RESERVED_SUFFIXES.map((s) => `'${s}'`).join(", ")})`;
  return undefined;
}

/** Where an object-store model lives: its store, bucket and the key prefix its files sit under ('' at the bucket's root). */
export interface ObjectStoreLocation {
  scheme: (typeof OBJECT_STORE_SCHEMES)[number];
  bucket: string;
  prefix: string;
}

/** The store, bucket and key prefix of an object-store path that {@link objectStoreUriProblem} accepts. */
export function objectStoreLocation(uri: string): ObjectStoreLocation {
  const match = URI.exec(uri);
  if (!match) throw new Error(`'${uri}' is not an object-store path`);
  const [, scheme, bucket, path = ""] = match;
  return { scheme: scheme as ObjectStoreLocation["scheme"], bucket, prefix: path.replace(/^\/+|\/+$/g, "") };
}

/**
 * Why a model streamed from `uri` can never load on a cluster of `cloud`, or undefined where it
 * may. The streamer reads S3 with boto3's default credentials and GCS with Google's default
 * credentials. On aws clusters the program grants each S3 model's vLLM ServiceAccounts read access
 * through EKS Pod Identity (components/cloud/aws/model-reader.ts); on gcp clusters the k3s GPU VMs
 * serving a GCS model run as a service account that may read its buckets
 * (components/cloud/gcp/model-reader.ts). The other pairings get no credentials for the store: EKS
 * pods hold no Google credentials, and the k3s VMs no AWS keys. An existing cluster's nodes and
 * pods carry whatever the operator gave them.
 */
export function objectStorePlacementProblem(uri: string, cloud: "aws" | "gcp" | "existing"): string | undefined {
  if (cloud === "existing") return undefined;
  const scheme = uri.startsWith("gs://") ? "gs" : "s3";
  if ((cloud === "aws" && scheme === "s3") || (cloud === "gcp" && scheme === "gs")) return undefined;
  const why =
    cloud === "aws"
      ? "its EKS pods get AWS credentials only (the program grants S3 reads), and the streamer reads gs:// with Google default credentials"
      : "its k3s VMs get Google credentials only (the program grants GCS reads) and hold no AWS keys for the streamer's s3:// reads";
  return `streams '${uri}' but the cluster is on ${cloud}: ${why}; place s3:// models on aws clusters and gs:// models on gcp clusters (the program grants their model servers read access to the bucket), or on clusters with cloud 'existing', whose nodes carry the operator's credentials`;
}
