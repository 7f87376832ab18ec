/**
 * Reading the secrets of a rendered `stack.json`: the render encrypts them as Pulumi's passphrase
 * provider does (scripts/lib/export-secrets.ts), with a key the tests know.
 */
import { createDecipheriv } from "node:crypto";
import { EXPORT_KEY } from "../../scripts/lib/export-secrets";

/** The signature key Pulumi marks a secret value with in a deployment export. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** The value of one `v1:<nonce>:<sealed>` ciphertext. */
export function decrypt(ciphertext: string): unknown {
  const [, nonce, sealed] = ciphertext.split(":");
  const bytes = Buffer.from(sealed, "base64");
  const d = createDecipheriv("aes-256-gcm", EXPORT_KEY, Buffer.from(nonce, "base64"));
  d.setAuthTag(bytes.subarray(bytes.length - 16));
  return JSON.parse(Buffer.concat([d.update(bytes.subarray(0, bytes.length - 16)), d.final()]).toString("utf8"));
}

/** A secret's value (or a plain value as it is). */
export function reveal(value: unknown): unknown {
  const obj = value as Record<string, unknown> | undefined;
  return obj && typeof obj === "object" && obj[SECRET_SIG] ? decrypt(String(obj.ciphertext)) : value;
}
