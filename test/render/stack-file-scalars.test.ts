/**
 * Plain scalars of a stack file read as the Pulumi CLI reads them. Its gopkg.in/yaml.v3 v3.0.1
 * (resolve.go resolve, parseTimestamp) takes numbers and timestamps by Go's rules, not YAML 1.2's
 * as js-yaml 4.1.0 does: `1e5_` and `!!int 0X1F` are numbers, `2001-1-2` a time, and
 * `2001-12-14 21:59:43.10 -5` text. The CLI's stack loader (pulumi v3.248.0 workspace/loaders.go
 * LoadProjectStackBytes) then hands an integer on as its decimal digits, exactly, and a time as
 * Go's text of it (config/object.go unmarshalObject: time.Time.String).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadStackConfig } from "../../scripts/lib/stack-config";
import { repoRoot } from "../support/render";
import { tempDir } from "../support/tmp";

const shipped = fs.readFileSync(path.join(repoRoot, "stacks", "Pulumi.local.yaml"), "utf8");
let files = 0;

/** The local stack with `description: <written>` on its first tool, and `extra` lines appended under config:. */
function stack(written: string, extra = ""): { file: string; name: string } {
  const name = `scalars-${files++}`;
  const file = path.join(tempDir("im-scalars-"), `Pulumi.${name}.yaml`);
  const text = shipped.replace("        port: 8000\n", `        port: 8000\n        description: ${written}\n`).replace("config:\n", `config:\n${extra}`);
  assert.notEqual(text, shipped);
  fs.writeFileSync(file, text);
  return { file, name };
}
const description = (written: string) => {
  const { file, name } = stack(written);
  return JSON.parse(loadStackConfig(name, file).config["inference-mesh:platform"]).tools[0].description;
};
const refusal = (written: string): string => {
  const { file, name } = stack(written);
  try {
    loadStackConfig(name, file);
  } catch (err) {
    return (err as Error).message;
  }
  return "(read without error)";
};

// parseTimestamp tries Go's time.Parse layouts "2006-1-2T15:4:5.999999999Z07:00" (and lower-case t),
// "2006-1-2 15:4:5.999999999" and "2006-1-2": one-digit months, days and hours, a comma before the
// fraction, but a zone only as Z or ±hh:mm right after the time, and dates that exist.
test("a timestamp as yaml.v3 takes one (2001-1-2, one-digit fields, a comma fraction) is refused at its path, naming Go's text the CLI hands on", () => {
  for (const [written, go] of [
    ["2001-1-2", "2001-01-02 00:00:00 +0000 UTC"],
    ["2001-12-14 1:2:3,5", "2001-12-14 01:02:03.5 +0000 UTC"],
    ["2001-12-14t21:59:43.1000000009Z", "2001-12-14 21:59:43.1 +0000 UTC"],
  ]) {
    const message = refusal(written);
    assert.match(message, /inference-mesh:platform\.tools\[0\]\.description: is written as a timestamp/, written);
    assert.ok(message.includes(`'${go}'`), `${written}: ${message}`);
  }
  // An offset's text depends on the zone of the machine running pulumi (Go's time.Parse takes its Local zone when the offset matches).
  assert.match(refusal("2001-12-14T21:59:43-05:00"), /description: is written as a timestamp.*zone of the machine/);
});

test("what yaml.v3 does not take as a timestamp is the text as written, where js-yaml read a date", () => {
  for (const written of ["2001-12-14 21:59:43.10 -5", "2001-12-14T21:59:43", "2001-12-14 21:59:43Z", "2001-02-30", "2001-12-14\t21:59:43", "2001-12-14 24:00:00"]) {
    assert.equal(description(written), written);
  }
});

// resolve strips every `_`, then tries strconv.ParseInt(s, 0, 64), ParseUint, and ParseFloat where
// the text has YAML's float shape (yamlStyleFloat); a float out of float64's range is left as text.
test("floats and integers read by yaml.v3's rules: 1e5_ is 100000, 1e400 and a hex past 64 bits are text", () => {
  assert.equal(description("1e5_"), 100000);
  assert.equal(description("-1_0.5e-1_"), -1.05);
  assert.equal(description("1e400"), "1e400");
  assert.equal(description("0x1FFFFFFFFFFFFFFFF"), "0x1FFFFFFFFFFFFFFFF");
  assert.equal(description("-0xFFFFFFFFFFFFFFFF"), "-0xFFFFFFFFFFFFFFFF");
  assert.equal(description("0b+101"), 5);
  // Beyond uint64 a decimal is a float64 to yaml.v3 too, handed on as its shortest text, as here.
  assert.equal(description("18446744073709551616"), 18446744073709552000);
});

// An explicit tag resolves by the same rules (resolve with tag !!int/!!float/!!timestamp); js-yaml
// refused `!!int 0X1F` ("cannot resolve a node with !<tag:yaml.org,2002:int> explicit tag").
test("explicit !!int, !!float and !!timestamp take what yaml.v3 takes", () => {
  assert.equal(description("!!int 0X1F"), 31);
  assert.equal(description("!!float 1e5_"), 100000);
  assert.equal(description("!!float 0x10"), 16);
  assert.match(refusal("!!int 010"), /description: is written 010, which the Pulumi CLI's YAML reader takes as the octal number 8/);
  assert.match(refusal("!!timestamp 2001-1-2"), /description: is written as a timestamp/);
  assert.match(refusal("!!int 1.5"), /cannot resolve/);
});

// ParseInt/ParseUint give yaml.v3 an exact int64 or uint64, which the CLI hands on as its digits:
// exact at a top-level key, and inside the platform's JSON, which the program (JavaScript) reads as
// the nearest float64, not the number written.
test("an integer past 2^53 is its exact digits at a top-level key and refused inside the platform", () => {
  const { file, name } = stack("search", "  acme:big: 9007199254740993\n  acme:hex: 0xFFFFFFFFFFFFFFFF\n");
  const config = loadStackConfig(name, file).config;
  assert.equal(config["acme:big"], "9007199254740993");
  assert.equal(config["acme:hex"], "18446744073709551615");
  assert.match(
    refusal("9007199254740993"),
    /inference-mesh:platform\.tools\[0\]\.description: is the integer 9007199254740993, past 2\^53: the program reads the platform as JSON in JavaScript, where it is 9007199254740992/,
  );
  assert.equal(description("9007199254740991"), 9007199254740991);
});
