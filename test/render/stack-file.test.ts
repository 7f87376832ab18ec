/**
 * A stack file read as the Pulumi CLI reads it: gopkg.in/yaml.v3 (sdk/go/common/encoding), whose
 * resolve.go parses a plain integer with strconv.ParseInt(s, 0, 64), so a leading 0 makes it
 * octal. js-yaml reads YAML 1.2 decimal: where the two differ the render refuses the value, naming
 * its path, rather than render a config `pulumi up` would not run. How `Pulumi.yaml` is read (where
 * stacks are, its config declarations, a renamed project) is project-file.test.ts's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadStackConfig } from "../../scripts/lib/stack-config";
import { validateStack } from "../../scripts/lib/render";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_ROOT, ConfigError, loadPlatformSpec } from "../../infra/config";
import { runRender, shippedPlatform } from "../support/render";
import { tempDir } from "../support/tmp";
import { stackFile } from "../support/stack-file";

test("an integer written with a leading zero (octal to the Pulumi CLI) is refused at its config path; one that reads alike is not", () => {
  const dir = tempDir("im-octal-");
  const file = stackFile(dir, "octal", "config:\n  inference-mesh:platform:\n    mesh:\n      istiodReplicas: 010\n    models:\n      - replicas: -0_12\n        versions: [{weight: 0100}]\n");
  assert.throws(
    () => loadStackConfig("octal", file),
    (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.message.split("\n").slice(1), [
        "  inference-mesh:platform.mesh.istiodReplicas: is written 010, which the Pulumi CLI's YAML reader takes as the octal number 8 (this render would read 10); write 10 without the leading 0, or 8 if octal was meant (quote it for text)",
        "  inference-mesh:platform.models[0].replicas: is written -0_12, which the Pulumi CLI's YAML reader takes as the octal number -10 (this render would read -12); write -12 without the leading 0, or -10 if octal was meant (quote it for text)",
        "  inference-mesh:platform.models[0].versions[0].weight: is written 0100, which the Pulumi CLI's YAML reader takes as the octal number 64 (this render would read 100); write 100 without the leading 0, or 64 if octal was meant (quote it for text)",
      ]);
      return true;
    },
  );
  // 007 is 7 either way, 089 is no octal (yaml.v3 falls back to the float 89), "010" is text; merge keys and anchors stay.
  const alike = stackFile(dir, "alike", "config:\n  inference-mesh:platform:\n    a: 007\n    b: 089\n    c: \"010\"\n    d: 0o10\n    base: &b {x: 1}\n    e: {<<: *b, y: 2}\n");
  assert.deepEqual(JSON.parse(loadStackConfig("alike", alike).config["inference-mesh:platform"]), { a: 7, b: 89, c: "010", d: 8, base: { x: 1 }, e: { x: 1, y: 2 } });
  // Any other key of the stack: named too.
  assert.throws(() => loadStackConfig("other", stackFile(dir, "other", "config:\n  aws:maxRetries: 010\n")), /stack config aws:maxRetries: is written 010, which the Pulumi CLI's YAML reader takes as the octal number 8/);
});

test("the render exits 1 on such a stack file, naming the path, with nothing written", () => {
  const dir = tempDir("im-octal-render-");
  const platform = JSON.stringify({ ...shippedPlatform("local"), mesh: { ...shippedPlatform("local").mesh, istiodReplicas: 1 } }).replace('"istiodReplicas":1', '"istiodReplicas":010');
  const r = runRender(["--stack-file", stackFile(dir, "octal", `config:\n  inference-mesh:platform: ${platform}\n`)], dir);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^stack 'octal': invalid platform config \(1 problem\):\n  inference-mesh:platform\.mesh\.istiodReplicas: is written 010, which the Pulumi CLI's YAML reader takes as the octal number 8/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  // The output it names is the one given (--out), not out/.
  assert.match(r.stderr, new RegExp(`${path.basename(dir)}/octal/ was left untouched\\.$`, "m"));
  assert.ok(!fs.existsSync(path.join(dir, "octal")), "nothing rendered");
});

test("a key set twice in one mapping is refused at its config path with both lines, not only js-yaml's line:column", () => {
  const dir = tempDir("im-dupkey-");
  const body = [
    "config:",
    "  aws:region: us-east-1",
    "  inference-mesh:platform:",
    "    clusters:",
    "      - name: a",
    "      # a comment between items",
    "      - name: b",
    "        nodeGroups:",
    "          - - ignored",
    "          - name: gpu",
    "            description: |",
    "              minSize: 1",
    "            minSize: 1",
    "            minSize: 2",
    "",
  ].join("\n");
  const file = stackFile(dir, "dup", body);
  assert.throws(
    () => loadStackConfig("dup", file),
    (err: Error) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.deepEqual(err.message.split("\n").slice(1), [
        `  inference-mesh:platform.clusters[1].nodeGroups[1].minSize: set twice in ${file} (lines 13 and 14); a YAML mapping takes each key once: keep one`,
      ]);
      return true;
    },
  );
  // Another config key: named the same way, outside the platform's problems.
  const other = stackFile(dir, "dupother", "config:\n  aws:region:\n    a: 1\n    a: 2\n");
  assert.throws(() => loadStackConfig("dupother", other), { message: `stack config aws:region.a: set twice in ${other} (lines 3 and 4); a YAML mapping takes each key once: keep one` });
  // A flow mapping hides the path: the line and column stay the message.
  const flow = stackFile(dir, "dupflow", "config:\n  inference-mesh:platform: {mesh: {meshId: a, meshId: b}}\n");
  assert.throws(() => loadStackConfig("dupflow", flow), /is not valid YAML\/JSON: duplicated mapping key \(2:/);
});

test("where the platform is missing, a key of the project's namespace the program does not read (a misspelt platform) is refused, naming the key the program reads", () => {
  const dir = tempDir("im-unread-");
  const typo = stackFile(dir, "typo", "config:\n  platfrom:\n    mesh: {meshId: m, trustDomain: cluster.local}\n");
  assert.throws(() => loadStackConfig("typo", typo), {
    message: `stack config inference-mesh:platfrom: the program reads no such key ('platfrom' in ${typo}); in the inference-mesh namespace it reads inference-mesh:platform (Pulumi.yaml's config): remove it or fix the spelling`,
  });
  // `pulumi config set` without --path writes the dotted path as a key of its own.
  const nopath = stackFile(dir, "nopath", "config:\n  inference-mesh:platform.models[0].replicas: \"2\"\n");
  assert.throws(() => loadStackConfig("nopath", nopath), {
    message: "stack config inference-mesh:platform.models[0].replicas: the program reads no such key; in the inference-mesh namespace it reads inference-mesh:platform (Pulumi.yaml's config): set it with `pulumi config set --path`, which sets the value inside inference-mesh:platform",
  });
  // The platform under another namespace (a typo in the project name) is named, not just "missing".
  const ns = stackFile(dir, "ns", "config:\n  inference_mesh:platform:\n    mesh: {meshId: m, trustDomain: cluster.local}\n");
  assert.throws(() => loadStackConfig("ns", ns), {
    message: `stack config inference_mesh:platform: the program reads no such key (in ${ns}); it reads the platform from inference-mesh:platform, in the namespace of Pulumi.yaml's project name (inference-mesh), not inference_mesh: rename the key to inference-mesh:platform (or platform)`,
  });
  // Other namespaces are the providers' and the CLI's.
  const other = stackFile(dir, "other", "config:\n  aws:region: us-east-1\n  inference-mesh:platform:\n    mesh: {meshId: m, trustDomain: cluster.local}\n");
  assert.equal(loadStackConfig("other", other).config["aws:region"], "us-east-1");
  // Beside the platform, a project key of the fork's own (read by its scripts with `pulumi config
  // get`) is handed over by the CLI and left alone by `pulumi up`: the render runs it too.
  const own = stackFile(dir, "own", "config:\n  owner: team-a\n  inference-mesh:platform:\n    mesh: {meshId: m, trustDomain: cluster.local}\n");
  assert.equal(loadStackConfig("own", own).config["inference-mesh:owner"], "team-a");
});

// A real `pulumi up` runs no loadStackConfig: the CLI hands the program every key, so the program
// itself refuses a platform path written as a key, rather than deploy without the edit.
test("the program refuses a platform path set as a key of its own, as the render does", () => {
  const saved = pulumi.runtime.allConfig();
  try {
    const platform = JSON.stringify(shippedPlatform("local"));
    pulumi.runtime.setAllConfig({ [CONFIG_ROOT]: platform, [`${CONFIG_ROOT}.models[0].replicas`]: "2", "inference-mesh:owner": "team-a" });
    assert.throws(() => loadPlatformSpec(), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 1);
      assert.match(err.message, /inference-mesh:platform\.models\[0\]\.replicas: set it with `pulumi config set --path`/);
      return true;
    });
  } finally {
    pulumi.runtime.setAllConfig(saved);
  }
});

test("a platform missing from a stack file that imports ESC environments says the offline render cannot open them", () => {
  const dir = tempDir("im-esc-");
  const missing = (body: string) => {
    try {
      validateStack({ stack: "esc", stackFile: stackFile(dir, "esc", body) });
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.message.split("\n")[1];
    }
    assert.fail("the platform is missing");
  };
  assert.match(missing("environment:\n  - inference-mesh/prod\nconfig: {}\n"), /inference-mesh:platform: missing: set it in .*Pulumi\.esc\.yaml; its `environment:` \(inference-mesh\/prod\) may set it for `pulumi up`, but the offline render opens no ESC environment/);
  assert.match(missing("environment:\n  imports: [shared/base]\n  values: {pulumiConfig: {platform: {}}}\n"), /its `environment:` \(shared\/base, yaml\) may set it/);
  assert.doesNotMatch(missing("config: {}\n"), /environment/);
});

test("a stack file saved as UTF-16 or with a UTF-8 byte-order mark (Windows editors and shells) reads as the CLI reads it: by its byte-order mark", () => {
  const dir = tempDir("im-encoding-");
  const body = "config:\n  aws:region: us-east-1\n  inference-mesh:platform:\n    mesh: {meshId: m, trustDomain: cluster.local}\n    clusters:\n      - name: a\n        name: b\n";
  const write = (name: string, bytes: Buffer) => {
    const file = path.join(dir, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, bytes);
    return file;
  };
  const utf8 = write("utf8", Buffer.from(body.replace("        name: b\n", "")));
  const expected = loadStackConfig("utf8", utf8).config;
  const le = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
  const be = (text: string) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, "utf16le").swap16()]);
  const bom = (text: string) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
  for (const [name, encode] of [["le", le], ["be", be], ["bom", bom]] as const) {
    assert.deepEqual(loadStackConfig(name, write(name, encode(body.replace("        name: b\n", "")))).config, expected, name);
    // A problem in such a file is named by its config path and lines, as in UTF-8.
    const dup = write(`${name}dup`, encode(body));
    assert.throws(() => loadStackConfig(`${name}dup`, dup), (err: Error) => {
      assert.equal(err.message.split("\n")[1], `  inference-mesh:platform.clusters[0].name: set twice in ${dup} (lines 6 and 7); a YAML mapping takes each key once: keep one`);
      return true;
    });
  }
});

test("a stack file whose `config:` holds nothing (every key commented out) has no platform, as the CLI reads it, rather than a malformed file", () => {
  const dir = tempDir("im-nullconfig-");
  const file = stackFile(dir, "empty", "config:\n  # inference-mesh:platform: …\n");
  assert.deepEqual(loadStackConfig("empty", file).config, { "pulumi:disable-default-providers": JSON.stringify(["kubernetes", "aws", "gcp"]) });
  assert.throws(() => validateStack({ stack: "empty", stackFile: file }), (err: Error) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.match(err.message.split("\n")[1], /^  inference-mesh:platform: missing: set it in .*Pulumi\.empty\.yaml$/);
    return true;
  });
  // A `config:` of another shape is still refused as such.
  assert.throws(() => loadStackConfig("list", stackFile(dir, "list", "config: [a]\n")), /expected a mapping with a `config:` mapping/);
});

test("a stack file too large to read as one string is named with its size, not as bytes that are not UTF-8", () => {
  const dir = tempDir("im-big-stack-");
  const file = path.join(dir, "Pulumi.big.yaml");
  fs.writeFileSync(file, "config: {}\n");
  fs.truncateSync(file, 600 * 2 ** 20); // sparse: NUL bytes, which are UTF-8
  try {
    assert.throws(() => loadStackConfig("big", file), (err: Error) => /Pulumi\.big\.yaml is not valid YAML\/JSON: 600 MiB of text, more than Node\.js can hold in one string \(511 MiB\)$/.test(err.message));
  } finally {
    fs.rmSync(file);
  }
});
