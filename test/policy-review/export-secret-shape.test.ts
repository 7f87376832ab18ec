/**
 * Secrets in a deployment export as the Pulumi CLI loads them (pkg/resource/stack/deployment.go
 * DeserializePropertyValue): exactly one of `ciphertext` or `plaintext`, each a string. Any other
 * shape is a state the CLI refuses, so the review refuses it too instead of judging a guess.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { readDeploymentFile } from "../../scripts/lib/review";
import { SIG_KEY, SECRET_SIG } from "../../scripts/lib/review-wire";
import { tempDir } from "../support/tmp";

const dir = tempDir("review-secret-shape-");
const urn = "urn:pulumi:s::p::kubernetes:core/v1:Secret::s";

function read(name: string, secret: Record<string, unknown>): () => unknown {
  const file = path.join(dir, `${name}.json`);
  const data = { token: { [SIG_KEY]: SECRET_SIG, ...secret } };
  fs.writeFileSync(file, JSON.stringify({ version: 3, deployment: { resources: [{ urn, custom: true, type: "kubernetes:core/v1:Secret", inputs: { kind: "Secret" }, outputs: { kind: "Secret", list: [1, data] } }] } }));
  return () => readDeploymentFile(file);
}

test("a secret with ciphertext or plaintext (a JSON string) loads", () => {
  assert.doesNotThrow(read("cipher", { ciphertext: "v1:abc:def" }));
  assert.doesNotThrow(read("plain", { plaintext: JSON.stringify({ a: 1 }) }));
});

test("a secret with neither, both, a `value`, or a plaintext that is not a string is refused naming the resource and where", () => {
  for (const [name, secret] of [
    ["neither", {}],
    ["both", { ciphertext: "v1:abc:def", plaintext: '"x"' }],
    ["value", { value: "x" }],
    ["object-plaintext", { plaintext: { a: 1 } }],
    ["number-ciphertext", { ciphertext: 5 }],
  ] as const) {
    assert.throws(read(name, secret), (err: Error) => {
      assert.match(err.message, new RegExp(`${name}\\.json: deployment\\.resources\\[0\\] \\(${urn.replace(/[$.]/g, "\\$&")}\\) outputs\\.list\\[1\\]\\.token: malformed secret value: exactly one of \`ciphertext\` or \`plaintext\``));
      return true;
    }, name);
  }
});
