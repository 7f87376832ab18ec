/**
 * `npm run policy` run from a subdirectory: npm starts the script in the package root, and the
 * paths it prints must name the files from where the caller is, as the paths it reads do.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { tempDir } from "../support/tmp";
import { packDir } from "../support/review-fixture";
import { runPolicyCli } from "../support/policy-cli";


test("paths printed by npm run policy are relative to the directory it was called from", () => {
  const base = tempDir("review-cli-paths-");
  const work = path.join(base, "work");
  fs.mkdirSync(work);
  fs.mkdirSync(path.join(base, "state"));
  fs.writeFileSync(path.join(base, "state", "stack.json"), JSON.stringify({ version: 3, deployment: {} }));
  fs.writeFileSync(path.join(work, "cfg.yaml"), "all: advisory\n");
  const res = runPolicyCli(["--state", "../state/stack.json", "--config", "cfg.yaml", "--pack", packDir], { env: { ...process.env, NODE_OPTIONS: "", INIT_CWD: work } });
  assert.ok(res.status === 0 || res.status === 1, res.stderr);
  assert.ok(fs.existsSync(path.join(base, "state", "policy.json")), "the report is written beside the state file");
  assert.match(res.stdout, /^policy config: cfg\.yaml$/m);
  assert.match(res.stderr, /^note: cfg\.yaml is YAML/m);
  assert.match(res.stdout, /^policy report: \.\.\/state\/policy\.json$/m);
});
