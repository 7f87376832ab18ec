/**
 * The platform config schema, the version splits of models and agents: weights, canaries and
 * policy.maxCanaryWeight, replicas. Each broken config is rejected with a message naming its config
 * path (expectProblem, ./support).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { shippedPlatform } from "../support/render";
import { RejectCase, testRejections } from "./support";

test("a version may be parked at 0 replicas with weight 0", () => {
  const p = shippedPlatform("prod");
  p.agents[0].versions = [{ ...p.agents[0].versions[0], weight: 100 }, { ...p.agents[0].versions[1], weight: 0, replicas: 0 }];
  assert.doesNotThrow(() => parsePlatform(p, "test"));
});

const cases: RejectCase[] = [
  {
    name: "weights that do not sum to 100",
    mutate: (p) => (p.models[1].versions[1].weight = 0) ,
    path: "inference-mesh:platform.models[1].versions",
    message: /weights sum to 95, must be 100/,
  },
  {
    name: "a 50/50 canary above policy.maxCanaryWeight",
    mutate: (p) => {
      p.models[0].versions[0].weight = 50;
      p.models[0].versions[1].weight = 50;
    },
    path: "inference-mesh:platform.models[0].versions[1].weight",
    message: /canary weight 50 exceeds policy.maxCanaryWeight 10/,
  },
  {
    name: "a canary promoted by giving it all the traffic, with the promotion's steps",
    mutate: (p) => (p.models[1].versions = [{ name: "v1", weight: 0 }, { name: "v2", weight: 100, canary: true }]),
    path: "inference-mesh:platform.models[1].versions[1].weight",
    message: /canary weight 100 exceeds policy.maxCanaryWeight 10; .*to promote it, drop its canary: true and make the version it replaces the canary at weight 0, or remove that version/,
  },
  {
    name: "an agent canary above a lowered policy.maxCanaryWeight",
    mutate: (p) => (p.policy = { ...(p.policy ?? {}), maxCanaryWeight: 2 }),
    path: "inference-mesh:platform.agents[0].versions[1].weight",
    message: /canary weight 5 exceeds policy.maxCanaryWeight 2/,
  },
  {
    name: "a split without a canary",
    mutate: (p) => (p.models[0].versions[1].canary = false),
    path: "inference-mesh:platform.models[0].versions",
    message: /has 0 canaries, must have exactly one/,
  },
  {
    name: "two canaries in one split",
    mutate: (p) => (p.agents[0].versions[0].canary = true),
    path: "inference-mesh:platform.agents[0].versions",
    message: /has 2 canaries, must have exactly one/,
  },
  {
    name: "a canary weight given as a fraction",
    mutate: (p) => (p.models[0].versions[1].weight = 0.05),
    path: "inference-mesh:platform.models[0].versions[1].weight",
    message: /int/i,
  },
  {
    name: "an agent version scaled to zero that still receives traffic",
    mutate: (p) => (p.agents[0].versions[1].replicas = 0),
    path: "inference-mesh:platform.agents[0].versions[1].replicas",
    message: /version 'v2' has 0 replicas but receives 5% of the traffic/,
  },
  {
    name: "a third version above the canary limit beside the primary",
    mutate: (p) => {
      p.models[0].versions[0].weight = 50;
      p.models[0].versions.push({ name: "v1b", weight: 45, replicas: 1 });
    },
    path: "inference-mesh:platform.models[0].versions[2].weight",
    message: /version 'v1b' gets 45% beside the primary 'v1'/,
  },
];

testRejections(cases);

// The routes split "95/5 unless configured": a split that writes no weight gets that default.
test("a stable version and a canary without weights split 95/5, a lone version gets 100", () => {
  const p = shippedPlatform("prod");
  for (const v of [...p.models[0].versions, ...p.agents[0].versions]) delete v.weight;
  p.models[1].versions = [{ name: "v1" }];
  const written = structuredClone(p);
  const spec = parsePlatform(p, "test");
  assert.deepEqual(spec.models[0].versions.map((v) => [v.name, v.canary, v.weight]), [["v1", false, 95], ["v2", true, 5]]);
  assert.deepEqual(spec.agents[0].versions.map((v) => [v.name, v.canary, v.weight]), [["v1", false, 95], ["v2", true, 5]]);
  assert.deepEqual(spec.models[1].versions.map((v) => v.weight), [100]);
  assert.deepEqual(p, written, "the config as written is left unchanged");
});

testRejections([
  {
    name: "a split that weights its stable version only",
    mutate: (p) => delete p.models[0].versions[1].weight,
    path: "inference-mesh:platform.models[0].versions[1].weight",
    message: /is required \(number\): it must be a whole number from 0 to 100; a split gets default weights only when it writes none .*95\/5 for one stable version and one canary/,
  },
  {
    name: "a default 5% canary over a lower policy.maxCanaryWeight, saying the 5 is the default",
    mutate: (p) => {
      p.policy.maxCanaryWeight = 3;
      for (const item of [...p.models, ...p.agents]) item.versions.forEach((v: any) => (v.weight = v.canary ? 3 : 97));
      p.models[0].versions.forEach((v: any) => delete v.weight);
    },
    path: "inference-mesh:platform.models[0].versions[1].weight",
    message: /canary weight 5 exceeds policy.maxCanaryWeight 3; .*no weight is written in this split, so it got the default, .*95\/5 .*: write its weights/,
  },
  {
    name: "a canary parked at 0 replicas in a split that writes no weight, saying its 5% is the default",
    mutate: (p) => {
      p.models[1].versions.forEach((v: any) => delete v.weight);
      p.models[1].versions[1].replicas = 0;
    },
    path: "inference-mesh:platform.models[1].versions[1].replicas",
    message: /has 0 replicas but receives 5% of the traffic; .*no weight is written in this split, so it got the default, .*95\/5 .*: write its weights/,
  },
  {
    name: "three unweighted versions (no default split for them)",
    mutate: (p) => (p.agents[0].versions = [{ name: "a", image: "ghcr.io/x/a:1" }, { name: "b", image: "ghcr.io/x/b:1" }, { name: "c", image: "ghcr.io/x/c:1", canary: true }]),
    path: "inference-mesh:platform.agents[0].versions[2].weight",
    message: /is required \(number\)/,
  },
  {
    name: "a lone unweighted canary, whose weight message names the shapes that get defaults",
    mutate: (p) => (p.models[0].versions = [{ name: "v1", canary: true }]),
    path: "inference-mesh:platform.models[0].versions[0].weight",
    message: /is required \(number\): .*100 for one stable version,/,
  },
  {
    name: "two unweighted versions without a canary",
    mutate: (p) => p.models[0].versions.forEach((v: any) => (delete v.weight, delete v.canary)),
    path: "inference-mesh:platform.models[0].versions[0].weight",
    message: /is required \(number\)/,
  },
]);
