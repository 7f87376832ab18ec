/**
 * walkValues (policy/lib/values.ts): the one walk over a tree of values behind the SDK's
 * unknown-checking proxy, shared by the credential-ref and inline-key readers.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { unknownCheckingProxy } from "@pulumi/policy";
import { walkValues } from "../../policy/lib/values";
import { UNKNOWN } from "../support/policy";

/** Runs the walk, `descend` saying where to go in; returns the visited and the unreadable paths, in order. */
function walk(tree: unknown, descend: (key: string) => boolean = () => true) {
  const visited: string[] = [];
  const unreadable: string[] = [];
  walkValues(
    tree,
    "spec",
    ({ key, path, inList }) => {
      visited.push(`${path}${inList ? " (item)" : ""}`);
      return descend(key);
    },
    (path, key) => unreadable.push(key === undefined ? `${path} (keys)` : path),
  );
  return { visited, unreadable };
}

test("walkValues: every child readable, depth first with its path; one not known yet is named with its key and hides nothing beside it", () => {
  const tree = unknownCheckingProxy({ a: { b: 1, c: [{ d: "x" }, UNKNOWN, "y"] }, e: UNKNOWN, f: null });
  assert.deepEqual(walk(tree), {
    visited: ["spec.a", "spec.a.b", "spec.a.c", "spec.a.c[0] (item)", "spec.a.c[0].d", "spec.a.c[2] (item)", "spec.f"],
    unreadable: ["spec.a.c[1]", "spec.e"],
  });
  const keys: (string | undefined)[] = [];
  walkValues(tree, "spec", () => true, (_, key) => keys.push(key));
  assert.deepEqual(keys, ["1", "e"]);
});

test("walkValues: a child the visitor judged whole is not walked into; a node whose keys cannot be listed is unreadable as a whole", () => {
  assert.deepEqual(walk(unknownCheckingProxy({ auth: { key: UNKNOWN }, other: { key: 1 } }), (key) => key !== "auth"), {
    visited: ["spec.auth", "spec.other", "spec.other.key"],
    unreadable: [],
  });
  class UnknownValueError extends Error {}
  const unlistable = new Proxy(
    {},
    {
      ownKeys: () => {
        throw new UnknownValueError("keys not known");
      },
    },
  );
  assert.deepEqual(walk({ a: unlistable, b: 2 }), { visited: ["spec.a", "spec.b"], unreadable: ["spec.a (keys)"] });
  assert.deepEqual(walk("scalar"), { visited: [], unreadable: [] });
  assert.throws(() => walk({ a: new Proxy({}, { ownKeys: () => { throw new TypeError("a bug"); } }) }), TypeError);
});
