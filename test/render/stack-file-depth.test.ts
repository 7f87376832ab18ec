/**
 * A stack file nesting its values thousands of levels deep: js-yaml reads nesting by recursion and
 * ran out of stack ("Maximum call stack size exceeded", some 1,800 levels down), and the render
 * named that, not the file's problem. The Pulumi CLI's yaml.v3 takes up to 10000 levels
 * (scannerc.go max_flow_level, max_indents), far past anything a platform config nests, so the
 * render refuses values nested more than MAX_VALUE_DEPTH levels, naming the file and the limit.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadProject, loadStackConfig } from "../../scripts/lib/stack-config";
import { MAX_VALUE_DEPTH } from "../../scripts/lib/export-shape";
import { runRender, shippedPlatform } from "../support/render";
import { tempDir } from "../support/tmp";

/** `levels` nested block mappings under the platform's `environment`, as an editor indents them. */
const blockNested = (levels: number) => {
  let body = "config:\n  inference-mesh:platform:\n";
  for (let i = 0; i < levels; i++) body += `${"  ".repeat(i + 2)}a:\n`;
  return `${body}${"  ".repeat(levels + 2)}b: 1\n`;
};

const flowNested = (levels: number) => `config:\n  inference-mesh:platform:\n    environment: ${"[".repeat(levels)}${"]".repeat(levels)}\n`;

test("a stack file nesting past the YAML reader's recursion is named with the file and what is allowed, not as a stack overflow", () => {
  const dir = tempDir("im-deep-");
  for (const [name, body] of [["flow", flowNested(5000)], ["block", blockNested(5000)]]) {
    const file = path.join(dir, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, body);
    assert.throws(
      () => loadStackConfig(name, file),
      (err: Error) => {
        assert.equal(err.message, `stack config ${file} nests its values too deeply to read (past the YAML reader's recursion); expected at most ${MAX_VALUE_DEPTH} levels of mappings and lists (a platform config nests about a dozen)`, name);
        return true;
      },
    );
  }
});

test("a stack file the YAML reader takes but nesting more than MAX_VALUE_DEPTH levels is refused at the first path past it", () => {
  const dir = tempDir("im-deep-path-");
  const file = path.join(dir, "Pulumi.deep.yaml");
  fs.writeFileSync(file, blockNested(MAX_VALUE_DEPTH + 10));
  assert.throws(
    () => loadStackConfig("deep", file),
    (err: Error) => {
      assert.match(err.message, new RegExp(`^stack config ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: config\\.inference-mesh:platform(\\.a)+\\.?…: values nested more than ${MAX_VALUE_DEPTH} levels deep; expected at most ${MAX_VALUE_DEPTH} levels of mappings and lists \\(a platform config nests about a dozen\\)$`));
      return true;
    },
  );
  // At the limit it reads (the platform's own rules judge it then).
  const ok = path.join(dir, "Pulumi.ok.yaml");
  fs.writeFileSync(ok, blockNested(MAX_VALUE_DEPTH - 3));
  assert.doesNotThrow(() => loadStackConfig("ok", ok));
  // Pulumi.yaml is read by the same reader, and named as the project file.
  const root = tempDir("im-deep-project-");
  fs.writeFileSync(path.join(root, "Pulumi.yaml"), `name: inference-mesh\nruntime: nodejs\nconfig:\n  x:\n    default: ${"[".repeat(5000)}${"]".repeat(5000)}\n`);
  assert.throws(() => loadProject(root), (err: Error) => err.message.startsWith(`project file ${path.join(root, "Pulumi.yaml")} nests its values too deeply to read`));
});

test("the render exits 1 on such a stack file, naming it, with no stack trace and nothing written", () => {
  const dir = tempDir("im-deep-render-");
  const platform = JSON.stringify(shippedPlatform("local"));
  const file = path.join(dir, "Pulumi.deep.yaml");
  fs.writeFileSync(file, `config:\n  inference-mesh:platform: ${platform.replace('"environment":"local"', `"environment":${"[".repeat(5000)}${"]".repeat(5000)}`)}\n`);
  const r = runRender(["--stack-file", file], dir);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /stack config .*Pulumi\.deep\.yaml nests its values too deeply to read \(past the YAML reader's recursion\); expected at most 256 levels/);
  assert.doesNotMatch(r.stderr, /Maximum call stack|\n\s+at /);
  assert.ok(!fs.existsSync(path.join(dir, "deep")), "nothing rendered");
});
