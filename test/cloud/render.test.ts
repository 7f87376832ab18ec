/**
 * The clusters in the rendered prod stack: one Kubernetes provider per cluster, identified by its
 * cluster, cloud providers of their own per cluster, the device plugin on every GPU cluster, the
 * clusters output, and secrets kept secret. EKS is render-eks.test.ts's, k3s on GCP GPU VMs
 * render-k3s.test.ts's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderPlatform, renderShipped, runRender, shippedPlatform } from "../support/render";
import { nameOf } from "../support/churn";
import { clusterOfProvider } from "../../scripts/lib/outputs";

const SECRET = "4dabf18193072939515e22adb298388d";
const isSecret = (v: unknown) => typeof v === "object" && v !== null && SECRET in v;

test("prod: startup scripts, join token and CA keys are secret", () => {
  const r = renderShipped("prod");
  for (const res of r.ofType("gcp:compute/instanceTemplate:InstanceTemplate")) {
    assert.ok(isSecret((res.inputs as any).metadataStartupScript), `${res.urn} startup script is secret`);
  }
  // The server's script sits in metadata (updatable in place; metadataStartupScript would recreate
  // the VM, whose fixed addresses its replacement cannot take).
  const [server] = r.ofType("gcp:compute/instance:Instance");
  assert.equal((server.inputs as any).metadataStartupScript, undefined);
  assert.ok(isSecret((server.inputs as any).metadata["startup-script"]), "the server's startup-script is secret");
  assert.ok(isSecret((server.outputs as any).metadata), "and so is the metadata the state keeps");
  assert.ok(server.additionalSecretOutputs?.includes("metadata"));
  for (const key of r.ofType("tls:index/privateKey:PrivateKey").filter((k) => nameOf(k.urn).startsWith("gcp-usc1-"))) {
    assert.ok(isSecret((key.outputs as any).privateKeyPem), key.urn);
  }
  assert.ok(isSecret((r.ofType("random:index/randomPassword:RandomPassword")[0].outputs as any).result));
  const text = r.file("stack.json");
  assert.ok(!/BEGIN (EC |RSA )?PRIVATE KEY/.test(text), "no private key in clear");
});

test("prod: the NVIDIA device plugin is released on every GPU cluster, tolerating the GPU taint", () => {
  const r = renderShipped("prod");
  for (const cluster of ["aws-use1", "aws-euw1", "gcp-usc1"]) {
    const plugin = r.releases(cluster).filter((x) => x.chart === "nvidia-device-plugin");
    assert.equal(plugin.length, 1, cluster);
    assert.equal(plugin[0].repository, "https://nvidia.github.io/k8s-device-plugin");
    assert.equal(plugin[0].version, "0.20.0");
    const values = plugin[0].values as any;
    assert.ok(values.tolerations.some((t: any) => t.key === "nvidia.com/gpu" && t.effect === "NoSchedule"), cluster);
    assert.equal(values.runtimeClassName, cluster === "gcp-usc1" ? "nvidia" : undefined, cluster);
  }
});

test("prod: exactly one Kubernetes provider per cluster, each with a secret kubeconfig", () => {
  const providers = renderShipped("prod").ofType("pulumi:providers:kubernetes");
  assert.deepEqual(providers.map((p) => clusterOfProvider(`${p.urn}::${p.id}`)).sort(), ["aws-euw1", "aws-use1", "gcp-usc1"]);
  for (const p of providers) assert.ok(isSecret((p.inputs as any).kubeconfig), p.urn);
});

test("prod: each cloud cluster's Kubernetes provider is identified by its cluster (replaced with it, updated when only the kubeconfig changes)", () => {
  const r = renderShipped("prod");
  const identifier = (cluster: string) => (r.ofType("pulumi:providers:kubernetes").find((p) => clusterOfProvider(`${p.urn}::${p.id}`) === cluster)!.inputs as any).clusterIdentifier;
  for (const cluster of ["aws-euw1", "aws-use1"]) {
    const eks = r.ofType("eks:index:Cluster").find((c) => nameOf(c.urn) === `${cluster}-eks`)!;
    assert.ok((eks.outputs as any).eksCluster.name);
    assert.equal(identifier(cluster), (eks.outputs as any).eksCluster.name, cluster);
  }
  const server = r.ofType("gcp:compute/instance:Instance").find((i) => nameOf(i.urn) === "gcp-usc1-server")!;
  assert.ok((server.outputs as any).instanceId);
  assert.equal(identifier("gcp-usc1"), (server.outputs as any).instanceId);
});

test("prod: cluster outputs name cloud, region, network and endpoint", () => {
  const stack = renderShipped("prod").ofType("pulumi:pulumi:Stack")[0];
  const clusters = (stack.outputs as any).clusters;
  assert.deepEqual(
    clusters.map((c: any) => [c.name, c.cloud, c.region, c.network]),
    [
      ["aws-use1", "aws", "us-east-1", "net-aws-use1"],
      ["aws-euw1", "aws", "eu-west-1", "net-aws-euw1"],
      ["gcp-usc1", "gcp", "us-central1", "net-gcp-usc1"],
    ],
  );
  assert.match(clusters[0].endpoint, /^https:\/\/.+\.eks\.amazonaws\.com$/);
  assert.match(clusters[2].endpoint, /^https:\/\/\d+\.\d+\.\d+\.\d+:6443$/);
  for (const c of clusters) assert.ok(isSecret(c.kubeconfig), c.name);
});

test("clusters sharing a region each keep their own provider: adding one in front changes nothing of the others", () => {
  const base = shippedPlatform("prod");
  const twin = structuredClone(base);
  const gcpCluster = twin.clusters.find((c: any) => c.cloud === "gcp");
  const awsCluster = twin.clusters.find((c: any) => c.name === "aws-use1");
  twin.clusters.unshift(
    { ...structuredClone(gcpCluster), name: "gcp-usc1b", network: "net-gcp-usc1b", zone: "us-central1-b", subnetCidr: "10.40.0.0/20" },
    { ...structuredClone(awsCluster), name: "aws-use1b", network: "net-aws-use1b", vpcCidr: "10.41.0.0/16" },
  );
  const providersOf = (r: ReturnType<typeof renderPlatform>) =>
    Object.fromEntries([...r.ofType("pulumi:providers:gcp"), ...r.ofType("pulumi:providers:aws")].map((p) => [nameOf(p.urn), p.inputs]));
  const before = providersOf(renderShipped("prod"));
  const after = providersOf(renderPlatform("prod", twin));
  for (const name of Object.keys(before)) assert.deepEqual(after[name], before[name], name);
  assert.equal((after["gcp-usc1b-gcp"] as any).zone, "us-central1-b");
});

test("an existing cluster's provider takes its kubeconfig path as configured, the same for every operator's home directory", () => {
  // pulumi-kubernetes expands `~/` itself; a path expanded here would change the provider's input
  // on every machine with another home, and its DiffConfig, reading the old path where it is
  // missing, fails the whole preview.
  const providerOf = (resources: { type: string; inputs?: unknown }[]) => resources.find((x) => x.type === "pulumi:providers:kubernetes")!.inputs as any;
  const mine = renderShipped("local");
  assert.equal(shippedPlatform("local").clusters[0].kubeconfig, "~/.kube/config");
  assert.equal(providerOf(mine.resources).kubeconfig, "~/.kube/config");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "inference-mesh-home-"));
  const home = process.env.HOME;
  try {
    process.env.HOME = path.join(tmp, "home");
    fs.mkdirSync(process.env.HOME);
    const run = runRender(["--stack", "local"], path.join(tmp, "out"));
    assert.equal(run.code, 0, run.stderr);
    const theirs = JSON.parse(fs.readFileSync(path.join(run.dir, "stack.json"), "utf8")).deployment.resources;
    assert.deepEqual(providerOf(theirs), providerOf(mine.resources));
    const clusters = (r: any[]) => r.find((x) => x.type === "pulumi:pulumi:Stack").outputs.clusters;
    assert.deepEqual(clusters(theirs), clusters(mine.resources));
  } finally {
    process.env.HOME = home;
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
