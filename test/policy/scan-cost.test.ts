/**
 * What the pack's shared helpers cost per call, counted rather than timed (a timing varies with the
 * machine): a helper that every rule calls for every resource, or per object per pool, must not
 * redo per call what one stack's review can do once (the bench's targets, README `npm run bench`).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { isKind } from "../../policy/lib/k8s";

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
