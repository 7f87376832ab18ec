/**
 * Tags and documents in a stack file, read as the Pulumi CLI reads them. Its yaml.v3 (v3.0.1
 * decode.go, decoder.scalar) decodes a `!!binary` scalar's base64 and hands on the bytes as a Go
 * string, so `description: !!binary aGVsbG8=` is the text `hello` to `pulumi up`; js-yaml 4.1.0
 * makes a Uint8Array of it, which reached the platform as a mapping of byte indexes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadProject, loadStackConfig } from "../../scripts/lib/stack-config";
import { repoRoot } from "../support/render";
import { tempDir } from "../support/tmp";
import { readYamlFile } from "../../scripts/lib/yaml-file";
import { STACK_FILE_SCHEMA } from "../../scripts/lib/stack-file-schema";

const shipped = (stack: string) => fs.readFileSync(path.join(repoRoot, "stacks", `Pulumi.${stack}.yaml`), "utf8");

/** The local stack with a line added after the first tool's port, in a stack file of its own. */
function withToolLine(name: string, line: string): string {
  const file = path.join(tempDir("im-tags-"), `Pulumi.${name}.yaml`);
  fs.writeFileSync(file, shipped("local").replace("        port: 8000\n", `        port: 8000\n        ${line}\n`));
  return file;
}

const platformOf = (file: string, stack: string) => JSON.parse(loadStackConfig(stack, file).config["inference-mesh:platform"]);

test("a !!binary scalar is the text its base64 decodes to, as the CLI's yaml.v3 hands it on", () => {
  const text = "web search, ünïcode";
  const file = withToolLine("binary", `description: !!binary ${Buffer.from(text).toString("base64")}`);
  assert.equal(platformOf(file, "binary").tools[0].description, text);
  // A block scalar's line breaks are not base64 (Go's decoder skips them, js-yaml's too).
  const long = "x".repeat(80);
  const folded = Buffer.from(long).toString("base64").replace(/(.{60})/, "$1\n          ");
  const block = withToolLine("binary-block", `description: !!binary |\n          ${folded}`);
  assert.equal(platformOf(block, "binary-block").tools[0].description, long);
});

test("a !!binary scalar whose bytes are not UTF-8 text is refused at its config path", () => {
  const file = withToolLine("binary-bytes", `description: !!binary ${Buffer.from([0x68, 0x69, 0xff, 0xfe]).toString("base64")}`);
  assert.throws(
    () => loadStackConfig("binary-bytes", file),
    (err: Error) => /inference-mesh:platform\.tools\[0\]\.description: is !!binary data that is not UTF-8 text \(byte 0xff at 2\)/.test(err.message),
  );
});

// yaml.v3's resolve (v3.0.1 resolve.go) leaves a tag it cannot resolve on the value as written, and
// decodes a tagged mapping or list as an untagged one: `!Ref x` is the text 'x' to `pulumi up`,
// `!Ref 5` the text '5'. js-yaml refused the file ("unknown tag !<!Ref>").
test("a local tag (!Ref) is dropped as the CLI's yaml.v3 drops it: a scalar is its text as written, a mapping or list as untagged", () => {
  const scalar = withToolLine("tag-scalar", "description: !Ref search the web");
  assert.equal(platformOf(scalar, "tag-scalar").tools[0].description, "search the web");
  const digits = withToolLine("tag-digits", "description: !Ref 5");
  assert.equal(platformOf(digits, "tag-digits").tools[0].description, "5");
  const file = path.join(tempDir("im-tags-"), "Pulumi.tag-map.yaml");
  fs.writeFileSync(file, shipped("local").replace("  inference-mesh:platform:\n", "  inference-mesh:platform: !Platform\n").replace("    clusters:\n", "    clusters: !Clusters\n"));
  assert.deepEqual(platformOf(file, "tag-map"), platformOf(withToolLine("untagged", "# nothing"), "untagged"));
});

// yaml.v3's Unmarshal (v3.0.1 yaml.go unmarshal) parses one document, the first, and the CLI's
// stack loader (pulumi v3.248.0 workspace/loaders.go LoadProjectStackBytes) unmarshals the file
// once: whatever follows a `---` is never read by `pulumi up`.
test("a second YAML document is refused naming its line and why (pulumi up reads the first only); an empty one is read past", () => {
  const file = path.join(tempDir("im-tags-"), "Pulumi.docs.yaml");
  const text = shipped("local");
  fs.writeFileSync(file, `${text}---\nconfig:\n  inference-mesh:extra: 1\n`);
  const line = text.split("\n").length;
  assert.throws(
    () => loadStackConfig("docs", file),
    (err: Error) => err.message.startsWith(`stack config ${file}: line ${line} starts a second YAML document (---)`) && /reads only the first document/.test(err.message),
  );
  const trailing = path.join(tempDir("im-tags-"), "Pulumi.trailing.yaml");
  fs.writeFileSync(trailing, `---\n${text}---\n# nothing more\n...\n`);
  assert.deepEqual(platformOf(trailing, "trailing"), platformOf(withToolLine("plain", "# nothing"), "plain"));
});

// yaml.v3's resolve (v3.0.1 resolve.go, resolvableTag) keeps a scalar under a global tag it does not
// know (`!!foo`, `!!merge`) as its text, and its decoder.unmarshal (decode.go) decodes a mapping or
// list by its kind whatever its tag: `!!pairs`/`!!omap` lists stay lists of mappings, `!!set` a
// mapping. js-yaml refused `!!foo` ("unknown tag") and built `!!pairs` as [key, value] pairs.
test("global tags are read as the CLI's yaml.v3 reads them: an unknown one as the text, !!set/!!omap/!!pairs as untagged", () => {
  const scalar = withToolLine("tag-global", "description: !!foo 5");
  assert.equal(platformOf(scalar, "tag-global").tools[0].description, "5");
  const file = path.join(tempDir("im-tags-"), "Pulumi.tag-coll.yaml");
  fs.writeFileSync(file, shipped("local").replace("  inference-mesh:platform:\n", "  inference-mesh:platform: !!pairs\n").replace("    clusters:\n", "    clusters: !!omap\n"));
  // Both tags on mappings: yaml.v3 decodes each as a mapping; js-yaml's omap/pairs refused them.
  assert.deepEqual(platformOf(file, "tag-coll"), platformOf(withToolLine("untagged-g", "# nothing"), "untagged-g"));
  const pairs = path.join(tempDir("im-tags-"), "Pulumi.tag-pairs.yaml");
  fs.writeFileSync(pairs, "config:\n  inference-mesh:other: !!pairs [ {a: 1}, {a: 2} ]\n  inference-mesh:set: !!set {a: 1}\n");
  const raw = (f: string) => readYamlFile(f, "stack config", STACK_FILE_SCHEMA) as { config: Record<string, unknown> };
  assert.deepEqual(raw(pairs).config, { "inference-mesh:other": [{ a: 1 }, { a: 2 }], "inference-mesh:set": { a: 1 } });
});

// Pulumi.yaml goes through the same reader (readYamlFile), so a second document there is refused alike.
test("a second YAML document in Pulumi.yaml is refused naming the project file and its line", () => {
  const root = tempDir("im-tags-project-");
  fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: inference-mesh\nruntime: nodejs\n---\nname: other\n");
  assert.throws(
    () => loadProject(root),
    (err: Error) => err.message.startsWith(`project file ${path.join(root, "Pulumi.yaml")}: line 3 starts a second YAML document (---)`) && /reads only the first document/.test(err.message),
  );
  fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: inference-mesh\nruntime: nodejs\n---\n# nothing more\n");
  assert.equal(loadProject(root).name, "inference-mesh");
});

// yaml.v3's resolve (v3.0.1 resolve.go, parseTimestamp) makes a plain `2001-12-14` a time.Time; the
// CLI's stack loader (pulumi v3.248.0 workspace/loaders.go LoadProjectStackBytes) writes it back as
// 2001-12-14T00:00:00Z and reads that into a config.Value, whose object.go unmarshalObject turns a
// time.Time into its Go text (time.Time.String): the program gets "2001-12-14 00:00:00 +0000 UTC",
// inside an object value as at the top. js-yaml's Date rendered "2001-12-14T00:00:00.000Z", neither
// reading what was written.
test("a timestamp inside the platform is refused at its config path (the CLI hands on a reformatted time, not the text)", () => {
  const file = withToolLine("timestamp", "description: 2001-12-14");
  assert.throws(
    () => loadStackConfig("timestamp", file),
    (err: Error) => /inference-mesh:platform\.tools\[0\]\.description: is written as a timestamp/.test(err.message) && err.message.includes("'2001-12-14 00:00:00 +0000 UTC'"),
  );
  const quoted = withToolLine("timestamp-quoted", "description: '2001-12-14'");
  assert.equal(platformOf(quoted, "timestamp-quoted").tools[0].description, "2001-12-14");
});

// yaml.v3 (v3.0.1 resolve.go resolve) strips every `_` of a plain scalar and parses it with Go's
// strconv.ParseInt(s, 0, 64), whose base prefixes take either case: `0X1F`, `0B101`, `0O17` and a
// trailing `_` are integers to `pulumi up`, which hands a text field their decimal text (a number
// field the number). js-yaml 4.1.0 read them as text, so the render showed what was not deployed.
test("an integer only yaml.v3 reads (an upper-case 0X/0B/0O prefix, a trailing _) is the number the CLI hands on", () => {
  const cases: [string, unknown][] = [["0X1F", 31], ["-0B101", -5], ["0O17", 15], ["0x1F_", 31], ["1_", 1], ["0x_1f", 31], ["0XG1", "0XG1"], ["0X1FFFFFFFFFFFFFFFF", "0X1FFFFFFFFFFFFFFFF"]];
  for (const [written, read] of cases) {
    const file = withToolLine(`int-${cases.findIndex((c) => c[0] === written)}`, `description: ${written}`);
    assert.deepEqual(platformOf(file, path.basename(file, ".yaml").slice(7)).tools[0].description, read, written);
  }
});

// The non-specific tag `!` (yaml.v3 v3.0.1 scannerc.go yaml_parser_scan_tag makes it the tag "!")
// leaves a plain scalar untagged: parser.node (decode.go) resolves its text as if no tag were
// written, so `! 5` is the integer 5, `! true` a boolean and `! ~` null to `pulumi up`; only a
// quoted or block scalar is text (Node.indicatedString). js-yaml 4.1.0 kept every `!` scalar as text.
test("the non-specific tag ! on a plain scalar resolves as untagged, as yaml.v3 reads it; quoted or block it is text", () => {
  const cases: [string, unknown][] = [["! 5", 5], ["! true", true], ["! 1.5", 1.5], ["! 0X1F", 31], ["! ~", null], ["! search", "search"], ["! '5'", "5"], ["! \"true\"", "true"], ["! |-\n          5", "5"], ["&n ! 7", 7]];
  cases.forEach(([written, read], i) => {
    const file = withToolLine(`bang-${i}`, `description: ${written}`);
    assert.deepEqual(platformOf(file, `bang-${i}`).tools[0].description, read, written);
  });
  assert.throws(() => loadStackConfig("bang-octal", withToolLine("bang-octal", "description: ! 010")), /description: is written 010, which the Pulumi CLI's YAML reader takes as the octal number 8/);
  const raw = path.join(tempDir("im-tags-"), "Pulumi.bang-raw.yaml");
  fs.writeFileSync(raw, "config:\n  acme:a: ! 5\n  acme:c: [&one ! 1, *one, ! x]\n  acme:d: {k: ! false}\n");
  const { "acme:a": a, "acme:c": c, "acme:d": d } = loadStackConfig("bang-raw", raw).config;
  assert.deepEqual([a, c, d], ["5", '[1,1,"x"]', '{"k":false}']);
});
