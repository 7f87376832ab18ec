/**
 * `npm run policy -- --state FILE` given something that is not a deployment export it can review:
 * each is refused with exit 2 and a message naming the file and what a state file must be, never
 * a bare JavaScript error ("Maximum call stack size exceeded", "Unexpected end of JSON input").
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { readDeploymentFile } from "../../scripts/lib/review";
import { MAX_VALUE_DEPTH } from "../../scripts/lib/export-shape";
import { tempDir } from "../support/tmp";
import { runPolicyCli } from "../support/policy-cli";

const dir = tempDir("state-bad-input-");
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};
const shape = String.raw`expected \{"version":3,"deployment":\{"resources":\[…\]\}\}, a deployment export \(out/<stack>/stack\.json or \`pulumi stack export\` output\)$`;
/** An export of one resource whose inputs nest `depth` objects under `a` (as text: JSON.stringify overflows first). */
const nested = (depth: number) => {
  const resource = `{"urn":"urn:pulumi:s::p::t:m:T::n","type":"t:m:T","custom":true,"inputs":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`;
  return `{"version":3,"deployment":{"resources":[${resource}]}}`;
};

test("an empty file, or one that is not JSON, is named with what a state file must be", () => {
  for (const [name, text, what] of [["empty.json", "", "is empty"], ["blank.json", " \n", "is empty"], ["text.json", "not json{", String.raw`not valid JSON \(.*\)`]]) {
    const file = write(name, text);
    assert.throws(() => readDeploymentFile(file), { message: new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: ${what}; ${shape}`) });
  }
});

test("values nested deeper than the review reads are refused naming the file, resource and path, not with a stack overflow", () => {
  assert.doesNotThrow(() => readDeploymentFile(write("deep-ok.json", nested(MAX_VALUE_DEPTH))));
  const file = write("deep.json", nested(20_000));
  assert.throws(() => readDeploymentFile(file), {
    message: new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: deployment\\.resources\\[0\\] \\(urn:pulumi:s::p::t:m:T::n\\) inputs(\\.a)+…: values nested more than ${MAX_VALUE_DEPTH} levels deep, more than this review reads; expected at most ${MAX_VALUE_DEPTH}`),
  });
  // Deep enough to overflow the review's walk of the values (the wire encoding) but not the read.
  const cli = runPolicyCli(["--state", write("deep-1000.json", nested(1000)), "--out", "-"]);
  assert.equal(cli.status, 2, cli.stdout + cli.stderr);
  assert.match(cli.stderr, /^policy review failed: .*deep-1000\.json: deployment\.resources\[0\] .*values nested more than \d+ levels deep/m);
  assert.doesNotMatch(cli.stderr, /Maximum call stack/);
});
