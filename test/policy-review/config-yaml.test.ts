/**
 * A `.yaml` policy config (read offline only): values JSON cannot hold are refused naming where
 * they are, since the render hands pulumi preview the same config as JSON.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { readPolicyConfigDocument } from "../../scripts/lib/policy-config-file";
import { tempDir } from "../support/tmp";

// Before, `.inf` reached the schema check as Infinity and was refused as "must be <= 100 (is null)",
// and an undeclared property holding it would have become null in policy-config.json.
test("a YAML policy config with .inf, .nan or a number beyond a float64 is refused naming the knob", () => {
  const dir = tempDir("policy-config-yaml-");
  const file = (name: string, content: string) => {
    fs.writeFileSync(path.join(dir, name), content);
    return path.join(dir, name);
  };
  assert.throws(() => readPolicyConfigDocument(file("inf.yaml", "canary-weight-limit:\n  maxCanaryWeight: .inf\n")), /inf\.yaml: canary-weight-limit\.maxCanaryWeight is infinite \(\.inf, or a number beyond a float64's range such as 1e400\), which JSON has no number for/);
  assert.throws(() => readPolicyConfigDocument(file("nan.yml", "agent-call-graph:\n  extraCallers:\n    tools: [.nan]\n")), /nan\.yml: agent-call-graph\.extraCallers\.tools\.0 is \.nan,/);
  // YAML reads 1e400 as Infinity too: the message must not claim the file says .inf or .nan.
  assert.throws(() => readPolicyConfigDocument(file("big.yaml", "canary-weight-limit:\n  maxCanaryWeight: 1e400\n")), /big\.yaml: canary-weight-limit\.maxCanaryWeight is infinite \(\.inf, or a number beyond a float64's range/);
  assert.deepEqual(readPolicyConfigDocument(file("ok.yaml", "canary-weight-limit:\n  maxCanaryWeight: 20\n")), { document: { "canary-weight-limit": { maxCanaryWeight: 20 } }, format: "yaml" });
});
