/**
 * Day-2 edits as a real `pulumi up` sees them: a resource whose URN changes is deleted and created
 * again, and a `tls`/`random` resource whose inputs change makes new key material (a new root CA
 * rotates the mesh's trust, a new k3s token locks out the joined agents). Reordering the config's
 * lists, or removing one cluster, must leave every other resource's URN and inputs alone, and
 * scaling one model must not move another model's fleet onto other GPU nodes.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import type { CapturedResource } from "../../scripts/lib/engine";
import { renderPlatform, renderShipped, shippedPlatform } from "../support/render";

const nameOf = (urn: string) => urn.split("::").pop()!;
const byUrn = (resources: CapturedResource[]) => new Map(resources.map((r) => [r.urn, r]));

/**
 * Inputs as the provider diffs them: a GCP firewall's `sourceRanges` is a Terraform set (the
 * bridge reports no change when only its order does), so it is compared sorted.
 */
function diffed(r: CapturedResource): unknown {
  const inputs = r.inputs as Record<string, unknown>;
  if (r.type !== "gcp:compute/firewall:Firewall" || !Array.isArray(inputs.sourceRanges)) return inputs;
  return { ...inputs, sourceRanges: [...(inputs.sourceRanges as string[])].sort() };
}

/** URNs only one side has, and the URNs both have whose inputs differ. */
function churn(before: CapturedResource[], after: CapturedResource[]) {
  const a = byUrn(before);
  const b = byUrn(after);
  return {
    removed: [...a.keys()].filter((u) => !b.has(u)),
    added: [...b.keys()].filter((u) => !a.has(u)),
    changed: [...a.keys()].filter((u) => b.has(u) && JSON.stringify(diffed(a.get(u)!)) !== JSON.stringify(diffed(b.get(u)!))),
  };
}

test("prod with clusters, models, their placements and node groups listed in reverse: every URN and input stays", () => {
  const platform = shippedPlatform("prod");
  platform.clusters.reverse();
  for (const c of platform.clusters) c.nodeGroups?.reverse();
  platform.models.reverse();
  for (const m of platform.models) m.clusters.reverse();
  const { removed, added, changed } = churn(renderShipped("prod").resources, renderPlatform("prod", platform).resources);
  assert.deepEqual({ removed, added, changed: changed.map(nameOf) }, { removed: [], added: [], changed: [] });
});

test("prod without its first cluster: only that cluster's resources and its peers' view of it change; no key is regenerated", () => {
  const platform = shippedPlatform("prod");
  const gone = platform.clusters.shift().name;
  for (const m of platform.models) {
    m.clusters = m.clusters.filter((c: string) => c !== gone);
    delete m.gpuTypes?.[gone]; // a pin names one of the model's clusters
  }
  const before = renderShipped("prod").resources;
  const after = renderPlatform("prod", platform).resources;
  const { removed, added, changed } = churn(before, after);
  assert.deepEqual(added, []);
  const owner = byUrn(before);
  // Everything removed is the cluster's own (its component's tree) or the remote secrets naming it.
  const ofGone = (urn: string): boolean => {
    const r = owner.get(urn)!;
    return nameOf(urn) === gone || nameOf(urn).startsWith(`${gone}-`) || (r.parent !== undefined && ofGone(r.parent));
  };
  for (const urn of removed) assert.ok(ofGone(urn) || nameOf(urn).endsWith(`-istio-remote-secret-${gone}`), `removed: ${nameOf(urn)}`);
  assert.ok(removed.some((u) => nameOf(u) === `gcp-usc1-istio-system-secret-istio-remote-secret-${gone}`));
  // The k3s cluster's peer firewalls lose the removed cluster's addresses; nothing else moves.
  assert.deepEqual(changed.map(nameOf).sort(), ["gcp-usc1-allow-hbone", "gcp-usc1-allow-peer-api", "gcp-usc1-allow-peer-hbone"]);
  const keys = before.filter((r) => /^(tls|random):/.test(r.type) && !removed.includes(r.urn));
  assert.ok(keys.some((r) => nameOf(r.urn) === "mesh-trust-root-ca-key") && keys.some((r) => nameOf(r.urn) === "gcp-usc1-k3s-token"));
  for (const r of keys) assert.ok(byUrn(after).has(r.urn) && !changed.includes(r.urn), nameOf(r.urn));
});

test("prod with qwen's canary scaled to 0: llama's fleets stay on their nodes (Deployments unchanged, node affinity included); only qwen's canary and routes change", () => {
  const platform = shippedPlatform("prod");
  const qwen = platform.models.find((m: any) => m.name === "qwen3-32b");
  qwen.versions = [{ name: "v1", weight: 100 }, { name: "v2", weight: 0, canary: true, replicas: 0 }];
  const before = renderShipped("prod");
  const after = renderPlatform("prod", platform);
  const { removed, added, changed } = churn(before.resources, after.resources);
  // Unpinned, the capacity check would give llama aws-use1's L40S nodes and qwen its H100 node
  // (models[].gpuTypes in the prod stack keeps them where they are).
  const deployments = (r: typeof before, cluster: string) =>
    r.objects(cluster).filter((o: any) => o.kind === "Deployment" && /^llama-3-1-8b-v\d+$/.test(o.metadata.name));
  for (const cluster of ["aws-use1", "aws-euw1", "gcp-usc1"]) {
    assert.equal(deployments(before, cluster).length, 2, cluster);
    assert.deepEqual(deployments(after, cluster), deployments(before, cluster), cluster);
  }
  // Nothing else moves: qwen's v1 keeps its nodes too, and its canary's Deployment (now 0
  // replicas) and the routes (weights 100/0) are the edit itself.
  assert.deepEqual(
    { removed, added, changed: changed.map(nameOf).sort() },
    {
      removed: [],
      added: [],
      changed: [
        "aws-use1-inference-deployment-qwen3-32b-v2", "aws-use1-inference-httproute-qwen3-32b",
        "gcp-usc1-inference-deployment-qwen3-32b-v2", "gcp-usc1-inference-httproute-qwen3-32b",
      ],
    },
  );
});

/**
 * A Kubernetes object's identity on its cluster (the URN's name is `<cluster>-<ns>-<kind>-<name>`),
 * with the URN it has in one render.
 */
function objectUrns(resources: CapturedResource[]): Map<string, CapturedResource> {
  return new Map(resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm")).map((r) => [nameOf(r.urn), r]));
}

/**
 * Objects both renders apply whose URN differs, without the later one naming the earlier URN in
 * its `aliases`: the engine would create the new URN before deleting the old one, and
 * pulumi-kubernetes' plain create (4.29+) fails with AlreadyExists on the live object.
 */
function movedWithoutAlias(before: CapturedResource[], after: CapturedResource[]): string[] {
  const a = objectUrns(before);
  return [...objectUrns(after)].filter(([name, r]) => a.has(name) && a.get(name)!.urn !== r.urn && !(r.aliases ?? []).includes(a.get(name)!.urn)).map(([name]) => name);
}

test("local's agents removed, then added back: the inference gateway's access objects change owner (agents ⇄ inference) and alias their previous URN", () => {
  const platform = shippedPlatform("local");
  platform.agents = [];
  platform.tools = [];
  delete platform.gateways.agents;
  const withAgents = renderShipped("local").resources;
  const without = renderPlatform("local", platform).resources;
  const access = ["local-inference-authorizationpolicy-inference-gateway-callers", "local-inference-networkpolicy-inference-gateway-callers"];
  for (const name of access) {
    const [a, b] = [objectUrns(withAgents).get(name)!, objectUrns(without).get(name)!];
    assert.match(a.urn, /inference-mesh:agents:AgentFleet\$/, name);
    assert.match(b.urn, /inference-mesh:inference:ClusterInference\$/, name);
  }
  assert.deepEqual(movedWithoutAlias(withAgents, without), [], "agents removed");
  assert.deepEqual(movedWithoutAlias(without, withAgents), [], "agents added");
});

test("prod with its agents on aws-use1 only: no object on aws-euw1 or gcp-usc1 changes URN without an alias", () => {
  const platform = shippedPlatform("prod");
  for (const a of platform.agents) a.clusters = ["aws-use1"];
  const before = renderShipped("prod").resources;
  const after = renderPlatform("prod", platform).resources;
  assert.deepEqual(movedWithoutAlias(before, after), []);
  assert.deepEqual(movedWithoutAlias(after, before), []);
});

/**
 * The URNs an inference route waits for, by `<model>-<version>`: a version's model servers, pool
 * and picker. A route that does not wait moves traffic in the same `pulumi up` that creates or
 * grows the version: Gateway API answers a share whose InferencePool does not exist yet with
 * 500s, and one with no ready pod with 503s, for the many minutes vLLM takes to load.
 */
function routeWaitsFor(r: ReturnType<typeof renderShipped>, cluster: string, model: string, version: string): boolean {
  const route = r.resources.find((x) => x.urn.endsWith(`::${cluster}-inference-httproute-${model}`))!;
  const pool = `${model}-${version}`;
  const own = [`deployment-${pool}`, `inferencepool-${pool}`, `deployment-${pool}-epp`, `service-${pool}-epp`, `destinationrule-${pool}-epp`];
  const urns = own.map((o) => r.resources.find((x) => x.urn.endsWith(`::${cluster}-inference-${o}`))!.urn);
  const waits = urns.filter((u) => route.dependencies.includes(u)).length;
  assert.ok(waits === 0 || waits === urns.length, `${cluster}/${model}: waits for some of ${pool}'s objects only`);
  return waits === urns.length;
}

test("an inference route waits for the versions it sends traffic to (a new canary, a promoted one), not for one parked at 0 replicas", () => {
  const prod = renderShipped("prod");
  for (const [cluster, model] of [["aws-use1", "qwen3-32b"], ["gcp-usc1", "qwen3-32b"], ["aws-euw1", "llama-3-1-8b"]]) {
    for (const v of ["v1", "v2"]) assert.ok(routeWaitsFor(prod, cluster, model, v), `${cluster}/${model}-${v}`);
  }
  // The stable version at 100% and the old one parked as a dark canary (the first step of a promotion).
  const platform = shippedPlatform("prod");
  const qwen = platform.models.find((m: any) => m.name === "qwen3-32b");
  qwen.versions = [{ name: "v1", weight: 100 }, { name: "v2", weight: 0, canary: true, replicas: 0 }];
  const parked = renderPlatform("prod", platform);
  // Scaling the canary down must not hold the route's move off it until its pods are gone.
  assert.equal(routeWaitsFor(parked, "aws-use1", "qwen3-32b", "v2"), false);
  assert.ok(routeWaitsFor(parked, "aws-use1", "qwen3-32b", "v1"));
});

const prodClusters = ["aws-use1", "aws-euw1", "gcp-usc1"];
const qwenOf = (platform: any) => platform.models.find((m: any) => m.name === "qwen3-32b");

/** Prod with qwen's canary promoted halfway (v2 stable at 100, v1 its dark canary) and research-agent's canary rolled back. */
function promotedHalfway(): any {
  const platform = shippedPlatform("prod");
  qwenOf(platform).versions = [{ name: "v1", weight: 0, canary: true }, { name: "v2", weight: 100, replicas: 2 }];
  const agent = platform.agents.find((a: any) => a.name === "research-agent");
  agent.versions = [{ ...agent.versions[0], weight: 100 }];
  return platform;
}

test("a canary promoted in two steps, and an agent's canary rolled back then added again: only those versions, their routes and the policies naming agents change", () => {
  const shipped = renderShipped("prod");
  const halfway = renderPlatform("prod", promotedHalfway());
  assert.equal(halfway.run.code, 0, halfway.run.stdout + halfway.run.stderr);
  const step1 = churn(shipped.resources, halfway.resources);
  const agentV2 = prodClusters.flatMap((c) => ["authorizationpolicy", "deployment", "service", "serviceaccount"].map((k) => `${c}-agents-${k}-research-agent-v2`));
  // The tools and the inference gateway admit agents by identity: one identity fewer.
  const namingAgents = prodClusters.flatMap((c) => [
    `${c}-agents-httproute-research-agent`, `${c}-inference-networkpolicy-inference-gateway-callers`,
    `${c}-tools-agentgatewaypolicy-mcp-gateway-callers`, `${c}-tools-agentgatewaypolicy-mcp-tool-access`,
    `${c}-tools-authorizationpolicy-calculator-agents`, `${c}-tools-authorizationpolicy-web-search-agents`,
  ]);
  const qwenV2 = ["aws-use1", "gcp-usc1"].flatMap((c) => [`${c}-inference-deployment-qwen3-32b-v2`, `${c}-inference-httproute-qwen3-32b`]);
  assert.deepEqual(
    { removed: step1.removed.map(nameOf).sort(), added: step1.added, changed: step1.changed.map(nameOf).sort() },
    { removed: agentV2.sort(), added: [], changed: [...qwenV2, ...namingAgents].sort() },
  );
  // Adding the agent's canary back is the same edit the other way.
  const readded = churn(halfway.resources, shipped.resources);
  assert.deepEqual(readded.added.map(nameOf).sort(), agentV2.sort());

  // Step 2: the old version goes; qwen's v2 and every other object stay as they are.
  const platform = promotedHalfway();
  qwenOf(platform).versions = [{ name: "v2", weight: 100, replicas: 2 }];
  const promoted = renderPlatform("prod", platform);
  assert.equal(promoted.run.code, 0, promoted.run.stdout + promoted.run.stderr);
  const step2 = churn(halfway.resources, promoted.resources);
  assert.deepEqual(step2.added, []);
  assert.deepEqual(step2.changed.map(nameOf).sort(), ["aws-use1-inference-httproute-qwen3-32b", "gcp-usc1-inference-httproute-qwen3-32b"]);
  assert.ok(step2.removed.length > 0);
  for (const urn of step2.removed) assert.match(nameOf(urn), /^(aws-use1|gcp-usc1)-inference-[a-z]+-qwen3-32b-v1(-epp|-server|-model-server)?$/);
});

test("a pool switched to FailClose, the gateway certificate rotated, a tool granted to one agent and a GPU group's instance type changed: nothing else moves", () => {
  const platform = shippedPlatform("prod");
  platform.models.find((m: any) => m.name === "llama-3-1-8b").epp = { failureMode: "FailClose" };
  platform.gateways.inference.tls.secretName = "inference-gateway-tls-2027";
  platform.tools.push({ name: "weather", image: "ghcr.io/inference-mesh/examples/mcp-weather:0.1.0", port: 8000, replicas: 2 });
  platform.agents.find((a: any) => a.name === "support-agent").tools.push("weather");
  platform.clusters.find((c: any) => c.name === "aws-euw1").nodeGroups[0].instanceType = "g5.24xlarge";
  const before = renderShipped("prod");
  const after = renderPlatform("prod", platform);
  assert.equal(after.run.code, 0, after.run.stdout + after.run.stderr);
  const { removed, added, changed } = churn(before.resources, after.resources);
  // support-agent runs where qwen does: the tool goes there only.
  const qwenClusters = ["aws-use1", "gcp-usc1"];
  assert.deepEqual(
    { removed, added: added.map(nameOf).sort(), changed: changed.map(nameOf).sort() },
    {
      removed: [],
      added: qwenClusters.flatMap((c) => ["authorizationpolicy-weather", "authorizationpolicy-weather-agents", "deployment-weather", "service-weather", "serviceaccount-weather"].map((k) => `${c}-tools-${k}`)).sort(),
      changed: [
        ...prodClusters.flatMap((c) => [`${c}-inference-gateway-inference-gateway`, `${c}-inference-inferencepool-llama-3-1-8b-v1`, `${c}-inference-inferencepool-llama-3-1-8b-v2`]),
        ...qwenClusters.flatMap((c) => [`${c}-tools-agentgatewaybackend-mcp-tools`, `${c}-tools-agentgatewaypolicy-mcp-tool-access`]),
        // The node group is replaced under its name prefix; the servers' CPU and memory follow the host.
        "aws-euw1-gpu-a10g", "aws-euw1-inference-deployment-llama-3-1-8b-v1", "aws-euw1-inference-deployment-llama-3-1-8b-v2",
      ].sort(),
    },
  );
  const group = (r: typeof before) => r.resources.find((x) => x.urn.endsWith("::aws-euw1-gpu-a10g"))!.inputs as any;
  assert.equal(group(after).nodeGroupNamePrefix, group(before).nodeGroupNamePrefix);
  assert.deepEqual(group(after).instanceTypes, ["g5.24xlarge"]);
});

test("prod with a fourth region: every existing resource keeps its URN and inputs, key material included; peers gain only a remote secret for it", () => {
  const platform = shippedPlatform("prod");
  platform.clusters.push({
    name: "aws-usw2", cloud: "aws", kind: "eks", region: "us-west-2", network: "net-aws-usw2", vpcCidr: "10.13.0.0/16", endpointPublicAccess: false,
    systemNodeGroup: { instanceType: "m6i.2xlarge", minSize: 2, desiredSize: 2, maxSize: 4 },
    nodeGroups: [{ name: "gpu-l40s", instanceType: "g6e.12xlarge", minSize: 1, desiredSize: 1, maxSize: 2, diskSizeGiB: 250 }],
  });
  platform.models.find((m: any) => m.name === "llama-3-1-8b").clusters.push("aws-usw2");
  const before = renderShipped("prod").resources;
  const after = renderPlatform("prod", platform);
  assert.equal(after.run.code, 0, after.run.stdout + after.run.stderr);
  const { removed, added, changed } = churn(before, after.resources);
  assert.deepEqual(removed, []);
  const owner = byUrn(after.resources);
  const ofNew = (urn: string): boolean => {
    const r = owner.get(urn)!;
    return nameOf(urn) === "aws-usw2" || nameOf(urn).startsWith("aws-usw2-") || (r.parent !== undefined && ofNew(r.parent));
  };
  const peers = added.filter((u) => !ofNew(u)).map(nameOf).sort();
  assert.deepEqual(peers, prodClusters.flatMap((c) => [`${c}-istio-system-secret-istio-remote-secret-aws-usw2`]).sort());
  // The k3s cluster's peer firewalls admit the new cluster's addresses; trust, east-west gateways and remote secrets stay.
  assert.deepEqual(changed.map(nameOf).sort(), ["gcp-usc1-allow-hbone", "gcp-usc1-allow-peer-api", "gcp-usc1-allow-peer-hbone"]);
});
