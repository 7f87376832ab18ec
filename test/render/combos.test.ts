/**
 * Platforms a fork writes beyond the three shipped stacks (test/support/platforms.ts: a pairwise
 * covering set over topologies, models, servers, failure modes, agents and tools, gateway TLS,
 * JWT, LLM routes, CPU-only clusters and the mesh CA): each validates, renders under the mock
 * engine, every rendered object validates against the upstream schemas, each cluster's pools
 * select exactly their servers, every principal resolves, the who-may-call-whom graph of the
 * rendered policies equals the one the config intends, and the offline review reports no
 * violation, mandatory or advisory.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { renderPlatform } from "../support/render";
import { validateObject } from "../support/schemas";
import { coveredPairs, requiredPairs } from "../support/pairwise";
import { buildPlatform, dimensions, platformRows, rowName, rules, schemaEnums, topology } from "../support/platforms";
import { checkInferenceInvariants } from "../inference/invariants";
import { edgeList, intendedCallGraph, renderedCallGraph, unresolvedPrincipals } from "../../components/agents/callgraph";
import { agentLayerEdges, inferenceGatewayIdentity, meshWaypoints } from "../agents/support";

const rows = platformRows();

test("the generated platforms cover every valid pair of levels, in few renders", () => {
  const covered = coveredPairs(dimensions, rules, rows);
  const missing = [...requiredPairs(dimensions, rules)].filter((p) => !covered.has(p));
  assert.deepEqual(missing, []);
  // Each row is a render of a few seconds: the set must stay CI-affordable.
  assert.ok(rows.length <= 20, `${rows.length} rows`);
  // The topologies use every cloud the schema knows.
  assert.deepEqual(new Set(rows.flatMap((r) => topology(r).map((c) => c.cloud))), new Set(schemaEnums.cloud));
  // Each dimension's every level is built at least once.
  for (const [name, levels] of Object.entries(dimensions)) {
    for (const level of levels) assert.ok(rows.some((r) => (r as Record<string, string>)[name] === level), `${name}=${level}`);
  }
});

rows.forEach((row, i) => {
  test(`platform ${rowName(row)}: validates, renders, conforms upstream and reviews clean`, async () => {
    const platform = buildPlatform(row);
    const stack = `combo-${i + 1}`;
    const spec = parsePlatform(structuredClone(platform), stack);
    const r = renderPlatform(stack, platform);
    assert.equal(r.run.code, 0, r.run.stderr);
    assert.deepEqual(r.clusters().sort(), spec.clusters.map((c) => c.name).sort());
    const failures: string[] = [];
    for (const { cluster, object } of r.allObjects()) {
      const res = await validateObject(structuredClone(object));
      if (!res.ok) failures.push(`${cluster} ${object.kind} ${object.metadata.namespace ?? ""}/${object.metadata.name}: ${res.errors.join("; ")}`);
    }
    assert.deepEqual(failures, []);
    // Pools select exactly their servers with ports agreeing end to end, on every cluster serving
    // models; every principal names a rendered ServiceAccount or a controller-made proxy's; the
    // edges into the agent layer and the inference gateway are exactly the intended ones.
    for (const cluster of r.clusters()) {
      const objects = r.objects(cluster) as any[];
      const served = spec.models.flatMap((m) => (m.clusters.includes(cluster) ? m.versions.map((v) => `${m.name}-${v.name}`) : []));
      assert.deepEqual(checkInferenceInvariants(objects).sort(), served.sort(), cluster);
      assert.deepEqual(unresolvedPrincipals(objects, spec.mesh.trustDomain), [], cluster);
      const intended = edgeList(intendedCallGraph(spec, cluster, inferenceGatewayIdentity, meshWaypoints));
      assert.deepEqual(agentLayerEdges(renderedCallGraph(objects, spec.mesh.trustDomain)), intended, cluster);
    }
    const review = JSON.parse(r.file("policy.json"));
    const violations = review.violations.map((v: any) => `${v.enforcementLevel} ${v.policy}: ${v.urn.split("::").pop()}: ${v.message}`);
    assert.deepEqual([review.summary.mandatory, review.summary.advisory, violations], [0, 0, []]);
  });
});
