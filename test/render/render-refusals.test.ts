/**
 * What the render refuses, with the exit code that says whose mistake it is: a bad config or stack
 * file exits 1 naming it (a duplicated cluster, a config too large for PULUMI_CONFIG, stack files
 * that cannot be rendered offline, a policy config pulumi preview would refuse) and leaves out/
 * untouched; a wrong command (an unknown stack, bad options) exits 2 with a usage line and touches
 * nothing outside the output root. The render contract itself is render.test.ts's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { renderConfigExpectingFailure, shippedPlatform, runRender, repoRoot } from "../support/render";
import { tempDir } from "../support/tmp";

test("a duplicated cluster name exits 1, names the duplicate, and leaves out/ untouched", () => {
  const platform = shippedPlatform("prod");
  platform.clusters.push({ ...platform.clusters[1], network: "net-extra" });
  const good = renderConfigExpectingFailure("prod", shippedPlatform("local"));
  // First a good render into the same out dir, so there is something to leave untouched.
  const first = runRender(["--stack", "prod", "--stack-file", path.join(good.outDir, "Pulumi.bad.yaml")], good.outDir);
  assert.equal(first.code, 0, first.stderr);
  const before = fs.readFileSync(path.join(good.outDir, "prod", "stack.json"), "utf8");
  fs.writeFileSync(path.join(good.outDir, "Pulumi.dup.yaml"), `config:\n  inference-mesh:platform: ${JSON.stringify(platform)}\n`);
  const bad = runRender(["--stack", "prod", "--stack-file", path.join(good.outDir, "Pulumi.dup.yaml")], good.outDir);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /inference-mesh:platform\.clusters\[3\]\.name: duplicate cluster name 'aws-euw1'/);
  assert.ok(!/\n\s+at /.test(bad.stderr), "no stack trace");
  assert.equal(fs.readFileSync(path.join(good.outDir, "prod", "stack.json"), "utf8"), before);
  assert.deepEqual(fs.readdirSync(good.outDir).filter((f) => f.startsWith(".")), [], "no temp dirs left");
});

test("a config too large for PULUMI_CONFIG exits 1 naming the field, with the other problems, and writes nothing", () => {
  // The CLI starts the program (and the pack) with the whole config in one environment variable;
  // this one failed the render with a bare 'spawn E2BIG' when the pack process was started.
  const platform = shippedPlatform("local");
  platform.tools[1].description = "x".repeat(300_000);
  platform.tools[0].port = 15008;
  const run = renderConfigExpectingFailure("local", platform);
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /invalid platform config \(2 problems\):\n {2}inference-mesh:platform\.tools\[1\]\.description: makes the stack's config \d+ bytes as PULUMI_CONFIG, .*\(E2BIG\): shorten it\n {2}inference-mesh:platform\.tools\[0\]\.port: is reserved by Istio/);
  assert.doesNotMatch(run.stderr, /spawn E2BIG|\n\s+at /);
  assert.deepEqual(fs.readdirSync(run.outDir), ["Pulumi.bad.yaml"]);
});

test("an unknown stack is a clear error (exit 2: the command is wrong, not the config)", () => {
  const out = tempDir("im-");
  const r = runRender(["--stack", "no-such-stack-xyz"], out);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no stack config stacks\/Pulumi\.no-such-stack-xyz\.yaml; known stacks: .*\bdev\b.*\blocal\b.*\bprod\b/);
});

test("bad invocations exit 2 with a usage line, no stack trace, and touch nothing outside the output root", () => {
  const root = tempDir("im-cli-");
  const out = path.join(root, "out");
  const victim = path.join(root, "victim");
  fs.mkdirSync(victim);
  fs.writeFileSync(path.join(victim, "data.txt"), "keep");
  const cases: [string[], RegExp][] = [
    [["--stack", "local", "--bogus"], /Unknown option '--bogus'/],
    [["--stack", "../victim"], /'\.\.\/victim' is not a stack name/],
    [["--stack", ".."], /'\.\.' is not a stack name/],
    [["--stack", "my stack"], /'my stack' is not a stack name/],
    [["--stack", "local", "--stack-file", root], /is a directory, not a stack config file/],
    [["--stack", "local", "--policy-pack", victim], /is not a policy pack/],
    // Empty values (an unset shell variable): `--policy-config ""` was read as none (the stack's pack
    // config silently dropped), `--out ""` rendered everything and then failed with ENOENT (exit 1).
    [["--stack", "local", "--policy-config", ""], /option '--policy-config' needs a value, got an empty string/],
    [["--stack-file", "", "--stack", "local"], /option '--stack-file' needs a value, got an empty string/],
  ];
  for (const [args, expected] of cases) {
    const r = runRender(args, out);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, expected);
    assert.match(r.stderr, /usage: npm run render/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
  assert.equal(fs.readFileSync(path.join(victim, "data.txt"), "utf8"), "keep");
  assert.ok(!fs.existsSync(out) || fs.readdirSync(out).length === 0, "nothing written");
  // `--out ""` last (runRender puts its own --out last): refused before the program runs, nothing
  // written where the render was started.
  const emptyOut = spawnSync(process.execPath, ["--import", "tsx", path.join(repoRoot, "scripts", "render.ts"), "--stack", "local", "--out", ""], {
    cwd: repoRoot, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "", INIT_CWD: root },
  });
  assert.equal(emptyOut.status, 2, emptyOut.stderr);
  assert.match(emptyOut.stderr, /option '--out' needs a value, got an empty string\nusage: npm run render/);
  assert.deepEqual(fs.readdirSync(root).filter((e) => e !== "victim" && e !== "out"), [], "nothing written beside the victim");
});

test("stack files that cannot be rendered offline are named: bad YAML, encrypted values, .inf/.nan numbers, a plain-string platform, the platform set twice, a project file, a deployment export, bytes that are not UTF-8; so is a policy config pulumi preview would refuse", () => {
  const dir = tempDir("im-bad-");
  const cases: [string, string | Buffer, RegExp][] = [
    ["yaml", "config:\n  inference-mesh:platform:\n    environment: [unclosed\n", /stack config .*Pulumi\.yaml\.yaml is not valid YAML\/JSON/],
    // Saved as Windows-1252 (é is 0xe9): the CLI's yaml.v3 refuses the bytes; read as U+FFFD it rendered.
    ["latin1", Buffer.from(`config:\n  # café\n  inference-mesh:platform: ${JSON.stringify(shippedPlatform("local"))}\n`, "latin1"), /stack config .*Pulumi\.latin1\.yaml is not valid YAML\/JSON: line 2 holds bytes that are not UTF-8 \(0xe9 at byte \d+\), which the Pulumi CLI's YAML reader refuses \("invalid leading UTF-8 octet"\): save the file as UTF-8/],
    ["secure", "config:\n  inference-mesh:platform:\n    secure: v1:abcdef\n", /inference-mesh:platform: is encrypted \(secure:\)/],
    ["nested", `config:\n  inference-mesh:platform: ${JSON.stringify({ ...shippedPlatform("local"), environment: { secure: "v1:x" } })}\n`, /inference-mesh:platform\.environment: is encrypted/],
    // YAML's .inf/.nan have no JSON form: JSON.stringify made them null ("received null").
    ["inf", "config:\n  inference-mesh:platform:\n    mesh:\n      ca:\n        validityHours: .inf\n    models:\n      - parametersBillions: .nan\n", /inference-mesh:platform\.mesh\.ca\.validityHours: is \.inf or \.nan: .*\n\s+inference-mesh:platform\.models\[0\]\.parametersBillions: is \.inf or \.nan/],
    ["string", "config:\n  inference-mesh:platform: just a string\n", /inference-mesh:platform: must be a structured \(YAML mapping\) value/],
    // The CLI qualifies `platform` into a Go map: with both keys, which one a run keeps is random.
    ["both", "config:\n  platform: {}\n  inference-mesh:platform: {}\n", /inference-mesh:platform: set twice in .*Pulumi\.both\.yaml, as 'platform' and 'inference-mesh:platform'/],
    ["project", "name: inference-mesh\nruntime: nodejs\nconfig:\n  platform:\n    description: the spec\n", /Pulumi\.project\.yaml is a Pulumi project file/],
    ["export", JSON.stringify({ version: 3, deployment: { resources: [{ urn: "urn:pulumi:prod::shop::pulumi:pulumi:Stack::shop-prod", custom: false, type: "pulumi:pulumi:Stack" }] } }), /stack config .*Pulumi\.export\.yaml is a deployment export \(`pulumi stack export` output, of stack 'prod' of project 'shop'\), not a stack config \(Pulumi\.<stack>\.yaml with a `config:` mapping\); review an export with npm run policy -- --state Pulumi\.export\.yaml/],
  ];
  for (const [name, content, expected] of cases) {
    const file = path.join(dir, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, content);
    const r = runRender(["--stack-file", file], dir);
    assert.equal(r.code, 1, `${name}: ${r.stderr}`);
    assert.match(r.stderr, expected, name);
    assert.ok(!/\n\s+at /.test(r.stderr), `${name}: no stack trace`);
    assert.ok(!fs.existsSync(path.join(dir, name)), `${name}: nothing rendered`);
  }
  const missingPolicyConfig = runRender(["--stack", "local", "--policy-config", path.join(dir, "nope.yaml")], dir);
  assert.equal(missingPolicyConfig.code, 2, "a file that is not there is a wrong command");
  assert.match(missingPolicyConfig.stderr, /--policy-config .*nope\.yaml: no such file/);
  // A pack config pulumi preview would refuse (a misspelt policy given properties and no level:
  // the engine's Configure fails with 'invalid enforcement level ""') is a bad config: exit 1,
  // naming the file, nothing rendered, rather than a policy-config.json the CLI cannot take.
  const typo = path.join(dir, "typo.json");
  fs.writeFileSync(typo, JSON.stringify({ "canary-weight-limt": { maxCanaryWeight: 5 } }));
  const refused = runRender(["--stack", "local", "--policy-config", typo], dir);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /policy config .*typo\.json \(over stack 'local' policy: settings\) is invalid for policy pack inference-mesh:\n  canary-weight-limt: .*no enforcementLevel pulumi preview refuses the config .*did you mean canary-weight-limit\?/);
  assert.ok(!/\n\s+at /.test(refused.stderr), "no stack trace");
  assert.ok(!fs.existsSync(path.join(dir, "local")), "nothing rendered");
});
