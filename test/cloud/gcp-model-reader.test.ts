/**
 * GCS models on k3s/GCP (components/cloud/gcp/model-reader.ts): the GPU agents a gs:// model's
 * replicas may land on run as a service account of the cluster's own with the cloud-platform
 * scope, granted roles/storage.objectViewer on exactly the models' buckets; the other agents get
 * no identity. And a stack streaming one model from S3 on EKS and one from GCS on k3s renders,
 * with the pack finding nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform, K3sClusterSpec } from "../../infra/config";
import { renderPlatform, shippedPlatform } from "../support/render";
import { cloudPlatformScope, gcsModelReads, modelReaderAccountId, modelReaderDisplayName } from "../../components/cloud/gcp/model-reader";
import { servingNodeGroups } from "../../components/gpu/placement";

const nameOf = (urn: string) => urn.split("::").pop()!;

/** prod with llama streamed from S3 on the us-east-1 EKS cluster and qwen from GCS on the k3s cluster. */
function objectStorePlatform(): any {
  const p = shippedPlatform("prod");
  p.models[0].servedModelName = "s3://acme-models/meta/llama-3.1-8b";
  p.models[0].clusters = ["aws-use1"];
  p.models[1].servedModelName = "gs://acme_models/qwen/qwen3-32b";
  p.models[1].clusters = ["gcp-usc1"];
  delete p.models[1].gpuTypes;
  return p;
}

test("the node groups a model's replicas may land on: GPU groups of an allowed product (any, when none is named), less the rejected", () => {
  const groups = [
    { name: "cpu", instanceType: "e2-standard-8" },
    { name: "a100", instanceType: "a2-ultragpu-4g" },
    { name: "l4", instanceType: "g2-standard-24" },
    { name: "l4-small", instanceType: "g2-standard-8" },
  ];
  const names = (list: { name: string }[]) => list.map((g) => g.name);
  assert.deepEqual(names(servingNodeGroups(groups, [])), ["a100", "l4", "l4-small"]);
  assert.deepEqual(names(servingNodeGroups(groups, ["NVIDIA-L4"])), ["l4", "l4-small"]);
  assert.deepEqual(names(servingNodeGroups(groups, ["NVIDIA-L4"], ["l4-small"])), ["l4"]);
});

test("GCS reads of a k3s cluster: its gs:// models' buckets once, and the GPU groups their replicas may land on", () => {
  const spec = parsePlatform(objectStorePlatform(), "prod");
  const k3s = spec.clusters.find((c) => c.name === "gcp-usc1") as K3sClusterSpec;
  assert.deepEqual(gcsModelReads(spec, k3s), { buckets: ["acme_models"], nodeGroups: ["gpu-a100"] });
  const twin = { ...spec.models[1], name: "qwen-twin", servedModelName: "gs://acme_models/other" };
  const other = { ...spec.models[1], name: "qwen-other", servedModelName: "gs://zeta-models" };
  const fits = new Map([...spec.fits, ["qwen-twin", spec.fits.get(spec.models[1].name)!], ["qwen-other", spec.fits.get(spec.models[1].name)!]]);
  assert.deepEqual(gcsModelReads({ models: [...spec.models, other, twin], fits }, k3s).buckets, ["acme_models", "zeta-models"]);
  const prod = parsePlatform(shippedPlatform("prod"), "prod");
  assert.deepEqual(gcsModelReads(prod, prod.clusters.find((c) => c.name === "gcp-usc1") as K3sClusterSpec), { buckets: [], nodeGroups: [] }, "Hugging Face models read no bucket");
});

test("the reader's account ID: 6 to 30 characters IAM takes, the cluster's name first, one per environment and cluster", () => {
  const ids = [modelReaderAccountId("prod", "gcp-usc1"), modelReaderAccountId("dev", "gcp-usc1"), modelReaderAccountId("prod", "a"), modelReaderAccountId("prod", "a-very-long-cluster-name-of-forty-chars-x")];
  for (const id of ids) assert.match(id, /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, id);
  assert.match(ids[0], /^gcp-usc1-models-[0-9a-f]{4}$/);
  assert.notEqual(ids[0], ids[1]);
  assert.match(ids[3], /^a-very-long-cluste-models-[0-9a-f]{4}$/);
  assert.equal(modelReaderAccountId("prod", "gcp-usc1"), ids[0], "stable across runs");
});

// Before, the display name held the environment whole: without `environment` it is the stack name
// (up to 100 characters), and IAM refuses a display name over 100 UTF-8 bytes, inside `pulumi up`.
test("the reader's display name stays within IAM's 100 bytes, whatever the environment (the stack name by default)", () => {
  assert.equal(modelReaderDisplayName("prod", "gcp-usc1"), "inference-mesh prod/gcp-usc1 model reader");
  const longest = modelReaderDisplayName("e".repeat(40), "c".repeat(31));
  assert.equal(longest, `inference-mesh ${"e".repeat(40)}/${"c".repeat(31)} model reader`, "a 40-character environment label and a 31-character cluster name fit whole");
  const stackNamed = modelReaderDisplayName("my-team.inference_platform.".padEnd(100, "x"), "c".repeat(31));
  assert.ok(Buffer.byteLength(stackNamed) <= 100, `${Buffer.byteLength(stackNamed)} bytes: ${stackNamed}`);
  assert.match(stackNamed, /^inference-mesh my-team\.inference_platform\.x*\.\.\.\/c{31} model reader$/, "the environment is cut, the cluster kept");
});

test("mock engine: S3 on EKS and GCS on k3s render; the serving GPU template runs as the reader, which may view the bucket; the pack finds nothing", () => {
  const r = renderPlatform("object-store-models", objectStorePlatform());
  const report = JSON.parse(r.file("policy.json"));
  assert.deepEqual([report.summary.mandatory, report.summary.advisory], [0, 0], r.file("policy.json"));
  const [account] = r.ofType("gcp:serviceaccount/account:Account");
  assert.equal(nameOf(account.urn), "gcp-usc1-model-reader");
  const email = (account.outputs as any).email;
  const grants = r.ofType("gcp:storage/bucketIAMMember:BucketIAMMember");
  assert.deepEqual(grants.map((g) => [(g.inputs as any).bucket, (g.inputs as any).role, (g.inputs as any).member]), [["acme_models", "roles/storage.objectViewer", `serviceAccount:${email}`]]);
  const templates = new Map(r.ofType("gcp:compute/instanceTemplate:InstanceTemplate").map((t) => [nameOf(t.urn), (t.inputs as any).serviceAccount]));
  assert.deepEqual(templates.get("gcp-usc1-gpu-a100-template"), { email, scopes: [cloudPlatformScope] });
  assert.equal(templates.get("gcp-usc1-cpu-template"), undefined, "CPU agents serve no model: no identity");
  // The model servers wait for the grant (through the cluster's namespaces).
  const inferenceNs = r.resources.find((x) => x.type === "kubernetes:core/v1:Namespace" && nameOf(x.parent ?? "").startsWith("gcp-usc1-") && (x.inputs as any).metadata?.name === "inference")!;
  assert.ok(inferenceNs.dependencies.includes(grants[0].urn));
  // The S3 model's reader sits on the EKS cluster, as test/cloud/aws-model-reader.test.ts details.
  assert.deepEqual(r.ofType("aws:eks/podIdentityAssociation:PodIdentityAssociation").map((a) => (a.inputs as any).serviceAccount).sort(), ["llama-3-1-8b-v1-server", "llama-3-1-8b-v2-server"]);
});
