/**
 * Cluster, GPU and version configs a render used to accept although a real `pulumi up` fails on
 * them: each is refused naming its config path and what is allowed, as the only problem.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { problemsOf } from "../support/config";
import { shippedPlatform } from "../support/render";

test("a tensor-parallel size that does not divide the KV heads (nor they it) is refused, alone, on gpusPerReplica", () => {
  const p = shippedPlatform("prod");
  p.models[1].gpusPerReplica = 3; // qwen3-32b: 8 KV heads
  const problems = problemsOf(p);
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(problems[0], /^inference-mesh:platform\.models\[1\]\.gpusPerReplica: tensor-parallel size 3 and the model's 8 KV heads .*use a divisor of 8 \(1, 2, 4, 8\) or a multiple of it \(16, 24/);
});

test("tensor-parallel sizes that divide the KV heads, or that they divide, pass; without architecture nothing is known", () => {
  const p = shippedPlatform("prod");
  p.models[0].architecture = { layers: 32, kvHeads: 1, headDim: 128 }; // multi-query: replicated on any TP
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
  const q = shippedPlatform("dev");
  delete q.models[0].architecture;
  q.models[0].gpusPerReplica = 1;
  assert.doesNotThrow(() => parsePlatform(q, "dev"));
  const s = shippedPlatform("local"); // the simulator shards nothing
  s.models[0].architecture = { layers: 28, kvHeads: 8, headDim: 128 };
  s.models[0].gpusPerReplica = 3;
  assert.doesNotThrow(() => parsePlatform(s, "local"));
});

test("version overrides older than the inference objects need are refused with the floor and why", () => {
  const p = shippedPlatform("prod");
  p.versions = { istio: "1.27.3", gie: "v1.0.2", llmdRouter: "v0.8.0" };
  const problems = problemsOf(p);
  assert.equal(problems.length, 3, problems.join("\n"));
  assert.match(problems.find((l) => l.startsWith("inference-mesh:platform.versions.istio:")) ?? "", /1\.27\.3 is older than 1\.28\.0: Istio accepts InferencePool v1/);
  assert.match(problems.find((l) => l.startsWith("inference-mesh:platform.versions.gie:")) ?? "", /v1\.0\.2 is older than v1\.1\.0: .*v1-manifests\.yaml/);
  assert.match(problems.find((l) => l.startsWith("inference-mesh:platform.versions.llmdRouter:")) ?? "", /v0\.8\.0 is older than v0\.9\.0: the InferenceObjective CRD/);
});

test("the version floors hold at the floor, and only where models are served", () => {
  const p = shippedPlatform("prod");
  p.versions = { istio: "1.28.0", gie: "v1.1.0", llmdRouter: "v0.9.0" };
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
  const q = shippedPlatform("local");
  q.models = [];
  q.agents = [];
  q.versions = { istio: "1.27.3", gie: "v1.0.2" };
  assert.doesNotThrow(() => parsePlatform(q, "local"));
});

test("an agentgateway override older than its chart's istio.* values (v1.3.0) or the MCP backend's prefixMode (v1.4.0) is refused where agents run", () => {
  const refused = (versions: Record<string, string>, mutate: (p: any) => void = () => {}) => {
    const p = shippedPlatform("prod");
    p.versions = versions;
    mutate(p);
    const problems = problemsOf(p);
    assert.equal(problems.length, 1, problems.join("\n"));
    return problems[0];
  };
  // prod's agents call tools: the MCP backend needs v1.4.0's CRD.
  assert.match(refused({ agentgateway: "v1.3.1" }), /^inference-mesh:platform\.versions\.agentgateway: v1\.3\.1 is older than v1\.4\.0: .*prefixMode/);
  // Agents without tools: no MCP backend, but the controller chart must read istio.*.
  const noTools = (p: any) => p.agents.forEach((a: any) => (a.tools = []));
  assert.match(refused({ agentgateway: "v1.2.1" }, noTools), /^inference-mesh:platform\.versions\.agentgateway: v1\.2\.1 is older than v1\.3\.0: the agentgateway chart reads the istio\.\* values .*silently ignore/);
  const toolless = shippedPlatform("prod");
  toolless.versions = { agentgateway: "v1.3.0" };
  noTools(toolless);
  assert.doesNotThrow(() => parsePlatform(toolless, "prod"));
  const atFloor = shippedPlatform("prod");
  atFloor.versions = { agentgateway: "v1.4.0" };
  assert.doesNotThrow(() => parsePlatform(atFloor, "prod"));
  // No agents: no controller and no agentgateway objects, nothing the old chart would get wrong.
  const noAgents = shippedPlatform("local");
  noAgents.agents = [];
  noAgents.versions = { agentgateway: "v1.2.1" };
  assert.doesNotThrow(() => parsePlatform(noAgents, "local"));
});

test("a GCP cluster with GPU agents refuses another distribution's public image; a CPU-only one or a custom image passes", () => {
  const p = shippedPlatform("prod");
  p.clusters[2].image = "debian-cloud/debian-12";
  const problems = problemsOf(p);
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(problems[0], /^inference-mesh:platform\.clusters\[2\]\.image: 'debian-cloud\/debian-12' is from debian-cloud, not Ubuntu; .*apt and ubuntu-drivers.*ubuntu-os-cloud\/ubuntu-2204-lts/);
  const full = shippedPlatform("prod");
  full.clusters[2].image = "projects/rocky-linux-cloud/global/images/family/rocky-linux-9";
  assert.match(problemsOf(full)[0], /clusters\[2\]\.image: .* is from rocky-linux-cloud, not Ubuntu/);
  const bare = shippedPlatform("prod");
  bare.clusters[2].image = "debian-12";
  assert.match(problemsOf(bare)[0], /clusters\[2\]\.image: 'debian-12' is from debian-cloud, not Ubuntu \(a bare name the provider looks up in debian-cloud/);
  const bareUbuntu = shippedPlatform("prod");
  bareUbuntu.clusters[2].image = "ubuntu-2204-lts";
  assert.doesNotThrow(() => parsePlatform(bareUbuntu, "prod"));
  const cpuOnly = shippedPlatform("prod");
  cpuOnly.clusters[2].image = "debian-cloud/debian-12";
  cpuOnly.clusters[2].nodeGroups = cpuOnly.clusters[2].nodeGroups.filter((g: { name: string }) => g.name === "cpu");
  for (const m of cpuOnly.models) m.clusters = m.clusters.filter((c: string) => c !== "gcp-usc1");
  assert.doesNotThrow(() => parsePlatform(cpuOnly, "prod"));
  const custom = shippedPlatform("prod");
  custom.clusters[2].image = "my-images/ubuntu-2204-gpu-golden";
  assert.doesNotThrow(() => parsePlatform(custom, "prod"));
  const ubuntu24 = shippedPlatform("prod");
  ubuntu24.clusters[2].image = "ubuntu-os-cloud/ubuntu-2404-lts-amd64";
  assert.doesNotThrow(() => parsePlatform(ubuntu24, "prod"));
});

test("a multi-cluster stack refuses an Istio older than 1.27 (no istio-east-west GatewayClass), even without models; one cluster does not", () => {
  // prod without models or agents: only the east-west gateways need the floor.
  const p = shippedPlatform("prod");
  p.models = [];
  p.agents = [];
  p.versions = { istio: "1.26.8" };
  const problems = problemsOf(p);
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(problems[0], /^inference-mesh:platform\.versions\.istio: 1\.26\.8 is older than 1\.27\.0: the ambient east-west gateway of a multi-cluster mesh uses the GatewayClass istio-east-west/);
  p.versions = { istio: "1.27.0" };
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
  // With models the higher InferencePool floor is the one reported.
  const q = shippedPlatform("prod");
  q.versions = { istio: "1.26.8" };
  assert.match(problemsOf(q).find((l) => l.includes("versions.istio")) ?? "", /1\.26\.8 is older than 1\.28\.0: Istio accepts InferencePool v1/);
  // A single cluster has no east-west gateway.
  const s = shippedPlatform("local");
  s.models = [];
  s.agents = [];
  s.versions = { istio: "1.26.8" };
  assert.doesNotThrow(() => parsePlatform(s, "local"));
});
