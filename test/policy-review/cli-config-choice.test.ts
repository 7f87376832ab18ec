/**
 * `npm run policy` without `--config`: the pack's `config.<stack>.*` applies only to an export of
 * that stack of this repository's project (URNs `urn:pulumi:<stack>::<project>::…`), and the
 * command says which config it used, or why none.
 */
import { test, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { tempDir } from "../support/tmp";
import { repoRoot } from "../support/render";
import { runPolicyCli } from "../support/policy-cli";
import { POLICY_CONFIG_EXTENSIONS } from "../../scripts/lib/review";

const ourProject = /^name:\s*(\S+)/m.exec(fs.readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8"))![1];
fs.mkdirSync(path.join(repoRoot, ".test-cache"), { recursive: true });
// Inside the repository, so that the copy resolves @pulumi/policy as the fixture does.
const work = fs.mkdtempSync(path.join(repoRoot, ".test-cache", "config-choice-"));
after(() => fs.rmSync(work, { recursive: true, force: true }));
const packDir = path.join(work, "pack");
fs.cpSync(path.join(__dirname, "fixture-pack"), packDir, { recursive: true, filter: (src) => !src.includes(`${path.sep}node_modules`) });
// Lowers the fixture's mandatory namespace-label-required to advisory: exit 0 where it applies.
fs.writeFileSync(path.join(packDir, "config.staging.json"), '{"all": "advisory"}\n');

/** An export of one unlabelled Namespace (a mandatory violation of the fixture pack) in `stack` of `project`. */
function exportOf(stack: string, projects: string[]): string {
  const dir = tempDir("review-config-choice-");
  const file = path.join(dir, "export.json");
  const resources = projects.map((project, i) => ({
    urn: `urn:pulumi:${stack}::${project}::kubernetes:core/v1:Namespace::apps${i}`,
    custom: true,
    type: "kubernetes:core/v1:Namespace",
    inputs: { metadata: { name: `apps${i}` } },
    outputs: { metadata: { name: `apps${i}` } },
  }));
  fs.writeFileSync(file, JSON.stringify({ version: 3, deployment: { resources } }));
  return file;
}

function policy(state: string) {
  return runPolicyCli(["--state", state, "--pack", packDir, "--out", "-"], { env: { ...process.env, NODE_OPTIONS: "", INIT_CWD: repoRoot } });
}

test("the pack's config.<stack> applies to that stack of this project, and the command says which and why", () => {
  const res = policy(exportOf("staging", [ourProject]));
  assert.equal(res.status, 0, res.stdout + res.stderr);
  assert.match(res.stdout, new RegExp(`^policy config: \\.test-cache/config-choice-\\w+/pack/config\\.staging\\.json \\(the pack's config for stack 'staging' of project '${ourProject}', named by the export's URNs\\)$`, "m"));
});

test("an export of another project's stack of the same name is not reviewed with our config.<stack>, and the command says why", () => {
  const res = policy(exportOf("staging", ["shop"]));
  assert.equal(res.status, 1, "the pack's defaults: the mandatory violation stands\n" + res.stdout + res.stderr);
  assert.doesNotMatch(res.stdout, /^policy config:/m);
  assert.match(res.stderr, new RegExp(`^policy config: none \\(no --config, no policy-config\\.json beside the state, and the export is of stack 'staging' of project 'shop', not of this repository's project '${ourProject}' \\(Pulumi\\.yaml\\), so .*config\\.staging\\.json is this project's config for its own stack 'staging', not for it\\): the pack's defaults apply`, "m"));
});

test("an export whose URNs name two projects, or no resources at all, picks no config and says so", () => {
  const mixed = policy(exportOf("staging", [ourProject, "shop"]));
  assert.equal(mixed.status, 1, mixed.stdout + mixed.stderr);
  assert.match(mixed.stderr, new RegExp(`policy config: none \\(.*the export's URNs name 2 stacks \\('staging' of project '${ourProject}', 'staging' of project 'shop'\\), so no .*config\\.<stack>\\.\\* is picked\\)`));
  const empty = policy(exportOf("staging", []));
  assert.equal(empty.status, 0, empty.stdout + empty.stderr);
  assert.match(empty.stderr, /policy config: none \(.*the export holds no resources, so its URNs name no stack to pick .*config\.<stack>\.\* by\)/);
});

/**
 * A render's directory for stack `qa` of this project (its stack.json and the policy-config.json it
 * wrote, lowering the fixture's mandatory violation) with an export of `stack` of `project` copied
 * into it as copy.json.
 */
function copiedBesideRender(stack: string, project: string): { copy: string; config: string } {
  const dir = path.dirname(exportOf("qa", [ourProject]));
  fs.renameSync(path.join(dir, "export.json"), path.join(dir, "stack.json"));
  const config = path.join(dir, "policy-config.json");
  fs.writeFileSync(config, '{"all": "advisory"}\n');
  const copy = path.join(dir, "copy.json");
  fs.renameSync(exportOf(stack, [project]), copy);
  return { copy, config };
}

/** `file` as the command names it (from where `npm run` was called), escaped for a RegExp. */
const esc = (file: string) => path.relative(repoRoot, file).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

test("a policy-config.json beside the state is taken for an export of the stack and project its render's stack.json names", () => {
  const { copy, config } = copiedBesideRender("qa", ourProject);
  const res = policy(copy);
  assert.equal(res.status, 0, res.stdout + res.stderr);
  assert.match(res.stdout, new RegExp(`^policy config: ${esc(config)}$`, "m"));
  assert.doesNotMatch(res.stderr, /is not used/);
  const own = policy(path.join(path.dirname(copy), "stack.json"));
  assert.equal(own.status, 0, "the render's own stack.json takes it too\n" + own.stdout + own.stderr);
});

test("a policy-config.json beside an export of another stack or project is not used: a warning names both files, and the pack's config.<stack> or none applies", () => {
  for (const [stack, project] of [["other", ourProject], ["qa", "shop"]]) {
    const { copy, config } = copiedBesideRender(stack, project);
    const res = policy(copy);
    assert.equal(res.status, 1, `the pack's defaults: the mandatory violation stands\n${res.stdout}${res.stderr}`);
    assert.doesNotMatch(res.stdout, /^policy config:/m);
    const sibling = path.join(path.dirname(copy), "stack.json");
    assert.match(res.stderr, new RegExp(`^warning: ${esc(config)} is not used: it is the config of stack 'qa' of project '${ourProject}' \\(the URNs of ${esc(sibling)}, which the render wrote beside it\\), and the URNs of ${esc(copy)} name stack '${stack}' of project '${project}'; pass --config ${esc(config)} to review with it anyway$`, "m"));
    assert.match(res.stderr, /^policy config: none \(no --config, the policy-config\.json beside the state not the export's, and /m);
  }
  // Past the beside config, the pack's config.staging.json applies to an export of staging of this project.
  const { copy } = copiedBesideRender("staging", ourProject);
  const res = policy(copy);
  assert.equal(res.status, 0, res.stdout + res.stderr);
  assert.match(res.stdout, /^policy config: .*\/pack\/config\.staging\.json \(the pack's config for stack 'staging'/m);
  assert.match(res.stderr, /^warning: .*policy-config\.json is not used: /m);
});

test("a stack of this project without a config.<stack> file is named", () => {
  const res = policy(exportOf("qa", [ourProject]));
  assert.equal(res.status, 1, res.stdout + res.stderr);
  assert.match(res.stderr, new RegExp(`policy config: none \\(.*no .*config\\.qa\\.\\{json,yaml,yml\\} for stack 'qa' of project '${ourProject}' named by the export's URNs\\)`));
});

test("a deployment export given as --config is named as one, not refused for its `version` key", () => {
  const state = exportOf("staging", [ourProject]);
  const res = runPolicyCli(["--state", state, "--config", exportOf("prod", ["shop"]), "--pack", packDir, "--out", "-"]);
  assert.equal(res.status, 2, res.stdout + res.stderr);
  assert.match(res.stderr, /policy config .*export\.json is a deployment export \(`pulumi stack export` output, of stack 'prod' of project 'shop'\), not a policy config \(\{"<policy>": "<level>" \| \{enforcementLevel\?, …\}\}\); review an export with npm run policy -- --state export\.json/);
  assert.doesNotMatch(res.stderr, /neither an enforcement level/);
});

test("the pack's config.<stack> is its .json, else its .yaml, else its .yml", () => {
  // .json names no level (the fixture's mandatory violation stands); the .yaml beside it would lower it.
  fs.writeFileSync(path.join(packDir, "config.both.json"), "{}\n");
  fs.writeFileSync(path.join(packDir, "config.both.yaml"), "all: advisory\n");
  const both = policy(exportOf("both", [ourProject]));
  assert.equal(both.status, 1, both.stdout + both.stderr);
  assert.match(both.stdout, /^policy config: .*\/pack\/config\.both\.json \(/m);
  fs.writeFileSync(path.join(packDir, "config.yamls.yaml"), "all: advisory\n");
  fs.writeFileSync(path.join(packDir, "config.yamls.yml"), "{}\n");
  const yamls = policy(exportOf("yamls", [ourProject]));
  assert.equal(yamls.status, 0, yamls.stdout + yamls.stderr);
  assert.match(yamls.stdout, /^policy config: .*\/pack\/config\.yamls\.yaml \(/m);
  fs.writeFileSync(path.join(packDir, "config.ymlonly.yml"), "all: advisory\n");
  const yml = policy(exportOf("ymlonly", [ourProject]));
  assert.equal(yml.status, 0, yml.stdout + yml.stderr);
  assert.match(yml.stdout, /^policy config: .*\/pack\/config\.ymlonly\.yml \(/m);
});

test("README says which config a review uses as this file checks it", () => {
  const readme = fs.readFileSync(path.join(repoRoot, "README.md"), "utf8");
  const lists = [...readme.matchAll(/config\.<stack>\.\{([^}]*)\}/g)].map((m) => m[1]);
  assert.ok(lists.length > 0, "README names the pack's config.<stack>.{…} files");
  for (const list of lists) assert.equal(list, POLICY_CONFIG_EXTENSIONS.join(","), "README lists the extensions policyConfigFor takes, in its order");
  const start = readme.indexOf("\n#### Which pack config a review uses\n");
  assert.ok(start >= 0, "README has a 'Which pack config a review uses' section");
  // Up to the next heading, its lines joined: a phrase may wrap anywhere.
  const section = readme.slice(start, readme.indexOf("\n#", start + 1)).replace(/\s+/g, " ");
  // npm run policy's order, as the tests above and policy.ts take it.
  const steps = [" 1. `--config FILE`", " 2. `policy-config.json` in the state file's directory", " 3. the pack's", " 4. no file"].map((s) => section.indexOf(s));
  assert.ok(steps.every((at, i) => at >= 0 && (i === 0 || at > steps[i - 1])), `the four steps in order: ${steps}`);
  assert.match(section, /`config\.<stack>\.json`, else `config\.<stack>\.yaml`, else `config\.<stack>\.yml`/);
  assert.match(section, /this repository's \(Pulumi\.yaml's `name:`\)/);
  for (const why of ["another project's stack of the same name", "no resources", "several stacks or projects", "Pulumi.yaml cannot be read", "copied into the render directory of another stack or project"]) assert.ok(section.includes(why), why);
});
