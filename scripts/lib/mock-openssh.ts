/**
 * The OpenSSH forms of a mock key, as `tls.PrivateKey` returns them: `privateKeyOpenssh` (the
 * `openssh-key-v1` format, unencrypted, in a PEM block of 64-character lines, as Go's
 * ssh.MarshalPrivateKey + pem.EncodeToMemory write it) and `publicKeyOpenssh` (an authorized_keys
 * line). The provider leaves both empty for ECDSA P-224, which x/crypto/ssh cannot encode
 * (hashicorp/terraform-provider-tls internal/provider/resource_private_key.go,
 * prvKeySupportsOpenSSHMarshalling; common_key.go). Without them the render's state lacked a
 * secret output the real one holds, and a program reading it got `undefined` offline.
 */
import { createHash, webcrypto } from "node:crypto";

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const sshString = (b: Buffer | string) => {
  const body = typeof b === "string" ? Buffer.from(b) : b;
  return Buffer.concat([u32(body.length), body]);
};
/** An SSH mpint: big-endian two's complement, no leading zeros, a zero byte before a set high bit. */
const mpint = (b64url: string) => {
  let b = Buffer.from(b64url, "base64url");
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  b = b.subarray(i);
  return sshString(b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
};

const curves: Record<string, string> = { "P-256": "nistp256", "P-384": "nistp384", "P-521": "nistp521" };

interface Blobs {
  keyType: string;
  publicBlob: Buffer;
  privateFields: Buffer;
}

function blobs(jwk: JsonWebKey): Blobs | undefined {
  if (jwk.kty === "RSA") {
    const publicBlob = Buffer.concat([sshString("ssh-rsa"), mpint(jwk.e!), mpint(jwk.n!)]);
    // OpenSSH's order: n, e, d, iqmp, p, q.
    const privateFields = Buffer.concat([mpint(jwk.n!), mpint(jwk.e!), mpint(jwk.d!), mpint(jwk.qi!), mpint(jwk.p!), mpint(jwk.q!)]);
    return { keyType: "ssh-rsa", publicBlob, privateFields };
  }
  const curve = jwk.kty === "EC" ? curves[jwk.crv!] : undefined;
  if (!curve) return undefined;
  const keyType = `ecdsa-sha2-${curve}`;
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
  const publicBlob = Buffer.concat([sshString(keyType), sshString(curve), sshString(point)]);
  return { keyType, publicBlob, privateFields: Buffer.concat([sshString(curve), sshString(point), mpint(jwk.d!)]) };
}

export interface OpensshForms {
  privateKeyOpenssh: string;
  publicKeyOpenssh: string;
}

export async function opensshForms(privateKey: CryptoKey): Promise<OpensshForms> {
  const jwk = await webcrypto.subtle.exportKey("jwk", privateKey);
  const b = blobs(jwk);
  if (!b) return { privateKeyOpenssh: "", publicKeyOpenssh: "" };
  // The check integers are random in Go; derived from the key here, so renders stay byte-identical.
  const check = createHash("sha256").update(b.publicBlob).digest().readUInt32BE(0);
  let section = Buffer.concat([u32(check), u32(check), sshString(b.keyType), b.privateFields, sshString("")]);
  const pad = (8 - (section.length % 8)) % 8;
  section = Buffer.concat([section, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  const body = Buffer.concat([
    Buffer.from("openssh-key-v1\0"),
    sshString("none"),
    sshString("none"),
    sshString(""),
    u32(1),
    sshString(b.publicBlob),
    sshString(section),
  ]);
  const lines = body.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return {
    privateKeyOpenssh: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines}\n-----END OPENSSH PRIVATE KEY-----\n`,
    publicKeyOpenssh: `${b.keyType} ${b.publicBlob.toString("base64")}\n`,
  };
}
