/**
 * The day-2 flows a platform engineer runs on prod, each an edit of the stack config rendered
 * after the shipped one: canaries promoted, rolled back and added, a region added, a pool's
 * failure mode, gateway certificates, a tool granted, a node type changed. Each changes exactly
 * the objects it concerns (the rest keep URNs and inputs), validates and reviews clean, and moves
 * traffic only to versions that serve.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { renderPlatform, renderShipped, shippedPlatform } from "../support/render";
import { byUrn, churn, nameOf } from "../support/churn";

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

/**
 * The agents' workloads (`<agent>-<version>`) an object of the agent layer waits for, directly or
 * through the objects it waits for (the engine registers nothing before its dependencies).
 */
function agentWaits(r: ReturnType<typeof renderShipped>, urnName: string): string[] {
  const of = byUrn(r.resources);
  const seen = new Set<string>();
  const visit = (urn: string) => {
    for (const d of of.get(urn)?.dependencies ?? []) if (!seen.has(d)) (seen.add(d), visit(d));
  };
  visit(r.resources.find((x) => x.urn.endsWith(`::${urnName}`))!.urn);
  const versions = [...seen].map(nameOf).flatMap((n) => /-agents-(?:serviceaccount|deployment|service)-(.+)$/.exec(n)?.[1] ?? []);
  return [...new Set(versions)].sort();
}

test("an agent's route waits for the versions it sends traffic to, not for one parked at 0 replicas; nothing else waits for an agent", () => {
  const prod = renderShipped("prod");
  assert.deepEqual(agentWaits(prod, "aws-use1-agents-httproute-research-agent"), ["research-agent-v1", "research-agent-v2"]);
  assert.deepEqual(agentWaits(prod, "aws-use1-agents-httproute-support-agent"), ["support-agent-v1", "support-agent-v2"]);
  // Before: every route, Gateway and policy of the agent layer waited for every agent's and tool's workloads.
  for (const other of ["agents-gateway-agent-gateway", "agents-httproute-llm", "tools-httproute-mcp", "tools-agentgatewaypolicy-mcp-tool-access"]) {
    assert.deepEqual(agentWaits(prod, `aws-use1-${other}`), [], other);
  }
  // The second step of parking (weight 0 was the first): the route leaves v2 without waiting for its pods to stop.
  const platform = shippedPlatform("prod");
  const agent = platform.agents.find((a: any) => a.name === "research-agent");
  agent.versions = [{ ...agent.versions[0], weight: 100 }, { ...agent.versions[1], weight: 0, replicas: 0 }];
  const parked = renderPlatform("prod", platform);
  assert.equal(parked.run.code, 0, parked.run.stdout + parked.run.stderr);
  for (const cluster of prodClusters) assert.deepEqual(agentWaits(parked, `${cluster}-agents-httproute-research-agent`), ["research-agent-v1"], cluster);
  // A dark canary with replicas still takes x-canary requests: its route waits for it.
  agent.versions[1].replicas = 1;
  assert.deepEqual(agentWaits(renderPlatform("prod", platform), "aws-use1-agents-httproute-research-agent"), ["research-agent-v1", "research-agent-v2"]);
});
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
  // Read backwards, step 2 gives the model with one version a canary: its objects and the routes, nothing else.
  const canaryAdded = churn(promoted.resources, halfway.resources);
  assert.deepEqual([canaryAdded.added, canaryAdded.removed, canaryAdded.changed], [step2.removed, [], step2.changed]);
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

test("local's gateways moved from self-signed certificates to Secrets of the README's names: the generated Secrets deleted are not the ones the Gateways now read", () => {
  const platform = shippedPlatform("local");
  platform.gateways.inference.tls = { mode: "secret", secretName: "inference-gateway-tls" };
  platform.gateways.agents.tls = { mode: "secret", secretName: "agent-gateway-tls" };
  const before = renderShipped("local").resources;
  const after = renderPlatform("local", platform);
  assert.equal(after.run.code, 0, after.run.stdout + after.run.stderr);
  // pulumi-kubernetes deletes a removed object by namespace and name, whoever made the live one.
  const deleted = churn(before, after.resources).removed.map((u) => byUrn(before).get(u)!).filter((r) => r.type === "kubernetes:core/v1:Secret");
  assert.equal(deleted.length, 2);
  const read = after.allObjects().filter(({ object }) => object.kind === "Gateway").flatMap(({ object }) =>
    ((object as any).spec.listeners as any[]).flatMap((l) => (l.tls?.certificateRefs ?? []).map((c: any) => `${object.metadata.namespace}/${c.name}`)));
  assert.ok(read.includes("inference/inference-gateway-tls") && read.includes("agents/agent-gateway-tls"), read.join());
  for (const r of deleted) {
    const m = (r.inputs as any).metadata;
    assert.ok(!read.includes(`${m.namespace}/${m.name}`), `deletes ${m.namespace}/${m.name}, which a Gateway reads`);
  }
});
