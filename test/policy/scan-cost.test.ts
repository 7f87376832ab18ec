/**
 * What the pack's shared helpers cost per call, counted rather than timed (a timing varies with the
 * machine): a helper that every rule calls for every resource, or per object per pool, must not
 * redo per call what one stack's review can do once (the bench's targets, README `npm run bench`).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import type { PolicyResource } from "@pulumi/policy";
import { isKind } from "../../policy/lib/k8s";
import { withRenderedIstio } from "../../policy/lib/istio-rendered";
import { istiodsOf } from "../../policy/lib/istiod-revisions";
import { v4Chart, istiodObjects } from "./mesh-support";
import { on } from "./authz-support";

/** The resources with each `props` read counted (as guard.ts trackReads redefines it). */
function countingReads(resources: PolicyResource[]): { resources: PolicyResource[]; reads: () => number } {
  let reads = 0;
  for (const r of resources) {
    const props = r.props;
    Object.defineProperty(r, "props", { configurable: true, enumerable: true, get: () => (reads++, props) });
  }
  return { resources, reads: () => reads };
}

/** How many times `RegExp.prototype.exec` runs during `run`. */
function execCalls(run: () => void): number {
  const exec = RegExp.prototype.exec;
  let calls = 0;
  RegExp.prototype.exec = function (this: RegExp, s: string) {
    calls++;
    return exec.call(this, s);
  };
  try {
    run();
  } finally {
    RegExp.prototype.exec = exec;
  }
  return calls;
}

test("isKind reads a type token once, however often it is asked (every rule asks for every resource)", () => {
  const type = "kubernetes:scan-cost.example.com/v1beta1:Widget";
  const calls = execCalls(() => {
    for (let i = 0; i < 1000; i++) {
      assert.equal(isKind(type, "scan-cost.example.com", "Widget"), true);
      assert.equal(isKind(type, "scan-cost.example.com", "Gadget"), false);
      assert.equal(isKind(type, "other.example.com", "Widget"), false);
    }
  });
  assert.ok(calls <= 1, `isKind parsed the same type ${calls} times`);
  // Still what the token says: group and kind of any version, nothing else.
  assert.equal(isKind("kubernetes:scan-cost.example.com/v1:Widget", "scan-cost.example.com", "Widget"), true);
  assert.equal(isKind("kubernetes:core/v1:Widget", "scan-cost.example.com", "Widget"), false);
  assert.equal(isKind("aws:scan-cost.example.com/v1:Widget", "scan-cost.example.com", "Widget"), false);
  assert.equal(isKind("kubernetes:scan-cost.example.com:Widget", "scan-cost.example.com", "Widget"), false);
  assert.equal(isKind("", "", ""), false);
});

test("withRenderedIstio reads a cluster's objects once per list, however many pools, routes and gateways ask (istiodsOf)", () => {
  const workloads = Array.from({ length: 20 }, (_, i) => on("kubernetes:apps/v1:Deployment", `app-${i}`, { metadata: { name: `app-${i}`, namespace: "inference" }, spec: { template: { spec: { containers: [{ name: "app", image: "app:1" }] } } } }));
  const { resources, reads } = countingReads([...v4Chart("a", "istiod", istiodObjects({ profile: "ambient" })), ...workloads]);
  const first = withRenderedIstio(resources);
  const once = reads();
  assert.ok(once > 0);
  const again = Array.from({ length: 50 }, () => withRenderedIstio(resources));
  assert.equal(reads(), once, `asked 50 times more, it read the objects ${reads() - once} times more`);
  assert.ok(again.every((a) => a === first));
  // Still the stand-in for istiod's objects, found by every reader: one istiod, a Release of chart istiod.
  const istiods = istiodsOf(resources);
  assert.deepEqual(istiods.map((r) => [r.type, r.props.chart]), [["kubernetes:helm.sh/v3:Release", "istiod"]]);
  assert.equal(first.length, resources.length + 1);
  // Another list (another policy's, another cluster's) is read for itself.
  const other = [...resources];
  assert.notEqual(withRenderedIstio(other), first);
  assert.deepEqual(withRenderedIstio(other).slice(resources.length).map((r) => r.props.chart), ["istiod"]);
});
