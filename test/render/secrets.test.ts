/**
 * Credentials stay Pulumi secrets end to end: every private key (mesh and k3s CAs, gateway TLS,
 * the agent JWT signing key, the k3s admin client key), the k3s join token (bare and the agents'
 * secure form), the istio-reader token and the kubeconfigs built from them appear in a render
 * only as ciphertext. The check decrypts every secret of `stack.json`, collects the credentials
 * inside (PEM keys, tokens, kubeconfig users' client keys and tokens, also base64-encoded), and
 * looks for each in everything that is not ciphertext: the rest of `stack.json` (inputs,
 * outputs, component and stack outputs), the manifests, the releases, the topology and the policy
 * reports.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { createPrivateKey } from "node:crypto";
import * as yaml from "js-yaml";
import { Rendered, renderPlatform, renderShipped, shippedPlatform } from "../support/render";
import { decrypt, SECRET_SIG as SIG } from "../support/secrets";

function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (v && typeof v === "object") Object.values(v).forEach((x) => strings(x, out));
  return out;
}

const PEM_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;

/** The credentials inside one decrypted secret value. */
function credentialsIn(plain: unknown): { keys: string[]; tokens: string[] } {
  const keys: string[] = [];
  const tokens: string[] = [];
  for (const s of strings(plain)) {
    keys.push(...(s.match(PEM_KEY) ?? []));
    // k3s's secure join token (the agents' config): its base64 need not hold the password's.
    tokens.push(...(s.match(/K10[0-9a-f]{64}::[^\s'"]+/g) ?? []));
    // A kubeconfig: its users' client keys and tokens.
    if (/^\s*users:/m.test(s)) {
      const doc = yaml.load(s) as { users?: { user: Record<string, unknown> }[] };
      for (const u of doc.users ?? []) {
        if (typeof u.user["client-key-data"] === "string") keys.push(Buffer.from(u.user["client-key-data"], "base64").toString("utf8"));
        if (typeof u.user.token === "string") tokens.push(u.user.token);
      }
    }
  }
  return { keys, tokens };
}

interface Scan {
  keys: Set<string>;
  tokens: Set<string>;
  /** Everything a reader sees without the key: file → text. */
  plain: Map<string, string>;
}

function scan(r: Rendered): Scan {
  const keys = new Set<string>();
  const tokens = new Set<string>();
  const masked = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(masked);
    if (!v || typeof v !== "object") return v;
    const obj = v as Record<string, unknown>;
    if (obj[SIG]) {
      const found = credentialsIn(decrypt(String(obj.ciphertext)));
      found.keys.forEach((k) => keys.add(k));
      found.tokens.forEach((t) => tokens.add(t));
      return "[secret]";
    }
    return Object.fromEntries(Object.entries(obj).map(([k, x]) => [k, masked(x)]));
  };
  const plain = new Map<string, string>();
  for (const res of r.resources) {
    const m = masked(res) as any;
    plain.set(`stack.json ${res.urn}`, JSON.stringify(m));
    // The values the policies unwrap are the program's, not the engine's: take the credentials the
    // render made from their resources too (the k3s join token, the reader token).
    if (res.type === "random:index/randomPassword:RandomPassword") tokens.add(String(decrypt(String((res.outputs as any).result.ciphertext))));
    if (res.type === "kubernetes:core/v1:Secret" && (res.inputs as any).type === "kubernetes.io/service-account-token") {
      const data = decrypt(String((res.outputs as any).data.ciphertext)) as Record<string, string>;
      tokens.add(Buffer.from(data.token, "base64").toString("utf8"));
    }
  }
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name !== "stack.json") plain.set(path.relative(r.run.dir, p), fs.readFileSync(p, "utf8"));
    }
  };
  walk(r.run.dir);
  return { keys, tokens, plain };
}

/** The forms a credential could leak in: as is, JSON-escaped, base64, and a PEM's base64 body on one line. */
function needles(credential: string): string[] {
  const forms = [credential, JSON.stringify(credential).slice(1, -1), Buffer.from(credential).toString("base64")];
  if (credential.includes("PRIVATE KEY")) forms.push(credential.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""));
  return forms;
}

function assertNoPlaintext(label: string, s: Scan): void {
  for (const [file, text] of s.plain) {
    assert.doesNotMatch(text, /PRIVATE KEY-----/, `${label}: a private key in clear in ${file}`);
    assert.doesNotMatch(text, /client-key-data/, `${label}: a kubeconfig with a client key in clear in ${file}`);
    for (const credential of [...s.keys, ...s.tokens]) {
      for (const n of needles(credential)) {
        assert.ok(!text.includes(n), `${label}: a credential (${credential.slice(0, 32).replace(/\n/g, "\\n")}…) in clear in ${file}`);
      }
    }
  }
}

for (const stack of ["local", "dev", "prod"] as const) {
  test(`${stack}: no private key, token or credential-bearing kubeconfig appears outside ciphertext`, () => {
    const s = scan(renderShipped(stack));
    assert.ok(s.keys.size > 0, "the render has private keys to look for");
    if (stack === "prod") {
      // k3s: the join token, the reader token of each cluster read, the admin client key.
      assert.ok(s.tokens.size >= 4, `the k3s join token and three reader tokens (${s.tokens.size})`);
      assert.ok([...s.tokens].some((t) => t.startsWith("K10")), "and the agents' secure join token");
    }
    assertNoPlaintext(stack, s);
  });
}

test("self-signed gateway certificates and JWT key on a multi-cloud stack stay secret too", () => {
  const platform = shippedPlatform("prod");
  platform.gateways.inference.tls = { mode: "selfSigned" };
  platform.gateways.agents.tls = { mode: "selfSigned" };
  platform.gateways.agents.jwt = { issuer: "https://auth.example.com/", audiences: ["agents.example.com"], selfSigned: true };
  const r = renderPlatform("secrets-mixed", platform);
  const stackOutputs = r.resources.find((x) => x.type === "pulumi:pulumi:Stack")!.outputs as any;
  assert.ok(stackOutputs.agentJwtSigningKeyPem?.[SIG], "the signing key output is a secret");
  const tlsSecrets = r.ofType("kubernetes:core/v1:Secret").filter((x) => (x.inputs as any).type === "kubernetes.io/tls");
  assert.equal(tlsSecrets.length, 6, "inference and agent gateway TLS Secrets on three clusters");
  assertNoPlaintext("prod with self-signed TLS and JWT", scan(r));
});

test("tls.PrivateKey's state holds all three private key forms as secrets, as the tls provider writes them", () => {
  for (const res of renderShipped("prod").ofType("tls:index/privateKey:PrivateKey")) {
    const out = res.outputs as any;
    for (const k of ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"]) assert.ok(out[k]?.[SIG], `${res.urn}: ${k} is a secret`);
    const openssh = String(decrypt(out.privateKeyOpenssh.ciphertext));
    assert.match(openssh, /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    // openssh-key-v1: magic, cipher, kdf, kdf options, one key, then the public blob.
    const body = Buffer.from(openssh.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
    assert.equal(body.subarray(0, 15).toString("latin1"), "openssh-key-v1\0");
    let at = 15;
    const next = () => {
      const len = body.readUInt32BE(at);
      const v = body.subarray(at + 4, at + 4 + len);
      at += 4 + len;
      return v;
    };
    assert.deepEqual([next().toString(), next().toString(), next().length], ["none", "none", 0]);
    assert.equal(body.readUInt32BE(at), 1);
    at += 4;
    const publicBlob = next();
    const [type, blob] = String(out.publicKeyOpenssh).trim().split(" ");
    assert.equal(Buffer.from(blob, "base64").toString("base64"), publicBlob.toString("base64"), `${res.urn}: private and public OpenSSH forms agree`);
    // The blob is the key of privateKeyPem: RSA's modulus, or the EC point.
    const jwk = createPrivateKey(String(decrypt(out.privateKeyPem.ciphertext))).export({ format: "jwk" });
    const material = jwk.kty === "RSA" ? Buffer.from(jwk.n!, "base64url") : Buffer.from(jwk.x!, "base64url");
    assert.ok(publicBlob.includes(material), `${res.urn}: the OpenSSH key is privateKeyPem's`);
    assert.equal(type, jwk.kty === "RSA" ? "ssh-rsa" : `ecdsa-sha2-nistp${jwk.crv!.slice(2)}`);
  }
});
