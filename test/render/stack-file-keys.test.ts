/**
 * Mapping keys that are not strings, in a stack file and in Pulumi.yaml. The Pulumi CLI reads both
 * files with yaml.v3 into Go values (pulumi v3.248.0 workspace/loaders.go LoadProjectBytes,
 * LoadProjectStackBytes): yaml.v3 (v3.0.1 decode.go d.mapping, isStringMap) decodes a mapping one
 * of whose keys resolves to no string (`1`, `true`, `~`, `1.5`, `2001-12-14`) into a
 * map[interface{}]interface{}, and workspace/project.go SimplifyMarshalledValue, run on the whole
 * document before anything else, fails on it ("expected only string keys, got …"): `pulumi up`
 * refuses the file. js-yaml made every key text, so the render read `1: x` as the key "1".
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadProject, loadStackConfig } from "../../scripts/lib/stack-config";
import { CONFIG_ROOT, parsePlatform } from "../../infra/config";
import { repoRoot, shippedPlatform } from "../support/render";
import { validateStack } from "../../scripts/lib/render";
import { tempDir } from "../support/tmp";
import { stackFile } from "../support/stack-file";
import { cliJson, configSizeProblems, MAX_ENV_STRING_BYTES, pulumiConfigEnvBytes } from "../../infra/validate-size";

const shipped = fs.readFileSync(path.join(repoRoot, "stacks", "Pulumi.local.yaml"), "utf8");

/** The local stack with a line added after the first tool's port. */
const withToolLine = (name: string, line: string) => stackFile(tempDir("im-keys-"), name, shipped.replace("        port: 8000\n", `        port: 8000\n        ${line}\n`));

const refused = (file: string, where: string, kind: string) =>
  assert.throws(
    () => loadStackConfig(path.basename(file, ".yaml").slice(7), file),
    (err: Error) => {
      assert.ok(err.message.startsWith(`stack config ${file}: ${where}: a mapping key the Pulumi CLI's YAML reader (yaml.v3) reads as ${kind}, not a string`), err.message);
      assert.match(err.message, /"expected only string keys"/);
      return true;
    },
  );

test("a mapping key that yaml.v3 reads as no string is refused at its path in a stack file, as the CLI refuses the file", () => {
  refused(withToolLine("int-key", "1: x"), "config.inference-mesh:platform.tools[0].1", "an integer");
  refused(withToolLine("bool-key", "true: x"), "config.inference-mesh:platform.tools[0].true", "a boolean");
  refused(withToolLine("float-key", "labels: [{1.5: a}]"), "config.inference-mesh:platform.tools[0].labels[0].1.5", "a float");
  refused(withToolLine("time-key", "2001-12-14: x"), "config.inference-mesh:platform.tools[0].2001-12-14", "a timestamp");
  refused(withToolLine("bang-key", "! 5: x"), "config.inference-mesh:platform.tools[0].5", "an integer");
  const dir = tempDir("im-keys-");
  refused(stackFile(dir, "null-key", `${shipped}  ~: y\n`), "config.~", "null");
  refused(stackFile(dir, "explicit-key", `${shipped}  ? 0x10\n  : y\n`), "config.0x10", "an integer");
  refused(stackFile(dir, "top-key", `1: x\n${shipped}`), "1", "an integer");
});

test("keys yaml.v3 reads as strings still load: quoted, !!str, a local tag, words YAML 1.1 read as booleans", () => {
  const dir = tempDir("im-keys-ok-");
  const file = stackFile(dir, "ok", "config:\n  acme:a: {'1': x, \"true\": y, !!str 2: z, !Ref 3: w, yes: v, on: u}\n");
  assert.equal(loadStackConfig("ok", file).config["acme:a"], JSON.stringify({ 1: "x", 2: "z", 3: "w", on: "u", true: "y", yes: "v" }));
});

test("a mapping key that is no string is refused in Pulumi.yaml too, naming the project file and its path", () => {
  const root = tempDir("im-keys-project-");
  const project = (config: string) => {
    fs.writeFileSync(path.join(root, "Pulumi.yaml"), `name: fork\nruntime: nodejs\nconfig:\n  platform:\n${config}`);
    return () => loadProject(root);
  };
  const where = (at: string, kind: string) => (err: Error) => err.message.startsWith(`project file ${path.join(root, "Pulumi.yaml")}: ${at}: a mapping key the Pulumi CLI's YAML reader (yaml.v3) reads as ${kind}, not a string`);
  assert.throws(project("  1: x\n"), where("config.1", "an integer"));
  assert.throws(project("  tags:\n    default: {true: a}\n"), where("config.tags.default.true", "a boolean"));
  assert.throws(project("  null:\n"), where("config.null", "null"));
  assert.deepEqual(project("  '1': x\n")().config?.["1"], { default: "x" });
});

// The CLI keeps an object value as Go values (resource/config/object.go unmarshalObject: map[string]object)
// and hands the program their JSON (plaintext.go marshalText, json.Marshal): Go's encoding/json writes a
// map's keys sorted by their bytes (encode.go mapEncoder), not in the file's order, at every level.
test("an object value reaches the program with its keys in the CLI's order: sorted by their UTF-8 bytes, at every level", () => {
  const dir = tempDir("im-keys-order-");
  const file = stackFile(dir, "order", 'config:\n  acme:o: {b: 1, a: {z: 1, y: [{d: 1, c: 2}]}, "\u{1F600}": 5, "\uFF61": 4, "é": 3, "9": 7, "10": 6}\n');
  // Byte order puts U+FF61 (EF BD A1) before U+1F600 (F0 9F 98 80), where UTF-16 order puts it after.
  assert.equal(loadStackConfig("order", file).config["acme:o"], '{"10":6,"9":7,"a":{"y":[{"c":2,"d":1}],"z":1},"b":1,"é":3,"\uFF61":4,"\u{1F600}":5}');
  // What the program reports follows that order too: the platform's unknown keys, as `pulumi up` lists them.
  const platform = shipped.replace("    mesh:\n", "    mesh:\n      zeta: 1\n      alpha: 2\n");
  assert.notEqual(platform, shipped);
  const raw = loadStackConfig("unknown", stackFile(dir, "unknown", platform)).config[CONFIG_ROOT];
  assert.throws(() => parsePlatform(JSON.parse(raw), "unknown"), /mesh: unknown key\(s\) 'alpha', 'zeta'/);
});

// An explicit key with nothing after it (`?`, or `{: x}`) is an empty node, which yaml.v3 resolves to
// null (resolve.go), so the mapping is no string map and SimplifyMarshalledValue refuses it; js-yaml
// made the key the text "null". A list or mapping key is one yaml.v3 itself refuses: d.mapping fails
// on a key of kind Map or Slice ("invalid map key"), so yaml.Unmarshal, and the CLI, fail on the file.
test("an empty explicit key, and a list or mapping as a key, are refused at their path, as the CLI refuses the file", () => {
  const refusedWith = (file: string, where: string, phrase: string, cli: string) =>
    assert.throws(
      () => loadStackConfig(path.basename(file, ".yaml").slice(7), file),
      (err: Error) => err.message.startsWith(`stack config ${file}: ${where}: ${phrase}`) && err.message.includes(cli),
    );
  const empty = "a mapping key left empty (? with nothing after it), which the Pulumi CLI's YAML reader (yaml.v3) reads as null, not a string";
  const dir = tempDir("im-keys-complex-");
  refusedWith(stackFile(dir, "empty-key", `${shipped}  ?\n  : y\n`), "config.(empty key)", empty, '"expected only string keys"');
  refusedWith(withToolLine("flow-empty-key", "labels: {: a}"), "config.inference-mesh:platform.tools[0].labels.(empty key)", empty, '"expected only string keys"');
  refusedWith(withToolLine("list-key", "? [a, 1]\n        : x"), "config.inference-mesh:platform.tools[0].[a, 1]", "a mapping key written as a list ([a, 1]), which the Pulumi CLI's YAML reader (yaml.v3) refuses", '"invalid map key"');
  refusedWith(withToolLine("map-key", "? {a: 1}\n        : x"), "config.inference-mesh:platform.tools[0].{a: 1}", "a mapping key written as a mapping ({a: 1}), which the Pulumi CLI's YAML reader (yaml.v3) refuses", '"invalid map key"');
  // The text null is a string key to yaml.v3, quoted or tagged.
  assert.equal(loadStackConfig("text-null", stackFile(dir, "text-null", "config:\n  acme:a: {'null': x}\n")).config["acme:a"], '{"null":"x"}');
  const root = tempDir("im-keys-complex-project-");
  fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: fork\nruntime: nodejs\nconfig:\n  platform:\n  ?\n  : x\n");
  assert.throws(() => loadProject(root), (err: Error) => err.message.startsWith(`project file ${path.join(root, "Pulumi.yaml")}: config.(empty key): ${empty}`));
});

// pulumi v3.248.0 hands the program an object value as plaintext.go marshalText writes it, json.Marshal,
// whose HTML escaping is on (Go encoding/json encode.go: <, >, & as \u003c…, U+2028/U+2029 always), and
// pulumi-language-nodejs constructConfig writes PULUMI_CONFIG with json.Marshal again, each key
// `<namespace>:config:<name>`; a top-level text is handed on as written (marshalText returns it).
test("an object value's text escapes <, >, & and U+2028/U+2029 as the CLI writes it, and PULUMI_CONFIG is counted as the CLI writes it", () => {
  const dir = tempDir("im-keys-escape-");
  const config = loadStackConfig("esc", stackFile(dir, "esc", 'config:\n  acme:o: {"<&>": "a<b>&c\\u2028\\u2029"}\n  acme:s: "<\\u2028"\n')).config;
  assert.equal(config["acme:o"], '{"\\u003c\\u0026\\u003e":"a\\u003cb\\u003e\\u0026c\\u2028\\u2029"}');
  assert.equal(config["acme:s"], "<\u2028");
  // PULUMI_CONFIG={"acme:config:s":"\u003c\u2028"} and its NUL: 14 + 18 + 6 + 6 + 2 + 1 bytes.
  assert.equal(pulumiConfigEnvBytes({ "acme:s": "<\u2028" }), 47);
  // PULUMI_CONFIG={"acme:config:o":"{\"d\":\"\\u003c…x…\"}"} and its NUL: 14 + 18 + 9 + 7 a '<' + 1 an 'x' + 3 + 2 + 1.
  const sized = (x: number) => {
    const platform = { d: "<".repeat(18_000) + "x".repeat(x) };
    const file = stackFile(dir, `size${x}`, `config:\n  acme:o: ${JSON.stringify(platform)}\n`);
    // The value alone (the project's pulumi:disable-default-providers default left out).
    return configSizeProblems({ "acme:o": loadStackConfig(`size${x}`, file).config["acme:o"] }, platform);
  };
  assert.equal(47 + 7 * 18_000 + 5025, MAX_ENV_STRING_BYTES);
  assert.deepEqual(sized(5025), []);
  assert.match(sized(5026)[0]?.message ?? "", new RegExp(`^makes the stack's config ${MAX_ENV_STRING_BYTES + 1} bytes as PULUMI_CONFIG`));
});

// "this value is N of them" counts the bytes the value's text takes in PULUMI_CONFIG: its JSON as
// the CLI writes it into the platform's text (json.Marshal: < as \u003c, UTF-8), that text escaped
// once more as PULUMI_CONFIG's string (constructConfig's json.Marshal: \ and " escaped), not JSON.stringify's characters.
test("the size problem counts the bulk value's bytes as they stand in PULUMI_CONFIG", () => {
  const p = shippedPlatform("local");
  p.tools[1].description = "<".repeat(20_000) + "\u00e9".repeat(10_000) + '"'.repeat(5_000);
  const config = { [CONFIG_ROOT]: cliJson(p) };
  const [problem] = configSizeProblems(config, p);
  assert.deepEqual(problem?.path, ["tools", 1, "description"]);
  // Its quotes \" (2 × 2), each < \\u003c (7), each é 2 bytes of UTF-8, each " \\\" (4).
  assert.match(problem.message, new RegExp(`this value is ${4 + 7 * 20_000 + 2 * 10_000 + 4 * 5_000} of them; `));
});

// The tests' and the bench's platformOverride reaches the program as a stack value would, not in code order.
test("a platform given in code (platformOverride) is handed on as the CLI hands a stack value: keys sorted, <, >, & escaped", () => {
  const shippedLocal = shippedPlatform("local");
  shippedLocal.tools[0].description = "reads <a> & <b>";
  const reversed = Object.fromEntries(Object.entries(shippedLocal).reverse());
  const text = validateStack({ stack: "local", platformOverride: reversed }).stackConfig.config[CONFIG_ROOT];
  assert.deepEqual(Object.keys(JSON.parse(text)), Object.keys(shippedLocal).sort());
  assert.ok(text.includes('"reads \\u003ca\\u003e \\u0026 \\u003cb\\u003e"'), text);
});
