/**
 * `Pulumi.yaml` read as the Pulumi CLI reads it (sdk/go/common/workspace/project.go): where the
 * stack files are (stackConfigDir, else beside it), one reading serving a whole command, its
 * `config:` declarations and short forms, the declarations the CLI refuses, and a fork that
 * renamed its project. The stack files themselves are stack-file.test.ts's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { knownStacks, knownStacksText, loadProject, loadStackConfig, repoRoot, stackFile as stackFileOf } from "../../scripts/lib/stack-config";
import { validateStack } from "../../scripts/lib/render";
import { ConfigError } from "../../infra/config";
import { tempDir } from "../support/tmp";
import { stackFile } from "../support/stack-file";

test("stack files are looked for where the Pulumi CLI looks: Pulumi.yaml's stackConfigDir, else beside it; a directory that is not there holds none", () => {
  const root = tempDir("im-stackdir-");
  fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: fork\nruntime: nodejs\nstackConfigDir: envs\n");
  // Not there yet (a fork that moved its stacks, or removed them): no stacks, not a crash.
  assert.deepEqual(knownStacks(loadProject(root)), []);
  assert.match(knownStacksText(loadProject(root)), /^no stack config files \(Pulumi\.<stack>\.yaml\) in envs\/, Pulumi\.yaml's stackConfigDir$/);
  fs.mkdirSync(path.join(root, "envs"));
  fs.writeFileSync(path.join(root, "envs", "Pulumi.staging.yaml"), "config: {}\n");
  assert.deepEqual(knownStacks(loadProject(root)), ["staging"]);
  assert.equal(stackFileOf("staging", loadProject(root)), path.join(root, "envs", "Pulumi.staging.yaml"));
  fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: fork\nruntime: nodejs\n");
  assert.equal(stackFileOf("staging", loadProject(root)), path.join(root, "Pulumi.staging.yaml"));
  // A fork's broken Pulumi.yaml is named, not thrown as js-yaml's bare error.
  fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: fork\nname: again\n");
  assert.throws(() => loadProject(root), (err: Error) => err.message.startsWith(`project file ${path.join(root, "Pulumi.yaml")} is not valid YAML/JSON: duplicated mapping key`));
  // This project's own: stacks/.
  assert.equal(path.relative(repoRoot, stackFileOf("prod")), path.join("stacks", "Pulumi.prod.yaml"));
});

test("one reading of Pulumi.yaml serves a command's lookups: the stack file, the known stacks and the config they load", () => {
  const root = tempDir("im-project-once-");
  fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: fork\nruntime: nodejs\nstackConfigDir: envs\nconfig:\n  platform:\n    description: the platform\n  owner:\n    default: team-a\n");
  fs.mkdirSync(path.join(root, "envs"));
  fs.writeFileSync(path.join(root, "envs", "Pulumi.staging.yaml"), "config:\n  fork:platform: {mesh: {meshId: m}}\n");
  const project = loadProject(root);
  // What the command read stands for the whole command, though the file changes (or goes) meanwhile.
  fs.rmSync(path.join(root, "Pulumi.yaml"));
  assert.equal(stackFileOf("staging", project), path.join(root, "envs", "Pulumi.staging.yaml"));
  assert.equal(knownStacksText(project), "known stacks: staging");
  const loaded = loadStackConfig("staging", undefined, project);
  assert.equal(loaded.project, "fork");
  assert.equal(loaded.file, path.join(root, "envs", "Pulumi.staging.yaml"));
  assert.deepEqual(loaded.config, { "fork:owner": "team-a", "fork:platform": JSON.stringify({ mesh: { meshId: "m" } }) });
  // A stack that is not there names the stacks of the same reading.
  assert.throws(() => loadStackConfig("prod", undefined, project), /no stack config .*envs\/Pulumi\.prod\.yaml; known stacks: staging$/);
});

test("a fork that renamed its project in Pulumi.yaml is told the program reads inference-mesh:platform, not to set a platform its stack file sets", () => {
  const root = tempDir("im-renamed-");
  fs.writeFileSync(path.join(root, "Pulumi.yaml"), fs.readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8").replace(/^name: inference-mesh$/m, "name: acme-mesh"));
  fs.mkdirSync(path.join(root, "stacks"));
  // As `pulumi config set platform …` writes it under the renamed project.
  const file = stackFile(path.join(root, "stacks"), "dev", "config:\n  acme-mesh:platform:\n    mesh: {meshId: m, trustDomain: cluster.local}\n");
  assert.throws(() => validateStack({ stack: "dev", project: loadProject(root) }), (err: Error) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.deepEqual(err.message.split("\n").slice(1), [
      "  inference-mesh:platform: missing: Pulumi.yaml names the project 'acme-mesh', so the stack's keys are acme-mesh:…, while the program reads inference-mesh:platform (infra/config.ts PROJECT): keep `name: inference-mesh` in Pulumi.yaml, or set PROJECT to 'acme-mesh'",
    ]);
    return true;
  });
  assert.equal(loadStackConfig("dev", file, loadProject(root)).config["acme-mesh:platform"], JSON.stringify({ mesh: { meshId: "m", trustDomain: "cluster.local" } }));
});

test("a Pulumi.yaml without a name, with a config that is no mapping, or with a declaration left empty is named, not a TypeError", () => {
  const root = tempDir("im-project-shape-");
  const project = (body: string) => {
    fs.writeFileSync(path.join(root, "Pulumi.yaml"), body);
    return () => loadProject(root);
  };
  assert.throws(project("runtime: nodejs\n"), { message: `project file ${path.join(root, "Pulumi.yaml")} has no \`name:\` (the project name, which namespaces every config key: inference-mesh)` });
  assert.throws(project("name: fork\nruntime: nodejs\nconfig: [a]\n"), /: `config:` must be a mapping of config keys to their declarations/);
  // `platform:` with nothing under it declares the key without a value, as one with a description only.
  fs.writeFileSync(path.join(root, "Pulumi.s.yaml"), "config:\n  fork:platform: {a: 1}\n");
  assert.deepEqual(loadStackConfig("s", path.join(root, "Pulumi.s.yaml"), project("name: fork\nruntime: nodejs\nconfig:\n  platform:\n")()).config, { "fork:platform": '{"a":1}' });
});

test("Pulumi.yaml's short-form config (`key: value` in place of a declaration) is read as the CLI reads it: the project's keys' default, other namespaces' value", () => {
  const root = tempDir("im-project-short-");
  fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: fork\nruntime: nodejs\nconfig:\n  platform:\n  owner: team-a\n  fork:replicas: 3\n  aws:region: us-west-2\n  pulumi:disable-default-providers: [kubernetes]\n");
  fs.writeFileSync(path.join(root, "Pulumi.s.yaml"), "config:\n  fork:platform: {a: 1}\n");
  const project = loadProject(root);
  assert.deepEqual(project.config, { platform: {}, owner: { default: "team-a" }, "fork:replicas": { default: 3 }, "aws:region": { value: "us-west-2" }, "pulumi:disable-default-providers": { value: ["kubernetes"] } });
  assert.deepEqual(loadStackConfig("s", path.join(root, "Pulumi.s.yaml"), project).config, {
    "fork:owner": "team-a",
    "fork:replicas": "3",
    "aws:region": "us-west-2",
    "pulumi:disable-default-providers": '["kubernetes"]',
    "fork:platform": '{"a":1}',
  });
  // `config: <dir>` is the CLI's deprecated spelling of stackConfigDir; a float is no form the CLI takes.
  fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: fork\nruntime: nodejs\nconfig: envs\n");
  assert.equal(loadProject(root).stackConfigDir, path.join(root, "envs"));
  fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: fork\nruntime: nodejs\nconfig: envs\nstackConfigDir: envs\n");
  assert.throws(() => loadProject(root), /`config: envs` \(the deprecated spelling of stackConfigDir\) and `stackConfigDir:` are both set/);
  fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: fork\nruntime: nodejs\nconfig:\n  ratio: 1.5\n");
  assert.throws(() => loadProject(root), /config ratio: 1\.5 is neither a declaration .* nor a short-form value the Pulumi CLI takes \(a string, an integer, a boolean or a list\)/);
  // yaml.v3 makes `1.0`, `1e3` and `!!float 2` float64s, which RewriteShorthandConfigValues leaves (isPrimitiveValue takes an int), and the CLI then refuses the file.
  for (const [float, shown] of [["1.0", "1.0"], ["1e3", "1e3"], ["!!float 2", "2"]]) {
    fs.writeFileSync(path.join(root, "Pulumi.yaml"), `name: fork\nruntime: nodejs\nconfig:\n  ratio: ${float}\n  list: [${float}]\n`);
    assert.throws(() => loadProject(root), new RegExp(`config ratio: ${shown} is neither a declaration .* nor a short-form value`), float);
  }
});

test("a Pulumi.yaml declaration the CLI refuses (workspace/project.go Validate) is named rather than rendered", () => {
  const root = tempDir("im-project-decl-");
  const refused = (decl: string, message: RegExp) => {
    fs.writeFileSync(path.join(root, "Pulumi.yaml"), `name: fork\nruntime: nodejs\nconfig:\n  platform:\n${decl}`);
    assert.throws(() => loadProject(root), message);
  };
  refused("  aws:region:\n    default: us-west-2\n", /config aws:region: is another namespace's key, which takes value:, not default:/);
  refused("  aws:region:\n    description: the region\n", /config aws:region: is another namespace's key, which must give value:/);
  refused("  aws:region:\n    type: string\n    value: us-west-2\n", /config aws:region: is another namespace's key, which declares no type/);
  refused("  owner:\n    default: a\n    value: b\n", /config owner: has both default: and value:/);
  refused("  owner:\n    defualt: a\n", /config owner: unknown field\(s\) 'defualt': a declaration takes type, items, description, secret, default, value/);
  refused("  tags: {team: a}\n", /config tags: unknown field\(s\) 'team': .*\(a mapping value goes under default: or value:; the short form takes a string, an integer, a boolean or a list only\)/);
  // What the CLI takes still reads: the shipped Pulumi.yaml, a project key's default, another namespace's value.
  assert.ok(loadProject().config?.platform);
  fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: fork\nruntime: nodejs\nconfig:\n  owner:\n    type: string\n    default: a\n  aws:region:\n    value: us-west-2\n");
  assert.deepEqual(loadProject(root).config, { owner: { type: "string", default: "a" }, "aws:region": { value: "us-west-2" } });
});

// The CLI reads Pulumi.yaml with yaml.v3 too (pulumi v3.248.0 workspace/loaders.go LoadProjectBytes),
// and workspace/config.go createConfigValue hands a default on as fmt's %v of a string, int or
// bool and as JSON otherwise: `0X1F` is 31, an int past 2^53 its exact digits, `! true` the boolean.
// js-yaml's own schema read `0X1F` as text, `010` as 10 (8 to the CLI) and a timestamp as a Date.
test("Pulumi.yaml's config defaults are read as the CLI's yaml.v3 reads them and handed on as the CLI hands them", () => {
  const root = tempDir("im-project-defaults-");
  const project = (config: string) => {
    fs.writeFileSync(path.join(root, "Pulumi.yaml"), `name: fork\nruntime: nodejs\nconfig:\n  platform:\n${config}`);
    fs.writeFileSync(path.join(root, "Pulumi.s.yaml"), "config:\n  fork:platform: {a: 1}\n");
    return () => loadStackConfig("s", path.join(root, "Pulumi.s.yaml"), loadProject(root)).config;
  };
  const config = project("  hex: 0X1F\n  big:\n    default: 9007199254740993\n  flag: ! true\n  ratio:\n    default: 1.50\n  list: [1.0, 0x10, ! 2]\n  aws:region: ! us-west-2\n")();
  assert.deepEqual(
    [config["fork:hex"], config["fork:big"], config["fork:flag"], config["fork:ratio"], config["fork:list"], config["aws:region"]],
    ["31", "9007199254740993", "true", "1.5", "[1,16,2]", "us-west-2"],
  );
  assert.throws(project("  mode: 010\n"), /config mode: default is written 010, which the Pulumi CLI's YAML reader takes as the octal number 8/);
  assert.throws(project("  since:\n    default: [2001-12-14]\n"), /config since: default\[0\] is written as a timestamp, which the Pulumi CLI's YAML reader \(yaml\.v3\) makes a time/);
  // A timestamp is no short form (a string, an integer, a boolean or a list): the CLI refuses the file.
  assert.throws(project("  since: 2001-12-14\n"), /config since: 2001-12-14 is neither a declaration .* nor a short-form value/);
});

// yaml.v3 v3.0.1 (decode.go decoder.scalar) decodes a plain timestamp into an interface{} as the
// time.Time resolve.go parseTimestamp makes, not the text (yaml.v2 kept the text there). Pulumi.yaml's
// round trip (workspace/loaders.go LoadProjectBytes: yaml.v3 writes it back with encode.go timev as
// RFC 3339, then reads a time again) leaves it a time, and createConfigValue writes it as JSON
// (time.Time.MarshalJSON: RFC 3339 with nanoseconds), which Map.Decrypt hands the program as that
// text. Go's JSON encoder refuses a zone offset of 24 hours or more (Time.MarshalJSON), so the CLI fails there.
test("a timestamp default is refused naming the RFC 3339 text the CLI would hand the program, or that the CLI fails on it", () => {
  const root = tempDir("im-project-time-");
  const refusal = (written: string) => {
    fs.writeFileSync(path.join(root, "Pulumi.yaml"), `name: fork\nruntime: nodejs\nconfig:\n  platform:\n  since:\n    default: ${written}\n`);
    try {
      loadProject(root);
    } catch (err) {
      return (err as Error).message;
    }
    assert.fail(`${written} was taken`);
  };
  const cases: [string, string][] = [
    ["2001-12-14", "2001-12-14T00:00:00Z"],
    ["2001-12-14 21:59:43.10", "2001-12-14T21:59:43.1Z"],
    ["2001-12-14t21:59:43.10-05:00", "2001-12-14T21:59:43.1-05:00"],
    ["2001-1-2T3:04:05+00:00", "2001-01-02T03:04:05Z"],
    ["2001-12-14T21:59:43.000000000123+05:60", "2001-12-14T21:59:43+06:00"],
    ["[2001-12-14T21:59:43Z]", "2001-12-14T21:59:43Z"],
  ];
  for (const [written, handed] of cases) assert.ok(refusal(written).includes(`makes a time, handed to the program as the RFC 3339 text '${handed}'`), `${written}: ${refusal(written)}`);
  assert.match(refusal("2001-12-14T21:59:43-24:00"), /makes a time with a zone offset of 24 hours or more, which the Pulumi CLI fails to hand on/);
});

// yaml.v3 (v3.0.1 resolve.go resolve) makes an integer past int64 a uint64 (ParseInt fails, ParseUint
// takes it). workspace/config.go createConfigValue hands an int on as %v but a uint64, no
// isPrimitiveValue, as a JSON object value; resource/config/map.go Map.Decrypt (the CLI passes a
// decrypter, never NopDecrypter) reads that back through object.go unmarshalObject, where the
// json.Number fails Int64 and becomes a float64, which plaintext.go marshalText writes with
// encoding/json: 9223372036854775808 reaches the program as 9223372036854776000.
test("a Pulumi.yaml default or value past int64 (a uint64 to yaml.v3) is handed on as the float the CLI makes of it; int64 stays exact", () => {
  const root = tempDir("im-project-uint64-");
  fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: fork\nruntime: nodejs\nconfig:\n  platform:\n  a:\n    default: 9223372036854775808\n  b:\n    default: 18446744073709551615\n  c:\n    default: 9223372036854775807\n  aws:d:\n    value: 0x8000000000000000\n");
  fs.writeFileSync(path.join(root, "Pulumi.s.yaml"), "config:\n  fork:platform: {a: 1}\n  acme:e: 9223372036854775808\n");
  const config = loadStackConfig("s", path.join(root, "Pulumi.s.yaml"), loadProject(root)).config;
  assert.deepEqual(
    [config["fork:a"], config["fork:b"], config["fork:c"], config["aws:d"]],
    ["9223372036854776000", "18446744073709552000", "9223372036854775807", "9223372036854776000"],
  );
  // A stack file's own top-level uint64 is no object value (object.go MarshalString): its digits, exact.
  assert.equal(config["acme:e"], "9223372036854775808");
});

// Inside a list or mapping, the uint64 is kept in the key's JSON (createConfigValue) and read back by
// object.go unmarshalObject as a float64 too: the CLI itself hands the program 9223372036854776000,
// whatever language reads it, so the reason is the CLI's, not JavaScript's 2^53.
test("a uint64 inside a Pulumi.yaml list or mapping default is refused for what the CLI hands on, the float, not as past 2^53", () => {
  const root = tempDir("im-project-uint64-nested-");
  const refusal = (config: string): string => {
    fs.writeFileSync(path.join(root, "Pulumi.yaml"), `name: fork\nruntime: nodejs\nconfig:\n  platform:\n${config}`);
    const err = (() => {
      try {
        loadProject(root);
      } catch (caught) {
        return caught as Error;
      }
      assert.fail(`${config}: loaded`);
    })();
    assert.doesNotMatch(err.message, /2\^53|JavaScript/);
    return err.message;
  };
  const handed = /is the integer 9223372036854775808, past int64: the Pulumi CLI's YAML reader \(yaml\.v3\) makes it a uint64, which the CLI reads back as a float64 \(resource\/config\/object\.go unmarshalObject\) and hands the program as 9223372036854776000, not as written/;
  assert.match(refusal("  l:\n    default: [9223372036854775808]\n"), /config l: default\[0\] /);
  assert.match(refusal("  l:\n    default: [9223372036854775808]\n"), handed);
  assert.match(refusal("  m:\n    default: {a: 18446744073709551615}\n"), /config m: default\.a is the integer 18446744073709551615, past int64: .* hands the program as 18446744073709552000, not as written/);
});

// Project.Validate (workspace/project.go) checks a project key's typed default with
// ValidateConfigValue after the file's yaml.v3 round trip (so `1e3` is the int 1000), and
// project.json's schema takes only its simpleConfigType names; an array needs its items' type.
test("a typed default the CLI refuses (not of its type, an array without items, an unknown type) is named; one it takes is handed on", () => {
  const root = tempDir("im-project-typed-");
  const project = (config: string) => {
    fs.writeFileSync(path.join(root, "Pulumi.yaml"), `name: fork\nruntime: nodejs\nconfig:\n  platform:\n${config}`);
    return () => loadProject(root);
  };
  assert.throws(project("  n:\n    type: integer\n    default: 1.5\n"), /config n: default 1\.5 is not of its type, integer \(the Pulumi CLI refuses the file\): a whole number, or text of one/);
  assert.throws(project("  s:\n    type: string\n    default: 5\n"), /config s: default 5 is not of its type, string .*: text \(quote it\)/);
  assert.throws(project("  b:\n    type: boolean\n    default: yes\n"), /config b: default "yes" is not of its type, boolean .*: true or false, or their text/);
  assert.throws(project("  l:\n    type: array\n    items:\n      type: integer\n    default: [1, x]\n"), /config l: default \[1,"x"\] is not of its type, array<integer> .*: a list, each item a whole number, or text of one/);
  assert.throws(project("  l:\n    type: array\n    default: [a]\n"), /config l: declares type: array without items: \(its items' type, such as items: \{type: string\}\), which the Pulumi CLI refuses/);
  assert.throws(project("  t:\n    type: int\n"), /config t: type: 'int' is none the Pulumi CLI takes: string, integer, boolean, array or object/);
  project("  n:\n    type: integer\n    default: 1e3\n  m:\n    type: integer\n    default: '42'\n  b:\n    type: boolean\n    default: 'true'\n  l:\n    type: array\n    items:\n      type: string\n    default: [a]\n  o:\n    type: object\n    default: {a: 1}\n")();
  fs.writeFileSync(path.join(root, "Pulumi.s.yaml"), "config:\n  fork:platform: {a: 1}\n");
  const { platform, ...config } = Object.fromEntries(Object.entries(loadStackConfig("s", path.join(root, "Pulumi.s.yaml"), loadProject(root)).config).map(([k, v]) => [k.slice(5), v]));
  assert.deepEqual(config, { n: "1000", m: "42", b: "true", l: '["a"]', o: '{"a":1}' });
  assert.equal(platform, '{"a":1}');
});

// workspace/config.go validateStackConfigValues (under `pulumi preview`/`up`) checks a stack's value
// of each typed project key: a `secret: true` key must be encrypted, and the value must pass
// ValidateConfigValue on the text the program gets, or an object value's JSON.
test("a stack value not of its Pulumi.yaml type, or a secret key in plaintext, is refused naming the key, as pulumi up refuses it", () => {
  const root = tempDir("im-project-stack-typed-");
  fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: fork\nruntime: nodejs\nconfig:\n  platform:\n  replicas:\n    type: integer\n  zones:\n    type: array\n    items:\n      type: string\n  token:\n    secret: true\n");
  const stack = (lines: string) => {
    fs.writeFileSync(path.join(root, "Pulumi.s.yaml"), `config:\n  fork:platform: {a: 1}\n${lines}`);
    return () => loadStackConfig("s", path.join(root, "Pulumi.s.yaml"), loadProject(root)).config;
  };
  assert.throws(stack("  fork:replicas: 1.5\n"), /stack config fork:replicas: 1\.5 is not of its type in Pulumi\.yaml, integer \(pulumi up refuses it\): a whole number, or text of one/);
  // An item is checked as JSON reads it: 5 is a number, not text.
  assert.throws(stack("  fork:zones: [a, 5]\n"), /stack config fork:zones: \["a",5\] is not of its type in Pulumi\.yaml, array<string> .*: a list, each item text/);
  assert.throws(stack("  fork:token: abc\n"), /stack config fork:token: is declared secret: true in Pulumi\.yaml/);
  const config = stack("  fork:replicas: '3'\n  fork:zones: [a, b]\n  fork:token:\n    secure: AAABAJ\n")();
  assert.deepEqual([config["fork:replicas"], config["fork:zones"]], ["3", '["a","b"]']);
});
