/**
 * Gateway API namespace admission as the pack's three readers take it (lib/listener-routes.ts
 * admitsNamespace): a listener's allowedRoutes (absent `from` is Same, the CRD's default), a
 * Gateway's allowedListeners (absent is None, its CRD default) and a waypoint's HBONE listener
 * (allowedRoutes, where Istio reads a Selector without a selector as matching nothing).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { admitsNamespace, type Admission } from "../../policy/lib/listener-routes";

const routes: Admission = { unset: "Same", noSelector: true };
const listeners: Admission = { unset: "None", noSelector: true };
const waypoint: Admission = { unset: "Same", noSelector: false };
const team = (labels: Record<string, string> | undefined) => () => labels;
const notRead = () => {
  throw new Error("labels read for a `from` that does not need them");
};

test("admitsNamespace: an absent `from` is the reader's default, Same or None", () => {
  assert.equal(admitsNamespace(undefined, "gw", "gw", notRead, routes), true);
  assert.equal(admitsNamespace({}, "gw", "apps", notRead, routes), false);
  assert.equal(admitsNamespace(undefined, "gw", "gw", notRead, listeners), false);
  assert.equal(admitsNamespace({ from: "Same" }, "gw", "gw", notRead, listeners), true);
  assert.equal(admitsNamespace({ from: "None" }, "gw", "gw", notRead, listeners), false);
  // A value outside the enum (the API server refuses it) reads as the default.
  assert.equal(admitsNamespace({ from: "same" }, "gw", "gw", notRead, routes), true);
  assert.equal(admitsNamespace({ from: "same" }, "gw", "gw", notRead, listeners), false);
  for (const how of [routes, listeners, waypoint]) assert.equal(admitsNamespace({ from: "All" }, "gw", "apps", notRead, how), true);
});

test("admitsNamespace: a Selector matches the namespace's labels and its name; unseen labels admit", () => {
  const selector = { matchLabels: { team: "a" } };
  for (const how of [routes, listeners, waypoint]) {
    assert.equal(admitsNamespace({ from: "Selector", selector }, "gw", "apps", team({ team: "a" }), how), true);
    assert.equal(admitsNamespace({ from: "Selector", selector }, "gw", "gw", team({ team: "b" }), how), false, "the Gateway's own namespace only when it matches");
    assert.equal(admitsNamespace({ from: "Selector", selector }, "gw", "apps", team(undefined), how), true);
  }
  const byName = { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["apps"] }] };
  assert.equal(admitsNamespace({ from: "Selector", selector: byName }, "gw", "apps", team({}), routes), true);
  // Without a selector: every namespace for routes and ListenerSets, none for a waypoint.
  assert.equal(admitsNamespace({ from: "Selector", selector: null }, "gw", "apps", team({}), routes), true);
  assert.equal(admitsNamespace({ from: "Selector" }, "gw", "apps", team({}), listeners), true);
  assert.equal(admitsNamespace({ from: "Selector", selector: null }, "gw", "apps", team({}), waypoint), false);
});
