/**
 * A policy config file that opens Pulumi ESC environments (`environments`, pkg/resource/analyzer
 * config.go parsePolicyPackConfig at v3.248.0): pulumi preview opens them for the pack (update.go:
 * their policyConfig under the file's, their variables in the pack's environment), so the render's
 * policy-config.json, which the README hands to preview, keeps them, and the review, which opens
 * none, says so instead of judging silently as if they were not there.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { runRender } from "../support/render";
import { tempDir } from "../support/tmp";
import { packDir } from "../support/review-fixture";
import { runPolicyCli } from "../support/policy-cli";

const ENVS = ["platform/policy-prod", "platform/registry"];

test("npm run policy: a --config opening ESC environments is reviewed on the file alone, and the report notes the environments it did not open", () => {
  const dir = tempDir("review-esc-");
  const state = path.join(dir, "state.json");
  fs.writeFileSync(state, JSON.stringify({ version: 3, deployment: { resources: [{ urn: "urn:pulumi:staging::shop::pulumi:pulumi:Stack::shop-staging", custom: false, type: "pulumi:pulumi:Stack", outputs: {} }] } }));
  const config = path.join(dir, "cfg.json");
  fs.writeFileSync(config, JSON.stringify({ environments: ENVS, "explicit-provider": "advisory" }));
  const res = runPolicyCli(["--state", state, "--config", config, "--pack", packDir, "--json", "--out", "-"]);
  assert.equal(res.status, 0, res.stderr);
  const notes: string[] = JSON.parse(res.stdout).notes ?? [];
  assert.ok(
    notes.some((n) => n.includes("opens Pulumi ESC environments (platform/policy-prod, platform/registry), which this review does not open") && /a DIY backend refuses/.test(n)),
    notes.join("\n"),
  );
});

test("render: the ESC environments of the pack config reach out/<stack>/policy-config.json, which pulumi preview reads, and the render notes them", () => {
  const dir = tempDir("render-esc-");
  const config = path.join(dir, "cfg.json");
  fs.writeFileSync(config, JSON.stringify({ environments: ENVS, "images-pinned": { enforcementLevel: "mandatory" } }));
  const r = runRender(["--stack", "local", "--policy-config", config], path.join(dir, "out"));
  assert.equal(r.code, 0, r.stderr);
  const written = JSON.parse(fs.readFileSync(path.join(r.dir, "policy-config.json"), "utf8"));
  assert.deepEqual(written.environments, ENVS);
  assert.equal(written["images-pinned"].enforcementLevel, "mandatory");
  assert.match(r.stdout, /note: policy config opens Pulumi ESC environments \(platform\/policy-prod, platform\/registry\)/);
});
