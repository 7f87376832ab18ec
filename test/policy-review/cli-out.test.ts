/**
 * `npm run policy --out`: where the JSON report cannot go is a wrong command (exit 2), said before
 * the review runs, and the files the review reads are never replaced by the report. A missing
 * `--state` is named too.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { tempDir } from "../support/tmp";
import { repoRoot } from "../support/render";
import { packDir } from "../support/review-fixture";
import { runPolicyCli, type PolicyCliOptions } from "../support/policy-cli";

const exportText = JSON.stringify({ version: 3, deployment: { resources: [{ urn: "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s", custom: false, type: "pulumi:pulumi:Stack" }] } });

const policy = (args: string[], options?: PolicyCliOptions) => runPolicyCli(["--pack", packDir, ...args], options);

test("a report that would replace the state or config it reviews is refused (exit 2) and both files stay as they were", () => {
  const dir = tempDir("review-cli-out-");
  const state = path.join(dir, "export.json");
  const config = path.join(dir, "cfg.json");
  const named = path.join(dir, "policy.json"); // `pulumi stack export > policy.json`: the default --out
  const link = path.join(dir, "link.json");
  for (const f of [state, named]) fs.writeFileSync(f, exportText);
  fs.writeFileSync(config, '{"all": "advisory"}\n');
  fs.symlinkSync(state, link);
  const cases: [string[], string, RegExp][] = [
    [["--state", state, "--out", state], state, /the report .*export\.json would overwrite the state file \(--state\) the review reads; give --out another FILE, or --out - for none/],
    [["--state", state, "--out", link], state, /would overwrite the state file/],
    [["--state", named], named, /the report .*policy\.json \(policy\.json beside the state file, when no --out is given\) would overwrite the state file/],
    [["--state", state, "--config", config, "--out", config], config, /would overwrite the policy config the review reads/],
  ];
  for (const [args, kept, expected] of cases) {
    const before = fs.readFileSync(kept, "utf8");
    const res = policy(args);
    assert.equal(res.status, 2, `${args.join(" ")}: ${res.stdout}${res.stderr}`);
    assert.match(res.stderr, expected);
    assert.equal(fs.readFileSync(kept, "utf8"), before, `${kept} is unchanged`);
  }
});

test("an --out that is a directory, or lies below a file, is refused (exit 2) before the review", () => {
  const dir = tempDir("review-cli-out-dir-");
  const state = path.join(dir, "export.json");
  fs.writeFileSync(state, exportText);
  const file = path.join(dir, "a-file");
  fs.writeFileSync(file, "");
  for (const [out, expected] of [[dir, /is a directory; --out takes the report's file name \(such as .*policy\.json\), or - for none/], [path.join(file, "sub", "r.json"), /cannot be written: .*a-file is a file, not a directory/]] as const) {
    const res = policy(["--state", state, "--out", out]);
    assert.equal(res.status, 2, `${out}: ${res.stdout}${res.stderr}`);
    assert.match(res.stderr, expected);
    assert.doesNotMatch(res.stdout, /Policy pack/, "refused before the review");
  }
  // A new file beside the state, and `-`, still take the report (or none).
  assert.equal(policy(["--state", state, "--out", path.join(dir, "new", "r.json")]).status, 0);
  assert.ok(fs.existsSync(path.join(dir, "new", "r.json")));
  assert.equal(policy(["--state", state, "--out", "-"]).status, 0);
});

test("a policy report passed as --state is named as one (not refused for the report path it would take), and left as it was", () => {
  const dir = tempDir("review-cli-report-");
  const report = path.join(dir, "policy.json");
  const text = JSON.stringify({ stack: "prod", project: "inference-mesh", policyPack: { name: "p", version: "1" }, summary: { mandatory: 0 }, violations: [], policies: [] });
  fs.writeFileSync(report, text);
  const res = policy(["--state", report]);
  assert.equal(res.status, 2, `${res.stdout}${res.stderr}`);
  assert.match(res.stderr, /policy\.json: a policy report \(the policy\.json a review writes\), not a deployment export: review the stack\.json beside it/);
  assert.equal(fs.readFileSync(report, "utf8"), text);
});

test("without --state the command says what is missing and what it takes (exit 2), not only the usage line", () => {
  const res = policy(["--json"]);
  assert.equal(res.status, 2, `${res.stdout}${res.stderr}`);
  assert.match(res.stderr, /^policy: --state FILE is required: the deployment export to review \(out\/<stack>\/stack\.json from a render, or `pulumi stack export` output\)\nusage: npm run policy -- --state FILE/);
  assert.equal(res.stdout, "");
});

test("a state piped in (--state /dev/stdin) gets no report file in /dev unless --out says where; one redirected from a file gets it beside that file", { skip: !fs.existsSync("/dev/stdin") && "no /dev/stdin here" }, () => {
  const devReport = "/dev/policy.json";
  const existed = fs.existsSync(devReport);
  // Through a shell's pipe, as `pulumi stack export |` gives it: node's own stdin pipes are sockets.
  const piped = spawnSync("sh", ["-c", 'printf "%s" "$EXPORT" | "$NODE" --import tsx scripts/policy.ts --pack "$PACK" --state /dev/stdin'], {
    cwd: repoRoot, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "", EXPORT: exportText, NODE: process.execPath, PACK: packDir },
  });
  assert.equal(piped.status, 0, piped.stdout + piped.stderr);
  assert.match(piped.stderr, /policy report: not written: --state \/dev\/stdin is not a regular file \(a pipe or a terminal\), so there is no directory beside it for policy\.json; give --out FILE to keep the report/);
  assert.equal(fs.existsSync(devReport), existed, "nothing written to /dev");
  const dir = tempDir("review-cli-stdin-");
  const state = path.join(dir, "export.json");
  fs.writeFileSync(state, exportText);
  const fd = fs.openSync(state, "r");
  const redirected = policy(["--state", "/dev/stdin"], { stdio: [fd, "pipe", "pipe"] });
  fs.closeSync(fd);
  assert.equal(redirected.status, 0, redirected.stdout + redirected.stderr);
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, "policy.json"), "utf8")).summary.mandatory, 0, "the report beside the redirected file");
  assert.equal(fs.existsSync(devReport), existed);
});

test("a state on standard input that is a socket (a spawning program's stdin) is read, not refused with open's ENXIO", { skip: !fs.existsSync("/dev/stdin") && "no /dev/stdin here" }, () => {
  // node's spawn hands the child a socket pair, which open('/dev/stdin') cannot open.
  const res = policy(["--state", "/dev/stdin"], { input: exportText });
  assert.equal(res.status, 0, res.stdout + res.stderr);
  assert.doesNotMatch(res.stderr, /ENXIO/);
  assert.match(res.stdout, /Policy pack review-fixture@[\d.]+ on stack p\/s: 1 resources/);
  assert.match(res.stderr, /policy report: not written: --state \/dev\/stdin is not a regular file/);
});

test("a --pack that is not a pack is a wrong command (exit 2) said first, before any note on the state or its config", () => {
  const dir = tempDir("review-cli-pack-");
  const state = path.join(dir, "export.json");
  fs.writeFileSync(state, exportText);
  const res = runPolicyCli(["--state", state, "--pack", dir]);
  assert.equal(res.status, 2, res.stdout + res.stderr);
  assert.match(res.stderr, /^policy: --pack .*review-cli-pack-\w+ is not a policy pack \(no PulumiPolicy\.yaml\)\n$/);
  assert.equal(res.stdout, "");
  assert.deepEqual(fs.readdirSync(dir), ["export.json"], "no report written");
});

test("a render's output directory given as --state is refused (exit 2) naming the stack.json in it to give instead", () => {
  const dir = tempDir("review-cli-statedir-");
  fs.mkdirSync(path.join(dir, "prod"));
  fs.writeFileSync(path.join(dir, "prod", "stack.json"), exportText);
  const res = policy(["--state", "prod"], { env: { ...process.env, NODE_OPTIONS: "", INIT_CWD: dir } });
  assert.equal(res.status, 2, res.stdout + res.stderr);
  assert.match(res.stderr, /prod is a directory \(--state takes a deployment export: .*\); give --state prod\/stack\.json, the export the render wrote there\n/);
  assert.deepEqual(fs.readdirSync(path.join(dir, "prod")), ["stack.json"], "no report written");
});
