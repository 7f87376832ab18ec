/**
 * The k3s agents join with k3s's secure token, `K10<CA hash>::node:<password>`, so they verify the
 * server's CA before sending the password. k3s hashes a /cacerts of one certificate as the SHA-256
 * of its literal bytes (pkg/clientaccess/token.go hashCA), and /cacerts serves the server's
 * tls/server-ca.crt as it is on disk: the hash must be that of the file the server's startup
 * script leaves. Here bash runs the prod render's own heredocs into a temp dir and the bytes they
 * leave are hashed, apart from the program's code.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash, X509Certificate } from "node:crypto";
import { spawnSync } from "node:child_process";
import * as yaml from "js-yaml";
import { renderShipped } from "../support/render";
import { reveal, SECRET_SIG } from "../support/secrets";
import { tempDir } from "../support/tmp";
import { writeFile } from "../../components/cloud/gcp/shell";
import { k3sAgentJoinToken } from "../../components/cloud/gcp/join-token";
import { scriptHasCredentials } from "../../policy/lib/boot-scripts";

const serverCa = "/var/lib/rancher/k3s/server/tls/server-ca.crt";
const k3sConfig = "/etc/rancher/k3s/config.yaml";
const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** Runs, with bash, the script's step that writes `file`, into a temp dir; the bytes it leaves. */
function written(script: string, file: string): Buffer {
  const step = new RegExp(`install -m \\d+ /dev/null ${escaped(file)}\\ncat > ${escaped(file)} <<'(\\w+)'\\n[\\s\\S]*?\\n\\1(?=\\n|$)`).exec(script);
  assert.ok(step, `the script writes ${file}`);
  const target = path.join(tempDir("im-k3s-token-"), "file");
  const run = spawnSync("bash", ["-c", `set -euo pipefail\n${step[0].split(file).join(target)}`], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  return fs.readFileSync(target);
}

function prod() {
  const r = renderShipped("prod");
  const server = String(reveal((r.ofType("gcp:compute/instance:Instance")[0].inputs as any).metadata["startup-script"]));
  const templates = r.ofType("gcp:compute/instanceTemplate:InstanceTemplate");
  assert.deepEqual(templates.map((t) => t.urn.split("::").pop()).sort(), ["gcp-usc1-cpu-template", "gcp-usc1-gpu-a100-template"]);
  const password = String(reveal((r.ofType("random:index/randomPassword:RandomPassword")[0].outputs as any).result));
  const caCert = r.ofType("tls:index/selfSignedCert:SelfSignedCert").find((c) => c.urn.endsWith("::gcp-usc1-k3s-server-ca"))!;
  return { r, server, templates, password, caPem: String((caCert.outputs as any).certPem) };
}

test("prod: every k3s agent joins with K10<SHA-256 of the server-ca.crt the server's script writes>::node:<the server's token>", () => {
  const { server, templates, password, caPem } = prod();
  const served = written(server, serverCa);
  // One certificate, the Pulumi-made server CA: hashCA hashes the literal bytes of such a file.
  assert.equal((served.toString("utf8").match(/-----BEGIN CERTIFICATE-----/g) ?? []).length, 1);
  assert.equal(new X509Certificate(served).fingerprint256, new X509Certificate(caPem).fingerprint256);
  const serverToken = (yaml.load(written(server, k3sConfig).toString("utf8")) as any).token;
  assert.equal(serverToken, password, "the server keeps the bare password it starts the cluster with");
  for (const t of templates) {
    const script = String(reveal((t.inputs as any).metadataStartupScript));
    const token = (yaml.load(written(script, k3sConfig).toString("utf8")) as any).token;
    assert.equal(token, `K10${sha256(served)}::node:${password}`, t.urn);
    // As k3s parses it (parseToken): a 64-digit hash, then user:password, no bootstrap-token form.
    assert.match(token, /^K10[0-9a-f]{64}::node:[A-Za-z0-9]+$/);
  }
});

test("prod: the secure token stays secret: only in the agents' secret scripts, and recognised there as a credential", () => {
  const { r, templates } = prod();
  const text = r.file("stack.json");
  for (const t of templates) {
    const sealed = (t.inputs as any).metadataStartupScript;
    assert.ok(sealed?.[SECRET_SIG], `${t.urn}: startup script is a secret`);
    const script = String(reveal(sealed));
    assert.ok(scriptHasCredentials(script), "the pack's plaintext-credential check sees the token in the script");
    const token = String((yaml.load(written(script, k3sConfig).toString("utf8")) as any).token);
    for (const form of [token, Buffer.from(token).toString("base64")]) {
      assert.ok(!text.includes(form), `${t.urn}: the token is not in clear in stack.json`);
    }
  }
});

test("the token hashes what the heredoc leaves: a certificate without a final newline gains one on disk", () => {
  const pem = prod().caPem;
  const bare = pem.replace(/\n+$/, "");
  assert.notEqual(bare, pem);
  const onDisk = written(writeFile(serverCa, bare, "0644"), serverCa);
  assert.equal(onDisk.toString("utf8"), `${bare}\n`);
  const files = [{ path: "server-ca.crt", content: bare, mode: "0644" as const }];
  assert.equal(k3sAgentJoinToken(files, "pw"), `K10${sha256(onDisk)}::node:pw`);
  assert.equal(k3sAgentJoinToken([{ ...files[0], content: pem }], "pw"), `K10${sha256(onDisk)}::node:pw`, "the same file, the same token");
});

test("no token for a server CA file k3s would not hash by its bytes, or none at all", () => {
  const pem = prod().caPem;
  // A bundle (a CA under a root): k3s hashes the root's DER, not the file.
  assert.throws(() => k3sAgentJoinToken([{ path: "server-ca.crt", content: pem + pem, mode: "0644" }], "pw"), /holds 2 certificates/);
  assert.throws(() => k3sAgentJoinToken([{ path: "client-ca.crt", content: pem, mode: "0644" }], "pw"), /writes no server-ca\.crt/);
  assert.throws(() => k3sAgentJoinToken([{ path: "server-ca.crt", content: pem, mode: "0644" }], ""), /non-empty/);
});
