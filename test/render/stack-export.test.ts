/**
 * `stack.json` is a deployment `pulumi stack import` takes (pkg/cmd/pulumi/stack/stack_import.go):
 * the CLI builds the secrets manager `secrets_providers` names and decrypts every ciphertext
 * (pkg/resource/stack/deployment.go), then checks the snapshot's integrity before saving it
 * (pkg/resource/deploy/snapshot.go, VerifyIntegrity): the magic cookie is the sha256 of the
 * manifest's version, a non-custom resource has no ID, every provider reference is `<urn>::<id>`
 * of a provider listed earlier, and parents and dependencies come before their dependents.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createDecipheriv, createHash, pbkdf2Sync } from "node:crypto";
import { renderShipped } from "../support/render";
import { EXPORT_KEY, EXPORT_PASSPHRASE, EXPORT_SALT } from "../../scripts/lib/export-secrets";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";

/** Pulumi's symmetricCrypter.DecryptValue (sdk/go/common/resource/config/crypt.go), for key `key`. */
function decryptValue(value: string, key: Buffer): string {
  const parts = value.split(":");
  assert.equal(parts.length, 3, `'${value.slice(0, 40)}' is v1:<nonce>:<ciphertext>`);
  assert.equal(parts[0], "v1");
  const nonce = Buffer.from(parts[1], "base64");
  const sealed = Buffer.from(parts[2], "base64");
  assert.equal(nonce.length, 12, "GCM nonce size");
  const decipher = createDecipheriv("aes-256-gcm", key, nonce);
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]).toString("utf8");
}

test("the export key is PBKDF2-SHA256 of the empty passphrase, as the passphrase provider derives it", () => {
  assert.equal(EXPORT_PASSPHRASE, "");
  assert.ok(pbkdf2Sync(EXPORT_PASSPHRASE, EXPORT_SALT, 1_000_000, 32, "sha256").equals(EXPORT_KEY));
});

for (const stack of ["local", "prod"] as const) {
  test(`${stack}: stack.json passes the checks of pulumi stack import (PULUMI_CONFIG_PASSPHRASE empty)`, () => {
    const exported = JSON.parse(renderShipped(stack).file("stack.json"));
    assert.equal(exported.version, 3);
    const { manifest, secrets_providers: sp, resources } = exported.deployment;
    assert.equal(manifest.magic, createHash("sha256").update(manifest.version).digest("hex"), "magic cookie = sha256(version)");
    assert.ok(!Number.isNaN(Date.parse(manifest.time)));

    // The passphrase provider's state: v1:<salt>:<'pulumi' encrypted>, opened by the empty passphrase.
    assert.equal(sp.type, "passphrase");
    const [v, salt, ...rest] = String(sp.state.salt).split(":");
    assert.equal(v, "v1");
    const key = pbkdf2Sync("", Buffer.from(salt, "base64"), 1_000_000, 32, "sha256");
    assert.equal(decryptValue(rest.join(":"), key), "pulumi");

    // Every secret is {sig, ciphertext} whose plaintext is JSON (secretPropertyValueFromPlaintext).
    let secrets = 0;
    const walk = (value: unknown, where: string): void => {
      if (Array.isArray(value)) return value.forEach((v, i) => walk(v, `${where}[${i}]`));
      if (!value || typeof value !== "object") return;
      const obj = value as Record<string, unknown>;
      if (obj[SIG] === SECRET) {
        assert.deepEqual(Object.keys(obj).sort(), [SIG, "ciphertext"].sort(), where);
        const plain = JSON.parse(decryptValue(String(obj.ciphertext), key));
        assert.ok(!JSON.stringify(plain ?? null).includes(SECRET), `${where}: no secret marker inside a secret`);
        secrets++;
        return;
      }
      for (const [k, v] of Object.entries(obj)) walk(v, `${where}.${k}`);
    };
    for (const r of resources) {
      walk(r.inputs, `${r.urn} inputs`);
      walk(r.outputs, `${r.urn} outputs`);
    }
    assert.ok(secrets > 0, "the render has secrets to check");

    // VerifyIntegrity, in order.
    const seen = new Set<string>();
    const providers = new Set<string>();
    const roots = resources.filter((r: any) => r.type === "pulumi:pulumi:Stack" && !r.parent);
    assert.equal(roots.length, 1, "one root Stack resource");
    assert.equal(roots[0].urn, `urn:pulumi:${stack}::inference-mesh::pulumi:pulumi:Stack::inference-mesh-${stack}`);
    for (const r of resources) {
      assert.ok(r.urn && r.type, "urn and type");
      assert.equal(r.urn.split("::")[0], `urn:pulumi:${stack}`, "the stack imported into");
      if (!r.custom) assert.equal(r.id, undefined, `${r.urn}: custom false but an ID`);
      else assert.ok(r.id, `${r.urn}: a custom resource has an ID`);
      if (r.type.startsWith("pulumi:providers:")) providers.add(`${r.urn}::${r.id}`);
      if (r.provider) assert.ok(providers.has(r.provider), `${r.urn} refers to unknown provider ${r.provider}`);
      const deps = [r.parent, ...r.dependencies, ...Object.values(r.propertyDependencies as Record<string, string[]>).flat()].filter(Boolean);
      for (const d of deps) assert.ok(seen.has(d), `${r.urn}: ${d} comes after it or is missing`);
      assert.ok(!seen.has(r.urn), `duplicate ${r.urn}`);
      seen.add(r.urn);
    }
  });
}

/** The qualified type of a URN: the `$`-joined types of its parents (the root stack's left out) and its own. */
const qualifiedType = (urn: string) => urn.split("::")[2];

test("prod: every URN is the one the engine makes (resource.NewURN): the parent's whole type chain, the root stack's left out", () => {
  const { resources } = JSON.parse(renderShipped("prod").file("stack.json")).deployment as {
    resources: { urn: string; type: string; parent?: string }[];
  };
  const root = resources.find((r) => r.type === "pulumi:pulumi:Stack")!;
  let deepest = 0;
  for (const r of resources) {
    if (r === root) continue;
    assert.ok(r.urn.startsWith("urn:pulumi:prod::inference-mesh::"), r.urn);
    const name = r.urn.split("::")[3];
    const expected = !r.parent || r.parent === root.urn ? r.type : `${qualifiedType(r.parent)}$${r.type}`;
    assert.equal(qualifiedType(r.urn), expected, `${r.urn} under ${r.parent}`);
    assert.ok(!r.urn.includes("pulumi:pulumi:Stack$"), r.urn);
    assert.ok(name, r.urn);
    deepest = Math.max(deepest, expected.split("$").length);
  }
  // Components nest (AgentFleet > AgentgatewayInstall > Release): a chain of three is where the
  // mock monitor's last-parent-only URNs differed.
  assert.ok(deepest >= 3, `deepest type chain ${deepest}`);
});
