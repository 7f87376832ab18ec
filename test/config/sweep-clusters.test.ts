/**
 * Cluster, GPU and version configs a render used to accept although a real `pulumi up` fails on
 * them: each is refused naming its config path and what is allowed, as the only problem.
 * GCP images and zones: sweep-gcp.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { problemsOf } from "../support/config";
import { pathsOf } from "./support";
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
  // The simulator shards nothing: its GPU sizing is refused as read by nothing, not as a bad tensor-parallel size.
  const s = shippedPlatform("local");
  s.models[0].architecture = { layers: 28, kvHeads: 8, headDim: 128 };
  s.models[0].gpusPerReplica = 3;
  assert.deepEqual(pathsOf(s), ["models[0].gpusPerReplica", "models[0].architecture"]);
  assert.ok(!problemsOf(s).some((l) => /tensor/i.test(l)), problemsOf(s).join("\n"));
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
  delete q.gateways;
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
  delete noAgents.gateways.agents;
  noAgents.versions = { agentgateway: "v1.2.1" };
  assert.doesNotThrow(() => parsePlatform(noAgents, "local"));
});

test("Gateway API CRDs older than v1.2.0 (no standard Gateway infrastructure nor HTTPRoute timeouts) are refused where a gateway uses them", () => {
  const p = shippedPlatform("local");
  p.versions = { gatewayApi: "v1.1.1" };
  const problems = problemsOf(p);
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(problems[0], /^inference-mesh:platform\.versions\.gatewayApi: v1\.1\.1 is older than v1\.2\.0: .*spec\.infrastructure.*timeouts.*; use v1\.2\.0 or later/);
  const atFloor = shippedPlatform("prod");
  atFloor.versions = { gatewayApi: "v1.2.0" };
  assert.doesNotThrow(() => parsePlatform(atFloor, "prod"));
  // One existing cluster without models or agents renders no Gateway that sets either.
  const bare = shippedPlatform("local");
  bare.models = [];
  bare.agents = [];
  delete bare.gateways;
  bare.versions = { gatewayApi: "v1.1.1" };
  assert.doesNotThrow(() => parsePlatform(bare, "local"));
});

test("a multi-cluster stack refuses an Istio older than 1.27 (no istio-east-west GatewayClass), even without models; one cluster does not", () => {
  // prod without models or agents: only the east-west gateways need the floor.
  const p = shippedPlatform("prod");
  p.models = [];
  p.agents = [];
  delete p.gateways;
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
  delete s.gateways;
  s.versions = { istio: "1.26.8" };
  assert.doesNotThrow(() => parsePlatform(s, "local"));
});

test("an EKS Kubernetes minor EKS no longer creates, or Istio 1.30 does not support, is refused naming the floor and why; 1.32 and newer pass", () => {
  const p = shippedPlatform("prod");
  p.versions = { eksKubernetes: "1.31" };
  const problems = problemsOf(p);
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(
    problems[0],
    /^inference-mesh:platform\.versions\.eksKubernetes: 1\.31 is older than 1\.32: EKS creates clusters only on a minor in standard or extended support.*1\.31's extended support ended on 2026-11-26.*; Istio 1\.30\.3 supports Kubernetes 1\.32 and later \(its istioctl precheck fails older clusters with IST0142.*\); use 1\.32 or later$/,
  );
  // Further below, every floor it misses is named: the Gateway API CRDs' CEL IP library too.
  const d = shippedPlatform("dev");
  d.versions = { eksKubernetes: "1.29" };
  assert.match(problemsOf(d)[0], /^inference-mesh:platform\.versions\.eksKubernetes: 1\.29 is older than 1\.32: .*Gateway API v1\.5\.1 CRDs .* need Kubernetes 1\.31 or later/);
  // The floor itself, and minors newer than Istio 1.30 lists (untested, not refused).
  for (const v of ["1.32", "1.36", "1.37"]) {
    const ok = shippedPlatform("prod");
    ok.versions = { eksKubernetes: v };
    assert.doesNotThrow(() => parsePlatform(ok, "prod"), v);
  }
});

test("a k3s release older than Istio's Kubernetes floor is refused on versions.k3s; the floor follows an Istio or Gateway API override", () => {
  const refused = (versions: Record<string, string>) => {
    const p = shippedPlatform("prod");
    p.versions = versions;
    const problems = problemsOf(p);
    assert.equal(problems.length, 1, problems.join("\n"));
    return problems[0];
  };
  const accepted = (versions: Record<string, string>) => {
    const p = shippedPlatform("prod");
    p.versions = versions;
    assert.doesNotThrow(() => parsePlatform(p, "prod"), JSON.stringify(versions));
  };
  assert.match(
    refused({ k3s: "v1.31.4+k3s1" }),
    /^inference-mesh:platform\.versions\.k3s: v1\.31\.4\+k3s1 is Kubernetes 1\.31, older than 1\.32: Istio 1\.30\.3 supports Kubernetes 1\.32 and later .*; use a k3s release of Kubernetes 1\.32 or later \(such as v1\.33\.5\+k3s1\)$/,
  );
  accepted({ k3s: "v1.32.0+k3s1" });
  // Istio 1.28.1's precheck takes 1.29, but the Gateway API v1.5.1 CRDs still need 1.31.
  assert.match(refused({ istio: "1.28.1", k3s: "v1.30.4+k3s1" }), /versions\.k3s: v1\.30\.4\+k3s1 is Kubernetes 1\.30, older than 1\.31: the Gateway API v1\.5\.1 CRDs \(TLSRoute's hostname rule uses the CEL IP library\)/);
  accepted({ istio: "1.28.1", k3s: "v1.31.0+k3s1" });
  // With Gateway API v1.4 (no TLSRoute in the standard channel) Istio's own floor is the one left.
  accepted({ istio: "1.28.1", gatewayApi: "v1.4.1", k3s: "v1.29.4+k3s1" });
  assert.match(refused({ istio: "1.28.1", gatewayApi: "v1.4.1", k3s: "v1.28.9+k3s1" }), /versions\.k3s: .* older than 1\.29: Istio 1\.28\.1 supports Kubernetes 1\.29 and later/);
  assert.match(refused({ istio: "1.29.6", gatewayApi: "v1.4.1", k3s: "v1.29.4+k3s1" }), /versions\.k3s: .* older than 1\.30: Istio 1\.29\.6 supports Kubernetes 1\.30 and later/);
});

test("an Istio or Gateway API pre-release has the floor that tag had, not its release's", () => {
  const problems = (versions: Record<string, string>) => {
    const p = shippedPlatform("prod");
    p.versions = versions;
    try {
      parsePlatform(p, "prod");
      return [];
    } catch {
      return problemsOf(p);
    }
  };
  // istioctl's MinK8SVersion was still 30 at 1.30.0-rc.0 (32 from 1.30.0): the Gateway API CRDs' 1.31 is the floor.
  assert.deepEqual(problems({ istio: "1.30.0-rc.0", k3s: "v1.31.4+k3s1" }), []);
  assert.match(problems({ istio: "1.30.0", k3s: "v1.31.4+k3s1" })[0], /older than 1\.32: Istio 1\.30\.0 supports Kubernetes 1\.32/);
  // 1.24.0-rc.0 raised it to 28, and a pre-release of Istio 1.28 has 1.28.1's 29 (1.28.0 is 29 too).
  assert.match(problems({ istio: "1.28.0-rc.1", gatewayApi: "v1.4.1", k3s: "v1.28.9+k3s1" })[0], /versions\.k3s: .* older than 1\.29: Istio 1\.28\.0-rc\.1 supports Kubernetes 1\.29/);
  // TLSRoute is in the standard channel from v1.5.0-rc.1: its pre-releases need 1.31 as v1.5.0 does.
  assert.match(problems({ istio: "1.28.1", gatewayApi: "v1.5.0-rc.1", k3s: "v1.30.4+k3s1" })[0], /versions\.k3s: .* older than 1\.31: the Gateway API v1\.5\.0-rc\.1 CRDs/);
});

test("an Istio or Gateway API override with its own field error gives no Kubernetes floor: the default's would be a knock-on", () => {
  const p = shippedPlatform("prod");
  // Istio 1.29 meant (1.29.x takes Kubernetes 1.30), not the default 1.30.3 (1.32).
  p.versions = { istio: "1.29", k3s: "v1.31.4+k3s1", eksKubernetes: "1.32" };
  assert.deepEqual(pathsOf(p), ["versions.istio"]);
  const q = shippedPlatform("prod");
  q.versions = { istio: "1.28.1", gatewayApi: "1.4.1", k3s: "v1.29.4+k3s1" };
  assert.deepEqual(pathsOf(q), ["versions.gatewayApi"]);
  // The floors that do not depend on the broken key still hold.
  const r = shippedPlatform("prod");
  r.versions = { istio: "1.29", eksKubernetes: "1.31" };
  assert.deepEqual(pathsOf(r), ["versions.istio", "versions.eksKubernetes"]);
});

test("the Kubernetes floors are checked only for the clusters that use the key, and reported with the stack's other problems", () => {
  // local has only an existing cluster: neither key is used (its API server is known only at pulumi up).
  const l = shippedPlatform("local");
  l.versions = { eksKubernetes: "1.20", k3s: "v1.20.15+k3s1" };
  assert.doesNotThrow(() => parsePlatform(l, "local"));
  // dev has no GCP cluster: an old k3s pin is unused there.
  const d = shippedPlatform("dev");
  d.versions = { k3s: "v1.20.15+k3s1" };
  assert.doesNotThrow(() => parsePlatform(d, "dev"));
  const p = shippedPlatform("prod");
  p.versions = { eksKubernetes: "1.30", k3s: "v1.30.4+k3s1", nvidiaDriver: "latest" };
  const problems = problemsOf(p);
  assert.equal(problems.length, 3, problems.join("\n"));
  assert.ok(problems.some((l) => l.startsWith("inference-mesh:platform.versions.eksKubernetes: 1.30 is older than 1.32")), problems.join("\n"));
  assert.ok(problems.some((l) => l.startsWith("inference-mesh:platform.versions.k3s: v1.30.4+k3s1 is Kubernetes 1.30, older than 1.32")), problems.join("\n"));
  assert.ok(problems.some((l) => l.startsWith("inference-mesh:platform.versions.nvidiaDriver:")), problems.join("\n"));
});
