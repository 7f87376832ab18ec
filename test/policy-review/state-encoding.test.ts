/**
 * A `pulumi stack export` saved through a shell that re-encodes it: Windows PowerShell's `>` writes
 * UTF-16 with a byte-order mark, its `Out-File -Encoding utf8` UTF-8 with one. Neither is the JSON
 * the CLI writes or reads; `npm run policy` names the encoding and the command that writes the
 * file as it should be, exit 2, instead of "Unexpected token" with an invisible character.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { readDeploymentFile } from "../../scripts/lib/review";
import { tempDir } from "../support/tmp";
import { runPolicyCli } from "../support/policy-cli";

const dir = tempDir("state-encoding-");
const text = JSON.stringify({ version: 3, deployment: { resources: [{ urn: "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s", type: "pulumi:pulumi:Stack", custom: false }] } });
const write = (name: string, bytes: Buffer) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
};

test("a state file in UTF-16 or with a UTF-8 byte-order mark is named as such, with the command that writes it as UTF-8", () => {
  const utf16le = write("ps5.json", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]));
  assert.throws(() => readDeploymentFile(utf16le), {
    message: `${utf16le}: is UTF-16 (little-endian byte-order mark FF FE, as Windows PowerShell's \`>\` writes), not the UTF-8 JSON a deployment export is; write the export with \`pulumi stack export --file ps5.json\`, which writes UTF-8 without one`,
  });
  const utf16be = write("be.json", Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, "utf16le").swap16()]));
  assert.throws(() => readDeploymentFile(utf16be), /be\.json: is UTF-16 \(big-endian byte-order mark FE FF\)/);
  const bom = write("bom.json", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
  assert.throws(() => readDeploymentFile(bom), /bom\.json: starts with a UTF-8 byte-order mark \(EF BB BF, .*\), which JSON does not allow/);
  // The same text without them reads.
  assert.equal(readDeploymentFile(write("plain.json", Buffer.from(text))).deployment.resources!.length, 1);
});

test("CLI: such a state file exits 2 naming it, before any review", () => {
  const file = write("cli-ps5.json", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]));
  const res = runPolicyCli(["--state", file, "--out", "-"], { timeout: 60_000 });
  assert.equal(res.status, 2, `${res.stdout}${res.stderr}`);
  assert.match(res.stderr, /^policy review failed: .*cli-ps5\.json: is UTF-16 .*pulumi stack export --file cli-ps5\.json/m);
  assert.doesNotMatch(res.stderr, /\n\s+at /, "no stack trace");
});

test("a state file too large for Node.js to read (one string holds 512 MiB, one read 2 GiB) is named with its size, not as invalid JSON", () => {
  // Sparse files: no disk is used; the first is read into memory (600 MiB) before the string fails.
  const cases: [string, number, RegExp][] = [
    ["600m.json", 600 * 2 ** 20, /600m\.json: 600 MiB of text, more than Node\.js can hold in one string \(511 MiB\), so this review cannot read it; `pulumi preview --policy-pack` reviews such a stack$/],
    ["3g.json", 3 * 2 ** 30, /3g\.json: 3\.0 GiB, more than Node\.js reads into memory at once \(2 GiB\), so this review cannot read it/],
  ];
  for (const [name, size, expected] of cases) {
    const file = write(name, Buffer.alloc(0));
    fs.truncateSync(file, size);
    try {
      assert.throws(() => readDeploymentFile(file), (err: Error) => expected.test(err.message) && !/not valid JSON/.test(err.message));
    } finally {
      fs.rmSync(file);
    }
  }
});
