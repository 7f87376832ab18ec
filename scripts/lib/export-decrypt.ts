/**
 * Secrets of a passphrase-encrypted export decrypted as the CLI decrypts them before it runs the
 * policy pack. A preview of such a stack loads its state through the passphrase secrets manager
 * (pkg/secrets/passphrase/manager.go): the passphrase comes from PULUMI_CONFIG_PASSPHRASE (set,
 * even empty), else the file PULUMI_CONFIG_PASSPHRASE_FILE names (its content trimmed), and one
 * that does not decrypt the provider state's salt check to "pulumi" fails the command ("incorrect
 * passphrase"). With the passphrase at hand the review hands the pack the values a preview hands
 * it; without it, with another passphrase, or for a service or KMS provider (whose key is not
 * here) ciphertext stays ciphertext, which the wire sends as unknown (review-wire.ts).
 *
 * Format (sdk/go/common/resource/config/crypt.go): key = PBKDF2-SHA256(passphrase, salt, 1,000,000
 * rounds, 32 bytes); a value is `v1:<base64 nonce>:<base64 AES-256-GCM ciphertext+tag>`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createDecipheriv, pbkdf2Sync } from "node:crypto";
import type { ExportedDeployment } from "./review-wire";
import { SIG_KEY, SECRET_SIG } from "./review-wire";

/** The passphrase the CLI would use, from the environment, or undefined when it has none. */
export function passphraseFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) return env.PULUMI_CONFIG_PASSPHRASE;
  const file = env.PULUMI_CONFIG_PASSPHRASE_FILE;
  if (!file) return undefined;
  try {
    return fs.readFileSync(path.resolve(file), "utf8").trim();
  } catch (err) {
    throw new Error(`unable to read PULUMI_CONFIG_PASSPHRASE_FILE ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function decrypt(key: Buffer, value: string): string {
  const parts = value.split(":");
  if (parts.length !== 3 || parts[0] !== "v1") throw new Error("not a v1 ciphertext");
  const nonce = Buffer.from(parts[1], "base64");
  const sealed = Buffer.from(parts[2], "base64");
  if (sealed.length < 16) throw new Error("ciphertext too short");
  const decipher = createDecipheriv("aes-256-gcm", key, nonce);
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]).toString("utf8");
}

/**
 * The key a passphrase provider state (`{salt: "v1:<salt>:<'pulumi' encrypted>"}`) gives `phrase`,
 * or undefined when the phrase does not decrypt the state's check value (the CLI's "incorrect
 * passphrase").
 */
function keyOf(state: unknown, phrase: string, file: string): Buffer | undefined {
  const salt = (state as { salt?: unknown } | undefined)?.salt;
  const parts = typeof salt === "string" ? salt.split(":") : [];
  if (parts.length < 3 || parts[0] !== "v1") throw new Error(`${file}: secrets_providers.state.salt is malformed (expected v1:<salt>:<check>)`);
  const key = pbkdf2Sync(phrase, Buffer.from(parts[1], "base64"), 1_000_000, 32, "sha256");
  let check: string | undefined;
  try {
    check = decrypt(key, (salt as string).slice(parts[0].length + parts[1].length + 2));
  } catch {
    check = undefined;
  }
  return check === "pulumi" ? key : undefined;
}

/**
 * Replaces, in place, every `{sig, ciphertext}` of a passphrase-encrypted export with the
 * `{sig, plaintext}` that `pulumi stack export --show-secrets` would have written, when the
 * environment holds the passphrase. Returns how many it decrypted, and a warning when the
 * environment's passphrase is not this export's: the CLI would stop ("incorrect passphrase"), the
 * review keeps the secrets as unknowns rather than fail, since the passphrase set for a real stack
 * (in CI, say) is not the one a render's `stack.json` is encrypted under.
 */
export function decryptPassphraseSecrets(exported: ExportedDeployment, file: string, env: NodeJS.ProcessEnv = process.env): { decrypted: number; warning?: string } {
  const provider = exported.deployment.secrets_providers as { type?: unknown; state?: unknown } | undefined;
  if (provider?.type !== "passphrase") return { decrypted: 0 };
  const phrase = passphraseFromEnv(env);
  if (phrase === undefined) return { decrypted: 0 };
  const key = keyOf(provider.state, phrase, file);
  if (!key) {
    return {
      decrypted: 0,
      warning: `${file}: PULUMI_CONFIG_PASSPHRASE(_FILE) does not open this export's secrets (pulumi preview would stop: incorrect passphrase); they are reviewed as unknowns`,
    };
  }
  let count = 0;
  const walk = (v: unknown, where: string): unknown => {
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${where}[${i}]`));
    if (!v || typeof v !== "object") return v;
    const obj = v as Record<string, unknown>;
    if (obj[SIG_KEY] === SECRET_SIG && typeof obj.ciphertext === "string") {
      try {
        count++;
        return { [SIG_KEY]: SECRET_SIG, plaintext: decrypt(key, obj.ciphertext) };
      } catch {
        throw new Error(`${file}: ${where}: a secret does not decrypt under this export's passphrase (the CLI fails to load such a state)`);
      }
    }
    return Object.fromEntries(Object.entries(obj).map(([k, x]) => [k, walk(x, `${where}.${k}`)]));
  };
  for (const r of exported.deployment.resources ?? []) {
    for (const side of ["inputs", "outputs"] as const) if (r[side]) r[side] = walk(r[side], `${r.urn} ${side}`) as Record<string, unknown>;
  }
  return { decrypted: count };
}
