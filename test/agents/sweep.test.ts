/**
 * Edge cases of the agent layer's config and render: fleets that reach agentgateway's CRD limits
 * are config errors naming the path (never a crash, nothing written), and unusual but valid
 * fleets (an agent without tools, a tool nobody calls, three versions, a custom trust domain)
 * render objects a real cluster takes: schema-valid, review-clean, routes and principals right.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parsePlatform } from "../../infra/config";
import { problemsOf } from "../support/config";
import { renderConfigExpectingFailure, renderPlatform, shippedPlatform } from "../support/render";
import { validateObject } from "../support/schemas";
import { checkInferenceInvariants, ofKind } from "../inference/invariants";
import { agentClusterManifests } from "../../components/agents";
import { inference } from "./support";

const image = "ghcr.io/inference-mesh/examples/tool:0.1.0";

test("more tools on one cluster than agentgateway's MCP backend takes (32): a config error naming the cluster, nothing written", () => {
  const p = shippedPlatform("local");
  p.tools = Array.from({ length: 33 }, (_, i) => ({ name: `tool-${i}`, image }));
  p.agents[0].tools = p.tools.map((t: any) => t.name);
  const run = renderConfigExpectingFailure("many-tools", p);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /inference-mesh:platform\.tools: cluster 'local' would run 33 tools behind its one MCP backend.*at most 32 MCP targets/);
  assert.doesNotMatch(run.stderr + run.stdout, /\n\s+at /, "no stack trace");
  assert.ok(!fs.existsSync(path.join(run.outDir, "many-tools")), "out/ untouched");
});

test("32 tools is the limit: the MCP backend lists them all", () => {
  const p = shippedPlatform("local");
  p.tools = Array.from({ length: 32 }, (_, i) => ({ name: `tool-${i}`, image }));
  p.agents[0].tools = p.tools.map((t: any) => t.name);
  const spec = parsePlatform(p, "local");
  const backend = agentClusterManifests(spec, spec.clusters[0], inference)!.gateway.find((m) => m.kind === "AgentgatewayBackend" && m.metadata.name === "mcp-tools");
  assert.equal((backend as any).spec.mcp.targets.length, 32);
});

test("a per-tool CEL rule longer than agentgateway takes (16384 characters) is a config error at agents", () => {
  const p = shippedPlatform("local");
  p.tools = Array.from({ length: 30 }, (_, i) => ({ name: `a-fairly-long-tool-name-number-${i}`, image }));
  const base = p.agents[0];
  p.agents = Array.from({ length: 12 }, (_, j) => ({ ...structuredClone(base), name: `a-fairly-long-agent-name-${j}`, tools: p.tools.map((t: any) => t.name) }));
  const problems = problemsOf(p);
  assert.ok(
    problems.some((l) => /^inference-mesh:platform\.agents: on cluster 'local' the agent gateway policy mcp-tool-access .* would be a \d+-character CEL expression; agentgateway takes at most 16384/.test(l)),
    problems.join("\n"),
  );
  // The same fleet split over fewer tools per agent fits, and renders an expression within the limit.
  p.agents.forEach((a: any, j: number) => (a.tools = p.tools.slice(j, j + 4).map((t: any) => t.name)));
  const spec = parsePlatform(p, "local");
  const policy = agentClusterManifests(spec, spec.clusters[0], inference)!.gateway.find((m) => m.metadata.name === "mcp-tool-access") as any;
  assert.ok(policy.spec.backend.mcp.authorization.policy.matchExpressions[0].length <= 16384);
});

test("an unusual but valid fleet renders objects a cluster takes: no-tool agent, unused tools, three versions, custom trust domain", async () => {
  const p = shippedPlatform("local");
  p.mesh.trustDomain = "mesh.example.org";
  p.models[0].versions = [
    { name: "v1", weight: 90 },
    { name: "v2", weight: 5 },
    { name: "v3", weight: 5, canary: true },
  ];
  p.tools.push({ name: "orphan", image });
  p.agents[0].tools = ["web-search"];
  p.agents.push({
    name: "plain-agent",
    model: p.models[0].name,
    versions: [
      { name: "v1", image: "ghcr.io/inference-mesh/examples/plain-agent:0.1.0", weight: 90 },
      { name: "v2", image: "ghcr.io/inference-mesh/examples/plain-agent:0.2.0", weight: 5, canary: true },
      { name: "v3", image: "ghcr.io/inference-mesh/examples/plain-agent:0.3.0", weight: 5 },
    ],
  });
  const r = renderPlatform("sweep-fleet", p);
  assert.equal(r.run.code, 0, r.run.stderr);
  const review = JSON.parse(r.file("policy.json"));
  assert.deepEqual([review.summary.mandatory, review.summary.advisory], [0, 0], JSON.stringify(review.violations));
  const objects = r.objects("local") as any[];
  for (const o of objects) {
    const res = await validateObject(structuredClone(o));
    assert.ok(res.ok, `${o.kind} ${o.metadata.namespace}/${o.metadata.name}: ${res.errors.join("; ")}`);
  }
  assert.deepEqual(checkInferenceInvariants(objects).sort(), ["qwen3-0-6b-v1", "qwen3-0-6b-v2", "qwen3-0-6b-v3"]);
  const route = (ns: string, name: string) => objects.find((o) => o.kind === "HTTPRoute" && o.metadata.namespace === ns && o.metadata.name === name);
  const weights = (rule: any) => Object.fromEntries(rule.backendRefs.map((b: any) => [b.name, b.weight]));
  const model = route("inference", "qwen3-0-6b").spec.rules;
  assert.deepEqual(weights(model[0]), { "qwen3-0-6b-v3": 1 }, "x-canary goes to the canary");
  assert.deepEqual(weights(model[1]), { "qwen3-0-6b-v1": 90, "qwen3-0-6b-v2": 5, "qwen3-0-6b-v3": 5 });
  const agent = route("agents", "plain-agent").spec.rules;
  assert.deepEqual(weights(agent[0]), { "plain-agent-v2": 1 });
  assert.deepEqual(weights(agent[1]), { "plain-agent-v1": 90, "plain-agent-v2": 5, "plain-agent-v3": 5 });
  // Only the tool an agent calls runs; the agent without tools gets no MCP endpoint.
  assert.deepEqual(ofKind(objects, "Deployment").filter((d) => d.metadata.namespace === "tools").map((d) => d.metadata.name), ["web-search"]);
  const plain = ofKind(objects, "Deployment").find((d) => d.metadata.name === "plain-agent-v1")!;
  assert.ok(!plain.spec.template.spec.containers[0].env.some((e: any) => e.name === "MCP_SERVER_URL"));
  const cel = objects.find((o) => o.metadata.name === "mcp-tool-access").spec.backend.mcp.authorization.policy.matchExpressions[0];
  assert.equal(cel, '(source.identity.trustDomain == "mesh.example.org" && source.identity.namespace == "agents" && source.identity.serviceAccount in ["research-agent-v1", "research-agent-v2"] && mcp.tool.target == "web-search")');
  // Every principal is in the configured trust domain and names a rendered ServiceAccount or a
  // proxy the controllers create (gateways, waypoints).
  const accounts = new Set(ofKind(objects, "ServiceAccount").map((s) => `${s.metadata.namespace}/${s.metadata.name}`));
  const proxies = new Set(["agents/agent-gateway", "tools/mcp-gateway", "tools/waypoint", "agents/waypoint", "inference/inference-gateway-istio"]);
  const principals = ofKind(objects, "AuthorizationPolicy").flatMap((a) => (a.spec.rules ?? []).flatMap((rule: any) => (rule.from ?? []).flatMap((f: any) => f.source?.principals ?? [])));
  assert.ok(principals.length > 0);
  for (const principal of principals) {
    const m = /^mesh\.example\.org\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(principal);
    assert.ok(m, `principal ${principal} in the configured trust domain`);
    assert.ok(accounts.has(`${m[1]}/${m[2]}`) || proxies.has(`${m[1]}/${m[2]}`), `principal ${principal} names a rendered ServiceAccount`);
  }
  // Every version of every agent, the third and the tool-less ones too, may reach its models.
  const callers = objects.find((o) => o.kind === "NetworkPolicy" && o.metadata.name === "inference-gateway-callers");
  const admitted = callers.spec.ingress.flatMap((rule: any) => (rule.from ?? []).flatMap((f: any) => f.podSelector?.matchExpressions?.[0]?.values ?? []));
  assert.deepEqual(admitted.sort(), ["plain-agent-v1", "plain-agent-v2", "plain-agent-v3", "research-agent-v1", "research-agent-v2"]);
});
