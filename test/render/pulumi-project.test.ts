/**
 * What a real `pulumi up` / `pulumi preview --policy-pack policy` reads before the program runs,
 * checked against the Pulumi CLI's own rules (pulumi/pulumi: pkg/engine/project.go getPwdMain,
 * sdk/go/common/workspace/project.go Project.Validate, pkg/workspace/config.go mergeConfig) and
 * @pulumi/pulumi 3.248.0's cmd/run/run.js, which the nodejs language host starts.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import * as ts from "typescript";
import { CONFIG_ROOT, PLATFORM_KEY, PROJECT } from "../../infra/config";
import { repoRoot } from "../support/render";

interface ConfigDecl {
  type?: string;
  items?: unknown;
  default?: unknown;
  value?: unknown;
  description?: string;
}

const project = yaml.load(fs.readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8")) as {
  name: string;
  main?: string;
  stackConfigDir?: string;
  config?: Record<string, ConfigDecl>;
};

/**
 * The engine's working directory and program for a `main`: a directory becomes the working
 * directory (program "."), a file's directory likewise (program its base name); none keeps the
 * project root (getPwdMain).
 */
function pwdMain(root: string, main?: string): { pwd: string; program: string } {
  if (!main) return { pwd: root, program: "." };
  const target = path.resolve(root, main);
  return fs.statSync(target).isDirectory() ? { pwd: target, program: "." } : { pwd: path.dirname(target), program: path.basename(target) };
}

/** run.js: program "." is the nearest package.json's `main`, searched upward from the working directory. */
function entryPoint(pwd: string, program: string): string {
  if (program !== ".") return path.join(pwd, program);
  let dir = pwd;
  while (!fs.existsSync(path.join(dir, "package.json"))) dir = path.dirname(dir);
  const main = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).main as string | undefined;
  return main ? path.join(dir, main) : pwd;
}

/** The compiler options ts-node takes from a tsconfig.json (`extends` followed, as ts-node's readConfig does). */
function effectiveOptions(file: string): ts.CompilerOptions {
  const read = ts.readConfigFile(file, ts.sys.readFile);
  assert.equal(read.error, undefined, `${file} reads`);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(file), undefined, file);
  assert.deepEqual(parsed.errors.filter((e) => e.code !== 18003), [], `${file} parses`);
  return parsed.options;
}

test("pulumi up type-checks the program with the project's compiler options", () => {
  // run.js looks for `tsconfig.json` in its working directory only, which `main: infra/` makes
  // infra/: without one there, ts-node compiled with its defaults (target ES2020, its lib without
  // Object.hasOwn) and the first `pulumi up` failed with TS2550 in infra/regions.ts.
  const { pwd, program } = pwdMain(repoRoot, project.main);
  assert.equal(project.main, "infra/", "issue 2: the program lives in infra/");
  const tsconfig = path.join(pwd, "tsconfig.json");
  assert.ok(fs.existsSync(tsconfig), `no tsconfig.json in ${path.relative(repoRoot, pwd) || "."}, where the language host runs the program`);
  assert.equal(entryPoint(pwd, program), path.join(repoRoot, "infra", "index.ts"));
  // What ts-node compiles with there is what `npm test` type-checks with.
  const used = effectiveOptions(tsconfig);
  const checked = effectiveOptions(path.join(repoRoot, "tsconfig.json"));
  for (const key of ["target", "module", "moduleResolution", "lib", "strict", "esModuleInterop", "types"] as const) {
    assert.deepEqual(used[key], checked[key], `compilerOptions.${key}`);
    assert.notEqual(used[key], undefined, `compilerOptions.${key} is set`);
  }
});

test("pulumi preview --policy-pack policy starts the pack in policy/ with its own tsconfig.json and entry", () => {
  const meta = yaml.load(fs.readFileSync(path.join(repoRoot, "policy", "PulumiPolicy.yaml"), "utf8")) as { main?: string };
  const { pwd, program } = pwdMain(path.join(repoRoot, "policy"), meta.main);
  assert.ok(fs.existsSync(path.join(pwd, "tsconfig.json")));
  assert.equal(entryPoint(pwd, program), path.join(repoRoot, "policy", "index.ts"));
  const pkg = JSON.parse(fs.readFileSync(path.join(pwd, "package.json"), "utf8"));
  // ts-node from the pack's node_modules (else the CLI falls back to a vendored ts-node 7).
  assert.ok(pkg.devDependencies["ts-node"] || pkg.dependencies["ts-node"]);
});

test("Pulumi.yaml's config block passes the CLI's project rules, and the program reads the key it declares", () => {
  const projectKey = (key: string) => !key.includes(":") || key.startsWith(`${project.name}:`);
  for (const [key, decl] of Object.entries(project.config ?? {})) {
    assert.ok(!(decl.default !== undefined && decl.value !== undefined), `${key}: not both default and value`);
    if (projectKey(key)) {
      if (decl.type === "array") assert.ok(decl.items, `${key}: an array declares its items`);
    } else {
      // Another namespace's key (pulumi:, aws:) is a value, never a type or a default.
      assert.equal(decl.type, undefined, key);
      assert.equal(decl.default, undefined, key);
      assert.notEqual(decl.value, undefined, `${key}: namespaced keys need a value`);
    }
  }
  assert.deepEqual(project.config?.["pulumi:disable-default-providers"]?.value, ["kubernetes", "aws", "gcp"]);
  // `platform` has no default: a stack without it fails in the CLI ("missing configuration value").
  assert.ok(project.config?.[PLATFORM_KEY]);
  assert.equal(project.config?.[PLATFORM_KEY]?.type, undefined, "untyped: the CLI's object type would not hold the structured value's rules anyway");
  assert.equal(PROJECT, project.name);
  assert.equal(CONFIG_ROOT, `${project.name}:${PLATFORM_KEY}`);
  const stacksDir = path.join(repoRoot, project.stackConfigDir ?? ".");
  for (const file of fs.readdirSync(stacksDir).filter((f) => /^Pulumi\..+\.yaml$/.test(f))) {
    const doc = yaml.load(fs.readFileSync(path.join(stacksDir, file), "utf8")) as { config: Record<string, unknown> };
    const value = doc.config[CONFIG_ROOT] ?? doc.config[PLATFORM_KEY];
    assert.ok(value && typeof value === "object" && !Array.isArray(value), `${file} sets ${CONFIG_ROOT} as a mapping`);
  }
});
