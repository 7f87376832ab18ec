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
import { selectedWorkloads } from "../../policy/lib/picker-service";
import { isUnknownError } from "../../policy/lib/values";
import { UNKNOWN } from "../support/policy";
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

test("selectedWorkloads reads each workload's namespace once per list, not once per pool or picker Service that asks", () => {
  const deploy = (namespace: string, i: number, metadata: Record<string, unknown> = { name: `w-${i}`, namespace }) =>
    on("kubernetes:apps/v1:Deployment", `${namespace}-w-${i}`, { metadata, spec: { template: { metadata: { labels: { app: `w-${i % 5}` } }, spec: { containers: [] } } } });
  const namespaces = ["inference", "agents", "tools", "other"];
  const { resources, reads } = countingReads(namespaces.flatMap((ns) => Array.from({ length: 50 }, (_, i) => deploy(ns, i))));
  const expected = resources.filter((r) => r.name.startsWith("a-inference-") && /-w-\d*[27]$/.test(r.name));
  assert.deepEqual(selectedWorkloads(resources, "inference", { app: "w-2" }), expected);
  const before = reads();
  for (let i = 0; i < 20; i++) assert.deepEqual(selectedWorkloads(resources, "inference", { app: "w-2" }), expected);
  // Each call reads only the labels of the namespace's 50 workloads (and their pod templates), not all 200.
  const perCall = (reads() - before) / 20;
  assert.ok(perCall <= 50, `each call read ${perCall} workloads' props`);
  // A workload whose namespace this preview cannot read makes every scan of the list "not known", as before.
  const hidden = [deploy("inference", 98), deploy("tools", 99, { name: "w-99", namespace: UNKNOWN }), deploy("inference", 97)];
  for (let i = 0; i < 2; i++) assert.throws(() => selectedWorkloads(hidden, "inference", { app: "w-3" }), (e: unknown) => isUnknownError(e));
  // One whose labels are not known hides only its own namespace's selections.
  const unlabelled = [deploy("tools", 2), on("kubernetes:apps/v1:Deployment", "agents-w-x", { metadata: { name: "x", namespace: "agents" }, spec: { template: { metadata: { labels: UNKNOWN }, spec: {} } } })];
  assert.deepEqual(selectedWorkloads(unlabelled, "tools", { app: "w-2" }), [unlabelled[0]]);
  assert.throws(() => selectedWorkloads(unlabelled, "agents", { app: "w-2" }), (e: unknown) => isUnknownError(e));
});
