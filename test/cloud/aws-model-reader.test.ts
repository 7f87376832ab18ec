/**
 * S3 models on EKS (components/cloud/aws/model-reader.ts): the vLLM ServiceAccounts that stream
 * from S3 get, through EKS Pod Identity, a role that may read exactly their models' buckets and
 * prefixes; the pods sign for the cluster's region; and under the mock engine the role, its
 * policy, the agent add-on and the associations are rendered on the cluster's provider, the
 * cluster's namespaces (and so its model servers) wait for them, and the pack finds nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { renderPlatform, shippedPlatform } from "../support/render";
import { podIdentityTrustPolicy, s3ModelReads, s3ReadPolicy } from "../../components/cloud/aws/model-reader";
import { s3RegionEnv } from "../../components/inference/model-server";
import { labelSelectorMatches } from "../../components/k8s/selectors";

const nameOf = (urn: string) => urn.split("::").pop()!;

/** prod with its llama model streamed from S3 (a bucket in us-east-1) on the us-east-1 EKS cluster only. */
function s3Platform(): any {
  const p = shippedPlatform("prod");
  p.models[0].servedModelName = "s3://acme-models/meta/llama-3.1-8b";
  p.models[0].clusters = ["aws-use1"];
  return p;
}

test("S3 reads of a cluster: every version's vLLM ServiceAccount of the S3 models, each bucket and prefix once", () => {
  const spec = parsePlatform(s3Platform(), "prod");
  const llama = spec.models[0];
  const twin = { ...llama, name: "llama-twin", servedModelName: "s3://acme-models/meta/llama-3.1-8b/" };
  const root = { ...llama, name: "llama-root", servedModelName: "s3://other-bucket" };
  const reads = s3ModelReads([llama, spec.models[1], twin, root]);
  assert.deepEqual(reads.serviceAccounts, [
    "llama-3-1-8b-v1-server",
    "llama-3-1-8b-v2-server",
    "llama-root-v1-server",
    "llama-root-v2-server",
    "llama-twin-v1-server",
    "llama-twin-v2-server",
  ]);
  assert.deepEqual(reads.locations, [
    { bucket: "acme-models", prefix: "meta/llama-3.1-8b" },
    { bucket: "other-bucket", prefix: "" },
  ]);
  assert.deepEqual(s3ModelReads([spec.models[1]]), { serviceAccounts: [], locations: [] }, "a Hugging Face model reads nothing");
});

test("the read policy: GetObject under each model's prefix, ListBucket on its buckets, nothing else", () => {
  const policy = JSON.parse(s3ReadPolicy([{ bucket: "acme-models", prefix: "meta/llama-3.1-8b" }, { bucket: "acme-models", prefix: "qwen" }, { bucket: "other-bucket", prefix: "" }]));
  assert.deepEqual(policy, {
    Version: "2012-10-17",
    Statement: [
      { Sid: "ReadModelFiles", Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::acme-models/meta/llama-3.1-8b/*", "arn:aws:s3:::acme-models/qwen/*", "arn:aws:s3:::other-bucket/*"] },
      { Sid: "ListModelBuckets", Effect: "Allow", Action: ["s3:ListBucket"], Resource: ["arn:aws:s3:::acme-models", "arn:aws:s3:::other-bucket"] },
    ],
  });
});

test("the read policy: '*', '?' and '$' of a model's key prefix are IAM's literal ${*}, ${?} and ${$}, not wildcards or a policy variable", () => {
  // s3://acme-models/runs/*/final would otherwise grant every key under runs/ ending in final/…
  const policy = JSON.parse(s3ReadPolicy([{ bucket: "acme-models", prefix: "runs/*/final" }, { bucket: "acme-models", prefix: "v?/${aws:username}" }]));
  assert.deepEqual(policy.Statement[0].Resource, ["arn:aws:s3:::acme-models/runs/${*}/final/*", "arn:aws:s3:::acme-models/v${?}/${$}{aws:username}/*"]);
  assert.deepEqual(policy.Statement[1].Resource, ["arn:aws:s3:::acme-models"]);
});

test("the role trusts EKS Pod Identity for the model servers' ServiceAccounts in the inference namespace only", () => {
  const [statement] = JSON.parse(podIdentityTrustPolicy(["llama-3-1-8b-v1-server"])).Statement;
  assert.deepEqual(statement.Principal, { Service: "pods.eks.amazonaws.com" });
  assert.deepEqual(statement.Action, ["sts:AssumeRole", "sts:TagSession"]);
  assert.deepEqual(statement.Condition, {
    StringEquals: { "aws:RequestTag/kubernetes-namespace": ["inference"], "aws:RequestTag/kubernetes-service-account": ["llama-3-1-8b-v1-server"] },
  });
});

test("vLLM signs S3 reads for the EKS cluster's region; other models and clouds get no AWS region", () => {
  const spec = parsePlatform(s3Platform(), "prod");
  const [llama, qwen] = spec.models;
  const cluster = (name: string) => spec.clusters.find((c) => c.name === name)!;
  assert.deepEqual(s3RegionEnv(llama, cluster("aws-use1")), [
    { name: "AWS_REGION", value: "us-east-1" },
    { name: "AWS_DEFAULT_REGION", value: "us-east-1" },
  ]);
  assert.deepEqual(s3RegionEnv(llama, cluster("aws-euw1")), [
    { name: "AWS_REGION", value: "eu-west-1" },
    { name: "AWS_DEFAULT_REGION", value: "eu-west-1" },
  ]);
  assert.deepEqual(s3RegionEnv(qwen, cluster("aws-use1")), []);
  assert.deepEqual(s3RegionEnv(llama, cluster("gcp-usc1")), []);
});

test("mock engine: the EKS cluster serving an S3 model gets its reader role, the agent add-on and one association per vLLM ServiceAccount, the other none, and the pack finds nothing", () => {
  const r = renderPlatform("s3-models", s3Platform());
  const report = JSON.parse(r.file("policy.json"));
  assert.deepEqual([report.summary.mandatory, report.summary.advisory], [0, 0], r.file("policy.json"));
  const providerOf = new Map(r.ofType("pulumi:providers:aws").map((p) => [`${p.urn}::${p.id}`, nameOf(p.urn)]));
  for (const cluster of ["aws-use1"]) {
    const own = (type: string) => r.ofType(type).filter((x) => nameOf(x.urn).startsWith(`${cluster}-`));
    const [role] = own("aws:iam/role:Role").filter((x) => nameOf(x.urn) === `${cluster}-model-reader`);
    assert.ok(role, `${cluster}: reader role`);
    assert.deepEqual(JSON.parse((role.inputs as any).assumeRolePolicy).Statement[0].Condition.StringEquals["aws:RequestTag/kubernetes-service-account"], ["llama-3-1-8b-v1-server", "llama-3-1-8b-v2-server"]);
    const [policy] = own("aws:iam/rolePolicy:RolePolicy");
    assert.deepEqual(JSON.parse((policy.inputs as any).policy).Statement[0].Resource, ["arn:aws:s3:::acme-models/meta/llama-3.1-8b/*"]);
    const [addon] = own("aws:eks/addon:Addon");
    assert.equal((addon.inputs as any).addonName, "eks-pod-identity-agent");
    const associations = own("aws:eks/podIdentityAssociation:PodIdentityAssociation");
    assert.deepEqual(associations.map((a) => [(a.inputs as any).namespace, (a.inputs as any).serviceAccount]).sort(), [
      ["inference", "llama-3-1-8b-v1-server"],
      ["inference", "llama-3-1-8b-v2-server"],
    ]);
    for (const res of [role, policy, addon, ...associations]) assert.equal(providerOf.get(res.provider!), `${cluster}-aws`, res.urn);
    // Pods get Pod Identity's credentials only if their association exists when they are created.
    const namespace = r.resources.find((x) => x.urn.endsWith(`::${cluster}-ns-inference`) || x.urn.endsWith(`::${cluster}-namespaces`))!;
    assert.ok(namespace, `${cluster}: namespaces component`);
    const inferenceNs = r.resources.find((x) => x.type === "kubernetes:core/v1:Namespace" && x.parent === namespace.urn && (x.inputs as any).metadata?.name === "inference")!;
    for (const a of [addon, ...associations]) assert.ok(inferenceNs.dependencies.includes(a.urn), `${cluster}: the inference namespace waits for ${nameOf(a.urn)}`);
    const vllm = r.objects(cluster).filter((o) => o.kind === "Deployment" && (o as any).spec.template.spec.containers[0].name === "vllm");
    const signsForRegion = (d: any) => d.spec.template.spec.containers[0].env.some((e: any) => e.name === "AWS_REGION");
    assert.deepEqual(vllm.filter(signsForRegion).map((d) => d.metadata.name), ["llama-3-1-8b-v1", "llama-3-1-8b-v2"]);
  }
  const onEuw1 = r.resources.filter((x) => /^aws:(iam|eks)\/(role|rolePolicy|addon|podIdentityAssociation):/.test(x.type) && nameOf(x.urn).startsWith("aws-euw1-"));
  assert.deepEqual(onEuw1.map((x) => nameOf(x.urn)), ["aws-euw1-node-role"], "no reader where no S3 model runs");
});

test("mock engine: no NetworkPolicy limits the egress of the vLLM pods that take Pod Identity credentials (the agent at 169.254.170.23:80 and S3 stay reachable)", () => {
  // In ambient mode istio-cni 1.30.3 redirects every outbound TCP connection of an enrolled pod
  // to ztunnel, link-local ones included (cni/pkg/iptables/iptables.go: only 127.0.0.1 and its
  // own probe address 169.254.7.127 are left alone), and ztunnel forwards a destination it knows
  // no workload or service for as plain TCP from a socket in the pod's own network namespace
  // (ztunnel 1.30.3 src/proxy/outbound.rs, passthrough; src/inpod/config.rs): the agent sees the
  // pod's address and the unchanged HTTP request, so the credentials call works as long as the
  // pod may send to the agent. A NetworkPolicy with egress rules selecting these pods would have
  // to admit 169.254.170.23/32 and [fd00:ec2::23]/128 on TCP 80, DNS and S3.
  const r = renderPlatform("s3-models", s3Platform());
  const objects = r.objects("aws-use1") as any[];
  const readers = objects.filter((o) => o.kind === "Deployment" && o.spec.template.spec.containers[0].env?.some((e: any) => e.name === "AWS_REGION"));
  assert.deepEqual(readers.map((d) => d.metadata.name), ["llama-3-1-8b-v1", "llama-3-1-8b-v2"]);
  const limitsEgress = (np: any) => (np.spec.policyTypes ?? (np.spec.egress ? ["Ingress", "Egress"] : ["Ingress"])).includes("Egress");
  const policies = objects.filter((o) => o.kind === "NetworkPolicy");
  assert.ok(policies.length > 0, "the cluster renders NetworkPolicies (the inference gateway's), so the check has something to read");
  for (const d of readers) {
    const selecting = policies.filter((np) => np.metadata.namespace === d.metadata.namespace && limitsEgress(np) && labelSelectorMatches(np.spec.podSelector, d.spec.template.metadata.labels));
    assert.deepEqual(selecting.map((np) => np.metadata.name), [], `${d.metadata.name}: egress limited by a NetworkPolicy`);
  }
});
