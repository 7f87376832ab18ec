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
