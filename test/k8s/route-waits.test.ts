import { test } from "node:test";
import assert from "node:assert/strict";
import { routeWaitsFor } from "../../components/k8s/route-waits";

test("routeWaitsFor: the versions a route sends traffic to (a weight or the canary header) that have replicas", () => {
  const versions = [
    { name: "stable", weight: 100, canary: false, replicas: 2 },
    { name: "dark", weight: 0, canary: true, replicas: 1 },
    { name: "parked", weight: 0, canary: true, replicas: 0 },
    { name: "idle", weight: 0, canary: false, replicas: 3 },
    { name: "drained", weight: 50, canary: false, replicas: 0 },
  ];
  assert.deepEqual(routeWaitsFor(versions, (v) => v.replicas).map((v) => v.name), ["stable", "dark"]);
  // Replicas come from the caller: a model version without its own count has the model's.
  const model = { replicas: 2, versions: [{ name: "v1", weight: 100, canary: false }, { name: "v2", weight: 0, canary: true, replicas: 0 }] };
  assert.deepEqual(routeWaitsFor(model.versions, (v: { replicas?: number }) => v.replicas ?? model.replicas).map((v) => v.name), ["v1"]);
});
