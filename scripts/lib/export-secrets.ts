/**
 * Secrets in `stack.json` as Pulumi's passphrase secrets provider writes them, so that
 * `pulumi stack import` takes the file: the CLI builds the secrets manager named in
 * `secrets_providers` and decrypts every `{sig, ciphertext}` (pkg/resource/stack/deployment.go,
 * DeserializeDeploymentV3). A made-up provider state or ciphertext fails the import, and a missing
 * provider fails it too ("snapshot contains encrypted secrets but no secrets manager").
 *
 * The passphrase is the empty one (`PULUMI_CONFIG_PASSPHRASE=`): the render has no key of the
 * stack's, and the values are the mock engine's own (mock keys, tokens, scripts built from them),
 * so the encryption only keeps them out of sight in a diff. The nonce is derived from the value,
 * so two renders are byte-identical and a changed secret shows as a changed ciphertext.
 *
 * Format (pkg/secrets/passphrase/manager.go, sdk/go/common/resource/config/crypt.go): key =
 * PBKDF2-SHA256(passphrase, salt, 1,000,000 rounds, 32 bytes); a value is
 * `v1:<base64 nonce>:<base64 AES-256-GCM ciphertext+tag>`; the state is
 * `{"salt": "v1:<base64 salt>:<the value 'pulumi' encrypted>"}`.
 */
import { createCipheriv, createHmac } from "node:crypto";

export const EXPORT_PASSPHRASE = "";
export const EXPORT_SALT = Buffer.from("9c6a08e929af3ceb", "hex");
/**
 * PBKDF2-SHA256(EXPORT_PASSPHRASE, EXPORT_SALT, 1e6, 32): precomputed, since a million rounds
 * cost a fifth of a second on every render (test/render/stack-export.test.ts recomputes it).
 */
export const EXPORT_KEY = Buffer.from("aa4e8c7eba70202d13c6d5f467c9597c9a1da0caa98e7cc9a8eccaef511b71a6", "hex");

/** Pulumi's symmetric crypter's EncryptValue, with a nonce derived from the plaintext. */
export function encryptValue(plaintext: string): string {
  const nonce = createHmac("sha256", EXPORT_KEY).update(plaintext).digest().subarray(0, 12);
  const cipher = createCipheriv("aes-256-gcm", EXPORT_KEY, nonce);
  const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `v1:${nonce.toString("base64")}:${sealed.toString("base64")}`;
}

/** `secrets_providers` of the export: the passphrase provider's state for EXPORT_PASSPHRASE. */
export function exportSecretsProvider(): { type: "passphrase"; state: { salt: string } } {
  return { type: "passphrase", state: { salt: `v1:${EXPORT_SALT.toString("base64")}:${encryptValue("pulumi")}` } };
}
