/** The text report `npm run policy` prints (scripts/lib/review-format.ts). */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { formatReport } from "../../scripts/lib/review-format";
import type { PolicyReport } from "../../scripts/lib/review";

const report = (stack: string, project: string, resources: number): PolicyReport => ({
  stack,
  project,
  policyPack: { name: "pack", version: "1.0.0" },
  summary: { mandatory: 0, advisory: 0, resources, policies: 1, passed: 1, undecryptableSecrets: 0 },
  violations: [],
  policies: [{ name: "p", description: "d", type: "stack", enforcementLevel: "mandatory", verdict: "pass", violations: 0, evaluated: 1 }],
});

test("the header names the stack, and an export with no resources (whose URNs would name it) as such, not as 'stack /'", () => {
  assert.match(formatReport(report("prod", "inference-mesh", 3)), /^Policy pack pack@1\.0\.0 on stack inference-mesh\/prod: 3 resources, 1 policies$/m);
  const empty = formatReport(report("", "", 0));
  assert.match(empty, /^Policy pack pack@1\.0\.0 on a stack with no resources: 0 resources, 1 policies$/m);
  assert.doesNotMatch(empty, /stack \//);
});
