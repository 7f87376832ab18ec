/**
 * Anchors and aliases in a stack file. js-yaml shares an anchored value among its aliases, so a
 * "billion laughs" file (nine levels of ten aliases each) loads at once, and every reader after it
 * (depth check, config string, schema) walked the 10^9 values it expands to: the render hung. The
 * Pulumi CLI's yaml.v3 (v3.0.1 decode.go, allowedAliasRatio) refuses such a document ("document
 * contains excessive aliasing"), and so does the render now, naming the file; ordinary anchors,
 * aliases and merge keys read as before.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { loadStackConfig } from "../../scripts/lib/stack-config";
import { repoRoot } from "../support/render";
import { tempDir } from "../support/tmp";

const shipped = (stack: string) => fs.readFileSync(path.join(repoRoot, "stacks", `Pulumi.${stack}.yaml`), "utf8");

/** Nine anchored lists of ten aliases of the one before, the last one a tool's description. */
function aliasBomb(): string {
  const levels = ["&l0 [" + Array(10).fill("lol").join(",") + "]"];
  for (let i = 1; i < 9; i++) levels.push(`&l${i} [${Array(10).fill(`*l${i - 1}`).join(",")}]`);
  return shipped("local").replace("        port: 8000\n", `        port: 8000\n        description: [${levels.join(", ")}]\n`);
}

test("a stack file whose aliases expand past what yaml.v3 allows is refused naming the file, promptly, and out/ is left alone", () => {
  const dir = tempDir("im-alias-bomb-");
  const file = path.join(dir, "Pulumi.bomb.yaml");
  fs.writeFileSync(file, aliasBomb());
  const out = path.join(dir, "out");
  const res = spawnSync(process.execPath, ["--import", "tsx", path.join(repoRoot, "scripts", "render.ts"), "--stack-file", file, "--out", out], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "" },
    timeout: 60_000,
  });
  assert.equal(res.signal, null, "the render hung on the aliases (killed after 60 s)");
  assert.equal(res.status, 1, res.stderr);
  assert.ok(res.stderr.includes(`stack config ${file}: its anchors and aliases expand`), res.stderr);
  assert.match(res.stderr, /document contains excessive aliasing/);
  assert.doesNotMatch(res.stderr, /^\s+at /m, "no stack trace");
  assert.equal(fs.existsSync(path.join(out, "bomb")), false);
});

test("an anchor whose value contains its own alias is refused as yaml.v3 refuses it, not walked forever", () => {
  const dir = tempDir("im-alias-self-");
  const file = path.join(dir, "Pulumi.self.yaml");
  fs.writeFileSync(file, shipped("local").replace("        port: 8000\n", "        port: 8000\n        description: &me [a, *me]\n"));
  assert.throws(
    () => loadStackConfig("self", file),
    (err: Error) => err.message.startsWith(`stack config ${file}: `) && /an anchor's value contains its own alias.*"anchor '…' value contains itself"/.test(err.message),
  );
});

test("ordinary anchors, aliases and merge keys read as the CLI reads them", () => {
  const dir = tempDir("im-alias-ok-");
  const file = path.join(dir, "Pulumi.anchors.yaml");
  // prod's two g5.12xlarge groups, the second one merged from the first; the tools' port aliased.
  const text = shipped("prod")
    .replace("          - name: gpu-a10g\n", "          - &a10g\n            name: gpu-a10g\n")
    .replace(/          - name: gpu-a10g-spot\n            instanceType: g5\.12xlarge\n/, "          - <<: *a10g\n            name: gpu-a10g-spot\n")
    .replace("        port: 8000\n", "        port: &toolPort 8000\n")
    .replace("        port: 8000\n", "        port: *toolPort\n");
  fs.writeFileSync(file, text);
  const platform = JSON.parse(loadStackConfig("anchors", file).config["inference-mesh:platform"]);
  const expected = JSON.parse(loadStackConfig("prod").config["inference-mesh:platform"]);
  assert.deepEqual(platform.clusters[1].nodeGroups[1], { ...expected.clusters[1].nodeGroups[1], instanceType: "g5.12xlarge" });
  assert.deepEqual(platform, expected);
});
