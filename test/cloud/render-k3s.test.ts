/**
 * The k3s cluster on GCP GPU VMs in the rendered prod stack: its own provider, instance templates
 * and groups, the machine types its zone offers, and firewalls admitting the other clusters'
 * egress (EKS NAT Elastic IPs, another k3s cluster's server and Cloud NAT) and the public gateway
 * ports on the server.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { renderConfigExpectingFailure, renderPlatform, renderShipped, shippedPlatform } from "../support/render";
import { nameOf } from "../support/churn";
import { growFleet } from "../../scripts/lib/fleet";

test("prod: the k3s API and HBONE admit the EKS clusters' NAT Elastic IPs, where their traffic comes from", () => {
  const r = renderShipped("prod");
  const eips = r.ofType("aws:ec2/eip:Eip");
  // OnePerAz × 3 zones × 2 EKS clusters, each handed to its VPC's NAT gateways.
  assert.equal(eips.length, 6);
  for (const vpc of r.ofType("awsx:ec2:Vpc")) {
    const cluster = nameOf(vpc.urn).replace(/-vpc$/, "");
    const own = eips.filter((e) => nameOf(e.urn).startsWith(`${cluster}-nat-`)).map((e) => (e.outputs as any).allocationId).sort();
    assert.deepEqual([...(vpc.inputs as any).natGateways.elasticIpAllocationIds].sort(), own, cluster);
  }
  const natIps = eips.map((e) => `${(e.outputs as any).publicIp}/32`).sort();
  const firewall = (rule: string) => (r.ofType("gcp:compute/firewall:Firewall").find((f) => nameOf(f.urn) === `gcp-usc1-${rule}`)!.inputs as any).sourceRanges as string[];
  for (const rule of ["allow-peer-api", "allow-peer-hbone"]) assert.deepEqual([...firewall(rule)].sort(), natIps, rule);
  assert.deepEqual(firewall("allow-internal"), ["10.12.0.0/20"]);
});

test("two k3s clusters admit each other's egress: the other server's address and its Cloud NAT's", () => {
  const platform = growFleet(shippedPlatform("prod"), { clusterCopies: 2, modelCopies: 1 });
  const r = renderPlatform("gcp-pair", platform);
  const gcp = platform.clusters.filter((c: any) => c.cloud === "gcp").map((c: any) => c.name);
  assert.equal(gcp.length, 2);
  const address = (name: string) => (r.ofType("gcp:compute/address:Address").find((a) => nameOf(a.urn) === name)!.outputs as any).address as string;
  const nat = r.ofType("gcp:compute/routerNat:RouterNat").find((n) => nameOf(n.urn) === `${gcp[0]}-nat`)!.inputs as any;
  assert.equal(nat.natIpAllocateOption, "MANUAL_ONLY", "a reserved NAT address the peers can admit");
  const [self, other] = gcp;
  const sources = (r.ofType("gcp:compute/firewall:Firewall").find((f) => nameOf(f.urn) === `${self}-allow-peer-hbone`)!.inputs as any).sourceRanges as string[];
  for (const name of [`${other}-api-address`, `${other}-nat-address`]) assert.ok(sources.includes(`${address(name)}/32`), `${self} admits ${name}`);
  assert.ok(!sources.includes(`${address(`${self}-nat-address`)}/32`), "not its own");
});

test("prod: one k3s cluster on GCP GPU VMs with an explicit provider of its own", () => {
  const r = renderShipped("prod");
  assert.deepEqual(r.ofType("inference-mesh:cloud:K3sCluster").map((c) => nameOf(c.urn)), ["gcp-usc1"]);
  const gcpProviders = r.ofType("pulumi:providers:gcp");
  assert.equal(gcpProviders.length, 1);
  const inputs = gcpProviders[0].inputs as any;
  assert.deepEqual([nameOf(gcpProviders[0].urn), inputs.project, inputs.region, inputs.zone, JSON.parse(inputs.defaultLabels)["inference-mesh-cluster"]], ["gcp-usc1-gcp", "inference-mesh-prod", "us-central1", "us-central1-a", "gcp-usc1"]);
  const ref = `${gcpProviders[0].urn}::${gcpProviders[0].id}`;
  for (const res of r.resources.filter((x) => x.type.startsWith("gcp:"))) assert.equal(res.provider, ref, res.urn);
  const template = (group: string) => r.ofType("gcp:compute/instanceTemplate:InstanceTemplate").find((t) => nameOf(t.urn) === `gcp-usc1-${group}-template`)!.inputs as any;
  assert.deepEqual(template("gpu-a100").guestAccelerators, [{ type: "nvidia-a100-80gb", count: 4 }]);
  assert.equal(template("gpu-a100").scheduling.onHostMaintenance, "TERMINATE");
  // CPU agents hold the CPU workloads the tainted GPU agents refuse.
  assert.deepEqual(template("cpu").guestAccelerators, []);
  assert.equal(template("cpu").scheduling.onHostMaintenance, "MIGRATE");
  const groups = r.ofType("gcp:compute/instanceGroupManager:InstanceGroupManager").map((g) => [nameOf(g.urn), (g.inputs as any).targetSize]);
  assert.deepEqual(groups.sort(), [["gcp-usc1-cpu", 2], ["gcp-usc1-gpu-a100", 3]]);
  assert.equal(r.ofType("gcp:compute/instance:Instance").length, 1, "one k3s server");
});

test("prod: the k3s server's firewall opens the public gateway ports the shipped config puts on gcp-usc1, from anyone", () => {
  const r = renderShipped("prod");
  const platform = shippedPlatform("prod");
  const cluster = "gcp-usc1";
  // The ports, from the config as the README states them (not from the code under test): the
  // inference gateway's https listener (443; 80 with tls.mode none) where a model is placed, and
  // gateways.agents.port where an agent runs (an agent's clusters default to its model's).
  const modelsHere = platform.models.filter((m: any) => m.clusters.includes(cluster));
  const agentsHere = platform.agents.filter((a: any) => (a.clusters ?? platform.models.find((m: any) => m.name === a.model).clusters).includes(cluster));
  assert.ok(modelsHere.length > 0 && agentsHere.length > 0, "prod places models and agents on gcp-usc1");
  assert.notEqual(platform.gateways.inference.tls?.mode, "none");
  const expectedPorts = [443, platform.gateways.agents.port].sort((a, b) => a - b).map(String);
  assert.deepEqual(expectedPorts, ["443", "8443"]);

  const fw = r.ofType("gcp:compute/firewall:Firewall").find((f) => nameOf(f.urn) === `${cluster}-allow-gateways`);
  assert.ok(fw, `${cluster}-allow-gateways exists`);
  const inputs = fw.inputs as any;
  assert.equal(inputs.direction, "INGRESS");
  assert.deepEqual(inputs.allows, [{ protocol: "tcp", ports: expectedPorts }]);
  // gatewayAllowedCidrs is not set in prod: its default, anyone.
  assert.equal(platform.clusters.find((c: any) => c.name === cluster).gatewayAllowedCidrs, undefined);
  assert.deepEqual(inputs.sourceRanges, ["0.0.0.0/0"]);
  // ServiceLB binds the ports on the server VM, whose external address callers use: the rule
  // targets the server, and only it (the agents have no public address).
  const network = r.ofType("gcp:compute/network:Network").find((n) => nameOf(n.urn) === `${cluster}-network`)!;
  assert.equal(inputs.network, network.id, "on the cluster's own network");
  const server = r.ofType("gcp:compute/instance:Instance").find((i) => nameOf(i.urn) === `${cluster}-server`)!;
  const templates = r.ofType("gcp:compute/instanceTemplate:InstanceTemplate").filter((t) => nameOf(t.urn).startsWith(`${cluster}-`));
  assert.ok(templates.length > 0);
  const tags = (x: { inputs: unknown }) => ((x.inputs as any).tags ?? []) as string[];
  assert.ok(inputs.targetTags.length > 0 && inputs.targetTags.every((t: string) => tags(server).includes(t)), "the server carries the target tags");
  for (const t of templates) assert.ok(!inputs.targetTags.some((tag: string) => tags(t).includes(tag)), `${nameOf(t.urn)}'s agents are not targeted`);
});

test("a k3s zone that does not offer a node group's machine type fails the preview, naming the group, and writes nothing", () => {
  // The mock engine's machineTypes.list for us-central1-f lacks a2-ultragpu-4g.
  const platform = shippedPlatform("prod");
  platform.clusters.find((c: any) => c.name === "gcp-usc1").zone = "us-central1-f";
  const run = renderConfigExpectingFailure("bad", platform);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(
    run.stderr,
    /^render of stack 'bad' failed: .*cluster 'gcp-usc1' node group 'gpu-a100': zone us-central1-f does not offer a2-ultragpu-4g \(Compute Engine machineTypes\.list\), so its instance group could create no VM: use a zone that offers it \(clusters\[\]\.zone\) or another machine type/m,
  );
  assert.doesNotMatch(run.stderr, /node group 'cpu'|k3s server/);
  assert.ok(!fs.existsSync(path.join(run.dir, "stack.json")), "nothing written");
  // In a zone that lists it, the templates and the server take their machine types as configured.
  const ok = renderShipped("prod");
  const machineTypes = [...ok.ofType("gcp:compute/instanceTemplate:InstanceTemplate"), ...ok.ofType("gcp:compute/instance:Instance")].map((r) => [nameOf(r.urn), (r.inputs as any).machineType]);
  assert.deepEqual(machineTypes.sort(), [
    ["gcp-usc1-cpu-template", "e2-standard-8"],
    ["gcp-usc1-gpu-a100-template", "a2-ultragpu-4g"],
    ["gcp-usc1-server", "e2-standard-4"],
  ]);
});
