/**
 * Policy tests for canary-weight-limit and canary-weight-across-routes: canaries get at most
 * maxCanaryWeight, splits sum to 100, the x-canary rule's split, InferenceModelRewrite targets.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { canaryWeightLimit } from "../../policy/rules/canary-weight-limit";
import { canaryWeightAcrossRoutes } from "../../policy/rules/canary-weight-across-routes";
import { runResource, runStack, UNKNOWN } from "../support/policy";
import { on, ROUTE } from "./traffic-support";

const route = (rules: unknown[]) => ({ type: ROUTE, props: { metadata: { name: "llama", namespace: "inference" }, spec: { rules } } });

const refs = (...weights: (number | undefined)[]) => ({ backendRefs: weights.map((weight, i) => ({ kind: "InferencePool", name: `pool-v${i + 1}`, ...(weight === undefined ? {} : { weight }) })) });

test("canary-weight-limit: canaries get at most maxCanaryWeight and splits sum to 100", async () => {
  const ok = await runResource(canaryWeightLimit, [route([refs(1), refs(90, 10)]), route([refs(95, 5)])]);
  assert.deepEqual(ok.violations, []);
  const fifty = await runResource(canaryWeightLimit, route([refs(50, 50)]), null);
  assert.equal(fifty.violations.length, 1);
  assert.match(fifty.violations[0].message, /backend pool-v2 gets 50% of the split; a canary may get at most 10%/);
  const sum = await runResource(canaryWeightLimit, route([refs(90, 5)]));
  assert.match(sum.violations[0].message, /sum to 95, not 100/);
  const implicit = await runResource(canaryWeightLimit, route([refs(undefined, undefined)]));
  assert.equal(implicit.violations.length, 2, "omitted weights are 1 each: sum 2, canary 50%");
  assert.deepEqual((await runResource(canaryWeightLimit, route([refs(75, 25)]), { maxCanaryWeight: 25 })).violations, []);
});

test("canary-weight-limit: a weight Gateway API does not take (a string, a fraction, above 1000000) is named as such, not summed as 1; a null one is the default 1", async () => {
  const strings = await runResource(canaryWeightLimit, route([refs("95" as unknown as number, "5" as unknown as number)]), null);
  assert.equal(strings.violations.length, 1, JSON.stringify(strings.violations));
  assert.match(strings.violations[0].message, /^inference\/llama rule 0: backendRef weight "95" \(pool-v1\), "5" \(pool-v2\) is not an integer from 0 to 1000000, the only weights Gateway API takes/);
  for (const bad of [9.5, 2_000_000, -1]) {
    const r = await runResource(canaryWeightLimit, route([refs(90, bad)]), null);
    assert.match(r.violations[0]?.message ?? "", new RegExp(`backendRef weight ${bad} \\(pool-v2\\) is not an integer`), String(bad));
  }
  const nulls = await runResource(canaryWeightLimit, route([{ backendRefs: [{ kind: "InferencePool", name: "pool-v1", weight: null }] }, refs(95, 5)]));
  assert.deepEqual(nulls.violations, [], "a null weight is pruned by the API server and defaults to 1");
});

test("canary-weight-limit: a backend the x-canary header routes to is the canary, even when it is the heaviest", async () => {
  const pinned = { matches: [{ headers: [{ name: "x-canary", type: "Exact", value: "true" }] }], backendRefs: [{ kind: "InferencePool", name: "pool-v2", weight: 1 }] };
  assert.deepEqual((await runResource(canaryWeightLimit, route([pinned, refs(95, 5)]))).violations, []);
  const swapped = await runResource(canaryWeightLimit, route([pinned, refs(5, 95)]));
  assert.equal(swapped.violations.length, 1);
  assert.match(swapped.violations[0].message, /canary \(x-canary routes to it\) pool-v2 gets 95% of the split/);
  const otherHeader = { ...pinned, matches: [{ headers: [{ name: "X-Preview" }] }] };
  assert.equal((await runResource(canaryWeightLimit, route([otherHeader, refs(5, 95)]), { canaryHeader: "x-preview" })).violations.length, 1);
  assert.deepEqual((await runResource(canaryWeightLimit, route([otherHeader, refs(5, 95)]))).violations, [], "without the header the heaviest is the primary");
});

test("canary-weight-limit: all traffic to the canary, or the canary listed twice, is caught", async () => {
  const pinned = { matches: [{ headers: [{ name: "x-canary", type: "Exact", value: "true" }] }], backendRefs: [{ kind: "InferencePool", name: "pool-v2" }] };
  // The default rule sends everything to the canary: a single backendRef gets 100%.
  const all = await runResource(canaryWeightLimit, route([pinned, { backendRefs: [{ kind: "InferencePool", name: "pool-v2" }] }]));
  assert.equal(all.violations.length, 1);
  assert.match(all.violations[0].message, /canary \(x-canary routes to it\) pool-v2 gets 100% of the rule's traffic/);
  // Gateway API gives each entry weight / sum: v2 listed twice at 10 gets 20%.
  const twice = await runResource(canaryWeightLimit, route([pinned, { backendRefs: [{ kind: "InferencePool", name: "pool-v1", weight: 80 }, { kind: "InferencePool", name: "pool-v2", weight: 10 }, { kind: "InferencePool", name: "pool-v2", weight: 10 }] }]));
  assert.equal(twice.violations.length, 1);
  assert.match(twice.violations[0].message, /pool-v2 gets 20% of the split \(listed 2 times\)/);
  // A single stable backend, and the header rule itself, stay fine.
  assert.deepEqual((await runResource(canaryWeightLimit, route([pinned, { backendRefs: [{ kind: "InferencePool", name: "pool-v1" }] }]))).violations, []);
});

test("canary-weight-across-routes: a canary declared by one route's x-canary rule gets at most maxCanaryWeight from every other route on its cluster", async () => {
  const pool = (name: string, weight?: number, extra: Record<string, unknown> = {}) => ({ kind: "InferencePool", name, ...(weight === undefined ? {} : { weight }), ...extra });
  const door = { matches: [{ headers: [{ name: "x-canary", type: "Exact", value: "true" }] }], backendRefs: [pool("pool-v2")] };
  const httpRoute = (name: string, rules: unknown[], cluster = "a", namespace = "inference", type = ROUTE) => on(type, name, { metadata: { name, namespace }, spec: { rules } }, cluster);
  const declaring = httpRoute("llama", [door, { backendRefs: [pool("pool-v1", 95), pool("pool-v2", 5)] }]);
  // Another route keeping the canary small, one not naming it, and the declaring route itself pass.
  const ok = await runStack(canaryWeightAcrossRoutes, [
    declaring,
    httpRoute("llama-eu", [{ matches: [{ path: { type: "PathPrefix", value: "/eu" } }], backendRefs: [pool("pool-v1", 90), pool("pool-v2", 10)] }]),
    httpRoute("other", [{ backendRefs: [pool("pool-v1")] }]),
  ]);
  assert.deepEqual(ok.violations, []);
  const swapped = await runStack(canaryWeightAcrossRoutes, [declaring, httpRoute("llama-ab", [{ backendRefs: [pool("pool-v1", 5), pool("pool-v2", 95)] }])]);
  assert.equal(swapped.violations.length, 1, JSON.stringify(swapped.violations));
  assert.match(swapped.violations[0].message, /^inference\/llama-ab rule 0 on a: pool-v2 gets 95% of the split, but it is the canary of route inference\/llama \(its x-canary rule routes to it alone\); a canary may get at most 10%/);
  assert.equal(swapped.violations[0].urn, `urn:pulumi:test::inference-mesh::${ROUTE}::a-llama-ab`, "reported on the second route");
  // A path of its own sent only to the canary, from a GRPCRoute in another namespace (a cross-namespace backendRef).
  const GRPC = "kubernetes:gateway.networking.k8s.io/v1:GRPCRoute";
  const path = await runStack(canaryWeightAcrossRoutes, [declaring, httpRoute("preview", [{ backendRefs: [pool("pool-v2", undefined, { namespace: "inference" })] }], "a", "agents", GRPC)]);
  assert.match(path.violations[0]?.message ?? "", /agents\/preview rule 0 on a: pool-v2 gets 100% of the rule's traffic, but it is the canary of route inference\/llama/);
  // Tuned limit; another cluster's pool of the same name; another namespace's pool of the same name; a door naming two backends.
  assert.deepEqual((await runStack(canaryWeightAcrossRoutes, [declaring, httpRoute("llama-ab", [{ backendRefs: [pool("pool-v1", 75), pool("pool-v2", 25)] }])], { maxCanaryWeight: 25 })).violations, []);
  assert.deepEqual((await runStack(canaryWeightAcrossRoutes, [declaring, httpRoute("llama-ab", [{ backendRefs: [pool("pool-v2")] }], "b")])).violations, []);
  assert.deepEqual((await runStack(canaryWeightAcrossRoutes, [declaring, httpRoute("llama-ab", [{ backendRefs: [pool("pool-v2")] }], "a", "agents")])).violations, []);
  const twoDoor = httpRoute("llama", [{ ...door, backendRefs: [pool("pool-v1", 50), pool("pool-v2", 50)] }]);
  assert.deepEqual((await runStack(canaryWeightAcrossRoutes, [twoDoor, httpRoute("llama-ab", [{ backendRefs: [pool("pool-v2")] }])])).violations, [], "which of a two-backend door is the canary is canary-weight-limit's to name");
  // A route whose rules are not known yet cannot be judged.
  const pending = await runStack(canaryWeightAcrossRoutes, [declaring, on(ROUTE, "later", { metadata: { name: "later", namespace: "inference" }, spec: UNKNOWN })]);
  assert.match(pending.unknown.join("\n"), /the rules of route inference\/later on a/);
});

test("canary-weight-limit: a header rule that also matches everything is not the canary's door; x-canary: false pins the stable", async () => {
  const split = { backendRefs: [{ kind: "InferencePool", name: "pool-v1", weight: 95 }, { kind: "InferencePool", name: "pool-v2", weight: 5 }] };
  // Matches are ORed: the second match takes all traffic, and the first rule wins ties.
  const leaky = { matches: [{ headers: [{ name: "x-canary", value: "true" }] }, { path: { type: "PathPrefix", value: "/" } }], backendRefs: [{ kind: "InferencePool", name: "pool-v2" }] };
  const leak = await runResource(canaryWeightLimit, route([leaky, split]), null);
  assert.match(leak.violations.map((v) => v.message).join("\n"), /pool-v2 gets 100% of the rule's traffic/);
  // Pinning the stable with x-canary: false, or listing it at weight 0 in the canary rule, is compliant.
  const door = { matches: [{ headers: [{ name: "x-canary", value: "true" }] }], backendRefs: [{ kind: "InferencePool", name: "pool-v2" }, { kind: "InferencePool", name: "pool-v1", weight: 0 }] };
  const pinStable = { matches: [{ headers: [{ name: "x-canary", value: "false" }] }], backendRefs: [{ kind: "InferencePool", name: "pool-v1" }] };
  assert.deepEqual((await runResource(canaryWeightLimit, route([door, pinStable, split]))).violations, []);
  // Same name, another namespace: another backend.
  const elsewhere = { backendRefs: [{ kind: "InferencePool", name: "pool-v1", weight: 50 }, { kind: "InferencePool", name: "pool-v1", namespace: "canary", weight: 50 }] };
  assert.equal((await runResource(canaryWeightLimit, route([elsewhere]))).violations.length, 1);
});

test("canary-weight-limit: the x-canary rule's own split sums to 100, and a stable backend it lists is named as what is wrong", async () => {
  const door = (...backends: [string, number | undefined][]) => ({
    matches: [{ headers: [{ name: "x-canary", type: "Exact", value: "true" }] }],
    backendRefs: backends.map(([name, weight]) => ({ kind: "InferencePool", name, ...(weight === undefined ? {} : { weight }) })),
  });
  const split = { backendRefs: [{ kind: "InferencePool", name: "pool-v2", weight: 5 }, { kind: "InferencePool", name: "pool-v1", weight: 95 }] };
  // Compliant: the door routes to the canary alone (the stable pinned out at weight 0).
  assert.deepEqual((await runResource(canaryWeightLimit, route([door(["pool-v2", 1], ["pool-v1", 0]), split]))).violations, []);
  // Before: the door returned before any check, so 60/50 (sum 110) was never reported as a sum.
  const sum = await runResource(canaryWeightLimit, route([door(["pool-v2", 60], ["pool-v1", 50]), split]));
  const messages = sum.violations.map((v) => v.message);
  assert.ok(messages.some((m) => /^inference\/llama rule 0 \(the x-canary rule\): split weights 60\/50 sum to 110, not 100$/.test(m)), messages.join("\n"));
  // Before: "canary (x-canary routes to it) pool-v1 gets 95%", calling the stable version the canary.
  const both = await runResource(canaryWeightLimit, route([door(["pool-v2", 50], ["pool-v1", 50]), split]));
  assert.equal(both.violations.length, 1);
  assert.match(
    both.violations[0].message,
    /^inference\/llama rule 1: pool-v1 gets 95% of the split, but the x-canary rule \(rule 0\) also routes to it \(beside pool-v2\), which makes it a canary: the header must send requests to the canary alone, so route the x-canary rule only to the canary/,
  );
  assert.doesNotMatch(both.violations[0].message, /canary \(x-canary routes to it\) pool-v1/);
  // A door to the one canary with a swapped split keeps the canary message.
  const swapped = await runResource(canaryWeightLimit, route([door(["pool-v1", 1]), split]));
  assert.match(swapped.violations[0].message, /canary \(x-canary routes to it\) pool-v1 gets 95% of the split/);
});

test("canary-weight-limit: InferenceModelRewrite targets are held to maxCanaryWeight of the rule's weight sum (weights are relative)", async () => {
  const rewrite = (targets: { modelRewrite: string; weight?: number }[], type = "kubernetes:llm-d.ai/v1alpha2:InferenceModelRewrite") => ({
    type,
    props: {
      metadata: { name: "llama-canary", namespace: "inference" },
      spec: { poolRef: { name: "llama-v1" }, rules: [{ matches: [{ model: { value: "meta-llama/Llama-3.1-8B-Instruct" } }], targets }] },
    },
  });
  const ok = await runResource(canaryWeightLimit, [
    rewrite([{ modelRewrite: "llama-v1", weight: 95 }, { modelRewrite: "llama-v2", weight: 5 }]),
    // Relative weights: 19/1 is the same 95/5 split, and the sum need not be 100.
    rewrite([{ modelRewrite: "llama-v1", weight: 19 }, { modelRewrite: "llama-v2", weight: 1 }]),
    // A single target is a rewrite, not a split; an unweighted target beside weighted ones is never picked.
    rewrite([{ modelRewrite: "llama-v2" }]),
    rewrite([{ modelRewrite: "llama-v1", weight: 9 }, { modelRewrite: "llama-v2" }]),
  ]);
  assert.deepEqual(ok.violations, []);
  // Before: not judged at all.
  const fifty = await runResource(canaryWeightLimit, rewrite([{ modelRewrite: "llama-v1", weight: 50 }, { modelRewrite: "support-tone", weight: 50 }]));
  assert.equal(fifty.violations.length, 1, "on a tie the first listed is the primary, the later one a canary");
  assert.match(
    fifty.violations[0].message,
    /^InferenceModelRewrite inference\/llama-canary rule 0: target model support-tone gets 50% of the requests for meta-llama\/Llama-3\.1-8B-Instruct \(weight 50 of 100\); every target but the heaviest \(llama-v1\) is a canary and may get at most 10%/,
  );
  // Unweighted targets share evenly; a model listed twice adds up; the legacy group is judged too.
  assert.equal((await runResource(canaryWeightLimit, rewrite([{ modelRewrite: "a" }, { modelRewrite: "b" }, { modelRewrite: "c" }]))).violations.length, 2);
  const twice = await runResource(canaryWeightLimit, rewrite([{ modelRewrite: "v1", weight: 16 }, { modelRewrite: "v2", weight: 2 }, { modelRewrite: "v2", weight: 2 }]));
  assert.match(twice.violations[0].message, /target model v2 gets 20% .*\(weight 4 of 20, listed 2 times\)/);
  const legacy = await runResource(canaryWeightLimit, rewrite([{ modelRewrite: "v1", weight: 3 }, { modelRewrite: "v2", weight: 1 }], "kubernetes:inference.networking.x-k8s.io/v1alpha2:InferenceModelRewrite"));
  assert.match(legacy.violations[0].message, /target model v2 gets 25%/);
  assert.deepEqual((await runResource(canaryWeightLimit, rewrite([{ modelRewrite: "v1", weight: 3 }, { modelRewrite: "v2", weight: 1 }]), { maxCanaryWeight: 25 })).violations, []);
  // A weight the CRD refuses (int32 from 1 to 1000000) is named as such: before, "50" read as no weight and the 50/50 split passed.
  const refused = await runResource(canaryWeightLimit, [
    rewrite([{ modelRewrite: "v1", weight: 50 }, { modelRewrite: "v2", weight: "50" as unknown as number }]),
    rewrite([{ modelRewrite: "v1", weight: 100 }, { modelRewrite: "v2", weight: 0 }, { modelRewrite: "v3", weight: 2.5 }]),
  ]);
  assert.deepEqual(refused.violations.map((v) => v.message), [
    'InferenceModelRewrite inference/llama-canary rule 0: target v2 weight "50" is not a weight the CRD takes (an integer from 1 to 1000000): the API server refuses the InferenceModelRewrite',
    "InferenceModelRewrite inference/llama-canary rule 0: targets v2 weight 0, v3 weight 2.5 are not weights the CRD takes (an integer from 1 to 1000000): the API server refuses the InferenceModelRewrite",
  ]);
  // Targets not known in a preview are can't judge, not a pass.
  const unknown = await runResource(canaryWeightLimit, { type: "kubernetes:llm-d.ai/v1alpha2:InferenceModelRewrite", props: { metadata: { name: "x", namespace: "inference" }, spec: { rules: [{ targets: UNKNOWN }] } } });
  assert.deepEqual(unknown.violations, []);
  assert.match(unknown.unknown[0], /the targets of InferenceModelRewrite inference\/x rule 0/);
});

test("canary-weight-limit: the lighter side of a split is a canary in the route's other rules, even once the x-canary rule is gone or reworded", async () => {
  const alone = (matches?: unknown[]) => ({ ...(matches ? { matches } : {}), backendRefs: [{ kind: "InferencePool", name: "pool-v2", weight: 1 }] });
  // The header dropped from the canary's door: a catch-all before the split sends everything to the canary.
  for (const door of [alone([{ path: { type: "PathPrefix", value: "/" } }]), alone(), alone([{ headers: [{ name: "x-beta", value: "true" }] }])]) {
    const r = await runResource(canaryWeightLimit, route([door, refs(95, 5)]), null);
    assert.equal(r.violations.length, 1, JSON.stringify(door));
    assert.match(r.violations[0].message, /^inference\/llama rule 0: canary \(the lighter side of rule 1's split\) pool-v2 gets 100% of the rule's traffic; a canary may get at most 10%/);
  }
  // The stable alone in another rule, a canary scaled to 0 behind its door, and the door itself stay fine.
  const stable = { backendRefs: [{ kind: "InferencePool", name: "pool-v1" }] };
  const door = alone([{ headers: [{ name: "x-canary", value: "true" }] }]);
  assert.deepEqual((await runResource(canaryWeightLimit, route([door, refs(95, 5)]))).violations, []);
  assert.deepEqual((await runResource(canaryWeightLimit, route([door, refs(100, 0), stable]))).violations, []);
});

test("canary-weight-limit and canary-weight-across-routes: TLSRoute and TCPRoute splits are held to the same limits as HTTPRoute's", async () => {
  const svc = (name: string, weight?: number) => ({ kind: "Service", name, port: 5432, ...(weight === undefined ? {} : { weight }) });
  const l4 = (kind: string, backendRefs: unknown[], version = "v1") => ({ type: `kubernetes:gateway.networking.k8s.io/${version}:${kind}`, props: { metadata: { name: "db", namespace: "inference" }, spec: { rules: [{ backendRefs }] } } });
  // Compliant: 95/5, a single backend, weight 0 pinning one out.
  assert.deepEqual((await runResource(canaryWeightLimit, [l4("TLSRoute", [svc("db-v1", 95), svc("db-v2", 5)]), l4("TCPRoute", [svc("db-v1")]), l4("TCPRoute", [svc("db-v1", 100), svc("db-v2", 0)])])).violations, []);
  // Before: not judged at all (only HTTPRoute and GRPCRoute were).
  const fifty = await runResource(canaryWeightLimit, l4("TLSRoute", [svc("db-v1", 50), svc("db-v2", 50)]), null);
  assert.match(fifty.violations.map((v) => v.message).join("\n"), /^inference\/db rule 0: non-primary backend db-v2 gets 50% of the split; a canary may get at most 10%$/m);
  // Omitted weights are 1 each (the CRD's default): a 50/50 split summing to 2; the experimental v1alpha2 TCPRoute too.
  const implicit = await runResource(canaryWeightLimit, l4("TCPRoute", [svc("db-v1"), svc("db-v2")], "v1alpha2"), null);
  assert.deepEqual(implicit.violations.map((v) => v.message), ["inference/db rule 0: split weights 1/1 sum to 2, not 100", "inference/db rule 0: non-primary backend db-v2 gets 50% of the split; a canary may get at most 10%"]);
  const zero = await runResource(canaryWeightLimit, l4("TCPRoute", [svc("db-v1", 0), svc("db-v2", 0)]), null);
  assert.match(zero.violations[0]?.message ?? "", /every backendRef has weight 0 \(db-v1, db-v2\), so all traffic the rule matches has its connections rejected/);
  // A canary an HTTPRoute's x-canary rule declares, sent all the connections of a TCPRoute on the same cluster.
  const door = { matches: [{ headers: [{ name: "x-canary", value: "true" }] }], backendRefs: [svc("db-v2")] };
  const declaring = on(ROUTE, "db", { metadata: { name: "db", namespace: "inference" }, spec: { rules: [door, { backendRefs: [svc("db-v1", 95), svc("db-v2", 5)] }] } });
  const tcp = (backendRefs: unknown[]) => on("kubernetes:gateway.networking.k8s.io/v1:TCPRoute", "db-tcp", { metadata: { name: "db-tcp", namespace: "inference" }, spec: { rules: [{ backendRefs }] } });
  const across = await runStack(canaryWeightAcrossRoutes, [declaring, tcp([svc("db-v2")])]);
  assert.match(across.violations[0]?.message ?? "", /^inference\/db-tcp rule 0 on a: db-v2 gets 100% of the rule's traffic, but it is the canary of route inference\/db/);
  assert.deepEqual((await runStack(canaryWeightAcrossRoutes, [declaring, tcp([svc("db-v1", 95), svc("db-v2", 5)])])).violations, []);
});

test("canary-weight-limit and canary-weight-across-routes: a share just over the limit fails, not rounded down to it", async () => {
  const rewrite = (v1: number, v2: number) => ({
    type: "kubernetes:llm-d.ai/v1alpha2:InferenceModelRewrite",
    props: { metadata: { name: "llama-canary", namespace: "inference" }, spec: { rules: [{ targets: [{ modelRewrite: "llama-v1", weight: v1 }, { modelRewrite: "llama-v2", weight: v2 }] }] } },
  });
  // Before: 100001 of 1000000 was shown and judged as 10%, and passed.
  assert.deepEqual((await runResource(canaryWeightLimit, rewrite(900000, 100000))).violations, []);
  const over = await runResource(canaryWeightLimit, rewrite(899999, 100001), null);
  assert.match(over.violations[0]?.message ?? "", /target model llama-v2 gets 10\.0001% of every request the rule takes \(weight 100001 of 1000000\)/);
  const pool = (name: string, weight?: number) => ({ kind: "InferencePool", name, ...(weight === undefined ? {} : { weight }) });
  const door = { matches: [{ headers: [{ name: "x-canary", value: "true" }] }], backendRefs: [pool("pool-v2")] };
  const declaring = on(ROUTE, "llama", { metadata: { name: "llama", namespace: "inference" }, spec: { rules: [door, { backendRefs: [pool("pool-v1", 95), pool("pool-v2", 5)] }] } });
  const other = on(ROUTE, "llama-ab", { metadata: { name: "llama-ab", namespace: "inference" }, spec: { rules: [{ backendRefs: [pool("pool-v1", 899999), pool("pool-v2", 100001)] }] } });
  assert.match((await runStack(canaryWeightAcrossRoutes, [declaring, other])).violations[0]?.message ?? "", /pool-v2 gets 10\.0001% of the split, but it is the canary of route inference\/llama/);
});

test("canary-weight-limit: a rule not known in a preview leaves the known rules judged", async () => {
  // Before, one computed weight made the whole route can't judge, hiding a known 50/50 beside it.
  const unknownWeight = { backendRefs: [{ kind: "InferencePool", name: "pool-v1", weight: UNKNOWN }, { kind: "InferencePool", name: "pool-v2", weight: 10 }] };
  const mixed = await runResource(canaryWeightLimit, route([unknownWeight, refs(50, 50)]));
  assert.deepEqual(mixed.violations.map((v) => v.message), ["inference/llama rule 1: non-primary backend pool-v2 gets 50% of the split; a canary may get at most 10%"]);
  assert.match(mixed.unknown.join("\n"), /rule 0 of inference\/llama/);
  // Known rules that pass do not make the route pass while another may still fail.
  const later = await runResource(canaryWeightLimit, route([refs(90, 10), unknownWeight]));
  assert.deepEqual(later.violations, []);
  assert.match(later.unknown.join("\n"), /rule 1 of inference\/llama/);
});

test("canary-weight-across-routes: an HTTPRoutePatch is read as the route it patches, as canary-weight-limit reads it", async () => {
  // Before, patches were skipped: a patch sending every request of another route to the canary passed.
  const pool = (name: string, weight?: number) => ({ kind: "InferencePool", name, ...(weight === undefined ? {} : { weight }) });
  const door = { matches: [{ headers: [{ name: "x-canary", type: "Exact", value: "true" }] }], backendRefs: [pool("pool-v2")] };
  const declaring = on(ROUTE, "llama", { metadata: { name: "llama", namespace: "inference" }, spec: { rules: [door, { backendRefs: [pool("pool-v1", 95), pool("pool-v2", 5)] }] } });
  const patch = (name: string, rules: unknown[]) => on(`${ROUTE}Patch`, `${name}-patch`, { metadata: { name, namespace: "inference" }, spec: { rules } });
  const widened = await runStack(canaryWeightAcrossRoutes, [declaring, patch("llama-ab", [{ backendRefs: [pool("pool-v2")] }])]);
  assert.match(widened.violations[0]?.message ?? "", /^inference\/llama-ab rule 0 on a: pool-v2 gets 100% of the rule's traffic, but it is the canary of route inference\/llama/);
  // A patch of the declaring route itself is that route: its own splits are canary-weight-limit's.
  assert.deepEqual((await runStack(canaryWeightAcrossRoutes, [declaring, patch("llama", [door, { backendRefs: [pool("pool-v1", 90), pool("pool-v2", 10)] }])])).violations, []);
  // A patch can declare the canary too.
  const declaringPatch = patch("llama", [door]);
  assert.equal((await runStack(canaryWeightAcrossRoutes, [declaringPatch, on(ROUTE, "llama-ab", { metadata: { name: "llama-ab", namespace: "inference" }, spec: { rules: [{ backendRefs: [pool("pool-v2")] }] } })])).violations.length, 1);
});

test("canary-weight-across-routes: a rule not known in a preview hides no other route's verdict", async () => {
  // Before, reading such a rule threw: the routes after it (and other clusters) went unjudged.
  const pool = (name: string, weight?: unknown) => ({ kind: "InferencePool", name, ...(weight === undefined ? {} : { weight }) });
  const door = { matches: [{ headers: [{ name: "x-canary", type: "Exact", value: "true" }] }], backendRefs: [pool("pool-v2")] };
  const route = (name: string, rules: unknown[]) => on(ROUTE, name, { metadata: { name, namespace: "inference" }, spec: { rules } });
  const declaring = route("llama", [door, { backendRefs: [pool("pool-v1", 95), pool("pool-v2", 5)] }]);
  const later = route("later", [{ backendRefs: [pool("pool-v1", UNKNOWN), pool("pool-v2", 5)] }]);
  const swapped = route("ab", [{ backendRefs: [pool("pool-v1", 5), pool("pool-v2", 95)] }]);
  const result = await runStack(canaryWeightAcrossRoutes, [declaring, later, swapped]);
  assert.deepEqual(result.violations.map((v) => v.urn), [`urn:pulumi:test::inference-mesh::${ROUTE}::a-ab`]);
  assert.match(result.unknown.join("\n"), /rule 0 of route inference\/later on a/);
  // A route with a rule not known yet may declare the canary its own: its known finding waits.
  const mixed = route("ab", [{ backendRefs: [pool("pool-v1", 5), pool("pool-v2", 95)] }, { backendRefs: [pool("pool-v2", UNKNOWN)] }]);
  const waiting = await runStack(canaryWeightAcrossRoutes, [declaring, mixed]);
  assert.deepEqual(waiting.violations, []);
  assert.match(waiting.unknown.join("\n"), /whether inference\/ab's rules not known yet make pool-v2 its own canary/);
});
