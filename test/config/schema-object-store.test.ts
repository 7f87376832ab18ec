/**
 * vLLM models streamed from object storage (infra/object-store-model.ts): an s3:// or gs://
 * servedModelName is accepted for vLLM (the pinned vllm-openai image carries the Run:ai Model
 * Streamer with its s3 and gcs extras), a path vLLM cannot stream is refused naming the bucket,
 * and a Hugging Face revision on such a model is refused as read by nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { shippedPlatform } from "../support/render";
import { objectStoreUriProblem } from "../../infra/object-store-model";
import { RejectCase, testRejections } from "./support";

test("a vLLM model streamed from S3 or GCS is accepted, at a bucket's root or under a prefix", () => {
  for (const uri of ["s3://acme-models/meta-llama/Llama-3.1-8B-Instruct", "gs://acme_models/llama-3.1-8b/", "s3://models.acme.example/llama"]) {
    const p = shippedPlatform("prod");
    p.models[0].servedModelName = uri;
    assert.equal(parsePlatform(p, "prod").models[0].servedModelName, uri);
  }
});

test("object-store paths: the bucket must be one the store creates", () => {
  assert.equal(objectStoreUriProblem("s3://acme-models/llama"), undefined);
  assert.equal(objectStoreUriProblem("gs://acme_models"), undefined);
  assert.match(objectStoreUriProblem("s3://acme_models/llama") ?? "", /has bucket 'acme_models', which is no S3 bucket name/);
  assert.match(objectStoreUriProblem("gs:///llama") ?? "", /has bucket '', which is no GCS bucket name/);
  assert.match(objectStoreUriProblem("s3://Acme/llama") ?? "", /no S3 bucket name: 3 to 63 lowercase letters/);
});

const cases: RejectCase[] = [
  {
    name: "an S3 model path whose bucket S3 never creates",
    mutate: (p) => (p.models[0].servedModelName = "s3://Acme_Models/llama"),
    path: "inference-mesh:platform.models[0].servedModelName",
    message: /^inference-mesh:platform\.models\[0\]\.servedModelName: 's3:\/\/Acme_Models\/llama' is the object-store path vLLM streams the model from and has bucket 'Acme_Models', which is no S3 bucket name/,
  },
  {
    name: "a Hugging Face revision on a model streamed from object storage",
    mutate: (p) => ((p.models[0].servedModelName = "s3://acme-models/llama"), (p.models[0].versions[0].revision = "main")),
    path: "inference-mesh:platform.models[0].versions[0].revision",
    message: /is set but servedModelName 's3:\/\/acme-models\/llama' is an object-store path, which has no Hugging Face branches, tags or commits: revision is read by nothing/,
  },
  {
    name: "a model id in an object store vLLM does not stream from (Azure's az://)",
    mutate: (p) => (p.models[0].servedModelName = "az://models/llama"),
    path: "inference-mesh:platform.models[0].servedModelName",
    message: /is what vLLM loads \(--model\) and .*an s3:\/\/ or gs:\/\/ path to stream it from, or an absolute path in the image/,
  },
];

testRejections(cases);
