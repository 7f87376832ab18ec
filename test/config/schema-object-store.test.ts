/**
 * vLLM models streamed from object storage (infra/object-store-model.ts): a path vLLM cannot
 * stream is refused naming the bucket, a Hugging Face revision on such a model is refused as read
 * by nothing, an S3 model is placed on aws clusters and a GCS model on gcp clusters (the program
 * grants their servers read access), and placing one on a cluster whose pods get no credentials for
 * its store is refused naming the cluster.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { shippedPlatform } from "../support/render";
import { objectStoreLocation, objectStorePlacementProblem, objectStoreUriProblem } from "../../infra/object-store-model";
import { RejectCase, testRejections } from "./support";

test("object-store models load where the program grants reads (S3 on aws, GCS on gcp) or the operator gave the nodes credentials (existing)", () => {
  assert.equal(objectStorePlacementProblem("s3://acme-models/llama", "aws"), undefined);
  assert.equal(objectStorePlacementProblem("gs://acme-models/llama", "gcp"), undefined);
  assert.equal(objectStorePlacementProblem("s3://acme-models/llama", "existing"), undefined);
  assert.equal(objectStorePlacementProblem("gs://acme-models/llama", "existing"), undefined);
  assert.match(objectStorePlacementProblem("gs://acme-models/llama", "aws") ?? "", /on aws: its EKS pods get AWS credentials only/);
  assert.match(objectStorePlacementProblem("s3://acme-models/llama", "gcp") ?? "", /on gcp: its k3s VMs get Google credentials only .* and hold no AWS keys/);
});

test("an S3 model is placed on an EKS cluster", () => {
  const p = shippedPlatform("prod");
  p.models[0].servedModelName = "s3://acme-models/llama-3.1-8b";
  p.models[0].clusters = ["aws-use1"];
  assert.deepEqual(parsePlatform(p, "prod").models[0].clusters, ["aws-use1"]);
});

test("a GCS model is placed on a k3s cluster on GCP", () => {
  const p = shippedPlatform("prod");
  p.models[1].servedModelName = "gs://acme_models/qwen3-32b";
  p.models[1].clusters = ["gcp-usc1"];
  delete p.models[1].gpuTypes;
  assert.deepEqual(parsePlatform(p, "prod").models[1].clusters, ["gcp-usc1"]);
});

test("object-store locations: bucket and key prefix, without the slashes around it", () => {
  assert.deepEqual(objectStoreLocation("s3://acme-models/meta/llama-3.1-8b/"), { scheme: "s3", bucket: "acme-models", prefix: "meta/llama-3.1-8b" });
  assert.deepEqual(objectStoreLocation("gs://acme_models"), { scheme: "gs", bucket: "acme_models", prefix: "" });
  assert.deepEqual(objectStoreLocation("s3://acme-models/"), { scheme: "s3", bucket: "acme-models", prefix: "" });
});

test("object-store paths: the bucket must be one the store creates", () => {
  assert.equal(objectStoreUriProblem("s3://acme-models/llama"), undefined);
  assert.equal(objectStoreUriProblem("gs://acme_models"), undefined);
  assert.match(objectStoreUriProblem("s3://acme_models/llama") ?? "", /has bucket 'acme_models', which is no S3 bucket name/);
  assert.match(objectStoreUriProblem("gs:///llama") ?? "", /has bucket '', which is no GCS bucket name/);
  assert.match(objectStoreUriProblem("s3://Acme/llama") ?? "", /no S3 bucket name: 3 to 63 lowercase letters/);
});

test("S3 paths: a bucket of S3's characters that its naming rules still refuse is refused, naming the rule", () => {
  const refused: [string, RegExp][] = [
    ["s3://acme..models/llama", /has bucket 'acme\.\.models', which is no S3 bucket name: it holds two adjacent periods/],
    ["s3://192.168.5.4/llama", /has bucket '192\.168\.5\.4', which is no S3 bucket name: it is formatted as an IP address/],
    ["s3://xn--models/llama", /it starts with 'xn--', a prefix S3 reserves/],
    ["s3://sthree-models/llama", /it starts with 'sthree-'/],
    ["s3://amzn-s3-demo-bucket/llama", /it starts with 'amzn-s3-demo-'/],
    ["s3://acme-models-s3alias/llama", /it ends with '-s3alias', a suffix S3 reserves/],
    ["s3://acme--ol-s3/llama", /it ends with '--ol-s3'/],
    ["s3://acme.mrap/llama", /it ends with '\.mrap'/],
    ["s3://acme--x-s3/llama", /it ends with '--x-s3'/],
    ["s3://acme--table-s3/llama", /it ends with '--table-s3'/],
  ];
  for (const [uri, message] of refused) assert.match(objectStoreUriProblem(uri) ?? "", message, uri);
  // Dots, digits and the reserved words elsewhere in the name are S3's; GCS keeps its own rules.
  for (const uri of ["s3://models.acme.example/llama", "s3://192.168.5.4.models/llama", "s3://acme-xn--models/llama", "s3://acme-s3alias-models/x", "gs://xn--models/llama"]) {
    assert.equal(objectStoreUriProblem(uri), undefined, uri);
  }
});

test("GCS paths: a dotted bucket name may be up to 222 characters, each dot-separated component at most 63", () => {
  const part63 = "a".repeat(63);
  const dotted222 = [part63, part63, part63, "b".repeat(30)].join(".");
  assert.equal(dotted222.length, 222);
  assert.equal(objectStoreUriProblem(`gs://${dotted222}/llama`), undefined);
  assert.equal(objectStoreUriProblem(`gs://${part63}.example.com/llama`), undefined);
  assert.match(objectStoreUriProblem(`gs://${dotted222}c/llama`) ?? "", /which is no GCS bucket name: it is 223 characters long, above the 222 GCS allows a name with dots/);
  assert.match(objectStoreUriProblem(`gs://${part63}a.example.com/llama`) ?? "", new RegExp(`which is no GCS bucket name: its dot-separated component '${part63}a' is 64 characters long, above the 63 GCS allows`));
  assert.match(objectStoreUriProblem(`gs://${part63}a/llama`) ?? "", /which is no GCS bucket name: it is 64 characters long, above the 63 GCS allows a name without dots/);
  // S3 keeps 63 for every name.
  assert.match(objectStoreUriProblem(`s3://${part63}.example.com/llama`) ?? "", /no S3 bucket name: 3 to 63 lowercase letters/);
});

test("GCS paths: a bucket name in IP address form is refused", () => {
  assert.match(objectStoreUriProblem("gs://192.168.5.4/llama") ?? "", /has bucket '192\.168\.5\.4', which is no GCS bucket name: it is an IP address in dotted-decimal notation, which GCS refuses/);
  assert.equal(objectStoreUriProblem("gs://192.168.5.4.models/llama"), undefined);
});

test("GCS paths: a bucket name starting with 'goog' is refused", () => {
  assert.match(objectStoreUriProblem("gs://goog-models/llama") ?? "", /has bucket 'goog-models', which is no GCS bucket name: it starts with 'goog', a prefix GCS reserves/);
  assert.equal(objectStoreUriProblem("gs://acme-goog/llama"), undefined);
});

test("GCS paths: a bucket name containing 'google' or its '0'-for-'o' misspellings is refused", () => {
  for (const [bucket, word] of [["acme-google-models", "google"], ["acme-g00gle", "g00gle"], ["g0ogle-models", "g0ogle"], ["acme.go0gle.example", "go0gle"]]) {
    assert.match(objectStoreUriProblem(`gs://${bucket}/llama`) ?? "", new RegExp(`has bucket '${bucket.replace(/\./g, "\\.")}', which is no GCS bucket name: it contains '${word}', which GCS refuses`), bucket);
  }
  // S3 has no such rule.
  assert.equal(objectStoreUriProblem("s3://acme-google-models/llama"), undefined);
});

const cases: RejectCase[] = [
  {
    name: "an S3 model path whose bucket S3 never creates",
    mutate: (p) => (p.models[0].servedModelName = "s3://Acme_Models/llama"),
    path: "inference-mesh:platform.models[0].servedModelName",
    message: /^inference-mesh:platform\.models\[0\]\.servedModelName: 's3:\/\/Acme_Models\/llama' is the object-store path vLLM streams the model from and has bucket 'Acme_Models', which is no S3 bucket name/,
  },
  {
    name: "an S3 model path whose bucket holds two adjacent periods",
    mutate: (p) => ((p.models[0].servedModelName = "s3://acme..models/llama"), (p.models[0].clusters = ["aws-use1"])),
    path: "inference-mesh:platform.models[0].servedModelName",
    message: /^inference-mesh:platform\.models\[0\]\.servedModelName: 's3:\/\/acme\.\.models\/llama' is the object-store path vLLM streams the model from and has bucket 'acme\.\.models', which is no S3 bucket name: it holds two adjacent periods, which S3 refuses$/,
  },
  {
    name: "a GCS model path whose bucket name contains 'google'",
    mutate: (p) => ((p.models[0].servedModelName = "gs://acme-google/llama"), (p.models[0].clusters = ["gcp-usc1"])),
    path: "inference-mesh:platform.models[0].servedModelName",
    message: /^inference-mesh:platform\.models\[0\]\.servedModelName: 'gs:\/\/acme-google\/llama' is the object-store path vLLM streams the model from and has bucket 'acme-google', which is no GCS bucket name: it contains 'google', which GCS refuses/,
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
  {
    name: "an S3 model on a gcp cluster, whose k3s VMs hold Google credentials only",
    mutate: (p) => (p.models[0].servedModelName = "s3://acme-models/llama"),
    path: "inference-mesh:platform.models[0].clusters[2]",
    message: /^inference-mesh:platform\.models\[0\]\.clusters\[2\]: 'gcp-usc1': model 'llama-3-1-8b' streams 's3:\/\/acme-models\/llama' but the cluster is on gcp: .*; place s3:\/\/ models on aws clusters and gs:\/\/ models on gcp clusters \(the program grants their model servers read access to the bucket\), or on clusters with cloud 'existing'/,
  },
  {
    name: "a GCS model on an aws cluster, whose nodes hold AWS credentials only",
    mutate: (p) => ((p.models[0].servedModelName = "gs://acme-models/llama"), (p.models[0].clusters = ["aws-use1"])),
    path: "inference-mesh:platform.models[0].clusters[0]",
    message: /'aws-use1': model 'llama-3-1-8b' streams 'gs:\/\/acme-models\/llama' but the cluster is on aws: its EKS pods get AWS credentials only/,
  },
];

testRejections(cases);
